/* Retrieval: BM25 from SQLite FTS5, dense from FAISS over LSA embeddings, fused by reciprocal
 * rank (Cormack, Clarke, Buettcher 2009: score = sum 1 / (60 + rank)); plus stats.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/sort.h"

#include "rag/buf.h"
#include "rag/kb_internal.h"

#define RRF_K 60.0
#define DEPTH 60  /* candidates taken from each retriever before fusion */

/* One retriever's ranked list of chunk rowids. */
typedef struct ranked {
  int64_t rowid[DEPTH * 4];  /* best first */
  int n;                     /* used */
} ranked;

/* FTS5 query: every token quoted (so punctuation and FTS operators in questions are inert)
 * and OR-ed, letting bm25() weigh them. */
typedef struct fts_query {
  rag_buf q;       /* the MATCH expression */
  int terms;       /* tokens added */
} fts_query;

static void add_fts_term(const char *tok, size_t len, void *ctx) {
  fts_query *f = ctx;
  if (f->terms >= 64 || strstr(f->q.data ? f->q.data : "", tok)) return;
  rag_buf_printf(&f->q, "%s\"%s\"", f->terms ? " OR " : "", tok);
  f->terms++;
}

/* The SQLite keyword backend: FTS5 bm25() with per-column weights. */
static int fts5_search(rag_kb *kb, const rag_query *q, int64_t *rowids, int depth, int *n, sic_err *err) {
  fts_query f = {0};
  rag_buf_append(&f.q, "", 0);
  rag_tokenize(q->text, add_fts_term, &f);
  *n = 0;
  if (!f.terms) {
    rag_buf_free(&f.q);
    return 0;
  }
  sqlite3_stmt *st = NULL;
  const char *sql =
      "SELECT f.rowid FROM kb_fts f JOIN kb_chunk c ON c.rowid = f.rowid"
      " WHERE kb_fts MATCH ?1 AND (?2 IS NULL OR c.source = ?2)"
      " ORDER BY bm25(kb_fts, 2.0, 3.0, 1.0, 0.5) LIMIT ?3";
  int rc = 0;
  if (sqlite3_prepare_v2(kb->db, sql, -1, &st, NULL) != SQLITE_OK) {
    rc = sic_err_set(err, SIC_EIO, "%s: %s", kb->path, sqlite3_errmsg(kb->db));
    goto done;
  }
  sqlite3_bind_text(st, 1, f.q.data, -1, SQLITE_STATIC);
  if (q->source) sqlite3_bind_text(st, 2, q->source, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, depth);
  while (sqlite3_step(st) == SQLITE_ROW && *n < depth) rowids[(*n)++] = sqlite3_column_int64(st, 0);
done:
  sqlite3_finalize(st);
  rag_buf_free(&f.q);
  return rc;
}

const rag_keyword_backend rag_keyword_fts5 = {"sqlite-fts5", fts5_search};

static int bm25_list(rag_kb *kb, const rag_query *q, ranked *out, sic_err *err) {
  const rag_keyword_backend *b = kb->keyword ? kb->keyword : &rag_keyword_fts5;
  return b->search(kb, q, out->rowid, DEPTH, &out->n, err);
}

/* Source of a chunk (for filtering dense candidates); 1 when it matches. */
static int source_matches(rag_kb *kb, sqlite3_stmt *st, int64_t rowid, const char *source) {
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, rowid);
  int ok = sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), source);
  sqlite3_reset(st);
  return ok;
}

static int dense_list(rag_kb *kb, const rag_query *q, ranked *out, sic_err *err) {
  out->n = 0;
  int rc = rag_kb_dense_load(kb, err);
  if (rc) return rc;
  int d = kb->dims, want = q->source ? DEPTH * 4 : DEPTH;
  if (want > kb->nrows) want = (int)kb->nrows;
  float *vec = malloc(sizeof *vec * d), *scores = malloc(sizeof *scores * want);
  int64_t *labels = malloc(sizeof *labels * want);
  sqlite3_stmt *src = NULL;
  if (!vec || !scores || !labels) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  rc = rag_kb_embed_query(kb, q->text, vec, err);
  if (rc == 1) { /* no known word: no dense opinion */
    rc = 0;
    goto done;
  }
  if (rc) goto done;
  if ((rc = rag_dense_search(kb->dense, vec, 1, want, scores, labels, err))) goto done;
  if (q->source) sqlite3_prepare_v2(kb->db, "SELECT source FROM kb_chunk WHERE rowid=?1", -1, &src, NULL);
  for (int i = 0; i < want && out->n < DEPTH; i++) {
    if (labels[i] < 0 || labels[i] >= kb->nrows) continue;
    int64_t rowid = kb->rowids[labels[i]];
    if (q->source && (!src || !source_matches(kb, src, rowid, q->source))) continue;
    out->rowid[out->n++] = rowid;
  }
done:
  sqlite3_finalize(src);
  free(vec);
  free(scores);
  free(labels);
  return rc;
}

/* Exact configuration-name matches: a question naming "spark.sql.shuffle.partitions" wants
 * that property's row first. Longest names first so a prefix does not win. */
static int name_list(rag_kb *kb, const rag_query *q, ranked *out) {
  out->n = 0;
  if (!strchr(q->text, '.')) return 0;
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT rowid FROM kb_chunk WHERE name IS NOT NULL AND length(name) > 4"
                    " AND instr(?1, name) > 0 AND (?2 IS NULL OR source = ?2)"
                    " ORDER BY length(name) DESC LIMIT 8";
  if (sqlite3_prepare_v2(kb->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
  sqlite3_bind_text(st, 1, q->text, -1, SQLITE_STATIC);
  if (q->source) sqlite3_bind_text(st, 2, q->source, -1, SQLITE_STATIC);
  while (sqlite3_step(st) == SQLITE_ROW && out->n < DEPTH) out->rowid[out->n++] = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return 0;
}

/* Fused candidate. */
typedef struct fused {
  int64_t rowid;    /* chunk */
  double score;     /* RRF sum */
  int bm25_rank;    /* rank in BM25 list, 0 = absent */
  int dense_rank;   /* rank in dense list, 0 = absent */
} fused;

static fused *find_or_add(fused *f, int *n, int64_t rowid) {
  for (int i = 0; i < *n; i++)
    if (f[i].rowid == rowid) return &f[i];
  f[*n] = (fused){.rowid = rowid};
  return &f[(*n)++];
}

static int cmp_fused(const void *a, const void *b) {
  const fused *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

/* "3.3.0" vs "3.5": compare numerically component by component. */
static int version_cmp(const char *a, const char *b) {
  while (*a || *b) {
    long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
    if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9'))) break;
  }
  return 0;
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return strdup(s ? (const char *)s : "");
}

static int fill_hit(sqlite3_stmt *st, const fused *f, rag_hit *h) {
  memset(h, 0, sizeof *h);
  h->rowid = f->rowid;
  h->chunk_id = col_dup(st, 0);
  h->source = col_dup(st, 1);
  h->doc = col_dup(st, 2);
  h->title = col_dup(st, 3);
  h->heading = col_dup(st, 4);
  h->section = col_dup(st, 5);
  h->kind = col_dup(st, 6);
  h->text = col_dup(st, 8);
  h->line = sqlite3_column_int(st, 7);
  h->score = f->score;
  h->bm25_rank = f->bm25_rank;
  h->dense_rank = f->dense_rank;
  return h->chunk_id && h->source && h->doc && h->title && h->heading && h->section && h->kind && h->text ? 0 : SIC_ENOMEM;
}

/* Apply the version preference: a property introduced after the wanted version is not
 * available there, so it sinks (halved score) rather than vanishing. */
static void prefer_version(rag_kb *kb, fused *f, int n, const char *version) {
  sqlite3_stmt *st = NULL;
  if (!version || sqlite3_prepare_v2(kb->db, "SELECT since FROM kb_chunk WHERE rowid=?1", -1, &st, NULL)) return;
  for (int i = 0; i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, f[i].rowid);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) continue;
    const char *since = (const char *)sqlite3_column_text(st, 0);
    if (since[0] >= '0' && since[0] <= '9' && version_cmp(since, version) > 0) f[i].score *= 0.5;
  }
  sqlite3_finalize(st);
}

static int materialize(rag_kb *kb, fused *f, int n, int k, rag_hits *out, sic_err *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(kb->db, "SELECT id, source, doc, coalesce(title,''), coalesce(heading,''),"
                                 " coalesce(section,''), kind, line, text FROM kb_chunk WHERE rowid=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return sic_err_set(err, SIC_EIO, "%s: %s", kb->path, sqlite3_errmsg(kb->db));
  out->v = calloc(k > 0 ? (size_t)k : 1, sizeof *out->v);
  if (!out->v) {
    sqlite3_finalize(st);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  int rc = 0;
  for (int i = 0; i < n && (int)out->n < k && !rc; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, f[i].rowid);
    if (sqlite3_step(st) != SQLITE_ROW) continue; /* removed since the index was built */
    rc = fill_hit(st, &f[i], &out->v[out->n++]);
  }
  sqlite3_finalize(st);
  return rc ? sic_err_set(err, rc, "out of memory") : 0;
}

int rag_kb_search(rag_kb *kb, const rag_query *q, rag_hits *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  int k = q->k > 0 ? q->k : 5, rc = 0, n = 0;
  ranked *lists = calloc(3, sizeof *lists);
  fused *f = calloc(3 * DEPTH * 4, sizeof *f);
  if (!lists || !f) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  if (q->mode != RAG_MODE_DENSE && (rc = bm25_list(kb, q, &lists[0], err))) goto done;
  if (q->mode != RAG_MODE_BM25 && (rc = dense_list(kb, q, &lists[1], err))) goto done;
  if (q->mode == RAG_MODE_HYBRID) name_list(kb, q, &lists[2]);
  for (int l = 0; l < 3; l++)
    for (int r = 0; r < lists[l].n; r++) {
      fused *c = find_or_add(f, &n, lists[l].rowid[r]);
      c->score += 1.0 / (RRF_K + r + 1);
      if (l == 0) c->bm25_rank = r + 1;
      if (l == 1) c->dense_rank = r + 1;
    }
  prefer_version(kb, f, n, q->spark_version);
  sic_qsort(f, n, sizeof *f, cmp_fused);
  rc = materialize(kb, f, n, k, out, err);
done:
  free(lists);
  free(f);
  if (rc) rag_hits_free(out);
  return rc;
}

void rag_hits_free(rag_hits *h) {
  for (size_t i = 0; h->v && i < h->n; i++) {
    rag_hit *x = &h->v[i];
    free(x->chunk_id);
    free(x->source);
    free(x->doc);
    free(x->title);
    free(x->heading);
    free(x->section);
    free(x->kind);
    free(x->text);
  }
  free(h->v);
  memset(h, 0, sizeof *h);
}

/* ---- stats -------------------------------------------------------------------------- */

static int64_t file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) ? 0 : (int64_t)sb.st_size;
}

int rag_kb_stats_get(rag_kb *kb, rag_kb_stats *s, sic_err *err) {
  memset(s, 0, sizeof *s);
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT source, count(DISTINCT doc), count(*) FROM kb_chunk GROUP BY source ORDER BY source";
  if (sqlite3_prepare_v2(kb->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sic_err_set(err, SIC_EIO, "%s: %s", kb->path, sqlite3_errmsg(kb->db));
  while (sqlite3_step(st) == SQLITE_ROW && s->nsources < 32) {
    snprintf(s->sources[s->nsources].name, 64, "%s", sqlite3_column_text(st, 0));
    s->sources[s->nsources].files = sqlite3_column_int64(st, 1);
    s->sources[s->nsources].chunks = sqlite3_column_int64(st, 2);
    s->files += s->sources[s->nsources].files;
    s->chunks += s->sources[s->nsources].chunks;
    s->nsources++;
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(kb->db, "SELECT kind, count(*) FROM kb_chunk GROUP BY kind", -1, &st, NULL) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      for (int k = 0; k < 5; k++)
        if (!strcmp((const char *)sqlite3_column_text(st, 0), rag_chunk_kind_name(k)))
          s->by_kind[k] = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
  }
  if (rag_kb_dense_load(kb, NULL) == 0) {
    s->dense_ready = 1;
    s->dims = kb->dims;
    s->vocab = kb->lsa ? kb->lsa->nterms : 0;
    snprintf(s->embedder, sizeof s->embedder, "%s", kb->embedder[0] ? kb->embedder : "LSA");
    snprintf(s->index_type, sizeof s->index_type, "%s", kb->dense_type);
  }
  s->db_bytes = file_size(kb->path);
  s->dense_bytes = file_size(kb->lsa_path) + file_size(kb->faiss_path);
  return 0;
}
