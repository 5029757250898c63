/* Dense vector index over FAISS's C API (headers faiss/c_api/ ... _c.h; implemented by a system libfaiss_c
 * or by rag/faiss_shim.cpp). Vectors are L2-normalised embeddings searched by inner product.
 *
 * rag_dense owns its FaissIndex (rag_dense_free). */
#ifndef SIC_RAG_DENSE_H
#define SIC_RAG_DENSE_H

#include <stdint.h>

#include "core/error.h"

typedef struct rag_dense rag_dense;

/* Index type by corpus size: exact "Flat" below 20000 vectors, "HNSW32" above (FAISS factory
 * strings). */
const char *rag_dense_factory_for(int64_t n);

/* Build an index of n vectors of d floats with the given factory string (NULL = by size);
 * trains first when the index type needs it. */
int rag_dense_build(const float *x, int64_t n, int d, const char *factory, rag_dense **out,
                    sic_err *err);
/* Set a search-time parameter ("efSearch", "nprobe") through faiss's ParameterSpace. */
int rag_dense_set(rag_dense *ix, const char *name, double value, sic_err *err);
/* k nearest of nq queries: scores (inner products) and labels (row numbers, -1 = none),
 * both nq x k. */
int rag_dense_search(const rag_dense *ix, const float *q, int64_t nq, int k, float *scores,
                     int64_t *labels, sic_err *err);
int rag_dense_save(const rag_dense *ix, const char *path, sic_err *err);
int rag_dense_load(const char *path, rag_dense **out, sic_err *err);
int64_t rag_dense_count(const rag_dense *ix);
int rag_dense_dims(const rag_dense *ix);
void rag_dense_free(rag_dense *ix);

#endif
