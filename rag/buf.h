/* Growable byte buffer and small string helpers shared inside rag/.
 *
 * A rag_buf owns its bytes (free with rag_buf_free); data is always
 * NUL-terminated after any append so it can be used as a C string. Allocation failure is
 * reported by a negative return (SIC_ENOMEM), never by aborting. */
#ifndef SIC_RAG_BUF_H
#define SIC_RAG_BUF_H

#include <stddef.h>

typedef struct rag_buf {
  char *data;   /* bytes, NUL-terminated; NULL until the first append */
  size_t len;   /* bytes used, excluding the NUL */
  size_t cap;   /* bytes allocated */
} rag_buf;

int rag_buf_append(rag_buf *b, const char *s, size_t n);
int rag_buf_puts(rag_buf *b, const char *s);
int rag_buf_printf(rag_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rag_buf_reset(rag_buf *b);
void rag_buf_free(rag_buf *b);
/* Hand the bytes to the caller (malloc'd, "" when empty) and reset b; NULL on ENOMEM. */
char *rag_buf_take(rag_buf *b);

/* Collapse runs of whitespace to one space and trim both ends, in place. */
void rag_squeeze_space(char *s);
/* Read a whole file (NUL-terminated, *len excludes it). NULL on failure (errno set). */
char *rag_read_file(const char *path, size_t *len);
/* Append s as a JSON string literal (quotes included). */
int rag_buf_json_string(rag_buf *b, const char *s);

#endif
