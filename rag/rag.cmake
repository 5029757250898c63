# rag: the knowledge base (chunking, SQLite FTS5 BM25, LSA embeddings over LAPACK, FAISS, LLM
# client). Optional: SIC_WITH_FAISS (ON when faiss, LAPACKE and OpenBLAS are found). Without
# it `sic kb`/`sic ask` say so, the docs agent notes that there are no references, and the
# analysis is unchanged.
# FAISS's C API comes from a system libfaiss_c when there is one; Debian ships only the C++
# library, so otherwise rag/faiss_shim.cpp implements the subset sic uses on top of it.
find_package(faiss CONFIG QUIET)
pkg_check_modules(LAPACKE QUIET IMPORTED_TARGET lapacke)
pkg_check_modules(OPENBLAS QUIET IMPORTED_TARGET openblas)
set(SIC_FAISS_FOUND OFF)
if(faiss_FOUND AND LAPACKE_FOUND AND OPENBLAS_FOUND)
  set(SIC_FAISS_FOUND ON)
endif()
option(SIC_WITH_FAISS "Build the knowledge base (rag/: faiss, LAPACKE, OpenBLAS, curl)" ${SIC_FAISS_FOUND})
if(SIC_WITH_FAISS AND NOT SIC_FAISS_FOUND)
  message(FATAL_ERROR "SIC_WITH_FAISS=ON but faiss/lapacke/openblas were not all found "
    "(libfaiss-dev liblapacke-dev libopenblas-dev); configure with -DSIC_WITH_FAISS=OFF to build without rag")
endif()
set(SIC_RAG_LIBS "")
set(SIC_RAG_EXTRA "")
if(SIC_WITH_FAISS)
  find_package(OpenMP REQUIRED)
  find_package(CURL REQUIRED)
  find_library(FAISS_C_LIBRARY faiss_c)
  if(FAISS_C_LIBRARY)
    set(SIC_RAG_LIBS ${FAISS_C_LIBRARY})
  else()
    set(SIC_RAG_EXTRA ${CMAKE_CURRENT_LIST_DIR}/faiss_shim.cpp)
    set_source_files_properties(${SIC_RAG_EXTRA} PROPERTIES COMPILE_OPTIONS "-std=c++17")
    set(SIC_RAG_LIBS faiss)
  endif()
  list(APPEND SIC_RAG_LIBS PkgConfig::LAPACKE PkgConfig::OPENBLAS CURL::libcurl)
endif()
sic_add_component(rag DIRS rag SOURCES ${SIC_RAG_EXTRA} DEPENDS core store LIBS ${SIC_RAG_LIBS}
  REGISTER sic_rag_register ENABLED_IF SIC_WITH_FAISS REASON "SIC_WITH_FAISS=OFF: no knowledge base")
if(TARGET sic_rag)
  sic_lua_module_ffi(rag sic_ffi_kb rag/kb_refs.h)
endif()
