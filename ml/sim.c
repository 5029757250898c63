/* DAG scheduler simulation (see sim.h). */
#include "ml/sim.h"

#include <math.h>
#include <stdlib.h>

typedef struct sim_state {
  double *finish;                       /* finish time of each stage, -1 while not finished */
  double *start;                        /* start time, -1 while not started */
  int *used;                            /* slots a running stage holds */
  int free_slots;                       /* slots not held by running stages */
  double now;                           /* simulated clock, ms */
} sim_state;

/* Earliest time stage i may start, or -1 while a predecessor has not finished. */
static double ready_time(const sic_ml_app *a, const sim_state *s, int32_t i) {
  double t = 0;
  const sic_ml_stage_row *r = &a->stages[i];
  for (int32_t k = 0; k < r->nparents; k++) {
    double f = s->finish[a->parents[r->parent_first + k]];
    if (f < 0) return -1;
    if (f > t) t = f;
  }
  if (r->submit_ms < 0) return t;
  for (int32_t j = 0; j < i; j++) { /* sequenced after stages that had completed in the log */
    const sic_ml_stage_row *q = &a->stages[j];
    if (q->submit_ms < 0 || q->duration_ms < 0 || q->submit_ms + q->duration_ms > r->submit_ms) continue;
    if (s->finish[j] < 0) return -1;
    if (s->finish[j] > t) t = s->finish[j];
  }
  return t;
}

static double stretched(double ms, int tasks, int want, int got) {
  if (got >= want || got <= 0) return ms;
  return ms * ceil((double)tasks / got) / ceil((double)tasks / want);
}

/* Start every stage that can start at s->now; returns how many started. */
static int start_ready(const sic_ml_app *a, const double *stage_ms, int slots, sim_state *s, double *end) {
  int started = 0;
  for (int32_t i = 0; i < a->nstages && s->free_slots > 0; i++) {
    if (s->start[i] >= 0) continue;
    double t = ready_time(a, s, i);
    if (t < 0 || t > s->now) continue;
    int tasks = a->stages[i].num_tasks > 0 ? a->stages[i].num_tasks : 1;
    int want = tasks < slots ? tasks : slots;
    int got = want < s->free_slots ? want : s->free_slots;
    double ms = stage_ms[i] > 0 ? stretched(stage_ms[i], tasks, want, got) : 0;
    s->start[i] = s->now;
    s->used[i] = ms > 0 ? got : 0;
    s->free_slots -= s->used[i];
    end[i] = s->now + ms;
    started++;
  }
  return started;
}

double sic_ml_simulate(const sic_ml_app *a, const double *stage_ms, int slots, double driver_ms) {
  int32_t n = a->nstages;
  if (slots < 1) slots = 1;
  sim_state s = {calloc((size_t)n + 1, sizeof(double)), calloc((size_t)n + 1, sizeof(double)),
                 calloc((size_t)n + 1, sizeof(int)), slots, 0};
  double *end = calloc((size_t)n + 1, sizeof(double));
  double makespan = -1;
  if (!s.finish || !s.start || !s.used || !end) goto done;
  for (int32_t i = 0; i < n; i++) s.finish[i] = s.start[i] = -1;
  int32_t finished = 0;
  while (finished < n) {
    while (start_ready(a, stage_ms, slots, &s, end) > 0) {
    }
    double next = INFINITY; /* earliest end among running stages */
    int32_t who = -1;
    for (int32_t i = 0; i < n; i++)
      if (s.start[i] >= 0 && s.finish[i] < 0 && end[i] < next) next = end[i], who = i;
    if (who < 0) break; /* nothing runs and nothing can start: unreachable stages are skipped */
    s.now = next;
    s.finish[who] = next;
    s.free_slots += s.used[who];
    finished++;
  }
  makespan = s.now + (driver_ms > 0 ? driver_ms : 0);
done:
  free(s.finish), free(s.start), free(s.used), free(end);
  return makespan;
}
