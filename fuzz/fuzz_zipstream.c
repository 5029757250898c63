/* sources/zipstream.c (the History Server /logs zip read as it arrives) on arbitrary bytes.
 * The first byte sets how many bytes each pull hands over (1..256: headers, descriptors and
 * signatures straddle pulls) and how much output each read asks for; the rest is the archive.
 * Every member's data is read to its end, or skipped, by turns.
 * Properties: no crash, no leak, no read past the input; a member reported complete produced
 * exactly the bytes its descriptor or header claims (checked by zipstream itself). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/zipstream.h"

typedef struct fuzz_src {
  const uint8_t *p;     /* archive bytes */
  size_t n;             /* their count */
  size_t pos;           /* bytes handed over */
  size_t step;          /* bytes per pull at most */
} fuzz_src;

static int fuzz_pull(void *ctx, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  fuzz_src *s = ctx;
  size_t k = s->n - s->pos;
  if (k > cap) k = cap;
  if (k > s->step) k = s->step;
  memcpy(buf, s->p + s->pos, k);
  s->pos += k;
  *got = k;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  fuzz_src src = {data + 1, size - 1, 0, (size_t)data[0] + 1};
  size_t out_cap = ((size_t)data[0] % 7 + 1) * 97;
  zip_stream *z = zs_new(fuzz_pull, &src, "fuzz.zip");
  if (!z) return 0;
  uint8_t *out = malloc(out_cap);
  sic_err err;
  const zs_member *m;
  int turn = 0;
  while (out && zs_next(z, &m, &err) == 1) {
    if (turn++ % 2) continue; /* skipped: zs_next drains it */
    size_t got;
    while (zs_read(z, out, out_cap, &got, &err) == 0 && got) {
    }
  }
  free(out);
  zs_free(z);
  return 0;
}
