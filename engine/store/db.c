/* Helpers shared by the store's database backends (see db.h). */
#include "store/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

db_rows *db_rows_new(int nrows, int ncols) {
  db_rows *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->nrows = nrows;
  r->ncols = ncols;
  size_t cells = (size_t)nrows * (size_t)ncols;
  r->cells = calloc(cells ? cells : 1, sizeof *r->cells);
  if (!r->cells) {
    free(r);
    return NULL;
  }
  return r;
}

void db_rows_free(db_rows *r) {
  if (!r) return;
  for (size_t i = 0; i < (size_t)r->nrows * (size_t)r->ncols; i++) free(r->cells[i]);
  free(r->cells);
  free(r);
}

int64_t db_cell_int(const db_rows *r, int row, int col, int64_t if_null) {
  const char *c = db_cell(r, row, col);
  if (!c) return if_null;
  /* SQLite may hand back a real for an aggregate; truncate like a cast would. */
  if (strpbrk(c, ".eE")) return (int64_t)strtod(c, NULL);
  return strtoll(c, NULL, 10);
}

double db_cell_real(const db_rows *r, int row, int col) {
  const char *c = db_cell(r, row, col);
  return c ? strtod(c, NULL) : NAN;
}

char *db_cell_dup(const db_rows *r, int row, int col) {
  const char *c = db_cell(r, row, col);
  return c ? strdup(c) : NULL;
}

/* Decimal text of an int64 (buf of at least 21 bytes). snprintf costs ~10x more, and a COPY of
 * a million task rows formats 20 million integers. */
static const char *i64_text(int64_t v, char *buf, size_t n) {
  if (n < 21) {
    snprintf(buf, n, "%" PRId64, v);
    return buf;
  }
  char tmp[21];
  int len = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[len++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  char *o = buf;
  if (v < 0) *o++ = '-';
  while (len) *o++ = tmp[--len];
  *o = 0;
  return buf;
}

const char *db_val_text(const db_val *v, char *buf, size_t n) {
  switch (v->type) {
  case DB_INT: return i64_text(v->i, buf, n);
  case DB_REAL: snprintf(buf, n, "%.17g", v->d); return buf;
  case DB_TEXT: return v->s;
  default: return NULL;
  }
}

static int cmp_rows(const void *a, const void *b, void *vcol) {
  int col = *(const int *)vcol;
  const char *x = (*(char **const *)a)[col], *y = (*(char **const *)b)[col];
  if (!x || !y) return (x != NULL) - (y != NULL);
  return strcmp(x, y);
}

void db_rows_sort(db_rows *r, int col) {
  if (!r || r->nrows < 2) return;
  char ***rows = malloc((size_t)r->nrows * sizeof *rows);
  char **cells = malloc((size_t)r->nrows * (size_t)r->ncols * sizeof *cells);
  if (!rows || !cells) { /* out of memory: leave the order as it is */
    free(rows);
    free(cells);
    return;
  }
  for (int i = 0; i < r->nrows; i++) rows[i] = r->cells + (size_t)i * r->ncols;
  qsort_r(rows, (size_t)r->nrows, sizeof *rows, cmp_rows, &col);
  for (int i = 0; i < r->nrows; i++) memcpy(cells + (size_t)i * r->ncols, rows[i], (size_t)r->ncols * sizeof *cells);
  free(r->cells);
  r->cells = cells;
  free(rows);
}
