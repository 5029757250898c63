/* Runtime prediction for one application log with a trained model file.
 *
 * Combines the "stage" booster (time of every stage that ran: the booster's log-residual on top
 * of the Ernest baseline saved in the metadata, from features rebuilt with the what-if input
 * scale, times the stage's wave_scale for the what-if executors/cores, see features.h) with the
 * DAG scheduler simulation (ml/sim.h) on the requested slots plus driver time, and gives an interval from the cross-validation residuals
 * saved in the model. The "app" booster's direct estimate is reported next to it.
 *
 * Features are matched by name: a model naming a feature this build does not compute gets NaN
 * (missing) for it and the count is reported; a model trained on another feature-set version
 * is refused with a message saying to retrain.
 *
 * Ownership: sic_ml_predictor_open returns a predictor owning its model file (free with
 * sic_ml_predictor_free); sic_ml_predict fills a caller-owned sic_ml_prediction whose stage
 * array is released by sic_ml_prediction_free. */
#ifndef SIC_ML_PREDICT_H
#define SIC_ML_PREDICT_H

#include "ml/features.h"
#include "ml/gbdt.h"

/* SIC_FFI_BEGIN */
typedef struct sic_ml_predictor sic_ml_predictor;  /* opaque to Lua */
/* SIC_FFI_END */
typedef struct sic_ml_predictor {
  sic_ml_file *file;                    /* the loaded model file (owned) */
  const sic_gbdt *stage;                /* "stage" booster inside file */
  const sic_gbdt *app;                  /* "app" booster inside file, NULL when absent */
  int32_t *stage_cols;                  /* model column -> sic_ml_stage_feature, -1 unknown */
  int32_t *app_cols;                    /* model column -> sic_ml_app_feature, -1 unknown */
  int32_t unknown_features;             /* model features this build does not compute */
  double driver_ms_median;              /* driver time assumed when a log has no timing */
  double sim_resid_lo, sim_resid_hi;    /* interval of the combined prediction (log space) */
  int32_t has_stage_base;               /* the stage booster learned a residual on an Ernest baseline */
  double stage_base_w[SIC_ML_ERNEST_TERMS]; /* that baseline: ms per Ernest term (metadata) */
} sic_ml_predictor;

typedef struct sic_ml_prediction {
  double app_ms;                        /* stage GBDT + DAG simulation + driver time */
  double lo_ms, hi_ms;                  /* 10th..90th percentile interval */
  double app_gbdt_ms;                   /* the app-level booster's direct estimate, NaN if none */
  double observed_ms;                   /* runtime in the log, -1 unknown */
  double driver_ms;                     /* driver time used */
  int32_t slots;                        /* executor x core slots simulated */
  int32_t executors;                    /* executors simulated */
  int32_t nstages;                      /* entries in stage_ms / stage_id */
  double *stage_ms;                     /* predicted time of each stage (0 = skipped) */
  double *stage_lo_ms, *stage_hi_ms;    /* per-stage interval */
  double *stage_observed_ms;            /* observed stage time, -1 unknown */
  int32_t *stage_id;                    /* stage ids */
} sic_ml_prediction;

/* SIC_FFI_BEGIN */
int sic_ml_predictor_open(const char *path, sic_ml_predictor **out, sic_err *err);
void sic_ml_predictor_free(sic_ml_predictor *p);
/* SIC_FFI_END */
int sic_ml_predictor_from_file(sic_ml_file *file, const char *what, sic_ml_predictor **out, sic_err *err);

/* Log ms of a stage as it ran (logged slots) for a row of SF__COUNT builder features: the
 * booster's margin plus the log of the Ernest baseline when the model has one. */
float sic_ml_predict_stage_log(const sic_ml_predictor *p, const float *x);

int sic_ml_predict(const sic_ml_predictor *p, const sic_app *app, const sic_ml_whatif *wi,
                   sic_ml_prediction *out, sic_err *err);
void sic_ml_prediction_free(sic_ml_prediction *r);

/* SIC_FFI_BEGIN */
/* Flat summary for the LuaJIT FFI (the SIC_FFI regions of this header are the cdef of the Lua
 * module sic.ml, registered with the host by ml/ml_lua.c). */
typedef struct sic_ml_summary {
  double predicted_ms;                  /* stage model + simulation + driver */
  double low_ms, high_ms;               /* 80% interval */
  double app_model_ms;                  /* app-level booster, NaN if none */
  double observed_ms;                   /* runtime in the log, -1 unknown */
  double driver_ms;                     /* driver time included */
  int32_t slots;                        /* slots simulated */
  int32_t executors;                    /* executors simulated */
  int32_t nstages;                      /* stages in the plan */
  int32_t unknown_features;             /* model features this build lacks (predicted as missing) */
} sic_ml_summary;

/* executors/cores 0 and input_scale <= 0 mean "as logged". */
int sic_ml_predict_summary(const sic_ml_predictor *p, const sic_app *app, int executors, int cores,
                           double input_scale, sic_ml_summary *out, sic_err *err);
/* SIC_FFI_END */

/* Register sic.ml with the Lua host (sic_lua_register_module); called by
 * sic_components_init(). Idempotent. */
void sic_ml_register(void);

/* Median/percentile by linear interpolation between order statistics (sorts v in place);
 * NAN when n <= 0. */
double sic_ml_quantile(double *v, int n, double q);

#endif
