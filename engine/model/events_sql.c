/* SQL events (org.apache.spark.sql.execution.ui.*): executions, their physical plan trees,
 * adaptive (AQE) plan updates and driver-side SQL metric values. */
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)
#define PLAN_MAX_DEPTH 200     /* deeper plans are cut (the rest is skipped and reported) */

/* "metrics": [{"name", "accumulatorId", "metricType"}] -> plan_metrics rows */
static void plan_metrics(sic_builder *b, sic_jscan *s, sic_range *out) {
  sic_app *a = b->app;
  sic_jiter it, in;
  sic_jstr k;
  out->off = (int32_t)a->nplan_metrics;
  out->n = 0;
  if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_bad_field(b, s, "an array"); sic_json_skip(s); return; }
  sic_json_arr_begin(s, &it);
  while (sic_json_arr_next(s, &it) > 0) {
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); continue; }
    sic_plan_metric pm = {.name = -1, .type = -1, .accum_id = -1};
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &k) {
      if (SIC_KEY(&k, "name")) sic_rd_sid(b, s, &pm.name);
      else if (SIC_KEY(&k, "accumulatorId")) sic_rd_i64(b, s, &pm.accum_id);
      else if (SIC_KEY(&k, "metricType")) sic_rd_sid(b, s, &pm.type);
      else sic_json_skip(s);
    }
    if (SIC_GROW(b, a->plan_metrics, b->cap_plan_metrics, a->nplan_metrics) < 0) continue;
    a->plan_metrics[a->nplan_metrics++] = pm;
    out->n++;
  }
}

/* "WholeStageCodegen (3)" -> 3, else -1 */
static int32_t codegen_id(const char *name) {
  static const char prefix[] = "WholeStageCodegen (";
  if (!name || strncmp(name, prefix, sizeof prefix - 1) != 0) return -1;
  return (int32_t)strtol(name + sizeof prefix - 1, NULL, 10);
}

/* One sparkPlanInfo node and its subtree, pre-order (root first). */
static void plan_node(sic_builder *b, sic_jscan *s, int32_t parent, int32_t depth) {
  sic_app *a = b->app;
  sic_jiter it, arr;
  sic_jstr k;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  if (depth >= PLAN_MAX_DEPTH) { sic_bad_field(b, s, "a plan at most 200 levels deep"); sic_json_skip(s); return; }
  if (SIC_GROW(b, a->plan_nodes, b->cap_plan_nodes, a->nplan_nodes) < 0) { sic_json_skip(s); return; }
  int32_t row = (int32_t)a->nplan_nodes++;
  a->plan_nodes[row] = (sic_plan_node){.name = -1, .simple_string = -1, .parent = parent, .depth = depth,
                                       .metrics = {(int32_t)a->nplan_metrics, 0}, .cluster_id = -1};
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "nodeName")) {
      sic_sid v = -1;
      sic_rd_sid(b, s, &v);
      a->plan_nodes[row].name = v;
      a->plan_nodes[row].cluster_id = codegen_id(v >= 0 ? sic_str(a, v) : NULL);
    } else if (SIC_KEY(&k, "simpleString")) {
      sic_sid v = -1;
      sic_rd_sid(b, s, &v);
      a->plan_nodes[row].simple_string = v;
    } else if (SIC_KEY(&k, "children") && sic_json_peek(s) == SIC_JT_ARRAY) {
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) plan_node(b, s, row, depth + 1);
    } else if (SIC_KEY(&k, "metrics")) {
      sic_range r;
      plan_metrics(b, s, &r);
      a->plan_nodes[row].metrics = r;
    } else sic_json_skip(s);
  }
}

/* Parses a plan tree; returns its node range. */
static sic_range plan_tree(sic_builder *b, sic_jscan *s) {
  sic_range r = {(int32_t)b->app->nplan_nodes, 0};
  plan_node(b, s, -1, 0);
  r.n = (int32_t)(b->app->nplan_nodes - r.off);
  return r;
}

/* Members shared by the SQL execution events (each event carries a subset). */
typedef struct sql_fields {
  int64_t id;                  /* "executionId", -1 */
  int64_t root;                /* "rootExecutionId" (Spark 3.5+), -1 */
  int64_t time;                /* "time", -1 */
  sic_sid description;         /* "description", -1 */
  sic_sid details;             /* "details" (call site), -1 */
  sic_sid plan_text;           /* "physicalPlanDescription", -1 */
  sic_sid error;               /* "errorMessage" of SQLExecutionEnd, -1 */
  sic_range plan;              /* "sparkPlanInfo" nodes appended to plan_nodes */
  sic_range configs;           /* "modifiedConfigs" in kvs */
  int have_plan;               /* sparkPlanInfo was present and parsed */
  int have_configs;            /* modifiedConfigs was present */
} sql_fields;

static int read_sql(sic_builder *b, sic_jscan *s, sic_jiter *it, sql_fields *f) {
  sic_jstr k;
  memset(f, 0, sizeof *f);
  f->id = f->root = f->time = -1;
  f->description = f->details = f->plan_text = f->error = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "executionId")) sic_rd_i64(b, s, &f->id);
    else if (SIC_KEY(&k, "rootExecutionId")) sic_rd_i64(b, s, &f->root);
    else if (SIC_KEY(&k, "time")) sic_rd_i64(b, s, &f->time);
    else if (SIC_KEY(&k, "description")) sic_rd_sid(b, s, &f->description);
    else if (SIC_KEY(&k, "details")) sic_rd_sid(b, s, &f->details);
    else if (SIC_KEY(&k, "physicalPlanDescription")) sic_rd_sid(b, s, &f->plan_text);
    else if (SIC_KEY(&k, "errorMessage")) sic_rd_sid(b, s, &f->error);
    else if (SIC_KEY(&k, "sparkPlanInfo")) { f->plan = plan_tree(b, s); f->have_plan = f->plan.n > 0; }
    else if (SIC_KEY(&k, "modifiedConfigs")) f->have_configs = sic_rd_kvs(b, s, &f->configs) == 0;
    else sic_json_skip(s);
  }
  sic_note_time(b, f->time);
  return s->err ? -1 : 0;
}

int sic_ev_sql_start(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sql_fields f;
  if (read_sql(b, s, it, &f) < 0) return -1;
  if (f.id < 0) { sic_missing_field(b, "executionId"); return 0; }
  int32_t r = sic_sql_row(b, f.id, 1);
  if (r < 0) return 0;
  sic_sql *q = &b->app->sqls[r];
  q->root_execution_id = f.root >= 0 ? f.root : f.id;
  q->description = f.description;
  q->details = f.details;
  q->physical_plan = f.plan_text;
  q->start_time = f.time;
  if (f.have_plan) q->plan = q->initial_plan = f.plan;
  if (f.have_configs) q->properties = f.configs;
  return 0;
}

int sic_ev_sql_aqe(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sql_fields f;
  if (read_sql(b, s, it, &f) < 0) return -1;
  int32_t r = f.id >= 0 ? sic_sql_row(b, f.id, 1) : -1;
  if (r < 0) return 0;
  sic_sql *q = &b->app->sqls[r];
  q->aqe_updates++;
  if (f.plan_text >= 0) q->physical_plan = f.plan_text;
  if (f.have_plan) {
    q->plan = f.plan;
    if (q->initial_plan.n == 0) q->initial_plan = f.plan;
  }
  return 0;
}

int sic_ev_sql_aqe_metrics(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  int64_t id = -1;
  sic_range extra = {0, 0};
  int have = 0;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "executionId")) sic_rd_i64(b, s, &id);
    else if (SIC_KEY(&k, "sqlPlanMetrics")) { plan_metrics(b, s, &extra); have = 1; }
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = id >= 0 ? sic_sql_row(b, id, 1) : -1;
  if (r < 0 || !have) return 0;
  sic_sql *q = &b->app->sqls[r];
  /* several updates: they are contiguous only if nothing else was appended in between */
  if (q->extra_metrics.n && q->extra_metrics.off + q->extra_metrics.n == extra.off) q->extra_metrics.n += extra.n;
  else if (!q->extra_metrics.n) q->extra_metrics = extra;
  else q->extra_metrics = extra; /* keep the latest batch when the earlier one is not adjacent */
  return 0;
}

int sic_ev_sql_end(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sql_fields f;
  if (read_sql(b, s, it, &f) < 0) return -1;
  int32_t r = f.id >= 0 ? sic_sql_row(b, f.id, 1) : -1;
  if (r < 0) return 0;
  b->app->sqls[r].end_time = f.time;
  if (f.error >= 0) b->app->sqls[r].error = f.error;
  return 0;
}

/* DriverAccumUpdates: "accumUpdates": [[id, value], ...] -> accumulator totals */
int sic_ev_driver_accums(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_jiter arr, pair;
  FOR_MEMBERS(s, it, &k) {
    if (!SIC_KEY(&k, "accumUpdates") || sic_json_peek(s) != SIC_JT_ARRAY) { sic_json_skip(s); continue; }
    sic_json_arr_begin(s, &arr);
    while (sic_json_arr_next(s, &arr) > 0) {
      if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_bad_field(b, s, "an array"); sic_json_skip(s); continue; }
      int64_t v[2] = {-1, 0};
      int n = 0;
      sic_json_arr_begin(s, &pair);
      while (sic_json_arr_next(s, &pair) > 0) {
        if (n >= 2) { sic_json_skip(s); continue; }
        if (sic_rd_i64(b, s, &v[n]) == 0) n++;
      }
      if (n < 2 || v[0] < 0) continue;
      int32_t r = sic_accum_row(b, v[0], 1);
      if (r < 0) continue;
      sic_accum *ac = &b->app->accums[r];
      ac->sum = sic_sat_add(ac->sum, v[1]);
      ac->count++;
    }
  }
  return s->err ? -1 : 0;
}
