/* What-if scheduler simulation and executor timelines (see stats.h, "Simulation").
 *
 * Model (Sparklens-class, from observed task times):
 *  - the app's wall time = driver time (no stage attempt running) + the time of "phases":
 *    maximal groups of stage attempts whose [first launch, completion] intervals overlap;
 *  - inside a phase, stage attempts are list-scheduled on `slots` task slots: a stage is
 *    ready when its parents inside the phase (and its own earlier attempt) are done; the
 *    ready stage with the earliest ready time goes first (FIFO, like Spark's default pool);
 *    each task takes the earliest free slot; a task's duration is what the log observed;
 *  - slots at the actual size = executor cores alive during the phase (time-weighted mean)
 *    / spark.task.cpus; when the log has no executor cores (local mode, Spark 1.x), the most
 *    tasks observed running at once;
 *  - another cluster size multiplies every phase's slots by the factor; driver time stays.
 * Ownership: all scratch memory is freed before returning. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "stats/stats.h"

/* One stage attempt taking part in the simulation. */
typedef struct sim_stage {
  int64_t row;           /* row in app->stages */
  int64_t start;         /* first task launch (or submission), ms epoch */
  int64_t end;           /* completion (or last task finish), ms epoch */
  int32_t phase;         /* phase index */
  int32_t done;          /* scheduled in the current simulation run */
  double finish;         /* simulated finish time, ms from the phase start */
  double longest;        /* longest task, ms (critical path unit) */
  double work;           /* sum of task durations, ms */
  int64_t dur_off;       /* first of its finished tasks' durations in sim_ctx.durs */
  int64_t dur_n;         /* number of finished tasks */
  int32_t dep_off;       /* first entry of its in-phase dependencies in sim_ctx.deps */
  int32_t dep_n;         /* number of in-phase dependencies */
} sim_stage;

/* One phase: overlapping stage attempts simulated together. */
typedef struct sim_phase {
  int64_t start;         /* earliest stage start */
  int64_t end;           /* latest stage end */
  int32_t first;         /* first stage in the sorted sim_stage array */
  int32_t n;             /* number of stages */
  double slots;          /* task slots at the actual cluster size */
} sim_phase;

/* Everything derived once from the app. */
typedef struct sim_ctx {
  const sic_app *app;    /* the model (read only) */
  sim_stage *stages;     /* stage attempts with tasks, sorted by start */
  int32_t nstages;       /* entries in stages */
  sim_phase *phases;     /* phases in time order */
  int32_t nphases;       /* entries in phases */
  double *durs;          /* finished task durations, grouped by stage (sim_stage.dur_off) */
  double *heap;          /* scratch: slot free times (min-heap) */
  int32_t *deps;         /* in-phase dependencies: indices into stages (see sim_stage.dep_off) */
  int64_t heap_cap;      /* capacity of heap */
  double driver_ms;      /* app wall time with no stage running */
  double wall_ms;        /* app wall time */
} sim_ctx;

static int64_t task_end(const sic_app *app, int64_t row) {
  return sic_col_get(&app->tasks.finish_time, row);
}

static int cmp_stage_start(const void *a, const void *b) {
  const sim_stage *x = a, *y = b;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

/* Stage attempts with finished tasks, with their observed interval and work. */
static int collect_stages(sim_ctx *c) {
  const sic_app *app = c->app;
  c->stages = calloc((size_t)(app->nstages > 0 ? app->nstages : 1), sizeof *c->stages);
  if (!c->stages) return SIC_ENOMEM;
  for (int64_t s = 0; s < app->nstages; s++) {
    const sic_stage *st = &app->stages[s];
    sim_stage x = {.row = s, .start = INT64_MAX, .end = INT64_MIN};
    for (int32_t i = 0; i < st->tasks.n; i++) {
      int64_t row = app->stage_task_rows[st->tasks.off + i];
      int64_t d = sic_task_duration(app, row);
      if (d < 0) continue;
      if (sic_col_get(&app->tasks.launch_time, row) < x.start) x.start = sic_col_get(&app->tasks.launch_time, row);
      if (task_end(app, row) > x.end) x.end = task_end(app, row);
      x.work += (double)d;
      if ((double)d > x.longest) x.longest = (double)d;
    }
    if (x.end == INT64_MIN) continue;
    if (st->completion_time > x.end) x.end = st->completion_time;
    c->stages[c->nstages++] = x;
  }
  sic_qsort(c->stages, (size_t)c->nstages, sizeof *c->stages, cmp_stage_start);
  /* Durations once, in task order: every simulated size replays them. */
  c->durs = malloc((size_t)(app->tasks.n > 0 ? app->tasks.n : 1) * sizeof *c->durs);
  if (!c->durs) return SIC_ENOMEM;
  int64_t k = 0;
  for (int32_t i = 0; i < c->nstages; i++) {
    const sic_stage *st = &app->stages[c->stages[i].row];
    c->stages[i].dur_off = k;
    for (int32_t j = 0; j < st->tasks.n; j++) {
      int64_t d = sic_task_duration(app, app->stage_task_rows[st->tasks.off + j]);
      if (d >= 0) c->durs[k++] = (double)d;
    }
    c->stages[i].dur_n = k - c->stages[i].dur_off;
  }
  return SIC_OK;
}

/* Time-weighted mean of executor cores alive over [t0, t1]; 0 when no executor says. */
static double alive_cores(const sic_app *app, int64_t t0, int64_t t1, int64_t app_end) {
  double span = (double)(t1 > t0 ? t1 - t0 : 1), core_ms = 0;
  int have_driver_only = 1;
  for (int64_t e = 0; e < app->nexecutors; e++) if (!app->executors[e].is_driver) have_driver_only = 0;
  for (int64_t e = 0; e < app->nexecutors; e++) {
    const sic_executor *x = &app->executors[e];
    if (x->total_cores <= 0 || (x->is_driver && !have_driver_only)) continue;
    int64_t a = x->add_time >= 0 ? x->add_time : INT64_MIN, r = x->remove_time >= 0 ? x->remove_time : app_end;
    if (r < a) r = a;
    int64_t lo = a > t0 ? a : t0, hi = r < t1 ? r : t1;
    if (t1 <= t0) { if (a <= t0 && r >= t0) core_ms += x->total_cores * span; continue; }
    if (hi > lo) core_ms += (double)x->total_cores * (double)(hi - lo);
  }
  return core_ms / span;
}

/* Most tasks observed running at once among the phase's stages (sweep over starts/ends). */
static int max_concurrency(sim_ctx *c, const sim_phase *p, int32_t *out) {
  const sic_app *app = c->app;
  int64_t n = 0;
  for (int32_t i = 0; i < p->n; i++) n += app->stages[c->stages[p->first + i].row].tasks.n;
  double *ev = malloc((size_t)(2 * n + 1) * sizeof *ev);
  if (!ev) return SIC_ENOMEM;
  int64_t k = 0;
  for (int32_t i = 0; i < p->n; i++) {
    const sic_stage *st = &app->stages[c->stages[p->first + i].row];
    for (int32_t j = 0; j < st->tasks.n; j++) {
      int64_t row = app->stage_task_rows[st->tasks.off + j];
      if (sic_task_duration(app, row) < 0) continue;
      /* starts encoded as +0.5 offsets after ends at the same ms: an end frees its slot first */
      ev[k++] = (double)sic_col_get(&app->tasks.launch_time, row) * 2 + 1;
      ev[k++] = (double)task_end(app, row) * 2;
    }
  }
  sic_qsort(ev, (size_t)k, sizeof *ev, sic_cmp_double);
  int32_t cur = 0, best = 0;
  for (int64_t i = 0; i < k; i++) {
    cur += fmod(ev[i], 2) != 0 ? 1 : -1;
    if (cur > best) best = cur;
  }
  free(ev);
  *out = best;
  return SIC_OK;
}

/* Group overlapping stage intervals into phases; driver time is the rest of the wall. */
static int build_phases(sim_ctx *c, double task_cpus) {
  const sic_app *app = c->app;
  int64_t app_start = app->start_time >= 0 ? app->start_time : app->first_event_time;
  int64_t app_end = app->end_time >= 0 ? app->end_time : app->last_event_time;
  c->phases = calloc((size_t)(c->nstages > 0 ? c->nstages : 1), sizeof *c->phases);
  if (!c->phases) return SIC_ENOMEM;
  for (int32_t i = 0; i < c->nstages; i++) {
    sim_stage *s = &c->stages[i];
    sim_phase *p = c->nphases ? &c->phases[c->nphases - 1] : NULL;
    if (!p || s->start >= p->end) {
      p = &c->phases[c->nphases++];
      p->start = s->start, p->end = s->end, p->first = i, p->n = 0;
    }
    if (s->end > p->end) p->end = s->end;
    s->phase = (int32_t)(p - c->phases);
    p->n++;
  }
  double busy = 0;
  for (int32_t i = 0; i < c->nphases; i++) {
    sim_phase *p = &c->phases[i];
    busy += (double)(p->end - p->start);
    double slots = floor(alive_cores(app, p->start, p->end, app_end) / (task_cpus > 0 ? task_cpus : 1));
    /* Logs without executor cores (local mode, Spark 1.x): the concurrency the tasks showed. */
    if (slots < 1) {
      int32_t conc = 0;
      int rc = max_concurrency(c, p, &conc);
      if (rc) return rc;
      slots = conc;
    }
    p->slots = slots;
    if (p->slots < 1) p->slots = 1;
  }
  if (app_start < 0 && c->nstages) app_start = c->stages[0].start;
  if (app_end < 0 && c->nphases) app_end = c->phases[c->nphases - 1].end;
  c->wall_ms = app_end > app_start ? (double)(app_end - app_start) : busy;
  if (c->wall_ms < busy) c->wall_ms = busy;
  c->driver_ms = c->wall_ms - busy;
  return SIC_OK;
}

/* ---- min-heap of slot free times ---- */
/* Replace the smallest value by v and restore the heap: a pop and a push in one sift. */
static void heap_replace_top(double *h, int64_t n, double v) {
  int64_t i = 0;
  for (;;) {
    int64_t l = 2 * i + 1;
    if (l >= n) break;
    if (l + 1 < n && h[l + 1] < h[l]) l++;
    if (h[l] >= v) break;
    h[i] = h[l];
    i = l;
  }
  h[i] = v;
}

/* Does stage attempt s wait for o? (o is a parent stage, or an earlier attempt of s) */
static int depends_on(const sic_app *app, const sic_stage *st, const sic_stage *os) {
  if (os->stage_id == st->stage_id) return os->attempt_id < st->attempt_id;
  for (int32_t j = 0; j < st->parents.n; j++)
    if (app->ints[st->parents.off + j] == os->stage_id) return 1;
  return 0;
}

/* In-phase dependency lists of every stage, computed once per simulation context. */
static int build_deps(sim_ctx *c) {
  int64_t total = 0;
  for (int32_t i = 0; i < c->nphases; i++) total += (int64_t)c->phases[i].n * c->phases[i].n;
  c->deps = malloc((size_t)(total > 0 ? total : 1) * sizeof *c->deps);
  if (!c->deps) return SIC_ENOMEM;
  int32_t k = 0;
  for (int32_t i = 0; i < c->nphases; i++) {
    const sim_phase *p = &c->phases[i];
    for (int32_t a = 0; a < p->n; a++) {
      sim_stage *s = &c->stages[p->first + a];
      s->dep_off = k, s->dep_n = 0;
      for (int32_t b = 0; b < p->n; b++) {
        if (a == b) continue;
        if (depends_on(c->app, &c->app->stages[s->row], &c->app->stages[c->stages[p->first + b].row]))
          c->deps[k++] = p->first + b, s->dep_n++;
      }
    }
  }
  return SIC_OK;
}

/* Ready time of stage s: the latest simulated finish of its in-phase dependencies. Returns 0
 * when one of them is not scheduled yet. */
static int parent_ready(const sim_ctx *c, const sim_stage *s, double *ready) {
  *ready = 0;
  for (int32_t j = 0; j < s->dep_n; j++) {
    const sim_stage *o = &c->stages[c->deps[s->dep_off + j]];
    if (!o->done) return 0;
    if (o->finish > *ready) *ready = o->finish;
  }
  return 1;
}

/* The phase's not-yet-scheduled stage whose parents are done earliest, and when they are
 * (*ready). A dependency cycle cannot happen in Spark; should one appear, the rest go in
 * order, ready at 0. The caller has at least one stage left. */
static sim_stage *next_stage(sim_ctx *c, const sim_phase *p, double *ready) {
  sim_stage *next = NULL;
  *ready = 0;
  for (int32_t k = 0; k < p->n; k++) {
    sim_stage *s = &c->stages[p->first + k];
    double r;
    if (s->done || !parent_ready(c, s, &r)) continue;
    if (!next || r < *ready) next = s, *ready = r;
  }
  for (int32_t k = 0; k < p->n && !next; k++)
    if (!c->stages[p->first + k].done) next = &c->stages[p->first + k];
  return next;
}

/* List-schedule one phase on `slots` slots; returns the simulated phase duration (ms). */
static double simulate_phase(sim_ctx *c, const sim_phase *p, double slots) {
  int64_t nslots = (int64_t)slots, hn = 0;
  if (nslots < 1) nslots = 1;
  if (nslots > c->heap_cap) nslots = c->heap_cap; /* more slots than tasks changes nothing */
  for (int64_t i = 0; i < nslots; i++) c->heap[hn++] = 0;
  for (int32_t k = 0; k < p->n; k++) c->stages[p->first + k].done = 0;
  double makespan = 0;
  for (int32_t left = p->n; left > 0; left--) {
    double next_ready;
    sim_stage *next = next_stage(c, p, &next_ready);
    double finish = next_ready;
    const double *d = c->durs + next->dur_off;
    for (int64_t j = 0; j < next->dur_n; j++) {
      double free_at = c->heap[0], start = free_at > next_ready ? free_at : next_ready;
      double end = start + d[j];
      heap_replace_top(c->heap, hn, end);
      if (end > finish) finish = end;
    }
    next->finish = finish, next->done = 1;
    if (finish > makespan) makespan = finish;
  }
  return makespan;
}

/* Longest dependency chain of a phase with unlimited slots (each stage = its longest task). */
static double critical_path(sim_ctx *c, const sim_phase *p) {
  for (int32_t k = 0; k < p->n; k++) c->stages[p->first + k].done = 0;
  double longest = 0;
  for (int32_t left = p->n; left > 0; left--) {
    double next_ready;
    sim_stage *next = next_stage(c, p, &next_ready);
    next->finish = next_ready + next->longest, next->done = 1;
    if (next->finish > longest) longest = next->finish;
  }
  return longest;
}

/* Task attempts of a phase's stages. */
static int64_t phase_tasks(const sim_ctx *c, const sim_phase *p) {
  int64_t n = 0;
  for (int32_t k = 0; k < p->n; k++) n += c->app->stages[c->stages[p->first + k].row].tasks.n;
  return n;
}

static void ctx_free(sim_ctx *c) {
  free(c->stages);
  free(c->phases);
  free(c->heap);
  free(c->deps);
  free(c->durs);
  memset(c, 0, sizeof *c);
}

static int ctx_init(sim_ctx *c, const sic_app *app, double task_cpus) {
  memset(c, 0, sizeof *c);
  c->app = app;
  int rc = collect_stages(c);
  if (rc == SIC_OK) rc = build_phases(c, task_cpus);
  if (rc == SIC_OK) rc = build_deps(c);
  int64_t maxtasks = 1;
  for (int32_t i = 0; i < c->nstages; i++) {
    int64_t n = app->stages[c->stages[i].row].tasks.n;
    if (n > maxtasks) maxtasks = n;
  }
  c->heap_cap = maxtasks;
  if (rc == SIC_OK && !(c->heap = malloc((size_t)(maxtasks + 1) * sizeof *c->heap))) rc = SIC_ENOMEM;
  if (rc) ctx_free(c);
  return rc;
}

int sic_sim_app(const sic_app *app, double task_cpus, const double *factors, int32_t nfactors, double *wall_out,
                sic_sim_summary *summary) {
  if (!app || nfactors < 0 || (nfactors > 0 && (!factors || !wall_out))) return SIC_EINVAL;
  sim_ctx c;
  int rc = ctx_init(&c, app, task_cpus);
  if (rc) return rc;
  sic_sim_summary s = {.wall_ms = c.wall_ms, .driver_ms = c.driver_ms, .phases = c.nphases};
  for (int32_t i = 0; i < c.nphases; i++) {
    const sim_phase *p = &c.phases[i];
    double work = 0;
    for (int32_t k = 0; k < p->n; k++) work += c.stages[p->first + k].work;
    double cp = critical_path(&c, p), sim = simulate_phase(&c, p, p->slots);
    double ideal = work / p->slots;
    s.task_ms += work;
    s.phase_ms += (double)(p->end - p->start);
    s.simulated_ms += sim;
    s.critical_path_ms += cp;
    s.ideal_ms += ideal > cp ? ideal : cp;
    s.slot_ms += p->slots * (double)(p->end - p->start);
    if (p->slots > s.max_slots) s.max_slots = p->slots;
  }
  s.simulated_ms += c.driver_ms;
  s.critical_path_ms += c.driver_ms;
  s.ideal_ms += c.driver_ms;
  s.mean_slots = s.phase_ms > 0 ? s.slot_ms / s.phase_ms : 0;
  for (int32_t f = 0; f < nfactors; f++) {
    if (factors[f] == 1) { wall_out[f] = s.simulated_ms; continue; } /* already simulated above */
    double total = c.driver_ms;
    for (int32_t i = 0; i < c.nphases; i++) {
      const sim_phase *p = &c.phases[i];
      double slots = floor(p->slots * factors[f] + 0.5);
      /* With a slot for every task, list scheduling is the critical path: skip the heap. */
      total += slots >= (double)phase_tasks(&c, p) ? critical_path(&c, p) : simulate_phase(&c, p, slots < 1 ? 1 : slots);
    }
    wall_out[f] = total;
  }
  if (summary) *summary = s;
  ctx_free(&c);
  return SIC_OK;
}

int sic_stats_timeline(const sic_app *app, int64_t t0, int64_t t1, int32_t nbins, double *busy_core_ms,
                       double *alive_core_ms) {
  if (!app || nbins <= 0 || t1 <= t0 || !busy_core_ms || !alive_core_ms) return SIC_EINVAL;
  memset(busy_core_ms, 0, (size_t)nbins * sizeof *busy_core_ms);
  memset(alive_core_ms, 0, (size_t)nbins * sizeof *alive_core_ms);
  double width = (double)(t1 - t0) / nbins;
  /* Spread [a, b) over the bins it overlaps, weighted by w. */
#define SPREAD(arr, a, b, w)                                                                \
  do {                                                                                      \
    double lo_ = (double)((a) > t0 ? (a) : t0) - (double)t0, hi_ = (double)((b) < t1 ? (b) : t1) - (double)t0; \
    for (int32_t k_ = (int32_t)(lo_ / width); hi_ > lo_ && k_ < nbins; k_++) {              \
      double bs_ = k_ * width, be_ = bs_ + width;                                           \
      double ov_ = (hi_ < be_ ? hi_ : be_) - (lo_ > bs_ ? lo_ : bs_);                       \
      if (ov_ > 0) arr[k_] += ov_ * (w);                                                    \
      if (be_ >= hi_) break;                                                                \
    }                                                                                       \
  } while (0)
  for (int64_t row = 0; row < app->tasks.n; row++) {
    int64_t end = task_end(app, row), start = sic_col_get(&app->tasks.launch_time, row);
    if (end <= 0 || end <= start) continue;
    SPREAD(busy_core_ms, start, end, 1.0);
  }
  int have_exec = 0;
  for (int64_t e = 0; e < app->nexecutors; e++) have_exec |= !app->executors[e].is_driver;
  for (int64_t e = 0; e < app->nexecutors; e++) {
    const sic_executor *x = &app->executors[e];
    if (x->total_cores <= 0 || (x->is_driver && have_exec)) continue;
    int64_t a = x->add_time >= 0 ? x->add_time : t0, r = x->remove_time >= 0 ? x->remove_time : t1;
    SPREAD(alive_core_ms, a, r, (double)x->total_cores);
  }
#undef SPREAD
  return SIC_OK;
}
