/* Concurrent writers on one history store (issue 19), on SQLite and on a real PostgreSQL server
 * (see test_store_support.h).
 *
 * Each run starts from a fresh store and runs four `sic ingest` processes at once over the same
 * and overlapping directories (one of them holding an incomplete copy of another's log, so
 * replace/keep races too), with the analysis on (findings) and --store-tasks. Afterwards every
 * process must have exited 0 and the store must equal, attempt by attempt, what a single
 * `sic ingest` of the whole tree writes: the same attempts with the same figures, and for every
 * child table the same row count and the same rows (a digest of them, surrogate keys and
 * ingest times left out). Duplicate rows, orphan rows, a failed migration or a deadlock that
 * reaches the user all fail it. On PostgreSQL, two writers first take two rows in opposite
 * orders: the server aborts one with a deadlock, which must run again and commit.
 *
 *   SIC_STRESS_RUNS=N   runs per backend (default 20; 5 under AddressSanitizer, which is slow)
 *   SIC_STRESS_BIN=P    the sic binary to drive (default $SIC_BUILD_DIR/sic): point it at an
 *                       older build to count how often that one fails. */
#include <fcntl.h>
#include <sys/stat.h>

/* The shared harness defines helpers this test does not use. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_store_support.h"

enum { WRITERS = 4, MAX_ARGS = 16 };

#if defined(__SANITIZE_ADDRESS__)
enum { DEFAULT_RUNS = 5 };
#else
enum { DEFAULT_RUNS = 20 };
#endif

static char sic_bin[600];                /* the sic binary under test */
static char root[400];                   /* the log tree: root/a, root/b, root/top.log */
static int runs;                         /* runs per backend */
static int tree_ok;                      /* the log tree was made */

/* Run a shell command, failing the test when it fails. */
static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  CHECK(rc == 0, "command failed (%d): %s", rc, cmd);
  return rc;
}

/* Small generated logs (distinct applications), an incomplete copy of one of them, and a few
 * small real logs when the shared data is there. */
static int make_tree(void) {
  snprintf(root, sizeof root, "%s/logs", tmpdir);
  if (shell("mkdir -p '%s/a' '%s/b'", root, root)) return -1;
  for (int seed = 1; seed <= 5; seed++)
    if (shell("'%s' example '%s/%s/gen-%d.log' --seed %d --tasks 120 >/dev/null 2>&1", sic_bin, root,
              seed <= 3 ? "a" : "b", seed, seed))
      return -1;
  if (shell("'%s' example '%s/top.log' --seed 6 --tasks 120 >/dev/null 2>&1", sic_bin, root)) return -1;
  /* The first 300 lines of gen-1: the same attempt, incomplete (no ApplicationEnd). */
  if (shell("head -n 300 '%s/a/gen-1.log' > '%s/b/gen-1-partial.log'", root, root)) return -1;
  const char *shared = getenv("SIC_SHARED_DATA");
  static const char *const real[] = {"spark/local-1426533911241", "spark/app-20161116163331-0000",
                                     "spark/application_1516285256255_0012"};
  for (size_t i = 0; shared && i < sizeof real / sizeof *real; i++) {
    char src[800];
    snprintf(src, sizeof src, "%s/spark-events/%s", shared, real[i]);
    if (access(src, R_OK)) continue;
    if (shell("cp '%s' '%s/%s/real-%zu.log'", src, root, i % 2 ? "b" : "a", i)) return -1;
  }
  return 0;
}

/* Start `sic ingest PATHS... --store URL --store-tasks --format json`, output into files. */
static pid_t spawn_ingest(const char *url, const char *const *paths, int npaths, int id) {
  char out[500], errf[500];
  snprintf(out, sizeof out, "%s/writer-%d.out", tmpdir, id);
  snprintf(errf, sizeof errf, "%s/writer-%d.err", tmpdir, id);
  fflush(NULL);
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), fe = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(120);
  const char *argv[MAX_ARGS] = {sic_bin, "ingest"};
  int n = 2;
  for (int i = 0; i < npaths; i++) argv[n++] = paths[i];
  argv[n++] = "--store";
  argv[n++] = url;
  argv[n++] = "--store-tasks";
  argv[n++] = "--format";
  argv[n++] = "json";
  argv[n] = NULL;
  execv(sic_bin, (char *const *)argv);
  _exit(121);
}

/* First line of a writer's stderr, for the failure message. */
static void first_error(int id, char *buf, size_t n) {
  char path[500];
  snprintf(path, sizeof path, "%s/writer-%d.err", tmpdir, id);
  FILE *f = fopen(path, "r");
  buf[0] = 0;
  if (f && fgets(buf, (int)n, f)) buf[strcspn(buf, "\n")] = 0;
  if (f) fclose(f);
}

/* ---- fingerprint ---- */

typedef struct text {
  char *s;                               /* NUL-terminated, malloc'd */
  size_t len;                            /* bytes used */
  size_t cap;                            /* bytes allocated */
} text;

static void put(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + n + 1) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (!grown) abort();
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n + 1);
  t->len += n;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Rows of a query as "c0|c1|..." strings (skipping the columns flagged in skip), sorted. */
static char **row_strings(db_rows *r, const int *skip, int nskip) {
  char **rows = calloc((size_t)r->nrows + 1, sizeof *rows);
  for (int i = 0; rows && i < r->nrows; i++) {
    text t = {0};
    for (int c = 0; c < r->ncols; c++) {
      int skipped = 0;
      for (int k = 0; k < nskip; k++) skipped |= skip[k] == c;
      if (skipped) continue;
      const char *v = db_cell(r, i, c);
      put(&t, v ? v : "\\N");
      put(&t, "|");
    }
    rows[i] = t.s ? t.s : strdup("");
  }
  if (rows) qsort(rows, (size_t)r->nrows, sizeof *rows, cmp_str);
  return rows;
}

static void free_strings(char **rows, int n) {
  for (int i = 0; rows && i < n; i++) free(rows[i]);
  free(rows);
}

/* Child tables; each has attempt_key as its first column. */
static const char *const children[] = {"log_parts", "spark_jobs", "stages", "executors", "sql_executions",
                                       "environment", "findings", "predictions", "tasks"};
enum { NCHILDREN = sizeof children / sizeof *children };

/* Per table: for each attempt checksum, its row count and a digest of its sorted rows. Rows
 * whose attempt does not exist (orphans) are listed under "ORPHAN". */
static void table_fingerprint(sic_store *s, const char *table, text *out) {
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT COALESCE(a.source_checksum, 'ORPHAN'), t.* FROM %s t "
                            "LEFT JOIN attempts a ON a.id = t.attempt_key", table);
  db_rows *r = NULL;
  sic_err err = {0};
  if (db_query(s->db, sql, NULL, 0, &r, &err)) {
    CHECK(0, "%s: %s", sql, err.msg);
    return;
  }
  static const int skip[] = {1}; /* t.attempt_key: a surrogate key */
  char **rows = row_strings(r, skip, 1);
  for (int i = 0; rows && i < r->nrows;) {
    size_t keylen = strcspn(rows[i], "|");
    store_sha256 h;
    store_sha256_init(&h);
    int j = i;
    for (; j < r->nrows && !strncmp(rows[j], rows[i], keylen + 1); j++) store_sha256_update(&h, rows[j], strlen(rows[j]) + 1);
    char hex[65], line[300];
    store_sha256_hex(&h, hex);
    snprintf(line, sizeof line, "%.*s %s rows=%d digest=%.16s\n", (int)keylen, rows[i], table, j - i, hex);
    put(out, line);
    i = j;
  }
  free_strings(rows, r->nrows);
  db_rows_free(r);
}

/* Everything a store holds, as sorted lines, one group per attempt; ids and times left out. */
static char *fingerprint(const char *url) {
  sic_store *s = open_store(url);
  if (!s) return strdup("(store did not open)");
  text out = {0};
  put(&out, "");
  db_rows *r = NULL;
  sic_err err = {0};
  /* attempts.*: 0 id, 1 application_id, 17 ingested_at are this run's, not the log's. */
  if (!db_query(s->db, "SELECT a.source_checksum, p.app_id, p.name, p.spark_user, p.job_key, a.* "
                       "FROM attempts a JOIN applications p ON p.id = a.application_id", NULL, 0, &r, &err)) {
    static const int skip[] = {5 + 0, 5 + 1, 5 + 17};
    char **rows = row_strings(r, skip, 3);
    for (int i = 0; rows && i < r->nrows; i++) {
      put(&out, rows[i]);
      put(&out, " attempt\n");
    }
    free_strings(rows, r->nrows);
    db_rows_free(r);
  } else {
    CHECK(0, "attempts: %s", err.msg);
  }
  /* Every log content seen, by checksum; the outcome (inserted/replaced/kept) depends on the
   * order the logs came in, which concurrency changes, so it is left out. */
  if (!db_query(s->db, "SELECT checksum, app_id, attempt_id, source_path FROM seen_logs", NULL, 0, &r, &err)) {
    char **rows = row_strings(r, NULL, 0);
    for (int i = 0; rows && i < r->nrows; i++) {
      put(&out, rows[i]);
      put(&out, " seen\n");
    }
    free_strings(rows, r->nrows);
    db_rows_free(r);
  } else {
    CHECK(0, "seen_logs: %s", err.msg);
  }
  char line[200];
  snprintf(line, sizeof line, "applications=%lld without-attempt=%lld\n",
           (long long)scalar(s, "SELECT COUNT(*) FROM applications", NULL),
           (long long)scalar(s, "SELECT COUNT(*) FROM applications WHERE id NOT IN (SELECT application_id FROM attempts)", NULL));
  put(&out, line);
  for (int t = 0; t < NCHILDREN; t++) table_fingerprint(s, children[t], &out);
  sic_store_close(s);
  /* One sorted list: the lines of one attempt (they start with its checksum) end up together. */
  int n = 0;
  for (char *p = out.s; *p; p++) n += *p == '\n';
  char **lines = calloc((size_t)n + 1, sizeof *lines);
  char *save = NULL;
  int k = 0;
  for (char *l = strtok_r(out.s, "\n", &save); l && k < n; l = strtok_r(NULL, "\n", &save)) lines[k++] = l;
  qsort(lines, (size_t)k, sizeof *lines, cmp_str);
  text sorted = {0};
  put(&sorted, "");
  for (int i = 0; i < k; i++) {
    put(&sorted, lines[i]);
    put(&sorted, "\n");
  }
  free(lines);
  free(out.s);
  return sorted.s;
}

/* Print the first line where two fingerprints differ. */
static void show_difference(const char *want, const char *got) {
  const char *w = want, *g = got;
  while (*w && *g) {
    size_t wl = strcspn(w, "\n"), gl = strcspn(g, "\n");
    if (wl != gl || memcmp(w, g, wl)) {
      fprintf(stderr, "  single-process: %.*s\n  concurrent:     %.*s\n", (int)wl, w, (int)gl, g);
      return;
    }
    w += wl + (w[wl] == '\n');
    g += gl + (g[gl] == '\n');
  }
  fprintf(stderr, "  one fingerprint is longer: single-process %zu bytes, concurrent %zu bytes\n", strlen(want), strlen(got));
}

/* ---- a forced deadlock (PostgreSQL) ---- */

typedef struct deadlock_ctx {
  int first, second;                     /* keys of the rows locked, in this order */
  int to_parent, from_parent;            /* pipe ends for the one-time barrier */
  int runs;                              /* times the transaction body ran */
} deadlock_ctx;

static int bump(sic_store *s, int k, sic_err *err) {
  db_val v[] = {db_int(k)};
  return db_query(s->db, "UPDATE deadlock_probe SET v = v + 1 WHERE k = $1", v, 1, NULL, err);
}

/* First run: lock one row, wait until the other writer holds the other, then ask for it: the
 * server must abort one of the two with 40P01. Later runs go straight through. */
static int deadlock_body(sic_store *s, void *vctx, sic_err *err) {
  deadlock_ctx *c = vctx;
  int rc = bump(s, c->first, err);
  if (rc) return rc;
  if (c->runs++ == 0) {
    char x = 'x';
    if (write(c->to_parent, &x, 1) != 1 || read(c->from_parent, &x, 1) != 1) _exit(3);
  }
  return bump(s, c->second, err);
}

/* Two writers taking two rows in opposite orders: both must end committed, one after a retry. */
static void test_deadlock_retried(const char *url) {
  sic_store *s = open_store(url);
  if (!s) return;
  sic_err err = {0};
  CHECK_OK(db_exec(s->db, "CREATE TABLE deadlock_probe (k INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                          "INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)", &err), err);
  int up[2], down[2];
  if (pipe(up) || pipe(down)) return;
  pid_t pids[2];
  fflush(NULL);
  for (int i = 0; i < 2; i++) {
    if ((pids[i] = fork()) != 0) continue;
    sic_store *cs = NULL;
    deadlock_ctx c = {i ? 2 : 1, i ? 1 : 2, up[1], down[0], 0};
    int retries = 0;
    if (sic_store_open(url, &cs, &err) || store_with_tx(cs, 0, deadlock_body, &c, &retries, &err)) {
      fprintf(stderr, "[%s] deadlock writer %d: %s\n", backend, i, err.msg);
      _exit(1);
    }
    sic_store_close(cs);
    _exit(10 + (retries > 9 ? 9 : retries));
  }
  char x;
  int ready = (read(up[0], &x, 1) == 1) + (read(up[0], &x, 1) == 1);
  CHECK(ready == 2, "both writers hold their first row");
  if (write(down[1], "xx", 2) != 2) CHECK(0, "barrier");
  int retried = 0;
  for (int i = 0; i < 2; i++) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    CHECK(code >= 10, "deadlock writer %d exit %d", i, code);
    retried += code > 10;
  }
  CHECK(retried == 1, "exactly one writer was aborted and ran again (%d)", retried);
  CHECK(scalar(s, "SELECT SUM(v) FROM deadlock_probe", NULL) == 4, "both transactions committed once");
  for (int i = 0; i < 2; i++) {
    close(up[i]);
    close(down[i]);
  }
  sic_store_close(s);
}

/* ---- the test ---- */

static void setup_tree(void) { tree_ok = make_tree() == 0; }

static void suite(void) {
  if (!strcmp(backend, "postgresql")) {
    char probe[400];
    fresh_store(probe, sizeof probe);
    test_deadlock_retried(probe);
  }
  if (!tree_ok) return; /* already failed in make_tree */
  char url[400], a[500], b[500];
  snprintf(a, sizeof a, "%s/a", root);
  snprintf(b, sizeof b, "%s/b", root);
  /* The same and overlapping directories, in different orders. */
  const char *const w0[] = {root}, *const w1[] = {a, b}, *const w2[] = {b, a}, *const w3[] = {a, root};
  const char *const *writer_paths[WRITERS] = {w0, w1, w2, w3};
  const int writer_npaths[WRITERS] = {1, 2, 2, 2};

  fresh_store(url, sizeof url);
  pid_t pid = spawn_ingest(url, w0, 1, 0);
  int status = 0;
  waitpid(pid, &status, 0);
  char msg[400];
  first_error(0, msg, sizeof msg);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "single-process ingest failed: %s", msg);
  char *want = fingerprint(url);
  CHECK(strstr(want, " findings rows=") != NULL, "the reference holds findings (analysis ran)");
  CHECK(strstr(want, " tasks rows=") != NULL, "the reference holds task rows");

  int failed_ingests = 0, bad_runs = 0;
  for (int run = 0; run < runs; run++) {
    fresh_store(url, sizeof url);
    pid_t pids[WRITERS];
    for (int i = 0; i < WRITERS; i++) pids[i] = spawn_ingest(url, writer_paths[i], writer_npaths[i], i);
    int failed = 0;
    for (int i = 0; i < WRITERS; i++) {
      status = 0;
      waitpid(pids[i], &status, 0);
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
      failed++;
      first_error(i, msg, sizeof msg);
      fprintf(stderr, "[%s] run %d writer %d: status %d: %s\n", backend, run + 1, i, status, msg);
    }
    char *got = fingerprint(url);
    int same = !strcmp(want, got);
    if (!same) {
      fprintf(stderr, "[%s] run %d: the store differs from a single-process ingest\n", backend, run + 1);
      show_difference(want, got);
    }
    failed_ingests += failed;
    bad_runs += failed || !same;
    free(got);
  }
  fprintf(stderr, "[%s] %d runs of %d concurrent writers: %d failed ingests, %d runs with a failure or a "
          "store unlike the single-process one\n", backend, runs, WRITERS, failed_ingests, bad_runs);
  CHECK(failed_ingests == 0, "%d ingests failed", failed_ingests);
  CHECK(bad_runs == 0, "%d of %d runs went wrong", bad_runs, runs);
  free(want);
}

int main(void) {
  const char *bin = getenv("SIC_STRESS_BIN"), *build = getenv("SIC_BUILD_DIR");
  if (bin && *bin) snprintf(sic_bin, sizeof sic_bin, "%s", bin);
  else if (build && *build) snprintf(sic_bin, sizeof sic_bin, "%s/sic", build);
  else {
    fprintf(stderr, "neither SIC_STRESS_BIN nor SIC_BUILD_DIR is set: run through ctest\n");
    return 1;
  }
  const char *n = getenv("SIC_STRESS_RUNS");
  runs = n && atoi(n) > 0 ? atoi(n) : DEFAULT_RUNS;
  return store_test_main(setup_tree, suite);
}
