/* Seed corpora for the fuzz targets, written with the real compression libraries in Spark's
 * framings (spark_framing_writer.h): `seedgen DIR` creates DIR/<target>/seed-<n> for every
 * codec target and for fuzz_lines. Small, varied inputs: event-log-like JSON lines, several
 * blocks, concatenated streams, empty streams, CRLF and unterminated lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eventlog/spark_framing_writer.h"

static const char *outdir;

static int write_seed(const char *target, int n, const void *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", outdir, target);
  if (mkdir(path, 0755) && errno != EEXIST) return perror(path), 1;
  snprintf(path, sizeof path, "%s/%s/seed-%d", outdir, target, n);
  FILE *f = fopen(path, "wb");
  if (!f) return perror(path), 1;
  fwrite(data, 1, len, f);
  return fclose(f) ? 1 : 0;
}

/* n bytes of event-log-like text. */
static char *json_text(size_t n) {
  char *p = malloc(n + 256);
  size_t at = 0;
  for (unsigned i = 0; at < n; i++)
    at += (size_t)sprintf(p + at, "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":%u,\"Task ID\":%u}%s", i % 7,
                          i, i % 3 ? "\n" : "\r\n");
  p[n] = 0;
  return p;
}

typedef int (*writer_fn)(sic_frame_buf *out, const void *src, size_t len, size_t block);

static int w_zstd(sic_frame_buf *o, const void *s, size_t n, size_t b) { return sic_frame_write_zstd(o, s, n, (int)(b & 1)); }
static int w_gzip(sic_frame_buf *o, const void *s, size_t n, size_t b) { return sic_frame_write_gzip(o, s, n); }
static int w_lzf(sic_frame_buf *o, const void *s, size_t n, size_t b) { return sic_frame_write_lzf(o, s, n, b > 0xFFFF ? 0xFFFF : b); }

static int codec_seeds(const char *target, writer_fn w) {
  char *text = json_text(40000);
  static const size_t sizes[] = {0, 1, 300, 5000, 40000};
  static const size_t blocks[] = {64, 1001, 32768, 64, 4096};
  int n = 0, bad = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    sic_frame_buf fb = {0};
    bad |= w(&fb, text, sizes[i], blocks[i]);
    bad |= write_seed(target, n++, fb.data, fb.len);
    /* concatenated: this stream, an empty one, and a short one */
    bad |= w(&fb, text, 0, 64);
    bad |= w(&fb, text + 7, 200, 64);
    bad |= write_seed(target, n++, fb.data, fb.len);
    sic_frame_buf_free(&fb);
  }
  free(text);
  return bad;
}

static int lines_seeds(void) {
  static const char *texts[] = {
    "\x05\x00{\"Event\":\"a\"}\n{\"Event\":\"b\"}\r\n\n{\"Event\":\"c\"}",
    "\x01\x00a\r\n\r\n\rb\nc",
    ("\xC8\x7C" "part one\nstill one|part two\r\n|\n|last"),
    "\x24\x00\n\n\n\n",
  };
  int bad = 0;
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    size_t len = 2 + strlen(texts[i] + 2);
    bad |= write_seed("fuzz_lines", (int)i, texts[i], len);
  }
  char *big = json_text(20000);
  big[0] = 3;
  big[1] = 0;
  bad |= write_seed("fuzz_lines", 99, big, 20000);
  free(big);
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: seedgen DIR\n");
    return 2;
  }
  outdir = argv[1];
  if (mkdir(outdir, 0755) && errno != EEXIST) return perror(outdir), 1;
  int bad = 0;
  bad |= codec_seeds("fuzz_codec_zstd", w_zstd);
  bad |= codec_seeds("fuzz_codec_lz4", sic_frame_write_lz4block);
  bad |= codec_seeds("fuzz_codec_snappy", sic_frame_write_snappy_java);
  bad |= codec_seeds("fuzz_codec_lzf", w_lzf);
  bad |= codec_seeds("fuzz_codec_gzip", w_gzip);
  bad |= lines_seeds();
  if (bad) fprintf(stderr, "seedgen: failed writing seeds\n");
  return bad ? 1 : 0;
}
