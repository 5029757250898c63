/* libFuzzer target: the Parquet reader (engine/parquet) over arbitrary bytes.
 *
 * Oracles: nothing crashes or reads out of bounds (ASan); every row the reader hands out is
 * one well-formed JSON object (checked with the JSON scanner); an error always has a message
 * naming the file. Seeds: fuzz/run.sh adds small real Delta checkpoints from the shared data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "parquet/parquet.h"

static int check_row(void *user, int64_t row, const char *json, size_t len) {
  (void)user;
  (void)row;
  sic_jscan s;
  sic_json_init(&s, json, len);
  if (sic_json_peek(&s) != SIC_JT_OBJECT || sic_json_skip(&s) != 0 || sic_json_end(&s) != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees any read past the end */
  if (!buf) return 0;
  memcpy(buf, data, size);
  sic_pq_file *f = NULL;
  sic_err err = {0};
  if (sic_pq_open_mem(buf, size, "fuzz.parquet", &f, &err) == 0) {
    const char *fields[32];
    int n = 0;
    for (int i = 0; i < sic_pq_field_count(f) && n < 32; i++) fields[n++] = sic_pq_field_name(f, i);
    if (sic_pq_read_rows(f, fields, n, check_row, NULL, &err) < 0 && !strstr(err.msg, "fuzz.parquet")) abort();
    sic_pq_close(f);
  } else if (!strstr(err.msg, "fuzz.parquet")) abort();
  free(buf);
  return 0;
}
