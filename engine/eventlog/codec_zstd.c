/* zstd decoder (Spark's ZStdCompressionCodec writes plain zstd frames): libzstd streaming,
 * any number of frames, skippable frames skipped by libzstd itself. A frame checksum that
 * does not match is SIC_ECORRUPT; input ending inside a frame is SIC_ETRUNCATED. */
#include "eventlog/codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
/* ZSTD_getFrameHeader and ZSTD_createDStream_advanced live in the "static" section of
 * zstd.h; Debian's libzstd exports them. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

typedef struct zstd_decoder {
  sic_decoder base;       /* shared header, must be first */
  ZSTD_DStream *ds;       /* libzstd streaming state (owned) */
  int at_frame_boundary;  /* 1: the last frame was completely decoded and flushed */
  uint64_t frame_size;    /* content size the current frame declares, or ZSTD_CONTENTSIZE_UNKNOWN */
  uint64_t frame_out;     /* bytes decoded from the current frame so far */
  int64_t frame_at;       /* stored offset where the current frame starts */
} zstd_decoder;

static int zstd_error(zstd_decoder *z, size_t code, size_t at, sic_err *err) {
  ZSTD_ErrorCode e = ZSTD_getErrorCode(code);
  long long off = (long long)(z->base.in_off + (int64_t)at), frame = (long long)z->frame_at;
  if (e == ZSTD_error_checksum_wrong)
    return sic_err_set(err, SIC_ECORRUPT, "zstd frame checksum mismatch in the frame starting at byte %lld", frame);
  if (e == ZSTD_error_prefix_unknown)
    return sic_err_set(err, SIC_EFORMAT, "not a zstd frame at byte %lld", off);
  if (e == ZSTD_error_frameParameter_windowTooLarge)
    return sic_err_set(err, SIC_EUNSUPPORTED,
                       "zstd frame starting at byte %lld needs a window over 128 MB (made with zstd --long?); "
                       "recompress it with a smaller window", frame);
  if (e == ZSTD_error_memory_allocation)
    return sic_err_set(err, SIC_ENOMEM, "zstd: out of memory at byte %lld", off);
  return sic_err_set(err, SIC_ECORRUPT, "zstd: %s in the frame starting at byte %lld", ZSTD_getErrorName(code), frame);
}

/* At a frame start, read the declared content size. libzstd verifies it when a whole frame
 * is decoded in one call but not always when the frame arrives in pieces, so the check is
 * done here to make the result independent of how the input is chunked. Returns 0, 1 when
 * more input is needed to see the header, or SIC_E*. */
static int zstd_frame_start(zstd_decoder *z, const ZSTD_inBuffer *ib, int eof, sic_err *err) {
  ZSTD_frameHeader fh;
  size_t avail = ib->size - ib->pos;
  z->frame_at = z->base.in_off + (int64_t)ib->pos;
  size_t r = ZSTD_getFrameHeader(&fh, (const uint8_t *)ib->src + ib->pos, avail);
  if (ZSTD_isError(r)) return zstd_error(z, r, ib->pos, err);
  if (r > 0) {
    if (!eof) return 1;
    z->frame_size = ZSTD_CONTENTSIZE_UNKNOWN; /* let libzstd report the truncation */
  } else {
    z->frame_size = fh.frameType == ZSTD_frame ? fh.frameContentSize : ZSTD_CONTENTSIZE_UNKNOWN;
  }
  z->frame_out = 0;
  return 0;
}

static int zstd_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  zstd_decoder *z = (zstd_decoder *)d;
  ZSTD_inBuffer ib = {in, in_len, 0};
  ZSTD_outBuffer ob = {out, out_cap, 0};
  int rc = SIC_DEC_MORE;
  while (ob.pos < ob.size) {
    if (ib.pos == ib.size && z->at_frame_boundary) break;
    if (z->at_frame_boundary) {
      int h = zstd_frame_start(z, &ib, eof, err);
      if (h < 0) rc = h;
      if (h) break;
    }
    size_t in_before = ib.pos, out_before = ob.pos;
    size_t r = ZSTD_decompressStream(z->ds, &ob, &ib);
    if (ZSTD_isError(r)) {
      rc = zstd_error(z, r, ib.pos, err);
      break;
    }
    z->frame_out += ob.pos - out_before;
    z->at_frame_boundary = (r == 0);
    if (r == 0 && z->frame_size != ZSTD_CONTENTSIZE_UNKNOWN && z->frame_out != z->frame_size) {
      rc = sic_err_set(err, SIC_ECORRUPT, "zstd frame starting at byte %lld holds %llu bytes but declares %llu",
                       (long long)z->frame_at, (unsigned long long)z->frame_out, (unsigned long long)z->frame_size);
      break;
    }
    if (ib.pos == in_before && ob.pos == out_before) break; /* wants more input */
  }
  *consumed = ib.pos;
  *produced = ob.pos;
  if (rc < 0 || !eof || ib.pos < ib.size) return rc;
  if (z->at_frame_boundary) return SIC_DEC_END;
  if (ob.pos < ob.size)
    return sic_err_set(err, SIC_ETRUNCATED, "zstd stream truncated inside a frame at byte %lld",
                       (long long)(z->base.in_off + (int64_t)ib.pos));
  return SIC_DEC_MORE;
}

static void zstd_destroy(sic_decoder *d) {
  zstd_decoder *z = (zstd_decoder *)d;
  ZSTD_freeDStream(z->ds);
  free(z);
}

static void zstd_reset(sic_decoder *d) {
  zstd_decoder *z = (zstd_decoder *)d;
  ZSTD_DCtx_reset(z->ds, ZSTD_reset_session_only);
  z->at_frame_boundary = 1;
  z->frame_out = 0;
  z->frame_at = 0;
}

static const sic_decoder_ops zstd_ops = {zstd_run, zstd_destroy, zstd_reset};

/* libzstd's own buffers (a window of up to several MiB per stream) are mapped directly.
 * Through malloc, freeing one would raise glibc's mmap threshold to its size for the rest of
 * the process, and every model array below that size would then grow in the heap, where it
 * leaves holes: a zstd load kept about 40% more memory than the same log uncompressed. */
enum { ZSTD_MAP_MIN = 128 * 1024, ZSTD_HDR = 16 /* keeps malloc's 16-byte alignment */ };

static void *zstd_alloc(void *opaque, size_t size) {
  (void)opaque;
  size_t total = size + ZSTD_HDR;
  if (total < size) return NULL;
  uint8_t *p;
  if (total >= ZSTD_MAP_MIN) {
    p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
  } else if (!(p = malloc(total))) {
    return NULL;
  }
  *(size_t *)p = total; /* the size says how it was allocated */
  return p + ZSTD_HDR;
}

static void zstd_free(void *opaque, void *address) {
  (void)opaque;
  if (!address) return;
  uint8_t *p = (uint8_t *)address - ZSTD_HDR;
  size_t total = *(size_t *)p;
  if (total >= ZSTD_MAP_MIN) munmap(p, total);
  else free(p);
}

sic_decoder *sic_decoder_new_zstd(void) {
  zstd_decoder *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->base.ops = &zstd_ops;
  z->at_frame_boundary = 1;
  z->ds = ZSTD_createDStream_advanced((ZSTD_customMem){zstd_alloc, zstd_free, NULL});
  if (!z->ds || ZSTD_isError(ZSTD_initDStream(z->ds))) {
    ZSTD_freeDStream(z->ds);
    free(z);
    return NULL;
  }
  return &z->base;
}
