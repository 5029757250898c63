/* The History Server's /logs answer: a zip streamed without Content-Length and without Range
 * support. A zip's member list (central directory) is at its end and Spark's ZipOutputStream
 * writes DEFLATE members with data descriptors, so the members cannot be ordered and
 * recognised (rolling parts, codecs) before the whole answer is there. It is therefore
 * spooled to an unlinked temporary file ($TMPDIR, bounded by SIC_SPOOL_MAX bytes, default
 * 64 GiB): disk, not memory, and gone when the reader closes or the process dies. The
 * spooled archive is then read by the local readers (libzip, codecs) as one event log.
 *
 * A body cut short is retried from the start (the endpoint cannot resume), a bounded number
 * of times; what was spooled of a failed attempt is discarded. */
#include "sources/source_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct spool_reader {
  sic_reader base;      /* read/close */
  int fd;               /* the unlinked spool file */
  char fd_path[64];     /* /proc/self/fd/N: how the local readers open it */
  sic_logsets sets;     /* the log inside (exactly one) */
  sic_stream *stream;   /* decompressed bytes of that log */
  const char *chunk;    /* current chunk of the stream */
  size_t chunk_len;     /* its bytes */
  size_t chunk_pos;     /* bytes of it delivered */
  size_t part;          /* part of the current chunk */
  int last_nl;          /* the last byte delivered was '\n' (or nothing yet) */
  int eof;              /* the stream ended */
  char *display;        /* URL for messages (owned) */
} spool_reader;

static int64_t spool_max(void) {
  const char *v = getenv("SIC_SPOOL_MAX");
  long long x = v && *v ? atoll(v) : 0;
  return x > 0 ? (int64_t)x : (int64_t)64 << 30;
}

/* One attempt at downloading the whole answer into fd. */
static int spool_once(const http_req *req, int fd, sic_err *err) {
  if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0)
    return sic_err_set(err, SIC_EIO, "GET %s: cannot reset the spool file: %s", req->display, strerror(errno));
  sic_reader *r;
  int rc = http_open(req, &r, err);
  if (rc) return rc;
  static __thread uint8_t buf[1 << 16];
  int64_t total = 0, max = spool_max();
  for (;;) {
    size_t got = 0;
    rc = r->read(r, buf, sizeof buf, &got, err);
    if (rc || !got) break;
    total += (int64_t)got;
    if (total > max) {
      rc = sic_err_set(err, SIC_EIO, "GET %s: zip larger than SIC_SPOOL_MAX (%lld bytes)", req->display, (long long)max);
      break;
    }
    for (size_t off = 0; off < got;) {
      ssize_t w = write(fd, buf + off, got - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        rc = sic_err_set(err, SIC_EIO, "GET %s: cannot spool the zip to $TMPDIR: %s", req->display, strerror(errno));
        break;
      }
      off += (size_t)w;
    }
    if (rc) break;
  }
  r->close(r);
  return rc;
}

static int spool_download(const http_req *req, int fd, sic_err *err) {
  http_settings defaults;
  const http_settings *st = req->settings;
  if (!st) {
    http_settings_load(&defaults);
    st = &defaults;
  }
  int tries = st->retries + 1, rc = 0;
  for (int i = 0; i < tries; i++) {
    rc = spool_once(req, fd, err);
    if (rc != SIC_ETRUNCATED) break; /* transient faults before the body are retried inside http */
  }
  if (!req->settings) http_settings_free(&defaults);
  return rc;
}

static int spool_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  spool_reader *r = (spool_reader *)base;
  *got = 0;
  while (r->chunk_pos == r->chunk_len && !r->eof) {
    size_t part = 0;
    int rc = sic_stream_next(r->stream, &r->chunk, &r->chunk_len, &part, err);
    if (rc < 0) return sic_err_wrap(err, "%s (spooled zip): ", r->display);
    if (rc == 0) {
      r->eof = 1;
      break;
    }
    r->chunk_pos = 0;
    if (part != r->part && !r->last_nl && cap) { /* parts end lines; keep them apart */
      r->part = part;
      buf[0] = '\n';
      r->last_nl = 1;
      *got = 1;
      return 0;
    }
    r->part = part;
  }
  size_t n = r->chunk_len - r->chunk_pos;
  if (n > cap) n = cap;
  memcpy(buf, r->chunk + r->chunk_pos, n);
  r->chunk_pos += n;
  if (n) r->last_nl = buf[n - 1] == '\n';
  *got = n;
  return 0;
}

static void spool_close(sic_reader *base) {
  spool_reader *r = (spool_reader *)base;
  sic_stream_free(r->stream);
  sic_logsets_free(&r->sets);
  if (r->fd >= 0) close(r->fd);
  free(r->display);
  free(r);
}

static int make_spool_file(const char *display, sic_err *err) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/sic-spool-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return sic_err_set(err, SIC_EIO, "GET %s: cannot create a spool file in %s: %s", display,
                                 dir && *dir ? dir : "/tmp", strerror(errno));
  unlink(path); /* nothing is left behind, whatever happens next */
  return fd;
}

int zip_spool_open(const http_req *req, sic_reader **out, sic_err *err) {
  *out = NULL;
  spool_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->display = strdup(req->display))) {
    free(r);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  r->base.read = spool_read;
  r->base.close = spool_close;
  r->last_nl = 1;
  r->fd = make_spool_file(req->display, err);
  int rc = r->fd < 0 ? r->fd : spool_download(req, r->fd, err);
  if (rc) goto error;
  snprintf(r->fd_path, sizeof r->fd_path, "/proc/self/fd/%d", r->fd);
  rc = sic_logset_scan(r->fd_path, &r->sets, err);
  if (rc) {
    sic_err_wrap(err, "%s: ", req->display);
    goto error;
  }
  if (r->sets.n != 1) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: the zip holds %zu event logs, expected one (name an attempt)", req->display,
                     r->sets.n);
    goto error;
  }
  rc = sic_stream_open(&r->sets.items[0], 1, &r->stream, err);
  if (rc) goto error;
  *out = &r->base;
  return 0;
error:
  spool_close(&r->base);
  return rc;
}
