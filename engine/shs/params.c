/* Request parsing and the formats the History Server uses for dates and numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shs/shs_internal.h"

/* ---- URL decoding and splitting ---- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decode s[0..n) into a new string; plus_is_space for query strings. */
static char *url_decode(const char *s, size_t n, int plus_is_space) {
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      *o++ = ' ';
    } else {
      *o++ = s[i];
    }
  }
  *o = 0;
  return out;
}

static int push_seg(shs_query *q, const char *s, size_t n) {
  char **ns = realloc(q->seg, (q->nseg + 1) * sizeof *ns);
  if (!ns) return SIC_ENOMEM;
  q->seg = ns;
  if (!(q->seg[q->nseg] = url_decode(s, n, 0))) return SIC_ENOMEM;
  q->nseg++;
  return 0;
}

static int push_param(shs_query *q, const char *s, size_t n) {
  if (n == 0) return 0;
  const char *eq = memchr(s, '=', n);
  size_t kn = eq ? (size_t)(eq - s) : n;
  shs_param *np = realloc(q->params, (q->nparams + 1) * sizeof *np);
  if (!np) return SIC_ENOMEM;
  q->params = np;
  shs_param *p = &q->params[q->nparams];
  p->key = url_decode(s, kn, 1);
  p->value = eq ? url_decode(eq + 1, n - kn - 1, 1) : url_decode("", 0, 1);
  if (!p->key || !p->value) {
    free(p->key);
    free(p->value);
    return SIC_ENOMEM;
  }
  q->nparams++;
  return 0;
}

int shs_query_parse(const char *in, shs_query *q) {
  memset(q, 0, sizeof *q);
  const char *p = in;
  if (!strncmp(p, "/api/v1/", 8)) p += 8;
  else if (!strncmp(p, "api/v1/", 7)) p += 7;
  while (*p == '/') p++;
  const char *qm = strchr(p, '?');
  size_t plen = qm ? (size_t)(qm - p) : strlen(p);
  size_t rawn = plen + 9;
  if (!(q->raw_path = malloc(rawn))) return SIC_ENOMEM;
  snprintf(q->raw_path, rawn, "/api/v1/%.*s", (int)plen, p);
  size_t i = 0;
  while (i < plen) {
    size_t j = i;
    while (j < plen && p[j] != '/') j++;
    if (j > i && push_seg(q, p + i, j - i)) return SIC_ENOMEM;
    i = j + 1;
  }
  if (qm) {
    const char *s = qm + 1;
    while (*s) {
      const char *amp = strchr(s, '&');
      size_t n = amp ? (size_t)(amp - s) : strlen(s);
      if (push_param(q, s, n)) return SIC_ENOMEM;
      s += n;
      if (*s == '&') s++;
    }
  }
  return 0;
}

void shs_query_free(shs_query *q) {
  for (size_t i = 0; i < q->nseg; i++) free(q->seg[i]);
  for (size_t i = 0; i < q->nparams; i++) free(q->params[i].key), free(q->params[i].value);
  free(q->seg);
  free(q->params);
  free(q->raw_path);
  memset(q, 0, sizeof *q);
}

const char *shs_param_get(const shs_query *q, const char *key) {
  for (size_t i = 0; i < q->nparams; i++)
    if (!strcmp(q->params[i].key, key)) return q->params[i].value;
  return NULL;
}

int shs_param_bool(const shs_query *q, const char *key, int def) {
  const char *v = shs_param_get(q, key);
  if (!v) return def;
  return strcasecmp(v, "true") == 0;
}

int shs_enum_parse(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (!strcasecmp(s, names[i])) return i;
  return -1;
}

/* ---- dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (any month/day, normalized). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  /* Normalize month into 1..12 first, carrying into the year (lenient like Java). */
  int64_t m0 = m - 1;
  y += m0 >= 0 ? m0 / 12 : -((11 - m0) / 12);
  m = ((m0 % 12) + 12) % 12 + 1;
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void shs_format_date(int64_t ms, char out[32]) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000; /* 0 .. 86399999 */
  /* civil_from_days */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char tmp[96];
  snprintf(tmp, sizeof tmp, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldGMT", (long long)y,
           (long long)m, (long long)d, (long long)(rem / 3600000), (long long)(rem / 60000 % 60),
           (long long)(rem / 1000 % 60), (long long)(rem % 1000));
  size_t n = strlen(tmp); /* always < 32 for real years; truncate defensively */
  if (n > 31) n = 31;
  memcpy(out, tmp, n);
  out[n] = 0;
}

/* Read an unsigned decimal number of at least one digit (SimpleDateFormat is lenient about
 * widths); returns chars consumed or 0. */
static int read_num(const char *s, int64_t *v) {
  int n = 0;
  int neg = 0;
  if (*s == '-') neg = 1, n++;
  if (!isdigit((unsigned char)s[n])) return 0;
  int64_t x = 0;
  while (isdigit((unsigned char)s[n]) && x < 100000000000LL) x = x * 10 + (s[n++] - '0');
  *v = neg ? -x : x;
  return n;
}

/* yyyy-MM-dd at s; returns chars consumed or 0. */
static int read_ymd(const char *s, int64_t *y, int64_t *m, int64_t *d) {
  int n = read_num(s, y), k;
  if (!n || s[n] != '-') return 0;
  n++;
  if (!(k = read_num(s + n, m)) || s[n + k] != '-') return 0;
  n += k + 1;
  if (!(k = read_num(s + n, d))) return 0;
  return n + k;
}

/* Time zone as SimpleDateFormat's 'z' accepts it: GMT/UTC[+-hh[:mm]], or +-hhmm.
 * Returns the offset in minutes via *off, 0 on success. */
static int read_zone(const char *s, int64_t *off) {
  *off = 0;
  if (!strncmp(s, "GMT", 3) || !strncmp(s, "UTC", 3)) s += 3;
  if (!*s) return 0;
  if (*s != '+' && *s != '-') return -1;
  int sign = *s == '-' ? -1 : 1;
  s++;
  int64_t h = 0, mi = 0;
  int n = 0;
  while (isdigit((unsigned char)s[n])) n++;
  if (n == 4 && !s[4]) {
    h = (s[0] - '0') * 10 + (s[1] - '0');
    mi = (s[2] - '0') * 10 + (s[3] - '0');
  } else if (n >= 1 && n <= 2) {
    h = atoi(s);
    if (s[n] == ':') {
      if (!isdigit((unsigned char)s[n + 1]) || !isdigit((unsigned char)s[n + 2])) return -1;
      mi = (s[n + 1] - '0') * 10 + (s[n + 2] - '0');
    }
  } else {
    return -1;
  }
  *off = sign * (h * 60 + mi);
  return 0;
}

int shs_parse_date_param(const char *s, int64_t *ms) {
  int64_t y, mo, d, h, mi, se, frac, off;
  int n = read_ymd(s, &y, &mo, &d), k;
  if (!n) return -1;
  const char *t = s + n;
  /* Full form first: yyyy-MM-dd'T'HH:mm:ss.SSSz */
  if (*t == 'T' && (k = read_num(t + 1, &h)) && t[1 + k] == ':') {
    const char *u = t + 2 + k;
    if ((k = read_num(u, &mi)) && u[k] == ':') {
      u += k + 1;
      if ((k = read_num(u, &se)) && u[k] == '.') {
        u += k + 1;
        if ((k = read_num(u, &frac)) && read_zone(u + k, &off) == 0) {
          int64_t days = days_from_civil(y, mo, d);
          *ms = days * 86400000 + h * 3600000 + mi * 60000 + se * 1000 + frac - off * 60000;
          return 0;
        }
      }
    }
  }
  /* Fallback: yyyy-MM-dd in GMT; like DateFormat.parse, trailing text is ignored. */
  *ms = days_from_civil(y, mo, d) * 86400000;
  return 0;
}

/* ---- numbers ---- */

int shs_parse_java_int(const char *s, int32_t *out) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  if (!*p) return -1;
  for (const char *c = p; *c; c++)
    if (!isdigit((unsigned char)*c)) return -1;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno || v < INT32_MIN || v > INT32_MAX) return -1;
  *out = (int32_t)v;
  return 0;
}

int shs_parse_java_double(const char *s, double *out) {
  /* Double.parseDouble trims characters <= ' ' at both ends. */
  while (*s && (unsigned char)*s <= ' ') s++;
  size_t n = strlen(s);
  while (n && (unsigned char)s[n - 1] <= ' ') n--;
  if (!n || n > 512) return -1;
  char buf[520];
  memcpy(buf, s, n);
  buf[n] = 0;
  const char *p = buf;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p == '-', p++;
  if (!strcmp(p, "NaN")) return *out = NAN, 0;
  if (!strcmp(p, "Infinity")) return *out = neg ? -INFINITY : INFINITY, 0;
  /* Java accepts a trailing float/double suffix; strtod does not. */
  if (n > 1 && strchr("fFdD", buf[n - 1])) buf[--n] = 0;
  /* Decimal digits with optional point and exponent (hex floats are rare enough to refuse). */
  const char *c = p;
  int digits = 0;
  while (isdigit((unsigned char)*c)) c++, digits++;
  if (*c == '.') {
    c++;
    while (isdigit((unsigned char)*c)) c++, digits++;
  }
  if (!digits) return -1;
  if (*c == 'e' || *c == 'E') {
    c++;
    if (*c == '+' || *c == '-') c++;
    if (!isdigit((unsigned char)*c)) return -1;
    while (isdigit((unsigned char)*c)) c++;
  }
  if (*c) return -1;
  *out = strtod(buf, NULL);
  return 0;
}
