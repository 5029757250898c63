/* Corpus, grouped cross-validation, baselines and final training (see eval.h). */
#include "ml/eval.h"
#include "core/sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/write.h"
#include "ml/sim.h"

/* ---- Metrics ---- */

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

static sic_ml_metrics score(const double *pred, const double *actual, int n) {
  sic_ml_metrics m = {0};
  double *q = malloc((size_t)(n ? n : 1) * sizeof *q), ape = 0;
  int k = 0;
  for (int i = 0; q && i < n; i++) {
    if (!(actual[i] >= 0) || isnan(pred[i])) continue;
    double p = fmax(pred[i], 1), a = fmax(actual[i], 1); /* times are whole ms */
    q[k++] = fmax(p / a, a / p);
    ape += fabs(p - a) / a;
  }
  m.n = k;
  m.mape = k ? ape / k : NAN;
  m.q_p90 = sic_ml_quantile(q, k, 0.9);
  m.q_median = sic_ml_quantile(q, k, 0.5);
  free(q);
  return m;
}

/* ---- Non-negative least squares (Ernest) ---- */

enum { NNLS_MAX = 6 };

typedef struct nnls_model {
  int k;                                /* coefficients */
  double theta[NNLS_MAX];               /* non-negative weights on scaled columns */
  double scale[NNLS_MAX];               /* column scale (RMS) used for conditioning */
} nnls_model;

/* Projected coordinate descent on the normal equations: min sum ((A t - b) / b)^2, t >= 0.
 * Relative errors: unweighted, the few long stages would decide every coefficient and the
 * baseline would be needlessly weak on the many short ones. */
static void nnls_fit(const double *A, const double *b, int n, int k, nnls_model *m) {
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

static double nnls_predict(const nnls_model *m, const double *row) {
  double v = 0;
  for (int j = 0; j < m->k; j++) v += m->theta[j] * row[j] / m->scale[j];
  return v;
}

/* Ernest's terms: fixed cost, data per slot, log of slots, waves of tasks. */
enum { STAGE_NNLS_K = 4, APP_NNLS_K = 5 };

static void stage_nnls_row(const float *x, double *row) {
  double bytes = expm1(x[SF_LOG_INPUT_BYTES]) + expm1(x[SF_LOG_SHUFFLE_READ_BYTES]);
  double slots = expm1(x[SF_LOG_SLOTS]);
  row[0] = 1, row[1] = bytes / fmax(slots, 1) / 1e6, row[2] = log(fmax(slots, 1)), row[3] = x[SF_WAVES];
}

static void app_nnls_row(const sic_ml_app *a, double *row) {
  double slots = a->slots;
  row[0] = 1, row[1] = a->input_bytes / slots / 1e6, row[2] = log(slots), row[3] = a->x[AF_WAVES];
  row[4] = a->nstages;
}

/* ---- Rows and folds ---- */

typedef struct rows {
  int n, nf;                            /* rows, columns */
  float *X;                             /* n x nf features */
  float *y;                             /* log(ms) labels */
  double *ms;                           /* labels in ms */
  int32_t *app;                         /* source app of each row */
  int32_t *stage;                       /* source stage row (stage rows only) */
} rows;

static void rows_free(rows *r) {
  free(r->X), free(r->y), free(r->ms), free(r->app), free(r->stage);
  memset(r, 0, sizeof *r);
}

static int rows_alloc(rows *r, int n, int nf) {
  r->nf = nf;
  r->X = malloc((size_t)(n ? n : 1) * nf * sizeof(float));
  r->y = malloc((size_t)(n ? n : 1) * sizeof(float));
  r->ms = malloc((size_t)(n ? n : 1) * sizeof(double));
  r->app = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
  r->stage = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
  return r->X && r->y && r->ms && r->app && r->stage ? 0 : SIC_ENOMEM;
}

static void rows_push(rows *r, const float *x, double ms, int32_t app, int32_t stage) {
  memcpy(r->X + (size_t)r->n * r->nf, x, (size_t)r->nf * sizeof(float));
  r->ms[r->n] = ms;
  r->y[r->n] = (float)log(fmax(ms, 1));
  r->app[r->n] = app;
  r->stage[r->n] = stage;
  r->n++;
}

static int app_usable(const sic_ml_app *a) {
  int any = 0;
  for (int32_t s = 0; s < a->nstages; s++) any |= a->stages[s].usable;
  return any && a->runtime_ms > 0;
}

/* Rows of the apps where in_set[app] == want. */
static int gather(const sic_ml_corpus *c, const int8_t *in_set, int want, int app_level, rows *r) {
  int n = 0;
  for (int32_t a = 0; a < c->napps; a++) {
    if (in_set && in_set[a] != want) continue;
    if (app_level) n += app_usable(&c->apps[a]);
    else
      for (int32_t s = 0; s < c->apps[a].nstages; s++) n += c->apps[a].stages[s].usable;
  }
  if (rows_alloc(r, n, app_level ? AF__COUNT : SF__COUNT)) return SIC_ENOMEM;
  for (int32_t a = 0; a < c->napps; a++) {
    const sic_ml_app *ap = &c->apps[a];
    if (in_set && in_set[a] != want) continue;
    if (app_level) {
      if (app_usable(ap)) rows_push(r, ap->x, ap->runtime_ms, a, -1);
      continue;
    }
    for (int32_t s = 0; s < ap->nstages; s++)
      if (ap->stages[s].usable) rows_push(r, ap->stages[s].x, ap->stages[s].duration_ms, a, s);
  }
  return 0;
}

/* Distinct groups in a stable order (sorted by hash); group index of each app. */
static int group_index(const sic_ml_corpus *c, int32_t *gi, int32_t *ngroups) {
  uint64_t *h = malloc((size_t)(c->napps ? c->napps : 1) * sizeof *h);
  if (!h) return SIC_ENOMEM;
  for (int32_t a = 0; a < c->napps; a++) h[a] = c->apps[a].group;
  int32_t n = 0;
  for (int32_t a = 0; a < c->napps; a++) { /* insertion into a sorted distinct list */
    int32_t pos = 0;
    while (pos < n && h[pos] < c->apps[a].group) pos++;
    if (pos < n && h[pos] == c->apps[a].group) continue;
    memmove(h + pos + 1, h + pos, (size_t)(n - pos) * sizeof *h);
    h[pos] = c->apps[a].group;
    n++;
  }
  for (int32_t a = 0; a < c->napps; a++)
    for (int32_t g = 0; g < n; g++)
      if (h[g] == c->apps[a].group) gi[a] = g;
  *ngroups = n;
  free(h);
  return 0;
}

/* Train with early stopping on an inner split: every 5th training group is validation. */
static int train_inner(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi,
                       int app_level, const sic_xgb_params *p, sic_xgb_booster *bst, int *rounds,
                       sic_err *err) {
  int8_t *inner = malloc((size_t)c->napps);
  rows tr = {0}, va = {0};
  int rc = SIC_ENOMEM;
  if (!inner) goto done;
  for (int32_t a = 0; a < c->napps; a++) inner[a] = !train_set[a] ? 0 : (gi[a] % 5 == 4 ? 2 : 1);
  if (gather(c, inner, 1, app_level, &tr) || gather(c, inner, 2, app_level, &va)) goto done;
  sic_xgb_params q = *p;
  char mono[4 * SF__COUNT + 4];
  sic_ml_stage_monotone(mono, sizeof mono);
  if (!app_level) q.monotone = mono;
  rc = sic_xgb_train(tr.X, tr.y, tr.n, tr.nf, va.X, va.y, va.n, &q, bst, rounds, err);
done:
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  free(inner);
  rows_free(&tr), rows_free(&va);
  return rc;
}

/* Per-setting prediction buffers, indexed like the corpus. */
typedef struct preds {
  double **stage_gbdt, **stage_nnls, **stage_median; /* [app][stage] in ms, NaN = not predicted */
  double *app_sim, *app_gbdt, *app_nnls, *app_median; /* [app] in ms */
} preds;

static int preds_alloc(const sic_ml_corpus *c, preds *p) {
  double ***s[3] = {&p->stage_gbdt, &p->stage_nnls, &p->stage_median};
  double **a[4] = {&p->app_sim, &p->app_gbdt, &p->app_nnls, &p->app_median};
  for (int k = 0; k < 3; k++) {
    *s[k] = calloc((size_t)c->napps + 1, sizeof(double *));
    if (!*s[k]) return SIC_ENOMEM;
    for (int32_t i = 0; i < c->napps; i++) {
      (*s[k])[i] = malloc((size_t)(c->apps[i].nstages + 1) * sizeof(double));
      if (!(*s[k])[i]) return SIC_ENOMEM;
      for (int32_t j = 0; j <= c->apps[i].nstages; j++) (*s[k])[i][j] = NAN;
    }
  }
  for (int k = 0; k < 4; k++) {
    *a[k] = malloc(((size_t)c->napps + 1) * sizeof(double));
    if (!*a[k]) return SIC_ENOMEM;
    for (int32_t i = 0; i < c->napps; i++) (*a[k])[i] = NAN;
  }
  return 0;
}

static void preds_free(const sic_ml_corpus *c, preds *p) {
  double **s[3] = {p->stage_gbdt, p->stage_nnls, p->stage_median};
  for (int k = 0; k < 3; k++) {
    for (int32_t i = 0; s[k] && i < c->napps; i++) free(s[k][i]);
    free(s[k]);
  }
  free(p->app_sim), free(p->app_gbdt), free(p->app_nnls), free(p->app_median);
}

/* Fit everything on train_set apps and predict test_set apps into P. */
typedef struct fold_out {
  int stage_rounds, app_rounds;         /* best rounds chosen by early stopping */
} fold_out;

static int run_split(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi,
                     const sic_xgb_params *p, preds *P, fold_out *fo, sic_err *err) {
  rows tr = {0}, atr = {0};
  sic_xgb_booster sb = NULL, ab = NULL;
  sic_gbdt sg = {0}, ag = {0};
  double *A = NULL, *aA = NULL, *drv = NULL;
  int rc = gather(c, train_set, 1, 0, &tr);
  if (!rc) rc = gather(c, train_set, 1, 1, &atr);
  if (rc) goto done;
  if ((rc = train_inner(c, train_set, gi, 0, p, &sb, &fo->stage_rounds, err)) ||
      (rc = sic_xgb_to_gbdt(sb, SF__COUNT, &sg, err)))
    goto done;
  if (atr.n >= 4 && ((rc = train_inner(c, train_set, gi, 1, p, &ab, &fo->app_rounds, err)) ||
                     (rc = sic_xgb_to_gbdt(ab, AF__COUNT, &ag, err))))
    goto done;
  /* baselines on the same training rows */
  nnls_model sn, an;
  A = malloc((size_t)(tr.n + 1) * STAGE_NNLS_K * sizeof *A);
  aA = malloc((size_t)(atr.n + 1) * APP_NNLS_K * sizeof *aA);
  drv = malloc((size_t)(atr.n + 1) * sizeof *drv);
  rc = SIC_ENOMEM;
  if (!A || !aA || !drv) goto done;
  for (int i = 0; i < tr.n; i++) stage_nnls_row(tr.X + (size_t)i * tr.nf, A + i * STAGE_NNLS_K);
  nnls_fit(A, tr.ms, tr.n, STAGE_NNLS_K, &sn);
  for (int i = 0; i < atr.n; i++) {
    app_nnls_row(&c->apps[atr.app[i]], aA + i * APP_NNLS_K);
    drv[i] = c->apps[atr.app[i]].driver_ms;
  }
  nnls_fit(aA, atr.ms, atr.n, APP_NNLS_K, &an);
  double stage_med = sic_ml_quantile(tr.ms, tr.n, 0.5), app_med = sic_ml_quantile(atr.ms, atr.n, 0.5);
  double drv_med = sic_ml_quantile(drv, atr.n, 0.5);
  for (int32_t a = 0; a < c->napps; a++) {
    if (train_set[a]) continue;
    const sic_ml_app *ap = &c->apps[a];
    for (int32_t s = 0; s < ap->nstages; s++) {
      const sic_ml_stage_row *r = &ap->stages[s];
      double row[STAGE_NNLS_K];
      stage_nnls_row(r->x, row);
      /* stages that never ran (skipped) take no time in any prediction */
      int ran = r->duration_ms >= 0;
      P->stage_gbdt[a][s] = ran ? exp(sic_gbdt_predict_row(&sg, r->x)) : 0;
      P->stage_nnls[a][s] = ran ? nnls_predict(&sn, row) : 0;
      P->stage_median[a][s] = ran ? stage_med : 0;
    }
    P->app_sim[a] = sic_ml_simulate(ap, P->stage_gbdt[a], ap->slots, drv_med);
    double arow[APP_NNLS_K];
    app_nnls_row(ap, arow);
    P->app_nnls[a] = nnls_predict(&an, arow);
    P->app_median[a] = app_med;
    P->app_gbdt[a] = ag.ntrees ? exp(sic_gbdt_predict_row(&ag, ap->x)) : NAN;
  }
  rc = 0;
done:
  sic_xgb_free(sb), sic_xgb_free(ab);
  sic_gbdt_free(&sg), sic_gbdt_free(&ag);
  rows_free(&tr), rows_free(&atr);
  free(A), free(aA), free(drv);
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  return rc;
}

/* Score predictions of the apps in test_set (NULL = all). */
static void score_all(const sic_ml_corpus *c, const preds *P, const int8_t *test_set, sic_ml_scores *s) {
  int n = 0;
  for (int32_t a = 0; a < c->napps; a++) n += c->apps[a].nstages;
  double *pr[3], *act = malloc((size_t)(n + 1) * sizeof *act);
  for (int k = 0; k < 3; k++) pr[k] = malloc((size_t)(n + 1) * sizeof(double));
  double *apr[4], *aact = malloc(((size_t)c->napps + 1) * sizeof *aact);
  for (int k = 0; k < 4; k++) apr[k] = malloc(((size_t)c->napps + 1) * sizeof(double));
  int k = 0, ka = 0;
  for (int32_t a = 0; a < c->napps; a++) {
    if (test_set && !test_set[a]) continue;
    const sic_ml_app *ap = &c->apps[a];
    for (int32_t st = 0; st < ap->nstages; st++) {
      if (!ap->stages[st].usable || isnan(P->stage_gbdt[a][st])) continue;
      act[k] = ap->stages[st].duration_ms;
      pr[0][k] = P->stage_gbdt[a][st], pr[1][k] = P->stage_nnls[a][st], pr[2][k] = P->stage_median[a][st];
      k++;
    }
    if (!app_usable(ap) || isnan(P->app_sim[a])) continue;
    aact[ka] = ap->runtime_ms;
    apr[0][ka] = P->app_sim[a], apr[1][ka] = P->app_gbdt[a], apr[2][ka] = P->app_nnls[a];
    apr[3][ka] = P->app_median[a];
    ka++;
  }
  s->stage_gbdt = score(pr[0], act, k), s->stage_nnls = score(pr[1], act, k);
  s->stage_median = score(pr[2], act, k);
  s->app_sim = score(apr[0], aact, ka), s->app_gbdt = score(apr[1], aact, ka);
  s->app_nnls = score(apr[2], aact, ka), s->app_median = score(apr[3], aact, ka);
  for (int i = 0; i < 3; i++) free(pr[i]);
  for (int i = 0; i < 4; i++) free(apr[i]);
  free(act), free(aact);
}

/* 10th/90th percentile of log residuals (actual - predicted) over scored rows. */
static void residuals(const sic_ml_corpus *c, const preds *P, int which, float *lo, float *hi) {
  int n = 0;
  for (int32_t a = 0; a < c->napps; a++) n += c->apps[a].nstages + 1;
  double *r = malloc((size_t)(n + 1) * sizeof *r);
  int k = 0;
  for (int32_t a = 0; r && a < c->napps; a++) {
    const sic_ml_app *ap = &c->apps[a];
    if (which == 0) {
      for (int32_t s = 0; s < ap->nstages; s++)
        if (ap->stages[s].usable && P->stage_gbdt[a][s] > 0)
          r[k++] = log(fmax(ap->stages[s].duration_ms, 1)) - log(P->stage_gbdt[a][s]);
    } else if (app_usable(ap)) {
      double p = which == 1 ? P->app_gbdt[a] : P->app_sim[a];
      if (p > 0) r[k++] = log(ap->runtime_ms) - log(p);
    }
  }
  *lo = k ? (float)sic_ml_quantile(r, k, 0.1) : -1.0f;
  *hi = k ? (float)sic_ml_quantile(r, k, 0.9) : 1.0f;
  free(r);
}

static int evaluate_interp(const sic_ml_corpus *c, const sic_xgb_params *p, const int32_t *gi,
                           sic_ml_eval *out, sic_err *err) {
  preds P = {0};
  int8_t *train = malloc((size_t)c->napps + 1);
  double *sr = calloc((size_t)out->folds, sizeof *sr), *ar = calloc((size_t)out->folds, sizeof *ar);
  int rc = SIC_ENOMEM, nar = 0;
  if (!train || !sr || !ar || preds_alloc(c, &P)) goto done;
  for (int f = 0; f < out->folds; f++) {
    for (int32_t a = 0; a < c->napps; a++) train[a] = gi[a] % out->folds != f;
    fold_out fo = {0};
    if ((rc = run_split(c, train, gi, p, &P, &fo, err))) goto done;
    sr[f] = fo.stage_rounds;
    if (fo.app_rounds > 0) ar[nar++] = fo.app_rounds;
  }
  score_all(c, &P, NULL, &out->interp);
  out->rounds_stage = (int32_t)sic_ml_quantile(sr, out->folds, 0.5);
  out->rounds_app = nar ? (int32_t)sic_ml_quantile(ar, nar, 0.5) : 0;
  residuals(c, &P, 0, &out->stage_resid_lo, &out->stage_resid_hi);
  residuals(c, &P, 1, &out->app_resid_lo, &out->app_resid_hi);
  residuals(c, &P, 2, &out->sim_resid_lo, &out->sim_resid_hi);
  rc = 0;
done:
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  preds_free(c, &P);
  free(train), free(sr), free(ar);
  return rc;
}

/* Train on the groups with the smallest 75% of input volumes, test on the rest. */
static int evaluate_extrap(const sic_ml_corpus *c, const sic_xgb_params *p, const int32_t *gi,
                           sic_ml_eval *out, sic_err *err) {
  preds P = {0};
  int8_t *train = malloc((size_t)c->napps + 1), *test = malloc((size_t)c->napps + 1);
  double *vol = malloc(((size_t)c->napps + 1) * sizeof *vol);
  int rc = SIC_ENOMEM, n = 0;
  if (!train || !test || !vol || preds_alloc(c, &P)) goto done;
  for (int32_t a = 0; a < c->napps; a++)
    if (app_usable(&c->apps[a])) vol[n++] = c->apps[a].input_bytes;
  double cut = sic_ml_quantile(vol, n, 0.75);
  for (int32_t a = 0; a < c->napps; a++) {
    train[a] = c->apps[a].input_bytes <= cut;
    test[a] = !train[a];
  }
  fold_out fo = {0};
  if ((rc = run_split(c, train, gi, p, &P, &fo, err))) goto done;
  score_all(c, &P, test, &out->extrap);
done:
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  preds_free(c, &P);
  free(train), free(test), free(vol);
  return rc;
}

/* How well the simulation reproduces app runtimes when it is given the actual stage times and
 * the actual driver time (it applies to apps with complete timing). */
static void evaluate_sim_actual(const sic_ml_corpus *c, sic_ml_eval *out) {
  double *pr = calloc((size_t)c->napps + 1, sizeof *pr), *act = calloc((size_t)c->napps + 1, sizeof *act);
  double *drv = malloc(((size_t)c->napps + 1) * sizeof *drv);
  int k = 0, nd = 0;
  for (int32_t a = 0; pr && act && drv && a < c->napps; a++) {
    const sic_ml_app *ap = &c->apps[a];
    if (!app_usable(ap)) continue;
    drv[nd++] = ap->driver_ms;
    double *ms = malloc((size_t)(ap->nstages + 1) * sizeof *ms);
    if (!ms) continue;
    for (int32_t s = 0; s < ap->nstages; s++) ms[s] = ap->stages[s].duration_ms > 0 ? ap->stages[s].duration_ms : 0;
    pr[k] = sic_ml_simulate(ap, ms, ap->slots, ap->driver_ms);
    act[k++] = ap->runtime_ms;
    free(ms);
  }
  out->app_sim_actual = score(pr, act, k);
  out->driver_ms_median = drv ? sic_ml_quantile(drv, nd, 0.5) : 0;
  free(pr), free(act), free(drv);
}

int sic_ml_evaluate(const sic_ml_corpus *c, const sic_xgb_params *p, int folds, sic_ml_eval *out,
                    sic_err *err) {
  memset(out, 0, sizeof *out);
  int32_t *gi = malloc(((size_t)c->napps + 1) * sizeof *gi);
  if (!gi || group_index(c, gi, &out->ngroups)) {
    free(gi);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  out->napps = c->napps;
  for (int32_t a = 0; a < c->napps; a++) {
    for (int32_t s = 0; s < c->apps[a].nstages; s++) out->nstage_rows += c->apps[a].stages[s].usable;
    out->napp_rows += app_usable(&c->apps[a]);
  }
  out->folds = folds < out->ngroups ? folds : out->ngroups;
  int rc = 0;
  if (out->folds < 2 || out->nstage_rows < 20)
    rc = sic_err_set(err, SIC_EINVAL,
                     "too little data to cross-validate: %d distinct applications, %d timed stages "
                     "(need >= 2 and >= 20)", out->ngroups, out->nstage_rows);
  if (!rc) rc = evaluate_interp(c, p, gi, out, err);
  if (!rc) rc = evaluate_extrap(c, p, gi, out, err);
  if (!rc) evaluate_sim_actual(c, out);
  free(gi);
  return rc;
}

/* ---- Final models ---- */

static int name_booster(sic_gbdt *g, const char *name, const char *const *names, int nf, float lo, float hi) {
  g->name = strdup(name);
  g->feature_names = calloc((size_t)nf, sizeof *g->feature_names);
  if (!g->name || !g->feature_names) return SIC_ENOMEM;
  for (int i = 0; i < nf; i++)
    if (!(g->feature_names[i] = strdup(names[i]))) return SIC_ENOMEM;
  g->feature_version = SIC_ML_FEATURE_VERSION;
  g->resid_lo = lo;
  g->resid_hi = hi;
  return 0;
}

int sic_ml_train_final(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_eval *ev,
                       sic_gbdt out[2], sic_err *err) {
  rows s = {0}, a = {0};
  sic_xgb_booster sb = NULL, ab = NULL;
  sic_xgb_params q = *p;
  int rc = gather(c, NULL, 0, 0, &s);
  memset(out, 0, 2 * sizeof *out);
  if (!rc) rc = gather(c, NULL, 0, 1, &a);
  if (rc) goto done;
  char mono[4 * SF__COUNT + 4];
  sic_ml_stage_monotone(mono, sizeof mono);
  q.early_stop = 0;
  q.monotone = mono;
  q.max_rounds = ev->rounds_stage > 0 ? ev->rounds_stage : p->max_rounds;
  if ((rc = sic_xgb_train(s.X, s.y, s.n, s.nf, NULL, NULL, 0, &q, &sb, NULL, err)) ||
      (rc = sic_xgb_to_gbdt(sb, SF__COUNT, &out[0], err)))
    goto done;
  q.monotone = NULL;
  q.max_rounds = ev->rounds_app > 0 ? ev->rounds_app : 50;
  if ((rc = sic_xgb_train(a.X, a.y, a.n, a.nf, NULL, NULL, 0, &q, &ab, NULL, err)) ||
      (rc = sic_xgb_to_gbdt(ab, AF__COUNT, &out[1], err)))
    goto done;
  if (name_booster(&out[0], "stage", sic_ml_stage_feature_names, SF__COUNT, ev->stage_resid_lo, ev->stage_resid_hi) ||
      name_booster(&out[1], "app", sic_ml_app_feature_names, AF__COUNT, ev->app_resid_lo, ev->app_resid_hi))
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
done:
  sic_xgb_free(sb), sic_xgb_free(ab);
  rows_free(&s), rows_free(&a);
  if (rc) sic_gbdt_free(&out[0]), sic_gbdt_free(&out[1]);
  return rc;
}

/* ---- Metadata ---- */

static void jw_metrics(sic_jw *w, const char *key, const sic_ml_metrics *m) {
  sic_jw_kobj(w, key);
  sic_jw_kint(w, "n", m->n);
  sic_jw_kdouble(w, "q_error_median", m->q_median);
  sic_jw_kdouble(w, "q_error_p90", m->q_p90);
  sic_jw_kdouble(w, "mape", m->mape);
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
  sic_jw_end(&w);
  sic_jw_kint(&w, "cv_folds", ev->folds);
  sic_jw_kint(&w, "rounds_stage", ev->rounds_stage);
  sic_jw_kint(&w, "rounds_app", ev->rounds_app);
  sic_jw_kdouble(&w, "driver_ms_median", ev->driver_ms_median);
  sic_jw_kdouble(&w, "sim_resid_lo", ev->sim_resid_lo);
  sic_jw_kdouble(&w, "sim_resid_hi", ev->sim_resid_hi);
  jw_scores(&w, "interpolation", &ev->interp);
  jw_scores(&w, "extrapolation", &ev->extrap);
  jw_metrics(&w, "app_simulation_with_actual_stage_times", &ev->app_sim_actual);
  sic_jw_end(&w);
  if (sic_jw_status(&w)) {
    sic_jw_free(&w);
    return NULL;
  }
  return w.buf; /* the writer's buffer becomes the caller's */
}
