/* The sic HTTP service (`sic serve`): the History Server REST API (/api/v1, through the same
 * engine/shs code as `sic api`), health, Prometheus metrics, OpenAPI generated from the route
 * table, and an embedded web UI, on libmicrohttpd with a thread pool.
 *
 * Security defaults: binds loopback; a non-loopback address is refused unless a bearer token is
 * configured, and with a token every route except /healthz and /readyz requires
 * `Authorization: Bearer <token>`. Request bodies and headers are size-limited (uploads also
 * after decompression), a request head must arrive and a body progress within the timeout,
 * connections are capped in total and per client address with a reserve for health checks,
 * analyses run on a bounded pool of their own, and nothing a client sends names a file
 * outside the configured directories.
 *
 * Ownership: sic_http_start allocates the server (and opens the log catalog); sic_http_stop
 * drains in-flight requests (up to grace_ms), stops the threads and frees everything. */
#ifndef SIC_HTTP_H
#define SIC_HTTP_H

#include <stdint.h>

#include "core/error.h"

#define SIC_HTTP_DEFAULT_LISTEN "127.0.0.1:18080"

typedef struct sic_http sic_http;

typedef struct sic_http_opts {
  const char *listen;         /* "host:port" (IPv4 or [IPv6]); NULL = SIC_HTTP_DEFAULT_LISTEN; port 0 = any free */
  const char *logdir;         /* directory of event logs served under /api/v1 (required unless logdirs) */
  const char *const *logdirs; /* several directories served as one listing; when set, logdir is ignored */
  size_t nlogdirs;            /* entries in logdirs */
  const char *token;          /* bearer token required by every non-health route; NULL/"" = none */
  int threads;                /* worker threads; 0 = number of CPUs */
  int64_t max_body_bytes;     /* largest request body accepted (413 beyond); 0 = 64 MiB */
  int64_t max_header_bytes;   /* per-connection memory for the request line and headers (431 beyond); 0 = 32 KiB */
  int timeout_s;              /* idle/slow connection timeout, seconds; 0 = 30. Also bounds the time
                                 to receive a whole request head (from the connection's opening or
                                 its previous response) and the time a body may lag behind
                                 min_body_rate */
  int max_connections;        /* open connections served; 0 = 4096 (bounded by the descriptor limit) */
  int max_conns_per_ip;       /* open connections from one client address; 0 = 256 */
  int reserve_connections;    /* extra connections kept for health checks beyond max_connections
                                 (only for an address holding no other connection); 0 = 32, -1 = none */
  double min_body_rate;       /* bytes/s a request body must average once it is older than timeout_s;
                                 0 = 1024 */
  int analysis_threads;       /* threads running analyses, renders and store queries; 0 = number of CPUs */
  int analysis_queue;         /* analyses waiting for a thread before 503; 0 = 64 */
  int64_t max_expanded_bytes; /* decompressed bytes an upload may expand to ("decompression bomb",
                                 413 beyond); 0 = 16 x max_body_bytes */
  int64_t model_cache_bytes;  /* parsed application models kept (LRU); 0 = engine default (1 GiB) */
  int64_t response_cache_bytes; /* rendered /api/v1 responses kept; 0 = 64 MiB, -1 = no response cache */
  int rescan_ms;              /* how often the log dir is rescanned for new/grown logs; 0 = 2000 */
  const char *store_url;      /* history store (sqlite:///..., postgresql://...) for /v1/jobs, /v1/regressions
                                 and recording uploads; NULL = none (those routes answer 409) */
  const char *model_path;     /* runtime model from `sic train` for /v1/apps/{id}/predict; NULL = none (409) */
  const char *scripts_dir;    /* user rule dir (agents/, rules/, graph.lua) served from validated
                                 snapshots, reloadable with POST /v1/rules/reload; NULL = built-in only */
  const char *delta_root;     /* directory whose Delta tables /v1/delta?table=REL may read (REL relative
                                 to it, never outside); NULL = that route answers 409 */
} sic_http_opts;

/* Open the catalog, bind and start serving. Fails (err says why) on a bad listen address, a
 * non-loopback address without a token, an unreadable log dir or a busy port. */
int sic_http_start(const sic_http_opts *opts, sic_http **out, sic_err *err);
/* The port actually bound (useful with port 0). */
int sic_http_port(const sic_http *srv);
/* Stop accepting, let in-flight requests finish for up to grace_ms, then stop and free. */
void sic_http_stop(sic_http *srv, int grace_ms);

#endif
