/* `sic predict` without a trained model: the application's runtime from a replay of its own
 * task times (engine/stats/sim.c, the simulation behind `sic analyze`'s what-if table), at the
 * logged cluster size or at another executor count / cores per executor.
 *
 * The interval is the replay's error on this very log (simulated vs observed wall time at the
 * logged size), widened by 15 percentage points per doubling away from the logged size (a heuristic, not a
 * calibrated figure), and never below the hard bounds: the critical path (unlimited slots) and
 * the work spread perfectly on the requested slots. Nothing here allocates for the caller. */
#ifndef SIC_CLI_PREDICT_REPLAY_H
#define SIC_CLI_PREDICT_REPLAY_H

#include "core/error.h"
#include "model/model.h"

typedef struct sic_replay_prediction {
  double predicted_ms;           /* replayed wall time at the requested size */
  double lo_ms, hi_ms;           /* interval (see above) */
  double observed_ms;            /* wall time in the log */
  double replay_logged_ms;       /* replayed wall time at the logged size */
  double replay_error;           /* |replay_logged - observed| / observed */
  double critical_path_ms;       /* nothing is faster: driver + longest dependency chains */
  double driver_ms;              /* wall time with no stage running (kept as logged) */
  double factor;                 /* requested slots / logged slots */
  int32_t logged_executors;      /* most executors alive at once (0 in local mode) */
  int32_t logged_cores;          /* cores per executor (as logged) */
  int32_t executors;             /* requested (or logged) */
  int32_t cores;                 /* requested (or logged) */
  double mean_slots;             /* task slots the log had on average while stages ran */
} sic_replay_prediction;

/* executors / cores <= 0 mean "as logged". SIC_EINVAL (message in err) when the log has no
 * stage to replay or an executor count is asked of a local-mode application. */
int sic_replay_predict(const sic_app *app, int executors, int cores, sic_replay_prediction *out, sic_err *err);

#endif
