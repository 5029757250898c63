/* Listing a _delta_log directory: commit, checkpoint (classic, multi-part, V2), compacted
 * and .crc files recognised by name; anything else (temporary files, hidden checksums of
 * Hadoop's local file system) is ignored. */
#include <stdlib.h>
#include <string.h>

#include "delta/delta_internal.h"

static int digits(const char *p, int n, int64_t *out) {
  int64_t v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return 1;
}

static int push(void **arr, int64_t *n, int64_t *cap, size_t each) {
  if (*n == *cap) {
    int64_t nc = *cap ? *cap * 2 : 64;
    void *g = realloc(*arr, (size_t)nc * each);
    if (!g) return -1;
    *arr = g;
    *cap = nc;
  }
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_cp(const void *a, const void *b) {
  const dl_cp_file *x = a, *y = b;
  if (x->version != y->version) return (x->version > y->version) - (x->version < y->version);
  return strcmp(x->name, y->name);
}

static int cmp_range(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Classify one name; returns 0 when recognised and recorded. */
static int classify(dl_listing *l, const char *name, int64_t caps[4]) {
  size_t len = strlen(name);
  int64_t v, v2, part, parts;
  if (len < 21 || !digits(name, 20, &v) || name[20] != '.') return 0;
  const char *rest = name + 21;
  if (!strcmp(rest, "json")) {
    if (push((void **)&l->commits, &l->ncommits, &caps[0], sizeof *l->commits)) return -1;
    l->commits[l->ncommits++] = v;
    return 0;
  }
  if (!strcmp(rest, "crc")) {
    if (push((void **)&l->crcs, &l->ncrcs, &caps[3], sizeof *l->crcs)) return -1;
    l->crcs[l->ncrcs++] = v;
    return 0;
  }
  if (strlen(rest) == 35 && digits(rest, 20, &v2) && !strcmp(rest + 20, ".compacted.json")) { /* 20 digits + 15 */
    if (push((void **)&l->compacted, &l->ncompacted, &caps[2], sizeof *l->compacted)) return -1;
    l->compacted[l->ncompacted][0] = v;
    l->compacted[l->ncompacted][1] = v2;
    l->ncompacted++;
    return 0;
  }
  if (strncmp(rest, "checkpoint.", 11)) return 0;
  const char *c = rest + 11;
  dl_cp_file cp = {v, 0, 1, 1, NULL};
  if (!strcmp(c, "parquet")) cp.kind = 1;
  else if (strlen(c) == 29 && digits(c, 10, &part) && c[10] == '.' && digits(c + 11, 10, &parts) && !strcmp(c + 21, ".parquet")) {
    if (part < 1 || parts < 1 || part > parts) return 0;
    cp.kind = 2;
    cp.part = (int)part;
    cp.parts = (int)parts;
  } else if ((len = strlen(c)) > 5 && (!strcmp(c + len - 5, ".json") || (len > 8 && !strcmp(c + len - 8, ".parquet"))) &&
             strchr(c, '.') == c + len - (c[len - 1] == 'n' ? 5 : 8)) {
    cp.kind = 3; /* <version>.checkpoint.<uuid>.json|parquet */
  } else return 0;
  cp.name = strdup(name);
  if (!cp.name || push((void **)&l->cps, &l->ncps, &caps[1], sizeof *l->cps)) { free(cp.name); return -1; }
  l->cps[l->ncps++] = cp;
  return 0;
}

typedef struct list_ctx {
  dl_listing *l;               /* listing being filled */
  int64_t caps[4];             /* capacities of its four arrays */
} list_ctx;

static int on_name(void *user, const char *name) {
  list_ctx *c = user;
  if (name[0] == '.') return 0;
  return classify(c->l, name, c->caps) ? SIC_ENOMEM : 0;
}

int dl_list(const char *logdir, dl_listing *l, sic_err *err) {
  memset(l, 0, sizeof *l);
  list_ctx c = {l, {0, 0, 0, 0}};
  int rc = dl_io_list(logdir, on_name, &c, err);
  if (rc) {
    dl_listing_free(l);
    if (rc == SIC_ENOMEM) sic_err_set(err, SIC_ENOMEM, "%s: out of memory listing the log", logdir);
    return rc;
  }
  if (l->ncommits) qsort(l->commits, (size_t)l->ncommits, sizeof *l->commits, cmp_i64);
  if (l->ncps) qsort(l->cps, (size_t)l->ncps, sizeof *l->cps, cmp_cp);
  if (l->ncompacted) qsort(l->compacted, (size_t)l->ncompacted, sizeof *l->compacted, cmp_range);
  if (l->ncrcs) qsort(l->crcs, (size_t)l->ncrcs, sizeof *l->crcs, cmp_i64);
  return 0;
}

void dl_listing_free(dl_listing *l) {
  for (int64_t i = 0; i < l->ncps; i++) free(l->cps[i].name);
  free(l->cps);
  free(l->commits);
  free(l->compacted);
  free(l->crcs);
  memset(l, 0, sizeof *l);
}
