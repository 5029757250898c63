/* Baseline for bench/bench_store.sh: the plainest bulk insert SQLite
 * allows, in C - one prepared INSERT re-bound per row inside one transaction, into a table of
 * the same shape and index as the store's `tasks` - fed from a TSV dump of the very rows sic
 * wrote. Compiled by the bench script itself (cc + pkg-config sqlite3).
 *
 *   bench_store_baseline_sqlite dump STORE.db OUT.tsv   write the tasks rows as TSV (\N = NULL)
 *   bench_store_baseline_sqlite load IN.tsv TARGET.db   time the insert of every TSV row
 *
 * load prints: RESULT rows=N seconds=S rows_per_s=R */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int die(sqlite3 *db, const char *what) {
  fprintf(stderr, "baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : "cannot open");
  return 1;
}

static int dump(const char *store, const char *out_path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  FILE *out = fopen(out_path, "w");
  if (!out || sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return die(db, store);
  if (sqlite3_prepare_v2(db, "SELECT * FROM tasks", -1, &st, NULL) != SQLITE_OK) return die(db, "select");
  int ncols = sqlite3_column_count(st);
  while (sqlite3_step(st) == SQLITE_ROW)
    for (int c = 0; c < ncols; c++) {
      const char *v = (const char *)sqlite3_column_text(st, c);
      fputs(v ? v : "\\N", out); /* the values sic writes hold no tab or newline in tasks */
      fputc(c + 1 < ncols ? '\t' : '\n', out);
    }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return fclose(out) != 0;
}

/* Bind one TSV field: \N -> NULL, an integer -> int64, anything else -> text. */
static void bind_field(sqlite3_stmt *st, int i, char *f) {
  if (!strcmp(f, "\\N")) {
    sqlite3_bind_null(st, i);
    return;
  }
  char *end;
  long long v = strtoll(f, &end, 10);
  if (*f && !*end) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_text(st, i, f, -1, SQLITE_TRANSIENT);
}

static const char SCHEMA[] =
  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
  "CREATE TABLE tasks_baseline (attempt_key BIGINT NOT NULL, stage_id INTEGER, stage_attempt INTEGER,"
  " task_id BIGINT, task_index INTEGER, attempt INTEGER, executor_id TEXT, host TEXT, launch_time BIGINT,"
  " finish_time BIGINT, duration_ms BIGINT, status TEXT, locality TEXT, speculative INTEGER, run_time_ms BIGINT,"
  " cpu_time_ns BIGINT, gc_time_ms BIGINT, input_bytes BIGINT, output_bytes BIGINT, shuffle_read_bytes BIGINT,"
  " shuffle_write_bytes BIGINT, memory_spilled_bytes BIGINT, disk_spilled_bytes BIGINT,"
  " peak_execution_memory BIGINT);"
  "CREATE INDEX tasks_baseline_attempt ON tasks_baseline(attempt_key);";

static int load(const char *in_path, const char *target) {
  enum { NCOLS = 24 };
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  FILE *in = fopen(in_path, "r");
  if (!in || sqlite3_open(target, &db) != SQLITE_OK) return die(db, target);
  if (sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) return die(db, "schema");
  char sql[256] = "INSERT INTO tasks_baseline VALUES (?";
  for (int i = 1; i < NCOLS; i++) strcat(sql, ",?");
  strcat(sql, ")");
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return die(db, "prepare");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  char line[8192];
  long long rows = 0;
  while (fgets(line, sizeof line, in)) {
    line[strcspn(line, "\n")] = 0;
    char *f = line;
    for (int i = 1; i <= NCOLS; i++) {
      char *tab = strchr(f, '\t');
      if (tab) *tab = 0;
      bind_field(st, i, f);
      f = tab ? tab + 1 : f + strlen(f);
    }
    if (sqlite3_step(st) != SQLITE_DONE) return die(db, "insert");
    sqlite3_reset(st);
    rows++;
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return die(db, "commit");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("RESULT rows=%lld seconds=%.3f rows_per_s=%.0f\n", rows, s, s > 0 ? rows / s : 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  fclose(in);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "dump")) return dump(argv[2], argv[3]);
  if (argc == 4 && !strcmp(argv[1], "load")) return load(argv[2], argv[3]);
  fprintf(stderr, "usage: %s dump STORE.db OUT.tsv | load IN.tsv TARGET.db\n", argv[0]);
  return 2;
}
