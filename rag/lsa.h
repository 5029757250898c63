/* Offline text embeddings by latent semantic analysis: TF-IDF, then a truncated SVD computed
 * with a randomized range finder (Halko, Martinsson, Tropp 2011) whose small dense problems are
 * solved by LAPACK (dgeqrf/dorgqr for the orthonormal bases, dsyevd for the l x l
 * eigenproblem) over OpenBLAS. No downloaded weights: the model is learned from the corpus.
 *
 * rag_lsa owns its vocabulary and matrices (rag_lsa_free). Embeddings are
 * L2-normalised, so inner product = cosine similarity. */
#ifndef SIC_RAG_LSA_H
#define SIC_RAG_LSA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct rag_lsa {
  int dims;             /* embedding dimensions */
  int64_t nterms;       /* vocabulary size */
  char **terms;         /* term strings (owned) */
  float *idf;           /* idf per term */
  float *proj;          /* nterms x dims term projection (right singular vectors), row-major */
  int64_t *slots;       /* open-addressing table: term index + 1, 0 = empty */
  int64_t nslots;       /* table size (power of two) */
} rag_lsa;

/* Learn a model with at most dims dimensions from n texts and write their embeddings
 * (n x model dims, row-major, normalised) into *vectors (malloc'd, caller frees). */
int rag_lsa_train(const char *const *texts, size_t n, int dims, uint64_t seed, rag_lsa **out,
                  float **vectors, sic_err *err);

/* Embed text into vec (model->dims floats). Returns 1 when the text has no known term (vec is
 * then all zeros), 0 otherwise. */
int rag_lsa_embed(const rag_lsa *m, const char *text, float *vec);

int rag_lsa_write(const rag_lsa *m, FILE *f);
/* Read a model written by rag_lsa_write; SIC_EFORMAT on a bad or truncated file. */
int rag_lsa_read(FILE *f, rag_lsa **out, sic_err *err);
void rag_lsa_free(rag_lsa *m);

/* Tokenise like the model does: lower-cased alphanumeric runs (dots and underscores split),
 * camelCase split into parts in addition to the whole word, English stop words dropped, a
 * light plural strip. fn is called per token (NUL-terminated, valid during the call). */
void rag_tokenize(const char *text, void (*fn)(const char *tok, size_t len, void *ctx), void *ctx);

#endif
