/* Per-attempt and per-stage figures computed from the model before storing (see summary.h).
 */
#include "store/summary.h"
#include "core/sort.h"

#include <stdlib.h>
#include <string.h>

/* Stages smaller or faster than this are not "skewed" in a way that matters to the run. */
enum { SKEW_MIN_TASKS = 8, SKEW_MIN_MAX_MS = 1000 };

const char *store_task_status(int s) {
  static const char *const n[] = {"RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN"};
  return s >= 0 && s < 5 ? n[s] : "UNKNOWN";
}
const char *store_locality(int l) {
  static const char *const n[] = {"PROCESS_LOCAL", "NODE_LOCAL", "NO_PREF", "RACK_LOCAL", "ANY"};
  return l >= 0 && l < 5 ? n[l] : "ANY";
}
const char *store_stage_status(int s) {
  static const char *const n[] = {"PENDING", "ACTIVE", "COMPLETE", "FAILED", "SKIPPED"};
  return s >= 0 && s < 5 ? n[s] : "UNKNOWN";
}
const char *store_job_status(int s) {
  static const char *const n[] = {"RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN"};
  return s >= 0 && s < 4 ? n[s] : "UNKNOWN";
}

static void add_task(store_task_totals *t, const sic_app *app, int64_t row) {
  t->tasks++;
  if (app->tasks.status[row] == SIC_TASK_FAILED) t->failed++;
  if (app->tasks.status[row] == SIC_TASK_KILLED) t->killed++;
  t->run_time_ms += sic_task_metric_get(app, row, SIC_TM_EXECUTOR_RUN_TIME);
  t->cpu_time_ns += sic_task_metric_get(app, row, SIC_TM_EXECUTOR_CPU_TIME);
  t->gc_time_ms += sic_task_metric_get(app, row, SIC_TM_JVM_GC_TIME);
  t->input_bytes += sic_task_metric_get(app, row, SIC_TM_INPUT_BYTES_READ);
  t->output_bytes += sic_task_metric_get(app, row, SIC_TM_OUTPUT_BYTES_WRITTEN);
  t->shuffle_read_bytes += sic_task_metric_get(app, row, SIC_TM_SR_REMOTE_BYTES_READ) +
                           sic_task_metric_get(app, row, SIC_TM_SR_LOCAL_BYTES_READ);
  t->shuffle_write_bytes += sic_task_metric_get(app, row, SIC_TM_SW_BYTES_WRITTEN);
  t->memory_spilled += sic_task_metric_get(app, row, SIC_TM_MEMORY_BYTES_SPILLED);
  t->disk_spilled += sic_task_metric_get(app, row, SIC_TM_DISK_BYTES_SPILLED);
}

static void add_totals(store_task_totals *to, const store_task_totals *t) {
  to->tasks += t->tasks;
  to->failed += t->failed;
  to->killed += t->killed;
  to->run_time_ms += t->run_time_ms;
  to->cpu_time_ns += t->cpu_time_ns;
  to->gc_time_ms += t->gc_time_ms;
  to->input_bytes += t->input_bytes;
  to->output_bytes += t->output_bytes;
  to->shuffle_read_bytes += t->shuffle_read_bytes;
  to->shuffle_write_bytes += t->shuffle_write_bytes;
  to->memory_spilled += t->memory_spilled;
  to->disk_spilled += t->disk_spilled;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Duration distribution of the successful tasks listed in rows[0..n). */
static void distribution(const sic_app *app, const int64_t *rows, int64_t n, int64_t *scratch,
                         store_stage_summary *st) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t d = sic_task_duration(app, rows[i]);
    if (app->tasks.status[rows[i]] == SIC_TASK_SUCCESS && d >= 0) scratch[k++] = d;
  }
  st->successful = k;
  st->dur_min = st->dur_median = st->dur_p95 = st->dur_max = -1;
  st->skew = 0;
  if (!k) return;
  sic_qsort(scratch, (size_t)k, sizeof *scratch, cmp_i64);
  st->dur_min = scratch[0];
  st->dur_max = scratch[k - 1];
  st->dur_median = k % 2 ? scratch[k / 2] : (scratch[k / 2 - 1] + scratch[k / 2]) / 2;
  st->dur_p95 = scratch[(k - 1) * 95 / 100];
  if (k >= 2 && st->dur_median > 0) st->skew = (double)st->dur_max / (double)st->dur_median;
}

/* Group task rows by stage row with a counting sort (does not rely on the model's own index,
 * so a model that was never finalized is summarized the same way). */
static int summarize_stages(const sic_app *app, store_app_summary *out, sic_err *err) {
  int64_t ns = app->nstages, nt = app->tasks.n;
  int64_t *start = calloc((size_t)ns + 1, sizeof *start);
  int64_t *rows = malloc((size_t)(nt ? nt : 1) * sizeof *rows);
  int64_t *scratch = malloc((size_t)(nt ? nt : 1) * sizeof *scratch);
  if (!start || !rows || !scratch) goto nomem;
  for (int64_t i = 0; i < nt; i++) {
    int32_t s = sic_task_stage(app, i);
    if (s >= 0 && s < ns) start[s + 1]++;
  }
  for (int64_t s = 0; s < ns; s++) start[s + 1] += start[s];
  int64_t *fill = scratch; /* reuse as a cursor array before it holds durations */
  memcpy(fill, start, (size_t)ns * sizeof *fill);
  for (int64_t i = 0; i < nt; i++) {
    int32_t s = sic_task_stage(app, i);
    if (s >= 0 && s < ns) rows[fill[s]++] = i;
  }
  for (int64_t s = 0; s < ns; s++) {
    store_stage_summary *st = &out->stages[s];
    for (int64_t j = start[s]; j < start[s + 1]; j++) add_task(&st->totals, app, rows[j]);
    distribution(app, rows + start[s], start[s + 1] - start[s], scratch, st);
    if (st->successful >= SKEW_MIN_TASKS && st->dur_max >= SKEW_MIN_MAX_MS && st->skew > out->max_skew)
      out->max_skew = st->skew;
  }
  free(start);
  free(rows);
  free(scratch);
  return 0;
nomem:
  free(start);
  free(rows);
  free(scratch);
  return sic_err_set(err, SIC_ENOMEM, "out of memory summarizing %lld tasks", (long long)nt);
}

static int64_t app_end(const sic_app *app) {
  if (app->end_time >= 0) return app->end_time;
  return app->last_event_time;
}

/* Executors and core-hours: executors alive from add to removal (or the end of the app). */
static void summarize_executors(const sic_app *app, store_app_summary *out) {
  int64_t end = app_end(app);
  int any_executor = 0;
  for (int64_t i = 0; i < app->nexecutors; i++) any_executor |= !app->executors[i].is_driver;
  for (int64_t i = 0; i < app->nexecutors; i++) {
    const sic_executor *e = &app->executors[i];
    if (e->is_driver && any_executor) continue; /* local mode: the driver runs the tasks */
    out->executors++;
    out->total_cores += e->total_cores > 0 ? e->total_cores : 0;
    int64_t from = e->add_time >= 0 ? e->add_time : app->start_time;
    int64_t to = e->remove_time >= 0 ? e->remove_time : end;
    if (from >= 0 && to > from && e->total_cores > 0)
      out->core_hours += (double)e->total_cores * (double)(to - from) / 3.6e6;
  }
}

int store_summarize(const sic_app *app, store_app_summary *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  out->stages = calloc((size_t)(app->nstages ? app->nstages : 1), sizeof *out->stages);
  if (!out->stages) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  int rc = summarize_stages(app, out, err);
  if (rc) {
    store_summary_free(out);
    return rc;
  }
  for (int64_t s = 0; s < app->nstages; s++) {
    add_totals(&out->totals, &out->stages[s].totals);
    out->failed_stages += app->stages[s].status == SIC_STAGE_FAILED;
  }
  /* Tasks whose stage row is unknown still count for the application. */
  for (int64_t i = 0; i < app->tasks.n; i++) {
    int32_t s = sic_task_stage(app, i);
    if (s < 0 || s >= app->nstages) add_task(&out->totals, app, i);
  }
  for (int64_t j = 0; j < app->njobs; j++) out->failed_jobs += app->jobs[j].status == SIC_JOB_FAILED;
  int64_t end = app_end(app);
  out->duration_ms = app->start_time >= 0 && end >= app->start_time ? end - app->start_time : -1;
  summarize_executors(app, out);
  return 0;
}

void store_summary_free(store_app_summary *s) {
  free(s->stages);
  s->stages = NULL;
}
