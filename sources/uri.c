/* URI parsing and redaction for sources/ (see source.h). Strict enough to reject what no
 * scheme can use, lenient about what only a later request would judge (paths are kept as
 * written). */
#include "sources/source.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode n bytes of s into a new string; NULL on a bad escape or no memory. */
static char *pct_decode(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[k++] = s[i];
      continue;
    }
    int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
    int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    out[k++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[k] = 0;
  return out;
}

void sic_uri_free(sic_uri *u) {
  if (!u) return;
  free(u->scheme);
  free(u->user);
  if (u->password) { /* do not leave a secret in freed memory */
    memset(u->password, 0, strlen(u->password));
    free(u->password);
  }
  free(u->host);
  free(u->path);
  free(u->query);
  memset(u, 0, sizeof *u);
}

static int parse_authority(const char *a, size_t n, sic_uri *u, sic_err *err) {
  const char *at = memrchr(a, '@', n);
  if (at) {
    const char *colon = memchr(a, ':', (size_t)(at - a));
    size_t ulen = colon ? (size_t)(colon - a) : (size_t)(at - a);
    u->user = pct_decode(a, ulen);
    if (colon) u->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
    if (!u->user || (colon && !u->password))
      return sic_err_set(err, SIC_EINVAL, "bad percent-escape in the user part of a %s:// URI", u->scheme);
    n -= (size_t)(at + 1 - a);
    a = at + 1;
  }
  const char *host_end = a + n, *port = NULL;
  if (n && a[0] == '[') { /* IPv6 literal */
    const char *close = memchr(a, ']', n);
    if (!close) return sic_err_set(err, SIC_EINVAL, "unclosed '[' in the host of a %s:// URI", u->scheme);
    u->host = strndup(a + 1, (size_t)(close - a - 1));
    if (close + 1 < a + n) {
      if (close[1] != ':') return sic_err_set(err, SIC_EINVAL, "junk after ']' in a %s:// URI", u->scheme);
      port = close + 2;
    }
  } else {
    const char *colon = memrchr(a, ':', n);
    if (colon) {
      host_end = colon;
      port = colon + 1;
    }
    u->host = strndup(a, (size_t)(host_end - a));
  }
  if (!u->host) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (port) {
    long v = 0;
    const char *p = port;
    for (; p < a + n; p++) {
      if (!isdigit((unsigned char)*p) || v > 65535) break;
      v = v * 10 + (*p - '0');
    }
    if (p != a + n || p == port || v < 1 || v > 65535)
      return sic_err_set(err, SIC_EINVAL, "bad port in %s://%s URI (1-65535 expected)", u->scheme, u->host);
    u->port = (int)v;
  }
  return 0;
}

int sic_uri_parse(const char *text, sic_uri *u, sic_err *err) {
  memset(u, 0, sizeof *u);
  if (!text || !sic_path_is_uri(text)) return sic_err_set(err, SIC_EINVAL, "not a URI (scheme://...)");
  const char *sep = strstr(text, "://");
  u->scheme = strndup(text, (size_t)(sep - text));
  if (!u->scheme) goto nomem;
  for (char *p = u->scheme; *p; p++) *p = (char)tolower((unsigned char)*p);
  const char *auth = sep + 3;
  size_t alen = strcspn(auth, "/?#");
  int rc = parse_authority(auth, alen, u, err);
  if (rc) goto error;
  const char *rest = auth + alen;
  size_t plen = strcspn(rest, "?#");
  u->path = strndup(rest, plen);
  if (!u->path) goto nomem;
  if (rest[plen] == '?') {
    const char *q = rest + plen + 1;
    u->query = strndup(q, strcspn(q, "#"));
    if (!u->query) goto nomem;
  }
  for (const char *p = text; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == ' ') {
      rc = sic_err_set(err, SIC_EINVAL, "a %s:// URI must not contain spaces or control characters", u->scheme);
      goto error;
    }
  return 0;
nomem:
  rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
error:
  sic_uri_free(u);
  return rc;
}

/* Query parameters whose values are secrets (compared case-insensitively): signatures and
 * SAS sig exactly, and any name mentioning a password, secret, token, key or credential
 * (e.g. "rdkafka.sasl.password"). */
static int secret_param(const char *name, size_t n) {
  static const char *const exact[] = {"sig", "signature", "code"};
  static const char *const parts[] = {"password", "secret", "token", "signature", "credential", "key"};
  char lower[128];
  if (n >= sizeof lower) return 1;
  for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)name[i]);
  lower[n] = 0;
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (!strcmp(lower, exact[i])) return 1;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (strstr(lower, parts[i])) return 1;
  return 0;
}

char *sic_uri_display(const char *text) {
  if (!text) return NULL;
  size_t n = strlen(text);
  char *out = malloc(9 * n + 16); /* every value could become "REDACTED" */
  if (!out) return NULL;
  const char *sep = sic_path_is_uri(text) ? strstr(text, "://") : NULL;
  size_t k = 0, i = 0;
  if (sep) {
    size_t head = (size_t)(sep + 3 - text);
    memcpy(out, text, head);
    k = i = head;
    size_t alen = strcspn(text + head, "/?#");
    const char *at = memrchr(text + head, '@', alen);
    if (at) i = (size_t)(at + 1 - text); /* drop user:password@ */
  }
  const char *q = strchr(text + i, '?');
  size_t upto = q ? (size_t)(q - text) + 1 : n;
  memcpy(out + k, text + i, upto - i);
  k += upto - i;
  i = upto;
  while (q && i < n && text[i] != '#') { /* one name=value pair per turn */
    size_t plen = strcspn(text + i, "&#");
    const char *eq = memchr(text + i, '=', plen);
    size_t nlen = eq ? (size_t)(eq - (text + i)) : plen;
    if (eq && secret_param(text + i, nlen)) {
      memcpy(out + k, text + i, nlen + 1);
      k += nlen + 1;
      memcpy(out + k, "REDACTED", 8);
      k += 8;
    } else {
      memcpy(out + k, text + i, plen);
      k += plen;
    }
    i += plen;
    if (i < n && text[i] == '&') out[k++] = text[i++];
  }
  if (i < n && text[i] == '#') { /* fragments never reach a server: keep */
    memcpy(out + k, text + i, n - i);
    k += n - i;
  }
  out[k] = 0;
  return out;
}
