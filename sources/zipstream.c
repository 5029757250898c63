/* A zip archive read as it arrives (see zipstream.h). Formats: PKWARE APPNOTE 6.3 sections
 * 4.3.7 (local file header), 4.3.9 (data descriptor), 4.3.12-4.3.16 (central directory, Zip64
 * end records), 4.5.3 (Zip64 extended information). */
#include "sources/zipstream.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/crc32.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

typedef enum zs_state {
  ZS_HEADER = 0,        /* at a signature: next member or the central directory */
  ZS_DATA,              /* inside a member's data */
  ZS_DONE               /* the end record was read */
} zs_state;

struct zip_stream {
  zs_pull_fn pull;      /* where archive bytes come from (borrowed) */
  void *ctx;            /* for pull */
  char *display;        /* archive name for messages (owned) */
  uint8_t *win;         /* input window (owned, ZS_WINDOW bytes) */
  size_t pos;           /* first unread byte in win */
  size_t len;           /* bytes held in win */
  int eof;              /* pull said the input ended */
  uint64_t consumed;    /* archive bytes before win + pos */
  zs_state state;       /* where the parser is */
  zs_member m;          /* the current member's header */
  char *name;           /* its name (owned) */
  int zip64;            /* the local header carried a Zip64 extra field */
  uint64_t hdr_csize;   /* compressed size from the header (0 when it defers to a descriptor) */
  uint64_t hdr_usize;   /* uncompressed size from the header */
  uint32_t hdr_crc;     /* CRC-32 from the header */
  uint64_t in_used;     /* compressed bytes of the member consumed */
  uint64_t out;         /* data bytes of the member handed out */
  uint32_t crc;         /* CRC-32 of those bytes */
  int data_end;         /* the member's data ended (descriptor checked) */
  z_stream zs;          /* raw inflate state */
  int zs_ready;         /* inflateInit2 succeeded */
  uint64_t next_index;  /* index the next member gets */
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

zip_stream *zs_new(zs_pull_fn pull, void *ctx, const char *display) {
  zip_stream *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->pull = pull;
  z->ctx = ctx;
  z->display = strdup(display ? display : "zip");
  z->win = malloc(ZS_WINDOW);
  if (!z->display || !z->win || inflateInit2(&z->zs, -MAX_WBITS) != Z_OK) {
    zs_free(z);
    return NULL;
  }
  z->zs_ready = 1;
  return z;
}

void zs_free(zip_stream *z) {
  if (!z) return;
  if (z->zs_ready) inflateEnd(&z->zs);
  free(z->display);
  free(z->name);
  free(z->win);
  free(z);
}

uint64_t zs_member_out(const zip_stream *z) { return z->out; }
uint32_t zs_member_crc(const zip_stream *z) { return z->crc; }
uint64_t zs_offset(const zip_stream *z) { return z->consumed + z->pos; }

static int truncated(zip_stream *z, const char *where, sic_err *err) {
  return sic_err_set(err, SIC_ETRUNCATED, "%s: the zip ends at byte %llu, inside %s%s%s (the download was cut short)",
                     z->display, (unsigned long long)zs_offset(z), where, z->name ? " of member " : "",
                     z->name && z->state == ZS_DATA ? z->name : "");
}

/* Pull more bytes into the window (moving unread ones to its start). 0 or SIC_E*; at the
 * end of the input z->eof is set. */
static int refill(zip_stream *z, sic_err *err) {
  if (z->pos) {
    memmove(z->win, z->win + z->pos, z->len - z->pos);
    z->consumed += z->pos;
    z->len -= z->pos;
    z->pos = 0;
  }
  if (z->len == ZS_WINDOW || z->eof) return 0;
  size_t got = 0;
  int rc = z->pull(z->ctx, z->win + z->len, ZS_WINDOW - z->len, &got, err);
  if (rc) return rc;
  if (!got) z->eof = 1;
  z->len += got;
  return 0;
}

/* At least n bytes unread in the window (n <= ZS_WINDOW); 1 when there, 0 at the input's end. */
static int need(zip_stream *z, size_t n, sic_err *err) {
  while (z->len - z->pos < n) {
    if (z->eof) return 0;
    int rc = refill(z, err);
    if (rc) return rc;
  }
  return 1;
}

/* Drop n bytes (may run past the window: long comments, central records). 1 done, 0 eof. */
static int skip(zip_stream *z, uint64_t n, sic_err *err) {
  while (n) {
    if (z->pos == z->len) {
      int rc = need(z, 1, err);
      if (rc <= 0) return rc;
    }
    size_t take = z->len - z->pos;
    if (take > n) take = (size_t)n;
    z->pos += take;
    n -= take;
  }
  return 1;
}

/* The Zip64 extra field of a local header: real sizes for fields that read 0xFFFFFFFF. */
static void parse_zip64_extra(zip_stream *z, const uint8_t *p, size_t n) {
  while (n >= 4) {
    uint16_t id = le16(p), sz = le16(p + 2);
    if ((size_t)sz + 4 > n) return;
    if (id == 0x0001) {
      const uint8_t *q = p + 4;
      size_t left = sz;
      z->zip64 = 1;
      if (z->hdr_usize == 0xFFFFFFFFu && left >= 8) z->hdr_usize = le64(q), q += 8, left -= 8;
      if (z->hdr_csize == 0xFFFFFFFFu && left >= 8) z->hdr_csize = le64(q);
      return;
    }
    p += 4 + sz;
    n -= 4 + (size_t)sz;
  }
}

static int read_local_header(zip_stream *z, sic_err *err) {
  int rc = need(z, 30, err);
  if (rc <= 0) return rc ? rc : truncated(z, "a local file header", err);
  const uint8_t *h = z->win + z->pos;
  uint16_t flags = le16(h + 6), method = le16(h + 8), name_len = le16(h + 26), extra_len = le16(h + 28);
  if ((size_t)30 + name_len + extra_len > ZS_WINDOW)
    return sic_err_set(err, SIC_EFORMAT, "%s: a zip header at byte %llu is too long", z->display,
                       (unsigned long long)zs_offset(z));
  rc = need(z, (size_t)30 + name_len + extra_len, err);
  if (rc <= 0) return rc ? rc : truncated(z, "a local file header", err);
  h = z->win + z->pos;
  free(z->name);
  z->name = strndup((const char *)h + 30, name_len);
  if (!z->name) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  memset(&z->m, 0, sizeof z->m);
  z->m.name = z->name;
  z->m.index = z->next_index++;
  z->m.method = method;
  z->m.descriptor = (flags & 8) != 0;
  z->m.dos_time = le32(h + 10);
  z->hdr_crc = le32(h + 14);
  z->hdr_csize = le32(h + 18);
  z->hdr_usize = le32(h + 22);
  z->zip64 = 0;
  parse_zip64_extra(z, h + 30 + name_len, extra_len);
  z->pos += (size_t)30 + name_len + extra_len;
  if (flags & 1) return sic_err_set(err, SIC_EUNSUPPORTED, "%s: member %s is encrypted", z->display, z->name);
  z->in_used = z->out = 0;
  z->crc = 0;
  z->data_end = 0;
  z->state = ZS_DATA;
  if (method == 8 && inflateReset(&z->zs) != Z_OK)
    return sic_err_set(err, SIC_ENOMEM, "%s: cannot reset the inflate state", z->display);
  return 1;
}

/* After the data: the descriptor (flag bit 3) or the header's values, against what was read. */
static int check_member_end(zip_stream *z, sic_err *err) {
  uint32_t crc = z->hdr_crc;
  uint64_t csize = z->hdr_csize, usize = z->hdr_usize;
  if (z->m.descriptor) {
    int rc = need(z, 4, err);
    if (rc <= 0) return rc ? rc : truncated(z, "a data descriptor", err);
    if (le32(z->win + z->pos) == SIG_DESCRIPTOR) z->pos += 4; /* the signature is optional */
    /* 8-byte sizes when the header had a Zip64 field or a size does not fit 32 bits (what
     * ZipOutputStream decides after the fact) */
    int wide = z->zip64 || z->in_used >= 0xFFFFFFFFu || z->out >= 0xFFFFFFFFu;
    size_t n = wide ? 20 : 12;
    rc = need(z, n, err);
    if (rc <= 0) return rc ? rc : truncated(z, "a data descriptor", err);
    const uint8_t *d = z->win + z->pos;
    crc = le32(d);
    csize = wide ? le64(d + 4) : le32(d + 4);
    usize = wide ? le64(d + 12) : le32(d + 8);
    z->pos += n;
  }
  if (crc != z->crc)
    return sic_err_set(err, SIC_ECORRUPT, "%s: member %s: CRC-32 mismatch (stored %08x, computed %08x): the archive "
                       "is corrupt", z->display, z->name, crc, z->crc);
  if (csize != z->in_used || usize != z->out)
    return sic_err_set(err, SIC_ECORRUPT, "%s: member %s: sizes %llu/%llu stored, %llu/%llu read", z->display,
                       z->name, (unsigned long long)csize, (unsigned long long)usize,
                       (unsigned long long)z->in_used, (unsigned long long)z->out);
  z->data_end = 1;
  return 0;
}

/* A STORED member of known size: copy. */
static int read_stored(zip_stream *z, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  uint64_t left = z->hdr_csize - z->in_used;
  if (!left) return 0;
  int rc = need(z, 1, err);
  if (rc <= 0) return rc ? rc : truncated(z, "the data", err);
  size_t n = z->len - z->pos;
  if (n > cap) n = cap;
  if (n > left) n = (size_t)left;
  memcpy(buf, z->win + z->pos, n);
  z->pos += n;
  z->in_used += n;
  *got = n;
  return 0;
}

/* Whether a descriptor at p (signature included, n bytes available) closes the bytes read
 * so far: its CRC and sizes match them. Returns its length (16 or 24) or 0. */
static size_t descriptor_matches(const zip_stream *z, const uint8_t *p, size_t n) {
  if (n >= 16 && le32(p + 4) == z->crc && le32(p + 8) == (uint32_t)z->in_used && le32(p + 12) == (uint32_t)z->out &&
      z->in_used < 0xFFFFFFFFu)
    return 16;
  if (n >= 24 && le32(p + 4) == z->crc && le64(p + 8) == z->in_used && le64(p + 16) == z->out) return 24;
  return 0;
}

/* A STORED member whose size only its descriptor tells: data up to the first signature
 * whose descriptor matches what came before it (so the CRC is checked by the match). */
static int read_stored_scan(zip_stream *z, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  int rc = need(z, 24, err);
  if (rc < 0) return rc;
  size_t avail = z->len - z->pos;
  const uint8_t *p = z->win + z->pos;
  if (!avail) return truncated(z, "the data", err);
  if (avail >= 4 && le32(p) == SIG_DESCRIPTOR) {
    size_t d = descriptor_matches(z, p, avail);
    if (d) {
      z->pos += d;
      z->data_end = 1;
      return 0;
    }
  }
  const uint8_t *sig = avail > 1 ? memmem(p + 1, avail - 1, "PK\x07\x08", 4) : NULL;
  size_t n = sig ? (size_t)(sig - p) : z->eof ? avail : avail - 3; /* a signature may straddle the window */
  if (n > cap) n = cap;
  memcpy(buf, p, n);
  z->pos += n;
  z->in_used += n;
  z->out += n;
  z->crc = sic_crc32(z->crc, buf, n);
  *got = n;
  return 0;
}

/* A DEFLATE member: inflate into buf. Sets data_end at the end of the deflate stream. */
static int read_deflate(zip_stream *z, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  for (;;) {
    if (z->pos == z->len) {
      int rc = need(z, 1, err);
      if (rc < 0) return rc;
      if (rc == 0) return truncated(z, "the compressed data", err);
    }
    size_t avail = z->len - z->pos;
    if (!z->m.descriptor && z->hdr_csize - z->in_used < avail) avail = (size_t)(z->hdr_csize - z->in_used);
    z->zs.next_in = z->win + z->pos;
    z->zs.avail_in = (uInt)avail;
    z->zs.next_out = buf;
    z->zs.avail_out = (uInt)(cap > (1u << 30) ? 1u << 30 : cap);
    int r = inflate(&z->zs, Z_NO_FLUSH);
    size_t used = avail - z->zs.avail_in, made = (size_t)(z->zs.next_out - buf);
    z->pos += used;
    z->in_used += used;
    *got = made;
    if (r == Z_STREAM_END) {
      z->data_end = 1;
      return 0;
    }
    if (r != Z_OK && r != Z_BUF_ERROR)
      return sic_err_set(err, SIC_ECORRUPT, "%s: member %s: bad deflate data at byte %llu: %s", z->display, z->name,
                         (unsigned long long)z->in_used, z->zs.msg ? z->zs.msg : "inflate failed");
    if (made) return 0;
    if (!z->m.descriptor && z->in_used == z->hdr_csize)
      return sic_err_set(err, SIC_ECORRUPT, "%s: member %s: the deflate data ends before its stored size",
                         z->display, z->name);
    if (!used) {
      if (z->eof) return truncated(z, "the compressed data", err);
      int rc = refill(z, err);
      if (rc) return rc;
    }
  }
}

int zs_read(zip_stream *z, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  *got = 0;
  if (z->state != ZS_DATA || !cap) return 0;
  while (!z->data_end) {
    size_t n = 0;
    int rc;
    if (z->m.method == 0 && z->m.descriptor && (z->hdr_csize == 0 || z->hdr_csize == 0xFFFFFFFFu)) {
      rc = read_stored_scan(z, buf, cap, &n, err);
    } else if (z->m.method == 0 || z->m.method == 8) {
      rc = z->m.method == 0 ? read_stored(z, buf, cap, &n, err) : read_deflate(z, buf, cap, &n, err);
      if (!rc && n) {
        z->out += n;
        z->crc = sic_crc32(z->crc, buf, n);
      }
      if (!rc && (z->m.method == 0 ? !n : z->data_end)) rc = check_member_end(z, err);
    } else {
      return sic_err_set(err, SIC_EUNSUPPORTED, "%s: member %s uses compression method %d (only stored and deflate "
                         "are read)", z->display, z->name, z->m.method);
    }
    if (rc) return rc;
    if (n) {
      *got = n;
      return 0;
    }
  }
  return 0;
}

/* Central directory, Zip64 end record and locator, end record: skipped up to the input's end. */
static int read_end_records(zip_stream *z, sic_err *err) {
  for (;;) {
    int rc = need(z, 4, err);
    if (rc <= 0) return rc ? rc : truncated(z, "the central directory", err);
    const uint8_t *p = z->win + z->pos;
    uint32_t sig = le32(p);
    uint64_t n;
    size_t fixed = sig == SIG_CENTRAL ? 46 : sig == SIG_END64 ? 12 : sig == SIG_LOCATOR64 ? 20 : sig == SIG_END ? 22 : 0;
    if (!fixed)
      return sic_err_set(err, SIC_EFORMAT, "%s: unexpected bytes in the zip's central directory at byte %llu",
                         z->display, (unsigned long long)zs_offset(z));
    rc = need(z, fixed, err);
    if (rc <= 0) return rc ? rc : truncated(z, "the central directory", err);
    p = z->win + z->pos;
    if (sig == SIG_CENTRAL) n = 46 + (uint64_t)le16(p + 28) + le16(p + 30) + le16(p + 32);
    else if (sig == SIG_END64) n = 12 + le64(p + 4);
    else if (sig == SIG_END) n = 22 + (uint64_t)le16(p + 20);
    else n = 20;
    rc = skip(z, n, err);
    if (rc <= 0) return rc ? rc : truncated(z, "the central directory", err);
    if (sig == SIG_END) break;
  }
  z->state = ZS_DONE;
  for (;;) { /* read the answer to its end: an error after the end record is still an error */
    z->pos = z->len;
    int rc = need(z, 1, err);
    if (rc <= 0) return rc;
  }
}

int zs_next(zip_stream *z, const zs_member **m, sic_err *err) {
  *m = NULL;
  if (z->state == ZS_DONE) return 0;
  if (z->state == ZS_DATA) { /* skip what is left of the current member (its CRC still checked) */
    uint8_t scratch[16384];
    size_t got;
    do {
      int rc = zs_read(z, scratch, sizeof scratch, &got, err);
      if (rc) return rc;
    } while (got);
    z->state = ZS_HEADER;
  }
  for (;;) {
    int rc = need(z, 4, err);
    if (rc < 0) return rc;
    if (rc == 0) {
      if (zs_offset(z) == 0 && z->len == 0)
        return sic_err_set(err, SIC_ETRUNCATED, "%s: the answer is empty, not a zip archive", z->display);
      return truncated(z, "the archive (no central directory)", err);
    }
    uint32_t sig = le32(z->win + z->pos);
    if (sig == SIG_LOCAL) {
      rc = read_local_header(z, err);
      if (rc == 1) *m = &z->m;
      return rc;
    }
    if (sig == SIG_DESCRIPTOR && zs_offset(z) == 0) { /* the marker of a split archive */
      z->pos += 4;
      continue;
    }
    if (sig == SIG_CENTRAL || sig == SIG_END || sig == SIG_END64 || sig == SIG_LOCATOR64) {
      free(z->name);
      z->name = NULL;
      return read_end_records(z, err);
    }
    const uint8_t *b = z->win + z->pos;
    if (zs_offset(z) == 0)
      return sic_err_set(err, SIC_EFORMAT, "%s: the answer is not a zip archive (it starts with %02x %02x %02x %02x)",
                         z->display, b[0], b[1], b[2], b[3]);
    return sic_err_set(err, SIC_EFORMAT, "%s: no zip header at byte %llu (after member %llu)", z->display,
                       (unsigned long long)zs_offset(z), (unsigned long long)z->next_index);
  }
}
