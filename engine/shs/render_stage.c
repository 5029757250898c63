/* JSON for stages: stage lists and stage attempts with tasks, executor summaries and metric
 * distributions, as Spark 3.5's StagesResource and AppStatusStore produce them; routes the
 * taskList/taskSummary leaves to render_task.c. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shs/shs_internal.h"

static const char *const stage_statuses[] = {"PENDING", "ACTIVE", "COMPLETE", "FAILED", "SKIPPED"};

#define DEFAULT_STAGE_QUANTILES "0.0,0.25,0.5,0.75,1.0"

/* ---- parameters ---- */

static int parse_stage_opts(const shs_query *q, int details_default, const char *quantiles_default,
                            shs_stage_opts *o, sic_shs_response *r) {
  memset(o, 0, sizeof *o);
  o->details = shs_param_bool(q, "details", details_default);
  o->with_summaries = shs_param_bool(q, "withSummaries", 0);
  if (shs_parse_enum_list(q, "taskStatus", shs_task_statuses, 5, o->task_status, &o->any_status,
                      "RUNNING, KILLED, FAILED, SUCCESS, UNKNOWN", r))
    return -1;
  const char *qs = shs_param_get(q, "quantiles");
  if (shs_parse_quantiles(qs ? qs : quantiles_default, o->q, &o->nq, r)) return -1;
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

static void esum_dist(sic_jw *w, const shs_esum *es, int32_t n, const shs_stage_opts *o,
                      int64_t *buf, const char *key, esum_fn fn, int arg) {
  for (int32_t i = 0; i < n; i++) buf[i] = fn(&es[i], arg);
  sic_qsort(buf, (size_t)n, sizeof *buf, shs_cmp_i64);
  sic_jw_karr(w, key);
  for (int i = 0; i < o->nq; i++) sic_jw_double(w, n ? (double)buf[shs_quantile_index(o->q[i], n)] : 0.0);
  sic_jw_end(w);
}

/* ExecutorMetricsDistributions (AppStatusStore.stageExecutorSummary). */
static void write_exec_dists(sic_jw *w, const shs_ctx *c, const shs_stage_view *sv, const shs_stage_opts *o) {
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
    sic_qsort(xs, (size_t)st->accums.n, sizeof *xs, cmp_stage_accum);
    for (int32_t i = 0; i < st->accums.n; i++)
      if (accum_is_user_visible(a, xs[i].accum_id, xs[i].internal))
        shs_write_accum(w, a, xs[i].accum_id, xs[i].name, -1, xs[i].value);
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

static void write_stage_tasks(sic_jw *w, const shs_ctx *c, const sic_stage *st, const shs_stage_opts *o) {
  int64_t n;
  /* newStageData lists tasks by id, descending, then keys them by id. */
  shs_task_key *ks = shs_stage_task_list(c->a, st, o->task_status, o->any_status, SHS_SORT_ID, &n);
  sic_jw_kobj(w, "tasks");
  for (int64_t i = n - 1; ks && i >= 0; i--) {
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)ks[i].task_id);
    sic_jw_key(w, key);
    shs_write_task(w, c, ks[i].row);
  }
  if (!ks) w->status = SIC_ENOMEM;
  sic_jw_end(w);
  free(ks);
}

/* Status as stored by the History Server (see shs_stage_view.overwritten). */
static int stage_status(const shs_ctx *c, int64_t s) {
  return c->v->stages[s].overwritten ? SIC_STAGE_SKIPPED : c->a->stages[s].status;
}

static void write_stage(sic_jw *w, const shs_ctx *c, int64_t s, const shs_stage_opts *o) {
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
    shs_write_task_summary(w, c, st, o, "taskMetricsDistributions");
    write_exec_dists(w, c, sv, o);
  }
  sic_jw_kbool(w, "isShufflePushEnabled", 0);
  sic_jw_kint(w, "shuffleMergersCount", 0);
  sic_jw_end(w);
}

int shs_render_stages(shs_ctx *c, sic_shs_response *r) {
  int want[5] = {0}, any = 0;
  shs_stage_opts o;
  if (shs_parse_enum_list(c->q, "status", stage_statuses, 5, want, &any,
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
  if (leaf && !strcmp(leaf, "taskSummary")) return shs_render_task_summary(c, s, sid, att, r);
  if (leaf && !strcmp(leaf, "taskList")) {
    return shs_render_task_list(c, s, r); /* an unknown stage simply has no tasks: [ ] */
  }
  if (leaf) return shs_error(r, 404, "Not Found");
  shs_stage_opts o;
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
