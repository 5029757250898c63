/* sic_source: one interface over every scheme (see source.h), plus the file scheme.
 *
 * The generic scan lists every page, hands the flat listing to engine/eventlog's layout rules
 * (sic_logset_scan_remote) and lets them sniff entries through ranged reads of their first
 * bytes; the parts it returns open through this source. */
#include "sources/source_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- shared helpers ---- */

int page_add(sic_source_page *page, const char *name, size_t name_len, int64_t size, const char *etag,
             size_t etag_len, int64_t mtime_ms) {
  sic_source_entry *grown = realloc(page->items, (page->n + 1) * sizeof *grown);
  if (!grown) return SIC_ENOMEM;
  page->items = grown;
  sic_source_entry *e = &page->items[page->n];
  memset(e, 0, sizeof *e);
  e->name = strndup(name, name_len);
  e->etag = etag ? strndup(etag, etag_len) : NULL;
  if (!e->name || (etag && !e->etag)) {
    free(e->name);
    free(e->etag);
    return SIC_ENOMEM;
  }
  e->size = size;
  e->mtime_ms = mtime_ms;
  page->n++;
  return 0;
}

int64_t iso8601_ms(const char *p, size_t n) {
  int y, mo, d, h, mi, sec, ms = 0;
  char buf[40];
  if (n >= sizeof buf || n < 19) return -1;
  memcpy(buf, p, n);
  buf[n] = 0;
  if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) return -1;
  if (buf[19] == '.') ms = atoi(buf + 20) % 1000;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
  time_t t = timegm(&tm);
  return t == (time_t)-1 ? -1 : (int64_t)t * 1000 + ms;
}

void sic_source_page_free(sic_source_page *page) {
  if (!page) return;
  for (size_t i = 0; i < page->n; i++) {
    free(page->items[i].name);
    free(page->items[i].etag);
  }
  free(page->items);
  free(page->next);
  memset(page, 0, sizeof *page);
}

/* ---- the part opener every remote logset uses ---- */

static int entry_cmp(const void *a, const void *b) {
  return strcmp(((const sic_source_entry *)a)->name, ((const sic_source_entry *)b)->name);
}

/* The listing's entry named name, NULL when the source kept no listing or it is not there. */
static const sic_source_entry *listed_entry(const sic_source *s, const char *name) {
  if (__atomic_load_n(&s->listed, __ATOMIC_ACQUIRE) != 1) return NULL;
  sic_source_entry key = {.name = (char *)name};
  return bsearch(&key, s->listing.items, s->listing.n, sizeof key, entry_cmp);
}

static int open_part(sic_part_source *ps, const sic_logpart *part, sic_reader **out, sic_err *err) {
  sic_source *s = (sic_source *)ps;
  if (s->ops->open_part) return s->ops->open_part(s, part, out, err);
  size_t n = strlen(s->root);
  if (strncmp(part->path, s->root, n) || part->path[n] != '/')
    return sic_err_set(err, SIC_EINVAL, "%s: not under %s", part->path, s->root);
  const sic_source_entry *e = listed_entry(s, part->path + n + 1);
  if (e) return part_cache_open(s, e, out, err); /* a known version: maybe read before */
  return s->ops->read(s, part->path + n + 1, 0, -1, out, err);
}

const sic_source *source_of_part(const sic_logpart *part, sic_source_entry *entry) {
  if (!part->source || part->source->open != open_part) return NULL;
  const sic_source *s = (const sic_source *)part->source;
  size_t n = strlen(s->root);
  if (s->ops->open_part || strncmp(part->path, s->root, n) || part->path[n] != '/') return NULL;
  const sic_source_entry *e = listed_entry(s, part->path + n + 1);
  if (!e) return NULL;
  *entry = *e;
  return s;
}

static void destroy_source(sic_part_source *ps) {
  sic_source *s = (sic_source *)ps;
  if (s->ops && s->ops->destroy) s->ops->destroy(s);
  free(s->uri);
  free(s->display);
  free(s->root);
  free((char *)s->opts.status);
  free((char *)s->opts.min_end);
  free((char *)s->opts.max_end);
  http_settings_free(&s->settings);
  http_auth_free(&s->auth);
  sic_source_page_free(&s->listing);
  free(s);
}

/* ---- file scheme ---- */

static int file_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err);
static void file_close(sic_reader *base);

typedef struct file_reader {
  sic_reader base;      /* read/close */
  int fd;               /* open file */
  int64_t left;         /* bytes still wanted, -1 to the end */
  char *path;           /* for messages (owned) */
} file_reader;

int file_reader_from_fd(int fd, const char *path, sic_reader **out, sic_err *err) {
  *out = NULL;
  file_reader *r = calloc(1, sizeof *r);
  char *p = strdup(path);
  if (!r || !p) {
    close(fd);
    free(r);
    free(p);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  r->fd = fd;
  r->left = -1;
  r->path = p;
  r->base.read = file_read;
  r->base.close = file_close;
  *out = &r->base;
  return 0;
}

static int file_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  file_reader *r = (file_reader *)base;
  *got = 0;
  if (r->left == 0) return 0;
  if (r->left > 0 && (int64_t)cap > r->left) cap = (size_t)r->left;
  ssize_t n;
  do n = read(r->fd, buf, cap);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sic_err_set(err, SIC_EIO, "%s: read failed: %s", r->path, strerror(errno));
  if (n == 0 && r->left > 0) return sic_err_set(err, SIC_ETRUNCATED, "%s: file ended before the requested range", r->path);
  if (r->left > 0) r->left -= n;
  *got = (size_t)n;
  return 0;
}

static void file_close(sic_reader *base) {
  file_reader *r = (file_reader *)base;
  close(r->fd);
  free(r->path);
  free(r);
}

/* The local path a file:// source names (the URI's path, or the plain path given). */
static const char *file_root(const sic_source *s) { return s->impl; }

static int file_read_entry(sic_source *s, const char *name, int64_t off, int64_t len, sic_reader **out,
                           sic_err *err) {
  *out = NULL;
  size_t n = strlen(file_root(s)) + strlen(name) + 2;
  file_reader *r = calloc(1, sizeof *r);
  char *path = malloc(n);
  if (!r || !path) {
    free(r);
    free(path);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  snprintf(path, n, "%s%s%s", file_root(s), *name ? "/" : "", name);
  r->path = path;
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0 || (off > 0 && lseek(r->fd, off, SEEK_SET) < 0)) {
    int rc = sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (r->fd >= 0) close(r->fd);
    free(path);
    free(r);
    return rc;
  }
  r->left = len;
  r->base.read = file_read;
  r->base.close = file_close;
  *out = &r->base;
  return 0;
}

/* Every regular file under dir (relative names), depth-first; one page. */
static int file_walk(const char *root, const char *rel, sic_source_page *page, int depth, sic_err *err) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(dir);
  if (!d) return depth ? 0 : sic_err_set(err, SIC_EIO, "%s: cannot list: %s", dir, strerror(errno));
  struct dirent *de;
  int rc = 0;
  while (!rc && (de = readdir(d))) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]))) continue;
    char name[4096], path[8192];
    snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
    snprintf(path, sizeof path, "%s/%s", root, name);
    struct stat st;
    if (stat(path, &st)) continue;
    if (S_ISDIR(st.st_mode) && depth < 32) rc = file_walk(root, name, page, depth + 1, err);
    else if (S_ISREG(st.st_mode) &&
             page_add(page, name, strlen(name), st.st_size, NULL, 0, (int64_t)st.st_mtim.tv_sec * 1000))
      rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  closedir(d);
  return rc;
}

static int file_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  memset(page, 0, sizeof *page);
  struct stat st;
  if (stat(file_root(s), &st)) return sic_err_set(err, SIC_ENOTFOUND, "%s: %s", file_root(s), strerror(errno));
  if (!S_ISDIR(st.st_mode)) return page_add(page, "", 0, st.st_size, NULL, 0, (int64_t)st.st_mtim.tv_sec * 1000);
  return file_walk(file_root(s), "", page, 0, err);
}

/* Local logs keep the local readers (mmap, zero copy, libzip). */
static int file_scan(sic_source *s, sic_logsets *out, sic_err *err) { return sic_logset_scan(file_root(s), out, err); }

static void file_destroy(sic_source *s) { free(s->impl); }

static const source_ops file_ops = {"file", file_list, file_read_entry, file_scan, NULL, file_destroy};

int source_file_init(sic_source *s, sic_err *err) {
  const char *p = s->uri;
  if (!strncmp(p, "file://", 7)) {
    p += 7;
    if (*p && *p != '/') { /* file://host/path: only the local host */
      if (strncmp(p, "localhost/", 10))
        return sic_err_set(err, SIC_EINVAL, "%s: file:// URIs name local files (file:///path)", s->display);
      p += 9;
    }
  }
  s->ops = &file_ops;
  s->impl = strdup(p);
  s->root = strdup(s->uri);
  if (!s->impl || !s->root) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  return 0;
}

/* ---- public API ---- */

static char *dup_opt(const char *v) { return v && *v ? strdup(v) : NULL; }

int sic_source_open(const char *uri, const sic_source_opts *opts, sic_source **out, sic_err *err) {
  *out = NULL;
  if (!uri || !*uri) return sic_err_set(err, SIC_EINVAL, "no source URI given");
  sic_source *s = calloc(1, sizeof *s);
  if (!s) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->part.open = open_part;
  s->part.destroy = destroy_source;
  s->part.refs = 1;
  http_settings_load(&s->settings);
  s->uri = strdup(uri);
  s->display = sic_uri_display(uri);
  if (opts) {
    s->opts.status = dup_opt(opts->status);
    s->opts.min_end = dup_opt(opts->min_end);
    s->opts.max_end = dup_opt(opts->max_end);
  }
  int rc;
  if (!s->uri || !s->display) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto error;
  }
  if (!sic_path_is_uri(uri) || !strncmp(uri, "file://", 7)) {
    rc = source_file_init(s, err);
    if (rc) goto error;
    *out = s;
    return 0;
  }
  sic_uri u;
  rc = sic_uri_parse(uri, &u, err);
  if (rc) {
    sic_err_wrap(err, "%s: ", s->display);
    goto error;
  }
  int http = !strcmp(u.scheme, "http") || !strcmp(u.scheme, "https");
  if (http && source_is_azure_https(&u)) rc = source_azure_init(s, &u, err);
  else if (http) rc = source_hs_init(s, &u, err);
  else if (!strcmp(u.scheme, "abfss") || !strcmp(u.scheme, "abfs") || !strcmp(u.scheme, "wasbs") ||
           !strcmp(u.scheme, "wasb"))
    rc = source_azure_init(s, &u, err);
  else if (!strcmp(u.scheme, "s3") || !strcmp(u.scheme, "s3a")) rc = source_s3_init(s, &u, err);
  else if (!strcmp(u.scheme, "gs")) rc = source_gcs_init(s, &u, err);
  else if (!strcmp(u.scheme, "kafka"))
    rc = sic_err_set(err, SIC_EUNSUPPORTED, "%s: kafka:// carries log notifications: consume it with `sic ingest`",
                     s->display);
  else
    rc = sic_err_set(err, SIC_EUNSUPPORTED, "%s: unknown scheme %s:// (this build reads file, http, https, s3, gs, abfss, wasbs)",
                     s->display, u.scheme);
  sic_uri_free(&u);
  if (rc) goto error;
  *out = s;
  return 0;
error:
  sic_part_source_release(&s->part);
  return rc;
}

void sic_source_free(sic_source *s) {
  if (s) sic_part_source_release(&s->part);
}

const char *sic_source_display(const sic_source *s) { return s->display; }
const char *sic_source_scheme(const sic_source *s) { return s->ops->scheme; }

int sic_source_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  memset(page, 0, sizeof *page);
  if (!s->ops->list) return sic_err_set(err, SIC_EUNSUPPORTED, "%s: this source cannot be listed", s->display);
  return s->ops->list(s, token, page, err);
}

int sic_source_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out,
                    sic_err *err) {
  *out = NULL;
  if (offset < 0) return sic_err_set(err, SIC_EINVAL, "%s: negative offset", s->display);
  return s->ops->read(s, name, offset, length, out, err);
}

/* read_head for sic_logset_scan_remote: a ranged read of an entry's first bytes. */
typedef struct head_ctx {
  sic_source *s;            /* the source */
  const sic_source_page *all; /* the whole listing */
  const size_t *index;      /* tree entry -> its index in all */
} head_ctx;

static size_t read_head(void *ctx, size_t i, uint8_t *buf, size_t cap) {
  head_ctx *h = ctx;
  const sic_source_entry *e = &h->all->items[h->index[i]];
  if (e->size == 0) return 0;
  size_t cached = part_cache_head(h->s, e, buf, cap); /* a part read before: no request */
  if (cached) return cached;
  sic_reader *r;
  sic_err err;
  int64_t want = e->size > 0 && (int64_t)cap > e->size ? e->size : (int64_t)cap;
  if (h->s->ops->read(h->s, e->name, 0, want, &r, &err)) return 0;
  return reader_read_head(r, buf, cap);
}

size_t reader_read_head(sic_reader *r, uint8_t *buf, size_t cap) {
  sic_err err;
  size_t got = 0;
  while (got < cap) {
    size_t n = 0;
    if (r->read(r, buf + got, cap - got, &n, &err) || !n) break;
    got += n;
  }
  r->close(r);
  return got;
}

static int list_all(sic_source *s, sic_source_page *all, sic_err *err) {
  memset(all, 0, sizeof *all);
  char *token = NULL;
  int rc = 0;
  do {
    sic_source_page page;
    rc = s->ops->list(s, token, &page, err);
    free(token);
    token = NULL;
    if (rc) break;
    sic_source_entry *grown = realloc(all->items, (all->n + page.n + 1) * sizeof *grown);
    if (!grown) {
      sic_source_page_free(&page);
      rc = sic_err_set(err, SIC_ENOMEM, "out of memory listing %s", s->display);
      break;
    }
    all->items = grown;
    memcpy(all->items + all->n, page.items, page.n * sizeof *page.items);
    all->n += page.n;
    free(page.items);
    token = page.next;
  } while (token);
  if (rc) sic_source_page_free(all);
  return rc;
}

/* ---- scans of an unchanged listing ----
 * A server rescanning a bucket every few seconds (sic serve --logs s3://...) would read the
 * first bytes of every object each time to recognise event logs. A scan whose listing (names,
 * sizes, ETags, times) is the same as the last scan of the same root returns a copy of that
 * scan's logs instead. A few roots are remembered; their logs keep their sources alive. */

#define SCAN_CACHE 8

typedef struct scan_memo {
  char *root;           /* root URI (owned), NULL when the slot is free */
  uint64_t listing;     /* hash of the listing the logs came from */
  sic_logsets sets;     /* the logs (owned) */
  uint64_t used;        /* last use, for eviction */
} scan_memo;

static scan_memo scan_memos[SCAN_CACHE];
static pthread_mutex_t scan_memo_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t scan_memo_clock;

static uint64_t listing_hash(const sic_source_page *all) {
  XXH3_state_t *st = XXH3_createState();
  if (!st) return 0;
  XXH3_64bits_reset(st);
  for (size_t i = 0; i < all->n; i++) {
    const sic_source_entry *e = &all->items[i];
    XXH3_64bits_update(st, e->name, strlen(e->name) + 1);
    if (e->etag) XXH3_64bits_update(st, e->etag, strlen(e->etag) + 1);
    XXH3_64bits_update(st, &e->size, sizeof e->size);
    XXH3_64bits_update(st, &e->mtime_ms, sizeof e->mtime_ms);
  }
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h ? h : 1;
}

/* Deep copy (strings duplicated, part sources retained); 0 or SIC_ENOMEM. */
static int logsets_copy(const sic_logsets *from, sic_logsets *to) {
  memset(to, 0, sizeof *to);
  to->items = calloc(from->n + 1, sizeof *to->items);
  if (!to->items) return SIC_ENOMEM;
  to->nskipped = from->nskipped;
  for (size_t i = 0; i < from->n; i++) {
    const sic_logset *a = &from->items[i];
    sic_logset *b = &to->items[to->n++];
    *b = *a;
    b->path = strdup(a->path);
    b->name = strdup(a->name);
    b->parts = calloc(a->nparts + 1, sizeof *b->parts);
    b->nparts = 0;
    if (!b->path || !b->name || !b->parts) goto nomem;
    for (size_t k = 0; k < a->nparts; k++) {
      sic_logpart *p = &b->parts[b->nparts];
      *p = a->parts[k];
      p->path = strdup(a->parts[k].path);
      p->zip_member = a->parts[k].zip_member ? strdup(a->parts[k].zip_member) : NULL;
      if (!p->path || (a->parts[k].zip_member && !p->zip_member)) {
        free(p->path);
        free(p->zip_member);
        goto nomem;
      }
      sic_part_source_retain(p->source);
      b->nparts++;
    }
  }
  return 0;
nomem:
  sic_logsets_free(to);
  return SIC_ENOMEM;
}

/* 1 with out filled when root was last scanned with this listing. */
static int scan_memo_get(const char *root, uint64_t listing, sic_logsets *out) {
  int hit = 0;
  pthread_mutex_lock(&scan_memo_lock);
  for (size_t i = 0; i < SCAN_CACHE && !hit; i++) {
    scan_memo *m = &scan_memos[i];
    if (m->root && m->listing == listing && !strcmp(m->root, root) && !logsets_copy(&m->sets, out)) {
      m->used = ++scan_memo_clock;
      hit = 1;
    }
  }
  pthread_mutex_unlock(&scan_memo_lock);
  return hit;
}

static void scan_memo_put(const char *root, uint64_t listing, const sic_logsets *sets) {
  sic_logsets copy;
  if (logsets_copy(sets, &copy)) return;
  char *key = strdup(root);
  if (!key) {
    sic_logsets_free(&copy);
    return;
  }
  pthread_mutex_lock(&scan_memo_lock);
  scan_memo *slot = &scan_memos[0];
  for (size_t i = 0; i < SCAN_CACHE; i++) {
    scan_memo *m = &scan_memos[i];
    if (m->root && !strcmp(m->root, root)) { slot = m; break; }
    if (!m->root || m->used < slot->used) slot = m;
  }
  free(slot->root);
  sic_logsets_free(&slot->sets);
  slot->root = key;
  slot->listing = listing;
  slot->sets = copy;
  slot->used = ++scan_memo_clock;
  pthread_mutex_unlock(&scan_memo_lock);
}

static int is_zip_name(const char *name) {
  size_t n = strlen(name);
  return n > 4 && !strcasecmp(name + n - 4, ".zip");
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const sic_logset *)a)->path, ((const sic_logset *)b)->path);
}

/* The logs inside a zip object, added to out (sorted by path again). A damaged archive among
 * other objects is skipped, as on disk; the only object of the root fails the scan. */
static int scan_zip_entry(sic_source *s, const sic_source_entry *e, int alone, sic_logsets *out, sic_err *err) {
  sic_logsets in;
  int rc = zip_remote_scan(s, e, &in, err);
  if (rc && !alone && rc != SIC_ENOMEM) {
    out->nskipped++;
    return 0;
  }
  if (rc) return rc;
  if (!in.n) out->nskipped++;
  sic_logset *grown = in.n ? realloc(out->items, (out->n + in.n + 1) * sizeof *grown) : out->items;
  if (in.n && !grown) {
    sic_logsets_free(&in);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  out->items = grown;
  memcpy(out->items + out->n, in.items, in.n * sizeof *in.items);
  out->n += in.n;
  out->nskipped += in.nskipped;
  free(in.items);
  in.items = NULL;
  in.n = 0;
  sic_logsets_free(&in);
  if (out->n > 1) qsort(out->items, out->n, sizeof *out->items, by_path);
  return 0;
}

int sic_source_scan(sic_source *s, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (s->ops->scan) return s->ops->scan(s, out, err);
  sic_source_page all;
  int rc = list_all(s, &all, err);
  if (rc) return rc;
  uint64_t listing = listing_hash(&all);
  if (listing && scan_memo_get(s->root, listing, out)) {
    sic_source_page_free(&all);
    return 0;
  }
  sic_remote_entry *entries = calloc(all.n + 1, sizeof *entries);
  size_t *index = calloc(all.n + 1, sizeof *index);
  if (!entries || !index) {
    free(entries);
    free(index);
    sic_source_page_free(&all);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  size_t n = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (is_zip_name(all.items[i].name)) continue; /* read in place below */
    entries[n] = (sic_remote_entry){all.items[i].name, all.items[i].size, all.items[i].mtime_ms};
    index[n++] = i;
  }
  head_ctx h = {s, &all, index};
  sic_remote_tree tree = {s->root, entries, n, &s->part, read_head, &h};
  rc = sic_logset_scan_remote(&tree, out, err);
  size_t listed = all.n;
  free(entries);
  free(index);
  for (size_t i = 0; i < all.n && !rc; i++)
    if (is_zip_name(all.items[i].name)) rc = scan_zip_entry(s, &all.items[i], all.n == 1, out, err);
  if (rc) sic_logsets_free(out);
  if (!rc && out->n == 0 && listed == 0)
    rc = sic_err_set(err, SIC_ENOTFOUND, "%s: nothing there (no object under this prefix)", s->display);
  if (!rc && listing) scan_memo_put(s->root, listing, out);
  if (!rc && !s->listed) { /* kept for the part cache: versions of the parts by name */
    if (all.n > 1) qsort(all.items, all.n, sizeof *all.items, entry_cmp);
    s->listing = all;
    s->listing_hash = listing;
    __atomic_store_n(&s->listed, 1, __ATOMIC_RELEASE);
  } else {
    /* a later scan of the same source that saw other versions: the kept listing no longer
     * says which version a part is, so the part cache stops being used through this source */
    if (!rc && s->listed == 1 && listing != s->listing_hash) __atomic_store_n(&s->listed, 2, __ATOMIC_RELEASE);
    sic_source_page_free(&all);
  }
  return rc;
}

int sic_source_version_key(const sic_logset *set, char out[65], int64_t *size) {
  int remote = 0;
  size_t cap = 1;
  for (size_t i = 0; i < set->nparts; i++) {
    remote |= set->parts[i].source != NULL;
    cap += strlen(set->parts[i].path) + 48;
  }
  if (!remote) return 0;
  char *text = malloc(cap);
  if (!text) return SIC_ENOMEM;
  size_t n = 0;
  *size = 0;
  for (size_t i = 0; i < set->nparts; i++) {
    const sic_logpart *p = &set->parts[i];
    n += (size_t)snprintf(text + n, cap - n, "%s\t%lld\t%lld\n", p->path, (long long)p->size, (long long)p->mtime_ms);
    if (p->size > 0) *size += p->size;
  }
  /* two 128-bit hashes: the 64 hex digits the store keeps for a content SHA-256 */
  XXH128_hash_t a = XXH3_128bits_withSeed(text, n, 0), b = XXH3_128bits_withSeed(text, n, 0x9E3779B97F4A7C15ULL);
  snprintf(out, 65, "%016llx%016llx%016llx%016llx", (unsigned long long)a.high64, (unsigned long long)a.low64,
           (unsigned long long)b.high64, (unsigned long long)b.low64);
  free(text);
  return 1;
}

/* ---- registration with engine/eventlog ---- */

static sic_source_opts scan_defaults; /* set by the CLI before it scans */

void sic_sources_set_defaults(const sic_source_opts *opts) {
  if (opts) scan_defaults = *opts;
}

static int scan_uri(const char *uri, sic_logsets *out, sic_err *err) {
  sic_source_opts opts = {scan_defaults.status ? scan_defaults.status : getenv("SIC_HS_STATUS"),
                          scan_defaults.min_end ? scan_defaults.min_end : getenv("SIC_HS_MIN_END"),
                          scan_defaults.max_end ? scan_defaults.max_end : getenv("SIC_HS_MAX_END")};
  sic_source *s;
  int rc = sic_source_open(uri, &opts, &s, err);
  if (rc) return rc;
  rc = sic_source_scan(s, out, err);
  sic_source_free(s); /* the logsets keep their own references */
  return rc;
}

void sic_sources_init(void) {
  sic_logset_set_uri_scanner(scan_uri);
  sic_sources_delta_init(); /* Delta tables at URIs (engine/delta's file access) */
}

/* Loading libsic (the shared library, or the static one's object) is enough. */
__attribute__((constructor)) static void sources_register(void) { sic_sources_init(); }
