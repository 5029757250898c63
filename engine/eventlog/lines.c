/* sic_lines: a sic_stream feeding a sic_splitter, part boundaries respected.
 *
 * Each stream chunk is fed to the splitter as it comes; when the stream moves to the next
 * part, the splitter is told the part ended first (so a last line without '\n' is flushed
 * as `unterminated` and line numbers restart at 1). Plain files arrive as one chunk per
 * part pointing into the mapping, so their lines are zero-copy.
 *
 * Ownership: sic_lines owns its stream and splitter. */
#include "eventlog/eventlog.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct sic_lines {
  sic_stream *stream;     /* decompressed bytes (owned) */
  sic_splitter *split;    /* line splitter (owned) */
  size_t split_part;      /* part whose bytes the splitter currently holds */
  int started;            /* 1 once a chunk was fed */
  int have_pending;       /* 1: a chunk of the next part waits until the splitter is drained */
  const char *pending;    /* that chunk */
  size_t pending_len;     /* its length */
  size_t pending_part;    /* its part */
  int finished;           /* 1: the stream ended (end of part already fed) */
  int error_rc;           /* stream error to report once buffered lines are out */
  sic_err error;          /* its message */
  int64_t max_output;     /* decompressed bytes allowed (decompression bombs), 0 = any */
  char *path;             /* the log's path, for the decompression-bomb message (owned) */
};

static _Atomic int64_t default_max_line = SIC_DEFAULT_MAX_LINE;

void sic_lines_set_default_max_line(int64_t bytes) { default_max_line = bytes > 0 ? bytes : SIC_DEFAULT_MAX_LINE; }
int64_t sic_lines_default_max_line(void) { return default_max_line; }

/* Splitter release hook: scanned stretches of an mmap'd plain file leave memory. */
static void release_scanned(void *ctx, const char *p, size_t n) { sic_stream_release(ctx, p, n); }

void sic_lines_set_limits(sic_lines *l, int64_t max_line, int64_t max_output) {
  sic_splitter_set_max_line(l->split, (size_t)(max_line > 0 ? max_line : default_max_line));
  l->max_output = max_output > 0 ? max_output : 0;
}

int sic_lines_open(const sic_logset *set, int threads, sic_lines **out, sic_err *err) {
  *out = NULL;
  sic_lines *l = calloc(1, sizeof *l);
  if (!l) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  int rc = sic_stream_open(set, threads, &l->stream, err);
  if (rc) goto error;
  l->split = sic_splitter_new();
  l->path = strdup(set->path ? set->path : "log");
  if (!l->split || !l->path) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto error;
  }
  sic_splitter_set_max_line(l->split, (size_t)default_max_line);
  sic_splitter_set_release(l->split, release_scanned, l->stream);
  *out = l;
  return 0;
error:
  sic_lines_free(l);
  return rc;
}

/* Pull the next chunk from the stream and feed it; 1 fed something, 0 end, SIC_E* error. */
static int refill(sic_lines *l, sic_err *err) {
  if (l->have_pending) {
    sic_splitter_feed(l->split, l->pending, l->pending_len);
    l->split_part = l->pending_part;
    l->have_pending = 0;
    return 1;
  }
  if (l->finished) return 0;
  const char *data;
  size_t len, part = 0;
  int r = sic_stream_next(l->stream, &data, &len, &part, err);
  if (r < 0) {
    /* An error opening a later part must not swallow the previous part's last line. */
    if (l->started && part != l->split_part) sic_splitter_feed(l->split, NULL, 0);
    l->finished = 1;
    return r;
  }
  if (r > 0 && l->max_output && sic_stream_bytes_out(l->stream) > l->max_output) {
    /* Stop before the chunk that crosses the limit: what came before is parsed, the rest of
     * an expanding upload is never produced. */
    if (l->started) sic_splitter_feed(l->split, NULL, 0);
    l->finished = 1;
    return sic_err_set(err, SIC_ELIMIT, "%s: decompression bomb: expands past %lld MiB (the limit), reading stopped",
                       l->path, (long long)(l->max_output >> 20));
  }
  if (r == 0) {
    l->finished = 1;
    if (!l->started) return 0;
    sic_splitter_feed(l->split, NULL, 0);
    return 1;
  }
  if (l->started && part != l->split_part) {
    /* Close the previous part before its successor's bytes go in. */
    sic_splitter_feed(l->split, NULL, 0);
    l->have_pending = 1;
    l->pending = data;
    l->pending_len = len;
    l->pending_part = part;
    return 1;
  }
  sic_splitter_feed(l->split, data, len);
  l->split_part = part;
  l->started = 1;
  return 1;
}

int sic_lines_next(sic_lines *l, sic_line *line, sic_err *err) {
  for (;;) {
    int r = sic_splitter_next(l->split, line);
    if (r == 1) {
      line->part = l->split_part;
      return 1;
    }
    if (r < 0) return sic_err_set(err, r, "out of memory assembling a long line");
    if (l->error_rc) {
      /* Lines completed before the error are out; a partial line of the failing part is
       * not a line and is dropped. */
      if (err) *err = l->error;
      return l->error_rc;
    }
    r = refill(l, &l->error);
    if (r < 0) l->error_rc = r;
    else if (r == 0) return 0;
  }
}

void sic_lines_free(sic_lines *l) {
  if (!l) return;
  sic_stream_free(l->stream);
  sic_splitter_free(l->split);
  free(l->path);
  free(l);
}

const sic_stream *sic_lines_stream(const sic_lines *l) { return l->stream; }
