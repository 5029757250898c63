/* Training corpus: applications loaded from event logs or from the history store's runs
 * (declared in eval.h). */
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "ml/corpus.h"
#include "store/store.h"

/* ---- Corpus ---- */

static int corpus_add(sic_ml_corpus *c, int32_t *cap, const sic_app *app, sic_err *err) {
  if (c->napps == *cap) {
    int32_t nc = *cap ? *cap * 2 : 64;
    sic_ml_app *p = realloc(c->apps, (size_t)nc * sizeof *p);
    if (!p) return sic_err_set(err, SIC_ENOMEM, "out of memory");
    c->apps = p;
    *cap = nc;
  }
  int rc = sic_ml_app_build(app, NULL, &c->apps[c->napps], err);
  if (!rc) c->napps++;
  return rc;
}

/* Add every log under path. strict: an unscannable path is an error (else reported, skipped). */
static int load_path(sic_ml_corpus *out, int32_t *cap, const char *path, int strict, FILE *log, sic_err *err) {
  sic_logsets sets = {0};
  sic_err e = {0};
  int rc = sic_logset_scan(path, &sets, &e);
  if (rc && strict) {
    *err = e;
    return rc;
  }
  if (rc) {
    if (log) fprintf(log, "sic train: skipping %s: %s\n", path, e.msg);
    out->nfailed++;
    return 0;
  }
  for (size_t k = 0; !rc && k < sets.n; k++) {
    sic_app *app = NULL;
    if (sic_app_load(&sets.items[k], NULL, &app, &e)) {
      if (log) fprintf(log, "sic train: skipping %s: %s\n", sets.items[k].path, e.msg);
      out->nfailed++;
      continue;
    }
    rc = corpus_add(out, cap, app, err);
    sic_app_free(app);
  }
  sic_logsets_free(&sets);
  return rc;
}

int sic_ml_corpus_load(char *const *paths, int npaths, sic_ml_corpus *out, FILE *log, sic_err *err) {
  memset(out, 0, sizeof *out);
  int32_t cap = 0;
  for (int i = 0; i < npaths; i++) {
    int rc = load_path(out, &cap, paths[i], 1, log, err);
    if (rc) {
      sic_ml_corpus_free(out);
      return rc;
    }
  }
  sic_ml_fill_history(out->apps, out->napps);
  return 0;
}

/* Every run of every job in the store whose log is still where it was ingested from. */
int sic_ml_corpus_load_store(const char *url, sic_ml_corpus *out, FILE *log, sic_err *err) {
  sic_store *s = NULL;
  sic_store_jobs jobs = {0};
  int32_t cap = 0;
  memset(out, 0, sizeof *out);
  int rc = sic_store_open(url, &s, err);
  if (!rc) rc = sic_store_list_jobs(s, &jobs, err);
  for (size_t j = 0; !rc && j < jobs.n; j++) {
    sic_store_runs runs = {0};
    rc = sic_store_history(s, jobs.keys[j], 0, &runs, err);
    for (size_t k = 0; !rc && k < runs.n; k++)
      if (runs.items[k].source_path && *runs.items[k].source_path)
        rc = load_path(out, &cap, runs.items[k].source_path, 0, log, err);
    sic_store_runs_free(&runs);
  }
  sic_store_jobs_free(&jobs);
  sic_store_close(s);
  if (rc) sic_ml_corpus_free(out);
  else sic_ml_fill_history(out->apps, out->napps);
  return rc;
}

void sic_ml_corpus_free(sic_ml_corpus *c) {
  for (int32_t i = 0; c->apps && i < c->napps; i++) sic_ml_app_free(&c->apps[i]);
  free(c->apps);
  memset(c, 0, sizeof *c);
}

