/* Reading runs back: `sic history`, the Lua binding, and the input of regression detection.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "json/write.h"
#include "store/internal.h"

enum { TOP_FINDINGS = 3 };

int store_resolve_job(sic_store *s, const char *job, char **job_key, sic_err *err) {
  static const char *const lookups[] = {
    "SELECT job_key FROM attempts WHERE job_key = $1 LIMIT 1",
    "SELECT job_key FROM attempts WHERE app_name = $1 ORDER BY id DESC LIMIT 1",
    ("SELECT a.job_key FROM attempts a JOIN applications p ON p.id = a.application_id "
     "WHERE p.app_id = $1 ORDER BY a.id DESC LIMIT 1")};
  db_val v[] = {db_text(job)};
  for (size_t i = 0; i < sizeof lookups / sizeof *lookups; i++) {
    db_rows *r = NULL;
    int rc = db_query(s->db, lookups[i], v, 1, &r, err);
    if (rc) return rc;
    if (r->nrows) {
      *job_key = db_cell_dup(r, 0, 0);
      db_rows_free(r);
      return *job_key ? 0 : sic_err_set(err, SIC_ENOMEM, "out of memory");
    }
    db_rows_free(r);
  }
  return sic_err_set(err, SIC_ENOTFOUND, "no runs of job '%s' in store %s (a job key, app name or app id)",
                     job, s->display_url);
}

int store_job_keys(sic_store *s, char ***keys, size_t *n, sic_err *err) {
  db_rows *r = NULL;
  int rc = db_query(s->db, "SELECT DISTINCT job_key FROM attempts ORDER BY job_key", NULL, 0, &r, err);
  if (rc) return rc;
  *keys = calloc((size_t)r->nrows + 1, sizeof **keys);
  if (!*keys) {
    db_rows_free(r);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  for (int i = 0; i < r->nrows; i++) (*keys)[i] = db_cell_dup(r, i, 0);
  *n = (size_t)r->nrows;
  db_rows_free(r);
  return 0;
}

int sic_store_list_jobs(sic_store *s, sic_store_jobs *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  return store_job_keys(s, &out->keys, &out->n, err);
}

void sic_store_jobs_free(sic_store_jobs *jobs) {
  for (size_t i = 0; jobs->keys && i < jobs->n; i++) free(jobs->keys[i]);
  free(jobs->keys);
  memset(jobs, 0, sizeof *jobs);
}

static const char RUN_COLUMNS[] =
  "SELECT a.id, a.job_key, p.app_id, a.attempt_id, a.app_name, a.source_path, a.start_time, a.duration_ms,"
  " a.cost, a.cost_unit, a.core_hours, a.input_bytes, a.output_bytes, a.shuffle_read_bytes,"
  " a.shuffle_write_bytes, a.memory_spilled_bytes + a.disk_spilled_bytes, a.tasks, a.failed_tasks,"
  " a.executors, a.total_cores, a.max_skew, a.complete,"
  " (SELECT COUNT(*) FROM findings f WHERE f.attempt_key = a.id), a.num_jobs, a.failed_jobs"
  " FROM attempts a JOIN applications p ON p.id = a.application_id";

static void run_from_row(const db_rows *r, int i, sic_store_run *run) {
  int c = 0;
  run->attempt_key = db_cell_int(r, i, c++, -1);
  run->job_key = db_cell_dup(r, i, c++);
  run->app_id = db_cell_dup(r, i, c++);
  run->attempt_id = db_cell_dup(r, i, c++);
  run->app_name = db_cell_dup(r, i, c++);
  run->source_path = db_cell_dup(r, i, c++);
  run->start_time = db_cell_int(r, i, c++, -1);
  run->duration_ms = db_cell_int(r, i, c++, -1);
  run->cost = db_cell_real(r, i, c++);
  run->cost_unit = db_cell_dup(r, i, c++);
  run->core_hours = db_cell_real(r, i, c++);
  run->input_bytes = db_cell_int(r, i, c++, 0);
  run->output_bytes = db_cell_int(r, i, c++, 0);
  run->shuffle_read_bytes = db_cell_int(r, i, c++, 0);
  run->shuffle_write_bytes = db_cell_int(r, i, c++, 0);
  run->spill_bytes = db_cell_int(r, i, c++, 0);
  run->tasks = db_cell_int(r, i, c++, 0);
  run->failed_tasks = db_cell_int(r, i, c++, 0);
  run->executors = (int32_t)db_cell_int(r, i, c++, 0);
  run->total_cores = (int32_t)db_cell_int(r, i, c++, 0);
  double skew = db_cell_real(r, i, c++);
  run->max_skew = isnan(skew) ? 0 : skew;
  run->complete = (int32_t)db_cell_int(r, i, c++, 0);
  run->nfindings = (int32_t)db_cell_int(r, i, c++, 0);
  run->jobs = db_cell_int(r, i, c++, 0);
  run->failed_jobs = db_cell_int(r, i, c++, 0);
  if (isnan(run->core_hours)) run->core_hours = 0;
}

static int cmp_run_key(const void *a, const void *b) {
  int64_t x = (*(sic_store_run *const *)a)->attempt_key, y = (*(sic_store_run *const *)b)->attempt_key;
  return (x > y) - (x < y);
}

/* The most severe findings of every run of a job, in one query (a window per attempt) rather
 * than one query per run: on PostgreSQL each query is a round trip. Rows are matched to runs by
 * attempt key. */
static int load_top_findings(sic_store *s, const char *job_key, sic_store_runs *runs, sic_err *err) {
  db_val v[] = {db_text(job_key), db_int(TOP_FINDINGS)};
  db_rows *r = NULL;
  int rc = db_query(s->db,
                    "SELECT attempt_key, finding_id, severity, title, entity FROM ("
                    " SELECT f.attempt_key, f.finding_id, f.severity, f.title, f.entity, f.severity_rank, f.seq,"
                    "  ROW_NUMBER() OVER (PARTITION BY f.attempt_key ORDER BY f.severity_rank DESC, f.seq) AS rn"
                    " FROM findings f JOIN attempts a ON a.id = f.attempt_key WHERE a.job_key = $1) t"
                    " WHERE rn <= $2 ORDER BY attempt_key, severity_rank DESC, seq",
                    v, 2, &r, err);
  if (rc) return rc;
  for (size_t k = 0; k < runs->n && !rc; k++) {
    sic_store_run *run = &runs->items[k];
    if (!(run->top = calloc(TOP_FINDINGS + 1, sizeof *run->top))) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  /* runs by attempt key, to place each row with a binary search */
  sic_store_run **by_key = rc ? NULL : malloc((runs->n + 1) * sizeof *by_key);
  if (!rc && !by_key) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (size_t k = 0; !rc && k < runs->n; k++) by_key[k] = &runs->items[k];
  if (!rc) sic_qsort(by_key, runs->n, sizeof *by_key, cmp_run_key);
  for (int i = 0; i < r->nrows && !rc; i++) {
    sic_store_run probe = {.attempt_key = db_cell_int(r, i, 0, -1)}, *pp = &probe;
    sic_store_run **hit = bsearch(&pp, by_key, runs->n, sizeof *by_key, cmp_run_key);
    if (!hit || (*hit)->ntop >= TOP_FINDINGS) continue;
    sic_store_top_finding *t = &(*hit)->top[(*hit)->ntop++];
    t->id = db_cell_dup(r, i, 1);
    t->severity = db_cell_dup(r, i, 2);
    t->title = db_cell_dup(r, i, 3);
    t->entity = db_cell_dup(r, i, 4);
  }
  free(by_key);
  db_rows_free(r);
  return rc;
}

void store_run_free(sic_store_run *r) {
  free(r->job_key);
  free(r->app_id);
  free(r->attempt_id);
  free(r->app_name);
  free(r->source_path);
  free(r->cost_unit);
  for (int32_t i = 0; i < r->ntop; i++) {
    free(r->top[i].id);
    free(r->top[i].severity);
    free(r->top[i].title);
    free(r->top[i].entity);
  }
  free(r->top);
  memset(r, 0, sizeof *r);
}

void sic_store_runs_free(sic_store_runs *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) store_run_free(&r->items[i]);
  free(r->items);
  r->items = NULL;
  r->n = 0;
}

int sic_store_history(sic_store *s, const char *job, int limit, sic_store_runs *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  char *key = NULL;
  int rc = store_resolve_job(s, job, &key, err);
  if (rc) return rc;
  char sql[sizeof RUN_COLUMNS + 160];
  /* COALESCE: both engines then order unknown start times the same way. */
  snprintf(sql, sizeof sql, "%s WHERE a.job_key = $1 ORDER BY COALESCE(a.start_time, 0) DESC, a.id DESC LIMIT $2",
           RUN_COLUMNS);
  db_val v[] = {db_text(key), db_int(limit > 0 ? limit : INT32_MAX)};
  db_rows *r = NULL;
  rc = db_query(s->db, sql, v, 2, &r, err);
  if (rc) {
    free(key);
    return rc;
  }
  out->items = calloc((size_t)r->nrows + 1, sizeof *out->items);
  if (!out->items) {
    free(key);
    db_rows_free(r);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  out->n = (size_t)r->nrows;
  for (int i = 0; i < r->nrows; i++) run_from_row(r, r->nrows - 1 - i, &out->items[i]); /* oldest first */
  db_rows_free(r);
  rc = load_top_findings(s, key, out, err);
  free(key);
  if (rc) sic_store_runs_free(out);
  return rc;
}

static void knum_or_null(sic_jw *w, const char *key, double v) {
  if (isnan(v)) sic_jw_knull(w, key);
  else sic_jw_kdouble(w, key, v);
}

static void kint_or_null(sic_jw *w, const char *key, int64_t v) {
  if (v < 0) sic_jw_knull(w, key);
  else sic_jw_kint(w, key, v);
}

void store_run_json(sic_jw *w, const sic_store_run *r) {
  sic_jw_obj(w);
  sic_jw_kint(w, "attemptKey", r->attempt_key);
  sic_jw_kstr(w, "job", r->job_key);
  sic_jw_kstr(w, "appId", r->app_id);
  if (r->attempt_id && *r->attempt_id) sic_jw_kstr(w, "attemptId", r->attempt_id);
  else sic_jw_knull(w, "attemptId");
  sic_jw_kstr(w, "name", r->app_name);
  sic_jw_kstr(w, "source", r->source_path);
  kint_or_null(w, "startTime", r->start_time);
  kint_or_null(w, "durationMs", r->duration_ms);
  knum_or_null(w, "cost", r->cost);
  sic_jw_kstr(w, "costUnit", r->cost_unit);
  sic_jw_kdouble(w, "coreHours", r->core_hours);
  sic_jw_kint(w, "inputBytes", r->input_bytes);
  sic_jw_kint(w, "outputBytes", r->output_bytes);
  sic_jw_kint(w, "shuffleReadBytes", r->shuffle_read_bytes);
  sic_jw_kint(w, "shuffleWriteBytes", r->shuffle_write_bytes);
  sic_jw_kint(w, "spillBytes", r->spill_bytes);
  sic_jw_kint(w, "tasks", r->tasks);
  sic_jw_kint(w, "failedTasks", r->failed_tasks);
  sic_jw_kint(w, "executors", r->executors);
  sic_jw_kint(w, "totalCores", r->total_cores);
  sic_jw_kdouble(w, "maxSkew", r->max_skew);
  sic_jw_kbool(w, "completed", r->complete);
  sic_jw_kint(w, "jobs", r->jobs);
  sic_jw_kint(w, "failedJobs", r->failed_jobs);
  sic_jw_kstr(w, "outcome", sic_store_run_outcome(r));
  sic_jw_kint(w, "findings", r->nfindings);
  sic_jw_karr(w, "topFindings");
  for (int32_t i = 0; i < r->ntop; i++) {
    sic_jw_obj(w);
    sic_jw_kstr(w, "id", r->top[i].id);
    sic_jw_kstr(w, "severity", r->top[i].severity);
    sic_jw_kstr(w, "title", r->top[i].title);
    sic_jw_kstr(w, "entity", r->top[i].entity);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  sic_jw_end(w);
}

int sic_store_history_json(sic_store *s, const char *job, int limit, char **json, sic_err *err) {
  sic_store_runs runs;
  int rc = sic_store_history(s, job, limit, &runs, err);
  if (rc) return rc;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.history/1");
  sic_jw_kstr(&w, "job", runs.n ? runs.items[0].job_key : job);
  sic_jw_karr(&w, "runs");
  for (size_t i = 0; i < runs.n; i++) store_run_json(&w, &runs.items[i]);
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_store_runs_free(&runs);
  size_t len;
  *json = sic_jw_take(&w, &len);
  rc = *json ? 0 : sic_err_set(err, SIC_ENOMEM, "out of memory writing JSON");
  sic_jw_free(&w);
  return rc;
}
