/* Shared body of the codec fuzz targets (fuzz_codec_<name>.c).
 *
 * Each input is decoded twice: in one shot (whole input, eof = 1, output buffer size picked
 * from the input) and incrementally through a growing input window with eof = 0 until the
 * end, the way sic_stream reads zip members. Besides the sanitizers, the two runs act as
 * each other's oracle: they must agree on success vs failure, and when both succeed they
 * must produce the same bytes. libzstd itself is not chunking-independent on malformed
 * frames (its one-shot path accepts a few frames its streaming path rejects and vice
 * versa), so for zstd a success/failure split only requires the outputs to agree on their
 * common prefix. */
#ifndef SIC_FUZZ_CODEC_H
#define SIC_FUZZ_CODEC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/codec.h"

/* Accumulated output of one decode run. */
typedef struct fuzz_out {
  uint8_t *p;   /* owned bytes */
  size_t len;   /* used */
  size_t cap;   /* allocated */
} fuzz_out;

static void fuzz_out_add(fuzz_out *o, const uint8_t *p, size_t n) {
  if (!n) return;
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + n) cap *= 2;
    uint8_t *grown = realloc(o->p, cap);
    if (!grown) abort();
    o->p = grown;
    o->cap = cap;
  }
  memcpy(o->p + o->len, p, n);
  o->len += n;
}

/* Decoding stops after this many output bytes: zstd RLE blocks or deflate can expand a
 * 64 KB input to gigabytes, which would only measure memory, not find bugs. */
#define FUZZ_OUT_LIMIT (1u << 20)
#define FUZZ_STOPPED 2 /* the output limit ended the run */

/* Decode through a window that grows by `step` bytes whenever the decoder wants more
 * (step >= len gives the one-shot case). Returns 0, SIC_E*, or FUZZ_STOPPED. */
static int fuzz_decode(sic_codec codec, const uint8_t *in, size_t len, size_t step, size_t out_cap,
                       fuzz_out *o) {
  /* One decoder per target process, reset between runs: zstd contexts with big windows are
   * expensive to build, and reuse after reset is itself a path worth fuzzing. */
  static sic_decoder *d;
  static uint8_t out_buf[65536];
  uint8_t *out = out_buf;
  if (!d) d = sic_decoder_new(codec);
  if (!d || out_cap > sizeof out_buf) abort();
  sic_decoder_reset(d);
  size_t pos = 0, lim = len < step ? len : step;
  int rc;
  sic_err err;
  for (;;) {
    size_t used, made;
    int eof = lim == len;
    rc = sic_decoder_run(d, in + pos, lim - pos, eof, &used, out, out_cap, &made, &err);
    if (used > lim - pos || made > out_cap) abort(); /* decoder overstepped its buffers */
    if (rc < 0 && !strstr(err.msg, "byte")) abort(); /* every error names an offset */
    pos += used;
    fuzz_out_add(o, out, made);
    if (rc < 0 || rc == SIC_DEC_END) break;
    if (o->len >= FUZZ_OUT_LIMIT) {
      rc = FUZZ_STOPPED;
      break;
    }
    if (!used && !made) {
      if (eof) {
        rc = SIC_ETRUNCATED; /* a decoder stalled at eof: sic_decode_buffer reports this too */
        break;
      }
      lim = len - lim < step ? len : lim + step;
    }
  }
  return rc == SIC_DEC_END ? 0 : rc;
}

static int fuzz_codec_one_input(sic_codec codec, const uint8_t *data, size_t size) {
  /* The first byte picks buffer sizes so small-output and small-window paths get exercised
   * (all smaller than a block; 1-byte buffers are covered by the unit tests, here they would
   * only slow the search down). */
  static const size_t out_caps[] = {61, 509, 4096, 65536};
  static const size_t steps[] = {5, 64, 4096, SIZE_MAX};
  size_t sel = size ? data[0] : 0;
  /* Kept across runs: fresh megabyte buffers per input cost more page faults than decoding. */
  static fuzz_out whole, incr;
  whole.len = incr.len = 0;
  int rc1 = fuzz_decode(codec, data, size, SIZE_MAX, out_caps[sel % 4], &whole);
  int rc2 = fuzz_decode(codec, data, size, steps[(sel / 4) % 4], out_caps[(sel / 16) % 4], &incr);
  size_t common = whole.len < incr.len ? whole.len : incr.len;
  if (common && memcmp(whole.p, incr.p, common)) abort();
  if (rc1 != FUZZ_STOPPED && rc2 != FUZZ_STOPPED) {
    if ((rc1 == 0) != (rc2 == 0) && codec != SIC_CODEC_ZSTD) abort();
    if (rc1 == 0 && rc2 == 0 && whole.len != incr.len) abort();
  }
  return 0;
}

#endif
