/* Azure Storage Shared Key authorization (an account name and its base64 key), and the
 * connection strings that carry them.
 *
 * Every request is signed as it is sent (http.c calls az_shared_key_headers through
 * http_auth.sign), because the Range of a resumed body and x-ms-date change per attempt. The
 * string to sign is the Blob service's (version 2009-09-19 and later, as documented by
 * Microsoft): the verb, eleven standard header values (only Range is ever set here; a
 * Content-Length of 0 is written empty), the x-ms-* headers lower-cased and sorted as
 * "name:value" lines, then the canonicalized resource "/ACCOUNT" + the URL path as sent +
 * "\nname:value" per query parameter (names lower-cased and sorted, values decoded). Path-style
 * endpoints (Azurite) put the account in the path too, which the resource then holds twice, as
 * the emulator expects. Signature: base64(HMAC-SHA256(base64-decoded key, string to sign)).
 *
 * The key is secret: it is kept decoded in the http_auth (wiped on free) and never printed. */
#include "sources/source_internal.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AZ_KEY_MAX 128 /* decoded key bytes (Azure's are 64) */

/* Decode base64 into out (cap bytes); returns the length or -1 when text is not base64. */
static int b64_decode(const char *text, uint8_t *out, size_t cap) {
  size_t n = strlen(text);
  if (n == 0 || n % 4 || n / 4 * 3 > cap + 2) return -1;
  uint8_t *tmp = malloc(n / 4 * 3 + 1);
  if (!tmp) return -1;
  int len = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)n);
  if (len >= 0) len -= (text[n - 1] == '=') + (text[n - 2] == '='); /* DecodeBlock keeps the pad bytes */
  if (len < 0 || (size_t)len > cap) len = -1;
  else memcpy(out, tmp, (size_t)len);
  memset(tmp, 0, n / 4 * 3 + 1);
  free(tmp);
  return len;
}

int az_shared_key_signature(const uint8_t *key, size_t key_len, const char *to_sign, char out[64]) {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)to_sign, strlen(to_sign), mac, &mac_len))
    return -1;
  EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len); /* 44 characters and a NUL */
  return 0;
}

/* Growing string for the string to sign. */
typedef struct sbuf {
  char *p;              /* text (owned) */
  size_t n, cap;        /* length, allocation */
  int bad;              /* an allocation failed */
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->bad) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 512;
    while (cap < b->n + n + 1) cap *= 2;
    char *g = realloc(b->p, cap);
    if (!g) {
      b->bad = 1;
      return;
    }
    b->p = g;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* One "name:value" (or query "name=value") item, lower-cased name, for sorting. */
typedef struct item {
  char *name;           /* lower-cased (owned) */
  char *value;          /* trimmed / decoded (owned) */
} item;

static int item_cmp(const void *a, const void *b) {
  const item *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

static void items_free(item *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].value);
  }
  free(v);
}

static int hexval(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decoding of [s, s + n) into a new string ('+' kept: Azure URLs escape spaces as %20). */
static char *pct_decode(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out[k++] = s[i];
    }
  }
  out[k] = 0;
  return out;
}

static char *lower_dup(const char *s, size_t n) {
  char *o = strndup(s, n);
  if (o)
    for (char *p = o; *p; p++) *p = (char)tolower((unsigned char)*p);
  return o;
}

char *az_string_to_sign(const char *account, const char *method, const char *url, const char *const *headers) {
  sbuf b = {0};
  const char *range = "";
  size_t range_len = 0, nh = 0;
  for (const char *const *h = headers; h && *h; h++) nh++;
  item *xms = calloc(nh + 1, sizeof *xms);
  size_t nx = 0;
  if (!xms) return NULL;
  for (const char *const *h = headers; h && *h; h++) {
    const char *colon = strchr(*h, ':');
    if (!colon) continue;
    const char *v = colon + 1, *ve = *h + strlen(*h);
    while (*v == ' ' || *v == '\t') v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    size_t nl = (size_t)(colon - *h);
    if (nl == 5 && !strncasecmp(*h, "range", 5)) {
      range = v;
      range_len = (size_t)(ve - v);
    } else if (nl > 5 && !strncasecmp(*h, "x-ms-", 5)) {
      xms[nx].name = lower_dup(*h, nl);
      xms[nx].value = strndup(v, (size_t)(ve - v));
      if (!xms[nx].name || !xms[nx].value) b.bad = 1;
      nx++;
    }
  }
  puts_(&b, method);
  puts_(&b, "\n");
  /* Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since, If-Match,
   * If-None-Match, If-Unmodified-Since: none is sent by a GET here */
  for (int i = 0; i < 10; i++) puts_(&b, "\n");
  put(&b, range, range_len);
  puts_(&b, "\n");
  if (nx > 1) qsort(xms, nx, sizeof *xms, item_cmp);
  for (size_t i = 0; i < nx && !b.bad; i++) {
    puts_(&b, xms[i].name);
    puts_(&b, ":");
    puts_(&b, xms[i].value);
    puts_(&b, "\n");
  }
  items_free(xms, nx);
  /* the canonicalized resource: /account + the path as sent + sorted query parameters */
  const char *p = strstr(url, "://");
  p = p ? strchr(p + 3, '/') : NULL;
  const char *q = p ? strchr(p, '?') : NULL;
  puts_(&b, "/");
  puts_(&b, account);
  if (p) put(&b, p, q ? (size_t)(q - p) : strlen(p));
  else puts_(&b, "/");
  if (q) {
    size_t nq = 1;
    for (const char *c = q + 1; *c; c++) nq += *c == '&';
    item *qs = calloc(nq + 1, sizeof *qs);
    size_t k = 0;
    if (!qs) b.bad = 1;
    for (const char *c = q + 1; qs && *c;) {
      size_t len = strcspn(c, "&");
      const char *eq = memchr(c, '=', len);
      size_t nl = eq ? (size_t)(eq - c) : len;
      if (nl) {
        char *raw = pct_decode(c, nl);
        qs[k].name = raw ? lower_dup(raw, strlen(raw)) : NULL;
        free(raw);
        qs[k].value = eq ? pct_decode(eq + 1, len - nl - 1) : strdup("");
        if (!qs[k].name || !qs[k].value) b.bad = 1;
        k++;
      }
      c += len + (c[len] == '&');
    }
    if (qs && k > 1) qsort(qs, k, sizeof *qs, item_cmp);
    /* a name given twice: one line, its values joined by ',' in sorted order */
    for (size_t i = 0; qs && i < k && !b.bad; i++) {
      if (i && !strcmp(qs[i].name, qs[i - 1].name)) {
        puts_(&b, ",");
      } else {
        puts_(&b, "\n");
        puts_(&b, qs[i].name);
        puts_(&b, ":");
      }
      puts_(&b, qs[i].value);
    }
    if (qs) items_free(qs, k);
  }
  if (b.bad) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* http_auth.sign for Shared Key: x-ms-date and Authorization for this attempt. */
static int az_sign(const http_auth *a, const char *url, const char *const *headers, char **date_line,
                   char **auth_line) {
  *date_line = *auth_line = NULL;
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "x-ms-date: %a, %d %b %Y %H:%M:%S GMT", &tm);
  size_t nh = 0;
  for (const char *const *h = headers; h && *h; h++) nh++;
  const char **all = calloc(nh + 2, sizeof *all);
  if (!all) return -1;
  memcpy(all, headers, nh * sizeof *all);
  all[nh] = date;
  char *to_sign = az_string_to_sign(a->user, "GET", url, all);
  free(all);
  char sig[64];
  if (!to_sign || az_shared_key_signature((const uint8_t *)a->password, (size_t)a->password_len, to_sign, sig)) {
    free(to_sign);
    return -1;
  }
  free(to_sign);
  size_t n = strlen(a->user) + strlen(sig) + 40;
  *date_line = strdup(date);
  *auth_line = malloc(n);
  if (!*date_line || !*auth_line) {
    free(*date_line);
    free(*auth_line);
    *date_line = *auth_line = NULL;
    return -1;
  }
  snprintf(*auth_line, n, "Authorization: SharedKey %s:%s", a->user, sig);
  memset(sig, 0, sizeof sig);
  return 0;
}

int az_shared_key_auth(http_auth *auth, const char *account, const char *key_b64, sic_err *err) {
  uint8_t key[AZ_KEY_MAX];
  int n = b64_decode(key_b64, key, sizeof key);
  if (n <= 0) return sic_err_set(err, SIC_EINVAL, "the Azure account key (AZURE_STORAGE_KEY or AccountKey=) is not base64");
  auth->user = strdup(account);
  auth->password = malloc((size_t)n + 1);
  if (!auth->user || !auth->password) {
    memset(key, 0, sizeof key);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  memcpy(auth->password, key, (size_t)n);
  auth->password[n] = 0;
  auth->password_len = n;
  auth->sign = az_sign;
  memset(key, 0, sizeof key);
  return 0;
}

/* ---- connection strings: "Name=value;Name=value" ---- */

void az_conn_free(az_conn *c) {
  free(c->account);
  if (c->key) memset(c->key, 0, strlen(c->key));
  free(c->key);
  free(c->blob_endpoint);
  if (c->sas) memset(c->sas, 0, strlen(c->sas));
  free(c->sas);
  memset(c, 0, sizeof *c);
}

int az_conn_parse(const char *text, az_conn *c, sic_err *err) {
  memset(c, 0, sizeof *c);
  char *protocol = NULL, *suffix = NULL;
  int dev = 0, rc = 0, item_no = 0;
  for (const char *p = text; *p && !rc;) {
    item_no++;
    size_t len = strcspn(p, ";");
    const char *eq = memchr(p, '=', len);
    const char *a = p, *ae = eq ? eq : p + len;
    while (a < ae && isspace((unsigned char)*a)) a++;
    while (ae > a && isspace((unsigned char)ae[-1])) ae--;
    if (!eq && ae > a) {
      /* the item is not shown: it may be a pasted key */
      rc = sic_err_set(err, SIC_EINVAL, "AZURE_STORAGE_CONNECTION_STRING: item %d has no '=' (expected Name=value;...)",
                       item_no);
      break;
    }
    if (eq) {
      const char *v = eq + 1, *ve = p + len; /* values may hold '=' (base64 padding) */
      size_t nl = (size_t)(ae - a);
      char **slot = NULL;
      if (nl == 11 && !strncasecmp(a, "AccountName", 11)) slot = &c->account;
      else if (nl == 10 && !strncasecmp(a, "AccountKey", 10)) slot = &c->key;
      else if (nl == 12 && !strncasecmp(a, "BlobEndpoint", 12)) slot = &c->blob_endpoint;
      else if (nl == 21 && !strncasecmp(a, "SharedAccessSignature", 21)) slot = &c->sas;
      else if (nl == 24 && !strncasecmp(a, "DefaultEndpointsProtocol", 24)) slot = &protocol;
      else if (nl == 14 && !strncasecmp(a, "EndpointSuffix", 14)) slot = &suffix;
      else if (nl == 21 && !strncasecmp(a, "UseDevelopmentStorage", 21)) dev = (size_t)(ve - v) == 4 && !strncasecmp(v, "true", 4);
      if (slot) {
        free(*slot);
        if (!(*slot = strndup(v, (size_t)(ve - v)))) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
      }
    }
    p += len + (p[len] == ';');
  }
  if (!rc && dev && !c->account) { /* Azurite's documented development account */
    c->account = strdup("devstoreaccount1");
    c->key = strdup("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
    if (!c->blob_endpoint) c->blob_endpoint = strdup("http://127.0.0.1:10000/devstoreaccount1");
    if (!c->account || !c->key || !c->blob_endpoint) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  if (!rc && !c->blob_endpoint && c->account && (protocol || suffix)) {
    size_t n = strlen(c->account) + (suffix ? strlen(suffix) : 20) + 32;
    if ((c->blob_endpoint = malloc(n)))
      snprintf(c->blob_endpoint, n, "%s://%s.blob.%s", protocol ? protocol : "https", c->account,
               suffix ? suffix : "core.windows.net");
    else rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  free(protocol);
  free(suffix);
  if (rc) az_conn_free(c);
  return rc;
}
