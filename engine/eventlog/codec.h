/* Internal to engine/eventlog: streaming decoders, one per codec, behind one interface.
 *
 * A decoder turns stored bytes into decompressed bytes incrementally. The caller owns both
 * the input window and the output buffer; the decoder owns only its own state (and a
 * staging buffer for blocks larger than the caller's output space). Used by stream.c, by
 * the fuzz targets (whole input in memory, eof = 1) and by the tests. */
#ifndef SIC_EVENTLOG_CODEC_H
#define SIC_EVENTLOG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "eventlog/eventlog.h"

typedef struct sic_decoder sic_decoder;

/* Results of sic_decoder_run besides negative SIC_E* codes. */
enum {
  SIC_DEC_MORE = 0, /* call again (with more input if nothing was consumed or produced) */
  SIC_DEC_END = 1   /* eof was given, every input byte consumed, the stream is complete */
};

/* NULL on allocation failure or for a codec this build does not know. */
sic_decoder *sic_decoder_new(sic_codec codec);
void sic_decoder_free(sic_decoder *d);
/* Forget the current stream so the decoder can start another one, keeping its buffers
 * (a zstd context with its window, staging space): cheaper than free + new. */
void sic_decoder_reset(sic_decoder *d);

/* Decode from in[0..in_len) into out[0..out_cap). eof = 1 promises no input follows in.
 * *consumed and *produced report progress. With eof = 0 a call that neither consumes nor
 * produces means the decoder needs a longer input window (a whole block header or block).
 * Errors leave err->msg naming the stored byte offset (the caller prefixes the file name);
 * bytes produced by that same call are still valid and must be delivered first. */
int sic_decoder_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err);

/* Stored bytes consumed so far (the offset error messages refer to). */
int64_t sic_decoder_offset(const sic_decoder *d);

/* Magic says which codec the bytes really are; name_codec is what the file name claims.
 * Magic wins; bytes that look like plain JSON text are NONE even under a codec name; bytes
 * with neither recognisable magic nor JSON look keep the name's codec (its decoder will
 * then report the format error). */
sic_codec sic_codec_resolve(sic_codec name_codec, const uint8_t *buf, size_t len);

/* Whole-buffer convenience used by fuzzers and tests: decode all of in (eof = 1) and call
 * sink for each produced piece. Returns 0 or SIC_E*; out_cap sets the output buffer size
 * so tests can force small-output paths. */
int sic_decode_buffer(sic_codec codec, const uint8_t *in, size_t in_len, size_t out_cap,
                      void (*sink)(void *ctx, const uint8_t *p, size_t n), void *ctx,
                      sic_err *err);

/* Per-codec constructors (codec_<name>.c). Each returns a decoder whose first field is
 * the shared sic_decoder header below. */
typedef struct sic_decoder_ops {
  int (*run)(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
             uint8_t *out, size_t out_cap, size_t *produced, sic_err *err); /* see above */
  void (*destroy)(sic_decoder *d);  /* frees the codec's state and d itself */
  void (*reset)(sic_decoder *d);    /* back to the start of a stream, buffers kept */
} sic_decoder_ops;

struct sic_decoder {
  const sic_decoder_ops *ops; /* codec behaviour */
  sic_codec codec;            /* which codec this decodes */
  int64_t in_off;             /* stored bytes consumed so far, maintained by sic_decoder_run */
};

sic_decoder *sic_decoder_new_none(void);
sic_decoder *sic_decoder_new_zstd(void);
sic_decoder *sic_decoder_new_lz4block(void);
sic_decoder *sic_decoder_new_snappy(void);
sic_decoder *sic_decoder_new_lzf(void);
sic_decoder *sic_decoder_new_gzip(void);

/* Staging area shared by the block codecs: a block decompressed here when it does not fit
 * the caller's output space, then drained across calls. */
typedef struct sic_staging {
  uint8_t *buf;   /* owned */
  size_t cap;     /* bytes allocated */
  size_t len;     /* bytes of decompressed block held */
  size_t pos;     /* bytes of it already handed to the caller */
} sic_staging;

/* One unit of a block-framed stream (lz4 LZ4Block, snappy-java, lzf), as parsed by a codec. */
typedef struct sic_block {
  size_t unit_len;        /* stored bytes of header + payload this unit occupies */
  const uint8_t *payload; /* points into the input window */
  size_t payload_len;     /* stored payload bytes */
  size_t out_len;         /* decompressed bytes it yields (0 for headers / end markers) */
  int type;               /* codec-specific (e.g. raw vs compressed) */
  uint32_t check;         /* codec-specific checksum from the header */
} sic_block;

/* Block codecs implement parse + decode; sic_block_run drives them with the staging logic.
 * parse: look at in[0..avail) (the start of a unit, at stored offset `at`); return 1 with *b
 *        filled when the whole unit is there, 0 when more bytes are needed, SIC_E* on error.
 * decode: write exactly b->out_len bytes to dst (checks included); 0 or SIC_E*. */
typedef struct sic_block_codec {
  int (*parse)(sic_decoder *d, const uint8_t *in, size_t avail, int64_t at, sic_block *b, sic_err *err);
  int (*decode)(sic_decoder *d, const sic_block *b, uint8_t *dst, int64_t at, sic_err *err);
  const char *name;       /* for messages: "lz4", "snappy", "lzf" */
} sic_block_codec;

int sic_block_run(sic_decoder *d, const sic_block_codec *bc, sic_staging *st, const uint8_t *in,
                  size_t in_len, int eof, size_t *consumed, uint8_t *out, size_t out_cap,
                  size_t *produced, sic_err *err);

/* Ensure capacity; 0 or SIC_ENOMEM. */
int sic_staging_reserve(sic_staging *st, size_t n);
/* Copy as much pending staged data as fits; returns bytes copied. */
size_t sic_staging_drain(sic_staging *st, uint8_t *out, size_t out_cap);

#endif
