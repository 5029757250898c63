// Thin implementation of the subset of FAISS's own C API that sic uses (rag/dense.c).
//
// Why it exists: Debian ships FAISS's C API headers (faiss/c_api/*.h) and
// the C++ library, but not libfaiss_c. The build compiles this file only when CMake finds no
// system libfaiss_c; the C code is written against the official headers either way, so the two
// are interchangeable. Every function follows the C API contract: 0 on success, a negative
// FaissErrorCode on failure with the message kept for faiss_get_last_error() (per thread).
// Ownership: indexes returned through FaissIndex** belong to the caller (faiss_Index_free).

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <exception>
#include <string>

extern "C" {
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
}

namespace {

// Last error message of this thread, as faiss_get_last_error() promises.
thread_local std::string last_error;

// Run fn, translating exceptions to the C API's error codes (never let one cross into C).
template <typename Fn>
int guarded(Fn fn) {
  try {
    fn();
    return 0;
  } catch (const faiss::FaissException &e) {
    last_error = e.what();
    return FAISS_EXCEPT;
  } catch (const std::exception &e) {
    last_error = e.what();
    return STD_EXCEPT;
  } catch (...) {
    last_error = "unknown exception";
    return UNKNOWN_EXCEPT;
  }
}

faiss::Index *cxx(FaissIndex *index) { return reinterpret_cast<faiss::Index *>(index); }
const faiss::Index *cxx(const FaissIndex *index) {
  return reinterpret_cast<const faiss::Index *>(index);
}

}  // namespace

extern "C" {

const char *faiss_get_last_error() { return last_error.empty() ? nullptr : last_error.c_str(); }

int faiss_index_factory(FaissIndex **p_index, int d, const char *description,
                        FaissMetricType metric) {
  return guarded([&] {
    *p_index = reinterpret_cast<FaissIndex *>(
        faiss::index_factory(d, description, static_cast<faiss::MetricType>(metric)));
  });
}

void faiss_Index_free(FaissIndex *obj) { delete cxx(obj); }

int faiss_Index_d(const FaissIndex *index) { return cxx(index)->d; }

idx_t faiss_Index_ntotal(const FaissIndex *index) { return cxx(index)->ntotal; }

int faiss_Index_is_trained(const FaissIndex *index) { return cxx(index)->is_trained; }

int faiss_Index_train(FaissIndex *index, idx_t n, const float *x) {
  return guarded([&] { cxx(index)->train(n, x); });
}

int faiss_Index_add(FaissIndex *index, idx_t n, const float *x) {
  return guarded([&] { cxx(index)->add(n, x); });
}

int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k,
                       float *distances, idx_t *labels) {
  return guarded([&] { cxx(index)->search(n, x, k, distances, labels); });
}

int faiss_write_index_fname(const FaissIndex *idx, const char *fname) {
  return guarded([&] { faiss::write_index(cxx(idx), fname); });
}

int faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out) {
  return guarded([&] {
    *p_out = reinterpret_cast<FaissIndex *>(faiss::read_index(fname, io_flags));
  });
}

// Search-time knobs such as "efSearch" (HNSW) or "nprobe" (IVF), set through faiss's
// ParameterSpace exactly as the C API does it.
int faiss_ParameterSpace_new(FaissParameterSpace **space) {
  return guarded([&] {
    *space = reinterpret_cast<FaissParameterSpace *>(new faiss::ParameterSpace());
  });
}

void faiss_ParameterSpace_free(FaissParameterSpace *space) {
  delete reinterpret_cast<faiss::ParameterSpace *>(space);
}

int faiss_ParameterSpace_set_index_parameter(const FaissParameterSpace *space, FaissIndex *index,
                                             const char *name, double value) {
  return guarded([&] {
    reinterpret_cast<const faiss::ParameterSpace *>(space)->set_index_parameter(cxx(index), name,
                                                                                value);
  });
}

}  // extern "C"
