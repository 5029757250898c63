/* Writing one application attempt into the history store: idempotent (content checksum) and
 * atomic (one transaction, retried whole after a dropped connection). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crashpoint.h"
#include "store/internal.h"
#include "store/summary.h"

enum { PROGRESS_EVERY = 10000 };

/* Everything one ingest transaction needs; the transaction body may run several times. */
typedef struct ingest_ctx {
  const sic_app *app;                    /* the model being stored */
  const sic_ingest_opts *opts;           /* caller's options */
  const store_app_summary *sum;          /* figures computed once, before the transaction */
  const char *app_id;                    /* Spark app id or a stand-in when the log had none */
  const char *source_path;               /* where the log came from */
  int64_t source_size;                   /* its stored bytes */
  const char *checksum;                  /* caller's checksum (a private copy), NULL = compute */
  sic_ingest_result *res;                /* filled on success */
  int64_t rows;                          /* rows written in the current transaction */
  int64_t next_progress;                 /* rows count at which progress is called next */
} ingest_ctx;

/* One bulk table being written. The bulk load starts with the first row, so an empty table
 * costs nothing (on PostgreSQL a COPY is two round trips, and most logs have several empty
 * child tables: SQL executions, findings, predictions). */
typedef struct table_writer {
  ingest_ctx *cx;                        /* for row counting and progress */
  db *d;                                 /* the connection */
  db_bulk *bulk;                         /* open bulk load, NULL before the first row */
  const char *table;                     /* target table */
  const char *const *cols;               /* its columns */
  int ncols;                             /* number of columns */
  int is_tasks;                          /* the tasks table (its own crash point) */
} table_writer;

void sic_ingest_opts_init(sic_ingest_opts *o) {
  memset(o, 0, sizeof *o);
  o->source_size = -1;
  o->cost = NAN;
}

static int tw_begin(table_writer *w, ingest_ctx *cx, sic_store *s, const char *table,
                    const char *const *cols, int ncols, sic_err *err) {
  w->cx = cx;
  w->d = s->db;
  w->bulk = NULL;
  w->table = table;
  w->cols = cols;
  w->ncols = ncols;
  w->is_tasks = !strcmp(table, "tasks");
  return 0;
}

static int tw_row(table_writer *w, const db_val *vals, sic_err *err) {
  int rc = w->bulk ? 0 : w->d->ops->bulk_begin(w->d, w->table, w->cols, w->ncols, &w->bulk, err);
  if (!rc) rc = w->d->ops->bulk_row(w->bulk, vals, err);
  if (rc) return rc;
  sic_crashpoint("store.row");
  if (w->is_tasks) sic_crashpoint("store.task_row");
  ingest_ctx *cx = w->cx;
  if (++cx->rows >= cx->next_progress) {
    cx->next_progress += PROGRESS_EVERY;
    if (cx->opts->progress && cx->opts->progress(cx->opts->progress_ctx, cx->rows))
      return sic_err_set(err, SIC_EINVAL, "ingest cancelled after %lld rows", (long long)cx->rows);
  }
  return 0;
}

/* Close the bulk load; on an earlier failure (rc != 0) abandon it and keep rc. */
static int tw_end(table_writer *w, int rc, sic_err *err) {
  if (!w->bulk) return rc;
  int end = w->d->ops->bulk_end(w->bulk, rc == 0, rc ? NULL : err);
  w->bulk = NULL;
  return rc ? rc : end;
}

#define NCOLS(a) ((int)(sizeof(a) / sizeof *(a)))

static const char *exec_id(const sic_app *app, int32_t row) {
  return row >= 0 && row < app->nexecutors ? sic_str(app, app->executors[row].id) : NULL;
}

static int write_parts(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "seq", "path", "codec", "stored_bytes", "bytes", "lines"};
  const sic_app *app = cx->app;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "log_parts", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < app->nparts && !rc; i++) {
    const sic_part_info *p = &app->parts[i];
    db_val v[] = {db_int(key), db_int(i), db_text(sic_str(app, p->path)), db_text(sic_str(app, p->codec)),
                  db_int(p->stored_bytes), db_int(p->bytes), db_int(p->lines)};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_jobs(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "job_id", "status", "submission_time", "completion_time",
                                     "duration_ms", "name", "description", "job_group", "sql_execution_id",
                                     "num_stages", "failure_reason"};
  const sic_app *app = cx->app;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "spark_jobs", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < app->njobs && !rc; i++) {
    const sic_job *j = &app->jobs[i];
    int64_t dur = j->submission_time >= 0 && j->completion_time >= j->submission_time
                    ? j->completion_time - j->submission_time : -1;
    db_val v[] = {db_int(key), db_int(j->job_id), db_text(store_job_status(j->status)),
                  db_int_or_null(j->submission_time), db_int_or_null(j->completion_time), db_int_or_null(dur),
                  db_text(sic_str(app, j->name)), db_text(sic_str(app, j->description)),
                  db_text(sic_str(app, j->job_group)), db_int_or_null(j->sql_execution_id),
                  db_int(j->stage_ids.n), db_text(sic_str(app, j->failure_reason))};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_stages(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {
    "attempt_key", "stage_id", "stage_attempt", "status", "name", "num_tasks", "submission_time",
    "completion_time", "duration_ms", "failure_reason", "tasks", "failed_tasks", "killed_tasks",
    "run_time_ms", "cpu_time_ns", "gc_time_ms", "input_bytes", "output_bytes", "shuffle_read_bytes",
    "shuffle_write_bytes", "memory_spilled_bytes", "disk_spilled_bytes", "task_duration_min",
    "task_duration_median", "task_duration_p95", "task_duration_max", "skew"};
  const sic_app *app = cx->app;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "stages", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < app->nstages && !rc; i++) {
    const sic_stage *st = &app->stages[i];
    const store_stage_summary *ss = &cx->sum->stages[i];
    const store_task_totals *t = &ss->totals;
    int64_t dur = st->submission_time >= 0 && st->completion_time >= st->submission_time
                    ? st->completion_time - st->submission_time : -1;
    db_val v[] = {db_int(key), db_int(st->stage_id), db_int(st->attempt_id),
                  db_text(store_stage_status(st->status)), db_text(sic_str(app, st->name)),
                  db_int(st->num_tasks), db_int_or_null(st->submission_time),
                  db_int_or_null(st->completion_time), db_int_or_null(dur),
                  db_text(sic_str(app, st->failure_reason)), db_int(t->tasks), db_int(t->failed),
                  db_int(t->killed), db_int(t->run_time_ms), db_int(t->cpu_time_ns), db_int(t->gc_time_ms),
                  db_int(t->input_bytes), db_int(t->output_bytes), db_int(t->shuffle_read_bytes),
                  db_int(t->shuffle_write_bytes), db_int(t->memory_spilled), db_int(t->disk_spilled),
                  db_int_or_null(ss->dur_min), db_int_or_null(ss->dur_median), db_int_or_null(ss->dur_p95),
                  db_int_or_null(ss->dur_max), ss->skew > 0 ? db_real(ss->skew) : db_null()};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_executors(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "executor_id", "host", "total_cores", "is_driver",
                                     "add_time", "remove_time", "remove_reason", "max_memory"};
  const sic_app *app = cx->app;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "executors", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < app->nexecutors && !rc; i++) {
    const sic_executor *e = &app->executors[i];
    const char *id = sic_str(app, e->id);
    db_val v[] = {db_int(key), db_text(id ? id : "?"), db_text(sic_str(app, e->host)), db_int(e->total_cores),
                  db_int(e->is_driver != 0), db_int_or_null(e->add_time), db_int_or_null(e->remove_time),
                  db_text(sic_str(app, e->remove_reason)), db_int_or_null(e->max_memory)};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_sql(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "execution_id", "description", "start_time", "end_time",
                                     "duration_ms", "error", "num_jobs", "plan_nodes", "aqe_updates"};
  const sic_app *app = cx->app;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "sql_executions", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < app->nsqls && !rc; i++) {
    const sic_sql *q = &app->sqls[i];
    int64_t dur = q->start_time >= 0 && q->end_time >= q->start_time ? q->end_time - q->start_time : -1;
    db_val v[] = {db_int(key), db_int(q->execution_id), db_text(sic_str(app, q->description)),
                  db_int_or_null(q->start_time), db_int_or_null(q->end_time), db_int_or_null(dur),
                  db_text(sic_str(app, q->error)), db_int(q->jobs.n), db_int(q->plan.n), db_int(q->aqe_updates)};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_environment(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "section", "name", "value"};
  const sic_app *app = cx->app;
  const struct { const char *name; sic_range r; } sections[] = {
    {"jvm", app->env_jvm},         {"spark", app->env_spark},     {"hadoop", app->env_hadoop},
    {"system", app->env_system},   {"metrics", app->env_metrics}, {"classpath", app->env_classpath}};
  table_writer w;
  int rc = tw_begin(&w, cx, s, "environment", cols, NCOLS(cols), err);
  for (size_t k = 0; k < sizeof sections / sizeof *sections && !rc; k++)
    for (int32_t i = 0; i < sections[k].r.n && !rc; i++) {
      const sic_kv *kv = &app->kvs[sections[k].r.off + i];
      const char *name = sic_str(app, kv->key);
      db_val v[] = {db_int(key), db_text(sections[k].name), db_text(name ? name : ""),
                    db_text(sic_str(app, kv->value))};
      rc = tw_row(&w, v, err);
    }
  return tw_end(&w, rc, err);
}

static int write_findings(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "seq", "finding_id", "severity", "severity_rank", "title",
                                     "entity", "evidence", "recommendation", "impact", "impact_ms", "rule", "json"};
  if (!cx->opts->nfindings) return 0;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "findings", cols, NCOLS(cols), err);
  for (size_t i = 0; i < cx->opts->nfindings && !rc; i++) {
    const sic_store_finding *f = &cx->opts->findings[i];
    db_val v[] = {db_int(key), db_int((int64_t)i), db_text(f->id), db_text(f->severity),
                  db_int(store_severity_rank(f->severity)), db_text(f->title), db_text(f->entity),
                  db_text(f->evidence), db_text(f->recommendation), db_text(f->impact), db_real(f->impact_ms),
                  db_text(f->rule), db_text(f->json)};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_predictions(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {"attempt_key", "model", "target", "value", "lower_bound", "upper_bound", "json"};
  if (!cx->opts->npredictions) return 0;
  table_writer w;
  int rc = tw_begin(&w, cx, s, "predictions", cols, NCOLS(cols), err);
  for (size_t i = 0; i < cx->opts->npredictions && !rc; i++) {
    const sic_store_prediction *p = &cx->opts->predictions[i];
    db_val v[] = {db_int(key), db_text(p->model), db_text(p->target ? p->target : "?"), db_real(p->value),
                  db_real(p->lower), db_real(p->upper), db_text(p->json)};
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

static int write_tasks(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  static const char *const cols[] = {
    "attempt_key", "stage_id", "stage_attempt", "task_id", "task_index", "attempt", "executor_id", "host",
    "launch_time", "finish_time", "duration_ms", "status", "locality", "speculative", "run_time_ms",
    "cpu_time_ns", "gc_time_ms", "input_bytes", "output_bytes", "shuffle_read_bytes", "shuffle_write_bytes",
    "memory_spilled_bytes", "disk_spilled_bytes", "peak_execution_memory", "start_month"};
  const sic_app *app = cx->app;
  const sic_tasks *t = &app->tasks;
  /* The application's month partitions its task rows (partition.c); on PostgreSQL the month's
   * partition is created here when this is its first application. */
  int month = store_month_of(app->start_time);
  int rc = store_ensure_partition(s->db, month, err);
  if (rc) return rc;
  table_writer w;
  rc = tw_begin(&w, cx, s, "tasks", cols, NCOLS(cols), err);
  for (int64_t i = 0; i < t->n && !rc; i++) {
    int32_t sr = sic_task_stage(app, i);
    const sic_stage *st = sr >= 0 && sr < app->nstages ? &app->stages[sr] : NULL;
    int64_t finish = sic_col_get(&t->finish_time, i);
#define M(m) db_int(sic_task_metric_get(app, i, m))
    db_val v[] = {db_int(key), st ? db_int(st->stage_id) : db_null(), st ? db_int(st->attempt_id) : db_null(),
                  db_int(sic_col_get(&t->task_id, i)), db_int(sic_col_get(&t->index, i)),
                  db_int(sic_col_get(&t->attempt, i)), db_text(exec_id(app, sic_task_executor(app, i))),
                  db_text(sic_str(app, sic_task_host(app, i))), db_int(sic_col_get(&t->launch_time, i)),
                  finish > 0 ? db_int(finish) : db_null(), db_int_or_null(sic_task_duration(app, i)),
                  db_text(store_task_status(t->status[i])), db_text(store_locality(t->locality[i])),
                  db_int((t->flags[i] & SIC_TASKF_SPECULATIVE) != 0), M(SIC_TM_EXECUTOR_RUN_TIME),
                  M(SIC_TM_EXECUTOR_CPU_TIME), M(SIC_TM_JVM_GC_TIME), M(SIC_TM_INPUT_BYTES_READ),
                  M(SIC_TM_OUTPUT_BYTES_WRITTEN),
                  db_int(sic_task_metric_get(app, i, SIC_TM_SR_REMOTE_BYTES_READ) +
                         sic_task_metric_get(app, i, SIC_TM_SR_LOCAL_BYTES_READ)),
                  M(SIC_TM_SW_BYTES_WRITTEN), M(SIC_TM_MEMORY_BYTES_SPILLED), M(SIC_TM_DISK_BYTES_SPILLED),
                  M(SIC_TM_PEAK_EXECUTION_MEMORY), db_int(month)};
#undef M
    rc = tw_row(&w, v, err);
  }
  return tw_end(&w, rc, err);
}

/* Upsert the application row and return its key. */
static int upsert_application(sic_store *s, ingest_ctx *cx, int64_t *app_key, sic_err *err) {
  const sic_app *app = cx->app;
  db_val v[] = {db_text(cx->app_id), db_text(sic_str(app, app->name)), db_text(sic_str(app, app->user)),
                db_text(cx->res->job_key)};
  db_rows *r = NULL;
  int rc = db_query(s->db,
                    "INSERT INTO applications(app_id, name, spark_user, job_key) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT (app_id) DO UPDATE SET name = excluded.name, spark_user = excluded.spark_user, "
                    "job_key = excluded.job_key RETURNING id",
                    v, NCOLS(v), &r, err);
  if (rc) return rc;
  *app_key = db_cell_int(r, 0, 0, -1);
  db_rows_free(r);
  return 0;
}

static int insert_attempt(sic_store *s, ingest_ctx *cx, int64_t app_key, int64_t *key, sic_err *err) {
  const sic_app *app = cx->app;
  const store_app_summary *m = cx->sum;
  const store_task_totals *t = &m->totals;
  const char *attempt = sic_str(app, app->attempt_id);
  double cost = cx->opts->cost;
  const char *unit = cx->opts->cost_unit;
  if (isnan(cost) && cx->opts->core_hour_price > 0 && m->core_hours > 0) {
    cost = m->core_hours * cx->opts->core_hour_price;
    if (!unit) unit = "USD";
  }
  int has_cost = !isnan(cost);
  db_val v[] = {
    db_int(app_key), db_text(attempt ? attempt : ""), db_text(cx->res->job_key), db_text(sic_str(app, app->name)),
    db_text(sic_str(app, app->spark_version)), db_int_or_null(app->start_time), db_int_or_null(app->end_time),
    db_int_or_null(m->duration_ms), db_int(app->complete != 0), db_int(app->in_progress != 0),
    db_int(app->truncated != 0), db_int(app->events), db_int(app->malformed_lines), db_text(cx->source_path),
    db_int_or_null(cx->source_size), db_text(cx->res->checksum), db_int((int64_t)time(NULL) * 1000),
    db_int(app->njobs), db_int(m->failed_jobs), db_int(app->nstages), db_int(m->failed_stages),
    db_int(t->tasks), db_int(t->failed), db_int(t->killed), db_int(m->executors), db_int(m->total_cores),
    db_real(m->core_hours), db_int(t->run_time_ms), db_int(t->cpu_time_ns), db_int(t->gc_time_ms),
    db_int(t->input_bytes), db_int(t->output_bytes), db_int(t->shuffle_read_bytes), db_int(t->shuffle_write_bytes),
    db_int(t->memory_spilled), db_int(t->disk_spilled), m->max_skew > 0 ? db_real(m->max_skew) : db_null(),
    db_real(cost), db_text(has_cost ? unit : NULL), db_int(cx->opts->store_tasks != 0)};
  db_rows *r = NULL;
  int rc = db_query(s->db,
    "INSERT INTO attempts(application_id, attempt_id, job_key, app_name, spark_version, start_time, end_time,"
    " duration_ms, complete, in_progress, truncated, events, malformed_lines, source_path, source_size,"
    " source_checksum, ingested_at, num_jobs, failed_jobs, num_stages, failed_stages, tasks, failed_tasks,"
    " killed_tasks, executors, total_cores, core_hours, executor_run_time_ms, executor_cpu_time_ns,"
    " jvm_gc_time_ms, input_bytes, output_bytes, shuffle_read_bytes, shuffle_write_bytes,"
    " memory_spilled_bytes, disk_spilled_bytes, max_skew, cost, cost_unit, tasks_stored)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,"
    "$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37,$38,$39,$40) RETURNING id",
    v, NCOLS(v), &r, err);
  if (rc) return rc;
  *key = db_cell_int(r, 0, 0, -1);
  db_rows_free(r);
  return 0;
}

/* Attempt currently stored for a checksum, through seen_logs: the attempt with these ids, which
 * may hold other content now (a superseded copy). *found = the checksum was ingested before;
 * *own = that attempt holds exactly this content. */
static int lookup_checksum(sic_store *s, const char *checksum, int *found, int64_t *key, int *own, sic_err *err) {
  db_val v[] = {db_text(checksum)};
  db_rows *r = NULL;
  int rc = db_query(s->db,
                    "SELECT a.id, a.source_checksum FROM seen_logs l "
                    "LEFT JOIN applications p ON p.app_id = l.app_id "
                    "LEFT JOIN attempts a ON a.application_id = p.id AND a.attempt_id = l.attempt_id "
                    "WHERE l.checksum = $1",
                    v, 1, &r, err);
  if (rc) return rc;
  *found = r->nrows > 0;
  *key = *found ? db_cell_int(r, 0, 0, -1) : -1;
  *own = *found && db_cell(r, 0, 1) && !strcmp(db_cell(r, 0, 1), checksum);
  db_rows_free(r);
  return 0;
}

static int remember_log(sic_store *s, ingest_ctx *cx, const char *outcome, sic_err *err) {
  const char *attempt = sic_str(cx->app, cx->app->attempt_id);
  db_val v[] = {db_text(cx->res->checksum), db_text(cx->app_id), db_text(attempt ? attempt : ""),
                db_text(cx->source_path), db_text(outcome), db_int((int64_t)time(NULL) * 1000)};
  return db_query(s->db,
                  "INSERT INTO seen_logs(checksum, app_id, attempt_id, source_path, outcome, ingested_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (checksum) DO NOTHING",
                  v, NCOLS(v), NULL, err);
}

int sic_store_find_checksum(sic_store *s, const char *checksum, int64_t *attempt_key, sic_err *err) {
  int found = 0, own = 0;
  int64_t key = -1;
  int rc = lookup_checksum(s, checksum, &found, &key, &own, err);
  if (rc) return rc;
  if (attempt_key) *attempt_key = key;
  return found;
}

/* Delete an older version of this attempt (same app id and attempt id, other content), unless
 * the stored one is complete and this one is not: then *kept is set and nothing changes. */
static int delete_previous(sic_store *s, ingest_ctx *cx, int64_t app_key, int *replaced, int *kept, sic_err *err) {
  const char *attempt = sic_str(cx->app, cx->app->attempt_id);
  db_val v[] = {db_int(app_key), db_text(attempt ? attempt : "")};
  db_rows *r = NULL;
  int rc = db_query(s->db, "SELECT id, complete FROM attempts WHERE application_id = $1 AND attempt_id = $2", v, 2,
                    &r, err);
  if (rc) return rc;
  *replaced = r->nrows > 0;
  *kept = r->nrows > 0 && db_cell_int(r, 0, 1, 0) && !cx->app->complete;
  if (*kept) cx->res->attempt_key = db_cell_int(r, 0, 0, -1);
  db_rows_free(r);
  if (!*replaced || *kept) return 0;
  rc = db_query(s->db, "DELETE FROM tasks WHERE attempt_key IN (SELECT id FROM attempts WHERE application_id = $1 "
                       "AND attempt_id = $2)", v, 2, NULL, err);
  if (rc) return rc;
  return db_query(s->db, "DELETE FROM attempts WHERE application_id = $1 AND attempt_id = $2", v, 2, NULL, err);
}

static int refresh_analysis(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  db_val v[] = {db_int(key)};
  int rc = 0;
  if (cx->opts->nfindings && !(rc = db_query(s->db, "DELETE FROM findings WHERE attempt_key = $1", v, 1, NULL, err)))
    rc = write_findings(s, cx, key, err);
  if (!rc && cx->opts->npredictions &&
      !(rc = db_query(s->db, "DELETE FROM predictions WHERE attempt_key = $1", v, 1, NULL, err)))
    rc = write_predictions(s, cx, key, err);
  cx->res->rows = cx->rows;
  return rc;
}

/* Is this log content known already? Then the attempt is left as it is (*done = 1); a new
 * analysis of the very log it holds (e.g. `sic analyze --store` after editing rules) replaces
 * only its findings and predictions. */
static int check_known(sic_store *s, ingest_ctx *cx, int *done, sic_err *err) {
  int own = 0;
  int rc = lookup_checksum(s, cx->res->checksum, done, &cx->res->attempt_key, &own, err);
  if (rc || !*done) return rc;
  cx->res->status = SIC_STORE_UNCHANGED;
  return own ? refresh_analysis(s, cx, cx->res->attempt_key, err) : 0;
}

static int write_children(sic_store *s, ingest_ctx *cx, int64_t key, sic_err *err) {
  int rc;
  if ((rc = write_parts(s, cx, key, err)) || (rc = write_jobs(s, cx, key, err)) ||
      (rc = write_stages(s, cx, key, err)) || (rc = write_executors(s, cx, key, err)) ||
      (rc = write_sql(s, cx, key, err)) || (rc = write_environment(s, cx, key, err)) ||
      (rc = write_findings(s, cx, key, err)) || (rc = write_predictions(s, cx, key, err)))
    return rc;
  return cx->opts->store_tasks ? write_tasks(s, cx, key, err) : 0;
}

/* Lock key of an application: FNV-1a of its id. Two ids sharing a key only queue behind each
 * other; they never share rows. */
static int32_t application_lock_key(const char *app_id) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)app_id; *p; p++) h = (h ^ *p) * 16777619u;
  return (int32_t)h;
}

/* The transaction body: run again from scratch after a reconnect.
 *
 * Concurrent writers: the first statement takes the application's lock (an advisory lock on
 * PostgreSQL, held to the end of the transaction; SQLite's BEGIN IMMEDIATE already serialises
 * every writer), so writers of one application run one after the other and each sees what the
 * previous one committed: no duplicate findings from two re-analyses, no replace racing a
 * re-analysis. Every transaction writes the rows of one application only, after this one lock,
 * which is the whole lock order: writers of different applications share no row. */
static int ingest_tx(sic_store *s, void *vctx, sic_err *err) {
  ingest_ctx *cx = vctx;
  int done = 0, replaced = 0, kept = 0, rc;
  int64_t app_key = -1, key = -1;
  cx->rows = 0;
  cx->next_progress = PROGRESS_EVERY;
  if ((rc = db_lock_xact(s->db, DB_LOCK_APPLICATION, application_lock_key(cx->app_id), err)) ||
      (rc = check_known(s, cx, &done, err)) || done)
    return rc;
  if ((rc = upsert_application(s, cx, &app_key, err))) return rc;
  if ((rc = delete_previous(s, cx, app_key, &replaced, &kept, err))) return rc;
  if (kept) {
    cx->res->status = SIC_STORE_KEPT;
    return remember_log(s, cx, "kept", err);
  }
  if ((rc = insert_attempt(s, cx, app_key, &key, err)) || (rc = write_children(s, cx, key, err)) ||
      (rc = remember_log(s, cx, replaced ? "replaced" : "inserted", err)))
    return rc;
  cx->res->status = replaced ? SIC_STORE_REPLACED : SIC_STORE_INSERTED;
  cx->res->attempt_key = key;
  cx->res->rows = cx->rows + 2; /* bulk rows + the attempt and its seen_logs row */
  return 0;
}

/* Checksum and size from the files the model was read from, unless the caller gave them. */
static int resolve_source(const sic_app *app, const sic_ingest_opts *o, ingest_ctx *cx, sic_err *err) {
  cx->source_path = o->source_path ? o->source_path : sic_str(app, app->source_path);
  cx->source_size = o->source_size;
  if (cx->checksum) {
    snprintf(cx->res->checksum, sizeof cx->res->checksum, "%s", cx->checksum);
  } else {
    if (app->nparts <= 0)
      return sic_err_set(err, SIC_EINVAL, "no checksum given and the model names no log files to compute one");
    const char **paths = calloc((size_t)app->nparts, sizeof *paths);
    if (!paths) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    for (int64_t i = 0; i < app->nparts; i++) paths[i] = sic_str(app, app->parts[i].path);
    int64_t size = 0;
    int rc = sic_store_checksum_files(paths, (size_t)app->nparts, cx->res->checksum, &size, err);
    free(paths);
    if (rc) return rc;
    if (cx->source_size < 0) cx->source_size = size;
  }
  if (cx->source_size < 0) {
    cx->source_size = 0;
    for (int64_t i = 0; i < app->nparts; i++) cx->source_size += app->parts[i].stored_bytes;
  }
  return 0;
}

int sic_store_ingest(sic_store *s, const sic_app *app, const sic_ingest_opts *opts, sic_ingest_result *res,
                     sic_err *err) {
  sic_ingest_opts defaults;
  if (!opts) {
    sic_ingest_opts_init(&defaults);
    opts = &defaults;
  }
  /* opts may point into res (e.g. a checksum computed into res->checksum): copy before clearing. */
  char checksum[sizeof res->checksum] = "";
  if (opts->checksum && strlen(opts->checksum) >= sizeof checksum)
    return sic_err_set(err, SIC_EINVAL, "checksum '%.80s...' is too long", opts->checksum);
  if (opts->checksum) snprintf(checksum, sizeof checksum, "%s", opts->checksum);
  memset(res, 0, sizeof *res);
  ingest_ctx cx = {.app = app, .opts = opts, .res = res, .checksum = opts->checksum ? checksum : NULL};
  int rc = resolve_source(app, opts, &cx, err);
  if (rc) return rc;
  if (opts->job_key)
    snprintf(res->job_key, sizeof res->job_key, "%s", opts->job_key);
  else if ((rc = sic_jobkey_from_app(app, opts->jobkey_rules, res->job_key, sizeof res->job_key, err)))
    return rc;
  /* A log without ApplicationStart still gets a stable, unique application id. */
  char fallback_id[96];
  cx.app_id = sic_str(app, app->app_id);
  if (!cx.app_id || !*cx.app_id) {
    snprintf(fallback_id, sizeof fallback_id, "unknown-%.16s", res->checksum);
    cx.app_id = fallback_id;
  }
  store_app_summary sum;
  if ((rc = store_summarize(app, &sum, err))) return rc;
  cx.sum = &sum;
  rc = store_with_tx(s, opts->max_retries, ingest_tx, &cx, &res->retries, err);
  store_summary_free(&sum);
  if (rc) sic_err_wrap(err, "storing %s: ", cx.source_path ? cx.source_path : cx.app_id);
  return rc;
}

int sic_store_record_report(const char *url, const sic_app *app, const char *findings_json,
                            const char *source_path, sic_ingest_result *res, sic_err *err) {
  sic_store_findings findings = {0};
  if (findings_json) {
    int rc = sic_store_findings_from_json(findings_json, strlen(findings_json), &findings, err);
    if (rc) return rc;
  }
  sic_store *s = NULL;
  int rc = sic_store_open(url, &s, err);
  if (!rc) {
    sic_ingest_opts o;
    sic_ingest_opts_init(&o);
    o.findings = findings.items;
    o.nfindings = findings.n;
    o.source_path = source_path;
    sic_ingest_result local;
    rc = sic_store_ingest(s, app, &o, res ? res : &local, err);
  }
  sic_store_close(s);
  sic_store_findings_free(&findings);
  return rc;
}
