/* Spark codec framings written with the real libraries (see spark_framing_writer.h). */
#include "eventlog/spark_framing_writer.h"

#include <lz4.h>
#include <lzf.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "core/error.h"

#define LZ4B_SEED 0x9747b28cu
#define LZ4B_MIN_BLOCK 64
#define LZ4B_MAX_BLOCK (32u << 20)

void sic_frame_buf_free(sic_frame_buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

/* Make room for n more bytes; returns where they go, NULL when out of memory. */
static uint8_t *reserve(sic_frame_buf *b, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (!grown) return NULL;
    b->data = grown;
    b->cap = cap;
  }
  return b->data + b->len;
}

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* lz4-java: level = max(0, 32 - numberOfLeadingZeros(blockSize - 1) - 10). */
static int lz4b_level(size_t block_size) {
  int bits = 0;
  for (size_t v = block_size - 1; v; v >>= 1) bits++;
  return bits > 10 ? bits - 10 : 0;
}

static void lz4b_header(uint8_t *h, int method, int level, size_t clen, size_t dlen, uint32_t check) {
  memcpy(h, "LZ4Block", 8);
  h[8] = (uint8_t)(method | level);
  put_le32(h + 9, (uint32_t)clen);
  put_le32(h + 13, (uint32_t)dlen);
  put_le32(h + 17, check);
}

int sic_frame_write_lz4block(sic_frame_buf *out, const void *src, size_t len, size_t block_size) {
  if (block_size < LZ4B_MIN_BLOCK || block_size > LZ4B_MAX_BLOCK) return SIC_EINVAL;
  const uint8_t *in = src;
  int level = lz4b_level(block_size);
  for (size_t off = 0; off < len; off += block_size) {
    size_t n = len - off < block_size ? len - off : block_size;
    uint8_t *h = reserve(out, 21 + (size_t)LZ4_compressBound((int)n));
    if (!h) return SIC_ENOMEM;
    uint32_t check = XXH32(in + off, n, LZ4B_SEED) & 0x0FFFFFFFu;
    int c = LZ4_compress_default((const char *)in + off, (char *)h + 21, (int)n, LZ4_compressBound((int)n));
    if (c > 0 && (size_t)c < n) {
      lz4b_header(h, 0x20, level, (size_t)c, n, check);
      out->len += 21 + (size_t)c;
    } else {
      memcpy(h + 21, in + off, n);
      lz4b_header(h, 0x10, level, n, n, check);
      out->len += 21 + n;
    }
  }
  uint8_t *end = reserve(out, 21);
  if (!end) return SIC_ENOMEM;
  lz4b_header(end, 0x10, level, 0, 0, 0);
  out->len += 21;
  return 0;
}

int sic_frame_write_snappy_java(sic_frame_buf *out, const void *src, size_t len, size_t block_size) {
  if (!block_size) return SIC_EINVAL;
  uint8_t *h = reserve(out, 16);
  if (!h) return SIC_ENOMEM;
  memcpy(h, "\x82SNAPPY\0", 8);
  put_be32(h + 8, 1);
  put_be32(h + 12, 1);
  out->len += 16;
  const char *in = src;
  for (size_t off = 0; off < len; off += block_size) {
    size_t n = len - off < block_size ? len - off : block_size;
    size_t bound = snappy_max_compressed_length(n);
    uint8_t *p = reserve(out, 4 + bound);
    if (!p) return SIC_ENOMEM;
    size_t c = bound;
    if (snappy_compress(in + off, n, (char *)p + 4, &c) != SNAPPY_OK) return SIC_EINVAL;
    put_be32(p, (uint32_t)c);
    out->len += 4 + c;
  }
  return 0;
}

int sic_frame_write_lzf(sic_frame_buf *out, const void *src, size_t len, size_t chunk_size) {
  if (!chunk_size || chunk_size > 0xFFFF) return SIC_EINVAL;
  const uint8_t *in = src;
  for (size_t off = 0; off < len; off += chunk_size) {
    size_t n = len - off < chunk_size ? len - off : chunk_size;
    uint8_t *p = reserve(out, 7 + n);
    if (!p) return SIC_ENOMEM;
    /* Only keep the compressed form when it is strictly smaller, as compress-lzf does. */
    unsigned c = n > 1 ? lzf_compress(in + off, (unsigned)n, p + 7, (unsigned)n - 1) : 0;
    p[0] = 'Z';
    p[1] = 'V';
    if (c) {
      p[2] = 1;
      p[3] = (uint8_t)(c >> 8);
      p[4] = (uint8_t)c;
      p[5] = (uint8_t)(n >> 8);
      p[6] = (uint8_t)n;
      out->len += 7 + c;
    } else {
      p[2] = 0;
      p[3] = (uint8_t)(n >> 8);
      p[4] = (uint8_t)n;
      memcpy(p + 5, in + off, n);
      out->len += 5 + n;
    }
  }
  return 0;
}

int sic_frame_write_zstd(sic_frame_buf *out, const void *src, size_t len, int checksum) {
  size_t bound = ZSTD_compressBound(len);
  uint8_t *p = reserve(out, bound);
  ZSTD_CCtx *cc = ZSTD_createCCtx();
  int rc = SIC_ENOMEM;
  if (!p || !cc) goto done;
  ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  size_t n = ZSTD_compress2(cc, p, bound, src, len);
  rc = SIC_EINVAL;
  if (ZSTD_isError(n)) goto done;
  out->len += n;
  rc = 0;
done:
  ZSTD_freeCCtx(cc);
  return rc;
}

int sic_frame_write_gzip(sic_frame_buf *out, const void *src, size_t len) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return SIC_ENOMEM;
  size_t bound = deflateBound(&zs, (uLong)len) + 32;
  uint8_t *p = reserve(out, bound);
  int rc = SIC_ENOMEM;
  if (!p) goto done;
  zs.next_in = (Bytef *)src;
  zs.avail_in = (uInt)len;
  zs.next_out = p;
  zs.avail_out = (uInt)bound;
  rc = SIC_EINVAL;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) goto done;
  out->len += bound - zs.avail_out;
  rc = 0;
done:
  deflateEnd(&zs);
  return rc;
}
