/* A Spark History Server compatible REST view (API v1) over a directory of event logs.
 *
 * `sic api LOGDIR PATH` and the HTTP server route `/api/v1/...` here.
 *
 * The catalog scans LOGDIR once (sic_logset_scan), loads every log into a model to build the
 * application listing (as the History Server's FsHistoryProvider parses every log), groups
 * attempts by application id, and keeps loaded models in a cache bounded by memory; a model
 * evicted from the cache is reloaded on the next request that needs it.
 *
 * Semantics follow Spark 3.5's AppStatusListener/AppStatusStore and the v1 resources:
 * field names, which fields are omitted, orderings, quantile method, error statuses and
 * messages. JSON is printed the way the History Server's Jackson mapper prints it.
 *
 * Ownership: sic_shs_open allocates the catalog, sic_shs_close frees it and every cached
 * model. sic_shs_get fills a response whose body the caller releases with
 * sic_shs_response_free. Concurrent sic_shs_get calls on one catalog are serialized by an
 * internal lock (safe, not parallel). */
#ifndef SIC_SHS_H
#define SIC_SHS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The Spark version whose History Server this view reproduces (reported by /version). */
#define SIC_SHS_SPARK_VERSION "3.5.0"

typedef struct sic_shs sic_shs;

typedef struct sic_shs_opts {
  int64_t cache_bytes;  /* keep loaded models up to this many bytes; 0 = default (1 GiB) */
  int threads;          /* decode threads per log load; 0 = default */
} sic_shs_opts;

/* A body produced while it is sent (the /logs zip). read fills buf with up to cap bytes and
 * returns their count, 0 at the end, -1 on error (the sender then cuts the connection, so the
 * client sees a truncated answer); free releases ctx. */
typedef struct sic_shs_stream {
  long (*read)(void *ctx, uint8_t *buf, size_t cap); /* NULL: the response has no stream */
  void (*free)(void *ctx);  /* releases ctx */
  void (*peer_local)(void *ctx); /* optional, before the first read: the reader is on this machine */
  void *ctx;                /* owned by the response until taken */
} sic_shs_stream;

typedef struct sic_shs_response {
  int status;               /* HTTP status: 200, 400, 404, 503 ... */
  const char *content_type; /* static string: "application/json", "text/plain", "application/octet-stream" */
  char *body;               /* owned; JSON, error text, or zip bytes; NUL-terminated for text */
  size_t len;               /* body bytes */
  char *filename;           /* owned; attachment name for zip bodies ("eventLogs-<app>.zip"), else NULL */
  sic_shs_stream stream;    /* only from sic_shs_get_streamed: the body as a stream (body NULL) */
} sic_shs_response;

/* Scan logdir and build the listing. Logs that fail to load are skipped (counted in
 * sic_shs_skipped); only an unreadable logdir fails. */
int sic_shs_open(const char *logdir, const sic_shs_opts *opts, sic_shs **out, sic_err *err);
/* The same over several log directories served as one (like several History Server log dirs
 * behind one listing); an application found under two roots is one application. */
int sic_shs_open_dirs(const char *const *logdirs, size_t nlogdirs, const sic_shs_opts *opts, sic_shs **out,
                      sic_err *err);
void sic_shs_close(sic_shs *shs);
/* Rescan logdir (the History Server does so periodically): new and changed logs are read,
 * unchanged ones keep their listing and cached model, vanished ones disappear. On failure
 * the catalog keeps its previous listing (models it had may have to be reloaded). */
int sic_shs_refresh(sic_shs *shs, sic_err *err);
/* Number of logs under logdir that could not be listed (not event logs, no application id). */
size_t sic_shs_skipped(const sic_shs *shs);

/* Serve GET /api/v1/<path_and_query>, e.g. "applications/app-1/stages/1/0?details=true".
 * A leading "/api/v1/" or "/" is accepted. Always fills *out (also for errors) and returns
 * out->status; returns a negative SIC_E* only when memory runs out (out then holds a 500). */
int sic_shs_get(sic_shs *shs, const char *path_and_query, sic_shs_response *out);
/* The same, except that a /logs answer comes as out->stream (written as it is read, so the
 * first bytes leave before the log is read, in bounded memory) instead of out->body. The
 * stream reads the files after this returns, outside the catalog's lock. */
int sic_shs_get_streamed(sic_shs *shs, const char *path_and_query, sic_shs_response *out);
void sic_shs_response_free(sic_shs_response *r);

#endif
