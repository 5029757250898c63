/* History-based prediction: a job's next run from its previous runs.
 *
 * Where a store or a log directory holds earlier runs of the same job (same name and plan),
 * the best predictor of a stage's time is usually that stage's time in those runs. Each stage
 * of the target (matched by stage id) gets the median of its previous times, scaled linearly
 * by the target's input volume over the previous median volume when both are known (clamped to
 * 0.01..100x) and by the target's wave ratio when it asks for other executors/cores (features.h);
 * the stages go through the same DAG simulation (ml/sim.h) on the target's slots, plus the median
 * previous driver time.
 *
 * Ownership: reads the caller's feature rows only. */
#ifndef SIC_ML_HISTORY_H
#define SIC_ML_HISTORY_H

#include "ml/features.h"

/* Predicted runtime of target in ms from nprev previous runs; -1 when nprev == 0 or out of memory. */
double sic_ml_history_predict(const sic_ml_app *const *prev, int nprev, const sic_ml_app *target);

#endif
