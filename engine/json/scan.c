/* JSON scanner: see scan.h for the contract. The two hot loops (string bodies and skipped
 * containers) look at 16 bytes at a time with SSE2 where available. */
#include "json/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define SIC_HAVE_SSE2 1
#endif

void sic_json_init(sic_jscan *s, const char *p, size_t len) {
  s->start = p;
  s->p = p;
  s->end = p + len;
  s->err = NULL;
  s->err_off = 0;
  s->max_depth = 1024;
}

int sic_json_fail(sic_jscan *s, const char *msg) {
  if (!s->err) {
    s->err = msg;
    s->err_off = (size_t)(s->p - s->start);
    s->p = s->end; /* every later call sees end of input and fails fast */
  }
  return -1;
}

static inline void skip_ws(sic_jscan *s) {
  const char *p = s->p, *e = s->end;
  while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  s->p = p;
}

sic_jtype sic_json_peek(sic_jscan *s) {
  if (s->err) return SIC_JT_ERROR;
  skip_ws(s);
  if (s->p >= s->end) return SIC_JT_ERROR;
  switch (*s->p) {
  case '{': return SIC_JT_OBJECT;
  case '[': return SIC_JT_ARRAY;
  case '"': return SIC_JT_STRING;
  case 't': return SIC_JT_TRUE;
  case 'f': return SIC_JT_FALSE;
  case 'n': return SIC_JT_NULL;
  case '-': case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9': return SIC_JT_NUMBER;
  default: return SIC_JT_ERROR;
  }
}

static inline int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Position of the first '"', '\\' or control byte at or after p (e if none). */
static inline const char *find_string_stop(const char *p, const char *e) {
#ifdef SIC_HAVE_SSE2
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1f);
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
    /* unsigned v <= 0x1f  <=>  min(v, 0x1f) == v */
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
    int mask = _mm_movemask_epi8(m);
    if (mask) return p + __builtin_ctz((unsigned)mask);
    p += 16;
  }
#endif
  while (p < e) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\' || c < 0x20) return p;
    p++;
  }
  return e;
}

/* Cursor on the opening quote. Validates the body and leaves the cursor after the closing
 * quote. */
static int scan_string(sic_jscan *s, sic_jstr *out) {
  const char *p = s->p + 1, *e = s->end, *body = p;
  int escaped = 0;
  for (;;) {
    p = find_string_stop(p, e);
    if (p >= e) { s->p = e; return sic_json_fail(s, "unterminated string"); }
    if (*p == '"') break;
    if (*p != '\\') { s->p = p; return sic_json_fail(s, "control character in string"); }
    escaped = 1;
    if (e - p < 2) { s->p = p; return sic_json_fail(s, "unterminated escape"); }
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      p += 2;
      break;
    case 'u':
      if (e - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 || hexval(p[5]) < 0) {
        s->p = p;
        return sic_json_fail(s, "bad \\u escape");
      }
      p += 6;
      break;
    default:
      s->p = p;
      return sic_json_fail(s, "bad escape");
    }
  }
  if (out) {
    out->p = body;
    out->len = (size_t)(p - body);
    out->escaped = escaped;
  }
  s->p = p + 1;
  return 0;
}

int sic_json_str(sic_jscan *s, sic_jstr *out) {
  if (sic_json_peek(s) != SIC_JT_STRING) return sic_json_fail(s, "expected string");
  return scan_string(s, out);
}

/* Validates the number grammar at p; returns the end, or NULL. Sets *is_int when there is
 * neither fraction nor exponent. */
static const char *number_end(const char *p, const char *e, int *is_int) {
  *is_int = 1;
  if (p < e && *p == '-') p++;
  if (p >= e) return NULL;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') { while (p < e && *p >= '0' && *p <= '9') p++; }
  else return NULL;
  if (p < e && *p == '.') {
    *is_int = 0;
    p++;
    if (p >= e || *p < '0' || *p > '9') return NULL;
    while (p < e && *p >= '0' && *p <= '9') p++;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    *is_int = 0;
    p++;
    if (p < e && (*p == '+' || *p == '-')) p++;
    if (p >= e || *p < '0' || *p > '9') return NULL;
    while (p < e && *p >= '0' && *p <= '9') p++;
  }
  return p;
}

/* Digits of a validated integer literal -> int64, saturating. */
static int64_t int_digits(const char *p, const char *e) {
  int neg = 0;
  if (*p == '-') { neg = 1; p++; }
  uint64_t v = 0;
  const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; p < e; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (limit - d) / 10) return neg ? INT64_MIN : INT64_MAX;
    v = v * 10 + d;
  }
  if (neg) return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  return (int64_t)v;
}

/* Validated number text -> double. strtod needs a NUL-terminated copy. */
static int number_to_f64(const char *p, size_t n, double *out) {
  char buf[512];
  if (n >= sizeof buf) return -1;
  memcpy(buf, p, n);
  buf[n] = 0;
  *out = strtod(buf, NULL);
  return 0;
}

static int64_t f64_to_i64(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0) return INT64_MAX;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)d;
}

int sic_json_parse_i64(const char *p, size_t len, int64_t *out) {
  int is_int;
  const char *e = p + len;
  const char *ne = number_end(p, e, &is_int);
  if (!ne || ne != e) return -1;
  if (is_int) { *out = int_digits(p, e); return 0; }
  double d;
  if (number_to_f64(p, len, &d) < 0) return -1;
  *out = f64_to_i64(d);
  return 0;
}

int sic_json_i64(sic_jscan *s, int64_t *out) {
  if (sic_json_peek(s) != SIC_JT_NUMBER) return sic_json_fail(s, "expected number");
  const char *p = s->p, *e = s->end;
  /* Fast path: up to 18 plain digits cannot overflow. */
  const char *q = p;
  int neg = 0;
  if (*q == '-') { neg = 1; q++; }
  if (q < e && *q >= '1' && *q <= '9') {
    uint64_t v = 0;
    const char *d0 = q;
    while (q < e && *q >= '0' && *q <= '9' && q - d0 < 18) v = v * 10 + (unsigned)(*q++ - '0');
    if (q >= e || (*q != '.' && *q != 'e' && *q != 'E' && (*q < '0' || *q > '9'))) {
      *out = neg ? -(int64_t)v : (int64_t)v;
      s->p = q;
      return 0;
    }
  }
  int is_int;
  const char *ne = number_end(p, e, &is_int);
  if (!ne) return sic_json_fail(s, "bad number");
  if (sic_json_parse_i64(p, (size_t)(ne - p), out) < 0) return sic_json_fail(s, "number too long");
  s->p = ne;
  return 0;
}

int sic_json_f64(sic_jscan *s, double *out) {
  if (sic_json_peek(s) != SIC_JT_NUMBER) return sic_json_fail(s, "expected number");
  int is_int;
  const char *ne = number_end(s->p, s->end, &is_int);
  if (!ne) return sic_json_fail(s, "bad number");
  if (number_to_f64(s->p, (size_t)(ne - s->p), out) < 0) return sic_json_fail(s, "number too long");
  s->p = ne;
  return 0;
}

static int literal(sic_jscan *s, const char *lit, size_t n) {
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return sic_json_fail(s, "bad literal");
  s->p += n;
  return 0;
}

int sic_json_bool(sic_jscan *s, int *out) {
  sic_jtype t = sic_json_peek(s);
  if (t == SIC_JT_TRUE) { *out = 1; return literal(s, "true", 4); }
  if (t == SIC_JT_FALSE) { *out = 0; return literal(s, "false", 5); }
  return sic_json_fail(s, "expected true or false");
}

int sic_json_null(sic_jscan *s) {
  if (sic_json_peek(s) != SIC_JT_NULL) return sic_json_fail(s, "expected null");
  return literal(s, "null", 4);
}

int sic_json_obj_begin(sic_jscan *s, sic_jiter *it) {
  it->n = 0;
  if (sic_json_peek(s) != SIC_JT_OBJECT) return sic_json_fail(s, "expected '{'");
  s->p++;
  return 0;
}

int sic_json_arr_begin(sic_jscan *s, sic_jiter *it) {
  it->n = 0;
  if (sic_json_peek(s) != SIC_JT_ARRAY) return sic_json_fail(s, "expected '['");
  s->p++;
  return 0;
}

int sic_json_obj_next(sic_jscan *s, sic_jiter *it, sic_jstr *key) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->p >= s->end) return sic_json_fail(s, "unterminated object");
  if (*s->p == '}') { s->p++; return 0; }
  if (it->n > 0) {
    if (*s->p != ',') return sic_json_fail(s, "expected ',' or '}'");
    s->p++;
    skip_ws(s);
  }
  if (s->p >= s->end || *s->p != '"') return sic_json_fail(s, "expected string key");
  if (scan_string(s, key) < 0) return -1;
  skip_ws(s);
  if (s->p >= s->end || *s->p != ':') return sic_json_fail(s, "expected ':'");
  s->p++;
  it->n++;
  return 1;
}

int sic_json_arr_next(sic_jscan *s, sic_jiter *it) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->p >= s->end) return sic_json_fail(s, "unterminated array");
  if (*s->p == ']') { s->p++; return 0; }
  if (it->n > 0) {
    if (*s->p != ',') return sic_json_fail(s, "expected ',' or ']'");
    s->p++;
  }
  it->n++;
  return 1;
}

/* Position of the next '"', '{', '}', '[' or ']' at or after p (e if none). */
static inline const char *find_structural(const char *p, const char *e) {
#ifdef SIC_HAVE_SSE2
  const __m128i q = _mm_set1_epi8('"'), ob = _mm_set1_epi8('{'), cb = _mm_set1_epi8('}');
  const __m128i os = _mm_set1_epi8('['), cs = _mm_set1_epi8(']');
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, ob));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, cb));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, os));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, cs));
    int mask = _mm_movemask_epi8(m);
    if (mask) return p + __builtin_ctz((unsigned)mask);
    p += 16;
  }
#endif
  while (p < e && *p != '"' && *p != '{' && *p != '}' && *p != '[' && *p != ']') p++;
  return p;
}

/* Skip a container: the cursor is on '{' or '['. A bit stack (1 = object) checks that every
 * closing bracket matches its opener. */
static int skip_container(sic_jscan *s) {
  uint64_t kinds[16];                 /* 1024 levels of nesting */
  int depth = 0, limit = s->max_depth > 1024 ? 1024 : s->max_depth;
  const char *p = s->p, *e = s->end;
  for (;;) {
    p = find_structural(p, e);
    if (p >= e) { s->p = e; return sic_json_fail(s, "unterminated object or array"); }
    char c = *p;
    if (c == '"') {
      s->p = p;
      if (scan_string(s, NULL) < 0) return -1;
      p = s->p;
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth >= limit) { s->p = p; return sic_json_fail(s, "nesting too deep"); }
      uint64_t bit = (uint64_t)1 << (depth & 63);
      if (c == '{') kinds[depth >> 6] |= bit; else kinds[depth >> 6] &= ~bit;
      depth++;
      p++;
      continue;
    }
    /* closing bracket */
    if (depth == 0) { s->p = p; return sic_json_fail(s, "unbalanced bracket"); }
    depth--;
    int is_obj = (int)((kinds[depth >> 6] >> (depth & 63)) & 1);
    if (is_obj != (c == '}')) { s->p = p; return sic_json_fail(s, "mismatched bracket"); }
    p++;
    if (depth == 0) { s->p = p; return 0; }
  }
}

int sic_json_skip(sic_jscan *s) {
  int is_int;
  const char *ne;
  switch (sic_json_peek(s)) {
  case SIC_JT_OBJECT:
  case SIC_JT_ARRAY: return skip_container(s);
  case SIC_JT_STRING: return scan_string(s, NULL);
  case SIC_JT_NUMBER:
    ne = number_end(s->p, s->end, &is_int);
    if (!ne) return sic_json_fail(s, "bad number");
    s->p = ne;
    return 0;
  case SIC_JT_TRUE: return literal(s, "true", 4);
  case SIC_JT_FALSE: return literal(s, "false", 5);
  case SIC_JT_NULL: return literal(s, "null", 4);
  default: return sic_json_fail(s, s->p >= s->end ? "unexpected end of input" : "expected a value");
  }
}

int sic_json_end(sic_jscan *s) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->p != s->end) return sic_json_fail(s, "trailing characters after JSON value");
  return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Four hex digits at p (validity is checked by scan_string; re-checked for direct callers). */
static int hex4(const char *p, const char *e, uint32_t *out) {
  if (e - p < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval((unsigned char)p[i]);
    if (h < 0) return -1;
    v = v << 4 | (uint32_t)h;
  }
  *out = v;
  return 0;
}

size_t sic_json_unescape(const sic_jstr *str, char *out) {
  if (str->len == 0) return 0; /* also covers an empty slice with p == NULL */
  const char *p = str->p, *e = str->p + str->len;
  char *o = out;
  if (!str->escaped) { memcpy(out, p, str->len); return str->len; }
  while (p < e) {
    if (*p != '\\' || e - p < 2) { *o++ = *p++; continue; }
    char c = p[1];
    p += 2;
    switch (c) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      uint32_t cp, lo;
      if (hex4(p, e, &cp) < 0) { o += put_utf8(o, 0xFFFD); break; }
      p += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (e - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, e, &lo) == 0 && lo >= 0xDC00 &&
            lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        } else {
          cp = 0xFFFD;
        }
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
      }
      o += put_utf8(o, cp);
      break;
    }
    default: *o++ = c; break; /* '"', '\\', '/' */
    }
  }
  return (size_t)(o - out);
}
