/* Inference benchmark: native GBDT (ml/gbdt.c, every kernel this CPU runs) vs XGBoost's
 * XGBoosterPredictFromDense, same model, same rows, same run.
 *
 * Input: a TREES-tree depth-DEPTH booster trained here by XGBoost (hist) on ROWS synthetic rows of 44
 * features (the width of the stage feature set) with 5% missing values; predictions are made
 * on ROWS other rows of the same kind. Figures, each the median of REPEATS timed repeats after
 * one untimed warm-up repeat:
 *  - model load: sic_ml_file_load of the saved model, target <= 10 ms;
 *  - single row: one prediction per call over the same sequence of rows for every side,
 *    targets <= 3 us and >= 10x faster than XGBoost;
 *  - batch: all ROWS rows in one call, ns per tree per row, target <= 5 ns;
 *  - agreement: max relative difference to XGBoost over the batch (must be <= 1e-5).
 * Times are CPU time of the process (the machine is shared; wall time would count other jobs).
 * Both sides run on one core: XGBoost with nthread=1, which is also its fastest setting for a
 * single row (the bench measures nthread=2 too and prints it: OpenMP start-up per call costs
 * more than a second core saves on one row; that figure is wall time, CPU time would count the
 * second thread's spinning against XGBoost).
 *
 * usage: bench_ml [ROWS [DEPTH [TREES]]]   (defaults 20000 6 300; the trainer's own models are
 * depth 3, up to 600 trees; SIC_GBDT_KERNEL=scalar|avx2|avx512 runs that kernel only)
 * Prints a table and a RESULT line (figures of the default kernel) for bench/run.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

#include "ml/gbdt.h"
#include "ml/xgb.h"
#include "core/sort.h"

enum { NF = 44, REPEATS = 7 };

static int ntrees_arg = 300, depth_arg = 6; /* the model trained: boosting rounds, max_depth */

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
static double wall_s(void) { return clock_s(CLOCK_MONOTONIC); }

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
  p.max_depth = depth_arg, p.max_rounds = ntrees_arg, p.early_stop = 0, p.eta = 0.05, p.nthread = 1;
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

/* Median load time in ms over 50 loads; the last loaded file is kept in *keep. */
static double load_ms(const char *path, sic_ml_file **keep) {
  double t[50];
  for (int i = 0; i < 50; i++) {
    sic_ml_file *f = NULL;
    sic_err err = {0};
    double t0 = cpu_s();
    if (sic_ml_file_load(path, &f, &err)) {
      fprintf(stderr, "bench_ml: %s\n", err.msg);
      exit(1);
    }
    t[i] = cpu_s() - t0;
    if (i == 49) *keep = f;
    else sic_ml_file_free(f);
  }
  return sic_median_sort(t, 50) * 1e3;
}

/* What one timed repeat runs. */
typedef struct job {
  const sic_gbdt *model;                /* native model (with its kernel set), or NULL for XGBoost */
  sic_xgb_booster bst;                  /* XGBoost booster when model is NULL */
  const float *rows;                    /* ROWS rows, row-major */
  int nrows;                            /* rows available */
  int calls;                            /* single-row calls per repeat; 0 = one batch call */
  float *out;                           /* batch output (nrows) */
} job;

static volatile float sink; /* keeps single-row results alive */

static void run_job(const job *j) {
  sic_err err = {0};
  if (j->calls == 0) {
    if (j->model) sic_gbdt_predict_batch(j->model, j->rows, j->nrows, j->out);
    else sic_xgb_predict(j->bst, j->rows, j->nrows, NF, j->out, &err);
    return;
  }
  float acc = 0, one;
  for (int i = 0; i < j->calls; i++) {
    const float *row = j->rows + (size_t)(i % j->nrows) * NF;
    if (j->model) acc += sic_gbdt_predict_row(j->model, row);
    else sic_xgb_predict(j->bst, row, 1, NF, &one, &err), acc += one;
  }
  sink = acc;
}

/* Median seconds per repeat (one warm-up first), CPU time or wall time. */
static double time_job(const job *j, int wall) {
  double t[REPEATS];
  run_job(j);
  for (int r = 0; r < REPEATS; r++) {
    double t0 = wall ? wall_s() : cpu_s();
    run_job(j);
    t[r] = (wall ? wall_s() : cpu_s()) - t0;
  }
  return sic_median_sort(t, REPEATS);
}

static double max_rel_diff(const float *a, const float *ref, int n) {
  double worst = 0;
  for (int i = 0; i < n; i++) {
    double rel = fabs((double)a[i] - ref[i]) / fmax(fabs((double)ref[i]), 1e-6);
    if (!(rel <= worst)) worst = rel;
  }
  return worst;
}

/* Figures of one native kernel. */
typedef struct kfig {
  double row_us;                        /* single row, us per call */
  double batch_ns;                      /* batch, ns per tree per row */
  double diff;                          /* max relative difference to XGBoost (batch and single row) */
} kfig;

static kfig measure_kernel(sic_gbdt *m, const float *T, int nrows, const float *ref, float *out) {
  kfig f;
  int calls = 20000;
  job row = {m, NULL, T, nrows, calls, NULL}, batch = {m, NULL, T, nrows, 0, out};
  f.row_us = time_job(&row, 0) / calls * 1e6;
  f.batch_ns = time_job(&batch, 0) / ((double)nrows * m->ntrees) * 1e9;
  f.diff = max_rel_diff(out, ref, nrows);
  for (int i = 0; i < nrows; i++) out[i] = sic_gbdt_predict_row(m, T + (size_t)i * NF);
  double d = max_rel_diff(out, ref, nrows);
  if (!(d <= f.diff)) f.diff = d;
  return f;
}

static const char *verdict(int ok) { return ok ? "met" : "NOT met"; }

int main(int argc, char **argv) {
  int nrows = argc > 1 ? atoi(argv[1]) : 20000;
  if (nrows < 100) nrows = 100;
  if (argc > 2) depth_arg = atoi(argv[2]);
  if (argc > 3) ntrees_arg = atoi(argv[3]);
  if (depth_arg < 1 || depth_arg > 16 || ntrees_arg < 1 || ntrees_arg > 5000)
    return fprintf(stderr, "usage: bench_ml [ROWS [DEPTH 1-16 [TREES 1-5000]]]\n"), 2;
  double load_avg[1] = {0};
  if (getloadavg(load_avg, 1) < 1) load_avg[0] = NAN;
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
  sic_gbdt *m = &mf->boosters[0];
  sic_gbdt_kernel chosen = (sic_gbdt_kernel)m->kernel; /* what sic_gbdt_validate picked */

  float *T = malloc(sizeof(float) * NF * nrows), *ref = malloc(sizeof(float) * nrows);
  float *out = malloc(sizeof(float) * nrows);
  make_rows(T, NULL, nrows);

  /* XGBoost: batch and single row with nthread=1 (CPU time), single row with nthread=2 (wall) */
  XGBoosterSetParam(bst, "nthread", "1");
  int xcalls = 2000;
  job xrow = {NULL, bst, T, nrows, xcalls, NULL}, xbatch = {NULL, bst, T, nrows, 0, ref};
  double xgb_row_us = time_job(&xrow, 0) / xcalls * 1e6;
  double xgb_batch_ns = time_job(&xbatch, 0) / ((double)nrows * m->ntrees) * 1e9;
  XGBoosterSetParam(bst, "nthread", "2");
  double xgb_row2_us = time_job(&xrow, 1) / xcalls * 1e6;
  XGBoosterSetParam(bst, "nthread", "1");
  sic_xgb_predict(bst, T, nrows, NF, ref, &err);

  printf("input: %d trees (XGBoost hist, max_depth %d, padded depth %d), %d features, %zu nodes; "
         "%d rows, 5%% missing, the same rows for every side\n",
         m->ntrees, m->max_depth, m->flat_depth, NF, (size_t)m->tree_off[m->ntrees], nrows);
  printf("timing: median of %d repeats after a warm-up, process CPU time, one core each; "
         "load average %.2f at start\n", REPEATS, load_avg[0]);
  printf("XGBoost PredictFromDense: single row %.2f us (nthread=1; nthread=2: %.2f us wall), "
         "batch %.2f ns/tree/row (nthread=1)\n", xgb_row_us, xgb_row2_us, xgb_batch_ns);
  printf("model load %.3f ms (median of 50)  target <= 10 ms: %s\n", load, verdict(load <= 10));
  printf("%-8s %12s %10s %18s %10s %12s\n", "kernel", "single row", "vs XGBoost", "batch ns/tree/row",
         "vs XGBoost", "max rel diff");
  kfig fig[SIC_GBDT_KERNEL_COUNT];
  int ran[SIC_GBDT_KERNEL_COUNT] = {0};
  const char *only = getenv("SIC_GBDT_KERNEL");
  for (int k = 0; k < SIC_GBDT_KERNEL_COUNT; k++) {
    if (only && *only && k != (int)chosen) continue; /* the library already applied the choice */
    if (sic_gbdt_set_kernel(m, (sic_gbdt_kernel)k)) continue;
    fig[k] = measure_kernel(m, T, nrows, ref, out);
    ran[k] = 1;
    printf("%-8s %9.3f us %9.1fx %18.2f %9.1fx %12.3g%s\n", sic_gbdt_kernel_name(k), fig[k].row_us,
           xgb_row_us / fig[k].row_us, fig[k].batch_ns, xgb_batch_ns / fig[k].batch_ns, fig[k].diff,
           k == (int)chosen ? "   <- default on this CPU" : "");
  }
  sic_gbdt_set_kernel(m, chosen);
  kfig *d = &fig[chosen];
  int ok_row = d->row_us <= 3 && xgb_row_us / d->row_us >= 10, ok_batch = d->batch_ns <= 5;
  int ok_diff = d->diff <= 1e-5;
  for (int k = 0; k < SIC_GBDT_KERNEL_COUNT; k++)
    if (ran[k] && !(fig[k].diff <= 1e-5)) ok_diff = 0;
  printf("targets (%s kernel): single row <= 3 us and >= 10x XGBoost: %s; batch <= 5 ns/tree/row: %s; "
         "agreement <= 1e-5 (every kernel): %s\n", sic_gbdt_kernel_name(chosen), verdict(ok_row),
         verdict(ok_batch), verdict(ok_diff));
  printf("RESULT kernel=%s load_ms=%.3f row_us=%.3f xgb_row_us=%.2f xgb_row_nthread2_us=%.2f "
         "batch_ns_tree_row=%.2f xgb_batch_ns_tree_row=%.2f max_rel_diff=%.3g",
         sic_gbdt_kernel_name(chosen), load, d->row_us, xgb_row_us, xgb_row2_us, d->batch_ns, xgb_batch_ns,
         d->diff);
  if (ran[SIC_GBDT_KERNEL_SCALAR] && chosen != SIC_GBDT_KERNEL_SCALAR)
    printf(" scalar_row_us=%.3f scalar_batch_ns_tree_row=%.2f", fig[0].row_us, fig[0].batch_ns);
  printf("\n");
  sic_ml_file_free(mf);
  sic_gbdt_free(&g);
  sic_xgb_free(bst);
  free(T), free(ref), free(out);
  remove(path);
  return ok_diff ? 0 : 1;
}
