/* History-based prediction on the real repeated runs.
 *
 *  - 'ProcessLargeDataset', 4 attempts of one EMR job: each attempt predicted from the other
 *    three (leave one out) must land within 15% (q-error <= 1.15) of its runtime.
 *  - NDS query 66 on CPU and on GPU: the same query, other hardware. History of one predicts
 *    the other badly (the figure is printed; the test checks the GPU run is predicted slower
 *    than it ran from CPU history, i.e. history does not transfer across hardware, which is
 *    why the runtime agent prefers the model when the executors' resources change).
 * ctest-label: needs-shared-data (every part reads the real data; skipped, exit 77, without it) */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "ml/history.h"

static int load_whatif(const char *path, const sic_ml_whatif *wi, sic_ml_app *out) {
  sic_app *app = NULL;
  sic_err err = {0};
  int rc = sic_app_load_path(path, NULL, &app, &err);
  CHECK(rc == 0, "%s: %s", path, err.msg);
  if (!rc) rc = sic_ml_app_build(app, wi, out, &err);
  sic_app_free(app);
  return rc;
}

static int load(const char *path, sic_ml_app *out) { return load_whatif(path, NULL, out); }

static double qerr(double p, double a) { return fmax(p / a, a / p); }

int main(void) {
  const char *shared = check_shared_data_or_skip("test_ml_history");
  char path[4096];
  sic_ml_app runs[4];
  int ok = 1;
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path,
             "%s/spark-events/spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_%d_eventlog.zstd",
             shared, i + 1);
    ok &= load(path, &runs[i]) == 0;
  }
  if (ok) {
    double worst = 1;
    for (int t = 0; t < 4; t++) {
      const sic_ml_app *prev[3];
      int n = 0;
      for (int i = 0; i < 4; i++)
        if (i != t) prev[n++] = &runs[i];
      double p = sic_ml_history_predict(prev, n, &runs[t]);
      double q = qerr(p, runs[t].runtime_ms);
      printf("ProcessLargeDataset attempt %d: history %.1f s, actual %.1f s, q-error %.3f\n", t + 1, p / 1000,
             runs[t].runtime_ms / 1000, q);
      if (q > worst) worst = q;
    }
    CHECK(worst <= 1.15, "leave-one-out history q-error %.3f", worst);
    /* the app model's history feature: past runs only (the earliest run has none) */
    sic_ml_fill_history(runs, 4);
    int earliest = 0, nan_count = 0, own_ok = 1;
    for (int i = 1; i < 4; i++)
      if (runs[i].start_ms < runs[earliest].start_ms) earliest = i;
    for (int i = 0; i < 4; i++) {
      float h = runs[i].x[AF_HIST_LOG_RUNTIME];
      nan_count += isnan(h);
      double want = 0;
      int k = 0;
      for (int j = 0; j < 4; j++)
        if (runs[j].start_ms < runs[i].start_ms) want += runs[j].runtime_ms, k++;
      /* with one or three earlier runs the median is one of them; two: their mean */
      if (k == 1 || k == 2) own_ok &= fabs(exp(h) - want / k) <= 1e-3 * want / k;
    }
    CHECK(nan_count == 1 && isnan(runs[earliest].x[AF_HIST_LOG_RUNTIME]), "history of the earliest run");
    CHECK(own_ok, "history feature is not the median of the earlier runs");
    for (int i = 0; i < 4; i++) sic_ml_app_free(&runs[i]);
  }
  sic_ml_app cpu, gpu;
  snprintf(path, sizeof path, "%s/spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", shared);
  int c_ok = load(path, &cpu) == 0;
  snprintf(path, sizeof path, "%s/spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_gpu.zstd", shared);
  int g_ok = load(path, &gpu) == 0;
  if (c_ok && g_ok) {
    const sic_ml_app *pc = &cpu, *pg = &gpu;
    double g_from_c = sic_ml_history_predict(&pc, 1, &gpu), c_from_g = sic_ml_history_predict(&pg, 1, &cpu);
    printf("NDS q66 GPU run from CPU history: %.1f s vs actual %.1f s (q-error %.2f)\n", g_from_c / 1000,
           gpu.runtime_ms / 1000, qerr(g_from_c, gpu.runtime_ms));
    printf("NDS q66 CPU run from GPU history: %.1f s vs actual %.1f s (q-error %.2f)\n", c_from_g / 1000,
           cpu.runtime_ms / 1000, qerr(c_from_g, cpu.runtime_ms));
    CHECK(g_from_c > gpu.runtime_ms, "CPU history should over-predict the GPU run");
  }
  /* the run as its own history: more executors shorten it, fewer lengthen it (wide stages) */
  snprintf(path, sizeof path, "%s/spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", shared);
  sic_ml_app more, fewer;
  sic_ml_whatif wi_more = {.executors = 32}, wi_fewer = {.executors = 2};
  if (c_ok && load_whatif(path, &wi_more, &more) == 0 && load_whatif(path, &wi_fewer, &fewer) == 0) {
    const sic_ml_app *pc = &cpu;
    double same = sic_ml_history_predict(&pc, 1, &cpu), m = sic_ml_history_predict(&pc, 1, &more);
    double f = sic_ml_history_predict(&pc, 1, &fewer);
    printf("NDS q66 CPU from itself: 2 executors %.1f s, as logged (8) %.1f s, 32 executors %.1f s\n", f / 1000,
           same / 1000, m / 1000);
    CHECK(m < same && same < f, "history ignores executors: %.0f %.0f %.0f ms", f, same, m);
    /* as close as the simulation of actual stage times gets for this run (83 s for 70 s: it keeps
     * some stages apart that overlapped in the log) */
    CHECK(qerr(same, cpu.runtime_ms) < 1.25, "a run predicts itself: %.0f vs %.0f ms", same, cpu.runtime_ms);
    sic_ml_app_free(&more), sic_ml_app_free(&fewer);
  }
  if (c_ok) sic_ml_app_free(&cpu);
  if (g_ok) sic_ml_app_free(&gpu);
  return CHECK_RESULT();
}
