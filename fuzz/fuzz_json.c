/* libFuzzer target: the JSON scanner over arbitrary bytes.
 *
 * Oracles: nothing crashes or reads out of bounds (ASan); a document the typed walk accepts
 * is also accepted by sic_json_skip, which ends at the same byte; every string unescapes to
 * at most its raw length; an error always carries an offset inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"

static char unescaped[1 << 17];

static int walk(sic_jscan *s, int depth) {
  sic_jiter it;
  sic_jstr k;
  int r, b;
  int64_t v;
  double d;
  switch (sic_json_peek(s)) {
  case SIC_JT_OBJECT:
    if (depth > 200) return sic_json_skip(s);
    sic_json_obj_begin(s, &it);
    while ((r = sic_json_obj_next(s, &it, &k)) > 0) {
      if (k.len <= sizeof unescaped && sic_json_unescape(&k, unescaped) > k.len) abort();
      if (walk(s, depth + 1) < 0) return -1;
    }
    return r;
  case SIC_JT_ARRAY:
    if (depth > 200) return sic_json_skip(s);
    sic_json_arr_begin(s, &it);
    while ((r = sic_json_arr_next(s, &it)) > 0)
      if (walk(s, depth + 1) < 0) return -1;
    return r;
  case SIC_JT_STRING:
    if (sic_json_str(s, &k) < 0) return -1;
    if (k.len <= sizeof unescaped && sic_json_unescape(&k, unescaped) > k.len) abort();
    sic_json_parse_i64(k.p, k.len, &v);
    return 0;
  case SIC_JT_NUMBER: {
    sic_jscan copy = *s;
    if (sic_json_f64(&copy, &d) < 0) return sic_json_i64(s, &v);
    return sic_json_i64(s, &v);
  }
  case SIC_JT_TRUE:
  case SIC_JT_FALSE: return sic_json_bool(s, &b);
  case SIC_JT_NULL: return sic_json_null(s);
  default: return sic_json_skip(s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* exact-size heap copy so ASan sees any read past the end */
  char *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  sic_jscan a, b;
  sic_json_init(&a, buf, size);
  int walked = walk(&a, 0) == 0 && sic_json_end(&a) == 0;
  if (a.err && a.err_off > size) abort();
  sic_json_init(&b, buf, size);
  int skipped = sic_json_skip(&b) == 0;
  if (b.err && b.err_off > size) abort();
  if (walked && !skipped) abort();                 /* skip must accept what reading accepts */
  if (walked && sic_json_end(&b) != 0) abort();    /* ... and stop at the same place */
  free(buf);
  return 0;
}
