/* Dense side of the knowledge base: train LSA over all chunks, index the embeddings in FAISS,
 * persist both beside the SQLite file, and load them back.
 *
 * "<kb>.lsa" layout: the rag_lsa model, then int64 generation, int64 n, n int64 chunk rowids
 * (FAISS label i is chunk rowids[i]), char[64] factory string. With a remote embedder
 * (SIC_EMBED_URL set when the index is built) the model part is replaced by the magic
 * "SICEMB1", char[128] model name and int32 dims: queries must then be embedded by the same
 * model. Both files are written to a temporary name and renamed, so a crash never leaves a
 * half-written index in place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rag/buf.h"
#include "rag/kb_internal.h"
#include "rag/llm.h"

void rag_kb_dense_unload(rag_kb *kb) {
  rag_lsa_free(kb->lsa);
  rag_dense_free(kb->dense);
  free(kb->rowids);
  kb->lsa = NULL;
  kb->dense = NULL;
  kb->rowids = NULL;
  kb->nrows = 0;
  kb->dense_gen = -1;
  kb->dims = 0;
  kb->embedder[0] = 0;
}

static const char emb_magic[8] = "SICEMB1";

static void normalize_rows(float *v, size_t n, int d) {
  for (size_t i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)v[i * d + j] * v[i * d + j];
    if (s > 0)
      for (int j = 0; j < d; j++) v[i * d + j] = (float)(v[i * d + j] / sqrt(s));
  }
}

/* Embed all texts with the remote model, 64 per request. */
static int remote_embed_all(const rag_llm_config *cfg, char **texts, size_t n, float **out, int *dims, sic_err *err) {
  float *all = NULL;
  *dims = 0;
  for (size_t i = 0; i < n; i += 64) {
    size_t m = n - i < 64 ? n - i : 64;
    float *v = NULL;
    int d = 0;
    int rc = rag_llm_embed(cfg, (const char *const *)texts + i, m, &v, &d, err);
    if (rc) {
      free(all);
      return rc;
    }
    if (!all) {
      *dims = d;
      all = malloc(sizeof(float) * n * d);
    }
    if (!all || d != *dims) {
      free(v);
      free(all);
      return sic_err_set(err, all ? SIC_EFORMAT : SIC_ENOMEM, "embedder returned %d dims after %d", d, *dims);
    }
    memcpy(all + i * d, v, sizeof(float) * m * d);
    free(v);
  }
  normalize_rows(all, n, *dims);
  *out = all;
  return 0;
}

int rag_kb_embed_query(rag_kb *kb, const char *text, float *vec, sic_err *err) {
  if (!kb->embedder[0]) return rag_lsa_embed(kb->lsa, text, vec);
  rag_llm_config cfg;
  if (!rag_embed_config_from_env(&cfg))
    return sic_err_set(err, SIC_EINVAL, "%s: the dense index was built with the remote embedder '%s'; set SIC_EMBED_URL",
                       kb->lsa_path, kb->embedder);
  cfg.model = kb->embedder;
  float *v = NULL;
  int d = 0;
  int rc = rag_llm_embed(&cfg, &text, 1, &v, &d, err);
  if (rc) return rc;
  if (d != kb->dims) {
    free(v);
    return sic_err_set(err, SIC_EFORMAT, "embedder '%s' returned %d dims, the index has %d", kb->embedder, d, kb->dims);
  }
  normalize_rows(v, 1, d);
  memcpy(vec, v, sizeof(float) * d);
  free(v);
  return 0;
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

static int write_lsa_file(rag_kb *kb, const rag_lsa *m, const char *embedder, int dims, int64_t gen,
                          const int64_t *rowids, int64_t n, const char *type, sic_err *err) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", kb->lsa_path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return sic_err_set(err, SIC_EIO, "%s: cannot create", tmp);
  char t[64] = {0};
  snprintf(t, sizeof t, "%s", type);
  int rc = 0;
  if (m) {
    rc = rag_lsa_write(m, f);
  } else {
    char model[128] = {0};
    int32_t d = dims;
    snprintf(model, sizeof model, "%s", embedder);
    if (fwrite(emb_magic, 8, 1, f) != 1 || fwrite(model, 1, 128, f) != 128 || fwrite(&d, 4, 1, f) != 1) rc = SIC_EIO;
  }
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

/* Search-time accuracy of approximate indexes: HNSW's default efSearch (16) gave recall@10 0.94
 * in bench_rag_faiss, 64 gives 0.999 at still well under a millisecond for a knowledge base. */
static int tune_search(rag_dense *ix, const char *type, sic_err *err) {
  if (!strncmp(type, "HNSW", 4)) return rag_dense_set(ix, "efSearch", 64, err);
  if (!strncmp(type, "IVF", 3)) return rag_dense_set(ix, "nprobe", 64, err);
  return 0;
}

int rag_kb_refresh(rag_kb *kb, int force, int dims, sic_err *err) {
  int64_t gen = rag_kb_generation(kb);
  /* A PostgreSQL store's keyword index follows the chunks here too (else on first search). */
  int prc = rag_kb_pg_sync(kb, err);
  if (prc) return prc;
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
  rag_llm_config remote;
  int d = 0;
  if (rag_embed_config_from_env(&remote)) {
    if ((rc = remote_embed_all(&remote, texts, n, &vecs, &d, err))) goto done;
  } else {
    if ((rc = rag_lsa_train((const char *const *)texts, n, dims, 42, &m, &vecs, err))) goto done;
    d = m->dims;
  }
  /* SIC_KB_INDEX overrides the size-based choice with any FAISS factory string. */
  const char *type = getenv("SIC_KB_INDEX");
  if (!type || !*type) type = rag_dense_factory_for((int64_t)n);
  if ((rc = rag_dense_build(vecs, (int64_t)n, d, type, &ix, err)) || (rc = tune_search(ix, type, err))) goto done;
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", kb->faiss_path);
  if ((rc = rag_dense_save(ix, tmp, err))) goto done;
  if (rename(tmp, kb->faiss_path)) {
    rc = sic_err_set(err, SIC_EIO, "%s: cannot replace the index", kb->faiss_path);
    goto done;
  }
  if ((rc = write_lsa_file(kb, m, m ? NULL : remote.model, d, gen, rowids, (int64_t)n, type, err))) goto done;
  snprintf(kb->embedder, sizeof kb->embedder, "%s", m ? "" : remote.model);
  kb->dims = d;
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
  if (kb->dense && (kb->lsa || kb->embedder[0]) && kb->dense_gen == gen) return 0;
  rag_kb_dense_unload(kb);
  FILE *f = fopen(kb->lsa_path, "rb");
  if (!f)
    return sic_err_set(err, SIC_ENOTFOUND, "%s: no dense index yet (run `sic kb ingest` or `sic kb reindex`)", kb->lsa_path);
  int64_t fgen = -1, n = 0;
  char type[64];
  char magic[8] = {0};
  int rc = 0;
  int32_t d = 0;
  if (fread(magic, 8, 1, f) == 1 && !memcmp(magic, emb_magic, 8)) {
    if (fread(kb->embedder, 1, 128, f) != 128 || fread(&d, 4, 1, f) != 1 || d <= 0) {
      rc = sic_err_set(err, SIC_EFORMAT, "%s: truncated remote-embedder header", kb->lsa_path);
      goto error;
    }
    kb->embedder[127] = 0;
    kb->dims = d;
  } else {
    rewind(f);
    if ((rc = rag_lsa_read(f, &kb->lsa, err))) {
      sic_err_wrap(err, "%s: ", kb->lsa_path);
      goto error;
    }
    kb->dims = kb->lsa->dims;
  }
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
  if ((rc = rag_dense_load(kb->faiss_path, &kb->dense, err)) || (rc = tune_search(kb->dense, type, err))) goto error;
  if (rag_dense_count(kb->dense) != n || rag_dense_dims(kb->dense) != kb->dims) {
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
