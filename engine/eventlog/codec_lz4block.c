/* lz4 as Spark writes it: lz4-java's LZ4BlockOutputStream, NOT the lz4 frame format.
 *
 * Each block: "LZ4Block" magic (8), token (1: method in the high nibble, 0x10 raw / 0x20
 * LZ4; low nibble = compression level - 10, block size limit 1 << level), compressed length
 * (int32 LE), decompressed length (int32 LE), checksum (int32 LE) = XXH32(decompressed,
 * seed 0x9747b28c) & 0x0FFFFFFF, then the payload. A raw block with both lengths zero ends
 * one stream; streams may follow each other. The validity rules mirror lz4-java's reader,
 * plus: a compressed length beyond LZ4_compressBound(decompressed) is corrupt (so a damaged
 * header cannot make a zip reader buffer gigabytes before failing). */
#include "eventlog/codec.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define LZ4B_HEADER 21
#define LZ4B_METHOD_RAW 0x10
#define LZ4B_METHOD_LZ4 0x20
#define LZ4B_SEED 0x9747b28cu
#define LZ4B_LEVEL_BASE 10

typedef struct lz4b_decoder {
  sic_decoder base;   /* shared header, must be first */
  sic_staging st;     /* block that did not fit the caller's output */
} lz4b_decoder;

static int32_t read_le32(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int lz4b_parse(sic_decoder *d, const uint8_t *in, size_t avail, int64_t at, sic_block *b,
                      sic_err *err) {
  if (avail < LZ4B_HEADER) {
    /* Report a wrong magic as early as possible, even on a short tail. */
    size_t n = avail < 8 ? avail : 8;
    if (memcmp(in, "LZ4Block", n))
      return sic_err_set(err, SIC_EFORMAT, "lz4: no LZ4Block magic at byte %lld", (long long)at);
    return 0;
  }
  if (memcmp(in, "LZ4Block", 8))
    return sic_err_set(err, SIC_EFORMAT, "lz4: no LZ4Block magic at byte %lld", (long long)at);
  int method = in[8] & 0xF0, level = LZ4B_LEVEL_BASE + (in[8] & 0x0F);
  int32_t clen = read_le32(in + 9), dlen = read_le32(in + 13);
  if ((method != LZ4B_METHOD_RAW && method != LZ4B_METHOD_LZ4) || clen < 0 || dlen < 0 ||
      (int64_t)dlen > ((int64_t)1 << level) || (dlen == 0) != (clen == 0) ||
      (method == LZ4B_METHOD_RAW && clen != dlen) ||
      (method == LZ4B_METHOD_LZ4 && clen > LZ4_compressBound(dlen)))
    return sic_err_set(err, SIC_ECORRUPT,
                       "lz4: invalid block header at byte %lld (token 0x%02x, lengths %d/%d)",
                       (long long)at, in[8], (int)clen, (int)dlen);
  if (avail - LZ4B_HEADER < (size_t)clen) return 0;
  b->unit_len = LZ4B_HEADER + (size_t)clen;
  b->payload = in + LZ4B_HEADER;
  b->payload_len = (size_t)clen;
  b->out_len = (size_t)dlen;
  b->type = method;
  b->check = (uint32_t)read_le32(in + 17);
  return 1;
}

static int lz4b_decode(sic_decoder *d, const sic_block *b, uint8_t *dst, int64_t at, sic_err *err) {
  if (b->type == LZ4B_METHOD_RAW) {
    memcpy(dst, b->payload, b->out_len);
  } else {
    int n = LZ4_decompress_safe((const char *)b->payload, (char *)dst, (int)b->payload_len,
                                (int)b->out_len);
    if (n != (int)b->out_len)
      return sic_err_set(err, SIC_ECORRUPT, "lz4: corrupt compressed block at byte %lld", (long long)at);
  }
  uint32_t sum = XXH32(dst, b->out_len, LZ4B_SEED) & 0x0FFFFFFFu;
  if (sum != b->check)
    return sic_err_set(err, SIC_ECORRUPT,
                       "lz4: block checksum mismatch at byte %lld (stored 0x%07x, computed 0x%07x)",
                       (long long)at, b->check, sum);
  return 0;
}

static const sic_block_codec lz4b_codec = {lz4b_parse, lz4b_decode, "lz4"};

static int lz4b_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  lz4b_decoder *z = (lz4b_decoder *)d;
  return sic_block_run(d, &lz4b_codec, &z->st, in, in_len, eof, consumed, out, out_cap, produced, err);
}

static void lz4b_destroy(sic_decoder *d) {
  lz4b_decoder *z = (lz4b_decoder *)d;
  free(z->st.buf);
  free(z);
}

static void lz4b_reset(sic_decoder *d) {
  lz4b_decoder *z = (lz4b_decoder *)d;
  z->st.len = z->st.pos = 0;
}

static const sic_decoder_ops lz4b_ops = {lz4b_run, lz4b_destroy, lz4b_reset};

sic_decoder *sic_decoder_new_lz4block(void) {
  lz4b_decoder *z = calloc(1, sizeof *z);
  if (z) z->base.ops = &lz4b_ops;
  return z ? &z->base : NULL;
}
