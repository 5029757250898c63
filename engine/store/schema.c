/* Versioned schema of the history store, identical on SQLite and PostgreSQL.
 * docs/store.md describes every table.
 *
 * Migrations are append-only: migration N turns schema N-1 into N and is never edited once
 * released. Each runs in its own transaction together with the version bump, and every such
 * transaction takes the schema lock (BEGIN IMMEDIATE on SQLite, an advisory transaction lock on
 * PostgreSQL) before it reads or creates anything, sic_meta included: processes opening a fresh
 * store at the same time queue on the lock, the first migrates, the others find the version
 * bumped. (PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe to race by itself: two sessions
 * both see no table and one fails on pg_type's unique index.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Schema 1. {ID} is the dialect's auto-increment primary key. Times are ms since the epoch,
 * NULL when unknown; sizes in bytes. */
static const char migration_1[] =
  "CREATE TABLE applications ("
  " id {ID},"
  " app_id TEXT NOT NULL UNIQUE,"
  " name TEXT,"
  " spark_user TEXT,"
  " job_key TEXT NOT NULL);"
  "CREATE INDEX applications_job_key ON applications(job_key);"
  "CREATE TABLE attempts ("
  " id {ID},"
  " application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,"
  " attempt_id TEXT NOT NULL,"
  " job_key TEXT NOT NULL,"
  " app_name TEXT,"
  " spark_version TEXT,"
  " start_time BIGINT, end_time BIGINT, duration_ms BIGINT,"
  " complete INTEGER NOT NULL, in_progress INTEGER NOT NULL, truncated INTEGER NOT NULL,"
  " events BIGINT, malformed_lines BIGINT,"
  " source_path TEXT, source_size BIGINT, source_checksum TEXT NOT NULL UNIQUE,"
  " ingested_at BIGINT NOT NULL,"
  " num_jobs INTEGER, failed_jobs INTEGER, num_stages INTEGER, failed_stages INTEGER,"
  " tasks BIGINT, failed_tasks BIGINT, killed_tasks BIGINT,"
  " executors INTEGER, total_cores INTEGER, core_hours DOUBLE PRECISION,"
  " executor_run_time_ms BIGINT, executor_cpu_time_ns BIGINT, jvm_gc_time_ms BIGINT,"
  " input_bytes BIGINT, output_bytes BIGINT, shuffle_read_bytes BIGINT, shuffle_write_bytes BIGINT,"
  " memory_spilled_bytes BIGINT, disk_spilled_bytes BIGINT,"
  " max_skew DOUBLE PRECISION,"
  " cost DOUBLE PRECISION, cost_unit TEXT,"
  " tasks_stored INTEGER NOT NULL,"
  " UNIQUE (application_id, attempt_id));"
  "CREATE INDEX attempts_job_time ON attempts(job_key, start_time);"
  /* Every log content ever ingested, including copies that were superseded or kept out by a
   * complete copy: re-ingesting any of them is a no-op, so running `sic ingest` over the same
   * directory twice changes nothing even when it holds several versions of one attempt. */
  "CREATE TABLE seen_logs ("
  " checksum TEXT PRIMARY KEY, app_id TEXT NOT NULL, attempt_id TEXT NOT NULL, source_path TEXT,"
  " outcome TEXT NOT NULL, ingested_at BIGINT NOT NULL);"
  "CREATE TABLE log_parts ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " seq INTEGER NOT NULL, path TEXT, codec TEXT, stored_bytes BIGINT, bytes BIGINT, lines BIGINT);"
  "CREATE INDEX log_parts_attempt ON log_parts(attempt_key);"
  "CREATE TABLE spark_jobs ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " job_id INTEGER NOT NULL, status TEXT, submission_time BIGINT, completion_time BIGINT,"
  " duration_ms BIGINT, name TEXT, description TEXT, job_group TEXT, sql_execution_id BIGINT,"
  " num_stages INTEGER, failure_reason TEXT);"
  "CREATE INDEX spark_jobs_attempt ON spark_jobs(attempt_key);"
  "CREATE TABLE stages ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " stage_id INTEGER NOT NULL, stage_attempt INTEGER NOT NULL, status TEXT, name TEXT,"
  " num_tasks INTEGER, submission_time BIGINT, completion_time BIGINT, duration_ms BIGINT,"
  " failure_reason TEXT,"
  " tasks BIGINT, failed_tasks BIGINT, killed_tasks BIGINT,"
  " run_time_ms BIGINT, cpu_time_ns BIGINT, gc_time_ms BIGINT,"
  " input_bytes BIGINT, output_bytes BIGINT, shuffle_read_bytes BIGINT, shuffle_write_bytes BIGINT,"
  " memory_spilled_bytes BIGINT, disk_spilled_bytes BIGINT,"
  " task_duration_min BIGINT, task_duration_median BIGINT, task_duration_p95 BIGINT,"
  " task_duration_max BIGINT, skew DOUBLE PRECISION);"
  "CREATE INDEX stages_attempt ON stages(attempt_key);"
  "CREATE TABLE executors ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " executor_id TEXT NOT NULL, host TEXT, total_cores INTEGER, is_driver INTEGER,"
  " add_time BIGINT, remove_time BIGINT, remove_reason TEXT, max_memory BIGINT);"
  "CREATE INDEX executors_attempt ON executors(attempt_key);"
  "CREATE TABLE sql_executions ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " execution_id BIGINT NOT NULL, description TEXT, start_time BIGINT, end_time BIGINT,"
  " duration_ms BIGINT, error TEXT, num_jobs INTEGER, plan_nodes INTEGER, aqe_updates INTEGER);"
  "CREATE INDEX sql_executions_attempt ON sql_executions(attempt_key);"
  "CREATE TABLE environment ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " section TEXT NOT NULL, name TEXT NOT NULL, value TEXT);"
  "CREATE INDEX environment_attempt ON environment(attempt_key, section);"
  "CREATE TABLE findings ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " seq INTEGER NOT NULL, finding_id TEXT, severity TEXT, severity_rank INTEGER NOT NULL,"
  " title TEXT, entity TEXT, evidence TEXT, recommendation TEXT, impact TEXT,"
  " impact_ms DOUBLE PRECISION, rule TEXT, json TEXT);"
  "CREATE INDEX findings_attempt ON findings(attempt_key);"
  "CREATE TABLE predictions ("
  " attempt_key BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
  " model TEXT, target TEXT NOT NULL, value DOUBLE PRECISION, lower_bound DOUBLE PRECISION,"
  " upper_bound DOUBLE PRECISION, json TEXT);"
  "CREATE INDEX predictions_attempt ON predictions(attempt_key);"
  /* No foreign key on tasks: PostgreSQL checks one per inserted row, which halved COPY speed
   * (bench/bench_store.sh); ingest deletes an attempt's task rows itself before the attempt. */
  "CREATE TABLE tasks ("
  " attempt_key BIGINT NOT NULL,"
  " stage_id INTEGER, stage_attempt INTEGER, task_id BIGINT, task_index INTEGER, attempt INTEGER,"
  " executor_id TEXT, host TEXT, launch_time BIGINT, finish_time BIGINT, duration_ms BIGINT,"
  " status TEXT, locality TEXT, speculative INTEGER,"
  " run_time_ms BIGINT, cpu_time_ns BIGINT, gc_time_ms BIGINT,"
  " input_bytes BIGINT, output_bytes BIGINT, shuffle_read_bytes BIGINT, shuffle_write_bytes BIGINT,"
  " memory_spilled_bytes BIGINT, disk_spilled_bytes BIGINT, peak_execution_memory BIGINT);"
  "CREATE INDEX tasks_attempt ON tasks(attempt_key);";

/* Where `sic ingest URI --follow` stopped, per source URI (sources/), so a restart resumes. */
static const char migration_2[] =
  "CREATE TABLE source_watermarks ("
  " source TEXT PRIMARY KEY, watermark BIGINT NOT NULL, updated_ms BIGINT NOT NULL);";

/* Task rows by month: start_month on every task row; on PostgreSQL `tasks` becomes a table
 * partitioned by it (partition.c, which holds the per-dialect steps). */

/* One migration: SQL for both dialects, or a function when the dialects differ. */
typedef struct migration {
  const char *sql;                       /* portable SQL ({ID} replaced), NULL when fn is set */
  int (*fn)(db *d, sic_err *err);        /* steps written in C, NULL when sql is set */
} migration;

static const migration migrations[SIC_STORE_SCHEMA_VERSION] = {
  {migration_1, NULL}, {migration_2, NULL}, {NULL, store_migrate_partitions}};

/* Replace every {ID} with the dialect's id column type. */
static char *dialect_sql(const db *d, const char *sql) {
  const char *token = "{ID}", *type = d->ops->id_type;
  size_t count = 0;
  for (const char *p = strstr(sql, token); p; p = strstr(p + 4, token)) count++;
  char *out = malloc(strlen(sql) + count * strlen(type) + 1);
  if (!out) return NULL;
  char *o = out;
  for (const char *p = sql;;) {
    const char *hit = strstr(p, token);
    size_t n = hit ? (size_t)(hit - p) : strlen(p);
    memcpy(o, p, n);
    o += n;
    if (!hit) break;
    o += sprintf(o, "%s", type);
    p = hit + 4;
  }
  *o = 0;
  return out;
}

static int read_version(db *d, int *version, sic_err *err) {
  db_rows *r = NULL;
  int rc = db_query(d, "SELECT value FROM sic_meta WHERE name = 'schema_version'", NULL, 0, &r, err);
  if (rc) return rc;
  *version = r->nrows ? (int)db_cell_int(r, 0, 0, 0) : 0;
  db_rows_free(r);
  return 0;
}

/* Start a schema transaction: the lock first, then the bookkeeping table. */
static int begin_locked(db *d, sic_err *err) {
  int rc = db_exec(d, d->ops->begin_sql, err);
  if (!rc) rc = db_lock_xact(d, DB_LOCK_SCHEMA, 0, err);
  if (!rc) rc = db_exec(d, "CREATE TABLE IF NOT EXISTS sic_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)", err);
  return rc;
}

/* Apply migration `to` inside the caller's transaction. */
static int apply(db *d, int to, sic_err *err) {
  const migration *m = &migrations[to - 1];
  int rc;
  if (m->fn) {
    rc = m->fn(d, err);
  } else {
    char *sql = dialect_sql(d, m->sql);
    if (!sql) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    rc = db_exec(d, sql, err);
    free(sql);
  }
  if (rc) return sic_err_wrap(err, "schema migration %d: ", to);
  db_val v[1] = {db_int(to)};
  if (to == 1)
    return db_query(d, "INSERT INTO sic_meta(name, value) VALUES ('schema_version', $1)", v, 1, NULL, err);
  return db_query(d, "UPDATE sic_meta SET value = $1 WHERE name = 'schema_version'", v, 1, NULL, err);
}

int store_migrate(db *d, int *version, sic_err *err) {
  int rc;
  for (;;) {
    int current = 0;
    if ((rc = begin_locked(d, err)) || (rc = read_version(d, &current, err))) goto error;
    if (current > SIC_STORE_SCHEMA_VERSION) {
      rc = sic_err_set(err, SIC_EUNSUPPORTED,
                       "store schema version %d is newer than this sic understands (%d): "
                       "upgrade sic, or use another store", current, SIC_STORE_SCHEMA_VERSION);
      goto error;
    }
    if (current == SIC_STORE_SCHEMA_VERSION) {
      *version = current;
      return db_exec(d, "COMMIT", err);
    }
    if ((rc = apply(d, current + 1, err)) || (rc = db_exec(d, "COMMIT", err))) goto error;
  }
error:
  db_exec(d, "ROLLBACK", NULL);
  return rc;
}
