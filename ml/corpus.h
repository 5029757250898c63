/* The training corpus: every application attempt of a set of event logs (or of the runs a
 * history store recorded) turned into predictor features (ml/features.h). Part of the ml
 * component; training (ml/eval.h, ml_train) reads it.
 *
 * Ownership: sic_ml_corpus_load and sic_ml_corpus_load_store fill a caller-owned corpus that
 * sic_ml_corpus_free releases (apps included). */
#ifndef SIC_ML_CORPUS_H
#define SIC_ML_CORPUS_H

#include <stdio.h>

#include "ml/features.h"

typedef struct sic_ml_corpus {
  sic_ml_app *apps;                     /* one per application attempt loaded */
  int32_t napps;                        /* entries in apps */
  int32_t nfailed;                      /* logs that could not be loaded (reported to the log stream) */
} sic_ml_corpus;

/* Load every event log under each path (files or directories, recursively). Logs that fail
 * to load are reported on `log` (may be NULL) and counted; an unreadable path is an error. */
int sic_ml_corpus_load(char *const *paths, int npaths, sic_ml_corpus *out, FILE *log, sic_err *err);
/* Load the logs of every run recorded in the history store at url (NULL = default store); runs
 * whose log has moved are reported on `log` and counted in nfailed (ml/corpus.c). */
int sic_ml_corpus_load_store(const char *url, sic_ml_corpus *out, FILE *log, sic_err *err);
void sic_ml_corpus_free(sic_ml_corpus *c);

#endif
