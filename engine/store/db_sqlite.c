/* SQLite backend of the history store (see db.h). Owner: store engineer.
 *
 * The file is opened in WAL mode with foreign keys on; writes go through BEGIN IMMEDIATE so two
 * writers queue on the busy timeout instead of deadlocking on a lock upgrade. Bulk rows are one
 * prepared INSERT re-bound per row inside the caller's transaction. */
#include "store/db.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct db_sqlite {
  db base;                               /* ops; must be first */
  sqlite3 *conn;                         /* the open database */
  char *path;                            /* file name, for messages */
} db_sqlite;

typedef struct bulk_sqlite {
  db_sqlite *d;                          /* owning database */
  sqlite3_stmt *stmt;                    /* INSERT INTO table(cols) VALUES(?1..?n) */
  int ncols;                             /* values per row */
  char table[64];                        /* for messages */
} bulk_sqlite;

static int fail(db_sqlite *d, sic_err *err, const char *what) {
  int code = sqlite3_errcode(d->conn);
  return sic_err_set(err, code == SQLITE_NOMEM ? SIC_ENOMEM : SIC_EIO, "%s: %s: %s", d->path, what,
                     sqlite3_errmsg(d->conn));
}

static int sq_exec(db *base, const char *sql, sic_err *err) {
  db_sqlite *d = (db_sqlite *)base;
  char *msg = NULL;
  if (sqlite3_exec(d->conn, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  int rc = sic_err_set(err, SIC_EIO, "%s: %s", d->path, msg ? msg : sqlite3_errmsg(d->conn));
  sqlite3_free(msg);
  return rc;
}

/* $1..$n -> ?1..?n (only outside quoted literals). */
static char *rewrite_placeholders(const char *sql) {
  char *out = malloc(strlen(sql) + 1);
  if (!out) return NULL;
  char *o = out;
  char quote = 0;
  for (const char *p = sql; *p; p++) {
    if (quote) {
      if (*p == quote) quote = 0;
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
    } else if (*p == '$' && isdigit((unsigned char)p[1])) {
      *o++ = '?';
      continue;
    }
    *o++ = *p;
  }
  *o = 0;
  return out;
}

static int bind_all(db_sqlite *d, sqlite3_stmt *st, const db_val *vals, int n, sic_err *err) {
  for (int i = 0; i < n; i++) {
    int rc;
    switch (vals[i].type) {
    case DB_INT: rc = sqlite3_bind_int64(st, i + 1, vals[i].i); break;
    case DB_REAL: rc = sqlite3_bind_double(st, i + 1, vals[i].d); break;
    case DB_TEXT: rc = sqlite3_bind_text(st, i + 1, vals[i].s, -1, SQLITE_STATIC); break;
    default: rc = sqlite3_bind_null(st, i + 1); break;
    }
    if (rc != SQLITE_OK) return fail(d, err, "bind");
  }
  return 0;
}

/* Copy every row of a stepped statement into a db_rows. */
static int collect(db_sqlite *d, sqlite3_stmt *st, db_rows **out, sic_err *err) {
  int ncols = sqlite3_column_count(st), cap = 16, n = 0, rc;
  char **cells = calloc((size_t)cap * (ncols ? ncols : 1), sizeof *cells);
  if (!cells) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      char **grown = realloc(cells, (size_t)cap * 2 * ncols * sizeof *cells);
      if (!grown) goto nomem;
      cells = grown;
      cap *= 2;
    }
    for (int c = 0; c < ncols; c++) {
      const unsigned char *t = sqlite3_column_text(st, c);
      char **cell = &cells[(size_t)n * ncols + c];
      *cell = t ? strdup((const char *)t) : NULL;
      if (t && !*cell) goto nomem;
    }
    n++;
  }
  if (rc != SQLITE_DONE) {
    for (size_t i = 0; i < (size_t)n * ncols; i++) free(cells[i]);
    free(cells);
    return fail(d, err, "step");
  }
  if (!out) {
    for (size_t i = 0; i < (size_t)n * ncols; i++) free(cells[i]);
    free(cells);
    return 0;
  }
  db_rows *r = calloc(1, sizeof *r);
  if (!r) goto nomem;
  r->nrows = n;
  r->ncols = ncols;
  r->cells = cells;
  *out = r;
  return 0;
nomem:
  for (size_t i = 0; i < (size_t)n * ncols; i++) free(cells[i]);
  free(cells);
  return sic_err_set(err, SIC_ENOMEM, "out of memory");
}

static int sq_query(db *base, const char *sql, const db_val *params, int nparams, db_rows **out,
                    sic_err *err) {
  db_sqlite *d = (db_sqlite *)base;
  sqlite3_stmt *st = NULL;
  int rc;
  char *text = rewrite_placeholders(sql);
  if (!text) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (sqlite3_prepare_v2(d->conn, text, -1, &st, NULL) != SQLITE_OK) {
    rc = fail(d, err, "prepare");
    goto done;
  }
  rc = bind_all(d, st, params, nparams, err);
  if (rc == 0) rc = collect(d, st, out, err);
done:
  sqlite3_finalize(st);
  free(text);
  return rc;
}

static int sq_bulk_begin(db *base, const char *table, const char *const *cols, int ncols,
                         db_bulk **out, sic_err *err) {
  db_sqlite *d = (db_sqlite *)base;
  size_t cap = 64 + strlen(table);
  for (int i = 0; i < ncols; i++) cap += strlen(cols[i]) + 8;
  char *sql = malloc(cap);
  bulk_sqlite *b = calloc(1, sizeof *b);
  if (!sql || !b) {
    free(sql);
    free(b);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  size_t len = (size_t)snprintf(sql, cap, "INSERT INTO %s(", table);
  for (int i = 0; i < ncols; i++) len += (size_t)snprintf(sql + len, cap - len, "%s%s", i ? "," : "", cols[i]);
  len += (size_t)snprintf(sql + len, cap - len, ") VALUES(");
  for (int i = 0; i < ncols; i++) len += (size_t)snprintf(sql + len, cap - len, "%s?%d", i ? "," : "", i + 1);
  snprintf(sql + len, cap - len, ")");
  int rc = 0;
  if (sqlite3_prepare_v2(d->conn, sql, -1, &b->stmt, NULL) != SQLITE_OK) {
    rc = fail(d, err, table);
    free(b);
  } else {
    b->d = d;
    b->ncols = ncols;
    snprintf(b->table, sizeof b->table, "%s", table);
    *out = (db_bulk *)b;
  }
  free(sql);
  return rc;
}

static int sq_bulk_row(db_bulk *bb, const db_val *vals, sic_err *err) {
  bulk_sqlite *b = (bulk_sqlite *)bb;
  int rc = bind_all(b->d, b->stmt, vals, b->ncols, err);
  if (rc) return rc;
  if (sqlite3_step(b->stmt) != SQLITE_DONE) rc = fail(b->d, err, b->table);
  sqlite3_reset(b->stmt);
  return rc;
}

static int sq_bulk_end(db_bulk *bb, int ok, sic_err *err) {
  bulk_sqlite *b = (bulk_sqlite *)bb;
  if (!b) return 0;
  sqlite3_finalize(b->stmt);
  free(b);
  return 0;
}

static int sq_connection_lost(db *base) { return 0; }

/* Writers are serialised by BEGIN IMMEDIATE, so a concurrent writer cannot win a race. */
static int sq_lost_race(db *base) { return DB_RACE_NONE; }

/* BEGIN IMMEDIATE already holds the database's only write lock: nothing finer to take. */
static int sq_lock_xact(db *base, int32_t space, int32_t key, sic_err *err) { return 0; }

static int sq_reconnect(db *base, sic_err *err) {
  return sic_err_set(err, SIC_EIO, "%s: an SQLite file cannot be reconnected", ((db_sqlite *)base)->path);
}

static void sq_close(db *base) {
  db_sqlite *d = (db_sqlite *)base;
  sqlite3_close_v2(d->conn);
  free(d->path);
  free(d);
}

static const db_ops sqlite_ops = {
  "sqlite", "INTEGER PRIMARY KEY", "BEGIN IMMEDIATE",
  sq_exec, sq_query, sq_bulk_begin, sq_bulk_row, sq_bulk_end,
  sq_connection_lost, sq_lost_race, sq_lock_xact, sq_reconnect, sq_close,
};

int db_open_sqlite(const char *path, db **out, sic_err *err) {
  db_sqlite *d = calloc(1, sizeof *d);
  if (!d || !(d->path = strdup(path))) {
    free(d);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  d->base.ops = &sqlite_ops;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &d->conn, flags, NULL) != SQLITE_OK) {
    int rc = sic_err_set(err, SIC_EIO, "%s: cannot open SQLite store: %s", path,
                         d->conn ? sqlite3_errmsg(d->conn) : "out of memory");
    sq_close(&d->base);
    return rc;
  }
  sqlite3_busy_timeout(d->conn, 30000);
  /* WAL: readers (sic history) never block the ingest; NORMAL sync is still crash-safe in WAL. */
  int rc = sq_exec(&d->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err);
  if (rc) {
    sq_close(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}
