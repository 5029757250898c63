/* Native GBDT evaluation and the model file reader/writer (see gbdt.h for the contracts). */
#include "ml/gbdt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ml/gbdt_kernels.h"

/* ---- Evaluation ---- */

/* Leaf value of one tree for one row: one compare per level, children adjacent. */
static inline float tree_leaf(const sic_gbdt_node *n, const float *row) {
  int32_t i = 0;
  while (n[i].feature != SIC_ML_LEAF) {
    uint32_t f = n[i].feature;
    float x = row[f & ~SIC_ML_DEFAULT_LEFT];
    /* XGBoost: missing follows the default direction, else x < threshold goes left */
    int go_left = isnan(x) ? (int)(f >> 31) : x < n[i].value;
    i = n[i].left + !go_left;
  }
  return n[i].value;
}

/* Leaf value of one padded tree: D steps without a data-dependent branch. */
static inline float flat_leaf(const uint64_t *split, const float *leaf, int depth, const float *row) {
  uint32_t k = 0;
  for (int d = 0; d < depth; d++) {
    uint64_t s = split[k];
    uint32_t f = (uint32_t)(s >> 32), bits = (uint32_t)s;
    float thr;
    memcpy(&thr, &bits, 4);
    float x = row[f & ~SIC_ML_DEFAULT_LEFT];
    /* missing: right unless default-left; present: right unless x < threshold */
    uint32_t go_right = (uint32_t)!(x < thr) & ~((uint32_t)(x != x) & (f >> 31));
    k = 2 * k + 1 + go_right;
  }
  return leaf[k - ((1u << depth) - 1)];
}

/* One step down a padded tree from position k. */
static inline uint32_t flat_step(const uint64_t *split, uint32_t k, const float *row) {
  uint64_t s = split[k];
  uint32_t f = (uint32_t)(s >> 32), bits = (uint32_t)s;
  float thr;
  memcpy(&thr, &bits, 4);
  float x = row[f & ~SIC_ML_DEFAULT_LEFT];
  return 2 * k + 1 + ((uint32_t)!(x < thr) & ~((uint32_t)(x != x) & (f >> 31)));
}

enum { TREE_LANES = 8 }; /* trees walked side by side for one row (independent loads overlap) */

static float flat_row(const sic_gbdt *b, const float *row) {
  int D = b->flat_depth;
  size_t ns = ((size_t)1 << D) - 1, nl = (size_t)1 << D;
  float acc = b->base_score;
  int32_t t = 0;
  for (; t + TREE_LANES <= b->ntrees; t += TREE_LANES) {
    uint32_t k[TREE_LANES] = {0};
    const uint64_t *sp = b->flat_split + t * ns;
    for (int d = 0; d < D; d++)
      for (int l = 0; l < TREE_LANES; l++) k[l] = flat_step(sp + l * ns, k[l], row);
    /* sum in tree order, exactly as XGBoost accumulates */
    for (int l = 0; l < TREE_LANES; l++) acc += b->flat_leaf[(t + l) * nl + k[l] - ns];
  }
  for (; t < b->ntrees; t++) acc += flat_leaf(b->flat_split + t * ns, b->flat_leaf + t * nl, D, row);
  return acc;
}

float sic_gbdt_predict_row(const sic_gbdt *b, const float *row) {
  float acc = b->base_score;
#if SIC_GBDT_X86
  /* flat_depth is checked on every call: a caller may clear it to force the node walk */
  if (b->flat_depth > 0 && b->kernel == SIC_GBDT_KERNEL_AVX512) return sic_gbdt_row_avx512(b, row);
  if (b->flat_depth > 0 && b->kernel == SIC_GBDT_KERNEL_AVX2) return sic_gbdt_row_avx2(b, row);
#endif
  if (b->flat_depth > 0) return flat_row(b, row);
  for (int32_t t = 0; t < b->ntrees; t++) acc += tree_leaf(b->nodes + b->tree_off[t], row);
  return acc;
}

enum { BATCH_BLOCK = 64 }; /* rows walked per tree before moving to the next tree */
enum { ROW_LANES = 16 };     /* rows walked side by side down one tree */

void sic_gbdt_predict_batch(const sic_gbdt *b, const float *rows, int64_t nrows, float *out) {
#if SIC_GBDT_X86
  if (b->flat_depth > 0 && b->kernel == SIC_GBDT_KERNEL_AVX512) {
    sic_gbdt_batch_avx512(b, rows, nrows, out);
    return;
  }
  if (b->flat_depth > 0 && b->kernel == SIC_GBDT_KERNEL_AVX2) {
    sic_gbdt_batch_avx2(b, rows, nrows, out);
    return;
  }
#endif
  for (int64_t r0 = 0; r0 < nrows; r0 += BATCH_BLOCK) {
    int64_t nr = nrows - r0 < BATCH_BLOCK ? nrows - r0 : BATCH_BLOCK;
    float acc[BATCH_BLOCK];
    for (int64_t r = 0; r < nr; r++) acc[r] = b->base_score;
    int D = b->flat_depth;
    size_t ns = ((size_t)1 << D) - 1, nl = (size_t)1 << D;
    for (int32_t t = 0; t < b->ntrees; t++) {
      const float *row = rows + r0 * b->nfeatures;
      if (D > 0) {
        const uint64_t *sp = b->flat_split + t * ns;
        const float *lf = b->flat_leaf + t * nl;
        int64_t r = 0;
        for (; r + ROW_LANES <= nr; r += ROW_LANES, row += ROW_LANES * b->nfeatures) {
          uint32_t k[ROW_LANES] = {0};
          for (int d = 0; d < D; d++)
            for (int l = 0; l < ROW_LANES; l++) k[l] = flat_step(sp, k[l], row + l * b->nfeatures);
          for (int l = 0; l < ROW_LANES; l++) acc[r + l] += lf[k[l] - ns];
        }
        for (; r < nr; r++, row += b->nfeatures) acc[r] += flat_leaf(sp, lf, D, row);
      } else {
        const sic_gbdt_node *n = b->nodes + b->tree_off[t];
        for (int64_t r = 0; r < nr; r++, row += b->nfeatures) acc[r] += tree_leaf(n, row);
      }
    }
    memcpy(out + r0, acc, (size_t)nr * sizeof(float));
  }
}

/* ---- Structure ---- */

/* Copy tree node i (of nodes) into padded position k at depth d. */
static void pad_node(const sic_gbdt_node *nodes, int32_t i, uint32_t k, int d, int D, uint64_t *split, float *leaf) {
  if (d == D) { /* validated: only leaves reach the bottom */
    leaf[k - ((1u << D) - 1)] = nodes[i].value;
    return;
  }
  if (nodes[i].feature == SIC_ML_LEAF) {
    split[k] = 0; /* feature 0, threshold 0.0f: either way leads to copies of this leaf */
    pad_node(nodes, i, 2 * k + 1, d + 1, D, split, leaf);
    pad_node(nodes, i, 2 * k + 2, d + 1, D, split, leaf);
    return;
  }
  uint32_t bits;
  memcpy(&bits, &nodes[i].value, 4);
  split[k] = (uint64_t)nodes[i].feature << 32 | bits;
  pad_node(nodes, nodes[i].left, 2 * k + 1, d + 1, D, split, leaf);
  pad_node(nodes, nodes[i].left + 1, 2 * k + 2, d + 1, D, split, leaf);
}

/* 64-byte aligned zeroed array of n elements of size sz (a tree's vectors then start on a cache
 * line: vec_stride is a multiple of 16 elements); free() releases it. */
static void *alloc_lines(size_t n, size_t sz) {
  size_t bytes = (n * sz + 63) / 64 * 64;
  void *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes ? bytes : 64);
  return p;
}

/* Split the padded trees into the SIMD kernels' arrays (thresholds, features, leaves apart). */
static int build_vec(sic_gbdt *b) {
  int D = b->flat_depth;
  size_t ns = ((size_t)1 << D) - 1, nl = (size_t)1 << D;
  size_t stride = nl > SIC_GBDT_VEC_MIN_STRIDE ? nl : SIC_GBDT_VEC_MIN_STRIDE;
  size_t n = (size_t)b->ntrees * stride;
  b->vec_thr = alloc_lines(n, sizeof *b->vec_thr);
  b->vec_feat = alloc_lines(n, sizeof *b->vec_feat);
  b->vec_leaf = alloc_lines(n, sizeof *b->vec_leaf);
  if (!b->vec_thr || !b->vec_feat || !b->vec_leaf) return SIC_ENOMEM;
  for (int32_t t = 0; t < b->ntrees; t++) {
    const uint64_t *split = b->flat_split + t * ns;
    for (size_t k = 0; k < ns; k++) {
      uint32_t bits = (uint32_t)split[k];
      memcpy(&b->vec_thr[t * stride + k], &bits, 4);
      b->vec_feat[t * stride + k] = (int32_t)(uint32_t)(split[k] >> 32);
    }
    memcpy(b->vec_leaf + t * stride, b->flat_leaf + t * nl, nl * sizeof *b->vec_leaf);
  }
  b->vec_stride = (int32_t)stride;
  /* the top splits of all trees side by side: one row's walk loads them instead of gathering */
  size_t ts = ((size_t)b->ntrees + 15) / 16 * 16;
  b->vec_top = alloc_lines(3 * ts, sizeof *b->vec_top);
  if (!b->vec_top) return SIC_ENOMEM;
  for (size_t k = 0; k < 3 && k < ns; k++)
    for (int32_t t = 0; t < b->ntrees; t++) b->vec_top[k * ts + t] = b->flat_split[t * ns + k];
  b->vec_top_stride = (int32_t)ts;
  return 0;
}

static void free_flat(sic_gbdt *b) {
  free(b->flat_split), free(b->flat_leaf);
  free(b->vec_thr), free(b->vec_feat), free(b->vec_leaf), free(b->vec_top);
  b->flat_split = NULL, b->flat_leaf = NULL, b->flat_depth = 0;
  b->vec_thr = NULL, b->vec_feat = NULL, b->vec_leaf = NULL, b->vec_stride = 0;
  b->vec_top = NULL, b->vec_top_stride = 0;
  b->kernel = SIC_GBDT_KERNEL_SCALAR;
}

sic_gbdt_kernel sic_gbdt_best_kernel(void) {
#if SIC_GBDT_X86
  unsigned have = sic_gbdt_cpu_kernels();
  if (have & 1u << SIC_GBDT_KERNEL_AVX512) return SIC_GBDT_KERNEL_AVX512;
  if (have & 1u << SIC_GBDT_KERNEL_AVX2) return SIC_GBDT_KERNEL_AVX2;
#endif
  return SIC_GBDT_KERNEL_SCALAR;
}

const char *sic_gbdt_kernel_name(int k) {
  static const char *const names[SIC_GBDT_KERNEL_COUNT] = {"scalar", "avx2", "avx512"};
  return k >= 0 && k < SIC_GBDT_KERNEL_COUNT ? names[k] : "?";
}

int sic_gbdt_set_kernel(sic_gbdt *b, sic_gbdt_kernel k) {
  if (k == SIC_GBDT_KERNEL_SCALAR) return b->kernel = k, 0;
  if ((unsigned)k >= SIC_GBDT_KERNEL_COUNT || b->flat_depth == 0 || !b->vec_top) return SIC_EUNSUPPORTED;
#if SIC_GBDT_X86
  /* the kernels index a block of 16 rows with 32-bit offsets: row * nfeatures must fit */
  if (b->nfeatures > (1 << 26) || !(sic_gbdt_cpu_kernels() & 1u << k)) return SIC_EUNSUPPORTED;
  b->kernel = k;
  return 0;
#else
  return SIC_EUNSUPPORTED;
#endif
}

/* The best kernel, or SIC_GBDT_KERNEL's choice when the CPU runs it (benchmarks and tests
 * compare kernels on the same machine this way; an unknown or unsupported name is ignored). */
static void choose_kernel(sic_gbdt *b) {
  sic_gbdt_kernel want = sic_gbdt_best_kernel();
  const char *env = getenv("SIC_GBDT_KERNEL");
  for (int k = 0; env && k < SIC_GBDT_KERNEL_COUNT; k++)
    if (!strcmp(env, sic_gbdt_kernel_name(k)) && k <= (int)want) want = (sic_gbdt_kernel)k;
  while (sic_gbdt_set_kernel(b, want) != 0) want = (sic_gbdt_kernel)(want - 1);
}

static int build_flat(sic_gbdt *b) {
  free_flat(b);
  if (b->max_depth > SIC_ML_FLAT_MAX_DEPTH || b->ntrees == 0) return 0;
  int D = b->max_depth > 0 ? b->max_depth : 1;
  /* every tree is padded to the deepest one's depth: thousands of stumps next to one deep tree
   * (a degenerate or hostile file) would take GBs; such a model keeps the node walk (~100 MB
   * of padded layout at most) */
  if (((uint64_t)b->ntrees << D) > SIC_ML_FLAT_MAX_LEAVES) return 0;
  size_t ns = ((size_t)1 << D) - 1, nl = (size_t)1 << D;
  b->flat_split = malloc((size_t)b->ntrees * ns * sizeof *b->flat_split);
  b->flat_leaf = malloc((size_t)b->ntrees * nl * sizeof *b->flat_leaf);
  if (!b->flat_split || !b->flat_leaf) return SIC_ENOMEM;
  for (int32_t t = 0; t < b->ntrees; t++)
    pad_node(b->nodes + b->tree_off[t], 0, 0, 0, D, b->flat_split + t * ns, b->flat_leaf + t * nl);
  b->flat_depth = D;
  if (build_vec(b)) return SIC_ENOMEM;
  choose_kernel(b);
  return 0;
}

int sic_gbdt_validate(sic_gbdt *b, sic_err *err) {
  b->max_depth = 0;
  for (int32_t t = 0; t < b->ntrees; t++) {
    int32_t n = b->tree_off[t + 1] - b->tree_off[t];
    const sic_gbdt_node *nodes = b->nodes + b->tree_off[t];
    if (n < 1) return sic_err_set(err, SIC_EFORMAT, "tree %d has no nodes", t);
    int32_t *depth = calloc((size_t)n, sizeof *depth);
    if (!depth) return sic_err_set(err, SIC_ENOMEM, "out of memory validating tree %d", t);
    for (int32_t i = 0; i < n; i++) {
      if (nodes[i].feature == SIC_ML_LEAF) {
        if (!isfinite(nodes[i].value)) {
          free(depth);
          return sic_err_set(err, SIC_EFORMAT, "tree %d node %d: leaf value is not finite", t, i);
        }
        if (depth[i] > b->max_depth) b->max_depth = depth[i];
        continue;
      }
      uint32_t f = nodes[i].feature & ~SIC_ML_DEFAULT_LEFT;
      /* children strictly after the parent: no cycles, so every walk ends at a leaf */
      if ((int64_t)f >= b->nfeatures || nodes[i].left <= i || nodes[i].left >= n - 1) {
        free(depth);
        return sic_err_set(err, SIC_EFORMAT, "tree %d node %d: feature %u or child %d out of range", t,
                           i, f, nodes[i].left);
      }
      /* max: a crafted file may give a node two parents; its deepest path decides */
      for (int c = 0; c < 2; c++)
        if (depth[nodes[i].left + c] < depth[i] + 1) depth[nodes[i].left + c] = depth[i] + 1;
    }
    free(depth);
  }
  if (build_flat(b)) return sic_err_set(err, SIC_ENOMEM, "out of memory laying out %d trees", b->ntrees);
  return 0;
}

void sic_gbdt_free(sic_gbdt *b) {
  if (!b) return;
  free(b->name);
  for (int32_t i = 0; b->feature_names && i < b->nfeatures; i++) free(b->feature_names[i]);
  free(b->feature_names);
  free(b->tree_off);
  free(b->nodes);
  free_flat(b);
  memset(b, 0, sizeof *b);
}

const sic_gbdt *sic_ml_file_booster(const sic_ml_file *f, const char *name) {
  for (int32_t i = 0; i < f->nboosters; i++)
    if (!strcmp(f->boosters[i].name, name)) return &f->boosters[i];
  return NULL;
}

/* ---- Writing ---- */

typedef struct wbuf {
  uint8_t *p;                           /* bytes written so far */
  size_t len;                           /* used bytes */
  size_t cap;                           /* allocated bytes */
  int oom;                              /* an allocation failed: the buffer is unusable */
} wbuf;

static void w_bytes(wbuf *w, const void *src, size_t n) {
  if (w->oom) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
      w->oom = 1;
      return;
    }
    w->p = p;
    w->cap = cap;
  }
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void w_u32(wbuf *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  w_bytes(w, b, 4);
}

static void w_f32(wbuf *w, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  w_u32(w, v);
}

static void w_str(wbuf *w, const char *s) {
  size_t n = strlen(s);
  w_u32(w, (uint32_t)n);
  w_bytes(w, s, n);
}

static void w_booster(wbuf *w, const sic_gbdt *b) {
  w_str(w, b->name);
  w_u32(w, b->feature_version);
  w_u32(w, (uint32_t)b->nfeatures);
  for (int32_t i = 0; i < b->nfeatures; i++) w_str(w, b->feature_names[i]);
  w_f32(w, b->base_score);
  w_f32(w, b->resid_lo);
  w_f32(w, b->resid_hi);
  w_u32(w, (uint32_t)b->ntrees);
  for (int32_t t = 0; t < b->ntrees; t++) {
    w_u32(w, (uint32_t)(b->tree_off[t + 1] - b->tree_off[t]));
    for (int32_t i = b->tree_off[t]; i < b->tree_off[t + 1]; i++) {
      w_f32(w, b->nodes[i].value);
      w_u32(w, b->nodes[i].feature);
      w_u32(w, (uint32_t)b->nodes[i].left);
    }
  }
}

int sic_ml_file_write(const sic_gbdt *boosters, int nboosters, const char *meta, uint8_t **out,
                      size_t *len, sic_err *err) {
  wbuf w = {0};
  w_bytes(&w, SIC_ML_FILE_MAGIC, 8);
  w_u32(&w, SIC_ML_FILE_VERSION);
  w_str(&w, meta ? meta : "{}");
  w_u32(&w, (uint32_t)nboosters);
  for (int i = 0; i < nboosters; i++) w_booster(&w, &boosters[i]);
  w_u32(&w, (uint32_t)crc32(0L, w.p, (uInt)w.len));
  if (w.oom) {
    free(w.p);
    return sic_err_set(err, SIC_ENOMEM, "out of memory writing the model");
  }
  *out = w.p;
  *len = w.len;
  return 0;
}

int sic_ml_file_save(const char *path, const sic_gbdt *boosters, int nboosters, const char *meta,
                     sic_err *err) {
  uint8_t *buf = NULL;
  size_t len = 0;
  int rc = sic_ml_file_write(boosters, nboosters, meta, &buf, &len, err);
  if (rc) return rc;
  FILE *f = fopen(path, "wb");
  if (!f) {
    free(buf);
    return sic_err_set(err, SIC_EIO, "%s: %s", path, strerror(errno));
  }
  size_t wrote = fwrite(buf, 1, len, f);
  int closed = fclose(f);
  free(buf);
  if (wrote != len || closed) return sic_err_set(err, SIC_EIO, "%s: write failed", path);
  return 0;
}

/* ---- Reading ---- */

typedef struct rbuf {
  const uint8_t *p;                     /* cursor */
  const uint8_t *end;                   /* one past the last byte (CRC excluded) */
  const uint8_t *start;                 /* first byte, for offsets in messages */
  const char *what;                     /* source name for messages */
  sic_err *err;                         /* where the first error goes */
  int failed;                           /* an error was recorded */
} rbuf;

static int r_fail(rbuf *r, const char *field) {
  if (!r->failed)
    sic_err_set(r->err, SIC_ETRUNCATED, "%s: model file truncated or corrupt at byte %zu reading %s",
                r->what, (size_t)(r->p - r->start), field);
  r->failed = 1;
  return -1;
}

static uint32_t r_u32(rbuf *r, const char *field) {
  if (r->failed || r->end - r->p < 4) {
    r_fail(r, field);
    return 0;
  }
  uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
               (uint32_t)r->p[3] << 24;
  r->p += 4;
  return v;
}

static float r_f32(rbuf *r, const char *field) {
  uint32_t v = r_u32(r, field);
  float f;
  memcpy(&f, &v, 4);
  return f;
}

/* A length-prefixed string, NUL-terminated copy; NULL on error. */
static char *r_str(rbuf *r, const char *field) {
  uint32_t n = r_u32(r, field);
  if (r->failed || (size_t)(r->end - r->p) < n) return r_fail(r, field), NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return r_fail(r, field), NULL;
  memcpy(s, r->p, n);
  s[n] = 0;
  r->p += n;
  if (strlen(s) != n) return free(s), r_fail(r, field), NULL; /* embedded NUL */
  return s;
}

static int r_trees(rbuf *r, sic_gbdt *b) {
  uint32_t ntrees = r_u32(r, "tree count");
  /* each tree needs at least 16 bytes: reject counts the file cannot hold before allocating */
  if (r->failed || ntrees > (size_t)(r->end - r->p) / 16) return r_fail(r, "tree count");
  b->ntrees = (int32_t)ntrees;
  b->tree_off = calloc((size_t)ntrees + 1, sizeof *b->tree_off);
  size_t cap = 0, used = 0;
  if (!b->tree_off) return r_fail(r, "trees");
  for (uint32_t t = 0; t < ntrees; t++) {
    uint32_t n = r_u32(r, "node count");
    if (r->failed || n == 0 || n > (size_t)(r->end - r->p) / 12 || used + n > INT32_MAX)
      return r_fail(r, "node count");
    if (used + n > cap) {
      size_t ncap = cap ? cap * 2 : 1024;
      while (ncap < used + n) ncap *= 2;
      sic_gbdt_node *p = realloc(b->nodes, ncap * sizeof *p);
      if (!p) return r_fail(r, "nodes");
      b->nodes = p;
      cap = ncap;
    }
    for (uint32_t i = 0; i < n; i++) {
      b->nodes[used + i].value = r_f32(r, "node");
      b->nodes[used + i].feature = r_u32(r, "node");
      b->nodes[used + i].left = (int32_t)r_u32(r, "node");
    }
    used += n;
    b->tree_off[t + 1] = (int32_t)used;
  }
  return r->failed ? -1 : 0;
}

static int r_booster(rbuf *r, sic_gbdt *b) {
  b->name = r_str(r, "booster name");
  b->feature_version = r_u32(r, "feature version");
  uint32_t nf = r_u32(r, "feature count");
  if (r->failed || nf == 0 || nf > (size_t)(r->end - r->p) / 4) return r_fail(r, "feature count");
  b->feature_names = calloc(nf, sizeof *b->feature_names);
  if (!b->feature_names) return r_fail(r, "feature names");
  b->nfeatures = (int32_t)nf;
  for (uint32_t i = 0; i < nf && !r->failed; i++) b->feature_names[i] = r_str(r, "feature name");
  b->base_score = r_f32(r, "base score");
  b->resid_lo = r_f32(r, "residual quantile");
  b->resid_hi = r_f32(r, "residual quantile");
  if (r->failed) return -1;
  if (!isfinite(b->base_score) || !isfinite(b->resid_lo) || !isfinite(b->resid_hi)) {
    sic_err_set(r->err, SIC_EFORMAT, "%s: booster '%s': base score or residuals not finite", r->what,
                b->name);
    return r->failed = 1, -1;
  }
  if (r_trees(r, b)) return -1;
  if (sic_gbdt_validate(b, r->err)) {
    sic_err_wrap(r->err, "%s: booster '%s'", r->what, b->name);
    return r->failed = 1, -1;
  }
  return 0;
}

static int check_header(const uint8_t *buf, size_t len, const char *what, sic_err *err) {
  if (len < 8 || memcmp(buf, SIC_ML_FILE_MAGIC, 8) != 0)
    return sic_err_set(err, SIC_EFORMAT, "%s: not a sic model file (bad magic)", what);
  if (len < 16) return sic_err_set(err, SIC_ETRUNCATED, "%s: model file truncated (%zu bytes)", what, len);
  uint32_t version = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
                     (uint32_t)buf[11] << 24;
  if (version != SIC_ML_FILE_VERSION)
    return sic_err_set(err, SIC_EUNSUPPORTED,
                       "%s: model file format version %u, this build reads version %u (retrain with "
                       "`sic train`)", what, version, SIC_ML_FILE_VERSION);
  uint32_t stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
                    (uint32_t)buf[len - 2] << 16 | (uint32_t)buf[len - 1] << 24;
  if ((uint32_t)crc32(0L, buf, (uInt)(len - 4)) != stored)
    return sic_err_set(err, SIC_ECORRUPT, "%s: model file checksum mismatch (truncated or modified)",
                       what);
  return 0;
}

int sic_ml_file_parse(const uint8_t *buf, size_t len, const char *what, sic_ml_file **out,
                      sic_err *err) {
  *out = NULL;
  int rc = check_header(buf, len, what, err);
  if (rc) return rc;
  rbuf r = {buf + 12, buf + len - 4, buf, what, err, 0};
  sic_ml_file *f = calloc(1, sizeof *f);
  if (!f) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", what);
  f->meta = r_str(&r, "metadata");
  uint32_t nb = r_u32(&r, "booster count");
  if (!r.failed && (nb == 0 || nb > 64)) {
    sic_err_set(err, SIC_EFORMAT, "%s: booster count %u out of range 1..64", what, nb);
    goto error;
  }
  if (r.failed) goto error;
  f->boosters = calloc(nb, sizeof *f->boosters);
  if (!f->boosters) goto error;
  f->nboosters = (int32_t)nb;
  for (uint32_t i = 0; i < nb; i++)
    if (r_booster(&r, &f->boosters[i])) goto error;
  if (r.p != r.end) {
    sic_err_set(err, SIC_EFORMAT, "%s: %zu unexpected bytes after the last booster", what,
                (size_t)(r.end - r.p));
    goto error;
  }
  *out = f;
  return 0;
error:
  if (!err || err->code == 0) sic_err_set(err, SIC_ENOMEM, "%s: out of memory", what);
  sic_ml_file_free(f);
  return err ? err->code : SIC_EFORMAT;
}

int sic_ml_file_load(const char *path, sic_ml_file **out, sic_err *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return sic_err_set(err, SIC_EIO, "%s: %s", path, strerror(errno));
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, got;
  int rc = 0;
  do {
    if (len == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *p = realloc(buf, cap);
      if (!p) {
        rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory", path);
        goto done;
      }
      buf = p;
    }
    got = fread(buf + len, 1, cap - len, fp);
    len += got;
  } while (got > 0);
  if (ferror(fp)) {
    rc = sic_err_set(err, SIC_EIO, "%s: read error", path);
    goto done;
  }
  rc = sic_ml_file_parse(buf, len, path, out, err);
done:
  fclose(fp);
  free(buf);
  return rc;
}

void sic_ml_file_free(sic_ml_file *f) {
  if (!f) return;
  for (int32_t i = 0; i < f->nboosters; i++) sic_gbdt_free(&f->boosters[i]);
  free(f->boosters);
  free(f->meta);
  free(f);
}
