/* Text rendering of stored runs and regressions (`sic history`, `sic regressions`, the REPL).
 * Times are printed in UTC so that output does not depend on the
 * machine's time zone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/sort.h"

#include "store/store.h"

static const char *fmt_time(int64_t ms, char *buf, size_t n) {
  if (ms < 0) return "-";
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

static const char *fmt_duration(double ms, char *buf, size_t n) {
  if (isnan(ms) || ms < 0) return "-";
  double s = ms / 1000;
  if (s < 60) snprintf(buf, n, "%.1fs", s);
  else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
  return buf;
}

static const char *fmt_bytes(double b, char *buf, size_t n) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    u++;
  }
  snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", b, units[u]);
  return buf;
}

static const char *fmt_cost(const sic_store_run *r, char *buf, size_t n) {
  if (!isnan(r->cost)) snprintf(buf, n, "%.2f %s", r->cost, r->cost_unit ? r->cost_unit : "");
  else snprintf(buf, n, "%.2f core-h", r->core_hours);
  return buf;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* "median duration over N runs; the latest run: +x%" under the table. */
static void print_trend(FILE *out, const sic_store_runs *runs) {
  int64_t *d = malloc((runs->n + 1) * sizeof *d);
  size_t k = 0;
  if (!d) return;
  for (size_t i = 0; i < runs->n; i++)
    if (runs->items[i].duration_ms >= 0 && runs->items[i].complete) d[k++] = runs->items[i].duration_ms;
  if (k < 2) {
    free(d);
    return;
  }
  sic_qsort(d, k, sizeof *d, cmp_i64);
  double median = k % 2 ? (double)d[k / 2] : (d[k / 2 - 1] + d[k / 2]) / 2.0;
  free(d);
  const sic_store_run *last = &runs->items[runs->n - 1];
  char m[32], l[32];
  fprintf(out, "\nmedian duration %s over %zu complete runs", fmt_duration(median, m, sizeof m), k);
  if (last->duration_ms >= 0 && median > 0)
    fprintf(out, "; latest run %s (%+.0f%%)", fmt_duration((double)last->duration_ms, l, sizeof l),
            100.0 * ((double)last->duration_ms - median) / median);
  fputc('\n', out);
}

const char *sic_store_run_outcome(const sic_store_run *r) {
  if (r->failed_jobs > 0) return "FAILED";
  return r->complete ? "SUCCEEDED" : "INCOMPLETE";
}

void sic_store_runs_print(FILE *out, const sic_store_runs *runs) {
  char t[32], d[32], c[48], in[32];
  if (!runs->n) return;
  fprintf(out, "job %s: %zu run%s (oldest first; cost in core-hours when no price is known)\n\n",
          runs->items[0].job_key, runs->n, runs->n == 1 ? "" : "s");
  fprintf(out, "%-19s  %-36s  %-10s  %9s  %16s  %10s  %5s  %6s  %s\n", "START (UTC)", "APP ID", "OUTCOME", "DURATION",
          "COST", "INPUT", "EXEC", "SKEW", "FINDINGS");
  for (size_t i = 0; i < runs->n; i++) {
    const sic_store_run *r = &runs->items[i];
    char app[48];
    snprintf(app, sizeof app, "%s%s%s", r->app_id, r->attempt_id && *r->attempt_id ? "/" : "",
             r->attempt_id ? r->attempt_id : "");
    char skew[16] = "-";
    if (r->max_skew > 0) snprintf(skew, sizeof skew, "%.1fx", r->max_skew);
    fprintf(out, "%-19s  %-36s  %-10s  %9s  %16s  %10s  %5d  %6s  %d%s\n", fmt_time(r->start_time, t, sizeof t), app,
            sic_store_run_outcome(r), fmt_duration((double)r->duration_ms, d, sizeof d), fmt_cost(r, c, sizeof c),
            fmt_bytes((double)r->input_bytes, in, sizeof in), r->executors, skew, r->nfindings,
            r->complete ? "" : "  (incomplete log)");
    for (int32_t k = 0; k < r->ntop; k++)
      fprintf(out, "%21s[%s] %s%s%s%s\n", "", r->top[k].severity ? r->top[k].severity : "?",
              r->top[k].title ? r->top[k].title : r->top[k].id ? r->top[k].id : "", r->top[k].entity ? " (" : "",
              r->top[k].entity ? r->top[k].entity : "", r->top[k].entity ? ")" : "");
  }
  print_trend(out, runs);
}

static const char *fmt_metric(const sic_regression *g, double v, char *buf, size_t n) {
  if (!strcmp(g->metric, "duration_ms")) return fmt_duration(v, buf, n);
  const char *unit = !strcmp(g->metric, "core_hours") ? "core-h" : g->run.cost_unit ? g->run.cost_unit : "";
  snprintf(buf, n, "%.2f %s", v, unit);
  return buf;
}

void sic_regressions_print(FILE *out, const sic_regressions *regs, const sic_regress_opts *o) {
  char t[32], v[32], m[32];
  size_t runs = 0; /* a run flagged on duration and on cost is one regressed run */
  for (size_t i = 0; i < regs->n; i++) runs += i == 0 || regs->items[i - 1].run.attempt_key != regs->items[i].run.attempt_key;
  fprintf(out, "%zu regressed run%s (%zu metric%s; baseline: each job's previous %d runs, at least %d; flagged at "
               "robust z >= %.1f and >= %.2fx the median)\n",
          runs, runs == 1 ? "" : "s", regs->n, regs->n == 1 ? "" : "s", o->baseline_runs, o->min_runs, o->min_score,
          o->min_ratio);
  if (regs->jobs_without_baseline)
    fprintf(out, "%zu of %zu job%s %s fewer than %d complete runs: no baseline yet, so no verdict (ingest more runs "
                 "of %s; --min-runs sets the bar)\n",
            regs->jobs_without_baseline, regs->jobs, regs->jobs == 1 ? "" : "s",
            regs->jobs_without_baseline == 1 ? "has" : "have", o->min_runs + 1,
            regs->jobs_without_baseline == 1 ? "it" : "them");
  for (size_t i = 0; i < regs->n; i++) {
    const sic_regression *g = &regs->items[i];
    const char *what = !strcmp(g->metric, "duration_ms") ? "slower" : "costlier";
    /* Entries of one run are adjacent (newest first): one header, every metric, causes once. */
    int same_run = i > 0 && regs->items[i - 1].run.attempt_key == g->run.attempt_key;
    int last_of_run = i + 1 == regs->n || regs->items[i + 1].run.attempt_key != g->run.attempt_key;
    if (!same_run)
      fprintf(out, "\n%s  %s%s%s  started %s UTC\n", g->run.job_key, g->run.app_id,
              g->run.attempt_id && *g->run.attempt_id ? "/" : "", g->run.attempt_id ? g->run.attempt_id : "",
              fmt_time(g->run.start_time, t, sizeof t));
    fprintf(out, "  %s: %s vs baseline median %s (%.2fx %s, robust z %.1f over %d runs)\n", g->metric,
            fmt_metric(g, g->value, v, sizeof v), fmt_metric(g, g->baseline_median, m, sizeof m),
            g->ratio, what, g->score, g->baseline_n);
    if (!last_of_run) continue;
    if (!g->ncauses) fprintf(out, "  likely cause: none of input growth, config change, skew, executors, failures\n");
    for (int32_t c = 0; c < g->ncauses; c++)
      fprintf(out, "  %s %s: %s\n", c ? "             " : "likely cause:", g->causes[c].kind, g->causes[c].detail);
  }
}
