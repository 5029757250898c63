/* Decoding one column chunk: page headers, decompression, RLE/bit-packed levels, dictionary
 * pages and PLAIN / dictionary-encoded values. Values of BYTE_ARRAY columns are slices of the
 * decompressed pages, which the column keeps until pq_column_free(). */
#include <snappy-c.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/pq_internal.h"

#define PQ_MAX_PAGE (1u << 30)

enum { PG_DATA = 0, PG_INDEX = 1, PG_DICT = 2, PG_DATA_V2 = 3 };
enum { ENC_PLAIN = 0, ENC_PLAIN_DICT = 2, ENC_RLE = 3, ENC_BIT_PACKED = 4, ENC_RLE_DICT = 8 };

typedef struct page_header {
  int type;                    /* PG_* */
  int32_t usize;               /* uncompressed bytes */
  int32_t csize;               /* compressed bytes */
  int32_t num_values;          /* level entries (data) or dictionary entries */
  int encoding;                /* value encoding */
  int32_t def_len, rep_len;    /* v2: level byte lengths (stored uncompressed) */
  int v2_compressed;           /* v2: 0 when the values section is stored uncompressed */
} page_header;

/* The dictionary of a chunk: decoded PLAIN values. */
typedef struct dict {
  int64_t n;                   /* entries */
  int64_t *ints;               /* integer-like entries */
  double *dbls;                /* floating entries */
  pq_bytes *bytes;             /* byte-array entries */
} dict;

typedef struct chunk_ctx {
  sic_pq_file *f;              /* file */
  const pq_node *node;         /* leaf schema node */
  pq_column *col;              /* output */
  dict d;                      /* dictionary, when the chunk has one */
  int64_t cap;                 /* capacity of the level arrays */
  int64_t vcap;                /* capacity of the value arrays */
  sic_err *err;                /* error out */
} chunk_ctx;

static int cfail(chunk_ctx *c, int code, const char *what) {
  return sic_err_set(c->err, code, "%s: column %s: %s", c->f->name, c->node->path, what);
}

static int parse_page_header(tc_reader *r, page_header *h) {
  tc_field fld = {0, 0, 0};
  memset(h, 0, sizeof *h);
  h->type = -1;
  h->v2_compressed = 1;
  while (tc_next_field(r, &fld) > 0) {
    if (fld.id == 1) h->type = (int)tc_zigzag(r);
    else if (fld.id == 2) h->usize = (int32_t)tc_zigzag(r);
    else if (fld.id == 3) h->csize = (int32_t)tc_zigzag(r);
    else if ((fld.id == 5 || fld.id == 7 || fld.id == 8) && fld.type == TC_STRUCT) {
      tc_field sf = {0, 0, 0};
      while (tc_next_field(r, &sf) > 0) {
        if (sf.id == 1) h->num_values = (int32_t)tc_zigzag(r);
        else if (fld.id != 8 && sf.id == 2) h->encoding = (int)tc_zigzag(r);
        else if (fld.id == 8 && sf.id == 4) h->encoding = (int)tc_zigzag(r);
        else if (fld.id == 8 && sf.id == 5) h->def_len = (int32_t)tc_zigzag(r);
        else if (fld.id == 8 && sf.id == 6) h->rep_len = (int32_t)tc_zigzag(r);
        else if (fld.id == 8 && sf.id == 7) h->v2_compressed = tc_bool_of(sf.type);
        else tc_skip(r, sf.type);
      }
    } else tc_skip(r, fld.type);
  }
  if (r->bad || h->usize < 0 || h->csize < 0 || h->num_values < 0 || (uint32_t)h->usize > PQ_MAX_PAGE) return -1;
  if (h->def_len < 0 || h->rep_len < 0) return -1;
  return 0;
}

/* Decompress src into a new buffer of exactly usize bytes. */
static int decompress(chunk_ctx *c, int codec, const uint8_t *src, size_t clen, size_t usize, uint8_t **out) {
  uint8_t *dst = malloc(usize ? usize : 1);
  if (!dst) return cfail(c, SIC_ENOMEM, "out of memory for a page");
  int ok = 0;
  if (codec == 0) {
    ok = clen == usize;
    if (ok) memcpy(dst, src, usize);
  } else if (codec == 1) {
    size_t n = usize;
    ok = snappy_uncompress((const char *)src, clen, (char *)dst, &n) == SNAPPY_OK && n == usize;
  } else if (codec == 6) {
    size_t n = ZSTD_decompress(dst, usize, src, clen);
    ok = !ZSTD_isError(n) && n == usize;
  } else if (codec == 2) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) == Z_OK) {
      z.next_in = (Bytef *)src;
      z.avail_in = (uInt)clen;
      z.next_out = dst;
      z.avail_out = (uInt)usize;
      int zr = inflate(&z, Z_FINISH);
      ok = (zr == Z_STREAM_END || zr == Z_OK || zr == Z_BUF_ERROR) && z.total_out == usize;
      inflateEnd(&z);
    }
  } else if (codec == 7) {
    int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)clen, (int)usize);
    ok = n >= 0 && (size_t)n == usize;
  } else {
    free(dst);
    char msg[64];
    snprintf(msg, sizeof msg, "compression codec %d is not supported", codec);
    return cfail(c, SIC_EUNSUPPORTED, msg);
  }
  if (!ok) {
    free(dst);
    return cfail(c, SIC_ECORRUPT, "page does not decompress to its declared size");
  }
  *out = dst;
  return 0;
}

static int keep_buffer(chunk_ctx *c, uint8_t *buf) {
  pq_column *col = c->col;
  if (col->nbufs == col->cap_bufs) {
    int nc = col->cap_bufs ? col->cap_bufs * 2 : 8;
    uint8_t **nb = realloc(col->bufs, (size_t)nc * sizeof *nb);
    if (!nb) { free(buf); return cfail(c, SIC_ENOMEM, "out of memory"); }
    col->bufs = nb;
    col->cap_bufs = nc;
  }
  col->bufs[col->nbufs++] = buf;
  return 0;
}

static int bit_width(int v) {
  int w = 0;
  while (v > 0) { w++; v >>= 1; }
  return w;
}

/* RLE/bit-packed hybrid: n values of width bw into out (uint32), from [p, end). */
static int rle_decode(const uint8_t *p, const uint8_t *end, int bw, uint32_t *out, int64_t n) {
  int64_t i = 0;
  if (bw < 0 || bw > 32) return -1;
  int bytes = (bw + 7) / 8;
  while (i < n) {
    tc_reader vr = {p, end, 0, 0};
    uint64_t header = (uint64_t)tc_varint(&vr);
    if (vr.bad) return -1;
    p = vr.p;
    if (header & 1) { /* bit-packed: groups of 8 values */
      uint64_t groups = header >> 1;
      if (groups > (uint64_t)(end - p) / (bw ? (uint64_t)bw : 1) + 1) return -1;
      uint64_t count = groups * 8;
      size_t need = (size_t)(groups * (uint64_t)bw);
      if (need > (size_t)(end - p)) return -1;
      uint64_t bitpos = 0;
      for (uint64_t k = 0; k < count && i < n; k++) {
        uint32_t v = 0;
        for (int b = 0; b < bw; b++, bitpos++)
          if (p[bitpos >> 3] >> (bitpos & 7) & 1) v |= 1u << b;
        out[i++] = v;
      }
      p += need;
    } else { /* run: one value repeated */
      uint64_t count = header >> 1;
      if ((size_t)(end - p) < (size_t)bytes) return -1;
      uint32_t v = 0;
      for (int b = 0; b < bytes; b++) v |= (uint32_t)p[b] << (8 * b);
      p += bytes;
      if (count == 0) return -1; /* a zero-length run would loop forever on hostile input */
      for (uint64_t k = 0; k < count && i < n; k++) out[i++] = v;
    }
  }
  return 0;
}

static int grow_levels(chunk_ctx *c, int64_t more) {
  pq_column *col = c->col;
  if (col->n + more <= c->cap) return 0;
  int64_t nc = c->cap ? c->cap : 1024;
  while (nc < col->n + more) nc *= 2;
  int16_t *d = realloc(col->def, (size_t)nc * sizeof *d);
  if (d) col->def = d;
  int16_t *r = realloc(col->rep, (size_t)nc * sizeof *r);
  if (r) col->rep = r;
  if (!d || !r) return cfail(c, SIC_ENOMEM, "out of memory for levels");
  c->cap = nc;
  return 0;
}

static int grow_values(chunk_ctx *c, int64_t more) {
  pq_column *col = c->col;
  if (col->nvalues + more <= c->vcap) return 0;
  int64_t nc = c->vcap ? c->vcap : 1024;
  while (nc < col->nvalues + more) nc *= 2;
  int t = c->node->type;
  if (t == PQ_FLOAT || t == PQ_DOUBLE) {
    double *v = realloc(col->dbls, (size_t)nc * sizeof *v);
    if (!v) return cfail(c, SIC_ENOMEM, "out of memory for values");
    col->dbls = v;
  } else if (t == PQ_BYTE_ARRAY || t == PQ_FLBA) {
    pq_bytes *v = realloc(col->bytes, (size_t)nc * sizeof *v);
    if (!v) return cfail(c, SIC_ENOMEM, "out of memory for values");
    col->bytes = v;
  } else {
    int64_t *v = realloc(col->ints, (size_t)nc * sizeof *v);
    if (!v) return cfail(c, SIC_ENOMEM, "out of memory for values");
    col->ints = v;
  }
  c->vcap = nc;
  return 0;
}

static uint64_t le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* n PLAIN values from [p,end) into ints/dbls/bytes at index `at`. */
static int plain_values(chunk_ctx *c, const uint8_t *p, const uint8_t *end, int64_t n, int64_t *ints, double *dbls,
                        pq_bytes *bytes) {
  int t = c->node->type;
  size_t left = (size_t)(end - p);
  switch (t) {
  case PQ_BOOLEAN:
    if ((size_t)((n + 7) / 8) > left) return -1;
    for (int64_t i = 0; i < n; i++) ints[i] = p[i >> 3] >> (i & 7) & 1;
    return 0;
  case PQ_INT32:
    if ((size_t)n > left / 4) return -1;
    for (int64_t i = 0; i < n; i++) ints[i] = (int32_t)le32(p + 4 * i);
    return 0;
  case PQ_INT64:
    if ((size_t)n > left / 8) return -1;
    for (int64_t i = 0; i < n; i++) ints[i] = (int64_t)le64(p + 8 * i);
    return 0;
  case PQ_INT96: /* nanoseconds of the day, then the Julian day: kept as ms since the epoch */
    if ((size_t)n > left / 12) return -1;
    for (int64_t i = 0; i < n; i++) {
      int64_t nanos = (int64_t)le64(p + 12 * i);
      int64_t jday = (int32_t)le32(p + 12 * i + 8);
      ints[i] = (jday - 2440588) * 86400000LL + nanos / 1000000;
    }
    return 0;
  case PQ_FLOAT:
    if ((size_t)n > left / 4) return -1;
    for (int64_t i = 0; i < n; i++) { float v; memcpy(&v, p + 4 * i, 4); dbls[i] = v; }
    return 0;
  case PQ_DOUBLE:
    if ((size_t)n > left / 8) return -1;
    for (int64_t i = 0; i < n; i++) memcpy(&dbls[i], p + 8 * i, 8);
    return 0;
  case PQ_BYTE_ARRAY:
    for (int64_t i = 0; i < n; i++) {
      if (end - p < 4) return -1;
      uint32_t len = le32(p);
      p += 4;
      if (len > (size_t)(end - p)) return -1;
      bytes[i].p = p;
      bytes[i].len = len;
      p += len;
    }
    return 0;
  case PQ_FLBA: {
    size_t w = (size_t)c->node->type_length;
    if (w == 0 || (size_t)n > left / w) return -1;
    for (int64_t i = 0; i < n; i++) { bytes[i].p = p + w * (size_t)i; bytes[i].len = (uint32_t)w; }
    return 0;
  }
  }
  return -1;
}

static int read_dict(chunk_ctx *c, const page_header *h, const uint8_t *p, size_t len) {
  if (h->encoding != ENC_PLAIN && h->encoding != ENC_PLAIN_DICT) return cfail(c, SIC_EUNSUPPORTED, "dictionary page not PLAIN");
  if (c->d.ints || c->d.dbls || c->d.bytes) return cfail(c, SIC_EFORMAT, "second dictionary page in one chunk");
  int64_t n = h->num_values;
  if (n > (int64_t)len * 8 + 8) return cfail(c, SIC_EFORMAT, "dictionary entry count exceeds the page");
  int t = c->node->type;
  size_t each = t == PQ_FLOAT || t == PQ_DOUBLE ? sizeof(double) : t == PQ_BYTE_ARRAY || t == PQ_FLBA ? sizeof(pq_bytes) : sizeof(int64_t);
  void *v = malloc((size_t)(n ? n : 1) * each);
  if (!v) return cfail(c, SIC_ENOMEM, "out of memory for the dictionary");
  if (t == PQ_FLOAT || t == PQ_DOUBLE) c->d.dbls = v;
  else if (t == PQ_BYTE_ARRAY || t == PQ_FLBA) c->d.bytes = v;
  else c->d.ints = v;
  if (plain_values(c, p, p + len, n, c->d.ints, c->d.dbls, c->d.bytes)) return cfail(c, SIC_EFORMAT, "dictionary values overrun the page");
  c->d.n = n;
  return 0;
}

/* Values of a data page (after its levels): nv non-null values. */
static int page_values(chunk_ctx *c, int encoding, const uint8_t *p, const uint8_t *end, int64_t nv) {
  pq_column *col = c->col;
  int rc = grow_values(c, nv);
  if (rc) return rc;
  int64_t at = col->nvalues;
  if (encoding == ENC_PLAIN) {
    if (plain_values(c, p, end, nv, col->ints ? col->ints + at : NULL, col->dbls ? col->dbls + at : NULL,
                     col->bytes ? col->bytes + at : NULL))
      return cfail(c, SIC_EFORMAT, "PLAIN values overrun the page");
  } else if (encoding == ENC_PLAIN_DICT || encoding == ENC_RLE_DICT) {
    if (!c->d.n && nv) return cfail(c, SIC_EFORMAT, "dictionary-encoded page without a dictionary");
    if (nv == 0) { col->nvalues += nv; return 0; }
    if (p >= end) return cfail(c, SIC_EFORMAT, "dictionary page without a bit width");
    int bw = *p++;
    uint32_t *idx = malloc((size_t)nv * sizeof *idx);
    if (!idx) return cfail(c, SIC_ENOMEM, "out of memory");
    if (rle_decode(p, end, bw, idx, nv)) { free(idx); return cfail(c, SIC_EFORMAT, "dictionary indices overrun the page"); }
    for (int64_t i = 0; i < nv; i++) {
      if (idx[i] >= (uint64_t)c->d.n) { free(idx); return cfail(c, SIC_EFORMAT, "dictionary index out of range"); }
      if (col->ints) col->ints[at + i] = c->d.ints[idx[i]];
      else if (col->dbls) col->dbls[at + i] = c->d.dbls[idx[i]];
      else col->bytes[at + i] = c->d.bytes[idx[i]];
    }
    free(idx);
  } else if (encoding == ENC_RLE && c->node->type == PQ_BOOLEAN) {
    if (end - p < 4) return cfail(c, SIC_EFORMAT, "RLE booleans without a length");
    uint32_t len = le32(p);
    p += 4;
    if (len > (size_t)(end - p)) return cfail(c, SIC_EFORMAT, "RLE booleans overrun the page");
    uint32_t *v = malloc((size_t)(nv ? nv : 1) * sizeof *v);
    if (!v) return cfail(c, SIC_ENOMEM, "out of memory");
    if (rle_decode(p, p + len, 1, v, nv)) { free(v); return cfail(c, SIC_EFORMAT, "RLE booleans malformed"); }
    for (int64_t i = 0; i < nv; i++) col->ints[at + i] = v[i];
    free(v);
  } else {
    char msg[64];
    snprintf(msg, sizeof msg, "value encoding %d is not supported", encoding);
    return cfail(c, SIC_EUNSUPPORTED, msg);
  }
  col->nvalues += nv;
  return 0;
}

/* Levels of n entries into dst from an RLE section; with_len: v1 layout (4-byte length first). */
static int levels(chunk_ctx *c, const uint8_t **pp, const uint8_t *end, int max, int64_t n, int16_t *dst, int64_t v2_len) {
  const uint8_t *p = *pp;
  size_t len;
  if (v2_len >= 0) len = (size_t)v2_len;
  else {
    if (end - p < 4) return cfail(c, SIC_EFORMAT, "level section without a length");
    len = le32(p);
    p += 4;
  }
  if (len > (size_t)(end - p)) return cfail(c, SIC_EFORMAT, "level section overruns the page");
  uint32_t *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
  if (!tmp) return cfail(c, SIC_ENOMEM, "out of memory");
  if (rle_decode(p, p + len, bit_width(max), tmp, n)) { free(tmp); return cfail(c, SIC_EFORMAT, "levels malformed"); }
  for (int64_t i = 0; i < n; i++) {
    if (tmp[i] > (uint32_t)max) { free(tmp); return cfail(c, SIC_EFORMAT, "level above the column's maximum"); }
    dst[i] = (int16_t)tmp[i];
  }
  free(tmp);
  *pp = p + len;
  return 0;
}

static int data_page(chunk_ctx *c, const page_header *h, const uint8_t *page, size_t plen, int codec) {
  pq_column *col = c->col;
  const pq_node *nd = c->node;
  int64_t n = h->num_values;
  int rc = grow_levels(c, n);
  if (rc) return rc;
  int16_t *def = col->def + col->n, *rep = col->rep + col->n;
  const uint8_t *p, *end;
  uint8_t *buf = NULL;
  if (h->type == PG_DATA) {
    rc = decompress(c, codec, page, plen, (size_t)h->usize, &buf);
    if (rc) return rc;
    if ((rc = keep_buffer(c, buf))) return rc;
    p = buf;
    end = buf + h->usize;
    if (nd->max_rep > 0 && (rc = levels(c, &p, end, nd->max_rep, n, rep, -1))) return rc;
    if (nd->max_def > 0 && (rc = levels(c, &p, end, nd->max_def, n, def, -1))) return rc;
  } else {
    size_t lv = (size_t)h->rep_len + (size_t)h->def_len;
    if (lv > plen || lv > (size_t)h->usize) return cfail(c, SIC_EFORMAT, "v2 level lengths exceed the page");
    p = page;
    if (nd->max_rep > 0 && (rc = levels(c, &p, page + h->rep_len, nd->max_rep, n, rep, h->rep_len))) return rc;
    p = page + h->rep_len;
    if (nd->max_def > 0 && (rc = levels(c, &p, page + lv, nd->max_def, n, def, h->def_len))) return rc;
    rc = decompress(c, h->v2_compressed ? codec : 0, page + lv, plen - lv, (size_t)h->usize - lv, &buf);
    if (rc) return rc;
    if ((rc = keep_buffer(c, buf))) return rc;
    p = buf;
    end = buf + ((size_t)h->usize - lv);
  }
  if (nd->max_rep == 0) memset(rep, 0, (size_t)n * sizeof *rep);
  int64_t nv = n;
  if (nd->max_def == 0) {
    for (int64_t i = 0; i < n; i++) def[i] = 0;
  } else {
    nv = 0;
    for (int64_t i = 0; i < n; i++) nv += def[i] == nd->max_def;
  }
  if ((rc = page_values(c, h->encoding, p, end, nv))) return rc;
  col->n += n;
  return 0;
}

int pq_read_column(sic_pq_file *f, int g, int leaf, pq_column *col, sic_err *err) {
  chunk_ctx c = {f, &f->nodes[f->leaves[leaf]], col, {0, NULL, NULL, NULL}, 0, 0, err};
  const pq_chunk *ch = &f->groups[g].chunks[leaf];
  col->node = f->leaves[leaf];
  int rc = 0;
  if (!ch->present) return cfail(&c, SIC_EFORMAT, "no column metadata in the footer");
  /* Levels compress without bound (one RLE run can claim 2^31 values), so the counts the file
   * declares are checked before anything is allocated for them. */
  if (c.node->max_rep == 0 && ch->num_values != f->groups[g].num_rows)
    return cfail(&c, SIC_EFORMAT, "value count differs from the row group's row count");
  if (ch->num_values < 0 || ch->num_values > (int64_t)f->size * 16 + 1024)
    return cfail(&c, SIC_EFORMAT, "value count is implausible for the file's size");
  int64_t start = ch->data_offset;
  if (ch->dict_offset > 0 && ch->dict_offset < start) start = ch->dict_offset;
  if (start < 4 || ch->total_size < 0 || start > (int64_t)f->size || ch->total_size > (int64_t)f->size - start)
    return cfail(&c, SIC_EFORMAT, "column chunk lies outside the file");
  const uint8_t *p = f->data + start, *end = p + ch->total_size;
  if ((rc = grow_values(&c, 1)) || (rc = grow_levels(&c, 1))) goto done;
  while (col->n < ch->num_values && p < end) {
    tc_reader r = {p, end, 0, 0};
    page_header h;
    if (parse_page_header(&r, &h)) { rc = cfail(&c, SIC_EFORMAT, "malformed page header"); goto done; }
    p = r.p;
    if ((size_t)h.csize > (size_t)(end - p)) { rc = cfail(&c, SIC_EFORMAT, "page overruns the column chunk"); goto done; }
    if (h.type == PG_DICT) {
      uint8_t *buf = NULL;
      if ((rc = decompress(&c, ch->codec, p, (size_t)h.csize, (size_t)h.usize, &buf))) goto done;
      if ((rc = keep_buffer(&c, buf))) goto done;
      if ((rc = read_dict(&c, &h, buf, (size_t)h.usize))) goto done;
    } else if (h.type == PG_DATA || h.type == PG_DATA_V2) {
      if (h.num_values > ch->num_values - col->n) { rc = cfail(&c, SIC_EFORMAT, "page holds more values than its chunk"); goto done; }
      if ((rc = data_page(&c, &h, p, (size_t)h.csize, ch->codec))) goto done;
    } /* index pages and unknown page types are skipped */
    p += h.csize;
  }
  if (col->n != ch->num_values) rc = cfail(&c, SIC_EFORMAT, "chunk ended before all its values");
done:
  free(c.d.ints);
  free(c.d.dbls);
  free(c.d.bytes);
  return rc;
}

void pq_column_free(pq_column *col) {
  free(col->def);
  free(col->rep);
  free(col->ints);
  free(col->dbls);
  free(col->bytes);
  for (int i = 0; i < col->nbufs; i++) free(col->bufs[i]);
  free(col->bufs);
  memset(col, 0, sizeof *col);
}
