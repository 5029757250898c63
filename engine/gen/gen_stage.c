/* Example generator: jobs, stages and task events (JobStart/End, StageSubmitted/Completed,
 * TaskStart/End with Task Metrics, Task Executor Metrics and accumulables).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_internal.h"

/* internal.metrics.* accumulators of a stage, in Spark 3.5's registration order, with the
 * task metric each one carries (-1: updatedBlockStatuses, never written). */
static const struct {
  const char *name;
  int metric;
} internal_accums[] = {
    {"internal.metrics.executorDeserializeTime", SIC_TM_EXECUTOR_DESERIALIZE_TIME},
    {"internal.metrics.executorDeserializeCpuTime", SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME},
    {"internal.metrics.executorRunTime", SIC_TM_EXECUTOR_RUN_TIME},
    {"internal.metrics.executorCpuTime", SIC_TM_EXECUTOR_CPU_TIME},
    {"internal.metrics.resultSize", SIC_TM_RESULT_SIZE},
    {"internal.metrics.jvmGCTime", SIC_TM_JVM_GC_TIME},
    {"internal.metrics.resultSerializationTime", SIC_TM_RESULT_SERIALIZATION_TIME},
    {"internal.metrics.memoryBytesSpilled", SIC_TM_MEMORY_BYTES_SPILLED},
    {"internal.metrics.diskBytesSpilled", SIC_TM_DISK_BYTES_SPILLED},
    {"internal.metrics.peakExecutionMemory", SIC_TM_PEAK_EXECUTION_MEMORY},
    {"internal.metrics.updatedBlockStatuses", -1},
    {"internal.metrics.shuffle.read.remoteBlocksFetched", SIC_TM_SR_REMOTE_BLOCKS_FETCHED},
    {"internal.metrics.shuffle.read.localBlocksFetched", SIC_TM_SR_LOCAL_BLOCKS_FETCHED},
    {"internal.metrics.shuffle.read.remoteBytesRead", SIC_TM_SR_REMOTE_BYTES_READ},
    {"internal.metrics.shuffle.read.remoteBytesReadToDisk", SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK},
    {"internal.metrics.shuffle.read.localBytesRead", SIC_TM_SR_LOCAL_BYTES_READ},
    {"internal.metrics.shuffle.read.fetchWaitTime", SIC_TM_SR_FETCH_WAIT_TIME},
    {"internal.metrics.shuffle.read.recordsRead", SIC_TM_SR_RECORDS_READ},
    {"internal.metrics.shuffle.read.remoteReqsDuration", SIC_TM_SR_REMOTE_REQS_DURATION},
    {"internal.metrics.shuffle.push.read.corruptMergedBlockChunks", SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS},
    {"internal.metrics.shuffle.push.read.mergedFetchFallbackCount", SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT},
    {"internal.metrics.shuffle.push.read.remoteMergedBlocksFetched", SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED},
    {"internal.metrics.shuffle.push.read.localMergedBlocksFetched", SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED},
    {"internal.metrics.shuffle.push.read.remoteMergedChunksFetched", SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED},
    {"internal.metrics.shuffle.push.read.localMergedChunksFetched", SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED},
    {"internal.metrics.shuffle.push.read.remoteMergedBytesRead", SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ},
    {"internal.metrics.shuffle.push.read.localMergedBytesRead", SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ},
    {"internal.metrics.shuffle.push.read.remoteMergedReqsDuration", SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION},
    {"internal.metrics.shuffle.write.bytesWritten", SIC_TM_SW_BYTES_WRITTEN},
    {"internal.metrics.shuffle.write.recordsWritten", SIC_TM_SW_RECORDS_WRITTEN},
    {"internal.metrics.shuffle.write.writeTime", SIC_TM_SW_WRITE_TIME},
    {"internal.metrics.input.bytesRead", SIC_TM_INPUT_BYTES_READ},
    {"internal.metrics.input.recordsRead", SIC_TM_INPUT_RECORDS_READ},
    {"internal.metrics.output.bytesWritten", SIC_TM_OUTPUT_BYTES_WRITTEN},
    {"internal.metrics.output.recordsWritten", SIC_TM_OUTPUT_RECORDS_WRITTEN},
};
enum { NINTERNAL = sizeof internal_accums / sizeof internal_accums[0] };

int gen_internal_accum_count(void) { return NINTERNAL; }

/* RDD chain of each role: (RDD class, operator scope) from the stage's source to its output. */
static const struct {
  const char *rdd;
  const char *scope;
} rdd_chain[GEN_ROLE__COUNT][4] = {
    [GEN_ROLE_SCAN_ORDERS] = {{"FileScanRDD", "Scan parquet spark_catalog.sales.orders"},
                              {"MapPartitionsRDD", "WholeStageCodegen (1)"}, {"MapPartitionsRDD", "Exchange"}},
    [GEN_ROLE_SCAN_CUSTOMERS] = {{"FileScanRDD", "Scan parquet spark_catalog.crm.customers"},
                                 {"MapPartitionsRDD", "WholeStageCodegen (3)"}, {"MapPartitionsRDD", "Exchange"}},
    [GEN_ROLE_JOIN] = {{"ShuffledRowRDD", "Exchange"}, {"ShuffledRowRDD", "Exchange"},
                       {"ZippedPartitionsRDD2", "SortMergeJoin"}, {"MapPartitionsRDD", "Exchange"}},
    [GEN_ROLE_FINAL] = {{"ShuffledRowRDD", "Exchange"}, {"MapPartitionsRDD", "WholeStageCodegen (6)"},
                        {"MapPartitionsRDD", "WriteFiles"}},
    [GEN_ROLE_TINY] = {{"FileScanRDD", "Scan json "}, {"MapPartitionsRDD", "WholeStageCodegen (1)"},
                       {"MapPartitionsRDD", "Exchange"}},
    [GEN_ROLE_COUNT] = {{"ShuffledRowRDD", "Exchange"}, {"MapPartitionsRDD", "WholeStageCodegen (2)"},
                        {"MapPartitionsRDD", "mapPartitionsInternal"}},
    [GEN_ROLE_FAILING] = {{"FileScanRDD", "Scan parquet spark_catalog.staging.refunds_raw"},
                          {"MapPartitionsRDD", "WholeStageCodegen (1)"}, {"MapPartitionsRDD", "WriteFiles"}},
};

int gen_rdd_count(gen_role role) {
  int n = 0;
  while (n < 4 && rdd_chain[role][n].rdd) n++;
  return n;
}

static const char *stage_name(const gen_stage *st) {
  switch (st->role) {
  case GEN_ROLE_FINAL: return "save at NightlyOrders.scala:87";
  case GEN_ROLE_COUNT: return "count at NightlyOrders.scala:112";
  case GEN_ROLE_FAILING: return "save at NightlyOrders.scala:131";
  default: return "$anonfun$withThreadLocalCaptured$1 at FutureTask.java:264";
  }
}

static const char *stage_details(const gen_stage *st) {
  if (!st->result)
    return "java.base/java.util.concurrent.FutureTask.run(FutureTask.java:264)\n"
           "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n"
           "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)\n"
           "java.base/java.lang.Thread.run(Thread.java:840)";
  return "org.apache.spark.sql.DataFrameWriter.save(DataFrameWriter.scala:251)\n"
         "com.acme.etl.NightlyOrders$.main(NightlyOrders.scala:87)\n"
         "com.acme.etl.NightlyOrders.main(NightlyOrders.scala)\n"
         "java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)";
}

/* Last RDD id of a stage (what a shuffle reader downstream depends on). */
static int last_rdd(const gen_app *g, int stage_id) {
  const gen_stage *p = &g->stages[stage_id];
  return p->rdd_first + p->nrdds - 1;
}

static void rdd_info(gen_app *g, const gen_stage *st) {
  sic_jw *w = &g->w;
  char scope[160];
  sic_jw_karr(w, "RDD Info");
  for (int k = st->nrdds - 1; k >= 0; k--) { /* the stage's own RDD first, as Spark lists them */
    int id = st->rdd_first + k;
    sic_jw_obj(w);
    sic_jw_kint(w, "RDD ID", id);
    sic_jw_kstr(w, "Name", rdd_chain[st->role][k].rdd);
    snprintf(scope, sizeof scope, "{\"id\":\"%d\",\"name\":\"%s\"}", id + 11, rdd_chain[st->role][k].scope);
    sic_jw_kstr(w, "Scope", scope);
    sic_jw_kstr(w, "Callsite", stage_name(st));
    sic_jw_karr(w, "Parent IDs");
    if (k > 0 && !strcmp(rdd_chain[st->role][k].rdd, "ZippedPartitionsRDD2")) {
      sic_jw_int(w, id - 2);
      sic_jw_int(w, id - 1);
    } else if (k > 0 && strcmp(rdd_chain[st->role][k].rdd, "ShuffledRowRDD")) {
      sic_jw_int(w, id - 1);
    } else if (!strcmp(rdd_chain[st->role][k].rdd, "ShuffledRowRDD") && st->nparents > k) {
      sic_jw_int(w, last_rdd(g, st->parents[k]));
    }
    sic_jw_end(w);
    sic_jw_kobj(w, "Storage Level");
    sic_jw_kbool(w, "Use Disk", 0);
    sic_jw_kbool(w, "Use Memory", 0);
    sic_jw_kbool(w, "Use Off Heap", 0);
    sic_jw_kbool(w, "Deserialized", 0);
    sic_jw_kint(w, "Replication", 1);
    sic_jw_end(w);
    sic_jw_kbool(w, "Barrier", 0);
    sic_jw_kstr(w, "DeterministicLevel", "DETERMINATE");
    sic_jw_kint(w, "Number of Partitions", st->num_tasks);
    sic_jw_kint(w, "Number of Cached Partitions", 0);
    sic_jw_kint(w, "Memory Size", 0);
    sic_jw_kint(w, "Disk Size", 0);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

/* A stage-level "Accumulables" entry: the accumulator's value when the stage completed. */
static void internal_accumulable(gen_app *g, int64_t id, const char *name) {
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kint(w, "ID", id);
  sic_jw_kstr(w, "Name", name);
  sic_jw_kint(w, "Value", *gen_accum_slot(g, id));
  sic_jw_kbool(w, "Internal", 1);
  sic_jw_kbool(w, "Count Failed Values", 1);
  sic_jw_end(w);
}

void gen_stage_info(gen_app *g, const gen_stage *st, int submitted, int completed) {
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kint(w, "Stage ID", st->id);
  sic_jw_kint(w, "Stage Attempt ID", 0);
  sic_jw_kstr(w, "Stage Name", stage_name(st));
  sic_jw_kint(w, "Number of Tasks", st->num_tasks);
  rdd_info(g, st);
  sic_jw_karr(w, "Parent IDs");
  for (int i = 0; i < st->nparents; i++) sic_jw_int(w, st->parents[i]);
  sic_jw_end(w);
  sic_jw_kstr(w, "Details", stage_details(st));
  if (submitted) sic_jw_kint(w, "Submission Time", st->submit);
  if (completed) sic_jw_kint(w, "Completion Time", st->complete);
  if (completed && st->failure[0]) sic_jw_kstr(w, "Failure Reason", st->failure);
  sic_jw_karr(w, "Accumulables");
  if (completed) {
    gen_sql_stage_accums(g, st);
    for (int k = 0; k < NINTERNAL; k++)
      if (*gen_accum_slot(g, st->accum_base + k))
        internal_accumulable(g, st->accum_base + k, internal_accums[k].name);
  }
  sic_jw_end(w);
  sic_jw_kint(w, "Resource Profile Id", 0);
  sic_jw_kbool(w, "Shuffle Push Enabled", 0);
  sic_jw_kint(w, "Shuffle Push Mergers Count", 0);
  sic_jw_end(w);
}

/* Properties the SQL layer and the DAG scheduler attach to a job and its stages. */
static void job_properties(gen_app *g, const gen_job *job) {
  char id[24];
  sic_jw *w = &g->w;
  sic_jw_kobj(w, "Properties");
  if (job->sql >= 0) {
    snprintf(id, sizeof id, "%d", g->sqls[job->sql].id);
    sic_jw_kstr(w, "spark.sql.execution.id", id);
    sic_jw_kstr(w, "spark.sql.execution.root.id", id);
    if (g->sqls[job->sql].plan == GEN_PLAN_ETL)
      sic_jw_kstr(w, "spark.job.description", "nightly orders ETL: daily_revenue 2024-11-24");
  }
  sic_jw_kstr(w, "callSite.short", job->call_short);
  sic_jw_kstr(w, "spark.rdd.scope", "{\"id\":\"47\",\"name\":\"Exchange\"}");
  sic_jw_kstr(w, "spark.rdd.scope.noOverride", "true");
  sic_jw_kstr(w, "spark.scheduler.pool", "etl");
  sic_jw_kstr(w, "__fetch_continuous_blocks_in_batch_enabled", "true");
  sic_jw_end(w);
}

int gen_emit_job_start(gen_app *g, const gen_job *job) {
  sic_jw *w = &g->w;
  int rc = gen_flush_pending(g, job->submit);
  if (rc) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerJobStart");
  sic_jw_kint(w, "Job ID", job->id);
  sic_jw_kint(w, "Submission Time", job->submit);
  sic_jw_karr(w, "Stage Infos");
  for (int i = 0; i < job->nstages; i++) gen_stage_info(g, &g->stages[job->stages[i]], 0, 0);
  sic_jw_end(w);
  sic_jw_karr(w, "Stage IDs");
  for (int i = 0; i < job->nstages; i++) sic_jw_int(w, job->stages[i]);
  sic_jw_end(w);
  job_properties(g, job);
  sic_jw_end(w);
  g->stats.jobs++;
  return gen_write_line(g);
}

int gen_emit_job_end(gen_app *g, const gen_job *job, const char *failure) {
  sic_jw *w = &g->w;
  int rc = gen_flush_pending(g, job->complete);
  if (rc) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerJobEnd");
  sic_jw_kint(w, "Job ID", job->id);
  sic_jw_kint(w, "Completion Time", job->complete);
  sic_jw_kobj(w, "Job Result");
  sic_jw_kstr(w, "Result", failure ? "JobFailed" : "JobSucceeded");
  if (failure) {
    sic_jw_kobj(w, "Exception");
    sic_jw_kstr(w, "Message", failure);
    sic_jw_karr(w, "Stack Trace");
    static const struct {
      const char *cls, *method, *file;
      int line;
    } frames[] = {{"org.apache.spark.scheduler.DAGScheduler", "failJobAndIndependentStages", "DAGScheduler.scala", 2898},
                  {"org.apache.spark.scheduler.DAGScheduler", "$anonfun$abortStage$2", "DAGScheduler.scala", 2834},
                  {"org.apache.spark.scheduler.DAGScheduler", "abortStage", "DAGScheduler.scala", 2833}};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
      sic_jw_obj(w);
      sic_jw_kstr(w, "Declaring Class", frames[i].cls);
      sic_jw_kstr(w, "Method Name", frames[i].method);
      sic_jw_kstr(w, "File Name", frames[i].file);
      sic_jw_kint(w, "Line Number", frames[i].line);
      sic_jw_end(w);
    }
    sic_jw_end(w);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  sic_jw_end(w);
  return gen_write_line(g);
}

const char *gen_internal_accum_name(int k) { return internal_accums[k].name; }
int gen_internal_accum_metric(int k) { return internal_accums[k].metric; }
