/* Knowledge base storage and ingest (see rag.h).
 *
 * Schema (SQLite; FTS5 ships with Debian's SQLite):
 *   kb_meta(key, value)                   generation counter, schema version
 *   kb_file(source, doc, hash, chunks)    one row per ingested document: skip when unchanged
 *   kb_chunk(rowid, id, source, doc, ...) chunks; id = stable content hash
 *   kb_fts(title, heading, body, extra)   FTS5 index, rowid = kb_chunk.rowid */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "core/sort.h"

#include "rag/buf.h"
#include "rag/kb_internal.h"
#include "store/store.h"

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS kb_meta(key TEXT PRIMARY KEY, value INTEGER);"
    "INSERT OR IGNORE INTO kb_meta VALUES('schema', 1), ('generation', 0);"
    "CREATE TABLE IF NOT EXISTS kb_file(source TEXT NOT NULL, doc TEXT NOT NULL, hash TEXT NOT NULL,"
    "  title TEXT, chunks INTEGER, PRIMARY KEY(source, doc));"
    "CREATE TABLE IF NOT EXISTS kb_chunk(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    "  source TEXT NOT NULL, doc TEXT NOT NULL, title TEXT, heading TEXT, section TEXT,"
    "  kind TEXT, name TEXT, since TEXT, line INTEGER, text TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kb_chunk_doc ON kb_chunk(source, doc);"
    "CREATE INDEX IF NOT EXISTS kb_chunk_name ON kb_chunk(name) WHERE name IS NOT NULL;"
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5(title, heading, body, extra,"
    "  tokenize = 'porter unicode61');";

int rag_kb_exec(rag_kb *kb, const char *sql, sic_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(kb->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  int rc = sic_err_set(err, SIC_EIO, "%s: %s", kb->path, msg ? msg : sqlite3_errmsg(kb->db));
  sqlite3_free(msg);
  return rc;
}

static int sql_fail(rag_kb *kb, sic_err *err, const char *what) {
  return sic_err_set(err, SIC_EIO, "%s: %s: %s", kb->path, what, sqlite3_errmsg(kb->db));
}

static int mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    int rc = mkdir(path, 0755);
    *p = '/';
    if (rc && errno != EEXIST) return -1;
  }
  return 0;
}

int rag_kb_default_path(char *buf, size_t n, sic_err *err) {
  const char *env = getenv("SIC_KB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  if (env && *env) snprintf(buf, n, "%s", env);
  else if (xdg && *xdg) snprintf(buf, n, "%s/sic/kb.db", xdg);
  else if (home && *home) snprintf(buf, n, "%s/.local/share/sic/kb.db", home);
  else return sic_err_set(err, SIC_EINVAL, "no knowledge base path: set SIC_KB, XDG_DATA_HOME or HOME, or pass --store");
  if (mkdirs(buf)) return sic_err_set(err, SIC_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
  return 0;
}

int rag_kb_open(const char *path, rag_kb **out, sic_err *err) {
  rag_kb *kb = calloc(1, sizeof *kb);
  *out = NULL;
  if (!kb) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  int rc = 0;
  int pg = rag_kb_is_pg_url(path);
  /* A PostgreSQL store keeps its chunks and keyword index in PostgreSQL; the ingest
   * bookkeeping file and the dense index live in a local data dir (see kb_pg.c). */
  if (pg && (rc = rag_kb_pg_local_path(path, kb->path, sizeof kb->path, err))) goto error;
  else if (!pg && path && *path) snprintf(kb->path, sizeof kb->path, "%s", path);
  else if (!pg && (rc = rag_kb_default_path(kb->path, sizeof kb->path, err))) goto error;
  snprintf(kb->lsa_path, sizeof kb->lsa_path, "%s.lsa", kb->path);
  snprintf(kb->faiss_path, sizeof kb->faiss_path, "%s.faiss", kb->path);
  if (sqlite3_open_v2(kb->path, &kb->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = sic_err_set(err, SIC_EIO, "%s: cannot open knowledge base: %s", kb->path,
                     kb->db ? sqlite3_errmsg(kb->db) : "out of memory");
    goto error;
  }
  sqlite3_busy_timeout(kb->db, 5000);
  /* mmap reads: FTS5 queries touch many pages, and copying them through read() cost more
   * than the ranking itself in a profile of `sic kb eval`. */
  if ((rc = rag_kb_exec(kb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;", err)))
    goto error;
  if ((rc = rag_kb_exec(kb, schema_sql, err))) {
    sic_err_wrap(err, "not a sic knowledge base (or not writable): ");
    rc = err ? err->code : SIC_EFORMAT;
    goto error;
  }
  kb->keyword = &rag_keyword_fts5;
  if (pg && (rc = rag_kb_pg_attach(kb, path, err))) goto error;
  *out = kb;
  return 0;
error:
  rag_kb_close(kb);
  return rc;
}

void rag_kb_close(rag_kb *kb) {
  if (!kb) return;
  rag_kb_dense_unload(kb);
  rag_kb_pg_detach(kb);
  sqlite3_close(kb->db);
  free(kb);
}

const char *rag_kb_path(const rag_kb *kb) { return kb->path; }

int64_t rag_kb_generation(rag_kb *kb) {
  sqlite3_stmt *st = NULL;
  int64_t g = -1;
  if (sqlite3_prepare_v2(kb->db, "SELECT value FROM kb_meta WHERE key='generation'", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    g = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return g;
}

/* ---- one document ------------------------------------------------------------------- */

/* Stable chunk id: hash of source, document, heading path and content. */
static void chunk_id(const char *source, const char *doc, const rag_chunk *c, char out[33]) {
  XXH3_state_t *s = XXH3_createState();
  XXH3_128bits_reset(s);
  const char *parts[] = {source, doc, c->heading, c->text};
  for (int i = 0; i < 4; i++) XXH3_128bits_update(s, parts[i], strlen(parts[i]) + 1);
  XXH128_hash_t h = XXH3_128bits_digest(s);
  XXH3_freeState(s);
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* camelCase words of a text split into parts ("maxResultSize" -> "max result size") so a
 * question in plain words still meets the identifier in BM25. */
static void camel_parts(const char *text, rag_buf *out) {
  rag_buf_reset(out);
  rag_buf_append(out, "", 0);
  for (const char *p = text; *p;) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
      p++;
      continue;
    }
    const char *s = p;
    int camel = 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
      if (p > s && *p >= 'A' && *p <= 'Z' && p[-1] >= 'a' && p[-1] <= 'z') camel = 1;
      p++;
    }
    if (!camel) continue;
    for (const char *q = s; q < p; q++) {
      if (q > s && *q >= 'A' && *q <= 'Z' && q[-1] >= 'a' && q[-1] <= 'z') rag_buf_puts(out, " ");
      rag_buf_append(out, q, 1);
    }
    rag_buf_puts(out, " ");
  }
}

/* Prepared statements of one ingest transaction. */
typedef struct ingest_stmts {
  sqlite3_stmt *file_hash;   /* SELECT hash FROM kb_file */
  sqlite3_stmt *old_ids;     /* SELECT rowid, id FROM kb_chunk of a document */
  sqlite3_stmt *del_chunk;   /* DELETE FROM kb_chunk WHERE rowid */
  sqlite3_stmt *del_fts;     /* DELETE FROM kb_fts WHERE rowid */
  sqlite3_stmt *ins_chunk;   /* INSERT OR IGNORE INTO kb_chunk */
  sqlite3_stmt *ins_fts;     /* INSERT INTO kb_fts */
  sqlite3_stmt *put_file;    /* INSERT OR REPLACE INTO kb_file */
} ingest_stmts;

static int prepare_all(rag_kb *kb, ingest_stmts *s, sic_err *err) {
  struct { sqlite3_stmt **st; const char *sql; } list[] = {
    {&s->file_hash, "SELECT hash FROM kb_file WHERE source=?1 AND doc=?2"},
    {&s->old_ids, "SELECT rowid, id FROM kb_chunk WHERE source=?1 AND doc=?2"},
    {&s->del_chunk, "DELETE FROM kb_chunk WHERE rowid=?1"},
    {&s->del_fts, "DELETE FROM kb_fts WHERE rowid=?1"},
    {&s->ins_chunk, "INSERT OR IGNORE INTO kb_chunk(id, source, doc, title, heading, section, kind, name,"
                    " since, line, text) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"},
    {&s->ins_fts, "INSERT INTO kb_fts(rowid, title, heading, body, extra) VALUES(?1,?2,?3,?4,?5)"},
    {&s->put_file, "INSERT OR REPLACE INTO kb_file(source, doc, hash, title, chunks) VALUES(?1,?2,?3,?4,?5)"},
  };
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (sqlite3_prepare_v2(kb->db, list[i].sql, -1, list[i].st, NULL) != SQLITE_OK)
      return sql_fail(kb, err, "prepare");
  return 0;
}

static void finalize_all(ingest_stmts *s) {
  sqlite3_stmt *all[] = {s->file_hash, s->old_ids, s->del_chunk, s->del_fts, s->ins_chunk, s->ins_fts, s->put_file};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}

/* 1 when the document's stored hash equals hash. */
static int unchanged(ingest_stmts *s, const char *source, const char *doc, const char *hash) {
  sqlite3_reset(s->file_hash);
  bind_text(s->file_hash, 1, source);
  bind_text(s->file_hash, 2, doc);
  int same = sqlite3_step(s->file_hash) == SQLITE_ROW &&
             !strcmp((const char *)sqlite3_column_text(s->file_hash, 0), hash);
  sqlite3_reset(s->file_hash);
  return same;
}

static int insert_chunk(rag_kb *kb, ingest_stmts *s, const char *source, const char *doc,
                        const char *title, const rag_chunk *c, const char *id, rag_buf *extra,
                        sic_err *err) {
  sqlite3_stmt *st = s->ins_chunk;
  sqlite3_reset(st);
  const char *vals[] = {id, source, doc, title, c->heading, c->section, rag_chunk_kind_name(c->kind), c->name, c->since};
  for (int i = 0; i < 9; i++) bind_text(st, i + 1, vals[i]);
  sqlite3_bind_int(st, 10, c->line);
  bind_text(st, 11, c->text);
  if (sqlite3_step(st) != SQLITE_DONE) return sql_fail(kb, err, "insert chunk");
  if (!sqlite3_changes(kb->db)) return 0; /* same id already stored (duplicate content) */
  sqlite3_int64 rowid = sqlite3_last_insert_rowid(kb->db);
  camel_parts(c->text, extra);
  st = s->ins_fts;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, rowid);
  bind_text(st, 2, title);
  bind_text(st, 3, c->heading);
  bind_text(st, 4, c->text);
  bind_text(st, 5, extra->data);
  if (sqlite3_step(st) != SQLITE_DONE) return sql_fail(kb, err, "insert fts");
  return 1;
}

/* Delete stored chunks of the document whose id is not among the new ones; returns the
 * number removed (ids that stay are marked in keep[]). */
static int remove_stale(rag_kb *kb, ingest_stmts *s, const char *source, const char *doc,
                        char (*ids)[33], size_t n, char *keep, size_t *removed, sic_err *err) {
  sqlite3_reset(s->old_ids);
  bind_text(s->old_ids, 1, source);
  bind_text(s->old_ids, 2, doc);
  int64_t *gone = NULL;
  size_t ngone = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(s->old_ids)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(s->old_ids, 1);
    size_t i;
    for (i = 0; i < n && strcmp(ids[i], id); i++) {}
    if (i < n) {
      keep[i] = 1;
      continue;
    }
    if (ngone == cap && !(gone = realloc(gone, (cap = cap ? cap * 2 : 64) * sizeof *gone))) {
      sqlite3_reset(s->old_ids);
      return sic_err_set(err, SIC_ENOMEM, "out of memory");
    }
    gone[ngone++] = sqlite3_column_int64(s->old_ids, 0);
  }
  sqlite3_reset(s->old_ids);
  for (size_t i = 0; i < ngone; i++) {
    sqlite3_stmt *del[] = {s->del_chunk, s->del_fts};
    for (int d = 0; d < 2; d++) {
      sqlite3_reset(del[d]);
      sqlite3_bind_int64(del[d], 1, gone[i]);
      if (sqlite3_step(del[d]) != SQLITE_DONE) {
        free(gone);
        return sql_fail(kb, err, "delete chunk");
      }
    }
  }
  *removed += ngone;
  free(gone);
  return 0;
}

typedef enum doc_type { DOC_SKIP, DOC_MARKDOWN, DOC_LOG } doc_type;

static doc_type type_of(const char *name) {
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char *dot = strrchr(base, '.');
  if (dot && (!strcmp(dot, ".md") || !strcmp(dot, ".mdx") || !strcmp(dot, ".markdown") ||
              !strcmp(dot, ".html") || !strcmp(dot, ".htm")))
    return DOC_MARKDOWN;
  if ((dot && !strcmp(dot, ".log")) || strstr(base, "driverlog") || strstr(base, "executor") ||
      strstr(base, "stderr") || strstr(base, "log4j"))
    return DOC_LOG;
  return DOC_SKIP;
}

/* Store the chunks of one document, adding and removing only what changed. */
static int store_document(rag_kb *kb, ingest_stmts *s, const char *source, const char *doc,
                          const char *hash, rag_chunks *ch, rag_ingest_stats *st, sic_err *err) {
  char (*ids)[33] = malloc((ch->n + 1) * sizeof *ids);
  char *keep = calloc(ch->n + 1, 1);
  rag_buf extra = {0};
  int rc = 0;
  if (!ids || !keep) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < ch->n; i++) chunk_id(source, doc, &ch->v[i], ids[i]);
  if ((rc = remove_stale(kb, s, source, doc, ids, ch->n, keep, &st->chunks_removed, err))) goto done;
  for (size_t i = 0; i < ch->n; i++) {
    if (keep[i]) continue;
    int added = insert_chunk(kb, s, source, doc, ch->title, &ch->v[i], ids[i], &extra, err);
    if (added < 0) {
      rc = added;
      goto done;
    }
    st->chunks_added += (size_t)added;
  }
  sqlite3_reset(s->put_file);
  bind_text(s->put_file, 1, source);
  bind_text(s->put_file, 2, doc);
  bind_text(s->put_file, 3, hash);
  bind_text(s->put_file, 4, ch->title);
  sqlite3_bind_int64(s->put_file, 5, (sqlite3_int64)ch->n);
  if (sqlite3_step(s->put_file) != SQLITE_DONE) rc = sql_fail(kb, err, "record file");
done:
  free(ids);
  free(keep);
  rag_buf_free(&extra);
  return rc;
}

static int ingest_file(rag_kb *kb, ingest_stmts *s, const char *path, const char *doc,
                       const char *source, rag_ingest_stats *st, sic_err *err) {
  doc_type t = type_of(doc); /* by the document's name: a spooled stdin file has none of its own */
  st->files++;
  if (t == DOC_SKIP) {
    st->files_skipped++;
    return 0;
  }
  size_t len;
  char *text = rag_read_file(path, &len);
  if (!text) return sic_err_set(err, SIC_EIO, "%s: cannot read: %s", path, strerror(errno));
  st->bytes += len;
  char hash[17];
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)XXH3_64bits(text, len));
  int rc = 0;
  rag_chunks ch = {0};
  if (unchanged(s, source, doc, hash)) {
    st->files_unchanged++;
    goto done;
  }
  rc = t == DOC_LOG ? rag_chunk_log(doc, text, len, &ch, err) : rag_chunk_markdown(doc, text, len, &ch, err);
  if (rc == SIC_EFORMAT) { /* not what its name says: skip it, keep the rest */
    if (!st->files_failed++) snprintf(st->first_failure, sizeof st->first_failure, "%.200s: %.300s", path, err ? err->msg : "");
    rc = 0;
    goto done;
  }
  if (rc) {
    sic_err_wrap(err, "%s: ", path);
    goto done;
  }
  rc = store_document(kb, s, source, doc, hash, &ch, st, err);
done:
  rag_chunks_free(&ch);
  free(text);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Walk a directory in sorted order (stable chunk order across runs). rel is the document
 * path prefix relative to the ingest root. */
static int ingest_dir(rag_kb *kb, ingest_stmts *s, const char *dir, const char *rel,
                      const char *source, rag_ingest_stats *st, sic_err *err) {
  DIR *d = opendir(dir);
  if (!d) return sic_err_set(err, SIC_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (n == cap && !(names = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names))) break;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  sic_qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && !rc; i++) {
    char path[4096], doc[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    snprintf(doc, sizeof doc, "%s%s%s", rel, *rel ? "/" : "", names[i]);
    if (stat(path, &sb)) continue;
    if (S_ISDIR(sb.st_mode)) rc = ingest_dir(kb, s, path, doc, source, st, err);
    else if (S_ISREG(sb.st_mode)) rc = ingest_file(kb, s, path, doc, source, st, err);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

/* Default source label: the last component of the directory (or of the file's directory). */
static void default_source(const char *path, int is_dir, char *out, size_t n) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", path);
  size_t len = strlen(tmp);
  while (len > 1 && tmp[len - 1] == '/') tmp[--len] = 0;
  if (!is_dir) {
    char *slash = strrchr(tmp, '/');
    if (slash) *slash = 0;
    else snprintf(tmp, sizeof tmp, ".");
  }
  const char *base = strrchr(tmp, '/');
  snprintf(out, n, "%s", base ? base + 1 : tmp);
  if (!strcmp(out, ".") || !*out) snprintf(out, n, "docs");
}

int rag_kb_ingest(rag_kb *kb, const char *path, const char *source, rag_ingest_stats *st,
                  sic_err *err) {
  return rag_kb_ingest_as(kb, path, NULL, source, st, err);
}

int rag_kb_ingest_as(rag_kb *kb, const char *path, const char *doc_name, const char *source,
                     rag_ingest_stats *st, sic_err *err) {
  struct stat sb;
  if (stat(path, &sb)) return sic_err_set(err, SIC_ENOTFOUND, "%s: %s", path, strerror(errno));
  if (doc_name && S_ISDIR(sb.st_mode)) return sic_err_set(err, SIC_EINVAL, "%s: a document name applies to one file", path);
  char label[256];
  if (source && *source) snprintf(label, sizeof label, "%s", source);
  else if (doc_name) snprintf(label, sizeof label, "docs");
  else default_source(path, S_ISDIR(sb.st_mode), label, sizeof label);
  ingest_stmts s = {0};
  rag_ingest_stats before = *st;
  int rc = rag_kb_exec(kb, "BEGIN IMMEDIATE", err);
  if (rc) return rc;
  if ((rc = prepare_all(kb, &s, err))) goto error;
  if (S_ISDIR(sb.st_mode)) {
    rc = ingest_dir(kb, &s, path, "", label, st, err);
  } else {
    const char *base = strrchr(path, '/');
    rc = ingest_file(kb, &s, path, doc_name ? doc_name : base ? base + 1 : path, label, st, err);
  }
  if (rc) goto error;
  if (st->chunks_added != before.chunks_added || st->chunks_removed != before.chunks_removed)
    if ((rc = rag_kb_exec(kb, "UPDATE kb_meta SET value = value + 1 WHERE key='generation'", err))) goto error;
  finalize_all(&s);
  return rag_kb_exec(kb, "COMMIT", err);
error:
  finalize_all(&s);
  rag_kb_exec(kb, "ROLLBACK", NULL);
  return rc;
}

/* ---- past sic reports from the history store ---------------------------------------- */

/* One chunk per stored run: what ran, how long, what it cost, its top findings. */
static int run_chunk(const char *job, const sic_store_run *r, rag_chunks *ch) {
  rag_buf t = {0}, head = {0}, sec = {0};
  int rc = rag_buf_printf(&t, "Run of %s (application %s%s%s) from %s\n", r->app_name ? r->app_name : job,
                          r->app_id ? r->app_id : "?", r->attempt_id && *r->attempt_id ? " attempt " : "",
                          r->attempt_id ? r->attempt_id : "", r->source_path ? r->source_path : "?");
  rc |= rag_buf_printf(&t, "duration %.1f s, %lld tasks (%lld failed), %d executors / %d cores, %.2f core-hours",
                       r->duration_ms >= 0 ? r->duration_ms / 1e3 : -1.0, (long long)r->tasks, (long long)r->failed_tasks,
                       r->executors, r->total_cores, r->core_hours);
  rc |= rag_buf_printf(&t, ", input %.1f MB, shuffle read %.1f MB, spill %.1f MB, max skew %.1fx%s\n",
                       r->input_bytes / 1e6, r->shuffle_read_bytes / 1e6, r->spill_bytes / 1e6, r->max_skew,
                       r->complete ? "" : " (incomplete log)");
  rc |= rag_buf_printf(&t, "%d findings", r->nfindings);
  for (int i = 0; i < r->ntop; i++)
    rc |= rag_buf_printf(&t, "%s[%s] %s%s%s", i ? "; " : ": ", r->top[i].severity ? r->top[i].severity : "?",
                         r->top[i].title ? r->top[i].title : r->top[i].id, r->top[i].entity ? " on " : "",
                         r->top[i].entity ? r->top[i].entity : "");
  rc |= rag_buf_printf(&sec, "run %s (start %lld)", r->app_id ? r->app_id : "?", (long long)r->start_time);
  rc |= rag_buf_printf(&head, "sic history of %s > %s", job, sec.data);
  if (!rc) rc = rag_chunks_push(ch, RAG_CHUNK_TEXT, head.data, sec.data, t.data, NULL, NULL, 0);
  rag_buf_free(&t);
  rag_buf_free(&head);
  rag_buf_free(&sec);
  return rc ? SIC_ENOMEM : 0;
}

int rag_kb_ingest_history(rag_kb *kb, const char *store_url, const char *job, rag_ingest_stats *st, sic_err *err) {
  sic_store *store = NULL;
  sic_store_runs runs = {0};
  rag_chunks ch = {0};
  ingest_stmts s = {0};
  int rc = sic_store_open(store_url, &store, err);
  if (rc) return rc;
  if ((rc = sic_store_history(store, job, 0, &runs, err))) goto close;
  ch.title = strdup(job);
  for (size_t i = 0; i < runs.n && !rc; i++) rc = run_chunk(job, &runs.items[i], &ch);
  if (rc) {
    sic_err_set(err, rc, "out of memory");
    goto close;
  }
  /* Content hash of the rendered runs: unchanged history = nothing to do. */
  XXH3_state_t *h = XXH3_createState();
  XXH3_64bits_reset(h);
  for (size_t i = 0; i < ch.n; i++) XXH3_64bits_update(h, ch.v[i].text, strlen(ch.v[i].text) + 1);
  char hash[17], doc[600];
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)XXH3_64bits_digest(h));
  XXH3_freeState(h);
  snprintf(doc, sizeof doc, "history/%s", job);
  rag_ingest_stats before = *st;
  st->files++;
  if ((rc = rag_kb_exec(kb, "BEGIN IMMEDIATE", err))) goto close;
  if ((rc = prepare_all(kb, &s, err))) goto rollback;
  if (unchanged(&s, "reports", doc, hash)) st->files_unchanged++;
  else if ((rc = store_document(kb, &s, "reports", doc, hash, &ch, st, err))) goto rollback;
  if ((st->chunks_added != before.chunks_added || st->chunks_removed != before.chunks_removed) &&
      (rc = rag_kb_exec(kb, "UPDATE kb_meta SET value = value + 1 WHERE key='generation'", err)))
    goto rollback;
  finalize_all(&s);
  rc = rag_kb_exec(kb, "COMMIT", err);
  goto close;
rollback:
  finalize_all(&s);
  rag_kb_exec(kb, "ROLLBACK", NULL);
close:
  rag_chunks_free(&ch);
  sic_store_runs_free(&runs);
  sic_store_close(store);
  return rc;
}
