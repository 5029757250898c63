/* The application model: everything an event log says about one application attempt, in
 * columnar form, so that no consumer ever has to read the log again.
 *
 * Layout rules (they make the model cheap to build, small in memory and readable from Lua
 * through the FFI without copying):
 *  - Rows that are few (jobs, stages, executors, SQL executions, ...) are arrays of structs.
 *  - Tasks, which can number millions, are a struct of arrays. Integer task columns are
 *    sic_col: width 1, 2, 4 or 8 chosen per column while building (a column starts at the
 *    narrowest width and is widened when many values do not fit, at most three times; the few
 *    that do not fit are kept aside as exceptions), data == NULL when every value is zero, and
 *    time columns store deltas from a per-column base.
 *    Read them with sic_col_get() (Lua: the views in scripts/lib/sic/model.lua).
 *  - Strings are interned in one pool and referenced by sic_sid (int32 index, -1 = absent).
 *  - Variable-length lists (stage ids of a job, parents of a stage, key/value properties, ...)
 *    are sic_range slices of shared pools (ints, kvs, ...).
 *  - Times are milliseconds since the Unix epoch (int64), -1 when unknown.
 *
 * Ownership: sic_app_load()/sic_app_new() allocate one sic_app; sic_app_free() releases it and
 * every array and string it points to. Nothing inside may be freed separately, and every
 * pointer inside is valid until sic_app_free(). A finished model is immutable and safe to read
 * from several threads.
 *
 * The region between SIC_FFI_BEGIN and SIC_FFI_END is plain C declarations only: the build
 * turns it into the LuaJIT ffi.cdef (no macros, no inline functions inside it). */
#ifndef SIC_MODEL_H
#define SIC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* SIC_FFI_BEGIN */
typedef int32_t sic_sid;                 /* string id into sic_app.strings; -1 = absent */

typedef struct sic_range {
  int32_t off;                           /* first element in the pool */
  int32_t n;                             /* number of elements */
} sic_range;

typedef struct sic_kv {
  sic_sid key;                           /* property name */
  sic_sid value;                         /* property value (string as logged) */
} sic_kv;

/* A value that does not fit its column's width (see sic_col). */
typedef struct sic_col_exception {
  int64_t row;                           /* task row */
  int64_t value;                         /* the value itself (not relative to base) */
} sic_col_exception;

typedef struct sic_col {
  void *data;                            /* int8/16/32/64_t[n] by width; NULL = every value is 0 */
  int64_t base;                          /* value = base + stored for stored != 0; a stored 0 is the
                                            value 0 (so 0 keeps meaning absent/none); 0 for all but
                                            time columns, always 0 at width 8 */
  int32_t width;                         /* bytes per stored value: 1, 2, 4 or 8 */
  int32_t nexceptions;                   /* rows whose value does not fit the width */
  sic_col_exception *exceptions;         /* those rows, sorted by row: their stored value is the
                                            width's minimum (INT8_MIN, ...), never a value. A few
                                            wide values then do not widen a whole column */
} sic_col;

typedef struct sic_strings {
  char *buf;                             /* NUL-terminated strings back to back */
  int64_t *off;                          /* off[id] = byte offset of string id in buf */
  int32_t n;                             /* number of interned strings */
  int32_t reserved;
} sic_strings;

/* Task metrics, in the order the History Server prints them. */
typedef enum sic_task_metric {
  SIC_TM_EXECUTOR_DESERIALIZE_TIME = 0,  /* ms */
  SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME,  /* ns */
  SIC_TM_EXECUTOR_RUN_TIME,              /* ms */
  SIC_TM_EXECUTOR_CPU_TIME,              /* ns */
  SIC_TM_RESULT_SIZE,                    /* bytes */
  SIC_TM_JVM_GC_TIME,                    /* ms */
  SIC_TM_RESULT_SERIALIZATION_TIME,      /* ms */
  SIC_TM_MEMORY_BYTES_SPILLED,
  SIC_TM_DISK_BYTES_SPILLED,
  SIC_TM_PEAK_EXECUTION_MEMORY,
  SIC_TM_INPUT_BYTES_READ,
  SIC_TM_INPUT_RECORDS_READ,
  SIC_TM_OUTPUT_BYTES_WRITTEN,
  SIC_TM_OUTPUT_RECORDS_WRITTEN,
  SIC_TM_SR_REMOTE_BLOCKS_FETCHED,
  SIC_TM_SR_LOCAL_BLOCKS_FETCHED,
  SIC_TM_SR_FETCH_WAIT_TIME,             /* ms */
  SIC_TM_SR_REMOTE_BYTES_READ,
  SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK,
  SIC_TM_SR_LOCAL_BYTES_READ,
  SIC_TM_SR_RECORDS_READ,
  SIC_TM_SR_REMOTE_REQS_DURATION,        /* ms */
  SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS,
  SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT,
  SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED,
  SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED,
  SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED,
  SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED,
  SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ,
  SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ,
  SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION, /* ms */
  SIC_TM_SW_BYTES_WRITTEN,
  SIC_TM_SW_WRITE_TIME,                  /* ns */
  SIC_TM_SW_RECORDS_WRITTEN,
  SIC_TM__COUNT
} sic_task_metric;

/* Executor-level memory/GC metrics (Spark 3.0+ "Executor Metrics"), History Server order. */
typedef enum sic_exec_metric {
  SIC_EM_JVM_HEAP_MEMORY = 0,
  SIC_EM_JVM_OFF_HEAP_MEMORY,
  SIC_EM_ON_HEAP_EXECUTION_MEMORY,
  SIC_EM_OFF_HEAP_EXECUTION_MEMORY,
  SIC_EM_ON_HEAP_STORAGE_MEMORY,
  SIC_EM_OFF_HEAP_STORAGE_MEMORY,
  SIC_EM_ON_HEAP_UNIFIED_MEMORY,
  SIC_EM_OFF_HEAP_UNIFIED_MEMORY,
  SIC_EM_DIRECT_POOL_MEMORY,
  SIC_EM_MAPPED_POOL_MEMORY,
  SIC_EM_PROCESS_TREE_JVM_VMEMORY,
  SIC_EM_PROCESS_TREE_JVM_RSS_MEMORY,
  SIC_EM_PROCESS_TREE_PYTHON_VMEMORY,
  SIC_EM_PROCESS_TREE_PYTHON_RSS_MEMORY,
  SIC_EM_PROCESS_TREE_OTHER_VMEMORY,
  SIC_EM_PROCESS_TREE_OTHER_RSS_MEMORY,
  SIC_EM_MINOR_GC_COUNT,
  SIC_EM_MINOR_GC_TIME,
  SIC_EM_MAJOR_GC_COUNT,
  SIC_EM_MAJOR_GC_TIME,
  SIC_EM_TOTAL_GC_TIME,
  SIC_EM__COUNT
} sic_exec_metric;

typedef struct sic_emetrics {
  int64_t v[21];                         /* indexed by sic_exec_metric (SIC_EM__COUNT values) */
} sic_emetrics;

typedef enum sic_task_status {
  SIC_TASK_RUNNING = 0,                  /* started, no TaskEnd seen (log ended or truncated) */
  SIC_TASK_SUCCESS,
  SIC_TASK_FAILED,
  SIC_TASK_KILLED,
  SIC_TASK_UNKNOWN                       /* TaskEnd with a reason this engine does not know */
} sic_task_status;

typedef enum sic_locality {
  SIC_LOC_PROCESS_LOCAL = 0,
  SIC_LOC_NODE_LOCAL,
  SIC_LOC_NO_PREF,
  SIC_LOC_RACK_LOCAL,
  SIC_LOC_ANY
} sic_locality;

/* Flags in sic_tasks.flags. */
enum {
  SIC_TASKF_SPECULATIVE = 1,             /* "Speculative": true */
  SIC_TASKF_HAS_METRICS = 2,             /* TaskEnd carried "Task Metrics" */
  SIC_TASKF_RESULT_TASK = 4,             /* "Task Type": "ResultTask" (else ShuffleMapTask) */
  SIC_TASKF_HAS_PEAK = 8                 /* TaskEnd carried "Task Executor Metrics" */
};

/* Tasks: one row per task attempt, in TaskStart order (a TaskEnd without a TaskStart
 * appends a row). Struct of arrays; n rows; every array has n valid entries. */
typedef struct sic_tasks {
  int64_t n;                             /* number of task attempts */
  int64_t cap;                           /* allocated rows (builder bookkeeping) */
  sic_col task_id;                       /* "Task ID" */
  sic_col stage;                         /* row in sic_app.stages (stage attempt), -1 */
  sic_col index;                         /* "Index" within the stage */
  sic_col attempt;                       /* "Attempt" of this index */
  sic_col partition_id;                  /* "Partition ID" (-1 when not logged, Spark < 3.3) */
  sic_col launch_time;                   /* ms epoch; 0 when never logged (TaskEnd without TaskStart) */
  sic_col finish_time;                   /* ms epoch; 0 while running */
  sic_col getting_result_time;           /* ms epoch; 0 when never fetched */
  sic_col executor;                      /* row in sic_app.executors, -1 */
  sic_sid *host;                         /* "Host" as logged; NULL when every task's host is its
                                            executor's host (always so in real logs): read it
                                            with sic_task_host() */
  uint8_t *status;                       /* sic_task_status */
  uint8_t *locality;                     /* sic_locality */
  uint8_t *flags;                        /* SIC_TASKF_* */
  sic_col end_reason;                    /* sic_sid of the "Reason" class ("Success", ...), -1 */
  sic_col error;                         /* sic_sid of the error message as the History Server
                                            shows it, -1 */
  sic_col metric[34];                    /* indexed by sic_task_metric (SIC_TM__COUNT columns) */
  sic_col peak;                          /* row in sic_app.peaks, -1 = none (per-task executor
                                            metrics, deduplicated) */
} sic_tasks;

/* User-visible task accumulable updates (named, not internal, not SQL metrics): the rare
 * ones the History Server lists per task. Sorted by task row. */
typedef struct sic_task_accum {
  int64_t task_row;                      /* row in sic_tasks */
  int64_t accum_id;                      /* "ID" */
  sic_sid name;                          /* "Name" */
  sic_sid update;                        /* "Update" as text */
  sic_sid value;                         /* "Value" as text */
} sic_task_accum;

/* Accumulator totals: one row per accumulator id seen in task or driver updates (SQL
 * metrics are joined to plan nodes through accum_id), except Spark's internal task-metric
 * accumulators ("internal.metrics.*"): their values are the task metrics, kept per task. */
typedef struct sic_accum {
  int64_t accum_id;                      /* "ID" */
  sic_sid name;                          /* "Name" */
  sic_sid metadata;                      /* "Metadata" ("sql" for SQL metrics), -1 */
  int32_t internal;                      /* "Internal" */
  int32_t numeric;                       /* 1 when every update parsed as an integer */
  int64_t sum;                           /* sum of task updates of successful tasks + driver updates */
  int64_t min;                           /* min task update */
  int64_t max;                           /* max task update */
  int64_t count;                         /* number of updates summed */
  sic_sid last_value;                    /* last "Value" seen (stage-level value), text */
} sic_accum;

typedef enum sic_stage_status {
  SIC_STAGE_PENDING = 0,                 /* known from a JobStart, never submitted */
  SIC_STAGE_ACTIVE,                      /* submitted, not completed */
  SIC_STAGE_COMPLETE,
  SIC_STAGE_FAILED,
  SIC_STAGE_SKIPPED                      /* in a finished job but never submitted */
} sic_stage_status;

typedef struct sic_rdd {
  int32_t rdd_id;                        /* "RDD ID" */
  sic_sid name;                          /* "Name" */
  sic_sid scope;                         /* "Scope" (JSON text) */
  sic_sid callsite;                      /* "Callsite" */
  sic_range parents;                     /* "Parent IDs" in sic_app.ints */
  sic_sid storage_level;                 /* description, e.g. "Memory Deserialized 1x Replicated" */
  int32_t use_disk;                      /* storage level flags as logged */
  int32_t use_memory;
  int32_t use_off_heap;
  int32_t deserialized;
  int32_t replication;
  int32_t barrier;                       /* "Barrier" */
  int32_t num_partitions;                /* "Number of Partitions" */
  int32_t num_cached_partitions;         /* "Number of Cached Partitions" */
  int64_t memory_size;                   /* "Memory Size" */
  int64_t disk_size;                     /* "Disk Size" */
  int32_t unpersisted;                   /* 1 after SparkListenerUnpersistRDD for this RDD id */
  int32_t reserved;
} sic_rdd;

/* One row per stage attempt. */
typedef struct sic_stage {
  int32_t stage_id;                      /* "Stage ID" */
  int32_t attempt_id;                    /* "Stage Attempt ID" */
  int32_t status;                        /* sic_stage_status */
  int32_t num_tasks;                     /* "Number of Tasks" (planned) */
  sic_sid name;                          /* "Stage Name" */
  sic_sid details;                       /* "Details" (call stack) */
  sic_sid failure_reason;                /* "Failure Reason", -1 */
  int32_t resource_profile_id;           /* "Resource Profile Id", 0 before Spark 3.1 */
  int32_t is_shuffle_map;                /* 1 when any task is a ShuffleMapTask */
  int64_t submission_time;               /* "Submission Time", -1 */
  int64_t completion_time;               /* "Completion Time", -1 */
  int64_t first_task_launch;             /* min task launch time, -1 when no task */
  sic_range parents;                     /* "Parent IDs" (stage ids) in sic_app.ints */
  sic_range rdds;                        /* rows in sic_app.rdds */
  sic_range accums;                      /* stage "Accumulables" (but "internal.metrics.*"): rows
                                            in sic_app.stage_accums */
  sic_range jobs;                        /* job ids containing this stage, in sic_app.ints */
  sic_sid pool;                          /* "spark.scheduler.pool" of the submitting job, -1 */
  sic_sid description;                   /* "spark.job.description" property at submission, -1 */
  int64_t sql_execution_id;              /* "spark.sql.execution.id" at submission, -1 */
  sic_range tasks;                       /* slice of sic_app.stage_task_rows (filled by finalize) */
  int32_t peak;                          /* row in sic_app.peaks: stage peak over its executors, -1 */
  sic_range exec_peaks;                  /* rows in sic_app.stage_exec_peaks */
  int32_t excluded_execs;                /* number of executors excluded for this stage */
  int32_t reserved;
  int32_t resubmitted_tasks;             /* TaskEnd "Resubmitted" events (the History Server counts
                                            them as failed tasks of the stage; the task rows keep
                                            their earlier successful end) */
  int32_t reserved2;
} sic_stage;

typedef struct sic_stage_accum {
  int64_t accum_id;                      /* "ID" */
  sic_sid name;                          /* "Name" */
  sic_sid value;                         /* "Value" as text */
  int32_t internal;                      /* "Internal" */
  int32_t reserved;
} sic_stage_accum;

typedef struct sic_stage_exec_peak {
  int32_t executor;                      /* row in sic_app.executors */
  int32_t peak;                          /* row in sic_app.peaks */
} sic_stage_exec_peak;

typedef enum sic_job_status {
  SIC_JOB_RUNNING = 0,
  SIC_JOB_SUCCEEDED,
  SIC_JOB_FAILED,
  SIC_JOB_UNKNOWN
} sic_job_status;

typedef struct sic_job {
  int32_t job_id;                        /* "Job ID" */
  int32_t status;                        /* sic_job_status */
  int64_t submission_time;               /* "Submission Time", -1 */
  int64_t completion_time;               /* "Completion Time", -1 */
  sic_range stage_ids;                   /* "Stage IDs" in sic_app.ints */
  sic_sid name;                          /* name of the job's last stage, as the History Server does */
  sic_sid description;                   /* "spark.job.description", -1 */
  sic_sid job_group;                     /* "spark.jobGroup.id", -1 */
  sic_range tags;                        /* "spark.job.tags" split on ',' : sic_sid in sic_app.ints */
  int64_t sql_execution_id;              /* "spark.sql.execution.id", -1 */
  sic_sid failure_reason;                /* JobFailed exception text, -1 */
  sic_range properties;                  /* all job "Properties" in sic_app.kvs */
} sic_job;

typedef struct sic_executor {
  sic_sid id;                            /* "Executor ID" ("driver" for the driver) */
  sic_sid host;                          /* "Host" */
  int32_t port;                          /* block manager port, -1 */
  int32_t total_cores;                   /* "Total Cores" */
  int32_t resource_profile_id;           /* "Resource Profile Id" */
  int32_t is_driver;                     /* id is "driver" or "<driver>" */
  int64_t add_time;                      /* ExecutorAdded "Timestamp", -1 when only seen in tasks */
  int64_t remove_time;                   /* ExecutorRemoved "Timestamp", -1 while alive */
  sic_sid remove_reason;                 /* "Removed Reason", -1 */
  int64_t max_memory;                    /* BlockManagerAdded "Maximum Memory", -1 */
  int64_t max_onheap;                    /* "Maximum Onheap Memory", -1 */
  int64_t max_offheap;                   /* "Maximum Offheap Memory", -1 */
  int64_t bm_add_time;                   /* BlockManagerAdded "Timestamp", -1 */
  int64_t bm_remove_time;                /* BlockManagerRemoved "Timestamp", -1 */
  sic_range log_urls;                    /* "Log Urls" in sic_app.kvs */
  sic_range attributes;                  /* "Attributes" in sic_app.kvs */
  sic_range resources;                   /* "Resources": name -> addresses (comma-joined) in kvs */
  int32_t peak;                          /* row in sic_app.peaks: executor-level peak, -1 */
  int32_t excluded;                      /* currently excluded/blacklisted (last event wins) */
  sic_range excluded_stages;             /* stage ids it was excluded in (ints) */
  int64_t excluded_time;                 /* time of the last exclusion event, -1 */
} sic_executor;

typedef struct sic_resource_request {
  sic_sid name;                          /* "Resource Name" */
  double amount;                         /* "Amount" */
  sic_sid discovery_script;              /* "Discovery Script" */
  sic_sid vendor;                        /* "Vendor" */
  int32_t is_task;                       /* 1: task request, 0: executor request */
  int32_t reserved;
} sic_resource_request;

typedef struct sic_resource_profile {
  int32_t id;                            /* "Resource Profile Id" */
  int32_t reserved;
  sic_range requests;                    /* rows in sic_app.resource_requests */
} sic_resource_profile;

typedef struct sic_plan_node {
  sic_sid name;                          /* "nodeName" */
  sic_sid simple_string;                 /* "simpleString" */
  int32_t parent;                        /* row of the parent node in sic_app.plan_nodes, -1 root */
  int32_t depth;                         /* 0 for the root */
  sic_range metrics;                     /* rows in sic_app.plan_metrics */
  int32_t cluster_id;                    /* WholeStageCodegen id when nodeName is WholeStageCodegen (n), -1 */
  int32_t reserved;
} sic_plan_node;

typedef struct sic_plan_metric {
  sic_sid name;                          /* "name" */
  sic_sid type;                          /* "metricType" (sum, size, timing, nsTiming, average) */
  int64_t accum_id;                      /* "accumulatorId" -> sic_accum */
} sic_plan_metric;

typedef struct sic_sql {
  int64_t execution_id;                  /* "executionId" */
  int64_t root_execution_id;             /* "rootExecutionId" (Spark 3.5+), else execution_id */
  sic_sid description;                   /* "description" */
  sic_sid details;                       /* "details" */
  sic_sid physical_plan;                 /* "physicalPlanDescription" (latest AQE version) */
  int64_t start_time;                    /* "time" of SQLExecutionStart */
  int64_t end_time;                      /* "time" of SQLExecutionEnd, -1 */
  sic_sid error;                         /* "errorMessage" of SQLExecutionEnd, -1 */
  sic_range plan;                        /* rows in sic_app.plan_nodes of the latest plan (root first) */
  sic_range initial_plan;                /* the plan as first submitted (before AQE updates) */
  int32_t aqe_updates;                   /* number of SQLAdaptiveExecutionUpdate events */
  int32_t reserved;
  sic_range jobs;                        /* job ids in sic_app.ints */
  sic_range properties;                  /* "modifiedConfigs" (Spark 3.4+) in kvs */
  sic_range extra_metrics;               /* SQLAdaptiveSQLMetricUpdates rows in sic_app.plan_metrics */
} sic_sql;

typedef struct sic_block_update {
  int32_t executor;                      /* row in sic_app.executors */
  sic_sid block_id;                      /* "Block ID" (e.g. rdd_2_0) */
  sic_sid storage_level;                 /* description */
  int32_t use_disk;
  int32_t use_memory;
  int32_t deserialized;
  int32_t replication;
  int64_t memory_size;                   /* "Memory Size" */
  int64_t disk_size;                     /* "Disk Size" */
} sic_block_update;

typedef struct sic_misc_process {
  sic_sid id;                            /* "Process Id" */
  sic_sid host_port;                     /* "Host Port" */
  int32_t active;                        /* still running (no removal seen) */
  int32_t total_cores;                   /* "Total Cores" */
  int64_t add_time;                      /* "Time"/"Timestamp" of MiscellaneousProcessAdded */
  sic_range log_urls;                    /* kvs */
} sic_misc_process;

/* One diagnostic per problem line; counts are exact even when messages are capped. */
typedef struct sic_diag {
  int32_t part;                          /* index into sic_app.parts */
  int32_t kind;                          /* sic_diag_kind */
  int64_t line;                          /* 1-based line number in that part, 0 = whole part */
  sic_sid message;                       /* what is wrong, e.g. "expected ',' or '}' at byte 81" */
  int32_t reserved;
} sic_diag;

typedef enum sic_diag_kind {
  SIC_DIAG_MALFORMED_LINE = 0,           /* not JSON / not an object / missing "Event" */
  SIC_DIAG_TRUNCATED_LINE,               /* last line of a part has no newline and does not parse */
  SIC_DIAG_BAD_FIELD,                    /* known event, field of the wrong type: event kept */
  SIC_DIAG_READ_ERROR,                   /* codec/IO error; parts after it are not read */
  SIC_DIAG_UNKNOWN_EVENT,                /* informational; counted, one message per event name */
  SIC_DIAG_DERIVED                       /* a figure the log does not state, derived (what, from where) */
} sic_diag_kind;

typedef struct sic_part_info {
  sic_sid path;                          /* part file (or zip!/member) */
  sic_sid codec;                         /* "none", "zstd", ... */
  int64_t stored_bytes;                  /* compressed size */
  int64_t bytes;                         /* decompressed bytes read */
  int64_t lines;                         /* lines read */
} sic_part_info;

/* The whole application attempt. */
typedef struct sic_app {
  int32_t abi_version;                   /* SIC_ABI_VERSION of the library that built it */
  int32_t complete;                      /* ApplicationEnd seen (or appstatus/APPLICATION_COMPLETE says so) */
  int32_t in_progress;                   /* the log is still being written (.inprogress, no end) */
  int32_t truncated;                     /* the log ended mid-line or a part failed to decode */
  sic_sid app_id;                        /* "App ID", -1 when ApplicationStart is missing */
  sic_sid attempt_id;                    /* "App Attempt ID", -1 */
  sic_sid name;                          /* "App Name" */
  sic_sid user;                          /* "User" */
  sic_sid spark_version;                 /* LogStart "Spark Version", -1 */
  sic_sid source_path;                   /* the logset path this model was read from */
  int64_t start_time;                    /* ApplicationStart "Timestamp", -1 */
  int64_t end_time;                      /* ApplicationEnd "Timestamp", -1 */
  int64_t last_updated;                  /* newest part mtime, ms */
  int64_t first_event_time;              /* smallest timestamp seen in any event, -1 */
  int64_t last_event_time;               /* time of the last timed event in log order, -1 */
  sic_range driver_logs;                 /* ApplicationStart "Driver Logs" in kvs */
  sic_range driver_attributes;           /* ApplicationStart "Driver Attributes" in kvs */

  sic_strings strings;                   /* all interned strings */
  int32_t *ints;                         /* pool for int lists (stage ids, parents, tags, ...) */
  int64_t nints;
  sic_kv *kvs;                           /* pool for key/value lists */
  int64_t nkvs;

  sic_tasks tasks;
  int32_t *stage_task_rows;              /* task rows grouped by stage attempt (see sic_stage.tasks);
                                            int32: a load with 2^31 or more tasks fails clearly */
  sic_emetrics *peaks;                   /* distinct executor-metric vectors */
  int64_t npeaks;

  sic_stage *stages; int64_t nstages;    /* stage attempts, sorted by (stage_id, attempt_id) */
  sic_job *jobs; int64_t njobs;          /* sorted by job_id */
  sic_executor *executors; int64_t nexecutors; /* in order of first appearance */
  sic_rdd *rdds; int64_t nrdds;          /* RDD infos of stage attempts (sic_stage.rdds slices) */
  sic_stage_accum *stage_accums; int64_t nstage_accums;
  sic_stage_exec_peak *stage_exec_peaks; int64_t nstage_exec_peaks;
  sic_task_accum *task_accums; int64_t ntask_accums;
  sic_accum *accums; int64_t naccums;    /* sorted by accum_id */
  sic_sql *sqls; int64_t nsqls;          /* sorted by execution_id */
  sic_plan_node *plan_nodes; int64_t nplan_nodes;
  sic_plan_metric *plan_metrics; int64_t nplan_metrics;
  sic_block_update *block_updates; int64_t nblock_updates;
  sic_misc_process *misc; int64_t nmisc;
  sic_resource_profile *profiles; int64_t nprofiles;
  sic_resource_request *resource_requests; int64_t nresource_requests;

  /* Environment (SparkListenerEnvironmentUpdate), each a slice of kvs in logged order. */
  sic_range env_jvm;                     /* "JVM Information" */
  sic_range env_spark;                   /* "Spark Properties" */
  sic_range env_hadoop;                  /* "Hadoop Properties" */
  sic_range env_system;                  /* "System Properties" */
  sic_range env_metrics;                 /* "Metrics Properties" */
  sic_range env_classpath;               /* "Classpath Entries" */

  /* Where it came from and what went wrong. */
  sic_part_info *parts; int64_t nparts;
  sic_diag *diags; int64_t ndiags;       /* capped at 1000 messages; counts below are exact */
  int64_t malformed_lines;               /* lines that could not be parsed */
  int64_t bad_fields;                    /* fields of the wrong type inside known events */
  int64_t events;                        /* lines parsed as events */
  int64_t unknown_events;                /* events of types this engine ignores */
  int64_t bytes;                         /* decompressed bytes read */
  void *internal;                        /* builder state and indexes: private to the engine */
} sic_app;

/* Value of an exception row of a column (binary search; 0 when row is not one). */
int64_t sic_col_exception_value(const sic_col *c, int64_t row);
/* SIC_FFI_END */

/* ---- Loading ---- */
typedef struct sic_load_opts {
  int threads;          /* decode threads for compressed logs (1 = same thread); 0 = default */
  int keep_task_accums; /* 1 (default): keep per-task user accumulables */
  int64_t max_line_bytes; /* longer lines are malformed and skipped, never held whole;
                             0 = the process default (128 MiB, sic --max-line-mb) */
  int64_t max_output_bytes; /* decompressed bytes read before the load fails with SIC_ELIMIT
                               ("decompression bomb"); 0 = no limit (uploads set one) */
} sic_load_opts;

struct sic_logset;

/* Parse one logical log into a model. Malformed lines and a truncated tail are recorded in
 * app->diags and do not fail the load; only I/O on the first part or a log with no events at
 * all fails (then *out is NULL). On success the caller owns *out. */
int sic_app_load(const struct sic_logset *set, const sic_load_opts *opts, sic_app **out, sic_err *err);
/* Convenience: scan path, require exactly one logical log, load it. */
int sic_app_load_path(const char *path, const sic_load_opts *opts, sic_app **out, sic_err *err);
void sic_app_free(sic_app *app);

/* ---- Reading helpers (C side; Lua reads the same memory through the FFI) ---- */
static inline const char *sic_str(const sic_app *app, sic_sid id) {
  return id < 0 ? NULL : app->strings.buf + app->strings.off[id];
}
static inline int64_t sic_col_get(const sic_col *c, int64_t i) {
  int64_t s;
  if (!c->data) return 0;
  switch (c->width) {
  case 1: s = ((const int8_t *)c->data)[i]; if (s == INT8_MIN) return sic_col_exception_value(c, i); break;
  case 2: s = ((const int16_t *)c->data)[i]; if (s == INT16_MIN) return sic_col_exception_value(c, i); break;
  case 4: s = ((const int32_t *)c->data)[i]; if (s == INT32_MIN) return sic_col_exception_value(c, i); break;
  default: return ((const int64_t *)c->data)[i]; /* width 8: base is 0, no exceptions */
  }
  /* unsigned: the builder guarantees base + s is in range, this keeps the compiler honest */
  return s ? (int64_t)((uint64_t)c->base + (uint64_t)s) : 0;
}
static inline int64_t sic_task_metric_get(const sic_app *app, int64_t row, sic_task_metric m) {
  return sic_col_get(&app->tasks.metric[m], row);
}
/* Row-valued and string-valued task columns, by name. */
static inline int32_t sic_task_stage(const sic_app *app, int64_t row) {
  return (int32_t)sic_col_get(&app->tasks.stage, row);
}
static inline int32_t sic_task_executor(const sic_app *app, int64_t row) {
  return (int32_t)sic_col_get(&app->tasks.executor, row);
}
static inline sic_sid sic_task_end_reason(const sic_app *app, int64_t row) {
  return (sic_sid)sic_col_get(&app->tasks.end_reason, row);
}
static inline sic_sid sic_task_error(const sic_app *app, int64_t row) {
  return (sic_sid)sic_col_get(&app->tasks.error, row);
}
static inline int32_t sic_task_peak(const sic_app *app, int64_t row) {
  return (int32_t)sic_col_get(&app->tasks.peak, row);
}
/* A stage attempt's start, the one definition every report uses (as the History Server and
 * sic.model's Stage.duration do): its submission, else its first task launch; -1 = unknown. */
static inline int64_t sic_stage_begin(const sic_stage *st) {
  return st->submission_time >= 0 ? st->submission_time : st->first_task_launch;
}
/* Its wall time from that start to completion; -1 while running or unknown. */
static inline int64_t sic_stage_wall(const sic_stage *st) {
  int64_t b = sic_stage_begin(st);
  return b >= 0 && st->completion_time >= b ? st->completion_time - b : -1;
}
/* A task's "Host": tasks.host when the model keeps it, else its executor's host; -1 = none. */
static inline sic_sid sic_task_host(const sic_app *app, int64_t row) {
  if (app->tasks.host) return app->tasks.host[row];
  int32_t e = sic_task_executor(app, row);
  return e >= 0 ? app->executors[e].host : -1;
}
/* Task duration as the History Server computes it: finish - launch, or -1 while running. */
static inline int64_t sic_task_duration(const sic_app *app, int64_t row) {
  int64_t f = sic_col_get(&app->tasks.finish_time, row);
  /* unsigned arithmetic: a hostile log cannot make this overflow (undefined behaviour) */
  return f > 0 ? (int64_t)((uint64_t)f - (uint64_t)sic_col_get(&app->tasks.launch_time, row)) : -1;
}

/* Lookups (binary search over the sorted tables); NULL when absent. */
const sic_stage *sic_app_stage(const sic_app *app, int32_t stage_id, int32_t attempt_id);
const sic_stage *sic_app_stage_latest(const sic_app *app, int32_t stage_id);
const sic_job *sic_app_job(const sic_app *app, int32_t job_id);
const sic_accum *sic_app_accum(const sic_app *app, int64_t accum_id);
const sic_sql *sic_app_sql(const sic_app *app, int64_t execution_id);
int32_t sic_app_executor_row(const sic_app *app, const char *executor_id); /* -1 when absent */

/* Names for enums and metrics (static strings). */
const char *sic_task_metric_name(sic_task_metric m);   /* History Server name, e.g. "executorRunTime" */
const char *sic_exec_metric_name(sic_exec_metric m);   /* e.g. "JVMHeapMemory" */
const char *sic_task_status_name(int status);          /* "RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN" */
const char *sic_locality_name(int locality);           /* "PROCESS_LOCAL", ... */
const char *sic_stage_status_name(int status);         /* "PENDING", "ACTIVE", "COMPLETE", "FAILED", "SKIPPED" */
const char *sic_job_status_name(int status);           /* "RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN" */

/* Approximate resident bytes of the model (for caches and the memory benchmark). */
int64_t sic_app_memory(const sic_app *app);

#endif
