/* Runtime from a replay of the log's own task times (see predict_replay.h). */
#include "cli/predict_replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static const char *spark_conf(const sic_app *a, const char *key) {
  for (int32_t i = 0; i < a->env_spark.n; i++) {
    const sic_kv *kv = &a->kvs[a->env_spark.off + i];
    const char *k = sic_str(a, kv->key);
    if (k && !strcmp(k, key)) return sic_str(a, kv->value);
  }
  return NULL;
}

typedef struct span_event {
  int64_t t;                     /* time, ms */
  int32_t delta;                 /* +1 added, -1 removed */
  int32_t cores;                 /* its cores */
} span_event;

static int by_time(const void *x, const void *y) {
  const span_event *a = x, *b = y;
  if (a->t != b->t) return a->t < b->t ? -1 : 1;
  return a->delta - b->delta; /* removals first at equal times */
}

/* Most executors alive at once and their cores then, as the analysis profile counts them
 * (workers with cores; the driver only when there is no executor: local mode). */
static int peak_executors(const sic_app *a, int32_t *peak, int32_t *cores_per_exec, int *local) {
  int has_exec = 0;
  for (int64_t i = 0; i < a->nexecutors; i++) has_exec |= !a->executors[i].is_driver;
  *local = !has_exec;
  span_event *ev = calloc((size_t)a->nexecutors * 2 + 1, sizeof *ev);
  if (!ev) return SIC_ENOMEM;
  int64_t n = 0, t0 = a->start_time >= 0 ? a->start_time : a->first_event_time;
  int64_t t1 = a->end_time >= 0 ? a->end_time : a->last_event_time;
  for (int64_t i = 0; i < a->nexecutors; i++) {
    const sic_executor *e = &a->executors[i];
    if ((e->is_driver && has_exec) || e->total_cores <= 0) continue;
    ev[n++] = (span_event){e->add_time >= 0 ? e->add_time : t0, 1, e->total_cores};
    ev[n++] = (span_event){e->remove_time >= 0 ? e->remove_time : t1, -1, e->total_cores};
  }
  qsort(ev, (size_t)n, sizeof *ev, by_time);
  int32_t cur = 0, cores = 0, best = 0, best_cores = 0;
  for (int64_t i = 0; i < n; i++) {
    cur += ev[i].delta;
    cores += ev[i].delta * ev[i].cores;
    if (cur > best) best = cur, best_cores = cores;
  }
  free(ev);
  *peak = best;
  const char *conf = spark_conf(a, "spark.executor.cores");
  int conf_cores = conf ? atoi(conf) : 0;
  *cores_per_exec = conf_cores > 0 ? conf_cores : best > 0 ? (int32_t)lround((double)best_cores / best) : 0;
  return 0;
}

int sic_replay_predict(const sic_app *app, int executors, int cores, sic_replay_prediction *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (app->nstages == 0) return sic_err_set(err, SIC_EINVAL, "the log has no stage to replay");
  int local = 0;
  int rc = peak_executors(app, &out->logged_executors, &out->logged_cores, &local);
  if (rc) return sic_err_set(err, rc, "out of memory");
  if (local && executors > 0)
    return sic_err_set(err, SIC_EINVAL, "a local-mode application has no executors to change (--cores changes its slots)");
  if (local) out->logged_executors = 0;
  out->executors = executors > 0 ? executors : out->logged_executors;
  out->cores = cores > 0 ? cores : out->logged_cores;
  double f = 1;
  if (executors > 0 && out->logged_executors > 0) f *= (double)executors / out->logged_executors;
  if (cores > 0 && out->logged_cores > 0) f *= (double)cores / out->logged_cores;
  out->factor = f;
  const char *tc = spark_conf(app, "spark.task.cpus");
  double task_cpus = tc ? atof(tc) : 1;
  double factors[2] = {1, f}, walls[2] = {0, 0};
  sic_sim_summary s;
  if ((rc = sic_sim_app(app, task_cpus, factors, 2, walls, &s)) != 0)
    return sic_err_set(err, rc < 0 ? rc : SIC_EINVAL, "the replay of the log's tasks failed (%s)", sic_strerror(rc));
  out->observed_ms = s.wall_ms;
  out->replay_logged_ms = walls[0];
  out->predicted_ms = walls[1];
  out->driver_ms = s.driver_ms;
  out->critical_path_ms = s.critical_path_ms;
  out->mean_slots = s.mean_slots;
  out->replay_error = s.wall_ms > 0 ? fabs(walls[0] - s.wall_ms) / s.wall_ms : 0;
  /* Replay error (at least 5%) plus 15 points per doubling (or halving) away from the logged size. */
  double e = fmax(out->replay_error, 0.05) + 0.15 * fabs(log2(f));
  double ideal = s.driver_ms + (s.mean_slots > 0 ? s.task_ms / (s.mean_slots * f) : 0);
  out->lo_ms = fmax(out->predicted_ms * (1 - fmin(e, 0.9)), fmax(s.critical_path_ms, ideal));
  if (out->lo_ms > out->predicted_ms) out->lo_ms = out->predicted_ms;
  out->hi_ms = out->predicted_ms * (1 + e);
  return 0;
}
