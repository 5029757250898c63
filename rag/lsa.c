/* LSA embeddings: TF-IDF + randomized truncated SVD over LAPACK (see lsa.h).
 */
#include "rag/lsa.h"
#include "core/sort.h"

#include <cblas.h>
#include <ctype.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKEN 64
#define MAX_VOCAB 40000
#define OVERSAMPLE 12
#define POWER_ITERS 2

/* ---- tokenizer ---------------------------------------------------------------------- */

static const char *const stop_words[] = {
  "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
  "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "should", "that", "the",
  "their", "then", "there", "these", "this", "to", "was", "what", "when", "where", "which",
  "who", "why", "will", "with", "you", "your", "we", "my", "me", "use", "used", "using", "set",
  "default", "see", "also", "not", "no", "but", "than", "so", "any", "all", "have", "has", "e",
  "g", "eg", "ie", "way", "get"};

static int is_stop(const char *t) {
  for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++)
    if (!strcmp(t, stop_words[i])) return 1;
  return 0;
}

/* Lower-case, drop a plural "s" (not "ss", "us", "is"), skip stop words, then report. */
static void emit_token(const char *s, size_t n, void (*fn)(const char *, size_t, void *), void *ctx) {
  char t[MAX_TOKEN + 1];
  if (n < 2 || n > MAX_TOKEN) return;
  for (size_t i = 0; i < n; i++) t[i] = (char)tolower((unsigned char)s[i]);
  if (n > 3 && t[n - 1] == 's' && !strchr("sui", t[n - 2])) n--;
  t[n] = 0;
  if (is_stop(t)) return;
  fn(t, n, ctx);
}

void rag_tokenize(const char *text, void (*fn)(const char *tok, size_t len, void *ctx), void *ctx) {
  const unsigned char *p = (const unsigned char *)text;
  while (*p) {
    if (!isalnum(*p)) {
      p++;
      continue;
    }
    const unsigned char *start = p;
    int camel = 0;
    while (isalnum(*p)) {
      if (p > start && isupper(*p) && islower(p[-1])) camel = 1;
      p++;
    }
    size_t n = (size_t)(p - start);
    emit_token((const char *)start, n, fn, ctx);
    if (!camel) continue;
    /* maxResultSize -> max, result, size (the whole word was emitted above). */
    const unsigned char *part = start;
    for (const unsigned char *q = start + 1; q <= p; q++) {
      if (q == p || (isupper(*q) && islower(q[-1]))) {
        emit_token((const char *)part, (size_t)(q - part), fn, ctx);
        part = q;
      }
    }
  }
}

/* ---- vocabulary hash ---------------------------------------------------------------- */

/* Growing vocabulary used while training: term strings, document frequency, hash slots. */
typedef struct vocab {
  char **terms;      /* term strings */
  int64_t *df;       /* documents containing the term */
  int64_t *last_doc; /* last document that counted the term (df counted once per doc) */
  int64_t n, cap;    /* terms used / allocated */
  int64_t *slots;    /* term index + 1, 0 = empty */
  int64_t nslots;    /* power of two */
} vocab;

static uint64_t hash_str(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

/* Slot of term (or the empty slot where it belongs). */
static int64_t find_slot(char **terms, const int64_t *slots, int64_t nslots, const char *t, size_t n) {
  int64_t i = (int64_t)(hash_str(t, n) & (uint64_t)(nslots - 1));
  while (slots[i] && !(strlen(terms[slots[i] - 1]) == n && !memcmp(terms[slots[i] - 1], t, n)))
    i = (i + 1) & (nslots - 1);
  return i;
}

static int vocab_grow(vocab *v) {
  int64_t cap = v->cap ? v->cap * 2 : 4096;
  char **terms = realloc(v->terms, cap * sizeof *terms);
  if (!terms) return SIC_ENOMEM;
  v->terms = terms;
  int64_t *df = realloc(v->df, cap * sizeof *df), *last = df ? realloc(v->last_doc, cap * sizeof *last) : NULL;
  if (df) v->df = df;
  if (last) v->last_doc = last;
  if (!df || !last) return SIC_ENOMEM;
  int64_t nslots = cap * 2, *slots = calloc(nslots, sizeof *slots);
  if (!slots) return SIC_ENOMEM;
  for (int64_t i = 0; i < v->n; i++)
    slots[find_slot(v->terms, slots, nslots, v->terms[i], strlen(v->terms[i]))] = i + 1;
  free(v->slots);
  v->slots = slots;
  v->nslots = nslots;
  v->cap = cap;
  return 0;
}

/* Index of term, adding it when new; -1 on ENOMEM. */
static int64_t vocab_id(vocab *v, const char *t, size_t n) {
  if (v->n + 1 > v->cap && vocab_grow(v)) return -1;
  int64_t s = find_slot(v->terms, v->slots, v->nslots, t, n);
  if (v->slots[s]) return v->slots[s] - 1;
  char *copy = strndup(t, n);
  if (!copy) return -1;
  v->terms[v->n] = copy;
  v->df[v->n] = 0;
  v->last_doc[v->n] = -1;
  v->slots[s] = ++v->n;
  return v->n - 1;
}

static void vocab_free(vocab *v) {
  for (int64_t i = 0; i < v->n; i++) free(v->terms[i]);
  free(v->terms);
  free(v->df);
  free(v->last_doc);
  free(v->slots);
}

/* ---- sparse TF-IDF matrix ----------------------------------------------------------- */

/* Compressed sparse rows: documents x terms. */
typedef struct csr {
  int64_t rows, cols;  /* shape */
  int64_t *start;      /* rows + 1 offsets into col/val */
  int32_t *col;        /* term index per entry */
  float *val;          /* tf-idf weight per entry */
} csr;

/* Token ids of one document, collected by the tokenizer callback. */
typedef struct doc_tokens {
  vocab *v;            /* vocabulary being built */
  int64_t doc;         /* document index */
  int64_t *ids;        /* token ids in text order */
  size_t n, cap;       /* used / allocated */
  int failed;          /* ENOMEM seen */
} doc_tokens;

static void collect_token(const char *t, size_t n, void *ctx) {
  doc_tokens *d = ctx;
  if (d->failed) return;
  int64_t id = vocab_id(d->v, t, n);
  if (id < 0 || (d->n == d->cap && !(d->ids = realloc(d->ids, (d->cap = d->cap ? d->cap * 2 : 256) * sizeof *d->ids)))) {
    d->failed = 1;
    return;
  }
  d->ids[d->n++] = id;
  if (d->v->last_doc[id] != d->doc) {
    d->v->last_doc[id] = d->doc;
    d->v->df[id]++;
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Tokenise all texts: per-document sorted token ids (for tf) and the vocabulary with df. */
static int tokenize_all(const char *const *texts, size_t n, vocab *v, int64_t ***ids, size_t **counts) {
  *ids = calloc(n, sizeof **ids);
  *counts = calloc(n, sizeof **counts);
  if (!*ids || !*counts) return SIC_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    doc_tokens d = {.v = v, .doc = (int64_t)i};
    rag_tokenize(texts[i], collect_token, &d);
    if (d.failed) {
      free(d.ids);
      return SIC_ENOMEM;
    }
    sic_qsort(d.ids, d.n, sizeof *d.ids, cmp_i64);
    (*ids)[i] = d.ids;
    (*counts)[i] = d.n;
  }
  return 0;
}

/* Order used to pick the kept vocabulary: most documents first. */
static const int64_t *sort_df;
static int cmp_df_desc(const void *a, const void *b) {
  int64_t x = sort_df[*(const int64_t *)a], y = sort_df[*(const int64_t *)b];
  return (y > x) - (y < x);
}

/* Choose terms (df >= 2 unless the corpus is tiny, at most MAX_VOCAB by df) and build the model
 * vocabulary; remap[old] = new index or -1. */
static int choose_vocab(vocab *v, size_t ndocs, rag_lsa *m, int64_t **remap) {
  int64_t min_df = ndocs >= 50 ? 2 : 1, *order = malloc((v->n + 1) * sizeof *order), kept = 0;
  *remap = malloc((v->n + 1) * sizeof **remap);
  if (!order || !*remap) goto error;
  for (int64_t i = 0; i < v->n; i++) {
    (*remap)[i] = -1;
    if (v->df[i] >= min_df) order[kept++] = i;
  }
  sort_df = v->df;
  sic_qsort(order, kept, sizeof *order, cmp_df_desc);
  if (kept > MAX_VOCAB) kept = MAX_VOCAB;
  m->nterms = kept;
  m->terms = calloc(kept + 1, sizeof *m->terms);
  m->idf = malloc((kept + 1) * sizeof *m->idf);
  if (!m->terms || !m->idf) goto error;
  for (int64_t k = 0; k < kept; k++) {
    int64_t old = order[k];
    (*remap)[old] = k;
    m->terms[k] = v->terms[old];
    v->terms[old] = strdup(""); /* ownership moved to the model */
    if (!v->terms[old]) goto error;
    m->idf[k] = (float)(log((double)(ndocs + 1) / (double)(v->df[old] + 1)) + 1.0);
  }
  free(order);
  return 0;
error:
  free(order);
  return SIC_ENOMEM;
}

/* Build the TF-IDF rows ((1 + ln tf) * idf, L2-normalised) from sorted token ids. */
static int build_csr(int64_t **ids, const size_t *counts, size_t n, const int64_t *remap,
                     const rag_lsa *m, csr *a) {
  size_t nnz = 0;
  for (size_t i = 0; i < n; i++) nnz += counts[i];
  a->rows = (int64_t)n;
  a->cols = m->nterms;
  a->start = malloc((n + 1) * sizeof *a->start);
  a->col = malloc((nnz + 1) * sizeof *a->col);
  a->val = malloc((nnz + 1) * sizeof *a->val);
  if (!a->start || !a->col || !a->val) return SIC_ENOMEM;
  int64_t e = 0;
  for (size_t i = 0; i < n; i++) {
    a->start[i] = e;
    double norm = 0;
    for (size_t j = 0; j < counts[i];) {
      size_t k = j;
      while (k < counts[i] && ids[i][k] == ids[i][j]) k++;
      int64_t t = remap[ids[i][j]];
      if (t >= 0) {
        a->col[e] = (int32_t)t;
        a->val[e] = (float)((1.0 + log((double)(k - j))) * m->idf[t]);
        norm += (double)a->val[e] * a->val[e];
        e++;
      }
      j = k;
    }
    norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
    for (int64_t q = a->start[i]; q < e; q++) a->val[q] = (float)(a->val[q] * norm);
  }
  a->start[n] = e;
  return 0;
}

static void csr_free(csr *a) {
  free(a->start);
  free(a->col);
  free(a->val);
}

/* ---- randomized SVD ----------------------------------------------------------------- */

/* Y (rows x l, row-major) = A X where X is cols x l. */
static void mul_a(const csr *a, const double *x, int l, double *y) {
  memset(y, 0, sizeof *y * (size_t)a->rows * l);
  for (int64_t i = 0; i < a->rows; i++)
    for (int64_t e = a->start[i]; e < a->start[i + 1]; e++)
      cblas_daxpy(l, a->val[e], x + (size_t)a->col[e] * l, 1, y + (size_t)i * l, 1);
}

/* Z (cols x l) = A^T Y where Y is rows x l. */
static void mul_at(const csr *a, const double *y, int l, double *z) {
  memset(z, 0, sizeof *z * (size_t)a->cols * l);
  for (int64_t i = 0; i < a->rows; i++)
    for (int64_t e = a->start[i]; e < a->start[i + 1]; e++)
      cblas_daxpy(l, a->val[e], y + (size_t)i * l, 1, z + (size_t)a->col[e] * l, 1);
}

/* Replace the m x l row-major matrix by an orthonormal basis of its column space. */
static int orthonormalize(double *x, int64_t m, int l) {
  double *tau = malloc(sizeof *tau * l);
  if (!tau) return SIC_ENOMEM;
  int rc = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, l, x, l, tau);
  if (!rc) rc = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, l, l, x, l, tau);
  free(tau);
  return rc ? SIC_EINVAL : 0;
}

/* xorshift + Box-Muller: reproducible Gaussian test matrix without libc rand() state. */
static double gaussian(uint64_t *s) {
  double u[2];
  for (int i = 0; i < 2; i++) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    u[i] = ((*s >> 11) + 0.5) / 9007199254740992.0;
  }
  return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Fill m->proj (nterms x dims) with the top right singular vectors of A. */
static int truncated_svd(const csr *a, rag_lsa *m, int l, uint64_t seed, sic_err *err) {
  int rc = SIC_ENOMEM;
  double *omega = malloc(sizeof(double) * a->cols * l), *y = malloc(sizeof(double) * a->rows * l);
  double *z = malloc(sizeof(double) * a->cols * l), *g = malloc(sizeof(double) * l * l);
  double *w = malloc(sizeof(double) * l);
  m->proj = malloc(sizeof(float) * a->cols * m->dims);
  if (!omega || !y || !z || !g || !w || !m->proj) goto error;
  uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
  for (int64_t i = 0; i < a->cols * l; i++) omega[i] = gaussian(&s);
  mul_a(a, omega, l, y);
  rc = SIC_EINVAL;
  if (orthonormalize(y, a->rows, l)) goto error;
  for (int it = 0; it < POWER_ITERS; it++) { /* sharpen the spectrum: Y = orth(A orth(A^T Y)) */
    mul_at(a, y, l, z);
    if (orthonormalize(z, a->cols, l)) goto error;
    mul_a(a, z, l, y);
    if (orthonormalize(y, a->rows, l)) goto error;
  }
  mul_at(a, y, l, z); /* Z = A^T Q, so B = Z^T and B B^T = Z^T Z */
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l, l, (int)a->cols, 1.0, z, l, z, l, 0.0, g, l);
  if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', l, g, l, w)) goto error;
  /* Eigenvalues ascend: singular vector j uses eigenvector column l-1-j, and
   * V_j = Z u_j / sigma_j; gather the scaled eigenvectors into l x dims and multiply once. */
  for (int j = 0; j < m->dims; j++) {
    int c = l - 1 - j;
    double inv = w[c] > 1e-12 ? 1.0 / sqrt(w[c]) : 0;
    for (int k = 0; k < l; k++) omega[(size_t)k * m->dims + j] = g[(size_t)k * l + c] * inv;
  }
  double *p = malloc(sizeof(double) * a->cols * m->dims);
  if (!p) {
    rc = SIC_ENOMEM;
    goto error;
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a->cols, m->dims, l, 1.0, z, l, omega,
              m->dims, 0.0, p, m->dims);
  for (size_t i = 0; i < (size_t)a->cols * m->dims; i++) m->proj[i] = (float)p[i];
  free(p);
  rc = 0;
error:
  if (rc) sic_err_set(err, rc, "LSA: %s", rc == SIC_ENOMEM ? "out of memory" : "LAPACK factorisation failed");
  free(omega);
  free(y);
  free(z);
  free(g);
  free(w);
  return rc;
}

static void normalize(float *v, int d) {
  double s = 0;
  for (int i = 0; i < d; i++) s += (double)v[i] * v[i];
  if (s <= 0) return;
  float inv = (float)(1.0 / sqrt(s));
  for (int i = 0; i < d; i++) v[i] *= inv;
}

/* Embeddings of the training rows: A V, normalised. */
static int embed_rows(const csr *a, const rag_lsa *m, float **out) {
  float *v = calloc((size_t)a->rows * m->dims + 1, sizeof *v);
  if (!v) return SIC_ENOMEM;
  for (int64_t i = 0; i < a->rows; i++) {
    float *row = v + (size_t)i * m->dims;
    for (int64_t e = a->start[i]; e < a->start[i + 1]; e++)
      cblas_saxpy(m->dims, a->val[e], m->proj + (size_t)a->col[e] * m->dims, 1, row, 1);
    normalize(row, m->dims);
  }
  *out = v;
  return 0;
}

static int build_lookup(rag_lsa *m) {
  m->nslots = 16;
  while (m->nslots < m->nterms * 2) m->nslots *= 2;
  m->slots = calloc(m->nslots, sizeof *m->slots);
  if (!m->slots) return SIC_ENOMEM;
  for (int64_t i = 0; i < m->nterms; i++)
    m->slots[find_slot(m->terms, m->slots, m->nslots, m->terms[i], strlen(m->terms[i]))] = i + 1;
  return 0;
}

int rag_lsa_train(const char *const *texts, size_t n, int dims, uint64_t seed, rag_lsa **out,
                  float **vectors, sic_err *err) {
  vocab v = {0};
  int64_t **ids = NULL, *remap = NULL;
  size_t *counts = NULL;
  csr a = {0};
  rag_lsa *m = calloc(1, sizeof *m);
  int rc = SIC_ENOMEM;
  *out = NULL;
  *vectors = NULL;
  if (!m || tokenize_all(texts, n, &v, &ids, &counts) || choose_vocab(&v, n, m, &remap)) goto error;
  if (build_csr(ids, counts, n, remap, m, &a)) goto error;
  int64_t rank_cap = (int64_t)n < m->nterms ? (int64_t)n : m->nterms;
  if (rank_cap < 2) {
    rc = sic_err_set(err, SIC_EINVAL, "LSA: need at least 2 documents with 2 shared terms (have %zu documents, %lld terms)",
                     n, (long long)m->nterms);
    goto error;
  }
  m->dims = dims > 0 ? dims : 256;
  if (m->dims > rank_cap - 1) m->dims = (int)(rank_cap - 1);
  int l = m->dims + OVERSAMPLE;
  if (l > rank_cap) l = (int)rank_cap;
  if ((rc = truncated_svd(&a, m, l, seed, err))) goto error;
  if ((rc = embed_rows(&a, m, vectors)) || (rc = build_lookup(m))) goto error;
  *out = m;
  m = NULL;
  rc = 0;
error:
  if (rc == SIC_ENOMEM && err && !err->code) sic_err_set(err, rc, "LSA: out of memory");
  for (size_t i = 0; ids && i < n; i++) free(ids[i]);
  free(ids);
  free(counts);
  free(remap);
  csr_free(&a);
  vocab_free(&v);
  rag_lsa_free(m);
  return rc;
}

/* Query-time tf counting: a small dense accumulator keyed by term index. */
typedef struct query_acc {
  const rag_lsa *m;    /* model */
  int64_t ids[512];    /* term indexes seen */
  float tf[512];       /* count per entry of ids */
  int n;               /* entries used */
} query_acc;

static void query_token(const char *t, size_t n, void *ctx) {
  query_acc *q = ctx;
  const rag_lsa *m = q->m;
  int64_t s = find_slot(m->terms, m->slots, m->nslots, t, n);
  if (!m->slots[s]) return;
  int64_t id = m->slots[s] - 1;
  for (int i = 0; i < q->n; i++)
    if (q->ids[i] == id) {
      q->tf[i] += 1;
      return;
    }
  if (q->n < 512) q->ids[q->n] = id, q->tf[q->n++] = 1;
}

int rag_lsa_embed(const rag_lsa *m, const char *text, float *vec) {
  query_acc q = {.m = m};
  memset(vec, 0, sizeof *vec * m->dims);
  rag_tokenize(text, query_token, &q);
  for (int i = 0; i < q.n; i++) {
    float w = (float)((1.0 + log(q.tf[i])) * m->idf[q.ids[i]]);
    cblas_saxpy(m->dims, w, m->proj + (size_t)q.ids[i] * m->dims, 1, vec, 1);
  }
  normalize(vec, m->dims);
  return q.n == 0;
}

/* ---- persistence -------------------------------------------------------------------- */

static const char lsa_magic[8] = "SICLSA1";

int rag_lsa_write(const rag_lsa *m, FILE *f) {
  int32_t dims = m->dims;
  if (fwrite(lsa_magic, 8, 1, f) != 1 || fwrite(&dims, 4, 1, f) != 1 || fwrite(&m->nterms, 8, 1, f) != 1)
    return SIC_EIO;
  for (int64_t i = 0; i < m->nterms; i++) {
    uint16_t len = (uint16_t)strlen(m->terms[i]);
    if (fwrite(&len, 2, 1, f) != 1 || fwrite(m->terms[i], 1, len, f) != len) return SIC_EIO;
  }
  if (fwrite(m->idf, sizeof(float), m->nterms, f) != (size_t)m->nterms) return SIC_EIO;
  size_t np = (size_t)m->nterms * m->dims;
  return fwrite(m->proj, sizeof(float), np, f) == np ? 0 : SIC_EIO;
}

int rag_lsa_read(FILE *f, rag_lsa **out, sic_err *err) {
  char magic[8];
  int32_t dims;
  rag_lsa *m = calloc(1, sizeof *m);
  *out = NULL;
  if (!m) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (fread(magic, 8, 1, f) != 1 || memcmp(magic, lsa_magic, 8) || fread(&dims, 4, 1, f) != 1 ||
      fread(&m->nterms, 8, 1, f) != 1 || dims <= 0 || dims > 4096 || m->nterms <= 0 || m->nterms > 10000000)
    goto bad;
  m->dims = dims;
  m->terms = calloc(m->nterms, sizeof *m->terms);
  m->idf = malloc(sizeof(float) * m->nterms);
  m->proj = malloc(sizeof(float) * m->nterms * m->dims);
  if (!m->terms || !m->idf || !m->proj) goto bad;
  for (int64_t i = 0; i < m->nterms; i++) {
    uint16_t len;
    if (fread(&len, 2, 1, f) != 1 || !(m->terms[i] = malloc(len + 1u)) || fread(m->terms[i], 1, len, f) != len) goto bad;
    m->terms[i][len] = 0;
  }
  size_t np = (size_t)m->nterms * m->dims;
  if (fread(m->idf, sizeof(float), m->nterms, f) != (size_t)m->nterms || fread(m->proj, sizeof(float), np, f) != np)
    goto bad;
  if (build_lookup(m)) goto bad;
  *out = m;
  return 0;
bad:
  rag_lsa_free(m);
  return sic_err_set(err, SIC_EFORMAT, "LSA model: bad magic, header or truncated data");
}

void rag_lsa_free(rag_lsa *m) {
  if (!m) return;
  for (int64_t i = 0; m->terms && i < m->nterms; i++) free(m->terms[i]);
  free(m->terms);
  free(m->idf);
  free(m->proj);
  free(m->slots);
  free(m);
}
