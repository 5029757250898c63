/* The logs resource: a zip of the application's event log files, as the History Server's
 * EventLogFileReader.zipEventLogFiles writes it (a single file as its name; a rolling or
 * other log directory as "<dir>/" plus "<dir>/<file>" entries), written while it is sent.
 *
 * Like java.util.zip.ZipOutputStream, every file member is DEFLATE with a data descriptor
 * (flag bit 3: CRC and sizes follow the data, 8-byte sizes when they pass 4 GiB), so the first
 * bytes leave before the log is read and memory is one read buffer plus a deflate state,
 * whatever the log's size. The central directory (Zip64 records when needed) ends the answer.
 *
 * Deflate level: members that are already compressed (zstd, lz4, snappy, lzf, gzip, told by
 * name or magic) get level 0 (stored blocks inside DEFLATE: 5 bytes per block of up to 64 KiB,
 * framed here with the file read straight into the answer); compressing them again gains
 * nothing. Plain JSON members get level 1 by
 * default. Measured on the first 64 MiB of the bench log (zlib, CPU time of one thread, loaded
 * machine): level 1 shrinks it 15x at 404 MB/s, level 6 24x at 177 MB/s (inflate ~600 MB/s
 * either way); in the 1 GiB loopback benchmark level 1 loads at ~60% of level 0's speed.
 * Level 1 keeps a real network (where the bytes cost) fast without making the server the
 * bottleneck, which level 6 would be on a 1-10 Gbit/s link. A reader on the same machine (a
 * loopback peer) gets level 0: there the bytes cost nothing and compressing only burns CPU on
 * both sides. SIC_LOGS_ZIP_LEVEL=0..9 overrides both. Not STORED: a STORED member must carry
 * its CRC and size before its data, which a streamed, possibly growing, file cannot, and
 * STORED with a data descriptor is refused by java.util.zip readers.
 *
 * A read error mid-way ends the answer without its end records: the client sees a cut zip. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/crc32.h"

#include "eventlog/codec.h"
#include "shs/shs_internal.h"

#define LOGS_READ (256u << 10)  /* file bytes read at a time */
#define LOGS_STAGE 4096         /* header bytes staged at a time (names are capped below) */
#define LOGS_NAME_MAX 2048      /* longest member name */

/* One member of the answer. */
typedef struct zip_out_entry {
  char *name;           /* member name (owned) */
  char *path;           /* file to read, NULL for a directory entry (owned) */
  uint32_t dos;         /* MS-DOS date << 16 | time of the file's mtime */
  uint32_t crc;         /* CRC-32 of the data */
  uint64_t csize;       /* compressed bytes */
  uint64_t usize;       /* data bytes */
  uint64_t offset;      /* where its local header starts */
} zip_out_entry;

typedef enum zip_phase { ZP_HEADER, ZP_DATA, ZP_DESCRIPTOR, ZP_CENTRAL, ZP_END, ZP_DONE } zip_phase;

struct shs_logs_zip {
  zip_out_entry *e;     /* members in order (owned) */
  size_t n;             /* members */
  size_t cur;           /* member being written, then central record being written */
  zip_phase phase;      /* what comes next */
  int level_plain;      /* deflate level of plain members */
  int fd;               /* file of the current member, -1 when none */
  int file_eof;         /* it was read to its end */
  int stored_blocks;    /* level 0: the member's DEFLATE stored blocks are framed here, the file
                           read straight into the output (zlib would copy every byte once more) */
  z_stream zs;          /* deflate state, reset per member */
  int zs_ready;         /* deflateInit2 succeeded */
  uint8_t *in;          /* file bytes read (owned, LOGS_READ) */
  uint8_t stage[LOGS_STAGE]; /* header bytes waiting to be sent */
  size_t stage_pos;     /* bytes of stage sent */
  size_t stage_len;     /* bytes staged */
  uint64_t written;     /* bytes of the answer produced */
  uint64_t file_read;   /* file bytes read in total (tests: what was read before the first bytes left) */
  uint64_t cd_start;    /* offset of the central directory */
};

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static uint32_t dos_time(time_t t) {
  struct tm tm;
  localtime_r(&t, &tm);
  if (tm.tm_year < 80) return (1u << 21) | (1u << 16); /* 1980-01-01 */
  return (uint32_t)((tm.tm_year - 80) << 25 | (tm.tm_mon + 1) << 21 | tm.tm_mday << 16 | tm.tm_hour << 11 |
                    tm.tm_min << 5 | tm.tm_sec / 2);
}

static int add_entry(shs_logs_zip *z, const char *name, const char *path) {
  zip_out_entry *grown = realloc(z->e, (z->n + 1) * sizeof *grown);
  if (!grown) return -1;
  z->e = grown;
  zip_out_entry *e = &z->e[z->n];
  memset(e, 0, sizeof *e);
  struct stat sb;
  e->dos = dos_time(path && stat(path, &sb) == 0 ? sb.st_mtime : time(NULL));
  e->name = strndup(name, LOGS_NAME_MAX);
  e->path = path ? strdup(path) : NULL;
  if (!e->name || (path && !e->path)) {
    free(e->name);
    free(e->path);
    return -1;
  }
  z->n++;
  return 0;
}

/* Every regular file of dir as "<dirname>/<file>", by name, after the "<dirname>/" entry. */
static int add_dir(shs_logs_zip *z, const char *dir) {
  char prefix[1024];
  snprintf(prefix, sizeof prefix, "%s/", base_name(dir));
  if (add_entry(z, prefix, NULL)) return -1;
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char **nn = realloc(names, (n + 1) * sizeof *nn);
    if (!nn || !(nn[n] = strdup(de->d_name))) {
      names = nn ? nn : names;
      rc = -1;
      break;
    }
    names = nn;
    n++;
  }
  closedir(d);
  if (names) sic_qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && rc == 0; i++) {
    char path[4096], entry[2048];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) continue;
    snprintf(entry, sizeof entry, "%s%s", prefix, names[i]);
    rc = add_entry(z, entry, path);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

static int add_logset(shs_logs_zip *z, const sic_logset *set) {
  struct stat sb;
  if (stat(set->path, &sb) == 0 && S_ISDIR(sb.st_mode)) return add_dir(z, set->path);
  return add_entry(z, base_name(set->path), set->path);
}

void shs_logs_zip_free(shs_logs_zip *z) {
  if (!z) return;
  if (z->fd >= 0) close(z->fd);
  if (z->zs_ready) deflateEnd(&z->zs);
  for (size_t i = 0; i < z->n; i++) {
    free(z->e[i].name);
    free(z->e[i].path);
  }
  free(z->e);
  free(z->in);
  free(z);
}

/* SIC_LOGS_ZIP_LEVEL when set (0..9), else -1. */
static int level_from_env(void) {
  const char *v = getenv("SIC_LOGS_ZIP_LEVEL");
  return v && *v >= '0' && *v <= '9' && !v[1] ? *v - '0' : -1;
}

static int plain_level(void) {
  int env = level_from_env();
  return env >= 0 ? env : 1;
}

void shs_logs_zip_peer_local(shs_logs_zip *z) {
  if (level_from_env() < 0 && z->phase == ZP_HEADER && z->cur == 0) z->level_plain = 0;
}

shs_logs_zip *shs_logs_zip_new(const sic_logset *const *sets, size_t nsets) {
  shs_logs_zip *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->fd = -1;
  z->level_plain = plain_level();
  z->in = malloc(LOGS_READ);
  int ok = z->in && deflateInit2(&z->zs, z->level_plain, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  z->zs_ready = ok;
  for (size_t i = 0; ok && i < nsets; i++) ok = add_logset(z, sets[i]) == 0;
  if (!ok) {
    shs_logs_zip_free(z);
    return NULL;
  }
  return z;
}

uint64_t shs_logs_zip_file_read(const shs_logs_zip *z) { return z->file_read; }

/* ---- bytes ---- */

static uint8_t *put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}
static uint8_t *put32(uint8_t *p, uint32_t v) { return put16(put16(p, v & 0xFFFF), v >> 16); }
static uint8_t *put64(uint8_t *p, uint64_t v) { return put32(put32(p, (uint32_t)v), (uint32_t)(v >> 32)); }

/* Local header of member e, bit 3 set for files (CRC and sizes come after the data). */
static void stage_local(shs_logs_zip *z, zip_out_entry *e) {
  size_t nl = strlen(e->name);
  uint8_t *p = z->stage;
  p = put32(p, 0x04034b50u);
  p = put16(p, 20);                            /* version needed: 2.0 */
  p = put16(p, (e->path ? 8u : 0u) | 0x0800u); /* data descriptor; UTF-8 names */
  p = put16(p, e->path ? 8 : 0);               /* deflate; a directory is stored, empty */
  p = put32(p, e->dos);
  p = put32(p, 0);
  p = put32(p, 0);
  p = put32(p, 0);
  p = put16(p, (uint32_t)nl);
  p = put16(p, 0);
  memcpy(p, e->name, nl);
  z->stage_pos = 0;
  z->stage_len = (size_t)(p - z->stage) + nl;
}

static void stage_descriptor(shs_logs_zip *z, const zip_out_entry *e) {
  uint8_t *p = put32(z->stage, 0x08074b50u);
  p = put32(p, e->crc);
  if (e->csize >= 0xFFFFFFFFu || e->usize >= 0xFFFFFFFFu) p = put64(put64(p, e->csize), e->usize);
  else p = put32(put32(p, (uint32_t)e->csize), (uint32_t)e->usize);
  z->stage_pos = 0;
  z->stage_len = (size_t)(p - z->stage);
}

static void stage_central(shs_logs_zip *z, const zip_out_entry *e) {
  size_t nl = strlen(e->name);
  int big = e->csize >= 0xFFFFFFFFu || e->usize >= 0xFFFFFFFFu || e->offset >= 0xFFFFFFFFu;
  uint8_t *p = z->stage;
  p = put32(p, 0x02014b50u);
  p = put16(p, 0x0300u | 45);                  /* made by: Unix, 4.5 */
  p = put16(p, big ? 45 : 20);
  p = put16(p, (e->path ? 8u : 0u) | 0x0800u);
  p = put16(p, e->path ? 8 : 0);
  p = put32(p, e->dos);
  p = put32(p, e->crc);
  p = put32(p, big ? 0xFFFFFFFFu : (uint32_t)e->csize);
  p = put32(p, big ? 0xFFFFFFFFu : (uint32_t)e->usize);
  p = put16(p, (uint32_t)nl);
  p = put16(p, big ? 28 : 0);                  /* extra: Zip64 sizes and offset */
  p = put16(p, 0);
  p = put16(p, 0);
  p = put16(p, 0);
  p = put32(p, e->path ? 0100644u << 16 : (040755u << 16) | 0x10u);
  p = put32(p, big ? 0xFFFFFFFFu : (uint32_t)e->offset);
  memcpy(p, e->name, nl);
  p += nl;
  if (big) {
    p = put16(p, 0x0001);
    p = put16(p, 24);
    p = put64(put64(put64(p, e->usize), e->csize), e->offset);
  }
  z->stage_pos = 0;
  z->stage_len = (size_t)(p - z->stage);
}

/* Zip64 end record and locator when anything passed 32 bits, then the end record. */
static void stage_end(shs_logs_zip *z) {
  uint64_t cd_size = z->written - z->cd_start;
  int big = z->n >= 0xFFFF || z->cd_start >= 0xFFFFFFFFu || cd_size >= 0xFFFFFFFFu;
  uint8_t *p = z->stage;
  if (big) {
    uint64_t end64 = z->written;
    p = put32(p, 0x06064b50u);
    p = put64(p, 44);
    p = put16(p, 0x0300u | 45);
    p = put16(p, 45);
    p = put32(p, 0);
    p = put32(p, 0);
    p = put64(p, z->n);
    p = put64(p, z->n);
    p = put64(p, cd_size);
    p = put64(p, z->cd_start);
    p = put32(p, 0x07064b50u);
    p = put32(p, 0);
    p = put64(p, end64);
    p = put32(p, 1);
  }
  p = put32(p, 0x06054b50u);
  p = put16(p, 0);
  p = put16(p, 0);
  p = put16(p, big ? 0xFFFF : (uint32_t)z->n);
  p = put16(p, big ? 0xFFFF : (uint32_t)z->n);
  p = put32(p, big ? 0xFFFFFFFFu : (uint32_t)cd_size);
  p = put32(p, big ? 0xFFFFFFFFu : (uint32_t)z->cd_start);
  p = put16(p, 0);
  z->stage_pos = 0;
  z->stage_len = (size_t)(p - z->stage);
}

/* Open the current member's file and choose its level: 0 when it is compressed already. */
static int member_open(shs_logs_zip *z, zip_out_entry *e) {
  z->fd = open(e->path, O_RDONLY | O_CLOEXEC);
  if (z->fd < 0) return -1;
  uint8_t head[64];
  ssize_t n = pread(z->fd, head, sizeof head, 0);
  sic_codec c = sic_codec_resolve(sic_codec_from_name(base_name(e->path)), head, n > 0 ? (size_t)n : 0);
  int level = c == SIC_CODEC_NONE ? z->level_plain : 0;
  z->file_eof = 0;
  z->zs.avail_in = 0;
  z->stored_blocks = level == 0;
  e->crc = 0;
  if (z->stored_blocks) return 0;
  if (deflateReset(&z->zs) != Z_OK) return -1;
  if (deflateParams(&z->zs, level, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
  return 0;
}

/* One DEFLATE stored block (RFC 1951 3.2.4: a header byte at a byte boundary, LEN, NLEN, then
 * LEN raw bytes) of up to room file bytes read into out + 5; an empty final block at the end of
 * the file. Bytes written, or -1 on a read error; *final set with the last block. */
static long stored_block(shs_logs_zip *z, zip_out_entry *e, uint8_t *out, size_t room, int *final) {
  if (room > 65535) room = 65535;
  ssize_t n;
  do n = read(z->fd, out + 5, room);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  *final = n == 0;
  out[0] = (uint8_t)*final; /* BFINAL, BTYPE 00 */
  put16(put16(out + 1, (uint32_t)n), (uint32_t)~n & 0xFFFFu);
  e->crc = sic_crc32(e->crc, out + 5, (size_t)n);
  e->usize += (uint64_t)n;
  e->csize += 5 + (uint64_t)n;
  z->file_read += (uint64_t)n;
  return 5 + n;
}

/* The member's stored blocks into out; 1 when its data ended, 0 when out is full, -1 on error.
 * Too little room for a useful block: one block of up to a stage's size goes to the stage. */
static int member_stored(shs_logs_zip *z, zip_out_entry *e, uint8_t *out, size_t cap, size_t *made) {
  *made = 0;
  int final = 0;
  if (cap < 512) {
    long n = stored_block(z, e, z->stage, LOGS_STAGE - 5, &final);
    if (n < 0) return -1;
    z->stage_pos = 0;
    z->stage_len = (size_t)n;
    return final;
  }
  while (cap - *made >= 512 && !final) {
    long n = stored_block(z, e, out + *made, cap - *made - 5, &final);
    if (n < 0) return -1;
    *made += (size_t)n;
  }
  return final;
}

/* Deflate the current member into out; 1 when its data ended, 0 when out is full, -1 on error. */
static int member_data(shs_logs_zip *z, zip_out_entry *e, uint8_t *out, size_t cap, size_t *made) {
  if (z->stored_blocks) return member_stored(z, e, out, cap, made);
  *made = 0;
  while (*made < cap) {
    if (!z->zs.avail_in && !z->file_eof) {
      ssize_t n;
      do n = read(z->fd, z->in, LOGS_READ);
      while (n < 0 && errno == EINTR);
      if (n < 0) return -1;
      if (n == 0) z->file_eof = 1;
      e->crc = sic_crc32(e->crc, z->in, (size_t)n);
      e->usize += (uint64_t)n;
      z->file_read += (uint64_t)n;
      z->zs.next_in = z->in;
      z->zs.avail_in = (uInt)n;
    }
    z->zs.next_out = out + *made;
    z->zs.avail_out = (uInt)(cap - *made);
    int r = deflate(&z->zs, z->file_eof ? Z_FINISH : Z_NO_FLUSH);
    size_t produced = cap - *made - z->zs.avail_out;
    *made += produced;
    e->csize += produced;
    if (r == Z_STREAM_END) return 1;
    if (r != Z_OK && r != Z_BUF_ERROR) return -1;
  }
  return 0;
}

long shs_logs_zip_read(shs_logs_zip *z, uint8_t *buf, size_t cap) {
  size_t filled = 0;
  while (filled < cap) {
    if (z->stage_pos < z->stage_len) {
      size_t n = z->stage_len - z->stage_pos;
      if (n > cap - filled) n = cap - filled;
      memcpy(buf + filled, z->stage + z->stage_pos, n);
      z->stage_pos += n;
      filled += n;
      z->written += n;
      continue;
    }
    if (z->phase == ZP_DONE) break;
    if (z->phase == ZP_HEADER) {
      if (z->cur == z->n) {
        z->phase = ZP_CENTRAL;
        z->cur = 0;
        z->cd_start = z->written;
        continue;
      }
      zip_out_entry *e = &z->e[z->cur];
      e->offset = z->written;
      if (e->path && member_open(z, e)) return -1;
      stage_local(z, e);
      if (e->path) z->phase = ZP_DATA;
      else z->cur++;
    } else if (z->phase == ZP_DATA) {
      zip_out_entry *e = &z->e[z->cur];
      size_t made;
      int r = member_data(z, e, buf + filled, cap - filled, &made);
      filled += made;
      z->written += made;
      if (r < 0) return -1;
      if (r == 1) {
        close(z->fd);
        z->fd = -1;
        z->phase = ZP_DESCRIPTOR; /* after a block that may sit in the stage */
      }
    } else if (z->phase == ZP_DESCRIPTOR) {
      stage_descriptor(z, &z->e[z->cur++]);
      z->phase = ZP_HEADER;
    } else if (z->phase == ZP_CENTRAL) {
      if (z->cur == z->n) {
        stage_end(z);
        z->phase = ZP_END;
        continue;
      }
      stage_central(z, &z->e[z->cur++]);
    } else {
      z->phase = ZP_DONE;
    }
  }
  return (long)filled;
}

static long logs_stream_read(void *ctx, uint8_t *buf, size_t cap) { return shs_logs_zip_read(ctx, buf, cap); }
static void logs_stream_free(void *ctx) { shs_logs_zip_free(ctx); }
static void logs_stream_peer_local(void *ctx) { shs_logs_zip_peer_local(ctx); }

int shs_render_logs(sic_shs *shs, const shs_appinfo *app, const char *attempt_id, sic_shs_response *r) {
  const sic_logset *sets[64];
  size_t n = 0;
  for (size_t k = 0; k < app->nattempts && n < sizeof sets / sizeof sets[0]; k++) {
    const shs_attempt *at = &app->attempts[k];
    if (attempt_id && !(at->attempt_id && !strcmp(at->attempt_id, attempt_id))) continue;
    sets[n++] = &shs->sets.items[at->logset];
  }
  /* the member list is taken now, under the catalog's lock; the files are read while sending */
  shs_logs_zip *z = shs_logs_zip_new(sets, n);
  if (!z) return shs_error(r, 503, "Event logs are not available for app: %s.", app->id);
  char name[1024];
  if (attempt_id) snprintf(name, sizeof name, "eventLogs-%s-%s.zip", app->id, attempt_id);
  else snprintf(name, sizeof name, "eventLogs-%s.zip", app->id);
  free(r->body);
  r->body = NULL;
  r->len = 0;
  r->stream.read = logs_stream_read;
  r->stream.free = logs_stream_free;
  r->stream.peer_local = logs_stream_peer_local;
  r->stream.ctx = z;
  r->status = 200;
  r->content_type = "application/octet-stream";
  r->filename = strdup(name);
  return 200;
}
