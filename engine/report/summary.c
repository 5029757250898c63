/* Application summary from a model (see summary.h for the definitions). */
#include "report/summary.h"
#include "report/failure_key.h"
#include "core/sort.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_FAILURE_GROUPS = 64 };

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Add task row i to totals; durations of successful attempts go to durs (may be NULL). */
static void add_task(const sic_app *app, int64_t i, sic_task_totals *t, int64_t *durs, int64_t *ndurs) {
  const sic_tasks *tk = &app->tasks;
  int status = tk->status[i];
  int64_t d = sic_task_duration(app, i);
  t->attempts++;
  if (status == SIC_TASK_SUCCESS) t->succeeded++;
  else if (status == SIC_TASK_FAILED) t->failed++;
  else if (status == SIC_TASK_KILLED) t->killed++;
  else if (status == SIC_TASK_RUNNING) t->running++;
  if (tk->flags[i] & SIC_TASKF_SPECULATIVE) t->speculative++;
  if (d >= 0) {
    t->task_time += d;
    if (d > t->max_task_time) t->max_task_time = d;
    if (status == SIC_TASK_SUCCESS && durs) durs[(*ndurs)++] = d;
  }
  for (int m = 0; m < SIC_TM__COUNT; m++)
    if (tk->metric[m].data) t->m[m] += sic_col_get(&tk->metric[m], i);
}

static int64_t median(int64_t *v, int64_t n) {
  if (n <= 0) return -1;
  sic_qsort(v, (size_t)n, sizeof *v, cmp_i64);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_stage_time(const void *a, const void *b) {
  const sic_summary_stage *x = a, *y = b;
  if (x->totals.task_time != y->totals.task_time) return x->totals.task_time > y->totals.task_time ? -1 : 1;
  if (x->stage_id != y->stage_id) return x->stage_id < y->stage_id ? -1 : 1;
  return x->attempt_id - y->attempt_id;
}

static int build_stages(const sic_app *app, sic_summary *s) {
  int64_t *durs = malloc((size_t)(app->tasks.n ? app->tasks.n : 1) * sizeof *durs);
  if (!durs) return SIC_ENOMEM;
  s->stages_by_time = calloc((size_t)(app->nstages ? app->nstages : 1), sizeof *s->stages_by_time);
  if (!s->stages_by_time) {
    free(durs);
    return SIC_ENOMEM;
  }
  for (int64_t k = 0; k < app->nstages; k++) {
    const sic_stage *st = &app->stages[k];
    if (st->status == SIC_STAGE_PENDING || st->status == SIC_STAGE_SKIPPED) continue;
    sic_summary_stage *o = &s->stages_by_time[s->nstages_by_time++];
    int64_t ndurs = 0;
    o->stage_id = st->stage_id;
    o->attempt_id = st->attempt_id;
    o->status = st->status;
    o->num_tasks = st->num_tasks;
    o->name = sic_str(app, st->name);
    o->failure_reason = sic_str(app, st->failure_reason);
    o->submission_time = st->submission_time;
    o->completion_time = st->completion_time;
    o->wall_time = sic_stage_wall(st);
    for (int32_t j = 0; j < st->tasks.n; j++)
      add_task(app, app->stage_task_rows[st->tasks.off + j], &o->totals, durs, &ndurs);
    o->totals.median_task_time = median(durs, ndurs);
  }
  free(durs);
  for (int64_t k = 0; k < s->nstages_by_time; k++)
    s->stages_by_time[k].share =
        s->tasks.task_time > 0 ? (double)s->stages_by_time[k].totals.task_time / s->tasks.task_time : 0;
  sic_qsort(s->stages_by_time, (size_t)s->nstages_by_time, sizeof *s->stages_by_time, cmp_stage_time);
  return 0;
}

static void count_jobs_stages(const sic_app *app, sic_summary *s) {
  s->jobs = app->njobs;
  for (int64_t i = 0; i < app->njobs; i++) {
    int st = app->jobs[i].status;
    if (st == SIC_JOB_SUCCEEDED) s->jobs_succeeded++;
    else if (st == SIC_JOB_FAILED) s->jobs_failed++;
    else if (st == SIC_JOB_RUNNING) s->jobs_running++;
  }
  s->stages = app->nstages;
  for (int64_t i = 0; i < app->nstages; i++) {
    switch (app->stages[i].status) {
    case SIC_STAGE_COMPLETE: s->stages_complete++; break;
    case SIC_STAGE_FAILED: s->stages_failed++; break;
    case SIC_STAGE_SKIPPED: s->stages_skipped++; break;
    case SIC_STAGE_ACTIVE: s->stages_active++; break;
    default: s->stages_pending++; break;
    }
  }
  s->sql_executions = app->nsqls;
}

static int collect_failed_jobs(const sic_app *app, sic_summary *s) {
  if (!s->jobs_failed) return 0;
  s->failed_jobs = calloc((size_t)s->jobs_failed, sizeof *s->failed_jobs);
  if (!s->failed_jobs) return SIC_ENOMEM;
  for (int64_t i = 0; i < app->njobs; i++) {
    const sic_job *j = &app->jobs[i];
    if (j->status != SIC_JOB_FAILED) continue;
    sic_summary_job *o = &s->failed_jobs[s->nfailed_jobs++];
    o->job_id = j->job_id;
    o->status = j->status;
    o->name = sic_str(app, j->name);
    o->failure_reason = sic_str(app, j->failure_reason);
  }
  return 0;
}

enum { FAILURE_KEY_LEN = 256 };   /* bytes of a failure group's key (report/failure_key.h) */

/* Same reason class and same normalised first line of the message: messages of one cause
 * differ in stack traces, and in addresses, sizes, ids and paths (failure_key.c). */
static int same_key(const char *a, const char *b) {
  if (!a || !b) return a == b;
  while (*a && *a != '\n' && *a == *b) a++, b++;
  return (*a == 0 || *a == '\n') && (*b == 0 || *b == '\n');
}

/* keys[g]: the normalised message of failure group g (FAILURE_KEY_LEN bytes each). The first
 * attempt's message stays in the group verbatim, as its example. */
static void group_failures(const sic_app *app, sic_summary *s, char (*keys)[FAILURE_KEY_LEN]) {
  const sic_tasks *tk = &app->tasks;
  char key[FAILURE_KEY_LEN];
  for (int64_t i = 0; i < tk->n; i++) {
    int status = tk->status[i];
    if (status != SIC_TASK_FAILED && status != SIC_TASK_KILLED) continue;
    const char *reason = sic_str(app, sic_task_end_reason(app, i));
    const char *message = sic_str(app, sic_task_error(app, i));
    int killed = status == SIC_TASK_KILLED;
    sic_failure_key(message, key, sizeof key);
    int64_t g = 0;
    for (; g < s->nfailures; g++) {
      sic_failure_group *f = &s->failures[g];
      if (f->killed == killed && same_key(f->reason, reason) && (message != NULL) == (f->message != NULL) &&
          !strcmp(keys[g], key))
        break;
    }
    if (g == s->nfailures) {
      if (s->nfailures == MAX_FAILURE_GROUPS) g = MAX_FAILURE_GROUPS - 1; /* the last group collects the rest */
      else {
        memcpy(keys[s->nfailures], key, sizeof key);
        sic_failure_group *f = &s->failures[s->nfailures++];
        int32_t row = sic_task_stage(app, i);
        const sic_stage *st = row >= 0 && row < app->nstages ? &app->stages[row] : NULL;
        f->reason = reason ? reason : (killed ? "TaskKilled" : "unknown");
        f->message = message;
        f->killed = killed;
        f->first_stage = st ? st->stage_id : -1;
        f->first_stage_attempt = st ? st->attempt_id : -1;
        f->first_task_id = sic_col_get(&tk->task_id, i);
        f->first_index = sic_col_get(&tk->index, i);
        f->first_attempt = sic_col_get(&tk->attempt, i);
        int32_t e = sic_task_executor(app, i);
        f->first_executor = e >= 0 && e < app->nexecutors ? sic_str(app, app->executors[e].id) : NULL;
      }
    }
    s->failures[g].count++;
  }
}

static int cmp_failure(const void *a, const void *b) {
  const sic_failure_group *x = a, *y = b;
  if (x->killed != y->killed) return x->killed - y->killed;
  return x->count > y->count ? -1 : x->count < y->count;
}

/* ---- executors ---- */

typedef struct edge {
  int64_t time;                  /* when an executor appeared (+) or went away (-) */
  int delta;                     /* +1 / -1 */
  int cores;                     /* its cores */
} edge;

static int cmp_edge(const void *a, const void *b) {
  const edge *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return x->delta - y->delta; /* removals first at the same instant */
}

static int64_t app_end_time(const sic_app *app) {
  return app->end_time >= 0 ? app->end_time : app->last_event_time;
}

/* Executors alive in the middle of each of SIC_SUMMARY_TIMELINE equal slices of the run.
 * edges come in pairs: (from, +1) then (to, -1) of one executor. */
static void sample_timeline(sic_summary_executors *x, const edge *edges, int64_t nedges, int64_t begin, int64_t end) {
  if (begin < 0 || end <= begin) return;
  for (int k = 0; k < SIC_SUMMARY_TIMELINE; k++) {
    sic_executor_sample *p = &x->timeline[k];
    p->time = begin + (end - begin) * (2 * k + 1) / (2 * SIC_SUMMARY_TIMELINE);
    for (int64_t i = 0; i + 1 < nedges; i += 2)
      if (edges[i].time <= p->time && p->time < edges[i + 1].time) {
        p->executors++;
        p->cores += edges[i].cores;
      }
  }
  x->ntimeline = SIC_SUMMARY_TIMELINE;
}

/* Task point events for finding how many tasks ran at once on each executor. */
typedef struct task_edge {
  int32_t exec;                  /* executor row */
  int32_t delta;                 /* +1 launch, -1 finish */
  int64_t time;                  /* when */
} task_edge;

static int cmp_task_edge(const void *a, const void *b) {
  const task_edge *x = a, *y = b;
  if (x->exec != y->exec) return x->exec - y->exec;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return x->delta - y->delta; /* a finish frees the core for a launch at the same instant */
}

/* Cores of executors that did not log them (Spark 1.x, the driver in local mode): the most
 * tasks they ran at once, so utilisation stays a fraction of capacity actually used. */
static int infer_cores(const sic_app *app, int32_t *cores) {
  int unknown = 0;
  for (int64_t e = 0; e < app->nexecutors; e++) unknown |= cores[e] <= 0;
  if (!unknown || !app->tasks.n) return 0;
  task_edge *ev = malloc((size_t)(2 * app->tasks.n) * sizeof *ev);
  int64_t n = 0;
  if (!ev) return SIC_ENOMEM;
  for (int64_t i = 0; i < app->tasks.n; i++) {
    int32_t e = sic_task_executor(app, i);
    int64_t f = sic_col_get(&app->tasks.finish_time, i);
    if (e < 0 || e >= app->nexecutors || cores[e] > 0 || f <= 0) continue;
    ev[n++] = (task_edge){e, +1, sic_col_get(&app->tasks.launch_time, i)};
    ev[n++] = (task_edge){e, -1, f};
  }
  sic_qsort(ev, (size_t)n, sizeof *ev, cmp_task_edge);
  int64_t running = 0;
  for (int64_t i = 0; i < n; i++) {
    running = i && ev[i].exec == ev[i - 1].exec ? running + ev[i].delta : ev[i].delta;
    if (running > cores[ev[i].exec]) cores[ev[i].exec] = (int32_t)running;
  }
  free(ev);
  return 0;
}

static int build_executors(const sic_app *app, sic_summary *s) {
  sic_summary_executors *x = &s->executors;
  size_t nx = (size_t)(app->nexecutors ? app->nexecutors : 1);
  int64_t *ran = calloc(nx, sizeof *ran);
  int32_t *cores = calloc(nx, sizeof *cores);
  edge *edges = malloc((2 * nx + 1) * sizeof *edges);
  int64_t nedges = 0, begin = s->start_time >= 0 ? s->start_time : app->first_event_time;
  int64_t end = app_end_time(app);
  int rc = SIC_ENOMEM;
  if (!ran || !cores || !edges) goto done;
  for (int64_t i = 0; i < app->tasks.n; i++) {
    int32_t e = sic_task_executor(app, i);
    if (e >= 0 && e < app->nexecutors) ran[e]++;
  }
  for (int64_t e = 0; e < app->nexecutors; e++) cores[e] = app->executors[e].total_cores;
  for (int64_t e = 0; e < app->nexecutors; e++) x->cores_inferred |= cores[e] <= 0 && ran[e];
  if ((rc = infer_cores(app, cores)) != 0) goto done;
  for (int64_t e = 0; e < app->nexecutors; e++) {
    const sic_executor *ex = &app->executors[e];
    if (ex->is_driver) {
      if (ran[e]) x->driver_ran_tasks = 1;
      else continue;
    } else {
      x->count++;
      if (ex->add_time >= 0) x->added++;
      if (ex->remove_time >= 0) x->removed++;
      x->total_cores += cores[e];
      if (!ran[e]) x->idle++;
    }
    /* the driver runs from the application's start; executors from their registration */
    int64_t from = ex->is_driver ? begin : ex->add_time >= 0 ? ex->add_time : ex->bm_add_time >= 0 ? ex->bm_add_time : begin;
    int64_t to = ex->remove_time >= 0 ? ex->remove_time : end;
    if (from < begin && begin >= 0) from = begin;
    if (to > end && end >= 0) to = end;
    if (from < 0 || to < from) continue;
    x->core_time += (to - from) * cores[e];
    edges[nedges++] = (edge){from, +1, cores[e]};
    edges[nedges++] = (edge){to, -1, cores[e]};
  }
  sample_timeline(x, edges, nedges, begin, end);
  sic_qsort(edges, (size_t)nedges, sizeof *edges, cmp_edge);
  int64_t alive = 0, alive_cores = 0;
  for (int64_t i = 0; i < nedges; i++) {
    alive += edges[i].delta;
    alive_cores += edges[i].delta * edges[i].cores;
    if (alive > x->max_concurrent) x->max_concurrent = alive;
    if (alive_cores > x->max_concurrent_cores) x->max_concurrent_cores = alive_cores;
  }
  rc = 0;
done:
  free(ran);
  free(cores);
  free(edges);
  return rc;
}

static const char *part_path(const sic_app *app, int32_t part) {
  return part >= 0 && part < app->nparts ? sic_str(app, app->parts[part].path) : NULL;
}

static void build_notice(const sic_app *app, sic_summary *s) {
  sic_summary_notice *n = &s->notice;
  n->malformed_lines = app->malformed_lines;
  n->bad_fields = app->bad_fields;
  n->unknown_events = app->unknown_events;
  n->first_kind = -1;
  n->start_from_events = app->start_time < 0 && app->first_event_time >= 0;
  for (int64_t i = 0; i < app->ndiags; i++) {
    const sic_diag *d = &app->diags[i];
    if (d->kind == SIC_DIAG_DERIVED) {
      if (!n->derived_id) n->derived_id = sic_str(app, d->message);
    } else if (d->kind == SIC_DIAG_READ_ERROR) {
      if (!n->read_errors++) {
        n->read_error_path = part_path(app, d->part);
        n->read_error_reason = sic_str(app, d->message);
      }
    } else if ((d->kind == SIC_DIAG_MALFORMED_LINE || d->kind == SIC_DIAG_TRUNCATED_LINE) && n->first_kind < 0) {
      n->first_kind = d->kind;
      n->first_path = part_path(app, d->part);
      n->first_line = d->line;
      n->first_reason = sic_str(app, d->message);
    }
  }
}

static void build_header(const sic_app *app, sic_summary *s) {
  s->app = app;
  s->source = sic_str(app, app->source_path);
  s->app_id = sic_str(app, app->app_id);
  s->attempt_id = sic_str(app, app->attempt_id);
  s->name = sic_str(app, app->name);
  s->user = sic_str(app, app->user);
  s->spark_version = sic_str(app, app->spark_version);
  s->complete = app->complete;
  s->in_progress = app->in_progress;
  s->truncated = app->truncated;
  s->start_time = app->start_time >= 0 ? app->start_time : app->first_event_time;
  s->end_time = app->end_time;
  int64_t end = app_end_time(app);
  s->duration = s->start_time >= 0 && end >= s->start_time ? end - s->start_time : -1;
}

int sic_summary_build(const sic_app *app, sic_summary **out, sic_err *err) {
  sic_summary *s = calloc(1, sizeof *s);
  int rc = SIC_ENOMEM;
  *out = NULL;
  if (!s) goto error;
  build_header(app, s);
  count_jobs_stages(app, s);
  for (int64_t i = 0; i < app->tasks.n; i++) add_task(app, i, &s->tasks, NULL, NULL);
  if ((rc = build_stages(app, s)) != 0 || (rc = build_executors(app, s)) != 0 ||
      (rc = collect_failed_jobs(app, s)) != 0)
    goto error;
  s->failures = calloc(MAX_FAILURE_GROUPS, sizeof *s->failures);
  if (!s->failures) { rc = SIC_ENOMEM; goto error; }
  char (*keys)[FAILURE_KEY_LEN] = calloc(MAX_FAILURE_GROUPS, FAILURE_KEY_LEN);
  if (!keys) { rc = SIC_ENOMEM; goto error; }
  group_failures(app, s, keys);
  free(keys);
  sic_qsort(s->failures, (size_t)s->nfailures, sizeof *s->failures, cmp_failure);
  build_notice(app, s);
  if (s->duration > 0) s->parallelism = (double)s->tasks.task_time / s->duration;
  if (s->executors.core_time > 0) s->utilisation = (double)s->tasks.task_time / s->executors.core_time;
  if (s->tasks.m[SIC_TM_EXECUTOR_RUN_TIME] > 0)
    s->gc_share = (double)s->tasks.m[SIC_TM_JVM_GC_TIME] / s->tasks.m[SIC_TM_EXECUTOR_RUN_TIME];
  *out = s;
  return 0;
error:
  sic_summary_free(s);
  return sic_err_set(err, rc, "summary: %s", sic_strerror(rc));
}

void sic_summary_free(sic_summary *s) {
  if (!s) return;
  free(s->stages_by_time);
  free(s->failures);
  free(s->failed_jobs);
  free(s);
}
