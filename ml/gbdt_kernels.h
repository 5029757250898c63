/* Internal to ml/gbdt*.c: the x86-64 SIMD evaluators of the padded layout (ml/gbdt_simd.c).
 *
 * gbdt.c owns the layout (sic_gbdt.vec_*), picks a kernel in sic_gbdt_validate and calls these
 * through sic_gbdt_predict_row/sic_gbdt_predict_batch; nothing outside ml/gbdt*.c includes this.
 * Every kernel returns exactly what the scalar walk returns: same float32 compares, NaN follows
 * the node's default direction, leaves summed in float32 in tree order on top of base_score.
 * Preconditions (checked by the caller): b->flat_depth > 0 and b->vec_* built. */
#ifndef SIC_ML_GBDT_KERNELS_H
#define SIC_ML_GBDT_KERNELS_H

#include "ml/gbdt.h"

/* SIMD kernels exist only where GCC/Clang target attributes and x86 intrinsics do. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SIC_GBDT_X86 1
#else
#define SIC_GBDT_X86 0
#endif

/* Fewest elements per tree in vec_thr/vec_feat/vec_leaf: the kernels load the first 32 nodes or
 * leaves of a tree as two 16-float vectors whatever the depth, so they must be in bounds. */
#define SIC_GBDT_VEC_MIN_STRIDE 32

#if SIC_GBDT_X86
/* Bit (1 << kernel) set for each kernel this CPU (and OS) can run; the scalar bit always is. */
unsigned sic_gbdt_cpu_kernels(void);
float sic_gbdt_row_avx2(const sic_gbdt *b, const float *row);
void sic_gbdt_batch_avx2(const sic_gbdt *b, const float *rows, int64_t nrows, float *out);
float sic_gbdt_row_avx512(const sic_gbdt *b, const float *row);
void sic_gbdt_batch_avx512(const sic_gbdt *b, const float *rows, int64_t nrows, float *out);
#endif

#endif
