/* Descriptive statistics (see stats.h).
 * Sorting is a local introsort on doubles: qsort's comparator call per step costs about
 * twice as much, and stage summaries sort every task duration of a log. */
#include "stats/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { INSERTION_CUTOFF = 16 };

static void insertion_sort(double *a, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    double x = a[i];
    int64_t j = i - 1;
    while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; }
    a[j + 1] = x;
  }
}

static void sift_down(double *a, int64_t start, int64_t n) {
  int64_t root = start;
  for (;;) {
    int64_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    double t = a[root]; a[root] = a[child]; a[child] = t;
    root = child;
  }
}

/* Fallback that bounds the worst case of quicksort (adversarial or repetitive inputs). */
static void heap_sort(double *a, int64_t n) {
  for (int64_t i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
  for (int64_t end = n - 1; end > 0; end--) {
    double t = a[0]; a[0] = a[end]; a[end] = t;
    sift_down(a, 0, end);
  }
}

static double median_of_three(double x, double y, double z) {
  if (x < y) return y < z ? y : (x < z ? z : x);
  return x < z ? x : (y < z ? z : y);
}

static void intro_sort(double *a, int64_t n, int depth) {
  while (n > INSERTION_CUTOFF) {
    if (depth-- == 0) { heap_sort(a, n); return; }
    double pivot = median_of_three(a[0], a[n / 2], a[n - 1]);
    int64_t i = 0, j = n - 1;
    for (;;) { /* Hoare partition: equal keys split evenly, so duplicates stay O(n log n) */
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      double t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    int64_t left = j + 1;
    /* Recurse into the smaller side, loop on the larger: stack depth stays O(log n). */
    if (left < n - left) { intro_sort(a, left, depth); a += left; n -= left; }
    else { intro_sort(a + left, n - left, depth); n = left; }
  }
  insertion_sort(a, n);
}

static void sort_doubles(double *a, int64_t n) {
  int depth = 0;
  for (int64_t m = n; m > 1; m >>= 1) depth += 2;
  intro_sort(a, n, depth);
}

/* History Server rule: index min(floor(q * n), n - 1) of the sorted values. */
static double sorted_quantile(const double *sorted, int64_t n, double q) {
  if (n <= 0) return 0;
  if (q <= 0) return sorted[0];
  int64_t i = (int64_t)(q * (double)n);
  return sorted[i < n ? i : n - 1];
}

int sic_stats_quantile(const double *v, int64_t n, double q, double *out) {
  *out = 0;
  if (n < 0 || (n > 0 && !v) || !(q >= 0 && q <= 1)) return SIC_EINVAL;
  if (n == 0) return SIC_OK;
  double *s = malloc((size_t)n * sizeof *s);
  if (!s) return SIC_ENOMEM;
  memcpy(s, v, (size_t)n * sizeof *s);
  sort_doubles(s, n);
  *out = sorted_quantile(s, n, q);
  free(s);
  return SIC_OK;
}

/* First pass: order-independent moments and the argmax. */
static void summarize_moments(const double *v, int64_t n, sic_summary *out) {
  double sum = 0, mn = v[0], mx = v[0];
  int64_t argmax = 0;
  for (int64_t i = 0; i < n; i++) {
    sum += v[i];
    if (v[i] < mn) mn = v[i];
    if (v[i] > mx) { mx = v[i]; argmax = i; }
  }
  double mean = sum / (double)n, var = 0;
  for (int64_t i = 0; i < n; i++) var += (v[i] - mean) * (v[i] - mean);
  out->n = n;
  out->sum = sum;
  out->mean = mean;
  out->min = mn;
  out->max = mx;
  out->argmax = argmax;
  out->stddev = sqrt(var / (double)n);
}

/* Gini over sorted values: sum_i (2i - n + 1) x_i / (n * sum), i 0-based. */
static double sorted_gini(const double *s, int64_t n, double sum) {
  if (sum <= 0 || n < 2) return 0;
  double acc = 0;
  for (int64_t i = 0; i < n; i++) acc += (double)(2 * i - n + 1) * s[i];
  double g = acc / ((double)n * sum);
  return g < 0 ? 0 : g;
}

int sic_stats_summarize(const double *v, int64_t n, sic_summary *out) {
  memset(out, 0, sizeof *out);
  out->argmax = -1;
  if (n < 0 || (n > 0 && !v)) return SIC_EINVAL;
  if (n == 0) return SIC_OK;
  double *s = malloc((size_t)n * sizeof *s);
  if (!s) return SIC_ENOMEM;
  summarize_moments(v, n, out);
  memcpy(s, v, (size_t)n * sizeof *s);
  sort_doubles(s, n);
  out->p05 = sorted_quantile(s, n, 0.05);
  out->p25 = sorted_quantile(s, n, 0.25);
  out->median = sorted_quantile(s, n, 0.5);
  out->p75 = sorted_quantile(s, n, 0.75);
  out->p90 = sorted_quantile(s, n, 0.90);
  out->p95 = sorted_quantile(s, n, 0.95);
  out->p99 = sorted_quantile(s, n, 0.99);
  out->gini = sorted_gini(s, n, out->sum);
  out->max_over_median = out->median != 0 ? out->max / out->median : 0;
  for (int64_t i = 0; i < n; i++) s[i] = fabs(s[i] - out->median); /* reuse scratch for MAD */
  sort_doubles(s, n);
  out->mad = sorted_quantile(s, n, 0.5);
  free(s);
  return SIC_OK;
}

int sic_stats_histogram(const double *v, int64_t n, int32_t nbins, double lo, double hi, int64_t *counts) {
  if (nbins <= 0 || n < 0 || (n > 0 && !v) || !counts) return SIC_EINVAL;
  memset(counts, 0, (size_t)nbins * sizeof *counts);
  if (n == 0) return SIC_OK;
  if (!(lo < hi)) {
    lo = hi = v[0];
    for (int64_t i = 1; i < n; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
    if (lo == hi) hi = lo + 1; /* all equal: everything lands in bin 0 */
  }
  double width = (hi - lo) / nbins;
  for (int64_t i = 0; i < n; i++) {
    double b = floor((v[i] - lo) / width);
    int64_t bin = b < 0 ? 0 : (b >= nbins ? nbins - 1 : (int64_t)b);
    counts[bin]++;
  }
  return SIC_OK;
}

/* Min-heap of (value, index) for top-k: the root is the weakest of the current k. A value
 * "beats" another when larger, or equal with a lower index (stable, largest first). */
static int beats(const double *v, int64_t a, int64_t b) {
  return v[a] > v[b] || (v[a] == v[b] && a < b);
}

static void heap_fix_down(const double *v, int64_t *h, int64_t n, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, weakest = i;
    if (l < n && beats(v, h[weakest], h[l])) weakest = l;
    if (r < n && beats(v, h[weakest], h[r])) weakest = r;
    if (weakest == i) return;
    int64_t t = h[i]; h[i] = h[weakest]; h[weakest] = t;
    i = weakest;
  }
}

int64_t sic_stats_topk(const double *v, int64_t n, int32_t k, int64_t *idx_out) {
  if (k <= 0 || n <= 0 || !v || !idx_out) return 0;
  int64_t m = n < k ? n : k;
  for (int64_t i = 0; i < m; i++) idx_out[i] = i;
  for (int64_t i = m / 2 - 1; i >= 0; i--) heap_fix_down(v, idx_out, m, i);
  for (int64_t i = m; i < n; i++)
    if (beats(v, i, idx_out[0])) { idx_out[0] = i; heap_fix_down(v, idx_out, m, 0); }
  /* Heap sort in place: repeatedly move the weakest to the end => strongest first. */
  for (int64_t end = m - 1; end > 0; end--) {
    int64_t t = idx_out[0]; idx_out[0] = idx_out[end]; idx_out[end] = t;
    heap_fix_down(v, idx_out, end, 0);
  }
  return m;
}

double sic_stats_task_value(const sic_app *app, int64_t row, int32_t column) {
  const sic_tasks *t = &app->tasks;
  if (column >= 0 && column < SIC_TM__COUNT) return (double)sic_col_get(&t->metric[column], row);
  switch (column) {
  case SIC_SC_DURATION: return (double)sic_task_duration(app, row);
  case SIC_SC_SCHEDULER_DELAY: {
    int64_t d = sic_task_duration(app, row);
    if (d < 0) return 0;
    int64_t get = sic_col_get(&t->getting_result_time, row);
    int64_t fin = sic_col_get(&t->finish_time, row);
    int64_t fetch = get > 0 ? fin - get : 0;
    int64_t busy = sic_col_get(&t->metric[SIC_TM_EXECUTOR_RUN_TIME], row) +
                   sic_col_get(&t->metric[SIC_TM_EXECUTOR_DESERIALIZE_TIME], row) +
                   sic_col_get(&t->metric[SIC_TM_RESULT_SERIALIZATION_TIME], row) + fetch;
    return d - busy > 0 ? (double)(d - busy) : 0;
  }
  case SIC_SC_GC_RATIO_PERMILLE: {
    int64_t run = sic_col_get(&t->metric[SIC_TM_EXECUTOR_RUN_TIME], row);
    return run > 0 ? 1000.0 * (double)sic_col_get(&t->metric[SIC_TM_JVM_GC_TIME], row) / (double)run : 0;
  }
  case SIC_SC_SHUFFLE_READ_BYTES:
    return (double)(sic_col_get(&t->metric[SIC_TM_SR_REMOTE_BYTES_READ], row) +
                    sic_col_get(&t->metric[SIC_TM_SR_LOCAL_BYTES_READ], row));
  case SIC_SC_SPILL_BYTES:
    return (double)(sic_col_get(&t->metric[SIC_TM_MEMORY_BYTES_SPILLED], row) +
                    sic_col_get(&t->metric[SIC_TM_DISK_BYTES_SPILLED], row));
  case SIC_SC_LAUNCH_TIME: return (double)sic_col_get(&t->launch_time, row);
  case SIC_SC_FAILED: return t->status[row] == SIC_TASK_FAILED ? 1 : 0;
  default: return NAN;
  }
}

static int column_known(int32_t column) {
  return (column >= 0 && column < SIC_TM__COUNT) || (column >= SIC_SC_DURATION && column <= SIC_SC_FAILED);
}

static int task_selected(const sic_app *app, int64_t row, int32_t filter) {
  switch (filter) {
  case SIC_SF_SUCCESSFUL: return app->tasks.status[row] == SIC_TASK_SUCCESS;
  case SIC_SF_FINISHED: return sic_col_get(&app->tasks.finish_time, row) > 0;
  default: return 1;
  }
}

int64_t sic_stats_gather(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter,
                         double *out, int64_t *rows_out, int64_t cap) {
  if (!app || stage_row < 0 || stage_row >= app->nstages || !column_known(column) ||
      filter < SIC_SF_SUCCESSFUL || filter > SIC_SF_ALL || cap < 0 || (cap > 0 && !out))
    return SIC_EINVAL;
  const sic_range r = app->stages[stage_row].tasks;
  int64_t n = 0;
  for (int32_t i = 0; i < r.n && n < cap; i++) {
    int64_t row = app->stage_task_rows[r.off + i];
    if (!task_selected(app, row, filter)) continue;
    out[n] = sic_stats_task_value(app, row, column);
    if (rows_out) rows_out[n] = row;
    n++;
  }
  return n;
}

int sic_stats_stage(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter, sic_summary *out) {
  memset(out, 0, sizeof *out);
  out->argmax = -1;
  if (!app || stage_row < 0 || stage_row >= app->nstages) return SIC_EINVAL;
  int64_t cap = app->stages[stage_row].tasks.n;
  if (cap == 0) return column_known(column) ? SIC_OK : SIC_EINVAL;
  double *vals = malloc((size_t)cap * sizeof *vals);
  int64_t *rows = malloc((size_t)cap * sizeof *rows);
  int rc = SIC_ENOMEM;
  if (!vals || !rows) goto error;
  int64_t n = sic_stats_gather(app, stage_row, column, filter, vals, rows, cap);
  if (n < 0) { rc = (int)n; goto error; }
  rc = sic_stats_summarize(vals, n, out);
  if (rc == SIC_OK && n > 0) out->argmax = rows[out->argmax];
error:
  free(vals);
  free(rows);
  return rc;
}

int sic_stats_by_executor(const sic_app *app, int32_t column, int32_t filter, double *sums, int64_t *counts) {
  if (!app || !column_known(column) || filter < SIC_SF_SUCCESSFUL || filter > SIC_SF_ALL ||
      (app->nexecutors > 0 && (!sums || !counts)))
    return SIC_EINVAL;
  memset(sums, 0, (size_t)app->nexecutors * sizeof *sums);
  memset(counts, 0, (size_t)app->nexecutors * sizeof *counts);
  for (int64_t row = 0; row < app->tasks.n; row++) {
    int32_t e = sic_task_executor(app, row);
    if (e < 0 || e >= app->nexecutors || !task_selected(app, row, filter)) continue;
    sums[e] += sic_stats_task_value(app, row, column);
    counts[e]++;
  }
  return SIC_OK;
}
