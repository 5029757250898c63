/* gs://bucket[/prefix] — Google Cloud Storage through its JSON API.
 *
 * Endpoint: https://storage.googleapis.com, or STORAGE_EMULATOR_HOST (an emulator or a
 * private endpoint: "http://host:port"). Credentials: a bearer token from
 * GOOGLE_OAUTH_ACCESS_TOKEN (e.g. `gcloud auth print-access-token`), else from the GCE/GKE
 * metadata server (GCE_METADATA_HOST or metadata.google.internal; asked once, with a short
 * timeout), else anonymous (public buckets). HMAC keys go through the S3 path instead:
 * AWS_ENDPOINT_URL=https://storage.googleapis.com with s3://.
 *
 * Listing: objects.list with pageToken paging; reading: objects.get ?alt=media with Range. */
#include "sources/source_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "json/scan.h"

#define GCS_LIST_MAX (64u << 20) /* bytes of one listing page */

typedef struct gcs_impl {
  char *endpoint;       /* scheme://host[:port], no trailing '/' (owned) */
  char *bucket;         /* bucket name (owned) */
  char *prefix;         /* object prefix of the root, no trailing '/' (owned) */
  int single;           /* 1: the URI named one object, listed as the root's only entry */
  sic_source_entry object; /* that object (name relative to the root) (owned) */
} gcs_impl;

static char *gcs_display(const gcs_impl *h, const char *key) {
  size_t n = strlen(h->bucket) + strlen(key) + 8;
  char *d = malloc(n);
  if (d) snprintf(d, n, "gs://%s/%s", h->bucket, key);
  return d;
}

/* ---- JSON ---- */

static int jstr_copy(const sic_jstr *v, char **out) {
  free(*out);
  *out = malloc(v->len + 1);
  if (!*out) return -1;
  size_t n = v->escaped ? sic_json_unescape(v, *out) : (memcpy(*out, v->p, v->len), v->len);
  (*out)[n] = 0;
  return 0;
}

/* One object resource of a listing. */
static int parse_object(sic_jscan *j, size_t strip, sic_source_page *page) {
  sic_jiter it;
  sic_jstr k, v;
  char *name = NULL, *etag = NULL, *updated = NULL, *size = NULL;
  int r, rc = -1;
  if (sic_json_obj_begin(j, &it)) return -1;
  while ((r = sic_json_obj_next(j, &it, &k)) == 1) {
    char **dst = SIC_JSTR_IS(&k, "name") ? &name : SIC_JSTR_IS(&k, "etag") ? &etag
               : SIC_JSTR_IS(&k, "updated") ? &updated : SIC_JSTR_IS(&k, "size") ? &size : NULL;
    if (dst && sic_json_peek(j) == SIC_JT_STRING) {
      if (sic_json_str(j, &v) || jstr_copy(&v, dst)) goto done;
    } else if (sic_json_skip(j)) {
      goto done;
    }
  }
  if (r < 0 || !name) goto done;
  rc = 0;
  size_t nl = strlen(name);
  if (nl > strip && name[nl - 1] != '/' &&
      page_add(page, name + strip, nl - strip, size ? strtoll(size, NULL, 10) : -1, etag, etag ? strlen(etag) : 0,
               updated ? iso8601_ms(updated, strlen(updated)) : 0))
    rc = -1;
done:
  free(name);
  free(etag);
  free(updated);
  free(size);
  return rc;
}

int gcs_parse_list(const char *json, size_t n, size_t strip, sic_source_page *page, sic_err *err) {
  sic_jscan j;
  sic_jiter it, arr;
  sic_jstr k, v;
  int r;
  sic_json_init(&j, json, n);
  if (sic_json_obj_begin(&j, &it)) goto bad;
  while ((r = sic_json_obj_next(&j, &it, &k)) == 1) {
    if (SIC_JSTR_IS(&k, "items")) {
      if (sic_json_arr_begin(&j, &arr)) goto bad;
      while ((r = sic_json_arr_next(&j, &arr)) == 1)
        if (parse_object(&j, strip, page)) goto bad;
      if (r < 0) goto bad;
    } else if (SIC_JSTR_IS(&k, "nextPageToken") && sic_json_peek(&j) == SIC_JT_STRING) {
      if (sic_json_str(&j, &v) || jstr_copy(&v, &page->next)) goto bad;
    } else if (sic_json_skip(&j)) {
      goto bad;
    }
  }
  if (r < 0) goto bad;
  return 0;
bad:
  return sic_err_set(err, SIC_EFORMAT, "not an objects.list answer: %s at byte %zu", j.err ? j.err : "unexpected JSON",
                     j.err_off);
}

/* ---- requests ---- */

/* gcs_parse_list in the shape object_list_get calls. */
static int gcs_parse_body(char *body, size_t n, size_t strip, sic_source_page *page, sic_err *err) {
  return gcs_parse_list(body, n, strip, page, err);
}

static int gcs_list_raw(sic_source *s, const char *key_prefix, const char *token, int max, size_t strip,
                        sic_source_page *page, sic_err *err) {
  gcs_impl *h = s->impl;
  memset(page, 0, sizeof *page);
  char *ep = http_escape(key_prefix, 0), *et = token ? http_escape(token, 0) : NULL, *eb = http_escape(h->bucket, 0);
  char *display = gcs_display(h, key_prefix);
  size_t n = strlen(h->endpoint) + (ep ? strlen(ep) : 0) + (et ? strlen(et) : 0) + (eb ? strlen(eb) : 0) + 128;
  char *url = malloc(n);
  int rc;
  if (!ep || !eb || (token && !et) || !display || !url) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  int k = snprintf(url, n, "%s/storage/v1/b/%s/o?prefix=%s", h->endpoint, eb, ep);
  if (et) k += snprintf(url + k, n - k, "&pageToken=%s", et);
  if (max > 0) snprintf(url + k, n - k, "&maxResults=%d", max);
  http_req req = {.url = url, .display = display, .auth = &s->auth, .settings = &s->settings, .length = -1};
  rc = object_list_get(&req, GCS_LIST_MAX, gcs_parse_body, strip, page, err);
done:
  free(ep);
  free(et);
  free(eb);
  free(display);
  free(url);
  return rc;
}

static int gcs_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  gcs_impl *h = s->impl;
  if (h->single) return object_single_page(&h->object, page, err);
  char kp[2048];
  snprintf(kp, sizeof kp, "%s%s", h->prefix, h->prefix[0] ? "/" : "");
  return gcs_list_raw(s, kp, token, 0, strlen(kp), page, err);
}

static int gcs_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out, sic_err *err) {
  gcs_impl *h = s->impl;
  char key[4096];
  snprintf(key, sizeof key, "%s%s%s", h->prefix, h->prefix[0] && name[0] ? "/" : "", name);
  char *ek = http_escape(key, 0), *eb = http_escape(h->bucket, 0);
  size_t n = strlen(h->endpoint) + (ek ? strlen(ek) : 0) + (eb ? strlen(eb) : 0) + 64;
  char *url = ek && eb ? malloc(n) : NULL;
  if (url) snprintf(url, n, "%s/storage/v1/b/%s/o/%s?alt=media", h->endpoint, eb, ek);
  free(ek);
  free(eb);
  return object_open(s, url, gcs_display(h, key), NULL, 0, offset, length, out, err);
}

static void gcs_destroy(sic_source *s) {
  gcs_impl *h = s->impl;
  if (!h) return;
  free(h->endpoint);
  free(h->bucket);
  free(h->prefix);
  free(h->object.name);
  free(h->object.etag);
  free(h);
}

static const source_ops gcs_ops = {"gs", gcs_list, gcs_read, NULL, NULL, gcs_destroy};

/* ---- setup ---- */

/* A token from the metadata server of the VM or pod, or nothing (not on GCP). */
static char *metadata_token_fetch(const http_settings *base, int64_t *expires_in_s) {
  const char *host = getenv("GCE_METADATA_HOST");
  char url[512];
  snprintf(url, sizeof url, "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
           host && *host ? host : "metadata.google.internal");
  http_settings st = *base;
  st.ca_bundle = NULL;
  st.retries = 0;
  st.connect_timeout_ms = 1000; /* off GCP nothing answers: do not wait long */
  static const char *const headers[] = {"Metadata-Flavor: Google", NULL};
  http_req req = {.url = url, .display = "the GCE metadata server", .settings = &st, .headers = headers,
                  .length = -1};
  char *body = NULL, *token = NULL;
  size_t len;
  sic_err err;
  if (http_get_all(&req, 65536, &body, &len, &err)) return NULL;
  sic_jscan j;
  sic_jiter it;
  sic_jstr k, v;
  sic_json_init(&j, body, len);
  if (!sic_json_obj_begin(&j, &it))
    while (sic_json_obj_next(&j, &it, &k) == 1) {
      if (SIC_JSTR_IS(&k, "access_token") && sic_json_peek(&j) == SIC_JT_STRING) {
        if (sic_json_str(&j, &v) || jstr_copy(&v, &token)) break;
      } else if (SIC_JSTR_IS(&k, "expires_in") && sic_json_peek(&j) == SIC_JT_NUMBER) {
        if (sic_json_i64(&j, expires_in_s)) break;
      } else if (sic_json_skip(&j)) {
        break;
      }
    }
  memset(body, 0, len);
  free(body);
  return token;
}

/* The metadata server's token, kept until a minute before it expires: a server rescanning a
 * bucket every few seconds asks for it once an hour, not on every scan. */
static char *metadata_token(const http_settings *base) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static char *cached;
  static int64_t valid_until;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t now = (int64_t)ts.tv_sec;
  pthread_mutex_lock(&lock);
  if (!cached || now >= valid_until) {
    int64_t expires_in = 0;
    char *fresh = metadata_token_fetch(base, &expires_in);
    if (fresh) {
      free(cached);
      cached = fresh;
      valid_until = now + (expires_in > 120 ? expires_in - 60 : 60);
    }
  }
  char *token = cached ? strdup(cached) : NULL;
  pthread_mutex_unlock(&lock);
  return token;
}

static int gcs_probe_single(sic_source *s, gcs_impl *h, sic_err *err) {
  if (!h->prefix[0]) return 0;
  sic_source_page page;
  int rc = gcs_list_raw(s, h->prefix, NULL, 2, 0, &page, err);
  if (rc) return rc;
  rc = object_take_single(&page, h->prefix, &h->object, err);
  if (rc <= 0) return rc;
  h->single = 1;
  return object_root_to_dir(s, "gs", h->bucket, h->prefix, err);
}

int source_gcs_init(sic_source *s, const sic_uri *u, sic_err *err) {
  gcs_impl *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->impl = h;
  s->ops = &gcs_ops;
  if (!u->host[0]) return sic_err_set(err, SIC_EINVAL, "%s: no bucket (gs://BUCKET/PREFIX)", s->display);
  size_t pl;
  const char *p = object_path_trim(u->path, &pl);
  const char *emu = getenv("STORAGE_EMULATOR_HOST");
  if (emu && *emu) {
    size_t el = strlen(emu);
    while (el && emu[el - 1] == '/') el--;
    int has_scheme = strstr(emu, "://") != NULL;
    h->endpoint = malloc(el + 8);
    if (h->endpoint) snprintf(h->endpoint, el + 8, "%s%.*s", has_scheme ? "" : "http://", (int)el, emu);
  } else {
    h->endpoint = strdup("https://storage.googleapis.com");
  }
  h->bucket = strdup(u->host);
  h->prefix = strndup(p, pl);
  size_t rn = strlen(u->host) + pl + 8;
  s->root = malloc(rn);
  if (!h->endpoint || !h->bucket || !h->prefix || !s->root) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  snprintf(s->root, rn, "gs://%s%s%.*s", u->host, pl ? "/" : "", (int)pl, p);
  const char *token = getenv("GOOGLE_OAUTH_ACCESS_TOKEN");
  if (token && *token) s->auth.bearer = strdup(token);
  else if (!(emu && *emu) || getenv("GCE_METADATA_HOST")) s->auth.bearer = metadata_token(&s->settings);
  return gcs_probe_single(s, h, err);
}
