/* `sic train LOGDIR... -o model.sic`: train the runtime predictor from event logs.
 *
 * Loads every event log under the paths, builds stage and application features (ml/features.h),
 * evaluates with grouped-by-application cross-validation next to the baselines (ml/eval.h) and
 * prints where the errors are (by stage time, master and application),
 * then trains the final "stage" and "app" boosters on everything with the number of rounds
 * early stopping chose, and saves them with the evaluation figures and a description of the
 * training set into one model file. The evaluation is printed (text or JSON).
 * Exit: 0 trained, 1 bad input (unreadable path, too little data), 2 usage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "ml/eval.h"

static void print_metrics(const char *label, const sic_ml_metrics *m) {
  printf("  %-34s n=%-4d median q-error %6.2f   p90 q-error %7.2f   MAPE %7.1f%%\n", label, m->n,
         m->q_median, m->q_p90, 100 * m->mape);
}

static void print_scores(const char *title, const sic_ml_scores *s) {
  printf("%s\n", title);
  print_metrics("stage time: GBDT", &s->stage_gbdt);
  print_metrics("stage time: NNLS (Ernest) baseline", &s->stage_nnls);
  print_metrics("stage time: median baseline", &s->stage_median);
  print_metrics("app runtime: stage GBDT + DAG sim", &s->app_sim);
  print_metrics("app runtime: app GBDT", &s->app_gbdt);
  print_metrics("app runtime: NNLS (Ernest) baseline", &s->app_nnls);
  print_metrics("app runtime: median baseline", &s->app_median);
}

/* Where the held-out stage errors are: by actual stage time and master, and by application. */
static void print_breakdown(const sic_ml_eval *ev) {
  printf("\nstage time on held-out applications, split (extra rows; the headline above is all stages):\n");
  for (int k = 0; k < SIC_ML_STRATA; k++) {
    printf("  %s\n", sic_ml_strata_names[k]);
    print_metrics("  GBDT", &ev->strata[k].gbdt);
    print_metrics("  NNLS (Ernest) baseline", &ev->strata[k].nnls);
    print_metrics("  median baseline", &ev->strata[k].median);
  }
  printf("  resampling the applications (bootstrap, 10th..90th percentile): GBDT median q-error %.2f..%.2f, "
         "gain over the better baseline %.0f%%..%.0f%%\n", ev->boot_q_lo, ev->boot_q_hi, 100 * ev->boot_gain_lo,
         100 * ev->boot_gain_hi);
  printf("  per application (median of each application's median q-error, %d applications): GBDT %.2f, "
         "NNLS %.2f, median %.2f\n", ev->per_app_gbdt.n, ev->per_app_gbdt.q_median, ev->per_app_nnls.q_median,
         ev->per_app_median.q_median);
  printf("\napplications with the largest share of the stage model's log q-error:\n");
  printf("  %6s  %-28s %-34s %-7s %6s %10s %7s %7s %7s\n", "share", "name", "first log", "master", "stages",
         "median ms", "q GBDT", "q NNLS", "q med");
  for (int32_t i = 0; i < ev->nby_app && i < 10; i++) {
    const sic_ml_app_errors *e = &ev->by_app[i];
    printf("  %5.1f%%  %-28.28s %-34.34s %-7s %6d %10.0f %7.2f %7.2f %7.2f\n", 100 * e->share, e->name,
           e->app_id, e->is_local ? "local" : "cluster", e->nstages, e->median_ms, e->gbdt_q, e->nnls_q, e->median_q);
  }
  printf("\nstage model settings chosen by grouped CV inside each fold's training applications:");
  for (int f = 0; f < ev->folds && f < SIC_ML_MAX_FOLDS; f++)
    printf(" %d:%s", f + 1, ev->choice[f].blank_deployment ? "no-deployment" : "all");
  printf("; final model: depth %d, %s\n", ev->final_choice.max_depth,
         ev->final_choice.blank_deployment ? "deployment features blanked" : "all features");
}

static void print_eval(const sic_ml_corpus *c, const sic_ml_eval *ev) {
  printf("training set: %d application logs (%d distinct, %d failed to load), %d timed stages, %d "
         "timed applications\n", ev->napps, ev->ngroups, c->nfailed, ev->nstage_rows, ev->napp_rows);
  printf("grouped %d-fold CV by application; rounds chosen by early stopping: stage %d, app %d\n\n",
         ev->folds, ev->rounds_stage, ev->rounds_app);
  print_scores("interpolation (held-out applications):", &ev->interp);
  print_scores("\nextrapolation (train on the smallest 75% of inputs, test on the largest 25%):", &ev->extrap);
  printf("\nDAG simulation fed the actual stage times and driver time (how much the simulation itself loses):\n");
  print_metrics("app runtime: simulation alone", &ev->app_sim_actual);
  printf("\nprediction interval (10th..90th pct of CV log residuals): stage x%.2f..x%.2f, app x%.2f..x%.2f\n",
         exp(ev->stage_resid_lo), exp(ev->stage_resid_hi), exp(ev->sim_resid_lo), exp(ev->sim_resid_hi));
  print_breakdown(ev);
}

/* Paths joined with spaces (training-set description). */
static char *join(char **pos, int n) {
  size_t len = 1;
  for (int i = 0; i < n; i++) len += strlen(pos[i]) + 1;
  char *s = calloc(len, 1);
  for (int i = 0; s && i < n; i++) {
    if (i) strcat(s, " ");
    strcat(s, pos[i]);
  }
  return s;
}

int sic_cmd_train(int argc, char **argv) {
  const char *out_path = NULL, *store = NULL;
  int64_t folds = 5, rounds = 600, depth = 0, min_child = 0;
  const char *eta_s = NULL;
  sic_format format = SIC_FORMAT_TEXT;
  sic_opt opts[] = {
    SIC_OPT_STRING_ROW("output", 'o', &out_path, "FILE", "model file to write (required)"),
    SIC_OPT_STRING_ROW("store", 0, &store, "URL", "train on every stored run's log (history store URL, \"default\" = $SIC_STORE or the default store)"),
    SIC_OPT_INT_ROW("folds", 0, &folds, "K", "cross-validation folds, grouped by application (default 5)", 2, 20),
    SIC_OPT_INT_ROW("max-rounds", 0, &rounds, "N", "most boosting rounds; early stopping picks fewer (default 600)", 10, 5000),
    SIC_OPT_INT_ROW("max-depth", 0, &depth, "D", "tree depth (default 3)", 1, 16),
    SIC_OPT_INT_ROW("min-child-weight", 0, &min_child, "W", "minimum hessian per leaf (default 5)", 1, 1000),
    SIC_OPT_STRING_ROW("eta", 0, &eta_s, "R", "learning rate (default 0.1)"),
    SIC_OPT_FORMAT_ROW(&format, "output format for the evaluation (text|json)"),
  };
  sic_cmd_spec spec = {"train", "LOGDIR...|--store URL -o model.sic [--folds K] [--format text|json]",
                       "Train the runtime predictor (stage-level gradient-boosted trees on the log-residual\n"
                       "of Ernest's NNLS model, and application-level trees on log-runtime) from every event\n"
                       "log under LOGDIR..., after a grouped cross-validation that never puts one application\n"
                       "in both train and test (settings are chosen inside each fold's training applications).\n"
                       "The model file holds both boosters, the baseline, their feature names, the CV figures\n"
                       "next to the baselines (with a breakdown by stage time, master and application) and a\n"
                       "description of the training set.",
                       opts, sizeof opts / sizeof opts[0],
                       SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, -1};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0, r = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (r != SIC_ARGS_OK) return free(pos), r == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  if (!out_path) return free(pos), sic_args_usage_error(&spec, "-o FILE is required"), SIC_EXIT_USAGE;
  if ((npos == 0) == (store == NULL))
    return free(pos), sic_args_usage_error(&spec, "give LOGDIR... or --store URL (one of them)"), SIC_EXIT_USAGE;

  sic_err err = {0};
  sic_ml_corpus corpus = {0};
  sic_ml_eval ev;
  int evaluated = 0;
  sic_gbdt boosters[2] = {{0}};
  char *meta = NULL, *sources = store ? strdup(store) : join(pos, npos);
  int exit_code = SIC_EXIT_INPUT;
  sic_xgb_params p;
  sic_xgb_params_default(&p);
  p.max_rounds = (int)rounds;
  if (depth) p.max_depth = (int)depth;
  if (min_child) p.min_child_weight = (double)min_child;
  if (eta_s) {
    char *end;
    p.eta = strtod(eta_s, &end);
    if (*end || !(p.eta > 0 && p.eta <= 1))
      return free(pos), sic_args_usage_error(&spec, "--eta wants a number in (0, 1], got '%s'", eta_s), SIC_EXIT_USAGE;
  }
  int loaded = store ? sic_ml_corpus_load_store(strcmp(store, "default") ? store : NULL, &corpus, stderr, &err)
                     : sic_ml_corpus_load(pos, npos, &corpus, stderr, &err);
  sic_ml_search search;
  sic_ml_search_default(&search);
  if (depth) search.ndepths = 0; /* an explicit depth is kept; only the feature set is chosen */
  if (loaded || sic_ml_evaluate(&corpus, &p, &search, (int)folds, &ev, &err)) goto done;
  evaluated = 1;
  if (sic_ml_train_final(&corpus, &p, &search, &ev, boosters, &err)) goto done;
  meta = sic_ml_eval_json(&corpus, &ev, sources);
  if (!meta || sic_ml_file_save(out_path, boosters, 2, meta, &err)) goto done;
  if (format == SIC_FORMAT_JSON) printf("%s\n", meta);
  else {
    print_eval(&corpus, &ev);
    printf("\nwrote %s (stage: %d trees, app: %d trees, feature set v%u)\n", out_path, boosters[0].ntrees,
           boosters[1].ntrees, SIC_ML_FEATURE_VERSION);
  }
  exit_code = SIC_EXIT_OK;
done:
  if (exit_code) fprintf(stderr, "sic train: %s\n", err.msg[0] ? err.msg : "out of memory");
  sic_gbdt_free(&boosters[0]), sic_gbdt_free(&boosters[1]);
  sic_ml_corpus_free(&corpus);
  if (evaluated) sic_ml_eval_free(&ev);
  free(meta), free(sources), free(pos);
  return exit_code;
}
