/* Grouped cross-validation with baselines, and training of the final models.
 *
 * Evaluation is honest by construction: folds are formed from CV groups (an application and
 * its copies, see sic_ml_app.group), so no application contributes rows to both the training
 * and the test side; early stopping uses an inner split of the training groups only; the
 * baselines (Ernest-style non-negative least squares on bytes/slots/waves, and the training
 * median) are fitted on the same training folds and scored on the same test rows.
 * Interpolation = grouped K-fold CV. Extrapolation = train on the applications with the
 * smallest 75% of input volumes, test on the largest 25% (input scales never seen).
 * Model selection is nested: in every split, the stage model's depth and whether it sees the
 * deployment features are chosen by an inner grouped CV of the training applications only
 * (sic_ml_search); the test applications never influence the choice.
 *
 * Ownership: sic_ml_evaluate fills a caller-owned sic_ml_eval whose by_app table sic_ml_eval_free releases;
 * sic_ml_train_final fills two caller-owned boosters (free each with sic_gbdt_free);
 * sic_ml_eval_json returns a malloc'ed string. */
#ifndef SIC_ML_EVAL_H
#define SIC_ML_EVAL_H

#include <stdio.h>

#include "ml/corpus.h"
#include "ml/features.h"
#include "ml/gbdt.h"
#include "ml/xgb.h"


typedef struct sic_ml_metrics {
  int32_t n;                            /* predictions scored */
  double q_median;                      /* median q-error max(p/a, a/p) */
  double q_p90;                         /* 90th percentile q-error */
  double mape;                          /* mean |p - a| / a, as a fraction */
} sic_ml_metrics;

/* One evaluation setting (interpolation or extrapolation). */
typedef struct sic_ml_scores {
  sic_ml_metrics stage_gbdt;            /* stage wall time: the GBDT */
  sic_ml_metrics stage_nnls;            /* stage wall time: Ernest-style NNLS baseline */
  sic_ml_metrics stage_median;          /* stage wall time: training median baseline */
  sic_ml_metrics app_sim;               /* app runtime: GBDT stage times through the DAG simulation */
  sic_ml_metrics app_gbdt;              /* app runtime: app-level GBDT */
  sic_ml_metrics app_nnls;              /* app runtime: Ernest-style NNLS baseline */
  sic_ml_metrics app_median;            /* app runtime: training median baseline */
} sic_ml_scores;

/* Settings the training chooses among, by grouped CV inside the training applications. */
typedef struct sic_ml_search {
  int32_t ndepths;                      /* tree depths to try; 0 = keep the params' depth */
  int32_t depths[4];                    /* the depths, the first one wins ties */
  int32_t try_blank;                    /* also try the stage model without deployment features */
  int32_t inner_folds;                  /* K of the inner grouped CV (default 4) */
} sic_ml_search;

/* The params' depth; deployment features kept / blanked; 4 inner folds. */
void sic_ml_search_default(sic_ml_search *s);

/* What the selection chose for one split. */
typedef struct sic_ml_choice {
  int32_t max_depth;                    /* tree depth of the stage model */
  int32_t blank_deployment;             /* 1 = deployment features blanked (sic_ml_stage_feature_is_deployment) */
  double inner_q;                       /* inner-CV median q-error that chose it (NaN without search) */
} sic_ml_choice;

/* Extra rows: the held-out stage errors split by actual stage time and by master. */
enum { SIC_ML_STRATA = 7 };
extern const char *const sic_ml_strata_names[SIC_ML_STRATA]; /* for people */
extern const char *const sic_ml_strata_keys[SIC_ML_STRATA];  /* JSON keys in the model metadata */

typedef struct sic_ml_stratum {
  sic_ml_metrics gbdt;                  /* stage GBDT on the stages of the stratum */
  sic_ml_metrics nnls;                  /* NNLS baseline, same stages */
  sic_ml_metrics median;                /* median baseline, same stages */
} sic_ml_stratum;

/* Held-out stage errors of one distinct application (CV group). */
typedef struct sic_ml_app_errors {
  char *name;                           /* application name (owned) */
  char *app_id;                         /* id of its first log (owned) */
  int32_t logs;                         /* logs in the group */
  int32_t nstages;                      /* timed stages scored */
  int32_t is_local;                     /* local-mode master */
  double median_ms;                     /* median actual stage time */
  double gbdt_q, nnls_q, median_q;      /* median q-error of each predictor over its stages */
  double log_q_sum;                     /* sum of log q-error of the GBDT */
  double share;                         /* log_q_sum / the corpus total (0..1) */
} sic_ml_app_errors;

enum { SIC_ML_MAX_FOLDS = 20 };

typedef struct sic_ml_eval {
  int32_t napps;                        /* applications in the corpus */
  int32_t ngroups;                      /* CV groups (distinct applications) */
  int32_t nstage_rows;                  /* stages with a known duration (training rows) */
  int32_t napp_rows;                    /* applications with a known runtime and >= 1 stage */
  int32_t folds;                        /* K of the grouped K-fold CV */
  sic_ml_scores interp;                 /* grouped CV */
  sic_ml_scores extrap;                 /* train small inputs, test large inputs */
  sic_ml_metrics app_sim_actual;        /* the simulation fed the actual stage times + driver time */
  int32_t rounds_stage;                 /* median best round of the stage model over folds */
  int32_t rounds_app;                   /* median best round of the app model over folds */
  float stage_resid_lo, stage_resid_hi; /* 10th/90th pct of out-of-fold log residuals (stage) */
  float app_resid_lo, app_resid_hi;     /* same for the app GBDT */
  float sim_resid_lo, sim_resid_hi;     /* same for stage GBDT + simulation */
  double driver_ms_median;              /* median driver time of the corpus (used for planned runs) */
  sic_ml_stratum strata[SIC_ML_STRATA]; /* interpolation, split by actual stage time and master */
  sic_ml_metrics per_app_gbdt;          /* median over applications of each one's median q (GBDT) */
  sic_ml_metrics per_app_nnls;          /* same for NNLS */
  sic_ml_metrics per_app_median;        /* same for the median baseline */
  double boot_q_lo, boot_q_hi;          /* 10th/90th pct of the GBDT's median q over application resamples */
  double boot_gain_lo, boot_gain_hi;    /* same for 1 - GBDT median q / better baseline's median q */
  sic_ml_app_errors *by_app;            /* per distinct application, biggest error share first */
  int32_t nby_app;                      /* entries in by_app */
  sic_ml_choice choice[SIC_ML_MAX_FOLDS]; /* selection of each interpolation fold */
  sic_ml_choice extrap_choice;          /* selection of the extrapolation split */
  sic_ml_choice final_choice;           /* selection on the whole corpus (sic_ml_train_final) */
  double stage_base_w[SIC_ML_ERNEST_TERMS]; /* final stage model's Ernest baseline: ms per term */
} sic_ml_eval;

/* search NULL: no selection (p's depth, every feature). */
int sic_ml_evaluate(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search, int folds,
                    sic_ml_eval *out, sic_err *err);
void sic_ml_eval_free(sic_ml_eval *ev);

/* Train "stage" and "app" boosters on the whole corpus with the rounds the CV chose and the
 * stage settings the same selection picks on the whole corpus (ev->final_choice), carrying
 * names, feature version and residual quantiles. */
int sic_ml_train_final(const sic_ml_corpus *c, const sic_xgb_params *p, const sic_ml_search *search,
                       sic_ml_eval *ev, sic_gbdt out[2], sic_err *err);

/* Metadata JSON saved in the model file: evaluation figures and training-set description. */
char *sic_ml_eval_json(const sic_ml_corpus *c, const sic_ml_eval *ev, const char *sources);

#endif
