/* Structure-aware chunking of documentation (Markdown / MDX / HTML tables) and logs.
 *
 * A chunk keeps its heading path as a breadcrumb ("Spark Configuration >
 * Spark Properties > Runtime Environment"), code blocks are never split, and every row of a
 * table (a configuration property: name, default, meaning, since-version) is a chunk of its
 * own. The chunker understands Jekyll front matter and Liquid tags (Spark docs) and MDX
 * imports / JSX component tags (Delta docs).
 *
 * Ownership: rag_chunks owns every string in it; free with rag_chunks_free. */
#ifndef SIC_RAG_CHUNK_H
#define SIC_RAG_CHUNK_H

#include <stddef.h>

#include "core/error.h"
#include "rag/buf.h"

typedef enum rag_chunk_kind {
  RAG_CHUNK_TEXT = 0,  /* prose (and short code) under one heading */
  RAG_CHUNK_CODE,      /* a code block too large to share a chunk, kept whole */
  RAG_CHUNK_PROPERTY,  /* one row of a configuration-property table */
  RAG_CHUNK_ROW,       /* one row of any other table */
  RAG_CHUNK_LOG        /* a window of log records */
} rag_chunk_kind;

typedef struct rag_chunk {
  rag_chunk_kind kind;  /* what the chunk holds */
  char *heading;        /* breadcrumb: document title then headings, joined by " > " */
  char *section;        /* innermost heading (the "§ section" of a citation) */
  char *text;           /* body text, markup removed */
  char *name;           /* property name for RAG_CHUNK_PROPERTY, else NULL */
  char *since;          /* "Since Version" cell of a property row, else NULL */
  int line;             /* 1-based line in the source where the chunk starts */
} rag_chunk;

typedef struct rag_chunks {
  rag_chunk *v;         /* chunks in document order */
  size_t n;             /* chunks used */
  size_t cap;           /* chunks allocated */
  char *title;          /* document title (front matter title/displayTitle, else first H1) */
} rag_chunks;

/* Largest prose chunk, in bytes, before it is split at a block boundary. */
#define RAG_CHUNK_TARGET 1200

/* Split a Markdown/MDX document into chunks appended to out. doc_name is used as the title
 * when the document declares none. Returns 0 or SIC_ENOMEM. */
int rag_chunk_markdown(const char *doc_name, const char *text, size_t len, rag_chunks *out,
                       sic_err *err);

/* Name of a kind ("text", "code", "property", "row", "log"). */
const char *rag_chunk_kind_name(rag_chunk_kind k);

/* Append one chunk (strings copied; name/since may be NULL). Returns 0 or SIC_ENOMEM. */
int rag_chunks_push(rag_chunks *c, rag_chunk_kind kind, const char *heading, const char *section,
                    const char *text, const char *name, const char *since, int line);

void rag_chunks_free(rag_chunks *c);

/* Clean one line of Markdown prose: drop HTML tags, keep link text, expand a few entities,
 * unwrap Liquid {{ }} variables. Result is written to out (reset first). */
int rag_clean_inline(const char *s, size_t n, rag_buf *out);

#endif
