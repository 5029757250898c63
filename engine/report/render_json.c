/* JSON rendering of application summaries ("sic.report/1", see render.h).
 */
#include <string.h>

#include "report/render.h"

/* Task metric totals under the flat names of the History Server's StageData (v1 API). */
static const char *const stage_field[SIC_TM__COUNT] = {
    [SIC_TM_EXECUTOR_DESERIALIZE_TIME] = "executorDeserializeTime",
    [SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME] = "executorDeserializeCpuTime",
    [SIC_TM_EXECUTOR_RUN_TIME] = "executorRunTime",
    [SIC_TM_EXECUTOR_CPU_TIME] = "executorCpuTime",
    [SIC_TM_RESULT_SIZE] = "resultSize",
    [SIC_TM_JVM_GC_TIME] = "jvmGcTime",
    [SIC_TM_RESULT_SERIALIZATION_TIME] = "resultSerializationTime",
    [SIC_TM_MEMORY_BYTES_SPILLED] = "memoryBytesSpilled",
    [SIC_TM_DISK_BYTES_SPILLED] = "diskBytesSpilled",
    [SIC_TM_PEAK_EXECUTION_MEMORY] = "peakExecutionMemory",
    [SIC_TM_INPUT_BYTES_READ] = "inputBytes",
    [SIC_TM_INPUT_RECORDS_READ] = "inputRecords",
    [SIC_TM_OUTPUT_BYTES_WRITTEN] = "outputBytes",
    [SIC_TM_OUTPUT_RECORDS_WRITTEN] = "outputRecords",
    [SIC_TM_SR_REMOTE_BLOCKS_FETCHED] = "shuffleRemoteBlocksFetched",
    [SIC_TM_SR_LOCAL_BLOCKS_FETCHED] = "shuffleLocalBlocksFetched",
    [SIC_TM_SR_FETCH_WAIT_TIME] = "shuffleFetchWaitTime",
    [SIC_TM_SR_REMOTE_BYTES_READ] = "shuffleRemoteBytesRead",
    [SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK] = "shuffleRemoteBytesReadToDisk",
    [SIC_TM_SR_LOCAL_BYTES_READ] = "shuffleLocalBytesRead",
    [SIC_TM_SR_RECORDS_READ] = "shuffleReadRecords",
    [SIC_TM_SR_REMOTE_REQS_DURATION] = "shuffleRemoteReqsDuration",
    [SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS] = "shuffleCorruptMergedBlockChunks",
    [SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT] = "shuffleMergedFetchFallbackCount",
    [SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED] = "shuffleMergedRemoteBlocksFetched",
    [SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED] = "shuffleMergedLocalBlocksFetched",
    [SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED] = "shuffleMergedRemoteChunksFetched",
    [SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED] = "shuffleMergedLocalChunksFetched",
    [SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ] = "shuffleMergedRemoteBytesRead",
    [SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ] = "shuffleMergedLocalBytesRead",
    [SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION] = "shuffleMergedRemoteReqsDuration",
    [SIC_TM_SW_BYTES_WRITTEN] = "shuffleWriteBytes",
    [SIC_TM_SW_WRITE_TIME] = "shuffleWriteTime",
    [SIC_TM_SW_RECORDS_WRITTEN] = "shuffleWriteRecords",
};

static void metric_totals(sic_jw *w, const sic_task_totals *t) {
  for (int i = 0; i < SIC_TM__COUNT; i++) sic_jw_kint(w, stage_field[i], t->m[i]);
  sic_jw_kint(w, "shuffleReadBytes", t->m[SIC_TM_SR_REMOTE_BYTES_READ] + t->m[SIC_TM_SR_LOCAL_BYTES_READ]);
}

/* Attempt counts. The History Server's numTasks is the planned task count of a stage, so
 * attempts have their own name. */
static void task_counts(sic_jw *w, const sic_task_totals *t) {
  sic_jw_kint(w, "numTaskAttempts", t->attempts);
  sic_jw_kint(w, "numCompleteTasks", t->succeeded);
  sic_jw_kint(w, "numFailedTasks", t->failed);
  sic_jw_kint(w, "numKilledTasks", t->killed);
  sic_jw_kint(w, "numActiveTasks", t->running);
  sic_jw_kint(w, "numSpeculativeTasks", t->speculative);
  sic_jw_kint(w, "taskTime", t->task_time);
  sic_jw_kint(w, "maxTaskTime", t->max_task_time);
}

static void stage(sic_jw *w, const sic_summary_stage *st) {
  sic_jw_obj(w);
  sic_jw_kint(w, "stageId", st->stage_id);
  sic_jw_kint(w, "attemptId", st->attempt_id);
  sic_jw_kstr(w, "name", st->name);
  sic_jw_kstr(w, "status", sic_stage_status_name(st->status));
  sic_jw_kint(w, "numTasks", st->num_tasks);
  task_counts(w, &st->totals);
  sic_jw_kint(w, "medianTaskTime", st->totals.median_task_time);
  sic_jw_kint(w, "submissionTimeEpoch", st->submission_time);
  sic_jw_kint(w, "completionTimeEpoch", st->completion_time);
  sic_jw_kint(w, "wallTime", st->wall_time);
  sic_jw_kdouble(w, "share", st->share);
  if (st->failure_reason) sic_jw_kstr(w, "failureReason", st->failure_reason);
  metric_totals(w, &st->totals);
  sic_jw_end(w);
}

static void executors(sic_jw *w, const sic_summary *s) {
  const sic_summary_executors *x = &s->executors;
  sic_jw_kobj(w, "executors");
  sic_jw_kint(w, "count", x->count);
  sic_jw_kint(w, "added", x->added);
  sic_jw_kint(w, "removed", x->removed);
  sic_jw_kint(w, "maxConcurrent", x->max_concurrent);
  sic_jw_kint(w, "maxConcurrentCores", x->max_concurrent_cores);
  sic_jw_kint(w, "totalCores", x->total_cores);
  sic_jw_kint(w, "idle", x->idle);
  sic_jw_kbool(w, "driverRanTasks", x->driver_ran_tasks);
  sic_jw_kbool(w, "coresInferred", x->cores_inferred);
  sic_jw_kint(w, "coreTime", x->core_time);
  sic_jw_karr(w, "timeline");
  for (int k = 0; k < x->ntimeline; k++) {
    sic_jw_obj(w);
    sic_jw_kint(w, "timeEpoch", x->timeline[k].time);
    sic_jw_kint(w, "executors", x->timeline[k].executors);
    sic_jw_kint(w, "cores", x->timeline[k].cores);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  sic_jw_end(w);
}

static void failures(sic_jw *w, const sic_summary *s) {
  sic_jw_karr(w, "failedTaskGroups");
  for (int64_t i = 0; i < s->nfailures; i++) {
    const sic_failure_group *f = &s->failures[i];
    sic_jw_obj(w);
    sic_jw_kstr(w, "reason", f->reason);
    sic_jw_kstr(w, "errorMessage", f->message);
    sic_jw_kbool(w, "killed", f->killed);
    sic_jw_kint(w, "count", f->count);
    sic_jw_kint(w, "stageId", f->first_stage);
    sic_jw_kint(w, "stageAttemptId", f->first_stage_attempt);
    sic_jw_kint(w, "taskId", f->first_task_id);
    sic_jw_kint(w, "index", f->first_index);
    sic_jw_kint(w, "attempt", f->first_attempt);
    sic_jw_kstr(w, "executorId", f->first_executor);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  sic_jw_karr(w, "failedJobs");
  for (int64_t i = 0; i < s->nfailed_jobs; i++) {
    sic_jw_obj(w);
    sic_jw_kint(w, "jobId", s->failed_jobs[i].job_id);
    sic_jw_kstr(w, "name", s->failed_jobs[i].name);
    sic_jw_kstr(w, "failureReason", s->failed_jobs[i].failure_reason);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static void notice(sic_jw *w, const sic_summary *s) {
  const sic_summary_notice *n = &s->notice;
  sic_jw_kobj(w, "input");
  sic_jw_kbool(w, "incomplete", !s->complete);
  sic_jw_kbool(w, "inProgress", s->in_progress);
  sic_jw_kbool(w, "truncated", s->truncated);
  sic_jw_kint(w, "malformedLines", n->malformed_lines);
  sic_jw_kint(w, "badFields", n->bad_fields);
  sic_jw_kint(w, "unknownEvents", n->unknown_events);
  sic_jw_kint(w, "readErrors", n->read_errors);
  if (n->first_path) {
    sic_jw_kobj(w, "firstProblem");
    sic_jw_kstr(w, "path", n->first_path);
    sic_jw_kint(w, "line", n->first_line);
    sic_jw_kstr(w, "reason", n->first_reason);
    sic_jw_end(w);
  }
  if (n->read_errors) {
    sic_jw_kobj(w, "firstReadError");
    sic_jw_kstr(w, "path", n->read_error_path);
    sic_jw_kstr(w, "reason", n->read_error_reason);
    sic_jw_end(w);
  }
  sic_jw_kint(w, "events", s->app->events);
  sic_jw_kint(w, "bytes", s->app->bytes);
  sic_jw_end(w);
}

static void counts(sic_jw *w, const sic_summary *s) {
  sic_jw_kobj(w, "jobs");
  sic_jw_kint(w, "numJobs", s->jobs);
  sic_jw_kint(w, "numSucceededJobs", s->jobs_succeeded);
  sic_jw_kint(w, "numFailedJobs", s->jobs_failed);
  sic_jw_kint(w, "numActiveJobs", s->jobs_running);
  sic_jw_end(w);
  sic_jw_kobj(w, "stages");
  sic_jw_kint(w, "numStages", s->stages);
  sic_jw_kint(w, "numCompletedStages", s->stages_complete);
  sic_jw_kint(w, "numFailedStages", s->stages_failed);
  sic_jw_kint(w, "numSkippedStages", s->stages_skipped);
  sic_jw_kint(w, "numActiveStages", s->stages_active);
  sic_jw_kint(w, "numPendingStages", s->stages_pending);
  sic_jw_end(w);
  sic_jw_kobj(w, "tasks");
  task_counts(w, &s->tasks);
  metric_totals(w, &s->tasks);
  sic_jw_end(w);
  sic_jw_kint(w, "numSqlExecutions", s->sql_executions);
}

void sic_report_json_app(sic_jw *w, const sic_summary *s, const sic_render_opts *opts, const char *findings_json) {
  (void)opts;
  sic_jw_obj(w);
  sic_jw_kstr(w, "id", s->app_id);
  if (s->notice.derived_id) sic_jw_kstr(w, "idDerivedFrom", s->notice.derived_id);
  sic_jw_kstr(w, "name", s->name);
  sic_jw_kstr(w, "attemptId", s->attempt_id);
  sic_jw_kstr(w, "sparkUser", s->user);
  sic_jw_kstr(w, "appSparkVersion", s->spark_version);
  sic_jw_kstr(w, "source", s->source);
  sic_jw_kint(w, "startTimeEpoch", s->start_time);
  sic_jw_kint(w, "endTimeEpoch", s->end_time);
  sic_jw_kint(w, "duration", s->duration);
  sic_jw_kbool(w, "completed", s->complete);
  counts(w, s);
  executors(w, s);
  sic_jw_kdouble(w, "parallelism", s->parallelism);
  sic_jw_kdouble(w, "utilisation", s->utilisation);
  sic_jw_kdouble(w, "gcShare", s->gc_share);
  sic_jw_karr(w, "stagesByTime");
  for (int64_t i = 0; i < s->nstages_by_time; i++) stage(w, &s->stages_by_time[i]);
  sic_jw_end(w);
  failures(w, s);
  notice(w, s);
  if (findings_json) {
    sic_jw_key(w, "findings");
    sic_jw_raw(w, findings_json, strlen(findings_json));
  }
  sic_jw_end(w);
}

void sic_report_json_open(sic_jw *w) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "schema", "sic.report/1");
  sic_jw_karr(w, "applications");
}

void sic_report_json_errors(sic_jw *w) {
  sic_jw_end(w);
  sic_jw_karr(w, "errors");
}

void sic_report_json_error(sic_jw *w, const char *path, int code, const char *message) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "path", path);
  sic_jw_kstr(w, "code", sic_strerror(code));
  sic_jw_kstr(w, "message", message);
  sic_jw_end(w);
}

void sic_report_json_close(sic_jw *w) {
  sic_jw_end(w);
  sic_jw_end(w);
}
