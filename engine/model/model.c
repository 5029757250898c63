/* Model accessors: lookups over the sorted tables, enum names, memory accounting and free. */
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

const sic_stage *sic_app_stage(const sic_app *app, int32_t stage_id, int32_t attempt_id) {
  int64_t lo = 0, hi = app->nstages;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    const sic_stage *s = &app->stages[mid];
    if (s->stage_id < stage_id || (s->stage_id == stage_id && s->attempt_id < attempt_id)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < app->nstages && app->stages[lo].stage_id == stage_id && app->stages[lo].attempt_id == attempt_id)
    return &app->stages[lo];
  return NULL;
}

const sic_stage *sic_app_stage_latest(const sic_app *app, int32_t stage_id) {
  int64_t lo = 0, hi = app->nstages;
  while (lo < hi) { /* first row with stage_id > stage_id */
    int64_t mid = (lo + hi) / 2;
    if (app->stages[mid].stage_id <= stage_id) lo = mid + 1; else hi = mid;
  }
  if (lo > 0 && app->stages[lo - 1].stage_id == stage_id) return &app->stages[lo - 1];
  return NULL;
}

/* Row of table[0..n) (sorted by field) whose field equals key, or NULL: a binary search
 * shared by the lookups of tables sorted on one integer key. */
#define FIND_SORTED(table, n, field, key)                                         \
  do {                                                                            \
    int64_t lo_ = 0, hi_ = (n);                                                   \
    while (lo_ < hi_) {                                                           \
      int64_t mid_ = (lo_ + hi_) / 2;                                             \
      if ((table)[mid_].field < (key)) lo_ = mid_ + 1; else hi_ = mid_;           \
    }                                                                             \
    return lo_ < (n) && (table)[lo_].field == (key) ? &(table)[lo_] : NULL;       \
  } while (0)

const sic_job *sic_app_job(const sic_app *app, int32_t job_id) {
  FIND_SORTED(app->jobs, app->njobs, job_id, job_id);
}

const sic_accum *sic_app_accum(const sic_app *app, int64_t accum_id) {
  FIND_SORTED(app->accums, app->naccums, accum_id, accum_id);
}

const sic_sql *sic_app_sql(const sic_app *app, int64_t execution_id) {
  FIND_SORTED(app->sqls, app->nsqls, execution_id, execution_id);
}

int32_t sic_app_executor_row(const sic_app *app, const char *executor_id) {
  if (!executor_id) return -1;
  for (int64_t i = 0; i < app->nexecutors; i++) {
    const char *id = sic_str(app, app->executors[i].id);
    if (id && strcmp(id, executor_id) == 0) return (int32_t)i;
  }
  return -1;
}

static const char *const TM_NAMES[SIC_TM__COUNT] = {
    "executorDeserializeTime", "executorDeserializeCpuTime", "executorRunTime", "executorCpuTime",
    "resultSize", "jvmGcTime", "resultSerializationTime", "memoryBytesSpilled", "diskBytesSpilled",
    "peakExecutionMemory", "inputMetrics.bytesRead", "inputMetrics.recordsRead",
    "outputMetrics.bytesWritten", "outputMetrics.recordsWritten",
    "shuffleReadMetrics.remoteBlocksFetched", "shuffleReadMetrics.localBlocksFetched",
    "shuffleReadMetrics.fetchWaitTime", "shuffleReadMetrics.remoteBytesRead",
    "shuffleReadMetrics.remoteBytesReadToDisk", "shuffleReadMetrics.localBytesRead",
    "shuffleReadMetrics.recordsRead", "shuffleReadMetrics.remoteReqsDuration",
    "shuffleReadMetrics.shufflePushReadMetrics.corruptMergedBlockChunks",
    "shuffleReadMetrics.shufflePushReadMetrics.mergedFetchFallbackCount",
    "shuffleReadMetrics.shufflePushReadMetrics.remoteMergedBlocksFetched",
    "shuffleReadMetrics.shufflePushReadMetrics.localMergedBlocksFetched",
    "shuffleReadMetrics.shufflePushReadMetrics.remoteMergedChunksFetched",
    "shuffleReadMetrics.shufflePushReadMetrics.localMergedChunksFetched",
    "shuffleReadMetrics.shufflePushReadMetrics.remoteMergedBytesRead",
    "shuffleReadMetrics.shufflePushReadMetrics.localMergedBytesRead",
    "shuffleReadMetrics.shufflePushReadMetrics.remoteMergedReqsDuration",
    "shuffleWriteMetrics.bytesWritten", "shuffleWriteMetrics.writeTime", "shuffleWriteMetrics.recordsWritten"};

const char *sic_task_metric_name(sic_task_metric m) {
  return (unsigned)m < SIC_TM__COUNT ? TM_NAMES[m] : "unknown";
}

const char *sic_task_status_name(int status) {
  static const char *const n[] = {"RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN"};
  return (unsigned)status < 5 ? n[status] : "UNKNOWN";
}

const char *sic_locality_name(int locality) {
  static const char *const n[] = {"PROCESS_LOCAL", "NODE_LOCAL", "NO_PREF", "RACK_LOCAL", "ANY"};
  return (unsigned)locality < 5 ? n[locality] : "ANY";
}

const char *sic_stage_status_name(int status) {
  static const char *const n[] = {"PENDING", "ACTIVE", "COMPLETE", "FAILED", "SKIPPED"};
  return (unsigned)status < 5 ? n[status] : "UNKNOWN";
}

const char *sic_job_status_name(int status) {
  static const char *const n[] = {"RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN"};
  return (unsigned)status < 4 ? n[status] : "UNKNOWN";
}

int sic_task_plain_arrays(sic_tasks *t, void ***ptrs, size_t *sizes) {
  int n = 0;
#define P(f, sz) ptrs[n] = (void **)&t->f, sizes[n++] = (sz);
  P(status, 1) P(locality, 1) P(flags, 1)
#undef P
  if (t->host) ptrs[n] = (void **)&t->host, sizes[n++] = sizeof(sic_sid);
  return n;
}

int sic_task_columns(sic_tasks *t, sic_col **out) {
  int n = 0;
#define X(f) out[n++] = &t->f;
  X(task_id) X(stage) X(index) X(attempt) X(partition_id) X(launch_time) X(finish_time)
  X(getting_result_time) X(executor) X(end_reason) X(error) X(peak)
#undef X
  for (int m = 0; m < SIC_TM__COUNT; m++) out[n++] = &t->metric[m];
  return n;
}

int32_t sic_col_exception_lower(const sic_col *c, int64_t row) {
  int32_t lo = 0, hi = c->nexceptions;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (c->exceptions[mid].row < row) lo = mid + 1; else hi = mid;
  }
  return lo;
}

int64_t sic_col_exception_value(const sic_col *c, int64_t row) {
  int32_t i = sic_col_exception_lower(c, row);
  return i < c->nexceptions && c->exceptions[i].row == row ? c->exceptions[i].value : 0;
}

int64_t sic_app_memory(const sic_app *app) {
  if (!app) return 0;
  int64_t total = (int64_t)sizeof *app;
  void **ptrs[SIC_TASK_PLAIN_MAX];
  size_t sizes[SIC_TASK_PLAIN_MAX];
  sic_tasks *t = (sic_tasks *)&app->tasks; /* the enumerators hand out mutable pointers */
  int n = sic_task_plain_arrays(t, ptrs, sizes);
  for (int i = 0; i < n; i++) total += (int64_t)sizes[i] * t->n;
  total += t->n * (int64_t)sizeof(int32_t); /* stage_task_rows */
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(t, cols);
  for (int i = 0; i < nc; i++) {
    if (cols[i]->data) total += (int64_t)cols[i]->width * t->n;
    total += cols[i]->nexceptions * (int64_t)sizeof(sic_col_exception);
  }
  if (app->strings.n) {
    int32_t last = app->strings.n - 1;
    total += app->strings.off[last] + (int64_t)strlen(app->strings.buf + app->strings.off[last]) + 1;
    total += app->strings.n * (int64_t)sizeof(int64_t);
  }
  total += app->nints * 4 + app->nkvs * (int64_t)sizeof(sic_kv) + app->npeaks * (int64_t)sizeof(sic_emetrics);
  total += app->nstages * (int64_t)sizeof(sic_stage) + app->njobs * (int64_t)sizeof(sic_job);
  total += app->nexecutors * (int64_t)sizeof(sic_executor) + app->nrdds * (int64_t)sizeof(sic_rdd);
  total += app->nstage_accums * (int64_t)sizeof(sic_stage_accum);
  total += app->nstage_exec_peaks * (int64_t)sizeof(sic_stage_exec_peak);
  total += app->ntask_accums * (int64_t)sizeof(sic_task_accum) + app->naccums * (int64_t)sizeof(sic_accum);
  total += app->nsqls * (int64_t)sizeof(sic_sql) + app->nplan_nodes * (int64_t)sizeof(sic_plan_node);
  total += app->nplan_metrics * (int64_t)sizeof(sic_plan_metric);
  total += app->nblock_updates * (int64_t)sizeof(sic_block_update) + app->nmisc * (int64_t)sizeof(sic_misc_process);
  total += app->nprofiles * (int64_t)sizeof(sic_resource_profile);
  total += app->nresource_requests * (int64_t)sizeof(sic_resource_request);
  total += app->nparts * (int64_t)sizeof(sic_part_info) + app->ndiags * (int64_t)sizeof(sic_diag);
  return total;
}

void sic_app_free(sic_app *app) {
  if (!app) return;
  void **ptrs[SIC_TASK_PLAIN_MAX];
  size_t sizes[SIC_TASK_PLAIN_MAX];
  int n = sic_task_plain_arrays(&app->tasks, ptrs, sizes);
  for (int i = 0; i < n; i++) free(*ptrs[i]);
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(&app->tasks, cols);
  for (int i = 0; i < nc; i++) {
    free(cols[i]->data);
    free(cols[i]->exceptions);
  }
  void *all[] = {app->strings.buf, app->strings.off, app->ints, app->kvs, app->stage_task_rows, app->peaks,
                 app->stages, app->jobs, app->executors, app->rdds, app->stage_accums, app->stage_exec_peaks,
                 app->task_accums, app->accums, app->sqls, app->plan_nodes, app->plan_metrics,
                 app->block_updates, app->misc, app->profiles, app->resource_requests, app->parts, app->diags};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
  free(app);
}
