/* libFuzzer target: the model-file parser (ml/gbdt.c) over arbitrary bytes.
 *
 * Each input is parsed twice: as given (the checksum rejects almost everything), and with its
 * last four bytes replaced by the correct CRC-32 so the field readers and the tree validation
 * see the mutated contents. Oracles: no crash, leak or out-of-bounds read (ASan/UBSan); every
 * error message names the source; a file that parses predicts a finite value for an all-zero
 * and an all-missing row through every booster (every walk ends at a leaf), and writing it
 * back and parsing again gives the same predictions. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ml/gbdt.h"

static void check_parsed(const sic_ml_file *f) {
  for (int32_t i = 0; i < f->nboosters; i++) {
    const sic_gbdt *b = &f->boosters[i];
    float *row = calloc((size_t)b->nfeatures, sizeof *row);
    if (!row) return;
    float zero = sic_gbdt_predict_row(b, row);
    for (int32_t j = 0; j < b->nfeatures; j++) row[j] = NAN;
    float miss = sic_gbdt_predict_row(b, row);
    if (isnan(zero) || isnan(miss)) abort(); /* leaves are finite; sums may overflow to inf only */
    free(row);
  }
  uint8_t *buf = NULL;
  size_t len = 0;
  sic_err err = {0};
  if (sic_ml_file_write(f->boosters, f->nboosters, f->meta, &buf, &len, &err)) return;
  sic_ml_file *g = NULL;
  if (sic_ml_file_parse(buf, len, "rewritten", &g, &err)) abort(); /* what we write we read */
  for (int32_t i = 0; i < f->nboosters; i++) {
    float *row = calloc((size_t)f->boosters[i].nfeatures, sizeof *row);
    if (row && sic_gbdt_predict_row(&f->boosters[i], row) != sic_gbdt_predict_row(&g->boosters[i], row)) abort();
    free(row);
  }
  sic_ml_file_free(g);
  free(buf);
}

static void parse_one(const uint8_t *data, size_t size) {
  sic_err err = {0};
  sic_ml_file *f = NULL;
  if (sic_ml_file_parse(data, size, "fuzz.sic", &f, &err) == 0) {
    check_parsed(f);
    sic_ml_file_free(f);
  } else if (!strstr(err.msg, "fuzz.sic")) {
    abort(); /* an error must name its source */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_one(data, size);
  if (size < 16 || size > (1u << 20)) return 0;
  uint8_t *copy = malloc(size);
  if (!copy) return 0;
  memcpy(copy, data, size);
  uint32_t c = (uint32_t)crc32(0L, copy, (uInt)(size - 4));
  for (int i = 0; i < 4; i++) copy[size - 4 + i] = (uint8_t)(c >> (8 * i));
  parse_one(copy, size);
  free(copy);
  return 0;
}
