/* gzip decoder (Databricks rolled parts `eventlog-...gz`): zlib inflate with automatic
 * gzip/zlib header detection, multi-member files decoded back to back. A CRC or length
 * mismatch in a member trailer is SIC_ECORRUPT; input ending inside a member is
 * SIC_ETRUNCATED. Trailing zero padding after the last member is tolerated, as gzip does. */
#include "eventlog/codec.h"

#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

typedef struct gzip_decoder {
  sic_decoder base;     /* shared header, must be first */
  z_stream zs;          /* zlib state (owned) */
  int in_member;        /* 1: inside a member (between header start and trailer end) */
  int padding;          /* 1: only zero bytes allowed from here on */
} gzip_decoder;

static int gzip_corrupt(gzip_decoder *g, size_t at, const char *what, sic_err *err) {
  return sic_err_set(err, SIC_ECORRUPT, "gzip: %s at byte %lld", what,
                     (long long)(g->base.in_off + (int64_t)at));
}

/* After the last member: zero padding is fine, anything else is not a gzip member. */
static int skip_padding(gzip_decoder *g, const uint8_t *in, size_t in_len, size_t *pos, sic_err *err) {
  while (*pos < in_len && in[*pos] == 0) (*pos)++;
  if (*pos < in_len) return gzip_corrupt(g, *pos, "garbage after the last member", err);
  return 0;
}

static int gzip_run(sic_decoder *d, const uint8_t *in, size_t in_len, int eof, size_t *consumed,
                    uint8_t *out, size_t out_cap, size_t *produced, sic_err *err) {
  gzip_decoder *g = (gzip_decoder *)d;
  size_t pos = 0, made = 0;
  int rc = SIC_DEC_MORE;
  while (made < out_cap && pos < in_len) {
    if (g->padding) {
      rc = skip_padding(g, in, in_len, &pos, err);
      break;
    }
    if (!g->in_member) {
      if (in[pos] == 0) {
        g->padding = 1;
        continue;
      }
      if (inflateReset(&g->zs) != Z_OK) {
        rc = gzip_corrupt(g, pos, "cannot reset inflater", err);
        break;
      }
      g->in_member = 1;
    }
    size_t in_avail = in_len - pos, out_avail = out_cap - made;
    g->zs.next_in = (Bytef *)(in + pos);
    g->zs.avail_in = in_avail > UINT_MAX ? UINT_MAX : (uInt)in_avail;
    g->zs.next_out = out + made;
    g->zs.avail_out = out_avail > UINT_MAX ? UINT_MAX : (uInt)out_avail;
    uInt in_before = g->zs.avail_in, out_before = g->zs.avail_out;
    int zr = inflate(&g->zs, Z_NO_FLUSH);
    pos += in_before - g->zs.avail_in;
    made += out_before - g->zs.avail_out;
    if (zr == Z_STREAM_END) {
      g->in_member = 0;
      continue;
    }
    if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
      rc = gzip_corrupt(g, pos, g->zs.msg ? g->zs.msg : "invalid deflate data", err);
      break;
    }
    if (zr == Z_MEM_ERROR) {
      rc = sic_err_set(err, SIC_ENOMEM, "gzip: out of memory");
      break;
    }
    if (in_before == g->zs.avail_in && out_before == g->zs.avail_out) break; /* needs input */
  }
  *consumed = pos;
  *produced = made;
  if (rc < 0 || !eof || pos < in_len) return rc;
  if (!g->in_member) return SIC_DEC_END;
  if (made < out_cap)
    return sic_err_set(err, SIC_ETRUNCATED, "gzip member truncated at byte %lld",
                       (long long)(g->base.in_off + (int64_t)pos));
  return SIC_DEC_MORE;
}

static void gzip_destroy(sic_decoder *d) {
  gzip_decoder *g = (gzip_decoder *)d;
  inflateEnd(&g->zs);
  free(g);
}

static void gzip_reset(sic_decoder *d) {
  gzip_decoder *g = (gzip_decoder *)d;
  inflateReset(&g->zs);
  g->in_member = 0;
  g->padding = 0;
}

static const sic_decoder_ops gzip_ops = {gzip_run, gzip_destroy, gzip_reset};

sic_decoder *sic_decoder_new_gzip(void) {
  gzip_decoder *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->base.ops = &gzip_ops;
  if (inflateInit2(&g->zs, 15 + 32) != Z_OK) {
    free(g);
    return NULL;
  }
  return &g->base;
}
