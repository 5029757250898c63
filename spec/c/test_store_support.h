/* Test-only: what the history-store tests share. Each test binary
 * runs its suite against SQLite (temp file) and against a real PostgreSQL server it starts
 * itself with spec/support/pg.sh (initdb + pg_ctl on a free loopback port; a watchdog stops
 * it when the test process exits, even after a crash). SIC_TEST_NO_PG=1 skips PostgreSQL
 * explicitly; otherwise a server that cannot be started fails the test, never passes it. */
#ifndef SIC_TEST_STORE_SUPPORT_H
#define SIC_TEST_STORE_SUPPORT_H

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/store.h"
#include "test_store_fixture.h"

static int failures, checks;
static char tmpdir[256];                 /* everything this test writes lives here */
static char pg_dir[300];                 /* PostgreSQL server directory ("" = none) */
static char pg_url[256];                 /* its URL */
static const char *backend;              /* name of the backend under test, for messages */

#define CHECK(cond, ...)                                                                     \
  do {                                                                                       \
    checks++;                                                                                \
    if (!(cond)) {                                                                           \
      failures++;                                                                            \
      fprintf(stderr, "%s:%d: [%s] FAIL %s: ", __FILE__, __LINE__, backend, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                                          \
      fputc('\n', stderr);                                                                   \
    }                                                                                        \
  } while (0)
#define CHECK_OK(rc, err) CHECK((rc) == 0, "rc=%d %s", (rc), (err).msg)

/* ---- helpers ---- */

static int64_t scalar(sic_store *s, const char *sql, const char *param) {
  db_val v[1] = {db_text(param)};
  db_rows *r = NULL;
  sic_err err = {0};
  if (db_query(s->db, sql, v, param ? 1 : 0, &r, &err)) {
    fprintf(stderr, "query failed: %s: %s\n", sql, err.msg);
    return -999;
  }
  int64_t n = r->nrows ? db_cell_int(r, 0, 0, -1) : -1;
  db_rows_free(r);
  return n;
}

/* A URL to an empty store of the backend under test. */
static void fresh_store(char *url, size_t n) {
  static int counter;
  if (!strcmp(backend, "sqlite")) {
    snprintf(url, n, "sqlite://%s/store-%d.db", tmpdir, ++counter);
    return;
  }
  snprintf(url, n, "%s", pg_url);
  db *d = NULL;
  sic_err err = {0};
  if (db_open_pg(pg_url, &d, &err) || db_exec(d, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err))
    fprintf(stderr, "cannot reset PostgreSQL store: %s\n", err.msg);
  db_close(d);
}

static sic_store *open_store(const char *url) {
  sic_store *s = NULL;
  sic_err err = {0};
  int rc = sic_store_open(url, &s, &err);
  CHECK_OK(rc, err);
  return s;
}

static int64_t day(int d) { return 1700000000000LL + (int64_t)d * 86400000LL; }

static fx_spec base_spec(const char *app_id, const char *name, int64_t start) {
  fx_spec sp = {0};
  sp.app_id = app_id;
  sp.name = name;
  sp.start_time = start;
  sp.duration_ms = 100000;
  sp.nstages = 3;
  sp.tasks_per_stage = 10;
  sp.task_ms = 2000;
  sp.input_per_task = 1 << 20;
  sp.executors = 8;
  sp.cores = 4;
  return sp;
}

static int ingest(sic_store *s, const sic_app *app, const char *checksum, int tasks, sic_ingest_result *res) {
  sic_ingest_opts o;
  sic_ingest_opts_init(&o);
  o.checksum = checksum;
  o.store_tasks = tasks;
  sic_err err = {0};
  int rc = sic_store_ingest(s, app, &o, res, &err);
  CHECK_OK(rc, err);
  return rc;
}

static int start_pg(void) {
  const char *src = getenv("SIC_SOURCE_DIR");
  char cmd[800];
  snprintf(pg_dir, sizeof pg_dir, "%s/pg", tmpdir);
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh start %s %d", src ? src : SIC_SOURCE_DIR, pg_dir, (int)getpid());
  FILE *p = popen(cmd, "r");
  if (!p || !fgets(pg_url, sizeof pg_url, p)) {
    if (p) pclose(p);
    return -1;
  }
  pg_url[strcspn(pg_url, "\n")] = 0;
  return pclose(p) == 0 ? 0 : -1;
}

static void stop_pg(void) {
  if (!*pg_dir) return;
  char cmd[800];
  const char *src = getenv("SIC_SOURCE_DIR");
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh stop %s", src ? src : SIC_SOURCE_DIR, pg_dir);
  if (system(cmd) != 0) fprintf(stderr, "stopping PostgreSQL failed: %s\n", cmd);
}

/* main() of a store test: unit tests once, then suite(backend) on SQLite and PostgreSQL. */
static int store_test_main(void (*unit)(void), void (*suite)(void)) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic-store-test-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  if (!getenv("SIC_SOURCE_DIR")) setenv("SIC_SOURCE_DIR", SIC_SOURCE_DIR, 1);
  backend = "unit";
  if (unit) unit();
  const char *names[] = {"sqlite", "postgresql"};
  for (int i = 0; i < 2; i++) {
    int before = failures;
    const char *no_pg = getenv("SIC_TEST_NO_PG");
    backend = names[i];
    if (i == 1 && no_pg && *no_pg == '1') {
      fprintf(stderr, "PostgreSQL half skipped (SIC_TEST_NO_PG=1)\n");
      continue;
    }
    if (i == 1 && start_pg()) {
      CHECK(0, "could not start a PostgreSQL server with spec/support/pg.sh (set SIC_TEST_NO_PG=1 to skip)");
      continue;
    }
    suite();
    if (i == 1) stop_pg();
    fprintf(stderr, "[%s] %s\n", backend, failures == before ? "ok" : "FAILED");
  }
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  fprintf(stderr, "%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

#endif
