/* Dense side of the knowledge base: train LSA over all chunks, index the embeddings in FAISS,
 * persist both beside the SQLite file, and load them back. Owner: rag engineer.
 *
 * "<kb>.lsa" layout: the rag_lsa model, then int64 generation, int64 n, n int64 chunk rowids
 * (FAISS label i is chunk rowids[i]), char[64] factory string. Both files are written to a
 * temporary name and renamed, so a crash never leaves a half-written index in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rag/buf.h"
#include "rag/kb_internal.h"

void rag_kb_dense_unload(rag_kb *kb) {
  rag_lsa_free(kb->lsa);
  rag_dense_free(kb->dense);
  free(kb->rowids);
  kb->lsa = NULL;
  kb->dense = NULL;
  kb->rowids = NULL;
  kb->nrows = 0;
  kb->dense_gen = -1;
}

/* Texts to embed: title, breadcrumb and body, in rowid order. */
static int load_texts(rag_kb *kb, char ***texts, int64_t **rowids, size_t *n, sic_err *err) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  *texts = NULL;
  *rowids = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(kb->db, "SELECT rowid, coalesce(heading,''), text FROM kb_chunk ORDER BY rowid", -1, &st, NULL))
    return sic_err_set(err, SIC_EIO, "%s: %s", kb->path, sqlite3_errmsg(kb->db));
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 1024;
      char **t = realloc(*texts, cap * sizeof *t);
      int64_t *r = t ? realloc(*rowids, cap * sizeof *r) : NULL;
      if (t) *texts = t;
      if (r) *rowids = r;
      if (!t || !r) goto nomem;
    }
    rag_buf b = {0};
    if (rag_buf_printf(&b, "%s\n%s", sqlite3_column_text(st, 1), sqlite3_column_text(st, 2))) goto nomem;
    (*texts)[*n] = rag_buf_take(&b);
    (*rowids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return 0;
nomem:
  sqlite3_finalize(st);
  return sic_err_set(err, SIC_ENOMEM, "out of memory");
}

static int write_lsa_file(rag_kb *kb, const rag_lsa *m, int64_t gen, const int64_t *rowids,
                          int64_t n, const char *type, sic_err *err) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", kb->lsa_path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return sic_err_set(err, SIC_EIO, "%s: cannot create", tmp);
  char t[64] = {0};
  snprintf(t, sizeof t, "%s", type);
  int rc = rag_lsa_write(m, f);
  if (!rc && (fwrite(&gen, 8, 1, f) != 1 || fwrite(&n, 8, 1, f) != 1 ||
              fwrite(rowids, 8, (size_t)n, f) != (size_t)n || fwrite(t, 1, 64, f) != 64))
    rc = SIC_EIO;
  if (fclose(f)) rc = SIC_EIO;
  if (!rc && rename(tmp, kb->lsa_path)) rc = SIC_EIO;
  if (rc) {
    remove(tmp);
    return sic_err_set(err, SIC_EIO, "%s: cannot write the LSA model", kb->lsa_path);
  }
  return 0;
}

int rag_kb_refresh(rag_kb *kb, int force, int dims, sic_err *err) {
  int64_t gen = rag_kb_generation(kb);
  if (!force && rag_kb_dense_load(kb, NULL) == 0) return 0; /* already current */
  rag_kb_dense_unload(kb);
  char **texts = NULL;
  int64_t *rowids = NULL;
  size_t n = 0;
  float *vecs = NULL;
  rag_lsa *m = NULL;
  rag_dense *ix = NULL;
  int rc = load_texts(kb, &texts, &rowids, &n, err);
  if (rc) goto done;
  if (n < 2) {
    rc = sic_err_set(err, SIC_ENOTFOUND, "%s: the knowledge base has %zu chunk(s); ingest documents first", kb->path, n);
    goto done;
  }
  if ((rc = rag_lsa_train((const char *const *)texts, n, dims, 42, &m, &vecs, err))) goto done;
  const char *type = rag_dense_factory_for((int64_t)n);
  if ((rc = rag_dense_build(vecs, (int64_t)n, m->dims, type, &ix, err))) goto done;
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", kb->faiss_path);
  if ((rc = rag_dense_save(ix, tmp, err))) goto done;
  if (rename(tmp, kb->faiss_path)) {
    rc = sic_err_set(err, SIC_EIO, "%s: cannot replace the index", kb->faiss_path);
    goto done;
  }
  if ((rc = write_lsa_file(kb, m, gen, rowids, (int64_t)n, type, err))) goto done;
  kb->lsa = m;
  kb->dense = ix;
  kb->rowids = rowids;
  kb->nrows = (int64_t)n;
  kb->dense_gen = gen;
  snprintf(kb->dense_type, sizeof kb->dense_type, "%s", type);
  m = NULL;
  ix = NULL;
  rowids = NULL;
done:
  for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
  free(rowids);
  free(vecs);
  rag_lsa_free(m);
  rag_dense_free(ix);
  return rc;
}

int rag_kb_dense_load(rag_kb *kb, sic_err *err) {
  int64_t gen = rag_kb_generation(kb);
  if (kb->lsa && kb->dense && kb->dense_gen == gen) return 0;
  rag_kb_dense_unload(kb);
  FILE *f = fopen(kb->lsa_path, "rb");
  if (!f)
    return sic_err_set(err, SIC_ENOTFOUND, "%s: no dense index yet (run `sic kb ingest` or `sic kb reindex`)", kb->lsa_path);
  int64_t fgen = -1, n = 0;
  char type[64];
  int rc = rag_lsa_read(f, &kb->lsa, err);
  if (rc) goto error;
  if (fread(&fgen, 8, 1, f) != 1 || fread(&n, 8, 1, f) != 1 || n <= 0 || n > (int64_t)1 << 34 ||
      !(kb->rowids = malloc((size_t)n * 8)) || fread(kb->rowids, 8, (size_t)n, f) != (size_t)n ||
      fread(type, 1, 64, f) != 64) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: truncated or corrupt row map", kb->lsa_path);
    goto error;
  }
  type[63] = 0;
  if (fgen != gen) {
    rc = sic_err_set(err, SIC_ENOTFOUND, "%s: dense index is stale (chunks changed since it was built; run `sic kb reindex`)",
                     kb->lsa_path);
    goto error;
  }
  if ((rc = rag_dense_load(kb->faiss_path, &kb->dense, err))) goto error;
  if (rag_dense_count(kb->dense) != n || rag_dense_dims(kb->dense) != kb->lsa->dims) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: index does not match %s (rebuild with `sic kb reindex`)", kb->faiss_path,
                     kb->lsa_path);
    goto error;
  }
  fclose(f);
  kb->nrows = n;
  kb->dense_gen = gen;
  snprintf(kb->dense_type, sizeof kb->dense_type, "%s", type);
  return 0;
error:
  fclose(f);
  rag_kb_dense_unload(kb);
  return rc;
}
