/* FAISS through sic's C-API path (rag/dense.h -> faiss C API -> shim): approximate vs exact
 * search in the same run. Reports build time, per-query latency on one thread (queries issued
 * one at a time, as `sic ask` does) and recall@10 of each approximate index against the exact
 * (Flat) answer.
 *
 * Data: n unit vectors of d dims with low intrinsic dimension, like text embeddings: x =
 * normalise(A z + noise) with z ~ N(0, diag(1/i)) in L latent dims (--latent L, default 16) and A
 * a random d x L map. Uniformly random vectors in 384 dims have no neighbours worth finding, and a mixture of
 * well separated clusters is trivially easy for IVF (we measured recall 1.0 at nprobe=16), so
 * neither says much; `--mixture` and `--uniform` run those too. Queries are fresh draws from the
 * same distribution, never copies of indexed vectors.
 *
 * usage: bench_rag_faiss [N [D [NQ]]] [--latent L] [--mixture] [--uniform] [--no-hnsw] [--no-ivf]
 *                        [--hnsw FACTORY] [--ef a,b,c,d] [--nprobe a,b,c,d] [--cache DIR]
 *                        (defaults 100000 384 1000, HNSW32, efSearch 16,20,32,64, nprobe 8,16,32,64)
 * --cache keeps built indexes in DIR (keyed by data and parameters) so a sweep of search-time
 * settings does not rebuild an HNSW graph that takes minutes on a small machine.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rag/dense.h"

extern void omp_set_num_threads(int n); /* libgomp, linked through FAISS */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: the one-thread cost of a query even when the machine is shared
 * (wall time on a loaded host includes waiting for a core). */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double last_cpu_ms; /* CPU ms per query of the last search_each */

static int skip_hnsw;          /* --no-hnsw: HNSW build is the slow part on a shared 2-core host */
static int skip_ivf;           /* --no-ivf */
static const char *cache_dir;  /* --cache DIR: reuse built indexes */
static int cache_latent;       /* part of the cache key */

/* Parse "a,b,c" into up to 4 values (0 = unused). */
static void parse_values(const char *s, double *v) {
  for (int i = 0; i < 4; i++) v[i] = 0;
  for (int i = 0; i < 4 && s && *s; i++) {
    v[i] = strtod(s, (char **)&s);
    if (*s == ',') s++;
  }
}


static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double unif(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return ((rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

static void normalize(float *v, int d) {
  double s = 0;
  for (int i = 0; i < d; i++) s += (double)v[i] * v[i];
  for (int i = 0; i < d; i++) v[i] = (float)(v[i] / sqrt(s));
}

/* n vectors around the given centres (spread = noise relative to the centre's norm). */
static void draw(float *x, int64_t n, int d, const float *centres, int nc, double spread) {
  for (int64_t i = 0; i < n; i++) {
    const float *c = centres ? centres + (size_t)(unif() * nc) * d : NULL;
    for (int j = 0; j < d; j++) x[i * d + j] = (float)((c ? c[j] : 0) + spread * gauss() / sqrt(d));
    normalize(x + i * d, d);
  }
}

/* Low-rank data: x = normalise(A z + noise), z in `latent` dims with a decaying spectrum. */
static void draw_lowrank(float *x, int64_t n, int d, const float *a, int latent) {
  double z[64];
  for (int64_t i = 0; i < n; i++) {
    for (int k = 0; k < latent; k++) z[k] = gauss() / sqrt(k + 1.0);
    for (int j = 0; j < d; j++) {
      double v = 0.05 * gauss();
      for (int k = 0; k < latent; k++) v += a[(size_t)j * latent + k] * z[k];
      x[i * d + j] = (float)v;
    }
    normalize(x + i * d, d);
  }
}

static double recall_at10(const int64_t *approx, const int64_t *exact, int nq) {
  long hit = 0;
  for (int q = 0; q < nq; q++)
    for (int i = 0; i < 10; i++)
      for (int j = 0; j < 10; j++) hit += approx[q * 10 + i] >= 0 && approx[q * 10 + i] == exact[q * 10 + j];
  return hit / (10.0 * nq);
}

/* Search queries one at a time; returns ms per query. */
static double search_each(rag_dense *ix, const float *q, int nq, int d, int64_t *labels) {
  float scores[10];
  sic_err err = {0};
  double t0 = now(), c0 = cpu_now();
  for (int i = 0; i < nq; i++)
    if (rag_dense_search(ix, q + (size_t)i * d, 1, 10, scores, labels + i * 10, &err)) {
      fprintf(stderr, "search: %s\n", err.msg);
      exit(1);
    }
  last_cpu_ms = (cpu_now() - c0) * 1e3 / nq;
  return (now() - t0) * 1e3 / nq;
}

/* One approximate configuration: factory string plus a search parameter. */
typedef struct config {
  const char *factory;  /* FAISS factory string */
  const char *param;    /* search-time parameter name */
  double values[4];     /* values to try (0 ends) */
} config;

static config configs[] = {
  {"IVF1024,Flat", "nprobe", {8, 16, 32, 64}},
  {"HNSW32", "efSearch", {16, 20, 32, 64}},
};

/* Build (or load from the cache) an index; returns build seconds (0 when loaded). */
static double build_or_load(const char *label, const float *x, int64_t n, int d, const char *factory, rag_dense **ix) {
  sic_err err = {0};
  char path[1024] = "";
  if (cache_dir) {
    snprintf(path, sizeof path, "%s/%s-%lld-%d-%d-%s.faiss", cache_dir, label, (long long)n, d, cache_latent, factory);
    for (char *p = path + strlen(cache_dir) + 1; *p; p++)
      if (*p == ',') *p = '_';
    if (rag_dense_load(path, ix, &err) == 0) return 0;
  }
  double t0 = now();
  if (rag_dense_build(x, n, d, factory, ix, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  double t = now() - t0;
  if (*path && rag_dense_save(*ix, path, &err)) fprintf(stderr, "cache: %s\n", err.msg);
  return t;
}

static void run(const char *label, const float *x, int64_t n, int d, const float *q, int nq) {
  sic_err err = {0};
  rag_dense *flat = NULL;
  int64_t *exact = malloc(sizeof *exact * nq * 10), *approx = malloc(sizeof *approx * nq * 10);
  double t0 = now();
  if (rag_dense_build(x, n, d, "Flat", &flat, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  double build = now() - t0;
  double ms = search_each(flat, q, nq, d, exact);
  printf("%-8s %-16s %-14s %9.1f s %9.3f ms %9.3f ms %8.3f\n", label, "Flat (exact)", "-", build, ms, last_cpu_ms, 1.0);
  fflush(stdout);
  for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
    if (skip_hnsw && !strncmp(configs[c].factory, "HNSW", 4)) continue;
    if (skip_ivf && !strncmp(configs[c].factory, "IVF", 3)) continue;
    rag_dense *ix = NULL;
    omp_set_num_threads(2); /* building may use both cores; queries are timed on one */
    build = build_or_load(label, x, n, d, configs[c].factory, &ix);
    omp_set_num_threads(1);
    for (int v = 0; v < 4 && configs[c].values[v] > 0; v++) {
      char setting[64];
      snprintf(setting, sizeof setting, "%s=%g", configs[c].param, configs[c].values[v]);
      if (rag_dense_set(ix, configs[c].param, configs[c].values[v], &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
      }
      ms = search_each(ix, q, nq, d, approx);
      printf("%-8s %-16s %-14s %9.1f s %9.3f ms %9.3f ms %8.3f\n", label, configs[c].factory, setting, build, ms,
             last_cpu_ms, recall_at10(approx, exact, nq));
      fflush(stdout);
    }
    rag_dense_free(ix);
  }
  rag_dense_free(flat);
  free(exact);
  free(approx);
}

int main(int argc, char **argv) {
  int64_t n = 100000;
  int d = 384, nq = 1000, uniform = 0, mixture = 0, pos = 0, latent = 16;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--uniform")) uniform = 1;
    else if (!strcmp(argv[i], "--no-hnsw")) skip_hnsw = 1;
    else if (!strcmp(argv[i], "--no-ivf")) skip_ivf = 1;
    else if (!strcmp(argv[i], "--ef") && i + 1 < argc) parse_values(argv[++i], configs[1].values);
    else if (!strcmp(argv[i], "--hnsw") && i + 1 < argc) configs[1].factory = argv[++i];
    else if (!strcmp(argv[i], "--nprobe") && i + 1 < argc) parse_values(argv[++i], configs[0].values);
    else if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache_dir = argv[++i];
    else if (!strcmp(argv[i], "--mixture")) mixture = 1;
    else if (!strcmp(argv[i], "--latent") && i + 1 < argc) latent = atoi(argv[++i]);
    else if (pos == 0) n = atoll(argv[i]), pos++;
    else if (pos == 1) d = atoi(argv[i]), pos++;
    else nq = atoi(argv[i]);
  }
  omp_set_num_threads(1);
  int nc = 2000;
  float *centres = malloc(sizeof(float) * nc * d), *x = malloc(sizeof(float) * n * d), *q = malloc(sizeof(float) * nq * d);
  float *a = malloc(sizeof(float) * d * latent);
  for (int i = 0; i < d * latent; i++) a[i] = (float)(gauss() / sqrt(latent));
  if (latent < 1 || latent > 64) latent = 16;
  cache_latent = latent;
  printf("FAISS search, %lld x %d vectors (latent dims %d), %d queries, k=10, queries on 1 thread\n", (long long)n, d,
         latent, nq);
  printf("%-8s %-16s %-14s %11s %12s %12s %8s\n", "data", "index", "setting", "build", "wall/query", "cpu/query",
         "recall@10");
  draw_lowrank(x, n, d, a, latent);
  draw_lowrank(q, nq, d, a, latent);
  run("lowrank", x, n, d, q, nq);
  if (mixture) {
    draw(centres, nc, d, NULL, 0, sqrt(d));
    draw(x, n, d, centres, nc, 0.9);
    draw(q, nq, d, centres, nc, 0.9);
    run("mixture", x, n, d, q, nq);
  }
  if (uniform) {
    draw(x, n, d, NULL, 0, 1.0);
    draw(q, nq, d, NULL, 0, 1.0);
    run("uniform", x, n, d, q, nq);
  }
  free(a);
  free(centres);
  free(x);
  free(q);
  return 0;
}
