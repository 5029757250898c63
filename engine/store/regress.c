/* Regression detection over stored runs: which runs got significantly slower or costlier than
 * their job's recent baseline, and the likely cause.
 *
 * The test is robust on purpose: one slow run in the baseline must not hide a regression, and
 * one noisy job must not flag every run. For each run, the baseline is the job's previous N runs
 * (at least min_runs of them); the run is flagged when its robust z-score
 *     (x - median) / (1.4826 * MAD)
 * reaches min_score AND x / median reaches min_ratio. 1.4826 * MAD estimates the standard
 * deviation for normal noise while ignoring outliers. A perfectly steady baseline has MAD 0, so
 * the scale is floored at 2% of the median: a run 25% slower than an utterly steady job is news.
 * Only runs with complete logs take part: a partial log's duration and cost mean nothing. */ 
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "json/write.h"
#include "store/internal.h"

/* Spark properties that differ on every run and say nothing about the job's configuration. */
static const char *const volatile_props[] = {
  "spark.app.id", "spark.app.startTime", "spark.app.submitTime", "spark.app.name", "spark.app.attempt.id",
  "spark.driver.host", "spark.driver.port", "spark.driver.appUIAddress", "spark.executor.id",
  "spark.ui.proxyBase", "spark.yarn.app.id", "spark.yarn.app.container.log.dir", "spark.yarn.secondary.jars",
  "spark.repl.class.outputDir", "spark.repl.class.uri", "spark.ui.filters", "spark.yarn.appMasterEnv.SPARK_HOME",
  "spark.kubernetes.driver.pod.name", "spark.kubernetes.executor.podNamePrefix", "spark.sql.warehouse.dir",
  "spark.sql.session.timeZone", "spark.eventLog.dir",
  /* spark://<driver host>:<port>/jars/...: the driver's port changes on every run */
  "spark.app.initial.jar.urls", "spark.app.initial.file.urls", "spark.app.initial.archive.urls", NULL};

void sic_regress_opts_init(sic_regress_opts *o) {
  memset(o, 0, sizeof *o);
  o->since_ms = -1;
  o->baseline_runs = 10;
  o->min_runs = 4;
  o->min_score = 3.5;
  o->min_ratio = 1.25;
}

static int is_volatile(const char *name) {
  for (int i = 0; volatile_props[i]; i++)
    if (!strcmp(name, volatile_props[i])) return 1;
  /* Proxy filter parameters carry the application's tracking URL. */
  return !strncmp(name, "spark.org.apache.hadoop.yarn.server.webproxy", 44);
}

/* Median and MAD of v[0..n) (v is reordered). */
static void median_mad(double *v, int n, double *med, double *mad) {
  *med = sic_median_sort(v, n);
  for (int i = 0; i < n; i++) v[i] = fabs(v[i] - *med);
  *mad = sic_median_sort(v, n);
}

typedef double (*metric_fn)(const sic_store_run *r);
static double m_duration(const sic_store_run *r) { return r->duration_ms >= 0 ? (double)r->duration_ms : NAN; }
static double m_cost(const sic_store_run *r) { return r->cost; }
static double m_core_hours(const sic_store_run *r) { return r->core_hours > 0 ? r->core_hours : NAN; }
static double m_input(const sic_store_run *r) { return (double)r->input_bytes; }
static double m_executors(const sic_store_run *r) { return r->executors > 0 ? (double)r->executors : NAN; }
static double m_skew(const sic_store_run *r) { return r->max_skew; }
static double m_failed(const sic_store_run *r) { return (double)r->failed_tasks; }

/* Median of f over runs[from..to) ignoring unknown values; *n = values used. */
static double baseline_median(const sic_store_run *runs, int from, int to, metric_fn f, double *scratch, int *n) {
  int k = 0;
  for (int i = from; i < to; i++) {
    double x = f(&runs[i]);
    if (!isnan(x)) scratch[k++] = x;
  }
  *n = k;
  return k ? sic_median_sort(scratch, k) : NAN;
}

static void human_bytes(double b, char *buf, size_t n) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    u++;
  }
  snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

/* Growable list of causes. */
typedef struct cause_list {
  sic_regress_cause *items;              /* causes so far */
  int32_t n;                             /* used */
  int32_t cap;                           /* allocated */
} cause_list;

static int add_cause(cause_list *l, const char *kind, const char *detail) {
  if (l->n == l->cap) {
    int32_t cap = l->cap ? l->cap * 2 : 4;
    sic_regress_cause *grown = realloc(l->items, (size_t)cap * sizeof *grown);
    if (!grown) return SIC_ENOMEM;
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->n].kind = strdup(kind);
  l->items[l->n].detail = strdup(detail);
  if (!l->items[l->n].kind || !l->items[l->n].detail) return SIC_ENOMEM;
  l->n++;
  return 0;
}

/* Spark properties of one stored attempt, sorted bytewise by name. */
static int load_props(sic_store *s, int64_t key, db_rows **out, sic_err *err) {
  db_val v[] = {db_int(key)};
  int rc = db_query(s->db, "SELECT name, value FROM environment WHERE attempt_key = $1 AND section = 'spark'", v,
                    1, out, err);
  if (!rc) db_rows_sort(*out, 0);
  return rc;
}

/* Total duration per stage name of one stored attempt, sorted bytewise by name. */
static int load_stage_times(sic_store *s, int64_t key, db_rows **out, sic_err *err) {
  db_val v[] = {db_int(key)};
  int rc = db_query(s->db, "SELECT name, SUM(duration_ms) FROM stages WHERE attempt_key = $1 "
                           "AND duration_ms IS NOT NULL AND name IS NOT NULL GROUP BY name", v, 1, out, err);
  if (!rc) db_rows_sort(*out, 0);
  return rc;
}

/* A property value short enough to read in a list of changes ("(unset)" for none). */
static const char *clip(const char *v, char *buf, size_t n) {
  if (!v) return "(unset)";
  if (strlen(v) < n) return v;
  snprintf(buf, n, "%.*s...", (int)n - 4, v);
  return buf;
}

/* Properties that shape a run's speed and size, listed first among the changes (prefixes). */
static const char *const sizing_props[] = {
  "spark.executor.", "spark.driver.memory", "spark.driver.cores", "spark.dynamicAllocation.",
  "spark.sql.shuffle.partitions", "spark.sql.adaptive.", "spark.default.parallelism", "spark.memory.",
  "spark.sql.files.", "spark.sql.autoBroadcastJoinThreshold", "spark.task.", "spark.cores.max",
  "spark.shuffle.", "spark.speculation", "spark.serializer", "spark.sql.join.", NULL};

static int sizing_rank(const char *name) {
  for (int i = 0; sizing_props[i]; i++)
    if (!strncmp(name, sizing_props[i], strlen(sizing_props[i]))) return 0;
  return 1;
}

/* One changed property (pointers into the fetched rows). */
typedef struct prop_change {
  const char *name;                      /* property */
  const char *from;                      /* previous run's value, NULL = unset */
  const char *to;                        /* this run's value, NULL = unset */
  int rank;                              /* 0 = sizing property, 1 = other */
} prop_change;

static int by_rank_then_name(const void *a, const void *b) {
  const prop_change *x = a, *y = b;
  return x->rank != y->rank ? x->rank - y->rank : strcmp(x->name, y->name);
}

/* "name: from -> to; ..." for the first few changes, sizing properties first. */
static void describe_changes(prop_change *c, int n, char *detail, size_t size) {
  enum { SHOWN = 6 };
  sic_qsort(c, (size_t)n, sizeof *c, by_rank_then_name);
  size_t len = 0;
  for (int k = 0; k < n && k < SHOWN && len < size; k++) {
    char from[64], to[64];
    len += (size_t)snprintf(detail + len, size - len, "%s%s: %s -> %s", k ? "; " : "", c[k].name,
                            clip(c[k].from, from, sizeof from), clip(c[k].to, to, sizeof to));
  }
  if (n > SHOWN && len < size) snprintf(detail + len, size - len, "; and %d more", n - SHOWN);
}

/* Config change: diff the run's Spark properties against the previous run's (both sorted). */
static int config_cause(sic_store *s, int64_t prev, int64_t cur, cause_list *l, sic_err *err) {
  db_rows *a = NULL, *b = NULL;
  prop_change *changes = NULL;
  int rc = load_props(s, prev, &a, err);
  if (!rc) rc = load_props(s, cur, &b, err);
  if (!rc && !(changes = malloc(((size_t)a->nrows + (size_t)b->nrows + 1) * sizeof *changes)))
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  int n = 0, i = 0, j = 0;
  while (!rc && (i < a->nrows || j < b->nrows)) {
    const char *ka = i < a->nrows ? db_cell(a, i, 0) : NULL, *kb = j < b->nrows ? db_cell(b, j, 0) : NULL;
    int c = !ka ? 1 : !kb ? -1 : strcmp(ka, kb);
    const char *name = c <= 0 ? ka : kb;
    const char *va = c <= 0 ? db_cell(a, i, 1) : NULL, *vb = c >= 0 ? db_cell(b, j, 1) : NULL;
    if (c <= 0) i++;
    if (c >= 0) j++;
    if (is_volatile(name) || (va && vb && !strcmp(va, vb))) continue;
    changes[n++] = (prop_change){name, va, vb, sizing_rank(name)};
  }
  if (!rc && n) {
    char detail[1024] = "";
    describe_changes(changes, n, detail, sizeof detail);
    if (add_cause(l, "config_change", detail)) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  free(changes);
  db_rows_free(a);
  db_rows_free(b);
  return rc;
}

/* Stage slowdown: the stage (by name: the same code in every run) whose time grew most since
 * the previous run, when it explains a good part of the run's own growth. */
static int stage_cause(sic_store *s, const sic_store_run *prev, const sic_store_run *cur, cause_list *l,
                       sic_err *err) {
  db_rows *a = NULL, *b = NULL;
  int rc = load_stage_times(s, prev->attempt_key, &a, err);
  if (!rc) rc = load_stage_times(s, cur->attempt_key, &b, err);
  const char *best = NULL;
  double best_delta = 0, best_from = 0, best_to = 0;
  for (int i = 0, j = 0; !rc && j < b->nrows; j++) {
    const char *name = db_cell(b, j, 0);
    while (i < a->nrows && strcmp(db_cell(a, i, 0), name) < 0) i++;
    double from = i < a->nrows && !strcmp(db_cell(a, i, 0), name) ? db_cell_real(a, i, 1) : 0;
    double to = db_cell_real(b, j, 1), delta = to - from;
    if (delta > best_delta) best = name, best_delta = delta, best_from = from, best_to = to;
  }
  double growth = (double)(cur->duration_ms - prev->duration_ms);
  if (!rc && best && best_delta >= 1000 && growth > 0 && best_delta >= 0.25 * growth) {
    char detail[512], name[80];
    snprintf(detail, sizeof detail, "stage '%s': %.1fs -> %.1fs since the previous run (+%.1fs of the run's +%.1fs)",
             clip(best, name, sizeof name), best_from / 1000, best_to / 1000, best_delta / 1000, growth / 1000);
    if (add_cause(l, "stage_slowdown", detail)) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  db_rows_free(a);
  db_rows_free(b);
  return rc;
}

/* Compare the run with the baseline on the usual suspects. */
static int find_causes(sic_store *s, const sic_store_run *runs, int from, int at, double *scratch,
                       cause_list *l, sic_err *err) {
  const sic_store_run *r = &runs[at];
  char detail[512], x[32], y[32];
  int n, rc = 0;
  double in = baseline_median(runs, from, at, m_input, scratch, &n), now = (double)r->input_bytes;
  if (n && now > 0 && now >= 1.25 * in && now - in >= 1 << 20) {
    human_bytes(now, x, sizeof x);
    human_bytes(in, y, sizeof y);
    snprintf(detail, sizeof detail, "input %s vs baseline median %s (%.1fx)", x, y, in > 0 ? now / in : INFINITY);
    if (add_cause(l, "input_growth", detail)) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  if ((rc = config_cause(s, runs[at - 1].attempt_key, r->attempt_key, l, err)) ||
      (rc = stage_cause(s, &runs[at - 1], r, l, err)))
    return rc;
  double skew = baseline_median(runs, from, at, m_skew, scratch, &n);
  if (n && r->max_skew >= 4 && r->max_skew >= 2 * skew) {
    if (skew > 0)
      snprintf(detail, sizeof detail, "slowest task %.1fx its stage's median vs baseline %.1fx", r->max_skew, skew);
    else
      snprintf(detail, sizeof detail, "slowest task %.1fx its stage's median; no skewed stage in the baseline",
               r->max_skew);
    if (add_cause(l, "new_skew", detail)) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  double ex = baseline_median(runs, from, at, m_executors, scratch, &n);
  if (n && r->executors > 0 && r->executors <= 0.8 * ex) {
    snprintf(detail, sizeof detail, "%d executor%s (%d cores) vs baseline median %.0f", r->executors,
             r->executors == 1 ? "" : "s", r->total_cores, ex);
    if (add_cause(l, "fewer_executors", detail)) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  double failed = baseline_median(runs, from, at, m_failed, scratch, &n);
  if (n && r->failed_tasks >= 1 && r->failed_tasks >= 2 * failed + 1) {
    snprintf(detail, sizeof detail, "%lld failed tasks vs baseline median %.0f", (long long)r->failed_tasks, failed);
    if (add_cause(l, "more_failures", detail)) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  return 0;
}

/* Growable list of regressions. */
typedef struct reg_list {
  sic_regressions *out;                  /* the caller's list */
  size_t cap;                            /* allocated items */
} reg_list;

static int copy_str(char **dst, const char *src) {
  *dst = src ? strdup(src) : NULL;
  return src && !*dst;
}

static int copy_run(sic_store_run *d, const sic_store_run *s) {
  *d = *s;
  d->top = NULL;
  d->ntop = 0;
  int bad = copy_str(&d->job_key, s->job_key) | copy_str(&d->app_id, s->app_id) |
            copy_str(&d->attempt_id, s->attempt_id) | copy_str(&d->app_name, s->app_name) |
            copy_str(&d->source_path, s->source_path) | copy_str(&d->cost_unit, s->cost_unit);
  if (bad || !(d->top = calloc((size_t)s->ntop + 1, sizeof *d->top))) return SIC_ENOMEM;
  for (int32_t i = 0; i < s->ntop; i++, d->ntop++)
    if (copy_str(&d->top[i].id, s->top[i].id) | copy_str(&d->top[i].severity, s->top[i].severity) |
        copy_str(&d->top[i].title, s->top[i].title) | copy_str(&d->top[i].entity, s->top[i].entity))
      return SIC_ENOMEM;
  return 0;
}

/* Test one metric of run `at` against runs[from..at). */
static int test_metric(sic_store *s, const sic_regress_opts *o, const sic_store_run *runs, int from, int at,
                       const char *name, metric_fn f, double *scratch, reg_list *out, sic_err *err) {
  double x = f(&runs[at]);
  if (isnan(x)) return 0;
  int n = 0;
  for (int i = from; i < at; i++) {
    double b = f(&runs[i]);
    if (!isnan(b)) scratch[n++] = b;
  }
  if (n < o->min_runs) return 0;
  double med, mad;
  median_mad(scratch, n, &med, &mad);
  if (med <= 0) return 0;
  double scale = fmax(1.4826 * mad, 0.02 * med);
  double score = (x - med) / scale, ratio = x / med;
  if (score < o->min_score || ratio < o->min_ratio) return 0;
  if (out->out->n == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 8;
    sic_regression *grown = realloc(out->out->items, cap * sizeof *grown);
    if (!grown) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    out->out->items = grown;
    out->cap = cap;
  }
  sic_regression *g = &out->out->items[out->out->n++];
  memset(g, 0, sizeof *g);
  if (copy_run(&g->run, &runs[at]) || !(g->metric = strdup(name))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  g->value = x;
  g->baseline_median = med;
  g->baseline_mad = mad;
  g->score = score;
  g->ratio = ratio;
  g->baseline_n = n;
  cause_list l = {0};
  int rc = find_causes(s, runs, from, at, scratch, &l, err);
  g->causes = l.items;
  g->ncauses = l.n;
  return rc;
}

/* Keep only runs whose log is complete: a log cut short (still running, crashed driver,
 * truncated copy) has a partial duration and cost that would distort baseline and verdict. */
static void keep_complete(sic_store_runs *runs) {
  size_t k = 0;
  for (size_t i = 0; i < runs->n; i++) {
    if (runs->items[i].complete) runs->items[k++] = runs->items[i];
    else store_run_free(&runs->items[i]);
  }
  runs->n = k;
}

static int scan_job(sic_store *s, const sic_regress_opts *o, const char *job, reg_list *out, sic_err *err) {
  sic_store_runs runs;
  int rc = sic_store_history(s, job, 0, &runs, err);
  if (rc) return rc;
  keep_complete(&runs);
  /* a verdict needs min_runs complete runs before the one judged */
  out->out->jobs++;
  if (runs.n <= (size_t)o->min_runs) out->out->jobs_without_baseline++;
  double *scratch = malloc((runs.n + 1) * sizeof *scratch);
  if (!scratch) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (size_t i = 1; i < runs.n && !rc; i++) {
    const sic_store_run *r = &runs.items[i];
    if (o->since_ms >= 0 && r->start_time < o->since_ms) continue;
    int from = (int)i > o->baseline_runs ? (int)i - o->baseline_runs : 0;
    rc = test_metric(s, o, runs.items, from, (int)i, "duration_ms", m_duration, scratch, out, err);
    /* Money when the runs carry it, otherwise the resource proxy. */
    int with_cost = !isnan(r->cost);
    if (!rc)
      rc = test_metric(s, o, runs.items, from, (int)i, with_cost ? "cost" : "core_hours",
                       with_cost ? m_cost : m_core_hours, scratch, out, err);
  }
  free(scratch);
  sic_store_runs_free(&runs);
  return rc;
}

static int newest_first(const void *a, const void *b) {
  const sic_regression *x = a, *y = b;
  if (x->run.start_time != y->run.start_time) return x->run.start_time < y->run.start_time ? 1 : -1;
  return x->run.attempt_key < y->run.attempt_key ? 1 : x->run.attempt_key > y->run.attempt_key ? -1 : 0;
}

int sic_store_regressions(sic_store *s, const sic_regress_opts *opts, sic_regressions *out, sic_err *err) {
  sic_regress_opts o;
  if (opts) o = *opts;
  else sic_regress_opts_init(&o);
  if (o.baseline_runs <= 0) o.baseline_runs = 10;
  if (o.min_runs <= 0) o.min_runs = 1;
  memset(out, 0, sizeof *out);
  reg_list list = {out, 0};
  char **keys = NULL;
  size_t nkeys = 0;
  int rc;
  if (o.job) {
    keys = calloc(2, sizeof *keys);
    if (!keys) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    rc = store_resolve_job(s, o.job, &keys[0], err);
    nkeys = rc ? 0 : 1;
  } else {
    rc = store_job_keys(s, &keys, &nkeys, err);
  }
  for (size_t i = 0; i < nkeys && !rc; i++) rc = scan_job(s, &o, keys[i], &list, err);
  for (size_t i = 0; keys && i < nkeys; i++) free(keys[i]);
  free(keys);
  if (rc) {
    sic_regressions_free(out);
    return rc;
  }
  if (out->n > 1) sic_qsort(out->items, out->n, sizeof *out->items, newest_first);
  return 0;
}

void sic_regressions_free(sic_regressions *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) {
    sic_regression *g = &r->items[i];
    store_run_free(&g->run);
    free(g->metric);
    for (int32_t c = 0; c < g->ncauses; c++) {
      free(g->causes[c].kind);
      free(g->causes[c].detail);
    }
    free(g->causes);
  }
  free(r->items);
  r->items = NULL;
  r->n = 0;
}

int sic_store_regressions_json(sic_store *s, const sic_regress_opts *o, char **json, sic_err *err) {
  sic_regressions regs;
  int rc = sic_store_regressions(s, o, &regs, err);
  if (rc) return rc;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.regressions/1");
  sic_jw_kint(&w, "jobs", (int64_t)regs.jobs);
  sic_jw_kint(&w, "jobsWithoutBaseline", (int64_t)regs.jobs_without_baseline);
  sic_jw_karr(&w, "regressions");
  for (size_t i = 0; i < regs.n; i++) {
    const sic_regression *g = &regs.items[i];
    sic_jw_obj(&w);
    sic_jw_kstr(&w, "metric", g->metric);
    sic_jw_kdouble(&w, "value", g->value);
    sic_jw_kdouble(&w, "baselineMedian", g->baseline_median);
    sic_jw_kdouble(&w, "baselineMad", g->baseline_mad);
    sic_jw_kdouble(&w, "score", g->score);
    sic_jw_kdouble(&w, "ratio", g->ratio);
    sic_jw_kint(&w, "baselineRuns", g->baseline_n);
    sic_jw_karr(&w, "causes");
    for (int32_t c = 0; c < g->ncauses; c++) {
      sic_jw_obj(&w);
      sic_jw_kstr(&w, "kind", g->causes[c].kind);
      sic_jw_kstr(&w, "detail", g->causes[c].detail);
      sic_jw_end(&w);
    }
    sic_jw_end(&w);
    sic_jw_key(&w, "run");
    store_run_json(&w, &g->run);
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_regressions_free(&regs);
  size_t len;
  *json = sic_jw_take(&w, &len);
  rc = *json ? 0 : sic_err_set(err, SIC_ENOMEM, "out of memory writing JSON");
  sic_jw_free(&w);
  return rc;
}
