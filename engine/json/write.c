/* Streaming JSON writer (see write.h). */
#include "json/write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void sic_jw_init(sic_jw *w, int pretty) {
  memset(w, 0, sizeof *w);
  w->pretty = pretty;
}

void sic_jw_free(sic_jw *w) {
  free(w->buf);
  w->buf = NULL;
  w->len = w->cap = 0;
}

void sic_jw_reset(sic_jw *w) {
  int pretty = w->pretty;
  char *buf = w->buf;
  size_t cap = w->cap;
  sic_jw_init(w, pretty);
  w->buf = buf;
  w->cap = cap;
  if (buf) buf[0] = 0;
}

int sic_jw_status(const sic_jw *w) {
  if (w->status) return w->status;
  if (w->depth || w->after_key) return SIC_EINVAL; /* unclosed container or dangling key */
  return 0;
}

char *sic_jw_take(sic_jw *w, size_t *len) {
  if (sic_jw_status(w)) return NULL;
  if (!w->buf && (w->buf = calloc(1, 1)) == NULL) return NULL;
  char *out = w->buf;
  if (len) *len = w->len;
  int pretty = w->pretty;
  sic_jw_init(w, pretty);
  return out;
}

/* ---- buffer ---- */

/* Make room for n more bytes plus the NUL; returns 0 or -1 (status set). */
static int reserve(sic_jw *w, size_t n) {
  if (w->status) return -1;
  if (w->len + n + 1 <= w->cap) return 0;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < w->len + n + 1) cap *= 2;
  char *nb = realloc(w->buf, cap);
  if (!nb) {
    w->status = SIC_ENOMEM;
    return -1;
  }
  w->buf = nb;
  w->cap = cap;
  return 0;
}

static void put(sic_jw *w, const char *s, size_t n) {
  if (reserve(w, n)) return;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = 0;
}

static void putc1(sic_jw *w, char c) {
  if (reserve(w, 1)) return;
  w->buf[w->len++] = c;
  w->buf[w->len] = 0;
}

static void newline_indent(sic_jw *w, int depth) {
  if (reserve(w, 1 + 2 * (size_t)depth)) return;
  w->buf[w->len++] = '\n';
  memset(w->buf + w->len, ' ', 2 * (size_t)depth);
  w->len += 2 * (size_t)depth;
  w->buf[w->len] = 0;
}

/* ---- structure ---- */

/* Called before every value: separators inside arrays, checks inside objects. */
static int before_value(sic_jw *w) {
  if (w->status) return -1;
  if (w->depth == 0) {
    if (w->len) w->status = SIC_EINVAL; /* a second top-level value */
    return w->status ? -1 : 0;
  }
  int d = w->depth - 1;
  if (w->is_obj[d]) {
    if (!w->after_key) {
      w->status = SIC_EINVAL; /* value inside an object without a key */
      return -1;
    }
    w->after_key = 0;
    return 0;
  }
  if (w->count[d] > 0) put(w, w->pretty ? ", " : ",", w->pretty ? 2 : 1);
  else if (w->pretty) putc1(w, ' ');
  w->count[d]++;
  return w->status ? -1 : 0;
}

static void open_container(sic_jw *w, int is_obj) {
  if (before_value(w)) return;
  if (w->depth >= SIC_JW_MAX_DEPTH) {
    w->status = SIC_EINVAL;
    return;
  }
  putc1(w, is_obj ? '{' : '[');
  w->is_obj[w->depth] = (uint8_t)is_obj;
  w->count[w->depth] = 0;
  w->depth++;
  w->obj_depth += is_obj;
}

void sic_jw_obj(sic_jw *w) { open_container(w, 1); }
void sic_jw_arr(sic_jw *w) { open_container(w, 0); }

void sic_jw_end(sic_jw *w) {
  if (w->status) return;
  if (w->depth == 0 || w->after_key) {
    w->status = SIC_EINVAL;
    return;
  }
  int d = --w->depth;
  if (w->is_obj[d]) {
    w->obj_depth--;
    if (w->pretty) {
      if (w->count[d] > 0) newline_indent(w, w->obj_depth);
      else putc1(w, ' ');
    }
    putc1(w, '}');
  } else {
    if (w->pretty) putc1(w, ' ');
    putc1(w, ']');
  }
}

/* ---- strings ---- */

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static void put_escaped(sic_jw *w, const char *str, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  /* Worst case 6 bytes per input byte ("\u00XX"); reserve once. */
  if (reserve(w, n * 6 + 2)) return;
  char *o = w->buf + w->len;
  *o++ = '"';
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      *o++ = (char)c;
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t k = utf8_seq(s + i, n - i);
      if (k) {
        memcpy(o, s + i, k);
        o += k;
        i += k;
      } else { /* invalid byte: U+FFFD (3 bytes, fits in the 6 reserved) */
        *o++ = (char)0xEF, *o++ = (char)0xBF, *o++ = (char)0xBD;
        i++;
      }
      continue;
    }
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    default:
      *o++ = 'u', *o++ = '0', *o++ = '0';
      *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
    i++;
  }
  *o++ = '"';
  w->len = (size_t)(o - w->buf);
  w->buf[w->len] = 0;
}

void sic_jw_keyn(sic_jw *w, const char *key, size_t n) {
  if (w->status) return;
  int d = w->depth - 1;
  if (d < 0 || !w->is_obj[d] || w->after_key) {
    w->status = SIC_EINVAL;
    return;
  }
  if (w->count[d] > 0) putc1(w, ',');
  if (w->pretty) newline_indent(w, w->obj_depth);
  w->count[d]++;
  put_escaped(w, key, n);
  if (w->pretty) put(w, " : ", 3);
  else putc1(w, ':');
  w->after_key = 1;
}

void sic_jw_key(sic_jw *w, const char *key) { sic_jw_keyn(w, key, strlen(key)); }

void sic_jw_strn(sic_jw *w, const char *s, size_t n) {
  if (before_value(w)) return;
  put_escaped(w, s, n);
}

void sic_jw_str(sic_jw *w, const char *s) {
  if (!s) sic_jw_null(w);
  else sic_jw_strn(w, s, strlen(s));
}

/* ---- numbers and literals ---- */

void sic_jw_uint(sic_jw *w, uint64_t v) {
  if (before_value(w)) return;
  char tmp[24];
  int i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(w, tmp + i, sizeof tmp - (size_t)i);
}

void sic_jw_int(sic_jw *w, int64_t v) {
  if (v >= 0) {
    sic_jw_uint(w, (uint64_t)v);
    return;
  }
  if (before_value(w)) return;
  char tmp[24];
  int i = sizeof tmp;
  uint64_t u = (uint64_t)0 - (uint64_t)v; /* well-defined for INT64_MIN too */
  do {
    tmp[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  tmp[--i] = '-';
  put(w, tmp + i, sizeof tmp - (size_t)i);
}

/* Shortest decimal digits that read back as v: digits into dig (no point), returns the count
 * and sets *exp10 so that v = 0.d1d2d3... * 10^(exp10+1), i.e. d1.d2d3... * 10^exp10. */
static int shortest_digits(double v, char *dig, int *exp10) {
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    if (prec == 17 || strtod(tmp, NULL) == v) break;
  }
  /* tmp is "d.ddde[+-]xx" (v > 0 here). */
  int n = 0;
  const char *p = tmp;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') dig[n++] = *p;
  *exp10 = atoi(p + 1);
  while (n > 1 && dig[n - 1] == '0') n--; /* Java never prints trailing zeros */
  dig[n] = 0;
  return n;
}

size_t sic_jw_format_double(double v, char *out) {
  if (isnan(v)) return (size_t)sprintf(out, "NaN");
  if (isinf(v)) return (size_t)sprintf(out, v > 0 ? "Infinity" : "-Infinity");
  char *o = out;
  if (signbit(v)) *o++ = '-', v = -v;
  if (v == 0) return (size_t)(o - out) + (size_t)sprintf(o, "0.0");
  if (v < 1e7 && v == floor(v)) /* fast path: integral values, the common case here */
    return (size_t)(o - out) + (size_t)sprintf(o, "%.0f.0", v);
  char dig[24];
  int e;
  int n = shortest_digits(v, dig, &e);
  if (e >= -3 && e < 7) { /* plain notation, as Java does for 1e-3 <= |v| < 1e7 */
    if (e < 0) {
      *o++ = '0', *o++ = '.';
      for (int i = -1; i > e; i--) *o++ = '0';
      memcpy(o, dig, (size_t)n), o += n;
    } else {
      for (int i = 0; i <= e; i++) *o++ = i < n ? dig[i] : '0';
      *o++ = '.';
      if (n > e + 1) memcpy(o, dig + e + 1, (size_t)(n - e - 1)), o += n - e - 1;
      else *o++ = '0';
    }
  } else { /* computerized scientific notation: d.dddE[-]x */
    *o++ = dig[0], *o++ = '.';
    if (n > 1) memcpy(o, dig + 1, (size_t)(n - 1)), o += n - 1;
    else *o++ = '0';
    o += sprintf(o, "E%d", e);
  }
  *o = 0;
  return (size_t)(o - out);
}

void sic_jw_double(sic_jw *w, double v) {
  char tmp[40];
  size_t n = sic_jw_format_double(v, tmp);
  if (!isfinite(v)) {
    sic_jw_strn(w, tmp, n);
    return;
  }
  if (before_value(w)) return;
  put(w, tmp, n);
}

void sic_jw_bool(sic_jw *w, int v) {
  if (before_value(w)) return;
  if (v) put(w, "true", 4);
  else put(w, "false", 5);
}

void sic_jw_null(sic_jw *w) {
  if (before_value(w)) return;
  put(w, "null", 4);
}

void sic_jw_raw(sic_jw *w, const char *json, size_t n) {
  if (before_value(w)) return;
  put(w, json, n);
}

/* ---- key + value shorthands ---- */

void sic_jw_kstr(sic_jw *w, const char *key, const char *s) { sic_jw_key(w, key), sic_jw_str(w, s); }
void sic_jw_kint(sic_jw *w, const char *key, int64_t v) { sic_jw_key(w, key), sic_jw_int(w, v); }
void sic_jw_kdouble(sic_jw *w, const char *key, double v) { sic_jw_key(w, key), sic_jw_double(w, v); }
void sic_jw_kbool(sic_jw *w, const char *key, int v) { sic_jw_key(w, key), sic_jw_bool(w, v); }
void sic_jw_knull(sic_jw *w, const char *key) { sic_jw_key(w, key), sic_jw_null(w); }
void sic_jw_kobj(sic_jw *w, const char *key) { sic_jw_key(w, key), sic_jw_obj(w); }
void sic_jw_karr(sic_jw *w, const char *key) { sic_jw_key(w, key), sic_jw_arr(w); }
