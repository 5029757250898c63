/* Delta tables at a URI: engine/delta's file access (delta_io.h) over the sources, so
 * `sic delta s3://bucket/table` replays the log without a local copy. Each call opens a
 * source on the directory and lists or reads through it; log files are read whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delta/delta_io.h"
#include "sources/source.h"

static int delta_list(const char *dir, sic_delta_name_fn fn, void *user, sic_err *err) {
  sic_source *s;
  int rc = sic_source_open(dir, NULL, &s, err);
  if (rc) return rc;
  const char *token = NULL;
  char *next = NULL;
  size_t seen = 0;
  do {
    sic_source_page page;
    rc = sic_source_list(s, token, &page, err);
    free(next);
    next = NULL;
    if (rc) break;
    for (size_t i = 0; i < page.n && !rc; i++) {
      const char *name = page.items[i].name;
      if (!*name || strchr(name, '/')) continue; /* deeper levels (_sidecars/...) are not the log's own */
      seen++;
      rc = fn(user, name);
    }
    next = page.next; /* ours now */
    page.next = NULL;
    sic_source_page_free(&page);
    token = next;
  } while (!rc && token);
  free(next);
  if (!rc && !seen) rc = sic_err_set(err, SIC_ENOTFOUND, "%s: nothing there", sic_source_display(s));
  sic_source_free(s);
  return rc;
}

/* Split uri at its last '/': the directory (new string) and the name after it. */
static char *split_dir(const char *uri, const char **name) {
  const char *slash = strrchr(uri, '/');
  const char *scheme_end = strstr(uri, "://");
  if (!slash || !scheme_end || slash < scheme_end + 3 || !slash[1]) return NULL;
  *name = slash + 1;
  return strndup(uri, (size_t)(slash - uri));
}

static int delta_read(const char *path, void **buf, size_t *len, sic_err *err) {
  *buf = NULL;
  *len = 0;
  const char *name;
  char *dir = split_dir(path, &name);
  if (!dir) return sic_err_set(err, SIC_EINVAL, "%s: not an object URI (scheme://bucket/.../name)", path);
  sic_source *s = NULL;
  sic_reader *r = NULL;
  uint8_t *data = NULL;
  size_t n = 0, cap = 0;
  int rc = sic_source_open(dir, NULL, &s, err);
  if (rc) goto done;
  if ((rc = sic_source_read(s, name, 0, -1, &r, err))) goto done;
  for (;;) {
    if (cap - n < 65536) {
      size_t nc = cap ? cap * 2 : 262144;
      uint8_t *g = realloc(data, nc);
      if (!g) { rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory", sic_source_display(s)); goto done; }
      data = g;
      cap = nc;
    }
    size_t got = 0;
    if ((rc = r->read(r, data + n, cap - n, &got, err))) goto done;
    if (!got) break;
    n += got;
  }
  *buf = data;
  *len = n;
  data = NULL;
done:
  if (r) r->close(r);
  free(data);
  sic_source_free(s);
  free(dir);
  return rc;
}

static const sic_delta_io uri_delta_io = {delta_list, delta_read, sic_uri_display};

void sic_sources_delta_init(void) { sic_delta_set_uri_io(&uri_delta_io); }
