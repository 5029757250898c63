/* Builder core: task columns, rows that create themselves, diagnostics, the builder's
 * lifecycle and the per-line entry point. Pools and interning live in pools.c, event
 * handlers in events*.c, sorting and derived fields in finalize.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"
#include "sic_version.h"

/* ---- task columns ---- */

static int grow_tasks(sic_builder *b) {
  sic_tasks *t = &b->app->tasks;
  int64_t ncap = t->cap ? t->cap + t->cap / 2 : 1024;
  void **plain[SIC_TASK_PLAIN_MAX];
  size_t sizes[SIC_TASK_PLAIN_MAX];
  int nplain = sic_task_plain_arrays(t, plain, sizes); /* host only once it exists */
  /* rows are int32 everywhere outside the task table (stage_task_rows, maps): stop before */
  if (ncap > INT32_MAX) ncap = INT32_MAX;
  if (t->cap >= ncap) goto toomany;
  for (int i = 0; i < nplain; i++) {
    void *p = realloc(*plain[i], (size_t)ncap * sizes[i]);
    if (!p) goto nomem;
    *plain[i] = p;
  }
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(t, cols);
  for (int i = 0; i < nc; i++) {
    if (!cols[i]->data) continue;
    void *p = realloc(cols[i]->data, (size_t)ncap * (size_t)cols[i]->width);
    if (!p) goto nomem;
    cols[i]->data = p;
  }
  t->cap = ncap;
  return 0;
toomany:
  b->too_many_tasks = b->lineno ? b->lineno : 1; /* sic_app_load fails the load (see load.c) */
  return -1;
nomem:
  b->enomem = 1;
  return -1;
}

int64_t sic_task_append(sic_builder *b) {
  sic_tasks *t = &b->app->tasks;
  if (t->n >= t->cap && grow_tasks(b) < 0) return -1;
  int64_t r = t->n++;
  if (t->host) t->host[r] = -1;
  t->status[r] = SIC_TASK_RUNNING;
  t->locality[r] = SIC_LOC_ANY;
  t->flags[r] = 0;
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(t, cols);
  for (int i = 0; i < nc; i++)
    if (cols[i]->data) sic_col_set_raw(cols[i], r, 0); /* grown memory is not zeroed */
  /* -1 = none: rows of other tables, string ids, and a partition id Spark < 3.3 never logs */
  sic_col *none[] = {&t->stage, &t->executor, &t->end_reason, &t->error, &t->peak, &t->partition_id};
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) sic_col_put(b, none[i], r, -1);
  return r;
}

/* Keep tasks.host from now on: filled with the hosts sic_task_host derived so far. */
static int hosts_materialize(sic_builder *b) {
  sic_tasks *t = &b->app->tasks;
  sic_sid *h = malloc(sizeof(sic_sid) * (size_t)(t->cap ? t->cap : 1));
  if (!h) { b->enomem = 1; return -1; }
  for (int64_t i = 0; i < t->n; i++) h[i] = sic_task_host(b->app, i);
  t->host = h;
  return 0;
}

void sic_task_set_host(sic_builder *b, int64_t row, sic_sid host) {
  sic_tasks *t = &b->app->tasks;
  if (!t->host) {
    if (sic_task_host(b->app, row) == host) { /* derived from the executor: nothing to keep */
      if (host < 0) b->hostless_derived = 1;
      return;
    }
    if (hosts_materialize(b) < 0) return;
  }
  t->host[row] = host;
}

void sic_exec_set_host(sic_builder *b, int32_t exec_row, sic_sid host) {
  sic_app *a = b->app;
  sic_sid old = a->executors[exec_row].host;
  if (old == host) return;
  /* Tasks derived from the old host must keep it: store every task's host first. Old logs
   * give an executor its host with its first task (old == -1): no derived task can rely on
   * that -1 unless one was logged without a host, so the common case stores nothing. No
   * scan for the executor's tasks: a hostile log could make that quadratic. */
  if (!a->tasks.host && a->tasks.n > 0 && (old >= 0 || b->hostless_derived) && hosts_materialize(b) < 0) return;
  a->executors[exec_row].host = host;
}

/* ---- exceptions: the few values that do not fit a column's width ---- */

/* Room for one more exception. Capacity is implicit (4, then doubling at every power of two
 * of the count), so sic_col needs no builder-only field. */
static int exc_reserve(sic_builder *b, sic_col *c) {
  int32_t n = c->nexceptions;
  if (n != 0 && (n < 4 || (n & (n - 1)))) return 0;
  size_t cap = n ? 2 * (size_t)n : 4;
  sic_col_exception *e = realloc(c->exceptions, cap * sizeof *e);
  if (!e) { b->enomem = 1; return -1; }
  c->exceptions = e;
  return 0;
}

void sic_col_unmark(sic_col *c, int64_t row) {
  if (sic_col_raw(c, row) != sic_col_marker(c->width)) return;
  int32_t i = sic_col_exception_lower(c, row);
  if (i >= c->nexceptions || c->exceptions[i].row != row) return;
  memmove(c->exceptions + i, c->exceptions + i + 1, (size_t)(c->nexceptions - i - 1) * sizeof *c->exceptions);
  c->nexceptions--;
}

/* Exceptions a column of width w may hold while it has n rows: about the count at which
 * widening one step costs no more (16 bytes per exception against w bytes per row), plus a
 * start allowance so early values do not decide the width alone. */
static int64_t exc_budget(int w, int64_t n) {
  return 64 + n * w / (int64_t)sizeof(sic_col_exception);
}

/* Keep v for row as an exception when that is cheap: within the budget, and when the row is
 * near the end of the list (rows mostly arrive in order; a hostile order must not make
 * insertion quadratic). 0 = kept, -1 = widen instead. */
static int col_except(sic_builder *b, sic_col *c, int64_t row, int64_t v) {
  if (c->width == 8) return -1;
  int32_t i = sic_col_exception_lower(c, row);
  if (i < c->nexceptions && c->exceptions[i].row == row) {
    c->exceptions[i].value = v;
    return 0;
  }
  if (c->nexceptions >= exc_budget(c->width, b->app->tasks.n) || c->nexceptions - i > 1024) return -1;
  if (exc_reserve(b, c) < 0) return -1;
  memmove(c->exceptions + i + 1, c->exceptions + i, (size_t)(c->nexceptions - i) * sizeof *c->exceptions);
  c->exceptions[i] = (sic_col_exception){.row = row, .value = v};
  c->nexceptions++;
  sic_col_set_raw(c, row, sic_col_marker(c->width));
  return 0;
}

/* Stored value of v in a column with this base; *ok = 0 when it needs an exception at width w. */
static int64_t col_encode(int w, int64_t base, int64_t v, int *ok) {
  int64_t s = v ? (int64_t)((uint64_t)v - (uint64_t)base) : 0;
  *ok = (s != 0 || v == 0) && sic_col_fits(w, s); /* s == 0 for v != 0 would read as absent */
  return s;
}

/* Re-encode the column's n rows at width w with base `base` (0 when w is 8) into fresh
 * memory of cap rows; values that do not fit become exceptions (in row order). Every value
 * keeps reading the same through sic_col_get. */
static int col_recode(sic_builder *b, sic_col *c, int w, int64_t base, int64_t cap) {
  sic_tasks *t = &b->app->tasks;
  sic_col out = {.data = malloc((size_t)(cap ? cap : 1) * (size_t)w), .base = base, .width = w};
  if (!out.data) { b->enomem = 1; return -1; }
  for (int64_t i = 0; i < t->n; i++) {
    int ok;
    int64_t v = sic_col_get(c, i), s = col_encode(w, base, v, &ok);
    if (ok) { sic_col_set_raw(&out, i, s); continue; }
    if (exc_reserve(b, &out) < 0) goto nomem;
    out.exceptions[out.nexceptions++] = (sic_col_exception){.row = i, .value = v};
    sic_col_set_raw(&out, i, sic_col_marker(w));
  }
  free(c->data);
  free(c->exceptions);
  *c = out;
  return 0;
nomem:
  free(out.data);
  free(out.exceptions);
  return -1;
}

/* The (width, base) to widen to when v (v != 0) cannot be kept as an exception: the narrowest
 * wider width at which the current exceptions and v would leave at most half a budget of
 * misfits. Deltas are modulo 2^64 (as sic_col_get adds them back), so any value whose delta
 * fits is exact; at 8 bytes the base is 0 and everything fits. */
static void col_need(const sic_col *c, int64_t n, int64_t v, int *w, int64_t *base) {
  *base = c->base;
  for (*w = c->width * 2; *w < 8; *w *= 2) {
    int ok;
    int64_t misfits = 0;
    col_encode(*w, c->base, v, &ok);
    misfits += !ok;
    for (int32_t i = 0; i < c->nexceptions; i++) {
      col_encode(*w, c->base, c->exceptions[i].value, &ok);
      misfits += !ok;
    }
    if (ok && misfits <= exc_budget(*w, n) / 2) return; /* ok: v itself fits */
  }
  *base = 0;
}

void sic_col_put_slow(sic_builder *b, sic_col *c, int64_t row, int64_t v, int relative) {
  int ok;
  if (!c->data) {
    if (v == 0) return;
    /* time columns: base just below the first value, 4 bytes (about +-24 days around it);
     * others start at 1 byte, a wide first value being an exception until more agree */
    c->base = relative && v > INT64_MIN ? v - 1 : 0;
    c->width = c->base ? 4 : 1;
    c->data = calloc((size_t)b->app->tasks.cap, (size_t)c->width);
    if (!c->data) { b->enomem = 1; return; }
  }
  int64_t s = col_encode(c->width, c->base, v, &ok);
  if (!ok) {
    if (col_except(b, c, row, v) == 0) return;
    int w;
    int64_t base;
    col_need(c, b->app->tasks.n, v, &w, &base);
    if (col_recode(b, c, w, base, b->app->tasks.cap) < 0) return;
    s = col_encode(c->width, c->base, v, &ok);
    if (!ok) return; /* unreachable: col_need chose a width that holds v */
  }
  sic_col_store(c, row, s);
}

/* Over the values a column holds in its array (not its exceptions): how many are not 0 and
 * how many would not fit 1, 2 and 4 bytes. Same base, so a stored value fits a narrower
 * width exactly when its stored form does: plain loops the compiler vectorises. */
#define COL_SCAN(T, MARK, HAS_MARK)                                              \
  do {                                                                          \
    const T *d_ = (const T *)c->data;                                           \
    for (int64_t i_ = 0; i_ < n; i_++) {                                        \
      int64_t s_ = d_[i_];                                                      \
      if (HAS_MARK && s_ == (MARK)) continue;                                   \
      nonzero += s_ != 0;                                                       \
      misfits[0] += !sic_col_fits(1, s_);                                       \
      misfits[1] += !sic_col_fits(2, s_);                                       \
      misfits[2] += !sic_col_fits(4, s_);                                       \
    }                                                                           \
  } while (0)

void sic_col_optimize(sic_builder *b, sic_col *c) {
  static const int W[3] = {1, 2, 4};
  int64_t n = b->app->tasks.n, misfits[3] = {0, 0, 0}, nonzero = 0;
  if (!c->data) return;
  switch (c->width) {
  case 1: COL_SCAN(int8_t, INT8_MIN, 1); break;
  case 2: COL_SCAN(int16_t, INT16_MIN, 1); break;
  case 4: COL_SCAN(int32_t, INT32_MIN, 1); break;
  default: COL_SCAN(int64_t, 0, 0); break;
  }
  for (int32_t i = 0; i < c->nexceptions; i++) {
    int64_t v = c->exceptions[i].value;
    nonzero += v != 0;
    for (int k = 0; k < 3; k++) {
      int ok;
      col_encode(W[k], c->base, v, &ok);
      misfits[k] += !ok;
    }
  }
  if (!nonzero) { /* e.g. -1 defaults all overwritten by 0: no array at all */
    free(c->data);
    free(c->exceptions);
    *c = (sic_col){.width = 1};
    return;
  }
  /* bytes at each width with its exceptions (none at 8 bytes, where the base is 0); a
   * small table whose values were all kept aside while it grew may widen here */
  int64_t best = n * 8;
  int best_w = 8;
  for (int k = 2; k >= 0; k--) { /* wide to narrow: a tie keeps the one with fewer exceptions */
    int64_t cost = n * W[k] + misfits[k] * (int64_t)sizeof(sic_col_exception);
    if (cost < best && misfits[k] <= INT32_MAX) best = cost, best_w = W[k];
  }
  if (best_w != c->width) col_recode(b, c, best_w, best_w == 8 ? 0 : c->base, n);
}

#define TASK_DENSE_LIMIT (1LL << 28)

/* Row of task id `id` by binary search of the task_id column (rows in increasing id order),
 * trying first the row it has if ids are dense since the newest task. */
static int32_t task_search(const sic_builder *b, int64_t id) {
  const sic_col *c = &b->app->tasks.task_id;
  int64_t n = b->app->tasks.n;
  if (n == 0 || id > b->last_task_id) return -1;
  int64_t guess = (int64_t)((uint64_t)id - (uint64_t)b->task_id_offset);
  if (guess >= 0 && guess < n && sic_col_get(c, guess) == id) return (int32_t)guess;
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (sic_col_get(c, mid) < id) lo = mid + 1; else hi = mid;
  }
  return lo < n && sic_col_get(c, lo) == id ? (int32_t)lo : -1;
}

int32_t sic_task_find(sic_builder *b, int64_t task_id) {
  if (b->task_ids_ordered) return task_search(b, task_id);
  if (task_id >= 0 && task_id < b->task_dense_cap && b->task_dense[task_id]) return b->task_dense[task_id] - 1;
  return b->task_sparse.n ? sic_imap_get(&b->task_sparse, task_id) : -1;
}

static void task_index_put(sic_builder *b, int64_t task_id, int64_t row) {
  /* Task ids are dense 0..n-1 within an application: index them by an array when the id is
   * near the row count, else by the hash map. */
  if (task_id >= 0 && task_id < TASK_DENSE_LIMIT && task_id <= 2 * b->app->tasks.n + 65536) {
    if (task_id >= b->task_dense_cap) {
      int64_t ncap = b->task_dense_cap ? b->task_dense_cap : 4096;
      while (ncap <= task_id) ncap += ncap / 2;
      int32_t *n = realloc(b->task_dense, sizeof(int32_t) * (size_t)ncap);
      if (!n) { b->enomem = 1; return; }
      memset(n + b->task_dense_cap, 0, sizeof(int32_t) * (size_t)(ncap - b->task_dense_cap));
      b->task_dense = n;
      b->task_dense_cap = ncap;
    }
    b->task_dense[task_id] = (int32_t)row + 1;
    return;
  }
  if (sic_imap_put(&b->task_sparse, task_id, (int32_t)row) < 0) b->enomem = 1;
}

void sic_task_index(sic_builder *b, int64_t task_id, int64_t row) {
  /* Spark numbers tasks in launch order, so ids usually arrive increasing with the rows: then
   * the task_id column itself is the index and no map is kept (4+ bytes per task less at
   * the peak of a load). The first id out of order builds the map from the rows so far. */
  if (b->task_ids_ordered) {
    if (row == b->app->tasks.n - 1 && (row == 0 || task_id > b->last_task_id)) {
      b->last_task_id = task_id;
      b->task_id_offset = (int64_t)((uint64_t)task_id - (uint64_t)row);
      return;
    }
    b->task_ids_ordered = 0;
    for (int64_t r = 0; r < row; r++) task_index_put(b, sic_col_get(&b->app->tasks.task_id, r), r);
  }
  task_index_put(b, task_id, row);
}

/* ---- rows that create themselves ---- */

int32_t sic_stage_row(sic_builder *b, int32_t stage_id, int32_t attempt, int create) {
  int64_t key = (int64_t)((uint64_t)(uint32_t)stage_id << 32 | (uint32_t)attempt);
  int32_t r = sic_imap_get(&b->stage_map, key);
  if (r >= 0 || !create) return r;
  sic_app *a = b->app;
  if (SIC_GROW(b, a->stages, b->cap_stages, a->nstages) < 0) return -1;
  r = (int32_t)a->nstages++;
  sic_stage *st = &a->stages[r];
  memset(st, 0, sizeof *st);
  st->stage_id = stage_id;
  st->attempt_id = attempt;
  st->status = SIC_STAGE_PENDING;
  st->name = st->details = st->failure_reason = st->pool = st->description = -1;
  st->submission_time = st->completion_time = st->first_task_launch = -1;
  st->sql_execution_id = -1;
  st->peak = -1;
  if (sic_imap_put(&b->stage_map, key, r) < 0) b->enomem = 1;
  return r;
}

int32_t sic_job_row(sic_builder *b, int32_t job_id, int create) {
  int32_t r = sic_imap_get(&b->job_map, job_id);
  if (r >= 0 || !create) return r;
  sic_app *a = b->app;
  if (SIC_GROW(b, a->jobs, b->cap_jobs, a->njobs) < 0) return -1;
  r = (int32_t)a->njobs++;
  sic_job *j = &a->jobs[r];
  memset(j, 0, sizeof *j);
  j->job_id = job_id;
  j->status = SIC_JOB_RUNNING;
  j->submission_time = j->completion_time = -1;
  j->name = j->description = j->job_group = j->failure_reason = -1;
  j->sql_execution_id = -1;
  if (sic_imap_put(&b->job_map, job_id, r) < 0) b->enomem = 1;
  return r;
}

int32_t sic_exec_row(sic_builder *b, sic_sid id, int create) {
  if (id < 0) return -1;
  int32_t r = sic_imap_get(&b->exec_map, id);
  if (r >= 0 || !create) return r;
  sic_app *a = b->app;
  if (SIC_GROW(b, a->executors, b->cap_execs, a->nexecutors) < 0) return -1;
  r = (int32_t)a->nexecutors++;
  sic_executor *e = &a->executors[r];
  memset(e, 0, sizeof *e);
  e->id = id;
  e->host = e->remove_reason = -1;
  e->port = -1;
  const char *s = sic_str(a, id);
  e->is_driver = strcmp(s, "driver") == 0 || strcmp(s, "<driver>") == 0;
  e->add_time = e->remove_time = e->excluded_time = -1;
  e->max_memory = e->max_onheap = e->max_offheap = -1;
  e->bm_add_time = e->bm_remove_time = -1;
  e->peak = -1;
  if (sic_imap_put(&b->exec_map, id, r) < 0) b->enomem = 1;
  return r;
}

int32_t sic_sql_row(sic_builder *b, int64_t execution_id, int create) {
  int32_t r = sic_imap_get(&b->sql_map, execution_id);
  if (r >= 0 || !create) return r;
  sic_app *a = b->app;
  if (SIC_GROW(b, a->sqls, b->cap_sqls, a->nsqls) < 0) return -1;
  r = (int32_t)a->nsqls++;
  sic_sql *q = &a->sqls[r];
  memset(q, 0, sizeof *q);
  q->execution_id = q->root_execution_id = execution_id;
  q->description = q->details = q->physical_plan = q->error = -1;
  q->start_time = q->end_time = -1;
  if (sic_imap_put(&b->sql_map, execution_id, r) < 0) b->enomem = 1;
  return r;
}

#define ACCUM_DENSE_LIMIT (1LL << 26)

int32_t sic_accum_row(sic_builder *b, int64_t accum_id, int create) {
  int32_t r = -1;
  if (accum_id >= 0 && accum_id < b->accum_dense_cap && b->accum_dense[accum_id]) return b->accum_dense[accum_id] - 1;
  if (b->accum_sparse.n) r = sic_imap_get(&b->accum_sparse, accum_id);
  if (r >= 0 || !create) return r;
  /* Accumulator ids count up from 0 over the application: an array indexed by id is the
   * fastest lookup, as long as the id is not far beyond the number of accumulators seen
   * (then the hash map keeps memory proportional to what was logged). */
  int dense = accum_id >= 0 && accum_id < ACCUM_DENSE_LIMIT &&
              (accum_id < b->accum_dense_cap || accum_id <= 4 * b->app->naccums + 65536);
  sic_app *a = b->app;
  if (SIC_GROW(b, a->accums, b->cap_accums, a->naccums) < 0) return -1;
  r = (int32_t)a->naccums++;
  sic_accum *ac = &a->accums[r];
  memset(ac, 0, sizeof *ac);
  ac->accum_id = accum_id;
  ac->name = ac->metadata = ac->last_value = -1;
  ac->numeric = 1;
  ac->min = INT64_MAX;
  ac->max = INT64_MIN;
  if (dense) {
    if (accum_id >= b->accum_dense_cap) {
      int64_t ncap = b->accum_dense_cap ? b->accum_dense_cap : 1024;
      while (ncap <= accum_id) ncap *= 2;
      int32_t *n = realloc(b->accum_dense, sizeof(int32_t) * (size_t)ncap);
      if (!n) { b->enomem = 1; return r; }
      memset(n + b->accum_dense_cap, 0, sizeof(int32_t) * (size_t)(ncap - b->accum_dense_cap));
      b->accum_dense = n;
      b->accum_dense_cap = ncap;
    }
    b->accum_dense[accum_id] = r + 1;
  } else if (sic_imap_put(&b->accum_sparse, accum_id, r) < 0) {
    b->enomem = 1;
  }
  return r;
}

int32_t sic_peak_new(sic_builder *b, const sic_emetrics *m) {
  sic_app *a = b->app;
  if (SIC_GROW(b, a->peaks, b->cap_peaks, a->npeaks) < 0) return -1;
  a->peaks[a->npeaks] = *m;
  return (int32_t)a->npeaks++;
}

/* Task peaks repeat (often all zero, or the same executor snapshot): a 1024-slot cache of
 * recent vectors, indexed by a multiply-add hash of the 21 values. */
int32_t sic_peak_dedup(sic_builder *b, const sic_emetrics *m) {
  uint64_t x = 0;
  for (int i = 0; i < SIC_EM__COUNT; i++) x = (x + (uint64_t)m->v[i]) * 0x9E3779B97F4A7C15ULL;
  uint32_t h = (uint32_t)(x >> 54) & 1023;
  uint32_t r1 = b->peak_recent[h];
  if (r1 && memcmp(&b->app->peaks[r1 - 1], m, sizeof *m) == 0) return (int32_t)r1 - 1;
  int32_t r = sic_peak_new(b, m);
  if (r >= 0) b->peak_recent[h] = (uint32_t)r + 1;
  return r;
}

/* ---- diagnostics and parts ---- */

void sic_builder_diag(sic_builder *b, int kind, int64_t line, const char *fmt, ...) {
  sic_app *a = b->app;
  if (a->ndiags >= 1000) return;
  if (SIC_GROW(b, a->diags, b->cap_diags, a->ndiags) < 0) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sic_diag *d = &a->diags[a->ndiags++];
  memset(d, 0, sizeof *d);
  d->part = b->part;
  d->kind = kind;
  d->line = line;
  d->message = sic_intern(b, msg, strlen(msg));
}

int32_t sic_builder_add_part(sic_builder *b, const char *path, const char *codec, int64_t stored) {
  sic_app *a = b->app;
  if (SIC_GROW(b, a->parts, b->cap_parts, a->nparts) < 0) return -1;
  sic_part_info *pi = &a->parts[a->nparts];
  memset(pi, 0, sizeof *pi);
  pi->path = sic_intern(b, path, strlen(path));
  pi->codec = sic_intern(b, codec, strlen(codec));
  pi->stored_bytes = stored;
  return (int32_t)a->nparts++;
}

/* ---- lifecycle ---- */

sic_builder *sic_builder_new(const sic_load_opts *opts) {
  sic_builder *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->app = calloc(1, sizeof *b->app);
  if (!b->app) { free(b); return NULL; }
  b->opts.threads = opts ? opts->threads : 0;
  b->opts.keep_task_accums = opts ? opts->keep_task_accums : 1;
  for (int i = 0; i < 128; i++) b->recent_sid[i] = -1;
  /* "Success" ends almost every task: as string 0 it stores as 0 in tasks.end_reason, so a
   * log whose tasks all succeeded needs no end_reason array (-1 if this allocation fails:
   * then it is interned on first use) */
  b->sid_success = sic_intern(b, "Success", 7);
  b->task_ids_ordered = 1;
  sic_app *a = b->app;
  a->abi_version = SIC_ABI_VERSION;
  a->app_id = a->attempt_id = a->name = a->user = a->spark_version = a->source_path = -1;
  a->start_time = a->end_time = a->first_event_time = a->last_event_time = -1;
  a->last_updated = -1;
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(&a->tasks, cols);
  for (int i = 0; i < nc; i++) cols[i]->width = 1; /* no data yet: the first value picks */
  return b;
}

static void builder_free_state(sic_builder *b) {
  free(b->shash);
  free(b->scratch);
  free(b->task_dense);
  sic_imap_free(&b->task_sparse);
  free(b->accum_dense);
  sic_imap_free(&b->accum_sparse);
  sic_imap_free(&b->stage_map);
  sic_imap_free(&b->job_map);
  sic_imap_free(&b->exec_map);
  sic_imap_free(&b->sql_map);
  free(b->excl);
  free(b->sep);
  free(b->pacc);
  free(b->unknown_names);
  free(b);
}

void sic_builder_free(sic_builder *b) {
  if (!b) return;
  sic_app_free(b->app);
  builder_free_state(b);
}

sic_app *sic_builder_finish(sic_builder *b) {
  sic_model_finalize(b);
  sic_app *a = b->app;
  builder_free_state(b);
  return a;
}

/* ---- one line ---- */

/* Event class name -> the part after the last '.' ("org.apache...SparkListenerSQLExecutionStart"). */
static void short_name(const sic_jstr *ev, const char **p, size_t *n) {
  const char *s = ev->p, *e = ev->p + ev->len;
  for (const char *q = e; q > s; q--)
    if (q[-1] == '.') { s = q; break; }
  *p = s;
  *n = (size_t)(e - s);
}

static void note_unknown(sic_builder *b, const sic_jstr *ev) {
  b->app->unknown_events++;
  sic_sid name = sic_intern_jstr(b, ev);
  for (int64_t i = 0; i < b->nunknown; i++)
    if (b->unknown_names[i] == name) return;
  if (sic_grow(b, (void **)&b->unknown_names, &b->cap_unknown, b->nunknown, sizeof(sic_sid)) < 0) return;
  b->unknown_names[b->nunknown++] = name;
  sic_builder_diag(b, SIC_DIAG_UNKNOWN_EVENT, b->lineno, "event type not used: %s", sic_str(b->app, name));
}

/* Finds the "Event" member of an object whose first key is something else. Leaves the
 * scanner wherever it stopped; the caller rewinds. */
static int find_event(sic_jscan *s, sic_jiter *it, sic_jstr *ev) {
  sic_jstr k;
  int r;
  while ((r = sic_json_obj_next(s, it, &k)) > 0) {
    if (SIC_KEY(&k, "Event")) return sic_json_str(s, ev) == 0 ? 1 : -1;
    if (sic_json_skip(s) < 0) return -1;
  }
  return r;
}

static void line_failed(sic_builder *b, sic_jscan *s, int unterminated, const char *why) {
  b->app->malformed_lines++;
  int kind = unterminated ? SIC_DIAG_TRUNCATED_LINE : SIC_DIAG_MALFORMED_LINE;
  if (unterminated) b->app->truncated = 1;
  if (why)
    sic_builder_diag(b, kind, b->lineno, "%s", why);
  else
    sic_builder_diag(b, kind, b->lineno, "%s at byte %zu%s", s->err, s->err_off,
                     unterminated ? " (last line has no newline: log truncated)" : "");
}

void sic_builder_feed_line(sic_builder *b, const char *p, size_t len, int32_t part, int64_t lineno,
                           int unterminated) {
  b->part = part;
  b->lineno = lineno;
  b->line = p;
  /* blank lines are harmless (some writers end with one) */
  size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r')) i++;
  if (i == len) return;

  sic_jscan s;
  sic_jiter it;
  sic_jstr k, ev;
  sic_json_init(&s, p, len);
  if (sic_json_obj_begin(&s, &it) < 0) return line_failed(b, &s, unterminated, NULL);
  const char *body = s.p;
  int r = sic_json_obj_next(&s, &it, &k);
  if (r < 0) return line_failed(b, &s, unterminated, NULL);
  if (r > 0 && SIC_KEY(&k, "Event")) {
    if (sic_json_str(&s, &ev) < 0) return line_failed(b, &s, unterminated, NULL);
  } else {
    if (r > 0 && sic_json_skip(&s) < 0) return line_failed(b, &s, unterminated, NULL);
    r = r > 0 ? find_event(&s, &it, &ev) : 0;
    if (r < 0) return line_failed(b, &s, unterminated, NULL);
    if (r == 0) return line_failed(b, &s, unterminated, "JSON object has no \"Event\" member");
    s.p = body; /* rewind: the handler reads every member and ignores "Event" */
    it.n = 0;
  }
  const char *nm;
  size_t nn;
  short_name(&ev, &nm, &nn);
  sic_event_fn fn = sic_event_handler(nm, nn);
  if (!fn) {
    /* validate the rest so a broken unknown line is still reported as broken */
    while ((r = sic_json_obj_next(&s, &it, &k)) > 0)
      if (sic_json_skip(&s) < 0) break;
    if (s.err || sic_json_end(&s) < 0) return line_failed(b, &s, unterminated, NULL);
    b->app->events++;
    note_unknown(b, &ev);
    return;
  }
  if (fn(b, &s, &it) < 0 || sic_json_end(&s) < 0) return line_failed(b, &s, unterminated, NULL);
  b->app->events++;
}
