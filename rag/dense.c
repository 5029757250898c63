/* FAISS-backed dense index (see dense.h).
 * Only FAISS's C API is used here, so the system libfaiss_c and our shim are interchangeable. */
#include "rag/dense.h"

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rag_dense {
  FaissIndex *index;   /* the FAISS index (owned) */
  char type[64];       /* factory string it was built with ("?" when loaded from a file) */
};

static int faiss_fail(sic_err *err, const char *what) {
  const char *msg = faiss_get_last_error();
  return sic_err_set(err, SIC_EIO, "faiss: %s: %s", what, msg ? msg : "unknown error");
}

const char *rag_dense_factory_for(int64_t n) { return n < 20000 ? "Flat" : "HNSW32"; }

int rag_dense_build(const float *x, int64_t n, int d, const char *factory, rag_dense **out,
                    sic_err *err) {
  rag_dense *ix = calloc(1, sizeof *ix);
  *out = NULL;
  if (!ix) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (!factory) factory = rag_dense_factory_for(n);
  snprintf(ix->type, sizeof ix->type, "%s", factory);
  if (faiss_index_factory(&ix->index, d, factory, METRIC_INNER_PRODUCT)) {
    faiss_fail(err, factory);
    goto error;
  }
  if (!faiss_Index_is_trained(ix->index) && faiss_Index_train(ix->index, n, x)) {
    faiss_fail(err, "train");
    goto error;
  }
  if (faiss_Index_add(ix->index, n, x)) {
    faiss_fail(err, "add");
    goto error;
  }
  *out = ix;
  return 0;
error:
  rag_dense_free(ix);
  return err ? err->code : SIC_EIO;
}

int rag_dense_set(rag_dense *ix, const char *name, double value, sic_err *err) {
  FaissParameterSpace *ps = NULL;
  if (faiss_ParameterSpace_new(&ps)) return faiss_fail(err, "ParameterSpace");
  int rc = faiss_ParameterSpace_set_index_parameter(ps, ix->index, name, value);
  faiss_ParameterSpace_free(ps);
  return rc ? faiss_fail(err, name) : 0;
}

int rag_dense_search(const rag_dense *ix, const float *q, int64_t nq, int k, float *scores,
                     int64_t *labels, sic_err *err) {
  if (faiss_Index_search(ix->index, nq, q, k, scores, labels)) return faiss_fail(err, "search");
  return 0;
}

int rag_dense_save(const rag_dense *ix, const char *path, sic_err *err) {
  if (faiss_write_index_fname(ix->index, path)) return faiss_fail(err, path);
  return 0;
}

int rag_dense_load(const char *path, rag_dense **out, sic_err *err) {
  rag_dense *ix = calloc(1, sizeof *ix);
  *out = NULL;
  if (!ix) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  snprintf(ix->type, sizeof ix->type, "?");
  if (faiss_read_index_fname(path, 0, &ix->index)) {
    free(ix);
    return faiss_fail(err, path);
  }
  *out = ix;
  return 0;
}

int64_t rag_dense_count(const rag_dense *ix) { return faiss_Index_ntotal(ix->index); }
int rag_dense_dims(const rag_dense *ix) { return faiss_Index_d(ix->index); }

void rag_dense_free(rag_dense *ix) {
  if (!ix) return;
  if (ix->index) faiss_Index_free(ix->index);
  free(ix);
}
