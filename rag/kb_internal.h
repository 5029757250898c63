/* Internals shared by the rag/kb*.c files (not a public header). */
#ifndef SIC_RAG_KB_INTERNAL_H
#define SIC_RAG_KB_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "rag/chunk.h"
#include "rag/dense.h"
#include "rag/lsa.h"
#include "rag/rag.h"

typedef struct rag_keyword_backend rag_keyword_backend;
typedef struct rag_kb_pg rag_kb_pg;

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
  const rag_keyword_backend *keyword; /* keyword retriever: SQLite FTS5, or PostgreSQL FTS */
  rag_kb_pg *pg;          /* PostgreSQL side when the store is a postgresql:// URL, else NULL */
};

/* The keyword (BM25-like) side of retrieval, behind a small interface so that a PostgreSQL
 * store ranks with PostgreSQL's full-text engine (tsvector/GIN, ts_rank_cd) while a SQLite
 * store keeps FTS5's bm25(). search fills rowids (best first, at most depth) and *n. */
struct rag_keyword_backend {
  const char *name;  /* "sqlite-fts5" or "postgresql-fts" */
  int (*search)(rag_kb *kb, const rag_query *q, int64_t *rowids, int depth, int *n, sic_err *err);
};
extern const rag_keyword_backend rag_keyword_fts5; /* kb_search.c */
extern const rag_keyword_backend rag_keyword_pg;   /* kb_pg.c */

/* 1 when path names a PostgreSQL store ("postgresql://..." or "postgres://..."). */
int rag_kb_is_pg_url(const char *path);
/* Local data dir file for a PostgreSQL store: the ingest bookkeeping SQLite file and the dense
 * index live there ($SIC_KB_DATA_DIR, else $XDG_DATA_HOME/sic/kb-pg/<hash of the URL>/). */
int rag_kb_pg_local_path(const char *url, char *buf, size_t n, sic_err *err);
/* Connect to the PostgreSQL store and create its tables; sets kb->pg and kb->keyword. */
int rag_kb_pg_attach(rag_kb *kb, const char *url, sic_err *err);
void rag_kb_pg_detach(rag_kb *kb);
/* Copy the chunks into PostgreSQL when it does not hold this generation yet. */
int rag_kb_pg_sync(rag_kb *kb, sic_err *err);

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
