/* snappy as Spark writes it: snappy-java's SnappyOutputStream, NOT the snappy framing format.
 *
 * Stream: 16-byte header (magic "\x82SNAPPY\0", int32 BE version, int32 BE minimum
 * compatible version), then blocks of int32 BE compressed length + one raw snappy block.
 * Streams may be concatenated; a header can therefore appear between blocks (its first
 * byte 0x82 would be a negative length, so it is unambiguous). */
#include "eventlog/codec.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#define SNAPPY_MAGIC "\x82SNAPPY\0"
#define SNAPPY_HEADER 16
#define SNAPPY_TYPE_HEADER 0
#define SNAPPY_TYPE_BLOCK 1
/* snappy cannot expand more than ~22x (a 3-byte copy yields at most 64 bytes); a larger
 * claimed size is corruption, and refusing it avoids huge allocations on garbage. */
#define SNAPPY_MAX_RATIO 32

typedef struct snappy_decoder {
  sic_decoder base;   /* shared header, must be first */
  sic_staging st;     /* block that did not fit the caller's output */
  int seen_header;    /* 1: a stream header was read (blocks may follow) */
} snappy_decoder;

static uint32_t read_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int snappy_parse_header(const uint8_t *in, size_t avail, int64_t at, sic_block *b, sic_err *err) {
  if (avail < SNAPPY_HEADER) return 0;
  uint32_t compat = read_be32(in + 12);
  if (compat > 1)
    return sic_err_set(err, SIC_EUNSUPPORTED,
                       "snappy: stream at byte %lld needs reader version %u (this reads 1)",
                       (long long)at, compat);
  b->unit_len = SNAPPY_HEADER;
  b->type = SNAPPY_TYPE_HEADER;
  return 1;
}

static int snappy_parse(sic_decoder *d, const uint8_t *in, size_t avail, int64_t at, sic_block *b,
                        sic_err *err) {
  snappy_decoder *z = (snappy_decoder *)d;
  size_t n = avail < 8 ? avail : 8;
  if (!memcmp(in, SNAPPY_MAGIC, n)) {
    int r = snappy_parse_header(in, avail, at, b, err);
    if (r == 1) z->seen_header = 1;
    return r;
  }
  if (!z->seen_header)
    return sic_err_set(err, SIC_EFORMAT, "snappy: no snappy-java stream header at byte %lld", (long long)at);
  if (avail < 4) return 0;
  uint32_t clen = read_be32(in);
  if (clen > INT32_MAX)
    return sic_err_set(err, SIC_ECORRUPT, "snappy: invalid block length %u at byte %lld", clen, (long long)at);
  if (avail - 4 < clen) return 0;
  size_t dlen = 0;
  if (snappy_uncompressed_length((const char *)in + 4, clen, &dlen) != SNAPPY_OK ||
      dlen > (size_t)clen * SNAPPY_MAX_RATIO + 64)
    return sic_err_set(err, SIC_ECORRUPT, "snappy: corrupt block header at byte %lld", (long long)at);
  b->unit_len = 4 + (size_t)clen;
  b->payload = in + 4;
  b->payload_len = clen;
  b->out_len = dlen;
  b->type = SNAPPY_TYPE_BLOCK;
  return 1;
}

static int snappy_decode(sic_decoder *d, const sic_block *b, uint8_t *dst, int64_t at, sic_err *err) {
  if (b->type == SNAPPY_TYPE_HEADER) return 0;
  size_t n = b->out_len;
  if (snappy_uncompress((const char *)b->payload, b->payload_len, (char *)dst, &n) != SNAPPY_OK ||
      n != b->out_len)
    return sic_err_set(err, SIC_ECORRUPT, "snappy: corrupt block at byte %lld", (long long)at);
  return 0;
}

static const sic_block_codec snappy_codec = {snappy_parse, snappy_decode, "snappy"};

static int snappy_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                      uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  snappy_decoder *z = (snappy_decoder *)d;
  return sic_block_run(d, &snappy_codec, &z->st, in, in_len, eof, consumed, out, out_cap, produced, err);
}

static void snappy_destroy(sic_decoder *d) {
  snappy_decoder *z = (snappy_decoder *)d;
  free(z->st.buf);
  free(z);
}

static void snappy_reset(sic_decoder *d) {
  snappy_decoder *z = (snappy_decoder *)d;
  z->st.len = z->st.pos = 0;
  z->seen_header = 0;
}

static const sic_decoder_ops snappy_ops = {snappy_run, snappy_destroy, snappy_reset};

sic_decoder *sic_decoder_new_snappy(void) {
  snappy_decoder *z = calloc(1, sizeof *z);
  if (z) z->base.ops = &snappy_ops;
  return z ? &z->base : NULL;
}
