/* lzf as Spark writes it: compress-lzf's LZFOutputStream chunks.
 *
 * Chunk: 'Z' 'V' type; type 0 (stored): uint16 BE length + raw bytes; type 1 (compressed):
 * uint16 BE compressed length, uint16 BE uncompressed length, then liblzf data. */
#include "eventlog/codec.h"

#include <lzf.h>
#include <stdlib.h>
#include <string.h>

#define LZF_TYPE_STORED 0
#define LZF_TYPE_COMPRESSED 1

typedef struct lzf_decoder {
  sic_decoder base;   /* shared header, must be first */
  sic_staging st;     /* chunk that did not fit the caller's output */
} lzf_decoder;

static size_t read_be16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }

static int lzf_parse(sic_decoder *d, const uint8_t *in, size_t avail, int64_t at, sic_block *b,
                     sic_err *err) {
  if ((avail >= 1 && in[0] != 'Z') || (avail >= 2 && in[1] != 'V'))
    return sic_err_set(err, SIC_EFORMAT, "lzf: no ZV chunk signature at byte %lld", (long long)at);
  if (avail < 3) return 0;
  int type = in[2];
  size_t header = type == LZF_TYPE_STORED ? 5 : 7;
  if (type != LZF_TYPE_STORED && type != LZF_TYPE_COMPRESSED)
    return sic_err_set(err, SIC_ECORRUPT, "lzf: unknown chunk type %d at byte %lld", type, (long long)at);
  if (avail < header) return 0;
  size_t clen = read_be16(in + 3);
  size_t dlen = type == LZF_TYPE_STORED ? clen : read_be16(in + 5);
  if (avail - header < clen) return 0;
  b->unit_len = header + clen;
  b->payload = in + header;
  b->payload_len = clen;
  b->out_len = dlen;
  b->type = type;
  return 1;
}

static int lzf_decode(sic_decoder *d, const sic_block *b, uint8_t *dst, int64_t at, sic_err *err) {
  if (b->type == LZF_TYPE_STORED) {
    memcpy(dst, b->payload, b->out_len);
    return 0;
  }
  unsigned n = b->out_len ? lzf_decompress(b->payload, (unsigned)b->payload_len, dst, (unsigned)b->out_len) : 0;
  if (n != b->out_len)
    return sic_err_set(err, SIC_ECORRUPT, "lzf: corrupt compressed chunk at byte %lld", (long long)at);
  return 0;
}

static const sic_block_codec lzf_codec = {lzf_parse, lzf_decode, "lzf"};

static int lzf_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                   uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  lzf_decoder *z = (lzf_decoder *)d;
  return sic_block_run(d, &lzf_codec, &z->st, in, in_len, eof, consumed, out, out_cap, produced, err);
}

static void lzf_destroy(sic_decoder *d) {
  lzf_decoder *z = (lzf_decoder *)d;
  free(z->st.buf);
  free(z);
}

static void lzf_reset(sic_decoder *d) {
  lzf_decoder *z = (lzf_decoder *)d;
  z->st.len = z->st.pos = 0;
}

static const sic_decoder_ops lzf_ops = {lzf_run, lzf_destroy, lzf_reset};

sic_decoder *sic_decoder_new_lzf(void) {
  lzf_decoder *z = calloc(1, sizeof *z);
  if (z) z->base.ops = &lzf_ops;
  return z ? &z->base : NULL;
}
