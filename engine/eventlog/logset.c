/* sic_logset_scan: find logical event logs under a path (see eventlog.h).
 *
 * The filesystem and zip archives are walked through one small "listing" abstraction, so
 * the same layout rules apply to a directory on disk and to a directory inside a History
 * Server /logs zip:
 *   rolling     eventlog_v2_<appId>/events_<n>_<appId>[.codec][.compact] + appstatus_<appId>[.inprogress]
 *   databricks  eventlog + eventlog-YYYY-MM-DD--HH-MM[.gz] (and nothing else)
 *   legacy      EVENT_LOG_<n> + SPARK_VERSION_<v> [+ APPLICATION_COMPLETE] [+ COMPRESSION_CODEC_<c>]
 *   otherwise   a directory of many logs: every file that sniffs as an event log (its first
 *               decompressed bytes are a JSON object with an "Event" key) is one log, every
 *               subdirectory is scanned the same way, everything else is counted in nskipped.
 *
 * A remote tree (sources/: an object-store listing) is flat like a zip, and walked the same way.
 *
 * Ownership: all strings in the result are heap copies released by sic_logsets_free. */
#include "eventlog/eventlog.h"
#include "core/sort.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "eventlog/codec.h"

#define SNIFF_IN 65536    /* stored bytes read to decide whether a file is an event log */
#define SNIFF_OUT 65536   /* decompressed bytes examined for {"Event": ... */
#define SNIFF_MAX_IN ((32u << 20) + 64) /* one largest lz4-java block plus its header */
#define MAX_DEPTH 32      /* directory recursion limit (symlink loops) */

/* One file or subdirectory of a listed directory (on disk or inside a zip). */
typedef struct entry {
  char *name;           /* base name (owned) */
  char *path;           /* filesystem path; for zip entries the archive path (owned) */
  char *member;         /* full zip member (or remote object) name, NULL on the filesystem (owned) */
  size_t remote_index;  /* index into the remote tree's entries (files of a remote tree) */
  int is_dir;           /* 1 for a (possibly virtual) directory */
  int64_t size;         /* bytes, -1 when unknown */
  int64_t mtime_ms;     /* modification time, ms since epoch */
} entry;

typedef struct listing {
  entry *e;             /* owned, sorted by name */
  size_t n;             /* entries used */
  size_t cap;           /* entries allocated */
} listing;

/* Where entries come from. */
typedef struct dir_id {
  dev_t dev;            /* device of a directory being walked */
  ino_t ino;            /* its inode */
} dir_id;

typedef struct scan_ctx {
  dir_id stack[MAX_DEPTH + 1]; /* directories on the current walk path (symlink loops) */
  const char *root;     /* resolved path of the directory the caller named (symlinks that
                           resolve outside it are not followed), NULL when a file was named */
  int depth;            /* entries used in stack */
  zip_t *zip;           /* open archive when walking a zip, else NULL */
  const char *zip_path; /* that archive's path (or the remote tree's root URI) */
  const sic_remote_tree *remote; /* remote tree being walked, else NULL */
  sic_logsets *out;     /* results accumulate here */
  size_t cap;           /* allocated items in out */
  sic_err *err;         /* error destination */
} scan_ctx;

/* ---- small helpers ---- */

static int nomem(sic_err *err) { return sic_err_set(err, SIC_ENOMEM, "out of memory scanning event logs"); }

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int has_prefix(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

static char *join_path(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (!p) return NULL;
  memcpy(p, dir, a);
  size_t at = a;
  if (a && dir[a - 1] != '/') p[at++] = '/';
  memcpy(p + at, name, b + 1);
  return p;
}

static const char *base_of(const char *path) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--; /* "dir/" names dir */
  const char *end = path + n, *p = end;
  while (p > path && p[-1] != '/') p--;
  return p;
}

/* Basename of a path (trailing slashes ignored) as a new string. */
static char *base_dup(const char *path) {
  const char *b = base_of(path);
  size_t n = strlen(b);
  while (n > 1 && b[n - 1] == '/') n--;
  return strndup(b, n);
}

/* Display name: basename without .inprogress and without a known codec (or .zip) suffix. */
static char *display_name(const char *path) {
  char *name = base_dup(path);
  if (!name) return NULL;
  if (has_suffix(name, ".inprogress")) name[strlen(name) - strlen(".inprogress")] = 0;
  static const char *const suffixes[] = {".zstd", ".zst", ".lz4", ".snappy", ".lzf", ".gz", ".gzip", ".zip"};
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (has_suffix(name, suffixes[i]) && strlen(name) > strlen(suffixes[i])) {
      name[strlen(name) - strlen(suffixes[i])] = 0;
      break;
    }
  return name;
}

/* Parse decimal digits at s into *v; returns pointer after them or NULL if none. */
static const char *parse_index(const char *s, long long *v) {
  if (!isdigit((unsigned char)*s)) return NULL;
  long long x = 0;
  while (isdigit((unsigned char)*s)) {
    if (x > 1000000000000LL) return NULL;
    x = x * 10 + (*s++ - '0');
  }
  *v = x;
  return s;
}

/* Files that are never event logs whatever they contain. */
int sic_logname_skipped(const char *name) {
  return name[0] == '.' || has_suffix(name, ".crc") || has_suffix(name, ".sparklens.json") ||
         !strcmp(name, "_SUCCESS") || has_suffix(name, ".md") || has_suffix(name, ".txt");
}

/* ---- listings ---- */

static void listing_free(listing *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->e[i].name);
    free(l->e[i].path);
    free(l->e[i].member);
  }
  free(l->e);
  memset(l, 0, sizeof *l);
}

static entry *listing_add(listing *l) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    entry *grown = realloc(l->e, cap * sizeof *grown);
    if (!grown) return NULL;
    l->e = grown;
    l->cap = cap;
  }
  entry *e = &l->e[l->n++];
  memset(e, 0, sizeof *e);
  return e;
}

static int entry_cmp(const void *a, const void *b) {
  return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static int64_t stat_mtime_ms(const struct stat *st) {
  return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* A symlink under the named directory is followed only when it resolves inside that
 * directory: `up -> ..` or `all -> /` must not widen what a scan (or a server) reads. */
static int link_stays_inside(const char *root, const char *path) {
  struct stat lst;
  if (!root || lstat(path, &lst) || !S_ISLNK(lst.st_mode)) return 1;
  char *real = realpath(path, NULL);
  if (!real) return 0;
  size_t n = strlen(root);
  int inside = !strncmp(real, root, n) && (real[n] == '/' || real[n] == 0 || (n == 1 && root[0] == '/'));
  free(real);
  return inside;
}

static int list_fs_dir(scan_ctx *c, const char *dir, listing *l) {
  sic_err *err = c->err;
  DIR *d = opendir(dir);
  if (!d) return sic_err_set(err, SIC_EIO, "%s: cannot list directory: %s", dir, strerror(errno));
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *path = join_path(dir, de->d_name);
    struct stat st;
    if (!path) {
      rc = nomem(err);
      break;
    }
    if (stat(path, &st) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
      free(path); /* dangling symlinks, sockets, ...: not logs */
      continue;
    }
    if (!link_stays_inside(c->root, path)) {
      free(path);
      c->out->nskipped++;
      continue;
    }
    entry *e = listing_add(l);
    if (!e || !(e->name = strdup(de->d_name))) {
      free(path);
      rc = nomem(err);
      break;
    }
    e->path = path;
    e->is_dir = S_ISDIR(st.st_mode);
    e->size = st.st_size;
    e->mtime_ms = stat_mtime_ms(&st);
  }
  closedir(d);
  if (!rc && l->n > 1) sic_qsort(l->e, l->n, sizeof *l->e, entry_cmp); /* l->e is NULL when empty */
  return rc;
}

/* Name, size and mtime of the i-th member of a flat listing (zip or remote tree); 0 when the
 * member cannot be described. */
static int flat_stat(scan_ctx *c, size_t i, zip_stat_t *st) {
  if (c->remote) {
    const sic_remote_entry *re = &c->remote->entries[i];
    memset(st, 0, sizeof *st);
    st->name = re->name;
    st->size = re->size >= 0 ? (zip_uint64_t)re->size : 0;
    st->mtime = (time_t)(re->mtime_ms / 1000);
    st->valid = ZIP_STAT_NAME | ZIP_STAT_MTIME | (re->size >= 0 ? ZIP_STAT_SIZE : 0);
    return re->name != NULL;
  }
  return !zip_stat_index(c->zip, (zip_uint64_t)i, 0, st) && (st->valid & ZIP_STAT_NAME);
}

/* Members directly under `prefix` ("" for the root, else "dir/sub/"), subdirectories
 * synthesised from longer member names. */
static int list_zip_dir(scan_ctx *c, const char *prefix, listing *l) {
  size_t n = c->remote ? c->remote->n : (size_t)zip_get_num_entries(c->zip, 0);
  size_t plen = strlen(prefix);
  for (size_t i = 0; i < n; i++) {
    zip_stat_t st;
    if (!flat_stat(c, i, &st)) continue;
    if (strncmp(st.name, prefix, plen) || !st.name[plen]) continue;
    const char *rest = st.name + plen;
    const char *slash = strchr(rest, '/');
    size_t nlen = slash ? (size_t)(slash - rest) : strlen(rest);
    int seen = 0;
    for (size_t k = 0; k < l->n && !seen; k++)
      seen = l->e[k].is_dir && strlen(l->e[k].name) == nlen && !strncmp(l->e[k].name, rest, nlen);
    if (seen || !nlen) continue;
    entry *e = listing_add(l);
    if (!e || !(e->name = strndup(rest, nlen)) || !(e->path = strdup(c->zip_path))) return nomem(c->err);
    e->is_dir = slash != NULL;
    e->member = e->is_dir ? strndup(st.name, plen + nlen + 1) : strdup(st.name);
    if (!e->member) return nomem(c->err);
    e->remote_index = i;
    e->size = (st.valid & ZIP_STAT_SIZE) ? (int64_t)st.size : -1;
    e->mtime_ms = (st.valid & ZIP_STAT_MTIME) ? (int64_t)st.mtime * 1000 : 0;
    if (c->remote) e->mtime_ms = c->remote->entries[i].mtime_ms;
  }
  if (l->n > 1) sic_qsort(l->e, l->n, sizeof *l->e, entry_cmp);
  return 0;
}

/* ---- reading the first bytes of an entry ---- */

static size_t read_head(scan_ctx *c, const entry *e, uint8_t *buf, size_t cap) {
  size_t got = 0;
  if (e->member && c->remote) return c->remote->read_head(c->remote->ctx, e->remote_index, buf, cap);
  if (e->member) {
    zip_file_t *zf = zip_fopen(c->zip, e->member, 0);
    if (!zf) return 0;
    while (got < cap) {
      zip_int64_t n = zip_fread(zf, buf + got, cap - got);
      if (n <= 0) break;
      got += (size_t)n;
    }
    zip_fclose(zf);
    return got;
  }
  int fd = open(e->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  return got;
}

/* First decompressed bytes: a JSON object with an "Event" key in its first line. */
int sic_looks_like_events(const uint8_t *b, size_t n) {
  size_t i = 0;
  if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;
  while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
  if (i >= n || b[i] != '{') return 0;
  const uint8_t *nl = memchr(b + i, '\n', n - i);
  size_t line_end = nl ? (size_t)(nl - b) : n;
  return memmem(b + i, line_end - i, "\"Event\"", 7) != NULL;
}

/* Decompress the first bytes of in[0..n) into out; returns bytes produced. *wants_more is
 * set when the decoder could not make any progress without a longer head (a first block
 * larger than the head), as opposed to failing. */
static size_t sniff_decode(sic_codec codec, const uint8_t *in, size_t n, int eof, uint8_t *out, int *wants_more) {
  sic_decoder *d = sic_decoder_new(codec);
  *wants_more = 0;
  if (!d) return 0;
  size_t used = 0, made = 0;
  sic_err ignored;
  int rc = sic_decoder_run(d, in, n, eof, &used, out, SNIFF_OUT, &made, &ignored);
  *wants_more = rc == SIC_DEC_MORE && !used && !made;
  sic_decoder_free(d);
  return made;
}

/* Decide the codec (name + magic) and whether the entry holds event-log lines. The head
 * read grows only when the first block of a block codec is larger than it (lz4-java blocks
 * may reach 32 MB). */
static int sniff(scan_ctx *c, const entry *e, sic_codec *codec) {
  static const size_t heads[] = {SNIFF_IN, 1u << 20, SNIFF_MAX_IN};
  uint8_t *out = malloc(SNIFF_OUT);
  int is_log = 0;
  for (size_t i = 0; out && i < sizeof heads / sizeof heads[0]; i++) {
    uint8_t *in = malloc(heads[i]);
    if (!in) break;
    size_t n = read_head(c, e, in, heads[i]);
    *codec = sic_codec_resolve(sic_codec_from_name(e->name), in, n);
    int wants_more;
    size_t made = sniff_decode(*codec, in, n, n < heads[i], out, &wants_more);
    free(in);
    if (!wants_more || n < heads[i]) {
      is_log = sic_looks_like_events(out, made);
      break;
    }
  }
  free(out);
  return is_log;
}

/* Codec of a part from its name and its first bytes. */
static sic_codec part_codec(scan_ctx *c, const entry *e, sic_codec hint) {
  uint8_t head[16];
  size_t n = read_head(c, e, head, sizeof head);
  sic_codec named = sic_codec_from_name(e->name);
  return sic_codec_resolve(named != SIC_CODEC_NONE ? named : hint, head, n);
}

/* ---- building results ---- */

static sic_logset *new_set(scan_ctx *c) {
  sic_logsets *o = c->out;
  if (o->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 8;
    sic_logset *grown = realloc(o->items, cap * sizeof *grown);
    if (!grown) return NULL;
    o->items = grown;
    c->cap = cap;
  }
  sic_logset *s = &o->items[o->n++];
  memset(s, 0, sizeof *s);
  return s;
}

static int add_part(scan_ctx *c, sic_logset *s, const entry *e, sic_codec codec) {
  sic_logpart *grown = realloc(s->parts, (s->nparts + 1) * sizeof *grown);
  if (!grown) return nomem(c->err);
  s->parts = grown;
  sic_logpart *p = &s->parts[s->nparts];
  memset(p, 0, sizeof *p);
  if (c->remote) { /* a remote part is named by its URI and opened through the tree's source */
    p->path = join_path(c->remote->root, e->member);
    p->source = c->remote->source;
    sic_part_source_retain(p->source);
  } else {
    p->path = strdup(e->path);
    p->zip_member = e->member ? strdup(e->member) : NULL;
  }
  if (!p->path || (e->member && !c->remote && !p->zip_member)) {
    free(p->path);
    free(p->zip_member);
    sic_part_source_release(p->source);
    return nomem(c->err);
  }
  s->nparts++;
  p->codec = codec;
  p->size = e->size;
  p->mtime_ms = e->mtime_ms;
  s->total_size += e->size > 0 ? e->size : 0;
  if (e->mtime_ms > s->mtime_ms) s->mtime_ms = e->mtime_ms;
  return 0;
}

/* Identity of a log: its filesystem path, or "archive!/member" inside a zip. */
static int set_identity(scan_ctx *c, sic_logset *s, const char *fs_path, const char *member) {
  if (member) {
    size_t n = strlen(member);
    while (n && member[n - 1] == '/') n--;
    size_t len = strlen(c->zip_path) + 2 + n + 1;
    s->path = malloc(len);
    if (s->path) snprintf(s->path, len, c->remote ? "%s/%.*s" : "%s!/%.*s", c->zip_path, (int)n, member);
    char *m = strndup(member, n);
    s->name = m ? display_name(m) : NULL;
    free(m);
  } else {
    s->path = strdup(fs_path);
    s->name = display_name(fs_path);
  }
  if (!s->path || !s->name) return nomem(c->err);
  if (c->zip) s->layout = SIC_LAYOUT_ZIP;
  return 0;
}

static int add_file_log(scan_ctx *c, const entry *e, sic_codec codec) {
  sic_logset *s = new_set(c);
  if (!s) return nomem(c->err);
  int rc = set_identity(c, s, e->path, e->member);
  if (!rc) rc = add_part(c, s, e, codec);
  if (!c->zip) s->layout = SIC_LAYOUT_FILE;
  s->in_progress = has_suffix(e->name, ".inprogress");
  return rc;
}

/* ---- layouts ---- */

/* A rolling part name: events_<n>_<appId>[.codec][.compact]. */
int sic_logname_rolling_part(const char *name, long long *index, int *compact) {
  if (!has_prefix(name, "events_")) return 0;
  const char *after = parse_index(name + 7, index);
  if (!after || *after != '_') return 0;
  *compact = has_suffix(name, ".compact");
  return 1;
}

typedef struct ordered_part {
  const entry *e;   /* the part's entry */
  long long key;    /* numeric sort key (index) */
  const char *skey; /* string sort key when key ties (timestamps) */
} ordered_part;

static int ordered_cmp(const void *a, const void *b) {
  const ordered_part *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return strcmp(x->skey, y->skey);
}

static int is_rolling_dir(const char *dirname, const listing *l) {
  long long idx;
  int compact;
  if (!has_prefix(dirname, "eventlog_v2_")) return 0;
  for (size_t i = 0; i < l->n; i++)
    if (!l->e[i].is_dir && sic_logname_rolling_part(l->e[i].name, &idx, &compact)) return 1;
  return 0;
}

static int scan_rolling(scan_ctx *c, const char *fs_path, const char *member, const listing *l) {
  ordered_part *parts = calloc(l->n ? l->n : 1, sizeof *parts);
  if (!parts) return nomem(c->err);
  size_t np = 0;
  long long last_compact = -1, idx;
  int compact, status_seen = 0, in_progress = 1;
  for (size_t i = 0; i < l->n; i++) {
    const entry *e = &l->e[i];
    if (e->is_dir) continue;
    if (has_prefix(e->name, "appstatus_")) {
      status_seen = 1;
      in_progress = has_suffix(e->name, ".inprogress");
    } else if (sic_logname_rolling_part(e->name, &idx, &compact)) {
      parts[np++] = (ordered_part){e, idx * 2 + !compact, e->name};
      if (compact && idx > last_compact) last_compact = idx;
    }
  }
  if (np > 1) sic_qsort(parts, np, sizeof *parts, ordered_cmp);
  sic_logset *s = new_set(c);
  int rc = s ? set_identity(c, s, fs_path, member) : nomem(c->err);
  if (!rc && !c->zip) s->layout = SIC_LAYOUT_ROLLING;
  for (size_t i = 0; i < np && !rc; i++) {
    long long index = parts[i].key / 2;
    int is_compact = !(parts[i].key & 1);
    /* A compact part replaces every part up to and including its index. */
    if (last_compact >= 0 && (index < last_compact || (index == last_compact && !is_compact))) continue;
    rc = add_part(c, s, parts[i].e, part_codec(c, parts[i].e, SIC_CODEC_NONE));
  }
  if (s) s->in_progress = status_seen ? in_progress : 1;
  free(parts);
  return rc;
}

/* eventlog-YYYY-MM-DD--HH-MM[.codec] */
int sic_logname_databricks_rolled(const char *name) {
  static const char pattern[] = "eventlog-DDDD-DD-DD--DD-DD";
  size_t n = sizeof pattern - 1;
  if (strlen(name) < n) return 0;
  for (size_t i = 0; i < n; i++) {
    if (pattern[i] == 'D' ? !isdigit((unsigned char)name[i]) : name[i] != pattern[i]) return 0;
  }
  const char *rest = name + n;
  return !*rest || sic_codec_from_name(name) != SIC_CODEC_NONE || !strcmp(rest, ".inprogress");
}

static int is_databricks_dir(const listing *l) {
  int parts = 0;
  for (size_t i = 0; i < l->n; i++) {
    const entry *e = &l->e[i];
    if (sic_logname_skipped(e->name)) continue;
    if (e->is_dir) return 0;
    if (strcmp(e->name, "eventlog") && strcmp(e->name, "eventlog.inprogress") && !sic_logname_databricks_rolled(e->name))
      return 0;
    parts++;
  }
  return parts > 0;
}

static int scan_databricks(scan_ctx *c, const char *fs_path, const char *member, const listing *l) {
  sic_logset *s = new_set(c);
  int rc = s ? set_identity(c, s, fs_path, member) : nomem(c->err);
  if (!rc && !c->zip) s->layout = SIC_LAYOUT_DATABRICKS;
  /* Rolled parts sort by their timestamp (the listing is already in name order, and the
   * fixed-width name makes that time order); the current `eventlog` comes last. */
  for (size_t i = 0; i < l->n && !rc; i++)
    if (!l->e[i].is_dir && sic_logname_databricks_rolled(l->e[i].name))
      rc = add_part(c, s, &l->e[i], part_codec(c, &l->e[i], SIC_CODEC_NONE));
  for (size_t i = 0; i < l->n && !rc; i++)
    if (!l->e[i].is_dir && (!strcmp(l->e[i].name, "eventlog") || !strcmp(l->e[i].name, "eventlog.inprogress"))) {
      rc = add_part(c, s, &l->e[i], part_codec(c, &l->e[i], SIC_CODEC_NONE));
      if (s && has_suffix(l->e[i].name, ".inprogress")) s->in_progress = 1;
    }
  return rc;
}

/* EVENT_LOG_<n> exactly. */
int sic_logname_legacy_part(const char *name, long long *idx) {
  if (!has_prefix(name, "EVENT_LOG_")) return 0;
  const char *end = parse_index(name + 10, idx);
  return end && !*end;
}

static int is_legacy_dir(const listing *l) {
  long long idx;
  for (size_t i = 0; i < l->n; i++)
    if (!l->e[i].is_dir && sic_logname_legacy_part(l->e[i].name, &idx)) return 1;
  return 0;
}

/* COMPRESSION_CODEC_<name>: Spark 1.x wrote a short name or a codec class name. */
sic_codec sic_logname_legacy_codec(const char *marker) {
  char lower[128];
  size_t n = 0;
  for (; marker[n] && n < sizeof lower - 1; n++) lower[n] = (char)tolower((unsigned char)marker[n]);
  lower[n] = 0;
  if (strstr(lower, "lz4")) return SIC_CODEC_LZ4;
  if (strstr(lower, "lzf")) return SIC_CODEC_LZF;
  if (strstr(lower, "snappy")) return SIC_CODEC_SNAPPY;
  if (strstr(lower, "zstd")) return SIC_CODEC_ZSTD;
  return SIC_CODEC_NONE;
}

static int scan_legacy(scan_ctx *c, const char *fs_path, const char *member, const listing *l) {
  ordered_part *parts = calloc(l->n ? l->n : 1, sizeof *parts);
  if (!parts) return nomem(c->err);
  size_t np = 0;
  int complete = 0;
  sic_codec codec = SIC_CODEC_NONE;
  long long idx;
  for (size_t i = 0; i < l->n; i++) {
    const entry *e = &l->e[i];
    if (e->is_dir) continue;
    if (!strcmp(e->name, "APPLICATION_COMPLETE")) complete = 1;
    else if (has_prefix(e->name, "COMPRESSION_CODEC_")) codec = sic_logname_legacy_codec(e->name + 18);
    else if (sic_logname_legacy_part(e->name, &idx))
      parts[np++] = (ordered_part){e, idx, e->name};
  }
  if (np > 1) sic_qsort(parts, np, sizeof *parts, ordered_cmp);
  sic_logset *s = new_set(c);
  int rc = s ? set_identity(c, s, fs_path, member) : nomem(c->err);
  if (!rc && !c->zip) s->layout = SIC_LAYOUT_LEGACY;
  for (size_t i = 0; i < np && !rc; i++) rc = add_part(c, s, parts[i].e, part_codec(c, parts[i].e, codec));
  if (s) s->in_progress = !complete;
  free(parts);
  return rc;
}

/* ---- directory walk ---- */

static int scan_zip_file(scan_ctx *c, const char *path, const entry *as_entry);

static int scan_dir(scan_ctx *c, const char *fs_path, const char *member, int depth);

/* A file of a directory that cannot be opened may well be a log: it is skipped, but counted
 * apart and the first one named, so that callers do not call it "not a Spark event log".
 * 1 when it is unreadable. */
static int note_unreadable(scan_ctx *c, const entry *e) {
  int fd = open(e->path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  int why = errno;
  c->out->nskipped++;
  c->out->nunreadable++;
  if (!c->out->unreadable) {
    size_t n = strlen(e->path) + 64;
    if ((c->out->unreadable = malloc(n)))
      snprintf(c->out->unreadable, n, "%s: %s", e->path, why == EACCES ? "permission denied" : strerror(why));
  }
  return 1;
}

/* One entry of a directory of many logs. */
static int scan_entry(scan_ctx *c, const entry *e, int depth) {
  if (e->is_dir) return scan_dir(c, e->path, e->member, depth + 1);
  if (sic_logname_skipped(e->name)) {
    c->out->nskipped++;
    return 0;
  }
  if (!c->zip && !c->remote && note_unreadable(c, e)) return 0;
  if (!c->zip && !c->remote && has_suffix(e->name, ".zip")) return scan_zip_file(c, e->path, e);
  /* An application that has just started has an empty .inprogress log: list it. */
  if (e->size == 0 && has_suffix(e->name, ".inprogress"))
    return add_file_log(c, e, sic_codec_from_name(e->name));
  sic_codec codec = SIC_CODEC_NONE;
  if (!sniff(c, e, &codec)) {
    c->out->nskipped++;
    return 0;
  }
  return add_file_log(c, e, codec);
}

/* Push a filesystem directory on the walk path; 0 when it is already on it (a symlink
 * loop) or the walk is too deep. */
static int enter_dir(scan_ctx *c, const char *fs_path) {
  struct stat st;
  if (c->depth > MAX_DEPTH || stat(fs_path, &st)) return 0;
  for (int i = 0; i < c->depth; i++)
    if (c->stack[i].dev == st.st_dev && c->stack[i].ino == st.st_ino) return 0;
  c->stack[c->depth++] = (dir_id){st.st_dev, st.st_ino};
  return 1;
}

static int scan_dir(scan_ctx *c, const char *fs_path, const char *member, int depth) {
  int flat = c->zip || c->remote;
  if (depth > MAX_DEPTH || (!flat && !enter_dir(c, fs_path))) {
    c->out->nskipped++;
    return 0;
  }
  listing l = {0};
  int rc = flat ? list_zip_dir(c, member ? member : "", &l) : list_fs_dir(c, fs_path, &l);
  if (rc == SIC_EIO && depth > 0) {
    /* An unreadable subdirectory is skipped like any other non-log; only the directory
     * the caller named must be readable. */
    c->out->nskipped++;
    rc = 0;
    goto done;
  }
  if (rc) goto done;
  const char *dirname = member ? base_of(member) : base_of(fs_path);
  char name[512];
  snprintf(name, sizeof name, "%s", dirname);
  if (name[0] && name[strlen(name) - 1] == '/') name[strlen(name) - 1] = 0;
  if (is_rolling_dir(name, &l)) rc = scan_rolling(c, fs_path, member, &l);
  else if (is_legacy_dir(&l)) rc = scan_legacy(c, fs_path, member, &l);
  else if (is_databricks_dir(&l)) rc = scan_databricks(c, fs_path, member, &l);
  else
    for (size_t i = 0; i < l.n && !rc; i++) rc = scan_entry(c, &l.e[i], depth);
done:
  listing_free(&l);
  if (!flat) c->depth--;
  return rc;
}

/* Every log inside a zip archive; a zip holding exactly one log is identified by the
 * archive's own path. */
static int scan_zip_file(scan_ctx *c, const char *path, const entry *as_entry) {
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
  if (!z) {
    if (as_entry) { /* inside a directory scan: a broken zip is just not a log */
      c->out->nskipped++;
      return 0;
    }
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    int rc = sic_err_set(c->err, SIC_EFORMAT, "%s: not a readable zip archive: %s", path, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
  }
  scan_ctx zc = *c;
  zc.zip = z;
  zc.zip_path = path;
  size_t first = c->out->n;
  int rc = scan_dir(&zc, path, NULL, 0);
  c->cap = zc.cap;
  if (!rc && c->out->n == first + 1) {
    sic_logset *s = &c->out->items[first];
    char *p = strdup(path);
    if (!p) rc = nomem(c->err);
    else {
      free(s->path);
      s->path = p;
    }
  }
  zip_discard(z);
  return rc;
}

static int set_path_cmp(const void *a, const void *b) {
  return strcmp(((const sic_logset *)a)->path, ((const sic_logset *)b)->path);
}

void sic_part_source_retain(sic_part_source *src) {
  if (src) __atomic_add_fetch(&src->refs, 1, __ATOMIC_RELAXED);
}

void sic_part_source_release(sic_part_source *src) {
  if (src && __atomic_sub_fetch(&src->refs, 1, __ATOMIC_ACQ_REL) == 0 && src->destroy) src->destroy(src);
}

/* A path given directly: a zip, or one file that must be an event log. */
static int scan_top_file(scan_ctx *c, const char *path, const struct stat *st) {
  uint8_t magic[4] = {0};
  entry e = {.name = (char *)base_of(path), .path = (char *)path, .size = st->st_size,
             .mtime_ms = stat_mtime_ms(st)};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sic_err_set(c->err, SIC_EIO, "%s: cannot open: %s", path, strerror(errno));
  close(fd);
  size_t n = read_head(c, &e, magic, sizeof magic);
  if ((n == 4 && !memcmp(magic, "PK\x03\x04", 4)) || has_suffix(path, ".zip")) {
    int rc = scan_zip_file(c, path, NULL);
    if (!rc && !c->out->n)
      rc = sic_err_set(c->err, SIC_EFORMAT, "%s: zip archive holds no Spark event log", path);
    return rc;
  }
  sic_codec codec = SIC_CODEC_NONE;
  if (st->st_size == 0) codec = sic_codec_from_name(path); /* a just-created log is empty */
  else if (!sniff(c, &e, &codec))
    return sic_err_set(c->err, SIC_EFORMAT,
                       "%s: not a Spark event log (its first %sbytes are not a JSON object with an \"Event\" key)",
                       path, codec != SIC_CODEC_NONE ? "decompressed " : "");
  return add_file_log(c, &e, codec);
}

static sic_uri_scanner uri_scanner; /* set once by sources/ at start-up */

void sic_logset_set_uri_scanner(sic_uri_scanner fn) { uri_scanner = fn; }

int sic_path_is_uri(const char *path) {
  if (!path || !isalpha((unsigned char)path[0])) return 0;
  const char *p = path + 1;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') p++;
  return !strncmp(p, "://", 3);
}

static int sort_sets(sic_logsets *out) {
  if (out->n > 1) sic_qsort(out->items, out->n, sizeof *out->items, set_path_cmp);
  return 0;
}

int sic_logset_scan_remote(const sic_remote_tree *tree, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (!tree || !tree->root || !tree->read_head) return sic_err_set(err, SIC_EINVAL, "no remote listing given");
  scan_ctx c = {.out = out, .err = err, .remote = tree, .zip_path = tree->root};
  int rc = scan_dir(&c, tree->root, NULL, 0);
  if (rc) {
    sic_logsets_free(out);
    return rc;
  }
  return sort_sets(out);
}

int sic_logset_scan(const char *path, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  scan_ctx c = {.out = out, .err = err};
  struct stat st;
  if (!path || !*path) return sic_err_set(err, SIC_EINVAL, "no event log path given");
  if (sic_path_is_uri(path)) {
    if (uri_scanner) return uri_scanner(path, out, err);
    return sic_err_set(err, SIC_EUNSUPPORTED, "%.200s: a URI, but this program reads local paths only "
                       "(it was built without sources/)", path);
  }
  if (stat(path, &st))
    return sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "%s: %s", path, strerror(errno));
  int rc;
  char *root = NULL;
  if (S_ISREG(st.st_mode)) rc = scan_top_file(&c, path, &st);
  else if (S_ISDIR(st.st_mode)) {
    if (!(root = realpath(path, NULL)))
      return sic_err_set(err, errno == ENOMEM ? SIC_ENOMEM : SIC_EIO, "%s: cannot resolve: %s", path, strerror(errno));
    c.root = root;
    rc = scan_dir(&c, path, NULL, 0);
    free(root);
  } else rc = sic_err_set(err, SIC_EFORMAT, "%s: neither a file nor a directory", path);
  if (rc) {
    sic_logsets_free(out);
    return rc;
  }
  if (out->n > 1) sic_qsort(out->items, out->n, sizeof *out->items, set_path_cmp);
  return 0;
}

static void sic_logsets_free_items(sic_logsets *sets);

static int logsets_has_path(const sic_logsets *sets, const char *path) {
  for (size_t i = 0; i < sets->n; i++)
    if (!strcmp(sets->items[i].path, path)) return 1;
  return 0;
}

/* Move the logs of `from` into `to` (dropping ones `to` already lists); `from` is emptied. */
static int logsets_take(sic_logsets *to, sic_logsets *from) {
  sic_logset *items = realloc(to->items, (to->n + from->n + 1) * sizeof *items);
  if (!items) return SIC_ENOMEM;
  to->items = items;
  for (size_t i = 0; i < from->n; i++) {
    if (logsets_has_path(to, from->items[i].path)) {
      sic_logsets dup = {.items = &from->items[i], .n = 1};
      sic_logsets_free_items(&dup);
      continue;
    }
    to->items[to->n++] = from->items[i];
  }
  to->nskipped += from->nskipped;
  to->nunreadable += from->nunreadable;
  if (!to->unreadable) {
    to->unreadable = from->unreadable;
    from->unreadable = NULL;
  }
  free(from->unreadable);
  free(from->items);
  memset(from, 0, sizeof *from);
  return 0;
}

int sic_logset_scan_many(const char *const *paths, size_t npaths, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < npaths; i++) {
    sic_logsets one = {0};
    int rc = sic_logset_scan(paths[i], &one, err);
    if (rc == 0 && logsets_take(out, &one) < 0) rc = sic_err_set(err, SIC_ENOMEM, "out of memory listing %s", paths[i]);
    if (rc < 0) {
      sic_logsets_free(&one);
      sic_logsets_free(out);
      return rc;
    }
  }
  return 0;
}

static void sic_logsets_free_items(sic_logsets *sets) {
  for (size_t i = 0; i < sets->n; i++) {
    sic_logset *s = &sets->items[i];
    for (size_t j = 0; j < s->nparts; j++) {
      free(s->parts[j].path);
      free(s->parts[j].zip_member);
      sic_part_source_release(s->parts[j].source);
    }
    free(s->parts);
    free(s->path);
    free(s->name);
  }
}

void sic_logsets_free(sic_logsets *sets) {
  if (!sets) return;
  sic_logsets_free_items(sets);
  free(sets->items);
  free(sets->unreadable);
  memset(sets, 0, sizeof *sets);
}
