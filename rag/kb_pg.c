/* The knowledge base on a PostgreSQL store (`--store postgresql://...`): chunks and the
 * keyword index live in PostgreSQL and are ranked by its full-text engine.
 *
 * Layout:
 *   PostgreSQL  sic_kb_chunk(rowid, id, source, doc, title, heading, body, extra, tsv)
 *               tsv = heading (weight A) || title (B) || body (C) || identifiers (D), english
 *               configuration (stemming, stop words), a stored generated column with a GIN index;
 *               sic_kb_meta(key, value): which local generation the chunks are from.
 *   data dir    $SIC_KB_DATA_DIR, else $XDG_DATA_HOME/sic/kb-pg/<XXH64 of the URL>/: kb.db (the
 *               ingest bookkeeping: per-file hashes, chunk ids, the generation counter; chunks
 *               are chunked and hashed there exactly as for a SQLite store) and the dense index
 *               kb.db.lsa / kb.db.faiss beside it.
 *
 * Ingest writes the local file; the first keyword search (or refresh) after a change copies
 * the chunks of the new generation into PostgreSQL in one transaction (TRUNCATE + COPY) under
 * an advisory lock, so concurrent processes neither interleave nor copy twice. Ranking:
 * ts_rank_cd (cover density) with the column weights of the FTS5 side (heading 3, title 2,
 * body 1, identifiers 0.5, scaled to PostgreSQL's 0..1 weights) and length normalisation 1
 * (rank / (1 + log length)), the closest PostgreSQL analogue of BM25's length damping. Query
 * words are OR-ed like the FTS5 side, each quoted so no word is read as an operator. */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "rag/buf.h"
#include "rag/kb_internal.h"

/* Connection state of a PostgreSQL knowledge base. */
struct rag_kb_pg {
  PGconn *conn;         /* libpq connection */
  int64_t synced_gen;   /* local generation known to be in PostgreSQL, -1 = unknown */
  char origin[4400];    /* identity of the local data (host + path): another data dir resyncs */
};

#define PG_LOCK_KEY "7365636b62"  /* advisory lock id for schema creation and sync */

static const char *pg_schema_sql =
    "CREATE TABLE IF NOT EXISTS sic_kb_meta(key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sic_kb_chunk(rowid bigint PRIMARY KEY, id text NOT NULL,"
    "  source text NOT NULL, doc text NOT NULL, title text, heading text, body text, extra text,"
    "  tsv tsvector GENERATED ALWAYS AS ("
    "    setweight(to_tsvector('english', coalesce(heading, '')), 'A') ||"
    "    setweight(to_tsvector('english', coalesce(title, '')), 'B') ||"
    "    setweight(to_tsvector('english', coalesce(body, '')), 'C') ||"
    "    setweight(to_tsvector('english', coalesce(extra, '')), 'D')) STORED);"
    "CREATE INDEX IF NOT EXISTS sic_kb_chunk_tsv ON sic_kb_chunk USING gin(tsv);"
    "CREATE TABLE IF NOT EXISTS sic_kb_posting(lexeme text NOT NULL, rowid bigint NOT NULL,"
    "  tf real NOT NULL, norm real NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sic_kb_posting_lexeme ON sic_kb_posting(lexeme);"
    "CREATE TABLE IF NOT EXISTS sic_kb_term(lexeme text PRIMARY KEY, ndoc integer NOT NULL, idf real NOT NULL);";

/* BM25 statistics from the tsvectors, after the chunks were copied: one posting per (lexeme,
 * chunk) with its column-weighted term frequency (heading 3, title 2, body 1, identifiers 0.5,
 * the FTS5 side's weights) and the chunk's length norm k1 * (1 - b + b * len / avglen), and
 * one row per lexeme with its idf. k1 = 1.2, b = 0.75 as in FTS5's bm25(). */
static const char *pg_stats_sql =
    "TRUNCATE sic_kb_posting, sic_kb_term;"
    "INSERT INTO sic_kb_posting(lexeme, rowid, tf, norm)"
    " WITH l AS (SELECT rowid, tsv, coalesce((SELECT sum(array_length(y.positions, 1)) FROM unnest(tsv) y), 0) AS len"
    "            FROM sic_kb_chunk),"
    "      a AS (SELECT greatest(avg(len), 1) AS avglen FROM l)"
    " SELECT x.lexeme, l.rowid,"
    "   (SELECT sum(CASE w WHEN 'A' THEN 3 WHEN 'B' THEN 2 WHEN 'C' THEN 1 ELSE 0.5 END) FROM unnest(x.weights) w),"
    "   1.2 * (0.25 + 0.75 * l.len / a.avglen)"
    " FROM l, a, unnest(l.tsv) x;"
    "INSERT INTO sic_kb_term(lexeme, ndoc, idf)"
    " SELECT lexeme, count(*), ln(1 + (k.n - count(*) + 0.5) / (count(*) + 0.5))"
    " FROM sic_kb_posting, (SELECT count(*) AS n FROM sic_kb_chunk) k GROUP BY lexeme, k.n;"
    "ANALYZE sic_kb_posting; ANALYZE sic_kb_term;";

int rag_kb_is_pg_url(const char *path) {
  return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11));
}

static int mkdir_p(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    int failed = mkdir(path, 0755) != 0 && errno != EEXIST;
    *p = '/';
    if (failed) return -1;
  }
  return 0;
}

int rag_kb_pg_local_path(const char *url, char *buf, size_t n, sic_err *err) {
  const char *dir = getenv("SIC_KB_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  unsigned long long h = (unsigned long long)XXH64(url, strlen(url), 0);
  if (dir && *dir) snprintf(buf, n, "%s/kb.db", dir);
  else if (xdg && *xdg) snprintf(buf, n, "%s/sic/kb-pg/%016llx/kb.db", xdg, h);
  else if (home && *home) snprintf(buf, n, "%s/.local/share/sic/kb-pg/%016llx/kb.db", home, h);
  else return sic_err_set(err, SIC_EINVAL, "no data dir for the PostgreSQL knowledge base: set SIC_KB_DATA_DIR, XDG_DATA_HOME or HOME");
  if (mkdir_p(buf)) return sic_err_set(err, SIC_EIO, "%s: cannot create the knowledge base's data dir", buf);
  return 0;
}

/* libpq's message without its trailing newline. */
static int pg_fail(rag_kb *kb, sic_err *err, const char *what, const PGresult *r) {
  const char *msg = r ? PQresultErrorMessage(r) : "";
  if (!msg || !*msg) msg = PQerrorMessage(kb->pg->conn);
  char one_line[400];
  snprintf(one_line, sizeof one_line, "%s", msg);
  rag_squeeze_space(one_line); /* libpq's messages span lines ("\n\tIs the server running...") */
  return sic_err_set(err, SIC_EIO, "knowledge base on PostgreSQL: %s: %s", what, one_line);
}

/* Run a command without results. */
static int pg_exec(rag_kb *kb, const char *sql, const char *what, sic_err *err) {
  PGresult *r = PQexec(kb->pg->conn, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  int rc = ok ? 0 : pg_fail(kb, err, what, r);
  PQclear(r);
  return rc;
}

static void quiet_notices(void *arg, const char *message) {
  (void)arg;
  (void)message; /* "text-search query contains only stop words" and the like: not errors */
}

int rag_kb_pg_attach(rag_kb *kb, const char *url, sic_err *err) {
  kb->pg = calloc(1, sizeof *kb->pg);
  if (!kb->pg) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  kb->pg->synced_gen = -1;
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  snprintf(kb->pg->origin, sizeof kb->pg->origin, "%s:%s", host, kb->path);
  kb->pg->conn = PQconnectdb(url);
  if (PQstatus(kb->pg->conn) != CONNECTION_OK) return pg_fail(kb, err, "cannot connect", NULL);
  PQsetNoticeProcessor(kb->pg->conn, quiet_notices, NULL);
  int rc = pg_exec(kb, "BEGIN; SELECT pg_advisory_xact_lock(x'" PG_LOCK_KEY "'::bigint);", "schema", err);
  if (!rc) rc = pg_exec(kb, pg_schema_sql, "cannot create the knowledge-base tables", err);
  if (!rc) rc = pg_exec(kb, "COMMIT", "schema", err);
  else pg_exec(kb, "ROLLBACK", "schema", NULL);
  if (!rc) kb->keyword = &rag_keyword_pg;
  return rc;
}

void rag_kb_pg_detach(rag_kb *kb) {
  if (!kb->pg) return;
  PQfinish(kb->pg->conn);
  free(kb->pg);
  kb->pg = NULL;
}

/* One COPY text-format field: backslash, tab, newline and carriage return escaped. */
static void copy_field(rag_buf *b, const char *s, int last) {
  if (!s) rag_buf_append(b, "\\N", 2);
  for (const char *p = s; p && *p; p++) {
    const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
    if (esc) rag_buf_append(b, esc, 2);
    else rag_buf_append(b, p, 1);
  }
  rag_buf_append(b, last ? "\n" : "\t", 1);
}

/* Stream every chunk (with the texts FTS5 indexes) into COPY. */
static int copy_chunks(rag_kb *kb, sic_err *err) {
  sqlite3_stmt *st = NULL;
  rag_buf row = {0};
  int rc = 0;
  if (sqlite3_prepare_v2(kb->db, "SELECT c.rowid, c.id, c.source, c.doc, f.title, f.heading, f.body, f.extra"
                                 " FROM kb_chunk c JOIN kb_fts f ON f.rowid = c.rowid",
                         -1, &st, NULL) != SQLITE_OK)
    return sic_err_set(err, SIC_EIO, "%s: %s", kb->path, sqlite3_errmsg(kb->db));
  PGresult *r = PQexec(kb->pg->conn, "COPY sic_kb_chunk(rowid, id, source, doc, title, heading, body, extra) FROM STDIN");
  if (PQresultStatus(r) != PGRES_COPY_IN) rc = pg_fail(kb, err, "COPY", r);
  PQclear(r);
  while (!rc && sqlite3_step(st) == SQLITE_ROW) {
    row.len = 0;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
    copy_field(&row, id, 0);
    for (int c = 1; c < 8; c++) copy_field(&row, (const char *)sqlite3_column_text(st, c), c == 7);
    if (PQputCopyData(kb->pg->conn, row.data, (int)row.len) != 1) rc = pg_fail(kb, err, "COPY", NULL);
  }
  if (PQputCopyEnd(kb->pg->conn, rc ? "sic: aborted" : NULL) != 1 && !rc) rc = pg_fail(kb, err, "COPY", NULL);
  while ((r = PQgetResult(kb->pg->conn))) {
    if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) rc = pg_fail(kb, err, "COPY", r);
    PQclear(r);
  }
  sqlite3_finalize(st);
  rag_buf_free(&row);
  return rc;
}

/* The "origin#generation" PostgreSQL holds; 0 when it matches ours. */
static int pg_state_differs(rag_kb *kb, const char *want) {
  PGresult *r = PQexec(kb->pg->conn, "SELECT value FROM sic_kb_meta WHERE key = 'state'");
  int differs = !(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), want));
  PQclear(r);
  return differs;
}

int rag_kb_pg_sync(rag_kb *kb, sic_err *err) {
  if (!kb->pg) return 0;
  int64_t gen = rag_kb_generation(kb);
  if (gen == kb->pg->synced_gen) return 0;
  char want[4500];
  snprintf(want, sizeof want, "%s#%lld", kb->pg->origin, (long long)gen);
  int rc = pg_exec(kb, "BEGIN; SELECT pg_advisory_xact_lock(x'" PG_LOCK_KEY "'::bigint);", "sync", err);
  if (!rc && pg_state_differs(kb, want)) {
    rc = pg_exec(kb, "TRUNCATE sic_kb_chunk", "sync", err);
    if (!rc) rc = copy_chunks(kb, err);
    if (!rc) rc = pg_exec(kb, pg_stats_sql, "BM25 statistics", err);
    const char *params[1] = {want};
    PGresult *r = rc ? NULL : PQexecParams(kb->pg->conn,
        "INSERT INTO sic_kb_meta VALUES('state', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        1, NULL, params, NULL, NULL, 0);
    if (r && PQresultStatus(r) != PGRES_COMMAND_OK) rc = pg_fail(kb, err, "sync", r);
    PQclear(r);
  }
  if (!rc) rc = pg_exec(kb, "COMMIT", "sync", err);
  else pg_exec(kb, "ROLLBACK", "sync", NULL);
  if (!rc) kb->pg->synced_gen = gen;
  return rc;
}

/* Query words, space-separated (each becomes a quoted, OR-ed tsquery term). */
static void add_word(const char *tok, size_t len, void *ctx) {
  rag_buf *b = ctx;
  if (b->len) rag_buf_append(b, " ", 1);
  rag_buf_append(b, tok, len);
}

/* BM25 over the postings: the query's lexemes are PostgreSQL's own (english configuration). */
static const char *bm25_sql =
    "SELECT p.rowid FROM sic_kb_term t JOIN sic_kb_posting p ON p.lexeme = t.lexeme"
    " WHERE t.lexeme = ANY(tsvector_to_array(to_tsvector('english', $1)))"
    "   AND ($2::text IS NULL OR p.rowid IN (SELECT rowid FROM sic_kb_chunk WHERE source = $2))"
    " GROUP BY p.rowid ORDER BY sum(t.idf * p.tf * 2.2 / (p.tf + p.norm)) DESC, p.rowid LIMIT $3::int";

/* SIC_KB_PG_RANK=ts_rank_cd: PostgreSQL's cover-density ranking over the GIN index, column
 * weights scaled to 0..1, length normalisation 1. Measured worse than BM25 on the question set
 * (it has no idf: every OR-ed word counts the same), kept for comparison. */
static const char *cover_density_sql =
    "WITH q AS (SELECT to_tsquery('english', string_agg(quote_literal(w), ' | ')) AS q"
    "           FROM regexp_split_to_table($1, ' ') w WHERE w <> '')"
    " SELECT c.rowid FROM sic_kb_chunk c, q WHERE c.tsv @@ q.q AND ($2::text IS NULL OR c.source = $2)"
    " ORDER BY ts_rank_cd('{0.17, 0.33, 0.67, 1.0}', c.tsv, q.q, 1) DESC, c.rowid LIMIT $3::int";

static int pg_search(rag_kb *kb, const rag_query *q, int64_t *rowids, int depth, int *n, sic_err *err) {
  *n = 0;
  int rc = rag_kb_pg_sync(kb, err);
  if (rc) return rc;
  rag_buf words = {0};
  rag_tokenize(q->text, add_word, &words);
  if (!words.len) {
    rag_buf_free(&words);
    return 0;
  }
  char limit[16];
  snprintf(limit, sizeof limit, "%d", depth);
  const char *params[3] = {words.data, q->source, limit};
  const char *rank = getenv("SIC_KB_PG_RANK");
  PGresult *r = PQexecParams(kb->pg->conn, rank && !strcmp(rank, "ts_rank_cd") ? cover_density_sql : bm25_sql,
                             3, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = pg_fail(kb, err, "keyword search", r);
  for (int i = 0; !rc && i < PQntuples(r) && *n < depth; i++) rowids[(*n)++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
  PQclear(r);
  rag_buf_free(&words);
  return rc;
}

const rag_keyword_backend rag_keyword_pg = {"postgresql-fts", pg_search};
