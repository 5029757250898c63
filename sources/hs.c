/* http(s):// — a Spark History Server through its REST API v1.
 *
 *   http://host:18080[/prefix]                          every application it lists
 *   .../history/<appId>[/<attemptId>][/any UI page]     one application (a URL copied from the UI)
 *   .../api/v1/applications/<appId>[/<attemptId>][/...] one application (a REST URL)
 *
 * The listing has no paging, so it is windowed by end date: ask for `limit` applications,
 * then again with maxEndDate = the oldest end time seen, until a window brings nothing new
 * (attempts are deduplicated on application id, attempt id and lastUpdated). Each attempt
 * becomes one logset with one part, its /logs zip, read as it arrives through hs_logs_open.
 *
 * Credentials (first found): SIC_HTTP_TOKEN (bearer), user:password in the URL or
 * SIC_HTTP_USER/SIC_HTTP_PASSWORD (Basic), SIC_HTTP_AUTH=negotiate (SPNEGO with the user's
 * Kerberos ticket), else ~/.netrc for the host when it has an entry. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/scan.h"

#define HS_LIST_MAX (256u << 20) /* bytes of one application-list answer */

typedef struct hs_impl {
  char *base;           /* scheme://host[:port][/prefix], no userinfo, no trailing '/' (owned) */
  char *app_id;         /* one application, or NULL for all (owned) */
  char *attempt;        /* its attempt, or NULL (owned) */
  char *query;          /* list parameters given in the URI (status, minDate, ...), or NULL (owned) */
} hs_impl;

/* One attempt as listed. */
typedef struct hs_attempt {
  char *app_id;         /* owned */
  char *attempt;        /* NULL when the application has no attempt ids (owned) */
  int64_t last_updated; /* lastUpdatedEpoch */
  int64_t end_epoch;    /* endTimeEpoch, -1 while running */
  char end_text[48];    /* endTime as the server wrote it (feeds maxEndDate) */
  int completed;        /* attempt finished */
} hs_attempt;

typedef struct hs_list {
  hs_attempt *items;    /* owned */
  size_t n;             /* attempts */
} hs_list;

static void hs_list_free(hs_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].app_id);
    free(l->items[i].attempt);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

/* Add unless an equal (app, attempt, lastUpdated) is there; 1 added, 0 duplicate, <0 no memory. */
static int hs_list_add(hs_list *l, const hs_attempt *a) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->items[i].app_id, a->app_id) && same_str(l->items[i].attempt, a->attempt) &&
        l->items[i].last_updated == a->last_updated)
      return 0;
  hs_attempt *grown = realloc(l->items, (l->n + 1) * sizeof *grown);
  if (!grown) return SIC_ENOMEM;
  l->items = grown;
  l->items[l->n] = *a;
  l->items[l->n].app_id = strdup(a->app_id);
  l->items[l->n].attempt = a->attempt ? strdup(a->attempt) : NULL;
  if (!l->items[l->n].app_id || (a->attempt && !l->items[l->n].attempt)) {
    free(l->items[l->n].app_id);
    free(l->items[l->n].attempt);
    return SIC_ENOMEM;
  }
  l->n++;
  return 1;
}

/* ---- JSON ---- */

static char *jstr_dup(const sic_jstr *s) {
  char *out = malloc(s->len + 1);
  if (!out) return NULL;
  size_t n = s->escaped ? sic_json_unescape(s, out) : (memcpy(out, s->p, s->len), s->len);
  out[n] = 0;
  return out;
}

/* One attempt object; fills a (strings owned by a). */
static int parse_attempt(sic_jscan *j, hs_attempt *a) {
  sic_jiter it;
  sic_jstr k, v;
  memset(a, 0, sizeof *a);
  a->end_epoch = -1;
  if (sic_json_obj_begin(j, &it)) return -1;
  int r;
  while ((r = sic_json_obj_next(j, &it, &k)) == 1) {
    if (SIC_JSTR_IS(&k, "attemptId") && sic_json_peek(j) == SIC_JT_STRING) {
      free(a->attempt); /* a repeated key: the last one wins */
      a->attempt = NULL;
      if (sic_json_str(j, &v) || !(a->attempt = jstr_dup(&v))) return -1;
    } else if (SIC_JSTR_IS(&k, "completed")) {
      if (sic_json_bool(j, &a->completed)) return -1;
    } else if (SIC_JSTR_IS(&k, "lastUpdatedEpoch")) {
      if (sic_json_i64(j, &a->last_updated)) return -1;
    } else if (SIC_JSTR_IS(&k, "endTimeEpoch")) {
      if (sic_json_i64(j, &a->end_epoch)) return -1;
    } else if (SIC_JSTR_IS(&k, "endTime") && sic_json_peek(j) == SIC_JT_STRING) {
      if (sic_json_str(j, &v)) return -1;
      snprintf(a->end_text, sizeof a->end_text, "%.*s", (int)(v.len < 47 ? v.len : 47), v.p);
    } else if (sic_json_skip(j)) {
      return -1;
    }
  }
  return r;
}

/* One application object: each of its attempts (filtered by want_attempt) into l. *added
 * counts new ones. */
static int parse_app(sic_jscan *j, const char *want_attempt, hs_list *l, size_t *added) {
  sic_jiter it, at;
  sic_jstr k, v;
  char *id = NULL;
  hs_list attempts = {0};
  int r, rc = -1;
  if (sic_json_obj_begin(j, &it)) return -1;
  while ((r = sic_json_obj_next(j, &it, &k)) == 1) {
    if (SIC_JSTR_IS(&k, "id")) {
      free(id); /* a repeated key: the last one wins */
      id = NULL;
      if (sic_json_str(j, &v) || !(id = jstr_dup(&v))) goto done;
    } else if (SIC_JSTR_IS(&k, "attempts")) {
      if (sic_json_arr_begin(j, &at)) goto done;
      while ((r = sic_json_arr_next(j, &at)) == 1) {
        hs_attempt a;
        int ok = parse_attempt(j, &a) == 0;
        a.app_id = "";
        if (ok && (!want_attempt || same_str(a.attempt, want_attempt)) && hs_list_add(&attempts, &a) < 0) ok = 0;
        free(a.attempt);
        if (!ok) goto done;
      }
      if (r < 0) goto done;
    } else if (sic_json_skip(j)) {
      goto done;
    }
  }
  if (r < 0 || !id) goto done;
  rc = 0;
  for (size_t i = 0; i < attempts.n && !rc; i++) {
    char *own = attempts.items[i].app_id;
    attempts.items[i].app_id = id; /* borrowed for the copy hs_list_add makes */
    int a = hs_list_add(l, &attempts.items[i]);
    attempts.items[i].app_id = own;
    if (a < 0) rc = -1;
    *added += a > 0;
  }
done:
  hs_list_free(&attempts);
  free(id);
  return rc;
}

/* An application-list answer (a JSON array of applications) into l; *in_page counts the
 * applications, *added the attempts new to l. 0, or -1 with j->err set. */
static int parse_app_list(sic_jscan *j, hs_list *l, size_t *in_page, size_t *added) {
  sic_jiter it;
  int r = sic_json_arr_begin(j, &it);
  while (r == 0 && (r = sic_json_arr_next(j, &it)) == 1) {
    (*in_page)++;
    r = parse_app(j, NULL, l, added) ? -1 : 0;
  }
  return r < 0 ? -1 : 0;
}

int hs_parse_listing(const char *json, size_t len, int one_app, size_t *apps, size_t *attempts, sic_err *err) {
  sic_jscan j;
  hs_list l = {0};
  size_t added = 0;
  *apps = 0;
  sic_json_init(&j, json, len);
  int r = one_app ? parse_app(&j, NULL, &l, &added) : parse_app_list(&j, &l, apps, &added);
  *attempts = l.n;
  hs_list_free(&l);
  if (r) return sic_err_set(err, SIC_EFORMAT, "%s at byte %zu", j.err ? j.err : "unexpected JSON", j.err_off);
  return 0;
}

/* ---- requests ---- */

static int hs_get_json(sic_source *s, const char *url, char **body, size_t *len, sic_err *err) {
  char *display = sic_uri_display(url);
  http_req req = {.url = url, .display = display ? display : "(url)", .auth = &s->auth, .settings = &s->settings,
                  .length = -1};
  int rc = http_get_all(&req, HS_LIST_MAX, body, len, err);
  free(display);
  return rc;
}

static int json_error(sic_source *s, const char *url, const sic_jscan *j, sic_err *err) {
  char *display = sic_uri_display(url);
  int rc = sic_err_set(err, SIC_EFORMAT, "%s: not a History Server answer: %s at byte %zu (is this URL a Spark "
                       "History Server, with the right prefix?)", display ? display : "(url)",
                       j->err ? j->err : "unexpected JSON", j->err_off);
  free(display);
  return rc;
}

/* One window of the application list, maxEndDate = max_end (or none). */
static int hs_list_window(sic_source *s, const char *max_end, size_t limit, hs_list *l, size_t *in_page,
                          size_t *added, sic_err *err) {
  hs_impl *h = s->impl;
  char url[4096];
  int n = snprintf(url, sizeof url, "%s/api/v1/applications?limit=%zu", h->base, limit);
  if (s->opts.status) n += snprintf(url + n, sizeof url - n, "&status=%s", s->opts.status);
  if (s->opts.min_end) n += snprintf(url + n, sizeof url - n, "&minEndDate=%s", s->opts.min_end);
  if (max_end) n += snprintf(url + n, sizeof url - n, "&maxEndDate=%s", max_end);
  if (h->query) n += snprintf(url + n, sizeof url - n, "&%s", h->query);
  if (n >= (int)sizeof url) return sic_err_set(err, SIC_EINVAL, "%s: URL too long", s->display);
  char *body;
  size_t len;
  int rc = hs_get_json(s, url, &body, &len, err);
  if (rc) return rc;
  sic_jscan j;
  sic_json_init(&j, body, len);
  *in_page = 0;
  if (parse_app_list(&j, l, in_page, added)) rc = json_error(s, url, &j, err);
  free(body);
  return rc;
}

/* maxEndDate text for an epoch in ms, in the History Server's own date format. */
static void format_date(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, cap - n, ".%03dGMT", (int)(ms % 1000));
}

static int hs_list_all(sic_source *s, hs_list *l, sic_err *err) {
  const char *v = getenv("SIC_HS_PAGE");
  size_t limit = v && atoi(v) > 0 ? (size_t)atoi(v) : 1000;
  char max_end[48] = "";
  if (s->opts.max_end) snprintf(max_end, sizeof max_end, "%s", s->opts.max_end);
  int64_t boundary = INT64_MAX; /* end time the current window stops at (inclusive) */
  for (;;) {
    size_t in_page = 0, added = 0, before = l->n;
    int rc = hs_list_window(s, max_end[0] ? max_end : NULL, limit, l, &in_page, &added, err);
    if (rc) return rc;
    if (in_page < limit) return 0; /* the window held everything up to its boundary */
    /* Next window: what ended up to the oldest end time seen; when that brings nothing new
     * (more applications ended in that same millisecond than a window holds), step past it. */
    int64_t oldest = INT64_MAX;
    for (size_t i = before; i < l->n; i++)
      if (l->items[i].end_epoch > 0 && l->items[i].end_epoch < oldest) oldest = l->items[i].end_epoch;
    int64_t next = added && oldest < boundary ? oldest : boundary - 1;
    if (boundary == INT64_MAX && next >= INT64_MAX - 1) return 0; /* only running applications */
    if (next <= 0) return 0;
    boundary = next;
    format_date(boundary, max_end, sizeof max_end);
  }
}

static int hs_one_app(sic_source *s, hs_list *l, sic_err *err) {
  hs_impl *h = s->impl;
  char *id = http_escape(h->app_id, 0);
  char url[4096];
  snprintf(url, sizeof url, "%s/api/v1/applications/%s", h->base, id ? id : "");
  free(id);
  char *body;
  size_t len, added = 0;
  int rc = hs_get_json(s, url, &body, &len, err);
  if (rc) return rc;
  sic_jscan j;
  sic_json_init(&j, body, len);
  if (parse_app(&j, h->attempt, l, &added)) rc = json_error(s, url, &j, err);
  else if (!l->n)
    rc = sic_err_set(err, SIC_ENOTFOUND, "%s: application %s has no attempt %s", s->display, h->app_id,
                     h->attempt ? h->attempt : "");
  free(body);
  return rc;
}

/* ---- logsets ---- */

/* base/api/v1/applications/<id>[/<attempt>] */
static char *app_url(const hs_impl *h, const hs_attempt *a) {
  char *id = http_escape(a->app_id, 0), *at = a->attempt ? http_escape(a->attempt, 0) : NULL;
  size_t n = strlen(h->base) + (id ? strlen(id) : 0) + (at ? strlen(at) : 0) + 64;
  char *url = malloc(n);
  if (url && id) snprintf(url, n, "%s/api/v1/applications/%s%s%s", h->base, id, at ? "/" : "", at ? at : "");
  free(id);
  free(at);
  return url;
}

static int add_logset(sic_source *s, sic_logsets *out, const hs_attempt *a, sic_err *err) {
  sic_logset *items = realloc(out->items, (out->n + 1) * sizeof *items);
  if (!items) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  out->items = items;
  sic_logset *set = &out->items[out->n];
  memset(set, 0, sizeof *set);
  sic_logpart *p = calloc(1, sizeof *p);
  char *url = app_url(s->impl, a);
  size_t nn = strlen(a->app_id) + (a->attempt ? strlen(a->attempt) : 0) + 2;
  set->name = malloc(nn);
  if (!p || !url || !set->name) goto nomem;
  snprintf(set->name, nn, "%s%s%s", a->app_id, a->attempt ? "_" : "", a->attempt ? a->attempt : "");
  p->path = malloc(strlen(url) + 6);
  if (!p->path) goto nomem;
  sprintf(p->path, "%s/logs", url);
  set->path = url;
  set->layout = SIC_LAYOUT_ZIP;
  set->parts = p;
  set->nparts = 1;
  set->in_progress = !a->completed;
  set->mtime_ms = a->last_updated;
  set->total_size = 0;
  p->codec = SIC_CODEC_NONE; /* the /logs reader hands out decompressed bytes */
  p->size = -1;
  p->mtime_ms = a->last_updated;
  p->source = &s->part;
  sic_part_source_retain(&s->part);
  out->n++;
  return 0;
nomem:
  free(p);
  free(url);
  free(set->name);
  return sic_err_set(err, SIC_ENOMEM, "out of memory");
}

static int hs_attempts(sic_source *s, hs_list *l, sic_err *err) {
  hs_impl *h = s->impl;
  return h->app_id ? hs_one_app(s, l, err) : hs_list_all(s, l, err);
}

static int hs_scan(sic_source *s, sic_logsets *out, sic_err *err) {
  hs_list l = {0};
  int rc = hs_attempts(s, &l, err);
  for (size_t i = 0; i < l.n && !rc; i++) rc = add_logset(s, out, &l.items[i], err);
  hs_list_free(&l);
  if (rc) sic_logsets_free(out);
  return rc;
}

static int hs_open_part(sic_source *s, const sic_logpart *part, sic_reader **out, sic_err *err) {
  http_req req = {.url = part->path, .display = part->path, .auth = &s->auth, .settings = &s->settings,
                  .length = -1};
  return hs_logs_open(&req, out, err);
}

/* Entries are "<appId>[/<attemptId>]"; one page (the windows are walked inside). */
static int hs_list_entries(sic_source *s, const char *token, sic_source_page *page, sic_err *err) {
  hs_list l = {0};
  int rc = hs_attempts(s, &l, err);
  for (size_t i = 0; i < l.n && !rc; i++) {
    char name[1024], tag[32];
    const hs_attempt *a = &l.items[i];
    snprintf(name, sizeof name, "%s%s%s", a->app_id, a->attempt ? "/" : "", a->attempt ? a->attempt : "");
    snprintf(tag, sizeof tag, "%lld", (long long)a->last_updated);
    if (page_add(page, name, strlen(name), -1, tag, strlen(tag), a->last_updated))
      rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  hs_list_free(&l);
  return rc;
}

static int hs_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out, sic_err *err) {
  if (offset || length >= 0)
    return sic_err_set(err, SIC_EUNSUPPORTED, "%s: a History Server's logs cannot be read by range", s->display);
  hs_impl *h = s->impl;
  const char *slash = strchr(name, '/');
  hs_attempt a = {.app_id = slash ? strndup(name, (size_t)(slash - name)) : strdup(name)};
  a.attempt = slash ? strdup(slash + 1) : NULL;
  sic_logpart part = {0};
  char *url = a.app_id ? app_url(h, &a) : NULL;
  int rc;
  if (!url || !(part.path = malloc(strlen(url) + 6))) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  else {
    sprintf(part.path, "%s/logs", url);
    rc = hs_open_part(s, &part, out, err);
  }
  free(part.path);
  free(url);
  free(a.app_id);
  free(a.attempt);
  return rc;
}

static void hs_destroy(sic_source *s) {
  hs_impl *h = s->impl;
  if (!h) return;
  free(h->base);
  free(h->app_id);
  free(h->attempt);
  free(h->query);
  free(h);
}

static const source_ops hs_ops = {"http", hs_list_entries, hs_read, hs_scan, hs_open_part, hs_destroy};

/* ---- URL forms ---- */

static int is_subresource(const char *seg, size_t n) {
  static const char *const names[] = {"jobs", "stages", "executors", "allexecutors", "storage", "environment",
                                      "logs", "sql", "streaming", "allmiscellaneousprocess", "threads"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && !strncmp(seg, names[i], n)) return 1;
  return 0;
}

static int all_digits(const char *p, size_t n) {
  if (!n) return 0;
  for (size_t i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9') return 0;
  return 1;
}

/* After ".../applications/" or ".../history/": <app>[/<attempt>]. UI attempts are numbers. */
static int take_app(hs_impl *h, const char *rest, int ui) {
  size_t n = strcspn(rest, "/");
  if (!n) return 0;
  h->app_id = strndup(rest, n);
  const char *next = rest[n] == '/' ? rest + n + 1 : NULL;
  if (next) {
    size_t m = strcspn(next, "/");
    if (m && (ui ? all_digits(next, m) : !is_subresource(next, m))) h->attempt = strndup(next, m);
  }
  return 1;
}

static int hs_parse(sic_source *s, const sic_uri *u, hs_impl *h, sic_err *err) {
  const char *path = u->path;
  const char *api = strstr(path, "/api/v1/applications");
  const char *ui = strstr(path, "/history/");
  size_t prefix_len = strlen(path);
  if (api) {
    prefix_len = (size_t)(api - path);
    const char *rest = api + strlen("/api/v1/applications");
    if (*rest == '/') take_app(h, rest + 1, 0);
  } else if (ui) {
    prefix_len = (size_t)(ui - path);
    if (!take_app(h, ui + strlen("/history/"), 1))
      return sic_err_set(err, SIC_EINVAL, "%s: a /history/ URL names an application: .../history/<appId>/", s->display);
  } else if (u->query) {
    h->query = strdup(u->query);
    if (!h->query) return SIC_ENOMEM;
  }
  while (prefix_len && path[prefix_len - 1] == '/') prefix_len--;
  char host[300];
  if (strchr(u->host, ':')) snprintf(host, sizeof host, "[%s]", u->host);
  else snprintf(host, sizeof host, "%s", u->host);
  char port[16] = "";
  if (u->port) snprintf(port, sizeof port, ":%d", u->port);
  size_t n = strlen(u->scheme) + strlen(host) + strlen(port) + prefix_len + 8;
  h->base = malloc(n);
  if (!h->base) return SIC_ENOMEM;
  snprintf(h->base, n, "%s://%s%s%.*s", u->scheme, host, port, (int)prefix_len, path);
  return 0;
}

static int hs_auth(sic_source *s, const sic_uri *u) {
  const char *token = getenv("SIC_HTTP_TOKEN"), *user = getenv("SIC_HTTP_USER");
  const char *mode = getenv("SIC_HTTP_AUTH");
  if (token && *token) return (s->auth.bearer = strdup(token)) ? 0 : SIC_ENOMEM;
  if (mode && !strcasecmp(mode, "negotiate")) {
    s->auth.negotiate = 1;
    return 0;
  }
  if (u->user) {
    s->auth.user = strdup(u->user);
    s->auth.password = strdup(u->password ? u->password : "");
  } else if (user && *user) {
    const char *pw = getenv("SIC_HTTP_PASSWORD");
    s->auth.user = strdup(user);
    s->auth.password = strdup(pw ? pw : "");
  } else {
    s->auth.netrc = 1;
    return 0;
  }
  return s->auth.user && s->auth.password ? 0 : SIC_ENOMEM;
}

int source_hs_init(sic_source *s, const sic_uri *u, sic_err *err) {
  hs_impl *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->impl = h;
  s->ops = &hs_ops;
  int rc = hs_parse(s, u, h, err);
  if (!rc) rc = hs_auth(s, u);
  if (!rc) rc = (s->root = strdup(h->base)) ? 0 : SIC_ENOMEM;
  if (rc == SIC_ENOMEM) return sic_err_set(err, rc, "out of memory");
  return rc;
}
