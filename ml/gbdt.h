/* Native gradient-boosted-tree inference and the sic model file.
 *
 * A trained XGBoost booster is converted once (ml/xgb.c) into a compact flat layout that this
 * file evaluates without XGBoost: every tree is a run of 12-byte nodes in one shared array,
 * children of a node sit next to each other (right = left + 1), so walking a tree is one load
 * and one compare per level. Arithmetic mirrors XGBoost's CPU predictor exactly: features and
 * thresholds are float32, a value goes left when x < threshold, NaN (missing) follows the
 * node's default direction, and leaf values are summed in float32 in tree order on top of
 * base_score. Predictions therefore equal XGBoost's own to the last bit or close to it.
 * Trees up to depth 10 are also padded into perfect binary trees; on x86-64 those are walked by
 * AVX2 or AVX-512 kernels (ml/gbdt_simd.c) chosen at load for the CPU, bit-identical to the
 * portable scalar walk used everywhere else (docs/prediction.md, "Native inference").
 *
 * The model file (.sic) holds one or more named boosters ("stage", "app"), each with its
 * feature names and feature-set version, the residual quantiles used for prediction
 * intervals, and one JSON metadata document (CV metrics, training-set description). The
 * format is little-endian binary, ends with a CRC-32 of everything before it, and every count
 * and child index is validated on load (see sic_ml_file_parse), so a hostile or truncated
 * file gives an error and never a crash or an endless tree walk.
 *
 * Ownership: sic_ml_file_parse/sic_ml_file_load allocate a sic_ml_file that sic_ml_file_free
 * releases with every booster inside it. A sic_gbdt inside a file belongs to that file.
 * Standalone boosters built by the trainer are freed with sic_gbdt_free. */
#ifndef SIC_ML_GBDT_H
#define SIC_ML_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SIC_ML_FILE_MAGIC "SICGBDT1"   /* first 8 bytes of a model file */
#define SIC_ML_FILE_VERSION 1u          /* bumped when the layout changes */
#define SIC_ML_LEAF 0x7fffffffu         /* feature field value that marks a leaf */
#define SIC_ML_DEFAULT_LEFT 0x80000000u /* bit in the feature field: missing goes left */
#define SIC_ML_FLAT_MAX_DEPTH 10        /* deeper models keep the node walk (padding would explode) */
#define SIC_ML_FLAT_MAX_LEAVES (1 << 22) /* ntrees * 2^depth above this keeps the node walk too */

typedef struct sic_gbdt_node {
  float value;                          /* split threshold, or the leaf value at a leaf */
  uint32_t feature;                     /* feature index | SIC_ML_DEFAULT_LEFT, SIC_ML_LEAF at a leaf */
  int32_t left;                         /* index (within the tree) of the left child; right = left + 1 */
} sic_gbdt_node;

typedef struct sic_gbdt {
  char *name;                           /* booster role: "stage", "app", ... */
  uint32_t feature_version;             /* version of the feature set it was trained on */
  int32_t nfeatures;                    /* number of input columns */
  char **feature_names;                 /* nfeatures names, the column order of a row */
  float base_score;                     /* XGBoost's global bias (margin of an empty model) */
  float resid_lo;                       /* 10th percentile of CV residuals (log space) */
  float resid_hi;                       /* 90th percentile of CV residuals (log space) */
  int32_t ntrees;                       /* number of trees */
  int32_t *tree_off;                    /* ntrees + 1 offsets into nodes */
  sic_gbdt_node *nodes;                 /* all trees' nodes back to back */
  int32_t max_depth;                    /* deepest leaf over all trees (validated on load) */
  /* Padded layout built by sic_gbdt_validate when max_depth <= SIC_ML_FLAT_MAX_DEPTH: every tree
   * as a perfect binary tree of depth flat_depth (a leaf above the bottom is copied into every
   * leaf below it), so a walk is exactly flat_depth branch-free steps. Not stored in files. */
  int32_t flat_depth;                   /* depth of the padded trees, 0 = not built (deep model) */
  uint64_t *flat_split;                 /* per tree 2^D - 1 splits: feature field << 32 | threshold bits */
  float *flat_leaf;                     /* per tree 2^D leaf values */
  /* The same padded trees split into arrays for the SIMD kernels (built with flat_*): tree t
   * starts at t * vec_stride in each array, entries past a tree's own nodes are zero. */
  int32_t kernel;                       /* sic_gbdt_kernel evaluating the padded trees (0 = scalar) */
  int32_t vec_stride;                   /* elements per tree in vec_*: max(2^D, 32) */
  float *vec_thr;                       /* per tree: thresholds of padded nodes 0 .. 2^D - 2 */
  int32_t *vec_feat;                    /* per tree: feature field of those nodes (bit 31 = default left) */
  float *vec_leaf;                      /* per tree: the 2^D leaf values */
  int32_t vec_top_stride;               /* ntrees rounded up to a multiple of 16 */
  uint64_t *vec_top;                    /* padded nodes 0-2 (levels 0 and 1) as flat_split entries,
                                           across trees: node k of tree t at k * vec_top_stride + t */
} sic_gbdt;

/* Evaluators of the padded trees. sic_gbdt_validate picks the fastest one the CPU runs, or the
 * one named by the environment variable SIC_GBDT_KERNEL (scalar, avx2, avx512) when the CPU
 * runs that one; all give bit-identical results. Models deeper than SIC_ML_FLAT_MAX_DEPTH
 * (or padded beyond SIC_ML_FLAT_MAX_LEAVES) always use the scalar node walk. A copy of a
 * validated sic_gbdt shares its arrays, so sic_gbdt_set_kernel on a copy compares kernels on
 * one model (free only the original). */
typedef enum sic_gbdt_kernel {
  SIC_GBDT_KERNEL_SCALAR = 0,           /* portable C, any CPU (the arm64 path) */
  SIC_GBDT_KERNEL_AVX2 = 1,             /* x86-64 AVX2: 8 rows (batch) or 8 trees (one row) per vector */
  SIC_GBDT_KERNEL_AVX512 = 2,           /* x86-64 AVX-512F: 16 rows or 16 trees per vector */
  SIC_GBDT_KERNEL_COUNT = 3             /* number of kernels */
} sic_gbdt_kernel;

typedef struct sic_ml_file {
  char *meta;                           /* JSON metadata text (NUL-terminated) */
  int32_t nboosters;                    /* number of boosters */
  sic_gbdt *boosters;                   /* the boosters, owned */
} sic_ml_file;

/* Margin (raw score) for one row of b->nfeatures floats; NaN = missing. */
float sic_gbdt_predict_row(const sic_gbdt *b, const float *row);
/* Margins for nrows rows stored row-major (stride b->nfeatures) into out[nrows]. Walks the
 * trees in blocks of rows so a tree's nodes stay in cache. */
void sic_gbdt_predict_batch(const sic_gbdt *b, const float *rows, int64_t nrows, float *out);

/* Check a booster's structure (children in range and after their parent, features in range)
 * and build the padded layout. Returns 0, SIC_EFORMAT with the tree and node at fault, or
 * SIC_ENOMEM. */
int sic_gbdt_validate(sic_gbdt *b, sic_err *err);
void sic_gbdt_free(sic_gbdt *b);   /* frees what b owns, not b itself */

/* Fastest kernel this CPU runs (ignores SIC_GBDT_KERNEL). */
sic_gbdt_kernel sic_gbdt_best_kernel(void);
/* Make b use kernel k. Returns 0, or SIC_EUNSUPPORTED (b unchanged) when this CPU or build
 * cannot run k; a model without the padded layout accepts only the scalar kernel. */
int sic_gbdt_set_kernel(sic_gbdt *b, sic_gbdt_kernel k);
/* "scalar", "avx2", "avx512" ("?" for anything else). */
const char *sic_gbdt_kernel_name(int k);

/* Find a booster by name; NULL when the file has none. */
const sic_gbdt *sic_ml_file_booster(const sic_ml_file *f, const char *name);

/* Serialise boosters + meta into a malloc'ed buffer (*out, *len). */
int sic_ml_file_write(const sic_gbdt *boosters, int nboosters, const char *meta, uint8_t **out,
                      size_t *len, sic_err *err);
int sic_ml_file_save(const char *path, const sic_gbdt *boosters, int nboosters, const char *meta,
                     sic_err *err);
/* Parse a model file image. `what` names the source in messages (a path). */
int sic_ml_file_parse(const uint8_t *buf, size_t len, const char *what, sic_ml_file **out,
                      sic_err *err);
int sic_ml_file_load(const char *path, sic_ml_file **out, sic_err *err);
void sic_ml_file_free(sic_ml_file *f);

#endif
