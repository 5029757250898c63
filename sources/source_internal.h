/* Internal to sources/: what every scheme implements, and the helpers they share.
 *
 * Ownership: a sic_source owns its strings, settings and auth; the scheme's own state hangs
 * off impl and is released by ops->destroy. The source is reference-counted through its
 * sic_part_source header (logsets scanned from it hold references). */
#ifndef SIC_SOURCES_INTERNAL_H
#define SIC_SOURCES_INTERNAL_H

#include "sources/http.h"
#include "sources/source.h"

typedef struct source_ops {
  const char *scheme;   /* "file", "http", "s3" */
  /* One page of entries under the root (see sic_source_list). */
  int (*list)(sic_source *s, const char *token, sic_source_page *page, sic_err *err);
  /* Bytes of an entry (see sic_source_read). */
  int (*read)(sic_source *s, const char *name, int64_t offset, int64_t length, sic_reader **out, sic_err *err);
  /* Logs of the source; NULL: list every page and recognise layouts (sic_logset_scan_remote). */
  int (*scan)(sic_source *s, sic_logsets *out, sic_err *err);
  /* Open a part this source put in a logset; NULL: read(name relative to root). */
  int (*open_part)(sic_source *s, const sic_logpart *part, sic_reader **out, sic_err *err);
  void (*destroy)(sic_source *s); /* frees impl */
} source_ops;

struct sic_source {
  sic_part_source part;  /* first member: reference count and the part opener */
  const source_ops *ops; /* the scheme */
  char *uri;             /* as the user wrote it (may hold secrets: never printed) (owned) */
  char *display;         /* uri without secrets, for messages (owned) */
  char *root;            /* display form of the root entries are named under, no trailing '/' (owned) */
  sic_source_opts opts;  /* copies (owned strings) */
  http_settings settings;/* timeouts, retries, CA bundle */
  http_auth auth;        /* credentials (owned, secret) */
  void *impl;            /* scheme state */
};

int source_file_init(sic_source *s, sic_err *err);
int source_hs_init(sic_source *s, const sic_uri *u, sic_err *err);
int source_s3_init(sic_source *s, const sic_uri *u, sic_err *err);
int source_gcs_init(sic_source *s, const sic_uri *u, sic_err *err);
int source_azure_init(sic_source *s, const sic_uri *u, sic_err *err);
/* 1 when an http(s) URL names Azure Blob / ADLS (*.blob|dfs.core.windows.net), not a History Server. */
int source_is_azure_https(const sic_uri *u);

/* Read a History Server /logs answer (a zip streamed without Content-Length or Range) as
 * it arrives, without a local copy (hs_logs.c): the reader yields the decompressed bytes of
 * the one event log inside, parts in reading order. */
int hs_logs_open(const http_req *req, sic_reader **out, sic_err *err);

/* Append an entry to a page; 0 or SIC_ENOMEM. name is copied, etag may be NULL. */
int page_add(sic_source_page *page, const char *name, size_t name_len, int64_t size, const char *etag,
             size_t etag_len, int64_t mtime_ms);
/* ISO-8601 UTC time ("2024-05-01T10:00:00.000Z", S3's LastModified) -> ms since epoch; -1 if bad. */
int64_t iso8601_ms(const char *p, size_t n);

/* ---- shared by the object stores (s3, gs, azure): object_store.c. Signing and URLs stay in
 * each scheme. ---- */

/* The page of a root that names one object: that object, its only entry. 0 or SIC_ENOMEM. */
int object_single_page(const sic_source_entry *object, sic_source_page *page, sic_err *err);
/* How a scheme turns a listing answer into page (see s3_parse_list); body is writable. */
typedef int (*object_list_parse)(char *body, size_t n, size_t strip, sic_source_page *page, sic_err *err);
/* GET a listing (at most max bytes) and parse it into page; errors name display. page is
 * empty on error. */
int object_list_get(const http_req *req, size_t max, object_list_parse parse, size_t strip, sic_source_page *page,
                    sic_err *err);
/* After listing the root's own key: when an entry of page is exactly prefix, the root names
 * one object, which moves to *object renamed to its base name, and 1 is returned (the caller
 * cuts prefix and root to the object's directory); 0 when it does not; SIC_ENOMEM. page is freed. */
int object_take_single(sic_source_page *page, const char *prefix, sic_source_entry *object, sic_err *err);
/* Cut prefix to its directory (the object's) and make the root "scheme://bucket[/prefix]". */
int object_root_to_dir(sic_source *s, const char *scheme, const char *bucket, char *prefix, sic_err *err);
/* The key prefix in a URI path: leading '/' skipped (returned), trailing '/' not counted (*len). */
const char *object_path_trim(const char *path, size_t *len);
/* A ranged, resumable GET of an object. url and display are taken over (freed with the reader,
 * or on failure; url wiped first when wipe_url: it may hold a SAS); headers are borrowed. */
int object_open(sic_source *s, char *url, char *display, const char *const *headers, int wipe_url, int64_t offset,
                int64_t length, sic_reader **out, sic_err *err);

/* S3 (exposed for tests and the fuzzer): the canonical ListObjectsV2 query (names sorted,
 * RFC 3986 encoding; max_keys 0 = the server's default), and the parse of its answer into
 * page (names with the first strip bytes of each key dropped; page->next set when truncated). */
char *s3_list_query(const char *prefix, const char *token, int max_keys);
int s3_parse_list(char *xml, size_t n, size_t strip, sic_source_page *page, sic_err *err);

/* GCS (exposed for tests and the fuzzer): an objects.list answer into page. */
int gcs_parse_list(const char *json, size_t n, size_t strip, sic_source_page *page, sic_err *err);

/* Azure (exposed for tests and the fuzzer): a List Blobs answer into page. */
int az_parse_list(char *xml, size_t n, size_t strip, sic_source_page *page, sic_err *err);

/* History Server (exposed for tests and the fuzzer): parse an /applications answer
 * (one_app = 0) or one application (one_app = 1); counts what was found. 0 or SIC_EFORMAT. */
int hs_parse_listing(const char *json, size_t len, int one_app, size_t *apps, size_t *attempts, sic_err *err);

/* Register the URI reader of Delta tables with engine/delta (delta_io.c). */
void sic_sources_delta_init(void);

#endif
