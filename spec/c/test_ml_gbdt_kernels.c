/* Every GBDT evaluator this CPU runs (scalar, AVX2, AVX-512) gives bit-identical predictions.
 *
 * Random forests are built by hand for every padded depth 1..10 and row widths that take each
 * kernel's different feature lookups (a row in one or several registers, or gathered): trees
 * are unbalanced (leaves at every depth), splits go missing-left or missing-right, thresholds
 * and row values share a small grid so x == threshold happens, rows hold NaN and infinities,
 * leaf values span magnitudes so a different summation order would change the bits. Each
 * kernel's single-row and batch predictions (0, 1, 7, 17, 1000 rows: partial vectors and
 * blocks) must equal, bit for bit, a plain recursive walk written here and the library's
 * scalar and node-walk paths. The rows sit right before an inaccessible page so a gather past
 * the caller's last row crashes the test instead of passing unnoticed. A model whose padding
 * would be huge keeps the node walk. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "ml/gbdt.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n) { /* xorshift64, uniform enough for test shapes */
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)((rng >> 33) % n);
}

/* Thresholds and most feature values come from this grid, so x == threshold is common. */
static float grid(void) { return (float)((int)rnd(41) - 20) * 0.25f; }

/* Leaf values over several magnitudes: summing them in another order changes the result. */
static float leaf_value(void) {
  static const float scale[] = {1e-4f, 1e-2f, 1.0f, 3.0f, 100.0f};
  return ((float)rnd(2001) - 1000.0f) / 1000.0f * scale[rnd(5)];
}

/* A tree of at most depth D in XGBoost's layout (children adjacent, after their parent), built
 * breadth first; with force, the leftmost path reaches depth D so the forest pads to D. */
static int32_t make_tree(sic_gbdt_node *nodes, int D, int nf, int force) {
  int32_t depth[4096], n = 1;
  unsigned char forced[4096];
  depth[0] = 0, forced[0] = (unsigned char)force;
  for (int32_t i = 0; i < n; i++) {
    /* leaves: always at depth D, on the forced path never above it, else more likely deeper */
    int leaf = depth[i] == D || (!forced[i] && rnd(100) < (uint32_t)(10 + 60 * depth[i] / D));
    if (leaf) {
      nodes[i].feature = SIC_ML_LEAF, nodes[i].value = leaf_value(), nodes[i].left = 0;
      continue;
    }
    nodes[i].feature = rnd((uint32_t)nf) | (rnd(2) ? SIC_ML_DEFAULT_LEFT : 0);
    nodes[i].value = grid();
    nodes[i].left = n;
    depth[n] = depth[n + 1] = depth[i] + 1;
    forced[n] = forced[i], forced[n + 1] = 0;
    n += 2;
  }
  return n;
}

/* Reference: a recursive walk and a float sum in tree order, independent of the library. */
static float ref_leaf(const sic_gbdt_node *n, int32_t i, const float *row) {
  if (n[i].feature == SIC_ML_LEAF) return n[i].value;
  float x = row[n[i].feature & ~SIC_ML_DEFAULT_LEFT];
  int left = isnan(x) ? (n[i].feature & SIC_ML_DEFAULT_LEFT) != 0 : x < n[i].value;
  return ref_leaf(n, left ? n[i].left : n[i].left + 1, row);
}

static float ref_predict(const sic_gbdt *b, const float *row) {
  float acc = b->base_score;
  for (int32_t t = 0; t < b->ntrees; t++) acc += ref_leaf(b->nodes + b->tree_off[t], 0, row);
  return acc;
}

enum { MAX_NODES = 4095 }; /* a tree of depth 11 at most */

/* ntrees random trees of depth <= D (the first exactly D) over nf features, validated. */
static void make_forest(sic_gbdt *b, int ntrees, int D, int nf) {
  sic_err err = {0};
  memset(b, 0, sizeof *b);
  b->nfeatures = nf, b->ntrees = ntrees, b->base_score = leaf_value() + 0.5f;
  b->tree_off = calloc((size_t)ntrees + 1, sizeof *b->tree_off);
  b->nodes = malloc((size_t)ntrees * MAX_NODES * sizeof *b->nodes);
  for (int t = 0; t < ntrees; t++)
    b->tree_off[t + 1] = b->tree_off[t] + make_tree(b->nodes + b->tree_off[t], D, nf, t == 0);
  CHECK(sic_gbdt_validate(b, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(b->max_depth, D);
  CHECK_EQ_INT(b->flat_depth, D <= SIC_ML_FLAT_MAX_DEPTH ? D : 0);
}

/* A feature value: NaN, an infinity, a grid value (ties with thresholds) or anything between. */
static float feature_value(void) {
  uint32_t r = rnd(100);
  if (r < 10) return NAN;
  if (r < 13) return r % 2 ? INFINITY : -INFINITY;
  if (r < 70) return grid();
  return ((float)rnd(100001) - 50000.0f) / 8000.0f;
}

/* n floats ending exactly where an inaccessible page begins (one before the start too): any
 * read past the caller's data faults. The mapping to munmap goes to map and maplen. */
static float *guarded_floats(size_t n, void **map, size_t *maplen) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), data = (n * sizeof(float) + page - 1) / page * page;
  if (data == 0) data = page;
  *maplen = data + 2 * page;
  char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  mprotect(m, page, PROT_NONE);
  mprotect(m + page + data, page, PROT_NONE);
  *map = m;
  return (float *)(m + page + data) - n;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static int mismatches = 0; /* predictions that differed from the reference (reported, not all) */

static void expect_same(const char *what, int kernel, int D, int nf, int64_t row, float got, float want) {
  CHECK(same_bits(got, want), "%s kernel %s depth %d nf %d row %lld: %.9g, reference %.9g", what,
        sic_gbdt_kernel_name(kernel), D, nf, (long long)row, got, want);
  mismatches += !same_bits(got, want);
}

/* Every available kernel, single row and batch, equals the reference on rows[0..nrows). */
static void check_kernels(sic_gbdt *b, const float *rows, int64_t nrows, const float *want, int D) {
  float *out = malloc(sizeof(float) * ((size_t)nrows + 1));
  for (int k = 0; k < SIC_GBDT_KERNEL_COUNT; k++) {
    if (sic_gbdt_set_kernel(b, (sic_gbdt_kernel)k) != 0) {
      CHECK(D > SIC_ML_FLAT_MAX_DEPTH || k > (int)sic_gbdt_best_kernel(), "kernel %s refused", sic_gbdt_kernel_name(k));
      continue;
    }
    CHECK_EQ_INT(b->kernel, k);
    out[nrows] = -12345.0f; /* a batch must not write past its rows */
    sic_gbdt_predict_batch(b, rows, nrows, out);
    CHECK(out[nrows] == -12345.0f, "kernel %s wrote past %lld rows", sic_gbdt_kernel_name(k), (long long)nrows);
    for (int64_t r = 0; r < nrows && mismatches < 20; r++) {
      expect_same("batch", k, D, b->nfeatures, r, out[r], want[r]);
      expect_same("row", k, D, b->nfeatures, r, sic_gbdt_predict_row(b, rows + r * b->nfeatures), want[r]);
    }
  }
  /* the node walk (what deep models use) agrees too */
  sic_gbdt walk = *b;
  walk.flat_depth = 0;
  sic_gbdt_predict_batch(&walk, rows, nrows, out);
  for (int64_t r = 0; r < nrows && mismatches < 20; r++) expect_same("node walk", 0, D, b->nfeatures, r, out[r], want[r]);
  sic_gbdt_set_kernel(b, sic_gbdt_best_kernel());
  free(out);
}

/* One forest shape against every row count that leaves partial vectors and blocks. */
static void check_shape(int D, int nf, int ntrees) {
  static const int64_t counts[] = {0, 1, 7, 17, 1000};
  sic_gbdt b;
  make_forest(&b, ntrees, D, nf);
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
    int64_t n = counts[c];
    void *map = NULL;
    size_t maplen = 0;
    float *rows = guarded_floats((size_t)(n * nf), &map, &maplen);
    float *want = malloc(sizeof(float) * ((size_t)n + 1));
    CHECK(rows != NULL && want != NULL);
    if (!rows || !want) break;
    for (int64_t i = 0; i < n * nf; i++) rows[i] = feature_value();
    for (int64_t r = 0; r < n; r++) want[r] = ref_predict(&b, rows + r * nf);
    check_kernels(&b, rows, n, want, D);
    munmap(map, maplen);
    free(want);
  }
  sic_gbdt_free(&b);
}

/* One deep tree among thousands of stumps would pad to GBs: the model keeps the node walk, every
 * kernel but scalar is refused, and it still predicts exactly. */
static void check_padding_cap(void) {
  enum { D = SIC_ML_FLAT_MAX_DEPTH, NF = 6 };
  int ntrees = (SIC_ML_FLAT_MAX_LEAVES >> D) + 1;
  sic_gbdt b;
  sic_err err = {0};
  memset(&b, 0, sizeof b);
  b.nfeatures = NF, b.ntrees = ntrees, b.base_score = 0.25f;
  b.tree_off = calloc((size_t)ntrees + 1, sizeof *b.tree_off);
  b.nodes = malloc(((size_t)ntrees + MAX_NODES) * sizeof *b.nodes);
  b.tree_off[1] = make_tree(b.nodes, D, NF, 1);
  for (int t = 1; t < ntrees; t++) { /* stumps: a single leaf */
    b.nodes[b.tree_off[t]] = (sic_gbdt_node){leaf_value(), SIC_ML_LEAF, 0};
    b.tree_off[t + 1] = b.tree_off[t] + 1;
  }
  CHECK(sic_gbdt_validate(&b, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(b.max_depth, D);
  CHECK_EQ_INT(b.flat_depth, 0);
  CHECK(b.vec_thr == NULL && b.flat_split == NULL);
  CHECK_EQ_INT(b.kernel, SIC_GBDT_KERNEL_SCALAR);
  CHECK(sic_gbdt_set_kernel(&b, SIC_GBDT_KERNEL_AVX2) == SIC_EUNSUPPORTED);
  float rows[3 * NF], out[3];
  for (int i = 0; i < 3 * NF; i++) rows[i] = feature_value();
  sic_gbdt_predict_batch(&b, rows, 3, out);
  for (int r = 0; r < 3; r++) {
    float want = ref_predict(&b, rows + r * NF);
    CHECK(same_bits(out[r], want) && same_bits(sic_gbdt_predict_row(&b, rows + r * NF), want),
          "capped model row %d: %.9g, reference %.9g", r, out[r], want);
  }
  sic_gbdt_free(&b);
}

/* SIC_GBDT_KERNEL picks a kernel at validation, never one the CPU cannot run. */
static void check_env_choice(void) {
  sic_gbdt b;
  sic_gbdt_kernel best = sic_gbdt_best_kernel();
  for (int k = 0; k < SIC_GBDT_KERNEL_COUNT; k++) {
    setenv("SIC_GBDT_KERNEL", sic_gbdt_kernel_name(k), 1);
    make_forest(&b, 3, 4, 5);
    CHECK_EQ_INT(b.kernel, k <= (int)best ? k : (int)best);
    sic_gbdt_free(&b);
  }
  setenv("SIC_GBDT_KERNEL", "no-such-kernel", 1);
  make_forest(&b, 3, 4, 5);
  CHECK_EQ_INT(b.kernel, best);
  CHECK(sic_gbdt_set_kernel(&b, (sic_gbdt_kernel)7) == SIC_EUNSUPPORTED);
  CHECK_EQ_INT(b.kernel, best);
  sic_gbdt_free(&b);
  unsetenv("SIC_GBDT_KERNEL");
  CHECK_EQ_STR(sic_gbdt_kernel_name(SIC_GBDT_KERNEL_AVX512), "avx512");
  CHECK_EQ_STR(sic_gbdt_kernel_name(-1), "?");
}

int main(void) {
  unsetenv("SIC_GBDT_KERNEL");
  printf("kernels on this CPU: scalar%s%s (best %s)\n",
         sic_gbdt_best_kernel() >= SIC_GBDT_KERNEL_AVX2 ? ", avx2" : "",
         sic_gbdt_best_kernel() >= SIC_GBDT_KERNEL_AVX512 ? ", avx512" : "",
         sic_gbdt_kernel_name(sic_gbdt_best_kernel()));
  /* widths: one AVX2 register, one/two/four AVX-512 registers (and the batch transpose limit, 64),
   * and gathered from the row */
  static const int widths[] = {3, 8, 20, 44, 64, 65, 100};
  static const int trees[] = {1, 16, 17, 37, 64, 65};
  int shape = 0;
  for (int D = 1; D <= SIC_ML_FLAT_MAX_DEPTH + 1; D++)
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++, shape++)
      check_shape(D, widths[w], trees[shape % 6]);
  printf("%d forest shapes (depth 1-%d), %d mismatches\n", shape, SIC_ML_FLAT_MAX_DEPTH + 1, mismatches);
  check_env_choice();
  check_padding_cap();
  return CHECK_RESULT();
}
