/* Feature builder for the runtime predictor: one row per stage attempt, one per application.
 *
 * Features describe what a stage had to do and with what: bytes and records read/written,
 * tasks and partition sizes, skew of the *input* sizes over tasks, per-task volumes (records,
 * shuffle blocks fetched, largest partition, result size, spill, peak execution memory), the
 * operator mix of its SQL plan, codec/serializer/AQE settings, local or cluster master,
 * executors and cores alive when it was submitted (as logged: see wave_scale), its place in its
 * job and its depth in the stage DAG. No feature is computed from a duration (task, stage, job
 * or app times): those are the labels. Features are float32 (what the trees compare); NaN means
 * unknown and follows the trees' default directions.
 *
 * What-if executors/cores do not change the stage features: the stage model predicts a stage as
 * it ran, and the prediction is scaled by wave_scale = waves on the asked-for slots / waves on
 * the logged slots (the time of one wave of tasks is assumed unchanged). More executors then
 * never lengthen a stage and fewer never shorten it, whatever the trees learned from a corpus
 * where the executor count mostly tells clusters apart (docs/prediction.md).
 *
 * Feature names and SIC_ML_FEATURE_VERSION are saved in every model; a model whose version
 * differs is rejected and a model naming features this build lacks gets NaN for them.
 *
 * Ownership: sic_ml_app_build fills a caller-owned sic_ml_app whose arrays are released by
 * sic_ml_app_free. It keeps no pointer into the sic_app it was built from. */
#ifndef SIC_ML_FEATURES_H
#define SIC_ML_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

/* v2: per-task volume, master, job-position features; stage features at the logged slots */
#define SIC_ML_FEATURE_VERSION 2u

typedef enum sic_ml_stage_feature {
  SF_LOG_INPUT_BYTES = 0, SF_LOG_INPUT_RECORDS, SF_LOG_SHUFFLE_READ_BYTES, SF_LOG_SHUFFLE_READ_RECORDS,
  SF_LOG_SHUFFLE_WRITE_BYTES, SF_LOG_SHUFFLE_WRITE_RECORDS, SF_LOG_OUTPUT_BYTES, SF_LOG_OUTPUT_RECORDS,
  SF_LOG_TASKS, SF_LOG_BYTES_PER_TASK, SF_SKEW_MAX_OVER_MEDIAN, SF_SKEW_CV, SF_EXECUTORS,
  SF_CORES_PER_EXECUTOR, SF_LOG_SLOTS, SF_WAVES, SF_LOG_BYTES_PER_SLOT, SF_DAG_DEPTH, SF_NUM_PARENTS,
  SF_IS_SHUFFLE_MAP, SF_OP_SCAN, SF_OP_EXCHANGE, SF_OP_BROADCAST, SF_OP_SMJ, SF_OP_BHJ, SF_OP_SHJ,
  SF_OP_NLJ, SF_OP_AGGREGATE, SF_OP_SORT, SF_OP_WINDOW, SF_OP_UDF, SF_OP_FILTER_PROJECT, SF_OP_GPU,
  SF_OP_TOTAL, SF_PLAN_MATCHED, SF_CODEC, SF_KRYO, SF_AQE, SF_LOG_SHUFFLE_PARTITIONS,
  SF_LOG_EXECUTOR_MEMORY_MB, SF_SPARK_VERSION, SF_STAGE_ATTEMPT, SF_HAS_SQL, SF_NUM_RDDS,
  SF_IS_LOCAL, SF_FIRST_IN_JOB, SF_LOG_STAGES_IN_JOB, SF_LOG_RECORDS_PER_TASK, SF_LOG_BLOCKS_PER_TASK,
  SF_LOG_MAX_TASK_BYTES, SF_LOG_RESULT_BYTES, SF_LOG_SPILL_BYTES, SF_LOG_PEAK_MEM_PER_TASK, SF_SLOT_FILL,
  SF_LOG_TASKS_PER_EXECUTOR,
  SF__COUNT
} sic_ml_stage_feature;

typedef enum sic_ml_app_feature {
  AF_LOG_INPUT_BYTES = 0, AF_LOG_SHUFFLE_READ_BYTES, AF_LOG_SHUFFLE_WRITE_BYTES, AF_LOG_OUTPUT_BYTES,
  AF_LOG_TASKS, AF_LOG_STAGES, AF_LOG_JOBS, AF_MAX_DAG_DEPTH, AF_EXECUTORS, AF_CORES_PER_EXECUTOR,
  AF_LOG_SLOTS, AF_WAVES, AF_OP_SCAN, AF_OP_EXCHANGE, AF_OP_JOIN, AF_OP_AGGREGATE, AF_OP_SORT,
  AF_OP_WINDOW, AF_OP_UDF, AF_OP_GPU, AF_CODEC, AF_KRYO, AF_AQE, AF_LOG_SHUFFLE_PARTITIONS,
  AF_LOG_EXECUTOR_MEMORY_MB, AF_SPARK_VERSION, AF_JOB_IDENTITY, AF_LOG_SQLS, AF_HIST_LOG_RUNTIME,
  AF__COUNT
} sic_ml_app_feature;

extern const char *const sic_ml_stage_feature_names[SF__COUNT];
/* Deployment features (executor shape, memory, Spark version, codec, serializer, AQE, shuffle
 * partitions): with a few dozen applications they mostly say *which* application a stage
 * belongs to. Training may blank them (NaN) when grouped CV on the training folds says the
 * model generalises better without them (ml/eval.c). */
int sic_ml_stage_feature_is_deployment(int feature);
/* XGBoost monotone_constraints for the stage model: more data to read, shuffle or write, more
 * data per slot and more waves never make a stage faster (trees otherwise extrapolate flat or
 * even backwards beyond the volumes seen in training). */
void sic_ml_stage_monotone(char *buf, size_t n); /* n >= 4 * SF__COUNT + 4 */
extern const char *const sic_ml_app_feature_names[AF__COUNT];

/* Ernest's terms of a stage row (Venkataraman et al., NSDI'16): 1, MB read (input + shuffle)
 * per slot, log(slots), waves. The NNLS baseline is linear in them, and the stage model learns
 * its log-residual on top of that baseline (ml/eval.c, ml/predict.c). */
enum { SIC_ML_ERNEST_TERMS = 4 };
void sic_ml_ernest_terms(const float *x, double terms[SIC_ML_ERNEST_TERMS]);

/* What-if settings applied while building features (0 / 1.0 = as logged). */
typedef struct sic_ml_whatif {
  int executors;                        /* executors to assume (0 = as logged) */
  int cores;                            /* cores per executor (0 = as logged) */
  double input_scale;                   /* multiply input volumes (1 or 0 = as logged) */
  double history_ms;                    /* median runtime of the job's earlier runs, 0 = unknown */
} sic_ml_whatif;

typedef struct sic_ml_stage_row {
  int32_t stage_id;                     /* "Stage ID" */
  int32_t attempt_id;                   /* "Stage Attempt ID" */
  int32_t num_tasks;                    /* tasks after the what-if input scale */
  int32_t parent_first;                 /* first parent in sic_ml_app.parents (rows of stages[]) */
  int32_t nparents;                     /* number of parents present in the log */
  int32_t usable;                       /* 1 when complete with a known duration (a training row) */
  double submit_ms;                     /* submission time relative to app start, -1 unknown */
  double duration_ms;                   /* LABEL: completion - submission, -1 unknown */
  double wave_scale;                    /* waves on the what-if slots / waves on the logged slots (1 as logged) */
  float x[SF__COUNT];                   /* features */
} sic_ml_stage_row;

typedef struct sic_ml_app {
  char *app_id;                         /* "App ID" or the log name */
  char *app_name;                       /* "App Name" */
  uint64_t group;                       /* CV group: identical/near-identical logs share it */
  int32_t nstages;                      /* rows in stages */
  sic_ml_stage_row *stages;             /* latest attempt of each stage, by stage id */
  int32_t *parents;                     /* parent rows, sliced by stage rows */
  int32_t slots;                        /* executors x cores used for the simulation */
  double runtime_ms;                    /* LABEL: app end - start, -1 unknown */
  double driver_ms;                     /* runtime not covered by any stage (driver/scheduling) */
  double input_bytes;                   /* total input + shuffle-read bytes (for extrapolation splits) */
  int64_t start_ms;                     /* app start, ms epoch, -1 (orders runs for history) */
  float x[AF__COUNT];                   /* application features */
} sic_ml_app;

int sic_ml_app_build(const sic_app *app, const sic_ml_whatif *wi, sic_ml_app *out, sic_err *err);
/* History feature of every app: log of the median runtime of the earlier runs (by start time)
 * of the same application name among apps[0..n), NaN when there is none. Past runs only: a
 * run never sees its own or later runtimes. */
void sic_ml_fill_history(sic_ml_app *apps, int32_t n);
void sic_ml_app_free(sic_ml_app *a);

#endif
