/* Task columns (sic_col): values survive every widening step (1 -> 2 -> 4 -> 8 bytes), the
 * base of time columns (deltas, 0 = absent, values equal to or far from the base), values
 * kept aside as exceptions (few, marker values, overwritten, out of order), the finalize
 * shrink and width choice, and the int64 extremes. Goes through the builder's own store paths
 * (engine/model/builder.h), so a store that truncates or re-encodes wrongly fails here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/builder.h"

#define NROWS 4000 /* more than the first task allocation: widening copies grown columns */

/* Expected values, and the widest the column may be after each step (a few misfits are
 * exceptions, so it may stay narrower). */
typedef struct step {
  int64_t v;     /* value stored at the next row */
  int width;     /* widest column width allowed after storing it */
} step;

/* Rows 0..nsteps-1 get the steps' values; the other rows keep 0 (or a pattern value). */
static void check_column(const char *what, sic_col *col, const int64_t *want, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (sic_col_get(col, i) != want[i]) {
      CHECK_EQ_INT(sic_col_get(col, i), want[i]);
      check_note("%s: row %lld (width %d, base %lld)\n", what, (long long)i, col->width, (long long)col->base);
      return;
    }
  check_count++;
}

static void run_steps(const char *what, int relative, const step *steps, int nsteps) {
  sic_builder *b = sic_builder_new(NULL);
  static int64_t want[NROWS];
  sic_col *col = relative ? &b->app->tasks.getting_result_time : &b->app->tasks.metric[SIC_TM_RESULT_SIZE];
  for (int64_t r = 0; r < NROWS; r++) CHECK(sic_task_append(b) == r);
  /* a pattern in the rows after the steps, so widening must carry old values along */
  for (int i = 0; i < nsteps; i++) {
    int64_t row = NROWS - nsteps + i;
    if (relative) sic_col_put_rel(b, col, row, steps[i].v);
    else sic_col_put(b, col, row, steps[i].v);
    want[row] = steps[i].v;
    if (steps[i].v != 0 || col->data) {
      CHECK(col->width <= steps[i].width, "%s: width %d after storing %lld, at most %d expected", what,
            col->width, (long long)steps[i].v, steps[i].width);
    }
    if (col->width == 8) CHECK_EQ_INT(col->base, 0);
    check_column(what, col, want, NROWS);
  }
  /* overwrite the first step's row with 0 again: a stored 0 is the value 0 at any base */
  if (relative) sic_col_put_rel(b, col, NROWS - nsteps, 0);
  else sic_col_put(b, col, NROWS - nsteps, 0);
  want[NROWS - nsteps] = 0;
  check_column(what, col, want, NROWS);
  sic_app *a = sic_builder_finish(b); /* shrinks every column to n rows */
  CHECK(a != NULL);
  if (a) {
    sic_col *done = relative ? &a->tasks.getting_result_time : &a->tasks.metric[SIC_TM_RESULT_SIZE];
    check_column(what, done, want, a->tasks.n);
    sic_app_free(a);
  }
  for (int64_t r = 0; r < NROWS; r++) want[r] = 0;
}

static void test_widening(void) {
  const step s[] = {
      {0, 1},          {1, 1},         {-1, 1},        {127, 1},       {-128, 1},      {128, 2},
      {-129, 2},       {32767, 2},     {-32768, 2},    {32768, 4},     {-32769, 4},    {INT32_MAX, 4},
      {INT32_MIN, 4},  {(int64_t)INT32_MAX + 1, 8},    {(int64_t)INT32_MIN - 1, 8},    {INT64_MAX, 8},
      {INT64_MIN, 8},  {-1, 8},        {0, 8},
  };
  run_steps("base 0, every width", 0, s, (int)(sizeof s / sizeof s[0]));
  /* a first value that already needs 8 bytes, and a negative first value (partition_id -1) */
  const step big[] = {{INT64_MIN, 8}, {5, 8}};
  run_steps("base 0, starts at 8", 0, big, 2);
  const step neg[] = {{-1, 1}, {-40000, 4}, {3, 4}};
  run_steps("base 0, negative first", 0, neg, 3);
}

static void test_relative(void) {
  const int64_t t0 = 1700000000000LL; /* epoch ms */
  const step s[] = {
      {t0, 4},                 /* base = t0 - 1 */
      {t0 + 86400000LL, 4},    /* a day later */
      {t0 - 3600000LL, 4},     /* earlier than the first value */
      {0, 4},                  /* absent */
      {t0 + 2000000000LL, 4},  /* about 23 days: still int32 */
      {t0 - 1, 8},             /* exactly the base: would store 0 = absent, so it widens */
      {t0 + 5, 8},
      {INT64_MAX, 8},
      {INT64_MIN, 8},
  };
  run_steps("time column", 1, s, (int)(sizeof s / sizeof s[0]));
  const step far[] = {{t0, 4}, {t0 + 3000000000LL, 8}, {0, 8}, {t0, 8}};
  run_steps("time column, far value", 1, far, 4);
  /* hostile extremes: a first value of INT64_MIN (no base below it), then near INT64_MAX;
   * deltas wrap modulo 2^64 exactly as sic_col_get adds them back, so INT64_MIN one step
   * above a base of INT64_MAX - 1 still fits in 4 bytes */
  const step ext[] = {{INT64_MIN, 8}, {INT64_MAX, 8}, {1, 8}};
  run_steps("time column, INT64_MIN first", 1, ext, 3);
  const step ext2[] = {{INT64_MAX, 4}, {INT64_MIN, 4}, {INT64_MIN + 5000000000LL, 8}, {-1, 8}};
  run_steps("time column, INT64_MAX first", 1, ext2, 4);
  const step neg[] = {{-5, 4}, {-6, 8}, {-4, 8}};
  run_steps("time column, negative first", 1, neg, 3);
}

/* A builder with n rows whose column `col` (result size or a time column) gets vals[i] at
 * row order[i]; checks every value reads back while building and after finishing, and
 * returns the finished app (caller frees) for width checks. */
static sic_app *store_rows(const char *what, int relative, const int64_t *vals, const int64_t *order, int64_t n,
                           int *build_width) {
  sic_builder *b = sic_builder_new(NULL);
  int64_t *want = calloc((size_t)n, sizeof *want);
  for (int64_t r = 0; r < n; r++) CHECK(sic_task_append(b) == r);
  sic_col *col = relative ? &b->app->tasks.getting_result_time : &b->app->tasks.metric[SIC_TM_RESULT_SIZE];
  for (int64_t i = 0; i < n; i++) {
    int64_t row = order ? order[i] : i;
    if (relative) sic_col_put_rel(b, col, row, vals[i]);
    else sic_col_put(b, col, row, vals[i]);
    want[row] = vals[i];
  }
  check_column(what, col, want, n);
  *build_width = col->width;
  sic_app *a = sic_builder_finish(b);
  CHECK(a != NULL);
  if (a) check_column(what, relative ? &a->tasks.getting_result_time : &a->tasks.metric[SIC_TM_RESULT_SIZE], want, n);
  free(want);
  return a;
}

static void test_exceptions(void) {
  enum { N = 100000 };
  static int64_t v[N], order[N];
  int bw;
  /* mostly 1-byte values with 0.5% large ones: the column stays 1 byte wide */
  for (int64_t i = 0; i < N; i++) v[i] = i % 200 == 7 ? 5000000000LL + i : i % 100;
  sic_app *a = store_rows("few wide values", 0, v, NULL, N, &bw);
  const sic_col *c = &a->tasks.metric[SIC_TM_RESULT_SIZE];
  CHECK_EQ_INT(bw, 1);
  CHECK_EQ_INT(c->width, 1);
  CHECK_EQ_INT(c->nexceptions, N / 200);
  for (int32_t i = 1; i < c->nexceptions; i++) CHECK(c->exceptions[i - 1].row < c->exceptions[i].row);
  sic_app_free(a);

  /* the markers themselves (-128, -32768, INT32_MIN) are values too */
  for (int64_t i = 0; i < N; i++) v[i] = i % 1000 == 1 ? INT8_MIN : i % 1000 == 2 ? INT16_MIN : i % 1000 == 3 ? INT32_MIN : 3;
  a = store_rows("marker values", 0, v, NULL, N, &bw);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_RESULT_SIZE].width, 1);
  sic_app_free(a);

  /* many wide values: exceptions stop being cheap and the column widens */
  for (int64_t i = 0; i < N; i++) v[i] = i % 4 ? 1 : 100000 + i;
  a = store_rows("many wide values", 0, v, NULL, N, &bw);
  CHECK_EQ_INT(bw, 4);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_RESULT_SIZE].width, 4);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_RESULT_SIZE].nexceptions, 0);
  sic_app_free(a);

  /* early values widen the column, the rest is small: finalize narrows it again */
  for (int64_t i = 0; i < N; i++) v[i] = i < 8000 ? 70000 + i : i % 50;
  a = store_rows("narrowed at finalize", 0, v, NULL, N, &bw);
  CHECK_EQ_INT(bw, 4);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_RESULT_SIZE].width, 1);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_RESULT_SIZE].nexceptions, 8000);
  sic_app_free(a);

  /* rows written in reverse order: inserting far from the end widens instead of shifting */
  for (int64_t i = 0; i < N; i++) v[i] = i % 3 ? 9 : 1000000 + i, order[i] = N - 1 - i;
  a = store_rows("reverse order", 0, v, order, N, &bw);
  sic_app_free(a);

  /* time column: base-relative values with a few far ones and one equal to the base */
  const int64_t t0 = 1700000000000LL;
  for (int64_t i = 0; i < N; i++) v[i] = i % 997 == 5 ? t0 + 4000000000LL * (i % 3 + 1) : t0 + i;
  v[10] = t0 - 1; /* the base (first value - 1): an exception, not "absent" */
  a = store_rows("time column exceptions", 1, v, NULL, N, &bw);
  CHECK_EQ_INT(a->tasks.getting_result_time.width, 4);
  CHECK(a->tasks.getting_result_time.nexceptions > 0);
  sic_app_free(a);
}

/* Rewriting a row: a wide value replaced by a small one drops its exception, a wide one by
 * another wide one updates it, and a small one by a wide one adds one. */
static void test_exception_rewrites(void) {
  sic_builder *b = sic_builder_new(NULL);
  for (int r = 0; r < 100; r++) sic_task_append(b);
  sic_col *c = &b->app->tasks.metric[SIC_TM_RESULT_SIZE];
  for (int r = 0; r < 100; r++) sic_col_put(b, c, r, r % 10 == 3 ? 1000000 + r : 5);
  CHECK_EQ_INT(c->width, 1);
  CHECK_EQ_INT(c->nexceptions, 10);
  sic_col_put(b, c, 13, 7);           /* wide -> small */
  sic_col_put(b, c, 23, 2000000);     /* wide -> wide */
  sic_col_put(b, c, 55, 3000000);     /* small -> wide */
  sic_col_put(b, c, 56, 0);           /* small -> 0 */
  CHECK_EQ_INT(c->nexceptions, 10);
  CHECK_EQ_INT(sic_col_get(c, 13), 7);
  CHECK_EQ_INT(sic_col_get(c, 23), 2000000);
  CHECK_EQ_INT(sic_col_get(c, 55), 3000000);
  CHECK_EQ_INT(sic_col_get(c, 56), 0);
  CHECK_EQ_INT(sic_col_get(c, 33), 1000033);
  CHECK_EQ_INT(sic_col_exception_value(c, 31), 0); /* not an exception row */
  sic_app *a = sic_builder_finish(b);
  CHECK_EQ_INT(sic_col_get(&a->tasks.metric[SIC_TM_RESULT_SIZE], 55), 3000000);
  CHECK_EQ_INT(sic_col_get(&a->tasks.metric[SIC_TM_RESULT_SIZE], 13), 7);
  sic_app_free(a);
}

/* Feed JSON lines to a fresh builder and finish it. */
static sic_app *build(const char *const *lines, size_t n) {
  sic_builder *b = sic_builder_new(NULL);
  sic_builder_add_part(b, "mem", "none", 0);
  for (size_t i = 0; i < n; i++) sic_builder_feed_line(b, lines[i], strlen(lines[i]), 0, (int64_t)i + 1, 0);
  return sic_builder_finish(b);
}

#define EXEC_ADDED(id, host)                                                                        \
  "{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":5,\"Executor ID\":\"" id "\","          \
  "\"Executor Info\":{\"Host\":\"" host "\",\"Total Cores\":2}}"
#define TASK_START(tid, exec, hostmember)                                                           \
  "{\"Event\":\"SparkListenerTaskStart\",\"Stage ID\":0,\"Task Info\":{\"Task ID\":" #tid         \
  ",\"Index\":0,\"Launch Time\":1700000000000,\"Executor ID\":\"" exec "\"" hostmember "}}"

static void check_hosts(const char *what, const sic_app *a, const char *const *want, int n, int stored) {
  CHECK_EQ_INT(a->tasks.n, n);
  CHECK(stored ? a->tasks.host != NULL : a->tasks.host == NULL, "%s: tasks.host %s", what,
        a->tasks.host ? "stored" : "derived");
  for (int i = 0; i < n && i < a->tasks.n; i++) {
    const char *h = sic_str(a, sic_task_host(a, i));
    CHECK(want[i] ? h && !strcmp(h, want[i]) : h == NULL, "%s: task %d host %s, want %s", what, i,
          h ? h : "(none)", want[i] ? want[i] : "(none)");
  }
}

/* tasks.host is only stored once a task's host differs from its executor's; every way a
 * host can differ (logged otherwise, not logged, executor host changing later) reads exact. */
static void test_task_hosts(void) {
  const char *same[] = {EXEC_ADDED("1", "a"), TASK_START(0, "1", ",\"Host\":\"a\""),
                        TASK_START(1, "1", ",\"Host\":\"a\"")};
  const char *want_same[] = {"a", "a"};
  sic_app *a = build(same, 3);
  check_hosts("same host", a, want_same, 2, 0);
  sic_app_free(a);

  const char *differs[] = {EXEC_ADDED("1", "a"), TASK_START(0, "1", ",\"Host\":\"a\""),
                           TASK_START(1, "1", ",\"Host\":\"b\""), TASK_START(2, "1", ",\"Host\":\"a\"")};
  const char *want_differs[] = {"a", "b", "a"};
  a = build(differs, 4);
  check_hosts("one task elsewhere", a, want_differs, 3, 1);
  sic_app_free(a);

  /* old logs, no ExecutorAdded: executors get their host from their first task */
  const char *old[] = {TASK_START(0, "1", ",\"Host\":\"a\""), TASK_START(1, "2", ",\"Host\":\"b\""),
                       TASK_START(2, "1", ",\"Host\":\"a\"")};
  const char *want_old[] = {"a", "b", "a"};
  a = build(old, 3);
  check_hosts("hosts from tasks", a, want_old, 3, 0);
  sic_app_free(a);

  /* no "Host" logged: the task has none, although its executor has one */
  const char *missing[] = {EXEC_ADDED("1", "a"), TASK_START(0, "1", "")};
  const char *want_missing[] = {NULL};
  a = build(missing, 2);
  check_hosts("host not logged", a, want_missing, 1, 1);
  sic_app_free(a);

  /* the executor's host appears (old logs: from its first task) and later changes */
  const char *changes[] = {TASK_START(0, "1", ",\"Host\":\"a\""), EXEC_ADDED("1", "c"),
                           TASK_START(1, "1", ",\"Host\":\"c\"")};
  const char *want_changes[] = {"a", "c"};
  a = build(changes, 3);
  check_hosts("executor host changes", a, want_changes, 2, 1);
  sic_app_free(a);
}

int main(void) {
  test_widening();
  test_relative();
  test_exceptions();
  test_exception_rewrites();
  test_task_hosts();
  return CHECK_RESULT();
}
