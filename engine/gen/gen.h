/* Example event-log generator: a realistic Spark 3.5 application written by our own code.
 *
 * Also used by the benchmarks (large logs) and by tests.
 *
 * The generated application ("nightly_orders_etl" on YARN with dynamic allocation and AQE)
 * has the shape of a real one - LogStart, ResourceProfileAdded, EnvironmentUpdate with
 * plausible Spark/JVM/system properties, ApplicationStart, executors and block managers added
 * and removed, SQL executions with sparkPlanInfo trees, SQL metric accumulators and AQE plan
 * updates, jobs with skipped stages, stages with parents, tasks with full Task Metrics, Task
 * Executor Metrics and accumulable updates - and deliberately carries problems to find:
 *   - a skewed sort-merge-join stage (a few tasks with 20-50x the median shuffle read and
 *     duration),
 *   - spill (memory and disk bytes spilled) in the join and the final aggregate stage,
 *   - GC pressure on one executor (GC time 30-45% of its tasks' run time),
 *   - a stage of many tiny tasks (small-files read),
 *   - failed and retried tasks (I/O exceptions; an executor lost to a YARN memory kill),
 *   - a failing query (one partition fails 4 times: stage, job and SQL execution fail, the
 *     other running tasks are killed),
 *   - idle executors (acquired late, never used, released by dynamic allocation).
 * Output is a pure function of (seed, tasks, codec): same options, same bytes.
 *
 * Ownership: the generator allocates only internally and frees everything before returning. */
#ifndef SIC_GEN_H
#define SIC_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sic_gen_opts {
  uint64_t seed;          /* RNG seed; every value derives from it */
  int64_t tasks;          /* planned task count over all stages, >= 50 (retries add a few; the
                           * failing query aborts before launching all of its tasks) */
  int zstd;               /* 1: write zstd frames (Spark's ZStdCompressionCodec), 0: plain lines */
  int zstd_level;         /* compression level when zstd (0 = library default) */
  int64_t start_day;      /* ms since the epoch of the day the application starts on (its time
                           * of day still comes from the seed); 0 = 2024-11-25, the default */
} sic_gen_opts;

/* Defaults: seed 42, 2000 tasks, plain JSON lines. */
void sic_gen_opts_default(sic_gen_opts *opts);

typedef struct sic_gen_stats {
  int64_t events;         /* lines written */
  int64_t bytes;          /* uncompressed bytes written (including newlines) */
  int64_t stored_bytes;   /* bytes stored on disk (== bytes without compression) */
  int64_t task_attempts;  /* TaskEnd events */
  int64_t stages;         /* stage attempts submitted */
  int64_t jobs;           /* JobStart events */
  int64_t start_time;     /* ApplicationStart timestamp (ms) */
  int64_t end_time;       /* ApplicationEnd timestamp (ms) */
} sic_gen_stats;

/* Receives each event as one JSON line (no newline); returns 0 or a SIC_E* code to stop. */
typedef int (*sic_gen_sink)(void *ctx, const char *line, size_t len);

/* Generate the application, feeding each line to sink. stats may be NULL. */
int sic_gen_run(const sic_gen_opts *opts, sic_gen_sink sink, void *ctx, sic_gen_stats *stats,
                sic_err *err);

/* Generate into a file (plain or zstd per opts). On error the partial file is removed. */
int sic_gen_write_file(const char *path, const sic_gen_opts *opts, sic_gen_stats *stats,
                       sic_err *err);

#endif
