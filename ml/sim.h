/* DAG scheduler simulation: application runtime from per-stage times.
 *
 * No what-if simulator existed in scripts/ or engine/ when this was written, so it lives here
 * as a reusable C function. Stages are list-scheduled in stage-id order (Spark's FIFO
 * scheduler submits the earliest job's stages first) on a pool of executor x core slots:
 *  - a stage becomes ready when its parents have finished and, when the log shows it was
 *    submitted only after another stage had completed, after that stage too (this keeps the
 *    sequencing of jobs the driver ran one after the other, which parents alone do not say);
 *  - a ready stage takes min(tasks, free slots) slots; given fewer slots than it could use,
 *    its time stretches by the ratio of waves (ceil(tasks / slots));
 *  - driver time (work between stages: planning, collecting, writing) is added on top.
 *
 * Ownership: reads the caller's arrays only; allocates scratch space it frees before return. */
#ifndef SIC_ML_SIM_H
#define SIC_ML_SIM_H

#include "ml/features.h"

/* Makespan in ms of a's stages with times stage_ms[i] (<= 0: skipped) on `slots` slots, plus
 * driver_ms. Returns a negative value only when out of memory. */
double sic_ml_simulate(const sic_ml_app *a, const double *stage_ms, int slots, double driver_ms);

#endif
