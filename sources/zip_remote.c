/* A zip archive in a bucket (a History Server /logs download kept in S3, GCS or Azure), read
 * in place with ranged GETs: no copy of the archive.
 *
 * A zip's member list (the central directory) is at its end, so the scan fetches the tail
 * (the end-of-central-directory record, the zip64 one when the archive needs it), then the
 * central directory if the tail did not hold it, and walks the member names by the same
 * layout rules as a local zip (sic_logset_scan_remote; logs are named "ARCHIVE!/member", or
 * the archive's URI when it holds one log, and have the zip layout). A member is read with one
 * GET of its local header and one of its data, inflated as it streams (stored and deflated
 * members; Spark's History Server writes deflated ones); its CRC-32 and size are checked at
 * the end, so a damaged archive fails the load rather than giving a partial analysis.
 *
 * Ownership: the tree's part source holds a reference to the bucket's source and owns the
 * directory; logsets scanned from it hold references to it. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ZIP_TAIL (64 * 1024 + 22 + 20 + 56) /* EOCD + the largest comment + zip64 locator and record */
#define ZIP_TAIL_FIRST 8192                 /* the first try: most archives have no comment */
#define ZIP_CD_MAX (256u << 20)             /* a bigger central directory is refused */
#define ZIP_LOCAL_HEADER 30

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

int zip_find_directory(const uint8_t *tail, size_t n, int64_t tail_off, int64_t size, zip_directory_loc *loc,
                       sic_err *err) {
  memset(loc, 0, sizeof *loc);
  if (n < 22) return sic_err_set(err, SIC_EFORMAT, "shorter than a zip's end record (%zu bytes)", n);
  size_t at = n - 22 + 1;
  int found = 0;
  while (at-- > 0)
    if (le32(tail + at) == 0x06054b50 && at + 22 + le16(tail + at + 20) == n) { /* comment runs to the end */
      found = 1;
      break;
    }
  if (!found) return sic_err_set(err, SIC_EFORMAT, "no end-of-central-directory record: not a zip archive");
  const uint8_t *e = tail + at;
  uint64_t entries = le16(e + 10), cd_size = le32(e + 12), cd_off = le32(e + 16);
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) { /* zip64 */
    if (at < 20 || le32(e - 20) != 0x07064b50) return sic_err_set(err, SIC_EFORMAT, "zip64 archive without its locator");
    uint64_t rec = le64(e - 20 + 8);
    if (rec < (uint64_t)tail_off || rec - (uint64_t)tail_off + 56 > at - 20)
      return sic_err_set(err, SIC_EFORMAT, "zip64 end record at %llu is outside the archive's tail",
                         (unsigned long long)rec);
    const uint8_t *z = tail + (rec - (uint64_t)tail_off);
    if (le32(z) != 0x06064b50) return sic_err_set(err, SIC_EFORMAT, "zip64 locator points at no zip64 end record");
    entries = le64(z + 32);
    cd_size = le64(z + 40);
    cd_off = le64(z + 48);
  }
  if (cd_off > (uint64_t)size || cd_size > (uint64_t)size - cd_off)
    return sic_err_set(err, SIC_EFORMAT, "central directory (%llu bytes at %llu) outside the %lld-byte archive",
                       (unsigned long long)cd_size, (unsigned long long)cd_off, (long long)size);
  if (cd_size > ZIP_CD_MAX) return sic_err_set(err, SIC_ELIMIT, "central directory of %llu bytes: too large",
                                               (unsigned long long)cd_size);
  loc->entries = entries;
  loc->cd_offset = (int64_t)cd_off;
  loc->cd_size = (int64_t)cd_size;
  return 0;
}

void zip_directory_free(zip_directory *d) {
  for (size_t i = 0; i < d->n; i++) free(d->items[i].name);
  free(d->items);
  memset(d, 0, sizeof *d);
}

/* The zip64 extra field's values for the 32-bit fields that overflowed. */
static int zip64_extra(const uint8_t *x, size_t xn, zip_member *m, uint32_t usize32, uint32_t csize32,
                       uint32_t lho32) {
  for (size_t i = 0; i + 4 <= xn;) {
    uint16_t id = le16(x + i), len = le16(x + i + 2);
    if (i + 4 + len > xn) return -1;
    if (id == 1) {
      const uint8_t *v = x + i + 4;
      size_t k = 0;
      if (usize32 == 0xFFFFFFFFu) { if (k + 8 > len) return -1; m->usize = le64(v + k); k += 8; }
      if (csize32 == 0xFFFFFFFFu) { if (k + 8 > len) return -1; m->csize = le64(v + k); k += 8; }
      if (lho32 == 0xFFFFFFFFu) { if (k + 8 > len) return -1; m->local_offset = le64(v + k); }
      return 0;
    }
    i += 4 + (size_t)len;
  }
  return usize32 == 0xFFFFFFFFu || csize32 == 0xFFFFFFFFu || lho32 == 0xFFFFFFFFu ? -1 : 0;
}

int zip_parse_directory(const uint8_t *cd, size_t n, uint64_t entries, int64_t size, zip_directory *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (entries > n / 46) return sic_err_set(err, SIC_EFORMAT, "central directory claims %llu members in %zu bytes",
                                          (unsigned long long)entries, n);
  out->items = calloc(entries + 1, sizeof *out->items);
  if (!out->items) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  size_t at = 0;
  for (uint64_t i = 0; i < entries; i++) {
    if (at + 46 > n || le32(cd + at) != 0x02014b50)
      goto bad;
    const uint8_t *h = cd + at;
    size_t nl = le16(h + 28), xl = le16(h + 30), cl = le16(h + 32);
    if (at + 46 + nl + xl + cl > n) goto bad;
    zip_member m = {.method = le16(h + 10), .flags = le16(h + 8), .crc = le32(h + 16), .csize = le32(h + 20),
                    .usize = le32(h + 24), .local_offset = le32(h + 42), .data_offset = -1};
    if (zip64_extra(h + 46 + nl, xl, &m, le32(h + 24), le32(h + 20), le32(h + 42)))
      return zip_directory_free(out), sic_err_set(err, SIC_EFORMAT, "member %llu: bad zip64 extra field",
                                                   (unsigned long long)i);
    at += 46 + nl + xl + cl;
    if (!nl || memchr(h + 46, 0, nl) || h[46 + nl - 1] == '/') continue; /* directories, odd names */
    if (m.local_offset > (uint64_t)size || m.csize > (uint64_t)size)
      return zip_directory_free(out), sic_err_set(err, SIC_EFORMAT, "member %llu lies outside the archive",
                                                   (unsigned long long)i);
    if (!(m.name = strndup((const char *)h + 46, nl))) return zip_directory_free(out), sic_err_set(err, SIC_ENOMEM, "out of memory");
    out->items[out->n++] = m;
  }
  return 0;
bad:
  zip_directory_free(out);
  return sic_err_set(err, SIC_EFORMAT, "central directory entry at byte %zu is damaged", at);
}

/* ---- reading ---- */

/* Up to want bytes of name from offset into buf (exactly want, else an error). */
static int read_range(sic_source *s, const char *name, int64_t off, size_t want, uint8_t *buf, sic_err *err) {
  sic_reader *r;
  int rc = s->ops->read(s, name, off, (int64_t)want, &r, err);
  if (rc) return rc;
  size_t got = 0;
  while (!rc && got < want) {
    size_t k = 0;
    rc = r->read(r, buf + got, want - got, &k, err);
    if (!rc && !k) rc = sic_err_set(err, SIC_ETRUNCATED, "%s: %zu of %zu bytes at %lld", name, got, want, (long long)off);
    got += k;
  }
  r->close(r);
  return rc;
}

/* The part source of one archive's members. */
typedef struct zip_source {
  sic_part_source part;  /* first member: reference count and the member opener */
  sic_source *bucket;    /* the store holding the archive (one reference owned) */
  char *object;          /* the archive's name under the bucket's root (owned) */
  char *root;            /* "<archive URI>!": member parts are "<root>/<member>" (owned) */
  int64_t size;          /* the archive's size */
  zip_directory dir;     /* its members (owned) */
} zip_source;

static zip_member *member_of(zip_source *z, const char *path) {
  size_t n = strlen(z->root);
  if (strncmp(path, z->root, n) || path[n] != '/') return NULL;
  for (size_t i = 0; i < z->dir.n; i++)
    if (!strcmp(z->dir.items[i].name, path + n + 1)) return &z->dir.items[i];
  return NULL;
}

typedef struct member_reader {
  sic_reader base;      /* read/close */
  sic_reader *raw;      /* the member's compressed bytes (owned) */
  const zip_member *m;  /* borrowed from the zip source, which the part keeps alive */
  const char *display;  /* for messages (the zip source's root) */
  z_stream zs;          /* raw inflate when deflated */
  int inflating;        /* zs initialised */
  uint8_t in[65536];    /* compressed bytes not yet inflated */
  uint64_t out_total;   /* bytes produced */
  uint32_t crc;         /* CRC-32 of them */
  int done;             /* the member ended (checked) */
  int stream_end;       /* inflate reached the end of the deflated data */
  int head_only;        /* only the first bytes were fetched: their end is the reader's */
} member_reader;

static int member_finish(member_reader *r, sic_err *err) {
  r->done = 1;
  if (r->head_only) return 0;
  if (r->out_total != r->m->usize || r->crc != r->m->crc)
    return sic_err_set(err, SIC_EFORMAT, "%s/%s: member damaged (%llu of %llu bytes, CRC %s)", r->display, r->m->name,
                       (unsigned long long)r->out_total, (unsigned long long)r->m->usize,
                       r->crc == r->m->crc ? "matches" : "differs");
  return 0;
}

static int member_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  member_reader *r = (member_reader *)base;
  *got = 0;
  if (r->done || !cap) return 0;
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  if (!r->inflating) { /* stored */
    int rc = r->raw->read(r->raw, buf, cap, got, err);
    if (rc) return rc;
    if (!*got) return member_finish(r, err);
  } else {
    if (r->stream_end) return member_finish(r, err);
    r->zs.next_out = buf;
    r->zs.avail_out = (uInt)cap;
    while (r->zs.avail_out == cap) {
      if (!r->zs.avail_in) {
        size_t k = 0;
        int rc = r->raw->read(r->raw, r->in, sizeof r->in, &k, err);
        if (rc) return rc;
        if (!k && r->head_only) break; /* as far as the head goes */
        if (!k) return sic_err_set(err, SIC_ETRUNCATED, "%s/%s: deflated data ends early", r->display, r->m->name);
        r->zs.next_in = r->in;
        r->zs.avail_in = (uInt)k;
      }
      int z = inflate(&r->zs, Z_NO_FLUSH);
      if (z == Z_STREAM_END) {
        r->stream_end = 1;
        break;
      }
      if (z != Z_OK && z != Z_BUF_ERROR)
        return sic_err_set(err, SIC_EFORMAT, "%s/%s: bad deflate data (%s)", r->display, r->m->name,
                           r->zs.msg ? r->zs.msg : "zlib error");
    }
    *got = cap - r->zs.avail_out;
    if (!*got) return member_finish(r, err);
  }
  r->crc = (uint32_t)crc32(r->crc, buf, (uInt)*got);
  r->out_total += *got;
  return 0;
}

static void member_close(sic_reader *base) {
  member_reader *r = (member_reader *)base;
  if (r->inflating) inflateEnd(&r->zs);
  if (r->raw) r->raw->close(r->raw);
  free(r);
}

/* A member from its start; head > 0: only its first head bytes are wanted, so at most about
 * that many compressed bytes are fetched and the reader ends quietly where they end. */
static int open_member(zip_source *z, const sic_logpart *part, size_t head, sic_reader **out, sic_err *err) {
  *out = NULL;
  zip_member *m = member_of(z, part->path);
  if (!m) return sic_err_set(err, SIC_ENOTFOUND, "%s: no such member", part->path);
  if (m->flags & 1) return sic_err_set(err, SIC_EUNSUPPORTED, "%s: an encrypted zip member", part->path);
  if (m->method != 0 && m->method != 8)
    return sic_err_set(err, SIC_EUNSUPPORTED, "%s: zip compression method %u (only stored and deflated)", part->path,
                       m->method);
  int64_t data = __atomic_load_n(&m->data_offset, __ATOMIC_ACQUIRE);
  if (data < 0) { /* the local header's name and extra lengths may differ from the directory's */
    uint8_t h[ZIP_LOCAL_HEADER];
    int rc = read_range(z->bucket, z->object, (int64_t)m->local_offset, sizeof h, h, err);
    if (rc) return rc;
    if (le32(h) != 0x04034b50) return sic_err_set(err, SIC_EFORMAT, "%s: no local header where the directory says", part->path);
    data = (int64_t)m->local_offset + ZIP_LOCAL_HEADER + le16(h + 26) + le16(h + 28);
    if (data > z->size || (uint64_t)(z->size - data) < m->csize)
      return sic_err_set(err, SIC_EFORMAT, "%s: member data runs past the archive's end", part->path);
    __atomic_store_n(&m->data_offset, data, __ATOMIC_RELEASE);
  }
  member_reader *r = calloc(1, sizeof *r);
  if (!r) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  r->base.read = member_read;
  r->base.close = member_close;
  r->m = m;
  r->display = z->root;
  r->head_only = head > 0;
  if (m->method == 8) {
    if (inflateInit2(&r->zs, -MAX_WBITS) != Z_OK) {
      free(r);
      return sic_err_set(err, SIC_ENOMEM, "out of memory (zlib)");
    }
    r->inflating = 1;
  }
  int64_t want = head > 0 && head + 1024 < m->csize ? (int64_t)head + 1024 : (int64_t)m->csize;
  int rc = m->csize ? z->bucket->ops->read(z->bucket, z->object, data, want, &r->raw, err) : 0;
  if (!rc && !m->csize) { /* an empty member: nothing to fetch */
    r->done = m->usize == 0 && m->crc == 0 ? 1 : 0;
    if (!r->done) rc = sic_err_set(err, SIC_EFORMAT, "%s: empty data for a non-empty member", part->path);
  }
  if (rc) {
    member_close(&r->base);
    return rc;
  }
  *out = &r->base;
  return 0;
}

static int zip_open_member(sic_part_source *ps, const sic_logpart *part, sic_reader **out, sic_err *err) {
  return open_member((zip_source *)ps, part, 0, out, err);
}

static void zip_source_destroy(sic_part_source *ps) {
  zip_source *z = (zip_source *)ps;
  sic_source_free(z->bucket);
  free(z->object);
  free(z->root);
  zip_directory_free(&z->dir);
  free(z);
}

/* read_head of the member tree: the first decompressed bytes of a member. */
typedef struct zip_head_ctx {
  zip_source *z;            /* the archive */
  const sic_remote_entry *entries; /* the tree's entries, parallel to z->dir.items */
} zip_head_ctx;

static size_t zip_read_head(void *ctx, size_t i, uint8_t *buf, size_t cap) {
  zip_head_ctx *h = ctx;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", h->z->root, h->entries[i].name);
  sic_logpart part = {.path = path};
  sic_reader *r;
  sic_err err;
  if (open_member(h->z, &part, cap, &r, &err)) return 0;
  return reader_read_head(r, buf, cap);
}

/* The directory of the archive: the tail, then the central directory when the tail lacks it. */
static int zip_load_directory(zip_source *z, sic_err *err) {
  /* a small tail first (an archive comment is rare), the largest one when that misses */
  int64_t tail_len = z->size < ZIP_TAIL_FIRST ? z->size : ZIP_TAIL_FIRST, tail_off = z->size - tail_len;
  uint8_t *tail = malloc(ZIP_TAIL + 1);
  if (!tail) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  zip_directory_loc loc;
  int rc = read_range(z->bucket, z->object, tail_off, (size_t)tail_len, tail, err);
  if (!rc) rc = zip_find_directory(tail, (size_t)tail_len, tail_off, z->size, &loc, err);
  if (rc == SIC_EFORMAT && tail_len < z->size && tail_len < ZIP_TAIL) {
    tail_len = z->size < ZIP_TAIL ? z->size : ZIP_TAIL;
    tail_off = z->size - tail_len;
    rc = read_range(z->bucket, z->object, tail_off, (size_t)tail_len, tail, err);
    if (!rc) rc = zip_find_directory(tail, (size_t)tail_len, tail_off, z->size, &loc, err);
  }
  if (!rc && loc.cd_offset >= tail_off) {
    rc = zip_parse_directory(tail + (loc.cd_offset - tail_off), (size_t)loc.cd_size, loc.entries, z->size, &z->dir, err);
  } else if (!rc) {
    uint8_t *cd = malloc((size_t)loc.cd_size + 1);
    rc = cd ? read_range(z->bucket, z->object, loc.cd_offset, (size_t)loc.cd_size, cd, err)
            : sic_err_set(err, SIC_ENOMEM, "out of memory");
    if (!rc) rc = zip_parse_directory(cd, (size_t)loc.cd_size, loc.entries, z->size, &z->dir, err);
    free(cd);
  }
  free(tail);
  if (rc) sic_err_wrap(err, "%.*s: ", (int)strlen(z->root) - 1, z->root); /* the archive, without the '!' */
  return rc;
}

int zip_remote_scan(sic_source *s, const sic_source_entry *e, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  zip_source *z = calloc(1, sizeof *z);
  if (!z) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  z->part.open = zip_open_member;
  z->part.destroy = zip_source_destroy;
  z->part.refs = 1;
  sic_part_source_retain(&s->part);
  z->bucket = s;
  z->size = e->size;
  z->object = strdup(e->name);
  size_t rn = strlen(s->root) + strlen(e->name) + 4;
  z->root = malloc(rn);
  sic_remote_entry *entries = NULL;
  char *uri = NULL;
  int rc = 0;
  if (!z->object || !z->root) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  snprintf(z->root, rn, "%s/%s!", s->root, e->name);
  if (e->size < 22) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s/%s: too small to be a zip archive", s->root, e->name);
    goto done;
  }
  rc = zip_load_directory(z, err);
  if (rc) goto done;
  entries = calloc(z->dir.n + 1, sizeof *entries);
  if (!entries) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < z->dir.n; i++)
    entries[i] = (sic_remote_entry){z->dir.items[i].name, (int64_t)z->dir.items[i].usize, e->mtime_ms};
  zip_head_ctx h = {z, entries};
  sic_remote_tree tree = {z->root, entries, z->dir.n, &z->part, zip_read_head, &h};
  rc = sic_logset_scan_remote(&tree, out, err);
  if (rc) goto done;
  /* as a local zip: the zip layout, and a zip of one log is named by the archive */
  for (size_t i = 0; i < out->n; i++) out->items[i].layout = SIC_LAYOUT_ZIP;
  if (out->n == 1 && (uri = strndup(z->root, strlen(z->root) - 1))) {
    free(out->items[0].path);
    out->items[0].path = uri;
  }
done:
  free(entries);
  sic_part_source_release(&z->part); /* the parts hold their own references */
  return rc;
}
