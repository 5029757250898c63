/* Private state of the example generator (engine/gen/).
 *
 * The generator first decides the application's shape (executors, SQL executions, jobs,
 * stages), then walks its timeline: for each stage it schedules task attempts on executor
 * slots (gen_sched.c), derives each attempt's metrics from a per-attempt RNG (so metrics need
 * no memory until they are written) and writes the events in time order (gen_emit.c,
 * gen_plan.c). Executor lifecycle events are queued and flushed into the stream at their time. */
#ifndef SIC_GEN_INTERNAL_H
#define SIC_GEN_INTERNAL_H

#include <stdint.h>

#include "gen/gen.h"
#include "json/write.h"
#include "model/model.h"

/* ---- deterministic randomness (splitmix64) ---- */
typedef struct gen_rng {
  uint64_t s;                /* state */
} gen_rng;

uint64_t gen_next(gen_rng *r);
double gen_unit(gen_rng *r);                          /* [0, 1) */
int64_t gen_between(gen_rng *r, int64_t lo, int64_t hi); /* [lo, hi] */
double gen_lognormal(gen_rng *r, double median, double sigma);
gen_rng gen_rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c); /* independent stream */

/* ---- the application's parts ---- */
enum { GEN_MAX_EXECS = 16, GEN_MAX_STAGES = 24, GEN_MAX_JOBS = 12, GEN_MAX_SQLS = 4 };

typedef struct gen_exec {
  char id[16];               /* "Executor ID" */
  char host[48];             /* "Host" */
  int cores;                 /* "Total Cores" */
  int container;             /* YARN container number (for log URLs and removal reasons) */
  int port;                  /* block manager port */
  int gc_heavy;              /* 1: this executor's tasks spend 30-45% of run time in GC */
  int64_t add_time;          /* ExecutorAdded timestamp; INT64_MAX = never added */
  int64_t bm_time;           /* BlockManagerAdded timestamp (tasks start after it) */
  int64_t remove_time;       /* ExecutorRemoved timestamp; INT64_MAX = alive at the end */
  const char *remove_reason; /* "Removed Reason" */
  char reason_buf[160];      /* storage for a generated remove_reason */
  int lost;                  /* removed by a failure: tasks running on it fail */
  int64_t last_busy;         /* finish time of its last task, add time when none */
  int64_t tasks_run;         /* task attempts launched on it */
  int64_t metrics_window;    /* heartbeat window of `metrics` (finish time / interval), -1 = none */
  int64_t metrics[SIC_EM__COUNT]; /* executor metrics as of that heartbeat: what its tasks report */
} gen_exec;

/* What a stage does; decides its metrics, RDDs and SQL metric updates. */
typedef enum gen_role {
  GEN_ROLE_SCAN_ORDERS = 0,  /* read parquet orders, filter, shuffle write (map) */
  GEN_ROLE_SCAN_CUSTOMERS,   /* read parquet customers, shuffle write (map) */
  GEN_ROLE_JOIN,             /* shuffle read both sides, sort-merge join, partial agg (map): skewed */
  GEN_ROLE_FINAL,            /* final aggregate + parquet write (result): spills */
  GEN_ROLE_TINY,             /* read many small json files, partial count (map): tiny tasks */
  GEN_ROLE_COUNT,            /* final count (result, one task) */
  GEN_ROLE_FAILING,          /* cast + write that fails on one partition (result) */
  GEN_ROLE__COUNT
} gen_role;

enum { GEN_TASK_OK = 0, GEN_TASK_EXCEPTION, GEN_TASK_LOST, GEN_TASK_KILLED };

typedef struct gen_task {
  int64_t task_id;           /* "Task ID" (assigned in launch order) */
  int32_t index;             /* "Index" */
  int32_t attempt;           /* "Attempt" */
  int32_t exec;              /* row in gen_app.execs */
  int32_t outcome;           /* GEN_TASK_* */
  int64_t launch;            /* "Launch Time" */
  int64_t finish;            /* "Finish Time" */
  double work;               /* data volume multiplier (skewed partitions: 20-50) */
} gen_task;

typedef struct gen_stage {
  int id;                    /* "Stage ID" */
  gen_role role;             /* what it does */
  int num_tasks;             /* "Number of Tasks" */
  int result;                /* 1: ResultTask stage, 0: ShuffleMapTask stage */
  int parents[2];            /* "Parent IDs" */
  int nparents;
  int skipped;               /* listed by a job, never submitted (its shuffle output is reused) */
  int same_as;               /* for skipped stages: the stage whose work it repeats, -1 */
  int job;                   /* id of the job that first lists it */
  int sql;                   /* SQL execution index, -1 */
  int rdd_first;             /* first RDD id of this stage */
  int nrdds;                 /* RDDs created for it */
  int64_t accum_base;        /* id of its first internal.metrics accumulator */
  int64_t submit;            /* "Submission Time" */
  int64_t complete;          /* "Completion Time" */
  char failure[512];         /* "Failure Reason", empty when it succeeded */
  int skew_count;            /* JOIN: skewed partitions */
  int fail_index[2];         /* partitions whose first attempt throws (SCAN_ORDERS), or the
                              * partition that always throws (FAILING, fail_index[0]) */
  int nfail;
} gen_stage;

typedef struct gen_job {
  int id;                    /* "Job ID" */
  int sql;                   /* SQL execution index, -1 */
  int stages[4];             /* stage ids it lists ("Stage IDs") */
  int nstages;
  int64_t submit;            /* "Submission Time" */
  int64_t complete;          /* "Completion Time" */
  int failed;                /* 1: JobFailed */
  const char *call_short;    /* "callSite.short" property */
} gen_job;

/* One SQL metric on a plan node. */
typedef struct gen_sql_metric {
  const char *name;          /* "name" */
  const char *type;          /* "metricType" */
  int source;                /* GEN_SRC_*: how a task's update is derived */
  int role;                  /* gen_role whose tasks update it; -1 = driver-side update */
  int64_t accum_id;          /* "accumulatorId" assigned when the SQL execution starts */
} gen_sql_metric;

typedef struct gen_sql {
  int id;                    /* "executionId" */
  int plan;                  /* which plan table (GEN_PLAN_*) */
  const char *description;   /* "description" */
  int64_t start;             /* SQLExecutionStart "time" */
  int64_t end;               /* SQLExecutionEnd "time" */
  char error[512];           /* "errorMessage" ("" when it succeeded) */
  gen_sql_metric *metrics;   /* metrics of every node in plan order (owned) */
  int nmetrics;
  int64_t aqe_accum_base;    /* accumulator ids of AQEShuffleRead metrics (final plan) */
} gen_sql;

/* Executor lifecycle events waiting for their time in the stream. */
typedef struct gen_pending {
  int64_t time;              /* when it happened */
  int kind;                  /* 0 ExecutorAdded, 1 BlockManagerAdded, 2 ExecutorRemoved, 3 BlockManagerRemoved */
  int exec;                  /* row in gen_app.execs */
} gen_pending;

typedef struct gen_app {
  sic_gen_opts opts;         /* as given */
  gen_rng rng;               /* shape decisions */
  char app_id[48];           /* "App ID" */
  int64_t t0;                /* application start */
  int64_t now;               /* time of the last event written */
  sic_jw w;                  /* compact JSON writer, reset per event */
  sic_gen_sink sink;         /* line consumer */
  void *sink_ctx;
  sic_gen_stats stats;       /* counters reported back */
  int status;                /* first sink error */
  gen_exec execs[GEN_MAX_EXECS];
  int nexecs;
  gen_stage stages[GEN_MAX_STAGES];
  int nstages;
  gen_job jobs[GEN_MAX_JOBS];
  int njobs;
  gen_sql sqls[GEN_MAX_SQLS];
  int nsqls;
  gen_pending pending[GEN_MAX_EXECS * 4];
  int npending;
  int64_t next_task_id;      /* next "Task ID" */
  int64_t next_accum;        /* next accumulator id */
  int next_rdd;              /* next RDD id */
  int64_t *accum_value;      /* running value per accumulator id (owned) */
  int64_t accum_cap;
} gen_app;

/* ---- task metrics, derived per attempt ---- */
typedef struct gen_metrics {
  int64_t m[SIC_TM__COUNT];  /* indexed by sic_task_metric */
  int64_t gc_minor_count;    /* Task Executor Metrics: executor-cumulative GC counters */
  int64_t gc_minor_time;
  int64_t gc_major_count;
  int64_t gc_major_time;
  int64_t heap;              /* JVMHeapMemory peak */
  int64_t offheap;           /* JVMOffHeapMemory peak */
  int64_t exec_mem;          /* OnHeapExecutionMemory peak */
  int64_t storage_mem;       /* OnHeapStorageMemory peak */
  int64_t rss;               /* ProcessTreeJVMRSSMemory */
} gen_metrics;

/* gen_sched.c */
int64_t gen_task_duration(const gen_app *g, const gen_stage *st, const gen_task *t);
void gen_task_metrics(const gen_app *g, const gen_stage *st, const gen_task *t, gen_metrics *out);
int gen_schedule(gen_app *g, gen_stage *st, gen_task **tasks, int64_t *ntasks);

/* gen_emit.c: one function per event type; each writes one line. */
int gen_flush_pending(gen_app *g, int64_t until);
void gen_queue(gen_app *g, int64_t time, int kind, int exec);
int gen_emit_preamble(gen_app *g);
int gen_emit_job_start(gen_app *g, const gen_job *job);
int gen_emit_job_end(gen_app *g, const gen_job *job, const char *failure);
int gen_emit_stage(gen_app *g, gen_stage *st);      /* StageSubmitted, tasks, StageCompleted */
int gen_emit_app_end(gen_app *g, int64_t time);
int gen_write_line(gen_app *g);                      /* hand g->w to the sink and reset it */
void gen_stage_info(gen_app *g, const gen_stage *st, int submitted, int completed);

/* gen_plan.c: SQL plans and their metrics. */
enum { GEN_PLAN_ETL = 0, GEN_PLAN_COUNT, GEN_PLAN_FAILING };
int gen_sql_init(gen_app *g, gen_sql *sql, int plan);
void gen_sql_free(gen_sql *sql);
int gen_emit_sql_start(gen_app *g, const gen_sql *sql);
int gen_emit_sql_end(gen_app *g, const gen_sql *sql);
int gen_emit_driver_accums(gen_app *g, const gen_sql *sql, int commit_phase); /* 0: file listing */
int gen_emit_aqe_update(gen_app *g, gen_sql *sql);
/* SQL metric updates of one successful task: adds them to the running values and, when
 * write is 1, writes them as "Accumulables" entries. */
void gen_sql_task_accums(gen_app *g, const gen_stage *st, const gen_metrics *m, int write);
void gen_sql_stage_accums(gen_app *g, const gen_stage *st);
int64_t gen_sql_metric_value(int source, const gen_metrics *m);

/* gen_stage.c: the stage's internal.metrics accumulators and RDD chains. */
int gen_internal_accum_count(void);
const char *gen_internal_accum_name(int k);
int gen_internal_accum_metric(int k);        /* sic_task_metric, -1 = never written */
int gen_rdd_count(gen_role role);

/* gen_app.c */
int64_t *gen_accum_slot(gen_app *g, int64_t id);     /* running value of an accumulator */

#endif
