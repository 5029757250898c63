/* Fault tests of the history store, on SQLite and on a real PostgreSQL server (see
 * test_store_support.h): kill -9 in the middle of ingesting a large application then re-run,
 * several processes ingesting one log at once, and (PostgreSQL) a server restart and a
 * 3-second outage in the middle of an ingest. */
#include "test_store_support.h"

enum { BIG_STAGES = 40, BIG_TASKS_PER_STAGE = 5000 };

typedef struct kill_ctx {
  int fd;                                /* pipe to the parent */
  int signalled;                         /* already told the parent */
} kill_ctx;

/* Child side: tell the parent we are mid-transaction, then wait to be killed. */
static int signal_and_wait(void *vctx, int64_t rows) {
  kill_ctx *k = vctx;
  if (rows < 50000 || k->signalled) return 0;
  k->signalled = 1;
  if (write(k->fd, "x", 1) != 1) _exit(3);
  sleep(60);
  _exit(4); /* never reached when the parent kills us */
}

static sic_app *big_app(void) {
  fx_spec sp = base_spec("application_big_0001", "big-job", day(0));
  sp.nstages = BIG_STAGES;
  sp.tasks_per_stage = BIG_TASKS_PER_STAGE;
  sp.task_ms = 50;
  return fx_build(&sp);
}

static void test_kill_mid_ingest(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url); /* schema exists before the child starts */
  sic_store_close(s);
  sic_app *app = big_app();
  int fds[2];
  if (pipe(fds)) return;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sic_store *cs = NULL;
    sic_err err = {0};
    if (sic_store_open(url, &cs, &err)) _exit(2);
    kill_ctx k = {fds[1], 0};
    sic_ingest_opts o;
    sic_ingest_opts_init(&o);
    o.checksum = "big";
    o.store_tasks = 1;
    o.progress = signal_and_wait;
    o.progress_ctx = &k;
    sic_ingest_result res;
    sic_store_ingest(cs, app, &o, &res, &err);
    _exit(5); /* finished without being killed: the test failed to interrupt it */
  }
  close(fds[1]);
  char c;
  ssize_t got = read(fds[0], &c, 1);
  CHECK(got == 1, "child reached the middle of the ingest");
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed (status %d)", status);
  s = open_store(url);
  if (!s) return;
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 0, "no half application");
  CHECK(scalar(s, "SELECT COUNT(*) FROM applications", NULL) == 0, "no orphan application");
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == 0, "no orphan task rows");
  sic_ingest_result res;
  ingest(s, app, "big", 1, &res); /* re-run */
  CHECK(res.status == SIC_STORE_INSERTED, "status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == BIG_STAGES * BIG_TASKS_PER_STAGE, "complete after re-run");
  CHECK(scalar(s, "SELECT COUNT(*) FROM stages", NULL) == BIG_STAGES, "all stages");
  sic_store_close(s);
  fx_free(app);
}

/* Several processes ingesting the same log at once: one stores it, the others see it stored. */
static void test_concurrent_ingest(void) {
  enum { WRITERS = 3 };
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  sic_store_close(s);
  fx_spec sp = base_spec("application_race_0001", "race", day(0));
  sp.nstages = 10;
  sp.tasks_per_stage = 2000;
  sic_app *app = fx_build(&sp);
  pid_t pids[WRITERS];
  fflush(NULL);
  for (int i = 0; i < WRITERS; i++) {
    if ((pids[i] = fork()) != 0) continue;
    sic_store *cs = NULL;
    sic_err err = {0};
    sic_ingest_result res;
    sic_ingest_opts o;
    sic_ingest_opts_init(&o);
    o.checksum = "race";
    o.store_tasks = 1;
    if (sic_store_open(url, &cs, &err) || sic_store_ingest(cs, app, &o, &res, &err)) {
      fprintf(stderr, "[%s] writer %d: %s\n", backend, i, err.msg);
      _exit(1);
    }
    sic_store_close(cs);
    _exit(res.status == SIC_STORE_INSERTED ? 10 : res.status == SIC_STORE_UNCHANGED ? 11 : 12);
  }
  int inserted = 0, unchanged = 0;
  for (int i = 0; i < WRITERS; i++) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    CHECK(code == 10 || code == 11, "writer %d exit %d", i, code);
    inserted += code == 10;
    unchanged += code == 11;
  }
  CHECK(inserted == 1 && unchanged == WRITERS - 1, "inserted %d unchanged %d", inserted, unchanged);
  s = open_store(url);
  if (s) {
    CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 1, "one attempt");
    CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == 20000, "task rows written once");
    sic_store_close(s);
  }
  fx_free(app);
}

typedef struct restart_ctx {
  int done;                              /* restarted once already */
} restart_ctx;

static int restart_server(void *vctx, int64_t rows) {
  restart_ctx *r = vctx;
  if (rows < 50000 || r->done) return 0;
  r->done = 1;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh restart %s", getenv("SIC_SOURCE_DIR"), pg_dir);
  if (system(cmd) != 0) fprintf(stderr, "restart failed: %s\n", cmd);
  return 0;
}

static void test_pg_restart_mid_ingest(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  sic_app *app = big_app();
  restart_ctx r = {0};
  sic_ingest_opts o;
  sic_ingest_opts_init(&o);
  o.checksum = "big";
  o.store_tasks = 1;
  o.progress = restart_server;
  o.progress_ctx = &r;
  sic_ingest_result res;
  sic_err err = {0};
  int rc = sic_store_ingest(s, app, &o, &res, &err);
  CHECK(r.done, "server restarted during the ingest");
  if (rc) { /* failing cleanly is allowed; then a retry must succeed */
    fprintf(stderr, "[postgresql] ingest across restart failed cleanly: %s; retrying\n", err.msg);
    o.progress = NULL;
    rc = sic_store_ingest(s, app, &o, &res, &err);
  } else {
    CHECK(res.retries >= 1, "transaction was retried (%d)", res.retries);
    fprintf(stderr, "[postgresql] ingest survived a server restart after %d retried transaction(s)\n", res.retries);
  }
  CHECK_OK(rc, err);
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == BIG_STAGES * BIG_TASKS_PER_STAGE, "complete, no duplicates");
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 1, "one attempt");
  sic_store_close(s);
  fx_free(app);
}

typedef struct outage_ctx {
  int done;                              /* outage started already */
} outage_ctx;

/* Mid-ingest: stop the server now and bring it back 3 s later (in the background). */
static int start_outage(void *vctx, int64_t rows) {
  outage_ctx *o = vctx;
  if (rows < 50000 || o->done) return 0;
  o->done = 1;
  char cmd[1400];
  const char *sh = getenv("SIC_SOURCE_DIR");
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh halt %s && (sleep 3; %s/spec/support/pg.sh resume %s) "
           "</dev/null >/dev/null 2>&1 &", sh, pg_dir, sh, pg_dir);
  if (system(cmd) != 0) fprintf(stderr, "outage failed: %s\n", cmd);
  return 0;
}

/* A 3-second outage in the middle of an ingest: reconnect with backoff, retry, complete. */
static void test_pg_outage_mid_ingest(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  sic_app *app = big_app();
  outage_ctx oc = {0};
  sic_ingest_opts o;
  sic_ingest_opts_init(&o);
  o.checksum = "big";
  o.store_tasks = 1;
  o.progress = start_outage;
  o.progress_ctx = &oc;
  sic_ingest_result res;
  sic_err err = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = sic_store_ingest(s, app, &o, &res, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  CHECK(oc.done, "server halted during the ingest");
  CHECK_OK(rc, err);
  CHECK(res.retries >= 1 && waited >= 2.5, "retried %d times over %.1f s", res.retries, waited);
  fprintf(stderr, "[postgresql] ingest rode out a 3 s outage: %d retried transaction(s), %.1f s\n", res.retries,
          waited);
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == BIG_STAGES * BIG_TASKS_PER_STAGE, "complete, no duplicates");
  sic_store_close(s);
  fx_free(app);
}

static void suite(void) {
  test_kill_mid_ingest();
  test_concurrent_ingest();
  if (!strcmp(backend, "postgresql")) test_pg_restart_mid_ingest();
  if (!strcmp(backend, "postgresql")) test_pg_outage_mid_ingest();
}

int main(void) { return store_test_main(NULL, suite); }
