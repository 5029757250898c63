/* Row reassembly: the decoded leaf columns of one row group turned back into nested values
 * (structs, maps, lists) through their definition and repetition levels, written as JSON
 * text one row at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_internal.h"

typedef struct jbuf {
  char *p;                     /* text */
  size_t len, cap;             /* used, allocated */
  int oom;                     /* sticky allocation failure */
} jbuf;

typedef struct asm_ctx {
  sic_pq_file *f;              /* file */
  pq_column *cols;             /* decoded columns by leaf ordinal (only projected ones filled) */
  jbuf out;                    /* the row being written */
  sic_err *err;                /* error out */
} asm_ctx;

/* Room for n more bytes and a NUL; 0, or -1 once out of memory (b->oom stays set). */
static int reserve(jbuf *b, size_t n) {
  if (b->oom) return -1;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 4096;
    while (nc < b->len + n + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) { b->oom = 1; return -1; }
    b->p = np;
    b->cap = nc;
  }
  return 0;
}

static void put(jbuf *b, const char *s, size_t n) {
  if (reserve(b, n)) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}
#define PUTS(b, lit) put((b), lit, sizeof(lit) - 1)

static void put_string(jbuf *b, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  /* Reserve the worst case once (every byte a \u00XX escape), then write in place: statistics
   * strings escape every few bytes, and a call per escape would dominate. */
  if (reserve(b, n * 6 + 2)) return;
  char *o = b->p + b->len;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    uint8_t ch = s[i];
    if (ch >= 0x20 && ch != '"' && ch != '\\') { *o++ = (char)ch; continue; }
    *o++ = '\\';
    if (ch == '"' || ch == '\\') { *o++ = (char)ch; continue; }
    *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = hex[ch >> 4]; *o++ = hex[ch & 15];
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(int64_t days, int64_t *y, int *m, int *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static void put_date(jbuf *b, int64_t days) {
  int64_t y; int m, d;
  char s[40];
  civil(days, &y, &m, &d);
  int n = snprintf(s, sizeof s, "\"%04lld-%02d-%02d\"", (long long)y, m, d);
  put(b, s, (size_t)n);
}

static void put_timestamp(jbuf *b, int64_t ms) {
  int64_t days = floordiv(ms, 86400000), rem = ms - days * 86400000;
  int64_t y; int m, d;
  char s[64];
  civil(days, &y, &m, &d);
  int n = snprintf(s, sizeof s, "\"%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ\"", (long long)y, m, d, (int)(rem / 3600000),
                   (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
  put(b, s, (size_t)n);
}

static void put_double(jbuf *b, double v) {
  char s[40];
  if (isnan(v)) { PUTS(b, "\"NaN\""); return; }
  if (isinf(v)) { if (v > 0) PUTS(b, "\"Infinity\""); else PUTS(b, "\"-Infinity\""); return; }
  int n = snprintf(s, sizeof s, "%.17g", v);
  put(b, s, (size_t)n);
}

/* A decimal's unscaled value printed with its scale's digits (no binary noise). */
static void put_decimal(jbuf *b, double unscaled, int scale) {
  char s[64];
  int n = snprintf(s, sizeof s, "%.*f", scale > 30 ? 30 : scale, unscaled / pow(10, scale));
  if (n > 0 && (size_t)n < sizeof s) put(b, s, (size_t)n);
  else PUTS(b, "null");
}

static void put_int(jbuf *b, const pq_node *nd, int64_t v) {
  char s[40];
  if (nd->logical_time == PQ_LT_DATE) { put_date(b, v); return; }
  if (nd->type == PQ_INT96 || nd->logical_time == PQ_LT_TS_MILLIS) { put_timestamp(b, v); return; }
  if (nd->logical_time == PQ_LT_TS_MICROS) { put_timestamp(b, floordiv(v, 1000)); return; }
  if (nd->logical_time == PQ_LT_TS_NANOS) { put_timestamp(b, floordiv(v, 1000000)); return; }
  if (nd->type == PQ_BOOLEAN) { if (v) PUTS(b, "true"); else PUTS(b, "false"); return; }
  if (nd->converted == PQ_CT_DECIMAL && nd->scale > 0) { put_decimal(b, (double)v, nd->scale); return; }
  int n = snprintf(s, sizeof s, "%lld", (long long)v);
  put(b, s, (size_t)n);
}

/* Big-endian two's-complement decimal bytes (at most 16 significant) as a double. */
static void put_decimal_bytes(jbuf *b, const pq_node *nd, pq_bytes v) {
  double acc = 0;
  int neg = v.len && v.p[0] & 0x80;
  for (uint32_t i = 0; i < v.len; i++) acc = acc * 256 + (neg ? (uint8_t)~v.p[i] : v.p[i]);
  if (neg) acc = -(acc + 1);
  put_decimal(b, acc, nd->scale);
}

static pq_column *first_col(asm_ctx *a, int node) {
  const pq_node *n = &a->f->nodes[node];
  for (int i = node; i < n->subtree_end; i++)
    if (a->f->nodes[i].leaf >= 0) return &a->cols[a->f->nodes[i].leaf];
  return NULL;
}

static int afail(asm_ctx *a, int node, const char *what) {
  return sic_err_set(a->err, SIC_EFORMAT, "%s: column %s: %s", a->f->name, a->f->nodes[node].path, what);
}

/* Definition level at the cursor of the subtree's first leaf; -1 when the column ran out. */
static int cur_def(asm_ctx *a, int node) {
  pq_column *c = first_col(a, node);
  if (!c || c->pos >= c->n) return -1;
  return c->def[c->pos];
}

/* Consume one entry of every leaf under node (a null or empty value at node's level). */
static int skip_subtree(asm_ctx *a, int node) {
  const pq_node *n = &a->f->nodes[node];
  for (int i = node; i < n->subtree_end; i++) {
    const pq_node *l = &a->f->nodes[i];
    if (l->leaf < 0) continue;
    pq_column *c = &a->cols[l->leaf];
    if (c->pos >= c->n) return afail(a, i, "fewer level entries than rows");
    if (c->def[c->pos] == l->max_def) c->vpos++;
    c->pos++;
  }
  return 0;
}

static int emit_node(asm_ctx *a, int node, int depth);

static int emit_leaf_value(asm_ctx *a, int node) {
  const pq_node *nd = &a->f->nodes[node];
  pq_column *c = &a->cols[nd->leaf];
  if (c->pos >= c->n || c->vpos >= c->nvalues) return afail(a, node, "fewer values than levels say");
  if (c->dbls) put_double(&a->out, c->dbls[c->vpos]);
  else if (c->bytes) {
    if (nd->converted == PQ_CT_DECIMAL) put_decimal_bytes(&a->out, nd, c->bytes[c->vpos]);
    else put_string(&a->out, c->bytes[c->vpos].p, c->bytes[c->vpos].len);
  } else put_int(&a->out, nd, c->ints[c->vpos]);
  c->pos++;
  c->vpos++;
  return 0;
}

/* Children of a group as a JSON object. */
static int emit_struct(asm_ctx *a, int node, int depth) {
  const pq_node *nd = &a->f->nodes[node];
  PUTS(&a->out, "{");
  int child = nd->first_child;
  for (int k = 0; k < nd->nchildren; k++) {
    const pq_node *cn = &a->f->nodes[child];
    if (k) PUTS(&a->out, ",");
    put_string(&a->out, (const uint8_t *)cn->name, strlen(cn->name));
    PUTS(&a->out, ":");
    int rc = emit_node(a, child, depth + 1);
    if (rc) return rc;
    child = cn->subtree_end;
  }
  PUTS(&a->out, "}");
  return 0;
}

/* One element of a repeated node (its own value, not the repetition). */
static int emit_element(asm_ctx *a, int rep, int as_map, int depth) {
  const pq_node *rn = &a->f->nodes[rep];
  if (rn->leaf >= 0) return emit_leaf_value(a, rep);
  if (as_map) {
    int key = rn->first_child, val = a->f->nodes[key].subtree_end;
    size_t mark = a->out.len;
    int rc = emit_node(a, key, depth + 1);
    if (rc) return rc;
    if (a->out.len > mark && a->out.p[mark] != '"') { /* non-string keys: quote their text */
      size_t n = a->out.len - mark;
      char tmp[64];
      if (n < sizeof tmp) {
        memcpy(tmp, a->out.p + mark, n);
        a->out.len = mark;
        put_string(&a->out, (const uint8_t *)tmp, n);
      }
    }
    PUTS(&a->out, ":");
    return emit_node(a, val, depth + 1);
  }
  if (rn->nchildren == 1) return emit_node(a, rn->first_child, depth + 1);
  return emit_struct(a, rep, depth);
}

/* A repeated node: a JSON array (or object for maps) of its elements in the current row. */
static int emit_repeated(asm_ctx *a, int rep, int as_map, int depth) {
  const pq_node *rn = &a->f->nodes[rep];
  int d = cur_def(a, rep);
  if (d < 0) return afail(a, rep, "fewer level entries than rows");
  if (d < rn->max_def) {
    put(&a->out, as_map ? "{}" : "[]", 2);
    return skip_subtree(a, rep);
  }
  put(&a->out, as_map ? "{" : "[", 1);
  for (int k = 0;; k++) {
    if (k) PUTS(&a->out, ",");
    int rc = emit_element(a, rep, as_map, depth);
    if (rc) return rc;
    pq_column *c = first_col(a, rep);
    if (!c || c->pos >= c->n || !c->rep || c->rep[c->pos] != rn->max_rep) break;
    if (k > 100000000) return afail(a, rep, "runaway repetition");
  }
  put(&a->out, as_map ? "}" : "]", 1);
  return 0;
}

static int emit_node(asm_ctx *a, int node, int depth) {
  const pq_node *nd = &a->f->nodes[node];
  if (depth > 64) return afail(a, node, "nesting too deep");
  if (nd->repetition == PQ_REPEATED) return emit_repeated(a, node, 0, depth);
  int d = cur_def(a, node);
  if (d < 0) return afail(a, node, "fewer level entries than rows");
  if (nd->repetition == PQ_OPTIONAL && d < nd->max_def) {
    PUTS(&a->out, "null");
    return skip_subtree(a, node);
  }
  if (nd->leaf >= 0) return emit_leaf_value(a, node);
  if (nd->nchildren == 1) {
    const pq_node *only = &a->f->nodes[nd->first_child];
    int is_map = nd->converted == PQ_CT_MAP || nd->converted == PQ_CT_MAP_KEY_VALUE;
    if (only->repetition == PQ_REPEATED && is_map && only->nchildren == 2)
      return emit_repeated(a, nd->first_child, 1, depth);
    if (only->repetition == PQ_REPEATED && (nd->converted == PQ_CT_LIST || !is_map))
      return emit_repeated(a, nd->first_child, 0, depth);
  }
  return emit_struct(a, node, depth);
}

/* Top-level child node named `name`, or -1. */
static int top_field(const sic_pq_file *f, const char *name) {
  if (!f->nnodes) return -1;
  int c = f->nodes[0].first_child;
  for (int k = 0; k < f->nodes[0].nchildren; k++) {
    if (!strcmp(f->nodes[c].name, name)) return c;
    c = f->nodes[c].subtree_end;
  }
  return -1;
}

int sic_pq_read_rows(sic_pq_file *f, const char *const *fields, int nfields, sic_pq_row_fn fn, void *user,
                     sic_err *err) {
  asm_ctx a = {f, NULL, {NULL, 0, 0, 0}, err};
  int *tops = calloc((size_t)(nfields > 0 ? nfields : 1), sizeof *tops);
  int ntops = 0, rc = 0;
  a.cols = calloc((size_t)(f->nleaves ? f->nleaves : 1), sizeof *a.cols);
  if (!tops || !a.cols) { rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory", f->name); goto done; }
  for (int i = 0; i < nfields; i++) {
    int t = top_field(f, fields[i]);
    if (t >= 0) tops[ntops++] = t;
  }
  int64_t row = 0;
  for (int g = 0; g < f->ngroups && !rc; g++) {
    for (int k = 0; k < ntops && !rc; k++)
      for (int i = tops[k]; i < f->nodes[tops[k]].subtree_end && !rc; i++)
        if (f->nodes[i].leaf >= 0) rc = pq_read_column(f, g, f->nodes[i].leaf, &a.cols[f->nodes[i].leaf], err);
    for (int64_t r = 0; r < f->groups[g].num_rows && !rc; r++, row++) {
      a.out.len = 0;
      PUTS(&a.out, "{");
      for (int k = 0; k < ntops && !rc; k++) {
        const pq_node *t = &f->nodes[tops[k]];
        if (k) PUTS(&a.out, ",");
        put_string(&a.out, (const uint8_t *)t->name, strlen(t->name));
        PUTS(&a.out, ":");
        rc = emit_node(&a, tops[k], 0);
      }
      PUTS(&a.out, "}");
      if (!rc && a.out.oom) rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory for a row", f->name);
      if (!rc) rc = fn(user, row, a.out.p, a.out.len);
    }
    for (int i = 0; i < f->nleaves; i++) pq_column_free(&a.cols[i]);
  }
done:
  if (a.cols)
    for (int i = 0; i < f->nleaves; i++) pq_column_free(&a.cols[i]);
  free(a.cols);
  free(tops);
  free(a.out.p);
  return rc;
}
