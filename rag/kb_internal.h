/* Internals shared by the rag/kb*.c files (not a public header). Owner: rag engineer. */
#ifndef SIC_RAG_KB_INTERNAL_H
#define SIC_RAG_KB_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "rag/chunk.h"
#include "rag/dense.h"
#include "rag/lsa.h"
#include "rag/rag.h"

struct rag_kb {
  sqlite3 *db;            /* the knowledge-base SQLite file */
  char path[4096];        /* its path */
  char lsa_path[4200];    /* "<path>.lsa": LSA model + row map */
  char faiss_path[4200];  /* "<path>.faiss": FAISS index */
  rag_lsa *lsa;           /* loaded lazily by rag_kb_dense_load */
  rag_dense *dense;       /* loaded lazily by rag_kb_dense_load */
  int64_t *rowids;        /* dense label -> chunk rowid */
  int64_t nrows;          /* entries in rowids */
  int64_t dense_gen;      /* chunk generation the dense files were built from */
  char dense_type[64];    /* factory string of the dense index */
  int dims;               /* embedding dimensions of the dense index */
  char embedder[128];     /* "" = LSA; else the remote embedding model the index was built with */
};

/* Run SQL without results; SIC_EIO with the SQLite message on failure. */
int rag_kb_exec(rag_kb *kb, const char *sql, sic_err *err);
/* Current chunk generation (bumped whenever chunks change). */
int64_t rag_kb_generation(rag_kb *kb);
/* Load the dense model and index if present and current; SIC_ENOTFOUND when missing/stale. */
int rag_kb_dense_load(rag_kb *kb, sic_err *err);
void rag_kb_dense_unload(rag_kb *kb);
/* Embed a query the way the loaded dense index was built (LSA or remote model) into vec
 * (kb->dims floats, normalised). Returns 0, 1 when the query carries no signal, or SIC_E*. */
int rag_kb_embed_query(rag_kb *kb, const char *text, float *vec, sic_err *err);

/* Chunk a log4j log through the Lua/lpeg loader (scripts/lib/loaders/log4j.lua). */
int rag_chunk_log(const char *doc_name, const char *text, size_t len, rag_chunks *out,
                  sic_err *err);

#endif
