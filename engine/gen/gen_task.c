/* Example generator: one stage's life in the stream - StageSubmitted, TaskStart/TaskEnd in
 * time order (with executor events interleaved), StageCompleted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "gen/gen_internal.h"

static const char *const exec_metric_names[SIC_EM__COUNT] = {
    "JVMHeapMemory", "JVMOffHeapMemory", "OnHeapExecutionMemory", "OffHeapExecutionMemory",
    "OnHeapStorageMemory", "OffHeapStorageMemory", "OnHeapUnifiedMemory", "OffHeapUnifiedMemory",
    "DirectPoolMemory", "MappedPoolMemory", "ProcessTreeJVMVMemory", "ProcessTreeJVMRSSMemory",
    "ProcessTreePythonVMemory", "ProcessTreePythonRSSMemory", "ProcessTreeOtherVMemory",
    "ProcessTreeOtherRSSMemory", "MinorGCCount", "MinorGCTime", "MajorGCCount", "MajorGCTime", "TotalGCTime"};

static void task_info(gen_app *g, const gen_stage *st, const gen_task *t, int ended) {
  const gen_exec *e = &g->execs[t->exec];
  sic_jw *w = &g->w;
  sic_jw_kobj(w, "Task Info");
  sic_jw_kint(w, "Task ID", t->task_id);
  sic_jw_kint(w, "Index", t->index);
  sic_jw_kint(w, "Attempt", t->attempt);
  sic_jw_kint(w, "Partition ID", t->index);
  sic_jw_kint(w, "Launch Time", t->launch);
  sic_jw_kstr(w, "Executor ID", e->id);
  sic_jw_kstr(w, "Host", e->host);
  /* S3 splits and shuffle blocks have no preferred host; Spark launches such tasks as PROCESS_LOCAL */
  sic_jw_kstr(w, "Locality", "PROCESS_LOCAL");
  sic_jw_kbool(w, "Speculative", 0);
  sic_jw_kint(w, "Getting Result Time", 0);
  sic_jw_kint(w, "Finish Time", ended ? t->finish : 0);
  sic_jw_kbool(w, "Failed", ended && (t->outcome == GEN_TASK_EXCEPTION || t->outcome == GEN_TASK_LOST));
  sic_jw_kbool(w, "Killed", ended && t->outcome == GEN_TASK_KILLED);
  sic_jw_karr(w, "Accumulables");
  /* written by the caller */
}

/* Internal metric accumulables: Update and running Value of every non-zero metric. */
static void internal_updates(gen_app *g, const gen_stage *st, const gen_metrics *m, int as_reason) {
  sic_jw *w = &g->w;
  for (int k = 0; k < gen_internal_accum_count(); k++) {
    int metric = gen_internal_accum_metric(k);
    if (metric < 0 || !m->m[metric]) continue;
    int64_t id = st->accum_base + k;
    if (!as_reason) *gen_accum_slot(g, id) += m->m[metric];
    sic_jw_obj(w);
    sic_jw_kint(w, "ID", id);
    sic_jw_kstr(w, "Name", gen_internal_accum_name(k));
    sic_jw_kint(w, "Update", m->m[metric]);
    if (!as_reason) sic_jw_kint(w, "Value", *gen_accum_slot(g, id));
    sic_jw_kbool(w, "Internal", 1);
    sic_jw_kbool(w, "Count Failed Values", 1);
    sic_jw_end(w);
  }
}

static void task_metrics(sic_jw *w, const gen_metrics *o) {
  const int64_t *m = o->m;
  sic_jw_kobj(w, "Task Metrics");
  sic_jw_kint(w, "Executor Deserialize Time", m[SIC_TM_EXECUTOR_DESERIALIZE_TIME]);
  sic_jw_kint(w, "Executor Deserialize CPU Time", m[SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME]);
  sic_jw_kint(w, "Executor Run Time", m[SIC_TM_EXECUTOR_RUN_TIME]);
  sic_jw_kint(w, "Executor CPU Time", m[SIC_TM_EXECUTOR_CPU_TIME]);
  sic_jw_kint(w, "Peak Execution Memory", m[SIC_TM_PEAK_EXECUTION_MEMORY]);
  sic_jw_kint(w, "Result Size", m[SIC_TM_RESULT_SIZE]);
  sic_jw_kint(w, "JVM GC Time", m[SIC_TM_JVM_GC_TIME]);
  sic_jw_kint(w, "Result Serialization Time", m[SIC_TM_RESULT_SERIALIZATION_TIME]);
  sic_jw_kint(w, "Memory Bytes Spilled", m[SIC_TM_MEMORY_BYTES_SPILLED]);
  sic_jw_kint(w, "Disk Bytes Spilled", m[SIC_TM_DISK_BYTES_SPILLED]);
  sic_jw_kobj(w, "Shuffle Read Metrics");
  sic_jw_kint(w, "Remote Blocks Fetched", m[SIC_TM_SR_REMOTE_BLOCKS_FETCHED]);
  sic_jw_kint(w, "Local Blocks Fetched", m[SIC_TM_SR_LOCAL_BLOCKS_FETCHED]);
  sic_jw_kint(w, "Fetch Wait Time", m[SIC_TM_SR_FETCH_WAIT_TIME]);
  sic_jw_kint(w, "Remote Bytes Read", m[SIC_TM_SR_REMOTE_BYTES_READ]);
  sic_jw_kint(w, "Remote Bytes Read To Disk", m[SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK]);
  sic_jw_kint(w, "Local Bytes Read", m[SIC_TM_SR_LOCAL_BYTES_READ]);
  sic_jw_kint(w, "Total Records Read", m[SIC_TM_SR_RECORDS_READ]);
  sic_jw_kint(w, "Remote Requests Duration", m[SIC_TM_SR_REMOTE_REQS_DURATION]);
  sic_jw_kobj(w, "Push Based Shuffle");
  static const char *const push[] = {"Corrupt Merged Block Chunks", "Merged Fetch Fallback Count",
                                     "Merged Remote Blocks Fetched", "Merged Local Blocks Fetched",
                                     "Merged Remote Chunks Fetched", "Merged Local Chunks Fetched",
                                     "Merged Remote Bytes Read", "Merged Local Bytes Read",
                                     "Merged Remote Requests Duration"};
  for (int i = 0; i < 9; i++) sic_jw_kint(w, push[i], m[SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS + i]);
  sic_jw_end(w);
  sic_jw_end(w);
  sic_jw_kobj(w, "Shuffle Write Metrics");
  sic_jw_kint(w, "Shuffle Bytes Written", m[SIC_TM_SW_BYTES_WRITTEN]);
  sic_jw_kint(w, "Shuffle Write Time", m[SIC_TM_SW_WRITE_TIME]);
  sic_jw_kint(w, "Shuffle Records Written", m[SIC_TM_SW_RECORDS_WRITTEN]);
  sic_jw_end(w);
  sic_jw_kobj(w, "Input Metrics");
  sic_jw_kint(w, "Bytes Read", m[SIC_TM_INPUT_BYTES_READ]);
  sic_jw_kint(w, "Records Read", m[SIC_TM_INPUT_RECORDS_READ]);
  sic_jw_end(w);
  sic_jw_kobj(w, "Output Metrics");
  sic_jw_kint(w, "Bytes Written", m[SIC_TM_OUTPUT_BYTES_WRITTEN]);
  sic_jw_kint(w, "Records Written", m[SIC_TM_OUTPUT_RECORDS_WRITTEN]);
  sic_jw_end(w);
  sic_jw_karr(w, "Updated Blocks");
  sic_jw_end(w);
  sic_jw_end(w);
}

/* Spark's default: executor metrics are sampled with the heartbeat, every 10 s. */
#define GEN_HEARTBEAT_MS 10000

/* "Task Executor Metrics": the executor's metrics as of its latest heartbeat, so tasks that
 * end on one executor between two heartbeats report the same values, as in real logs (a
 * few dozen distinct vectors per thousand tasks). The first task to end after a heartbeat
 * stands for the executor's state at that heartbeat. */
static void executor_metrics(gen_app *g, const gen_task *t, const gen_metrics *o) {
  gen_exec *e = &g->execs[t->exec];
  int64_t window = t->finish / GEN_HEARTBEAT_MS;
  if (e->metrics_window != window) {
    int64_t *v = e->metrics;
    memset(v, 0, sizeof e->metrics);
    v[SIC_EM_JVM_HEAP_MEMORY] = o->heap;
    v[SIC_EM_JVM_OFF_HEAP_MEMORY] = o->offheap;
    v[SIC_EM_ON_HEAP_EXECUTION_MEMORY] = o->exec_mem;
    v[SIC_EM_ON_HEAP_STORAGE_MEMORY] = o->storage_mem;
    v[SIC_EM_ON_HEAP_UNIFIED_MEMORY] = o->exec_mem + o->storage_mem;
    v[SIC_EM_DIRECT_POOL_MEMORY] = o->heap ? 16777216 + o->storage_mem / 4 : 0;
    v[SIC_EM_PROCESS_TREE_JVM_VMEMORY] = o->rss ? o->rss * 2 + 1073741824 : 0;
    v[SIC_EM_PROCESS_TREE_JVM_RSS_MEMORY] = o->rss;
    v[SIC_EM_MINOR_GC_COUNT] = o->gc_minor_count;
    v[SIC_EM_MINOR_GC_TIME] = o->gc_minor_time;
    v[SIC_EM_MAJOR_GC_COUNT] = o->gc_major_count;
    v[SIC_EM_MAJOR_GC_TIME] = o->gc_major_time;
    v[SIC_EM_TOTAL_GC_TIME] = o->gc_minor_time + o->gc_major_time;
    e->metrics_window = window;
  }
  sic_jw *w = &g->w;
  sic_jw_kobj(w, "Task Executor Metrics");
  for (int i = 0; i < SIC_EM__COUNT; i++) sic_jw_kint(w, exec_metric_names[i], e->metrics[i]);
  sic_jw_end(w);
}

static void stack_frame(sic_jw *w, const char *cls, const char *method, const char *file, int line) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "Declaring Class", cls);
  sic_jw_kstr(w, "Method Name", method);
  sic_jw_kstr(w, "File Name", file);
  sic_jw_kint(w, "Line Number", line);
  sic_jw_end(w);
}

/* The exception a failing attempt throws: an S3 read timeout for scans, a malformed cast in
 * the failing query. */
static void exception_reason(gen_app *g, const gen_stage *st, const gen_metrics *m) {
  sic_jw *w = &g->w;
  int cast = st->role == GEN_ROLE_FAILING;
  const char *cls = cast ? "org.apache.spark.SparkNumberFormatException" : "java.net.SocketTimeoutException";
  const char *desc = cast ? "[CAST_INVALID_INPUT] The value 'N/A' of the type \"STRING\" cannot be cast to "
                            "\"DECIMAL(12,2)\" because it is malformed. Correct the value as per the syntax, "
                            "or change its target type. Use `try_cast` to tolerate malformed input and return "
                            "NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass "
                            "this error."
                          : "Read timed out";
  char full[1024];
  snprintf(full, sizeof full, "%s: %s\n\tat %s\n\tat %s\n", cls, desc,
           cast ? "org.apache.spark.sql.errors.QueryExecutionErrors$.invalidInputInCastToNumberError(QueryExecutionErrors.scala:147)"
                : "java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)",
           cast ? "org.apache.spark.sql.catalyst.expressions.GeneratedClass$GeneratedIteratorForCodegenStage1.processNext(Unknown Source)"
                : "org.apache.hadoop.fs.s3a.S3AInputStream.read(S3AInputStream.java:525)");
  sic_jw_kstr(w, "Reason", "ExceptionFailure");
  sic_jw_kstr(w, "Class Name", cls);
  sic_jw_kstr(w, "Description", desc);
  sic_jw_karr(w, "Stack Trace");
  if (cast) {
    stack_frame(w, "org.apache.spark.sql.errors.QueryExecutionErrors$", "invalidInputInCastToNumberError",
                "QueryExecutionErrors.scala", 147);
    stack_frame(w, "org.apache.spark.sql.catalyst.expressions.GeneratedClass$GeneratedIteratorForCodegenStage1",
                "processNext", "Unknown Source", -1);
  } else {
    stack_frame(w, "java.base/sun.nio.ch.NioSocketImpl", "timedRead", "NioSocketImpl.java", 288);
    stack_frame(w, "org.apache.hadoop.fs.s3a.S3AInputStream", "read", "S3AInputStream.java", 525);
  }
  sic_jw_end(w);
  sic_jw_kstr(w, "Full Stack Trace", full);
  sic_jw_karr(w, "Accumulator Updates");
  internal_updates(g, st, m, 1);
  sic_jw_end(w);
}

static void end_reason(gen_app *g, const gen_stage *st, const gen_task *t, const gen_metrics *m) {
  sic_jw *w = &g->w;
  const gen_exec *e = &g->execs[t->exec];
  sic_jw_kobj(w, "Task End Reason");
  if (t->outcome == GEN_TASK_OK) {
    sic_jw_kstr(w, "Reason", "Success");
  } else if (t->outcome == GEN_TASK_EXCEPTION) {
    exception_reason(g, st, m);
  } else if (t->outcome == GEN_TASK_LOST) {
    sic_jw_kstr(w, "Reason", "ExecutorLostFailure");
    sic_jw_kstr(w, "Executor ID", e->id);
    sic_jw_kbool(w, "Exit Caused By App", 1);
    sic_jw_kstr(w, "Loss Reason", e->remove_reason);
  } else {
    char reason[600];
    snprintf(reason, sizeof reason, "Stage cancelled: %s", st->failure);
    sic_jw_kstr(w, "Reason", "TaskKilled");
    sic_jw_kstr(w, "Kill Reason", reason);
    sic_jw_karr(w, "Accumulator Updates");
    internal_updates(g, st, m, 1);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static int task_start(gen_app *g, const gen_stage *st, const gen_task *t) {
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerTaskStart");
  sic_jw_kint(w, "Stage ID", st->id);
  sic_jw_kint(w, "Stage Attempt ID", 0);
  task_info(g, st, t, 0);
  sic_jw_end(w); /* Accumulables */
  sic_jw_end(w); /* Task Info */
  sic_jw_end(w);
  return gen_write_line(g);
}

static int task_end(gen_app *g, const gen_stage *st, const gen_task *t) {
  gen_metrics m;
  sic_jw *w = &g->w;
  gen_task_metrics(g, st, t, &m);
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerTaskEnd");
  sic_jw_kint(w, "Stage ID", st->id);
  sic_jw_kint(w, "Stage Attempt ID", 0);
  sic_jw_kstr(w, "Task Type", st->result ? "ResultTask" : "ShuffleMapTask");
  end_reason(g, st, t, &m);
  task_info(g, st, t, 1);
  if (t->outcome == GEN_TASK_OK) gen_sql_task_accums(g, st, &m, 1);
  if (t->outcome != GEN_TASK_LOST) internal_updates(g, st, &m, 0);
  sic_jw_end(w); /* Accumulables */
  sic_jw_end(w); /* Task Info */
  executor_metrics(g, t, &m);
  /* a lost executor reports nothing back: Spark then logs no "Task Metrics" at all */
  if (t->outcome != GEN_TASK_LOST) task_metrics(w, &m);
  sic_jw_end(w);
  g->stats.task_attempts++;
  return gen_write_line(g);
}

static int stage_submitted(gen_app *g, gen_stage *st) {
  sic_jw *w = &g->w;
  const gen_job *job = &g->jobs[st->job];
  char id[24];
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerStageSubmitted");
  sic_jw_key(w, "Stage Info");
  gen_stage_info(g, st, 1, 0);
  sic_jw_kobj(w, "Properties");
  if (job->sql >= 0) {
    snprintf(id, sizeof id, "%d", g->sqls[job->sql].id);
    sic_jw_kstr(w, "spark.sql.execution.id", id);
    sic_jw_kstr(w, "spark.sql.execution.root.id", id);
  }
  sic_jw_kstr(w, "callSite.short", job->call_short);
  sic_jw_kstr(w, "spark.scheduler.pool", "etl");
  sic_jw_end(w);
  sic_jw_end(w);
  g->stats.stages++;
  return gen_write_line(g);
}

static int stage_completed(gen_app *g, gen_stage *st) {
  sic_jw_obj(&g->w);
  sic_jw_kstr(&g->w, "Event", "SparkListenerStageCompleted");
  sic_jw_key(&g->w, "Stage Info");
  gen_stage_info(g, st, 1, 1);
  sic_jw_end(&g->w);
  return gen_write_line(g);
}

/* A point in the stage's event stream: a task starting or ending, or the stage completing. */
typedef struct stage_event {
  int64_t time;              /* when */
  int kind;                  /* 0 task start, 1 task end, 2 stage completed */
  int64_t task;              /* row in the stage's task array */
} stage_event;

static int cmp_event(const void *a, const void *b) {
  const stage_event *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  if (x->kind != y->kind) return y->kind - x->kind; /* ends before starts at the same ms */
  return x->task < y->task ? -1 : x->task > y->task;
}

/* FAILING stages: the abort message names the last failed attempt, as the DAGScheduler does. */
static void describe_abort(gen_app *g, gen_stage *st, const gen_task *tasks, int64_t n) {
  for (int64_t i = n - 1; i >= 0; i--) {
    const gen_task *t = &tasks[i];
    if (t->outcome != GEN_TASK_EXCEPTION || t->attempt != 3) continue;
    snprintf(st->failure, sizeof st->failure,
             "Job aborted due to stage failure: Task %d in stage %d.0 failed 4 times, most recent failure: "
             "Lost task %d.3 in stage %d.0 (TID %lld) (%s executor %s): "
             "org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT] The value 'N/A' of the type "
             "\"STRING\" cannot be cast to \"DECIMAL(12,2)\" because it is malformed.\nDriver stacktrace:",
             t->index, st->id, t->index, st->id, (long long)t->task_id, g->execs[t->exec].host,
             g->execs[t->exec].id);
    st->complete = t->finish + 2;
    return;
  }
}

int gen_emit_stage(gen_app *g, gen_stage *st) {
  gen_task *tasks = NULL;
  stage_event *ev = NULL;
  int64_t n = 0, nev = 0;
  int rc = gen_schedule(g, st, &tasks, &n);
  if (rc) return rc;
  ev = malloc((size_t)(2 * n + 1) * sizeof *ev);
  if (!ev) { rc = SIC_ENOMEM; goto done; }
  st->complete = st->submit + 10;
  for (int64_t i = 0; i < n; i++) {
    ev[nev++] = (stage_event){tasks[i].launch, 0, i};
    ev[nev++] = (stage_event){tasks[i].finish, 1, i};
    if (tasks[i].finish + 9 > st->complete) st->complete = tasks[i].finish + 9;
  }
  if (st->role == GEN_ROLE_FAILING) describe_abort(g, st, tasks, n);
  ev[nev++] = (stage_event){st->complete, 2, -1};
  sic_qsort(ev, (size_t)nev, sizeof *ev, cmp_event);
  if ((rc = gen_flush_pending(g, st->submit)) || (rc = stage_submitted(g, st))) goto done;
  for (int64_t i = 0; i < nev && !rc; i++) {
    if ((rc = gen_flush_pending(g, ev[i].time))) break;
    if (ev[i].kind == 0) rc = task_start(g, st, &tasks[ev[i].task]);
    else if (ev[i].kind == 1) rc = task_end(g, st, &tasks[ev[i].task]);
    else rc = stage_completed(g, st);
  }
  for (int64_t i = 0; i < n; i++)
    if (tasks[i].finish > g->now) g->now = tasks[i].finish;
  if (st->complete > g->now) g->now = st->complete;
done:
  free(ev);
  free(tasks);
  return rc;
}
