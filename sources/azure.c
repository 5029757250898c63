/* Azure Blob Storage and ADLS Gen2 (through the Blob API, which serves both):
 *
 *   abfss://container@account.dfs.core.windows.net/path
 *   wasbs://container@account.blob.core.windows.net/path    (abfs://, wasb:// alike)
 *   https://account.blob.core.windows.net/container/path[?SAS]
 *
 * Credentials, first found wins: a SAS token (the URL's query, AZURE_STORAGE_SAS_TOKEN, or the
 * connection string's SharedAccessSignature); the account key (Shared Key: AZURE_STORAGE_KEY
 * with AZURE_STORAGE_ACCOUNT, or AccountName/AccountKey of AZURE_STORAGE_CONNECTION_STRING; see
 * azure_key.c); a bearer token (AZURE_STORAGE_TOKEN, e.g. `az account get-access-token
 * --resource https://storage.azure.com --query accessToken -o tsv`); else anonymous (public
 * containers). AZURE_STORAGE_BLOB_ENDPOINT, else the connection string's BlobEndpoint, replaces
 * https://account.blob.core.windows.net (Azurite: http://127.0.0.1:10000/devstoreaccount1).
 *
 * Listing: List Blobs with markers; reading: Get Blob with Range. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AZ_LIST_MAX (64u << 20)  /* bytes of one listing page */
#define AZ_VERSION "x-ms-version: 2021-08-06"

typedef struct az_impl {
  char *endpoint;       /* https://account.blob.core.windows.net (or the override), no '/' at the end (owned) */
  char *container;      /* container name (owned) */
  char *prefix;         /* blob prefix of the root, no trailing '/' (owned) */
  char *sas;            /* SAS query without '?', NULL when none (owned, secret) */
  int single;           /* 1: the URI named one blob, listed as the root's only entry */
  sic_source_entry object; /* that blob (name relative to the root) (owned) */
} az_impl;

static const char *const az_headers[] = {AZ_VERSION, NULL};

/* "<root scheme>://container@account.../key" for messages: no secret in it. */
static char *az_display(const sic_source *s, const char *key) {
  const az_impl *h = s->impl;
  size_t rl = strlen(s->root) - strlen(h->prefix);
  size_t n = rl + strlen(key) + 4;
  char *d = malloc(n);
  if (d) snprintf(d, n, "%.*s%s%s", (int)rl, s->root, rl && s->root[rl - 1] == '/' ? "" : "/", key);
  return d;
}

/* ---- XML ---- */

static size_t xml_unescape(char *s, size_t n) {
  static const struct { const char *ent; char c; } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
                                                              {"&quot;", '"'}, {"&apos;", '\''}};
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t e = 0;
    for (; s[i] == '&' && e < 5; e++)
      if (n - i >= strlen(ents[e].ent) && !strncmp(s + i, ents[e].ent, strlen(ents[e].ent))) break;
    if (s[i] == '&' && e < 5) {
      s[k++] = ents[e].c;
      i += strlen(ents[e].ent) - 1;
    } else {
      s[k++] = s[i];
    }
  }
  return k;
}

static char *xml_find(char *p, const char *end, const char *tag, size_t *len) {
  char open[64], close[64];
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  char *a = memmem(p, (size_t)(end - p), open, strlen(open));
  if (!a) return NULL;
  a += strlen(open);
  char *b = memmem(a, (size_t)(end - a), close, strlen(close));
  if (!b) return NULL;
  *len = (size_t)(b - a);
  return a;
}

/* "Wed, 01 May 2024 10:00:00 GMT" -> ms since epoch, 0 when unreadable. */
static int64_t rfc1123_ms(const char *p, size_t n) {
  char buf[64];
  if (n >= sizeof buf) return 0;
  memcpy(buf, p, n);
  buf[n] = 0;
  struct tm tm = {0};
  if (!strptime(buf, "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  time_t t = timegm(&tm);
  return t == (time_t)-1 ? 0 : (int64_t)t * 1000;
}

int az_parse_list(char *xml, size_t n, size_t strip, sic_source_page *page, sic_err *err) {
  char *end = xml + n, *p = xml;
  if (!memmem(xml, n, "<EnumerationResults", 19))
    return sic_err_set(err, SIC_EFORMAT, "not a List Blobs answer (no <EnumerationResults>)");
  for (;;) {
    char *b = memmem(p, (size_t)(end - p), "<Blob>", 6);
    if (!b) break;
    char *be = memmem(b, (size_t)(end - b), "</Blob>", 7);
    if (!be) return sic_err_set(err, SIC_EFORMAT, "unterminated <Blob> at byte %zu", (size_t)(b - xml));
    size_t nl = 0, sl = 0, el = 0, ml = 0;
    char *name = xml_find(b, be, "Name", &nl);
    char *size = xml_find(b, be, "Content-Length", &sl);
    char *etag = xml_find(b, be, "Etag", &el);
    char *mod = xml_find(b, be, "Last-Modified", &ml);
    if (!name) return sic_err_set(err, SIC_EFORMAT, "<Blob> without <Name> at byte %zu", (size_t)(b - xml));
    nl = xml_unescape(name, nl);
    if (etag) el = xml_unescape(etag, el);
    if (etag && el >= 2 && etag[0] == '"') {
      etag++;
      el -= 2;
    }
    p = be + 7;
    if (nl <= strip || name[nl - 1] == '/') continue; /* the prefix itself, directory markers */
    if (page_add(page, name + strip, nl - strip, size ? strtoll(size, NULL, 10) : -1, etag, el,
                 mod ? rfc1123_ms(mod, ml) : 0))
      return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  size_t ml = 0;
  char *marker = xml_find(xml, end, "NextMarker", &ml);
  if (marker && ml) {
    ml = xml_unescape(marker, ml);
    if (!(page->next = strndup(marker, ml))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  return 0;
}

/* ---- requests ---- */

/* endpoint/container[/key]?query[&sas] */
static char *az_url(const az_impl *h, const char *key, const char *query) {
  char *ek = key ? http_escape(key, 1) : NULL;
  size_t n = strlen(h->endpoint) + strlen(h->container) + (ek ? strlen(ek) : 0) + (query ? strlen(query) : 0) +
             (h->sas ? strlen(h->sas) : 0) + 16;
  char *url = (key && !ek) ? NULL : malloc(n);
  if (url) {
    int k = snprintf(url, n, "%s/%s%s%s", h->endpoint, h->container, ek ? "/" : "", ek ? ek : "");
    const char *sep = "?";
    if (query) {
      k += snprintf(url + k, n - k, "?%s", query);
      sep = "&";
    }
    if (h->sas) snprintf(url + k, n - k, "%s%s", sep, h->sas);
  }
  free(ek);
  return url;
}

static int az_list_raw(sic_source *s, const char *key_prefix, const char *token, int max, size_t strip,
                       sic_source_page *page, sic_err *err) {
  az_impl *h = s->impl;
  memset(page, 0, sizeof *page);
  char *ep = http_escape(key_prefix, 0), *et = token ? http_escape(token, 0) : NULL;
  char query[8192];
  char *url = NULL, *display = az_display(s, key_prefix);
  int rc;
  if (!ep || (token && !et) || !display) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  int k = snprintf(query, sizeof query, "restype=container&comp=list&prefix=%s", ep);
  if (et) k += snprintf(query + k, sizeof query - k, "&marker=%s", et);
  if (max > 0) k += snprintf(query + k, sizeof query - k, "&maxresults=%d", max);
  if (k >= (int)sizeof query || !(url = az_url(h, NULL, query))) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  http_req req = {.url = url, .display = display, .auth = &s->auth, .settings = &s->settings, .headers = az_headers,
                  .length = -1};
  rc = object_list_get(&req, AZ_LIST_MAX, az_parse_list, strip, page, err);
done:
  free(ep);
  free(et);
  if (url) memset(url, 0, strlen(url)); /* it holds the SAS */
  free(url);
  free(display);
  return rc;
}

static int az_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  az_impl *h = s->impl;
  if (h->single) return object_single_page(&h->object, page, err);
  char kp[2048];
  snprintf(kp, sizeof kp, "%s%s", h->prefix, h->prefix[0] ? "/" : "");
  return az_list_raw(s, kp, token, 0, strlen(kp), page, err);
}

static int az_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out, sic_err *err) {
  az_impl *h = s->impl;
  char key[4096];
  snprintf(key, sizeof key, "%s%s%s", h->prefix, h->prefix[0] && name[0] ? "/" : "", name);
  /* the URL holds the SAS: wiped when the reader goes */
  return object_open(s, az_url(h, key, NULL), az_display(s, key), az_headers, 1, offset, length, out, err);
}

static void az_destroy(sic_source *s) {
  az_impl *h = s->impl;
  if (!h) return;
  free(h->endpoint);
  free(h->container);
  free(h->prefix);
  if (h->sas) memset(h->sas, 0, strlen(h->sas));
  free(h->sas);
  free(h->object.name);
  free(h->object.etag);
  free(h);
}

static const source_ops az_ops = {"azure", az_list, az_read, NULL, NULL, az_destroy};

/* ---- setup ---- */

static int az_probe_single(sic_source *s, az_impl *h, sic_err *err) {
  if (!h->prefix[0]) return 0;
  sic_source_page page;
  int rc = az_list_raw(s, h->prefix, NULL, 2, 0, &page, err);
  if (rc) return rc;
  rc = object_take_single(&page, h->prefix, &h->object, err);
  if (rc <= 0) return rc;
  h->single = 1;
  char *slash = strrchr(h->prefix, '/');
  size_t cut = strlen(h->prefix) - (slash ? strlen(slash) : strlen(h->prefix)); /* new prefix length */
  size_t rl = strlen(s->root) - strlen(h->prefix) + cut;
  if (!slash && rl && s->root[rl - 1] == '/') rl--;
  s->root[rl] = 0;
  h->prefix[cut] = 0;
  return 0;
}

/* Endpoint, then credentials (see the top of this file) of the account the URL names. */
static int az_endpoint_and_auth(sic_source *s, az_impl *h, const char *host, size_t account_len, const az_conn *conn,
                                sic_err *err) {
  const char *ep = getenv("AZURE_STORAGE_BLOB_ENDPOINT");
  if (!ep || !*ep) ep = conn->blob_endpoint;
  if (ep && *ep) {
    size_t el = strlen(ep);
    while (el && ep[el - 1] == '/') el--;
    h->endpoint = strndup(ep, el);
  } else {
    size_t n = account_len + 40;
    h->endpoint = malloc(n);
    if (h->endpoint) snprintf(h->endpoint, n, "https://%.*s.blob.core.windows.net", (int)account_len, host);
  }
  if (!h->endpoint) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (h->sas) return 0; /* the URL's own */
  const char *sas = getenv("AZURE_STORAGE_SAS_TOKEN");
  if (!sas || !*sas) sas = conn->sas;
  if (sas && *sas == '?') sas++;
  if (sas && *sas) {
    if (!(h->sas = strdup(sas))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    return 0;
  }
  const char *key = getenv("AZURE_STORAGE_KEY"), *account = getenv("AZURE_STORAGE_ACCOUNT");
  if (!key || !*key) {
    key = conn->key;
    account = conn->account;
  }
  if (key && *key) {
    char url_account[256];
    snprintf(url_account, sizeof url_account, "%.*s", (int)account_len, host);
    if (account && *account && strcmp(account, url_account))
      return sic_err_set(err, SIC_EINVAL, "%s: the account key is for account '%s' (AZURE_STORAGE_ACCOUNT or the "
                         "connection string's AccountName) but the URL names account '%s'", s->display, account,
                         url_account);
    int rc = az_shared_key_auth(&s->auth, url_account, key, err);
    if (rc) sic_err_wrap(err, "%s: ", s->display);
    return rc;
  }
  const char *token = getenv("AZURE_STORAGE_TOKEN");
  if (token && *token && !(s->auth.bearer = strdup(token))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  return 0;
}

/* Is this https:// URL an Azure Blob / ADLS endpoint (rather than a History Server)? */
int source_is_azure_https(const sic_uri *u) {
  size_t n = strlen(u->host);
  static const char *const suffixes[] = {".blob.core.windows.net", ".dfs.core.windows.net"};
  for (size_t i = 0; i < 2; i++) {
    size_t m = strlen(suffixes[i]);
    if (n > m && !strcasecmp(u->host + n - m, suffixes[i])) return 1;
  }
  return 0;
}

int source_azure_init(sic_source *s, const sic_uri *u, sic_err *err) {
  az_impl *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->impl = h;
  s->ops = &az_ops;
  int https = !strcmp(u->scheme, "https") || !strcmp(u->scheme, "http");
  const char *path = u->path;
  while (*path == '/') path++;
  size_t account_len = strcspn(u->host, ".");
  const char *container = u->user;
  size_t clen = container ? strlen(container) : 0;
  if (https) { /* https://account.blob.core.windows.net/container/prefix */
    container = path;
    clen = strcspn(path, "/");
    path += clen;
  }
  if (!clen || !account_len)
    return sic_err_set(err, SIC_EINVAL, "%s: expected %s", s->display,
                       https ? "https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH"
                             : "abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH");
  size_t pl;
  path = object_path_trim(path, &pl);
  h->container = strndup(container, clen);
  h->prefix = strndup(path, pl);
  const char *url_sas = u->query && *u->query == '?' ? u->query + 1 : u->query;
  if (url_sas && *url_sas && !(h->sas = strdup(url_sas))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  az_conn conn = {0};
  const char *cs = getenv("AZURE_STORAGE_CONNECTION_STRING");
  if (cs && *cs) {
    int rc = az_conn_parse(cs, &conn, err);
    if (rc) return rc;
  }
  int rc = az_endpoint_and_auth(s, h, u->host, account_len, &conn, err);
  az_conn_free(&conn);
  if (rc) return rc;
  /* root and display: the form the user wrote, without userinfo mangling or the SAS */
  size_t rn = strlen(u->scheme) + strlen(u->host) + clen + pl + 16;
  free(s->root);
  s->root = malloc(rn);
  if (!h->container || !h->prefix || !s->root) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (https) snprintf(s->root, rn, "%s://%s/%s%s%.*s", u->scheme, u->host, h->container, pl ? "/" : "", (int)pl, path);
  else snprintf(s->root, rn, "%s://%s@%s%s%.*s", u->scheme, h->container, u->host, pl ? "/" : "", (int)pl, path);
  char *display = strdup(s->root);
  if (!display) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  free(s->display);
  s->display = display;
  return az_probe_single(s, h, err);
}
