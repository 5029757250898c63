/* Internal to engine/store: the small database interface both backends implement, so that the
 * schema, ingest and queries are written once.
 *
 * SQL text uses PostgreSQL-style placeholders $1..$n (the SQLite backend rewrites them to ?n)
 * and the portable subset of SQL both engines accept. One schema-only token is replaced per
 * dialect: {ID}, the auto-increment primary key column type.
 *
 * Ownership: db_open_* allocate a db freed by db_close(); db_rows from db_query() are freed by
 * db_rows_free(); a db_bulk is freed by db_bulk_end(). Strings in db_val are only read. */
#ifndef SIC_STORE_DB_H
#define SIC_STORE_DB_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum db_type { DB_NULL = 0, DB_INT, DB_REAL, DB_TEXT } db_type;

/* One bound value. */
typedef struct db_val {
  db_type type;                          /* which member is valid */
  int64_t i;                             /* DB_INT */
  double d;                              /* DB_REAL */
  const char *s;                         /* DB_TEXT (NUL-terminated, borrowed) */
} db_val;

static inline db_val db_null(void) { db_val v = {DB_NULL, 0, 0, 0}; return v; }
static inline db_val db_int(int64_t i) { db_val v = {DB_INT, i, 0, 0}; return v; }
/* NAN becomes NULL: "unknown" is stored as SQL NULL on both backends. */
static inline db_val db_real(double d) { db_val v = {isnan(d) ? DB_NULL : DB_REAL, 0, d, 0}; return v; }
/* NULL pointer becomes SQL NULL. */
static inline db_val db_text(const char *s) { db_val v = {s ? DB_TEXT : DB_NULL, 0, 0, s}; return v; }
/* -1 ("unknown" in the model) becomes SQL NULL. */
static inline db_val db_int_or_null(int64_t i) { return i < 0 ? db_null() : db_int(i); }

/* A fully fetched result: every cell kept as text (NULL pointer = SQL NULL). */
typedef struct db_rows {
  int nrows;                             /* rows fetched */
  int ncols;                             /* columns per row */
  char **cells;                          /* nrows*ncols cells, row-major, malloc'd strings or NULL */
} db_rows;

typedef struct db db;
typedef struct db_bulk db_bulk;

/* What lost_race() says about the last error. */
enum {
  DB_RACE_NONE = 0,                      /* a real error: report it */
  DB_RACE_UNIQUE = 1,                    /* unique violation or duplicate table (23505, 42P07): a
                                            concurrent writer stored the same rows or created the
                                            same partition first; running again sees its commit */
  DB_RACE_CONFLICT = 2                   /* serialization failure or deadlock (SQLSTATE 40001,
                                            40P01): the server aborted us; run again after a pause */
};

/* Keys of lock_xact(): the space says what is locked, the key which one. */
enum {
  DB_LOCK_SCHEMA = 7335001,              /* key 0: the schema, while it is checked or migrated */
  DB_LOCK_APPLICATION = 7335002,         /* key = hash of the Spark app id: one application's rows */
  DB_LOCK_PARTITION = 7335003            /* key = YYYYMM (0 = undated): creating or dropping that
                                            month's partition of tasks (partition.c) */
};

/* Backend operations. Every function returns 0 or a negative SIC_E* with err filled. */
typedef struct db_ops {
  const char *name;                                              /* "sqlite" | "postgresql" */
  const char *id_type;                                           /* replaces {ID} in schema SQL */
  const char *begin_sql;                                         /* starts a write transaction */
  int (*exec)(db *d, const char *sql, sic_err *err);             /* one or more statements, no params */
  int (*query)(db *d, const char *sql, const db_val *params, int nparams, db_rows **out,
               sic_err *err);                                    /* out may be NULL for statements */
  int (*bulk_begin)(db *d, const char *table, const char *const *cols, int ncols, db_bulk **out,
                    sic_err *err);
  int (*bulk_row)(db_bulk *b, const db_val *vals, sic_err *err); /* ncols values */
  int (*bulk_end)(db_bulk *b, int ok, sic_err *err);             /* ok=0: abandon (after an error) */
  int (*connection_lost)(db *d);                                 /* 1 when the server went away */
  int (*lost_race)(db *d);                                       /* why the last error may go away when
                                                                    the transaction runs again: see
                                                                    DB_RACE_* (0 = it will not) */
  int (*lock_xact)(db *d, int32_t space, int32_t key, sic_err *err); /* exclusive lock on (space, key)
                                                                    until the transaction ends */
  int (*reconnect)(db *d, sic_err *err);                         /* one attempt to reconnect */
  void (*close)(db *d);
} db_ops;

/* Common head of every backend's handle. */
struct db {
  const db_ops *ops;                     /* the backend */
};

int db_open_sqlite(const char *path, db **out, sic_err *err);
int db_open_pg(const char *conninfo, db **out, sic_err *err);

static inline int db_exec(db *d, const char *sql, sic_err *err) { return d->ops->exec(d, sql, err); }
static inline int db_query(db *d, const char *sql, const db_val *p, int n, db_rows **out, sic_err *err) {
  return d->ops->query(d, sql, p, n, out, err);
}
static inline void db_close(db *d) { if (d) d->ops->close(d); }
static inline int db_lock_xact(db *d, int32_t space, int32_t key, sic_err *err) {
  return d->ops->lock_xact(d, space, key, err);
}

void db_rows_free(db_rows *r);
static inline const char *db_cell(const db_rows *r, int row, int col) { return r->cells[row * r->ncols + col]; }
int64_t db_cell_int(const db_rows *r, int row, int col, int64_t if_null);
double db_cell_real(const db_rows *r, int row, int col);   /* NAN when NULL */
char *db_cell_dup(const db_rows *r, int row, int col);     /* malloc'd copy, NULL when NULL */

/* Reorder rows by the text of column col, bytewise (strcmp; NULL first). Backends and
 * collations order text differently (PostgreSQL follows the database's locale), so code that
 * merges sorted results sorts them itself. */
void db_rows_sort(db_rows *r, int col);

/* Helpers shared by the backends. */
db_rows *db_rows_new(int nrows, int ncols);
/* Format a value as text into buf (ints, reals with round-trip precision); returns buf or the
 * borrowed string for DB_TEXT, NULL for DB_NULL. */
const char *db_val_text(const db_val *v, char *buf, size_t n);

#endif
