/* The Delta-scan example application (see example_log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta/delta.h"
#include "delta/example_log.h"
#include "json/scan.h"
#include "json/write.h"

#define MAX_COLS 256

typedef struct column {
  char name[128];                /* logical column name */
  char type[32];                 /* Spark SQL type for ReadSchema */
} column;

typedef struct filter {
  char column[128];              /* column filtered */
  const char *spark_op;          /* PushedFilters name: EqualTo, GreaterThan, ... or In */
  const char *sql_op;            /* DataFilters operator: =, >, ... or IN */
  char value[256];               /* literal (IN: "a,b,c") */
  int partition;                 /* 1 when the column partitions the table */
} filter;

/* Top-level columns of schemaString (struct fields keep their name; type "struct"). */
static int read_columns(const char *schema, column *cols, int cap) {
  sic_jscan s;
  sic_jiter it, fit, fo;
  sic_jstr k;
  int n = 0;
  if (!schema) return 0;
  sic_json_init(&s, schema, strlen(schema));
  if (sic_json_obj_begin(&s, &it)) return 0;
  while (sic_json_obj_next(&s, &it, &k) > 0) {
    if (!SIC_JSTR_IS(&k, "fields") || sic_json_peek(&s) != SIC_JT_ARRAY) { sic_json_skip(&s); continue; }
    sic_json_arr_begin(&s, &fit);
    while (sic_json_arr_next(&s, &fit) > 0 && n < cap) {
      column c = {"", "string"};
      if (sic_json_peek(&s) != SIC_JT_OBJECT) { sic_json_skip(&s); continue; }
      sic_json_obj_begin(&s, &fo);
      while (sic_json_obj_next(&s, &fo, &k) > 0) {
        sic_jstr v;
        if (SIC_JSTR_IS(&k, "name") && sic_json_peek(&s) == SIC_JT_STRING && !sic_json_str(&s, &v))
          snprintf(c.name, sizeof c.name, "%.*s", (int)v.len, v.p);
        else if (SIC_JSTR_IS(&k, "type") && sic_json_peek(&s) == SIC_JT_STRING && !sic_json_str(&s, &v))
          snprintf(c.type, sizeof c.type, "%.*s", (int)v.len, v.p);
        else if (SIC_JSTR_IS(&k, "type")) { snprintf(c.type, sizeof c.type, "struct"); sic_json_skip(&s); }
        else sic_json_skip(&s);
      }
      if (c.name[0]) cols[n++] = c;
    }
  }
  return n;
}

static int parse_filter(const char *text, const sic_delta_snapshot *snap, const column *cols, int ncols, filter *f,
                        sic_err *err) {
  static const struct { const char *tok, *spark, *sql; } ops[] = {
      {">=", "GreaterThanOrEqual", ">="}, {"<=", "LessThanOrEqual", "<="}, {"=", "EqualTo", "="},
      {">", "GreaterThan", ">"}, {"<", "LessThan", "<"}};
  memset(f, 0, sizeof *f);
  const char *at = NULL;
  size_t i;
  for (i = 0; i < sizeof ops / sizeof *ops && !at; i++)
    if ((at = strstr(text, ops[i].tok)) != NULL) break;
  if (!at || at == text || !at[strlen(ops[i].tok)])
    return sic_err_set(err, SIC_EINVAL, "--filter %s: expected COLUMN OP VALUE with OP one of = > >= < <= (IN: col=[a,b])", text);
  snprintf(f->column, sizeof f->column, "%.*s", (int)(at - text), text);
  const char *v = at + strlen(ops[i].tok);
  f->spark_op = ops[i].spark;
  f->sql_op = ops[i].sql;
  size_t vl = strlen(v);
  if (!strcmp(ops[i].tok, "=") && v[0] == '[' && vl > 1 && v[vl - 1] == ']') {
    f->spark_op = "In";
    f->sql_op = "IN";
    snprintf(f->value, sizeof f->value, "%.*s", (int)(vl - 2), v + 1);
  } else snprintf(f->value, sizeof f->value, "%s", v);
  int known = 0;
  for (int c = 0; c < ncols; c++) known |= !strcmp(cols[c].name, f->column);
  if (!known) return sic_err_set(err, SIC_EINVAL, "--filter %s: the table %s has no column '%s'", text, snap->table, f->column);
  if (snap->partition_columns) {
    char quoted[160];
    snprintf(quoted, sizeof quoted, "\"%s\"", f->column);
    f->partition = strstr(snap->partition_columns, quoted) != NULL;
  }
  return 0;
}

static int col_id(const column *cols, int ncols, const char *name) {
  for (int c = 0; c < ncols; c++)
    if (!strcmp(cols[c].name, name)) return 100 + c;
  return 99;
}

/* The FileScan simpleString Spark 3.5 prints for this scan. */
static void scan_string(char *out, size_t cap, const sic_delta_snapshot *snap, const column *cols, int ncols, const filter *f) {
  char attrs[2048] = "", schema[2048] = "", pred[512], pushed[512];
  for (int c = 0; c < ncols && c < 16; c++) {
    size_t a = strlen(attrs), s = strlen(schema);
    snprintf(attrs + a, sizeof attrs - a, "%s%s#%d", c ? "," : "", cols[c].name, 100 + c);
    snprintf(schema + s, sizeof schema - s, "%s%s:%s", c ? "," : "", cols[c].name, cols[c].type);
  }
  int id = col_id(cols, ncols, f->column);
  if (!strcmp(f->spark_op, "In")) {
    snprintf(pred, sizeof pred, "%s#%d IN (%s)", f->column, id, f->value);
    snprintf(pushed, sizeof pushed, "In(%s, [%s])", f->column, f->value);
  } else {
    snprintf(pred, sizeof pred, "(%s#%d %s %s)", f->column, id, f->sql_op, f->value);
    snprintf(pushed, sizeof pushed, "%s(%s,%s)", f->spark_op, f->column, f->value);
  }
  char data[1024], part[1024], push[1024];
  if (f->partition) {
    snprintf(data, sizeof data, "[]");
    snprintf(part, sizeof part, "[isnotnull(%s#%d), %s]", f->column, id, pred);
    snprintf(push, sizeof push, "[]");
  } else {
    snprintf(data, sizeof data, "[isnotnull(%s#%d), %s]", f->column, id, pred);
    snprintf(part, sizeof part, "[]");
    snprintf(push, sizeof push, "[IsNotNull(%s), %s]", f->column, pushed);
  }
  snprintf(out, cap,
           "FileScan parquet [%s] Batched: true, DataFilters: %s, Format: Parquet, Location: PreparedDeltaFileIndex(1 paths)[file:%s], "
           "PartitionFilters: %s, PushedFilters: %s, ReadSchema: struct<%s>",
           attrs, data, snap->location, part, push, schema);
}

static void line(FILE *fp, sic_jw *w) {
  fwrite(w->buf, 1, w->len, fp);
  fputc('\n', fp);
  sic_jw_reset(w);
}

static void metric(sic_jw *w, const char *name, int64_t id, const char *type) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "name", name);
  sic_jw_kint(w, "accumulatorId", id);
  sic_jw_kstr(w, "metricType", type);
  sic_jw_end(w);
}

/* Open a sparkPlanInfo node and its children array (the caller writes the children). */
static void node_begin(sic_jw *w, const char *name, const char *simple) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "nodeName", name);
  sic_jw_kstr(w, "simpleString", simple);
  sic_jw_key(w, "children");
  sic_jw_arr(w);
}

/* Close a node's children, write its (empty) metadata and open its metrics array. */
static void node_metrics(sic_jw *w) {
  sic_jw_end(w);
  sic_jw_key(w, "metadata");
  sic_jw_obj(w);
  sic_jw_end(w);
  sic_jw_key(w, "metrics");
  sic_jw_arr(w);
}

/* Close a node's metrics and the node. */
static void node_end(sic_jw *w) {
  sic_jw_end(w);
  sic_jw_end(w);
}

static void query(FILE *fp, sic_jw *w, int q, int64_t t0, const sic_delta_snapshot *snap, const column *cols, int ncols,
                  const filter *f) {
  char scan[8192], desc[512];
  scan_string(scan, sizeof scan, snap, cols, ncols, f);
  snprintf(desc, sizeof desc, "SELECT * FROM delta.`%s` WHERE %s %s %s", snap->location, f->column, f->sql_op, f->value);
  int64_t acc = 1000 + 10 * q, start = t0 + q * 60000;
  int64_t scan_ms = snap->bytes / 100000 + 1; /* 100 MB/s */
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart");
  sic_jw_kint(w, "executionId", q);
  sic_jw_kstr(w, "description", desc);
  sic_jw_kstr(w, "details", "org.apache.spark.sql.Dataset.collect(Dataset.scala:3566)");
  sic_jw_kstr(w, "physicalPlanDescription", scan);
  sic_jw_key(w, "sparkPlanInfo");
  node_begin(w, "ColumnarToRow", "ColumnarToRow");
  node_begin(w, "Scan parquet ", scan);
  node_metrics(w);
  metric(w, "number of files read", acc, "sum");
  metric(w, "size of files read", acc + 1, "size");
  metric(w, "scan time", acc + 2, "timing");
  metric(w, "number of output rows", acc + 3, "sum");
  node_end(w);
  node_metrics(w);
  node_end(w);
  sic_jw_kint(w, "time", start);
  sic_jw_end(w);
  line(fp, w);
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates");
  sic_jw_kint(w, "executionId", q);
  sic_jw_key(w, "accumUpdates");
  sic_jw_arr(w);
  int64_t vals[4] = {snap->nfiles, snap->bytes, scan_ms, snap->rows > 0 ? snap->rows : 0};
  for (int i = 0; i < 4; i++) {
    sic_jw_arr(w);
    sic_jw_int(w, acc + i);
    sic_jw_int(w, vals[i]);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  sic_jw_end(w);
  line(fp, w);
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd");
  sic_jw_kint(w, "executionId", q);
  sic_jw_kint(w, "time", start + scan_ms + 500);
  sic_jw_end(w);
  line(fp, w);
}

int sic_gen_delta_write(const char *out_path, const char *table, const char *const *filters, int nfilters,
                        sic_gen_delta_stats *stats, sic_err *err) {
  sic_delta_snapshot *snap = NULL;
  FILE *fp = NULL;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  column *cols = calloc(MAX_COLS, sizeof *cols);
  filter *fs = calloc((size_t)(nfilters > 0 ? nfilters : 1), sizeof *fs);
  int rc = 0;
  if (!cols || !fs) { rc = sic_err_set(err, SIC_ENOMEM, "out of memory"); goto done; }
  if (nfilters < 1) { rc = sic_err_set(err, SIC_EINVAL, "--delta needs at least one --filter COLUMN=VALUE"); goto done; }
  if ((rc = sic_delta_open(table, &snap, err))) goto done;
  if (snap->version < 0 || !snap->schema_string) {
    rc = sic_err_set(err, SIC_EINVAL, "%s: no readable snapshot or schema to scan", table);
    goto done;
  }
  int ncols = read_columns(snap->schema_string, cols, MAX_COLS);
  for (int i = 0; i < nfilters; i++)
    if ((rc = parse_filter(filters[i], snap, cols, ncols, &fs[i], err))) goto done;
  fp = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
  if (!fp) { rc = sic_err_set(err, SIC_EIO, "%s: cannot write", out_path); goto done; }
  int64_t t0 = snap->last_commit_timestamp > 0 ? snap->last_commit_timestamp + 3600000 : 1700000000000;
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "Event", "SparkListenerLogStart");
  sic_jw_kstr(&w, "Spark Version", "3.5.1");
  sic_jw_end(&w);
  line(fp, &w);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "Event", "SparkListenerApplicationStart");
  sic_jw_kstr(&w, "App Name", "delta_table_scans");
  sic_jw_kstr(&w, "App ID", "app-delta-scans-0001");
  sic_jw_kint(&w, "Timestamp", t0);
  sic_jw_kstr(&w, "User", "sic");
  sic_jw_end(&w);
  line(fp, &w);
  for (int i = 0; i < nfilters; i++) query(fp, &w, i, t0, snap, cols, ncols, &fs[i]);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "Event", "SparkListenerApplicationEnd");
  sic_jw_kint(&w, "Timestamp", t0 + (int64_t)nfilters * 60000 + 1000);
  sic_jw_end(&w);
  line(fp, &w);
  if (sic_jw_status(&w)) rc = sic_err_set(err, SIC_ENOMEM, "out of memory writing the log");
  if (stats) {
    stats->queries = nfilters;
    stats->files = snap->nfiles;
    stats->bytes = snap->bytes;
  }
done:
  if (fp && fp != stdout && fclose(fp) && !rc) rc = sic_err_set(err, SIC_EIO, "%s: write failed", out_path);
  if (rc && fp && fp != stdout) remove(out_path);
  sic_delta_free(snap);
  sic_jw_free(&w);
  free(cols);
  free(fs);
  return rc;
}
