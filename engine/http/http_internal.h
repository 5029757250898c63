/* Internals of the HTTP service (engine/http). Not a public header.
 *
 * Layers: server.c (libmicrohttpd plumbing: daemons, limits, auth, body intake, shutdown),
 * guard.c (listening socket, accept thread, connection limits, health reserve, slow-client
 * sweeper), pool.c (the analysis pool offloaded routes run on),
 * routes.c (the route table every request is dispatched on, and its handlers), cache.c (the
 * rendered-response cache in front of engine/shs), metrics.c (Prometheus counters),
 * openapi.c (OpenAPI document and /docs page generated from the route table), assets
 * (embedded UI files, generated at build time from engine/http/ui/). */
#ifndef SIC_HTTP_INTERNAL_H
#define SIC_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "lua/rules_mount.h"
#include "shs/shs.h"

/* ---- replies ---- */

/* What a handler answers. The server turns it into an MHD response. */
typedef struct http_reply {
  int status;                  /* HTTP status */
  const char *content_type;    /* static string */
  char *body;                  /* malloc'd (owned) unless body_static */
  size_t len;                  /* body bytes */
  int body_static;             /* 1: body points at static/embedded bytes, never freed */
  char *filename;              /* owned; attachment file name (Content-Disposition), or NULL */
  const char *cache_control;   /* static Cache-Control value, or NULL for "no-store" */
  void *body_ref;              /* body is a response-cache entry's bytes, held by this reference
                                  (released with http_cache_release), never freed directly */
  sic_shs_stream stream;       /* a body written while it is sent (the /logs zip), owned; body unused */
} http_reply;

void http_reply_free(http_reply *r);
/* A JSON error body {"error":{"status":S,"message":M}}; returns status. */
int http_reply_error(http_reply *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Take ownership of a finished sic_jw buffer (or answer 500 when it failed). */
struct sic_jw;
int http_reply_json(http_reply *r, int status, struct sic_jw *w);

/* ---- requests ---- */

struct http_route;

/* One request, from its request line to the completion callback. */
typedef struct http_req {
  char *target;                /* raw request target as sent ("/api/v1/x?y=1"), owned */
  size_t path_len;             /* bytes of target before '?' */
  const char *query;           /* raw query after '?', or "" (points into target) */
  const char *method;          /* request method (MHD's string, valid during the request) */
  int64_t start_ns;            /* CLOCK_MONOTONIC when the request line arrived */
  const struct http_route *route; /* matched route, NULL until matched / when none */
  int route_index;             /* index in the route table, or the "unmatched" slot */
  int started;                 /* the first access-handler call happened */
  int replied;                 /* a response was queued */
  int status;                  /* status of the queued response (for metrics) */
  char *body;                  /* in-memory request body (routes with HTTP_BODY_MEMORY) */
  size_t body_len;             /* bytes in body */
  int64_t body_seen;           /* body bytes received so far (any route) */
  int body_fd;                 /* spool file for HTTP_BODY_FILE routes, -1 = none */
  char body_path[256];         /* the spool file's path (under the server's upload dir) */
  int body_too_large;          /* the body exceeded the limit */
  char params[4][128];         /* values of {name} segments in the route pattern */
  int nparams;                 /* how many params were captured */
  struct http_conn *conn;      /* the connection's guard record (may be NULL) */
  struct MHD_Connection *connection; /* libmicrohttpd's connection, for suspend/resume */
  struct http_req *job_next;   /* next request in the analysis pool's queue */
  http_reply job_reply;        /* what the pool thread answered */
  _Atomic int job_done;        /* the pool thread finished: send job_reply */
  int job_queued;              /* handed to the pool (the connection is suspended) */
  int raw_replied;             /* a 413 was written to the socket mid-body (see server.c) */
  int cache_missed;            /* the response cache was asked before offloading and missed:
                                  the handler does not ask (and count a miss) again */
} http_req;

/* ---- routes ---- */

typedef struct sic_http sic_http;
typedef int (*http_handler)(sic_http *srv, http_req *rq, http_reply *out);

enum { HTTP_BODY_NONE = 0, HTTP_BODY_MEMORY, HTTP_BODY_FILE };

/* One entry of the route table: dispatch, auth, body handling and documentation together,
 * so /openapi.json and /docs cannot drift from what the server does. */
typedef struct http_route {
  const char *method;          /* "GET" or "POST" */
  const char *pattern;         /* "/healthz", "/v1/apps/{id}", or a prefix ending in "*" */
  http_handler handler;        /* produces the reply */
  int is_public;               /* 1: no bearer token needed (health probes) */
  int body;                    /* HTTP_BODY_* */
  const char *tag;             /* OpenAPI tag (groups routes in /docs) */
  const char *summary;         /* one line */
  const char *produces;        /* main response content type */
  const char *query_params;    /* "name|description;..." query parameters, or NULL */
  int offload;                 /* 1: may parse logs, run rules or query the store: answered by the
                                  analysis pool (a cached reply is still sent at once) */
} http_route;

/* For an offloaded route: the cached reply, if any (1), answered without the pool. */
int http_cached_reply(struct sic_http *srv, http_req *rq, http_reply *out);
/* The response-cache key of a request to /v1/apps/{id}/...: its path and, sorted by name,
 * the query parameters (unknown ones were refused before), so equal requests share it. */
void http_copilot_cache_key(const http_req *rq, char *buf, size_t n);

/* The first query parameter of query that route does not document, into bad ("" if none). */
void http_route_unknown_param(const http_route *route, const char *query, char *bad, size_t n);

extern const http_route http_routes[];
extern const int http_nroutes;
/* Find the route for method + decoded path; fills rq->params. *path_known is set when some
 * route matches the path under another method (405 instead of 404). */
const http_route *http_route_match(const char *method, const char *path, size_t path_len, http_req *rq, int *path_known);

/* ---- response cache (cache.c) ---- */

typedef struct http_cache http_cache;
http_cache *http_cache_new(int64_t max_bytes);
void http_cache_free(http_cache *c);
/* A cached reply for key into out, its body shared with the cache (out->body_ref holds a
 * reference; http_reply_free or the sent response releases it); 1 hit, 0 miss. */
int http_cache_get(http_cache *c, const char *key, http_reply *out);
/* Drop a reference taken by http_cache_get (the entry is freed once evicted and unreferenced). */
void http_cache_release(void *ref);
/* The generation a miss must quote when storing, so a store racing a clear is dropped. */
uint64_t http_cache_generation(http_cache *c);
/* Store a copy of r under key unless the cache was cleared since `generation`. */
void http_cache_put(http_cache *c, const char *key, const http_reply *r, uint64_t generation);
void http_cache_clear(http_cache *c);
/* Statistics for /metrics. */
typedef struct http_cache_stats {
  uint64_t hits, misses, evictions, clears; /* counters */
  int64_t bytes, entries;                   /* current size */
} http_cache_stats;
void http_cache_stats_get(http_cache *c, http_cache_stats *s);

/* ---- metrics (metrics.c) ---- */

enum { HTTP_MAX_ROUTES = 48, HTTP_LAT_BUCKETS = 14 };
extern const double http_latency_bounds_s[HTTP_LAT_BUCKETS]; /* upper bounds; last is +Inf */

typedef struct http_metrics {
  _Atomic uint64_t requests[HTTP_MAX_ROUTES + 1][6];   /* [route or unmatched][status/100] */
  _Atomic uint64_t lat_bucket[HTTP_MAX_ROUTES + 1][HTTP_LAT_BUCKETS]; /* latency histogram (non-cumulative) */
  _Atomic uint64_t lat_sum_ns[HTTP_MAX_ROUTES + 1];   /* total latency */
  _Atomic int64_t in_flight;                           /* requests between request line and completion */
  _Atomic uint64_t rejected_auth;                      /* 401s */
  _Atomic uint64_t rejected_size;                      /* 413s */
  _Atomic uint64_t shs_renders;                        /* /api/v1 answers computed by engine/shs */
  _Atomic uint64_t shs_render_ns;                      /* time spent in them (includes log parsing) */
  _Atomic uint64_t rescans;                            /* log dir rescans done */
  _Atomic uint64_t rescan_failures;                    /* rescans that failed */
  _Atomic uint64_t catalog_changes;                    /* rescans that changed the listing */
  _Atomic uint64_t body_bytes;                         /* request body bytes received */
  _Atomic uint64_t rule_reload_failures;               /* rule reloads rejected (old rules kept) */
  _Atomic uint64_t analyses;                           /* copilot analyses run (Lua graph) */
  _Atomic uint64_t analysis_errors;                    /* analyses that failed */
  _Atomic uint64_t rule_errors;                        /* rules that failed to load/run in served analyses */
  _Atomic uint64_t parse_bytes;                        /* stored log bytes loaded by copilot analyses and uploads */
  _Atomic uint64_t parse_ns;                           /* time spent loading them */
  _Atomic int64_t conns_open;                          /* connections open now */
  _Atomic uint64_t conns_refused;                      /* connections refused at accept (limits) */
  _Atomic uint64_t conns_closed_slow;                  /* closed for a slow head or body */
  _Atomic int64_t pool_queued;                         /* requests waiting for an analysis thread */
  _Atomic int64_t pool_running;                        /* requests on analysis threads now */
  _Atomic uint64_t pool_rejected;                      /* 503s: the analysis queue was full */
  _Atomic uint64_t pool_ns;                            /* time analysis threads spent answering */
  _Atomic uint64_t rejected_query;                     /* 400s for unknown query parameters */
} http_metrics;

void http_metrics_observe(http_metrics *m, int route_index, int status, int64_t ns);
/* Prometheus text exposition format 0.0.4; malloc'd into *out. */
int http_metrics_render(sic_http *srv, char **out, size_t *len);

/* ---- connection guard (guard.c) ---- */

enum { HTTP_CONN_WAIT_HEAD = 0, HTTP_CONN_BODY, HTTP_CONN_BUSY };

/* One open connection, as the guard sees it. */
typedef struct http_conn {
  struct http_conn *prev, *next; /* the guard's list of open connections */
  int fd;                      /* its socket (owned by libmicrohttpd) */
  unsigned char key[16];       /* client address (IPv4 v4-mapped) */
  int slot;                    /* 1 general, 2 health reserve */
  int swept;                   /* already shut down by the guard */
  _Atomic int state;           /* HTTP_CONN_* */
  _Atomic int64_t since_ns;    /* when the current state began */
  _Atomic int64_t body_bytes;  /* body bytes received in HTTP_CONN_BODY */
} http_conn;

typedef struct http_guard http_guard;
int http_guard_start(struct sic_http *srv, sic_err *err);
/* Bind srv->listen (refusing a non-loopback address without a token) into srv->listen_fd/port. */
int http_listen_open(struct sic_http *srv, sic_err *err);
/* Start accepting on srv->listen_fd (after the daemon started); stop before draining. */
int http_guard_listen(struct sic_http *srv, sic_err *err);
void http_guard_stop_accepting(struct sic_http *srv);
void http_guard_stop(struct sic_http *srv);
/* libmicrohttpd callback: connection start/close notification. */
void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
http_conn *http_guard_conn(struct MHD_Connection *c);
/* The connection entered state (HTTP_CONN_*) now. */
void http_guard_set(http_conn *hc, int state);
void http_guard_body(http_conn *hc, size_t n);
int http_guard_reserve_slot(const http_conn *hc);

/* ---- analysis pool (pool.c) ---- */

typedef struct http_pool http_pool;
int http_pool_start(struct sic_http *srv, sic_err *err);
/* Queue rq (its connection already suspended); -1 when the queue is full. */
int http_pool_submit(struct sic_http *srv, http_req *rq);
void http_pool_stop(struct sic_http *srv);

/* ---- the server ---- */

struct sic_http {
  sic_http_opts opts;          /* copy of the options (strings owned below) */
  char *listen;                /* owned copy of the listen address */
  char *logdir;                /* owned copy of the first log dir (for messages) */
  char **logdirs;              /* owned copies of every log dir served, in order */
  size_t nlogdirs;             /* entries in logdirs (>= 1) */
  char *token;                 /* owned bearer token or NULL */
  int port;                    /* bound port */
  int listen_fd;               /* our listening socket (MHD uses it) */
  struct MHD_Daemon *daemon;   /* libmicrohttpd daemon (thread pool) serving general connections */
  struct MHD_Daemon *health_daemon; /* one-thread daemon serving the health reserve's connections */
  sic_shs *shs;                /* History Server catalog over logdir */
  http_cache *cache;           /* rendered /api/v1 responses */
  http_metrics metrics;        /* counters for /metrics */
  char upload_dir[200];        /* private temp dir for request bodies spooled to disk */
  _Atomic int draining;        /* shutdown started: answer with Connection: close */
  _Atomic int ready;           /* catalog loaded and serving */
  int64_t started_ms;          /* wall clock at start (for /healthz uptime) */
  pthread_t rescan_thread;     /* periodic sic_shs_refresh */
  int rescan_started;          /* rescan_thread was created */
  pthread_mutex_t rescan_mu;   /* guards stop_rescan with rescan_cv */
  pthread_cond_t rescan_cv;    /* wakes the rescan thread early to stop */
  int stop_rescan;             /* the rescan thread should exit */
  uint64_t listing_hash;       /* hash of the last /applications listing (change detection) */
  char *scripts_dir;           /* owned copy of opts.scripts_dir */
  char *store_url;             /* owned copy of opts.store_url */
  char *delta_root;            /* owned realpath of opts.delta_root, or NULL */
  struct sic_ml_predictor *predictor; /* loaded --model, read-only and shared by all threads; NULL = none */
  pthread_mutex_t rules_mu;    /* guards rules_active, rules_loaded_ms and rules_last_error */
  pthread_mutex_t rules_reload_mu; /* one reload at a time */
  int rules_mu_ready;          /* the rule mutexes were initialised */
  char rules_active[320];      /* active validated snapshot dir, "" = built-in scripts only */
  int64_t rules_loaded_ms;     /* wall clock of the active snapshot's validation */
  char rules_last_error[512];  /* why the last reload was rejected ("" = none yet), under rules_mu */
  sic_rules_watch rules_watch; /* --scripts: snapshots, checks and reloads (lua/rules_mount.h),
                                  used under rules_reload_mu */
  int rules_watching;          /* rules_watch is initialised (--scripts given) */
  http_guard *guard;           /* connection limits and slow-client sweeper */
  http_pool *pool;             /* threads answering offloaded routes */
};

/* ---- rules (rules.c) ---- */
struct sic_lua_opts;
int http_rules_init(sic_http *srv, sic_err *err);
int http_rules_reload(sic_http *srv, char *why, size_t whylen);
/* The rescan thread's check: a ConfigMap swap of --scripts reloads (validated). */
void http_rules_poll(sic_http *srv);
/* Value of query parameter `name`, percent-decoded into buf; NULL when absent (copilot.c). */
const char *http_query_param(const http_req *rq, const char *name, char *buf, size_t n);
void http_rules_opts(sic_http *srv, struct sic_lua_opts *lo, const char **dirs, char *dirbuf, size_t n);
void http_rules_free(sic_http *srv);
int http_rules_get(sic_http *srv, http_req *rq, http_reply *out);
int http_rules_post_reload(sic_http *srv, http_req *rq, http_reply *out);

int64_t http_now_ns(void);

#endif
