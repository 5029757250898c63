/* JSON for stages: stage lists, stage attempts with tasks and executor summaries, task
 * lists and task metric quantiles, as Spark 3.5's StagesResource and AppStatusStore produce
 * them. Owner: shs. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shs/shs_internal.h"

static const char *const stage_statuses[] = {"PENDING", "ACTIVE", "COMPLETE", "FAILED", "SKIPPED"};
static const char *const task_statuses[] = {"RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN"};

#define DEFAULT_STAGE_QUANTILES "0.0,0.25,0.5,0.75,1.0"
#define DEFAULT_SUMMARY_QUANTILES "0.05,0.25,0.5,0.75,0.95"
#define MAX_QUANTILES 64

typedef struct stage_opts {
  int details;                   /* include tasks and executor summaries */
  int with_summaries;            /* include metric distributions */
  int task_status[5];            /* filter on task status (by sic_task_status), when any_status */
  int any_status;
  double q[MAX_QUANTILES];       /* sorted quantiles */
  int nq;
} stage_opts;

/* ---- parameters ---- */

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  if (isnan(a) || isnan(b)) return isnan(a) - isnan(b); /* Java sorts NaN last */
  return a < b ? -1 : a > b;
}

/* Comma-separated doubles; 0 or a 400 response. */
static int parse_quantiles(const char *s, double *q, int *nq, sic_shs_response *r) {
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
    if (*nq == MAX_QUANTILES)
      return shs_error(r, 400, "Bad value for parameter \"quantiles\".  At most %d values", MAX_QUANTILES);
    if (shs_parse_java_double(p, &q[*nq]))
      return shs_error(r, 400, "Bad value for parameter \"quantiles\".  Expected a double, got \"%s\"", p);
    (*nq)++;
    if (!comma) break;
    p = comma + 1;
  }
  shs_qsort(q, (size_t)*nq, sizeof *q, cmp_double);
  return 0;
}

/* Values of a repeated enum parameter into flags; 0 or a 400 response. */
static int parse_enum_list(const shs_query *q, const char *key, const char *const *names, int n,
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

static int parse_stage_opts(const shs_query *q, int details_default, const char *quantiles_default,
                            stage_opts *o, sic_shs_response *r) {
  memset(o, 0, sizeof *o);
  o->details = shs_param_bool(q, "details", details_default);
  o->with_summaries = shs_param_bool(q, "withSummaries", 0);
  if (parse_enum_list(q, "taskStatus", task_statuses, 5, o->task_status, &o->any_status,
                      "RUNNING, KILLED, FAILED, SUCCESS, UNKNOWN", r))
    return -1;
  const char *qs = shs_param_get(q, "quantiles");
  if (parse_quantiles(qs ? qs : quantiles_default, o->q, &o->nq, r)) return -1;
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
  if (dur > 0) return a->tasks.launch_time[r] + dur - fetch;
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

static void write_accum(sic_jw *w, const sic_app *a, int64_t id, sic_sid name, sic_sid update, sic_sid value) {
  sic_jw_obj(w);
  sic_jw_kint(w, "id", id);
  if (sic_str(a, name)) sic_jw_kstr(w, "name", sic_str(a, name));
  if (sic_str(a, update)) sic_jw_kstr(w, "update", sic_str(a, update));
  if (sic_str(a, value)) sic_jw_kstr(w, "value", sic_str(a, value));
  sic_jw_end(w);
}

static void write_task(sic_jw *w, const shs_ctx *c, int64_t r) {
  const sic_app *a = c->a;
  int32_t x = a->tasks.executor[r];
  sic_jw_obj(w);
  sic_jw_kint(w, "taskId", sic_col_get(&a->tasks.task_id, r));
  sic_jw_kint(w, "index", sic_col_get(&a->tasks.index, r));
  sic_jw_kint(w, "attempt", sic_col_get(&a->tasks.attempt, r));
  sic_jw_kint(w, "partitionId", sic_col_get(&a->tasks.partition_id, r)); /* -1 before Spark 3.3 */
  shs_write_date(w, "launchTime", a->tasks.launch_time[r]);
  int64_t fetch = sic_col_get(&a->tasks.getting_result_time, r);
  if (fetch > 0) shs_write_date(w, "resultFetchStart", fetch);
  int64_t dur = sic_task_duration(a, r);
  if (dur > 0) sic_jw_kint(w, "duration", dur);
  sic_jw_kstr(w, "executorId", shs_exec_id(a, x));
  sic_jw_kstr(w, "host", sic_str(a, a->tasks.host[r]) ? sic_str(a, a->tasks.host[r]) : "");
  sic_jw_kstr(w, "status", task_status_text(a, r));
  sic_jw_kstr(w, "taskLocality", sic_locality_name(a->tasks.locality[r]));
  sic_jw_kbool(w, "speculative", (a->tasks.flags[r] & SIC_TASKF_SPECULATIVE) != 0);
  sic_jw_karr(w, "accumulatorUpdates");
  for (int64_t i = task_accum_lower(a, r); i < a->ntask_accums && a->task_accums[i].task_row == r; i++) {
    const sic_task_accum *t = &a->task_accums[i];
    write_accum(w, a, t->accum_id, t->name, t->update, t->value);
  }
  sic_jw_end(w);
  if (sic_str(a, a->tasks.error[r])) sic_jw_kstr(w, "errorMessage", sic_str(a, a->tasks.error[r]));
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

typedef struct task_key { int64_t key; int64_t task_id; int64_t row; } task_key;
static int cmp_task_key(const void *x, const void *y) {
  const task_key *p = x, *q = y;
  if (p->key != q->key) return p->key < q->key ? -1 : 1;
  return p->task_id < q->task_id ? -1 : p->task_id > q->task_id;
}

enum { SORT_ID = 0, SORT_RUNTIME_UP, SORT_RUNTIME_DOWN };

/* Task rows of a stage attempt, filtered by status, sorted; caller frees. */
static task_key *stage_task_list(const sic_app *a, const sic_stage *st, const int *want, int any,
                                 int sort, int64_t *n) {
  task_key *ks = malloc(((size_t)st->tasks.n + 1) * sizeof *ks);
  *n = 0;
  if (!ks) return NULL;
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i];
    int s = a->tasks.status[r];
    if (any && (s > 4 || !want[s])) continue;
    int64_t tid = sic_col_get(&a->tasks.task_id, r);
    ks[(*n)++] = (task_key){sort == SORT_ID ? 0 : runtime_key(a, r), tid, r};
  }
  shs_qsort(ks, (size_t)*n, sizeof *ks, cmp_task_key);
  if (sort == SORT_RUNTIME_DOWN)
    for (int64_t i = 0; i < *n / 2; i++) {
      task_key t = ks[i];
      ks[i] = ks[*n - 1 - i];
      ks[*n - 1 - i] = t;
    }
  return ks;
}

/* ---- quantiles ---- */

static int cmp_i64(const void *x, const void *y) {
  int64_t p = *(const int64_t *)x, q = *(const int64_t *)y;
  return p < q ? -1 : p > q;
}

/* Index the History Server reads for quantile q among count values. */
static int64_t quantile_index(double q, int64_t count) {
  double x = q * (double)count;
  int64_t i = isnan(x) ? 0 : x >= 9.2e18 ? INT64_MAX : (int64_t)x;
  if (i > count - 1) i = count - 1;
  return i < 0 ? 0 : i;
}

static void write_quantile_values(sic_jw *w, const char *key, int64_t *vals, int64_t nvals,
                                  int64_t count, const stage_opts *o) {
  shs_qsort(vals, (size_t)nvals, sizeof *vals, cmp_i64);
  sic_jw_karr(w, key);
  for (int i = 0; i < o->nq; i++) {
    int64_t k = quantile_index(o->q[i], count);
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
  const stage_opts *o;
} summary_ctx;

static void dist(sic_jw *w, summary_ctx *s, const char *key, task_value_fn fn, int arg) {
  for (int64_t i = 0; i < s->count; i++) s->buf[i] = fn(s->a, s->rows[i], arg);
  write_quantile_values(w, key, s->buf, s->count, s->count, s->o);
}

/* TaskMetricDistributions (AppStatusStore.taskSummary); 0 = written, -1 = no task has metrics. */
static int write_task_summary(sic_jw *w, const shs_ctx *c, const sic_stage *st, const stage_opts *o,
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

/* ---- executor summaries of a stage ---- */

static int64_t esum_read(const shs_esum *e) {
  return e->m[SIC_TM_SR_LOCAL_BYTES_READ] + e->m[SIC_TM_SR_REMOTE_BYTES_READ];
}

static void write_esum(sic_jw *w, const shs_ctx *c, const shs_esum *e) {
  sic_jw_kobj(w, shs_exec_id(c->a, e->executor));
  sic_jw_kint(w, "taskTime", e->task_time);
  sic_jw_kint(w, "failedTasks", e->failed);
  sic_jw_kint(w, "succeededTasks", e->succeeded);
  sic_jw_kint(w, "killedTasks", e->killed);
  sic_jw_kint(w, "inputBytes", e->m[SIC_TM_INPUT_BYTES_READ]);
  sic_jw_kint(w, "inputRecords", e->m[SIC_TM_INPUT_RECORDS_READ]);
  sic_jw_kint(w, "outputBytes", e->m[SIC_TM_OUTPUT_BYTES_WRITTEN]);
  sic_jw_kint(w, "outputRecords", e->m[SIC_TM_OUTPUT_RECORDS_WRITTEN]);
  sic_jw_kint(w, "shuffleRead", esum_read(e));
  sic_jw_kint(w, "shuffleReadRecords", e->m[SIC_TM_SR_RECORDS_READ]);
  sic_jw_kint(w, "shuffleWrite", e->m[SIC_TM_SW_BYTES_WRITTEN]);
  sic_jw_kint(w, "shuffleWriteRecords", e->m[SIC_TM_SW_RECORDS_WRITTEN]);
  sic_jw_kint(w, "memoryBytesSpilled", e->m[SIC_TM_MEMORY_BYTES_SPILLED]);
  sic_jw_kint(w, "diskBytesSpilled", e->m[SIC_TM_DISK_BYTES_SPILLED]);
  sic_jw_kbool(w, "isBlacklistedForStage", e->excluded);
  sic_jw_key(w, "peakMemoryMetrics");
  shs_write_emetrics(w, &e->peak);
  sic_jw_kbool(w, "isExcludedForStage", e->excluded);
  sic_jw_end(w);
}

typedef int64_t (*esum_fn)(const shs_esum *e, int arg);
static int64_t es_time(const shs_esum *e, int k) { return e->task_time; }
static int64_t es_failed(const shs_esum *e, int k) { return e->failed; }
static int64_t es_ok(const shs_esum *e, int k) { return e->succeeded; }
static int64_t es_killed(const shs_esum *e, int k) { return e->killed; }
static int64_t es_metric(const shs_esum *e, int k) { return e->m[k]; }
static int64_t es_read(const shs_esum *e, int k) { return esum_read(e); }
static int64_t es_peak(const shs_esum *e, int k) { return e->peak.v[k]; }

static void esum_dist(sic_jw *w, const shs_esum *es, int32_t n, const stage_opts *o,
                      int64_t *buf, const char *key, esum_fn fn, int arg) {
  for (int32_t i = 0; i < n; i++) buf[i] = fn(&es[i], arg);
  shs_qsort(buf, (size_t)n, sizeof *buf, cmp_i64);
  sic_jw_karr(w, key);
  for (int i = 0; i < o->nq; i++) sic_jw_double(w, n ? (double)buf[quantile_index(o->q[i], n)] : 0.0);
  sic_jw_end(w);
}

/* ExecutorMetricsDistributions (AppStatusStore.stageExecutorSummary). */
static void write_exec_dists(sic_jw *w, const shs_ctx *c, const shs_stage_view *sv, const stage_opts *o) {
  const shs_esum *es = c->v->esums + sv->esum_off;
  int32_t n = sv->esum_n;
  if (n == 0) return;
  int64_t *buf = malloc((size_t)n * sizeof *buf);
  if (!buf) {
    w->status = SIC_ENOMEM;
    return;
  }
  sic_jw_kobj(w, "executorMetricsDistributions");
  sic_jw_karr(w, "quantiles");
  for (int i = 0; i < o->nq; i++) sic_jw_double(w, o->q[i]);
  sic_jw_end(w);
  esum_dist(w, es, n, o, buf, "taskTime", es_time, 0);
  esum_dist(w, es, n, o, buf, "failedTasks", es_failed, 0);
  esum_dist(w, es, n, o, buf, "succeededTasks", es_ok, 0);
  esum_dist(w, es, n, o, buf, "killedTasks", es_killed, 0);
  esum_dist(w, es, n, o, buf, "inputBytes", es_metric, SIC_TM_INPUT_BYTES_READ);
  esum_dist(w, es, n, o, buf, "inputRecords", es_metric, SIC_TM_INPUT_RECORDS_READ);
  esum_dist(w, es, n, o, buf, "outputBytes", es_metric, SIC_TM_OUTPUT_BYTES_WRITTEN);
  esum_dist(w, es, n, o, buf, "outputRecords", es_metric, SIC_TM_OUTPUT_RECORDS_WRITTEN);
  esum_dist(w, es, n, o, buf, "shuffleRead", es_read, 0);
  esum_dist(w, es, n, o, buf, "shuffleReadRecords", es_metric, SIC_TM_SR_RECORDS_READ);
  esum_dist(w, es, n, o, buf, "shuffleWrite", es_metric, SIC_TM_SW_BYTES_WRITTEN);
  esum_dist(w, es, n, o, buf, "shuffleWriteRecords", es_metric, SIC_TM_SW_RECORDS_WRITTEN);
  esum_dist(w, es, n, o, buf, "memoryBytesSpilled", es_metric, SIC_TM_MEMORY_BYTES_SPILLED);
  esum_dist(w, es, n, o, buf, "diskBytesSpilled", es_metric, SIC_TM_DISK_BYTES_SPILLED);
  sic_jw_kobj(w, "peakMemoryMetrics");
  for (int m = 0; m < SIC_EM__COUNT; m++)
    esum_dist(w, es, n, o, buf, sic_exec_metric_name((sic_exec_metric)m), es_peak, m);
  sic_jw_end(w);
  sic_jw_end(w);
  free(buf);
}

/* ---- stage data ---- */

static int cmp_stage_accum(const void *x, const void *y) {
  const sic_stage_accum *p = x, *q = y;
  return p->accum_id < q->accum_id ? -1 : p->accum_id > q->accum_id;
}

static int accum_is_user_visible(const sic_app *a, int64_t id, int internal) {
  if (internal) return 0;
  const sic_accum *acc = sic_app_accum(a, id);
  const char *md = acc ? sic_str(a, acc->metadata) : NULL;
  return !(md && !strcmp(md, "sql"));
}

static void write_stage_accums(sic_jw *w, const sic_app *a, const sic_stage *st) {
  sic_jw_karr(w, "accumulatorUpdates");
  sic_stage_accum *xs = malloc(((size_t)st->accums.n + 1) * sizeof *xs);
  if (xs) {
    if (st->accums.n > 0) memcpy(xs, a->stage_accums + st->accums.off, (size_t)st->accums.n * sizeof *xs);
    shs_qsort(xs, (size_t)st->accums.n, sizeof *xs, cmp_stage_accum);
    for (int32_t i = 0; i < st->accums.n; i++)
      if (accum_is_user_visible(a, xs[i].accum_id, xs[i].internal))
        write_accum(w, a, xs[i].accum_id, xs[i].name, -1, xs[i].value);
    free(xs);
  } else {
    w->status = SIC_ENOMEM;
  }
  sic_jw_end(w);
}

static void kint_sm(sic_jw *w, const char *k, const shs_stage_view *sv, sic_task_metric m) {
  sic_jw_kint(w, k, sv->m[m]);
}

static void write_stage_metrics(sic_jw *w, const shs_stage_view *sv) {
  kint_sm(w, "executorDeserializeTime", sv, SIC_TM_EXECUTOR_DESERIALIZE_TIME);
  kint_sm(w, "executorDeserializeCpuTime", sv, SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME);
  kint_sm(w, "executorRunTime", sv, SIC_TM_EXECUTOR_RUN_TIME);
  kint_sm(w, "executorCpuTime", sv, SIC_TM_EXECUTOR_CPU_TIME);
  kint_sm(w, "resultSize", sv, SIC_TM_RESULT_SIZE);
  kint_sm(w, "jvmGcTime", sv, SIC_TM_JVM_GC_TIME);
  kint_sm(w, "resultSerializationTime", sv, SIC_TM_RESULT_SERIALIZATION_TIME);
  kint_sm(w, "memoryBytesSpilled", sv, SIC_TM_MEMORY_BYTES_SPILLED);
  kint_sm(w, "diskBytesSpilled", sv, SIC_TM_DISK_BYTES_SPILLED);
  kint_sm(w, "peakExecutionMemory", sv, SIC_TM_PEAK_EXECUTION_MEMORY);
  kint_sm(w, "inputBytes", sv, SIC_TM_INPUT_BYTES_READ);
  kint_sm(w, "inputRecords", sv, SIC_TM_INPUT_RECORDS_READ);
  kint_sm(w, "outputBytes", sv, SIC_TM_OUTPUT_BYTES_WRITTEN);
  kint_sm(w, "outputRecords", sv, SIC_TM_OUTPUT_RECORDS_WRITTEN);
  kint_sm(w, "shuffleRemoteBlocksFetched", sv, SIC_TM_SR_REMOTE_BLOCKS_FETCHED);
  kint_sm(w, "shuffleLocalBlocksFetched", sv, SIC_TM_SR_LOCAL_BLOCKS_FETCHED);
  kint_sm(w, "shuffleFetchWaitTime", sv, SIC_TM_SR_FETCH_WAIT_TIME);
  kint_sm(w, "shuffleRemoteBytesRead", sv, SIC_TM_SR_REMOTE_BYTES_READ);
  kint_sm(w, "shuffleRemoteBytesReadToDisk", sv, SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK);
  kint_sm(w, "shuffleLocalBytesRead", sv, SIC_TM_SR_LOCAL_BYTES_READ);
  sic_jw_kint(w, "shuffleReadBytes", sv->m[SIC_TM_SR_LOCAL_BYTES_READ] + sv->m[SIC_TM_SR_REMOTE_BYTES_READ]);
  kint_sm(w, "shuffleReadRecords", sv, SIC_TM_SR_RECORDS_READ);
  kint_sm(w, "shuffleCorruptMergedBlockChunks", sv, SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS);
  kint_sm(w, "shuffleMergedFetchFallbackCount", sv, SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT);
  kint_sm(w, "shuffleMergedRemoteBlocksFetched", sv, SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED);
  kint_sm(w, "shuffleMergedLocalBlocksFetched", sv, SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED);
  kint_sm(w, "shuffleMergedRemoteChunksFetched", sv, SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED);
  kint_sm(w, "shuffleMergedLocalChunksFetched", sv, SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED);
  kint_sm(w, "shuffleMergedRemoteBytesRead", sv, SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ);
  kint_sm(w, "shuffleMergedLocalBytesRead", sv, SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ);
  kint_sm(w, "shuffleRemoteReqsDuration", sv, SIC_TM_SR_REMOTE_REQS_DURATION);
  kint_sm(w, "shuffleMergedRemoteReqsDuration", sv, SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION);
  kint_sm(w, "shuffleWriteBytes", sv, SIC_TM_SW_BYTES_WRITTEN);
  kint_sm(w, "shuffleWriteTime", sv, SIC_TM_SW_WRITE_TIME);
  kint_sm(w, "shuffleWriteRecords", sv, SIC_TM_SW_RECORDS_WRITTEN);
}

static void write_stage_tasks(sic_jw *w, const shs_ctx *c, const sic_stage *st, const stage_opts *o) {
  int64_t n;
  /* newStageData lists tasks by id, descending, then keys them by id. */
  task_key *ks = stage_task_list(c->a, st, o->task_status, o->any_status, SORT_ID, &n);
  sic_jw_kobj(w, "tasks");
  for (int64_t i = n - 1; ks && i >= 0; i--) {
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)ks[i].task_id);
    sic_jw_key(w, key);
    write_task(w, c, ks[i].row);
  }
  if (!ks) w->status = SIC_ENOMEM;
  sic_jw_end(w);
  free(ks);
}

/* Status as stored by the History Server (see shs_stage_view.overwritten). */
static int stage_status(const shs_ctx *c, int64_t s) {
  return c->v->stages[s].overwritten ? SIC_STAGE_SKIPPED : c->a->stages[s].status;
}

static void write_stage(sic_jw *w, const shs_ctx *c, int64_t s, const stage_opts *o) {
  const sic_app *a = c->a;
  const sic_stage *st = &a->stages[s];
  const shs_stage_view *sv = &c->v->stages[s];
  shs_stage_view fresh; /* what a re-created, skipped stage holds: nothing but its slices */
  int overwritten = sv->overwritten;
  if (overwritten) {
    memset(&fresh, 0, sizeof fresh);
    fresh.esum_off = sv->esum_off, fresh.esum_n = sv->esum_n;
    fresh.spec_tasks = sv->spec_tasks, fresh.spec_active = sv->spec_active;
    fresh.spec_complete = sv->spec_complete, fresh.spec_failed = sv->spec_failed;
    fresh.spec_killed = sv->spec_killed;
    sv = &fresh;
  }
  sic_jw_obj(w);
  sic_jw_kstr(w, "status", sic_stage_status_name(stage_status(c, s)));
  sic_jw_kint(w, "stageId", st->stage_id);
  sic_jw_kint(w, "attemptId", st->attempt_id);
  sic_jw_kint(w, "numTasks", st->num_tasks);
  sic_jw_kint(w, "numActiveTasks", sv->active);
  sic_jw_kint(w, "numCompleteTasks", sv->complete);
  sic_jw_kint(w, "numFailedTasks", sv->failed);
  sic_jw_kint(w, "numKilledTasks", sv->killed);
  sic_jw_kint(w, "numCompletedIndices", sv->completed_indices);
  if (st->submission_time >= 0) shs_write_date(w, "submissionTime", st->submission_time);
  if (st->first_task_launch >= 0 && !overwritten) shs_write_date(w, "firstTaskLaunchedTime", st->first_task_launch);
  if (st->completion_time >= 0) shs_write_date(w, "completionTime", st->completion_time);
  if (sic_str(a, st->failure_reason)) sic_jw_kstr(w, "failureReason", sic_str(a, st->failure_reason));
  write_stage_metrics(w, sv);
  sic_jw_kstr(w, "name", sic_str(a, st->name) ? sic_str(a, st->name) : "");
  if (sic_str(a, st->description) && !overwritten) sic_jw_kstr(w, "description", sic_str(a, st->description));
  sic_jw_kstr(w, "details", sic_str(a, st->details) ? sic_str(a, st->details) : "");
  sic_jw_kstr(w, "schedulingPool", sic_str(a, st->pool) && !overwritten ? sic_str(a, st->pool) : "default");
  sic_jw_karr(w, "rddIds");
  for (int32_t i = 0; i < st->rdds.n; i++) sic_jw_int(w, a->rdds[st->rdds.off + i].rdd_id);
  sic_jw_end(w);
  write_stage_accums(w, a, st);
  if (o->details) {
    write_stage_tasks(w, c, st, o);
    sic_jw_kobj(w, "executorSummary");
    for (int32_t i = 0; i < sv->esum_n; i++) write_esum(w, c, &c->v->esums[sv->esum_off + i]);
    sic_jw_end(w);
    if (sv->spec_tasks > 0) {
      sic_jw_kobj(w, "speculationSummary");
      sic_jw_kint(w, "numTasks", sv->spec_tasks);
      sic_jw_kint(w, "numActiveTasks", sv->spec_active);
      sic_jw_kint(w, "numCompletedTasks", sv->spec_complete);
      sic_jw_kint(w, "numFailedTasks", sv->spec_failed);
      sic_jw_kint(w, "numKilledTasks", sv->spec_killed);
      sic_jw_end(w);
    }
  }
  sic_jw_kobj(w, "killedTasksSummary");
  for (int32_t i = 0; i < sv->killed_n; i++) {
    const shs_reason_count *k = &c->v->killed[sv->killed_off + i];
    const char *reason = sic_str(a, k->reason);
    sic_jw_kint(w, reason ? reason : "unknown reason", k->count);
  }
  sic_jw_end(w);
  sic_jw_kint(w, "resourceProfileId", st->resource_profile_id);
  sic_jw_key(w, "peakExecutorMetrics");
  shs_write_emetrics(w, &sv->peak);
  if (o->with_summaries) {
    write_task_summary(w, c, st, o, "taskMetricsDistributions");
    write_exec_dists(w, c, sv, o);
  }
  sic_jw_kbool(w, "isShufflePushEnabled", 0);
  sic_jw_kint(w, "shuffleMergersCount", 0);
  sic_jw_end(w);
}

int shs_render_stages(shs_ctx *c, sic_shs_response *r) {
  int want[5] = {0}, any = 0;
  stage_opts o;
  if (parse_enum_list(c->q, "status", stage_statuses, 5, want, &any,
                      "ACTIVE, COMPLETE, FAILED, PENDING, SKIPPED", r) ||
      parse_stage_opts(c->q, 0, DEFAULT_STAGE_QUANTILES, &o, r))
    return r->status;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int64_t s = c->a->nstages - 1; s >= 0; s--) { /* (stageId, attemptId) descending */
    int st = stage_status(c, s);
    if (any && (st < 0 || st > 4 || !want[st])) continue;
    write_stage(&w, c, s, &o);
  }
  sic_jw_end(&w);
  return shs_json_ok(r, &w);
}

/* ---- one stage ---- */

static int stage_rows(const sic_app *a, int32_t sid, int64_t *lo, int64_t *hi) {
  int64_t l = 0, h = a->nstages;
  while (l < h) {
    int64_t m = (l + h) / 2;
    if (a->stages[m].stage_id < sid) l = m + 1; else h = m;
  }
  *lo = l;
  while (l < a->nstages && a->stages[l].stage_id == sid) l++;
  *hi = l;
  return *hi > *lo;
}

static int render_task_list(shs_ctx *c, int64_t s, sic_shs_response *r) {
  static const char *const sorts[] = {"ID", "INCREASING_RUNTIME", "DECREASING_RUNTIME"};
  const shs_query *q = c->q;
  int32_t offset = 0, length = 20;
  const char *v;
  if ((v = shs_param_get(q, "offset")) && shs_parse_java_int(v, &offset))
    return shs_error(r, 400, "Bad value for parameter \"offset\".  Expected an integer, got \"%s\"", v);
  if ((v = shs_param_get(q, "length")) && shs_parse_java_int(v, &length))
    return shs_error(r, 400, "Bad value for parameter \"length\".  Expected an integer, got \"%s\"", v);
  int sort = SORT_ID;
  if ((v = shs_param_get(q, "sortBy"))) {
    if (!strcasecmp(v, "runtime")) sort = SORT_RUNTIME_UP;
    else if (!strcasecmp(v, "-runtime")) sort = SORT_RUNTIME_DOWN;
    else if ((sort = shs_enum_parse(v, sorts, 3)) < 0)
      return shs_error(r, 400, "Illegal type='%s'. Supported type values: ID, INCREASING_RUNTIME, DECREASING_RUNTIME", v);
  }
  int want[5] = {0}, any = 0;
  if (parse_enum_list(q, "status", task_statuses, 5, want, &any, "RUNNING, KILLED, FAILED, SUCCESS, UNKNOWN", r))
    return r->status;
  int64_t n = 0;
  task_key *ks = s >= 0 ? stage_task_list(c->a, &c->a->stages[s], want, any, sort, &n) : NULL;
  if (s >= 0 && !ks) return shs_error(r, 500, "out of memory");
  /* Iterator.slice(offset, offset + length) with Int arithmetic. */
  int64_t from = offset < 0 ? 0 : offset;
  int64_t until = (int64_t)(int32_t)((uint32_t)offset + (uint32_t)length);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  for (int64_t i = from; ks && i < until && i < n; i++) write_task(&w, c, ks[i].row);
  sic_jw_end(&w);
  free(ks);
  return shs_json_ok(r, &w);
}

static int render_task_summary(shs_ctx *c, int64_t s, int32_t sid, int32_t att, sic_shs_response *r) {
  stage_opts o;
  memset(&o, 0, sizeof o);
  const char *qs = shs_param_get(c->q, "quantiles");
  if (parse_quantiles(qs ? qs : DEFAULT_SUMMARY_QUANTILES, o.q, &o.nq, r)) return r->status;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  if (s < 0 || write_task_summary(&w, c, &c->a->stages[s], &o, NULL) < 0) {
    sic_jw_free(&w);
    return shs_error(r, 404, "No tasks reported metrics for %d / %d yet.", sid, att);
  }
  return shs_json_ok(r, &w);
}

int shs_render_stage(shs_ctx *c, const char *stage, const char *attempt, const char *leaf,
                     sic_shs_response *r) {
  const sic_app *a = c->a;
  int32_t sid, att = 0;
  for (const char *p = stage; *p; p++)
    if (*p < '0' || *p > '9') return shs_error(r, 404, "Not Found");
  if (attempt)
    for (const char *p = attempt; *p; p++)
      if (*p < '0' || *p > '9') return shs_error(r, 404, "Not Found");
  if (shs_parse_java_int(stage, &sid) || (attempt && shs_parse_java_int(attempt, &att)))
    return shs_error(r, 404, "Not Found");
  int64_t lo, hi;
  int found = stage_rows(a, sid, &lo, &hi);
  int64_t s = -1;
  for (int64_t i = lo; i < hi; i++)
    if (a->stages[i].attempt_id == att) s = i;
  if (leaf && !strcmp(leaf, "taskSummary")) return render_task_summary(c, s, sid, att, r);
  if (leaf && !strcmp(leaf, "taskList")) {
    return render_task_list(c, s, r); /* an unknown stage simply has no tasks: [ ] */
  }
  if (leaf) return shs_error(r, 404, "Not Found");
  stage_opts o;
  if (parse_stage_opts(c->q, 1, DEFAULT_STAGE_QUANTILES, &o, r)) return r->status;
  if (!found) return shs_error(r, 404, "unknown stage: %d", sid);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  if (!attempt) { /* every attempt, ascending */
    sic_jw_arr(&w);
    for (int64_t i = lo; i < hi; i++) write_stage(&w, c, i, &o);
    sic_jw_end(&w);
    return shs_json_ok(r, &w);
  }
  if (s < 0) {
    sic_jw_free(&w);
    char ids[512] = "";
    size_t used = 0;
    for (int64_t i = lo; i < hi && used < sizeof ids - 16; i++)
      used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%d", i > lo ? "," : "", a->stages[i].attempt_id);
    return shs_error(r, 404, "unknown attempt for stage %d.  Found attempts: [%s]", sid, ids);
  }
  write_stage(&w, c, s, &o);
  return shs_json_ok(r, &w);
}
