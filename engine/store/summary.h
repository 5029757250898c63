/* Internal to engine/store: figures computed from a model before it is written (per attempt
 * and per stage attempt), so that history and regression queries never need task rows.
 */
#ifndef SIC_STORE_SUMMARY_H
#define SIC_STORE_SUMMARY_H

#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

/* Aggregates of the task attempts of one stage attempt (or of the whole application). */
typedef struct store_task_totals {
  int64_t tasks;                         /* task attempts */
  int64_t failed;                        /* FAILED task attempts */
  int64_t killed;                        /* KILLED task attempts */
  int64_t run_time_ms;                   /* sum executorRunTime */
  int64_t cpu_time_ns;                   /* sum executorCpuTime */
  int64_t gc_time_ms;                    /* sum jvmGcTime */
  int64_t input_bytes;                   /* sum input bytesRead */
  int64_t output_bytes;                  /* sum output bytesWritten */
  int64_t shuffle_read_bytes;            /* sum remote + local shuffle bytes read */
  int64_t shuffle_write_bytes;           /* sum shuffle bytes written */
  int64_t memory_spilled;                /* sum memoryBytesSpilled */
  int64_t disk_spilled;                  /* sum diskBytesSpilled */
} store_task_totals;

/* Per stage attempt: totals plus the duration distribution of its successful tasks. */
typedef struct store_stage_summary {
  store_task_totals totals;              /* sums over the stage's task attempts */
  int64_t dur_min;                       /* successful task durations, ms; -1 when none */
  int64_t dur_median;
  int64_t dur_p95;
  int64_t dur_max;
  double skew;                           /* dur_max / dur_median, 0 when undefined */
  int64_t successful;                    /* successful tasks with a duration */
} store_stage_summary;

typedef struct store_app_summary {
  store_task_totals totals;              /* sums over every task attempt */
  store_stage_summary *stages;           /* one per app->stages row (malloc'd) */
  int64_t duration_ms;                   /* end - start (or last event - start), -1 */
  int32_t executors;                     /* non-driver executors (the driver in local mode) */
  int32_t total_cores;                   /* their cores */
  double core_hours;                     /* cores x alive hours */
  double max_skew;                       /* max stage skew among stages that matter (>= 8 tasks, max >= 1 s) */
  int32_t failed_jobs;                   /* jobs with status FAILED */
  int32_t failed_stages;                 /* stage attempts with status FAILED */
} store_app_summary;

int store_summarize(const sic_app *app, store_app_summary *out, sic_err *err);
void store_summary_free(store_app_summary *s);

/* Stable names stored in the database (kept here, not borrowed from the model, so stored
 * values never change when display names do). */
const char *store_task_status(int status);
const char *store_locality(int locality);
const char *store_stage_status(int status);
const char *store_job_status(int status);

#endif
