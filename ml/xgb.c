/* XGBoost training and booster -> native conversion (see xgb.h). */
#include "ml/xgb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "json/scan.h"

void sic_xgb_params_default(sic_xgb_params *p) {
  p->max_depth = 3;
  p->eta = 0.1;
  p->max_rounds = 600;
  p->early_stop = 40;
  p->subsample = 0.8;
  p->colsample = 0.8;
  p->min_child_weight = 5;
  p->lambda = 1;
  /* one thread: the corpus is a few hundred rows, and on shared cores OpenMP's spinning threads
   * made the CV 5x slower (20 s vs 4 s) with bit-identical results */
  p->nthread = 1;
  p->seed = 7;
  p->tree_method = NULL;
  p->monotone = NULL;
}

static int xgb_fail(sic_err *err, const char *what) {
  return sic_err_set(err, SIC_EINVAL, "XGBoost %s: %s", what, XGBGetLastError());
}

static int make_dmatrix(const float *X, const float *y, int64_t n, int nf, DMatrixHandle *out,
                        sic_err *err) {
  if (XGDMatrixCreateFromMat(X, (bst_ulong)n, (bst_ulong)nf, NAN, out)) return xgb_fail(err, "DMatrix");
  if (y && XGDMatrixSetFloatInfo(*out, "label", y, (bst_ulong)n)) return xgb_fail(err, "labels");
  return 0;
}

static int set_params(BoosterHandle h, const sic_xgb_params *p, double base, sic_err *err) {
  char v[64];
  struct { const char *k; double v; int is_int; } num[] = {
    {"max_depth", p->max_depth, 1}, {"eta", p->eta, 0}, {"subsample", p->subsample, 0},
    {"colsample_bytree", p->colsample, 0}, {"min_child_weight", p->min_child_weight, 0},
    {"lambda", p->lambda, 0}, {"nthread", p->nthread, 1}, {"seed", p->seed, 1},
    {"base_score", base, 0}, {"verbosity", 0, 1},
  };
  if (XGBoosterSetParam(h, "objective", "reg:squarederror") ||
      XGBoosterSetParam(h, "tree_method", p->tree_method ? p->tree_method : "exact") || XGBoosterSetParam(h, "eval_metric", "rmse"))
    return xgb_fail(err, "parameters");
  if (p->monotone && XGBoosterSetParam(h, "monotone_constraints", p->monotone))
    return xgb_fail(err, "monotone_constraints");
  for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
    if (num[i].is_int) snprintf(v, sizeof v, "%d", (int)num[i].v);
    else snprintf(v, sizeof v, "%.9g", num[i].v);
    if (XGBoosterSetParam(h, num[i].k, v)) return xgb_fail(err, num[i].k);
  }
  return 0;
}

/* RMSE of the validation set after round `iter`, parsed from XGBoost's eval string. */
static int eval_rmse(BoosterHandle h, int iter, DMatrixHandle dval, double *rmse, sic_err *err) {
  const char *names[] = {"val"};
  const char *out = NULL;
  if (XGBoosterEvalOneIter(h, iter, &dval, names, 1, &out)) return xgb_fail(err, "eval");
  const char *p = strstr(out, "val-rmse:");
  if (!p) return sic_err_set(err, SIC_EFORMAT, "XGBoost eval output without val-rmse: %s", out);
  *rmse = strtod(p + 9, NULL);
  return 0;
}

/* Boost until max_rounds or until early_stop rounds pass without a better validation RMSE. */
static int boost(BoosterHandle h, DMatrixHandle dtrain, DMatrixHandle dval, const sic_xgb_params *p,
                 int *best_round, sic_err *err) {
  double best = INFINITY;
  *best_round = p->max_rounds;
  for (int it = 0; it < p->max_rounds; it++) {
    if (XGBoosterUpdateOneIter(h, it, dtrain)) return xgb_fail(err, "update");
    if (!dval) continue;
    double rmse = 0;
    if (eval_rmse(h, it, dval, &rmse, err)) return err->code;
    if (rmse < best - 1e-12) {
      best = rmse;
      *best_round = it + 1;
    } else if (p->early_stop > 0 && it + 1 - *best_round >= p->early_stop) {
      break;
    }
  }
  return 0;
}

int sic_xgb_train(const float *X, const float *y, int64_t n, int nf, const float *Xval,
                  const float *yval, int64_t nval, const sic_xgb_params *p, sic_xgb_booster *out,
                  int *rounds_out, sic_err *err) {
  DMatrixHandle dtrain = NULL, dval = NULL;
  BoosterHandle h = NULL;
  int rc = 0, best = 0;
  *out = NULL;
  if (n < 2) return sic_err_set(err, SIC_EINVAL, "too few training rows (%lld)", (long long)n);
  double mean = 0;
  for (int64_t i = 0; i < n; i++) mean += y[i];
  mean /= (double)n;
  if ((rc = make_dmatrix(X, y, n, nf, &dtrain, err))) goto error;
  if (nval > 0 && (rc = make_dmatrix(Xval, yval, nval, nf, &dval, err))) goto error;
  if (XGBoosterCreate(&dtrain, 1, &h)) {
    rc = xgb_fail(err, "booster");
    goto error;
  }
  if ((rc = set_params(h, p, mean, err)) || (rc = boost(h, dtrain, dval, p, &best, err))) goto error;
  int done = 0;
  XGBoosterBoostedRounds(h, &done);
  if (best < done) { /* cut back to the best round */
    BoosterHandle cut = NULL;
    if (XGBoosterSlice(h, 0, best, 1, &cut)) {
      rc = xgb_fail(err, "slice");
      goto error;
    }
    XGBoosterFree(h);
    h = cut;
  }
  if (rounds_out) *rounds_out = best;
  *out = h;
  h = NULL;
error:
  if (h) XGBoosterFree(h);
  if (dtrain) XGDMatrixFree(dtrain);
  if (dval) XGDMatrixFree(dval);
  return rc;
}

void sic_xgb_free(sic_xgb_booster b) {
  if (b) XGBoosterFree(b);
}

int sic_xgb_predict(sic_xgb_booster b, const float *X, int64_t n, int nf, float *out, sic_err *err) {
  char iface[256];
  snprintf(iface, sizeof iface,
           "{\"data\": [%llu, true], \"shape\": [%lld, %d], \"typestr\": \"<f4\", \"version\": 3}",
           (unsigned long long)(uintptr_t)X, (long long)n, nf);
  const char *config =
      "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
      "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";
  const bst_ulong *shape = NULL;
  bst_ulong dim = 0;
  const float *res = NULL;
  if (XGBoosterPredictFromDense(b, iface, config, NULL, &shape, &dim, &res))
    return xgb_fail(err, "predict");
  memcpy(out, res, (size_t)n * sizeof(float));
  return 0;
}

/* ---- JSON model -> native layout ---- */

/* A tree as XGBoost stores it: parallel arrays indexed by XGBoost's node id. */
typedef struct xtree {
  int32_t *left, *right, *split;        /* children (-1 at leaves) and split feature */
  float *cond;                          /* threshold, or the leaf value at leaves */
  uint8_t *dleft;                       /* default direction is left */
  int64_t n[5];                         /* lengths read for each of the five arrays */
} xtree;

static void xtree_free(xtree *t) {
  free(t->left), free(t->right), free(t->split), free(t->cond), free(t->dleft);
  memset(t, 0, sizeof *t);
}

/* Read a numeric (or boolean) array into a new double array. */
static double *read_num_array(sic_jscan *s, int64_t *n) {
  sic_jiter it;
  int64_t cap = 64;
  double *v = malloc((size_t)cap * sizeof *v);
  *n = 0;
  if (!v || sic_json_arr_begin(s, &it) < 0) return free(v), NULL;
  int r;
  while ((r = sic_json_arr_next(s, &it)) == 1) {
    if (*n == cap) {
      double *p = realloc(v, (size_t)(cap *= 2) * sizeof *v);
      if (!p) return free(v), NULL;
      v = p;
    }
    sic_jtype t = sic_json_peek(s);
    if (t == SIC_JT_TRUE || t == SIC_JT_FALSE) {
      int b;
      if (sic_json_bool(s, &b)) return free(v), NULL;
      v[(*n)++] = b;
    } else if (sic_json_f64(s, &v[(*n)++])) {
      return free(v), NULL;
    }
  }
  return r < 0 ? (free(v), NULL) : v;
}

static int read_tree(sic_jscan *s, xtree *t) {
  static const char *keys[] = {"left_children", "right_children", "split_indices", "split_conditions",
                               "default_left"};
  sic_jiter it;
  sic_jstr key;
  int r;
  if (sic_json_obj_begin(s, &it) < 0) return -1;
  while ((r = sic_json_obj_next(s, &it, &key)) == 1) {
    int k = -1;
    for (int i = 0; i < 5; i++)
      if (sic_jstr_eq(&key, keys[i], strlen(keys[i]))) k = i;
    if (k < 0) {
      if (sic_json_skip(s)) return -1;
      continue;
    }
    double *v = read_num_array(s, &t->n[k]);
    if (!v) return -1;
    int64_t m = t->n[k];
    if (k <= 2) {
      int32_t *dst = malloc((size_t)(m ? m : 1) * sizeof *dst);
      for (int64_t i = 0; dst && i < m; i++) dst[i] = (int32_t)v[i];
      if (k == 0) t->left = dst; else if (k == 1) t->right = dst; else t->split = dst;
    } else if (k == 3) {
      t->cond = malloc((size_t)(m ? m : 1) * sizeof *t->cond);
      for (int64_t i = 0; t->cond && i < m; i++) t->cond[i] = (float)v[i];
    } else {
      t->dleft = malloc((size_t)(m ? m : 1));
      for (int64_t i = 0; t->dleft && i < m; i++) t->dleft[i] = v[i] != 0;
    }
    free(v);
  }
  return r;
}

/* Append tree t to out in breadth-first order with adjacent children. */
static int append_tree(const xtree *t, int nf, sic_gbdt *out, int64_t *cap, sic_err *err) {
  int64_t n = t->n[0];
  for (int k = 1; k < 5; k++)
    if (t->n[k] != n || n < 1) return sic_err_set(err, SIC_EFORMAT, "XGBoost tree arrays disagree in length");
  int32_t base = out->tree_off[out->ntrees];
  if (base + n > *cap) {
    int64_t nc = *cap ? *cap : 4096;
    while (nc < base + n) nc *= 2;
    sic_gbdt_node *p = realloc(out->nodes, (size_t)nc * sizeof *p);
    if (!p) return sic_err_set(err, SIC_ENOMEM, "out of memory converting trees");
    out->nodes = p;
    *cap = nc;
  }
  int32_t *queue = malloc((size_t)n * sizeof *queue); /* xgb ids in new order */
  if (!queue) return sic_err_set(err, SIC_ENOMEM, "out of memory converting trees");
  int64_t head = 0, tail = 1;
  queue[0] = 0;
  for (; head < tail; head++) {
    int32_t x = queue[head];
    sic_gbdt_node *nd = &out->nodes[base + head];
    if (t->left[x] < 0) {
      nd->value = t->cond[x];
      nd->feature = SIC_ML_LEAF;
      nd->left = 0;
      continue;
    }
    if (t->left[x] >= n || t->right[x] >= n || t->right[x] < 0 || tail + 2 > n || t->split[x] < 0 ||
        t->split[x] >= nf) {
      free(queue);
      return sic_err_set(err, SIC_EFORMAT, "XGBoost tree node %d malformed", x);
    }
    nd->value = t->cond[x];
    nd->feature = (uint32_t)t->split[x] | (t->dleft[x] ? SIC_ML_DEFAULT_LEFT : 0);
    nd->left = (int32_t)tail;
    queue[tail++] = t->left[x];
    queue[tail++] = t->right[x];
  }
  free(queue);
  out->ntrees++;
  out->tree_off[out->ntrees] = base + (int32_t)tail; /* deleted nodes are dropped */
  return 0;
}

/* Position s at the value of key path[0..n) (objects only). Returns 0 or -1. */
static int descend(sic_jscan *s, const char *const *path, int n) {
  for (int d = 0; d < n; d++) {
    sic_jiter it;
    sic_jstr key;
    int r, found = 0;
    if (sic_json_obj_begin(s, &it) < 0) return -1;
    while (!found && (r = sic_json_obj_next(s, &it, &key)) == 1) {
      if (sic_jstr_eq(&key, path[d], strlen(path[d]))) found = 1;
      else if (sic_json_skip(s)) return -1;
    }
    if (!found) return -1;
  }
  return 0;
}

static int read_base_score(const char *json, size_t len, float *out, sic_err *err) {
  static const char *const path[] = {"learner", "learner_model_param", "base_score"};
  sic_jscan s;
  sic_jstr v;
  char buf[64];
  sic_json_init(&s, json, len);
  if (descend(&s, path, 3) || sic_json_str(&s, &v) || v.len >= sizeof buf)
    return sic_err_set(err, SIC_EFORMAT, "XGBoost JSON model without learner_model_param.base_score");
  memcpy(buf, v.p, v.len);
  buf[v.len] = 0;
  *out = strtof(buf, NULL);
  return 0;
}

static int read_trees(const char *json, size_t len, int nf, sic_gbdt *out, sic_err *err) {
  static const char *const path[] = {"learner", "gradient_booster", "model", "trees"};
  sic_jscan s;
  sic_jiter it;
  int64_t cap = 0, tcap = 64;
  sic_json_init(&s, json, len);
  if (descend(&s, path, 4) || sic_json_arr_begin(&s, &it) < 0)
    return sic_err_set(err, SIC_EFORMAT, "XGBoost JSON model without learner.gradient_booster.model.trees");
  out->tree_off = calloc((size_t)tcap + 1, sizeof *out->tree_off);
  if (!out->tree_off) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  int r;
  while ((r = sic_json_arr_next(&s, &it)) == 1) {
    if (out->ntrees == tcap) {
      int32_t *p = realloc(out->tree_off, (size_t)(tcap * 2 + 1) * sizeof *p);
      if (!p) return sic_err_set(err, SIC_ENOMEM, "out of memory");
      out->tree_off = p;
      tcap *= 2;
    }
    xtree t = {0};
    int rc = read_tree(&s, &t) < 0 || !t.left || !t.right || !t.split || !t.cond || !t.dleft
                 ? sic_err_set(err, SIC_EFORMAT, "XGBoost JSON tree %d unreadable: %s", out->ntrees,
                               s.err ? s.err : "missing arrays")
                 : append_tree(&t, nf, out, &cap, err);
    xtree_free(&t);
    if (rc) return rc;
  }
  if (r < 0) return sic_err_set(err, SIC_EFORMAT, "XGBoost JSON model: %s at byte %zu", s.err, s.err_off);
  return 0;
}

int sic_xgb_to_gbdt(sic_xgb_booster b, int nf, sic_gbdt *out, sic_err *err) {
  bst_ulong len = 0;
  const char *json = NULL;
  memset(out, 0, sizeof *out);
  if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &len, &json)) return xgb_fail(err, "save");
  out->nfeatures = nf;
  int rc = read_base_score(json, (size_t)len, &out->base_score, err);
  if (!rc) rc = read_trees(json, (size_t)len, nf, out, err);
  if (!rc) rc = sic_gbdt_validate(out, err);
  if (rc) sic_gbdt_free(out);
  return rc;
}
