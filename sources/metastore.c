/* The Hive metastore reader (metastore.h): schema check, one read-only snapshot of the matched
 * tables, and the sic.metastore/1 document.
 *
 * Every query is ordered by TBL_ID (then PART_ID), so the document is written by walking the
 * results side by side with one cursor each instead of building an index. Values reach the
 * server as bound parameters (text[] / bigint[] literals), never spliced into SQL. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json/write.h"
#include "sources/metastore.h"
#include "sources/source.h"

/* SQL form of sic_metastore_normalize_location (the two must agree). */
#define NORM(x) \
  "regexp_replace(regexp_replace(regexp_replace(" x ", '^s3[an]://', 's3://'), '^file:(//)?', ''), '/+$', '')"

/* Table parameters worth reading: sizes, counts, statistics, times, provider. Spark's per-column
 * statistics (spark.sql.statistics.colStats.<col>.<stat>) are reduced to column names. */
#define PARAM_FILTER                                                                                   \
  "(\"PARAM_KEY\" IN ('numFiles','totalSize','numRows','rawDataSize','numPartitions',"              \
  "'transient_lastDdlTime','COLUMN_STATS_ACCURATE','spark.sql.sources.provider',"                    \
  "'spark.sql.partitionProvider','spark.sql.create.version','EXTERNAL','last_modified_time') "       \
  "OR (\"PARAM_KEY\" LIKE 'spark.sql.statistics.%' AND (\"PARAM_KEY\" NOT LIKE "                      \
  "'spark.sql.statistics.colStats.%' OR \"PARAM_KEY\" LIKE 'spark.sql.statistics.colStats.%.version')))"

static const char *const required_tables[] = {"DBS", "TBLS", "SDS", "PARTITIONS", "PARTITION_KEYS", "TABLE_PARAMS",
                                              "PARTITION_PARAMS"};

enum { Q_VERSION, Q_TABLES, Q_PARAMS, Q_KEYS, Q_PARTS, Q_PPARAMS, Q_COLSTATS, Q_PCOLSTATS, Q_PCOUNT, Q_COUNT };

/* Partitions read per table by default (the newest by PART_ID): a table with more is reported
 * with its true count (partitions_total) and the newest ones; SIC_METASTORE_MAX_PARTITIONS
 * changes it. A million partitions as one JSON document would not fit an agent's budget. */
enum { DEFAULT_MAX_PARTITIONS = 50000 };

/* The partitions read: the newest max_partitions of each matched table ($1 ids, $2 cap). */
#define PARTS_CTE                                                                                   \
  "WITH parts AS (SELECT * FROM (SELECT p.\"TBL_ID\", p.\"PART_ID\", p.\"PART_NAME\", "            \
  "p.\"CREATE_TIME\", p.\"SD_ID\", row_number() OVER (PARTITION BY p.\"TBL_ID\" ORDER BY "         \
  "p.\"PART_ID\" DESC) AS rn FROM \"PARTITIONS\" p WHERE p.\"TBL_ID\" = ANY($1::bigint[])) x "       \
  "WHERE rn <= $2::bigint) "

/* What one read holds. */
typedef struct ms_read {
  PGconn *conn;        /* the connection (NULL once closed) */
  char *display;       /* the URL without credentials, for messages (owned) */
  PGresult *schema;    /* (table_name, column_name) of the metastore tables present */
  PGresult *res[Q_COUNT]; /* query results, indexed by the Q_* constants above */
  char *ids;           /* bigint[] literal of the matched tables' TBL_IDs (owned) */
} ms_read;


char *sic_metastore_display_url(const char *url) { return sic_uri_display(url ? url : ""); }

int sic_metastore_normalize_location(const char *loc, char *out, size_t cap) {
  if (!loc) loc = "";
  size_t k = 0;
  const char *p = loc;
  if (!strncasecmp(p, "s3a://", 6) || !strncasecmp(p, "s3n://", 6)) {
    if (cap < 6) return -1;
    memcpy(out, "s3://", 5);
    k = 5;
    p += 6;
  } else if (!strncmp(p, "file://", 7)) {
    p += 7;
  } else if (!strncmp(p, "file:", 5)) {
    p += 5;
  }
  size_t n = strlen(p);
  while (n > 0 && p[n - 1] == '/') n--;
  if (k + n + 1 > cap) return -1;
  memcpy(out + k, p, n);
  out[k + n] = 0;
  return (int)(k + n);
}

/* libpq's message on one line, without its trailing newline. */
static int fail_pg(ms_read *r, sic_err *err, int code, const char *what, const char *msg) {
  char text[360];
  snprintf(text, sizeof text, "%s", msg && *msg ? msg : "unknown error");
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = 0;
  for (char *p = text; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
  return sic_err_set(err, code, "metastore %s: %s: %s", r->display, what, text);
}

/* Run sql with up to two parameters; the result stays in *out (cleared by ms_close). */
static int query(ms_read *r, const char *what, const char *sql, int nparams, const char *const *params,
                 PGresult **out, sic_err *err) {
  PGresult *res = PQexecParams(r->conn, sql, nparams, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
    int rc = fail_pg(r, err, SIC_EIO, what, res ? PQresultErrorMessage(res) : PQerrorMessage(r->conn));
    PQclear(res);
    return rc;
  }
  *out = res;
  return 0;
}

static int command(ms_read *r, const char *what, const char *sql, sic_err *err) {
  PGresult *res = NULL;
  int rc = query(r, what, sql, 0, NULL, &res, err);
  PQclear(res);
  return rc;
}

/* A PostgreSQL array literal {"a","b"} of the strings (quotes and backslashes escaped). */
static char *array_literal(const char *const *items, int n) {
  size_t cap = 3;
  for (int i = 0; i < n; i++) cap += 2 * strlen(items[i] ? items[i] : "") + 3;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t k = 0;
  out[k++] = '{';
  for (int i = 0; i < n; i++) {
    if (i) out[k++] = ',';
    out[k++] = '"';
    for (const char *p = items[i] ? items[i] : ""; *p; p++) {
      if (*p == '"' || *p == '\\') out[k++] = '\\';
      out[k++] = *p;
    }
    out[k++] = '"';
  }
  out[k++] = '}';
  out[k] = 0;
  return out;
}

static int has_column(const ms_read *r, const char *table, const char *column) {
  for (int i = 0; i < PQntuples(r->schema); i++)
    if (!strcmp(PQgetvalue(r->schema, i, 0), table) && (!column || !strcmp(PQgetvalue(r->schema, i, 1), column)))
      return 1;
  return 0;
}

/* Which metastore tables exist in the schemas on the search path; a required one missing is an
 * error naming it. */
static int check_schema(ms_read *r, sic_err *err) {
  int rc = query(r, "reading the schema",
                 "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                 "ANY(current_schemas(false)) AND table_name IN ('DBS','TBLS','SDS','SERDES','PARTITIONS',"
                 "'PARTITION_KEYS','TABLE_PARAMS','PARTITION_PARAMS','TAB_COL_STATS','PART_COL_STATS','VERSION')",
                 0, NULL, &r->schema, err);
  if (rc) return rc;
  for (size_t i = 0; i < sizeof required_tables / sizeof required_tables[0]; i++)
    if (!has_column(r, required_tables[i], NULL))
      return sic_err_set(err, SIC_EFORMAT,
                         "metastore %s: the database has no table \"%s\" (a Hive metastore has DBS, TBLS, SDS, "
                         "PARTITIONS, PARTITION_KEYS, TABLE_PARAMS, PARTITION_PARAMS): is this the metastore's "
                         "database, with its schema on the search_path?",
                         r->display, required_tables[i]);
  return 0;
}

/* The tables named or located as asked, and the bigint[] literal of their ids. */
static int read_tables(ms_read *r, const char *names, const char *locations, sic_err *err) {
  int serdes = has_column(r, "SERDES", "SLIB"), catalog = has_column(r, "DBS", "CTLG_NAME");
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SELECT t.\"TBL_ID\", d.\"NAME\", t.\"TBL_NAME\", t.\"TBL_TYPE\", t.\"CREATE_TIME\", s.\"LOCATION\", "
           "s.\"INPUT_FORMAT\", s.\"OUTPUT_FORMAT\", %s, %s FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" "
           "LEFT JOIN \"SDS\" s ON s.\"SD_ID\" = t.\"SD_ID\" %s "
           "WHERE lower(d.\"NAME\") || '.' || lower(t.\"TBL_NAME\") = ANY($1::text[]) OR EXISTS (SELECT 1 FROM "
           "unnest($2::text[]) AS l(loc) WHERE " NORM("s.\"LOCATION\"") " <> '' AND (l.loc = " NORM("s.\"LOCATION\"")
           " OR left(l.loc, length(" NORM("s.\"LOCATION\"") ") + 1) = " NORM("s.\"LOCATION\"") " || '/')) "
           "ORDER BY t.\"TBL_ID\"",
           serdes ? "sr.\"SLIB\"" : "NULL::text", catalog ? "d.\"CTLG_NAME\"" : "NULL::text",
           serdes ? "LEFT JOIN \"SERDES\" sr ON sr.\"SERDE_ID\" = s.\"SERDE_ID\"" : "");
  const char *params[2] = {names, locations};
  int rc = query(r, "reading TBLS, DBS, SDS", sql, 2, params, &r->res[Q_TABLES], err);
  if (rc) return rc;
  int n = PQntuples(r->res[Q_TABLES]);
  size_t cap = 3;
  for (int i = 0; i < n; i++) cap += strlen(PQgetvalue(r->res[Q_TABLES], i, 0)) + 1;
  if (!(r->ids = malloc(cap))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  size_t k = 0;
  r->ids[k++] = '{';
  for (int i = 0; i < n; i++) {
    const char *v = PQgetvalue(r->res[Q_TABLES], i, 0);
    if (i) r->ids[k++] = ',';
    memcpy(r->ids + k, v, strlen(v));
    k += strlen(v);
  }
  r->ids[k++] = '}';
  r->ids[k] = 0;
  return 0;
}

/* Everything else about the matched tables, each result ordered by TBL_ID (then PART_ID). */
static int read_details(ms_read *r, sic_err *err) {
  const char *ids[1] = {r->ids};
  char cap[24];
  const char *env = getenv("SIC_METASTORE_MAX_PARTITIONS");
  long long max_parts = env && *env ? strtoll(env, NULL, 10) : DEFAULT_MAX_PARTITIONS;
  snprintf(cap, sizeof cap, "%lld", max_parts > 0 ? max_parts : (long long)DEFAULT_MAX_PARTITIONS);
  const char *ids_cap[2] = {r->ids, cap};
  int rc = query(r, "reading TABLE_PARAMS",
                 "SELECT \"TBL_ID\", \"PARAM_KEY\", \"PARAM_VALUE\" FROM \"TABLE_PARAMS\" WHERE \"TBL_ID\" = "
                 "ANY($1::bigint[]) AND " PARAM_FILTER " ORDER BY 1, 2",
                 1, ids, &r->res[Q_PARAMS], err);
  if (!rc)
    rc = query(r, "reading PARTITION_KEYS",
               "SELECT \"TBL_ID\", \"PKEY_NAME\", \"PKEY_TYPE\" FROM \"PARTITION_KEYS\" WHERE \"TBL_ID\" = "
               "ANY($1::bigint[]) ORDER BY 1, \"INTEGER_IDX\"",
               1, ids, &r->res[Q_KEYS], err);
  if (!rc)
    rc = query(r, "reading PARTITIONS",
               "SELECT \"TBL_ID\", count(*) FROM \"PARTITIONS\" WHERE \"TBL_ID\" = ANY($1::bigint[]) GROUP BY 1 "
               "ORDER BY 1",
               1, ids, &r->res[Q_PCOUNT], err);
  if (!rc)
    rc = query(r, "reading PARTITIONS",
               PARTS_CTE "SELECT p.\"TBL_ID\", p.\"PART_ID\", p.\"PART_NAME\", p.\"CREATE_TIME\", s.\"LOCATION\", "
               "s.\"INPUT_FORMAT\" FROM parts p LEFT JOIN \"SDS\" s ON s.\"SD_ID\" = p.\"SD_ID\" ORDER BY 1, 2",
               2, ids_cap, &r->res[Q_PARTS], err);
  if (!rc)
    rc = query(r, "reading PARTITION_PARAMS",
               PARTS_CTE "SELECT p.\"TBL_ID\", p.\"PART_ID\", pp.\"PARAM_KEY\", pp.\"PARAM_VALUE\" FROM "
               "\"PARTITION_PARAMS\" pp JOIN parts p ON p.\"PART_ID\" = pp.\"PART_ID\" WHERE " PARAM_FILTER
               " ORDER BY 1, 2, 3",
               2, ids_cap, &r->res[Q_PPARAMS], err);
  if (!rc && has_column(r, "TAB_COL_STATS", "TBL_ID"))
    rc = query(r, "reading TAB_COL_STATS",
               "SELECT \"TBL_ID\", \"COLUMN_NAME\", \"COLUMN_TYPE\", \"NUM_NULLS\", \"NUM_DISTINCTS\", "
               "\"LAST_ANALYZED\" FROM \"TAB_COL_STATS\" WHERE \"TBL_ID\" = ANY($1::bigint[]) ORDER BY 1, 2",
               1, ids, &r->res[Q_COLSTATS], err);
  if (!rc && has_column(r, "PART_COL_STATS", "PART_ID"))
    rc = query(r, "reading PART_COL_STATS",
               PARTS_CTE "SELECT p.\"TBL_ID\", c.\"PART_ID\", max(c.\"LAST_ANALYZED\"), count(*) FROM "
               "\"PART_COL_STATS\" c JOIN parts p ON p.\"PART_ID\" = c.\"PART_ID\" GROUP BY 1, 2 ORDER BY 1, 2",
               2, ids_cap, &r->res[Q_PCOLSTATS], err);
  if (!rc && has_column(r, "VERSION", "SCHEMA_VERSION"))
    rc = query(r, "reading VERSION", "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\" LIMIT 1", 0, NULL,
               &r->res[Q_VERSION], err);
  return rc;
}

/* ---- the document ---- */

/* Rows of one result whose key columns equal the current table (and partition). */
typedef struct cursor {
  PGresult *res;       /* the result walked (NULL: an absent optional table, no rows) */
  int row;             /* next unread row */
} cursor;

static int64_t cell_int(PGresult *res, int row, int col) { return strtoll(PQgetvalue(res, row, col), NULL, 10); }

/* Skip rows whose column col is below id; return the end of the run equal to id (rows
 * [c->row, end) belong to it). outer_col/outer_id: an outer key (the table of a partition's
 * rows) the rows must also have; outer_col -1 for none. */
static int run_of(cursor *c, int col, int64_t id, int outer_col, int64_t outer_id) {
  if (!c->res) return c->row;
  int n = PQntuples(c->res);
  while (c->row < n && (outer_col < 0 || cell_int(c->res, c->row, outer_col) == outer_id) &&
         cell_int(c->res, c->row, col) < id)
    c->row++;
  int end = c->row;
  while (end < n && (outer_col < 0 || cell_int(c->res, end, outer_col) == outer_id) && cell_int(c->res, end, col) == id)
    end++;
  return end;
}

static void kcell(sic_jw *w, const char *key, PGresult *res, int row, int col) {
  sic_jw_key(w, key);
  if (PQgetisnull(res, row, col)) sic_jw_null(w);
  else sic_jw_str(w, PQgetvalue(res, row, col));
}

static void kcell_int(sic_jw *w, const char *key, PGresult *res, int row, int col) {
  sic_jw_key(w, key);
  if (PQgetisnull(res, row, col)) sic_jw_null(w);
  else sic_jw_int(w, cell_int(res, row, col));
}

/* "params": { key: value } and "spark_column_stats": [ col ] from rows [from, to) of res, whose
 * key and value are in columns kc, kc + 1. */
static void write_params(sic_jw *w, PGresult *res, int from, int to, int kc) {
  static const char colstats[] = "spark.sql.statistics.colStats.";
  sic_jw_kobj(w, "params");
  for (int i = from; i < to; i++) {
    const char *k = PQgetvalue(res, i, kc);
    if (strncmp(k, colstats, sizeof colstats - 1)) {
      sic_jw_key(w, k);
      sic_jw_str(w, PQgetisnull(res, i, kc + 1) ? NULL : PQgetvalue(res, i, kc + 1));
    }
  }
  sic_jw_end(w);
  sic_jw_key(w, "spark_column_stats");
  sic_jw_arr(w);
  for (int i = from; i < to; i++) {
    const char *k = PQgetvalue(res, i, kc);
    size_t n = strlen(k);
    if (!strncmp(k, colstats, sizeof colstats - 1) && n > sizeof colstats - 1 + 8)
      sic_jw_strn(w, k + sizeof colstats - 1, n - (sizeof colstats - 1) - 8); /* drop ".version" */
  }
  sic_jw_end(w);
}

static void write_partitions(sic_jw *w, ms_read *r, int64_t tbl, cursor *parts, cursor *pparams, cursor *pstats) {
  sic_jw_key(w, "partitions");
  sic_jw_arr(w);
  int end = run_of(parts, 0, tbl, -1, 0);
  for (; parts->row < end; parts->row++) {
    PGresult *p = parts->res;
    int row = parts->row;
    int64_t part = cell_int(p, row, 1);
    sic_jw_obj(w);
    sic_jw_kint(w, "id", part);
    kcell(w, "name", p, row, 2);
    kcell_int(w, "create_time", p, row, 3);
    kcell(w, "location", p, row, 4);
    kcell(w, "input_format", p, row, 5);
    run_of(pparams, 0, tbl, -1, 0);
    int pend = run_of(pparams, 1, part, 0, tbl);
    write_params(w, r->res[Q_PPARAMS], pparams->row, pend, 2);
    pparams->row = pend;
    run_of(pstats, 0, tbl, -1, 0);
    int send = run_of(pstats, 1, part, 0, tbl);
    if (pstats->row < send) {
      kcell_int(w, "stats_last_analyzed", pstats->res, pstats->row, 2);
      kcell_int(w, "stats_columns", pstats->res, pstats->row, 3);
    }
    pstats->row = send;
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static void write_table(sic_jw *w, ms_read *r, int row, cursor *cur) {
  PGresult *t = r->res[Q_TABLES];
  int64_t id = cell_int(t, row, 0);
  sic_jw_obj(w);
  sic_jw_kint(w, "id", id);
  kcell(w, "db", t, row, 1);
  kcell(w, "name", t, row, 2);
  kcell(w, "type", t, row, 3);
  kcell_int(w, "create_time", t, row, 4);
  kcell(w, "location", t, row, 5);
  kcell(w, "input_format", t, row, 6);
  kcell(w, "output_format", t, row, 7);
  kcell(w, "serde", t, row, 8);
  kcell(w, "catalog", t, row, 9);
  int end = run_of(&cur[Q_PARAMS], 0, id, -1, 0);
  write_params(w, r->res[Q_PARAMS], cur[Q_PARAMS].row, end, 1);
  cur[Q_PARAMS].row = end;
  sic_jw_key(w, "partition_keys");
  sic_jw_arr(w);
  for (end = run_of(&cur[Q_KEYS], 0, id, -1, 0); cur[Q_KEYS].row < end; cur[Q_KEYS].row++) {
    sic_jw_obj(w);
    kcell(w, "name", r->res[Q_KEYS], cur[Q_KEYS].row, 1);
    kcell(w, "type", r->res[Q_KEYS], cur[Q_KEYS].row, 2);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  end = run_of(&cur[Q_PCOUNT], 0, id, -1, 0);
  sic_jw_kint(w, "partitions_total", cur[Q_PCOUNT].row < end ? cell_int(r->res[Q_PCOUNT], cur[Q_PCOUNT].row, 1) : 0);
  write_partitions(w, r, id, &cur[Q_PARTS], &cur[Q_PPARAMS], &cur[Q_PCOLSTATS]);
  sic_jw_key(w, "column_stats");
  if (!r->res[Q_COLSTATS]) sic_jw_null(w); /* the metastore has no TAB_COL_STATS */
  else {
    sic_jw_arr(w);
    PGresult *c = r->res[Q_COLSTATS];
    for (end = run_of(&cur[Q_COLSTATS], 0, id, -1, 0); cur[Q_COLSTATS].row < end; cur[Q_COLSTATS].row++) {
      int i = cur[Q_COLSTATS].row;
      sic_jw_obj(w);
      kcell(w, "column", c, i, 1);
      kcell(w, "type", c, i, 2);
      kcell_int(w, "num_nulls", c, i, 3);
      kcell_int(w, "num_distincts", c, i, 4);
      kcell_int(w, "last_analyzed", c, i, 5);
      sic_jw_end(w);
    }
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static int write_document(ms_read *r, char **json_out, sic_err *err) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.metastore/1");
  sic_jw_kstr(&w, "url", r->display);
  PGresult *v = r->res[Q_VERSION];
  sic_jw_kstr(&w, "version", v && PQntuples(v) > 0 ? PQgetvalue(v, 0, 0) : NULL);
  sic_jw_kobj(&w, "has");
  sic_jw_kbool(&w, "serdes", has_column(r, "SERDES", "SLIB"));
  sic_jw_kbool(&w, "tab_col_stats", r->res[Q_COLSTATS] != NULL);
  sic_jw_kbool(&w, "part_col_stats", r->res[Q_PCOLSTATS] != NULL);
  sic_jw_kbool(&w, "catalogs", has_column(r, "DBS", "CTLG_NAME"));
  sic_jw_end(&w);
  sic_jw_key(&w, "tables");
  sic_jw_arr(&w);
  cursor cur[Q_COUNT];
  for (int q = 0; q < Q_COUNT; q++) cur[q] = (cursor){r->res[q], 0};
  for (int i = 0; i < PQntuples(r->res[Q_TABLES]); i++) write_table(&w, r, i, cur);
  sic_jw_end(&w);
  sic_jw_end(&w);
  int rc = sic_jw_status(&w);
  if (rc) {
    sic_jw_free(&w);
    return sic_err_set(err, rc, "metastore %s: cannot build the document (%s)", r->display, sic_strerror(rc));
  }
  *json_out = sic_jw_take(&w, NULL);
  return *json_out ? 0 : sic_err_set(err, SIC_ENOMEM, "out of memory");
}

/* ---- connection ---- */

static int connect_to(ms_read *r, const char *url, sic_err *err) {
  if (strncasecmp(url, "postgresql://", 13) && strncasecmp(url, "postgres://", 11))
    return sic_err_set(err, SIC_EINVAL,
                       "metastore %s: expected postgresql://USER@HOST:PORT/DATABASE, the metastore's own database "
                       "(a thrift:// metastore service is not read)",
                       r->display);
  /* URL settings come last, so a connect_timeout in the URL wins over ours */
  const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
  const char *const values[] = {"10", "sic metastore", url, NULL};
  r->conn = PQconnectdbParams(keys, values, 1);
  if (!r->conn) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (PQstatus(r->conn) != CONNECTION_OK)
    return fail_pg(r, err, SIC_EIO, "cannot connect (check host, port, database, user and that the server "
                                    "accepts this client)",
                   PQerrorMessage(r->conn));
  /* one consistent, read-only snapshot; a huge metastore cannot hold the analysis for ever */
  int rc = command(r, "session setup", "SET statement_timeout = '120s'", err);
  if (!rc) rc = command(r, "session setup", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
  return rc;
}

static void ms_close(ms_read *r) {
  if (r->conn) PQfinish(r->conn);
  PQclear(r->schema);
  for (int q = 0; q < Q_COUNT; q++) PQclear(r->res[q]);
  free(r->ids);
  free(r->display);
}

int sic_metastore_read(const char *url, const char *const *names, int nnames, const char *const *locations,
                       int nlocations, char **json_out, sic_err *err) {
  *json_out = NULL;
  ms_read r = {0};
  char *names_lit = NULL, *locs_lit = NULL, **norm = NULL;
  int rc = 0;
  if (!url || !*url) return sic_err_set(err, SIC_EINVAL, "metastore: no URL given (postgresql://...)");
  if (!(r.display = sic_uri_display(url))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (nlocations > 0 && !(norm = calloc((size_t)nlocations, sizeof *norm))) goto nomem;
  for (int i = 0; i < nlocations; i++) {
    size_t cap = strlen(locations[i] ? locations[i] : "") + 2;
    if (!(norm[i] = malloc(cap))) goto nomem;
    sic_metastore_normalize_location(locations[i], norm[i], cap);
  }
  names_lit = array_literal(names, nnames);
  locs_lit = array_literal((const char *const *)norm, nlocations);
  if (!names_lit || !locs_lit) goto nomem;
  rc = connect_to(&r, url, err);
  if (!rc) rc = check_schema(&r, err);
  if (!rc) rc = read_tables(&r, names_lit, locs_lit, err);
  if (!rc) rc = read_details(&r, err);
  if (!rc) rc = write_document(&r, json_out, err);
  goto done;
nomem:
  rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
done:
  for (int i = 0; norm && i < nlocations; i++) free(norm[i]);
  free(norm);
  free(names_lit);
  free(locs_lit);
  ms_close(&r);
  return rc;
}
