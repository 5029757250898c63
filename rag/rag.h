/* Knowledge base for `sic kb` and `sic ask`: ingest documentation and logs into chunks, index
 * them for BM25 (SQLite FTS5) and dense search (LSA embeddings in a FAISS index), and answer
 * queries with reciprocal-rank fusion of the two.
 *
 * Storage: one SQLite file (default $SIC_KB, else $XDG_DATA_HOME/sic/kb.db, beside the history
 * store's sic.db) holding chunks, the FTS5 index and per-file fingerprints; the dense side is
 * two files next to it, "<kb>.lsa" (vocabulary, idf, term projection, row map) and
 * "<kb>.faiss" (the FAISS index). Re-ingest is idempotent: chunk ids hash source + document +
 * heading path + content, unchanged files are skipped, changed files only add/remove the
 * chunks that differ, and the dense side is rebuilt only when chunks changed.
 *
 * Ownership: rag_kb is an opaque handle (rag_kb_open/rag_kb_close). rag_hits owns its
 * strings (rag_hits_free). Not thread-safe: one handle per thread. */
#ifndef SIC_RAG_H
#define SIC_RAG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct rag_kb rag_kb;

/* Open (creating when missing) the knowledge base at path; NULL = default location (directory
 * created). Returns 0 or SIC_EIO / SIC_EFORMAT with err naming the file. */
int rag_kb_open(const char *path, rag_kb **out, sic_err *err);
void rag_kb_close(rag_kb *kb);
/* Path of the SQLite file in use. */
const char *rag_kb_path(const rag_kb *kb);
/* Write the default knowledge-base path into buf (creates its directory). */
int rag_kb_default_path(char *buf, size_t n, sic_err *err);

/* What an ingest did. */
typedef struct rag_ingest_stats {
  size_t files;            /* files looked at */
  size_t files_unchanged;  /* files skipped because their content hash is already stored */
  size_t files_skipped;    /* files of a type no loader handles */
  size_t chunks_added;     /* new chunk ids inserted */
  size_t chunks_removed;   /* chunk ids of changed files that no longer exist */
  size_t bytes;            /* bytes of input read */
  size_t files_failed;     /* files a loader rejected (e.g. a *.log with no log4j record): skipped */
  char first_failure[512]; /* why the first of them was rejected ("" when none) */
} rag_ingest_stats;

/* Ingest a file or (recursively) a directory. source labels the chunks ("spark", "delta",
 * "logs"...); NULL = the name of the directory given (or of the file's directory). Markdown,
 * MDX and HTML go to the document chunker, *.log / "driverlog"-like files to the log loader.
 * Counts accumulate into st. A file its loader rejects is skipped and counted in
 * st->files_failed (the rest of the directory is still ingested); I/O errors abort. Does not rebuild the dense index: call rag_kb_refresh. */
int rag_kb_ingest(rag_kb *kb, const char *path, const char *source, rag_ingest_stats *st,
                  sic_err *err);

/* Ingest one file under the document name doc_name (which also picks the loader by its
 * extension), e.g. a spooled copy of stdin; source NULL = "docs". */
int rag_kb_ingest_as(rag_kb *kb, const char *path, const char *doc_name, const char *source,
                     rag_ingest_stats *st, sic_err *err);

/* Ingest the past `sic` reports of one job from the history store (engine/store; url NULL =
 * the default store): one chunk per stored run (figures and top findings), source "reports",
 * document "history/<job>". Idempotent like rag_kb_ingest. SIC_ENOTFOUND when the job has no
 * runs. */
int rag_kb_ingest_history(rag_kb *kb, const char *store_url, const char *job, rag_ingest_stats *st,
                          sic_err *err);

/* Rebuild the LSA model and FAISS index when chunks changed since they were built (or when
 * force). dims 0 = default (256). Returns 0 or a SIC_E* code. */
int rag_kb_refresh(rag_kb *kb, int force, int dims, sic_err *err);

typedef enum rag_mode {
  RAG_MODE_HYBRID = 0,  /* BM25 and dense fused by reciprocal rank */
  RAG_MODE_BM25,        /* FTS5 bm25() only */
  RAG_MODE_DENSE        /* FAISS over LSA embeddings only */
} rag_mode;

typedef struct rag_query {
  const char *text;           /* the question or keywords */
  int k;                      /* results wanted (default 5) */
  rag_mode mode;              /* which retriever(s) */
  const char *source;         /* only chunks of this source; NULL = all */
  const char *spark_version;  /* prefer chunks valid in this version ("3.3"); NULL = none */
} rag_query;

typedef struct rag_hit {
  int64_t rowid;      /* chunk row id */
  char *chunk_id;     /* stable chunk id (hex) */
  char *source;       /* source label */
  char *doc;          /* document path relative to the ingested root */
  char *title;        /* document title */
  char *heading;      /* breadcrumb */
  char *section;      /* innermost heading */
  char *kind;         /* chunk kind name */
  char *text;         /* chunk text */
  int line;           /* line in the document */
  double score;       /* fused (or single-retriever) score, higher is better */
  int bm25_rank;      /* 1-based rank in the BM25 list, 0 = absent */
  int dense_rank;     /* 1-based rank in the dense list, 0 = absent */
} rag_hit;

typedef struct rag_hits {
  rag_hit *v;         /* hits, best first */
  size_t n;           /* hits used */
} rag_hits;

/* Search. Returns 0 (possibly no hits) or a SIC_E* code; dense modes need rag_kb_refresh to
 * have run (SIC_ENOTFOUND otherwise, with a hint). */
int rag_kb_search(rag_kb *kb, const rag_query *q, rag_hits *out, sic_err *err);
void rag_hits_free(rag_hits *h);

/* Counts for `sic kb stats`. */
typedef struct rag_kb_stats {
  int64_t files;         /* documents ingested */
  int64_t chunks;        /* chunks stored */
  int64_t by_kind[5];    /* chunks per rag_chunk_kind */
  int nsources;          /* entries used in sources */
  struct {
    char name[64];       /* source label */
    int64_t files;       /* documents of this source */
    int64_t chunks;      /* chunks of this source */
  } sources[32];
  int dense_ready;       /* 1 when the dense index matches the chunks */
  int dims;              /* embedding dimensions of the dense index */
  int64_t vocab;         /* LSA vocabulary size (0 with a remote embedder) */
  char embedder[128];    /* "LSA" or the remote embedding model */
  char index_type[64];   /* FAISS factory string of the dense index */
  int64_t db_bytes;      /* size of the SQLite file */
  int64_t dense_bytes;   /* size of the .lsa + .faiss files */
} rag_kb_stats;

int rag_kb_stats_get(rag_kb *kb, rag_kb_stats *st, sic_err *err);

#endif
