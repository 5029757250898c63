/* Example generator: randomness, task durations and metrics, and scheduling task attempts on
 * executor slots.
 *
 * Every attempt's duration and metrics come from an RNG stream keyed by (seed, stage, index,
 * attempt), so they can be recomputed when the event is written instead of being stored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "gen/gen_internal.h"

#define MB (1024LL * 1024LL)

uint64_t gen_next(gen_rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double gen_unit(gen_rng *r) { return (double)(gen_next(r) >> 11) * (1.0 / 9007199254740992.0); }

int64_t gen_between(gen_rng *r, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + (int64_t)(gen_next(r) % (uint64_t)(hi - lo + 1));
}

/* Box-Muller on two uniforms: exp(N(ln median, sigma)). */
double gen_lognormal(gen_rng *r, double median, double sigma) {
  double u1 = gen_unit(r), u2 = gen_unit(r);
  if (u1 < 1e-12) u1 = 1e-12;
  double n = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  if (n > 3.0) n = 3.0; /* keep the tail of ordinary tasks below the deliberate skew */
  if (n < -3.0) n = -3.0;
  return median * exp(sigma * n);
}

gen_rng gen_rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  gen_rng r = {seed ^ 0x5851F42D4C957F2DULL};
  r.s ^= gen_next(&r) + a * 0x9E3779B97F4A7C15ULL;
  r.s ^= gen_next(&r) + b * 0xC2B2AE3D27D4EB4FULL;
  r.s ^= gen_next(&r) + c * 0x165667B19E3779F9ULL;
  gen_next(&r);
  return r;
}

/* Median duration (ms) and spread of an ordinary task of each role. */
static const struct {
  double median_ms;
  double sigma;
} role_time[GEN_ROLE__COUNT] = {
    [GEN_ROLE_SCAN_ORDERS] = {3200, 0.22}, [GEN_ROLE_SCAN_CUSTOMERS] = {1500, 0.2},
    [GEN_ROLE_JOIN] = {2800, 0.18},        [GEN_ROLE_FINAL] = {2500, 0.2},
    [GEN_ROLE_TINY] = {38, 0.35},          [GEN_ROLE_COUNT] = {70, 0.1},
    [GEN_ROLE_FAILING] = {1900, 0.2},
};

int64_t gen_task_duration(const gen_app *g, const gen_stage *st, const gen_task *t) {
  gen_rng r = gen_rng_for(g->opts.seed, (uint64_t)st->id, (uint64_t)t->index, (uint64_t)t->attempt * 16 + 1);
  double ms = gen_lognormal(&r, role_time[st->role].median_ms, role_time[st->role].sigma) * t->work;
  if (g->execs[t->exec].gc_heavy) ms *= 1.7; /* the time lost to collection */
  return ms < 6 ? 6 : (int64_t)ms;
}

/* Shuffle-read side: split bytes between remote and local blocks the way a cluster of
 * nexec executors would (1/nexec of the map output is local). */
static void shuffle_read(gen_rng *r, gen_metrics *o, int64_t bytes, int64_t blocks, int nexec,
                         int64_t run_ms, double wait_frac) {
  double local_frac = nexec > 1 ? 1.0 / nexec : 1.0;
  int64_t local_blocks = (int64_t)(blocks * local_frac + 0.5);
  o->m[SIC_TM_SR_LOCAL_BLOCKS_FETCHED] = local_blocks;
  o->m[SIC_TM_SR_REMOTE_BLOCKS_FETCHED] = blocks - local_blocks;
  o->m[SIC_TM_SR_LOCAL_BYTES_READ] = (int64_t)(bytes * local_frac);
  o->m[SIC_TM_SR_REMOTE_BYTES_READ] = bytes - o->m[SIC_TM_SR_LOCAL_BYTES_READ];
  o->m[SIC_TM_SR_FETCH_WAIT_TIME] = (int64_t)(run_ms * wait_frac * (0.7 + 0.6 * gen_unit(r)));
  o->m[SIC_TM_SR_REMOTE_REQS_DURATION] =
      o->m[SIC_TM_SR_REMOTE_BLOCKS_FETCHED] ? o->m[SIC_TM_SR_FETCH_WAIT_TIME] * 3 / 2 + 1 : 0;
  if (bytes > 512 * MB) o->m[SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK] = o->m[SIC_TM_SR_REMOTE_BYTES_READ] / 4;
}

static int executors_alive(const gen_app *g, int64_t t) {
  int n = 0;
  for (int i = 0; i < g->nexecs; i++)
    if (g->execs[i].add_time <= t && g->execs[i].remove_time > t) n++;
  return n ? n : 1;
}

static int64_t stage_tasks(const gen_app *g, gen_role role) {
  for (int i = 0; i < g->nstages; i++)
    if (g->stages[i].role == role && !g->stages[i].skipped) return g->stages[i].num_tasks;
  return 1;
}

/* Data metrics by role; w is the partition's volume multiplier, frac the share of it processed
 * (failed attempts stop part-way). */
static void role_metrics(const gen_app *g, const gen_stage *st, const gen_task *t, gen_rng *r,
                         double frac, int64_t run, gen_metrics *o) {
  double w = t->work * frac;
  int nexec = executors_alive(g, t->launch);
  int64_t in = 0, sr = 0;
  switch (st->role) {
  case GEN_ROLE_SCAN_ORDERS:
  case GEN_ROLE_SCAN_CUSTOMERS:
    in = (int64_t)((st->role == GEN_ROLE_SCAN_ORDERS ? 128 : 48) * MB * w * (0.88 + 0.12 * gen_unit(r)));
    o->m[SIC_TM_INPUT_BYTES_READ] = in;
    o->m[SIC_TM_INPUT_RECORDS_READ] = in / (st->role == GEN_ROLE_SCAN_ORDERS ? 86 : 122);
    o->m[SIC_TM_SW_BYTES_WRITTEN] = (int64_t)(in * (st->role == GEN_ROLE_SCAN_ORDERS ? 0.31 : 0.42));
    o->m[SIC_TM_SW_RECORDS_WRITTEN] = o->m[SIC_TM_INPUT_RECORDS_READ] * 97 / 100;
    o->m[SIC_TM_SW_WRITE_TIME] = run * 1000000LL * gen_between(r, 2, 5) / 100;
    o->m[SIC_TM_PEAK_EXECUTION_MEMORY] = gen_between(r, 48, 96) * MB;
    break;
  case GEN_ROLE_JOIN:
    sr = (int64_t)(56 * MB * w * (0.9 + 0.2 * gen_unit(r)));
    shuffle_read(r, o, sr, stage_tasks(g, GEN_ROLE_SCAN_ORDERS) + stage_tasks(g, GEN_ROLE_SCAN_CUSTOMERS),
                 nexec, run, t->work > 5 ? 0.08 : 0.03);
    o->m[SIC_TM_SR_RECORDS_READ] = sr / 64;
    o->m[SIC_TM_PEAK_EXECUTION_MEMORY] = sr * 3 / 2 < 2200 * MB ? sr * 3 / 2 : 2200 * MB;
    if (sr > 400 * MB) { /* the sort buffers of a skewed partition do not fit: spill */
      o->m[SIC_TM_MEMORY_BYTES_SPILLED] = (int64_t)(sr * (2.1 + 0.4 * gen_unit(r)));
      o->m[SIC_TM_DISK_BYTES_SPILLED] = (int64_t)(sr * (0.5 + 0.1 * gen_unit(r)));
    }
    o->m[SIC_TM_SW_BYTES_WRITTEN] = sr / 64;
    o->m[SIC_TM_SW_RECORDS_WRITTEN] = sr / 6400;
    o->m[SIC_TM_SW_WRITE_TIME] = run * 1000000LL / 100;
    break;
  case GEN_ROLE_FINAL:
    sr = (int64_t)(18 * MB * w * (0.9 + 0.2 * gen_unit(r)));
    shuffle_read(r, o, sr, stage_tasks(g, GEN_ROLE_JOIN), nexec, run, 0.02);
    o->m[SIC_TM_SR_RECORDS_READ] = sr / 48;
    o->m[SIC_TM_PEAK_EXECUTION_MEMORY] = gen_between(r, 512, 1024) * MB;
    o->m[SIC_TM_MEMORY_BYTES_SPILLED] = (int64_t)(gen_between(r, 250, 500) * MB * frac);
    o->m[SIC_TM_DISK_BYTES_SPILLED] = o->m[SIC_TM_MEMORY_BYTES_SPILLED] * gen_between(r, 24, 30) / 100;
    o->m[SIC_TM_OUTPUT_BYTES_WRITTEN] = sr * 55 / 100;
    o->m[SIC_TM_OUTPUT_RECORDS_WRITTEN] = sr / 48;
    break;
  case GEN_ROLE_TINY:
    in = gen_between(r, 6 * 1024, 40 * 1024);
    o->m[SIC_TM_INPUT_BYTES_READ] = in;
    o->m[SIC_TM_INPUT_RECORDS_READ] = in / 180;
    o->m[SIC_TM_SW_BYTES_WRITTEN] = 59;
    o->m[SIC_TM_SW_RECORDS_WRITTEN] = 1;
    o->m[SIC_TM_SW_WRITE_TIME] = gen_between(r, 80000, 300000);
    break;
  case GEN_ROLE_COUNT:
    shuffle_read(r, o, 59 * stage_tasks(g, GEN_ROLE_TINY), stage_tasks(g, GEN_ROLE_TINY), nexec, run, 0.1);
    o->m[SIC_TM_SR_RECORDS_READ] = stage_tasks(g, GEN_ROLE_TINY);
    break;
  case GEN_ROLE_FAILING:
    in = (int64_t)(96 * MB * w * (0.9 + 0.1 * gen_unit(r)));
    o->m[SIC_TM_INPUT_BYTES_READ] = in;
    o->m[SIC_TM_INPUT_RECORDS_READ] = in / 70;
    o->m[SIC_TM_OUTPUT_BYTES_WRITTEN] = in * 4 / 10;
    o->m[SIC_TM_OUTPUT_RECORDS_WRITTEN] = in / 70;
    o->m[SIC_TM_PEAK_EXECUTION_MEMORY] = gen_between(r, 16, 64) * MB;
    break;
  default:
    break;
  }
}

/* Executor-level memory and cumulative GC counters as seen when the task ended. */
static void executor_metrics(const gen_app *g, const gen_task *t, gen_rng *r, gen_metrics *o) {
  const gen_exec *e = &g->execs[t->exec];
  int64_t alive_s = (t->finish - e->add_time) / 1000;
  if (alive_s < 1) alive_s = 1;
  o->gc_minor_count = alive_s * (e->gc_heavy ? 3 : 1) / 2 + 1;
  o->gc_minor_time = o->gc_minor_count * gen_between(r, 18, 30);
  o->gc_major_count = e->gc_heavy ? alive_s / 6 + 1 : alive_s / 180;
  o->gc_major_time = o->gc_major_count * gen_between(r, 380, 900);
  o->heap = (e->gc_heavy ? gen_between(r, 7000, 7900) : gen_between(r, 1500, 4200)) * MB;
  o->offheap = gen_between(r, 150, 260) * MB;
  o->exec_mem = o->m[SIC_TM_PEAK_EXECUTION_MEMORY];
  o->storage_mem = gen_between(r, 1, 40) * MB / 8;
  o->rss = o->heap + o->offheap + gen_between(r, 600, 1400) * MB;
}

void gen_task_metrics(const gen_app *g, const gen_stage *st, const gen_task *t, gen_metrics *o) {
  gen_rng r = gen_rng_for(g->opts.seed, (uint64_t)st->id, (uint64_t)t->index, (uint64_t)t->attempt * 16 + 2);
  int tiny = st->role == GEN_ROLE_TINY || st->role == GEN_ROLE_COUNT;
  int heavy = g->execs[t->exec].gc_heavy;
  int64_t total = t->finish - t->launch;
  memset(o, 0, sizeof *o);
  if (t->outcome == GEN_TASK_LOST) return; /* the executor died: nothing came back */
  o->m[SIC_TM_EXECUTOR_DESERIALIZE_TIME] = tiny ? gen_between(&r, 3, 14) : gen_between(&r, 6, 36);
  o->m[SIC_TM_RESULT_SERIALIZATION_TIME] = gen_between(&r, 0, 2);
  int64_t run = total - o->m[SIC_TM_EXECUTOR_DESERIALIZE_TIME] - o->m[SIC_TM_RESULT_SERIALIZATION_TIME] -
                gen_between(&r, 1, 3);
  if (run < 1) run = 1;
  o->m[SIC_TM_EXECUTOR_RUN_TIME] = run;
  o->m[SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME] = o->m[SIC_TM_EXECUTOR_DESERIALIZE_TIME] * gen_between(&r, 550000, 900000);
  o->m[SIC_TM_EXECUTOR_CPU_TIME] = run * (heavy ? gen_between(&r, 420000, 520000) : gen_between(&r, 600000, 860000));
  o->m[SIC_TM_JVM_GC_TIME] = heavy ? run * gen_between(&r, 30, 45) / 100 : run * gen_between(&r, 5, 40) / 1000;
  o->m[SIC_TM_RESULT_SIZE] = st->result ? gen_between(&r, 1800, 5200) : gen_between(&r, 2400, 4600);
  double frac = t->outcome == GEN_TASK_OK ? 1.0 : 0.3 + 0.3 * gen_unit(&r);
  role_metrics(g, st, t, &r, frac, run, o);
  if (t->outcome != GEN_TASK_OK) o->m[SIC_TM_OUTPUT_BYTES_WRITTEN] = o->m[SIC_TM_OUTPUT_RECORDS_WRITTEN] = 0;
  executor_metrics(g, t, &r, o);
}

/* ---- scheduling ---- */

typedef struct slot {
  int exec;                  /* row in g->execs */
  int64_t free_at;           /* when it can start the next task; INT64_MAX = executor gone */
} slot;

typedef struct retry {
  int32_t index;             /* partition to run again */
  int32_t attempt;           /* its next attempt number */
  int64_t ready;             /* earliest launch (after the failure was reported) */
} retry;

/* Partition work: ordinary partitions vary a little, skewed JOIN partitions are 20-50x. */
static double partition_work(const gen_app *g, const gen_stage *st, int index) {
  gen_rng r = gen_rng_for(g->opts.seed, (uint64_t)st->id, (uint64_t)index, 7);
  double w = gen_lognormal(&r, 1.0, 0.12);
  if (st->role == GEN_ROLE_JOIN) {
    /* skewed partitions sit at evenly spread indices so every run has them */
    int stride = st->num_tasks / (st->skew_count + 1);
    for (int k = 1; k <= st->skew_count; k++)
      if (index == k * stride - 1) return 20.0 + 30.0 * gen_unit(&r);
  }
  return w;
}

static int fails(const gen_stage *st, const gen_task *t) {
  if (st->role == GEN_ROLE_FAILING) return t->index == st->fail_index[0];
  for (int i = 0; i < st->nfail; i++)
    if (t->index == st->fail_index[i] && t->attempt == 0) return 1;
  return 0;
}

/* The slot that frees up first; slots of executors removed by then are retired. */
static int pick_slot(const gen_app *g, slot *slots, int nslots) {
  for (;;) {
    int best = -1;
    for (int i = 0; i < nslots; i++)
      if (slots[i].free_at != INT64_MAX && (best < 0 || slots[i].free_at < slots[best].free_at)) best = i;
    if (best < 0 || g->execs[slots[best].exec].remove_time > slots[best].free_at) return best;
    slots[best].free_at = INT64_MAX;
  }
}

static int build_slots(gen_app *g, gen_stage *st, slot **out, int *n) {
  int cap = 0, k = 0;
  for (int i = 0; i < g->nexecs; i++) cap += g->execs[i].cores;
  slot *s = calloc(cap ? cap : 1, sizeof *s);
  if (!s) return SIC_ENOMEM;
  for (int i = 0; i < g->nexecs; i++) {
    gen_exec *e = &g->execs[i];
    if (e->add_time == INT64_MAX || e->remove_time <= st->submit) continue;
    for (int c = 0; c < e->cores; c++) {
      s[k].exec = i;
      s[k].free_at = (e->bm_time > st->submit ? e->bm_time : st->submit) + 25 + c;
      k++;
    }
  }
  *out = s;
  *n = k;
  return 0;
}

static int push_task(gen_task **tasks, int64_t *n, int64_t *cap, const gen_task *t) {
  if (*n == *cap) {
    int64_t nc = *cap ? *cap * 2 : 64;
    gen_task *nt = realloc(*tasks, (size_t)nc * sizeof *nt);
    if (!nt) return SIC_ENOMEM;
    *tasks = nt;
    *cap = nc;
  }
  (*tasks)[(*n)++] = *t;
  return 0;
}

static int cmp_launch(const void *a, const void *b) {
  const gen_task *x = a, *y = b;
  if (x->launch != y->launch) return x->launch < y->launch ? -1 : 1;
  return x->index != y->index ? (x->index < y->index ? -1 : 1) : x->attempt - y->attempt;
}

/* FAILING: the 4th failure aborts the stage; attempts not yet launched never start and the
 * ones still running are killed shortly after. */
static void apply_abort(gen_app *g, gen_stage *st, gen_task *tasks, int64_t *n, int64_t abort_at) {
  int64_t k = 0;
  gen_rng r = gen_rng_for(g->opts.seed, (uint64_t)st->id, 99, 99);
  for (int64_t i = 0; i < *n; i++) {
    gen_task t = tasks[i];
    if (t.launch > abort_at) continue;
    if (t.finish > abort_at && t.outcome == GEN_TASK_OK) {
      t.outcome = GEN_TASK_KILLED;
      t.finish = abort_at + gen_between(&r, 8, 60);
    }
    tasks[k++] = t;
  }
  *n = k;
}

int gen_schedule(gen_app *g, gen_stage *st, gen_task **out, int64_t *nout) {
  slot *slots = NULL;
  retry *retries = NULL;
  gen_task *tasks = NULL;
  int nslots = 0, nretry = 0, next_index = 0, rc;
  int64_t n = 0, cap = 0, abort_at = -1;
  gen_rng jitter = gen_rng_for(g->opts.seed, (uint64_t)st->id, 0, 5);
  if ((rc = build_slots(g, st, &slots, &nslots)) != 0) goto error;
  retries = calloc((size_t)st->num_tasks * 4 + 8, sizeof *retries);
  if (!retries) { rc = SIC_ENOMEM; goto error; }
  while (abort_at < 0) {
    int s = pick_slot(g, slots, nslots);
    if (s < 0) { rc = SIC_EINVAL; goto error; } /* no executor left: the scenario is wrong */
    gen_task t = {0};
    gen_exec *e = &g->execs[slots[s].exec];
    if (nretry && (next_index >= st->num_tasks || retries[0].ready <= slots[s].free_at)) {
      if (retries[0].ready + 5 >= e->remove_time) { /* this executor is gone by then */
        slots[s].free_at = INT64_MAX;
        continue;
      }
      t.index = retries[0].index;
      t.attempt = retries[0].attempt;
      t.launch = retries[0].ready > slots[s].free_at ? retries[0].ready : slots[s].free_at;
      memmove(retries, retries + 1, (size_t)--nretry * sizeof *retries);
    } else if (next_index < st->num_tasks) {
      t.index = next_index++;
      t.launch = slots[s].free_at;
    } else {
      break;
    }
    t.exec = slots[s].exec;
    t.launch += gen_between(&jitter, 0, 4);
    t.work = partition_work(g, st, t.index);
    t.finish = t.launch + gen_task_duration(g, st, &t);
    if (e->remove_time < t.finish) {
      t.outcome = GEN_TASK_LOST;
      t.finish = e->remove_time + gen_between(&jitter, 40, 400); /* driver notices the loss */
      slots[s].free_at = INT64_MAX;
    } else if (fails(st, &t)) {
      /* the bad row of the failing query sits early in its partition: it fails fast */
      int64_t pct = st->role == GEN_ROLE_FAILING ? gen_between(&jitter, 5, 15) : gen_between(&jitter, 30, 60);
      t.outcome = GEN_TASK_EXCEPTION;
      t.finish = t.launch + (t.finish - t.launch) * pct / 100;
      slots[s].free_at = t.finish + gen_between(&jitter, 1, 6);
    } else {
      slots[s].free_at = t.finish + gen_between(&jitter, 1, 6);
    }
    e->tasks_run++;
    if (t.finish > e->last_busy) e->last_busy = t.finish;
    if ((rc = push_task(&tasks, &n, &cap, &t)) != 0) goto error;
    if (t.outcome == GEN_TASK_LOST || t.outcome == GEN_TASK_EXCEPTION) {
      if (st->role == GEN_ROLE_FAILING && t.attempt == 3) abort_at = t.finish;
      else retries[nretry++] = (retry){t.index, t.attempt + 1, t.finish + 1};
    }
  }
  if (abort_at >= 0) apply_abort(g, st, tasks, &n, abort_at);
  sic_qsort(tasks, (size_t)n, sizeof *tasks, cmp_launch);
  for (int64_t i = 0; i < n; i++) tasks[i].task_id = g->next_task_id++;
  free(slots);
  free(retries);
  *out = tasks;
  *nout = n;
  return 0;
error:
  free(slots);
  free(retries);
  free(tasks);
  return rc;
}
