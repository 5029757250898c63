/* Example generator: writing the event lines to a file, plain or as zstd frames (what Spark's
 * ZStdCompressionCodec produces). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "gen/gen_internal.h"

typedef struct file_sink {
  FILE *f;                   /* destination */
  const char *path;          /* for messages */
  ZSTD_CCtx *zc;             /* compression context, NULL for plain output */
  char *zbuf;                /* compressed output buffer */
  size_t zcap;               /* its size */
  int64_t stored;            /* bytes written to the file */
} file_sink;

/* Push input through the compressor (mode ZSTD_e_continue or ZSTD_e_end) into the file. */
static int zstd_push(file_sink *s, const void *data, size_t len, ZSTD_EndDirective mode) {
  ZSTD_inBuffer in = {data, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {s->zbuf, s->zcap, 0};
    size_t left = ZSTD_compressStream2(s->zc, &out, &in, mode);
    if (ZSTD_isError(left)) return SIC_EIO;
    if (out.pos && fwrite(s->zbuf, 1, out.pos, s->f) != out.pos) return SIC_EIO;
    s->stored += (int64_t)out.pos;
    if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return 0;
  }
}

static int write_line(void *ctx, const char *line, size_t len) {
  file_sink *s = ctx;
  if (s->zc) {
    int rc = zstd_push(s, line, len, ZSTD_e_continue);
    return rc ? rc : zstd_push(s, "\n", 1, ZSTD_e_continue);
  }
  if (fwrite(line, 1, len, s->f) != len || fputc('\n', s->f) == EOF) return SIC_EIO;
  s->stored += (int64_t)len + 1;
  return 0;
}

int sic_gen_write_file(const char *path, const sic_gen_opts *opts, sic_gen_stats *stats, sic_err *err) {
  file_sink s = {0};
  sic_gen_stats local;
  int rc = 0;
  int to_stdout = !strcmp(path, "-");
  s.path = to_stdout ? "<stdout>" : path;
  s.f = to_stdout ? stdout : fopen(path, "wb");
  if (!s.f) return sic_err_set(err, SIC_EIO, "%s: cannot create: %s", s.path, strerror(errno));
  if (opts->zstd) {
    s.zc = ZSTD_createCCtx();
    s.zcap = ZSTD_CStreamOutSize();
    s.zbuf = malloc(s.zcap);
    if (!s.zc || !s.zbuf) {
      rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory", s.path);
      goto error;
    }
    ZSTD_CCtx_setParameter(s.zc, ZSTD_c_compressionLevel, opts->zstd_level ? opts->zstd_level : 3);
    ZSTD_CCtx_setParameter(s.zc, ZSTD_c_checksumFlag, 1);
  }
  if ((rc = sic_gen_run(opts, write_line, &s, &local, err)) != 0) {
    if (rc == SIC_EIO) sic_err_set(err, SIC_EIO, "%s: write failed: %s", s.path, strerror(errno));
    goto error;
  }
  if (s.zc && (rc = zstd_push(&s, "", 0, ZSTD_e_end)) != 0) {
    sic_err_set(err, rc, "%s: write failed: %s", s.path, strerror(errno));
    goto error;
  }
  if (to_stdout ? fflush(s.f) != 0 : fclose(s.f) != 0) {
    s.f = NULL;
    rc = sic_err_set(err, SIC_EIO, "%s: write failed: %s", s.path, strerror(errno));
    goto error;
  }
  local.stored_bytes = s.stored;
  if (stats) *stats = local;
  ZSTD_freeCCtx(s.zc);
  free(s.zbuf);
  return 0;
error:
  if (s.f && !to_stdout) fclose(s.f);
  if (!to_stdout) unlink(path); /* never leave a partial log that looks complete */
  ZSTD_freeCCtx(s.zc);
  free(s.zbuf);
  return rc;
}
