/* Ernest-style baselines by non-negative least squares (see nnls.h). */
#include "ml/nnls.h"

#include <math.h>
#include <stdlib.h>

/* Projected coordinate descent on the normal equations: min sum ((A t - b) / b)^2, t >= 0.
 * Relative errors: unweighted, the few long stages would decide every coefficient and the
 * baseline would be needlessly weak on the many short ones. */
void ml_nnls_fit(const double *A, const double *b, int n, int k, nnls_model *m) {
  double G[NNLS_MAX][NNLS_MAX] = {{0}}, h[NNLS_MAX] = {0};
  m->k = k;
  for (int j = 0; j < k; j++) {
    double s = 0;
    for (int i = 0; i < n; i++) s += A[i * k + j] * A[i * k + j];
    m->scale[j] = n && s > 0 ? sqrt(s / n) : 1;
    m->theta[j] = 0;
  }
  for (int i = 0; i < n; i++) {
    double w = 1 / fmax(b[i], 1);
    for (int j = 0; j < k; j++) {
      double aj = A[i * k + j] / m->scale[j] * w;
      h[j] += aj * b[i] * w;
      for (int l = 0; l < k; l++) G[j][l] += aj * A[i * k + l] / m->scale[l] * w;
    }
  }
  for (int sweep = 0; sweep < 2000; sweep++)
    for (int j = 0; j < k; j++) {
      if (G[j][j] <= 0) continue;
      double g = -h[j];
      for (int l = 0; l < k; l++) g += G[j][l] * m->theta[l];
      m->theta[j] = fmax(0, m->theta[j] - g / G[j][j]);
    }
}

double ml_nnls_predict(const nnls_model *m, const double *row) {
  double v = 0;
  for (int j = 0; j < m->k; j++) v += m->theta[j] * row[j] / m->scale[j];
  return v;
}


void ml_stage_nnls_row(const float *x, double *row) {
  sic_ml_ernest_terms(x, row);
}

/* Fit the stage NNLS on rows' features and times. */
int ml_stage_nnls_fit(const float *X, int nf, const double *ms, int n, nnls_model *m) {
  double *A = malloc((size_t)(n + 1) * STAGE_NNLS_K * sizeof *A);
  if (!A) return SIC_ENOMEM;
  for (int i = 0; i < n; i++) ml_stage_nnls_row(X + (size_t)i * nf, A + i * STAGE_NNLS_K);
  ml_nnls_fit(A, ms, n, STAGE_NNLS_K, m);
  free(A);
  return 0;
}

/* Log of the Ernest baseline for a stage row: the stage model's offset (its trees learn the
 * log-residual). Floored at 1 ms like every time here. */
double ml_stage_base_log(const nnls_model *m, const float *x) {
  double row[STAGE_NNLS_K];
  ml_stage_nnls_row(x, row);
  return log(fmax(ml_nnls_predict(m, row), 1));
}

void ml_app_nnls_row(const sic_ml_app *a, double *row) {
  double slots = a->slots;
  row[0] = 1, row[1] = a->input_bytes / slots / 1e6, row[2] = log(slots), row[3] = a->x[AF_WAVES];
  row[4] = a->nstages;
}
