/* Event-log readers: find logical logs on disk, decode their codecs, split them into lines.
 *
 * Three layers, each usable alone:
 *   discovery  sic_logset_scan()   a path (file, rolling dir, Databricks dir, legacy dir, zip,
 *                                   or a directory of many logs) -> logical logs, parts in order
 *   bytes      sic_stream_*        one logical log -> its decompressed bytes, parts concatenated
 *   lines      sic_lines_*         bytes -> lines (zero-copy where the source is mmap'd)
 *
 * Ownership: every scan or open function allocates; the matching *_free releases everything it
 * returned, including strings. Pointers handed out by sic_lines_next() stay valid until the
 * next call on the same sic_lines. */
#ifndef SIC_EVENTLOG_H
#define SIC_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sic_codec {
  SIC_CODEC_NONE = 0,   /* plain JSON lines */
  SIC_CODEC_ZSTD,       /* zstd frames (Spark's ZStdCompressionCodec) */
  SIC_CODEC_LZ4,        /* lz4-java LZ4BlockOutputStream ("LZ4Block" magic), not lz4 frames */
  SIC_CODEC_SNAPPY,     /* snappy-java SnappyOutputStream (magic "\x82SNAPPY\0"), not framing fmt */
  SIC_CODEC_LZF,        /* compress-lzf "ZV" chunks */
  SIC_CODEC_GZIP,       /* gzip members (Databricks rolled parts) */
  SIC_CODEC__COUNT
} sic_codec;

typedef enum sic_layout {
  SIC_LAYOUT_FILE = 0,      /* one file, maybe .inprogress, maybe compressed */
  SIC_LAYOUT_ROLLING,       /* eventlog_v2_<appId>/events_<n>_<appId>[.codec] + appstatus_* */
  SIC_LAYOUT_DATABRICKS,    /* dir with eventlog + eventlog-YYYY-MM-DD--HH-MM[.gz] */
  SIC_LAYOUT_LEGACY,        /* Spark 1.x dir: EVENT_LOG_1, SPARK_VERSION_*, APPLICATION_COMPLETE */
  SIC_LAYOUT_ZIP            /* History Server /logs download: zip holding any of the above */
} sic_layout;

typedef struct sic_part_source sic_part_source;

typedef struct sic_logpart {
  char *path;           /* file path; for a zip member the archive's path (messages show
                           "archive.zip!/member/name"); for a remote part its URI (no secrets) */
  char *zip_member;     /* NULL unless the part lives inside a zip (then path names the zip) */
  sic_codec codec;      /* decided from name, confirmed (or overridden) by magic bytes */
  int64_t size;         /* stored (compressed) size in bytes, -1 when unknown */
  int64_t mtime_ms;     /* modification time of the file, ms since epoch */
  sic_part_source *source; /* NULL for local files and zip members; else opens the bytes of a
                              remote part (sources/); one reference owned by this part */
} sic_logpart;

typedef struct sic_logset {
  char *path;           /* what identifies the logical log: file, dir or zip path */
  char *name;           /* display name: file or dir basename without codec/.inprogress suffix */
  sic_layout layout;
  sic_logpart *parts;   /* owned; in reading order (rolling: by index, .compact first) */
  size_t nparts;
  int in_progress;      /* 1: .inprogress name, appstatus_*.inprogress, no APPLICATION_COMPLETE */
  int64_t total_size;   /* sum of parts' stored sizes */
  int64_t mtime_ms;     /* newest part's modification time (History Server's lastUpdated) */
} sic_logset;

typedef struct sic_logsets {
  sic_logset *items;    /* owned */
  size_t n;
  size_t nskipped;      /* files under a scanned directory that are not event logs */
  size_t nunreadable;   /* of those, files that could not be opened (they may be logs) */
  char *unreadable;     /* owned: the first of them, "PATH: permission denied"; NULL when none */
} sic_logsets;

/* Scan path. A file or a single-log directory gives one logset; a directory of logs gives one
 * per log found (recursively), sorted by path. Returns 0 or SIC_E*: a file given directly
 * that is not an event log is SIC_EFORMAT naming it; a directory without logs is not an
 * error (n == 0, non-log files counted in nskipped). Inside a zip, a log's path is
 * "archive.zip!/member" unless the archive holds just that one log. */
int sic_logset_scan(const char *path, sic_logsets *out, sic_err *err);
/* Scan several roots (e.g. the directories a server watches) into one list: each root as
 * sic_logset_scan would, in the order given; a log reached from two roots is listed once.
 * Fails on the first root that fails, naming it. */
int sic_logset_scan_many(const char *const *paths, size_t npaths, sic_logsets *out, sic_err *err);
void sic_logsets_free(sic_logsets *sets);

/* ---- remote parts (sources/: connectors chosen by URI scheme) ----
 * A remote log is a sic_logset like any other; its parts carry a sic_part_source that opens
 * a pull-based byte reader, fed to the same decoders and line splitter as a local file. */
typedef struct sic_reader sic_reader;
struct sic_reader {
  /* Up to cap bytes into buf; *got == 0 means the end. 0 or SIC_E* (err names the URI,
   * never a credential; a body cut short is SIC_ETRUNCATED, never an early end). */
  int (*read)(sic_reader *r, uint8_t *buf, size_t cap, size_t *got, sic_err *err);
  void (*close)(sic_reader *r); /* releases r and everything it holds */
};

struct sic_part_source {
  /* Open the bytes of part (part->path is its URI) from the start. */
  int (*open)(sic_part_source *src, const sic_logpart *part, sic_reader **out, sic_err *err);
  void (*destroy)(sic_part_source *src); /* called when the last reference goes */
  int refs;             /* references held by parts and streams (atomic) */
};
void sic_part_source_retain(sic_part_source *src);
void sic_part_source_release(sic_part_source *src); /* NULL is fine */

/* A flat listing of remote objects: names relative to root, '/' separating directories
 * (object stores have no directories; the layouts above are recognised from the names). */
typedef struct sic_remote_entry {
  const char *name;     /* relative to root, e.g. "eventlog_v2_app-1/events_1_app-1.zstd" */
  int64_t size;         /* bytes, -1 when unknown */
  int64_t mtime_ms;     /* last modification, ms since epoch */
} sic_remote_entry;

typedef struct sic_remote_tree {
  const char *root;              /* URI of the listed prefix, without a trailing '/' */
  const sic_remote_entry *entries; /* borrowed */
  size_t n;                      /* entries */
  sic_part_source *source;       /* opens "root/name" parts; borrowed (parts retain it) */
  /* First bytes of entries[i] (codec and event-log sniffing): bytes read, 0 on failure. */
  size_t (*read_head)(void *ctx, size_t i, uint8_t *buf, size_t cap);
  void *ctx;                     /* for read_head */
} sic_remote_tree;

/* The logs under a remote tree, by the same layout rules as a directory on disk. A tree
 * holding one log that is a single object is identified by that object's URI. */
int sic_logset_scan_remote(const sic_remote_tree *tree, sic_logsets *out, sic_err *err);

/* sic_logset_scan hands paths that look like "scheme://..." to this scanner (sources/
 * registers it); without one, such a path is SIC_EUNSUPPORTED. */
typedef int (*sic_uri_scanner)(const char *uri, sic_logsets *out, sic_err *err);
void sic_logset_set_uri_scanner(sic_uri_scanner fn);
int sic_path_is_uri(const char *path); /* 1 for "scheme://...", 0 for a local path */

/* Codec helpers (exposed for tests and fuzzers). */
sic_codec sic_codec_from_name(const char *filename);   /* by suffix; NONE if no known suffix */
sic_codec sic_codec_from_magic(const uint8_t *buf, size_t len); /* NONE if no codec magic */
const char *sic_codec_name(sic_codec c);                /* "zstd", "lz4", ... "none" */
/* 1 when decompressed bytes start like an event log: a JSON object with an "Event" key in its
 * first line (how a file of unknown name is recognised). */
int sic_looks_like_events(const uint8_t *buf, size_t len);

/* Layout rules by file name, one name at a time: the directory walk here and the History
 * Server's streamed zip (sources/hs_layout.c) share them. name is a base name. */
int sic_logname_skipped(const char *name);               /* 1: never an event log (.crc, _SUCCESS, ...) */
int sic_logname_rolling_part(const char *name, long long *index, int *compact); /* events_N_... */
int sic_logname_legacy_part(const char *name, long long *index);                /* EVENT_LOG_N */
int sic_logname_databricks_rolled(const char *name);     /* eventlog-YYYY-MM-DD--HH-MM[.codec] */
sic_codec sic_logname_legacy_codec(const char *marker);  /* after COMPRESSION_CODEC_ (Spark 1.x) */

/* ---- bytes ---- */
typedef struct sic_stream sic_stream;

/* Open a logical log for reading. threads > 1 lets decompression run on a helper thread,
 * ahead of the consumer. */
int sic_stream_open(const sic_logset *set, int threads, sic_stream **out, sic_err *err);
/* Next chunk of decompressed bytes. On success *data and *len point into a buffer owned by the
 * stream, valid until the next call; returns 1 for data, 0 at end of all parts, SIC_E* on
 * error (err names the part; bytes before the error were already returned). *part is the
 * index of the part the chunk came from; a chunk never spans two parts. */
int sic_stream_next(sic_stream *s, const char **data, size_t *len, size_t *part, sic_err *err);
void sic_stream_free(sic_stream *s);
/* The consumer no longer needs bytes [p, p+n) of the chunk it holds: when that chunk is an
 * mmap'd plain file, their pages leave the resident set (they are re-read if touched). */
void sic_stream_release(sic_stream *s, const char *p, size_t n);
int64_t sic_stream_bytes_in(const sic_stream *s);   /* stored bytes consumed so far */
int64_t sic_stream_bytes_out(const sic_stream *s);  /* decompressed bytes produced so far */

/* ---- lines ---- */
typedef struct sic_line {
  const char *p;        /* first byte of the line, no terminator included */
  size_t len;           /* bytes, without the trailing '\n' (and '\r') */
  size_t part;          /* index into the logset's parts */
  int64_t lineno;       /* 1-based line number within that part */
  int unterminated;     /* 1 when the part ended without '\n' after this line */
  int too_long;         /* 1: the line passed the line limit and is skipped: p is NULL and len
                           the bytes seen when it was given up (more than the limit) */
} sic_line;

typedef struct sic_lines sic_lines;

/* Split the decompressed bytes of a logical log into lines. Lines are yielded whole even when
 * they straddle decompression chunks (copied into an internal buffer only in that case). */
int sic_lines_open(const sic_logset *set, int threads, sic_lines **out, sic_err *err);
/* 1: *line filled; 0: end; SIC_E*: read/decode error (err names part; lines before are good). */
int sic_lines_next(sic_lines *l, sic_line *line, sic_err *err);
void sic_lines_free(sic_lines *l);
const sic_stream *sic_lines_stream(const sic_lines *l);

/* Limits of a sic_lines (issue 19: one endless line, decompression bombs).
 * max_line: longest line yielded whole, bytes (0 = the process default, see below); longer
 *   lines come out as too_long and are skipped.
 * max_output: decompressed bytes after which reading stops with SIC_ELIMIT, "decompression
 *   bomb" (0 = no limit). Call before the first sic_lines_next. */
void sic_lines_set_limits(sic_lines *l, int64_t max_line, int64_t max_output);
/* Process-wide default line limit (SIC_DEFAULT_MAX_LINE until set; `sic --max-line-mb`). */
/* 128 MiB: far above any real event (Spark's largest, SQL plans, stay in the tens of MiB), and
 * low enough that a process holding one such line stays well under 300 MB. */
#define SIC_DEFAULT_MAX_LINE ((int64_t)128 << 20)
void sic_lines_set_default_max_line(int64_t bytes);
int64_t sic_lines_default_max_line(void);

/* Pure splitter over caller-fed chunks (used by sic_lines and by the fuzzer). */
typedef struct sic_splitter sic_splitter;
sic_splitter *sic_splitter_new(void);
void sic_splitter_free(sic_splitter *s);
/* Feed a chunk (NULL/0 = end of part). Then call sic_splitter_next until it returns 0. */
void sic_splitter_feed(sic_splitter *s, const char *data, size_t len);
/* 1: *line filled (valid until the next call); 0: the fed bytes are used up; SIC_ENOMEM when
 * a line straddling chunks cannot be assembled. Empty lines are skipped but counted. */
int sic_splitter_next(sic_splitter *s, sic_line *line);
/* Lines longer than max_line bytes (0 = no limit, the default of a new splitter) are yielded
 * once as too_long and skipped to their '\n', never held whole. */
void sic_splitter_set_max_line(sic_splitter *s, size_t max_line);
/* Called with stretches (several MiB) of a fed chunk the splitter scanned and holds no line
 * of: a caller feeding mmap'd bytes may drop those pages (they fault in again if read). */
typedef void (*sic_splitter_release_fn)(void *ctx, const char *p, size_t n);
void sic_splitter_set_release(sic_splitter *s, sic_splitter_release_fn fn, void *ctx);

#endif
