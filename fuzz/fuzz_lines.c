/* libFuzzer target: the line splitter over arbitrary bytes cut into arbitrary chunks and
 * parts. Oracle: a direct split of each part (strip "\r\n", skip empty lines, count them)
 * must yield exactly the lines, numbers and unterminated flags the splitter produced.
 *
 * Input layout: byte 0 picks the chunk size, byte 1 the byte value that separates parts
 * (so multi-part logs are covered), the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"

/* Compare the next splitter line with the reference scan position. */
typedef struct ref_state {
  const uint8_t *text;   /* the part being checked */
  size_t len;            /* its length */
  size_t pos;            /* reference scan position */
  int64_t lineno;        /* reference line number */
} ref_state;

/* Advance the reference to its next non-empty line; 0 when none is left. */
static int ref_next(ref_state *r, const uint8_t **p, size_t *n, int64_t *lineno, int *unterminated) {
  while (r->pos < r->len) {
    const uint8_t *start = r->text + r->pos;
    const uint8_t *nl = memchr(start, '\n', r->len - r->pos);
    size_t l = nl ? (size_t)(nl - start) : r->len - r->pos;
    r->pos += l + (nl ? 1 : 0);
    r->lineno++;
    *unterminated = nl == NULL;
    if (l && start[l - 1] == '\r') l--;
    if (l) {
      *p = start;
      *n = l;
      *lineno = r->lineno;
      return 1;
    }
  }
  return 0;
}

static void check_line(ref_state *r, const sic_line *line, size_t part) {
  const uint8_t *p;
  size_t n;
  int64_t lineno;
  int unterminated;
  if (!ref_next(r, &p, &n, &lineno, &unterminated)) abort();           /* extra line */
  if (line->len != n || memcmp(line->p, p, n)) abort();                /* wrong text */
  if (line->lineno != lineno || line->unterminated != unterminated) abort();
  if (line->part != part) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  static const size_t chunks[] = {1, 2, 3, 7, 64, 255, 4096, SIZE_MAX};
  size_t chunk = chunks[data[0] % 8];
  uint8_t separator = data[1];
  const uint8_t *text = data + 2;
  size_t len = size - 2;
  sic_splitter *sp = sic_splitter_new();
  /* Chunks are copied into a scratch buffer that is overwritten, like decoder output. */
  char *scratch = malloc(chunk < size ? chunk : size);
  if (!sp || !scratch) abort();
  size_t part = 0, start = 0;
  sic_line line;
  while (start <= len) {
    const uint8_t *sep = separator ? memchr(text + start, separator, len - start) : NULL;
    size_t end = sep ? (size_t)(sep - text) : len;
    ref_state ref = {text + start, end - start, 0, 0};
    for (size_t off = start, n; off < end; off += n) {
      n = end - off < chunk ? end - off : chunk;
      memcpy(scratch, text + off, n);
      sic_splitter_feed(sp, scratch, n);
      int r;
      while ((r = sic_splitter_next(sp, &line)) == 1) check_line(&ref, &line, part);
      if (r < 0) abort();
    }
    sic_splitter_feed(sp, NULL, 0);
    while (sic_splitter_next(sp, &line) == 1) check_line(&ref, &line, part);
    const uint8_t *p;
    size_t n;
    int64_t no;
    int un;
    if (ref_next(&ref, &p, &n, &no, &un)) abort(); /* a line the splitter lost */
    part++;
    if (!sep) break;
    start = end + 1;
  }
  free(scratch);
  sic_splitter_free(sp);
  return 0;
}
