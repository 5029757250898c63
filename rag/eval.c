/* Question-set evaluation (see eval.h). */
#include "rag/eval.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rag/buf.h"

#define EVAL_DEPTH 10

/* 1 when hit answers the question: same document, and either the property row named by
 * "prop:NAME" or a heading path containing the expected section (case-insensitive). */
static int matches(const rag_hit *h, const char *doc, const char *section) {
  char full[4200];
  snprintf(full, sizeof full, "%s/%s", h->source, h->doc);
  if (strcmp(full, doc)) return 0;
  if (!strncmp(section, "prop:", 5)) {
    const char *name = section + 5, *colon = strchr(h->text, ':');
    if (strcmp(h->kind, "property") || !colon) return 0;
    const char *v = colon + 1;
    while (*v == ' ') v++;
    size_t n = strlen(name);
    return !strncmp(v, name, n) && (v[n] == '\n' || v[n] == 0);
  }
  return strcasestr(h->heading, section) != NULL;
}

static double ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Split a line into exactly 4 tab-separated fields (in place). */
static int split4(char *line, char **f) {
  for (int i = 0; i < 4; i++) {
    f[i] = line;
    char *tab = strchr(line, '\t');
    if (i < 3) {
      if (!tab) return 0;
      *tab = 0;
      line = tab + 1;
    } else if (tab) {
      return 0;
    }
  }
  return *f[1] && *f[2] && *f[3];
}

static int eval_one(rag_kb *kb, rag_mode mode, char **f, rag_eval_result *out, FILE *misses, sic_err *err) {
  rag_query q = {.text = f[1], .k = EVAL_DEPTH, .mode = mode};
  rag_hits hits;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = rag_kb_search(kb, &q, &hits, err);
  out->ms_total += ms_since(&t0);
  if (rc) return rc;
  int rank = 0;
  for (size_t i = 0; i < hits.n && !rank; i++)
    if (matches(&hits.v[i], f[2], f[3])) rank = (int)i + 1;
  out->questions++;
  out->hit1 += rank == 1;
  out->hit5 += rank >= 1 && rank <= 5;
  out->mrr += rank ? 1.0 / rank : 0;
  if (misses && (rank == 0 || rank > 5))
    fprintf(misses, "  %s rank %s%d: %s\n    expected %s § %s; got %s/%s § %s\n", f[0], rank ? "" : ">", rank ? rank : EVAL_DEPTH,
            f[1], f[2], f[3], hits.n ? hits.v[0].source : "-", hits.n ? hits.v[0].doc : "-", hits.n ? hits.v[0].heading : "-");
  rag_hits_free(&hits);
  return 0;
}

int rag_eval_file(rag_kb *kb, const char *path, rag_mode mode, rag_eval_result *out, FILE *misses,
                  sic_err *err) {
  memset(out, 0, sizeof *out);
  size_t len;
  char *text = rag_read_file(path, &len);
  if (!text) return sic_err_set(err, SIC_EIO, "%s: cannot read", path);
  int rc = 0, lineno = 0;
  for (char *line = text, *next; line && *line && !rc; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    lineno++;
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r') line[n - 1] = 0;
    if (!*line || line[0] == '#' || !strncmp(line, "id\t", 3)) continue;
    char *f[4];
    if (!split4(line, f)) {
      rc = sic_err_set(err, SIC_EFORMAT, "%s:%d: expected 4 tab-separated fields: id, question, doc, section", path, lineno);
      break;
    }
    rc = eval_one(kb, mode, f, out, misses, err);
  }
  free(text);
  if (out->questions) out->mrr /= out->questions;
  return rc;
}
