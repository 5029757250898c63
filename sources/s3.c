/* s3://bucket[/prefix] — Amazon S3 or an S3-compatible store (MinIO, Ceph, s3rver, GCS's XML
 * API with HMAC keys).
 *
 * Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional),
 * AWS_REGION (or AWS_DEFAULT_REGION; default us-east-1), AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL (an S3-compatible endpoint: path-style addressing); what the environment
 * does not set comes from the AWS_PROFILE profile of ~/.aws/credentials and ~/.aws/config
 * (aws_config.c). Without keys the requests go unsigned (public buckets).
 *
 * Signing is libcurl's CURLOPT_AWS_SIGV4. libcurl 7.88 signs the query string exactly as sent
 * and does not add x-amz-content-sha256, so every request here carries that header (the
 * empty-body hash: only GETs are sent) and builds its query canonically: names sorted, names
 * and values percent-encoded per RFC 3986. Range goes in as a header so it is signed too.
 *
 * Listing: ListObjectsV2, continuation tokens as page tokens. A URI naming one object (its
 * key lists exactly) is a tree of that one object. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>

#define S3_LIST_MAX (64u << 20) /* bytes of one listing page */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct s3_impl {
  char *endpoint;       /* scheme://host[:port] without a trailing '/', NULL for AWS (owned) */
  char *region;         /* signing region (owned) */
  char *bucket;         /* bucket name (owned) */
  char *prefix;         /* key prefix of the root: "" or "dir/sub" without a trailing '/' (owned) */
  int single;           /* 1: the URI named one object, listed as the root's only entry */
  sic_source_entry object; /* that object (name relative to the root) (owned) */
} s3_impl;

static const char *const s3_headers[] = {"x-amz-content-sha256: " EMPTY_SHA256, NULL};

/* URL of the bucket (key NULL) or of an object; query appended as given (already canonical). */
static char *s3_url(const s3_impl *h, const char *key, const char *query) {
  char *ek = key ? http_escape(key, 1) : strdup("");
  if (!ek) return NULL;
  size_t n = strlen(ek) + strlen(h->bucket) + (query ? strlen(query) : 0) + strlen(h->region) +
             (h->endpoint ? strlen(h->endpoint) : 0) + 64;
  char *url = malloc(n);
  if (url) {
    if (h->endpoint) snprintf(url, n, "%s/%s/%s%s%s", h->endpoint, h->bucket, ek, query ? "?" : "", query ? query : "");
    else snprintf(url, n, "https://%s.s3.%s.amazonaws.com/%s%s%s", h->bucket, h->region, ek, query ? "?" : "",
                  query ? query : "");
  }
  free(ek);
  return url;
}

/* "s3://bucket/key" for messages (no secret in it). */
static char *s3_display(const s3_impl *h, const char *key) {
  size_t n = strlen(h->bucket) + strlen(key) + 8;
  char *d = malloc(n);
  if (d) snprintf(d, n, "s3://%s/%s", h->bucket, key);
  return d;
}

/* ---- XML (ListObjectsV2 answers: flat, known elements) ---- */

/* Decode the five predefined entities and numeric references in place; returns length. */
static size_t xml_unescape(char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '&') {
      s[k++] = s[i];
      continue;
    }
    const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
    if (!semi) {
      s[k++] = s[i];
      continue;
    }
    size_t len = (size_t)(semi - (s + i)) + 1;
    char c = 0;
    if (len == 5 && !strncmp(s + i, "&amp;", 5)) c = '&';
    else if (len == 4 && !strncmp(s + i, "&lt;", 4)) c = '<';
    else if (len == 4 && !strncmp(s + i, "&gt;", 4)) c = '>';
    else if (len == 6 && !strncmp(s + i, "&quot;", 6)) c = '"';
    else if (len == 6 && !strncmp(s + i, "&apos;", 6)) c = '\'';
    else if (len > 3 && s[i + 1] == '#') {
      long v = s[i + 2] == 'x' ? strtol(s + i + 3, NULL, 16) : strtol(s + i + 2, NULL, 10);
      if (v > 0 && v < 128) c = (char)v;
    }
    if (!c) {
      s[k++] = s[i];
      continue;
    }
    s[k++] = c;
    i += len - 1;
  }
  return k;
}

/* Text of <tag>...</tag> within [p, end); NULL when absent. */
static const char *xml_find(const char *p, const char *end, const char *tag, size_t *len) {
  char open[64], close[64];
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  const char *a = memmem(p, (size_t)(end - p), open, strlen(open));
  if (!a) return NULL;
  a += strlen(open);
  const char *b = memmem(a, (size_t)(end - a), close, strlen(close));
  if (!b) return NULL;
  *len = (size_t)(b - a);
  return a;
}

/* Fill page from a ListObjectsV2 answer; strip = bytes of key prefix to drop from names. */
int s3_parse_list(char *xml, size_t n, size_t strip, sic_source_page *page, sic_err *err) {
  const char *end = xml + n, *p = xml;
  if (!memmem(xml, n, "<ListBucketResult", 17))
    return sic_err_set(err, SIC_EFORMAT, "not a ListObjectsV2 answer (no <ListBucketResult>)");
  for (;;) {
    const char *c = memmem(p, (size_t)(end - p), "<Contents>", 10);
    if (!c) break;
    const char *ce = memmem(c, (size_t)(end - c), "</Contents>", 11);
    if (!ce) return sic_err_set(err, SIC_EFORMAT, "unterminated <Contents> at byte %zu", (size_t)(c - xml));
    size_t kl = 0, el = 0, sl = 0, ml = 0;
    char *key = (char *)xml_find(c, ce, "Key", &kl);
    char *etag = (char *)xml_find(c, ce, "ETag", &el);
    const char *size = xml_find(c, ce, "Size", &sl);
    const char *mod = xml_find(c, ce, "LastModified", &ml);
    if (!key) return sic_err_set(err, SIC_EFORMAT, "<Contents> without <Key> at byte %zu", (size_t)(c - xml));
    kl = xml_unescape(key, kl);
    if (etag) el = xml_unescape(etag, el);
    if (etag && el >= 2 && etag[0] == '"') {
      etag++;
      el -= 2;
    }
    p = ce + 11;
    if (kl < strip || key[kl - 1] == '/') continue; /* the prefix itself, "directory" markers */
    int64_t sz = size ? strtoll(size, NULL, 10) : -1;
    if (page_add(page, key + strip, kl - strip, sz, etag, el, mod ? iso8601_ms(mod, ml) : 0))
      return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  size_t tl = 0, nl = 0;
  const char *trunc = xml_find(xml, end, "IsTruncated", &tl);
  char *next = (char *)xml_find(xml, end, "NextContinuationToken", &nl);
  if (trunc && tl == 4 && !strncmp(trunc, "true", 4)) {
    if (!next) return sic_err_set(err, SIC_EFORMAT, "truncated listing without <NextContinuationToken>");
    nl = xml_unescape(next, nl);
    if (!(page->next = strndup(next, nl))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  return 0;
}

/* ---- requests ---- */

/* Canonical query of a ListObjectsV2 call: names in byte order, RFC 3986 encoding. */
char *s3_list_query(const char *prefix, const char *token, int max_keys) {
  char *ep = http_escape(prefix, 0), *et = token ? http_escape(token, 0) : NULL;
  size_t n = strlen(ep ? ep : "") + (et ? strlen(et) : 0) + 96;
  char *q = ep && (!token || et) ? malloc(n) : NULL;
  if (q) {
    int k = 0;
    if (et) k += snprintf(q + k, n - k, "continuation-token=%s&", et);
    k += snprintf(q + k, n - k, "list-type=2&");
    if (max_keys > 0) k += snprintf(q + k, n - k, "max-keys=%d&", max_keys);
    snprintf(q + k, n - k, "prefix=%s", ep);
  }
  free(ep);
  free(et);
  return q;
}

static int s3_list_raw(sic_source *s, const char *key_prefix, const char *token, int max_keys, size_t strip,
                       sic_source_page *page, sic_err *err) {
  s3_impl *h = s->impl;
  memset(page, 0, sizeof *page);
  char *q = s3_list_query(key_prefix, token, max_keys);
  char *url = q ? s3_url(h, NULL, q) : NULL;
  char *display = s3_display(h, key_prefix);
  int rc;
  if (!url || !display) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  http_req req = {.url = url, .display = display, .auth = &s->auth, .settings = &s->settings,
                  .headers = s3_headers, .length = -1};
  rc = object_list_get(&req, S3_LIST_MAX, s3_parse_list, strip, page, err);
done:
  free(q);
  free(url);
  free(display);
  return rc;
}

static int s3_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  s3_impl *h = s->impl;
  if (h->single) return object_single_page(&h->object, page, err); /* the root is the object's directory */
  char kp[2048];
  snprintf(kp, sizeof kp, "%s%s", h->prefix, h->prefix[0] ? "/" : "");
  return s3_list_raw(s, kp, token, 0, strlen(kp), page, err);
}

static int s3_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out, sic_err *err) {
  s3_impl *h = s->impl;
  char key[4096];
  snprintf(key, sizeof key, "%s%s%s", h->prefix, h->prefix[0] && name[0] ? "/" : "", name);
  return object_open(s, s3_url(h, key, NULL), s3_display(h, key), s3_headers, 0, offset, length, out, err);
}

static void s3_destroy(sic_source *s) {
  s3_impl *h = s->impl;
  if (!h) return;
  free(h->endpoint);
  free(h->region);
  free(h->bucket);
  free(h->prefix);
  free(h->object.name);
  free(h->object.etag);
  free(h);
}

static const source_ops s3_ops = {"s3", s3_list, s3_read, NULL, NULL, s3_destroy};

/* ---- setup ---- */

static int s3_credentials(sic_source *s, const s3_impl *h, const aws_profile *p) {
  if (!p->access_key_id || !p->secret_access_key) return 0; /* anonymous */
  size_t n = strlen(h->region) + 16;
  s->auth.sigv4 = malloc(n);
  s->auth.user = strdup(p->access_key_id);
  s->auth.password = strdup(p->secret_access_key);
  if (p->session_token) s->auth.session_token = strdup(p->session_token);
  if (!s->auth.sigv4 || !s->auth.user || !s->auth.password || (p->session_token && !s->auth.session_token))
    return SIC_ENOMEM;
  snprintf(s->auth.sigv4, n, "aws:amz:%s:s3", h->region);
  return 0;
}

/* Does the root name one object? One listing of the key itself answers it. */
static int s3_probe_single(sic_source *s, s3_impl *h, sic_err *err) {
  if (!h->prefix[0]) return 0;
  sic_source_page page;
  int rc = s3_list_raw(s, h->prefix, NULL, 2, 0, &page, err);
  if (rc) return rc;
  rc = object_take_single(&page, h->prefix, &h->object, err);
  if (rc <= 0) return rc;
  h->single = 1;
  return object_root_to_dir(s, "s3", h->bucket, h->prefix, err);
}

int source_s3_init(sic_source *s, const sic_uri *u, sic_err *err) {
  s3_impl *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->impl = h;
  s->ops = &s3_ops;
  if (!u->host[0]) return sic_err_set(err, SIC_EINVAL, "%s: no bucket (s3://BUCKET/PREFIX)", s->display);
  size_t pl;
  const char *p = object_path_trim(u->path, &pl);
  aws_profile prof;
  int rc = aws_profile_load(&prof, err);
  if (rc) {
    sic_err_wrap(err, "%s: ", s->display);
    return rc;
  }
  const char *endpoint = prof.s3_endpoint_url ? prof.s3_endpoint_url : prof.endpoint_url;
  const char *region = prof.region;
  h->bucket = strdup(u->host);
  h->prefix = strndup(p, pl);
  h->region = strdup(region ? region : "us-east-1");
  if (endpoint) {
    size_t el = strlen(endpoint);
    while (el && endpoint[el - 1] == '/') el--;
    h->endpoint = strndup(endpoint, el);
  }
  size_t rn = strlen(u->host) + pl + 8;
  s->root = malloc(rn);
  rc = !h->bucket || !h->prefix || !h->region || (endpoint && !h->endpoint) || !s->root || s3_credentials(s, h, &prof);
  aws_profile_free(&prof);
  if (rc) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  snprintf(s->root, rn, "s3://%s%s%.*s", u->host, pl ? "/" : "", (int)pl, p);
  return s3_probe_single(s, h, err);
}
