/* SQL metric values as the History Server shows them on /sql: one pass over the event log
 * replaying what Spark 3.5's SQLAppStatusListener keeps per stage (one value per partition,
 * the last update of an unfinished partition, the task with the largest value) and the
 * driver-side updates, turned into display strings when each execution ends.
 *
 * The model keeps only per-accumulator totals, not the per-partition values a median needs,
 * so this reads the log once more per loaded attempt (cached with the model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "shs/sql.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)

/* One SQL metric of an execution (sorted by accum_id within the execution). */
typedef struct xmetric {
  int64_t accum_id;              /* plan metric "accumulatorId" */
  int32_t type;                  /* SHS_MT_* */
  int32_t reserved;
} xmetric;

/* Per-partition values of one metric within one stage attempt (LiveStageMetrics). */
typedef struct stage_slot {
  int64_t *vals;                 /* numTasks values, zero where no task reported; NULL = none */
  int64_t max_value;             /* largest update seen (metrics that track a max) */
  int64_t max_task;              /* task id that reported it */
} stage_slot;

typedef struct stage_metrics {
  int32_t present;               /* created by a job start */
  int32_t exec;                  /* sql row whose metrics it tracks, -1 = none */
  int32_t attempt;               /* stage attempt it follows */
  int32_t num_tasks;             /* partitions */
  uint8_t *completed;            /* num_tasks flags: a successful task finished the partition */
  stage_slot *slots;             /* parallel to the execution's metric list */
} stage_metrics;

/* Replay state of one execution. */
typedef struct exec_state {
  xmetric *metrics;              /* its SQL metrics, sorted by accum id */
  int32_t nmetrics;
  int32_t live;                  /* started, not yet ended */
  int32_t *stages;               /* stage ids of its jobs, first-seen order, distinct */
  int32_t nstages, cstages;
  int64_t *driver;               /* driver updates, parallel to metrics (last wins) */
  uint8_t *has_driver;           /* 1 where driver holds a value */
} exec_state;

typedef struct replay {
  const sic_app *a;
  exec_state *ex;                /* parallel to a->sqls */
  stage_metrics *st;             /* indexed by stage id */
  int32_t nst;
  shs_sql_values *out;
} replay;

static int type_code(const char *t) {
  if (!t) return -1;
  if (!strcmp(t, "sum")) return SHS_MT_SUM;
  if (!strcmp(t, "size")) return SHS_MT_SIZE;
  if (!strcmp(t, "timing")) return SHS_MT_TIMING;
  if (!strcmp(t, "nsTiming")) return SHS_MT_NS_TIMING;
  if (!strcmp(t, "average")) return SHS_MT_AVERAGE;
  return -1;
}

static int cmp_xmetric(const void *x, const void *y) {
  const xmetric *a = x, *b = y;
  return a->accum_id < b->accum_id ? -1 : a->accum_id > b->accum_id;
}

static int find_metric(const exec_state *e, int64_t id) {
  int32_t lo = 0, hi = e->nmetrics - 1;
  while (lo <= hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (e->metrics[mid].accum_id == id) return mid;
    if (e->metrics[mid].accum_id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Appends the metrics of plan nodes [r.off, r.off + r.n) or of plan metric rows. */
static int add_metrics(const sic_app *a, exec_state *e, int64_t *cap, sic_range pm) {
  for (int32_t i = 0; i < pm.n; i++) {
    const sic_plan_metric *m = &a->plan_metrics[pm.off + i];
    int t = type_code(sic_str(a, m->type));
    if (t < 0 || m->accum_id < 0) continue;
    if (e->nmetrics == *cap) {
      int64_t nc = *cap ? *cap * 2 : 16;
      xmetric *p = realloc(e->metrics, (size_t)nc * sizeof *p);
      if (!p) return SIC_ENOMEM;
      e->metrics = p;
      *cap = nc;
    }
    e->metrics[e->nmetrics++] = (xmetric){m->accum_id, t, 0};
  }
  return 0;
}

/* The execution's metric types: every plan version kept by the model plus AQE metric updates. */
static int exec_metrics(const sic_app *a, const sic_sql *q, exec_state *e) {
  int64_t cap = 0;
  const sic_range plans[2] = {q->initial_plan, q->plan};
  for (int p = 0; p < 2; p++)
    for (int32_t i = 0; i < plans[p].n; i++)
      if (add_metrics(a, e, &cap, a->plan_nodes[plans[p].off + i].metrics) < 0) return SIC_ENOMEM;
  if (add_metrics(a, e, &cap, q->extra_metrics) < 0) return SIC_ENOMEM;
  if (e->nmetrics > 1) qsort(e->metrics, (size_t)e->nmetrics, sizeof *e->metrics, cmp_xmetric);
  int32_t n = 0; /* drop duplicates (the same metric in both plan versions) */
  for (int32_t i = 0; i < e->nmetrics; i++)
    if (!n || e->metrics[n - 1].accum_id != e->metrics[i].accum_id) e->metrics[n++] = e->metrics[i];
  e->nmetrics = n;
  e->driver = calloc((size_t)n + 1, sizeof *e->driver);
  e->has_driver = calloc((size_t)n + 1, 1);
  return e->driver && e->has_driver ? 0 : SIC_ENOMEM;
}

static int32_t sql_row(const sic_app *a, int64_t execution_id) {
  const sic_sql *q = sic_app_sql(a, execution_id);
  return q ? (int32_t)(q - a->sqls) : -1;
}

static void stage_clear(stage_metrics *sm, const replay *rp) {
  if (sm->slots && sm->exec >= 0)
    for (int32_t j = 0; j < rp->ex[sm->exec].nmetrics; j++) free(sm->slots[j].vals);
  free(sm->slots);
  free(sm->completed);
  memset(sm, 0, sizeof *sm);
  sm->exec = -1;
}

static stage_metrics *stage_get(replay *rp, int32_t stage_id, int create) {
  if (stage_id < 0) return NULL;
  if (stage_id >= rp->nst) {
    if (!create) return NULL;
    int32_t n = rp->nst ? rp->nst : 64;
    while (n <= stage_id) n *= 2;
    stage_metrics *p = realloc(rp->st, (size_t)n * sizeof *p);
    if (!p) return NULL;
    memset(p + rp->nst, 0, (size_t)(n - rp->nst) * sizeof *p);
    rp->st = p;
    rp->nst = n;
  }
  return &rp->st[stage_id];
}

/* A job start (re)creates the tracking of each of its stages, as the listener does. */
static int stage_reset(replay *rp, int32_t stage_id, int32_t attempt, int32_t num_tasks, int32_t exec) {
  stage_metrics *sm = stage_get(rp, stage_id, 1);
  if (!sm) return SIC_ENOMEM;
  stage_clear(sm, rp);
  sm->present = 1;
  sm->exec = exec;
  sm->attempt = attempt;
  sm->num_tasks = num_tasks > 0 ? num_tasks : 0;
  sm->completed = calloc((size_t)sm->num_tasks + 1, 1);
  if (exec >= 0) sm->slots = calloc((size_t)rp->ex[exec].nmetrics + 1, sizeof *sm->slots);
  return sm->completed && (exec < 0 || sm->slots) ? 0 : SIC_ENOMEM;
}

static int exec_add_stage(exec_state *e, int32_t stage_id) {
  for (int32_t i = 0; i < e->nstages; i++)
    if (e->stages[i] == stage_id) return 0;
  if (e->nstages == e->cstages) {
    int32_t nc = e->cstages ? e->cstages * 2 : 8;
    int32_t *p = realloc(e->stages, (size_t)nc * sizeof *p);
    if (!p) return SIC_ENOMEM;
    e->stages = p;
    e->cstages = nc;
  }
  e->stages[e->nstages++] = stage_id;
  return 0;
}

/* An i64 that the log writes as a number or as a numeric string. */
static int read_long(sic_jscan *s, int64_t *out) {
  if (sic_json_peek(s) == SIC_JT_STRING) {
    sic_jstr v;
    if (sic_json_str(s, &v) < 0 || v.escaped) return -1;
    return sic_json_parse_i64(v.p, v.len, out);
  }
  if (sic_json_peek(s) == SIC_JT_NUMBER) return sic_json_i64(s, out);
  sic_json_skip(s);
  return -1;
}

/* ---- events ---- */

typedef struct stage_info {
  int64_t id, attempt, num_tasks;
} stage_info;

static void read_stage_info(sic_jscan *s, stage_info *si) {
  sic_jiter it;
  sic_jstr k;
  si->id = si->attempt = -1;
  si->num_tasks = 0;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_JSTR_IS(&k, "Stage ID")) read_long(s, &si->id);
    else if (SIC_JSTR_IS(&k, "Stage Attempt ID")) read_long(s, &si->attempt);
    else if (SIC_JSTR_IS(&k, "Number of Tasks")) read_long(s, &si->num_tasks);
    else sic_json_skip(s);
  }
}

static int on_job_start(replay *rp, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_jiter arr, in;
  stage_info infos[256];
  int ninfos = 0, overflow = 0;
  int64_t exec_id = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_JSTR_IS(&k, "Stage Infos") && sic_json_peek(s) == SIC_JT_ARRAY) {
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) {
        if (ninfos < 256) read_stage_info(s, &infos[ninfos++]);
        else { overflow = 1; sic_json_skip(s); }
      }
    } else if (SIC_JSTR_IS(&k, "Properties") && sic_json_peek(s) == SIC_JT_OBJECT) {
      sic_json_obj_begin(s, &in);
      FOR_MEMBERS(s, &in, &k) {
        if (SIC_JSTR_IS(&k, "spark.sql.execution.id")) read_long(s, &exec_id);
        else sic_json_skip(s);
      }
    } else sic_json_skip(s);
  }
  if (exec_id < 0) return 0;
  (void)overflow; /* a job of more than 256 stages: the rest are not tracked */
  /* The listener (re)creates the tracking of every stage the job lists, attempt 0, with the
   * execution's metric types, whenever the execution has metrics (an execution it never saw
   * start has none: nothing changes). A stage an earlier job computed and this one skips
   * starts over too, as in Spark. */
  int32_t exec = sql_row(rp->a, exec_id);
  if (exec < 0 || rp->ex[exec].nmetrics == 0) return 0;
  for (int i = 0; i < ninfos; i++) {
    if (infos[i].id < 0 || infos[i].id > INT32_MAX) continue;
    if (stage_reset(rp, (int32_t)infos[i].id, 0, (int32_t)infos[i].num_tasks, exec) < 0) return SIC_ENOMEM;
    if (exec_add_stage(&rp->ex[exec], (int32_t)infos[i].id) < 0) return SIC_ENOMEM;
  }
  return 0;
}

static int on_stage_submitted(replay *rp, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  stage_info si = {-1, -1, 0};
  FOR_MEMBERS(s, it, &k) {
    if (SIC_JSTR_IS(&k, "Stage Info")) read_stage_info(s, &si);
    else sic_json_skip(s);
  }
  stage_metrics *sm = si.id >= 0 && si.id <= INT32_MAX ? stage_get(rp, (int32_t)si.id, 0) : NULL;
  if (!sm || !sm->present || sm->exec < 0 || !rp->ex[sm->exec].live) return 0;
  /* A new attempt starts from nothing, with the task count of the first. */
  if (sm->attempt != si.attempt) return stage_reset(rp, (int32_t)si.id, (int32_t)si.attempt, sm->num_tasks, sm->exec);
  return 0;
}

/* "Accumulables" of a task: the updates of the stage's execution metrics. */
static int task_accums(replay *rp, sic_jscan *s, stage_metrics *sm, int64_t task_id, int64_t index) {
  sic_jiter arr, in;
  sic_jstr k;
  const exec_state *e = &rp->ex[sm->exec];
  sic_json_arr_begin(s, &arr);
  while (sic_json_arr_next(s, &arr) > 0) {
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); continue; }
    int64_t id = -1, update = 0;
    int have = 0;
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &k) {
      if (SIC_JSTR_IS(&k, "ID")) read_long(s, &id);
      else if (SIC_JSTR_IS(&k, "Update")) have = read_long(s, &update) == 0;
      else sic_json_skip(s);
    }
    int j = have ? find_metric(e, id) : -1;
    if (j < 0 || index < 0 || index >= sm->num_tasks) continue;
    stage_slot *sl = &sm->slots[j];
    if (!sl->vals) {
      if (!(sl->vals = calloc((size_t)sm->num_tasks, sizeof *sl->vals))) return SIC_ENOMEM;
      sl->max_value = update;
      sl->max_task = task_id;
    }
    sl->vals[index] = update;
    if (update > sl->max_value) {
      sl->max_value = update;
      sl->max_task = task_id;
    }
  }
  return 0;
}

static int on_task_end(replay *rp, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_jiter info;
  int64_t stage = -1, attempt = -1, task_id = -1, index = -1, finish = 0;
  int failed = 0, killed = 0, rc = 0;
  stage_metrics *sm = NULL;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_JSTR_IS(&k, "Stage ID")) {
      read_long(s, &stage);
      sm = stage >= 0 && stage <= INT32_MAX ? stage_get(rp, (int32_t)stage, 0) : NULL;
    } else if (SIC_JSTR_IS(&k, "Stage Attempt ID")) read_long(s, &attempt);
    else if (SIC_JSTR_IS(&k, "Task Info") && sic_json_peek(s) == SIC_JT_OBJECT) {
      sic_json_obj_begin(s, &info);
      FOR_MEMBERS(s, &info, &k) {
        if (SIC_JSTR_IS(&k, "Task ID")) read_long(s, &task_id);
        else if (SIC_JSTR_IS(&k, "Index")) read_long(s, &index);
        else if (SIC_JSTR_IS(&k, "Finish Time")) read_long(s, &finish);
        else if (SIC_JSTR_IS(&k, "Failed")) sic_json_bool(s, &failed);
        else if (SIC_JSTR_IS(&k, "Killed")) sic_json_bool(s, &killed);
        else if (SIC_JSTR_IS(&k, "Accumulables") && sic_json_peek(s) == SIC_JT_ARRAY && sm && sm->present &&
                 sm->exec >= 0 && rp->ex[sm->exec].live && sm->attempt == attempt && index >= 0 &&
                 index < sm->num_tasks && !sm->completed[index])
          rc = task_accums(rp, s, sm, task_id, index);
        else sic_json_skip(s);
      }
    } else sic_json_skip(s);
  }
  if (rc < 0) return rc;
  /* a successful attempt finishes its partition: later attempts no longer change it */
  if (sm && sm->present && sm->attempt == attempt && index >= 0 && index < sm->num_tasks && finish > 0 && !failed &&
      !killed)
    sm->completed[index] = 1;
  return 0;
}

static int on_driver_accums(replay *rp, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_jiter arr, pair;
  int64_t exec_id = -1;
  /* executionId comes first in Spark's JSON; updates seen before it cannot be placed */
  FOR_MEMBERS(s, it, &k) {
    if (SIC_JSTR_IS(&k, "executionId")) read_long(s, &exec_id);
    else if (SIC_JSTR_IS(&k, "accumUpdates") && sic_json_peek(s) == SIC_JT_ARRAY) {
      int32_t row = exec_id >= 0 ? sql_row(rp->a, exec_id) : -1;
      exec_state *e = row >= 0 && rp->ex[row].live ? &rp->ex[row] : NULL;
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) {
        if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_json_skip(s); continue; }
        int64_t v[2] = {-1, 0};
        int n = 0;
        sic_json_arr_begin(s, &pair);
        while (sic_json_arr_next(s, &pair) > 0) {
          if (n < 2 && read_long(s, &v[n]) == 0) n++;
          else if (n >= 2) sic_json_skip(s);
        }
        int j = e && n == 2 ? find_metric(e, v[0]) : -1;
        if (j >= 0) {
          e->driver[j] = v[1];
          e->has_driver[j] = 1;
        }
      }
    } else sic_json_skip(s);
  }
  return 0;
}

/* At the execution's end: every metric that has task or driver values gets its string. */
static int snapshot(replay *rp, int32_t row) {
  exec_state *e = &rp->ex[row];
  shs_sql_exec_values *xv = &rp->out->execs[row];
  xv->ended = 1;
  xv->n = e->nmetrics;
  xv->ids = calloc((size_t)e->nmetrics + 1, sizeof *xv->ids);
  xv->values = calloc((size_t)e->nmetrics + 1, sizeof *xv->values);
  if (!xv->ids || !xv->values) return SIC_ENOMEM;
  int64_t *buf = NULL;
  int64_t cap = 0;
  for (int32_t j = 0; j < e->nmetrics; j++) {
    xv->ids[j] = e->metrics[j].accum_id;
    int type = e->metrics[j].type;
    int64_t n = 0, task[3] = {0, 0, 0}, best = 0;
    int have_task = 0, have = 0;
    for (int32_t si = 0; si < e->nstages; si++) {
      stage_metrics *sm = stage_get(rp, e->stages[si], 0);
      if (!sm || !sm->present || sm->exec < 0) continue;
      int k = find_metric(&rp->ex[sm->exec], e->metrics[j].accum_id);
      if (k < 0 || !sm->slots[k].vals) continue;
      have = 1;
      if (n + sm->num_tasks + 1 > cap) {
        cap = (n + sm->num_tasks + 1) * 2;
        int64_t *p = realloc(buf, (size_t)cap * sizeof *p);
        if (!p) { free(buf); return SIC_ENOMEM; }
        buf = p;
      }
      memcpy(buf + n, sm->slots[k].vals, (size_t)sm->num_tasks * sizeof *buf);
      n += sm->num_tasks;
      if (type != SHS_MT_SUM && (!have_task || sm->slots[k].max_value > best)) {
        best = sm->slots[k].max_value;
        task[0] = e->stages[si];
        task[1] = sm->attempt;
        task[2] = sm->slots[k].max_task;
        have_task = 1;
      }
    }
    if (e->has_driver[j]) {
      if (n + 1 > cap) {
        cap = (n + 1) * 2;
        int64_t *p = realloc(buf, (size_t)cap * sizeof *p);
        if (!p) { free(buf); return SIC_ENOMEM; }
        buf = p;
      }
      buf[n++] = e->driver[j];
      have = 1;
    }
    if (!have) continue;
    if (!(xv->values[j] = shs_sql_string_value(type, buf, n, have_task ? task : NULL))) { free(buf); return SIC_ENOMEM; }
  }
  free(buf);
  return 0;
}

static int on_sql(replay *rp, sic_jscan *s, sic_jiter *it, int start) {
  sic_jstr k;
  int64_t id = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_JSTR_IS(&k, "executionId")) read_long(s, &id);
    else sic_json_skip(s);
  }
  int32_t row = id >= 0 ? sql_row(rp->a, id) : -1;
  if (row < 0) return 0;
  exec_state *e = &rp->ex[row];
  if (start) {
    e->live = 1;
    return 0;
  }
  if (!e->live || rp->out->execs[row].ended) return 0;
  e->live = 0;
  return snapshot(rp, row);
}

static int dispatch(replay *rp, const char *p, size_t len) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr k, ev;
  sic_json_init(&s, p, len);
  if (sic_json_peek(&s) != SIC_JT_OBJECT || sic_json_obj_begin(&s, &it) < 0) return 0;
  if (sic_json_obj_next(&s, &it, &k) <= 0 || !SIC_JSTR_IS(&k, "Event")) return 0;
  if (sic_json_peek(&s) != SIC_JT_STRING || sic_json_str(&s, &ev) < 0) return 0;
  if (SIC_JSTR_IS(&ev, "SparkListenerTaskEnd")) return on_task_end(rp, &s, &it);
  if (SIC_JSTR_IS(&ev, "SparkListenerJobStart")) return on_job_start(rp, &s, &it);
  if (SIC_JSTR_IS(&ev, "SparkListenerStageSubmitted")) return on_stage_submitted(rp, &s, &it);
  if (SIC_JSTR_IS(&ev, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart")) return on_sql(rp, &s, &it, 1);
  if (SIC_JSTR_IS(&ev, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd")) return on_sql(rp, &s, &it, 0);
  if (SIC_JSTR_IS(&ev, "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates"))
    return on_driver_accums(rp, &s, &it);
  return 0;
}

void shs_sql_values_free(shs_sql_values *v) {
  if (!v) return;
  for (int64_t i = 0; i < v->nexecs; i++) {
    for (int32_t j = 0; j < v->execs[i].n; j++) free(v->execs[i].values[j]);
    free(v->execs[i].values);
    free(v->execs[i].ids);
  }
  free(v->execs);
  free(v);
}

int shs_sql_values_build(const sic_logset *set, const sic_app *a, int threads, shs_sql_values **out, sic_err *err) {
  *out = NULL;
  replay rp = {.a = a};
  int rc = SIC_ENOMEM;
  sic_lines *lines = NULL;
  rp.out = calloc(1, sizeof *rp.out);
  rp.ex = calloc((size_t)a->nsqls + 1, sizeof *rp.ex);
  if (!rp.out || !rp.ex || !(rp.out->execs = calloc((size_t)a->nsqls + 1, sizeof *rp.out->execs))) goto error;
  rp.out->nexecs = a->nsqls;
  for (int64_t i = 0; i < a->nsqls; i++)
    if (exec_metrics(a, &a->sqls[i], &rp.ex[i]) < 0) goto error;
  if ((rc = sic_lines_open(set, threads, &lines, err)) < 0) goto error;
  sic_line line;
  while ((rc = sic_lines_next(lines, &line, err)) > 0)
    if ((rc = dispatch(&rp, line.p, line.len)) < 0) goto error;
  if (rc < 0) goto error;
  *out = rp.out;
  rp.out = NULL;
  rc = 0;
error:
  if (rc == SIC_ENOMEM && err && !err->msg[0]) sic_err_set(err, SIC_ENOMEM, "out of memory replaying SQL metrics");
  sic_lines_free(lines);
  for (int32_t i = 0; i < rp.nst; i++) stage_clear(&rp.st[i], &rp);
  free(rp.st);
  if (rp.ex)
    for (int64_t i = 0; i < a->nsqls; i++) {
      free(rp.ex[i].metrics);
      free(rp.ex[i].stages);
      free(rp.ex[i].driver);
      free(rp.ex[i].has_driver);
    }
  free(rp.ex);
  shs_sql_values_free(rp.out);
  return rc;
}

const char *shs_sql_value(const shs_sql_values *v, int64_t sql_row, int64_t accum_id) {
  if (!v || sql_row < 0 || sql_row >= v->nexecs) return NULL;
  const shs_sql_exec_values *x = &v->execs[sql_row];
  int32_t lo = 0, hi = x->n - 1;
  while (lo <= hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (x->ids[mid] == accum_id) return x->values[mid];
    if (x->ids[mid] < accum_id) lo = mid + 1;
    else hi = mid - 1;
  }
  return NULL;
}
