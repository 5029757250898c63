/* Tests of engine/stats: quantiles (History Server rule), summaries, Gini, MAD, histogram,
 * top-k, and stage summaries over a real event log checked against a brute-force pass. */
#include <math.h>

#include "check.h"
#include "stats/stats.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void test_small_known_values(void) {
  const double v[] = {5, 1, 4, 2, 3};
  sic_summary s;
  CHECK(sic_stats_summarize(v, 5, &s) == SIC_OK);
  CHECK(s.n == 5 && s.sum == 15 && s.mean == 3 && s.min == 1 && s.max == 5);
  CHECK(s.median == 3, "median %g", s.median);          /* index floor(0.5*5)=2 */
  CHECK(s.p25 == 2, "p25 %g", s.p25);                    /* index 1 */
  CHECK(s.p75 == 4, "p75 %g", s.p75);                    /* index 3 */
  CHECK(s.p99 == 5 && s.p05 == 1);
  CHECK(s.mad == 1, "mad %g", s.mad);                    /* |dev| = 2,2,1,1,0 -> sorted 0,1,1,2,2 */
  CHECK(fabs(s.stddev - sqrt(2.0)) < 1e-12);
  CHECK(s.argmax == 0);
  CHECK(fabs(s.max_over_median - 5.0 / 3.0) < 1e-12);
  /* Gini of 1..5: sum_i (2i-n+1) x_(i) / (n*sum) = (−4·1 −2·2 +0 +2·4 +4·5)/75 = 20/75 */
  CHECK(fabs(s.gini - 20.0 / 75.0) < 1e-12, "gini %g", s.gini);
  const double equal[] = {7, 7, 7, 7};
  CHECK(sic_stats_summarize(equal, 4, &s) == SIC_OK && s.gini == 0 && s.mad == 0 && s.max_over_median == 1);
  const double one_hot[] = {0, 0, 0, 10};
  CHECK(sic_stats_summarize(one_hot, 4, &s) == SIC_OK && fabs(s.gini - 0.75) < 1e-12, "gini %g", s.gini);
  CHECK(s.max_over_median == 0); /* median 0: no ratio */
}

static void test_edge_cases(void) {
  sic_summary s;
  double q = -1;
  CHECK(sic_stats_summarize(NULL, 0, &s) == SIC_OK && s.n == 0 && s.argmax == -1);
  CHECK(sic_stats_summarize(NULL, 3, &s) == SIC_EINVAL);
  CHECK(sic_stats_quantile(NULL, 0, 0.5, &q) == SIC_OK && q == 0);
  const double v[] = {1, 2};
  CHECK(sic_stats_quantile(v, 2, 1.5, &q) == SIC_EINVAL);
  CHECK(sic_stats_quantile(v, 2, NAN, &q) == SIC_EINVAL);
  CHECK(sic_stats_quantile(v, 2, 1.0, &q) == SIC_OK && q == 2);
  int64_t counts[3];
  CHECK(sic_stats_histogram(v, 2, 0, 0, 0, counts) == SIC_EINVAL);
  int64_t idx[4];
  CHECK(sic_stats_topk(v, 2, 0, idx) == 0);
}

/* Large pseudo-random input (with many duplicates) against qsort + direct formulas. */
static void test_against_brute_force(void) {
  enum { N = 200003 };
  double *v = malloc(N * sizeof *v), *sorted = malloc(N * sizeof *sorted);
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < N; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    v[i] = (double)(x % 5000) + (i % 7 == 0 ? 100000 : 0);
  }
  memcpy(sorted, v, N * sizeof *v);
  qsort(sorted, N, sizeof *sorted, cmp_double);
  sic_summary s;
  CHECK(sic_stats_summarize(v, N, &s) == SIC_OK);
  const double qs[] = {0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
  const double got[] = {s.p05, s.p25, s.median, s.p75, s.p90, s.p95, s.p99};
  for (int i = 0; i < 7; i++) {
    double want = sorted[(int64_t)(qs[i] * N)];
    CHECK(got[i] == want, "q%.2f got %g want %g", qs[i], got[i], want);
  }
  CHECK(s.min == sorted[0] && s.max == sorted[N - 1]);
  double g = 0, sum = 0;
  for (int i = 0; i < N; i++) { g += (2.0 * i - N + 1) * sorted[i]; sum += sorted[i]; }
  CHECK(fabs(s.gini - g / (N * sum)) < 1e-9);
  /* top-k: the 5 largest, largest first, ties by lower index. */
  int64_t idx[5];
  CHECK(sic_stats_topk(v, N, 5, idx) == 5);
  for (int i = 0; i < 5; i++) CHECK(v[idx[i]] == sorted[N - 1 - i], "top %d", i);
  for (int i = 1; i < 5; i++) CHECK(v[idx[i - 1]] > v[idx[i]] || idx[i - 1] < idx[i]);
  /* histogram over the data range counts everything once. */
  int64_t counts[16], total = 0;
  CHECK(sic_stats_histogram(v, N, 16, 0, 0, counts) == SIC_OK);
  for (int i = 0; i < 16; i++) total += counts[i];
  CHECK(total == N);
  CHECK(counts[15] > 0 && counts[0] > 0);
  free(v);
  free(sorted);
}

/* Stage summaries on a real log agree with a direct pass over the model. */
static void test_real_stage(void) {
  const char *shared = check_shared_part("test_stats", "stage summaries of a real log");
  if (!shared) return;
  char path[4096];
  snprintf(path, sizeof path, "%s/spark-events/spark-extra/application_1536831636016_59384_1", shared);
  sic_app *app = NULL;
  sic_err err = {0};
  if (sic_app_load_path(path, NULL, &app, &err) < 0) { CHECK(0, "load: %s", err.msg); return; }
  CHECK(app->nstages == 1);
  sic_summary s;
  CHECK(sic_stats_stage(app, 0, SIC_SC_DURATION, SIC_SF_SUCCESSFUL, &s) == SIC_OK);
  /* SOURCES.md: stage 0 max 1.1 s vs median 0.06 s over 100 tasks. */
  CHECK(s.n == 100 && s.max == 1140 && s.median == 65, "n %lld max %g median %g", (long long)s.n, s.max, s.median);
  CHECK(s.argmax >= 0 && sic_task_duration(app, s.argmax) == 1140);
  double manual_sum = 0;
  for (int64_t r = 0; r < app->tasks.n; r++) if (app->tasks.status[r] == SIC_TASK_SUCCESS) manual_sum += sic_task_duration(app, r);
  CHECK(s.sum == manual_sum);
  CHECK(sic_stats_stage(app, 0, SIC_TM_EXECUTOR_RUN_TIME, SIC_SF_ALL, &s) == SIC_OK && s.n == app->tasks.n);
  CHECK(sic_stats_stage(app, 0, 999, SIC_SF_ALL, &s) == SIC_EINVAL);
  CHECK(sic_stats_stage(app, 5, SIC_SC_DURATION, SIC_SF_ALL, &s) == SIC_EINVAL);
  double sums[16];
  int64_t counts[16], total_tasks = 0;
  CHECK(app->nexecutors <= 16);
  CHECK(sic_stats_by_executor(app, SIC_SC_DURATION, SIC_SF_ALL, sums, counts) == SIC_OK);
  for (int64_t e = 0; e < app->nexecutors; e++) total_tasks += counts[e];
  CHECK(total_tasks == app->tasks.n);
  CHECK(sic_stats_stage(app, 0, SIC_SC_FAILED, SIC_SF_ALL, &s) == SIC_OK && s.sum == 0); /* no failed tasks */
  double vals[4];
  CHECK(sic_stats_gather(app, 0, SIC_SC_DURATION, SIC_SF_ALL, vals, NULL, 4) == 4); /* capped */
  sic_app_free(app);
}

int main(void) {
  test_small_known_values();
  test_edge_cases();
  test_against_brute_force();
  test_real_stage();
  return CHECK_RESULT();
}
