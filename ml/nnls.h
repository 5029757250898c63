/* Ernest-style baselines by non-negative least squares, for training (ml_train): the stage
 * model learns a correction on top of the stage baseline, and both baselines are scored next
 * to the GBDT in the evaluation (ml/eval.c).
 *
 * Ownership: plain values; ml_stage_nnls_fit allocates only scratch memory it frees. */
#ifndef SIC_ML_NNLS_H
#define SIC_ML_NNLS_H

#include "ml/features.h"

enum { NNLS_MAX = 6 };

typedef struct nnls_model {
  int k;                                /* coefficients */
  double theta[NNLS_MAX];               /* non-negative weights on scaled columns */
  double scale[NNLS_MAX];               /* column scale (RMS) used for conditioning */
} nnls_model;

/* Ernest's terms: fixed cost, data per slot, log of slots, waves of tasks. */
enum { STAGE_NNLS_K = 4, APP_NNLS_K = 5 };

/* Projected coordinate descent on the normal equations: min sum ((A t - b) / b)^2, t >= 0
 * over n rows of k columns (k <= NNLS_MAX). */
void ml_nnls_fit(const double *A, const double *b, int n, int k, nnls_model *m);
/* The fitted model's estimate for one row of its k columns. */
double ml_nnls_predict(const nnls_model *m, const double *row);
/* A stage's Ernest terms (STAGE_NNLS_K columns) from its builder features x. */
void ml_stage_nnls_row(const float *x, double *row);
/* Fit the stage baseline on n rows of nf features (X) and their times (ms); SIC_ENOMEM. */
int ml_stage_nnls_fit(const float *X, int nf, const double *ms, int n, nnls_model *m);
/* Log of the stage baseline for features x, floored at 1 ms: the stage GBDT's offset. */
double ml_stage_base_log(const nnls_model *m, const float *x);
/* An application's terms (APP_NNLS_K columns): Ernest's plus its number of stages. */
void ml_app_nnls_row(const sic_ml_app *a, double *row);

#endif
