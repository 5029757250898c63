/* Training through XGBoost's C API and conversion of a trained booster into the native layout.
 *
 * XGBoost is used at training time only (and by the tests and the benchmark, to check that
 * the native evaluator in gbdt.c predicts what XGBoost predicts). Regression on whatever label
 * the caller gives (the trainer passes log-durations), squared error, early stopping on a
 * caller-given validation set.
 *
 * Ownership: a sic_xgb_booster is an XGBoost BoosterHandle owned by the caller and released with
 * sic_xgb_free. sic_xgb_to_gbdt fills a caller-owned sic_gbdt (free with sic_gbdt_free). */
#ifndef SIC_ML_XGB_H
#define SIC_ML_XGB_H

#include <stdint.h>

#include "core/error.h"
#include "ml/gbdt.h"

typedef void *sic_xgb_booster;          /* XGBoost BoosterHandle */

typedef struct sic_xgb_params {
  int max_depth;                        /* tree depth limit */
  double eta;                           /* learning rate */
  int max_rounds;                       /* boosting rounds without early stop */
  int early_stop;                       /* stop after this many rounds without validation gain; 0 = off */
  double subsample;                     /* row sampling per tree */
  double colsample;                     /* column sampling per tree */
  double min_child_weight;              /* minimum hessian sum in a leaf */
  double lambda;                        /* L2 regularisation of leaf weights */
  int nthread;                          /* XGBoost threads */
  int seed;                             /* random seed (sampling) */
  const char *tree_method;              /* XGBoost tree_method; NULL = "exact" (small data) */
  const char *monotone;                 /* XGBoost monotone_constraints "(1,0,-1,...)", NULL = none */
} sic_xgb_params;

/* Defaults suited to the small real corpus (a few hundred stages): shallow trees extrapolate
 * to unseen input sizes far better there than depth 6 (CV figures in docs/prediction.md). */
void sic_xgb_params_default(sic_xgb_params *p);

/* Train on X[n x nf] (row-major, NaN = missing) with labels y. When nval > 0, the rounds stop
 * early on the validation RMSE and the booster is cut back to the best round (*rounds_out).
 * base_score is set to the mean label. */
int sic_xgb_train(const float *X, const float *y, int64_t n, int nf, const float *Xval,
                  const float *yval, int64_t nval, const sic_xgb_params *p, sic_xgb_booster *out,
                  int *rounds_out, sic_err *err);
void sic_xgb_free(sic_xgb_booster b);

/* XGBoost's own prediction (margin) for X[n x nf], through XGBoosterPredictFromDense. */
int sic_xgb_predict(sic_xgb_booster b, const float *X, int64_t n, int nf, float *out, sic_err *err);

/* Convert: read the booster's JSON model (exact float thresholds) into out; the caller sets
 * out->name/feature_names/feature_version/resid_* afterwards (nfeatures is set to nf). */
int sic_xgb_to_gbdt(sic_xgb_booster b, int nf, sic_gbdt *out, sic_err *err);

#endif
