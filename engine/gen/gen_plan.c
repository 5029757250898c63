/* Example generator: SQL executions - physical plans (sparkPlanInfo), their SQL metric
 * accumulators, driver-side metric updates and the AQE final-plan update.
 *
 * Plans are tables of nodes in pre-order with their depth, so the tree is plain data; every
 * metric says which stage role's tasks update it and how its value follows from the task's
 * metrics, which keeps plan metrics consistent with the task metrics written for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_internal.h"

/* How a SQL metric's per-task update is derived from the task's metrics. */
enum {
  SRC_ZERO = 0, SRC_ONE, SRC_IN_ROWS, SRC_IN_ROWS_KEPT, SRC_BATCHES, SRC_SCAN_TIME, SRC_WSCG_TIME,
  SRC_SW_BYTES, SRC_SW_RECORDS, SRC_SW_TIME, SRC_DATA_SIZE, SRC_SR_REMOTE_BLOCKS, SRC_SR_LOCAL_BLOCKS,
  SRC_SR_REMOTE_BYTES, SRC_SR_LOCAL_BYTES, SRC_SR_TO_DISK, SRC_SR_FETCH_WAIT, SRC_SR_RECORDS,
  SRC_SORT_TIME, SRC_PEAK_MEM, SRC_SPILL, SRC_JOIN_ROWS, SRC_AGG_TIME, SRC_OUT_ROWS, SRC_OUT_BYTES,
  SRC_COMMIT_TIME,
  /* driver-side values */
  SRC_DRV_FILES, SRC_DRV_FILE_BYTES, SRC_DRV_META_TIME, SRC_DRV_ONE, SRC_DRV_PARTITIONS,
  SRC_DRV_COMMIT_TIME
};

enum { DRIVER_SCAN = -1, DRIVER_COMMIT = -2 }; /* driver metric phases (role field) */

typedef struct metric_def {
  const char *name;          /* "name" */
  const char *type;          /* "metricType" */
  int source;                /* SRC_* */
  int role;                  /* gen_role of the updating tasks, or DRIVER_* */
  int scan_role;             /* for driver scan metrics: the role whose files are counted */
} metric_def;

typedef struct plan_node {
  int depth;                 /* 0 = root */
  const char *name;          /* "nodeName" */
  const char *simple;        /* "simpleString" */
  int query_stage;           /* Exchange: its ShuffleQueryStage id in the final plan, -1 */
  const char *metadata;      /* "metadata" object as JSON text, NULL = {} */
  metric_def metrics[8];     /* terminated by name == NULL */
} plan_node;

#define R_SO GEN_ROLE_SCAN_ORDERS
#define R_SC GEN_ROLE_SCAN_CUSTOMERS
#define R_J GEN_ROLE_JOIN
#define R_F GEN_ROLE_FINAL
#define R_T GEN_ROLE_TINY
#define R_C GEN_ROLE_COUNT
#define R_X GEN_ROLE_FAILING

#define WRITE_METRICS(role)                                                                     \
  {{"number of written files", "sum", SRC_ONE, role, 0},                                       \
   {"written output", "size", SRC_OUT_BYTES, role, 0},                                         \
   {"number of output rows", "sum", SRC_OUT_ROWS, role, 0},                                    \
   {"number of dynamic part", "sum", SRC_DRV_ONE, DRIVER_COMMIT, 0},                           \
   {"task commit time", "timing", SRC_COMMIT_TIME, role, 0},                                   \
   {"job commit time", "timing", SRC_DRV_COMMIT_TIME, DRIVER_COMMIT, 0}}
#define EXCHANGE_METRICS(map, reduce)                                                           \
  {{"shuffle records written", "sum", SRC_SW_RECORDS, map, 0},                                 \
   {"shuffle write time", "nsTiming", SRC_SW_TIME, map, 0},                                    \
   {"records read", "sum", SRC_SR_RECORDS, reduce, 0},                                         \
   {"local bytes read", "size", SRC_SR_LOCAL_BYTES, reduce, 0},                                \
   {"fetch wait time", "timing", SRC_SR_FETCH_WAIT, reduce, 0},                                \
   {"remote bytes read", "size", SRC_SR_REMOTE_BYTES, reduce, 0},                              \
   {"local blocks read", "sum", SRC_SR_LOCAL_BLOCKS, reduce, 0},                               \
   {"remote blocks read", "sum", SRC_SR_REMOTE_BLOCKS, reduce, 0}}
#define SCAN_METRICS(role)                                                                      \
  {{"number of files read", "sum", SRC_DRV_FILES, DRIVER_SCAN, role},                          \
   {"scan time", "timing", SRC_SCAN_TIME, role, 0},                                            \
   {"metadata time", "timing", SRC_DRV_META_TIME, DRIVER_SCAN, role},                          \
   {"size of files read", "size", SRC_DRV_FILE_BYTES, DRIVER_SCAN, role},                      \
   {"number of output rows", "sum", SRC_IN_ROWS, role, 0},                                     \
   {"number of partitions read", "sum", SRC_DRV_ONE, DRIVER_SCAN, role}}
#define WSCG(n, role) {{"duration", "timing", SRC_WSCG_TIME, role, 0}}
#define SORT_METRICS(role)                                                                      \
  {{"sort time", "timing", SRC_SORT_TIME, role, 0},                                            \
   {"peak memory", "size", SRC_PEAK_MEM, role, 0},                                             \
   {"spill size", "size", SRC_SPILL, role, 0}}
#define C2R_METRICS(role)                                                                       \
  {{"number of output rows", "sum", SRC_IN_ROWS, role, 0},                                     \
   {"number of input batches", "sum", SRC_BATCHES, role, 0}}

static const char orders_meta[] =
    "{\"Location\":\"InMemoryFileIndex(1 paths)[s3a://acme-lake/warehouse/sales.db/orders]\","
    "\"ReadSchema\":\"struct<order_id:bigint,customer_id:bigint,amount:decimal(12,2),order_date:date>\","
    "\"Format\":\"Parquet\",\"Batched\":\"true\",\"PartitionFilters\":\"[isnotnull(order_date#18), "
    "(order_date#18 >= 2024-11-24)]\",\"PushedFilters\":\"[IsNotNull(customer_id)]\","
    "\"DataFilters\":\"[isnotnull(customer_id#20L)]\"}";
static const char customers_meta[] =
    "{\"Location\":\"InMemoryFileIndex(1 paths)[s3a://acme-lake/warehouse/crm.db/customers]\","
    "\"ReadSchema\":\"struct<customer_id:bigint,region:string>\",\"Format\":\"Parquet\","
    "\"Batched\":\"true\",\"PartitionFilters\":\"[]\",\"PushedFilters\":\"[IsNotNull(customer_id)]\","
    "\"DataFilters\":\"[isnotnull(customer_id#35L)]\"}";
static const char clicks_meta[] =
    "{\"Location\":\"InMemoryFileIndex(1 paths)[s3a://acme-lake/raw/clickstream/dt=2024-11-24]\","
    "\"ReadSchema\":\"struct<>\",\"Format\":\"JSON\",\"Batched\":\"false\",\"PartitionFilters\":\"[]\","
    "\"PushedFilters\":\"[]\",\"DataFilters\":\"[]\"}";
static const char refunds_meta[] =
    "{\"Location\":\"InMemoryFileIndex(1 paths)[s3a://acme-lake/staging/refunds_raw]\","
    "\"ReadSchema\":\"struct<refund_id:bigint,order_id:bigint,amount_str:string>\",\"Format\":\"Parquet\","
    "\"Batched\":\"true\",\"PartitionFilters\":\"[]\",\"PushedFilters\":\"[]\",\"DataFilters\":\"[]\"}";

static const plan_node etl_plan[] = {
    {0, "Execute InsertIntoHadoopFsRelationCommand",
     "Execute InsertIntoHadoopFsRelationCommand s3a://acme-lake/warehouse/sales.db/daily_revenue, false, "
     "[order_date#18], Parquet, [path=s3a://acme-lake/warehouse/sales.db/daily_revenue], Overwrite, "
     "`spark_catalog`.`sales`.`daily_revenue`, [region, revenue, orders, order_date]",
     -1, NULL, WRITE_METRICS(R_F)},
    {1, "WriteFiles", "WriteFiles", -1, NULL, {{0}}},
    {2, "AdaptiveSparkPlan", "AdaptiveSparkPlan isFinalPlan=false", -1, NULL, {{0}}},
    {3, "WholeStageCodegen (6)", "WholeStageCodegen (6)", -1, NULL, WSCG(6, R_F)},
    {4, "Sort", "Sort [order_date#18 ASC NULLS FIRST], false, 0", -1, NULL, SORT_METRICS(R_F)},
    {5, "HashAggregate", "HashAggregate(keys=[region#40, order_date#18], functions=[sum(amount#21), count(1)])",
     -1, NULL,
     {{"spill size", "size", SRC_ZERO, R_F, 0},
      {"time in aggregation build", "timing", SRC_AGG_TIME, R_F, 0},
      {"peak memory", "size", SRC_PEAK_MEM, R_F, 0},
      {"number of output rows", "sum", SRC_OUT_ROWS, R_F, 0},
      {"number of sort fallback tasks", "sum", SRC_ZERO, R_F, 0}}},
    {6, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {7, "Exchange", "Exchange hashpartitioning(region#40, order_date#18, 200), ENSURE_REQUIREMENTS, [plan_id=212]",
     2, NULL, EXCHANGE_METRICS(R_J, R_F)},
    {8, "WholeStageCodegen (5)", "WholeStageCodegen (5)", -1, NULL, WSCG(5, R_J)},
    {9, "HashAggregate",
     "HashAggregate(keys=[region#40, order_date#18], functions=[partial_sum(amount#21), partial_count(1)])", -1,
     NULL,
     {{"time in aggregation build", "timing", SRC_AGG_TIME, R_J, 0},
      {"peak memory", "size", SRC_PEAK_MEM, R_J, 0},
      {"number of output rows", "sum", SRC_SW_RECORDS, R_J, 0}}},
    {10, "Project", "Project [amount#21, order_date#18, region#40]", -1, NULL, {{0}}},
    {11, "SortMergeJoin", "SortMergeJoin [customer_id#20L], [customer_id#35L], Inner", -1, NULL,
     {{"number of output rows", "sum", SRC_JOIN_ROWS, R_J, 0}, {"spill size", "size", SRC_SPILL, R_J, 0}}},
    {12, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {13, "WholeStageCodegen (2)", "WholeStageCodegen (2)", -1, NULL, WSCG(2, R_J)},
    {14, "Sort", "Sort [customer_id#20L ASC NULLS FIRST], false, 0", -1, NULL, SORT_METRICS(R_J)},
    {15, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {16, "Exchange", "Exchange hashpartitioning(customer_id#20L, 200), ENSURE_REQUIREMENTS, [plan_id=170]", 0,
     NULL, EXCHANGE_METRICS(R_SO, R_J)},
    {17, "WholeStageCodegen (1)", "WholeStageCodegen (1)", -1, NULL, WSCG(1, R_SO)},
    {18, "Filter", "Filter isnotnull(customer_id#20L)", -1, NULL,
     {{"number of output rows", "sum", SRC_IN_ROWS_KEPT, R_SO, 0}}},
    {19, "ColumnarToRow", "ColumnarToRow", -1, NULL, C2R_METRICS(R_SO)},
    {20, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {21, "Scan parquet spark_catalog.sales.orders",
     "FileScan parquet spark_catalog.sales.orders[customer_id#20L,amount#21,order_date#18] Batched: true, "
     "DataFilters: [isnotnull(customer_id#20L)], Format: Parquet, Location: InMemoryFileIndex(1 "
     "paths)[s3a://acme-lake/warehouse/sales.db/orders], PartitionFilters: [isnotnull(order_date#18), "
     "(order_date#18 >= 2024-11-24)], PushedFilters: [IsNotNull(customer_id)], ReadSchema: "
     "struct<customer_id:bigint,amount:decimal(12,2)>",
     -1, orders_meta, SCAN_METRICS(R_SO)},
    {12, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {13, "WholeStageCodegen (4)", "WholeStageCodegen (4)", -1, NULL, WSCG(4, R_J)},
    {14, "Sort", "Sort [customer_id#35L ASC NULLS FIRST], false, 0", -1, NULL, SORT_METRICS(R_J)},
    {15, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {16, "Exchange", "Exchange hashpartitioning(customer_id#35L, 200), ENSURE_REQUIREMENTS, [plan_id=181]", 1,
     NULL, EXCHANGE_METRICS(R_SC, R_J)},
    {17, "WholeStageCodegen (3)", "WholeStageCodegen (3)", -1, NULL, WSCG(3, R_SC)},
    {18, "Filter", "Filter isnotnull(customer_id#35L)", -1, NULL,
     {{"number of output rows", "sum", SRC_IN_ROWS_KEPT, R_SC, 0}}},
    {19, "ColumnarToRow", "ColumnarToRow", -1, NULL, C2R_METRICS(R_SC)},
    {20, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {21, "Scan parquet spark_catalog.crm.customers",
     "FileScan parquet spark_catalog.crm.customers[customer_id#35L,region#40] Batched: true, DataFilters: "
     "[isnotnull(customer_id#35L)], Format: Parquet, Location: InMemoryFileIndex(1 "
     "paths)[s3a://acme-lake/warehouse/crm.db/customers], PartitionFilters: [], PushedFilters: "
     "[IsNotNull(customer_id)], ReadSchema: struct<customer_id:bigint,region:string>",
     -1, customers_meta, SCAN_METRICS(R_SC)},
};

static const plan_node count_plan[] = {
    {0, "AdaptiveSparkPlan", "AdaptiveSparkPlan isFinalPlan=false", -1, NULL, {{0}}},
    {1, "WholeStageCodegen (2)", "WholeStageCodegen (2)", -1, NULL, WSCG(2, R_C)},
    {2, "HashAggregate", "HashAggregate(keys=[], functions=[count(1)])", -1, NULL,
     {{"time in aggregation build", "timing", SRC_AGG_TIME, R_C, 0},
      {"number of output rows", "sum", SRC_ONE, R_C, 0}}},
    {3, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {4, "Exchange", "Exchange SinglePartition, ENSURE_REQUIREMENTS, [plan_id=301]", 0, NULL,
     EXCHANGE_METRICS(R_T, R_C)},
    {5, "WholeStageCodegen (1)", "WholeStageCodegen (1)", -1, NULL, WSCG(1, R_T)},
    {6, "HashAggregate", "HashAggregate(keys=[], functions=[partial_count(1)])", -1, NULL,
     {{"time in aggregation build", "timing", SRC_AGG_TIME, R_T, 0},
      {"number of output rows", "sum", SRC_ONE, R_T, 0}}},
    {7, "Project", "Project", -1, NULL, {{0}}},
    {8, "Scan json ",
     "FileScan json [] Batched: false, DataFilters: [], Format: JSON, Location: InMemoryFileIndex(1 "
     "paths)[s3a://acme-lake/raw/clickstream/dt=2024-11-24], PartitionFilters: [], PushedFilters: [], "
     "ReadSchema: struct<>",
     -1, clicks_meta,
     {{"number of output rows", "sum", SRC_IN_ROWS, R_T, 0},
      {"number of files read", "sum", SRC_DRV_FILES, DRIVER_SCAN, R_T},
      {"metadata time", "timing", SRC_DRV_META_TIME, DRIVER_SCAN, R_T},
      {"size of files read", "size", SRC_DRV_FILE_BYTES, DRIVER_SCAN, R_T}}},
};

static const plan_node failing_plan[] = {
    {0, "Execute InsertIntoHadoopFsRelationCommand",
     "Execute InsertIntoHadoopFsRelationCommand s3a://acme-lake/warehouse/sales.db/refunds, false, Parquet, "
     "[path=s3a://acme-lake/warehouse/sales.db/refunds], Append, `spark_catalog`.`sales`.`refunds`, "
     "[refund_id, amount, order_id]",
     -1, NULL, WRITE_METRICS(R_X)},
    {1, "WriteFiles", "WriteFiles", -1, NULL, {{0}}},
    {2, "WholeStageCodegen (1)", "WholeStageCodegen (1)", -1, NULL, WSCG(1, R_X)},
    {3, "Project", "Project [refund_id#90L, cast(amount_str#92 as decimal(12,2)) AS amount#97, order_id#91L]",
     -1, NULL, {{0}}},
    {4, "ColumnarToRow", "ColumnarToRow", -1, NULL, C2R_METRICS(R_X)},
    {5, "InputAdapter", "InputAdapter", -1, NULL, {{0}}},
    {6, "Scan parquet spark_catalog.staging.refunds_raw",
     "FileScan parquet spark_catalog.staging.refunds_raw[refund_id#90L,order_id#91L,amount_str#92] Batched: "
     "true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex(1 "
     "paths)[s3a://acme-lake/staging/refunds_raw], PartitionFilters: [], PushedFilters: [], ReadSchema: "
     "struct<refund_id:bigint,order_id:bigint,amount_str:string>",
     -1, refunds_meta, SCAN_METRICS(R_X)},
};

static const struct {
  const plan_node *nodes;    /* pre-order */
  int n;                     /* node count */
} plans[] = {
    [GEN_PLAN_ETL] = {etl_plan, sizeof etl_plan / sizeof etl_plan[0]},
    [GEN_PLAN_COUNT] = {count_plan, sizeof count_plan / sizeof count_plan[0]},
    [GEN_PLAN_FAILING] = {failing_plan, sizeof failing_plan / sizeof failing_plan[0]},
};

static int node_metric_count(const plan_node *n) {
  int k = 0;
  while (k < 8 && n->metrics[k].name) k++;
  return k;
}

int gen_sql_init(gen_app *g, gen_sql *sql, int plan) {
  int total = 0, k = 0;
  sql->plan = plan;
  for (int i = 0; i < plans[plan].n; i++) total += node_metric_count(&plans[plan].nodes[i]);
  sql->metrics = calloc((size_t)total, sizeof *sql->metrics);
  if (!sql->metrics) return SIC_ENOMEM;
  for (int i = 0; i < plans[plan].n; i++) {
    const plan_node *n = &plans[plan].nodes[i];
    for (int j = 0; j < node_metric_count(n); j++, k++) {
      sql->metrics[k].name = n->metrics[j].name;
      sql->metrics[k].type = n->metrics[j].type;
      sql->metrics[k].source = n->metrics[j].source;
      sql->metrics[k].role = n->metrics[j].role;
      sql->metrics[k].accum_id = g->next_accum++;
    }
  }
  sql->nmetrics = total;
  sql->aqe_accum_base = -1;
  return 0;
}

void gen_sql_free(gen_sql *sql) {
  free(sql->metrics);
  sql->metrics = NULL;
}

int64_t gen_sql_metric_value(int source, const gen_metrics *m) {
  const int64_t *v = m->m;
  int64_t run = v[SIC_TM_EXECUTOR_RUN_TIME];
  switch (source) {
  case SRC_ONE: return 1;
  case SRC_IN_ROWS: return v[SIC_TM_INPUT_RECORDS_READ];
  case SRC_IN_ROWS_KEPT: return v[SIC_TM_INPUT_RECORDS_READ] * 98 / 100;
  case SRC_BATCHES: return v[SIC_TM_INPUT_RECORDS_READ] / 4096 + 1;
  case SRC_SCAN_TIME: return run * 35 / 100;
  case SRC_WSCG_TIME: return run * 55 / 100;
  case SRC_SW_BYTES: return v[SIC_TM_SW_BYTES_WRITTEN];
  case SRC_SW_RECORDS: return v[SIC_TM_SW_RECORDS_WRITTEN];
  case SRC_SW_TIME: return v[SIC_TM_SW_WRITE_TIME];
  case SRC_DATA_SIZE: return v[SIC_TM_SW_BYTES_WRITTEN] * 26 / 10;
  case SRC_SR_REMOTE_BLOCKS: return v[SIC_TM_SR_REMOTE_BLOCKS_FETCHED];
  case SRC_SR_LOCAL_BLOCKS: return v[SIC_TM_SR_LOCAL_BLOCKS_FETCHED];
  case SRC_SR_REMOTE_BYTES: return v[SIC_TM_SR_REMOTE_BYTES_READ];
  case SRC_SR_LOCAL_BYTES: return v[SIC_TM_SR_LOCAL_BYTES_READ];
  case SRC_SR_TO_DISK: return v[SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK];
  case SRC_SR_FETCH_WAIT: return v[SIC_TM_SR_FETCH_WAIT_TIME];
  case SRC_SR_RECORDS: return v[SIC_TM_SR_RECORDS_READ];
  case SRC_SORT_TIME: return run * 18 / 100;
  case SRC_PEAK_MEM: return v[SIC_TM_PEAK_EXECUTION_MEMORY];
  case SRC_SPILL: return v[SIC_TM_MEMORY_BYTES_SPILLED];
  case SRC_JOIN_ROWS: return v[SIC_TM_SR_RECORDS_READ] * 6 / 10;
  case SRC_AGG_TIME: return run * 9 / 100;
  case SRC_OUT_ROWS: return v[SIC_TM_OUTPUT_RECORDS_WRITTEN];
  case SRC_OUT_BYTES: return v[SIC_TM_OUTPUT_BYTES_WRITTEN];
  case SRC_COMMIT_TIME: return run / 150 + 4;
  default: return 0;
  }
}

/* One accumulable entry of a SQL metric ("Update"/"Value" are strings for SQL metrics). */
static void sql_accumulable(gen_app *g, const gen_sql_metric *sm, int64_t update, int with_update) {
  char buf[32];
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kint(w, "ID", sm->accum_id);
  sic_jw_kstr(w, "Name", sm->name);
  if (with_update) {
    snprintf(buf, sizeof buf, "%lld", (long long)update);
    sic_jw_kstr(w, "Update", buf);
  }
  snprintf(buf, sizeof buf, "%lld", (long long)*gen_accum_slot(g, sm->accum_id));
  sic_jw_kstr(w, "Value", buf);
  sic_jw_kbool(w, "Internal", 1);
  sic_jw_kbool(w, "Count Failed Values", 1);
  sic_jw_kstr(w, "Metadata", "sql");
  sic_jw_end(w);
}

void gen_sql_task_accums(gen_app *g, const gen_stage *st, const gen_metrics *m, int write) {
  if (st->sql < 0) return;
  gen_sql *sql = &g->sqls[st->sql];
  for (int i = 0; i < sql->nmetrics; i++) {
    const gen_sql_metric *sm = &sql->metrics[i];
    if (sm->role != (int)st->role) continue;
    int64_t v = gen_sql_metric_value(sm->source, m);
    *gen_accum_slot(g, sm->accum_id) += v;
    if (write) sql_accumulable(g, sm, v, 1);
  }
}

void gen_sql_stage_accums(gen_app *g, const gen_stage *st) {
  if (st->sql < 0) return;
  gen_sql *sql = &g->sqls[st->sql];
  for (int i = 0; i < sql->nmetrics; i++)
    if (sql->metrics[i].role == (int)st->role) sql_accumulable(g, &sql->metrics[i], 0, 0);
}

/* ---- plan trees ---- */

/* Index of node i's first metric in gen_sql.metrics. */
static int metric_offset(const plan_node *nodes, int i) {
  int k = 0;
  for (int j = 0; j < i; j++) k += node_metric_count(&nodes[j]);
  return k;
}

static void plan_metric(sic_jw *w, const char *name, int64_t accum_id, const char *type) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "name", name);
  sic_jw_kint(w, "accumulatorId", accum_id);
  sic_jw_kstr(w, "metricType", type);
  sic_jw_end(w);
}

/* The AQEShuffleRead + ShuffleQueryStage pair AQE puts above a materialized exchange. */
static void open_query_stage(gen_app *g, int qs) {
  char simple[48];
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "nodeName", "AQEShuffleRead");
  sic_jw_kstr(w, "simpleString", "AQEShuffleRead coalesced");
  sic_jw_karr(w, "children");
  sic_jw_obj(w);
  snprintf(simple, sizeof simple, "ShuffleQueryStage %d", qs);
  sic_jw_kstr(w, "nodeName", "ShuffleQueryStage");
  sic_jw_kstr(w, "simpleString", simple);
  sic_jw_karr(w, "children");
}

static void close_query_stage(gen_app *g, const gen_sql *sql, int qs) {
  static const char *const names[3] = {"number of partitions", "partition data size",
                                       "number of coalesced partitions"};
  static const char *const types[3] = {"sum", "size", "sum"};
  sic_jw *w = &g->w;
  sic_jw_end(w); /* ShuffleQueryStage children */
  sic_jw_kobj(w, "metadata");
  sic_jw_end(w);
  sic_jw_karr(w, "metrics");
  sic_jw_end(w);
  sic_jw_end(w); /* ShuffleQueryStage */
  sic_jw_end(w); /* AQEShuffleRead children */
  sic_jw_kobj(w, "metadata");
  sic_jw_end(w);
  sic_jw_karr(w, "metrics");
  for (int k = 0; k < 3; k++) plan_metric(w, names[k], sql->aqe_accum_base + qs * 3 + k, types[k]);
  sic_jw_end(w);
  sic_jw_end(w); /* AQEShuffleRead */
}

/* Write node i and its subtree; returns the index after the subtree. */
static int emit_node(gen_app *g, const gen_sql *sql, const plan_node *nodes, int n, int i, int final) {
  const plan_node *node = &nodes[i];
  sic_jw *w = &g->w;
  int wrap = final && node->query_stage >= 0;
  if (wrap) open_query_stage(g, node->query_stage);
  sic_jw_obj(w);
  sic_jw_kstr(w, "nodeName", node->name);
  sic_jw_kstr(w, "simpleString",
              final && !strcmp(node->name, "AdaptiveSparkPlan") ? "AdaptiveSparkPlan isFinalPlan=true" : node->simple);
  sic_jw_karr(w, "children");
  int j = i + 1;
  while (j < n && nodes[j].depth > node->depth) j = emit_node(g, sql, nodes, n, j, final);
  sic_jw_end(w);
  sic_jw_key(w, "metadata");
  if (node->metadata) sic_jw_raw(w, node->metadata, strlen(node->metadata));
  else sic_jw_obj(w), sic_jw_end(w);
  sic_jw_karr(w, "metrics");
  int off = metric_offset(nodes, i);
  for (int k = 0; k < node_metric_count(node); k++)
    plan_metric(w, node->metrics[k].name, sql->metrics[off + k].accum_id, node->metrics[k].type);
  sic_jw_end(w);
  sic_jw_end(w);
  if (wrap) close_query_stage(g, sql, node->query_stage);
  return j;
}

/* "== Physical Plan ==" text in the shape of explain(): operators only, numbered. */
static char *plan_description(const plan_node *nodes, int n, int final) {
  size_t cap = 8192, len = 0;
  char *s = malloc(cap);
  if (!s) return NULL;
  len += snprintf(s, cap, "== Physical Plan ==\n");
  int number = 0, shown = 0;
  for (int i = 0; i < n; i++)
    if (strncmp(nodes[i].name, "WholeStageCodegen", 17) && strcmp(nodes[i].name, "InputAdapter")) number++;
  for (int i = 0; i < n && len + 512 < cap; i++) {
    const plan_node *node = &nodes[i];
    if (!strncmp(node->name, "WholeStageCodegen", 17) || !strcmp(node->name, "InputAdapter")) continue;
    int indent = shown ? node->depth : 0;
    for (int d = 1; d < indent && len + 8 < cap; d++) len += snprintf(s + len, cap - len, "   ");
    len += snprintf(s + len, cap - len, "%s%s%s (%d)\n", shown ? "+- " : "",
                    i > 0 && !strncmp(nodes[i - 1].name, "WholeStageCodegen", 17) ? "* " : "",
                    final && !strcmp(node->name, "AdaptiveSparkPlan") ? "AdaptiveSparkPlan isFinalPlan=true" : node->name,
                    number - shown);
    shown++;
  }
  len += snprintf(s + len, cap - len, "\n\n");
  for (int i = n - 1; i >= 0 && len + 600 < cap; i--) {
    const plan_node *node = &nodes[i];
    if (!strncmp(node->name, "WholeStageCodegen", 17) || !strcmp(node->name, "InputAdapter")) continue;
    len += snprintf(s + len, cap - len, "(%d) %s\n%.400s\n\n", number - (--shown), node->name, node->simple);
  }
  return s;
}

static void plan_info(gen_app *g, const gen_sql *sql, int final) {
  const plan_node *nodes = plans[sql->plan].nodes;
  sic_jw_key(&g->w, "sparkPlanInfo");
  emit_node(g, sql, nodes, plans[sql->plan].n, 0, final);
}

int gen_emit_sql_start(gen_app *g, const gen_sql *sql) {
  static const char details[] =
      "org.apache.spark.sql.DataFrameWriter.save(DataFrameWriter.scala:251)\n"
      "com.acme.etl.NightlyOrders$.main(NightlyOrders.scala:87)\n"
      "com.acme.etl.NightlyOrders.main(NightlyOrders.scala)\n"
      "java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n"
      "org.apache.spark.deploy.SparkSubmit.doRunMain$1(SparkSubmit.scala:1029)";
  char *desc = plan_description(plans[sql->plan].nodes, plans[sql->plan].n, 0);
  if (!desc) return SIC_ENOMEM;
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_kint(w, "rootExecutionId", sql->id);
  sic_jw_kstr(w, "description", sql->description);
  sic_jw_kstr(w, "details", details);
  sic_jw_kstr(w, "physicalPlanDescription", desc);
  plan_info(g, sql, 0);
  sic_jw_kint(w, "time", sql->start);
  sic_jw_kobj(w, "modifiedConfigs");
  sic_jw_end(w);
  sic_jw_karr(w, "jobTags");
  sic_jw_end(w);
  sic_jw_end(w);
  free(desc);
  return gen_write_line(g);
}

int gen_emit_sql_end(gen_app *g, const gen_sql *sql) {
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_kint(w, "time", sql->end);
  sic_jw_kstr(w, "errorMessage", sql->error);
  sic_jw_end(w);
  return gen_write_line(g);
}

static const gen_stage *stage_of_role(const gen_app *g, int role) {
  for (int i = 0; i < g->nstages; i++)
    if ((int)g->stages[i].role == role && !g->stages[i].skipped) return &g->stages[i];
  return NULL;
}

/* Driver-side metric values: file listing results and commit times. */
static int64_t driver_value(gen_app *g, const gen_sql *sql, int source, int scan_role, int64_t accum_id) {
  gen_rng r = gen_rng_for(g->opts.seed, 1000 + (uint64_t)sql->id, (uint64_t)accum_id, 3);
  const gen_stage *st = stage_of_role(g, scan_role);
  int64_t files = st ? st->num_tasks : 1;
  static const int64_t avg_file[GEN_ROLE__COUNT] = {
      [GEN_ROLE_SCAN_ORDERS] = 126000000, [GEN_ROLE_SCAN_CUSTOMERS] = 47000000,
      [GEN_ROLE_TINY] = 23000, [GEN_ROLE_FAILING] = 94000000};
  switch (source) {
  case SRC_DRV_FILES: return files;
  case SRC_DRV_FILE_BYTES: return files * avg_file[scan_role];
  case SRC_DRV_META_TIME: return gen_between(&r, 40, 320) + (scan_role == GEN_ROLE_TINY ? files / 2 : 0);
  case SRC_DRV_ONE: return 1;
  case SRC_DRV_COMMIT_TIME: return gen_between(&r, 700, 3200);
  default: return 0;
  }
}

int gen_emit_driver_accums(gen_app *g, const gen_sql *sql, int commit_phase) {
  const plan_node *nodes = plans[sql->plan].nodes;
  int k = 0, any = 0;
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_karr(w, "accumUpdates");
  for (int i = 0; i < plans[sql->plan].n; i++) {
    for (int j = 0; j < node_metric_count(&nodes[i]); j++, k++) {
      const metric_def *d = &nodes[i].metrics[j];
      if (d->role != (commit_phase ? DRIVER_COMMIT : DRIVER_SCAN)) continue;
      int64_t v = driver_value(g, sql, d->source, d->scan_role, sql->metrics[k].accum_id);
      *gen_accum_slot(g, sql->metrics[k].accum_id) += v;
      sic_jw_arr(w);
      sic_jw_int(w, sql->metrics[k].accum_id);
      sic_jw_int(w, v);
      sic_jw_end(w);
      any = 1;
    }
  }
  sic_jw_end(w);
  sic_jw_end(w);
  if (!any) {
    sic_jw_reset(w);
    return 0;
  }
  return gen_write_line(g);
}

/* AQE's final plan, its new AQEShuffleRead metrics and their driver-side values. */
int gen_emit_aqe_update(gen_app *g, gen_sql *sql) {
  static const char *const names[3] = {"number of partitions", "partition data size",
                                       "number of coalesced partitions"};
  static const char *const types[3] = {"sum", "size", "sum"};
  int nqs = 0, rc;
  for (int i = 0; i < plans[sql->plan].n; i++)
    if (plans[sql->plan].nodes[i].query_stage >= 0) nqs++;
  if (!nqs) return 0;
  sql->aqe_accum_base = g->next_accum;
  g->next_accum += nqs * 3;
  char *desc = plan_description(plans[sql->plan].nodes, plans[sql->plan].n, 1);
  if (!desc) return SIC_ENOMEM;
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_kstr(w, "physicalPlanDescription", desc);
  plan_info(g, sql, 1);
  sic_jw_end(w);
  free(desc);
  if ((rc = gen_write_line(g)) != 0) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveSQLMetricUpdates");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_karr(w, "sqlPlanMetrics");
  for (int q = 0; q < nqs; q++)
    for (int k = 0; k < 3; k++) plan_metric(w, names[k], sql->aqe_accum_base + q * 3 + k, types[k]);
  sic_jw_end(w);
  sic_jw_end(w);
  if ((rc = gen_write_line(g)) != 0) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates");
  sic_jw_kint(w, "executionId", sql->id);
  sic_jw_karr(w, "accumUpdates");
  for (int q = 0; q < nqs; q++) {
    gen_rng r = gen_rng_for(g->opts.seed, 2000 + (uint64_t)sql->id, (uint64_t)q, 1);
    int64_t parts = gen_between(&r, 120, 200);
    int64_t values[3] = {parts, parts * gen_between(&r, 8, 64) * 1024 * 1024, parts};
    for (int k = 0; k < 3; k++) {
      sic_jw_arr(w);
      sic_jw_int(w, sql->aqe_accum_base + q * 3 + k);
      sic_jw_int(w, values[k]);
      sic_jw_end(w);
    }
  }
  sic_jw_end(w);
  sic_jw_end(w);
  return gen_write_line(g);
}
