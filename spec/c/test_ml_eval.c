/* Evaluation of the runtime predictor on every real event log, as a test.
 *
 * Grouped-by-application 5-fold CV of the stage model next to the baselines fitted on the same
 * folds (Ernest-style NNLS on bytes/slots/waves, training median); extrapolation to the largest
 * inputs; the DAG simulation fed actual stage times. Fails when the stage model stops beating
 * the best baseline on held-out applications, or the simulation stops reproducing runtimes.
 * Prints every figure (docs/prediction.md quotes them). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "ml/eval.h"

static void show(const char *what, const sic_ml_metrics *m) {
  printf("  %-36s n=%-4d median q %6.2f  p90 q %7.2f  MAPE %8.1f%%\n", what, m->n, m->q_median, m->q_p90,
         100 * m->mape);
}

static void show_scores(const char *title, const sic_ml_scores *s) {
  printf("%s\n", title);
  show("stage: GBDT", &s->stage_gbdt);
  show("stage: NNLS (Ernest)", &s->stage_nnls);
  show("stage: median", &s->stage_median);
  show("app: stage GBDT + simulation", &s->app_sim);
  show("app: app GBDT", &s->app_gbdt);
  show("app: NNLS (Ernest)", &s->app_nnls);
  show("app: median", &s->app_median);
}

int main(void) {
  const char *shared = check_shared_data_or_skip("test_ml_eval");
  char path[4096];
  snprintf(path, sizeof path, "%s/spark-events", shared);
  char *paths[] = {path};
  sic_ml_corpus c;
  sic_err err = {0};
  CHECK(sic_ml_corpus_load(paths, 1, &c, stderr, &err) == 0, "%s", err.msg);
  CHECK(c.napps >= 60, "only %d applications loaded from %s", c.napps, path);
  sic_xgb_params p;
  sic_xgb_params_default(&p);
  sic_ml_eval ev;
  int rc = sic_ml_evaluate(&c, &p, 5, &ev, &err);
  CHECK(rc == 0, "%s", err.msg);
  if (rc == 0) {
    printf("%d logs, %d distinct applications, %d timed stages, %d timed applications, %d folds\n", ev.napps,
           ev.ngroups, ev.nstage_rows, ev.napp_rows, ev.folds);
    show_scores("interpolation (held-out applications)", &ev.interp);
    show_scores("extrapolation (largest 25% of inputs held out)", &ev.extrap);
    show("app: simulation of actual stage times", &ev.app_sim_actual);
    const sic_ml_scores *s = &ev.interp;
    double best = fmin(s->stage_nnls.q_median, s->stage_median.q_median);
    printf("stage model vs best baseline (median q-error): %.2f vs %.2f = %.0f%% better\n", s->stage_gbdt.q_median,
           best, 100 * (1 - s->stage_gbdt.q_median / best));
    CHECK(s->stage_gbdt.n == ev.nstage_rows, "every timed stage is predicted out of fold (%d of %d)",
          s->stage_gbdt.n, ev.nstage_rows);
    CHECK(s->stage_gbdt.q_median < best, "stage GBDT median q-error %.2f does not beat the best baseline %.2f",
          s->stage_gbdt.q_median, best);
    CHECK(s->stage_gbdt.q_p90 < fmin(s->stage_nnls.q_p90, s->stage_median.q_p90),
          "stage GBDT p90 q-error %.2f does not beat the baselines", s->stage_gbdt.q_p90);
    CHECK(ev.extrap.stage_gbdt.q_median < fmin(ev.extrap.stage_nnls.q_median, ev.extrap.stage_median.q_median),
          "extrapolation: stage GBDT %.2f does not beat the baselines", ev.extrap.stage_gbdt.q_median);
    /* the simulation must reproduce runtimes from actual stage times closely */
    CHECK(ev.app_sim_actual.q_median <= 1.05 && ev.app_sim_actual.q_p90 <= 1.25,
          "simulation of actual stage times: median q %.3f p90 q %.3f", ev.app_sim_actual.q_median,
          ev.app_sim_actual.q_p90);
    /* intervals come from residuals: the 10th percentile is below the 90th */
    CHECK(ev.stage_resid_lo < 0 && ev.stage_resid_hi > 0, "%g %g", ev.stage_resid_lo, ev.stage_resid_hi);
  }
  sic_ml_corpus_free(&c);
  return CHECK_RESULT();
}
