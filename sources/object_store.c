/* What the object stores (s3, gs, azure) share: the page of a root naming one object, a
 * listing's GET and parse, the single-object probe, the root rewrite and the ranged object
 * reader. URLs, signing and auth stay in each scheme's file. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>

int object_single_page(const sic_source_entry *o, sic_source_page *page, sic_err *err) {
  memset(page, 0, sizeof *page);
  if (page_add(page, o->name, strlen(o->name), o->size, o->etag, o->etag ? strlen(o->etag) : 0, o->mtime_ms))
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  return 0;
}

int object_list_get(const http_req *req, size_t max, object_list_parse parse, size_t strip, sic_source_page *page,
                    sic_err *err) {
  char *body;
  size_t len;
  memset(page, 0, sizeof *page);
  int rc = http_get_all(req, max, &body, &len, err);
  if (rc) return rc;
  rc = parse(body, len, strip, page, err);
  if (rc) {
    sic_err_wrap(err, "listing %s: ", req->display);
    sic_source_page_free(page);
  }
  free(body);
  return rc;
}

int object_take_single(sic_source_page *page, const char *prefix, sic_source_entry *object, sic_err *err) {
  int single = 0;
  for (size_t i = 0; i < page->n && !single; i++)
    if (!strcmp(page->items[i].name, prefix)) {
      single = 1;
      *object = page->items[i];
      page->items[i].name = page->items[i].etag = NULL;
    }
  sic_source_page_free(page);
  if (!single) return 0;
  const char *slash = strrchr(prefix, '/'); /* the root becomes the object's directory */
  char *base = strdup(slash ? slash + 1 : prefix);
  if (!base) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  free(object->name);
  object->name = base;
  return 1;
}

int object_root_to_dir(sic_source *s, const char *scheme, const char *bucket, char *prefix, sic_err *err) {
  char *slash = strrchr(prefix, '/');
  if (slash) *slash = 0;
  else prefix[0] = 0;
  free(s->root);
  size_t n = strlen(scheme) + strlen(bucket) + strlen(prefix) + 8;
  if (!(s->root = malloc(n))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  snprintf(s->root, n, "%s://%s%s%s", scheme, bucket, prefix[0] ? "/" : "", prefix);
  return 0;
}

const char *object_path_trim(const char *path, size_t *len) {
  while (*path == '/') path++;
  size_t n = strlen(path);
  while (n && path[n - 1] == '/') n--;
  *len = n;
  return path;
}

/* A GET of one object whose URL and display it owns. */
typedef struct object_reader {
  sic_reader base;      /* read/close, delegating to the HTTP reader */
  sic_reader *http;     /* the transfer (owned) */
  http_req req;         /* borrowed by http */
  char *url;            /* owned (may hold a SAS) */
  char *display;        /* owned */
  int wipe_url;         /* 1: zero url before freeing it */
} object_reader;

static int object_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  object_reader *r = (object_reader *)base;
  return r->http->read(r->http, buf, cap, got, err);
}

static void object_close(sic_reader *base) {
  object_reader *r = (object_reader *)base;
  if (r->http) r->http->close(r->http);
  if (r->wipe_url && r->url) memset(r->url, 0, strlen(r->url));
  free(r->url);
  free(r->display);
  free(r);
}

int object_open(sic_source *s, char *url, char *display, const char *const *headers, int wipe_url, int64_t offset,
                int64_t length, sic_reader **out, sic_err *err) {
  object_reader *r = calloc(1, sizeof *r);
  if (!r || !url || !display) {
    if (wipe_url && url) memset(url, 0, strlen(url));
    free(url);
    free(display);
    free(r);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  r->url = url;
  r->display = display;
  r->wipe_url = wipe_url;
  r->base.read = object_read;
  r->base.close = object_close;
  r->req = (http_req){.url = r->url, .display = r->display, .auth = &s->auth, .settings = &s->settings,
                      .headers = headers, .offset = offset, .length = length, .resumable = 1};
  int rc = http_open(&r->req, &r->http, err);
  if (rc) {
    object_close(&r->base);
    return rc;
  }
  *out = &r->base;
  return 0;
}
