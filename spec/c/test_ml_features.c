/* Feature builder and DAG simulation.
 *
 *  - No feature depends on a duration: stretching every task's finish time and every stage's
 *    completion time of a real log leaves every stage and app feature bit-identical (while the
 *    labels change).
 *  - Features read what the log says (tasks, executors, DAG depth, plan operators) and react to
 *    the what-if settings (executors, input scale).
 *  - What-if executors leave the stage features as logged and scale each stage by its waves:
 *    wide stages get shorter with more executors and longer with fewer, narrow ones stay.
 *  - A model of the previous feature set (v1) is refused, naming both versions.
 *  - The simulation respects dependencies and slots on hand-made DAGs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ml/features.h"
#include "ml/gbdt.h"
#include "ml/predict.h"
#include "ml/sim.h"

/* Scales a column's values away from base (the model keeps time columns as deltas, so the
 * result is written back as a plain int64 column: width 8, base 0, always fits). */
static void col_scale_from(sic_col *c, int64_t n, const sic_col *base, double k) {
  if (!c->data) return;
  int64_t *w = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!w) abort();
  for (int64_t i = 0; i < n; i++) {
    int64_t v = sic_col_get(c, i), b = sic_col_get(base, i);
    w[i] = v <= 0 ? v : b + (int64_t)((v - b) * k);
  }
  free(c->data);
  *c = (sic_col){.data = w, .base = 0, .width = 8};
}

static void test_no_label_leakage(const char *log) {
  sic_app *app = NULL;
  sic_err err = {0};
  CHECK(sic_app_load_path(log, NULL, &app, &err) == 0, "%s: %s", log, err.msg);
  if (!app) return;
  sic_ml_app before, after;
  CHECK(sic_ml_app_build(app, NULL, &before, &err) == 0);
  CHECK(before.nstages >= 5, "%s: %d stages", log, before.nstages);
  /* every task and stage takes 3x as long */
  col_scale_from(&app->tasks.finish_time, app->tasks.n, &app->tasks.launch_time, 3.0);
  for (int64_t s = 0; s < app->nstages; s++)
    if (app->stages[s].completion_time > 0 && app->stages[s].submission_time > 0)
      app->stages[s].completion_time =
          app->stages[s].submission_time + 3 * (app->stages[s].completion_time - app->stages[s].submission_time);
  CHECK(sic_ml_app_build(app, NULL, &after, &err) == 0);
  CHECK_EQ_INT(after.nstages, before.nstages);
  int same = 1, label_changed = 0;
  for (int32_t i = 0; i < before.nstages && i < after.nstages; i++) {
    same &= !memcmp(before.stages[i].x, after.stages[i].x, sizeof before.stages[i].x);
    label_changed |= after.stages[i].duration_ms != before.stages[i].duration_ms;
  }
  CHECK(same, "%s: a stage feature changed when only durations changed", log);
  CHECK(!memcmp(before.x, after.x, sizeof before.x), "%s: an app feature changed when only durations changed", log);
  CHECK(label_changed, "%s: the labels did not change (test is not testing)", log);
  sic_ml_app_free(&before);
  sic_ml_app_free(&after);
  sic_app_free(app);
}

static void test_features_and_whatif(const char *log) {
  sic_app *app = NULL;
  sic_err err = {0};
  CHECK(sic_app_load_path(log, NULL, &app, &err) == 0, "%s: %s", log, err.msg);
  if (!app) return;
  sic_ml_app a, b;
  CHECK(sic_ml_app_build(app, NULL, &a, &err) == 0);
  float maxdepth = 0, joins = 0;
  int tasks_ok = 1;
  for (int32_t i = 0; i < a.nstages; i++) {
    if (a.stages[i].x[SF_DAG_DEPTH] > maxdepth) maxdepth = a.stages[i].x[SF_DAG_DEPTH];
    joins += a.stages[i].x[SF_OP_SMJ] + a.stages[i].x[SF_OP_BHJ] + a.stages[i].x[SF_OP_SHJ];
    const sic_stage *st = sic_app_stage_latest(app, a.stages[i].stage_id);
    tasks_ok &= st && a.stages[i].num_tasks == st->num_tasks;
  }
  CHECK(tasks_ok, "task counts are the logged ones");
  CHECK(maxdepth >= 1, "%s: a multi-stage query has DAG depth >= 1 (got %g)", log, maxdepth);
  CHECK(joins >= 1, "%s: the plan's joins are seen", log);
  CHECK(a.x[AF_EXECUTORS] >= 1 && a.slots >= 1);
  sic_ml_whatif wi = {.executors = (int)a.x[AF_EXECUTORS] * 2, .input_scale = 4.0};
  CHECK(sic_ml_app_build(app, &wi, &b, &err) == 0);
  CHECK(b.x[AF_EXECUTORS] == a.x[AF_EXECUTORS] * 2, "what-if executors %g", b.x[AF_EXECUTORS]);
  CHECK(b.slots == a.slots * 2, "slots %d -> %d", a.slots, b.slots);
  /* volumes travel as float log1p values: relative precision ~1e-6 */
  CHECK(fabs(b.input_bytes - 4 * a.input_bytes) <= 1e-4 * a.input_bytes + 1, "input scale %g vs 4 x %g",
        b.input_bytes, a.input_bytes);
  sic_ml_app_free(&a);
  sic_ml_app_free(&b);
  sic_app_free(app);
}

/* The reported bug: `sic predict --executors N` on nds_q66_cpu did not move. Stage features must
 * not depend on the what-if executors (the model predicts a stage as it ran); wave_scale carries
 * the what-if: fewer waves with more executors, more waves with fewer, 1 for narrow stages. */
static void test_whatif_executors(const char *log) {
  sic_app *app = NULL;
  sic_err err = {0};
  CHECK(sic_app_load_path(log, NULL, &app, &err) == 0, "%s: %s", log, err.msg);
  if (!app) return;
  sic_ml_app logged, more, fewer;
  sic_ml_whatif wi_more = {.executors = 32}, wi_fewer = {.executors = 2};
  CHECK(sic_ml_app_build(app, NULL, &logged, &err) == 0);
  CHECK(sic_ml_app_build(app, &wi_more, &more, &err) == 0);
  CHECK(sic_ml_app_build(app, &wi_fewer, &fewer, &err) == 0);
  int same = 1, wide = 0, shorter = 1, longer = 1, narrow_kept = 1;
  for (int32_t i = 0; i < logged.nstages; i++) {
    same &= !memcmp(logged.stages[i].x, more.stages[i].x, sizeof logged.stages[i].x) &&
            !memcmp(logged.stages[i].x, fewer.stages[i].x, sizeof logged.stages[i].x);
    CHECK(logged.stages[i].wave_scale == 1, "stage %d as logged: wave scale %g", logged.stages[i].stage_id,
          logged.stages[i].wave_scale);
    double slots = expm1(logged.stages[i].x[SF_LOG_SLOTS]);
    if (logged.stages[i].num_tasks > slots + 0.5) { /* more tasks than the logged slots: wide */
      wide++;
      shorter &= more.stages[i].wave_scale < 1;
      longer &= fewer.stages[i].wave_scale > 1;
    } else {
      narrow_kept &= more.stages[i].wave_scale == 1;
    }
  }
  CHECK(same, "stage features changed with the what-if executors");
  CHECK(wide >= 5, "nds_q66_cpu has wide stages (%d)", wide);
  CHECK(shorter, "32 executors do not shorten every wide stage");
  CHECK(longer, "2 executors do not lengthen every wide stage");
  CHECK(narrow_kept, "a stage with fewer tasks than slots got faster with more executors");
  CHECK(more.slots == logged.slots * 4 && fewer.slots * 4 == logged.slots, "slots %d %d %d", fewer.slots,
        logged.slots, more.slots);
  sic_ml_app_free(&logged), sic_ml_app_free(&more), sic_ml_app_free(&fewer);
  sic_app_free(app);
}

/* A model file of feature set v1 (before the v2 features) is refused with both versions named. */
static void test_old_feature_set_refused(void) {
  sic_gbdt b;
  memset(&b, 0, sizeof b);
  const char *names[] = {"log_tasks"};
  b.name = strdup("stage");
  b.nfeatures = 1;
  b.feature_names = calloc(1, sizeof(char *));
  b.feature_names[0] = strdup(names[0]);
  b.feature_version = 1;
  b.ntrees = 1;
  b.tree_off = calloc(2, sizeof(int32_t));
  b.tree_off[1] = 1;
  b.nodes = calloc(1, sizeof(sic_gbdt_node));
  b.nodes[0] = (sic_gbdt_node){2.0f, SIC_ML_LEAF, 0};
  sic_err err = {0};
  CHECK(sic_gbdt_validate(&b, &err) == 0, "%s", err.msg);
  char path[] = "/tmp/sic_test_ml_features_v1_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  CHECK(sic_ml_file_save(path, &b, 1, "{}", &err) == 0, "%s", err.msg);
  sic_ml_predictor *p = NULL;
  CHECK(sic_ml_predictor_open(path, &p, &err) == SIC_EUNSUPPORTED, "v1 model accepted");
  CHECK(p == NULL);
  char want[64];
  snprintf(want, sizeof want, "feature set v1, this build expects v%u", SIC_ML_FEATURE_VERSION);
  CHECK(strstr(err.msg, want) && strstr(err.msg, path) && strstr(err.msg, "sic train"), "%s", err.msg);
  CHECK(SIC_ML_FEATURE_VERSION == 2, "bump this test with the feature version");
  remove(path);
  sic_gbdt_free(&b);
}

/* A diamond 0 -> {1, 2} -> 3, 4 tasks each. */
static void test_simulation(void) {
  sic_ml_stage_row st[4];
  memset(st, 0, sizeof st);
  int32_t parents[4] = {0, 0, 1, 2};
  for (int i = 0; i < 4; i++) {
    st[i].stage_id = i;
    st[i].num_tasks = 4;
    st[i].submit_ms = -1;
    st[i].duration_ms = -1;
  }
  st[1].parent_first = 0, st[1].nparents = 1;
  st[2].parent_first = 1, st[2].nparents = 1;
  st[3].parent_first = 2, st[3].nparents = 2;
  sic_ml_app a;
  memset(&a, 0, sizeof a);
  a.nstages = 4, a.stages = st, a.parents = parents;
  double ms[4] = {100, 200, 300, 50};
  /* 8 slots: 1 and 2 run side by side */
  CHECK(fabs(sic_ml_simulate(&a, ms, 8, 0) - (100 + 300 + 50)) < 1e-9, "%g", sic_ml_simulate(&a, ms, 8, 0));
  /* 4 slots: 1 takes all of them, 2 waits */
  CHECK(fabs(sic_ml_simulate(&a, ms, 4, 0) - (100 + 200 + 300 + 50)) < 1e-9, "%g", sic_ml_simulate(&a, ms, 4, 0));
  /* 2 slots: stage times are predicted for the slots asked for; 1 and 2 cannot overlap */
  CHECK(fabs(sic_ml_simulate(&a, ms, 2, 10) - (650 + 10)) < 1e-9, "%g", sic_ml_simulate(&a, ms, 2, 10));
  /* 6 slots: 1 takes 4, 2 gets the other 2 of the 4 it could use: two waves, twice as long */
  CHECK(fabs(sic_ml_simulate(&a, ms, 6, 0) - (100 + 600 + 50)) < 1e-9, "%g", sic_ml_simulate(&a, ms, 6, 0));
  /* observed sequencing: stage 2 was submitted after stage 1 completed in the log */
  st[1].submit_ms = 100, st[1].duration_ms = 200, st[2].submit_ms = 400;
  CHECK(fabs(sic_ml_simulate(&a, ms, 8, 0) - (100 + 200 + 300 + 50)) < 1e-9, "%g", sic_ml_simulate(&a, ms, 8, 0));
  /* skipped stages take no time */
  double skip[4] = {100, 0, 0, 50};
  CHECK(fabs(sic_ml_simulate(&a, skip, 8, 0) - 150) < 1e-9, "%g", sic_ml_simulate(&a, skip, 8, 0));
}

int main(void) {
  test_old_feature_set_refused();
  test_simulation();
  const char *shared = check_shared_part("test_ml_features", "features and what-if of nds_q66_cpu");
  if (!shared) return CHECK_RESULT();
  char q66[4096];
  snprintf(q66, sizeof q66, "%s/spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", shared);
  test_no_label_leakage(q66);
  test_features_and_whatif(q66);
  test_whatif_executors(q66);
  return CHECK_RESULT();
}
