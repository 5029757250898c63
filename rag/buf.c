/* Growable buffer and string helpers for rag/ (see buf.h). */
#include "rag/buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static int reserve(rag_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) return SIC_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int rag_buf_append(rag_buf *b, const char *s, size_t n) {
  if (reserve(b, n)) return SIC_ENOMEM;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

int rag_buf_puts(rag_buf *b, const char *s) { return rag_buf_append(b, s, strlen(s)); }

int rag_buf_printf(rag_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || reserve(b, (size_t)n)) return SIC_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

void rag_buf_reset(rag_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = 0;
}

void rag_buf_free(rag_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *rag_buf_take(rag_buf *b) {
  char *p = b->data ? b->data : strdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void rag_squeeze_space(char *s) {
  char *w = s;
  int pending = 0;
  for (char *r = s; *r; r++) {
    if (isspace((unsigned char)*r)) {
      pending = (w != s);
      continue;
    }
    if (pending) *w++ = ' ';
    pending = 0;
    *w++ = *r;
  }
  *w = 0;
}

char *rag_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  rag_buf b = {0};
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
    if (rag_buf_append(&b, tmp, n)) goto error;
  if (ferror(f)) goto error;
  fclose(f);
  *len = b.len;
  return rag_buf_take(&b);
error:
  fclose(f);
  rag_buf_free(&b);
  return NULL;
}

int rag_buf_json_string(rag_buf *b, const char *s) {
  if (rag_buf_puts(b, "\"")) return SIC_ENOMEM;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    int rc;
    switch (*p) {
    case '"': rc = rag_buf_puts(b, "\\\""); break;
    case '\\': rc = rag_buf_puts(b, "\\\\"); break;
    case '\n': rc = rag_buf_puts(b, "\\n"); break;
    case '\r': rc = rag_buf_puts(b, "\\r"); break;
    case '\t': rc = rag_buf_puts(b, "\\t"); break;
    default:
      rc = *p < 0x20 ? rag_buf_printf(b, "\\u%04x", *p) : rag_buf_append(b, (const char *)p, 1);
    }
    if (rc) return rc;
  }
  return rag_buf_puts(b, "\"");
}
