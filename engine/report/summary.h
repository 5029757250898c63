/* Application summary: the numbers `sic analyze` prints, computed once from a model so every
 * renderer (text, json, and later md/html, findings, agents) reads the same values.
 *
 * Definitions follow the History Server where it has the concept:
 *  - task metric totals (executorRunTime, jvmGcTime, inputBytes, shuffleReadBytes, ...) sum
 *    every task attempt that reported metrics, failed and killed ones included, exactly as the
 *    History Server's stage totals do; shuffleReadBytes = remote + local bytes read;
 *  - taskTime is the sum of task durations (finish - launch) of finished attempts, the
 *    History Server's executor "totalDuration";
 *  - an application's duration is end - start, or last event - start when it has no end.
 * Our own derived figures:
 *  - coreTime: for every executor that could run tasks, cores x the time it was alive within
 *    the application (the driver counts only when tasks ran on it, i.e. local mode; executors
 *    that did not log their cores count the most tasks they ran at once);
 *  - parallelism = taskTime / duration; utilisation = taskTime / coreTime;
 *  - gcShare = jvmGcTime / executorRunTime.
 *
 * Ownership: sic_summary_build() allocates the summary and the arrays inside it;
 * sic_summary_free() releases them. Strings point into the model (sic_str), so the model must
 * outlive the summary. */
#ifndef SIC_REPORT_SUMMARY_H
#define SIC_REPORT_SUMMARY_H

#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

/* Totals of task metrics over a set of task attempts. */
typedef struct sic_task_totals {
  int64_t attempts;              /* task attempts (TaskStart or TaskEnd seen) */
  int64_t succeeded;             /* status SUCCESS */
  int64_t failed;                /* status FAILED */
  int64_t killed;                /* status KILLED */
  int64_t running;               /* no TaskEnd (log ended) */
  int64_t speculative;           /* speculative attempts */
  int64_t task_time;             /* sum of finish - launch of finished attempts, ms */
  int64_t max_task_time;         /* longest finished attempt, ms */
  int64_t median_task_time;      /* median duration of successful attempts, ms (-1: none) */
  int64_t m[SIC_TM__COUNT];      /* sums of every task metric (indexed by sic_task_metric) */
} sic_task_totals;

/* One stage attempt with its share of the application's task time. */
typedef struct sic_summary_stage {
  int32_t stage_id;              /* "Stage ID" */
  int32_t attempt_id;            /* "Stage Attempt ID" */
  int32_t status;                /* sic_stage_status */
  int32_t num_tasks;             /* planned tasks ("Number of Tasks") */
  const char *name;              /* "Stage Name" */
  const char *failure_reason;    /* "Failure Reason", NULL */
  int64_t submission_time;       /* ms epoch, -1 */
  int64_t completion_time;       /* ms epoch, -1 */
  int64_t wall_time;             /* completion - submission (or - first task launch), -1 */
  double share;                  /* task_time / application task_time, 0..1 */
  sic_task_totals totals;        /* its task attempts */
} sic_summary_stage;

/* Failed task attempts with the same reason, e.g. 4 x "ExceptionFailure: ...Read timed out". */
typedef struct sic_failure_group {
  const char *reason;            /* end reason class ("ExceptionFailure", "ExecutorLostFailure", ...) */
  const char *message;           /* error text of the first attempt in the group, NULL */
  int64_t count;                 /* attempts in the group */
  int32_t first_stage;           /* stage id of the first attempt */
  int32_t first_stage_attempt;   /* its stage attempt */
  int64_t first_task_id;         /* "Task ID" of the first attempt */
  int64_t first_index;           /* its "Index" */
  int64_t first_attempt;         /* its "Attempt" */
  const char *first_executor;    /* executor id of the first attempt */
  int killed;                    /* 1: the group is killed attempts, 0: failed */
} sic_failure_group;

typedef struct sic_summary_job {
  int32_t job_id;                /* "Job ID" */
  int32_t status;                /* sic_job_status */
  const char *name;              /* job name (last stage's name) */
  const char *failure_reason;    /* JobFailed exception text, NULL */
} sic_summary_job;

enum { SIC_SUMMARY_TIMELINE = 12 };  /* samples in sic_summary_executors.timeline */

/* Executors alive at one instant. */
typedef struct sic_executor_sample {
  int64_t time;                  /* ms epoch */
  int32_t executors;             /* executors alive (the driver only when it ran tasks) */
  int32_t cores;                 /* their cores */
} sic_executor_sample;

typedef struct sic_summary_executors {
  int64_t count;                 /* executors seen, driver excluded */
  int64_t added;                 /* with an ExecutorAdded event */
  int64_t removed;               /* with an ExecutorRemoved event */
  int64_t max_concurrent;        /* most executors alive at once */
  int64_t max_concurrent_cores;  /* most cores alive at once */
  int64_t total_cores;           /* cores of all executors together */
  int64_t idle;                  /* executors that ran no task */
  int64_t core_time;             /* cores x alive ms of executors that could run tasks */
  int driver_ran_tasks;          /* 1: tasks ran on the driver (local mode) */
  int cores_inferred;            /* 1: some executor did not log its cores; the most tasks it
                                  * ran at once stand in for them */
  sic_executor_sample timeline[SIC_SUMMARY_TIMELINE]; /* alive at evenly spaced instants */
  int ntimeline;                 /* samples filled (0 when the duration is unknown) */
} sic_summary_executors;

typedef struct sic_summary_notice {
  int64_t malformed_lines;       /* lines that could not be parsed */
  int64_t bad_fields;            /* fields of the wrong type inside known events */
  int64_t unknown_events;        /* events this engine ignores */
  int64_t read_errors;           /* codec/IO errors that stopped reading */
  const char *first_path;        /* part holding the first malformed or truncated line, NULL */
  int64_t first_line;            /* its 1-based line number */
  const char *first_reason;      /* what is wrong with it */
  int32_t first_kind;            /* its sic_diag_kind, -1 = none */
  const char *read_error_path;   /* part where the first read error happened, NULL */
  const char *read_error_reason; /* its message (reading stopped there) */
  const char *derived_id;        /* how the application id was derived (no ApplicationStart), NULL */
  int start_from_events;         /* 1: no ApplicationStart, the start is the earliest event time */
} sic_summary_notice;

typedef struct sic_summary {
  const sic_app *app;            /* the model it was built from (not owned) */
  const char *source;            /* path the log was read from */
  const char *app_id;            /* "App ID", NULL */
  const char *attempt_id;        /* "App Attempt ID", NULL */
  const char *name;              /* "App Name" */
  const char *user;              /* "User" */
  const char *spark_version;     /* "Spark Version" */
  int complete;                  /* ApplicationEnd seen */
  int in_progress;               /* log still being written */
  int truncated;                 /* log ended mid-line or a part failed to decode */
  int64_t start_time;            /* ms epoch, -1 */
  int64_t end_time;              /* ms epoch, -1 (then duration runs to the last event) */
  int64_t duration;              /* ms, -1 when unknown */
  int64_t jobs, jobs_succeeded, jobs_failed, jobs_running; /* job counts by status */
  int64_t stages, stages_complete, stages_failed, stages_skipped, stages_active, stages_pending;
  int64_t sql_executions;        /* SQL executions */
  sic_task_totals tasks;         /* all task attempts */
  sic_summary_executors executors;
  double parallelism;            /* task_time / duration (0 when unknown) */
  double utilisation;            /* task_time / core_time (0 when unknown) */
  double gc_share;               /* jvmGcTime / executorRunTime (0 when no run time) */
  sic_summary_stage *stages_by_time; /* every stage attempt that ran, by task time, longest first */
  int64_t nstages_by_time;
  sic_failure_group *failures;   /* failed/killed attempts grouped by reason, most frequent first */
  int64_t nfailures;
  sic_summary_job *failed_jobs;  /* jobs that failed */
  int64_t nfailed_jobs;
  sic_summary_notice notice;     /* malformed input and similar */
} sic_summary;

/* Build the summary of one model. Returns 0 or SIC_ENOMEM. */
int sic_summary_build(const sic_app *app, sic_summary **out, sic_err *err);
void sic_summary_free(sic_summary *s);

#endif
