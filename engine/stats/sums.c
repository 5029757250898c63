/* Per-stage column sums in one pass (see stats.h, sic_stats_stage_sums). Rules that only need
 * a total (spill, GC, failed attempts) or that can skip a stage whose total is zero use this
 * instead of a sorted summary per column. */
#include <string.h>

#include "stats/stats.h"

enum { NDERIVED = SIC_SC_FAILED - SIC_SC_DURATION + 1, NSUMS = SIC_TM__COUNT + NDERIVED };

/* Derived sums that are functions of metric sums (not summed per task). */
static void finish_sums(double *sums) {
  sums[SIC_TM__COUNT + (SIC_SC_SHUFFLE_READ_BYTES - SIC_SC_DURATION)] =
      sums[SIC_TM_SR_REMOTE_BYTES_READ] + sums[SIC_TM_SR_LOCAL_BYTES_READ];
  sums[SIC_TM__COUNT + (SIC_SC_SPILL_BYTES - SIC_SC_DURATION)] =
      sums[SIC_TM_MEMORY_BYTES_SPILLED] + sums[SIC_TM_DISK_BYTES_SPILLED];
  /* a sum of per-task ratios has no use; report the ratio of the sums instead */
  sums[SIC_TM__COUNT + (SIC_SC_GC_RATIO_PERMILLE - SIC_SC_DURATION)] =
      sums[SIC_TM_EXECUTOR_RUN_TIME] > 0 ? 1000.0 * sums[SIC_TM_JVM_GC_TIME] / sums[SIC_TM_EXECUTOR_RUN_TIME] : 0;
}

int sic_stats_stage_sums2(const sic_app *app, int64_t stage_row, double *succ, int64_t *n_succ, double *all,
                          int64_t *n_all) {
  if (!app || !succ || !all || stage_row < 0 || stage_row >= app->nstages) return SIC_EINVAL;
  memset(succ, 0, NSUMS * sizeof *succ);
  memset(all, 0, NSUMS * sizeof *all);
  const sic_range r = app->stages[stage_row].tasks;
  /* Only the columns the builder stored (all-zero columns have no data) are read. */
  int present[SIC_TM__COUNT], npresent = 0;
  for (int c = 0; c < SIC_TM__COUNT; c++)
    if (app->tasks.metric[c].data) present[npresent++] = c;
  static const int32_t per_task[] = {SIC_SC_DURATION, SIC_SC_SCHEDULER_DELAY, SIC_SC_LAUNCH_TIME, SIC_SC_FAILED};
  int64_t ns = 0, na = 0;
  double row_vals[NSUMS];
  for (int32_t i = 0; i < r.n; i++) {
    int64_t row = app->stage_task_rows[r.off + i];
    for (int k = 0; k < npresent; k++) row_vals[present[k]] = (double)sic_col_get(&app->tasks.metric[present[k]], row);
    for (size_t k = 0; k < sizeof per_task / sizeof *per_task; k++)
      row_vals[SIC_TM__COUNT + (per_task[k] - SIC_SC_DURATION)] = sic_stats_task_value(app, row, per_task[k]);
    int ok = app->tasks.status[row] == SIC_TASK_SUCCESS;
    for (int k = 0; k < npresent; k++) {
      all[present[k]] += row_vals[present[k]];
      if (ok) succ[present[k]] += row_vals[present[k]];
    }
    for (size_t k = 0; k < sizeof per_task / sizeof *per_task; k++) {
      int idx = SIC_TM__COUNT + (per_task[k] - SIC_SC_DURATION);
      all[idx] += row_vals[idx];
      if (ok) succ[idx] += row_vals[idx];
    }
    na++;
    ns += ok;
  }
  finish_sums(succ);
  finish_sums(all);
  if (n_succ) *n_succ = ns;
  if (n_all) *n_all = na;
  return SIC_OK;
}

int sic_stats_stage_sums(const sic_app *app, int64_t stage_row, int32_t filter, double *sums, int64_t *n_out) {
  if (!app || !sums || stage_row < 0 || stage_row >= app->nstages || filter < SIC_SF_SUCCESSFUL || filter > SIC_SF_ALL)
    return SIC_EINVAL;
  if (filter != SIC_SF_FINISHED) {
    double other[NSUMS];
    int64_t n_other = 0;
    return filter == SIC_SF_SUCCESSFUL ? sic_stats_stage_sums2(app, stage_row, sums, n_out, other, &n_other)
                                       : sic_stats_stage_sums2(app, stage_row, other, &n_other, sums, n_out);
  }
  memset(sums, 0, NSUMS * sizeof *sums);
  const sic_range r = app->stages[stage_row].tasks;
  int64_t n = 0;
  for (int32_t i = 0; i < r.n; i++) {
    int64_t row = app->stage_task_rows[r.off + i];
    if (sic_col_get(&app->tasks.finish_time, row) <= 0) continue;
    for (int c = 0; c < SIC_TM__COUNT; c++)
      if (app->tasks.metric[c].data) sums[c] += (double)sic_col_get(&app->tasks.metric[c], row);
    for (int32_t d = SIC_SC_DURATION; d <= SIC_SC_FAILED; d++)
      if (d != SIC_SC_SHUFFLE_READ_BYTES && d != SIC_SC_SPILL_BYTES && d != SIC_SC_GC_RATIO_PERMILLE)
        sums[SIC_TM__COUNT + (d - SIC_SC_DURATION)] += sic_stats_task_value(app, row, d);
    n++;
  }
  finish_sums(sums);
  if (n_out) *n_out = n;
  return SIC_OK;
}

int sic_stats_stage_by_executor(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter, double *sums,
                                int64_t *counts) {
  if (!app || !sums || !counts || stage_row < 0 || stage_row >= app->nstages || filter < SIC_SF_SUCCESSFUL ||
      filter > SIC_SF_ALL)
    return SIC_EINVAL;
  memset(sums, 0, (size_t)app->nexecutors * sizeof *sums);
  memset(counts, 0, (size_t)app->nexecutors * sizeof *counts);
  const sic_range r = app->stages[stage_row].tasks;
  for (int32_t i = 0; i < r.n; i++) {
    int64_t row = app->stage_task_rows[r.off + i];
    int32_t e = sic_task_executor(app, row);
    if (e < 0 || e >= app->nexecutors) continue;
    if (filter == SIC_SF_SUCCESSFUL && app->tasks.status[row] != SIC_TASK_SUCCESS) continue;
    if (filter == SIC_SF_FINISHED && sic_col_get(&app->tasks.finish_time, row) <= 0) continue;
    sums[e] += sic_stats_task_value(app, row, column);
    counts[e]++;
  }
  return SIC_OK;
}
