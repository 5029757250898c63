/* Evaluation of the runtime predictor on every real event log, as a test.
 *
 * Grouped-by-application 5-fold CV of the stage model (Ernest residual, settings chosen inside
 * each fold's training applications) next to the baselines fitted on the same folds
 * (Ernest-style NNLS on bytes/slots/waves, training median); extrapolation to the largest
 * inputs; the DAG simulation fed actual stage times. Fails when the stage model stops beating
 * the best baseline by the measured margin on held-out applications, or the simulation stops
 * reproducing runtimes. Prints every figure and the breakdown by stage time, master and
 * application (docs/prediction.md quotes them).
 * ctest-label: needs-shared-data (every part reads the real data; skipped, exit 77, without it) */
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
  sic_ml_search search;
  sic_ml_search_default(&search);
  int rc = sic_ml_evaluate(&c, &p, &search, 5, &ev, &err);
  CHECK(rc == 0, "%s", err.msg);
  if (rc == 0) {
    printf("%d logs, %d distinct applications, %d timed stages, %d timed applications, %d folds\n", ev.napps,
           ev.ngroups, ev.nstage_rows, ev.napp_rows, ev.folds);
    show_scores("interpolation (held-out applications)", &ev.interp);
    show_scores("extrapolation (largest 25% of inputs held out)", &ev.extrap);
    show("app: simulation of actual stage times", &ev.app_sim_actual);
    printf("stage model chosen by inner grouped CV on the training folds:");
    for (int f = 0; f < ev.folds; f++)
      printf(" [fold %d: depth %d, deployment features %s, inner q %.2f]", f, ev.choice[f].max_depth,
             ev.choice[f].blank_deployment ? "blanked" : "kept", ev.choice[f].inner_q);
    printf(" [extrapolation: depth %d, %s]\n", ev.extrap_choice.max_depth, ev.extrap_choice.blank_deployment ? "blanked" : "kept");
    printf("interpolation strata (extra rows; the headline is all stages):\n");
    for (int k = 0; k < SIC_ML_STRATA; k++) {
      printf(" %s\n", sic_ml_strata_names[k]);
      show("  GBDT", &ev.strata[k].gbdt), show("  NNLS", &ev.strata[k].nnls), show("  median", &ev.strata[k].median);
    }
    printf("per application (median over the %d applications of their stages' median q): GBDT %.2f, NNLS %.2f, median %.2f\n",
           ev.per_app_gbdt.n, ev.per_app_gbdt.q_median, ev.per_app_nnls.q_median, ev.per_app_median.q_median);
    printf("applications by share of the GBDT's total log q-error:\n");
    for (int32_t i = 0; i < ev.nby_app && i < 12; i++) {
      const sic_ml_app_errors *e = &ev.by_app[i];
      printf("  %5.1f%%  %-28.28s %-32.32s %s stages %3d  median %7.0f ms  q GBDT %6.2f NNLS %6.2f median %6.2f\n",
             100 * e->share, e->name, e->app_id, e->is_local ? "local  " : "cluster", e->nstages, e->median_ms, e->gbdt_q,
             e->nnls_q, e->median_q);
    }
    const sic_ml_scores *s = &ev.interp;
    double best = fmin(s->stage_nnls.q_median, s->stage_median.q_median);
    printf("stage model vs best baseline (median q-error): %.2f vs %.2f = %.0f%% better\n", s->stage_gbdt.q_median,
           best, 100 * (1 - s->stage_gbdt.q_median / best));
    printf("resampling applications (bootstrap, 10th..90th pct): GBDT median q %.2f..%.2f, gain over the better "
           "baseline %.0f%%..%.0f%%\n", ev.boot_q_lo, ev.boot_q_hi, 100 * ev.boot_gain_lo, 100 * ev.boot_gain_hi);
    CHECK(ev.boot_q_lo <= s->stage_gbdt.q_median * 1.5 && ev.boot_q_hi >= s->stage_gbdt.q_median / 1.5 &&
              ev.boot_q_lo < ev.boot_q_hi,
          "bootstrap range %.2f..%.2f does not surround %.2f", ev.boot_q_lo, ev.boot_q_hi, s->stage_gbdt.q_median);
    CHECK(s->stage_gbdt.n == ev.nstage_rows, "every timed stage is predicted out of fold (%d of %d)",
          s->stage_gbdt.n, ev.nstage_rows);
    /* measured 2026-11-25: 4.24 vs 5.51 (23% better); fail when the margin drops below 15% */
    CHECK(s->stage_gbdt.q_median < 0.85 * best,
          "stage GBDT median q-error %.2f is not 15%% better than the best baseline %.2f", s->stage_gbdt.q_median, best);
    /* per application, each counted once (measured 3.60 vs 5.46) */
    CHECK(ev.per_app_gbdt.q_median < fmin(ev.per_app_nnls.q_median, ev.per_app_median.q_median),
          "per-application median q-error %.2f does not beat the baselines", ev.per_app_gbdt.q_median);
    /* the breakdown covers every scored stage: the four time buckets and the two masters partition them */
    int nb = 0, nm = ev.strata[5].gbdt.n + ev.strata[6].gbdt.n, nshare = 0;
    for (int k = 0; k < 4; k++) nb += ev.strata[k].gbdt.n;
    double share = 0;
    for (int32_t i = 0; i < ev.nby_app; i++) share += ev.by_app[i].share, nshare += ev.by_app[i].nstages;
    CHECK(nb == s->stage_gbdt.n && nm == s->stage_gbdt.n && nshare == s->stage_gbdt.n, "strata %d %d apps %d of %d",
          nb, nm, nshare, s->stage_gbdt.n);
    CHECK(ev.nby_app == ev.ngroups && fabs(share - 1) < 1e-9, "%d applications, shares sum to %g", ev.nby_app, share);
    for (int f = 0; f < ev.folds; f++)
      CHECK(ev.choice[f].max_depth == p.max_depth && isfinite(ev.choice[f].inner_q), "fold %d: no inner-CV choice", f);
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
  if (rc == 0) sic_ml_eval_free(&ev);
  sic_ml_corpus_free(&c);
  return CHECK_RESULT();
}
