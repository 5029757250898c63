/* sources/: where event logs live, chosen by URI scheme, behind one interface.
 *
 *   file://PATH, or a plain path   the local readers (engine/eventlog) as they are
 *   http(s)://HOST[:PORT][/prefix] a Spark History Server: every application it lists, or one
 *                                  application given by a UI URL (.../history/<app>[/<attempt>]/...)
 *                                  or a REST URL (.../api/v1/applications/<app>[/<attempt>])
 *   s3://BUCKET[/PREFIX]           an S3 (or S3-compatible) bucket, SigV4-signed
 *   gs://BUCKET[/PREFIX]           a Google Cloud Storage bucket (JSON API, bearer token)
 *   abfss://C@ACCOUNT.dfs.core.windows.net/P, wasbs://C@ACCOUNT.blob.core.windows.net/P,
 *   https://ACCOUNT.blob.core.windows.net/C/P   Azure Blob / ADLS Gen2 (SAS, account key or bearer token)
 *
 * A source lists entries (name, size, ETag, mtime) page by page and opens any entry as a
 * pull-based byte stream (sic_reader, see eventlog.h) from an offset, so the existing codecs,
 * zip reader and line splitter read remote logs without a local copy. sic_source_scan turns a
 * source into sic_logsets whose parts read through the source; sic_sources_init makes every
 * sic_logset_scan (hence every command taking a PATH) accept these URIs.
 *
 * Errors name the URI without credentials (sic_uri_display), the HTTP status or transport
 * error and what to check. Secrets come from the environment, ~/.netrc or the URI's userinfo
 * and are never written to a message, a log or stderr.
 *
 * Ownership: sic_source_open returns a source the caller frees with sic_source_free; logsets
 * scanned from it hold their own references, so they stay readable after that free. Pages
 * and readers are owned by the caller (sic_source_page_free, reader->close). */
#ifndef SIC_SOURCES_SOURCE_H
#define SIC_SOURCES_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "eventlog/eventlog.h"

typedef struct sic_source sic_source;

/* What a listing says of one entry. */
typedef struct sic_source_entry {
  char *name;           /* relative to the source's root, '/'-separated (owned) */
  int64_t size;         /* bytes, -1 when unknown */
  char *etag;           /* ETag or another version tag, NULL when the source has none (owned) */
  int64_t mtime_ms;     /* last modification, ms since epoch; 0 when unknown */
} sic_source_entry;

/* One page of a listing. */
typedef struct sic_source_page {
  sic_source_entry *items; /* owned */
  size_t n;                /* entries in items */
  char *next;              /* token for the next page, NULL on the last page (owned) */
} sic_source_page;

/* Options shared by every scheme; zero means "the default or the environment". */
typedef struct sic_source_opts {
  const char *status;    /* History Server: "completed" or "running" */
  const char *min_end;   /* History Server minEndDate (e.g. "2024-05-01" or an ISO time) */
  const char *max_end;   /* History Server maxEndDate */
} sic_source_opts;

/* Open uri (any scheme above). The source keeps its own copy of everything in opts. */
int sic_source_open(const char *uri, const sic_source_opts *opts, sic_source **out, sic_err *err);
void sic_source_free(sic_source *s);
/* The source's URI as it may be shown: no userinfo, no secret query parameters. */
const char *sic_source_display(const sic_source *s);
const char *sic_source_scheme(const sic_source *s);

/* One page of entries; token NULL for the first page, then page->next. */
int sic_source_list(sic_source *s, const char *token, sic_source_page *page, sic_err *err);
void sic_source_page_free(sic_source_page *page);
/* Bytes of entry `name` from offset (length -1: to the end). */
int sic_source_read(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out,
                    sic_err *err);
/* The event logs the source holds (layouts recognised as on disk). */
int sic_source_scan(sic_source *s, sic_logsets *out, sic_err *err);

/* Identity of a version of a remote log, for the store's "already ingested" check: a hash
 * (64 hex digits) of each part's URI, size and modification time (an object store's
 * LastModified, a History Server's lastUpdated), so nothing is downloaded to decide. Returns 1
 * with out and *size filled when the set has remote parts, 0 for local logs (hash their files). */
int sic_source_version_key(const sic_logset *set, char out[65], int64_t *size);

/* Register the URI scanner with engine/eventlog and the URI reader of Delta tables with
 * engine/delta (idempotent). After this, sic_logset_scan, sic_delta_open and everything built
 * on them accept URIs; options come from sic_sources_set_defaults, else the
 * environment (SIC_HS_STATUS, SIC_HS_MIN_END, SIC_HS_MAX_END). */
void sic_sources_init(void);
/* Options every URI scanned from now on gets (the CLI's --status/--since/--until); the
 * strings are borrowed and must stay valid (argv). NULL fields keep the environment's. */
void sic_sources_set_defaults(const sic_source_opts *opts);

/* ---- following growing rolling logs (part_cache.c) ----
 * With the part cache on, a part of a rolling eventlog_v2_* log read whole from an object
 * store is kept on local disk under its (root, name, ETag, size), so the next load of that log
 * fetches only parts it has not seen (sic ingest --follow turns it on). Directory:
 * SIC_PART_CACHE, else $XDG_CACHE_HOME/sic/parts, else ~/.cache/sic/parts; SIC_PART_CACHE=off
 * leaves it off (then 0 is returned too). */
int sic_sources_part_cache_enable(sic_err *err);
/* After a poll: the parts of the complete logs among sets shrink to a small head (kept for the
 * next scan's codec sniff), and files unused for SIC_PART_CACHE_DAYS (7) days go. */
void sic_sources_part_cache_sweep(const sic_logsets *sets);
/* Parts read whole through object stores since the process started. */
typedef struct sic_part_stats {
  int64_t fetched_parts;  /* parts downloaded */
  int64_t fetched_bytes;  /* their listed sizes */
  int64_t cached_parts;   /* parts read from the part cache instead */
  int64_t cached_bytes;   /* their sizes */
} sic_part_stats;
void sic_sources_part_stats(sic_part_stats *out);

/* ---- URIs (exposed for tests and the fuzzer) ---- */
typedef struct sic_uri {
  char *scheme;         /* lower-cased, e.g. "s3" (owned) */
  char *user;           /* decoded userinfo user, NULL when absent (owned) */
  char *password;       /* decoded userinfo password, NULL when absent (owned) */
  char *host;           /* host or bucket, without brackets for IPv6 (owned) */
  int port;             /* 0 when not given */
  char *path;           /* "/..." as written (percent-escapes kept), "" when absent (owned) */
  char *query;          /* after '?', without it, NULL when absent (owned) */
} sic_uri;

/* 0 or SIC_EINVAL naming what is wrong (never echoing a password). */
int sic_uri_parse(const char *text, sic_uri *out, sic_err *err);
void sic_uri_free(sic_uri *u);
/* text without userinfo and with the values of secret query parameters (signatures, tokens,
 * SAS sig) replaced by "REDACTED"; a new string, NULL when out of memory. */
char *sic_uri_display(const char *text);

#endif
