/* Inference benchmark: native GBDT (ml/gbdt.c) vs XGBoost's XGBoosterPredictFromDense, same
 * model, same rows, same run.
 *
 * Input: a 300-tree depth-6 booster trained here by XGBoost (hist) on 20000 synthetic rows of
 * 44 features (the width of the stage feature set) with 5% missing values. Figures:
 *  - model load: sic_ml_file_load of the saved model (best of 50), target <= 10 ms;
 *  - single row: one prediction per call, native vs XGBoost, target <= 3 us and >= 10x;
 *  - batch: 20000 rows per call, ns per tree per row, target <= 5 ns;
 *  - agreement: max relative difference over the batch (must be <= 1e-5).
 * XGBoost runs with nthread=1 so both sides use one core; times are process CPU time (the
 * benchmark machine is shared and wall time would include other jobs).
 * usage: bench_ml [ROWS]   prints a RESULT line for bench scripts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

#include "ml/gbdt.h"
#include "ml/xgb.h"

enum { NF = 44, NTREES = 300, DEPTH = 6 };

/* CPU time of the process: the machine is shared, and wall time would count other jobs. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}

static void make_rows(float *X, float *y, int n) {
  for (int i = 0; i < n; i++) {
    float *r = X + (size_t)i * NF;
    for (int j = 0; j < NF; j++) r[j] = (float)(urand() * 20);
    double t = log1p(r[0]) * 3 + (r[1] > 10 ? r[2] : -r[3]) + sin(r[4]) + r[5] * r[6] / 50 + urand();
    for (int j = 0; j < NF; j++)
      if (urand() < 0.05) r[j] = NAN;
    if (y) y[i] = (float)t;
  }
}

static int train(int n, sic_gbdt *g, sic_xgb_booster *bst) {
  float *X = malloc(sizeof(float) * NF * n), *y = malloc(sizeof(float) * n);
  make_rows(X, y, n);
  sic_xgb_params p;
  sic_xgb_params_default(&p);
  p.max_depth = DEPTH, p.max_rounds = NTREES, p.early_stop = 0, p.eta = 0.05, p.nthread = 1;
  p.min_child_weight = 1, p.tree_method = "hist";
  sic_err err = {0};
  int rc = sic_xgb_train(X, y, n, NF, NULL, NULL, 0, &p, bst, NULL, &err);
  if (!rc) rc = sic_xgb_to_gbdt(*bst, NF, g, &err);
  if (rc) fprintf(stderr, "bench_ml: %s\n", err.msg);
  free(X), free(y);
  return rc;
}

static void name_features(sic_gbdt *g) {
  g->name = strdup("stage");
  g->feature_names = calloc(NF, sizeof(char *));
  for (int j = 0; j < NF; j++) {
    char nm[16];
    snprintf(nm, sizeof nm, "f%d", j);
    g->feature_names[j] = strdup(nm);
  }
}

static double load_ms(const char *path, sic_ml_file **keep) {
  double best = 1e9;
  for (int i = 0; i < 50; i++) {
    sic_ml_file *f = NULL;
    sic_err err = {0};
    double t = now_s();
    if (sic_ml_file_load(path, &f, &err)) {
      fprintf(stderr, "bench_ml: %s\n", err.msg);
      exit(1);
    }
    t = now_s() - t;
    if (t < best) best = t;
    if (i == 49) *keep = f;
    else sic_ml_file_free(f);
  }
  return best * 1e3;
}

int main(int argc, char **argv) {
  int nrows = argc > 1 ? atoi(argv[1]) : 20000;
  if (nrows < 100) nrows = 100;
  sic_gbdt g;
  sic_xgb_booster bst = NULL;
  XGBSetGlobalConfig("{\"verbosity\": 0, \"nthread\": 1}");
  if (train(nrows, &g, &bst)) return 1;
  name_features(&g);
  const char *path = "/tmp/sic_bench_ml.sic";
  sic_err err = {0};
  if (sic_ml_file_save(path, &g, 1, "{}", &err)) return fprintf(stderr, "bench_ml: %s\n", err.msg), 1;
  sic_ml_file *mf = NULL;
  double load = load_ms(path, &mf);
  const sic_gbdt *m = &mf->boosters[0];
  XGBoosterSetParam(bst, "nthread", "1");

  float *T = malloc(sizeof(float) * NF * nrows), *ref = malloc(sizeof(float) * nrows);
  float *nat = malloc(sizeof(float) * nrows);
  make_rows(T, NULL, nrows);

  /* single row */
  int calls = 200000;
  volatile float sink = 0;
  double t = now_s();
  for (int i = 0; i < calls; i++) sink += sic_gbdt_predict_row(m, T + (size_t)(i % nrows) * NF);
  double native_row_us = (now_s() - t) / calls * 1e6;
  int xcalls = 5000;
  float one;
  t = now_s();
  for (int i = 0; i < xcalls; i++) sic_xgb_predict(bst, T + (size_t)(i % nrows) * NF, 1, NF, &one, &err);
  double xgb_row_us = (now_s() - t) / xcalls * 1e6;

  /* batch */
  double nb = 1e9, xb = 1e9;
  for (int rep = 0; rep < 5; rep++) {
    t = now_s();
    sic_gbdt_predict_batch(m, T, nrows, nat);
    double d = now_s() - t;
    if (d < nb) nb = d;
    t = now_s();
    sic_xgb_predict(bst, T, nrows, NF, ref, &err);
    d = now_s() - t;
    if (d < xb) xb = d;
  }
  double worst = 0;
  for (int i = 0; i < nrows; i++) {
    double rel = fabs((double)nat[i] - ref[i]) / fmax(fabs((double)ref[i]), 1e-6);
    if (!(rel <= worst)) worst = rel;
  }
  double ns_tree_row = nb / ((double)nrows * m->ntrees) * 1e9;
  double xgb_ns_tree_row = xb / ((double)nrows * m->ntrees) * 1e9;
  printf("model: %d trees, max depth %d, %d features, %zu nodes; %d rows (5%% missing)\n", m->ntrees,
         m->max_depth, NF, (size_t)m->tree_off[m->ntrees], nrows);
  printf("model load            %8.3f ms            (target <= 10 ms)\n", load);
  printf("single row  native    %8.3f us   XGBoost %8.2f us   speed-up %5.1fx  (target <= 3 us, >= 10x)\n",
         native_row_us, xgb_row_us, xgb_row_us / native_row_us);
  printf("batch       native    %8.2f ns/tree/row   XGBoost %6.2f ns/tree/row  speed-up %4.1fx  (target <= 5 ns)\n",
         ns_tree_row, xgb_ns_tree_row, xgb_ns_tree_row / ns_tree_row);
  printf("agreement   max relative difference native vs XGBoost: %.3g (must be <= 1e-5)\n", worst);
  printf("RESULT load_ms=%.3f row_us=%.3f xgb_row_us=%.2f batch_ns_tree_row=%.2f xgb_batch_ns_tree_row=%.2f "
         "max_rel_diff=%.3g\n", load, native_row_us, xgb_row_us, ns_tree_row, xgb_ns_tree_row, worst);
  sic_ml_file_free(mf);
  sic_gbdt_free(&g);
  sic_xgb_free(bst);
  free(T), free(ref), free(nat);
  remove(path);
  return worst <= 1e-5 ? 0 : 1;
}
