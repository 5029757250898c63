/* History-based prediction (see history.h). */
#include "ml/history.h"
#include "ml/predict.h"

#include <math.h>
#include <stdlib.h>

#include "ml/sim.h"

static double stage_volume(const sic_ml_stage_row *s) {
  return expm1(s->x[SF_LOG_INPUT_BYTES]) + expm1(s->x[SF_LOG_SHUFFLE_READ_BYTES]);
}

/* Median previous time of stage id (and its median volume); NAN when no previous run has it. */
static double previous_stage(const sic_ml_app *const *prev, int nprev, int32_t id, double *vol, double *scratch,
                             double *vscratch) {
  int n = 0;
  for (int r = 0; r < nprev; r++)
    for (int32_t i = 0; i < prev[r]->nstages; i++)
      if (prev[r]->stages[i].stage_id == id && prev[r]->stages[i].duration_ms >= 0) {
        scratch[n] = prev[r]->stages[i].duration_ms;
        vscratch[n++] = stage_volume(&prev[r]->stages[i]);
        break;
      }
  *vol = n ? sic_ml_quantile(vscratch, n, 0.5) : 0;
  return n ? sic_ml_quantile(scratch, n, 0.5) : NAN;
}

double sic_ml_history_predict(const sic_ml_app *const *prev, int nprev, const sic_ml_app *target) {
  if (nprev <= 0) return -1;
  double *ms = calloc((size_t)target->nstages + 1, sizeof *ms);
  double *scratch = malloc(((size_t)nprev + 1) * sizeof *scratch), *vs = malloc(((size_t)nprev + 1) * sizeof *vs);
  double result = -1;
  if (!ms || !scratch || !vs) goto done;
  for (int32_t i = 0; i < target->nstages; i++) {
    const sic_ml_stage_row *s = &target->stages[i];
    if (s->duration_ms < 0 && s->num_tasks <= 0) continue; /* never ran */
    double vol, t = previous_stage(prev, nprev, s->stage_id, &vol, scratch, vs);
    if (isnan(t)) continue; /* a stage the job never had before: nothing to go on */
    double v = stage_volume(s);
    double k = vol > 0 && v > 0 ? fmin(fmax(v / vol, 0.01), 100) : 1;
    /* other executors than the target's log: by waves, as the model does (previous runs are
     * taken to have run on the target's logged slots, as re-runs of a job usually do) */
    ms[i] = t * k * s->wave_scale;
  }
  for (int r = 0; r < nprev; r++) scratch[r] = prev[r]->driver_ms;
  result = sic_ml_simulate(target, ms, target->slots, sic_ml_quantile(scratch, nprev, 0.5));
done:
  free(ms), free(scratch), free(vs);
  return result;
}
