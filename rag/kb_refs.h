/* Documentation references for analysis findings: the knowledge base as seen from the Lua
 * sandbox (the `docs` agent, through the engine module scripts/lib/sic/kb.lua and the FFI).
 *
 * Analysis must never fail or slow down because of the knowledge base, so this layer:
 *  - never creates one: a missing file (fresh machine) or a file that is not a knowledge base
 *    is reported as "no knowledge base" with the reason, not as an error;
 *  - caches the opened handle (and with it the loaded LSA model and FAISS index) per process,
 *    reopening only when the SQLite or FAISS file changed on disk (mtime or size);
 *  - uses hybrid retrieval when the dense index is current and local (LSA), else keyword
 *    search only, and says which in the probe's note (a remote embedding model is never
 *    called during analysis).
 *
 * Ownership: strings returned through sic_kb_ref point into a per-thread result buffer owned
 * by this module, valid until the next sic_kb_refs_search on the same thread. The cached
 * handle is shared by threads behind a mutex. The SIC_FFI region is the Lua module sic.kb's
 * cdef (generated at build time, registered with the Lua host by rag/kb_lua.c). */
#ifndef SIC_RAG_KB_REFS_H
#define SIC_RAG_KB_REFS_H

#include <stdint.h>

/* SIC_FFI_BEGIN */
/* One reference: a retrieved chunk's citation. */
typedef struct sic_kb_ref {
  const char *source;   /* source label ("spark", "delta", "logs", ...) */
  const char *doc;      /* document path relative to the ingested root */
  const char *section;  /* innermost heading ("" when the document has none) */
  const char *heading;  /* breadcrumb of headings */
  const char *title;    /* document title */
  double score;         /* fused (or BM25-only) retrieval score, higher is better */
  int line;             /* line of the chunk in the document */
} sic_kb_ref;

/* Probe results. */
enum {
  SIC_KB_REFS_HYBRID = 0,   /* BM25 + dense fused */
  SIC_KB_REFS_KEYWORD = 1,  /* BM25 only (dense index missing, stale or remote) */
  SIC_KB_REFS_NONE = 2      /* no usable knowledge base: references are not attached */
};

/* Resolve path (NULL or "" = $SIC_KB, else $XDG_DATA_HOME/sic/kb.db, else
 * ~/.local/share/sic/kb.db; nothing is created), open it through the cache and say how it can
 * be searched. resolved receives the path, note a one-line explanation (empty when hybrid).
 * Returns one of SIC_KB_REFS_*. */
int sic_kb_refs_probe(const char *path, char *resolved, int64_t resolved_cap, char *note,
                      int64_t note_cap);

/* Search the knowledge base probed at path for query; up to k references into *refs_out.
 * spark_version (may be NULL) ranks properties introduced later lower. Returns the number of
 * references, or -1 with note set (the analysis goes on without them). */
int sic_kb_refs_search(const char *path, const char *query, int k, const char *spark_version,
                       const sic_kb_ref **refs_out, char *note, int64_t note_cap);

/* Drop the cached handle (tests; a long-running process that wants to release memory). */
void sic_kb_refs_reset(void);
/* SIC_FFI_END */

/* Register sic.kb with the Lua host (sic_lua_register_module); called by
 * sic_components_init(). Idempotent. */
void sic_rag_register(void);

#endif
