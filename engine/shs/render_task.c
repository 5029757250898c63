/* JSON for tasks: one task (TaskData), task lists with filters, sorting and paging, and task
 * metric quantiles (AppStatusStore.taskList / taskSummary), plus the quantile and enum
 * parameters they share with stages. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shs/shs_internal.h"
#include "core/sort.h"

const char *const shs_task_statuses[5] = {"RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN"};

#define DEFAULT_SUMMARY_QUANTILES "0.05,0.25,0.5,0.75,0.95"

/* ---- parameters ---- */

/* Comma-separated doubles; 0 or a 400 response. */
int shs_parse_quantiles(const char *s, double *q, int *nq, sic_shs_response *r) {
  *nq = 0;
  char buf[1024];
  size_t n = strlen(s);
  if (n >= sizeof buf) return shs_error(r, 400, "Bad value for parameter \"quantiles\".  Too long");
  memcpy(buf, s, n + 1);
  int had_text = n > 0;
  while (n > 0 && buf[n - 1] == ',') buf[--n] = 0; /* String.split drops trailing empty fields */
  if (had_text && n == 0) return 0;                 /* "," splits into no quantiles at all */
  char *p = buf;
  for (;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = 0;
    if (*nq == SHS_MAX_QUANTILES)
      return shs_error(r, 400, "Bad value for parameter \"quantiles\".  At most %d values", SHS_MAX_QUANTILES);
    if (shs_parse_java_double(p, &q[*nq]))
      return shs_error(r, 400, "Bad value for parameter \"quantiles\".  Expected a double, got \"%s\"", p);
    if (!(q[*nq] >= 0.0 && q[*nq] <= 1.0)) /* a quantile outside [0, 1] (or NaN) has no task to name */
      return shs_error(r, 400, "Bad value for parameter \"quantiles\".  Expected values in [0, 1], got \"%s\"", p);
    (*nq)++;
    if (!comma) break;
    p = comma + 1;
  }
  sic_qsort(q, (size_t)*nq, sizeof *q, sic_cmp_double);
  return 0;
}

/* Values of a repeated enum parameter into flags; 0 or a 400 response. */
int shs_parse_enum_list(const shs_query *q, const char *key, const char *const *names, int n,
                           int *flags, int *any, const char *supported, sic_shs_response *r) {
  *any = 0;
  for (size_t i = 0; i < q->nparams; i++) {
    if (strcmp(q->params[i].key, key)) continue;
    int s = shs_enum_parse(q->params[i].value, names, n);
    if (s < 0)
      return shs_error(r, 400, "Illegal type='%s'. Supported type values: %s", q->params[i].value, supported);
    flags[s] = *any = 1;
  }
  return 0;
}


/* ---- tasks ---- */

static const char *task_status_text(const sic_app *a, int64_t r) {
  int s = a->tasks.status[r];
  if (s == SIC_TASK_RUNNING && sic_col_get(&a->tasks.getting_result_time, r) > 0) return "GET RESULT";
  return sic_task_status_name(s);
}

static int64_t tm(const sic_app *a, int64_t r, sic_task_metric m) {
  return (a->tasks.flags[r] & SIC_TASKF_HAS_METRICS) ? sic_task_metric_get(a, r, m) : 0;
}

/* TaskDataWrapper.toApi: metrics of tasks that did not succeed are stored as -v-1 and read
 * back as |stored + 1|, so such a task that never reported metrics (stored -1) shows all-zero
 * metrics, while a successful task without metrics shows none. */
static int task_shows_metrics(const sic_app *a, int64_t r) {
  return (a->tasks.flags[r] & SIC_TASKF_HAS_METRICS) || a->tasks.status[r] != SIC_TASK_SUCCESS;
}

/* AppStatusUtils.gettingResultTime / schedulerDelay */
static int64_t getting_result_time(const sic_app *a, int64_t r) {
  int64_t fetch = sic_col_get(&a->tasks.getting_result_time, r);
  int64_t dur = sic_task_duration(a, r);
  if (fetch <= 0) return 0;
  if (dur > 0) return sic_col_get(&a->tasks.launch_time, r) + dur - fetch;
  return 0; /* still fetching: the live server uses "now"; a replayed log has no now */
}

static int64_t scheduler_delay(const sic_app *a, int64_t r) {
  int64_t dur = sic_task_duration(a, r);
  int st = a->tasks.status[r]; /* only finished tasks (SUCCESS, FAILED, KILLED) have a delay */
  if ((st != SIC_TASK_SUCCESS && st != SIC_TASK_FAILED && st != SIC_TASK_KILLED) || !task_shows_metrics(a, r) ||
      dur <= 0)
    return 0;
  int64_t d = dur - tm(a, r, SIC_TM_EXECUTOR_RUN_TIME) - tm(a, r, SIC_TM_EXECUTOR_DESERIALIZE_TIME) -
              tm(a, r, SIC_TM_RESULT_SERIALIZATION_TIME) - getting_result_time(a, r);
  return d > 0 ? d : 0;
}

static void kint_m(sic_jw *w, const char *k, const sic_app *a, int64_t r, sic_task_metric m) {
  sic_jw_kint(w, k, tm(a, r, m));
}

static void write_task_metrics(sic_jw *w, const sic_app *a, int64_t r) {
  sic_jw_kobj(w, "taskMetrics");
  kint_m(w, "executorDeserializeTime", a, r, SIC_TM_EXECUTOR_DESERIALIZE_TIME);
  kint_m(w, "executorDeserializeCpuTime", a, r, SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME);
  kint_m(w, "executorRunTime", a, r, SIC_TM_EXECUTOR_RUN_TIME);
  kint_m(w, "executorCpuTime", a, r, SIC_TM_EXECUTOR_CPU_TIME);
  kint_m(w, "resultSize", a, r, SIC_TM_RESULT_SIZE);
  kint_m(w, "jvmGcTime", a, r, SIC_TM_JVM_GC_TIME);
  kint_m(w, "resultSerializationTime", a, r, SIC_TM_RESULT_SERIALIZATION_TIME);
  kint_m(w, "memoryBytesSpilled", a, r, SIC_TM_MEMORY_BYTES_SPILLED);
  kint_m(w, "diskBytesSpilled", a, r, SIC_TM_DISK_BYTES_SPILLED);
  kint_m(w, "peakExecutionMemory", a, r, SIC_TM_PEAK_EXECUTION_MEMORY);
  sic_jw_kobj(w, "inputMetrics");
  kint_m(w, "bytesRead", a, r, SIC_TM_INPUT_BYTES_READ);
  kint_m(w, "recordsRead", a, r, SIC_TM_INPUT_RECORDS_READ);
  sic_jw_end(w);
  sic_jw_kobj(w, "outputMetrics");
  kint_m(w, "bytesWritten", a, r, SIC_TM_OUTPUT_BYTES_WRITTEN);
  kint_m(w, "recordsWritten", a, r, SIC_TM_OUTPUT_RECORDS_WRITTEN);
  sic_jw_end(w);
  sic_jw_kobj(w, "shuffleReadMetrics");
  kint_m(w, "remoteBlocksFetched", a, r, SIC_TM_SR_REMOTE_BLOCKS_FETCHED);
  kint_m(w, "localBlocksFetched", a, r, SIC_TM_SR_LOCAL_BLOCKS_FETCHED);
  kint_m(w, "fetchWaitTime", a, r, SIC_TM_SR_FETCH_WAIT_TIME);
  kint_m(w, "remoteBytesRead", a, r, SIC_TM_SR_REMOTE_BYTES_READ);
  kint_m(w, "remoteBytesReadToDisk", a, r, SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK);
  kint_m(w, "localBytesRead", a, r, SIC_TM_SR_LOCAL_BYTES_READ);
  kint_m(w, "recordsRead", a, r, SIC_TM_SR_RECORDS_READ);
  kint_m(w, "remoteReqsDuration", a, r, SIC_TM_SR_REMOTE_REQS_DURATION);
  sic_jw_kobj(w, "shufflePushReadMetrics");
  kint_m(w, "corruptMergedBlockChunks", a, r, SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS);
  kint_m(w, "mergedFetchFallbackCount", a, r, SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT);
  kint_m(w, "remoteMergedBlocksFetched", a, r, SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED);
  kint_m(w, "localMergedBlocksFetched", a, r, SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED);
  kint_m(w, "remoteMergedChunksFetched", a, r, SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED);
  kint_m(w, "localMergedChunksFetched", a, r, SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED);
  kint_m(w, "remoteMergedBytesRead", a, r, SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ);
  kint_m(w, "localMergedBytesRead", a, r, SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ);
  kint_m(w, "remoteMergedReqsDuration", a, r, SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION);
  sic_jw_end(w);
  sic_jw_end(w);
  sic_jw_kobj(w, "shuffleWriteMetrics");
  kint_m(w, "bytesWritten", a, r, SIC_TM_SW_BYTES_WRITTEN);
  kint_m(w, "writeTime", a, r, SIC_TM_SW_WRITE_TIME);
  kint_m(w, "recordsWritten", a, r, SIC_TM_SW_RECORDS_WRITTEN);
  sic_jw_end(w);
  sic_jw_end(w);
}

/* First row of a task's user accumulables (task_accums is sorted by task row). */
static int64_t task_accum_lower(const sic_app *a, int64_t row) {
  int64_t lo = 0, hi = a->ntask_accums;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (a->task_accums[mid].task_row < row) lo = mid + 1; else hi = mid;
  }
  return lo;
}

void shs_write_accum(sic_jw *w, const sic_app *a, int64_t id, sic_sid name, sic_sid update, sic_sid value) {
  sic_jw_obj(w);
  sic_jw_kint(w, "id", id);
  if (sic_str(a, name)) sic_jw_kstr(w, "name", sic_str(a, name));
  if (sic_str(a, update)) sic_jw_kstr(w, "update", sic_str(a, update));
  if (sic_str(a, value)) sic_jw_kstr(w, "value", sic_str(a, value));
  sic_jw_end(w);
}

void shs_write_task(sic_jw *w, const shs_ctx *c, int64_t r) {
  const sic_app *a = c->a;
  int32_t x = sic_task_executor(a, r);
  sic_jw_obj(w);
  sic_jw_kint(w, "taskId", sic_col_get(&a->tasks.task_id, r));
  sic_jw_kint(w, "index", sic_col_get(&a->tasks.index, r));
  sic_jw_kint(w, "attempt", sic_col_get(&a->tasks.attempt, r));
  sic_jw_kint(w, "partitionId", sic_col_get(&a->tasks.partition_id, r)); /* -1 before Spark 3.3 */
  shs_write_date(w, "launchTime", sic_col_get(&a->tasks.launch_time, r));
  int64_t fetch = sic_col_get(&a->tasks.getting_result_time, r);
  if (fetch > 0) shs_write_date(w, "resultFetchStart", fetch);
  int64_t dur = sic_task_duration(a, r);
  if (dur > 0) sic_jw_kint(w, "duration", dur);
  sic_jw_kstr(w, "executorId", shs_exec_id(a, x));
  sic_jw_kstr(w, "host", sic_str(a, sic_task_host(a, r)) ? sic_str(a, sic_task_host(a, r)) : "");
  sic_jw_kstr(w, "status", task_status_text(a, r));
  sic_jw_kstr(w, "taskLocality", sic_locality_name(a->tasks.locality[r]));
  sic_jw_kbool(w, "speculative", (a->tasks.flags[r] & SIC_TASKF_SPECULATIVE) != 0);
  sic_jw_karr(w, "accumulatorUpdates");
  for (int64_t i = task_accum_lower(a, r); i < a->ntask_accums && a->task_accums[i].task_row == r; i++) {
    const sic_task_accum *t = &a->task_accums[i];
    shs_write_accum(w, a, t->accum_id, t->name, t->update, t->value);
  }
  sic_jw_end(w);
  const char *error = sic_str(a, sic_task_error(a, r));
  if (error) sic_jw_kstr(w, "errorMessage", error);
  if (task_shows_metrics(a, r)) write_task_metrics(w, a, r);
  sic_jw_key(w, "executorLogs"); /* the executor's, as the executor list shows them */
  sic_range logs = {0, 0};
  if (x >= 0) logs = a->executors[x].is_driver && a->driver_logs.n > 0 ? a->driver_logs : a->executors[x].log_urls;
  shs_write_str_map(w, a, logs);
  sic_jw_kint(w, "schedulerDelay", scheduler_delay(a, r));
  sic_jw_kint(w, "gettingResultTime", getting_result_time(a, r));
  sic_jw_end(w);
}

/* executorRunTime as the History Server indexes it: failed/killed tasks' metrics are stored
 * negated (-v - 1) and tasks without metrics as -1, so they sort first. */
static int64_t runtime_key(const sic_app *a, int64_t r) {
  if (!(a->tasks.flags[r] & SIC_TASKF_HAS_METRICS)) return -1;
  int64_t v = tm(a, r, SIC_TM_EXECUTOR_RUN_TIME);
  return a->tasks.status[r] == SIC_TASK_SUCCESS ? v : -v - 1;
}

static int cmp_task_key(const void *x, const void *y) {
  const shs_task_key *p = x, *q = y;
  if (p->key != q->key) return p->key < q->key ? -1 : 1;
  return p->task_id < q->task_id ? -1 : p->task_id > q->task_id;
}


/* Task rows of a stage attempt, filtered by status, sorted; caller frees. */
shs_task_key *shs_stage_task_list(const sic_app *a, const sic_stage *st, const int *want, int any,
                                 int sort, int64_t *n) {
  shs_task_key *ks = malloc(((size_t)st->tasks.n + 1) * sizeof *ks);
  *n = 0;
  if (!ks) return NULL;
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i];
    int s = a->tasks.status[r];
    if (any && (s > 4 || !want[s])) continue;
    int64_t tid = sic_col_get(&a->tasks.task_id, r);
    ks[(*n)++] = (shs_task_key){sort == SHS_SORT_ID ? 0 : runtime_key(a, r), tid, r};
  }
  sic_qsort(ks, (size_t)*n, sizeof *ks, cmp_task_key);
  if (sort == SHS_SORT_RUNTIME_DOWN)
    for (int64_t i = 0; i < *n / 2; i++) {
      shs_task_key t = ks[i];
      ks[i] = ks[*n - 1 - i];
      ks[*n - 1 - i] = t;
    }
  return ks;
}

/* ---- quantiles ---- */

int shs_cmp_i64(const void *x, const void *y) {
  int64_t p = *(const int64_t *)x, q = *(const int64_t *)y;
  return p < q ? -1 : p > q;
}

/* Index the History Server reads for quantile q among count values. */
int64_t shs_quantile_index(double q, int64_t count) {
  double x = q * (double)count;
  int64_t i = isnan(x) ? 0 : x >= 9.2e18 ? INT64_MAX : (int64_t)x;
  if (i > count - 1) i = count - 1;
  return i < 0 ? 0 : i;
}

static void write_quantile_values(sic_jw *w, const char *key, int64_t *vals, int64_t nvals,
                                  int64_t count, const shs_stage_opts *o) {
  sic_qsort(vals, (size_t)nvals, sizeof *vals, shs_cmp_i64);
  sic_jw_karr(w, key);
  for (int i = 0; i < o->nq; i++) {
    int64_t k = shs_quantile_index(o->q[i], count);
    sic_jw_double(w, k < nvals ? (double)vals[k] : NAN);
  }
  sic_jw_end(w);
}

typedef int64_t (*task_value_fn)(const sic_app *a, int64_t r, int arg);

static int64_t v_metric(const sic_app *a, int64_t r, int m) { return tm(a, r, (sic_task_metric)m); }
static int64_t v_sched(const sic_app *a, int64_t r, int m) { return scheduler_delay(a, r); }
static int64_t v_getting(const sic_app *a, int64_t r, int m) { return getting_result_time(a, r); }
static int64_t v_read_bytes(const sic_app *a, int64_t r, int m) {
  return tm(a, r, SIC_TM_SR_LOCAL_BYTES_READ) + tm(a, r, SIC_TM_SR_REMOTE_BYTES_READ);
}
static int64_t v_blocks(const sic_app *a, int64_t r, int m) {
  return tm(a, r, SIC_TM_SR_LOCAL_BLOCKS_FETCHED) + tm(a, r, SIC_TM_SR_REMOTE_BLOCKS_FETCHED);
}

typedef struct summary_ctx {
  const sic_app *a;
  const int64_t *rows;           /* successful tasks with metrics */
  int64_t count;
  int64_t *buf;                  /* scratch, >= stage task count */
  const shs_stage_opts *o;
} summary_ctx;

static void dist(sic_jw *w, summary_ctx *s, const char *key, task_value_fn fn, int arg) {
  for (int64_t i = 0; i < s->count; i++) s->buf[i] = fn(s->a, s->rows[i], arg);
  write_quantile_values(w, key, s->buf, s->count, s->count, s->o);
}

/* TaskMetricDistributions (AppStatusStore.taskSummary); 0 = written, -1 = no task has metrics. */
int shs_write_task_summary(sic_jw *w, const shs_ctx *c, const sic_stage *st, const shs_stage_opts *o,
                              const char *key) {
  const sic_app *a = c->a;
  int64_t *rows = malloc(((size_t)st->tasks.n + 1) * sizeof *rows);
  int64_t *buf = malloc(((size_t)st->tasks.n + 1) * sizeof *buf);
  int64_t n = 0, nd = 0;
  if (!rows || !buf) {
    free(rows), free(buf);
    w->status = SIC_ENOMEM;
    return 0;
  }
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i];
    if (a->tasks.status[r] == SIC_TASK_SUCCESS && (a->tasks.flags[r] & SIC_TASKF_HAS_METRICS)) rows[n++] = r;
  }
  if (n == 0) {
    free(rows), free(buf);
    return -1;
  }
  summary_ctx s = {a, rows, n, buf, o};
  if (key) sic_jw_kobj(w, key);
  else sic_jw_obj(w);
  sic_jw_karr(w, "quantiles");
  for (int i = 0; i < o->nq; i++) sic_jw_double(w, o->q[i]);
  sic_jw_end(w);
  /* Duration is indexed for every finished task (failed ones too), but the quantile indices
   * come from the count of successful tasks: reproduced as the History Server does it. */
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i], d = sic_task_duration(a, r);
    if (d >= 0) buf[nd++] = d;
  }
  write_quantile_values(w, "duration", buf, nd, n, o);
  dist(w, &s, "executorDeserializeTime", v_metric, SIC_TM_EXECUTOR_DESERIALIZE_TIME);
  dist(w, &s, "executorDeserializeCpuTime", v_metric, SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME);
  dist(w, &s, "executorRunTime", v_metric, SIC_TM_EXECUTOR_RUN_TIME);
  dist(w, &s, "executorCpuTime", v_metric, SIC_TM_EXECUTOR_CPU_TIME);
  dist(w, &s, "resultSize", v_metric, SIC_TM_RESULT_SIZE);
  dist(w, &s, "jvmGcTime", v_metric, SIC_TM_JVM_GC_TIME);
  dist(w, &s, "resultSerializationTime", v_metric, SIC_TM_RESULT_SERIALIZATION_TIME);
  dist(w, &s, "gettingResultTime", v_getting, 0);
  dist(w, &s, "schedulerDelay", v_sched, 0);
  dist(w, &s, "peakExecutionMemory", v_metric, SIC_TM_PEAK_EXECUTION_MEMORY);
  dist(w, &s, "memoryBytesSpilled", v_metric, SIC_TM_MEMORY_BYTES_SPILLED);
  dist(w, &s, "diskBytesSpilled", v_metric, SIC_TM_DISK_BYTES_SPILLED);
  sic_jw_kobj(w, "inputMetrics");
  dist(w, &s, "bytesRead", v_metric, SIC_TM_INPUT_BYTES_READ);
  dist(w, &s, "recordsRead", v_metric, SIC_TM_INPUT_RECORDS_READ);
  sic_jw_end(w);
  sic_jw_kobj(w, "outputMetrics");
  dist(w, &s, "bytesWritten", v_metric, SIC_TM_OUTPUT_BYTES_WRITTEN);
  dist(w, &s, "recordsWritten", v_metric, SIC_TM_OUTPUT_RECORDS_WRITTEN);
  sic_jw_end(w);
  sic_jw_kobj(w, "shuffleReadMetrics");
  dist(w, &s, "readBytes", v_read_bytes, 0);
  dist(w, &s, "readRecords", v_metric, SIC_TM_SR_RECORDS_READ);
  dist(w, &s, "remoteBlocksFetched", v_metric, SIC_TM_SR_REMOTE_BLOCKS_FETCHED);
  dist(w, &s, "localBlocksFetched", v_metric, SIC_TM_SR_LOCAL_BLOCKS_FETCHED);
  dist(w, &s, "fetchWaitTime", v_metric, SIC_TM_SR_FETCH_WAIT_TIME);
  dist(w, &s, "remoteBytesRead", v_metric, SIC_TM_SR_REMOTE_BYTES_READ);
  dist(w, &s, "remoteBytesReadToDisk", v_metric, SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK);
  dist(w, &s, "totalBlocksFetched", v_blocks, 0);
  dist(w, &s, "remoteReqsDuration", v_metric, SIC_TM_SR_REMOTE_REQS_DURATION);
  sic_jw_kobj(w, "shufflePushReadMetricsDist");
  dist(w, &s, "corruptMergedBlockChunks", v_metric, SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS);
  dist(w, &s, "mergedFetchFallbackCount", v_metric, SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT);
  dist(w, &s, "remoteMergedBlocksFetched", v_metric, SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED);
  dist(w, &s, "localMergedBlocksFetched", v_metric, SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED);
  dist(w, &s, "remoteMergedChunksFetched", v_metric, SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED);
  dist(w, &s, "localMergedChunksFetched", v_metric, SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED);
  dist(w, &s, "remoteMergedBytesRead", v_metric, SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ);
  dist(w, &s, "localMergedBytesRead", v_metric, SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ);
  dist(w, &s, "remoteMergedReqsDuration", v_metric, SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION);
  sic_jw_end(w);
  sic_jw_end(w);
  sic_jw_kobj(w, "shuffleWriteMetrics");
  dist(w, &s, "writeBytes", v_metric, SIC_TM_SW_BYTES_WRITTEN);
  dist(w, &s, "writeRecords", v_metric, SIC_TM_SW_RECORDS_WRITTEN);
  dist(w, &s, "writeTime", v_metric, SIC_TM_SW_WRITE_TIME);
  sic_jw_end(w);
  sic_jw_end(w);
  free(rows);
  free(buf);
  return 0;
}

int shs_render_task_list(shs_ctx *c, int64_t s, sic_shs_response *r) {
  static const char *const sorts[] = {"ID", "INCREASING_RUNTIME", "DECREASING_RUNTIME"};
  const shs_query *q = c->q;
  int32_t offset = 0, length = 20;
  const char *v;
  if ((v = shs_param_get(q, "offset")) && shs_parse_java_int(v, &offset))
    return shs_error(r, 400, "Bad value for parameter \"offset\".  Expected an integer, got \"%s\"", v);
  if ((v = shs_param_get(q, "length")) && shs_parse_java_int(v, &length))
    return shs_error(r, 400, "Bad value for parameter \"length\".  Expected an integer, got \"%s\"", v);
  /* A negative page start or size names no tasks: refused instead of silently echoed. */
  if (offset < 0) return shs_error(r, 400, "Bad value for parameter \"offset\".  Expected a non-negative integer, got \"%d\"", (int)offset);
  if (length < 0) return shs_error(r, 400, "Bad value for parameter \"length\".  Expected a non-negative integer, got \"%d\"", (int)length);
  int sort = SHS_SORT_ID;
  if ((v = shs_param_get(q, "sortBy"))) {
    if (!strcasecmp(v, "runtime")) sort = SHS_SORT_RUNTIME_UP;
    else if (!strcasecmp(v, "-runtime")) sort = SHS_SORT_RUNTIME_DOWN;
    else if ((sort = shs_enum_parse(v, sorts, 3)) < 0)
      return shs_error(r, 400, "Illegal type='%s'. Supported type values: ID, INCREASING_RUNTIME, DECREASING_RUNTIME", v);
  }
  int want[5] = {0}, any = 0;
  if (shs_parse_enum_list(q, "status", shs_task_statuses, 5, want, &any, "RUNNING, KILLED, FAILED, SUCCESS, UNKNOWN", r))
    return r->status;
  int64_t n = 0;
  shs_task_key *ks = s >= 0 ? shs_stage_task_list(c->a, &c->a->stages[s], want, any, sort, &n) : NULL;
  if (s >= 0 && !ks) return shs_error(r, 500, "out of memory");
  /* Iterator.slice(offset, offset + length) with Int arithmetic. */
  int64_t from = offset;
  int64_t until = (int64_t)(int32_t)((uint32_t)offset + (uint32_t)length);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int64_t i = from; ks && i < until && i < n; i++) shs_write_task(&w, c, ks[i].row);
  sic_jw_end(&w);
  free(ks);
  return shs_json_ok(r, &w);
}

int shs_render_task_summary(shs_ctx *c, int64_t s, int32_t sid, int32_t att, sic_shs_response *r) {
  shs_stage_opts o;
  memset(&o, 0, sizeof o);
  const char *qs = shs_param_get(c->q, "quantiles");
  if (shs_parse_quantiles(qs ? qs : DEFAULT_SUMMARY_QUANTILES, o.q, &o.nq, r)) return r->status;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  if (s < 0 || shs_write_task_summary(&w, c, &c->a->stages[s], &o, NULL) < 0) {
    sic_jw_free(&w);
    return shs_error(r, 404, "No tasks reported metrics for %d / %d yet.", sid, att);
  }
  return shs_json_ok(r, &w);
}
