/* x86-64 SIMD evaluators of the padded trees (contracts in gbdt_kernels.h).
 *
 * Each kernel is compiled for its instruction set with a target attribute and chosen at run
 * time (sic_gbdt_validate), so the library still runs on any x86-64 CPU; on other
 * architectures this file is empty and the scalar walk in gbdt.c is used.
 *
 * Batch (many rows): one vector lane per row, all lanes walking the same padded tree. The top
 * levels of a tree are few nodes (63 down to level 5) and a tree has at most 64 leaves up to
 * depth 6, so a lane's node or leaf is picked from vector registers with permutes instead of a
 * memory gather (gathers are the slow part: ~0.5 ns per element on the Zen 4 this was tuned
 * on, whatever the addresses). Feature values differ per lane (each row its own feature): rows
 * of up to 64 features are transposed a block at a time so that one feature of 8 or 16 rows is
 * one vector, and at levels 0-3 each lane's value is blended from the level's 1-8 candidate
 * columns; deeper levels (and wider rows) gather it. Each lane adds its leaf to its row's sum
 * tree after tree, so every row's sum is the scalar sum, in the same order, to the bit.
 *
 * One row: one lane per tree, 16 (AVX-512) or 8 (AVX2) trees walked together, 4 such vectors
 * interleaved; each lane gathers its tree's node (AVX-512: threshold and feature as one 8-byte
 * element, half the gathered elements; the root and level-1 nodes of all trees are also stored
 * side by side and loaded), the row's feature value comes from registers holding the row. The leaves are stored and added one by one in tree order (float addition is not
 * associative). */
#include "ml/gbdt_kernels.h"

#if SIC_GBDT_X86

#include <immintrin.h>
#include <string.h>

unsigned sic_gbdt_cpu_kernels(void) {
  unsigned k = 1u << SIC_GBDT_KERNEL_SCALAR;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) k |= 1u << SIC_GBDT_KERNEL_AVX2;
  if (__builtin_cpu_supports("avx512f")) k |= 1u << SIC_GBDT_KERNEL_AVX512;
  return k;
}

/* Rows [r0, r0 + n) of `rows` (nf floats each) transposed into nvec blocks of `lanes` rows:
 * block v holds feature f of its row l at cols[v * stride + f * lanes + l]. Rows past n are
 * zeros (padding lanes, never stored to the output). Plain C shared by both kernels. */
static void transpose_rows(const float *rows, int64_t r0, int n, int nf, int lanes, int nvec, size_t stride,
                           float *cols) {
  for (int v = 0; v < nvec; v++)
    for (int l = 0; l < lanes; l++) {
      int r = v * lanes + l;
      float *dst = cols + (size_t)v * stride + l;
      if (r < n) {
        const float *src = rows + (r0 + r) * nf;
        for (int f = 0; f < nf; f++) dst[(size_t)f * lanes] = src[f];
      } else {
        for (int f = 0; f < nf; f++) dst[(size_t)f * lanes] = 0.0f;
      }
    }
}

/* ---- AVX-512F ---- */

#define AVX512 __attribute__((target("avx512f")))

enum {
  Z_LANES = 16,                         /* float lanes per 512-bit vector */
  Z_INTERLEAVE = 4,                     /* row vectors walked together (independent gathers overlap) */
  Z_BLOCK = 256,                        /* rows per block: every tree is walked over a block in turn */
};

/* One tree's nodes and leaves, the parts the batch kernel keeps in registers. */
typedef struct z_tree {
  const float *thr;                     /* thresholds of padded nodes, vec_stride apart per tree */
  const int32_t *feat;                  /* feature fields of the same nodes */
  const float *leaf;                    /* leaf values */
  __m512 top_thr[2];                    /* thresholds of nodes 0..31 (levels 0-4) */
  __m512i top_feat[2];                  /* their feature fields */
  __m512 l5_thr[2];                     /* nodes 31..62 (level 5), when the tree is that deep */
  __m512i l5_feat[2];                   /* their feature fields */
  __m512 leaves[4];                     /* leaves 0..63 when there are at most 64 */
} z_tree;

/* Lane i of (a ++ b)[idx & 31]: a 32-entry table lookup in registers. */
AVX512 static inline __m512 z_pick32(__m512 a, __m512 b, __m512i idx) {
  return _mm512_permutex2var_ps(a, idx, b);
}

AVX512 static inline __m512i z_pick32i(__m512i a, __m512i b, __m512i idx) {
  return _mm512_permutex2var_epi32(a, idx, b);
}

/* One padded-tree step for 16 lanes: left when x < thr, or when x is missing and the node's
 * default is left; k becomes 2k+1 (left) or 2k+2 (right). */
AVX512 static inline __m512i z_step(__m512i k, __m512 x, __m512 thr, __m512i feat) {
  __mmask16 lt = _mm512_cmp_ps_mask(x, thr, _CMP_LT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  __mmask16 dl = _mm512_test_epi32_mask(feat, _mm512_set1_epi32(INT32_MIN));
  __mmask16 left = (__mmask16)(lt | (nan & dl));
  __m512i k2 = _mm512_add_epi32(_mm512_add_epi32(k, k), _mm512_set1_epi32(2));
  return _mm512_mask_sub_epi32(k2, left, k2, _mm512_set1_epi32(1));
}

AVX512 static void z_load_tree(const sic_gbdt *b, int32_t t, z_tree *z) {
  size_t off = (size_t)t * (size_t)b->vec_stride;
  z->thr = b->vec_thr + off, z->feat = b->vec_feat + off, z->leaf = b->vec_leaf + off;
  /* vec_stride >= 32: the first 32 entries are always this tree's (zero padded) */
  for (int i = 0; i < 2; i++) {
    z->top_thr[i] = _mm512_loadu_ps(z->thr + 16 * i);
    z->top_feat[i] = _mm512_loadu_si512(z->feat + 16 * i);
  }
  for (int i = 0; i < 2; i++) { /* nodes 31..62 exist (and vec_stride >= 64) from depth 6 */
    z->l5_thr[i] = b->flat_depth >= 6 ? _mm512_loadu_ps(z->thr + 31 + 16 * i) : _mm512_setzero_ps();
    z->l5_feat[i] = b->flat_depth >= 6 ? _mm512_loadu_si512(z->feat + 31 + 16 * i) : _mm512_setzero_si512();
  }
  if (b->flat_depth <= 6) /* at most 64 leaves, vec_stride >= max(32, 2^D) */
    for (int i = 0; i < 4; i++)
      z->leaves[i] = i < 2 || b->flat_depth == 6 ? _mm512_loadu_ps(z->leaf + 16 * i) : _mm512_setzero_ps();
}

/* Leaf value of each lane at bottom position k (padded node index). */
AVX512 static inline __m512 z_leaf(const z_tree *z, int D, __m512i k) {
  __m512i li = _mm512_sub_epi32(k, _mm512_set1_epi32((1 << D) - 1));
  if (D <= 5) return z_pick32(z->leaves[0], z->leaves[1], li);
  if (D == 6) {
    __mmask16 hi = _mm512_test_epi32_mask(li, _mm512_set1_epi32(32));
    return _mm512_mask_blend_ps(hi, z_pick32(z->leaves[0], z->leaves[1], li),
                                z_pick32(z->leaves[2], z->leaves[3], li));
  }
  return _mm512_i32gather_ps(li, z->leaf, 4);
}

/* Thresholds and feature fields of 16 splits held as 8-byte flat_split entries in lo ++ hi. */
AVX512 static inline void z_split_apart(__m512i lo, __m512i hi, __m512 *thr, __m512i *feat) {
  /* dwords of lo ++ hi: threshold bits at even positions, feature fields at odd ones */
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  *thr = _mm512_castsi512_ps(_mm512_permutex2var_epi32(lo, even, hi));
  *feat = _mm512_permutex2var_epi32(lo, _mm512_add_epi32(even, _mm512_set1_epi32(1)), hi);
}

/* Threshold and feature field of split at[l] (from split, lanes in live): the scalar layout's
 * 8-byte splits gathered 8 at a time (gathers cost per element, so this is half the cost of
 * gathering thresholds and features apart). */
AVX512 static inline void z_split_gather(const uint64_t *split, __m512i at, __mmask16 live, __m512 *thr, __m512i *feat) {
  __m512i lo = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), (__mmask8)live, _mm512_castsi512_si256(at),
                                           split, 8);
  __m512i hi = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), (__mmask8)(live >> 8),
                                           _mm512_extracti64x4_epi64(at, 1), split, 8);
  z_split_apart(lo, hi, thr, feat);
}

/* The same for level d <= 1 of trees t .. t+15 from vec_top: plain loads (and a blend between
 * the two level-1 nodes) instead of gathers. */
AVX512 static inline void z_split_top(const sic_gbdt *b, int32_t t, int d, __m512i k, __m512 *thr, __m512i *feat) {
  const uint64_t *p = b->vec_top + (d ? b->vec_top_stride : 0) + t; /* node 0, or node 1 */
  __m512i lo = _mm512_loadu_si512(p), hi = _mm512_loadu_si512(p + 8);
  if (d == 1) { /* lanes at node 2 take the next row of vec_top */
    __mmask16 right = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(2));
    lo = _mm512_mask_blend_epi64((__mmask8)right, lo, _mm512_loadu_si512(p + b->vec_top_stride));
    hi = _mm512_mask_blend_epi64((__mmask8)(right >> 8), hi, _mm512_loadu_si512(p + b->vec_top_stride + 8));
  }
  z_split_apart(lo, hi, thr, feat);
}

/* Threshold and feature field of each lane's node k at level d: from registers down to level 5,
 * gathered below. */
AVX512 static inline void z_node(const z_tree *z, int d, __m512i k, __m512 *thr, __m512i *feat) {
  if (d <= 4) {
    *thr = z_pick32(z->top_thr[0], z->top_thr[1], k);
    *feat = z_pick32i(z->top_feat[0], z->top_feat[1], k);
  } else if (d == 5) {
    __m512i i5 = _mm512_sub_epi32(k, _mm512_set1_epi32(31));
    *thr = z_pick32(z->l5_thr[0], z->l5_thr[1], i5);
    *feat = z_pick32i(z->l5_feat[0], z->l5_feat[1], i5);
  } else {
    /* dword gathers: the 8-byte form (z_split_gather) here made the depth-6 batch 8% slower
     * through code generation alone, though this branch never runs at depth 6 */
    *thr = _mm512_i32gather_ps(k, z->thr, 4);
    *feat = _mm512_i32gather_epi32(k, z->feat, 4);
  }
}

/* Walk Z_INTERLEAVE vectors of rows (lanes masked by live[]) down tree z, adding leaves to acc. */
AVX512 static void z_walk_rows(const z_tree *z, int D, const float *const base[], const __mmask16 live[],
                               __m512i rowoff, __m512 acc[]) {
  __m512i k[Z_INTERLEAVE];
  const __m512i fmask = _mm512_set1_epi32(INT32_MAX);
  for (int g = 0; g < Z_INTERLEAVE; g++) k[g] = _mm512_setzero_si512();
  for (int d = 0; d < D; d++) {
    for (int g = 0; g < Z_INTERLEAVE; g++) {
      __m512 thr;
      __m512i feat;
      z_node(z, d, k[g], &thr, &feat);
      __m512i xi = _mm512_add_epi32(rowoff, _mm512_and_si512(feat, fmask));
      /* masked-off lanes (past the last row) load nothing */
      __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live[g], xi, base[g], 4);
      k[g] = z_step(k[g], x, thr, feat);
    }
  }
  for (int g = 0; g < Z_INTERLEAVE; g++) acc[g] = _mm512_add_ps(acc[g], z_leaf(z, D, k[g]));
}

/* Rows [r0, r0 + n) with n <= Z_BLOCK: every tree in turn over the whole block. */
AVX512 static void z_block(const sic_gbdt *b, const float *rows, int64_t r0, int n, float *out) {
  enum { NV = Z_BLOCK / Z_LANES };
  __m512 acc[NV];
  const float *base[NV];
  __mmask16 live[NV];
  int nv = (n + Z_LANES - 1) / Z_LANES;
  nv = (nv + Z_INTERLEAVE - 1) / Z_INTERLEAVE * Z_INTERLEAVE; /* whole interleave groups */
  for (int v = 0; v < nv; v++) {
    int left = n - v * Z_LANES;
    live[v] = left >= Z_LANES ? (__mmask16)0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
    /* a vector with no live row keeps a valid pointer (rows) but never loads through it */
    base[v] = left > 0 ? rows + (r0 + (int64_t)v * Z_LANES) * b->nfeatures : rows;
    acc[v] = _mm512_set1_ps(b->base_score);
  }
  __m512i rowoff = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                      _mm512_set1_epi32(b->nfeatures));
  z_tree z;
  for (int32_t t = 0; t < b->ntrees; t++) {
    z_load_tree(b, t, &z);
    for (int v = 0; v < nv; v += Z_INTERLEAVE)
      z_walk_rows(&z, b->flat_depth, base + v, live + v, rowoff, acc + v);
  }
  for (int v = 0; v * Z_LANES < n; v++) _mm512_mask_storeu_ps(out + r0 + v * Z_LANES, live[v], acc[v]);
}

/* Narrow rows (the usual case) are transposed a block at a time so that 16 rows' values of one
 * feature are one aligned vector: at the top levels, where a level has few nodes, each lane's
 * value is picked from the level's candidate columns with blends, which is cheaper than a
 * gather; deeper levels gather from the block (always in bounds: padding rows are zeros). */
enum {
  Z_COL_MAX_NF = 64,                    /* widest row transposed (block = 64 x 64 floats, 16 KiB) */
  Z_COL_BLOCK = 64,                     /* rows per transposed block */
  Z_SEL_LEVELS = 4,                     /* levels 0-3 pick by blends (measured: a 4th costs more than a gather) */
};

/* Feature value of each lane at a level of n (<= 8) nodes: load the n candidate columns (col +
 * off[i], feature * 16) and reduce them by the bits of each lane's position j in the level. */
AVX512 static inline __attribute__((always_inline)) __m512 z_select(const float *col, const int32_t *off,
                                                                     __m512i j, int n) {
  __m512 v[8];
#pragma GCC unroll 8
  for (int i = 0; i < n; i++) v[i] = _mm512_load_ps(col + off[i]);
#pragma GCC unroll 3
  for (int bit = 1; bit < n; bit *= 2) {
    __mmask16 m = _mm512_test_epi32_mask(j, _mm512_set1_epi32(bit));
#pragma GCC unroll 4
    for (int i = 0; i < n / (2 * bit); i++) v[i] = _mm512_mask_blend_ps(m, v[2 * i], v[2 * i + 1]);
  }
  return v[0];
}

/* Feature value of each lane of one column-major 16-row vector at level d. */
AVX512 static inline __m512 z_col_x(const float *col, const int32_t *off, int d, __m512i k, __m512i feat) {
  const int32_t *o = off + (1 << d) - 1; /* the level's nodes */
  __m512i j = _mm512_sub_epi32(k, _mm512_set1_epi32((1 << d) - 1));
  switch (d) {
  case 0: return _mm512_load_ps(col + o[0]);
  case 1: return z_select(col, o, j, 2);
  case 2: return z_select(col, o, j, 4);
  case 3: return z_select(col, o, j, 8);
  default: {
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i at = _mm512_add_epi32(lane, _mm512_slli_epi32(_mm512_and_si512(feat, _mm512_set1_epi32(INT32_MAX)), 4));
    return _mm512_i32gather_ps(at, col, 4);
  }
  }
}

/* z_walk_rows over column-major vectors; off[] = column offsets of padded nodes 0..14. */
AVX512 static void z_walk_cols(const z_tree *z, int D, const float *const cols[], const int32_t *off,
                               __m512 acc[]) {
  __m512i k[Z_INTERLEAVE];
  for (int g = 0; g < Z_INTERLEAVE; g++) k[g] = _mm512_setzero_si512();
  for (int d = 0; d < D; d++)
    for (int g = 0; g < Z_INTERLEAVE; g++) {
      __m512 thr;
      __m512i feat;
      z_node(z, d, k[g], &thr, &feat);
      k[g] = z_step(k[g], z_col_x(cols[g], off, d, k[g], feat), thr, feat);
    }
  for (int g = 0; g < Z_INTERLEAVE; g++) acc[g] = _mm512_add_ps(acc[g], z_leaf(z, D, k[g]));
}

/* Rows [r0, r0 + n), n <= Z_COL_BLOCK, at most Z_COL_MAX_NF features: transposed, then every
 * tree in turn over the block. */
AVX512 static void z_col_block(const sic_gbdt *b, const float *rows, int64_t r0, int n, float *out) {
  enum { NV = Z_COL_BLOCK / Z_LANES };
  float cols[NV][Z_COL_MAX_NF * Z_LANES] __attribute__((aligned(64)));
  const float *colp[NV];
  __m512 acc[NV];
  int nf = b->nfeatures, D = b->flat_depth;
  transpose_rows(rows, r0, n, nf, Z_LANES, NV, Z_COL_MAX_NF * Z_LANES, &cols[0][0]);
  for (int v = 0; v < NV; v++) {
    colp[v] = cols[v];
    acc[v] = _mm512_set1_ps(b->base_score);
  }
  int nv = (n + Z_LANES * Z_INTERLEAVE - 1) / (Z_LANES * Z_INTERLEAVE) * Z_INTERLEAVE;
  int32_t off[(1 << Z_SEL_LEVELS) - 1] = {0};
  z_tree z;
  for (int32_t t = 0; t < b->ntrees; t++) {
    z_load_tree(b, t, &z);
    for (int j = 0; j < (1 << Z_SEL_LEVELS) - 1 && j < (1 << D) - 1; j++)
      off[j] = (z.feat[j] & INT32_MAX) * Z_LANES;
    for (int v = 0; v < nv; v += Z_INTERLEAVE) z_walk_cols(&z, D, colp + v, off, acc + v);
  }
  for (int v = 0; v * Z_LANES < n; v++) {
    int left = n - v * Z_LANES;
    _mm512_mask_storeu_ps(out + r0 + v * Z_LANES, left >= Z_LANES ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1),
                          acc[v]);
  }
}

AVX512 void sic_gbdt_batch_avx512(const sic_gbdt *b, const float *rows, int64_t nrows, float *out) {
  if (b->nfeatures <= Z_COL_MAX_NF) {
    for (int64_t r0 = 0; r0 < nrows; r0 += Z_COL_BLOCK)
      z_col_block(b, rows, r0, (int)(nrows - r0 < Z_COL_BLOCK ? nrows - r0 : Z_COL_BLOCK), out);
    return;
  }
  for (int64_t r0 = 0; r0 < nrows; r0 += Z_BLOCK) /* wide rows: gathered from the rows themselves */
    z_block(b, rows, r0, (int)(nrows - r0 < Z_BLOCK ? nrows - r0 : Z_BLOCK), out);
}

/* Feature value of each lane's feature index f (< nfeatures) from the row held in registers
 * (xr, 64 floats) or, for wider rows, gathered from the row itself. */
AVX512 static inline __m512 z_row_x(const __m512 xr[4], int nf, const float *row, __m512i f, __mmask16 live) {
  if (nf <= 16) return _mm512_permutexvar_ps(f, xr[0]);
  if (nf <= 32) return z_pick32(xr[0], xr[1], f);
  if (nf <= 64) {
    __mmask16 hi = _mm512_test_epi32_mask(f, _mm512_set1_epi32(32));
    return _mm512_mask_blend_ps(hi, z_pick32(xr[0], xr[1], f), z_pick32(xr[2], xr[3], f));
  }
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, f, row, 4);
}

enum { Z_ROW_INTERLEAVE = 4 }; /* vectors of 16 trees walked together for one row */

AVX512 float sic_gbdt_row_avx512(const sic_gbdt *b, const float *row) {
  int D = b->flat_depth, nf = b->nfeatures, S = b->vec_stride;
  float xbuf[64] = {0}; /* the row padded to whole vectors: never read past the caller's row */
  memcpy(xbuf, row, (size_t)(nf < 64 ? nf : 64) * sizeof *xbuf);
  __m512 xr[4];
  for (int i = 0; i < 4; i++) xr[i] = _mm512_loadu_ps(xbuf + 16 * i);
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const int ns = (1 << D) - 1;
  const __m512i split_off = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(ns)); /* tree l's splits */
  const __m512i leaf_off = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(S));   /* tree l's leaves */
  const __m512i fmask = _mm512_set1_epi32(INT32_MAX);
  const __m512i leaf0 = _mm512_set1_epi32(ns);
  enum { G = Z_ROW_INTERLEAVE };
  float acc = b->base_score;
  float leaves[G * Z_LANES];
  for (int32_t t0 = 0; t0 < b->ntrees; t0 += G * Z_LANES) {
    __mmask16 live[G];
    const uint64_t *split[G];
    const float *leaf[G];
    int32_t first[G];
    __m512i k[G];
    for (int g = 0; g < G; g++) {
      int n = b->ntrees - t0 - g * Z_LANES;
      live[g] = n >= Z_LANES ? (__mmask16)0xffff : n > 0 ? (__mmask16)((1u << n) - 1) : 0;
      /* a vector past the last tree reads tree 0's (in bounds) and its leaves are dropped */
      first[g] = n > 0 ? t0 + g * Z_LANES : 0;
      split[g] = b->flat_split + (size_t)first[g] * ns, leaf[g] = b->vec_leaf + (size_t)first[g] * S;
      k[g] = _mm512_setzero_si512();
    }
    for (int d = 0; d < D; d++)
      for (int g = 0; g < G; g++) {
        __m512 th;
        __m512i fe;
        if (d <= 1) z_split_top(b, first[g], d, k[g], &th, &fe);
        else z_split_gather(split[g], _mm512_add_epi32(split_off, k[g]), live[g], &th, &fe);
        __m512 x = z_row_x(xr, nf, row, _mm512_and_si512(fe, fmask), live[g]);
        k[g] = z_step(k[g], x, th, fe);
      }
    for (int g = 0; g < G; g++) {
      __m512i at = _mm512_add_epi32(leaf_off, _mm512_sub_epi32(k[g], leaf0));
      _mm512_storeu_ps(leaves + g * Z_LANES, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live[g], at, leaf[g], 4));
    }
    int n = b->ntrees - t0 < G * Z_LANES ? b->ntrees - t0 : G * Z_LANES;
    for (int l = 0; l < n; l++) acc += leaves[l]; /* tree order, as XGBoost sums */
  }
  return acc;
}

/* ---- AVX2 ---- */

#define AVX2 __attribute__((target("avx2")))

enum {
  Y_LANES = 8,                          /* float lanes per 256-bit vector */
  Y_INTERLEAVE = 4,                     /* row vectors walked together */
  Y_BLOCK = 128,                        /* rows per block */
};

/* Lane mask (all bits set) for the first n of 8 lanes. */
AVX2 static inline __m256i y_live(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One padded-tree step for 8 lanes (see z_step). */
AVX2 static inline __m256i y_step(__m256i k, __m256 x, __m256 thr, __m256i feat) {
  __m256 lt = _mm256_cmp_ps(x, thr, _CMP_LT_OQ);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 dl = _mm256_castsi256_ps(_mm256_srai_epi32(feat, 31));
  __m256i left = _mm256_castps_si256(_mm256_or_ps(lt, _mm256_and_ps(nan, dl)));
  /* left lanes are -1: 2k + 2 + (-1) = 2k + 1 */
  return _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(k, k), _mm256_set1_epi32(2)), left);
}

/* Entry idx (< n; n = 8, 16, 32 or 64) of table p for each lane: a permute within each 8-entry
 * part, then blends by the bits of idx above the third. Cheaper than a gather up to 64 entries. */
AVX2 static inline __attribute__((always_inline)) __m256 y_pick(const float *p, __m256i idx, int n) {
  __m256 v[8];
#pragma GCC unroll 8
  for (int i = 0; i < n / 8; i++) v[i] = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p + 8 * i), idx);
#pragma GCC unroll 3
  for (int bit = 8, parts = n / 8; bit < n; bit *= 2, parts /= 2) {
    __m256i b = _mm256_set1_epi32(bit);
    __m256 m = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(idx, b), b));
#pragma GCC unroll 4
    for (int i = 0; i < parts / 2; i++) v[i] = _mm256_blendv_ps(v[2 * i], v[2 * i + 1], m);
  }
  return v[0];
}

/* Feature value of each lane at a level of n (<= 8) nodes from a column-major block (see
 * z_select): the n candidate columns reduced by the bits of each lane's position j. */
AVX2 static inline __attribute__((always_inline)) __m256 y_select(const float *col, const int32_t *off,
                                                                   __m256i j, int n) {
  __m256 v[8];
#pragma GCC unroll 8
  for (int i = 0; i < n; i++) v[i] = _mm256_load_ps(col + off[i]);
#pragma GCC unroll 3
  for (int bit = 1; bit < n; bit *= 2) {
    __m256i b = _mm256_set1_epi32(bit);
    __m256 m = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(j, b), b));
#pragma GCC unroll 4
    for (int i = 0; i < n / (2 * bit); i++) v[i] = _mm256_blendv_ps(v[2 * i], v[2 * i + 1], m);
  }
  return v[0];
}

/* Feature value of each lane of one column-major 8-row vector at level d (see z_col_x). */
AVX2 static inline __m256 y_col_x(const float *col, const int32_t *off, int d, __m256i k, __m256i feat) {
  const int32_t *o = off + (1 << d) - 1;
  __m256i j = _mm256_sub_epi32(k, _mm256_set1_epi32((1 << d) - 1));
  switch (d) {
  case 0: return _mm256_load_ps(col + o[0]);
  case 1: return y_select(col, o, j, 2);
  case 2: return y_select(col, o, j, 4);
  case 3: return y_select(col, o, j, 8);
  default: {
    __m256i f = _mm256_and_si256(feat, _mm256_set1_epi32(INT32_MAX));
    __m256i at = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_slli_epi32(f, 3));
    return _mm256_i32gather_ps(col, at, 4);
  }
  }
}

/* One AVX2 batch source of rows: Y_INTERLEAVE vectors of 8 rows, either row-major (base, live,
 * rowoff: gathered) or transposed into columns (cols, off: blended at the top levels). */
typedef struct y_rows {
  const float *const *base;             /* row-major: first row of each vector */
  const __m256i *live;                  /* row-major: lanes holding a row */
  __m256i rowoff;                       /* row-major: lane * nfeatures */
  const float *const *cols;             /* transposed: feature f of lane l at f * 8 + l; NULL if row-major */
  const int32_t *off;                   /* transposed: column offsets of padded nodes 0..6 */
} y_rows;

/* Walk Y_INTERLEAVE vectors of rows down tree t, adding leaves to acc. Nodes down to level 5 and
 * up to 64 leaves are picked with permutes (y_pick), deeper levels and more leaves gathered. */
AVX2 static void y_walk_rows(const sic_gbdt *b, int32_t t, const y_rows *src, __m256 acc[]) {
  int D = b->flat_depth;
  size_t off = (size_t)t * (size_t)b->vec_stride;
  const float *thr = b->vec_thr + off, *leaf = b->vec_leaf + off;
  const int32_t *feat = b->vec_feat + off;
  const __m256i fmask = _mm256_set1_epi32(INT32_MAX);
  __m256 top_thr = _mm256_loadu_ps(thr), l3_thr = _mm256_loadu_ps(thr + 7); /* stride >= 32 */
  __m256i top_feat = _mm256_loadu_si256((const __m256i *)feat);
  __m256i l3_feat = _mm256_loadu_si256((const __m256i *)(feat + 7));
  __m256i k[Y_INTERLEAVE];
  for (int g = 0; g < Y_INTERLEAVE; g++) k[g] = _mm256_setzero_si256();
  for (int d = 0; d < D; d++) {
    for (int g = 0; g < Y_INTERLEAVE; g++) {
      __m256 th, x;
      __m256i fe;
      if (d <= 2) {
        th = _mm256_permutevar8x32_ps(top_thr, k[g]);
        fe = _mm256_permutevar8x32_epi32(top_feat, k[g]);
      } else if (d == 3) {
        __m256i i3 = _mm256_sub_epi32(k[g], _mm256_set1_epi32(7));
        th = _mm256_permutevar8x32_ps(l3_thr, i3);
        fe = _mm256_permutevar8x32_epi32(l3_feat, i3);
      } else if (d == 4) { /* 16 nodes from 15 on */
        __m256i i = _mm256_sub_epi32(k[g], _mm256_set1_epi32(15));
        th = y_pick(thr + 15, i, 16);
        fe = _mm256_castps_si256(y_pick((const float *)feat + 15, i, 16));
      } else if (d == 5) { /* 32 nodes from 31 on */
        __m256i i = _mm256_sub_epi32(k[g], _mm256_set1_epi32(31));
        th = y_pick(thr + 31, i, 32);
        fe = _mm256_castps_si256(y_pick((const float *)feat + 31, i, 32));
      } else {
        th = _mm256_i32gather_ps(thr, k[g], 4);
        fe = _mm256_i32gather_epi32(feat, k[g], 4);
      }
      if (src->cols) {
        x = y_col_x(src->cols[g], src->off, d, k[g], fe);
      } else { /* masked-off lanes (past the last row) load nothing */
        __m256i xi = _mm256_add_epi32(src->rowoff, _mm256_and_si256(fe, fmask));
        x = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), src->base[g], xi, _mm256_castsi256_ps(src->live[g]), 4);
      }
      k[g] = y_step(k[g], x, th, fe);
    }
  }
  __m256i first = _mm256_set1_epi32((1 << D) - 1);
  for (int g = 0; g < Y_INTERLEAVE; g++) {
    __m256i li = _mm256_sub_epi32(k[g], first);
    __m256 v;
    switch (D) { /* up to 64 leaves by permutes (vec_stride >= max(32, 2^D)), more gathered */
    case 1: case 2: case 3: v = y_pick(leaf, li, 8); break;
    case 4: v = y_pick(leaf, li, 16); break;
    case 5: v = y_pick(leaf, li, 32); break;
    case 6: v = y_pick(leaf, li, 64); break;
    default: v = _mm256_i32gather_ps(leaf, li, 4);
    }
    acc[g] = _mm256_add_ps(acc[g], v);
  }
}

/* Rows [r0, r0 + n), n <= Y_BLOCK, gathered from the rows themselves (wide rows). */
AVX2 static void y_block(const sic_gbdt *b, const float *rows, int64_t r0, int n, float *out) {
  enum { NV = Y_BLOCK / Y_LANES };
  __m256 acc[NV];
  __m256i live[NV];
  const float *base[NV];
  int nv = (n + Y_LANES - 1) / Y_LANES;
  nv = (nv + Y_INTERLEAVE - 1) / Y_INTERLEAVE * Y_INTERLEAVE;
  for (int v = 0; v < nv; v++) {
    int left = n - v * Y_LANES;
    live[v] = y_live(left);
    base[v] = left > 0 ? rows + (r0 + (int64_t)v * Y_LANES) * b->nfeatures : rows;
    acc[v] = _mm256_set1_ps(b->base_score);
  }
  __m256i rowoff = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(b->nfeatures));
  for (int32_t t = 0; t < b->ntrees; t++)
    for (int v = 0; v < nv; v += Y_INTERLEAVE) {
      y_rows src = {base + v, live + v, rowoff, NULL, NULL};
      y_walk_rows(b, t, &src, acc + v);
    }
  for (int v = 0; v * Y_LANES < n; v++) _mm256_maskstore_ps(out + r0 + v * Y_LANES, live[v], acc[v]);
}

enum { Y_COL_BLOCK = 64 }; /* rows per transposed block (64 x 64 floats at most, 16 KiB) */

/* Rows [r0, r0 + n), n <= Y_COL_BLOCK, at most Z_COL_MAX_NF features: transposed (padding rows
 * zero), then every tree in turn over the block. */
AVX2 static void y_col_block(const sic_gbdt *b, const float *rows, int64_t r0, int n, float *out) {
  enum { NV = Y_COL_BLOCK / Y_LANES };
  float cols[NV][Z_COL_MAX_NF * Y_LANES] __attribute__((aligned(32)));
  const float *colp[NV];
  __m256 acc[NV];
  int nf = b->nfeatures, D = b->flat_depth;
  transpose_rows(rows, r0, n, nf, Y_LANES, NV, Z_COL_MAX_NF * Y_LANES, &cols[0][0]);
  for (int v = 0; v < NV; v++) {
    colp[v] = cols[v];
    acc[v] = _mm256_set1_ps(b->base_score);
  }
  int nv = (n + Y_LANES * Y_INTERLEAVE - 1) / (Y_LANES * Y_INTERLEAVE) * Y_INTERLEAVE;
  int32_t off[(1 << Z_SEL_LEVELS) - 1] = {0};
  for (int32_t t = 0; t < b->ntrees; t++) {
    const int32_t *feat = b->vec_feat + (size_t)t * (size_t)b->vec_stride;
    for (int j = 0; j < (1 << Z_SEL_LEVELS) - 1 && j < (1 << D) - 1; j++) off[j] = (feat[j] & INT32_MAX) * Y_LANES;
    for (int v = 0; v < nv; v += Y_INTERLEAVE) {
      y_rows src = {NULL, NULL, _mm256_setzero_si256(), colp + v, off};
      y_walk_rows(b, t, &src, acc + v);
    }
  }
  for (int v = 0; v * Y_LANES < n; v++) _mm256_maskstore_ps(out + r0 + v * Y_LANES, y_live(n - v * Y_LANES), acc[v]);
}

AVX2 void sic_gbdt_batch_avx2(const sic_gbdt *b, const float *rows, int64_t nrows, float *out) {
  if (b->nfeatures <= Z_COL_MAX_NF) {
    for (int64_t r0 = 0; r0 < nrows; r0 += Y_COL_BLOCK)
      y_col_block(b, rows, r0, (int)(nrows - r0 < Y_COL_BLOCK ? nrows - r0 : Y_COL_BLOCK), out);
    return;
  }
  for (int64_t r0 = 0; r0 < nrows; r0 += Y_BLOCK)
    y_block(b, rows, r0, (int)(nrows - r0 < Y_BLOCK ? nrows - r0 : Y_BLOCK), out);
}

enum { Y_ROW_INTERLEAVE = 4 }; /* vectors of 8 trees walked together for one row */

AVX2 float sic_gbdt_row_avx2(const sic_gbdt *b, const float *row) {
  int D = b->flat_depth, nf = b->nfeatures, S = b->vec_stride;
  float xbuf[8] = {0}; /* narrow rows live in one register, padded */
  memcpy(xbuf, row, (size_t)(nf < 8 ? nf : 8) * sizeof *xbuf);
  __m256 xr = _mm256_loadu_ps(xbuf);
  const __m256i lane_off = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(S));
  const __m256i fmask = _mm256_set1_epi32(INT32_MAX);
  const __m256i leaf0 = _mm256_set1_epi32((1 << D) - 1);
  enum { G = Y_ROW_INTERLEAVE };
  float acc = b->base_score;
  float leaves[G * Y_LANES];
  for (int32_t t0 = 0; t0 < b->ntrees; t0 += G * Y_LANES) {
    __m256 live[G];
    size_t off[G];
    __m256i k[G];
    for (int g = 0; g < G; g++) {
      int n = b->ntrees - t0 - g * Y_LANES;
      live[g] = _mm256_castsi256_ps(y_live(n));
      /* a vector past the last tree keeps a valid offset but loads nothing through it */
      off[g] = n > 0 ? (size_t)(t0 + g * Y_LANES) * (size_t)S : 0;
      k[g] = _mm256_setzero_si256();
    }
    for (int d = 0; d < D; d++)
      for (int g = 0; g < G; g++) {
        __m256i at = _mm256_add_epi32(lane_off, k[g]);
        __m256 th = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), b->vec_thr + off[g], at, live[g], 4);
        __m256i fe = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), b->vec_feat + off[g], at,
                                                 _mm256_castps_si256(live[g]), 4);
        __m256i f = _mm256_and_si256(fe, fmask);
        __m256 x = nf <= 8 ? _mm256_permutevar8x32_ps(xr, f)
                           : _mm256_mask_i32gather_ps(_mm256_setzero_ps(), row, f, live[g], 4);
        k[g] = y_step(k[g], x, th, fe);
      }
    for (int g = 0; g < G; g++) {
      __m256i at = _mm256_add_epi32(lane_off, _mm256_sub_epi32(k[g], leaf0));
      _mm256_storeu_ps(leaves + g * Y_LANES,
                       _mm256_mask_i32gather_ps(_mm256_setzero_ps(), b->vec_leaf + off[g], at, live[g], 4));
    }
    int n = b->ntrees - t0 < G * Y_LANES ? b->ntrees - t0 : G * Y_LANES;
    for (int l = 0; l < n; l++) acc += leaves[l]; /* tree order, as XGBoost sums */
  }
  return acc;
}

#else
/* Not x86-64: nothing here, gbdt.c uses the scalar walk (ISO C forbids an empty unit). */
typedef int sic_gbdt_simd_unused;
#endif
