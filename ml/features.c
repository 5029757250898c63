/* Stage and application features from the application model (see features.h). */
#include "ml/features.h"
#include "core/sort.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sic_ml_stage_feature_names[SF__COUNT] = {
  "log_input_bytes", "log_input_records", "log_shuffle_read_bytes", "log_shuffle_read_records",
  "log_shuffle_write_bytes", "log_shuffle_write_records", "log_output_bytes", "log_output_records",
  "log_tasks", "log_bytes_per_task", "skew_max_over_median", "skew_cv", "executors",
  "cores_per_executor", "log_slots", "waves", "log_bytes_per_slot", "dag_depth", "num_parents",
  "is_shuffle_map", "op_scan", "op_exchange", "op_broadcast", "op_sort_merge_join",
  "op_broadcast_hash_join", "op_shuffled_hash_join", "op_nested_loop_join", "op_aggregate", "op_sort",
  "op_window", "op_udf", "op_filter_project", "op_gpu", "op_total", "plan_matched", "codec", "kryo",
  "aqe", "log_shuffle_partitions", "log_executor_memory_mb", "spark_version", "stage_attempt",
  "has_sql", "num_rdds", "is_local", "first_in_job", "log_stages_in_job", "log_records_per_task",
  "log_blocks_per_task", "log_max_task_bytes", "log_result_bytes", "log_spill_bytes",
  "log_peak_mem_per_task", "slot_fill", "log_tasks_per_executor",
};

int sic_ml_stage_feature_is_deployment(int f) {
  return f == SF_EXECUTORS || f == SF_CORES_PER_EXECUTOR || f == SF_LOG_EXECUTOR_MEMORY_MB ||
         f == SF_SPARK_VERSION || f == SF_CODEC || f == SF_KRYO || f == SF_AQE || f == SF_LOG_SHUFFLE_PARTITIONS;
}

/* One entry per stage feature, in enum order: 1 = non-decreasing, 0 = free. */
static const signed char stage_monotone[SF__COUNT] = {
  [SF_LOG_INPUT_BYTES] = 1, [SF_LOG_SHUFFLE_READ_BYTES] = 1, [SF_LOG_SHUFFLE_WRITE_BYTES] = 1,
  [SF_LOG_OUTPUT_BYTES] = 1, [SF_LOG_BYTES_PER_SLOT] = 1, [SF_WAVES] = 1, [SF_LOG_MAX_TASK_BYTES] = 1,
};

void sic_ml_stage_monotone(char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "(");
  for (int i = 0; i < SF__COUNT && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ",%d" : "%d", stage_monotone[i]);
  if (used < n) snprintf(buf + used, n - used, ")");
}

const char *const sic_ml_app_feature_names[AF__COUNT] = {
  "log_input_bytes", "log_shuffle_read_bytes", "log_shuffle_write_bytes", "log_output_bytes",
  "log_tasks", "log_stages", "log_jobs", "max_dag_depth", "executors", "cores_per_executor",
  "log_slots", "waves", "op_scan", "op_exchange", "op_join", "op_aggregate", "op_sort", "op_window",
  "op_udf", "op_gpu", "codec", "kryo", "aqe", "log_shuffle_partitions", "log_executor_memory_mb",
  "spark_version", "job_identity", "log_sqls", "hist_log_runtime",
};

void sic_ml_ernest_terms(const float *x, double t[SIC_ML_ERNEST_TERMS]) {
  double bytes = expm1(x[SF_LOG_INPUT_BYTES]) + expm1(x[SF_LOG_SHUFFLE_READ_BYTES]);
  double slots = fmax(expm1(x[SF_LOG_SLOTS]), 1);
  t[0] = 1, t[1] = bytes / slots / 1e6, t[2] = log(slots), t[3] = x[SF_WAVES];
}

/* ---- Settings ---- */

static const char *spark_prop(const sic_app *app, const char *key) {
  for (int32_t i = 0; i < app->env_spark.n; i++) {
    const sic_kv *kv = &app->kvs[app->env_spark.off + i];
    const char *k = sic_str(app, kv->key);
    if (k && !strcmp(k, key)) return sic_str(app, kv->value);
  }
  return NULL;
}

/* Memory sizes as Spark writes them ("4g", "512m", "1024"): MiB, NaN when unparsable. */
static double parse_mib(const char *s) {
  if (!s) return NAN;
  char *end;
  double v = strtod(s, &end);
  if (end == s) return NAN;
  switch (*end | 0x20) {
  case 'k': return v / 1024;
  case 'g': return v * 1024;
  case 't': return v * 1024 * 1024;
  default: return v; /* 'm' or no suffix (MiB) */
  }
}

typedef struct app_settings {
  float codec;                          /* 0 lz4, 1 snappy, 2 zstd, 3 lzf */
  float kryo;                           /* KryoSerializer configured */
  float aqe;                            /* spark.sql.adaptive.enabled */
  float log_shuffle_partitions;         /* log1p(spark.sql.shuffle.partitions) */
  float log_executor_memory_mb;         /* log1p(executor memory MiB) */
  float spark_version;                  /* major + minor / 10 */
  int conf_cores;                       /* spark.executor.cores, 0 when unset */
  int local_cores;                      /* N of local[N], 0 otherwise */
  int is_local;                         /* local master, or no executor besides the driver */
} app_settings;

static void read_settings(const sic_app *app, app_settings *s) {
  const char *codec = spark_prop(app, "spark.io.compression.codec");
  s->codec = 0; /* Spark's default is lz4 */
  if (codec) {
    if (strstr(codec, "snappy")) s->codec = 1;
    else if (strstr(codec, "zstd")) s->codec = 2;
    else if (strstr(codec, "lzf")) s->codec = 3;
  }
  const char *ser = spark_prop(app, "spark.serializer");
  s->kryo = ser && strstr(ser, "Kryo") ? 1 : 0;
  const char *aqe = spark_prop(app, "spark.sql.adaptive.enabled");
  const char *ver = sic_str(app, app->spark_version);
  int major = 0, minor = 0;
  s->spark_version = ver && sscanf(ver, "%d.%d", &major, &minor) == 2 ? major + minor / 10.0f : NAN;
  /* AQE is on by default from Spark 3.2 */
  s->aqe = aqe ? !strcmp(aqe, "true") : (isfinite(s->spark_version) && s->spark_version >= 3.2f);
  const char *sp = spark_prop(app, "spark.sql.shuffle.partitions");
  s->log_shuffle_partitions = log1pf(sp ? (float)atof(sp) : 200);
  s->log_executor_memory_mb = (float)log1p(parse_mib(spark_prop(app, "spark.executor.memory")));
  if (!isfinite(s->log_executor_memory_mb)) s->log_executor_memory_mb = (float)log1p(1024);
  const char *cores = spark_prop(app, "spark.executor.cores");
  s->conf_cores = cores ? atoi(cores) : 0;
  const char *master = spark_prop(app, "spark.master");
  s->local_cores = 0;
  if (master && !strncmp(master, "local[", 6)) s->local_cores = atoi(master + 6);
  int executors = 0;
  for (int64_t i = 0; i < app->nexecutors; i++) executors += !app->executors[i].is_driver;
  /* a local run pays no executor launch, no network shuffle, no remote scheduling */
  s->is_local = (master && !strncmp(master, "local", 5)) || executors == 0;
}

/* ---- Executors alive when a stage was submitted ---- */

static void slots_at(const sic_app *app, const app_settings *st, int64_t t, int *execs, int *cores) {
  int n = 0, c = 0;
  for (int64_t i = 0; i < app->nexecutors; i++) {
    const sic_executor *e = &app->executors[i];
    if (e->is_driver) continue;
    if (t >= 0 && e->add_time >= 0 && e->add_time > t) continue;
    if (t >= 0 && e->remove_time >= 0 && e->remove_time <= t) continue;
    n++;
    c += e->total_cores > 0 ? e->total_cores : st->conf_cores;
  }
  if (n == 0) { /* local mode: the driver runs the tasks */
    n = 1;
    for (int64_t i = 0; i < app->nexecutors; i++)
      if (app->executors[i].is_driver && app->executors[i].total_cores > 0) c = app->executors[i].total_cores;
    if (c == 0) c = st->local_cores;
  }
  if (c <= 0) c = n; /* nothing says: one core each */
  *execs = n;
  *cores = c;
}

/* ---- Operator mix of SQL plans ---- */

enum { OP_SCAN, OP_EXCHANGE, OP_BROADCAST, OP_SMJ, OP_BHJ, OP_SHJ, OP_NLJ, OP_AGG, OP_SORT,
       OP_WINDOW, OP_UDF, OP_FILTER_PROJECT, OP_GPU, OP__COUNT };

/* Which operator counters a plan node increments (bit i = op i). */
static unsigned classify(const char *name, const char *simple) {
  unsigned m = 0;
  if (!name) return 0;
  if (!strncmp(name, "Gpu", 3)) m |= 1u << OP_GPU;
  if (strstr(name, "Scan")) m |= 1u << OP_SCAN;
  if (strstr(name, "BroadcastExchange")) m |= 1u << OP_BROADCAST;
  else if (strstr(name, "Exchange")) m |= 1u << OP_EXCHANGE;
  if (strstr(name, "SortMergeJoin")) m |= 1u << OP_SMJ;
  else if (strstr(name, "BroadcastHashJoin")) m |= 1u << OP_BHJ;
  else if (strstr(name, "ShuffledHashJoin")) m |= 1u << OP_SHJ;
  else if (strstr(name, "NestedLoopJoin") || strstr(name, "CartesianProduct")) m |= 1u << OP_NLJ;
  else if (strstr(name, "Aggregate")) m |= 1u << OP_AGG;
  else if (strstr(name, "Sort")) m |= 1u << OP_SORT;
  if (strstr(name, "Window")) m |= 1u << OP_WINDOW;
  if (strstr(name, "Python") || strstr(name, "ArrowEval") || strstr(name, "BatchEval") ||
      strstr(name, "InPandas") || (simple && strstr(simple, "UDF")))
    m |= 1u << OP_UDF;
  if (!strcmp(name, "Filter") || !strcmp(name, "Project") || !strcmp(name, "GpuFilter") ||
      !strcmp(name, "GpuProject"))
    m |= 1u << OP_FILTER_PROJECT;
  return m;
}

typedef struct accum_stage {
  int64_t accum_id;                     /* stage accumulable id */
  int32_t stage;                        /* row in app->stages */
} accum_stage;

static int cmp_accum_stage(const void *a, const void *b) {
  int64_t x = ((const accum_stage *)a)->accum_id, y = ((const accum_stage *)b)->accum_id;
  return x < y ? -1 : x > y;
}

typedef struct op_counts {
  float n[OP__COUNT];                   /* nodes of each kind */
  float total;                          /* all operator nodes (codegen wrappers excluded) */
  int matched;                          /* counts come from nodes tied to this stage */
} op_counts;

static void add_node(op_counts *c, const sic_app *app, const sic_plan_node *nd) {
  const char *name = sic_str(app, nd->name);
  if (!name || !strncmp(name, "WholeStageCodegen", 17) || !strncmp(name, "InputAdapter", 12)) return;
  unsigned m = classify(name, sic_str(app, nd->simple_string));
  for (int i = 0; i < OP__COUNT; i++)
    if (m & (1u << i)) c->n[i] += 1;
  c->total += 1;
}

/* Tie plan nodes to stages through the SQL metrics' accumulator ids that the stage reported;
 * stages of a SQL execution without such ties get the whole plan's counts. */
static int plan_ops(const sic_app *app, op_counts *ops) {
  size_t n = 0;
  for (int64_t s = 0; s < app->nstages; s++) n += (size_t)app->stages[s].accums.n;
  accum_stage *as = malloc((n ? n : 1) * sizeof *as);
  int32_t *seen = malloc((size_t)(app->nstages ? app->nstages : 1) * sizeof *seen);
  if (!as || !seen) return free(as), free(seen), SIC_ENOMEM;
  n = 0;
  for (int64_t s = 0; s < app->nstages; s++) {
    seen[s] = -1;
    for (int32_t i = 0; i < app->stages[s].accums.n; i++)
      as[n++] = (accum_stage){app->stage_accums[app->stages[s].accums.off + i].accum_id, (int32_t)s};
  }
  sic_qsort(as, n, sizeof *as, cmp_accum_stage);
  for (int64_t q = 0; q < app->nsqls; q++) {
    const sic_sql *sql = &app->sqls[q];
    for (int32_t k = 0; k < sql->plan.n; k++) {
      int32_t node = sql->plan.off + k;
      const sic_plan_node *nd = &app->plan_nodes[node];
      for (int32_t m = 0; m < nd->metrics.n; m++) {
        accum_stage key = {app->plan_metrics[nd->metrics.off + m].accum_id, 0};
        accum_stage *hit = bsearch(&key, as, n, sizeof *as, cmp_accum_stage);
        while (hit && hit > as && hit[-1].accum_id == key.accum_id) hit--;
        for (; hit && hit < as + n && hit->accum_id == key.accum_id; hit++) {
          if (seen[hit->stage] == node) continue; /* one count per node per stage */
          seen[hit->stage] = node;
          add_node(&ops[hit->stage], app, nd);
          ops[hit->stage].matched = 1;
        }
      }
    }
  }
  for (int64_t s = 0; s < app->nstages; s++) { /* fallback: the whole plan */
    if (ops[s].matched || app->stages[s].sql_execution_id < 0) continue;
    const sic_sql *sql = sic_app_sql(app, app->stages[s].sql_execution_id);
    for (int32_t k = 0; sql && k < sql->plan.n; k++) add_node(&ops[s], app, &app->plan_nodes[sql->plan.off + k]);
  }
  free(as);
  free(seen);
  return 0;
}

/* ---- Per-stage volumes and input skew ---- */

typedef struct stage_io {
  double in_bytes, in_records;          /* read from storage (successful tasks) */
  double sr_bytes, sr_records;          /* shuffle read, remote + local */
  double sw_bytes, sw_records;          /* shuffle written */
  double out_bytes, out_records;        /* written to storage */
  double skew_max_over_median;          /* max / median of per-task bytes read */
  double skew_cv;                       /* coefficient of variation of per-task bytes read */
  double max_task_bytes;                /* largest per-task bytes read (input + shuffle) */
  double blocks;                        /* shuffle blocks fetched, remote + local */
  double result_bytes;                  /* task results sent to the driver */
  double spill_bytes;                   /* memory + disk bytes spilled */
  double peak_mem;                      /* largest per-task peak execution memory */
} stage_io;

static int stage_volumes(const sic_app *app, const sic_stage *st, stage_io *io) {
  memset(io, 0, sizeof *io);
  double *per = malloc((size_t)(st->tasks.n ? st->tasks.n : 1) * sizeof *per);
  if (!per) return SIC_ENOMEM;
  int32_t n = 0;
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = app->stage_task_rows[st->tasks.off + i];
    if (app->tasks.status[r] != SIC_TASK_SUCCESS) continue; /* count each partition once */
    double in = (double)sic_task_metric_get(app, r, SIC_TM_INPUT_BYTES_READ);
    double sr = (double)sic_task_metric_get(app, r, SIC_TM_SR_REMOTE_BYTES_READ) +
                (double)sic_task_metric_get(app, r, SIC_TM_SR_LOCAL_BYTES_READ);
    io->in_bytes += in;
    io->sr_bytes += sr;
    io->in_records += (double)sic_task_metric_get(app, r, SIC_TM_INPUT_RECORDS_READ);
    io->sr_records += (double)sic_task_metric_get(app, r, SIC_TM_SR_RECORDS_READ);
    io->sw_bytes += (double)sic_task_metric_get(app, r, SIC_TM_SW_BYTES_WRITTEN);
    io->sw_records += (double)sic_task_metric_get(app, r, SIC_TM_SW_RECORDS_WRITTEN);
    io->out_bytes += (double)sic_task_metric_get(app, r, SIC_TM_OUTPUT_BYTES_WRITTEN);
    io->out_records += (double)sic_task_metric_get(app, r, SIC_TM_OUTPUT_RECORDS_WRITTEN);
    per[n++] = in + sr;
    io->blocks += (double)sic_task_metric_get(app, r, SIC_TM_SR_REMOTE_BLOCKS_FETCHED) +
                  (double)sic_task_metric_get(app, r, SIC_TM_SR_LOCAL_BLOCKS_FETCHED);
    io->result_bytes += (double)sic_task_metric_get(app, r, SIC_TM_RESULT_SIZE);
    io->spill_bytes += (double)sic_task_metric_get(app, r, SIC_TM_MEMORY_BYTES_SPILLED) +
                       (double)sic_task_metric_get(app, r, SIC_TM_DISK_BYTES_SPILLED);
    io->peak_mem = fmax(io->peak_mem, (double)sic_task_metric_get(app, r, SIC_TM_PEAK_EXECUTION_MEMORY));
  }
  if (n > 0) {
    sic_qsort(per, (size_t)n, sizeof *per, sic_cmp_double);
    double med = per[n / 2], mean = 0, var = 0;
    for (int32_t i = 0; i < n; i++) mean += per[i];
    mean /= n;
    for (int32_t i = 0; i < n; i++) var += (per[i] - mean) * (per[i] - mean);
    io->skew_max_over_median = med > 0 ? per[n - 1] / med : (per[n - 1] > 0 ? 10 : 1);
    io->skew_cv = mean > 0 ? sqrt(var / n) / mean : 0;
    io->max_task_bytes = per[n - 1];
  } else {
    io->skew_max_over_median = io->skew_cv = NAN;
  }
  free(per);
  return 0;
}

/* ---- Rows ---- */

/* Latest attempt row of each stage id (stages are sorted by stage id, attempt). */
static int32_t *latest_rows(const sic_app *app, int32_t *n) {
  int32_t *rows = malloc((size_t)(app->nstages ? app->nstages : 1) * sizeof *rows);
  *n = 0;
  if (!rows) return NULL;
  for (int64_t s = 0; s < app->nstages; s++) {
    if (s + 1 < app->nstages && app->stages[s + 1].stage_id == app->stages[s].stage_id) continue;
    rows[(*n)++] = (int32_t)s;
  }
  return rows;
}

static void fill_ops(float *x, const op_counts *c, int has_sql) {
  static const int map[OP__COUNT] = {SF_OP_SCAN, SF_OP_EXCHANGE, SF_OP_BROADCAST, SF_OP_SMJ, SF_OP_BHJ,
                                     SF_OP_SHJ, SF_OP_NLJ, SF_OP_AGGREGATE, SF_OP_SORT, SF_OP_WINDOW,
                                     SF_OP_UDF, SF_OP_FILTER_PROJECT, SF_OP_GPU};
  for (int i = 0; i < OP__COUNT; i++) x[map[i]] = c->n[i];
  x[SF_OP_TOTAL] = c->total;
  x[SF_PLAN_MATCHED] = has_sql ? (float)c->matched : NAN;
  x[SF_HAS_SQL] = (float)has_sql;
}

typedef struct build_ctx {
  const sic_app *app;                   /* the model read */
  const sic_ml_whatif *wi;              /* what-if overrides */
  app_settings set;                     /* configuration read once */
  op_counts *ops;                       /* per stage row of app->stages */
  int32_t *row_of;                      /* app->stages row -> row in out->stages, -1 */
  int32_t *job_first_ran;               /* per app->jobs row: smallest stage id that ran (jobs_first_ran) */
  int64_t t0;                           /* app start time (ms epoch), -1 */
} build_ctx;

/* Executors and total cores of a what-if (unchanged when the what-if does not set them). */
static void whatif_slots(const sic_ml_whatif *wi, int execs, int cores, int *wi_execs, int *wi_cores) {
  *wi_execs = execs;
  *wi_cores = cores;
  if (wi && wi->executors > 0) {
    *wi_cores = (int)((double)cores / execs * wi->executors + 0.5); /* same cores per executor */
    *wi_execs = wi->executors;
  }
  if (wi && wi->cores > 0) *wi_cores = wi->cores * *wi_execs;
  if (*wi_cores < 1) *wi_cores = 1;
}

/* Per job (row of app->jobs): the smallest id among its stages that ran (had tasks), INT32_MAX
 * when none did. One pass over the jobs' stage lists, so job_position stays linear. */
static int32_t *jobs_first_ran(const sic_app *app) {
  int32_t *first = malloc((size_t)(app->njobs ? app->njobs : 1) * sizeof *first);
  for (int64_t j = 0; first && j < app->njobs; j++) {
    first[j] = INT32_MAX;
    for (int32_t q = 0; q < app->jobs[j].stage_ids.n; q++) {
      int32_t sid = app->ints[app->jobs[j].stage_ids.off + q];
      const sic_stage *st = sid < first[j] ? sic_app_stage_latest(app, sid) : NULL;
      if (st && st->tasks.n > 0) first[j] = sid;
    }
  }
  return first;
}

/* Whether the stage is the first of its job(s) to run (it then pays the job's scheduling and
 * the driver's planning, which later stages overlap), and how many stages its jobs have. */
static void job_position(const sic_app *app, const int32_t *first_ran, const sic_stage *st, float *first,
                         float *log_stages) {
  int is_first = 1, nstages = 0;
  for (int32_t k = 0; k < st->jobs.n; k++) {
    const sic_job *job = sic_app_job(app, app->ints[st->jobs.off + k]);
    if (!job) continue;
    nstages += job->stage_ids.n;
    if (first_ran[job - app->jobs] < st->stage_id) is_first = 0; /* an earlier stage of the job ran */
  }
  *first = st->jobs.n ? (float)is_first : NAN;
  *log_stages = st->jobs.n ? (float)log1p(nstages) : NAN;
}

static int stage_row(build_ctx *c, const sic_stage *st, sic_ml_stage_row *r) {
  const sic_app *app = c->app;
  double scale = c->wi && c->wi->input_scale > 0 ? c->wi->input_scale : 1;
  stage_io io;
  if (stage_volumes(app, st, &io)) return SIC_ENOMEM;
  io.in_bytes *= scale, io.in_records *= scale, io.sr_bytes *= scale, io.sr_records *= scale;
  io.sw_bytes *= scale, io.sw_records *= scale, io.out_bytes *= scale, io.out_records *= scale;
  int tasks = st->num_tasks > 0 ? st->num_tasks : (int)st->tasks.n;
  /* input splits grow with the input; shuffle partitions are a setting and do not */
  if (scale != 1 && io.in_bytes > 0 && io.sr_bytes == 0) tasks = (int)ceil(tasks * scale);
  int execs, cores, wi_execs, wi_cores;
  slots_at(app, &c->set, st->submission_time, &execs, &cores);
  whatif_slots(c->wi, execs, cores, &wi_execs, &wi_cores);
  int nt = tasks > 0 ? tasks : 1;
  r->wave_scale = ceil((double)nt / wi_cores) / ceil((double)nt / cores);
  float *x = r->x;
  double bytes = io.in_bytes + io.sr_bytes;
  x[SF_LOG_INPUT_BYTES] = (float)log1p(io.in_bytes);
  x[SF_LOG_INPUT_RECORDS] = (float)log1p(io.in_records);
  x[SF_LOG_SHUFFLE_READ_BYTES] = (float)log1p(io.sr_bytes);
  x[SF_LOG_SHUFFLE_READ_RECORDS] = (float)log1p(io.sr_records);
  x[SF_LOG_SHUFFLE_WRITE_BYTES] = (float)log1p(io.sw_bytes);
  x[SF_LOG_SHUFFLE_WRITE_RECORDS] = (float)log1p(io.sw_records);
  x[SF_LOG_OUTPUT_BYTES] = (float)log1p(io.out_bytes);
  x[SF_LOG_OUTPUT_RECORDS] = (float)log1p(io.out_records);
  x[SF_LOG_TASKS] = (float)log1p(tasks);
  x[SF_LOG_BYTES_PER_TASK] = (float)log1p(bytes / (tasks > 0 ? tasks : 1));
  x[SF_SKEW_MAX_OVER_MEDIAN] = (float)io.skew_max_over_median;
  x[SF_SKEW_CV] = (float)io.skew_cv;
  x[SF_EXECUTORS] = (float)execs;
  x[SF_CORES_PER_EXECUTOR] = (float)cores / (float)execs;
  x[SF_LOG_SLOTS] = (float)log1p(cores);
  x[SF_WAVES] = (float)ceil((double)tasks / cores);
  x[SF_LOG_BYTES_PER_SLOT] = (float)log1p(bytes / cores);
  x[SF_IS_SHUFFLE_MAP] = (float)st->is_shuffle_map;
  x[SF_CODEC] = c->set.codec;
  x[SF_KRYO] = c->set.kryo;
  x[SF_AQE] = c->set.aqe;
  x[SF_LOG_SHUFFLE_PARTITIONS] = c->set.log_shuffle_partitions;
  x[SF_LOG_EXECUTOR_MEMORY_MB] = c->set.log_executor_memory_mb;
  x[SF_SPARK_VERSION] = c->set.spark_version;
  x[SF_STAGE_ATTEMPT] = (float)st->attempt_id;
  x[SF_NUM_RDDS] = (float)st->rdds.n;
  x[SF_IS_LOCAL] = (float)c->set.is_local;
  x[SF_LOG_RECORDS_PER_TASK] = (float)log1p((io.in_records + io.sr_records) / nt);
  x[SF_LOG_BLOCKS_PER_TASK] = (float)log1p(io.blocks / nt);
  x[SF_LOG_MAX_TASK_BYTES] = (float)log1p(io.max_task_bytes * scale);
  x[SF_LOG_RESULT_BYTES] = (float)log1p(io.result_bytes * scale);
  x[SF_LOG_SPILL_BYTES] = (float)log1p(io.spill_bytes * scale);
  x[SF_LOG_PEAK_MEM_PER_TASK] = (float)log1p(io.peak_mem);
  x[SF_SLOT_FILL] = (float)((nt < cores ? nt : cores) / (double)cores);
  x[SF_LOG_TASKS_PER_EXECUTOR] = (float)log1p((double)nt / execs);
  job_position(app, c->job_first_ran, st, &x[SF_FIRST_IN_JOB], &x[SF_LOG_STAGES_IN_JOB]);
  fill_ops(x, &c->ops[st - app->stages], st->sql_execution_id >= 0);
  r->stage_id = st->stage_id;
  r->attempt_id = st->attempt_id;
  r->num_tasks = tasks;
  int timed = st->submission_time > 0 && st->completion_time >= st->submission_time;
  r->duration_ms = timed ? (double)(st->completion_time - st->submission_time) : -1;
  r->submit_ms = timed && c->t0 > 0 ? (double)(st->submission_time - c->t0) : -1;
  r->usable = timed && st->status == SIC_STAGE_COMPLETE && st->tasks.n > 0;
  return 0;
}

/* Parents (rows in out->stages) and DAG depth; parents always have smaller stage ids. */
static int link_parents(build_ctx *c, const int32_t *rows, sic_ml_app *out) {
  const sic_app *app = c->app;
  size_t cap = 0;
  for (int32_t i = 0; i < out->nstages; i++) cap += (size_t)app->stages[rows[i]].parents.n;
  out->parents = malloc((cap ? cap : 1) * sizeof *out->parents);
  if (!out->parents) return SIC_ENOMEM;
  int32_t used = 0;
  for (int32_t i = 0; i < out->nstages; i++) {
    const sic_stage *st = &app->stages[rows[i]];
    sic_ml_stage_row *r = &out->stages[i];
    float depth = 0;
    r->parent_first = used;
    for (int32_t k = 0; k < st->parents.n; k++) {
      const sic_stage *p = sic_app_stage_latest(app, app->ints[st->parents.off + k]);
      int32_t pr = p ? c->row_of[p - app->stages] : -1;
      if (pr < 0 || pr >= i) continue;
      out->parents[used++] = pr;
      if (out->stages[pr].x[SF_DAG_DEPTH] + 1 > depth) depth = out->stages[pr].x[SF_DAG_DEPTH] + 1;
    }
    r->nparents = used - r->parent_first;
    r->x[SF_DAG_DEPTH] = depth;
    r->x[SF_NUM_PARENTS] = (float)r->nparents;
  }
  return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* Covered time of the stages: the union of their [submit, submit + duration] intervals. */
static int cmp_interval(const void *a, const void *b) {
  const double *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

static double stage_union_ms(const sic_ml_app *a) {
  double *iv = malloc((size_t)(a->nstages ? a->nstages : 1) * 2 * sizeof *iv);
  int32_t n = 0;
  if (!iv) return 0;
  for (int32_t i = 0; i < a->nstages; i++)
    if (a->stages[i].submit_ms >= 0) {
      iv[2 * n] = a->stages[i].submit_ms;
      iv[2 * n + 1] = a->stages[i].submit_ms + a->stages[i].duration_ms;
      n++;
    }
  sic_qsort(iv, (size_t)n, 2 * sizeof *iv, cmp_interval);
  double total = 0, lo = 0, hi = -1;
  for (int32_t i = 0; i < n; i++) {
    if (iv[2 * i] > hi) {
      if (hi > lo) total += hi - lo;
      lo = iv[2 * i];
      hi = iv[2 * i + 1];
    } else if (iv[2 * i + 1] > hi) {
      hi = iv[2 * i + 1];
    }
  }
  if (hi > lo) total += hi - lo;
  free(iv);
  return total;
}

static void app_features(build_ctx *c, sic_ml_app *a) {
  const sic_app *app = c->app;
  float *x = a->x;
  double in = 0, sr = 0, sw = 0, out = 0, tasks = 0, waves = 0, maxdepth = 0, execs = 0, cpe = 0;
  float ops[8] = {0};
  for (int32_t i = 0; i < a->nstages; i++) {
    const float *s = a->stages[i].x;
    in += expm1(s[SF_LOG_INPUT_BYTES]), sr += expm1(s[SF_LOG_SHUFFLE_READ_BYTES]);
    sw += expm1(s[SF_LOG_SHUFFLE_WRITE_BYTES]), out += expm1(s[SF_LOG_OUTPUT_BYTES]);
    tasks += a->stages[i].num_tasks;
    waves += s[SF_WAVES] * a->stages[i].wave_scale;
    if (s[SF_DAG_DEPTH] > maxdepth) maxdepth = s[SF_DAG_DEPTH];
    if (s[SF_EXECUTORS] > execs) execs = s[SF_EXECUTORS], cpe = s[SF_CORES_PER_EXECUTOR];
  }
  op_counts all = {0}; /* whole plans, once per SQL execution */
  for (int64_t q = 0; q < app->nsqls; q++)
    for (int32_t k = 0; k < app->sqls[q].plan.n; k++) add_node(&all, app, &app->plan_nodes[app->sqls[q].plan.off + k]);
  ops[0] = all.n[OP_SCAN], ops[1] = all.n[OP_EXCHANGE] + all.n[OP_BROADCAST];
  ops[2] = all.n[OP_SMJ] + all.n[OP_BHJ] + all.n[OP_SHJ] + all.n[OP_NLJ], ops[3] = all.n[OP_AGG];
  ops[4] = all.n[OP_SORT], ops[5] = all.n[OP_WINDOW], ops[6] = all.n[OP_UDF], ops[7] = all.n[OP_GPU];
  if (execs == 0) { /* no stages: what the cluster had at the start */
    int e, co;
    slots_at(app, &c->set, -1, &e, &co);
    execs = e, cpe = (double)co / e;
  }
  int wi_execs, wi_cores; /* stage rows keep the logged cluster; the app row takes the what-if */
  whatif_slots(c->wi, (int)execs, (int)(execs * cpe + 0.5), &wi_execs, &wi_cores);
  execs = wi_execs, cpe = (double)wi_cores / wi_execs;
  x[AF_LOG_INPUT_BYTES] = (float)log1p(in), x[AF_LOG_SHUFFLE_READ_BYTES] = (float)log1p(sr);
  x[AF_LOG_SHUFFLE_WRITE_BYTES] = (float)log1p(sw), x[AF_LOG_OUTPUT_BYTES] = (float)log1p(out);
  x[AF_LOG_TASKS] = (float)log1p(tasks), x[AF_LOG_STAGES] = (float)log1p(a->nstages);
  x[AF_LOG_JOBS] = (float)log1p((double)app->njobs), x[AF_MAX_DAG_DEPTH] = (float)maxdepth;
  x[AF_EXECUTORS] = (float)execs, x[AF_CORES_PER_EXECUTOR] = (float)cpe;
  x[AF_LOG_SLOTS] = (float)log1p(execs * cpe), x[AF_WAVES] = (float)waves;
  for (int i = 0; i < 8; i++) x[AF_OP_SCAN + i] = ops[i];
  x[AF_CODEC] = c->set.codec, x[AF_KRYO] = c->set.kryo, x[AF_AQE] = c->set.aqe;
  x[AF_LOG_SHUFFLE_PARTITIONS] = c->set.log_shuffle_partitions;
  x[AF_LOG_EXECUTOR_MEMORY_MB] = c->set.log_executor_memory_mb;
  x[AF_SPARK_VERSION] = c->set.spark_version;
  x[AF_JOB_IDENTITY] = (float)((double)(fnv(1469598103934665603ull, a->app_name, strlen(a->app_name)) >> 40) /
                               (double)(1ull << 24));
  x[AF_LOG_SQLS] = (float)log1p((double)app->nsqls);
  x[AF_HIST_LOG_RUNTIME] = c->wi && c->wi->history_ms > 0 ? (float)log(c->wi->history_ms) : NAN;
  a->slots = (int32_t)(execs * cpe + 0.5);
  if (a->slots < 1) a->slots = 1;
  a->input_bytes = in + sr;
}

static int build_rows(build_ctx *c, sic_ml_app *out) {
  const sic_app *app = c->app;
  int32_t n = 0;
  int32_t *rows = latest_rows(app, &n);
  c->ops = calloc((size_t)(app->nstages ? app->nstages : 1), sizeof *c->ops);
  c->row_of = malloc((size_t)(app->nstages ? app->nstages : 1) * sizeof *c->row_of);
  c->job_first_ran = jobs_first_ran(app);
  out->stages = calloc((size_t)(n ? n : 1), sizeof *out->stages);
  int rc = SIC_ENOMEM;
  if (!rows || !c->ops || !c->row_of || !c->job_first_ran || !out->stages || plan_ops(app, c->ops)) goto done;
  out->nstages = n;
  for (int64_t s = 0; s < app->nstages; s++) c->row_of[s] = -1;
  for (int32_t i = 0; i < n; i++) c->row_of[rows[i]] = i;
  for (int32_t i = 0; i < n; i++)
    if (stage_row(c, &app->stages[rows[i]], &out->stages[i])) goto done;
  rc = link_parents(c, rows, out);
done:
  free(rows);
  free(c->ops);
  free(c->row_of);
  free(c->job_first_ran);
  return rc;
}

int sic_ml_app_build(const sic_app *app, const sic_ml_whatif *wi, sic_ml_app *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  build_ctx c = {.app = app, .wi = wi, .t0 = app->start_time > 0 ? app->start_time : app->first_event_time};
  read_settings(app, &c.set);
  const char *id = sic_str(app, app->app_id), *name = sic_str(app, app->name);
  out->app_id = strdup(id ? id : sic_str(app, app->source_path) ? sic_str(app, app->source_path) : "?");
  out->app_name = strdup(name ? name : "");
  if (!out->app_id || !out->app_name || build_rows(&c, out)) {
    sic_ml_app_free(out);
    return sic_err_set(err, SIC_ENOMEM, "out of memory building features");
  }
  app_features(&c, out);
  int64_t end = app->end_time > 0 ? app->end_time : -1;
  out->runtime_ms = end > 0 && c.t0 > 0 && end >= c.t0 ? (double)(end - c.t0) : -1;
  out->start_ms = c.t0 > 0 ? c.t0 : -1;
  double covered = stage_union_ms(out);
  out->driver_ms = out->runtime_ms > covered ? out->runtime_ms - covered : 0;
  /* CV group: copies of one log and repeated runs of one job (same name and shape) must land
   * in the same fold, or CV would score the model on runs it has effectively seen */
  int64_t ntasks = app->tasks.n;
  uint64_t h = fnv(1469598103934665603ull, out->app_name, strlen(out->app_name));
  h = fnv(h, &app->nstages, sizeof app->nstages);
  out->group = fnv(h, &ntasks, sizeof ntasks);
  return 0;
}

void sic_ml_app_free(sic_ml_app *a) {
  if (!a) return;
  free(a->app_id);
  free(a->app_name);
  free(a->stages);
  free(a->parents);
  memset(a, 0, sizeof *a);
}

void sic_ml_fill_history(sic_ml_app *apps, int32_t n) {
  double *prev = malloc(((size_t)n + 1) * sizeof *prev);
  for (int32_t i = 0; i < n; i++) {
    int32_t k = 0;
    for (int32_t j = 0; prev && j < n; j++)
      if (j != i && apps[j].runtime_ms > 0 && apps[j].start_ms >= 0 && apps[j].start_ms < apps[i].start_ms &&
          !strcmp(apps[j].app_name, apps[i].app_name))
        prev[k++] = apps[j].runtime_ms;
    if (k == 0) {
      apps[i].x[AF_HIST_LOG_RUNTIME] = NAN;
      continue;
    }
    sic_qsort(prev, (size_t)k, sizeof *prev, sic_cmp_double);
    double med = k % 2 ? prev[k / 2] : (prev[k / 2 - 1] + prev[k / 2]) / 2;
    apps[i].x[AF_HIST_LOG_RUNTIME] = (float)log(med);
  }
  free(prev);
}
