/* `sic predict LOG [--model FILE] [--executors N] [--cores C] [--input-scale X]`: predicted
 * runtime of an application with an interval, for the run in the log or a what-if variant.
 *
 * The log is the plan: its stages, their dependencies, inputs and operators. Every stage's time
 * comes from the stage model with features rebuilt for the requested input scale on the logged
 * executors, times the stage's wave ratio for the requested executors and cores (a wide stage
 * gets faster with more executors, a narrow one does not change); the DAG scheduler simulation
 * turns them into the application's runtime on that many slots, plus the driver time the log
 * shows (ml/predict.h).
 * With a JOB (a job key, app name or app id in the history store) instead of a LOG, the newest
 * stored run whose log is still readable is the plan; the job's earlier runs give a history-based
 * prediction (ml/history.h) next to the model's (the model is optional then).
 * Exit: 0 predicted, 1 bad input (log or model unreadable, wrong model version), 2 usage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/predict_replay.h"
#include "json/write.h"
#include "ml/history.h"
#include "ml/predict.h"
#include "store/store.h"

/* An interval wider than this ratio (high / low) is too wide to plan with. */
#define USEFUL_SPREAD 3.0

/* A number of the model's metadata ("key": value), NaN when absent. */
static double meta_num(const char *meta, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = meta ? strstr(meta, pat) : NULL;
  if (!p) return NAN;
  char *end;
  double v = strtod(p + strlen(pat), &end);
  return end == p + strlen(pat) ? NAN : v;
}

/* Notes on what the model never saw: slots, input volume or stage count more than 4x beyond
 * the span of its training applications (models from before these ranges were saved: none). */
static void print_outside(const sic_ml_predictor *pred, const sic_app *app, const sic_ml_whatif *wi) {
  sic_ml_app a = {0};
  sic_err e = {0};
  if (!pred || !pred->file || sic_ml_app_build(app, wi, &a, &e)) return;
  static const char *const what[3] = {"task slots", "input + shuffle-read bytes", "stages"};
  static const char *const keys[3][2] = {{"range_slots_lo", "range_slots_hi"},
                                         {"range_input_bytes_lo", "range_input_bytes_hi"},
                                         {"range_stages_lo", "range_stages_hi"}};
  const double v[3] = {a.slots, a.input_bytes, a.nstages};
  for (int k = 0; k < 3; k++) {
    double lo = meta_num(pred->file->meta, keys[k][0]), hi = meta_num(pred->file->meta, keys[k][1]);
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(v[k])) continue;
    if (v[k] > 4 * hi || (lo > 0 && v[k] < lo / 4))
      printf("  note: far outside the training data: %.4g %s, the model saw %.4g .. %.4g\n", v[k], what[k], lo, hi);
  }
  sic_ml_app_free(&a);
}

static void fmt_ms(double ms, char *buf, size_t n) {
  if (!(ms >= 0)) snprintf(buf, n, "-");
  else if (ms < 1000) snprintf(buf, n, "%.0f ms", ms);
  else if (ms < 120000) snprintf(buf, n, "%.1f s", ms / 1000);
  else snprintf(buf, n, "%.1f min", ms / 60000);
}

static void print_text(const char *log, const sic_ml_prediction *r, const sic_ml_whatif *wi, int unknown,
                       const sic_replay_prediction *replay) {
  char a[32], lo[32], hi[32], obs[32], g[32], drv[32];
  fmt_ms(r->app_ms, a, sizeof a), fmt_ms(r->lo_ms, lo, sizeof lo), fmt_ms(r->hi_ms, hi, sizeof hi);
  fmt_ms(r->observed_ms, obs, sizeof obs), fmt_ms(r->app_gbdt_ms, g, sizeof g);
  fmt_ms(r->driver_ms, drv, sizeof drv);
  printf("%s\n", log);
  printf("  plan: %d stages on %d executors, %d slots%s", r->nstages, r->executors, r->slots,
         wi->input_scale > 0 && wi->input_scale != 1 ? "" : "\n");
  if (wi->input_scale > 0 && wi->input_scale != 1) printf(", input x%g\n", wi->input_scale);
  printf("  predicted runtime: %s  (80%% interval %s .. %s)\n", a, lo, hi);
  printf("  app-level model:   %s;  driver time included: %s;  observed in the log: %s\n", g, drv, obs);
  if (unknown) printf("  note: the model uses %d feature(s) this build does not compute (treated as missing)\n", unknown);
  if (r->lo_ms > 0 && r->hi_ms / r->lo_ms > USEFUL_SPREAD)
    printf("  note: the interval spans more than %.0fx: too wide to plan with\n", USEFUL_SPREAD);
  /* at the logged size the model should land near what the log shows; far off means the log is
   * unlike the applications it was trained on */
  if (replay && wi->executors <= 0 && wi->cores <= 0 && (wi->input_scale <= 0 || wi->input_scale == 1) &&
      r->observed_ms > 0 && (r->app_ms / r->observed_ms > USEFUL_SPREAD || r->observed_ms / r->app_ms > USEFUL_SPREAD))
    printf("  note: the model is %.1fx off the runtime in the log: this application is far from its training data;\n"
           "        the replay below is the better estimate\n",
           r->app_ms > r->observed_ms ? r->app_ms / r->observed_ms : r->observed_ms / r->app_ms);
  if (replay) {
    char rp[32], rlo[32], rhi[32];
    fmt_ms(replay->predicted_ms, rp, sizeof rp), fmt_ms(replay->lo_ms, rlo, sizeof rlo);
    fmt_ms(replay->hi_ms, rhi, sizeof rhi);
    printf("  what-if replay of the log's tasks (as `sic analyze`): %s  (interval %s .. %s)\n", rp, rlo, rhi);
  }
  /* the five stages predicted to take longest */
  int shown[5] = {-1, -1, -1, -1, -1};
  for (int k = 0; k < 5; k++) {
    for (int32_t i = 0; i < r->nstages; i++) {
      int used = 0;
      for (int j = 0; j < k; j++) used |= shown[j] == i;
      if (!used && r->stage_ms[i] > 0 && (shown[k] < 0 || r->stage_ms[i] > r->stage_ms[shown[k]])) shown[k] = i;
    }
    if (shown[k] < 0) break;
    if (k == 0) printf("  longest stages (predicted / observed):\n");
    int i = shown[k];
    fmt_ms(r->stage_ms[i], a, sizeof a), fmt_ms(r->stage_observed_ms[i], obs, sizeof obs);
    printf("    stage %-5d %10s / %s\n", r->stage_id[i], a, obs);
  }
}

static void print_replay(const char *log, const sic_replay_prediction *p, const sic_ml_whatif *wi, sic_format format) {
  char a[32], lo[32], hi[32], obs[32], rl[32], cp[32];
  fmt_ms(p->predicted_ms, a, sizeof a), fmt_ms(p->lo_ms, lo, sizeof lo), fmt_ms(p->hi_ms, hi, sizeof hi);
  fmt_ms(p->observed_ms, obs, sizeof obs), fmt_ms(p->replay_logged_ms, rl, sizeof rl);
  fmt_ms(p->critical_path_ms, cp, sizeof cp);
  int wide = p->lo_ms > 0 && p->hi_ms / p->lo_ms > USEFUL_SPREAD;
  if (format == SIC_FORMAT_JSON) {
    sic_jw w;
    sic_jw_init(&w, SIC_JW_PRETTY);
    sic_jw_obj(&w);
    sic_jw_kstr(&w, "schema", "sic.prediction/1");
    sic_jw_kstr(&w, "log", log);
    sic_jw_kstr(&w, "source", "replay");
    sic_jw_kint(&w, "executors", p->executors);
    sic_jw_kint(&w, "cores", p->cores);
    sic_jw_kint(&w, "loggedExecutors", p->logged_executors);
    sic_jw_kdouble(&w, "slotFactor", p->factor);
    sic_jw_kdouble(&w, "predictedMs", p->predicted_ms);
    sic_jw_kdouble(&w, "lowMs", p->lo_ms);
    sic_jw_kdouble(&w, "highMs", p->hi_ms);
    sic_jw_kbool(&w, "intervalTooWide", wide);
    sic_jw_kdouble(&w, "observedMs", p->observed_ms);
    sic_jw_kdouble(&w, "replayAtLoggedSizeMs", p->replay_logged_ms);
    sic_jw_kdouble(&w, "replayError", p->replay_error);
    sic_jw_kdouble(&w, "criticalPathMs", p->critical_path_ms);
    sic_jw_kdouble(&w, "driverMs", p->driver_ms);
    sic_jw_end(&w);
    if (!sic_jw_status(&w)) printf("%s\n", w.buf);
    sic_jw_free(&w);
    return;
  }
  printf("%s\n", log);
  printf("  source: no trained model (see `sic train`; --model or SIC_MODEL), so a replay of this log's own\n"
         "          task times on the requested slots: the simulation behind `sic analyze`'s what-if table\n");
  if (p->logged_executors > 0)
    printf("  plan: %d executor(s) x %d cores as logged%s", p->logged_executors, p->logged_cores,
           p->factor != 1 ? "" : "\n");
  else
    printf("  plan: local mode, %d cores as logged%s", p->logged_cores, p->factor != 1 ? "" : "\n");
  if (p->factor != 1) printf(" -> %d x %d requested (%.2fx the task slots)\n", p->executors, p->cores, p->factor);
  (void)wi;
  printf("  predicted runtime: %s  (interval %s .. %s)\n", a, lo, hi);
  printf("  replay at the logged size: %s vs %s observed (%.0f%% off); nothing beats the critical path, %s\n", rl, obs,
         100 * p->replay_error, cp);
  printf("  interval: the replay's error on this log, +15 points per doubling away from the logged size (a heuristic),\n"
         "            bounded below by the critical path and perfectly spread work\n");
  if (wide) printf("  note: the interval spans more than %.0fx: too wide to plan with\n", USEFUL_SPREAD);
}

static void print_json(const char *log, const sic_ml_prediction *r, const sic_ml_whatif *wi) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.prediction/1");
  sic_jw_kstr(&w, "log", log);
  sic_jw_kint(&w, "executors", r->executors);
  sic_jw_kint(&w, "slots", r->slots);
  sic_jw_kdouble(&w, "inputScale", wi->input_scale > 0 ? wi->input_scale : 1);
  sic_jw_kdouble(&w, "predictedMs", r->app_ms);
  sic_jw_kdouble(&w, "lowMs", r->lo_ms);
  sic_jw_kdouble(&w, "highMs", r->hi_ms);
  if (isfinite(r->app_gbdt_ms)) sic_jw_kdouble(&w, "appModelMs", r->app_gbdt_ms);
  sic_jw_kdouble(&w, "driverMs", r->driver_ms);
  if (r->observed_ms >= 0) sic_jw_kdouble(&w, "observedMs", r->observed_ms);
  sic_jw_karr(&w, "stages");
  for (int32_t i = 0; i < r->nstages; i++) {
    sic_jw_obj(&w);
    sic_jw_kint(&w, "stageId", r->stage_id[i]);
    sic_jw_kdouble(&w, "predictedMs", r->stage_ms[i]);
    sic_jw_kdouble(&w, "lowMs", r->stage_lo_ms[i]);
    sic_jw_kdouble(&w, "highMs", r->stage_hi_ms[i]);
    if (r->stage_observed_ms[i] >= 0) sic_jw_kdouble(&w, "observedMs", r->stage_observed_ms[i]);
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  sic_jw_end(&w);
  if (!sic_jw_status(&w)) printf("%s\n", w.buf);
  sic_jw_free(&w);
}

/* Runs of the job whose logs load: features of each (the newest with the what-if applied) and
 * the newest model, kept for the model's prediction. Returns the number of runs usable. */
static int load_runs(const sic_store_runs *runs, const sic_ml_whatif *wi, sic_ml_app *apps, sic_app **newest) {
  int n = 0;
  *newest = NULL;
  for (size_t k = runs->n; k-- > 0;) { /* newest first */
    sic_app *app = NULL;
    sic_err e = {0};
    if (!runs->items[k].source_path || sic_app_load_path(runs->items[k].source_path, NULL, &app, &e)) {
      fprintf(stderr, "sic predict: run %s: log not readable, skipped (%s)\n", runs->items[k].app_id,
              e.msg[0] ? e.msg : "no source path");
      continue;
    }
    if (sic_ml_app_build(app, n == 0 ? wi : NULL, &apps[n], &e) == 0) n++;
    if (n == 1 && !*newest) *newest = app;
    else sic_app_free(app);
  }
  return n;
}

static int predict_job(const char *job, const char *url, const sic_ml_predictor *pred, const sic_ml_whatif *wi,
                       sic_format format, sic_err *err) {
  sic_store *s = NULL;
  sic_store_runs runs = {0};
  sic_ml_app *apps = NULL;
  sic_app *newest = NULL;
  sic_ml_prediction res = {0};
  int n = 0, rc = sic_store_open(url, &s, err);
  if (!rc) rc = sic_store_history(s, job, 0, &runs, err);
  if (rc) goto done;
  apps = calloc(runs.n + 1, sizeof *apps);
  if (!apps) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  n = load_runs(&runs, wi, apps, &newest);
  if (n == 0) {
    rc = sic_err_set(err, SIC_ENOTFOUND, "job '%s': none of its %zu stored runs has a readable log", job, runs.n);
    goto done;
  }
  const sic_ml_app **prev = malloc((size_t)n * sizeof *prev);
  for (int i = 1; prev && i < n; i++) prev[i - 1] = &apps[i];
  double hist = prev ? sic_ml_history_predict(prev, n - 1, &apps[0]) : -1;
  free(prev);
  /* the app model's history feature: median runtime of the earlier runs */
  sic_ml_whatif wh = *wi;
  double *rt = malloc((size_t)n * sizeof *rt);
  int nrt = 0;
  for (int i = 1; rt && i < n; i++)
    if (apps[i].runtime_ms > 0) rt[nrt++] = apps[i].runtime_ms;
  wh.history_ms = nrt ? sic_ml_quantile(rt, nrt, 0.5) : 0;
  free(rt);
  if (pred && (rc = sic_ml_predict(pred, newest, &wh, &res, err))) goto done;
  char h[32], m[32], lo[32], hi[32], obs[32];
  fmt_ms(hist, h, sizeof h), fmt_ms(pred ? res.app_ms : -1, m, sizeof m);
  fmt_ms(pred ? res.lo_ms : -1, lo, sizeof lo), fmt_ms(pred ? res.hi_ms : -1, hi, sizeof hi);
  fmt_ms(apps[0].runtime_ms, obs, sizeof obs);
  if (format == SIC_FORMAT_JSON) {
    sic_jw w;
    sic_jw_init(&w, SIC_JW_PRETTY);
    sic_jw_obj(&w);
    sic_jw_kstr(&w, "schema", "sic.prediction/1");
    sic_jw_kstr(&w, "job", job);
    sic_jw_kint(&w, "runs", n);
    sic_jw_kint(&w, "slots", apps[0].slots);
    if (hist >= 0 && n > 1) sic_jw_kdouble(&w, "historyMs", hist);
    if (pred) {
      sic_jw_kdouble(&w, "predictedMs", res.app_ms);
      sic_jw_kdouble(&w, "lowMs", res.lo_ms);
      sic_jw_kdouble(&w, "highMs", res.hi_ms);
    }
    if (apps[0].runtime_ms >= 0) sic_jw_kdouble(&w, "newestObservedMs", apps[0].runtime_ms);
    sic_jw_end(&w);
    if (!sic_jw_status(&w)) printf("%s\n", w.buf);
    sic_jw_free(&w);
  } else {
    printf("job %s: %d run(s) with readable logs; plan = newest run (%s, observed %s), %d slots\n", job, n,
           apps[0].app_id, obs, apps[0].slots);
    printf("  from the %d earlier run(s): %s\n", n - 1, n > 1 ? h : "- (no earlier run)");
    if (pred) printf("  model (stage GBDT + DAG simulation): %s  (80%% interval %s .. %s)\n", m, lo, hi);
    else printf("  model: none given (--model FILE or SIC_MODEL adds the model's prediction)\n");
  }
done:
  sic_ml_prediction_free(&res);
  for (int i = 0; i < n; i++) sic_ml_app_free(&apps[i]);
  free(apps);
  sic_app_free(newest);
  sic_store_runs_free(&runs);
  sic_store_close(s);
  return rc;
}

static int parse_scale(const char *s, double *out) {
  if (!s) return *out = 1, 0;
  char *end;
  *out = strtod(s, &end);
  return *end || !(*out > 0 && *out < 1e6) ? -1 : 0;
}

int sic_cmd_predict(int argc, char **argv) {
  const char *model = getenv("SIC_MODEL"), *scale_s = NULL, *store = NULL;
  int64_t executors = 0, cores = 0;
  sic_format format = SIC_FORMAT_TEXT;
  sic_opt opts[] = {
    SIC_OPT_STRING_ROW("model", 'm', &model, "FILE", "model file from `sic train` (default $SIC_MODEL)"),
    SIC_OPT_INT_ROW("executors", 0, &executors, "N", "executors for the planned run (default: as logged)", 1, 100000),
    SIC_OPT_INT_ROW("cores", 0, &cores, "C", "cores per executor (default: as logged)", 1, 1024),
    SIC_OPT_STRING_ROW("input-scale", 0, &scale_s, "X", "multiply input volumes by X (default 1)"),
    SIC_OPT_STRING_ROW("store", 0, &store, "URL", "history store for JOB (default $SIC_STORE, then the default store)"),
    SIC_OPT_FORMAT_ROW(&format, "output format (text|json)"),
  };
  sic_cmd_spec spec = {"predict", "LOG|JOB [--model FILE] [--store URL] [--executors N] [--cores C] [--input-scale X]",
                       "Predict the runtime of the application in LOG, or of the same plan run with other\n"
                       "executors/cores/input volume: per-stage times from the trained stage model (other\n"
                       "executors/cores change each stage by its number of waves of tasks), fed through a\n"
                       "DAG scheduler simulation on executors x cores slots, plus driver time.\n"
                       "The interval is the 10th..90th percentile of the model's cross-validation errors.\n"
                       "Without a model (no --model, no SIC_MODEL) the estimate is a replay of the log's own task\n"
                       "times on the requested slots (the what-if simulation of `sic analyze`), with an interval\n"
                       "from the replay's error on this log.\n"
                       "JOB (a job in the history store, when LOG is not a path) predicts the job's next run\n"
                       "from its newest stored run's plan, with a history-based prediction from its earlier runs.",
                       opts, sizeof opts / sizeof opts[0],
                       SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, 1};
  char *pos[2] = {0};
  char **posv = calloc((size_t)argc + 1, sizeof *posv);
  int npos = 0, r = sic_args_parse(&spec, argc, argv, posv, &npos);
  pos[0] = posv ? posv[0] : NULL;
  free(posv);
  if (r != SIC_ARGS_OK) return r == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_ml_whatif wi = {.executors = (int)executors, .cores = (int)cores, .input_scale = 1};
  if (parse_scale(scale_s, &wi.input_scale))
    return sic_args_usage_error(&spec, "--input-scale wants a positive number, got '%s'", scale_s), SIC_EXIT_USAGE;
  struct stat st;
  /* a name that is no file is a job; one that looks like a path is a log that is missing */
  int is_job = stat(pos[0], &st) != 0 && !strchr(pos[0], '/');
  int replay_only = !is_job && (!model || !*model);
  if (replay_only && wi.input_scale != 1)
    return sic_args_usage_error(&spec, "--input-scale needs a trained model (sic train; --model FILE): the replay "
                                       "without one reuses the logged task times"),
           SIC_EXIT_USAGE;

  sic_err err = {0};
  sic_ml_predictor *pred = NULL;
  sic_app *app = NULL;
  sic_ml_prediction res = {0};
  int code = SIC_EXIT_INPUT;
  if (model && *model && sic_ml_predictor_open(model, &pred, &err)) goto done;
  if (is_job) {
    if (predict_job(pos[0], store, pred, &wi, format, &err)) goto done;
    code = SIC_EXIT_OK;
    goto done;
  }
  if (sic_app_load_path(pos[0], NULL, &app, &err)) goto done;
  sic_replay_prediction replay;
  sic_err rerr = {0};
  int have_replay = sic_replay_predict(app, wi.executors, wi.cores, &replay, &rerr) == 0;
  if (replay_only) {
    if (!have_replay) {
      err = rerr;
      goto done;
    }
    print_replay(pos[0], &replay, &wi, format);
    code = SIC_EXIT_OK;
    goto done;
  }
  if (sic_ml_predict(pred, app, &wi, &res, &err)) goto done;
  if (format == SIC_FORMAT_JSON) print_json(pos[0], &res, &wi);
  else {
    print_text(pos[0], &res, &wi, pred->unknown_features, have_replay ? &replay : NULL);
    print_outside(pred, app, &wi);
  }
  code = SIC_EXIT_OK;
done:
  if (code) fprintf(stderr, "sic predict: %s\n", err.msg);
  sic_ml_prediction_free(&res);
  sic_app_free(app);
  sic_ml_predictor_free(pred);
  return code;
}
