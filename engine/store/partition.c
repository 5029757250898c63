/* Task rows by month: the month key, PostgreSQL's partitions of `tasks` (schema 3) and
 * retention (sic_store_retention).
 *
 * Every task row carries start_month, the UTC year*100+month of its application's start (0 when
 * the log states no start). On PostgreSQL `tasks` is PARTITION BY RANGE (start_month): one
 * partition per month, tasks_YYYYMM, created on demand by the ingest transaction that first
 * needs it, plus tasks_undated for month 0. Dropping a month is then a DETACH + DROP of one
 * table, no row-by-row DELETE and no bloat left behind. SQLite keeps one table with an index on
 * start_month; its retention deletes the rows.
 *
 * Only `tasks` is partitioned: it holds one row per task attempt, about a thousand times the
 * rows of any other table (stages, jobs and executors are per stage, job, executor). The
 * per-application tables stay whole so that history and regressions keep every run's figures
 * after its task rows are gone (attempts.tasks_stored says whether they still are). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crashpoint.h"
#include "store/internal.h"

int store_is_partitioned(const db *d) { return !strcmp(d->ops->name, "postgresql"); }

int store_month_of(int64_t start_ms) {
  if (start_ms < 0) return 0;
  time_t t = (time_t)(start_ms / 1000);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return 0;
  return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

static int next_month(int month) { return month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1; }

/* Name of a month's partition: tasks_YYYYMM, or tasks_undated for month 0. */
static void partition_name(int month, char *buf, size_t n) {
  if (month <= 0)
    snprintf(buf, n, "tasks_undated");
  else
    snprintf(buf, n, "tasks_%06d", month);
}

static int partition_exists(db *d, const char *name, int *exists, sic_err *err) {
  db_val v[1] = {db_text(name)};
  db_rows *r = NULL;
  int rc = db_query(d, "SELECT to_regclass($1) IS NOT NULL", v, 1, &r, err);
  if (rc) return rc;
  *exists = r->nrows && db_cell(r, 0, 0) && db_cell(r, 0, 0)[0] == 't';
  db_rows_free(r);
  return 0;
}

/* Make sure the month's partition exists (PostgreSQL; a no-op elsewhere), inside the caller's
 * transaction.
 *
 * Concurrent workers: the common case, the partition is there, costs one catalog lookup and
 * takes no lock. Otherwise the month's advisory lock serialises the creators: a second worker
 * waits until the first commits, then (a new snapshot per statement under READ COMMITTED) sees
 * the partition and creates nothing. Without the lock two creators both see no table and one
 * fails on pg_type's unique index. The partition is created as a plain table and then ATTACHed:
 * ATTACH locks `tasks` in SHARE UPDATE EXCLUSIVE mode, which lets every other worker keep
 * writing its own months while this transaction runs on (CREATE TABLE ... PARTITION OF would
 * take ACCESS EXCLUSIVE and stall them all until this ingest commits). A rolled-back ingest
 * takes its new partition with it. */
int store_ensure_partition(db *d, int month, sic_err *err) {
  if (!store_is_partitioned(d)) return 0;
  char name[32], sql[256];
  partition_name(month, name, sizeof name);
  int exists = 0, rc = partition_exists(d, name, &exists, err);
  if (rc || exists) return rc;
  if ((rc = db_lock_xact(d, DB_LOCK_PARTITION, month, err)) || (rc = partition_exists(d, name, &exists, err)) ||
      exists)
    return rc;
  snprintf(sql, sizeof sql, "CREATE TABLE %s (LIKE tasks INCLUDING DEFAULTS)", name);
  if ((rc = db_exec(d, sql, err))) return sic_err_wrap(err, "creating partition %s: ", name);
  if (month <= 0)
    snprintf(sql, sizeof sql, "ALTER TABLE tasks ATTACH PARTITION %s FOR VALUES FROM (MINVALUE) TO (1)", name);
  else
    snprintf(sql, sizeof sql, "ALTER TABLE tasks ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)", name, month,
             next_month(month));
  if ((rc = db_exec(d, sql, err))) return sic_err_wrap(err, "attaching partition %s: ", name);
  sic_crashpoint("store.partition_created");
  return 0;
}

/* start_month of a row, from its application's start (ms, NULL/negative = unknown): the same
 * rule as store_month_of(), in SQL, for rows written before schema 3. */
#define PG_MONTH_SQL \
  "COALESCE(CASE WHEN a.start_time >= 0 THEN CAST(to_char(to_timestamp(a.start_time / 1000) AT TIME ZONE 'UTC', " \
  "'YYYYMM') AS INTEGER) END, 0)"
#define SQLITE_MONTH_SQL \
  "COALESCE((SELECT CAST(strftime('%Y%m', a.start_time / 1000, 'unixepoch') AS INTEGER) FROM attempts a " \
  "WHERE a.id = tasks.attempt_key AND a.start_time >= 0), 0)"

/* Schema 3 on SQLite: the month column, filled from the applications' starts, and its index. */
static int migrate_sqlite(db *d, sic_err *err) {
  return db_exec(d,
                 "ALTER TABLE tasks ADD COLUMN start_month INTEGER NOT NULL DEFAULT 0;"
                 "UPDATE tasks SET start_month = " SQLITE_MONTH_SQL ";"
                 "CREATE INDEX tasks_month ON tasks(start_month);",
                 err);
}

/* Schema 3 on PostgreSQL, in place, inside the migration's transaction: the v2 table is renamed,
 * a partitioned `tasks` with the same columns plus start_month takes its place, a partition is
 * created for every month its rows belong to, the rows are copied over and the old table
 * dropped. A row whose attempt is gone (there is no foreign key) lands in tasks_undated. */
static int migrate_pg(db *d, sic_err *err) {
  int rc = db_exec(d,
                   "ALTER TABLE tasks RENAME TO tasks_v2;"
                   "ALTER INDEX tasks_attempt RENAME TO tasks_v2_attempt;"
                   "CREATE TABLE tasks (LIKE tasks_v2, start_month INTEGER NOT NULL) PARTITION BY RANGE (start_month);"
                   "CREATE INDEX tasks_attempt ON tasks(attempt_key);",
                   err);
  if (rc) return rc;
  db_rows *r = NULL;
  rc = db_query(d,
                "SELECT DISTINCT " PG_MONTH_SQL " FROM tasks_v2 t LEFT JOIN attempts a ON a.id = t.attempt_key",
                NULL, 0, &r, err);
  if (rc) return rc;
  /* tasks_undated always exists, so that rows of unknown month never need a new table. */
  rc = store_ensure_partition(d, 0, err);
  for (int i = 0; i < r->nrows && !rc; i++) rc = store_ensure_partition(d, (int)db_cell_int(r, i, 0, 0), err);
  db_rows_free(r);
  if (rc) return rc;
  return db_exec(d,
                 "INSERT INTO tasks SELECT t.*, " PG_MONTH_SQL " FROM tasks_v2 t "
                 "LEFT JOIN attempts a ON a.id = t.attempt_key;"
                 "DROP TABLE tasks_v2;",
                 err);
}

int store_migrate_partitions(db *d, sic_err *err) {
  return store_is_partitioned(d) ? migrate_pg(d, err) : migrate_sqlite(d, err);
}

/* ---- Retention ---- */

void sic_store_retention_free(sic_store_retention *r) {
  if (!r) return;
  free(r->months);
  memset(r, 0, sizeof *r);
}

static int add_month(sic_store_retention *out, int month, int64_t rows, sic_err *err) {
  sic_store_retention_month *m = realloc(out->months, (out->n + 1) * sizeof *m);
  if (!m) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  out->months = m;
  m[out->n].month = month;
  m[out->n].task_rows = rows;
  m[out->n].attempts = 0;
  out->n++;
  return 0;
}

/* The months before `before` holding task rows, with their row counts, oldest first. On
 * PostgreSQL the partitions of `tasks` (pg_inherits) named tasks_YYYYMM, each counted (the
 * CASE keeps the cast away from other names: SQL does not promise the order of AND); on SQLite
 * one GROUP BY. */
static int list_months(db *d, int before, sic_store_retention *out, sic_err *err) {
  db_rows *r = NULL;
  db_val v[1] = {db_int(before)};
  int rc, pg = store_is_partitioned(d);
  if (pg)
    rc = db_query(d,
                  "SELECT m FROM (SELECT CASE WHEN c.relname ~ '^tasks_[0-9]{6}$' "
                  "THEN CAST(substr(c.relname, 7) AS INTEGER) END AS m FROM pg_inherits i "
                  "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'tasks'::regclass) p "
                  "WHERE m < $1 ORDER BY 1",
                  v, 1, &r, err);
  else
    rc = db_query(d,
                  "SELECT start_month, count(*) FROM tasks WHERE start_month > 0 AND start_month < $1 "
                  "GROUP BY start_month ORDER BY start_month",
                  v, 1, &r, err);
  if (rc) return rc;
  for (int i = 0; i < r->nrows && !rc; i++) rc = add_month(out, (int)db_cell_int(r, i, 0, 0), pg ? 0 : db_cell_int(r, i, 1, 0), err);
  db_rows_free(r);
  for (size_t i = 0; pg && i < out->n && !rc; i++) {
    char sql[96], name[32];
    partition_name(out->months[i].month, name, sizeof name);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", name);
    if (!(rc = db_query(d, sql, NULL, 0, &r, err))) {
      out->months[i].task_rows = db_cell_int(r, 0, 0, 0);
      db_rows_free(r);
    }
  }
  return rc;
}

/* Drop one month's task rows: mark its attempts as without task rows, then DETACH + DROP its
 * partition (PostgreSQL) or DELETE its rows (SQLite). The month's advisory lock keeps an ingest
 * from creating the partition again halfway through; one that comes later creates a fresh one. */
static int drop_month(db *d, sic_store_retention_month *m, sic_err *err) {
  char name[32], sql[160];
  partition_name(m->month, name, sizeof name);
  db_val v[1] = {db_int(m->month)};
  db_rows *r = NULL;
  int rc, pg = store_is_partitioned(d);
  if (pg && (rc = db_lock_xact(d, DB_LOCK_PARTITION, m->month, err))) return rc;
  if (pg)
    snprintf(sql, sizeof sql, "UPDATE attempts SET tasks_stored = 0 WHERE id IN (SELECT attempt_key FROM %s) "
             "RETURNING id", name);
  else
    snprintf(sql, sizeof sql, "UPDATE attempts SET tasks_stored = 0 WHERE id IN (SELECT attempt_key FROM tasks "
             "WHERE start_month = $1) RETURNING id");
  if ((rc = db_query(d, sql, v, pg ? 0 : 1, &r, err))) return rc;
  m->attempts = r->nrows;
  db_rows_free(r);
  if (!pg) return db_query(d, "DELETE FROM tasks WHERE start_month = $1", v, 1, NULL, err);
  snprintf(sql, sizeof sql, "ALTER TABLE tasks DETACH PARTITION %s", name);
  if ((rc = db_exec(d, sql, err))) return rc;
  sic_crashpoint("store.partition_detached");
  snprintf(sql, sizeof sql, "DROP TABLE %s", name);
  return db_exec(d, sql, err);
}

typedef struct retention_ctx {
  int before;                            /* first month kept (YYYYMM) */
  int dry_run;                           /* list only */
  sic_store_retention *out;              /* filled */
} retention_ctx;

static int retention_tx(sic_store *s, void *vctx, sic_err *err) {
  retention_ctx *c = vctx;
  sic_store_retention_free(c->out); /* the body may run again after a reconnect */
  int rc = list_months(s->db, c->before, c->out, err);
  for (size_t i = 0; !c->dry_run && i < c->out->n && !rc; i++) rc = drop_month(s->db, &c->out->months[i], err);
  return rc;
}

int sic_store_retention_run(sic_store *s, int before_month, int dry_run, sic_store_retention *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (before_month < 100001 || before_month % 100 < 1 || before_month % 100 > 12)
    return sic_err_set(err, SIC_EINVAL, "retention: month %d is not YYYYMM", before_month);
  out->partitioned = store_is_partitioned(s->db);
  retention_ctx c = {before_month, dry_run, out};
  int partitioned = out->partitioned;
  int rc = store_with_tx(s, 3, retention_tx, &c, NULL, err);
  out->partitioned = partitioned;
  if (rc) {
    sic_store_retention_free(out);
    return sic_err_wrap(err, "retention before %04d-%02d: ", before_month / 100, before_month % 100);
  }
  return 0;
}
