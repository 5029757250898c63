/* The evaluation as the model file's metadata JSON (see eval.h: sic_ml_eval_json). */
#include "ml/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/write.h"

static void jw_metrics(sic_jw *w, const char *key, const sic_ml_metrics *m) {
  sic_jw_kobj(w, key);
  sic_jw_kint(w, "n", m->n);
  sic_jw_kdouble(w, "q_error_median", m->q_median);
  sic_jw_kdouble(w, "q_error_p90", m->q_p90);
  if (isfinite(m->mape)) sic_jw_kdouble(w, "mape", m->mape); /* none for per-application rows */
  sic_jw_end(w);
}

static void jw_scores(sic_jw *w, const char *key, const sic_ml_scores *s) {
  sic_jw_kobj(w, key);
  jw_metrics(w, "stage_gbdt", &s->stage_gbdt);
  jw_metrics(w, "stage_nnls", &s->stage_nnls);
  jw_metrics(w, "stage_median", &s->stage_median);
  jw_metrics(w, "app_stage_gbdt_simulated", &s->app_sim);
  jw_metrics(w, "app_gbdt", &s->app_gbdt);
  jw_metrics(w, "app_nnls", &s->app_nnls);
  jw_metrics(w, "app_median", &s->app_median);
  sic_jw_end(w);
}

char *sic_ml_eval_json(const sic_ml_corpus *c, const sic_ml_eval *ev, const char *sources) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.model/1");
  sic_jw_kint(&w, "feature_version", SIC_ML_FEATURE_VERSION);
  sic_jw_kint(&w, "trained_at", (int64_t)time(NULL));
  sic_jw_kobj(&w, "training_set");
  sic_jw_kstr(&w, "sources", sources ? sources : "");
  sic_jw_kint(&w, "applications", ev->napps);
  sic_jw_kint(&w, "distinct_applications", ev->ngroups);
  sic_jw_kint(&w, "timed_stages", ev->nstage_rows);
  sic_jw_kint(&w, "timed_applications", ev->napp_rows);
  sic_jw_kint(&w, "logs_failed", c->nfailed);
  /* the span of the applications trained on, so `sic predict` can say when a log is far outside */
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int32_t i = 0; i < c->napps; i++) {
    const double v[3] = {c->apps[i].slots, c->apps[i].input_bytes, c->apps[i].nstages};
    for (int k = 0; k < 3; k++)
      if (isfinite(v[k])) lo[k] = fmin(lo[k], v[k]), hi[k] = fmax(hi[k], v[k]);
  }
  static const char *const range_keys[3][2] = {{"range_slots_lo", "range_slots_hi"},
                                                {"range_input_bytes_lo", "range_input_bytes_hi"},
                                                {"range_stages_lo", "range_stages_hi"}};
  for (int k = 0; k < 3 && c->napps > 0; k++) {
    sic_jw_kdouble(&w, range_keys[k][0], lo[k]);
    sic_jw_kdouble(&w, range_keys[k][1], hi[k]);
  }
  sic_jw_end(&w);
  sic_jw_kint(&w, "cv_folds", ev->folds);
  sic_jw_kint(&w, "rounds_stage", ev->rounds_stage);
  sic_jw_kint(&w, "rounds_app", ev->rounds_app);
  sic_jw_kdouble(&w, "driver_ms_median", ev->driver_ms_median);
  sic_jw_kdouble(&w, "sim_resid_lo", ev->sim_resid_lo);
  sic_jw_kdouble(&w, "sim_resid_hi", ev->sim_resid_hi);
  /* the stage model predicts log(ms) - log(max(1, w . ernest_terms)): predict.c reads these */
  sic_jw_kdouble(&w, "stage_base_fixed_ms", ev->stage_base_w[0]);
  sic_jw_kdouble(&w, "stage_base_ms_per_mb_per_slot", ev->stage_base_w[1]);
  sic_jw_kdouble(&w, "stage_base_ms_per_log_slot", ev->stage_base_w[2]);
  sic_jw_kdouble(&w, "stage_base_ms_per_wave", ev->stage_base_w[3]);
  sic_jw_kobj(&w, "stage_model_choice");
  sic_jw_kint(&w, "max_depth", ev->final_choice.max_depth);
  sic_jw_kbool(&w, "deployment_features_blanked", ev->final_choice.blank_deployment);
  sic_jw_end(&w);
  jw_scores(&w, "interpolation", &ev->interp);
  sic_jw_kobj(&w, "interpolation_strata");
  for (int k = 0; k < SIC_ML_STRATA; k++) {
    sic_jw_kobj(&w, sic_ml_strata_keys[k]);
    jw_metrics(&w, "stage_gbdt", &ev->strata[k].gbdt);
    jw_metrics(&w, "stage_nnls", &ev->strata[k].nnls);
    jw_metrics(&w, "stage_median", &ev->strata[k].median);
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  sic_jw_kobj(&w, "interpolation_bootstrap"); /* applications resampled: 10th..90th percentiles */
  sic_jw_kdouble(&w, "stage_gbdt_q_error_median_lo", ev->boot_q_lo);
  sic_jw_kdouble(&w, "stage_gbdt_q_error_median_hi", ev->boot_q_hi);
  sic_jw_kdouble(&w, "gain_over_best_baseline_lo", ev->boot_gain_lo);
  sic_jw_kdouble(&w, "gain_over_best_baseline_hi", ev->boot_gain_hi);
  sic_jw_end(&w);
  sic_jw_kobj(&w, "interpolation_per_application"); /* each application's median q, then their median */
  jw_metrics(&w, "stage_gbdt", &ev->per_app_gbdt);
  jw_metrics(&w, "stage_nnls", &ev->per_app_nnls);
  jw_metrics(&w, "stage_median", &ev->per_app_median);
  sic_jw_end(&w);
  jw_scores(&w, "extrapolation", &ev->extrap);
  jw_metrics(&w, "app_simulation_with_actual_stage_times", &ev->app_sim_actual);
  sic_jw_end(&w);
  if (sic_jw_status(&w)) {
    sic_jw_free(&w);
    return NULL;
  }
  return w.buf; /* the writer's buffer becomes the caller's */
}
