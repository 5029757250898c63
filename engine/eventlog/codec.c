/* Codec identification (name suffix, magic bytes) and the generic decoder plumbing:
 * dispatch to the per-codec decoders, offset bookkeeping, the whole-buffer helper and the
 * pass-through decoder for plain bytes (used for zip members; plain files are mmap'd and
 * never go through a decoder). */
#include "eventlog/codec.h"

#include <stdlib.h>
#include <string.h>

static const char *const codec_names[SIC_CODEC__COUNT] = {
  [SIC_CODEC_NONE] = "none", [SIC_CODEC_ZSTD] = "zstd",     [SIC_CODEC_LZ4] = "lz4",
  [SIC_CODEC_SNAPPY] = "snappy", [SIC_CODEC_LZF] = "lzf", [SIC_CODEC_GZIP] = "gzip",
};

const char *sic_codec_name(sic_codec c) {
  if ((int)c < 0 || c >= SIC_CODEC__COUNT) return "unknown";
  return codec_names[c];
}

static int has_suffix(const char *s, size_t len, const char *suffix) {
  size_t n = strlen(suffix);
  return len >= n && !memcmp(s + len - n, suffix, n);
}

sic_codec sic_codec_from_name(const char *filename) {
  if (!filename) return SIC_CODEC_NONE;
  const char *slash = strrchr(filename, '/');
  const char *base = slash ? slash + 1 : filename;
  size_t len = strlen(base);
  /* Spark appends .inprogress after the codec suffix while the app runs, and .compact after
   * it for compacted rolling parts. */
  if (has_suffix(base, len, ".inprogress")) len -= strlen(".inprogress");
  else if (has_suffix(base, len, ".compact")) len -= strlen(".compact");
  static const struct { const char *suffix; sic_codec codec; } table[] = {
    {".zstd", SIC_CODEC_ZSTD}, {".zst", SIC_CODEC_ZSTD},     {".lz4", SIC_CODEC_LZ4},
    {".snappy", SIC_CODEC_SNAPPY}, {".lzf", SIC_CODEC_LZF}, {".gz", SIC_CODEC_GZIP},
    {".gzip", SIC_CODEC_GZIP},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (has_suffix(base, len, table[i].suffix)) return table[i].codec;
  return SIC_CODEC_NONE;
}

sic_codec sic_codec_from_magic(const uint8_t *b, size_t len) {
  if (len >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) return SIC_CODEC_ZSTD;
  /* zstd skippable frames: 0x184D2A50..0x184D2A5F little endian. */
  if (len >= 4 && (b[0] & 0xF0) == 0x50 && b[1] == 0x2A && b[2] == 0x4D && b[3] == 0x18)
    return SIC_CODEC_ZSTD;
  if (len >= 2 && b[0] == 0x1F && b[1] == 0x8B) return SIC_CODEC_GZIP;
  if (len >= 8 && !memcmp(b, "LZ4Block", 8)) return SIC_CODEC_LZ4;
  if (len >= 8 && !memcmp(b, "\x82SNAPPY\0", 8)) return SIC_CODEC_SNAPPY;
  if (len >= 3 && b[0] == 'Z' && b[1] == 'V' && (b[2] == 0 || b[2] == 1)) return SIC_CODEC_LZF;
  return SIC_CODEC_NONE;
}

/* Plain JSON lines start with '{' after optional whitespace or a UTF-8 byte order mark. */
static int looks_like_json_text(const uint8_t *b, size_t len) {
  size_t i = 0;
  if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;
  while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
  return i < len && b[i] == '{';
}

sic_codec sic_codec_resolve(sic_codec name_codec, const uint8_t *buf, size_t len) {
  sic_codec magic = sic_codec_from_magic(buf, len);
  if (magic != SIC_CODEC_NONE) return magic;
  if (looks_like_json_text(buf, len)) return SIC_CODEC_NONE;
  return name_codec;
}

sic_decoder *sic_decoder_new(sic_codec codec) {
  sic_decoder *d = NULL;
  switch (codec) {
  case SIC_CODEC_NONE: d = sic_decoder_new_none(); break;
  case SIC_CODEC_ZSTD: d = sic_decoder_new_zstd(); break;
  case SIC_CODEC_LZ4: d = sic_decoder_new_lz4block(); break;
  case SIC_CODEC_SNAPPY: d = sic_decoder_new_snappy(); break;
  case SIC_CODEC_LZF: d = sic_decoder_new_lzf(); break;
  case SIC_CODEC_GZIP: d = sic_decoder_new_gzip(); break;
  default: return NULL;
  }
  if (d) {
    d->codec = codec;
    d->in_off = 0;
  }
  return d;
}

void sic_decoder_free(sic_decoder *d) {
  if (d) d->ops->destroy(d);
}

void sic_decoder_reset(sic_decoder *d) {
  d->ops->reset(d);
  d->in_off = 0;
}

int sic_decoder_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  *consumed = *produced = 0;
  int r = d->ops->run(d, in, in_len, eof, consumed, out, out_cap, produced, err);
  d->in_off += (int64_t)*consumed;
  return r;
}

int64_t sic_decoder_offset(const sic_decoder *d) { return d->in_off; }

int sic_decode_buffer(sic_codec codec, const uint8_t *in, size_t in_len, size_t out_cap,
                      void (*sink)(void *ctx, const uint8_t *p, size_t n), void *ctx,
                      sic_err *err) {
  int rc = SIC_ENOMEM;
  sic_decoder *d = sic_decoder_new(codec);
  uint8_t *out = malloc(out_cap ? out_cap : 1);
  if (!d || !out) {
    sic_err_set(err, SIC_ENOMEM, "out of memory creating %s decoder", sic_codec_name(codec));
    goto error;
  }
  size_t pos = 0;
  for (;;) {
    size_t used, made;
    int r = sic_decoder_run(d, in + pos, in_len - pos, 1, &used, out, out_cap, &made, err);
    pos += used;
    if (made && sink) sink(ctx, out, made);
    if (r < 0) {
      rc = r;
      goto error;
    }
    if (r == SIC_DEC_END) break;
    if (!used && !made) {
      /* A decoder must finish or fail at eof; looping here would hang a fuzzer. */
      rc = sic_err_set(err, SIC_ETRUNCATED, "%s decoder stalled at offset %lld",
                       sic_codec_name(codec), (long long)d->in_off);
      goto error;
    }
  }
  rc = 0;
error:
  free(out);
  sic_decoder_free(d);
  return rc;
}

int sic_staging_reserve(sic_staging *st, size_t n) {
  if (n <= st->cap) return 0;
  uint8_t *grown = realloc(st->buf, n);
  if (!grown) return SIC_ENOMEM;
  st->buf = grown;
  st->cap = n;
  return 0;
}

size_t sic_staging_drain(sic_staging *st, uint8_t *out, size_t out_cap) {
  size_t n = st->len - st->pos;
  if (n > out_cap) n = out_cap;
  memcpy(out, st->buf + st->pos, n);
  st->pos += n;
  if (st->pos == st->len) st->len = st->pos = 0;
  return n;
}

/* ---- pass-through decoder for plain bytes ---- */

static int none_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  size_t n = in_len < out_cap ? in_len : out_cap;
  memcpy(out, in, n);
  *consumed = *produced = n;
  return (eof && n == in_len) ? SIC_DEC_END : SIC_DEC_MORE;
}

static void none_destroy(sic_decoder *d) { free(d); }

static void none_reset(sic_decoder *d) {}

static const sic_decoder_ops none_ops = {none_run, none_destroy, none_reset};

sic_decoder *sic_decoder_new_none(void) {
  sic_decoder *d = calloc(1, sizeof *d);
  if (d) d->ops = &none_ops;
  return d;
}

/* ---- shared driver for block-framed codecs ---- */

int sic_block_run(sic_decoder *d, const sic_block_codec *bc, sic_staging *st, const uint8_t *in,
                  size_t in_len, int eof, size_t *consumed, uint8_t *out, size_t out_cap,
                  size_t *produced, sic_err *err) {
  size_t pos = 0, made = 0;
  int rc = SIC_DEC_MORE;
  for (;;) {
    if (st->len) made += sic_staging_drain(st, out + made, out_cap - made);
    if (st->len || made == out_cap || pos == in_len) break;
    int64_t at = d->in_off + (int64_t)pos;
    sic_block b = {0};
    int r = bc->parse(d, in + pos, in_len - pos, at, &b, err);
    if (r < 0) {
      rc = r;
      break;
    }
    if (r == 0) {
      /* A unit cut short by the end of input: the writer died mid-block or the copy is cut. */
      if (eof)
        rc = sic_err_set(err, SIC_ETRUNCATED, "%s stream truncated inside a block at byte %lld",
                         bc->name, (long long)at);
      break;
    }
    uint8_t *dst = out + made;
    if (b.out_len > out_cap - made) {
      if (sic_staging_reserve(st, b.out_len)) {
        rc = sic_err_set(err, SIC_ENOMEM, "%s: out of memory for a %zu-byte block", bc->name, b.out_len);
        break;
      }
      dst = st->buf;
    }
    if (b.out_len || b.payload_len) {
      r = bc->decode(d, &b, dst, at, err);
      if (r < 0) {
        rc = r;
        break;
      }
    }
    pos += b.unit_len;
    if (dst == st->buf && b.out_len) {
      st->len = b.out_len;
      st->pos = 0;
    } else {
      made += b.out_len;
    }
  }
  *consumed = pos;
  *produced = made;
  if (rc < 0) return rc;
  return (eof && pos == in_len && !st->len) ? SIC_DEC_END : SIC_DEC_MORE;
}
