/* /sql and /sql/<executionId>: ExecutionData as Spark 3.5's SqlResource prints it.
 *
 * The plan graph follows SparkPlanGraph's numbering: one id per graph node in pre-order;
 * WholeStageCodegen becomes a cluster holding the operators under it down to the next
 * InputAdapter; InputAdapter and query-stage wrappers add no node; a ReusedExchange (or a
 * query stage / subquery whose plan was seen before) adds only an edge from the node built
 * for the first equal plan (equal = same nodeName, simpleString and children). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "shs/shs_internal.h"
#include "shs/sql.h"

/* One node of the graph. */
typedef struct gnode {
  int32_t row;                   /* plan node row in sic_app.plan_nodes */
  int32_t cluster;               /* graph id of the WholeStageCodegen cluster holding it, -1 */
  int32_t is_cluster;            /* 1 for a WholeStageCodegen cluster */
} gnode;

typedef struct gedge {
  int32_t from, to;              /* graph ids (fromId, toId) */
} gedge;

/* A plan already turned into a node, for reuse lookups (SparkPlanGraph's `exchanges`). */
typedef struct gseen {
  int32_t row;                   /* plan node row (the map key, compared deeply) */
  int32_t id;                    /* graph id built for it */
} gseen;

typedef struct graph {
  const sic_app *a;
  int32_t *first_child, *next_sibling; /* indexed by row - base */
  int32_t base;                  /* first row of the plan */
  gnode *nodes;                  /* indexed by graph id */
  int32_t nnodes;
  gedge *edges;                  /* in creation order */
  int32_t nedges;
  gseen *seen;
  int32_t nseen;
  int oom;                       /* an allocation failed */
} graph;

static const char *node_name(const graph *g, int32_t row) {
  const char *s = sic_str(g->a, g->a->plan_nodes[row].name);
  return s ? s : "";
}

static int str_eq(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* SparkPlanInfo.equals: nodeName, simpleString and children, recursively. */
static int same_plan(const graph *g, int32_t x, int32_t y) {
  if (x == y) return 1;
  const sic_plan_node *p = &g->a->plan_nodes[x], *q = &g->a->plan_nodes[y];
  if (!str_eq(sic_str(g->a, p->name), sic_str(g->a, q->name)) ||
      !str_eq(sic_str(g->a, p->simple_string), sic_str(g->a, q->simple_string)))
    return 0;
  int32_t cx = g->first_child[x - g->base], cy = g->first_child[y - g->base];
  for (; cx >= 0 && cy >= 0; cx = g->next_sibling[cx - g->base], cy = g->next_sibling[cy - g->base])
    if (!same_plan(g, cx, cy)) return 0;
  return cx < 0 && cy < 0;
}

static int32_t seen_id(const graph *g, int32_t row) {
  for (int32_t i = g->nseen - 1; i >= 0; i--) /* the latest insertion wins, as in a map */
    if (same_plan(g, g->seen[i].row, row)) return g->seen[i].id;
  return -1;
}

static int32_t add_node(graph *g, int32_t row, int32_t cluster, int is_cluster) {
  gnode *p = realloc(g->nodes, (size_t)(g->nnodes + 1) * sizeof *p);
  if (!p) { g->oom = 1; return -1; }
  g->nodes = p;
  g->nodes[g->nnodes] = (gnode){row, cluster, is_cluster};
  return g->nnodes++;
}

static void add_edge(graph *g, int32_t from, int32_t to) {
  if (from < 0 || to < 0) return;
  gedge *p = realloc(g->edges, (size_t)(g->nedges + 1) * sizeof *p);
  if (!p) { g->oom = 1; return; }
  g->edges = p;
  g->edges[g->nedges++] = (gedge){from, to};
}

static void add_seen(graph *g, int32_t row, int32_t id) {
  gseen *p = realloc(g->seen, (size_t)(g->nseen + 1) * sizeof *p);
  if (!p) { g->oom = 1; return; }
  g->seen = p;
  g->seen[g->nseen++] = (gseen){row, id};
}

static int is_subquery(const char *n) { return !strcmp(n, "Subquery") || !strcmp(n, "SubqueryBroadcast"); }

static void build(graph *g, int32_t row, int32_t parent, int32_t subgraph, int depth) {
  if (row < 0 || g->oom || depth > 400) return;
  const char *name = node_name(g, row);
  int32_t head = g->first_child[row - g->base];
  if (!strncmp(name, "WholeStageCodegen", 17)) {
    int32_t cl = add_node(g, row, -1, 1);
    build(g, head, parent, cl, depth + 1);
  } else if (!strcmp(name, "InputAdapter") || !strcmp(name, "TableCacheQueryStage")) {
    build(g, head, parent, -1, depth + 1);
  } else if (!strcmp(name, "BroadcastQueryStage") || !strcmp(name, "ShuffleQueryStage")) {
    int32_t id = head >= 0 ? seen_id(g, head) : -1;
    if (id >= 0) add_edge(g, id, parent);
    else build(g, head, parent, -1, depth + 1);
  } else if (is_subquery(name) && subgraph >= 0) {
    build(g, row, parent, -1, depth + 1); /* a subquery never sits inside a codegen cluster */
  } else if (is_subquery(name) && seen_id(g, row) >= 0) {
    add_edge(g, seen_id(g, row), parent);
  } else if (!strcmp(name, "ReusedSubquery")) {
    build(g, head, parent, subgraph, depth + 1);
  } else if (!strcmp(name, "ReusedExchange") && head >= 0 && seen_id(g, head) >= 0) {
    add_edge(g, seen_id(g, head), parent);
  } else {
    int32_t id = add_node(g, row, subgraph, 0);
    if (id < 0) return;
    if (strstr(name, "Exchange") || is_subquery(name)) add_seen(g, row, id);
    if (parent >= 0) add_edge(g, id, parent);
    for (int32_t c = head; c >= 0; c = g->next_sibling[c - g->base]) build(g, c, id, subgraph, depth + 1);
  }
}

static void graph_free(graph *g) {
  free(g->first_child);
  free(g->next_sibling);
  free(g->nodes);
  free(g->edges);
  free(g->seen);
}

static int graph_build(const sic_app *a, sic_range plan, graph *g) {
  memset(g, 0, sizeof *g);
  g->a = a;
  g->base = plan.off;
  if (plan.n <= 0) return 0;
  g->first_child = malloc((size_t)plan.n * sizeof *g->first_child);
  g->next_sibling = malloc((size_t)plan.n * sizeof *g->next_sibling);
  int32_t *last = malloc((size_t)plan.n * sizeof *last);
  if (!g->first_child || !g->next_sibling || !last) {
    free(last);
    return SIC_ENOMEM;
  }
  for (int32_t i = 0; i < plan.n; i++) g->first_child[i] = g->next_sibling[i] = last[i] = -1;
  for (int32_t i = 1; i < plan.n; i++) { /* children in log order */
    int32_t row = plan.off + i, parent = a->plan_nodes[row].parent;
    if (parent < plan.off || parent >= plan.off + plan.n) continue;
    int32_t p = parent - plan.off;
    if (last[p] < 0) g->first_child[p] = row;
    else g->next_sibling[last[p] - plan.off] = row;
    last[p] = row;
  }
  free(last);
  build(g, plan.off, -1, -1, 0);
  return g->oom ? SIC_ENOMEM : 0;
}

/* String.trim: drop characters <= ' ' at both ends. */
static void write_trimmed(sic_jw *w, const char *key, const char *s) {
  s = s ? s : "";
  size_t n = strlen(s);
  while (n && (unsigned char)*s <= ' ') { s++; n--; }
  while (n && (unsigned char)s[n - 1] <= ' ') n--;
  sic_jw_key(w, key);
  sic_jw_strn(w, s, n);
}

/* "WholeStageCodegen (12)" -> 12; -1 when the name does not parse as a Long. */
static int64_t codegen_id(const char *name) {
  static const char prefix[] = "WholeStageCodegen (";
  size_t n = strlen(name), p = sizeof prefix - 1;
  if (n < p + 2 || strncmp(name, prefix, p) || name[n - 1] != ')') return -1;
  int64_t v = 0;
  size_t i = p;
  int neg = name[i] == '-' || name[i] == '+' ? (name[i++] == '-') : 0;
  if (i >= n - 1) return -1;
  for (; i < n - 1; i++) {
    if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (name[i] - '0');
  }
  return neg ? -v : v;
}

static void write_nodes(sic_jw *w, const graph *g, const shs_sql_values *vals, int64_t sql_row) {
  const sic_app *a = g->a;
  sic_jw_karr(w, "nodes");
  for (int32_t id = g->nnodes - 1; id >= 0; id--) { /* sorted by id, then reversed */
    const gnode *n = &g->nodes[id];
    const sic_plan_node *pn = &a->plan_nodes[n->row];
    sic_jw_obj(w);
    sic_jw_kint(w, "nodeId", id);
    write_trimmed(w, "nodeName", node_name(g, n->row));
    if (n->cluster >= 0) {
      char trimmed[256];
      const char *cn = node_name(g, g->nodes[n->cluster].row);
      while (*cn && (unsigned char)*cn <= ' ') cn++;
      snprintf(trimmed, sizeof trimmed, "%s", cn);
      size_t tl = strlen(trimmed);
      while (tl && (unsigned char)trimmed[tl - 1] <= ' ') trimmed[--tl] = 0;
      int64_t cg = codegen_id(trimmed);
      if (cg >= 0) sic_jw_kint(w, "wholeStageCodegenId", cg);
    }
    sic_jw_karr(w, "metrics");
    for (int32_t m = 0; m < pn->metrics.n; m++) {
      const sic_plan_metric *pm = &a->plan_metrics[pn->metrics.off + m];
      const char *v = shs_sql_value(vals, sql_row, pm->accum_id);
      if (!v) continue;
      if (v[0] == '\n') v++;
      sic_jw_obj(w);
      write_trimmed(w, "name", sic_str(a, pm->name));
      sic_jw_kstr(w, "value", v);
      sic_jw_end(w);
    }
    sic_jw_end(w);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

typedef struct job_entry {
  int32_t id;                    /* job id */
  int32_t pos;                   /* insertion position */
  int32_t status;                /* 0 running, 1 succeeded, 2 failed, -1 other */
  int32_t reserved;
  uint64_t order;                /* Scala hash-trie order */
} job_entry;

static int cmp_job_order(const void *x, const void *y) {
  const job_entry *a = x, *b = y;
  if (a->order != b->order) return a->order < b->order ? -1 : 1;
  return a->pos - b->pos;
}

/* The execution's jobs in the order Spark's jobs Map iterates, with their job status as
 * 0 running, 1 succeeded, 2 failed (-1 other); caller frees. */
static job_entry *ordered_jobs(const sic_app *a, const sic_sql *q, int *counts) {
  int32_t n = q->jobs.n;
  job_entry *js = calloc((size_t)n + 1, sizeof *js);
  if (!js) return NULL;
  for (int32_t i = 0; i < n; i++) {
    js[i].id = a->ints[q->jobs.off + i];
    js[i].pos = i;
    js[i].order = shs_scala_int_order(js[i].id);
  }
  if (n > 4) qsort(js, (size_t)n, sizeof *js, cmp_job_order);
  for (int32_t i = 0; i < n; i++) {
    const sic_job *j = sic_app_job(a, js[i].id);
    js[i].status = !j ? -1 : j->status == SIC_JOB_RUNNING ? 0 : j->status == SIC_JOB_SUCCEEDED ? 1
                                                                : j->status == SIC_JOB_FAILED ? 2 : -1;
    if (js[i].status >= 0) counts[js[i].status]++;
  }
  return js;
}

static int64_t now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int write_execution(sic_jw *w, shs_ctx *c, int64_t row, int details, int plan_desc,
                           const shs_sql_values *vals) {
  const sic_app *a = c->a;
  const sic_sql *q = &a->sqls[row];
  int counts[3] = {0, 0, 0};
  job_entry *js = ordered_jobs(a, q, counts);
  if (!js) return SIC_ENOMEM;
  /* as SqlResource decides it: every job succeeded (also none), else any failed, else running */
  const char *status = counts[1] == q->jobs.n ? "COMPLETED" : counts[2] ? "FAILED" : "RUNNING";
  sic_jw_obj(w);
  sic_jw_kint(w, "id", q->execution_id);
  sic_jw_kstr(w, "status", status);
  const char *desc = sic_str(a, q->description);
  if (desc) sic_jw_kstr(w, "description", desc);
  const char *plan = sic_str(a, q->physical_plan);
  if (!plan_desc) sic_jw_kstr(w, "planDescription", "");
  else if (plan) sic_jw_kstr(w, "planDescription", plan);
  shs_write_date(w, "submissionTime", q->start_time);
  sic_jw_kint(w, "duration", (q->end_time >= 0 ? q->end_time : now_ms()) - q->start_time);
  static const char *const keys[3] = {"runningJobIds", "successJobIds", "failedJobIds"};
  for (int k = 0; k < 3; k++) {
    sic_jw_karr(w, keys[k]);
    for (int32_t i = 0; i < q->jobs.n; i++)
      if (js[i].status == k) sic_jw_int(w, js[i].id);
    sic_jw_end(w);
  }
  free(js);
  graph g;
  int rc = 0;
  if (details) {
    rc = graph_build(a, q->plan, &g);
    if (rc == 0) {
      write_nodes(w, &g, vals, row);
      sic_jw_karr(w, "edges");
      for (int32_t e = 0; e < g.nedges; e++) {
        sic_jw_obj(w);
        sic_jw_kint(w, "fromId", g.edges[e].from);
        sic_jw_kint(w, "toId", g.edges[e].to);
        sic_jw_end(w);
      }
      sic_jw_end(w);
    }
    graph_free(&g);
  } else {
    sic_jw_karr(w, "nodes");
    sic_jw_end(w);
    sic_jw_karr(w, "edges");
    sic_jw_end(w);
  }
  sic_jw_end(w);
  return rc;
}

/* The attempt's metric values, replayed once and kept with the model. */
static const shs_sql_values *values_for(shs_ctx *c, sic_shs_response *r, int *failed) {
  *failed = 0;
  if (c->attempt->sql_values) return c->attempt->sql_values;
  sic_err err = {0};
  shs_sql_values *v = NULL;
  if (shs_sql_values_build(&c->shs->sets.items[c->attempt->logset], c->a, c->shs->threads, &v, &err) < 0) {
    shs_error(r, 503, "Event logs are not available for app: %s. %s", c->app->id, err.msg);
    *failed = 1;
    return NULL;
  }
  c->attempt->sql_values = v;
  /* counted with the model, so the cache budget sees it (released with the model) */
  int64_t bytes = (int64_t)sizeof *v + v->nexecs * (int64_t)sizeof *v->execs;
  for (int64_t i = 0; i < v->nexecs; i++)
    for (int32_t j = 0; j < v->execs[i].n; j++)
      bytes += (int64_t)(sizeof(int64_t) + sizeof(char *)) + (v->execs[i].values[j] ? (int64_t)strlen(v->execs[i].values[j]) + 1 : 0);
  c->attempt->mem += bytes;
  c->shs->cached_bytes += bytes;
  return v;
}

int shs_sql_plan_node_count(const sic_app *a, int64_t sql_row, int32_t *nodes, int32_t *edges) {
  graph g;
  int rc = graph_build(a, a->sqls[sql_row].plan, &g);
  *nodes = g.nnodes;
  *edges = g.nedges;
  graph_free(&g);
  return rc;
}

int shs_render_sql(shs_ctx *c, const char *exec_id, sic_shs_response *r) {
  int details = shs_param_bool(c->q, "details", 1);
  int plan_desc = shs_param_bool(c->q, "planDescription", 1);
  const shs_sql_values *vals = NULL;
  int failed = 0;
  if (details && !(vals = values_for(c, r, &failed)) && failed) return r->status;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  int rc = 0;
  if (exec_id) {
    char *end = NULL;
    long long id = strtoll(exec_id, &end, 10);
    const sic_sql *q = end && !*end ? sic_app_sql(c->a, id) : NULL;
    if (!q) {
      sic_jw_free(&w);
      return shs_error(r, 404, "unknown query execution id: %s", exec_id);
    }
    rc = write_execution(&w, c, q - c->a->sqls, details, plan_desc, vals);
  } else {
    int32_t offset = 0, length = 20;
    const char *v;
    if ((v = shs_param_get(c->q, "offset")) && shs_parse_java_int(v, &offset)) {
      sic_jw_free(&w);
      return shs_error(r, 400, "Bad value for parameter \"offset\".  Expected an integer, got \"%s\"", v);
    }
    if ((v = shs_param_get(c->q, "length")) && shs_parse_java_int(v, &length)) {
      sic_jw_free(&w);
      return shs_error(r, 400, "Bad value for parameter \"length\".  Expected an integer, got \"%s\"", v);
    }
    /* KVStoreView.skip(offset).max(length): the store refuses these with an exception */
    if (length <= 0 || offset < 0) {
      sic_jw_free(&w);
      return shs_error(r, 500, length <= 0 ? "max must be positive." : "numberToAdvance must be nonnegative");
    }
    sic_jw_arr(&w);
    for (int64_t i = offset; i < c->a->nsqls && i < (int64_t)offset + length && rc == 0; i++)
      rc = write_execution(&w, c, i, details, plan_desc, vals);
    sic_jw_end(&w);
  }
  if (rc < 0) {
    sic_jw_free(&w);
    return shs_error(r, 500, "out of memory rendering SQL executions");
  }
  return shs_json_ok(r, &w);
}
