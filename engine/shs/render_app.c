/* JSON for application-level resources: application list and attempts, jobs, executors,
 * environment, storage, miscellaneous processes. Field names, order and omissions follow
 * Spark 3.5's v1 API classes (api.scala) as Jackson prints them (null/None omitted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shs/shs_internal.h"

int shs_cmp_str(const char *a, const char *b) {
  int c = strcmp(a ? a : "", b ? b : "");
  return c < 0 ? -1 : c > 0;
}

void shs_write_date(sic_jw *w, const char *key, int64_t ms) {
  char buf[32];
  shs_format_date(ms, buf);
  sic_jw_kstr(w, key, buf);
}

/* String field that Jackson omits when null. */
static void kstr_opt(sic_jw *w, const char *key, const char *s) {
  if (s) sic_jw_kstr(w, key, s);
}

void shs_write_emetrics(sic_jw *w, const sic_emetrics *m) {
  sic_jw_obj(w);
  for (int i = 0; i < SIC_EM__COUNT; i++) sic_jw_kint(w, sic_exec_metric_name((sic_exec_metric)i), m->v[i]);
  sic_jw_end(w);
}

void shs_write_str_map(sic_jw *w, const sic_app *a, sic_range kvs) {
  sic_jw_obj(w);
  for (int32_t i = 0; i < kvs.n; i++) {
    const sic_kv *kv = &a->kvs[kvs.off + i];
    const char *k = sic_str(a, kv->key);
    if (!k) continue;
    sic_jw_key(w, k);
    sic_jw_str(w, sic_str(a, kv->value));
  }
  sic_jw_end(w);
}

/* ---- applications ---- */

void shs_write_attempt_info(sic_jw *w, const shs_attempt *at) {
  sic_jw_obj(w);
  kstr_opt(w, "attemptId", at->attempt_id);
  shs_write_date(w, "startTime", at->start_time);
  shs_write_date(w, "endTime", at->end_time);
  shs_write_date(w, "lastUpdated", at->last_updated);
  sic_jw_kint(w, "duration", at->completed ? at->end_time - at->start_time : 0);
  kstr_opt(w, "sparkUser", at->user);
  sic_jw_kbool(w, "completed", at->completed);
  sic_jw_kstr(w, "appSparkVersion", at->spark_version);
  sic_jw_kint(w, "startTimeEpoch", at->start_time);
  sic_jw_kint(w, "endTimeEpoch", at->end_time);
  sic_jw_kint(w, "lastUpdatedEpoch", at->last_updated);
  sic_jw_end(w);
}

void shs_write_app_info(sic_jw *w, const shs_appinfo *app) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "id", app->id);
  sic_jw_kstr(w, "name", app->name);
  sic_jw_karr(w, "attempts");
  for (size_t k = 0; k < app->nattempts; k++) shs_write_attempt_info(w, &app->attempts[k]);
  sic_jw_end(w);
  sic_jw_end(w);
}

typedef struct app_filter {
  int include_completed, include_running;
  int64_t min_start, max_start, min_end, max_end;
  int64_t now;
} app_filter;

/* ApplicationListResource.isAttemptInRange */
static int attempt_in_range(const shs_attempt *at, const app_filter *f, int any_running) {
  int start_ok = at->start_time >= f->min_start && at->start_time <= f->max_start;
  int end_ok_running = any_running && f->max_end > f->now;
  int end_ok_completed = !any_running && at->end_time >= f->min_end && at->end_time <= f->max_end;
  return start_ok && (end_ok_running || end_ok_completed);
}

static int app_selected(const shs_appinfo *app, const app_filter *f) {
  int any_running = app->nattempts == 0 || !app->attempts[0].completed;
  if (!((!any_running && f->include_completed) || (any_running && f->include_running))) return 0;
  for (size_t k = 0; k < app->nattempts; k++)
    if (attempt_in_range(&app->attempts[k], f, any_running)) return 1;
  return 0;
}

static int date_param(const shs_query *q, const char *key, const char *def, int64_t *out,
                      sic_shs_response *r) {
  const char *v = shs_param_get(q, key);
  if (shs_parse_date_param(v ? v : def, out) == 0) return 0;
  shs_error(r, 400, "Couldn't parse date: %s", v);
  return -1;
}

int shs_render_app_list(sic_shs *shs, const shs_query *q, sic_shs_response *r) {
  static const char *const statuses[] = {"COMPLETED", "RUNNING"};
  app_filter f = {0, 0, 0, 0, 0, 0, (int64_t)time(NULL) * 1000};
  int any_status = 0;
  for (size_t i = 0; i < q->nparams; i++) {
    if (strcmp(q->params[i].key, "status")) continue;
    int s = shs_enum_parse(q->params[i].value, statuses, 2);
    if (s < 0)
      return shs_error(r, 400, "Illegal type='%s'. Supported type values: COMPLETED, RUNNING",
                       q->params[i].value);
    any_status = 1;
    if (s == 0) f.include_completed = 1;
    else f.include_running = 1;
  }
  if (!any_status) f.include_completed = f.include_running = 1;
  if (date_param(q, "minDate", "2010-01-01", &f.min_start, r) ||
      date_param(q, "maxDate", "3000-01-01", &f.max_start, r) ||
      date_param(q, "minEndDate", "2010-01-01", &f.min_end, r) ||
      date_param(q, "maxEndDate", "3000-01-01", &f.max_end, r))
    return r->status;
  int32_t limit = INT32_MAX;
  const char *lim = shs_param_get(q, "limit");
  if (lim && shs_parse_java_int(lim, &limit))
    return shs_error(r, 400, "Bad value for parameter \"limit\".  Expected an integer, got \"%s\"", lim);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  int32_t n = 0;
  for (size_t i = 0; i < shs->napps && n < limit; i++) {
    if (!app_selected(&shs->apps[i], &f)) continue;
    shs_write_app_info(&w, &shs->apps[i]);
    n++;
  }
  sic_jw_end(&w);
  return shs_json_ok(r, &w);
}

/* ---- jobs ---- */

static int cmp_tag(const void *x, const void *y, void *ctx) {
  const sic_app *tag_app = ctx;
  return shs_cmp_str(sic_str(tag_app, *(const int32_t *)x), sic_str(tag_app, *(const int32_t *)y));
}

static void write_killed(sic_jw *w, const shs_ctx *c, int64_t off, int32_t n) {
  sic_jw_kobj(w, "killedTasksSummary");
  for (int32_t i = 0; i < n; i++) {
    const shs_reason_count *k = &c->v->killed[off + i];
    const char *reason = sic_str(c->a, k->reason);
    sic_jw_kint(w, reason ? reason : "unknown reason", k->count);
  }
  sic_jw_end(w);
}

static void write_job(sic_jw *w, const shs_ctx *c, int64_t j) {
  const sic_app *a = c->a;
  const sic_job *job = &a->jobs[j];
  const shs_job_view *jv = &c->v->jobs[j];
  sic_jw_obj(w);
  sic_jw_kint(w, "jobId", job->job_id);
  sic_jw_kstr(w, "name", sic_str(a, job->name) ? sic_str(a, job->name) : "");
  kstr_opt(w, "description", sic_str(a, job->description));
  if (job->submission_time > 0) shs_write_date(w, "submissionTime", job->submission_time);
  if (job->completion_time > 0) shs_write_date(w, "completionTime", job->completion_time);
  sic_jw_karr(w, "stageIds");
  for (int32_t i = 0; i < job->stage_ids.n; i++) sic_jw_int(w, a->ints[job->stage_ids.off + i]);
  sic_jw_end(w);
  kstr_opt(w, "jobGroup", sic_str(a, job->job_group));
  sic_jw_karr(w, "jobTags");
  int32_t tags[256];
  int32_t nt = job->tags.n < 256 ? job->tags.n : 256;
  for (int32_t i = 0; i < nt; i++) tags[i] = a->ints[job->tags.off + i];
  shs_qsort_r(tags, (size_t)nt, sizeof *tags, cmp_tag, (void *)a);
  for (int32_t i = 0; i < nt; i++)
    if (i == 0 || shs_cmp_str(sic_str(a, tags[i]), sic_str(a, tags[i - 1]))) sic_jw_str(w, sic_str(a, tags[i]));
  sic_jw_end(w);
  sic_jw_kstr(w, "status", sic_job_status_name(job->status));
  sic_jw_kint(w, "numTasks", jv->num_tasks);
  sic_jw_kint(w, "numActiveTasks", jv->active);
  sic_jw_kint(w, "numCompletedTasks", jv->completed);
  sic_jw_kint(w, "numSkippedTasks", jv->skipped_tasks);
  sic_jw_kint(w, "numFailedTasks", jv->failed);
  sic_jw_kint(w, "numKilledTasks", jv->killed);
  sic_jw_kint(w, "numCompletedIndices", jv->completed_indices);
  sic_jw_kint(w, "numActiveStages", jv->active_stages);
  sic_jw_kint(w, "numCompletedStages", jv->completed_stages);
  sic_jw_kint(w, "numSkippedStages", jv->skipped_stages);
  sic_jw_kint(w, "numFailedStages", jv->failed_stages);
  write_killed(w, c, jv->killed_off, jv->killed_n);
  sic_jw_end(w);
}

static const char *const job_statuses[] = {"RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN"};

int shs_render_jobs(shs_ctx *c, sic_shs_response *r) {
  int want[4] = {0, 0, 0, 0}, any = 0;
  for (size_t i = 0; i < c->q->nparams; i++) {
    if (strcmp(c->q->params[i].key, "status")) continue;
    int s = shs_enum_parse(c->q->params[i].value, job_statuses, 4);
    if (s < 0)
      return shs_error(r, 400, "Illegal type='%s'. Supported type values: RUNNING, SUCCEEDED, FAILED, UNKNOWN",
                       c->q->params[i].value);
    want[s] = any = 1;
  }
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int64_t j = c->a->njobs - 1; j >= 0; j--) { /* newest job id first */
    int st = c->a->jobs[j].status;
    if (any && (st < 0 || st > 3 || !want[st])) continue;
    write_job(&w, c, j);
  }
  sic_jw_end(&w);
  return shs_json_ok(r, &w);
}

int shs_render_job(shs_ctx *c, const char *id, sic_shs_response *r) {
  int32_t job_id;
  if (shs_parse_java_int(id, &job_id) || job_id < 0) return shs_error(r, 404, "unknown job: %s", id);
  const sic_job *job = sic_app_job(c->a, job_id);
  if (!job) return shs_error(r, 404, "unknown job: %d", job_id);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  write_job(&w, c, job - c->a->jobs);
  return shs_json_ok(r, &w);
}

/* ---- executors ---- */

static int64_t exec_add_time(const sic_executor *e) {
  if (e->add_time >= 0 && (e->bm_add_time < 0 || e->add_time <= e->bm_add_time)) return e->add_time;
  return e->bm_add_time;
}

/* Stage ids the executor is still excluded in: the History Server drops a stage from the
 * list when that stage completes. */
static void write_excluded_stages(sic_jw *w, const shs_ctx *c, const sic_executor *e) {
  sic_jw_arr(w);
  for (int32_t i = 0; i < e->excluded_stages.n; i++) {
    int32_t sid = c->a->ints[e->excluded_stages.off + i];
    const sic_stage *st = sic_app_stage_latest(c->a, sid);
    if (st && (st->status == SIC_STAGE_ACTIVE || st->status == SIC_STAGE_PENDING)) sic_jw_int(w, sid);
  }
  sic_jw_end(w);
}

static void write_resources(sic_jw *w, const sic_app *a, sic_range kvs) {
  sic_jw_obj(w);
  for (int32_t i = 0; i < kvs.n; i++) {
    const sic_kv *kv = &a->kvs[kvs.off + i];
    const char *name = sic_str(a, kv->key), *addrs = sic_str(a, kv->value);
    if (!name) continue;
    sic_jw_kobj(w, name);
    sic_jw_kstr(w, "name", name);
    sic_jw_karr(w, "addresses");
    for (const char *p = addrs; p && *p;) {
      const char *comma = strchr(p, ',');
      size_t n = comma ? (size_t)(comma - p) : strlen(p);
      sic_jw_strn(w, p, n);
      p += n + (comma != NULL);
    }
    sic_jw_end(w);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static void write_executor(sic_jw *w, const shs_ctx *c, int32_t x) {
  const sic_app *a = c->a;
  const sic_executor *e = &a->executors[x];
  const shs_exec_view *ev = &c->v->execs[x];
  char host_port[512];
  const char *host = sic_str(a, e->host);
  if (e->port >= 0) snprintf(host_port, sizeof host_port, "%s:%d", host ? host : "", e->port);
  else snprintf(host_port, sizeof host_port, "%s", host ? host : "");
  sic_jw_obj(w);
  sic_jw_kstr(w, "id", shs_exec_id(a, x));
  sic_jw_kstr(w, "hostPort", host_port);
  sic_jw_kbool(w, "isActive", e->remove_time < 0);
  sic_jw_kint(w, "rddBlocks", ev->rdd_blocks);
  sic_jw_kint(w, "memoryUsed", ev->mem_used);
  sic_jw_kint(w, "diskUsed", ev->disk_used);
  sic_jw_kint(w, "totalCores", e->total_cores);
  sic_jw_kint(w, "maxTasks", ev->max_tasks);
  sic_jw_kint(w, "activeTasks", ev->active_tasks);
  sic_jw_kint(w, "failedTasks", ev->failed);
  sic_jw_kint(w, "completedTasks", ev->completed);
  sic_jw_kint(w, "totalTasks", ev->total);
  sic_jw_kint(w, "totalDuration", ev->duration);
  sic_jw_kint(w, "totalGCTime", ev->gc);
  sic_jw_kint(w, "totalInputBytes", ev->input);
  sic_jw_kint(w, "totalShuffleRead", ev->shuffle_read);
  sic_jw_kint(w, "totalShuffleWrite", ev->shuffle_write);
  sic_jw_kbool(w, "isBlacklisted", e->excluded);
  sic_jw_kint(w, "maxMemory", e->max_memory > 0 ? e->max_memory : 0);
  shs_write_date(w, "addTime", exec_add_time(e));
  if (e->remove_time >= 0) shs_write_date(w, "removeTime", e->remove_time);
  kstr_opt(w, "removeReason", sic_str(a, e->remove_reason));
  /* ApplicationStart's "Driver Logs"/"Driver Attributes" replace the driver's own. */
  int driver_logs = e->is_driver && a->driver_logs.n > 0;
  sic_jw_key(w, "executorLogs");
  shs_write_str_map(w, a, driver_logs ? a->driver_logs : e->log_urls);
  if (e->max_onheap >= 0) { /* only when the block manager reported on/off-heap sizes */
    sic_jw_kobj(w, "memoryMetrics");
    sic_jw_kint(w, "usedOnHeapStorageMemory", ev->mem_used);
    sic_jw_kint(w, "usedOffHeapStorageMemory", 0);
    sic_jw_kint(w, "totalOnHeapStorageMemory", e->max_onheap);
    sic_jw_kint(w, "totalOffHeapStorageMemory", e->max_offheap > 0 ? e->max_offheap : 0);
    sic_jw_end(w);
  }
  sic_jw_key(w, "blacklistedInStages");
  write_excluded_stages(w, c, e);
  if (ev->has_peak) {
    sic_jw_key(w, "peakMemoryMetrics");
    shs_write_emetrics(w, &ev->peak);
  }
  sic_jw_key(w, "attributes");
  shs_write_str_map(w, a, driver_logs ? a->driver_attributes : e->attributes);
  sic_jw_key(w, "resources");
  write_resources(w, a, e->resources);
  sic_jw_kint(w, "resourceProfileId", e->resource_profile_id);
  sic_jw_kbool(w, "isExcluded", e->excluded);
  sic_jw_key(w, "excludedInStages");
  write_excluded_stages(w, c, e);
  sic_jw_end(w);
}

static int cmp_exec_row(const void *x, const void *y, void *ctx) {
  const sic_app *exec_sort_app = ctx;
  return shs_cmp_str(shs_exec_id(exec_sort_app, *(const int32_t *)x),
                     shs_exec_id(exec_sort_app, *(const int32_t *)y));
}

int shs_render_executors(shs_ctx *c, int all, sic_shs_response *r) {
  const sic_app *a = c->a;
  int32_t *rows = malloc(((size_t)a->nexecutors + 1) * sizeof *rows);
  if (!rows) return shs_error(r, 500, "out of memory");
  int32_t n = 0;
  for (int64_t x = 0; x < a->nexecutors; x++) {
    if (!c->v->execs[x].listed) continue;
    if (!all && a->executors[x].remove_time >= 0) continue;
    rows[n++] = (int32_t)x;
  }
  /* allexecutors: store order (id ascending); executors: the "active" index read in reverse. */
  shs_qsort_r(rows, (size_t)n, sizeof *rows, cmp_exec_row, (void *)a);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int32_t i = 0; i < n; i++) write_executor(&w, c, all ? rows[i] : rows[n - 1 - i]);
  sic_jw_end(&w);
  free(rows);
  return shs_json_ok(r, &w);
}

/* ---- environment ---- */

static int cmp_kv(const void *x, const void *y, void *ctx) {
  const sic_app *kv_sort_app = ctx;
  const sic_kv *p = x, *q = y;
  int c = shs_cmp_str(sic_str(kv_sort_app, p->key), sic_str(kv_sort_app, q->key));
  return c ? c : shs_cmp_str(sic_str(kv_sort_app, p->value), sic_str(kv_sort_app, q->value));
}

static void write_pairs(sic_jw *w, const sic_app *a, const char *key, sic_range r) {
  sic_kv *kvs = malloc(((size_t)r.n + 1) * sizeof *kvs);
  sic_jw_karr(w, key);
  if (kvs) {
    if (r.n > 0) memcpy(kvs, a->kvs + r.off, (size_t)r.n * sizeof *kvs);
    shs_qsort_r(kvs, (size_t)r.n, sizeof *kvs, cmp_kv, (void *)a);
    for (int32_t i = 0; i < r.n; i++) {
      sic_jw_arr(w);
      sic_jw_str(w, sic_str(a, kvs[i].key));
      sic_jw_str(w, sic_str(a, kvs[i].value));
      sic_jw_end(w);
    }
    free(kvs);
  } else {
    w->status = SIC_ENOMEM;
  }
  sic_jw_end(w);
}

static const char *kv_lookup(const sic_app *a, sic_range r, const char *key) {
  for (int32_t i = 0; i < r.n; i++) {
    const char *k = sic_str(a, a->kvs[r.off + i].key);
    if (k && !strcmp(k, key)) return sic_str(a, a->kvs[r.off + i].value);
  }
  return NULL;
}

static int cmp_profile(const void *x, const void *y) {
  const sic_resource_profile *p = x, *q = y;
  return p->id < q->id ? -1 : p->id > q->id;
}

static void write_profiles(sic_jw *w, const sic_app *a) {
  sic_resource_profile *ps = malloc(((size_t)a->nprofiles + 1) * sizeof *ps);
  sic_jw_karr(w, "resourceProfiles");
  if (!ps) {
    w->status = SIC_ENOMEM;
    sic_jw_end(w);
    return;
  }
  if (a->nprofiles > 0) memcpy(ps, a->profiles, (size_t)a->nprofiles * sizeof *ps);
  sic_qsort(ps, (size_t)a->nprofiles, sizeof *ps, cmp_profile);
  for (int64_t p = 0; p < a->nprofiles; p++) {
    sic_jw_obj(w);
    sic_jw_kint(w, "id", ps[p].id);
    for (int task = 0; task < 2; task++) {
      sic_jw_kobj(w, task ? "taskResources" : "executorResources");
      for (int32_t i = 0; i < ps[p].requests.n; i++) {
        const sic_resource_request *q = &a->resource_requests[ps[p].requests.off + i];
        const char *name = sic_str(a, q->name);
        if (q->is_task != task || !name) continue;
        sic_jw_kobj(w, name);
        sic_jw_kstr(w, "resourceName", name);
        if (task) {
          sic_jw_kdouble(w, "amount", q->amount);
        } else {
          sic_jw_kint(w, "amount", (int64_t)q->amount);
          sic_jw_kstr(w, "discoveryScript", sic_str(a, q->discovery_script) ? sic_str(a, q->discovery_script) : "");
          sic_jw_kstr(w, "vendor", sic_str(a, q->vendor) ? sic_str(a, q->vendor) : "");
        }
        sic_jw_end(w);
      }
      sic_jw_end(w);
    }
    sic_jw_end(w);
  }
  free(ps);
  sic_jw_end(w);
}

int shs_render_environment(shs_ctx *c, sic_shs_response *r) {
  const sic_app *a = c->a;
  /* Without an EnvironmentUpdate the History Server's store read fails inside withUI. */
  if (!a->env_jvm.n && !a->env_spark.n && !a->env_system.n && !a->env_classpath.n)
    return shs_error(r, 404, "no such app: %s%s%s", c->app->id, c->attempt->attempt_id ? "/" : "",
                     c->attempt->attempt_id ? c->attempt->attempt_id : "");
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kobj(&w, "runtime");
  kstr_opt(&w, "javaVersion", kv_lookup(a, a->env_jvm, "Java Version"));
  kstr_opt(&w, "javaHome", kv_lookup(a, a->env_jvm, "Java Home"));
  kstr_opt(&w, "scalaVersion", kv_lookup(a, a->env_jvm, "Scala Version"));
  sic_jw_end(&w);
  write_pairs(&w, a, "sparkProperties", a->env_spark);
  write_pairs(&w, a, "hadoopProperties", a->env_hadoop);
  write_pairs(&w, a, "systemProperties", a->env_system);
  write_pairs(&w, a, "metricsProperties", a->env_metrics);
  write_pairs(&w, a, "classpathEntries", a->env_classpath);
  write_profiles(&w, a);
  sic_jw_end(&w);
  return shs_json_ok(r, &w);
}

/* ---- miscellaneous processes ---- */

static int cmp_misc(const void *x, const void *y, void *ctx) {
  const sic_app *misc_sort_app = ctx;
  const sic_misc_process *p = x, *q = y;
  return shs_cmp_str(sic_str(misc_sort_app, p->id), sic_str(misc_sort_app, q->id));
}

int shs_render_misc(shs_ctx *c, sic_shs_response *r) {
  const sic_app *a = c->a;
  sic_misc_process *ps = malloc(((size_t)a->nmisc + 1) * sizeof *ps);
  if (!ps) return shs_error(r, 500, "out of memory");
  if (a->nmisc > 0) memcpy(ps, a->misc, (size_t)a->nmisc * sizeof *ps);
  shs_qsort_r(ps, (size_t)a->nmisc, sizeof *ps, cmp_misc, (void *)a);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int64_t i = 0; i < a->nmisc; i++) {
    sic_jw_obj(&w);
    sic_jw_kstr(&w, "id", sic_str(a, ps[i].id));
    sic_jw_kstr(&w, "hostPort", sic_str(a, ps[i].host_port));
    sic_jw_kbool(&w, "isActive", ps[i].active);
    sic_jw_kint(&w, "totalCores", ps[i].total_cores);
    shs_write_date(&w, "addTime", ps[i].add_time);
    sic_jw_key(&w, "processLogs");
    shs_write_str_map(&w, a, ps[i].log_urls);
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  free(ps);
  return shs_json_ok(r, &w);
}
