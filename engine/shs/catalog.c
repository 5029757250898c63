/* The History Server catalog: logs under a directory -> applications and their attempts, with
 * a memory-bounded cache of loaded models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shs/shs_internal.h"
#include "shs/sql.h"

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }
static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void attempt_unload(sic_shs *shs, shs_attempt *at) {
  if (!at->app) return;
  sic_app_free(at->app);
  shs_view_free(at->view);
  shs_sql_values_free(at->sql_values);
  at->sql_values = NULL;
  at->app = NULL;
  at->view = NULL;
  shs->cached_bytes -= at->mem;
  at->mem = 0;
}

static void attempt_free(sic_shs *shs, shs_attempt *at) {
  attempt_unload(shs, at);
  free(at->attempt_id);
  free(at->name);
  free(at->user);
  free(at->spark_version);
}

/* Evict least recently used models until the budget holds (keeping `keep`). */
static void cache_trim(sic_shs *shs, const shs_attempt *keep) {
  while (shs->cached_bytes > shs->cache_bytes) {
    shs_attempt *lru = NULL;
    for (size_t i = 0; i < shs->napps; i++)
      for (size_t k = 0; k < shs->apps[i].nattempts; k++) {
        shs_attempt *at = &shs->apps[i].attempts[k];
        if (at->app && at != keep && (!lru || at->last_use < lru->last_use)) lru = at;
      }
    if (!lru) return;
    attempt_unload(shs, lru);
  }
}

static int load_model(sic_shs *shs, size_t set, sic_app **out, sic_err *err) {
  sic_load_opts opts = {.threads = shs->threads, .keep_task_accums = 1};
  return sic_app_load(&shs->sets.items[set], &opts, out, err);
}

int shs_attempt_load(sic_shs *shs, shs_attempt *at, sic_err *err) {
  at->last_use = ++shs->clock;
  if (!at->app) {
    int rc = load_model(shs, at->logset, &at->app, err);
    if (rc < 0) return rc;
    at->mem = sic_app_memory(at->app);
    shs->cached_bytes += at->mem;
  }
  if (!at->view) {
    if (!(at->view = shs_view_build(at->app))) return sic_err_set(err, SIC_ENOMEM, "out of memory building the application view");
    int64_t vm = shs_view_memory(at->view, at->app);
    at->mem += vm;
    shs->cached_bytes += vm;
  }
  cache_trim(shs, at);
  return 0;
}

/* ---- listing ---- */

static int attempt_from_model(sic_shs *shs, size_t set, sic_app *app, shs_attempt *at) {
  memset(at, 0, sizeof *at);
  at->attempt_id = dup_or_null(sic_str(app, app->attempt_id));
  at->name = dup_or_empty(sic_str(app, app->name));
  at->user = dup_or_null(sic_str(app, app->user)); /* Jackson omits a null sparkUser */
  at->spark_version = dup_or_empty(sic_str(app, app->spark_version));
  at->start_time = app->start_time;
  at->end_time = app->end_time;
  at->completed = app->end_time >= 0;
  at->last_updated = shs->sets.items[set].mtime_ms;
  at->logset = set;
  if (!at->name || (app->user >= 0 && !at->user) || !at->spark_version || (app->attempt_id >= 0 && !at->attempt_id))
    return SIC_ENOMEM;
  return 0;
}

static shs_appinfo *app_slot(sic_shs *shs, const char *id) {
  for (size_t i = 0; i < shs->napps; i++)
    if (!strcmp(shs->apps[i].id, id)) return &shs->apps[i];
  shs_appinfo *na = realloc(shs->apps, (shs->napps + 1) * sizeof *na);
  if (!na) return NULL;
  shs->apps = na;
  shs_appinfo *a = &na[shs->napps];
  memset(a, 0, sizeof *a);
  if (!(a->id = strdup(id))) return NULL;
  shs->napps++;
  return a;
}

static int same_attempt(const shs_attempt *x, const shs_attempt *y) {
  if (!x->attempt_id || !y->attempt_id) return !x->attempt_id && !y->attempt_id;
  return !strcmp(x->attempt_id, y->attempt_id);
}

/* Add (or replace, as a re-parsed log replaces its listing) one attempt. */
static int add_attempt(sic_shs *shs, const char *app_id, shs_attempt *at) {
  shs_appinfo *a = app_slot(shs, app_id);
  if (!a) return SIC_ENOMEM;
  for (size_t k = 0; k < a->nattempts; k++) {
    if (!same_attempt(&a->attempts[k], at)) continue;
    if (a->attempts[k].last_updated > at->last_updated) {
      attempt_free(shs, at);
      return 0;
    }
    attempt_free(shs, &a->attempts[k]);
    a->attempts[k] = *at;
    return 0;
  }
  shs_attempt *na = realloc(a->attempts, (a->nattempts + 1) * sizeof *na);
  if (!na) return SIC_ENOMEM;
  a->attempts = na;
  a->attempts[a->nattempts++] = *at;
  return 0;
}

static int cmp_attempt(const void *x, const void *y) {
  const shs_attempt *p = x, *q = y;
  return p->start_time > q->start_time ? -1 : p->start_time < q->start_time;
}

/* Newest end first; the History Server's index sorts ties by id, reversed. */
static int cmp_app(const void *x, const void *y) {
  const shs_appinfo *p = x, *q = y;
  int64_t pe = p->attempts[0].end_time, qe = q->attempts[0].end_time;
  if (pe != qe) return pe > qe ? -1 : 1;
  return -strcmp(p->id, q->id);
}

/* The attempt `old` listed from the same, unchanged log (path, parts, size and mtime). */
static shs_attempt *unchanged_attempt(sic_shs *old, const sic_logset *set, const char **app_id) {
  for (size_t i = 0; old && i < old->napps; i++)
    for (size_t k = 0; k < old->apps[i].nattempts; k++) {
      shs_attempt *at = &old->apps[i].attempts[k];
      const sic_logset *o = &old->sets.items[at->logset];
      if (!strcmp(o->path, set->path) && o->nparts == set->nparts && o->mtime_ms == set->mtime_ms &&
          o->total_size == set->total_size) {
        *app_id = old->apps[i].id;
        return at;
      }
    }
  return NULL;
}

/* List an unchanged log from the previous catalog, taking over its cached model. */
static int reuse_listing(sic_shs *shs, size_t set, sic_shs *old, shs_attempt *prev, const char *app_id) {
  shs_attempt at = *prev;
  at.attempt_id = dup_or_null(prev->attempt_id);
  at.name = strdup(prev->name);
  at.user = dup_or_null(prev->user);
  at.spark_version = strdup(prev->spark_version);
  at.logset = set;
  prev->app = NULL, prev->view = NULL; /* moved */
  old->cached_bytes -= prev->mem;
  prev->mem = 0;
  shs->cached_bytes += at.mem;
  if (!at.name || (prev->user && !at.user) || !at.spark_version || (prev->attempt_id && !at.attempt_id)) {
    attempt_free(shs, &at);
    return SIC_ENOMEM;
  }
  return add_attempt(shs, app_id, &at);
}

static int list_one(sic_shs *shs, size_t set, sic_shs *old) {
  const char *old_id = NULL;
  shs_attempt *prev = unchanged_attempt(old, &shs->sets.items[set], &old_id);
  if (prev) return reuse_listing(shs, set, old, prev, old_id);
  sic_err err = {0};
  sic_app *app = NULL;
  if (load_model(shs, set, &app, &err) < 0 || !app) {
    shs->skipped++;
    return 0;
  }
  const char *id = sic_str(app, app->app_id);
  if (!id || !*id) { /* the History Server lists only logs that name their application */
    sic_app_free(app);
    shs->skipped++;
    return 0;
  }
  shs_attempt at;
  int rc = attempt_from_model(shs, set, app, &at);
  if (rc == 0) rc = add_attempt(shs, id, &at);
  /* Keep the model while the budget allows: the first requests will want it. */
  if (rc == 0) {
    shs_attempt *kept = NULL;
    shs_appinfo *a = app_slot(shs, id);
    for (size_t k = 0; a && k < a->nattempts; k++)
      if (a->attempts[k].logset == set) kept = &a->attempts[k];
    int64_t mem = sic_app_memory(app);
    if (kept && !kept->app && shs->cached_bytes + mem <= shs->cache_bytes) {
      kept->app = app;
      kept->mem = mem;
      kept->last_use = ++shs->clock;
      shs->cached_bytes += mem;
      app = NULL;
    }
  }
  sic_app_free(app);
  return rc;
}

/* Scan shs->logdirs and build the listing, reusing what `old` (may be NULL) already read. */
static int catalog_build(sic_shs *shs, sic_shs *old, sic_err *err) {
  int rc = sic_logset_scan_many((const char *const *)shs->logdirs, shs->nlogdirs, &shs->sets, err);
  if (rc < 0) return rc;
  for (size_t i = 0; i < shs->sets.n; i++)
    if ((rc = list_one(shs, i, old)) < 0) return sic_err_set(err, rc, "out of memory listing %s", shs->logdirs[0]);
  for (size_t i = 0; i < shs->napps; i++) {
    shs_appinfo *a = &shs->apps[i];
    sic_qsort(a->attempts, a->nattempts, sizeof *a->attempts, cmp_attempt);
    if (!(a->name = strdup(a->attempts[0].name))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  sic_qsort(shs->apps, shs->napps, sizeof *shs->apps, cmp_app);
  shs->skipped += shs->sets.nskipped;
  return 0;
}

static sic_shs *catalog_new(const char *const *logdirs, size_t nlogdirs, int64_t cache_bytes, int threads) {
  sic_shs *shs = calloc(1, sizeof *shs);
  if (!shs) return NULL;
  pthread_mutex_init(&shs->lock, NULL);
  shs->cache_bytes = cache_bytes;
  shs->threads = threads;
  if (!(shs->logdirs = calloc(nlogdirs, sizeof *shs->logdirs))) goto error;
  for (; shs->nlogdirs < nlogdirs; shs->nlogdirs++)
    if (!(shs->logdirs[shs->nlogdirs] = strdup(logdirs[shs->nlogdirs]))) goto error;
  return shs;
error:
  sic_shs_close(shs);
  return NULL;
}

int sic_shs_open(const char *logdir, const sic_shs_opts *opts, sic_shs **out, sic_err *err) {
  return sic_shs_open_dirs(&logdir, 1, opts, out, err);
}

int sic_shs_open_dirs(const char *const *logdirs, size_t nlogdirs, const sic_shs_opts *opts, sic_shs **out,
                      sic_err *err) {
  *out = NULL;
  if (nlogdirs == 0) return sic_err_set(err, SIC_EINVAL, "no log directory");
  sic_shs *shs = catalog_new(logdirs, nlogdirs, opts && opts->cache_bytes > 0 ? opts->cache_bytes : (int64_t)1 << 30,
                             opts && opts->threads > 0 ? opts->threads : 1);
  if (!shs) return sic_err_set(err, SIC_ENOMEM, "out of memory opening %s", logdirs[0]);
  int rc = catalog_build(shs, NULL, err);
  if (rc < 0) {
    sic_shs_close(shs);
    return rc;
  }
  *out = shs;
  return 0;
}

int sic_shs_refresh(sic_shs *shs, sic_err *err) {
  pthread_mutex_lock(&shs->lock);
  sic_shs *fresh = catalog_new((const char *const *)shs->logdirs, shs->nlogdirs, shs->cache_bytes, shs->threads);
  if (fresh) fresh->clock = shs->clock; /* reused models keep meaningful LRU stamps */
  int rc = fresh ? catalog_build(fresh, shs, err) : sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (rc == 0) { /* swap everything but the locks; `fresh` then holds (and frees) the old listing */
#define SWAP(field)                  \
  do {                               \
    __typeof__(shs->field) t_ = shs->field; \
    shs->field = fresh->field;       \
    fresh->field = t_;               \
  } while (0)
    SWAP(sets);
    SWAP(apps);
    SWAP(napps);
    SWAP(skipped);
    SWAP(cached_bytes);
    SWAP(clock);
#undef SWAP
  }
  pthread_mutex_unlock(&shs->lock);
  sic_shs_close(fresh); /* on failure: models taken over so far are simply unloaded */
  return rc;
}

void sic_shs_close(sic_shs *shs) {
  if (!shs) return;
  for (size_t i = 0; i < shs->napps; i++) {
    for (size_t k = 0; k < shs->apps[i].nattempts; k++) attempt_free(shs, &shs->apps[i].attempts[k]);
    free(shs->apps[i].attempts);
    free(shs->apps[i].id);
    free(shs->apps[i].name);
  }
  free(shs->apps);
  sic_logsets_free(&shs->sets);
  for (size_t i = 0; i < shs->nlogdirs; i++) free(shs->logdirs[i]);
  free(shs->logdirs);
  pthread_mutex_destroy(&shs->lock);
  free(shs);
}

size_t sic_shs_skipped(const sic_shs *shs) { return shs->skipped; }

const shs_appinfo *shs_find_app(const sic_shs *shs, const char *id) {
  for (size_t i = 0; i < shs->napps; i++)
    if (!strcmp(shs->apps[i].id, id)) return &shs->apps[i];
  return NULL;
}
