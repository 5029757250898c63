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
  sic_source_page listing; /* the first scan's listing, sorted by name: part sizes and ETags
                              for the part cache (owned; set once, then read only) */
  uint64_t listing_hash; /* its hash (listing_hash in source.c) */
  int listed;            /* 0 none, 1 listing set, 2 set but a later scan saw other versions (atomic) */
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

/* A reader over an open file (taken over; path copied for messages). */
/* Read r into buf until cap bytes, its end or an error (a head for sniffing: a short read is
 * not an error); closes r. Returns the bytes read. */
size_t reader_read_head(sic_reader *r, uint8_t *buf, size_t cap);

int file_reader_from_fd(int fd, const char *path, sic_reader **out, sic_err *err);
/* The source (and its listing's entry for the part, borrowed) that opens part, when part
 * was scanned from a listed object store; NULL otherwise. */
const sic_source *source_of_part(const sic_logpart *part, sic_source_entry *entry);

/* The part cache (part_cache.c): a part read whole, from the cache when its (name, ETag,
 * size) is there, else from the store (written to the cache when it is a rolling part and the
 * cache is on); and the first bytes of a cached part (0 when not cached). */
int part_cache_open(sic_source *s, const sic_source_entry *e, sic_reader **out, sic_err *err);
size_t part_cache_head(const sic_source *s, const sic_source_entry *e, uint8_t *buf, size_t cap);

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

/* AWS shared configuration (aws_config.c): a profile's settings from ~/.aws/credentials and
 * ~/.aws/config, with the environment winning (see aws_config.c). */
typedef struct aws_profile {
  char *access_key_id;     /* NULL when none (owned) */
  char *secret_access_key; /* (owned, secret) */
  char *session_token;     /* (owned, secret) */
  char *region;            /* NULL when none (owned) */
  char *endpoint_url;      /* the profile's (or AWS_ENDPOINT_URL*'s) endpoint, NULL when none (owned) */
  char *s3_endpoint_url;   /* the profile's nested "s3 = endpoint_url", which wins for S3 (owned) */
  int found;               /* 1: a section of the profile was found in a file */
} aws_profile;
/* Parse one file's text for profile (config_style 1: [profile NAME]/[default] headers, 0:
 * [NAME]); values already set in p are kept. Errors name file and line, never a value. */
int aws_profile_parse(const char *text, size_t len, const char *file, const char *profile, int config_style,
                      aws_profile *p, sic_err *err);
/* Environment + files, as s3:// uses them. p is empty on error. */
int aws_profile_load(aws_profile *p, sic_err *err);
void aws_profile_free(aws_profile *p);

/* Azure Shared Key (azure_key.c, exposed for tests): the Blob service's string to sign for a
 * GET of url with these header lines (a new string, NULL when out of memory); its signature
 * (base64 of the HMAC-SHA256 under the decoded key, 44 characters + NUL; 0 or -1); and auth
 * set up to sign every attempt (account copied, key_b64 decoded; 0 or SIC_E*, never naming
 * the key). */
char *az_string_to_sign(const char *account, const char *method, const char *url, const char *const *headers);
int az_shared_key_signature(const uint8_t *key, size_t key_len, const char *to_sign, char out[64]);
int az_shared_key_auth(http_auth *auth, const char *account, const char *key_b64, sic_err *err);
/* An AZURE_STORAGE_CONNECTION_STRING ("AccountName=..;AccountKey=..;BlobEndpoint=..", or
 * "UseDevelopmentStorage=true"). */
typedef struct az_conn {
  char *account;        /* AccountName, NULL when absent (owned) */
  char *key;            /* AccountKey, base64 (owned, secret) */
  char *blob_endpoint;  /* BlobEndpoint, or built from DefaultEndpointsProtocol/EndpointSuffix (owned) */
  char *sas;            /* SharedAccessSignature (owned, secret) */
} az_conn;
int az_conn_parse(const char *text, az_conn *c, sic_err *err);
void az_conn_free(az_conn *c);

/* Zip archives in a bucket (zip_remote.c), read with ranged GETs. The parsers are exposed for
 * tests and the fuzzer. */
typedef struct zip_directory_loc {
  uint64_t entries;     /* members the end record announces */
  int64_t cd_offset;    /* where the central directory starts */
  int64_t cd_size;      /* its bytes */
} zip_directory_loc;
typedef struct zip_member {
  char *name;           /* member name (owned) */
  uint16_t method;      /* 0 stored, 8 deflated */
  uint16_t flags;       /* general purpose flags (bit 0: encrypted) */
  uint32_t crc;         /* CRC-32 of the uncompressed bytes */
  uint64_t csize;       /* compressed bytes */
  uint64_t usize;       /* uncompressed bytes */
  uint64_t local_offset;/* its local header */
  int64_t data_offset;  /* its data, -1 until the local header was read (atomic) */
} zip_member;
typedef struct zip_directory {
  zip_member *items;    /* files only, in directory order (owned) */
  size_t n;             /* members in items */
} zip_directory;
/* Find the central directory from the last n bytes of an archive of size bytes, which start
 * at tail_off. 0 or SIC_EFORMAT/SIC_ELIMIT. */
int zip_find_directory(const uint8_t *tail, size_t n, int64_t tail_off, int64_t size, zip_directory_loc *loc,
                       sic_err *err);
/* Parse n bytes of central directory holding entries members into out (directories and
 * members without a usable name left out). 0 or SIC_E*; out is empty on error. */
int zip_parse_directory(const uint8_t *cd, size_t n, uint64_t entries, int64_t size, zip_directory *out, sic_err *err);
void zip_directory_free(zip_directory *d);
/* The logs inside the archive entry e of source s, by the layout rules of a local zip. */
int zip_remote_scan(sic_source *s, const sic_source_entry *e, sic_logsets *out, sic_err *err);

/* History Server (exposed for tests and the fuzzer): parse an /applications answer
 * (one_app = 0) or one application (one_app = 1); counts what was found. 0 or SIC_EFORMAT. */
int hs_parse_listing(const char *json, size_t len, int one_app, size_t *apps, size_t *attempts, sic_err *err);

/* Register the URI reader of Delta tables with engine/delta (delta_io.c). */
void sic_sources_delta_init(void);

#endif
