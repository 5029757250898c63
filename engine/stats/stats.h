/* Descriptive statistics over task columns, in C because they run over millions of tasks.
 *
 * Used by the Lua host (through the FFI: the region between the
 * SIC_FFI markers below is turned into the LuaJIT cdef with the model) and by C callers.
 *
 * Two levels:
 *  - array functions (sic_stats_summarize, sic_stats_histogram, sic_stats_topk) over any
 *    double[] the caller owns; they never keep the pointer;
 *  - model functions (sic_stats_stage, sic_stats_gather) that read one column of one stage's
 *    tasks straight from a sic_app (any sic_col task metric, or a derived column such as the
 *    task duration) and summarise it without the caller allocating anything.
 * Quantiles use the History Server's rule (value at index min(floor(q * n), n - 1) of the
 * sorted values), so medians and percentiles match the stage summary it shows.
 * Ownership: every function frees its own scratch memory before returning; out-structs are
 * plain values owned by the caller. Functions return 0 or a negative SIC_E* code. */
#ifndef SIC_STATS_H
#define SIC_STATS_H

#include <stdint.h>

#include "model/model.h"

/* SIC_FFI_BEGIN */
/* Columns a stage can be summarised over: 0..SIC_TM__COUNT-1 are sic_task_metric columns,
 * the values below are derived per task. */
typedef enum sic_stat_column {
  SIC_SC_DURATION = 100,                 /* finish - launch (ms), as the History Server shows it */
  SIC_SC_SCHEDULER_DELAY,                /* duration - run - deserialize - serialize - getting result (ms) */
  SIC_SC_GC_RATIO_PERMILLE,              /* 1000 * jvm gc time / executor run time */
  SIC_SC_SHUFFLE_READ_BYTES,             /* remote + local shuffle bytes read */
  SIC_SC_SPILL_BYTES,                    /* memory + disk bytes spilled */
  SIC_SC_LAUNCH_TIME,                    /* launch time (ms epoch) */
  SIC_SC_FAILED                          /* 1 when the attempt failed, else 0 (sum = failed attempts) */
} sic_stat_column;

/* Which task attempts of a stage are counted. */
typedef enum sic_stat_filter {
  SIC_SF_SUCCESSFUL = 0,                 /* status SUCCESS only (what the History Server summarises) */
  SIC_SF_FINISHED,                       /* every attempt with a finish time */
  SIC_SF_ALL                             /* every attempt, running ones included */
} sic_stat_filter;

typedef struct sic_summary {
  int64_t n;                             /* number of values summarised */
  double sum;                            /* sum of values */
  double mean;                           /* arithmetic mean; 0 when n == 0 */
  double min;                            /* smallest value */
  double max;                            /* largest value */
  double p05;                            /* 5th percentile (History Server quantile rule) */
  double p25;                            /* first quartile */
  double median;                         /* 50th percentile */
  double p75;                            /* third quartile */
  double p90;                            /* 90th percentile */
  double p95;                            /* 95th percentile */
  double p99;                            /* 99th percentile */
  double mad;                            /* median absolute deviation from the median */
  double stddev;                         /* population standard deviation */
  double gini;                           /* Gini coefficient in [0,1] (0 = all equal); 0 when sum <= 0 */
  double max_over_median;                /* max / median; 0 when the median is 0 */
  int64_t argmax;                        /* position of the max value in the input order, -1 if n == 0 */
} sic_summary;

/* Summarise v[0..n-1] (not modified). */
int sic_stats_summarize(const double *v, int64_t n, sic_summary *out);
/* Quantile q in [0,1] of v[0..n-1] (History Server rule); *out = 0 when n == 0. */
int sic_stats_quantile(const double *v, int64_t n, double q, double *out);
/* counts[0..nbins-1] of values in [lo, hi), equal-width bins; values outside are clamped to
 * the first/last bin. When lo >= hi the range is taken from the data. */
int sic_stats_histogram(const double *v, int64_t n, int32_t nbins, double lo, double hi, int64_t *counts);
/* Indices of the k largest values, largest first (ties: lower index first); returns how many
 * were written (min(k, n)). */
int64_t sic_stats_topk(const double *v, int64_t n, int32_t k, int64_t *idx_out);

/* Copy one column of a stage attempt's tasks (row in app->stages) into out[0..cap-1]; returns
 * the number of values written (>= 0) or a negative SIC_E* code. rows_out (may be NULL)
 * receives the task row of each value. */
int64_t sic_stats_gather(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter,
                         double *out, int64_t *rows_out, int64_t cap);
/* Gather + summarise in one call; out->argmax is a task row (not a position). */
int sic_stats_stage(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter, sic_summary *out);
/* Per-executor totals of a column over the whole app: sums[e] and counts[e] for every executor
 * row e (arrays of app->nexecutors entries, filled by the callee), tasks selected by filter.
 * One pass over the tasks; what per-executor rules need. */
int sic_stats_by_executor(const sic_app *app, int32_t column, int32_t filter, double *sums, int64_t *counts);
/* Value of a (possibly derived) column for one task row. */
double sic_stats_task_value(const sic_app *app, int64_t task_row, int32_t column);
/* ---- Simulation (engine/stats/sim.c) ----
 * What-if scheduler simulation from observed task times (Sparklens-class): phases of
 * overlapping stage attempts are list-scheduled on task slots respecting stage
 * dependencies; driver time (no stage running) is kept as observed. */
typedef struct sic_sim_summary {
  double wall_ms;                        /* observed application wall time */
  double driver_ms;                      /* wall time with no stage attempt running */
  double phase_ms;                       /* wall time with at least one stage running */
  double task_ms;                        /* sum of finished task attempt durations */
  double simulated_ms;                   /* predicted wall time at the observed cluster size */
  double critical_path_ms;               /* lower bound: unlimited slots (driver + longest chains) */
  double ideal_ms;                       /* bound: work spread perfectly on the observed slots */
  double slot_ms;                        /* task-slot time available during phases */
  double mean_slots;                     /* time-weighted task slots during phases */
  double max_slots;                      /* largest phase slot count */
  int32_t phases;                        /* number of phases */
  int32_t reserved;                      /* keeps the struct 8-byte aligned */
} sic_sim_summary;

/* Predicted wall time wall_out[i] for every cluster-size factor factors[i] (1 = observed;
 * 2 = twice the task slots); summary (may be NULL) gets the bounds. task_cpus is
 * spark.task.cpus (<= 0 means 1). */
int sic_sim_app(const sic_app *app, double task_cpus, const double *factors, int32_t nfactors, double *wall_out,
                sic_sim_summary *summary);
/* Core-ms busy with tasks and core-ms of executor cores alive in each of nbins equal bins of
 * [t0, t1) (arrays of nbins, filled by the callee). The driver counts only in local mode. */
int sic_stats_timeline(const sic_app *app, int64_t t0, int64_t t1, int32_t nbins, double *busy_core_ms,
                       double *alive_core_ms);
/* Sums of every task column of a stage attempt in one pass, no sorting (engine/stats/sums.c):
 * sums[c] for metric c in 0..SIC_TM__COUNT-1 and
 * sums[SIC_TM__COUNT + (d - SIC_SC_DURATION)] for derived column d; *n_out = tasks counted.
 * sums must hold SIC_TM__COUNT + 7 = 41 doubles. The gc_ratio_permille entry is the ratio
 * of the sums (1000 * GC / run time), not a sum of per-task ratios. */
int sic_stats_stage_sums(const sic_app *app, int64_t stage_row, int32_t filter, double *sums, int64_t *n_out);
/* Both the successful-task sums and the all-attempt sums of a stage in one pass (same layout). */
int sic_stats_stage_sums2(const sic_app *app, int64_t stage_row, double *succ, int64_t *n_succ, double *all,
                          int64_t *n_all);
/* Per-executor totals of a column over one stage attempt's tasks (arrays of app->nexecutors
 * entries, filled by the callee). */
int sic_stats_stage_by_executor(const sic_app *app, int64_t stage_row, int32_t column, int32_t filter, double *sums,
                                int64_t *counts);
/* SIC_FFI_END */

#endif
