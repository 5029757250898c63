/* Documentation references for analysis findings (see kb_refs.h).
 *
 * One cached knowledge-base handle per process: opening it costs a SQLite open plus, on the
 * first hybrid query, reading the LSA model and FAISS index (tens of milliseconds), which an
 * analysis of many logs, or a server, should pay once. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rag/kb_internal.h"
#include "rag/kb_refs.h"

/* Identity of a file on disk, to notice a re-ingest or reindex by another process. */
typedef struct file_sig {
  int64_t size;      /* bytes, -1 when missing */
  int64_t mtime_ns;  /* modification time in nanoseconds */
} file_sig;

/* The process-wide cache. */
typedef struct refs_cache {
  pthread_mutex_t lock;  /* guards everything below and every use of kb */
  char path[4096];       /* resolved knowledge-base path the entry is for ("" = empty entry) */
  rag_kb *kb;            /* open handle, NULL when the path has no usable knowledge base */
  int mode;              /* SIC_KB_REFS_* for this path */
  char note[512];        /* why the mode is not hybrid ("" when it is) */
  file_sig db_sig;       /* the SQLite file when probed */
  file_sig faiss_sig;    /* the FAISS file when probed */
  file_sig wal_sig;      /* the SQLite WAL file when probed (writes land there first) */
} refs_cache;

static refs_cache cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Results of the last search on this thread (what sic_kb_ref strings point into). */
static _Thread_local rag_hits last_hits;
static _Thread_local sic_kb_ref *last_refs;

static file_sig sig_of(const char *path) {
  struct stat st;
  file_sig s = {-1, 0};
  if (stat(path, &st) == 0) {
    s.size = (int64_t)st.st_size;
    s.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  }
  return s;
}

static int sig_equal(file_sig a, file_sig b) { return a.size == b.size && a.mtime_ns == b.mtime_ns; }

static void copy_text(char *dst, int64_t cap, const char *src) {
  if (dst && cap > 0) snprintf(dst, (size_t)cap, "%s", src ? src : "");
}

/* The default knowledge-base path, as rag_kb_default_path computes it but without creating
 * directories: analysis has no business creating them. 0, or -1 when nothing names one. */
static int default_path(char *buf, size_t n) {
  const char *env = getenv("SIC_KB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  if (env && *env) snprintf(buf, n, "%s", env);
  else if (xdg && *xdg) snprintf(buf, n, "%s/sic/kb.db", xdg);
  else if (home && *home) snprintf(buf, n, "%s/.local/share/sic/kb.db", home);
  else return -1;
  return 0;
}

/* Count the chunks of an existing file opened read-only, so that a file which is not a
 * knowledge base is never given the knowledge-base schema. -1 (note set) when unusable. */
static int64_t count_chunks(const char *path, char *note, size_t note_cap) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    snprintf(note, note_cap, "%s: cannot open the knowledge base: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    goto done;
  }
  sqlite3_busy_timeout(db, 2000);
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM kb_chunk", -1, &st, NULL) != SQLITE_OK) {
    snprintf(note, note_cap, "%s is not a sic knowledge base (%s)", path, sqlite3_errmsg(db));
    goto done;
  }
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  else snprintf(note, note_cap, "%s: cannot read chunks: %s", path, sqlite3_errmsg(db));
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void cache_drop(void) {
  rag_kb_close(cache.kb);
  cache.kb = NULL;
  cache.path[0] = 0;
  cache.note[0] = 0;
  cache.mode = SIC_KB_REFS_NONE;
}

/* How the open handle can be searched: hybrid when the dense index is current and local. */
static void choose_mode(void) {
  sic_err err = {0};
  int rc = rag_kb_dense_load(cache.kb, &err);
  if (rc) {
    cache.mode = SIC_KB_REFS_KEYWORD;
    snprintf(cache.note, sizeof cache.note, "keyword search only: %.480s", err.msg);
  } else if (cache.kb->embedder[0]) {
    cache.mode = SIC_KB_REFS_KEYWORD;
    snprintf(cache.note, sizeof cache.note,
             "keyword search only: the dense index uses the remote model %s, which analysis does not call",
             cache.kb->embedder);
  } else {
    cache.mode = SIC_KB_REFS_HYBRID;
    cache.note[0] = 0;
  }
}

/* (Re)open the entry for path when it is for another path or its files changed. Lock held. */
static void cache_refresh(const char *path) {
  char lsa[4200], faiss[4200], wal[4200];
  snprintf(lsa, sizeof lsa, "%s.lsa", path);
  snprintf(faiss, sizeof faiss, "%s.faiss", path);
  snprintf(wal, sizeof wal, "%s-wal", path);
  file_sig db_sig = sig_of(path), faiss_sig = sig_of(faiss), wal_sig = sig_of(wal);
  if (cache.path[0] && !strcmp(cache.path, path) && sig_equal(db_sig, cache.db_sig) &&
      sig_equal(faiss_sig, cache.faiss_sig) && sig_equal(wal_sig, cache.wal_sig))
    return;
  cache_drop();
  snprintf(cache.path, sizeof cache.path, "%s", path);
  cache.db_sig = db_sig;
  cache.faiss_sig = faiss_sig;
  cache.wal_sig = wal_sig;
  if (rag_kb_is_pg_url(path)) { /* a PostgreSQL store: connect once per process */
    sic_err err = {0};
    if (rag_kb_open(path, &cache.kb, &err)) {
      snprintf(cache.note, sizeof cache.note, "%s", err.msg);
      cache.kb = NULL;
      return;
    }
    choose_mode();
    return;
  }
  if (db_sig.size < 0) {
    snprintf(cache.note, sizeof cache.note, "no knowledge base at %s (build one with `sic kb ingest DIR`)", path);
    return;
  }
  int64_t chunks = count_chunks(path, cache.note, sizeof cache.note);
  if (chunks < 0) return;
  if (chunks == 0) {
    snprintf(cache.note, sizeof cache.note, "the knowledge base at %s is empty (add documents with `sic kb ingest DIR`)", path);
    return;
  }
  sic_err err = {0};
  if (rag_kb_open(path, &cache.kb, &err)) {
    snprintf(cache.note, sizeof cache.note, "%s", err.msg);
    cache.kb = NULL;
    return;
  }
  choose_mode();
  /* Opening in WAL mode may create the -wal file: the signature is what the open left. */
  cache.db_sig = sig_of(path);
  cache.faiss_sig = sig_of(faiss);
  cache.wal_sig = sig_of(wal);
}

static int resolve(const char *path, char *out, size_t n) {
  if (path && *path) {
    snprintf(out, n, "%s", path);
    return 0;
  }
  return default_path(out, n);
}

int sic_kb_refs_probe(const char *path, char *resolved, int64_t resolved_cap, char *note, int64_t note_cap) {
  char p[4096];
  if (resolve(path, p, sizeof p)) {
    copy_text(resolved, resolved_cap, "");
    copy_text(note, note_cap, "no knowledge base: neither SIC_KB, XDG_DATA_HOME nor HOME is set");
    return SIC_KB_REFS_NONE;
  }
  pthread_mutex_lock(&cache.lock);
  cache_refresh(p);
  int mode = cache.kb ? cache.mode : SIC_KB_REFS_NONE;
  copy_text(resolved, resolved_cap, p);
  copy_text(note, note_cap, cache.note);
  pthread_mutex_unlock(&cache.lock);
  return mode;
}

static void free_last(void) {
  rag_hits_free(&last_hits);
  free(last_refs);
  last_refs = NULL;
}

/* Point the per-thread reference array at the per-thread hits. 0 or -1 (out of memory). */
static int publish(void) {
  last_refs = calloc(last_hits.n ? last_hits.n : 1, sizeof *last_refs);
  if (!last_refs) return -1;
  for (size_t i = 0; i < last_hits.n; i++) {
    const rag_hit *h = &last_hits.v[i];
    last_refs[i] = (sic_kb_ref){h->source, h->doc, h->section, h->heading, h->title, h->score, h->line};
  }
  return 0;
}

int sic_kb_refs_search(const char *path, const char *query, int k, const char *spark_version,
                       const sic_kb_ref **refs_out, char *note, int64_t note_cap) {
  char p[4096];
  *refs_out = NULL;
  copy_text(note, note_cap, "");
  free_last();
  if (!query || !*query) return 0;
  if (resolve(path, p, sizeof p)) {
    copy_text(note, note_cap, "no knowledge base path");
    return -1;
  }
  pthread_mutex_lock(&cache.lock);
  cache_refresh(p);
  int rc = -1;
  if (!cache.kb) {
    copy_text(note, note_cap, cache.note);
    goto done;
  }
  sic_err err = {0};
  rag_query q = {.text = query, .k = k > 0 ? k : 2, .spark_version = spark_version && *spark_version ? spark_version : NULL,
                 .mode = cache.mode == SIC_KB_REFS_HYBRID ? RAG_MODE_HYBRID : RAG_MODE_BM25};
  if (rag_kb_search(cache.kb, &q, &last_hits, &err) && q.mode == RAG_MODE_HYBRID) {
    /* The dense side went away under us (reindex in progress): keyword search still answers. */
    cache.mode = SIC_KB_REFS_KEYWORD;
    snprintf(cache.note, sizeof cache.note, "keyword search only: %.480s", err.msg);
    q.mode = RAG_MODE_BM25;
    err = (sic_err){0};
    rag_kb_search(cache.kb, &q, &last_hits, &err);
  }
  if (err.code) {
    copy_text(note, note_cap, err.msg);
    goto done;
  }
  if (publish()) {
    copy_text(note, note_cap, "out of memory");
    free_last();
    goto done;
  }
  *refs_out = last_refs;
  rc = (int)last_hits.n;
done:
  pthread_mutex_unlock(&cache.lock);
  return rc;
}

void sic_kb_refs_reset(void) {
  pthread_mutex_lock(&cache.lock);
  cache_drop();
  pthread_mutex_unlock(&cache.lock);
  free_last();
}
