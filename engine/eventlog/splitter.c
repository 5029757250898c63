/* Line splitter over caller-fed chunks (see eventlog.h).
 *
 * Lines that lie wholly inside a fed chunk are handed out as pointers into that chunk (zero
 * copy). Only a line that straddles two chunks is reassembled in the splitter's own `carry`
 * buffer, so for an mmap'd file fed as one chunk nothing is ever copied. Newlines are found
 * with memchr (vectorised in glibc), never byte by byte.
 *
 * With a line limit (sic_splitter_set_max_line), a line longer than the limit is never held
 * whole: once it passes the limit the splitter yields it as `too_long` (no bytes), drops
 * what it had carried and discards the rest of it up to its '\n', so memory stays bounded by
 * the limit whatever the input.
 *
 * Ownership: the splitter owns `carry`; chunks stay owned by the caller and must stay valid
 * until sic_splitter_next() has returned 0 for them. A yielded line stays valid until the
 * next call on the splitter. */
#include "eventlog/eventlog.h"

#include <stdlib.h>
#include <string.h>

struct sic_splitter {
  const char *chunk;      /* chunk being split (caller-owned), NULL when none */
  size_t chunk_len;       /* bytes in chunk */
  size_t pos;             /* first byte of chunk not yet consumed */
  int end_pending;        /* 1: end of part was fed; flush carry once chunk is consumed */
  char *carry;            /* start of a line whose '\n' is not yet seen (owned) */
  size_t carry_len;       /* bytes used in carry */
  size_t carry_cap;       /* bytes allocated for carry */
  int carry_handed_out;   /* 1: carry was yielded as a line; empty it on the next call */
  size_t part;            /* index of the part being split (counts ends of part) */
  int64_t lineno;         /* lines started so far in this part, empty ones included */
  size_t max_line;        /* longest line yielded whole, bytes; 0 = no limit */
  sic_splitter_release_fn release; /* told about long stretches of chunk bytes scanned and no
                                      longer needed in memory, or NULL */
  void *release_ctx;      /* its argument */
  int skipping;           /* 1: discarding the rest of a too-long line up to its '\n' */
};

sic_splitter *sic_splitter_new(void) { return calloc(1, sizeof(sic_splitter)); }

void sic_splitter_set_max_line(sic_splitter *s, size_t max_line) { s->max_line = max_line; }

void sic_splitter_set_release(sic_splitter *s, sic_splitter_release_fn fn, void *ctx) {
  s->release = fn;
  s->release_ctx = ctx;
}

/* Searching a long stretch for '\n' goes in steps of this many bytes; after each step the
 * caller (sic_lines over an mmap'd file) may drop the scanned pages, which a line that does
 * end in time simply faults in again. Short lines never see a step boundary. */
#define SPLIT_STEP ((size_t)8 << 20)

/* memchr over n bytes from p in steps, releasing each fully scanned step. */
static const char *find_newline(sic_splitter *s, const char *p, size_t n) {
  if (!s->release || n <= SPLIT_STEP) return memchr(p, '\n', n);
  for (size_t off = 0; off < n; off += SPLIT_STEP) {
    size_t k = n - off < SPLIT_STEP ? n - off : SPLIT_STEP;
    const char *nl = memchr(p + off, '\n', k);
    if (nl) return nl;
    s->release(s->release_ctx, p + off, k);
  }
  return NULL;
}

void sic_splitter_free(sic_splitter *s) {
  if (!s) return;
  free(s->carry);
  free(s);
}

/* Append to carry, growing geometrically so a long line costs amortised O(n). */
static int carry_append(sic_splitter *s, const char *p, size_t n) {
  if (s->carry_len + n > s->carry_cap) {
    size_t cap = s->carry_cap ? s->carry_cap : 4096;
    while (cap < s->carry_len + n) cap *= 2;
    char *grown = realloc(s->carry, cap);
    if (!grown) return SIC_ENOMEM;
    s->carry = grown;
    s->carry_cap = cap;
  }
  if (n) memcpy(s->carry + s->carry_len, p, n);
  s->carry_len += n;
  return 0;
}

/* A caller that feeds again before draining would lose bytes; keep them in carry instead.
 * An allocation failure here is reported by the next sic_splitter_next via `chunk`. */
static void save_unconsumed(sic_splitter *s) {
  if (s->carry_handed_out) {
    s->carry_len = 0;
    s->carry_handed_out = 0;
  }
  if (s->chunk && s->pos < s->chunk_len) carry_append(s, s->chunk + s->pos, s->chunk_len - s->pos);
  s->chunk = NULL;
  s->chunk_len = s->pos = 0;
}

void sic_splitter_feed(sic_splitter *s, const char *data, size_t len) {
  save_unconsumed(s);
  if (!data || !len) {
    if (!data) s->end_pending = 1;
    return;
  }
  s->chunk = data;
  s->chunk_len = len;
  s->pos = 0;
}

/* Fill *line; returns 1 when it is non-empty after stripping a trailing '\r'. */
static int emit(sic_splitter *s, sic_line *line, const char *p, size_t len, int unterminated) {
  if (len && p[len - 1] == '\r') len--;
  if (!len) return 0;
  line->p = p;
  line->len = len;
  line->part = s->part;
  line->lineno = s->lineno;
  line->unterminated = unterminated;
  line->too_long = 0;
  return 1;
}

/* The line being assembled passed the limit after `seen` bytes: yield it as too long (its
 * number is the one it would get at its '\n'), free what was carried, skip the rest. */
static int give_up_line(sic_splitter *s, sic_line *line, size_t seen) {
  memset(line, 0, sizeof *line);
  line->len = seen;
  line->part = s->part;
  line->lineno = s->lineno + 1;
  line->too_long = 1;
  free(s->carry); /* the carry grew to the limit: give the memory back, not just reuse it */
  s->carry = NULL;
  s->carry_len = s->carry_cap = 0;
  s->skipping = 1;
  return 1;
}

/* Discard bytes of a too-long line; 1 when its '\n' was found. */
static int skip_rest(sic_splitter *s) {
  const char *start = s->chunk + s->pos;
  size_t avail = s->chunk_len - s->pos;
  const char *nl = find_newline(s, start, avail);
  if (!nl) {
    s->pos = s->chunk_len;
    return 0;
  }
  s->pos += (size_t)(nl - start) + 1;
  s->lineno++;
  s->skipping = 0;
  return 1;
}

/* The end of the part was fed and the chunk is used up: flush a final line without '\n'. */
static int finish_part(sic_splitter *s, sic_line *line) {
  int got = 0;
  s->end_pending = 0;
  if (s->skipping) { /* the part ended inside a too-long line: it was reported already */
    s->skipping = 0;
    s->carry_len = 0;
  }
  if (s->carry_len) {
    s->lineno++;
    got = emit(s, line, s->carry, s->carry_len, 1);
    if (got) s->carry_handed_out = 1;
    else s->carry_len = 0;
  }
  s->part++;
  s->lineno = 0;
  return got;
}

int sic_splitter_next(sic_splitter *s, sic_line *line) {
  if (s->carry_handed_out) {
    s->carry_len = 0;
    s->carry_handed_out = 0;
  }
  while (s->chunk && s->pos < s->chunk_len) {
    if (s->skipping && !skip_rest(s)) break;
    if (s->pos >= s->chunk_len) break;
    const char *start = s->chunk + s->pos;
    size_t avail = s->chunk_len - s->pos;
    /* With a limit, look no further than one byte past it: a longer line is never scanned
     * (nor paged in) whole before it is given up. */
    size_t window = avail;
    if (s->max_line && window > s->max_line - s->carry_len + 1) window = s->max_line - s->carry_len + 1;
    const char *nl = find_newline(s, start, window);
    if (!nl && s->max_line && s->carry_len + window > s->max_line) {
      s->pos += window;
      return give_up_line(s, line, s->carry_len + window);
    }
    if (!nl) {
      /* The rest of the chunk begins a line that continues in the next chunk. */
      if (carry_append(s, start, avail)) return SIC_ENOMEM;
      s->pos = s->chunk_len;
      break;
    }
    size_t n = (size_t)(nl - start);
    s->pos += n + 1;
    s->lineno++;
    if (s->carry_len) {
      if (carry_append(s, start, n)) return SIC_ENOMEM;
      if (emit(s, line, s->carry, s->carry_len, 0)) {
        s->carry_handed_out = 1;
        return 1;
      }
      s->carry_len = 0;
      continue;
    }
    if (emit(s, line, start, n, 0)) return 1;
  }
  if (s->end_pending && finish_part(s, line)) return 1;
  return 0;
}
