/* Model files: round trip, and every kind of bad file gives a clear error and never a crash
 * (truncated at every length, wrong magic, wrong version, flipped bytes, cyclic/out-of-range
 * children, feature-set version mismatch); unknown features predict as missing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "ml/features.h"
#include "ml/gbdt.h"
#include "ml/predict.h"

/* A hand-made booster over names[0..nf): tree 0 splits on feature 0 at 1.5 (missing -> left),
 * tree 1 splits on feature 1 at -2 (missing -> right) then on feature 0 at 0. */
static void make_booster(sic_gbdt *b, const char *name, const char *const *names, int nf, uint32_t version) {
  memset(b, 0, sizeof *b);
  b->name = strdup(name);
  b->nfeatures = nf;
  b->feature_names = calloc((size_t)nf, sizeof(char *));
  for (int i = 0; i < nf; i++) b->feature_names[i] = strdup(names[i]);
  b->feature_version = version;
  b->base_score = 0.5f;
  b->resid_lo = -0.3f, b->resid_hi = 0.4f;
  b->ntrees = 2;
  b->tree_off = calloc(3, sizeof(int32_t));
  b->tree_off[1] = 3, b->tree_off[2] = 8;
  b->nodes = calloc(8, sizeof(sic_gbdt_node));
  sic_gbdt_node n[8] = {
    {1.5f, 0 | SIC_ML_DEFAULT_LEFT, 1}, {1.0f, SIC_ML_LEAF, 0}, {2.0f, SIC_ML_LEAF, 0},
    {-2.0f, 1, 1}, {0.0f, 0, 3}, {10.0f, SIC_ML_LEAF, 0}, {-1.0f, SIC_ML_LEAF, 0}, {1.0f, SIC_ML_LEAF, 0},
  };
  memcpy(b->nodes, n, sizeof n);
}

static void fix_crc(uint8_t *buf, size_t len) {
  uint32_t c = (uint32_t)crc32(0L, buf, (uInt)(len - 4));
  for (int i = 0; i < 4; i++) buf[len - 4 + i] = (uint8_t)(c >> (8 * i));
}

static void test_round_trip_and_values(void) {
  const char *names[] = {"a", "b"};
  sic_gbdt b;
  sic_err err = {0};
  make_booster(&b, "stage", names, 2, 1);
  CHECK(sic_gbdt_validate(&b, &err) == 0, "%s", err.msg);
  float r1[2] = {1.0f, -3.0f};  /* tree0: 1 < 1.5 -> 1.0; tree1: -3 < -2 -> node4: 1 >= 0 -> 1.0 */
  float r2[2] = {NAN, NAN};     /* tree0: default left -> 1.0; tree1: default right -> 10.0 */
  float r3[2] = {2.0f, -1.0f};  /* tree0: 2.0; tree1: -1 >= -2 -> right -> 10.0 */
  CHECK(fabsf(sic_gbdt_predict_row(&b, r1) - 2.5f) < 1e-6f, "%g", sic_gbdt_predict_row(&b, r1));
  CHECK(fabsf(sic_gbdt_predict_row(&b, r2) - 11.5f) < 1e-6f, "%g", sic_gbdt_predict_row(&b, r2));
  CHECK(fabsf(sic_gbdt_predict_row(&b, r3) - 12.5f) < 1e-6f, "%g", sic_gbdt_predict_row(&b, r3));
  uint8_t *buf = NULL;
  size_t len = 0;
  CHECK(sic_ml_file_write(&b, 1, "{\"k\":1}", &buf, &len, &err) == 0);
  sic_ml_file *f = NULL;
  CHECK(sic_ml_file_parse(buf, len, "t.sic", &f, &err) == 0, "%s", err.msg);
  if (f) {
    CHECK(fabsf(sic_gbdt_predict_row(&f->boosters[0], r1) - 2.5f) < 1e-6f);
    CHECK_EQ_INT(f->boosters[0].max_depth, 2);
    CHECK(sic_ml_file_booster(f, "stage") != NULL && sic_ml_file_booster(f, "app") == NULL);
  }
  sic_ml_file_free(f);

  /* every truncation is an error naming the file, never a crash */
  int all_failed = 1;
  for (size_t cut = 0; cut < len; cut++) {
    sic_err e = {0};
    sic_ml_file *g = NULL;
    if (sic_ml_file_parse(buf, cut, "cut.sic", &g, &e) == 0) all_failed = 0;
    if (!strstr(e.msg, "cut.sic")) all_failed = 0;
    sic_ml_file_free(g);
  }
  CHECK(all_failed, "a truncated model file parsed or its error did not name the file");

  /* every truncation with a recomputed checksum reaches the field reader: still an error */
  int deep_failed = 1;
  for (size_t cut = 16; cut < len; cut++) {
    uint8_t *t = malloc(cut);
    memcpy(t, buf, cut - 4);
    fix_crc(t, cut);
    sic_err e = {0};
    sic_ml_file *g = NULL;
    if (sic_ml_file_parse(t, cut, "cut.sic", &g, &e) == 0) deep_failed = 0;
    sic_ml_file_free(g);
    free(t);
  }
  CHECK(deep_failed, "a truncated model with a valid checksum parsed");

  /* wrong magic, wrong version, flipped byte */
  sic_err e = {0};
  sic_ml_file *g = NULL;
  uint8_t *t = malloc(len);
  memcpy(t, buf, len);
  t[0] = 'X';
  CHECK(sic_ml_file_parse(t, len, "m.sic", &g, &e) == SIC_EFORMAT && strstr(e.msg, "bad magic"), "%s", e.msg);
  memcpy(t, buf, len);
  t[8] = 9;
  CHECK(sic_ml_file_parse(t, len, "m.sic", &g, &e) == SIC_EUNSUPPORTED && strstr(e.msg, "version 9"), "%s", e.msg);
  memcpy(t, buf, len);
  t[len / 2] ^= 0x40;
  CHECK(sic_ml_file_parse(t, len, "m.sic", &g, &e) == SIC_ECORRUPT && strstr(e.msg, "checksum"), "%s", e.msg);
  /* a child pointing back to its parent (a cycle) is refused even with a valid checksum:
   * the last node record of tree 1 is its leaf at index 4; make node 3's left child 0 */
  memcpy(t, buf, len);
  size_t node3 = len - 4 - 5 * 12 + 8; /* tree 1's first node, its 'left' field */
  t[node3] = 0;
  fix_crc(t, len);
  CHECK(sic_ml_file_parse(t, len, "m.sic", &g, &e) == SIC_EFORMAT && strstr(e.msg, "out of range"), "%s", e.msg);
  CHECK(g == NULL);
  free(t);
  free(buf);
  sic_gbdt_free(&b);
}

static void test_feature_mismatch(void) {
  sic_err err = {0};
  /* a feature-set version this build does not compute: refused with "retrain" */
  const char *names[] = {"log_tasks", "waves"};
  sic_gbdt b;
  make_booster(&b, "stage", names, 2, SIC_ML_FEATURE_VERSION + 1);
  CHECK(sic_gbdt_validate(&b, &err) == 0);
  const char *path = "/tmp/sic_test_ml_model_file.sic";
  CHECK(sic_ml_file_save(path, &b, 1, "{}", &err) == 0, "%s", err.msg);
  sic_ml_predictor *p = NULL;
  CHECK(sic_ml_predictor_open(path, &p, &err) == SIC_EUNSUPPORTED && strstr(err.msg, "retrain"), "%s", err.msg);
  CHECK(p == NULL);
  sic_gbdt_free(&b);

  /* unknown feature names become missing values: counted, and prediction still works */
  const char *odd[] = {"log_tasks", "feature_from_the_future"};
  make_booster(&b, "stage", odd, 2, SIC_ML_FEATURE_VERSION);
  sic_gbdt_validate(&b, &err);
  CHECK(sic_ml_file_save(path, &b, 1, "{}", &err) == 0);
  CHECK(sic_ml_predictor_open(path, &p, &err) == 0, "%s", err.msg);
  if (p) {
    CHECK_EQ_INT(p->unknown_features, 1);
    float x[SF__COUNT];
    for (int i = 0; i < SF__COUNT; i++) x[i] = NAN;
    x[SF_LOG_TASKS] = 1.0f; /* tree0 -> 1.0; tree1 splits on the unknown (missing -> right -> 10) */
    CHECK(fabsf(sic_ml_predict_stage_log(p, x) - 11.5f) < 1e-6f, "%g", sic_ml_predict_stage_log(p, x));
  }
  sic_ml_predictor_free(p);
  sic_gbdt_free(&b);

  /* no stage booster at all */
  make_booster(&b, "something", names, 2, SIC_ML_FEATURE_VERSION);
  sic_gbdt_validate(&b, &err);
  sic_ml_file_save(path, &b, 1, "{}", &err);
  p = NULL;
  CHECK(sic_ml_predictor_open(path, &p, &err) == SIC_EFORMAT && strstr(err.msg, "no 'stage' booster"), "%s", err.msg);
  sic_gbdt_free(&b);
  /* a missing file names the path */
  CHECK(sic_ml_predictor_open("/nonexistent/m.sic", &p, &err) == SIC_EIO && strstr(err.msg, "/nonexistent/m.sic"));
  remove(path);
}

int main(void) {
  test_round_trip_and_values();
  test_feature_mismatch();
  return CHECK_RESULT();
}
