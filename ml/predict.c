/* Runtime prediction for one application (see predict.h). */
#include "ml/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "ml/sim.h"

/* Number after "key": in the metadata JSON, or fallback (the metadata is ours, flat numbers). */
static double meta_number(const char *meta, const char *key, double fallback) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = meta ? strstr(meta, pat) : NULL;
  if (!p) return fallback;
  char *end;
  double v = strtod(p + strlen(pat), &end);
  return end == p + strlen(pat) || !isfinite(v) ? fallback : v;
}

static int32_t *map_columns(const sic_gbdt *b, const char *const *names, int n, int32_t *unknown) {
  int32_t *cols = malloc((size_t)b->nfeatures * sizeof *cols);
  for (int32_t j = 0; cols && j < b->nfeatures; j++) {
    cols[j] = -1;
    for (int k = 0; k < n; k++)
      if (!strcmp(b->feature_names[j], names[k])) cols[j] = k;
    if (cols[j] < 0) (*unknown)++;
  }
  return cols;
}

int sic_ml_predictor_from_file(sic_ml_file *file, const char *what, sic_ml_predictor **out, sic_err *err) {
  *out = NULL;
  sic_ml_predictor *p = calloc(1, sizeof *p);
  if (!p) return sic_ml_file_free(file), sic_err_set(err, SIC_ENOMEM, "out of memory");
  p->file = file;
  p->stage = sic_ml_file_booster(file, "stage");
  p->app = sic_ml_file_booster(file, "app");
  int rc = 0;
  if (!p->stage) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: model file has no 'stage' booster", what);
    goto error;
  }
  const sic_gbdt *bs[2] = {p->stage, p->app};
  for (int i = 0; i < 2; i++)
    if (bs[i] && bs[i]->feature_version != SIC_ML_FEATURE_VERSION) {
      rc = sic_err_set(err, SIC_EUNSUPPORTED,
                       "%s: booster '%s' uses feature set v%u, this build expects v%u: retrain with "
                       "`sic train`", what, bs[i]->name, bs[i]->feature_version, SIC_ML_FEATURE_VERSION);
      goto error;
    }
  p->stage_cols = map_columns(p->stage, sic_ml_stage_feature_names, SF__COUNT, &p->unknown_features);
  p->app_cols = p->app ? map_columns(p->app, sic_ml_app_feature_names, AF__COUNT, &p->unknown_features) : NULL;
  if (!p->stage_cols || (p->app && !p->app_cols)) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto error;
  }
  p->driver_ms_median = meta_number(file->meta, "driver_ms_median", 0);
  p->sim_resid_lo = meta_number(file->meta, "sim_resid_lo", p->stage->resid_lo);
  p->sim_resid_hi = meta_number(file->meta, "sim_resid_hi", p->stage->resid_hi);
  static const char *const base_keys[SIC_ML_ERNEST_TERMS] = {
    "stage_base_fixed_ms", "stage_base_ms_per_mb_per_slot", "stage_base_ms_per_log_slot", "stage_base_ms_per_wave"};
  p->has_stage_base = 1;
  for (int j = 0; j < SIC_ML_ERNEST_TERMS; j++) {
    p->stage_base_w[j] = meta_number(file->meta, base_keys[j], NAN);
    p->has_stage_base &= isfinite(p->stage_base_w[j]);
  }
  *out = p;
  return 0;
error:
  sic_ml_predictor_free(p);
  return rc;
}

int sic_ml_predictor_open(const char *path, sic_ml_predictor **out, sic_err *err) {
  sic_ml_file *f = NULL;
  *out = NULL;
  int rc = sic_ml_file_load(path, &f, err);
  return rc ? rc : sic_ml_predictor_from_file(f, path, out, err);
}

void sic_ml_predictor_free(sic_ml_predictor *p) {
  if (!p) return;
  sic_ml_file_free(p->file);
  free(p->stage_cols);
  free(p->app_cols);
  free(p);
}

/* Booster margin for builder features x, columns reordered by name (unknown -> NaN). */
static float margin(const sic_gbdt *b, const int32_t *cols, const float *x) {
  float stack[128] = {0}, *row = b->nfeatures <= 128 ? stack : malloc((size_t)b->nfeatures * sizeof *row);
  if (!row) return NAN;
  for (int32_t j = 0; j < b->nfeatures; j++) row[j] = cols[j] >= 0 ? x[cols[j]] : NAN;
  float m = sic_gbdt_predict_row(b, row);
  if (row != stack) free(row);
  return m;
}

float sic_ml_predict_stage_log(const sic_ml_predictor *p, const float *x) {
  double base = 0;
  if (p->has_stage_base) {
    double t[SIC_ML_ERNEST_TERMS], ms = 0;
    sic_ml_ernest_terms(x, t);
    for (int j = 0; j < SIC_ML_ERNEST_TERMS; j++) ms += p->stage_base_w[j] * t[j];
    base = log(fmax(ms, 1));
  }
  return (float)(margin(p->stage, p->stage_cols, x) + base);
}

static int alloc_result(sic_ml_prediction *r, int32_t n) {
  size_t m = (size_t)(n ? n : 1);
  r->stage_ms = calloc(m, sizeof(double));
  r->stage_lo_ms = calloc(m, sizeof(double));
  r->stage_hi_ms = calloc(m, sizeof(double));
  r->stage_observed_ms = calloc(m, sizeof(double));
  r->stage_id = calloc(m, sizeof(int32_t));
  r->nstages = n;
  return r->stage_ms && r->stage_lo_ms && r->stage_hi_ms && r->stage_observed_ms && r->stage_id ? 0 : SIC_ENOMEM;
}

int sic_ml_predict(const sic_ml_predictor *p, const sic_app *app, const sic_ml_whatif *wi,
                   sic_ml_prediction *out, sic_err *err) {
  sic_ml_app a;
  memset(out, 0, sizeof *out);
  int rc = sic_ml_app_build(app, wi, &a, err);
  if (rc) return rc;
  if (alloc_result(out, a.nstages)) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  for (int32_t i = 0; i < a.nstages; i++) {
    const sic_ml_stage_row *s = &a.stages[i];
    out->stage_id[i] = s->stage_id;
    out->stage_observed_ms[i] = s->duration_ms;
    if (s->duration_ms < 0 && s->num_tasks <= 0) continue; /* never ran: no time */
    /* the model predicts the stage on its logged slots; other slots change its waves */
    double lg = sic_ml_predict_stage_log(p, s->x) + log(s->wave_scale);
    out->stage_ms[i] = exp(lg);
    out->stage_lo_ms[i] = exp(lg + p->stage->resid_lo);
    out->stage_hi_ms[i] = exp(lg + p->stage->resid_hi);
  }
  /* an existing run keeps its own driver time; a log without timing gets the corpus median */
  out->driver_ms = a.runtime_ms > 0 ? a.driver_ms : p->driver_ms_median;
  out->slots = a.slots;
  out->executors = (int32_t)a.x[AF_EXECUTORS];
  out->app_ms = sic_ml_simulate(&a, out->stage_ms, a.slots, out->driver_ms);
  out->lo_ms = out->app_ms * exp(p->sim_resid_lo);
  out->hi_ms = out->app_ms * exp(p->sim_resid_hi);
  out->app_gbdt_ms = p->app ? exp(margin(p->app, p->app_cols, a.x)) : NAN;
  out->observed_ms = a.runtime_ms;
  if (out->app_ms < 0) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
done:
  sic_ml_app_free(&a);
  if (rc) sic_ml_prediction_free(out);
  return rc;
}

void sic_ml_prediction_free(sic_ml_prediction *r) {
  free(r->stage_ms), free(r->stage_lo_ms), free(r->stage_hi_ms), free(r->stage_observed_ms), free(r->stage_id);
  memset(r, 0, sizeof *r);
}

int sic_ml_predict_summary(const sic_ml_predictor *p, const sic_app *app, int executors, int cores,
                           double input_scale, sic_ml_summary *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (!p || !app) return sic_err_set(err, SIC_EINVAL, "sic.ml.predict: no model or no application");
  sic_ml_whatif wi = {.executors = executors > 0 ? executors : 0, .cores = cores > 0 ? cores : 0,
                      .input_scale = input_scale > 0 ? input_scale : 1};
  sic_ml_prediction r;
  int rc = sic_ml_predict(p, app, &wi, &r, err);
  if (rc) return rc;
  out->predicted_ms = r.app_ms, out->low_ms = r.lo_ms, out->high_ms = r.hi_ms;
  out->app_model_ms = r.app_gbdt_ms, out->observed_ms = r.observed_ms, out->driver_ms = r.driver_ms;
  out->slots = r.slots, out->executors = r.executors, out->nstages = r.nstages;
  out->unknown_features = p->unknown_features;
  sic_ml_prediction_free(&r);
  return 0;
}

/* ---- Quantiles (prediction intervals here, the commands and the evaluation) ---- */

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double sic_ml_quantile(double *v, int n, double q) {
  if (n <= 0) return NAN;
  sic_qsort(v, (size_t)n, sizeof *v, cmp_dbl);
  double pos = q * (n - 1);
  int lo = (int)floor(pos);
  int hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
