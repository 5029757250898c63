/* Generated Delta tables for the C tests: spec/support/gen_delta.py writes one table per log
 * shape into a fresh temporary folder, with the snapshot it expects (its own bookkeeping, not
 * sic's) in expect.tsv: "kind TAB fact TAB value" lines. A clone without ../shared tests the
 * Delta and Parquet readers on these.
 *
 * Ownership: gen_delta_make() fills a gen_delta the caller releases with gen_delta_free(),
 * which also removes the folder. Include after check.h, once per test. */
#ifndef SIC_SPEC_DELTA_FIXTURE_H
#define SIC_SPEC_DELTA_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen_delta {
  char dir[1024];              /* folder holding one table per kind, and expect.tsv */
  char *tsv;                   /* expect.tsv, NUL-terminated (malloc'd) */
  size_t len;                  /* its bytes */
} gen_delta;

/* Run the generator (python3, SIC_SOURCE_DIR). Returns 0, or -1 after saying why. */
__attribute__((unused)) static int gen_delta_make(gen_delta *g) {
  const char *src = getenv("SIC_SOURCE_DIR");
  const char *tmp = getenv("TMPDIR");
  char cmd[4096], path[1200];
  memset(g, 0, sizeof *g);
  snprintf(g->dir, sizeof g->dir, "%s/sic-gen-delta-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g->dir)) { fprintf(stderr, "gen_delta: mkdtemp %s failed\n", g->dir); return -1; }
  snprintf(cmd, sizeof cmd, "python3 '%s/spec/support/gen_delta.py' '%s' >&2", src && *src ? src : ".", g->dir);
  if (system(cmd) != 0) { fprintf(stderr, "gen_delta: %s failed\n", cmd); return -1; }
  snprintf(path, sizeof path, "%s/expect.tsv", g->dir);
  g->tsv = check_read_file(path, &g->len);
  if (!g->tsv) { fprintf(stderr, "gen_delta: no %s\n", path); return -1; }
  return 0;
}

__attribute__((unused)) static void gen_delta_free(gen_delta *g) {
  char cmd[1200];
  free(g->tsv);
  g->tsv = NULL;
  if (!g->dir[0]) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g->dir);
  if (system(cmd) != 0) fprintf(stderr, "gen_delta: could not remove %s\n", g->dir);
}

/* The n-th (0-based) value of fact `key` of table `kind` copied to buf; NULL when absent. */
__attribute__((unused)) static const char *gen_delta_fact_n(const gen_delta *g, const char *kind, const char *key, int n,
                                                             char *buf, size_t cap) {
  size_t kl = strlen(kind), yl = strlen(key);
  for (const char *p = g->tsv; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t ll = nl ? (size_t)(nl - p) : strlen(p);
    /* the value may be empty (no diagnostics): "kind<TAB>key<TAB>" */
    if (ll >= kl + yl + 2 && !memcmp(p, kind, kl) && p[kl] == '\t' && !memcmp(p + kl + 1, key, yl) && p[kl + 1 + yl] == '\t' &&
        n-- == 0) {
      snprintf(buf, cap, "%.*s", (int)(ll - kl - yl - 2), p + kl + yl + 2);
      return buf;
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

__attribute__((unused)) static const char *gen_delta_fact(const gen_delta *g, const char *kind, const char *key, char *buf,
                                                           size_t cap) {
  return gen_delta_fact_n(g, kind, key, 0, buf, cap);
}

/* An integer fact, or `absent` when the table has none. */
__attribute__((unused)) static long long gen_delta_int(const gen_delta *g, const char *kind, const char *key, long long absent) {
  char buf[64];
  return gen_delta_fact(g, kind, key, buf, sizeof buf) ? strtoll(buf, NULL, 10) : absent;
}

/* The i-th (0-based) distinct kind of expect.tsv in buf; NULL past the last. */
__attribute__((unused)) static const char *gen_delta_kind(const gen_delta *g, int i, char *buf, size_t cap) {
  char prev[256] = "";
  for (const char *p = g->tsv; p && *p;) {
    const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
    if (!tab) break;
    snprintf(buf, cap, "%.*s", (int)(tab - p), p);
    if (strcmp(buf, prev)) {
      if (i-- == 0) return buf;
      snprintf(prev, sizeof prev, "%s", buf);
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

#endif
