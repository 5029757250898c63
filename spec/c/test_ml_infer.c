/* Native GBDT inference equals XGBoost's own predictions, and the model file round-trips.
 *
 * A ~300-tree depth-6 booster is trained with XGBoost on synthetic rows (with missing values,
 * so default directions are exercised), converted to the native layout, saved, loaded back, and
 * evaluated on 5000 unseen rows one at a time and in batch: every prediction must be within a
 * relative 1e-5 of XGBoosterPredictFromDense's, with every evaluator (scalar, AVX2, AVX-512)
 * this CPU runs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "ml/gbdt.h"
#include "ml/xgb.h"

enum { NF = 12, NTRAIN = 3000, NTEST = 5000 };

static uint64_t rng = 88172645463325252ull;
static double urand(void) { /* xorshift64: reproducible without libc's rand state */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}

/* Rows with a nonlinear target; ~5% of values missing. */
static void make_rows(float *X, float *y, int n) {
  for (int i = 0; i < n; i++) {
    float *r = X + (size_t)i * NF;
    for (int j = 0; j < NF; j++) r[j] = (float)(urand() * 10 - 3);
    double t = sin(r[0]) * 2 + (r[1] > 2 ? r[2] * r[3] : -r[4]) + log1p(fabs(r[5])) + 0.1 * urand();
    for (int j = 0; j < NF; j++)
      if (urand() < 0.05) r[j] = NAN;
    if (y) y[i] = (float)t;
  }
}

static double max_rel_diff(const float *a, const float *b, int n) {
  double worst = 0;
  for (int i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), 1e-6);
    if (!(d <= worst)) worst = d; /* NaN counts as the worst */
  }
  return worst;
}

int main(void) {
  float *X = malloc(sizeof(float) * NF * NTRAIN), *y = malloc(sizeof(float) * NTRAIN);
  float *T = malloc(sizeof(float) * NF * NTEST);
  float *ref = malloc(sizeof(float) * NTEST), *one = malloc(sizeof(float) * NTEST);
  float *bat = malloc(sizeof(float) * NTEST);
  make_rows(X, y, NTRAIN);
  make_rows(T, NULL, NTEST);

  sic_xgb_params p;
  sic_xgb_params_default(&p);
  p.max_rounds = 300;
  p.early_stop = 0;
  p.eta = 0.1;
  p.max_depth = 6;
  p.min_child_weight = 1;
  p.tree_method = "hist"; /* 300 deep rounds with "exact" take a minute on a busy machine */
  sic_err err = {0};
  sic_xgb_booster bst = NULL;
  int rounds = 0;
  CHECK(sic_xgb_train(X, y, NTRAIN, NF, NULL, NULL, 0, &p, &bst, &rounds, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(rounds, 300);

  sic_gbdt g;
  CHECK(sic_xgb_to_gbdt(bst, NF, &g, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(g.ntrees, 300);
  CHECK(g.max_depth == 6, "max depth %d", g.max_depth);
  CHECK(g.flat_depth == 6, "padded layout depth %d", g.flat_depth);
  g.name = strdup("stage");
  g.feature_names = calloc(NF, sizeof(char *));
  for (int j = 0; j < NF; j++) {
    char nm[16];
    snprintf(nm, sizeof nm, "f%d", j);
    g.feature_names[j] = strdup(nm);
  }
  g.feature_version = 1;

  /* through a file: what is saved is what predicts */
  const char *path = "/tmp/sic_test_ml_infer.sic";
  CHECK(sic_ml_file_save(path, &g, 1, "{\"test\":true}", &err) == 0, "%s", err.msg);
  sic_ml_file *mf = NULL;
  CHECK(sic_ml_file_load(path, &mf, &err) == 0, "%s", err.msg);
  const sic_gbdt *loaded = mf ? sic_ml_file_booster(mf, "stage") : NULL;
  CHECK(loaded != NULL);
  if (loaded) {
    CHECK(sic_xgb_predict(bst, T, NTEST, NF, ref, &err) == 0, "%s", err.msg);
    for (int i = 0; i < NTEST; i++) one[i] = sic_gbdt_predict_row(loaded, T + (size_t)i * NF);
    sic_gbdt_predict_batch(loaded, T, NTEST, bat);
    double d1 = max_rel_diff(one, ref, NTEST), d2 = max_rel_diff(bat, ref, NTEST);
    printf("max relative difference vs XGBoost over %d rows: single %.3g, batch %.3g\n", NTEST, d1, d2);
    CHECK(d1 <= 1e-5, "single-row max relative difference %g", d1);
    CHECK(d2 <= 1e-5, "batch max relative difference %g", d2);
    /* a row with every feature missing still predicts (default directions only) */
    float miss[NF];
    for (int j = 0; j < NF; j++) miss[j] = NAN;
    float r1, r2;
    sic_xgb_predict(bst, miss, 1, NF, &r1, &err);
    r2 = sic_gbdt_predict_row(loaded, miss);
    CHECK(fabs(r1 - r2) <= 1e-5 * fmax(1, fabs(r1)), "all-missing row %g vs %g", r2, r1);
    CHECK_EQ_STR(mf->meta, "{\"test\":true}");
    /* every evaluator this CPU runs (scalar, AVX2, AVX-512) predicts what XGBoost predicts */
    for (int k = 0; k < SIC_GBDT_KERNEL_COUNT; k++) {
      sic_gbdt kb = *loaded; /* shares the loaded arrays; only the kernel choice differs */
      if (sic_gbdt_set_kernel(&kb, (sic_gbdt_kernel)k) != 0) {
        printf("kernel %s: not available on this CPU\n", sic_gbdt_kernel_name(k));
        continue;
      }
      for (int i = 0; i < NTEST; i++) one[i] = sic_gbdt_predict_row(&kb, T + (size_t)i * NF);
      sic_gbdt_predict_batch(&kb, T, NTEST, bat);
      double k1 = max_rel_diff(one, ref, NTEST), k2 = max_rel_diff(bat, ref, NTEST);
      printf("kernel %s vs XGBoost: single %.3g, batch %.3g\n", sic_gbdt_kernel_name(k), k1, k2);
      CHECK(k1 <= 1e-5 && k2 <= 1e-5, "kernel %s: single %g, batch %g", sic_gbdt_kernel_name(k), k1, k2);
    }
    /* the node walk used for models too deep to pad gives the same results */
    sic_gbdt walk = *loaded;
    walk.flat_depth = 0;
    for (int i = 0; i < NTEST; i++) one[i] = sic_gbdt_predict_row(&walk, T + (size_t)i * NF);
    sic_gbdt_predict_batch(&walk, T, NTEST, bat);
    CHECK(max_rel_diff(one, ref, NTEST) <= 1e-5 && max_rel_diff(bat, ref, NTEST) <= 1e-5, "node walk differs");
  }
  sic_ml_file_free(mf);
  sic_gbdt_free(&g);
  sic_xgb_free(bst);
  remove(path);
  free(X), free(y), free(T), free(ref), free(one), free(bat);
  return CHECK_RESULT();
}
