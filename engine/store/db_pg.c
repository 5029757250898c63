/* PostgreSQL backend of the history store (see db.h), through libpq.
 *
 * The connection string is anything libpq accepts (URI or key=value); missing parts come from
 * PG* environment variables and ~/.pgpass as libpq always does. Parameters travel as text with
 * PQexecParams, so no value is ever spliced into SQL. Bulk rows use COPY ... FROM STDIN in text
 * format, buffered into large PQputCopyData calls. A dropped connection (server restart, network)
 * is reported through connection_lost() so the caller can reconnect and retry its transaction. */
#include "store/db.h"

#include "core/crashpoint.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COPY_FLUSH_BYTES = 256 * 1024 };

typedef struct db_pg {
  db base;                               /* ops; must be first */
  PGconn *conn;                          /* the connection */
  int lost;                              /* last error was a connection failure (class 08 / 57P) */
  int race;                              /* DB_RACE_* of the last error */
} db_pg;

typedef struct bulk_pg {
  db_pg *d;                              /* owning connection */
  int ncols;                             /* values per row */
  char *buf;                             /* COPY text not yet sent */
  size_t len;                            /* bytes in buf */
  size_t cap;                            /* allocated bytes */
  char table[64];                        /* for messages */
} bulk_pg;

static void quiet_notices(void *arg, const char *message) { (void)arg; (void)message; }

/* Copy libpq's message without its trailing newline into err. */
static int fail_msg(db_pg *d, sic_err *err, const char *what, const char *msg) {
  char text[400];
  snprintf(text, sizeof text, "%s", msg && *msg ? msg : "unknown error");
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = 0;
  /* libpq adds hints on indented lines: keep them, on the same line. */
  for (char *p = text; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
  if (PQstatus(d->conn) == CONNECTION_BAD) d->lost = 1;
  d->race = DB_RACE_NONE;
  return sic_err_set(err, SIC_EIO, "postgresql: %s: %s", what, text);
}

static int fail_res(db_pg *d, PGresult *res, sic_err *err, const char *what) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  /* 08xxx connection exceptions, 57P01..57P03 server shutting down / restarting. */
  if (!res || (state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3)))) d->lost = 1;
  int race = !state                                               ? DB_RACE_NONE
             : !strcmp(state, "23505") || !strcmp(state, "42P07") ? DB_RACE_UNIQUE
             : !strcmp(state, "40001") || !strcmp(state, "40P01") ? DB_RACE_CONFLICT
                                                                 : DB_RACE_NONE;
  int rc = fail_msg(d, err, what, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
  d->race = race;
  PQclear(res);
  return rc;
}

static int session_setup(db_pg *d, sic_err *err) {
  PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
  PGresult *res = PQexec(d->conn, "SET client_min_messages = warning");
  if (PQresultStatus(res) != PGRES_COMMAND_OK) return fail_res(d, res, err, "session setup");
  PQclear(res);
  d->lost = 0;
  return 0;
}

static int pg_exec(db *base, const char *sql, sic_err *err) {
  db_pg *d = (db_pg *)base;
  PGresult *res = PQexec(d->conn, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail_res(d, res, err, "exec");
  PQclear(res);
  return 0;
}

static db_rows *rows_from_result(PGresult *res) {
  int n = PQntuples(res), c = PQnfields(res);
  db_rows *r = db_rows_new(n, c);
  if (!r) return NULL;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < c; j++) {
      if (PQgetisnull(res, i, j)) continue;
      if (!(r->cells[i * c + j] = strdup(PQgetvalue(res, i, j)))) {
        db_rows_free(r);
        return NULL;
      }
    }
  return r;
}

static int pg_query(db *base, const char *sql, const db_val *params, int nparams, db_rows **out,
                    sic_err *err) {
  db_pg *d = (db_pg *)base;
  enum { MAXP = 64 };
  char bufs[MAXP][32];
  const char *values[MAXP];
  if (nparams > MAXP) return sic_err_set(err, SIC_EINVAL, "postgresql: too many parameters (%d)", nparams);
  for (int i = 0; i < nparams; i++) values[i] = db_val_text(&params[i], bufs[i], sizeof bufs[i]);
  PGresult *res = PQexecParams(d->conn, sql, nparams, NULL, values, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail_res(d, res, err, "query");
  int rc = 0;
  if (out && !(*out = rows_from_result(res))) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  PQclear(res);
  return rc;
}

static int pg_bulk_begin(db *base, const char *table, const char *const *cols, int ncols,
                         db_bulk **out, sic_err *err) {
  db_pg *d = (db_pg *)base;
  char sql[2048];
  size_t len = (size_t)snprintf(sql, sizeof sql, "COPY %s(", table);
  for (int i = 0; i < ncols && len < sizeof sql; i++)
    len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", i ? "," : "", cols[i]);
  if (len >= sizeof sql - 32) return sic_err_set(err, SIC_EINVAL, "postgresql: COPY column list too long");
  snprintf(sql + len, sizeof sql - len, ") FROM STDIN");
  PGresult *res = PQexec(d->conn, sql);
  if (PQresultStatus(res) != PGRES_COPY_IN) return fail_res(d, res, err, table);
  PQclear(res);
  bulk_pg *b = calloc(1, sizeof *b);
  if (!b || !(b->buf = malloc(COPY_FLUSH_BYTES + 4096))) {
    free(b);
    PQputCopyEnd(d->conn, "out of memory");
    PQclear(PQgetResult(d->conn));
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  b->d = d;
  b->ncols = ncols;
  b->cap = COPY_FLUSH_BYTES + 4096;
  snprintf(b->table, sizeof b->table, "%s", table);
  *out = (db_bulk *)b;
  return 0;
}

static int reserve(bulk_pg *b, size_t more) {
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap;
  while (cap < b->len + more) cap *= 2;
  char *grown = realloc(b->buf, cap);
  if (!grown) return -1;
  b->buf = grown;
  b->cap = cap;
  return 0;
}

/* Append one field in COPY text format: backslash escapes for \ tab newline CR, \N for NULL. */
static int put_field(bulk_pg *b, const db_val *v) {
  char num[32];
  const char *s = db_val_text(v, num, sizeof num);
  if (!s) {
    if (reserve(b, 2)) return -1;
    memcpy(b->buf + b->len, "\\N", 2);
    b->len += 2;
    return 0;
  }
  size_t n = strlen(s);
  if (reserve(b, 2 * n)) return -1;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    switch (c) {
    case '\\': b->buf[b->len++] = '\\'; b->buf[b->len++] = '\\'; break;
    case '\t': b->buf[b->len++] = '\\'; b->buf[b->len++] = 't'; break;
    case '\n': b->buf[b->len++] = '\\'; b->buf[b->len++] = 'n'; break;
    case '\r': b->buf[b->len++] = '\\'; b->buf[b->len++] = 'r'; break;
    default: b->buf[b->len++] = c;
    }
  }
  return 0;
}

static int flush(bulk_pg *b, sic_err *err) {
  if (!b->len) return 0;
  if (PQputCopyData(b->d->conn, b->buf, (int)b->len) != 1)
    return fail_msg(b->d, err, b->table, PQerrorMessage(b->d->conn));
  b->len = 0;
  sic_crashpoint("store.copy"); /* a COPY is open on the server, rows already sent */
  return 0;
}

static int pg_bulk_row(db_bulk *bb, const db_val *vals, sic_err *err) {
  bulk_pg *b = (bulk_pg *)bb;
  for (int i = 0; i < b->ncols; i++) {
    if (put_field(b, &vals[i]) || reserve(b, 1)) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    b->buf[b->len++] = i + 1 < b->ncols ? '\t' : '\n';
  }
  return b->len >= COPY_FLUSH_BYTES ? flush(b, err) : 0;
}

static int pg_bulk_end(db_bulk *bb, int ok, sic_err *err) {
  bulk_pg *b = (bulk_pg *)bb;
  if (!b) return 0;
  db_pg *d = b->d;
  int rc = ok ? flush(b, err) : 0;
  if (PQputCopyEnd(d->conn, ok && !rc ? NULL : "aborted by sic") != 1 && !rc && ok)
    rc = fail_msg(d, err, b->table, PQerrorMessage(d->conn));
  PGresult *res;
  while ((res = PQgetResult(d->conn))) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && ok && !rc) {
      rc = fail_res(d, res, err, b->table);
      continue;
    }
    PQclear(res);
  }
  if (PQstatus(d->conn) == CONNECTION_BAD) d->lost = 1;
  free(b->buf);
  free(b);
  return rc;
}

static int pg_connection_lost(db *base) {
  db_pg *d = (db_pg *)base;
  return d->lost || PQstatus(d->conn) == CONNECTION_BAD;
}

static int pg_lost_race(db *base) { return ((db_pg *)base)->race; }

/* A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, and by the server when
 * the client vanishes, so a killed writer never leaves it held. */
static int pg_lock_xact(db *base, int32_t space, int32_t key, sic_err *err) {
  db_val v[] = {db_int(space), db_int(key)};
  return pg_query(base, "SELECT pg_advisory_xact_lock($1::integer, $2::integer)", v, 2, NULL, err);
}

static int pg_reconnect(db *base, sic_err *err) {
  db_pg *d = (db_pg *)base;
  PQreset(d->conn);
  if (PQstatus(d->conn) != CONNECTION_OK) return fail_msg(d, err, "reconnect", PQerrorMessage(d->conn));
  return session_setup(d, err);
}

static void pg_close(db *base) {
  db_pg *d = (db_pg *)base;
  PQfinish(d->conn);
  free(d);
}

static const db_ops pg_ops = {
  "postgresql", "BIGSERIAL PRIMARY KEY", "BEGIN",
  pg_exec, pg_query, pg_bulk_begin, pg_bulk_row, pg_bulk_end,
  pg_connection_lost, pg_lost_race, pg_lock_xact, pg_reconnect, pg_close,
};

int db_open_pg(const char *conninfo, db **out, sic_err *err) {
  db_pg *d = calloc(1, sizeof *d);
  if (!d) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  d->base.ops = &pg_ops;
  d->conn = PQconnectdb(conninfo);
  if (!d->conn) {
    free(d);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  int rc = 0;
  if (PQstatus(d->conn) != CONNECTION_OK)
    rc = fail_msg(d, err, "cannot connect", PQerrorMessage(d->conn));
  else
    rc = session_setup(d, err);
  if (rc) {
    pg_close(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}
