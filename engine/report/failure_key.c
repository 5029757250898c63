/* Failure message normalisation for grouping (see failure_key.h). One left-to-right pass over
 * the first line: a token that is a URI or a path becomes <path>, 0x-hex <hex>, a run of 8+
 * hex digits and dashes holding a digit <id>, and a number not glued to a letter before it
 * (so Log4j and x86_64 stay) <n>; runs of placeholders separated only by punctuation collapse
 * as they come, e.g. "10.0.0.5:45678" -> "<n>.<n>.<n>.<n>:<n>". */
#include "report/failure_key.h"

#include <ctype.h>
#include <string.h>

static int is_hex(int c) { return isxdigit((unsigned char)c); }
static int is_alnum(int c) { return isalnum((unsigned char)c) || c == '_'; }
static int ends_token(int c) { return c == 0 || c == '\n' || isspace((unsigned char)c) || c == ',' || c == ';' || c == ')' || c == ']' || c == '\'' || c == '"'; }

/* Appends s to out at *len (truncating at n - 1). */
static void put(char *out, size_t n, size_t *len, const char *s, size_t k) {
  if (*len + 1 >= n) return;
  if (k > n - 1 - *len) k = n - 1 - *len;
  memcpy(out + *len, s, k);
  *len += k;
}

/* Length of a URI ("scheme://...") or absolute path token starting at p, 0 when it is none. */
static size_t path_len(const char *p, int prev) {
  const char *q = p;
  if (*p == '/' && p[1] && !isspace((unsigned char)p[1]) && !is_alnum(prev)) {
    while (!ends_token(*q) && *q != ':') q++;
    return q - p > 1 && memchr(p + 1, '/', (size_t)(q - p - 1)) ? (size_t)(q - p) : 0;
  }
  if (isalpha((unsigned char)*q))
    while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.') q++; /* scheme: s3a, hdfs */
  if (q > p && !is_alnum(prev) && q[0] == ':' && q[1] == '/' && q[2] == '/') {
    while (!ends_token(*q)) q++;
    return (size_t)(q - p);
  }
  return 0;
}

char *sic_failure_key(const char *msg, char *out, size_t n) {
  size_t len = 0;
  int prev = ' ';
  for (const char *p = msg ? msg : ""; *p && *p != '\n' && *p != '\r';) {
    size_t k;
    if ((k = path_len(p, prev)) > 0) {
      put(out, n, &len, "<path>", 6);
      p += k;
    } else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2]) && !is_alnum(prev)) {
      put(out, n, &len, "<hex>", 5);
      for (p += 2; is_hex(*p); p++) {}
    } else if (is_hex(*p) && !is_alnum(prev)) {
      const char *q = p;
      int digit = 0, other = 0, hexes = 0;
      while (is_hex(*q) || *q == '-') {
        if (isdigit((unsigned char)*q)) digit = 1;
        else other = 1; /* a-f or a dash: not a plain number */
        hexes += *q != '-';
        q++;
      }
      if (hexes >= 8 && digit && other && !is_alnum(*q)) {
        put(out, n, &len, "<id>", 4);
        p = q;
      } else if (isdigit((unsigned char)*p)) {
        put(out, n, &len, "<n>", 3);
        while (isdigit((unsigned char)*p)) p++;
      } else {
        put(out, n, &len, p, 1);
        p++;
      }
    } else {
      put(out, n, &len, p, 1);
      p++;
    }
    prev = len > 0 ? out[len - 1] : ' ';
  }
  out[len] = 0;
  return out;
}
