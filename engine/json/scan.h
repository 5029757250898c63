/* JSON scanner for event-log lines: a pull cursor over one in-memory document.
 *
 * Written for the event-log hot path: nothing is allocated, strings come back as (ptr,len)
 * slices into the caller's buffer and are unescaped only on request, values nobody asked
 * for are skipped with a bracket-depth scan (strings inside them are still checked), and
 * the first error is sticky: every call after it returns an error and the cursor records
 * the byte offset and a message ("expected ':' at byte 17").
 *
 * Validation: everything read through the typed calls is checked against the JSON grammar
 * (RFC 8259), including escapes, control characters in strings and number syntax. A
 * skipped object or array is checked for matching brackets and well-formed strings only
 * (separators and scalars inside it are not re-checked; that is what makes skipping cheap).
 *
 * Ownership: the scanner borrows the input buffer; it owns nothing and needs no cleanup. */
#ifndef SIC_JSON_SCAN_H
#define SIC_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum sic_jtype {
  SIC_JT_ERROR = 0,   /* end of input or a byte that cannot start a value */
  SIC_JT_OBJECT,
  SIC_JT_ARRAY,
  SIC_JT_STRING,
  SIC_JT_NUMBER,
  SIC_JT_TRUE,
  SIC_JT_FALSE,
  SIC_JT_NULL
} sic_jtype;

typedef struct sic_jscan {
  const char *start;      /* first byte of the document (for error offsets) */
  const char *p;          /* cursor */
  const char *end;        /* one past the last byte */
  const char *err;        /* first error message (static string), NULL while fine */
  size_t err_off;         /* byte offset of the first error */
  int max_depth;          /* nesting limit for skipping (default 1024) */
} sic_jscan;

typedef struct sic_jstr {
  const char *p;          /* first byte after the opening quote */
  size_t len;             /* raw length (escapes not decoded) */
  int escaped;            /* 1 when the raw text contains a backslash */
} sic_jstr;

/* Iteration state of one object or array (a counter; no pointers). */
typedef struct sic_jiter {
  int n;                  /* members/elements consumed so far */
} sic_jiter;

void sic_json_init(sic_jscan *s, const char *p, size_t len);
/* Record an error at the cursor (only the first one is kept); returns -1. */
int sic_json_fail(sic_jscan *s, const char *msg);
/* Type of the next value (skips whitespace; does not consume). */
sic_jtype sic_json_peek(sic_jscan *s);

/* Objects: sic_json_obj_begin consumes '{'; then sic_json_obj_next returns 1 with *key set and
 * the ':' consumed (the caller must then read or skip the value), 0 after consuming '}', and
 * -1 on error. Arrays alike: sic_json_arr_next returns 1 when an element follows. */
int sic_json_obj_begin(sic_jscan *s, sic_jiter *it);
int sic_json_obj_next(sic_jscan *s, sic_jiter *it, sic_jstr *key);
int sic_json_arr_begin(sic_jscan *s, sic_jiter *it);
int sic_json_arr_next(sic_jscan *s, sic_jiter *it);

/* Scalars: 0 on success, -1 on error (sticky). */
int sic_json_str(sic_jscan *s, sic_jstr *out);
/* An integer. Numbers with a fraction/exponent are accepted and truncated toward zero;
 * values outside int64 saturate at INT64_MIN/INT64_MAX (never undefined behaviour). */
int sic_json_i64(sic_jscan *s, int64_t *out);
int sic_json_f64(sic_jscan *s, double *out);
int sic_json_bool(sic_jscan *s, int *out);
int sic_json_null(sic_jscan *s);
/* Skip any value (validating as described above). */
int sic_json_skip(sic_jscan *s);
/* After the top-level value: only whitespace may remain. */
int sic_json_end(sic_jscan *s);

/* Number text -> integer with the same rules as sic_json_i64; returns 0 when the whole
 * text is a JSON number, -1 otherwise (used for numbers logged as strings, "Update":"12"). */
int sic_json_parse_i64(const char *p, size_t len, int64_t *out);

/* Decode a string slice into out (at least s->len bytes; decoding never grows the text).
 * Invalid or lone surrogates become U+FFFD. Returns the decoded length. */
size_t sic_json_unescape(const sic_jstr *s, char *out);
/* Equality of two short byte ranges, inlined (keys and tokens are 2-40 bytes; a libc call
 * per key costs more than the comparison). */
static inline int sic_bytes_eq(const char *a, const char *b, size_t n) {
  while (n >= 8) {
    uint64_t x, y;
    __builtin_memcpy(&x, a, 8);
    __builtin_memcpy(&y, b, 8);
    if (x != y) return 0;
    a += 8;
    b += 8;
    n -= 8;
  }
  while (n--)
    if (*a++ != *b++) return 0;
  return 1;
}

/* Compare a slice with a NUL-free literal of known length. */
static inline int sic_jstr_eq(const sic_jstr *s, const char *lit, size_t n) {
  return s->len == n && sic_bytes_eq(s->p, lit, n);
}
#define SIC_JSTR_IS(s, lit) sic_jstr_eq((s), lit, sizeof(lit) - 1)

/* Fast member check for objects whose keys come in a known order: when the next member's
 * key token is exactly tok (the quoted key and its colon, e.g. "\"Task ID\":", written
 * without whitespace), consume it and return 1; otherwise consume nothing and return 0 (the
 * caller then uses sic_json_obj_next, which handles every other spelling). */
static inline int sic_json_try_key(sic_jscan *s, sic_jiter *it, const char *tok, size_t n) {
  const char *p = s->p;
  if (it->n > 0) {
    if (p >= s->end || *p != ',') return 0;
    p++;
  }
  if ((size_t)(s->end - p) < n || !sic_bytes_eq(p, tok, n)) return 0;
  s->p = p + n;
  it->n++;
  return 1;
}

#endif
