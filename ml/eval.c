/* Grouped cross-validation against the baselines, and the final training (see eval.h); the
 * NNLS baselines are ml/nnls.c, the metadata report ml/eval_report.c. */
#include "ml/eval.h"
#include "core/sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/write.h"
#include "ml/nnls.h"
#include "ml/predict.h"
#include "ml/sim.h"

/* ---- Metrics ---- */

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

/* A stage row as the model sees it: the deployment features blanked (NaN) when asked. */
static void stage_x(const float *x, int blank, float *out) {
  memcpy(out, x, SF__COUNT * sizeof *out);
  for (int j = 0; blank && j < SF__COUNT; j++)
    if (sic_ml_stage_feature_is_deployment(j)) out[j] = NAN;
}

static void rows_push(rows *r, const float *x, double ms, int32_t app, int32_t stage, int blank) {
  if (stage >= 0) stage_x(x, blank, r->X + (size_t)r->n * r->nf);
  else memcpy(r->X + (size_t)r->n * r->nf, x, (size_t)r->nf * sizeof(float));
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

/* Rows of the apps where in_set[app] == want (stage rows blanked as asked). */
static int gather(const sic_ml_corpus *c, const int8_t *in_set, int want, int app_level, int blank, rows *r) {
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
      if (app_usable(ap)) rows_push(r, ap->x, ap->runtime_ms, a, -1, 0);
      continue;
    }
    for (int32_t s = 0; s < ap->nstages; s++)
      if (ap->stages[s].usable) rows_push(r, ap->stages[s].x, ap->stages[s].duration_ms, a, s, blank);
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

/* Inner folds of the training groups: the rank of an app's group among the groups in train_set,
 * modulo k (-1 outside train_set). Ranks, not group indexes, so every inner fold gets training
 * groups whatever outer fold was held out. */
static int inner_folds(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi, int k, int32_t *fold) {
  int32_t ng = 0;
  for (int32_t a = 0; a < c->napps; a++) ng = gi[a] + 1 > ng ? gi[a] + 1 : ng;
  int32_t *rank = malloc(((size_t)ng + 1) * sizeof *rank);
  if (!rank) return SIC_ENOMEM;
  for (int32_t g = 0; g < ng; g++) rank[g] = -1;
  for (int32_t a = 0; a < c->napps; a++)
    if (train_set[a]) rank[gi[a]] = 0;
  for (int32_t g = 0, r = 0; g < ng; g++)
    if (rank[g] >= 0) rank[g] = r++;
  for (int32_t a = 0; a < c->napps; a++) fold[a] = train_set[a] ? rank[gi[a]] % k : -1;
  free(rank);
  return 0;
}

/* Subtract the Ernest baseline from the labels of stage rows (the trees learn the residual). */
static void rows_offset(rows *r, const nnls_model *base) {
  for (int i = 0; i < r->n; i++) r->y[i] -= (float)ml_stage_base_log(base, r->X + (size_t)i * r->nf);
}

/* Train with early stopping on an inner split: every 5th training group (by rank) is validation.
 * Stage models (base != NULL) first fit the Ernest baseline on the training part and learn the
 * log-residual on top of it. */
static int train_inner(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi,
                       int app_level, const sic_xgb_params *p, int blank, nnls_model *base,
                       sic_xgb_booster *bst, int *rounds, sic_err *err) {
  int8_t *inner = malloc((size_t)c->napps);
  int32_t *fold = malloc((size_t)c->napps * sizeof *fold);
  rows tr = {0}, va = {0};
  int rc = SIC_ENOMEM;
  if (!inner || !fold || inner_folds(c, train_set, gi, 5, fold)) goto done;
  for (int32_t a = 0; a < c->napps; a++) inner[a] = fold[a] < 0 ? 0 : (fold[a] == 4 ? 2 : 1);
  if (gather(c, inner, 1, app_level, blank, &tr) || gather(c, inner, 2, app_level, blank, &va)) goto done;
  if (base) {
    if (ml_stage_nnls_fit(tr.X, tr.nf, tr.ms, tr.n, base)) goto done;
    rows_offset(&tr, base), rows_offset(&va, base);
  }
  sic_xgb_params q = *p;
  char mono[4 * SF__COUNT + 4];
  sic_ml_stage_monotone(mono, sizeof mono);
  if (!app_level) q.monotone = mono;
  rc = sic_xgb_train(tr.X, tr.y, tr.n, tr.nf, va.X, va.y, va.n, &q, bst, rounds, err);
done:
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  free(inner), free(fold);
  rows_free(&tr), rows_free(&va);
  return rc;
}

/* ---- Model selection by grouped CV inside the training applications ---- */

void sic_ml_search_default(sic_ml_search *s) {
  memset(s, 0, sizeof *s);
  /* depth is not searched: with ~45 training applications the inner CV's choice of depth was
   * noise, and it cost the outer figure (docs/prediction.md) */
  s->ndepths = 0;
  s->try_blank = 1;
  s->inner_folds = 4;
}

/* Median q-error of the stage model with (p, blank) over an inner grouped CV of train_set:
 * the only figure the selection looks at, so the outer test fold never influences it. */
static int inner_score(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi, int k,
                       const sic_xgb_params *p, int blank, double *q_median, sic_err *err) {
  int32_t *fold = malloc((size_t)c->napps * sizeof *fold);
  int8_t *in = malloc((size_t)c->napps);
  int n = 0, rc = SIC_ENOMEM;
  for (int32_t a = 0; a < c->napps; a++)
    for (int32_t s = 0; s < c->apps[a].nstages; s++) n += train_set[a] && c->apps[a].stages[s].usable;
  double *q = malloc((size_t)(n + 1) * sizeof *q);
  int nq = 0;
  if (!fold || !in || !q || inner_folds(c, train_set, gi, k, fold)) goto done;
  for (int j = 0; j < k; j++) {
    sic_xgb_booster b = NULL;
    sic_gbdt g = {0};
    int rounds = 0;
    int ntrain = 0, ntest = 0;
    for (int32_t a = 0; a < c->napps; a++) {
      in[a] = fold[a] >= 0 && fold[a] != j;
      for (int32_t s = 0; fold[a] >= 0 && s < c->apps[a].nstages; s++)
        *(in[a] ? &ntrain : &ntest) += c->apps[a].stages[s].usable;
    }
    if (ntrain < 20 || ntest == 0) continue; /* nothing to learn from or nothing to score */
    nnls_model base;
    rc = train_inner(c, in, gi, 0, p, blank, &base, &b, &rounds, err);
    if (!rc) rc = sic_xgb_to_gbdt(b, SF__COUNT, &g, err);
    sic_xgb_free(b);
    if (rc) goto done;
    for (int32_t a = 0; a < c->napps; a++) {
      if (fold[a] != j) continue;
      for (int32_t s = 0; s < c->apps[a].nstages; s++) {
        const sic_ml_stage_row *r = &c->apps[a].stages[s];
        if (!r->usable) continue;
        float x[SF__COUNT];
        stage_x(r->x, blank, x);
        double pr = fmax(exp(sic_gbdt_predict_row(&g, x) + ml_stage_base_log(&base, r->x)), 1);
        double ac = fmax(r->duration_ms, 1);
        q[nq++] = fmax(pr / ac, ac / pr);
      }
    }
    sic_gbdt_free(&g);
  }
  *q_median = nq ? sic_ml_quantile(q, nq, 0.5) : INFINITY;
  rc = 0;
done:
  free(fold), free(in), free(q);
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, SIC_ENOMEM, "out of memory");
  return rc;
}

/* The candidate (depth x deployment features kept/blanked) with the best inner-CV median
 * q-error; the first candidate (the given params, features kept) wins ties. */
static int choose(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi, const sic_xgb_params *p,
                  const sic_ml_search *search, sic_ml_choice *out, sic_err *err) {
  out->max_depth = p->max_depth, out->blank_deployment = 0, out->inner_q = NAN;
  if (!search || (search->ndepths <= 0 && !search->try_blank)) return 0;
  int ndepths = search->ndepths > 0 ? search->ndepths : 1;
  double best = INFINITY;
  for (int d = 0; d < ndepths; d++)
    for (int blank = 0; blank <= (search->try_blank ? 1 : 0); blank++) {
      sic_xgb_params q = *p;
      if (search->ndepths > 0) q.max_depth = search->depths[d];
      double score = INFINITY;
      int rc = inner_score(c, train_set, gi, search->inner_folds > 1 ? search->inner_folds : 4, &q, blank, &score, err);
      if (rc) return rc;
      if (score < best) {
        best = score;
        out->max_depth = q.max_depth, out->blank_deployment = blank, out->inner_q = score;
      }
    }
  return 0;
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
  sic_ml_choice choice;                 /* stage model settings chosen on the training groups */
} fold_out;

static int run_split(const sic_ml_corpus *c, const int8_t *train_set, const int32_t *gi,
                     const sic_xgb_params *p, const sic_ml_search *search, preds *P, fold_out *fo,
                     sic_err *err) {
  rows tr = {0}, atr = {0};
  sic_xgb_booster sb = NULL, ab = NULL;
  sic_gbdt sg = {0}, ag = {0};
  double *A = NULL, *aA = NULL, *drv = NULL;
  int rc = gather(c, train_set, 1, 0, 0, &tr);
  if (!rc) rc = gather(c, train_set, 1, 1, 0, &atr);
  if (rc || (rc = choose(c, train_set, gi, p, search, &fo->choice, err))) goto done;
  sic_xgb_params sp = *p;
  sp.max_depth = fo->choice.max_depth;
  int blank = fo->choice.blank_deployment;
  nnls_model base;
  if ((rc = train_inner(c, train_set, gi, 0, &sp, blank, &base, &sb, &fo->stage_rounds, err)) ||
      (rc = sic_xgb_to_gbdt(sb, SF__COUNT, &sg, err)))
    goto done;
  if (atr.n >= 4 && ((rc = train_inner(c, train_set, gi, 1, p, 0, NULL, &ab, &fo->app_rounds, err)) ||
                     (rc = sic_xgb_to_gbdt(ab, AF__COUNT, &ag, err))))
    goto done;
  /* baselines on the same training rows */
  nnls_model sn, an;
  A = malloc((size_t)(tr.n + 1) * STAGE_NNLS_K * sizeof *A);
  aA = malloc((size_t)(atr.n + 1) * APP_NNLS_K * sizeof *aA);
  drv = malloc((size_t)(atr.n + 1) * sizeof *drv);
  rc = SIC_ENOMEM;
  if (!A || !aA || !drv) goto done;
  for (int i = 0; i < tr.n; i++) ml_stage_nnls_row(tr.X + (size_t)i * tr.nf, A + i * STAGE_NNLS_K);
  ml_nnls_fit(A, tr.ms, tr.n, STAGE_NNLS_K, &sn);
  for (int i = 0; i < atr.n; i++) {
    ml_app_nnls_row(&c->apps[atr.app[i]], aA + i * APP_NNLS_K);
    drv[i] = c->apps[atr.app[i]].driver_ms;
  }
  ml_nnls_fit(aA, atr.ms, atr.n, APP_NNLS_K, &an);
  double stage_med = sic_ml_quantile(tr.ms, tr.n, 0.5), app_med = sic_ml_quantile(atr.ms, atr.n, 0.5);
  double drv_med = sic_ml_quantile(drv, atr.n, 0.5);
  for (int32_t a = 0; a < c->napps; a++) {
    if (train_set[a]) continue;
    const sic_ml_app *ap = &c->apps[a];
    for (int32_t s = 0; s < ap->nstages; s++) {
      const sic_ml_stage_row *r = &ap->stages[s];
      double row[STAGE_NNLS_K];
      ml_stage_nnls_row(r->x, row);
      /* stages that never ran (skipped) take no time in any prediction */
      int ran = r->duration_ms >= 0;
      float x[SF__COUNT];
      stage_x(r->x, blank, x);
      P->stage_gbdt[a][s] = ran ? exp(sic_gbdt_predict_row(&sg, x) + ml_stage_base_log(&base, r->x)) : 0;
      P->stage_nnls[a][s] = ran ? ml_nnls_predict(&sn, row) : 0;
      P->stage_median[a][s] = ran ? stage_med : 0;
    }
    P->app_sim[a] = sic_ml_simulate(ap, P->stage_gbdt[a], ap->slots, drv_med);
    double arow[APP_NNLS_K];
    ml_app_nnls_row(ap, arow);
    P->app_nnls[a] = ml_nnls_predict(&an, arow);
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

/* ---- Where the errors are ---- */

const char *const sic_ml_strata_names[SIC_ML_STRATA] = {
  "stages < 100 ms", "stages 100 ms - 1 s", "stages 1 - 10 s", "stages >= 10 s", "stages >= 1 s",
  "stages of cluster-mode apps", "stages of local-mode apps",
};
const char *const sic_ml_strata_keys[SIC_ML_STRATA] = {
  "lt_100ms", "100ms_to_1s", "1s_to_10s", "ge_10s", "ge_1s", "cluster_mode", "local_mode",
};

/* Whether a stage (actual time ms, local-mode flag) is in stratum k. Buckets are by the
 * *actual* time: they say where the errors are, they are not something a prediction can use. */
static int in_stratum(int k, double ms, float is_local) {
  switch (k) {
  case 0: return ms < 100;
  case 1: return ms >= 100 && ms < 1000;
  case 2: return ms >= 1000 && ms < 10000;
  case 3: return ms >= 10000;
  case 4: return ms >= 1000;
  case 5: return is_local == 0;
  default: return is_local == 1;
  }
}

static void score_strata(const sic_ml_corpus *c, const preds *P, sic_ml_stratum *strata) {
  int n = 0;
  for (int32_t a = 0; a < c->napps; a++) n += c->apps[a].nstages;
  double *pr[3], *act = malloc((size_t)(n + 1) * sizeof *act);
  for (int k = 0; k < 3; k++) pr[k] = malloc((size_t)(n + 1) * sizeof(double));
  for (int k = 0; act && pr[0] && pr[1] && pr[2] && k < SIC_ML_STRATA; k++) {
    int m = 0;
    for (int32_t a = 0; a < c->napps; a++)
      for (int32_t s = 0; s < c->apps[a].nstages; s++) {
        const sic_ml_stage_row *r = &c->apps[a].stages[s];
        if (!r->usable || isnan(P->stage_gbdt[a][s]) || !in_stratum(k, r->duration_ms, r->x[SF_IS_LOCAL])) continue;
        act[m] = r->duration_ms;
        pr[0][m] = P->stage_gbdt[a][s], pr[1][m] = P->stage_nnls[a][s], pr[2][m] = P->stage_median[a][s];
        m++;
      }
    strata[k].gbdt = score(pr[0], act, m), strata[k].nnls = score(pr[1], act, m);
    strata[k].median = score(pr[2], act, m);
  }
  for (int k = 0; k < 3; k++) free(pr[k]);
  free(act);
}

static int cmp_share_desc(const void *x, const void *y) {
  double a = ((const sic_ml_app_errors *)x)->share, b = ((const sic_ml_app_errors *)y)->share;
  return a > b ? -1 : a < b;
}

/* One entry per CV group (distinct application): its stages' median q-errors and its share of
 * the stage model's total log q-error, biggest share first; plus the median over applications. */
static int score_by_app(const sic_ml_corpus *c, const preds *P, const int32_t *gi, sic_ml_eval *out) {
  int32_t ng = out->ngroups;
  int n = 0;
  for (int32_t a = 0; a < c->napps; a++) n += c->apps[a].nstages;
  out->by_app = calloc((size_t)ng + 1, sizeof *out->by_app);
  double *q[3], *ms = malloc((size_t)(n + 1) * sizeof *ms), total = 0;
  for (int k = 0; k < 3; k++) q[k] = malloc((size_t)(n + 1) * sizeof(double));
  double *app_q[3];
  for (int k = 0; k < 3; k++) app_q[k] = malloc(((size_t)ng + 1) * sizeof(double));
  int rc = SIC_ENOMEM, napp = 0;
  if (!out->by_app || !ms || !q[0] || !q[1] || !q[2] || !app_q[0] || !app_q[1] || !app_q[2]) goto done;
  for (int32_t g = 0; g < ng; g++) {
    sic_ml_app_errors *e = &out->by_app[out->nby_app];
    int m = 0;
    for (int32_t a = 0; a < c->napps; a++) {
      if (gi[a] != g) continue;
      const sic_ml_app *ap = &c->apps[a];
      if (!e->app_id) {
        e->app_id = strdup(ap->app_id), e->name = strdup(ap->app_name);
        if (!e->app_id || !e->name) goto done;
      }
      e->logs++;
      for (int32_t s = 0; s < ap->nstages; s++) {
        const sic_ml_stage_row *r = &ap->stages[s];
        if (!r->usable || isnan(P->stage_gbdt[a][s])) continue;
        double act = fmax(r->duration_ms, 1), p3[3] = {P->stage_gbdt[a][s], P->stage_nnls[a][s], P->stage_median[a][s]};
        for (int k = 0; k < 3; k++) q[k][m] = fmax(fmax(p3[k], 1) / act, act / fmax(p3[k], 1));
        ms[m] = r->duration_ms;
        e->is_local = r->x[SF_IS_LOCAL] == 1;
        e->log_q_sum += log(q[0][m]);
        m++;
      }
    }
    if (!e->app_id) continue;
    e->nstages = m;
    total += e->log_q_sum;
    if (m > 0) {
      e->gbdt_q = sic_ml_quantile(q[0], m, 0.5), e->nnls_q = sic_ml_quantile(q[1], m, 0.5);
      e->median_q = sic_ml_quantile(q[2], m, 0.5), e->median_ms = sic_ml_quantile(ms, m, 0.5);
      app_q[0][napp] = e->gbdt_q, app_q[1][napp] = e->nnls_q, app_q[2][napp] = e->median_q;
      napp++;
    }
    out->nby_app++;
  }
  for (int32_t i = 0; i < out->nby_app; i++) out->by_app[i].share = total > 0 ? out->by_app[i].log_q_sum / total : 0;
  sic_qsort(out->by_app, (size_t)out->nby_app, sizeof *out->by_app, cmp_share_desc);
  sic_ml_metrics *per[3] = {&out->per_app_gbdt, &out->per_app_nnls, &out->per_app_median};
  for (int k = 0; k < 3; k++) {
    per[k]->n = napp;
    per[k]->q_median = sic_ml_quantile(app_q[k], napp, 0.5);
    per[k]->q_p90 = sic_ml_quantile(app_q[k], napp, 0.9);
    per[k]->mape = NAN;
  }
  rc = 0;
done:
  for (int k = 0; k < 3; k++) free(q[k]), free(app_q[k]);
  free(ms);
  return rc;
}

/* How sure the headline is: the held-out stages are resampled by application (a bootstrap over
 * CV groups, fixed seed) and the GBDT's median q-error and its gain over the better baseline
 * recomputed; 10th and 90th percentiles over the resamples. No retraining: it measures how much
 * the figures depend on which applications happen to be in the corpus. */
enum { BOOTSTRAP_ROUNDS = 400 };

static uint64_t xorshift(uint64_t *s) {
  *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
  return *s;
}

typedef struct scored_stage {
  int32_t group;                        /* CV group of its application */
  double q[3];                          /* q-error of GBDT, NNLS, median baseline */
} scored_stage;

static int cmp_scored_group(const void *x, const void *y) {
  int32_t a = ((const scored_stage *)x)->group, b = ((const scored_stage *)y)->group;
  return a < b ? -1 : a > b;
}

static int bootstrap(const sic_ml_corpus *c, const preds *P, const int32_t *gi, sic_ml_eval *out) {
  int n = 0, m = 0, ng = out->ngroups, rc = SIC_ENOMEM;
  for (int32_t a = 0; a < c->napps; a++) n += c->apps[a].nstages;
  scored_stage *st = malloc((size_t)(n + 1) * sizeof *st);
  int32_t *first = calloc((size_t)ng + 2, sizeof *first); /* stages of group g: first[g]..first[g+1] */
  double *q[3] = {NULL, NULL, NULL}, *gain = malloc(BOOTSTRAP_ROUNDS * sizeof *gain);
  double *med = malloc(BOOTSTRAP_ROUNDS * sizeof *med);
  if (!st || !first || !gain || !med) goto done;
  for (int32_t a = 0; a < c->napps; a++)
    for (int32_t s = 0; s < c->apps[a].nstages; s++) {
      const sic_ml_stage_row *r = &c->apps[a].stages[s];
      if (!r->usable || isnan(P->stage_gbdt[a][s])) continue;
      double act = fmax(r->duration_ms, 1), p3[3] = {P->stage_gbdt[a][s], P->stage_nnls[a][s], P->stage_median[a][s]};
      st[m].group = gi[a];
      for (int k = 0; k < 3; k++) st[m].q[k] = fmax(fmax(p3[k], 1) / act, act / fmax(p3[k], 1));
      m++;
    }
  sic_qsort(st, (size_t)m, sizeof *st, cmp_scored_group);
  for (int i = 0; i < m; i++) first[st[i].group + 1]++; /* counts, then prefix sums */
  int32_t largest = 0;
  for (int32_t g = 0; g < ng; g++) {
    largest = first[g + 1] > largest ? first[g + 1] : largest;
    first[g + 1] += first[g];
  }
  /* a resample may draw the largest application every time */
  for (int k = 0; k < 3; k++)
    if (!(q[k] = malloc(((size_t)ng * (size_t)largest + 1) * sizeof(double)))) goto done;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (int b = 0; b < BOOTSTRAP_ROUNDS; b++) {
    int k = 0;
    for (int32_t draw = 0; draw < ng; draw++) {
      int32_t g = (int32_t)(xorshift(&seed) % (uint64_t)ng);
      for (int32_t i = first[g]; i < first[g + 1]; i++, k++)
        for (int j = 0; j < 3; j++) q[j][k] = st[i].q[j];
    }
    double mg = sic_ml_quantile(q[0], k, 0.5), best = fmin(sic_ml_quantile(q[1], k, 0.5), sic_ml_quantile(q[2], k, 0.5));
    med[b] = mg, gain[b] = 1 - mg / best;
  }
  out->boot_q_lo = sic_ml_quantile(med, BOOTSTRAP_ROUNDS, 0.1), out->boot_q_hi = sic_ml_quantile(med, BOOTSTRAP_ROUNDS, 0.9);
  out->boot_gain_lo = sic_ml_quantile(gain, BOOTSTRAP_ROUNDS, 0.1);
  out->boot_gain_hi = sic_ml_quantile(gain, BOOTSTRAP_ROUNDS, 0.9);
  rc = 0;
done:
  for (int k = 0; k < 3; k++) free(q[k]);
  free(st), free(first), free(gain), free(med);
  return rc;
}

static int evaluate_interp(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search,
                           const int32_t *gi, sic_ml_eval *out, sic_err *err) {
  preds P = {0};
  int8_t *train = malloc((size_t)c->napps + 1);
  double *sr = calloc((size_t)out->folds, sizeof *sr), *ar = calloc((size_t)out->folds, sizeof *ar);
  int rc = SIC_ENOMEM, nar = 0;
  if (!train || !sr || !ar || preds_alloc(c, &P)) goto done;
  for (int f = 0; f < out->folds; f++) {
    for (int32_t a = 0; a < c->napps; a++) train[a] = gi[a] % out->folds != f;
    fold_out fo = {0};
    if ((rc = run_split(c, train, gi, p, search, &P, &fo, err))) goto done;
    if (f < SIC_ML_MAX_FOLDS) out->choice[f] = fo.choice;
    sr[f] = fo.stage_rounds;
    if (fo.app_rounds > 0) ar[nar++] = fo.app_rounds;
  }
  score_all(c, &P, NULL, &out->interp);
  score_strata(c, &P, out->strata);
  if ((rc = score_by_app(c, &P, gi, out)) || (rc = bootstrap(c, &P, gi, out))) goto done;
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
static int evaluate_extrap(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search,
                           const int32_t *gi, sic_ml_eval *out, sic_err *err) {
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
  if ((rc = run_split(c, train, gi, p, search, &P, &fo, err))) goto done;
  score_all(c, &P, test, &out->extrap);
  out->extrap_choice = fo.choice;
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

int sic_ml_evaluate(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search, int folds,
                    sic_ml_eval *out, sic_err *err) {
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
  if (!rc) rc = evaluate_interp(c, p, search, gi, out, err);
  if (!rc) rc = evaluate_extrap(c, p, search, gi, out, err);
  if (!rc) evaluate_sim_actual(c, out);
  free(gi);
  if (rc) sic_ml_eval_free(out);
  return rc;
}

void sic_ml_eval_free(sic_ml_eval *ev) {
  for (int32_t i = 0; ev->by_app && i < ev->nby_app; i++) free(ev->by_app[i].name), free(ev->by_app[i].app_id);
  free(ev->by_app);
  ev->by_app = NULL;
  ev->nby_app = 0;
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

int sic_ml_train_final(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search,
                       sic_ml_eval *ev, sic_gbdt out[2], sic_err *err) {
  rows s = {0}, a = {0};
  sic_xgb_booster sb = NULL, ab = NULL;
  sic_xgb_params q = *p;
  int32_t *gi = malloc(((size_t)c->napps + 1) * sizeof *gi), ng = 0;
  int8_t *all = malloc((size_t)c->napps + 1);
  memset(out, 0, 2 * sizeof *out);
  int rc = !gi || !all || group_index(c, gi, &ng) ? sic_err_set(err, SIC_ENOMEM, "out of memory") : 0;
  for (int32_t i = 0; !rc && i < c->napps; i++) all[i] = 1;
  /* the same selection as in each CV fold, now on every application */
  if (!rc) rc = choose(c, all, gi, p, search, &ev->final_choice, err);
  if (!rc) rc = gather(c, NULL, 0, 0, ev->final_choice.blank_deployment, &s);
  if (!rc) rc = gather(c, NULL, 0, 1, 0, &a);
  nnls_model base;
  if (!rc && !(rc = ml_stage_nnls_fit(s.X, s.nf, s.ms, s.n, &base))) {
    rows_offset(&s, &base);
    for (int j = 0; j < STAGE_NNLS_K; j++) ev->stage_base_w[j] = base.theta[j] / base.scale[j];
  }
  if (rc) goto done;
  char mono[4 * SF__COUNT + 4];
  sic_ml_stage_monotone(mono, sizeof mono);
  q.early_stop = 0;
  q.monotone = mono;
  q.max_depth = ev->final_choice.max_depth;
  q.max_rounds = ev->rounds_stage > 0 ? ev->rounds_stage : p->max_rounds;
  if ((rc = sic_xgb_train(s.X, s.y, s.n, s.nf, NULL, NULL, 0, &q, &sb, NULL, err)) ||
      (rc = sic_xgb_to_gbdt(sb, SF__COUNT, &out[0], err)))
    goto done;
  q.monotone = NULL;
  q.max_depth = p->max_depth;
  q.max_rounds = ev->rounds_app > 0 ? ev->rounds_app : 50;
  if ((rc = sic_xgb_train(a.X, a.y, a.n, a.nf, NULL, NULL, 0, &q, &ab, NULL, err)) ||
      (rc = sic_xgb_to_gbdt(ab, AF__COUNT, &out[1], err)))
    goto done;
  if (name_booster(&out[0], "stage", sic_ml_stage_feature_names, SF__COUNT, ev->stage_resid_lo, ev->stage_resid_hi) ||
      name_booster(&out[1], "app", sic_ml_app_feature_names, AF__COUNT, ev->app_resid_lo, ev->app_resid_hi))
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
done:
  free(gi), free(all);
  sic_xgb_free(sb), sic_xgb_free(ab);
  rows_free(&s), rows_free(&a);
  if (rc) sic_gbdt_free(&out[0]), sic_gbdt_free(&out[1]);
  return rc;
}

