/* libmicrohttpd plumbing for the sic HTTP service: daemons and thread pool, per-request state,
 * auth, size limits, body intake (memory or spooled to a private dir), dispatch on the route
 * table (inline, or through the analysis pool), the periodic log-dir rescan and graceful
 * shutdown. The listening socket, accepting and connection limits are guard.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lua/rules_mount.h"
#include "http/http_internal.h"
#include "json/write.h"
#include "ml/predict.h"

int64_t http_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- replies ---- */

void http_reply_free(http_reply *r) {
  if (r->stream.read && r->stream.free) r->stream.free(r->stream.ctx);
  if (r->body_ref) http_cache_release(r->body_ref);
  else if (!r->body_static) free(r->body);
  free(r->filename);
  memset(r, 0, sizeof *r);
}

int http_reply_error(http_reply *r, int status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kobj(&w, "error");
  sic_jw_kint(&w, "status", status);
  sic_jw_kstr(&w, "message", msg);
  sic_jw_end(&w);
  sic_jw_end(&w);
  return http_reply_json(r, status, &w);
}

int http_reply_json(http_reply *r, int status, sic_jw *w) {
  static const char oom[] = "{\"error\":{\"status\":500,\"message\":\"out of memory\"}}";
  http_reply_free(r);
  r->content_type = "application/json";
  if (sic_jw_status(w) == 0 && (r->body = sic_jw_take(w, &r->len))) {
    r->status = status;
  } else {
    r->status = 500;
    r->body = (char *)oom;
    r->len = sizeof oom - 1;
    r->body_static = 1;
  }
  sic_jw_free(w);
  return r->status;
}

/* ---- queuing responses ---- */

static int header_add(struct MHD_Response *resp, const char *k, const char *v) {
  return MHD_add_response_header(resp, k, v) == MHD_YES;
}

/* A streamed body: chunked (no Content-Length), produced as MHD asks for it. An error ends
 * the answer early (MHD closes the connection: the client sees it cut). */
static ssize_t stream_chunk(void *cls, uint64_t pos, char *buf, size_t max) {
  sic_shs_stream *s = cls;
  long n = s->read(s->ctx, (uint8_t *)buf, max);
  return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_done(void *cls) {
  sic_shs_stream *s = cls;
  if (s->free) s->free(s->ctx);
  free(s);
}

/* The client is on this machine (a loopback address). */
static int peer_is_local(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  if (!sa) return 0;
  if (sa->sa_family == AF_INET) return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family != AF_INET6) return 0;
  const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

static struct MHD_Response *stream_response(struct MHD_Connection *c, http_reply *r) {
  sic_shs_stream *s = malloc(sizeof *s);
  if (!s) return NULL;
  *s = r->stream;
  if (s->peer_local && peer_is_local(c)) s->peer_local(s->ctx); /* bytes are free: do not compress them */
  struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256 * 1024, stream_chunk, s,
                                                                stream_done);
  if (!resp) free(s);
  else memset(&r->stream, 0, sizeof r->stream); /* MHD owns it now */
  return resp;
}

static enum MHD_Result queue_reply(sic_http *srv, struct MHD_Connection *c, http_req *rq, http_reply *r) {
  struct MHD_Response *resp;
  if (r->stream.read) resp = stream_response(c, r);
  else if (r->body_static) resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_PERSISTENT);
  else if (r->body_ref) {
    resp = MHD_create_response_from_buffer_with_free_callback_cls(r->len, r->body, http_cache_release, r->body_ref);
    if (resp) r->body_ref = r->body = NULL; /* MHD releases it when the response is destroyed */
  } else {
    resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (resp) r->body = NULL; /* MHD frees it now */
  }
  if (!resp) {
    http_reply_free(r);
    return MHD_NO;
  }
  int ok = header_add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "application/octet-stream");
  ok &= header_add(resp, "X-Content-Type-Options", "nosniff");
  ok &= header_add(resp, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache_control ? r->cache_control : "no-store");
  if (r->filename) {
    char cd[300];
    snprintf(cd, sizeof cd, "attachment; filename=%s", r->filename);
    ok &= header_add(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
  }
  if (r->status == 401) ok &= header_add(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sic\"");
  if (atomic_load(&srv->draining) || http_guard_reserve_slot(rq->conn))
    ok &= header_add(resp, MHD_HTTP_HEADER_CONNECTION, "close"); /* a reserve slot serves one probe */
  enum MHD_Result qr = ok ? MHD_queue_response(c, (unsigned)r->status, resp) : MHD_NO;
  MHD_destroy_response(resp);
  rq->replied = 1;
  rq->status = r->status;
  http_reply_free(r);
  return qr;
}

static enum MHD_Result reply_error(sic_http *srv, struct MHD_Connection *c, http_req *rq, int status, const char *msg) {
  http_reply r = {0};
  http_reply_error(&r, status, "%s", msg);
  return queue_reply(srv, c, rq, &r);
}

/* ---- per-request state ---- */

/* Called by MHD with the raw request target before anything else: our request record. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  sic_http *srv = cls;
  http_req *rq = calloc(1, sizeof *rq);
  if (!rq) return NULL;
  rq->body_fd = -1;
  rq->start_ns = http_now_ns();
  rq->route_index = HTTP_MAX_ROUTES;
  rq->connection = c;
  rq->conn = http_guard_conn(c);
  rq->target = strdup(uri ? uri : "");
  if (rq->target) {
    const char *q = strchr(rq->target, '?');
    rq->path_len = q ? (size_t)(q - rq->target) : strlen(rq->target);
    rq->query = q ? q + 1 : "";
  }
  atomic_fetch_add(&srv->metrics.in_flight, 1);
  return rq;
}

static void req_free(http_req *rq) {
  http_reply_free(&rq->job_reply);
  if (rq->body_fd >= 0) close(rq->body_fd);
  if (rq->body_path[0]) unlink(rq->body_path);
  free(rq->body);
  free(rq->target);
  free(rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  sic_http *srv = cls;
  http_req *rq = *con_cls;
  if (!rq) return;
  int status = rq->replied ? rq->status : 0; /* 0: no response from us (client left, or MHD answered itself) */
  http_metrics_observe(&srv->metrics, rq->route_index, status, http_now_ns() - rq->start_ns);
  atomic_fetch_sub(&srv->metrics.in_flight, 1);
  /* the next request head is due within --timeout; looked up again, not rq->conn, in case the
   * connection's record is already gone (a request ending with its connection) */
  http_guard_set(http_guard_conn(c), HTTP_CONN_WAIT_HEAD);
  req_free(rq);
  *con_cls = NULL;
}

/* ---- checks before dispatch ---- */

/* Constant-time comparison, so response timing does not reveal how much of a token matched. */
static int token_equal(const char *got, size_t got_len, const char *want) {
  size_t want_len = strlen(want);
  unsigned char diff = got_len != want_len;
  for (size_t i = 0; i < want_len; i++) diff |= (unsigned char)(i < got_len ? got[i] : 0) ^ (unsigned char)want[i];
  return diff == 0;
}

static int authorized(sic_http *srv, struct MHD_Connection *c) {
  if (!srv->token) return 1;
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncasecmp(h, "Bearer ", 7)) return 0;
  h += 7;
  while (*h == ' ') h++;
  size_t n = strlen(h);
  while (n && h[n - 1] == ' ') n--;
  return token_equal(h, n, srv->token);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A path that could climb out of a directory or smuggle a NUL is refused outright, whatever
 * route it would reach: "..", "." segments (raw or percent-encoded), backslashes, %00. */
static int path_is_safe(const char *p, size_t n) {
  char dec[2048];
  if (n >= sizeof dec) return 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = p[i];
    if (ch == '%') {
      if (i + 2 >= n) return 0; /* truncated escape */
      int hi = hex_digit(p[i + 1]), lo = hex_digit(p[i + 2]);
      if (hi < 0 || lo < 0) return 0;
      ch = (char)(hi * 16 + lo);
      i += 2;
    }
    if (ch == 0 || ch == '\\') return 0;
    dec[k++] = ch;
  }
  dec[k] = 0;
  for (const char *s = dec; *s;) { /* every segment between slashes */
    const char *e = strchr(s, '/');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return 0;
    s += len;
    if (*s == '/') s++;
  }
  return dec[0] == '/';
}

static int64_t content_length(struct MHD_Connection *c) {
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (!cl) return -1;
  char *end;
  long long v = strtoll(cl, &end, 10);
  return (*end || v < 0) ? -2 : v;
}

/* ---- body intake ---- */

static int body_open_spool(sic_http *srv, http_req *rq) {
  /* the name is ours, never the client's: uploads cannot name a path */
  snprintf(rq->body_path, sizeof rq->body_path, "%s/body-XXXXXX", srv->upload_dir);
  rq->body_fd = mkstemp(rq->body_path);
  if (rq->body_fd < 0) rq->body_path[0] = 0;
  return rq->body_fd >= 0 ? 0 : -1;
}

static int body_take(sic_http *srv, http_req *rq, const char *data, size_t n) {
  rq->body_seen += (int64_t)n;
  atomic_fetch_add(&srv->metrics.body_bytes, n);
  if (rq->body_seen > srv->opts.max_body_bytes) {
    rq->body_too_large = 1;
    return 0;
  }
  if (rq->route->body == HTTP_BODY_FILE) {
    if (rq->body_fd < 0 && body_open_spool(srv, rq) < 0) return -1;
    for (size_t off = 0; off < n;) {
      ssize_t w = write(rq->body_fd, data + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
      off += (size_t)w;
    }
    return 0;
  }
  if (rq->route->body != HTTP_BODY_MEMORY) return 0; /* bodies of GETs are read and dropped */
  char *nb = realloc(rq->body, rq->body_len + n + 1);
  if (!nb) return -1;
  rq->body = nb;
  memcpy(rq->body + rq->body_len, data, n);
  rq->body_len += n;
  rq->body[rq->body_len] = 0;
  return 0;
}

/* ---- the access handler ---- */

static enum MHD_Result first_call(sic_http *srv, struct MHD_Connection *c, http_req *rq, const char *method) {
  rq->started = 1;
  rq->method = method;
  http_guard_set(rq->conn, HTTP_CONN_BODY); /* the head is in: from now on the body rate counts */
  if (!path_is_safe(rq->target, rq->path_len)) return reply_error(srv, c, rq, 400, "bad request path");
  int path_known = 0;
  rq->route = http_route_match(method, rq->target, rq->path_len, rq, &path_known);
  if (!rq->route) {
    if (path_known) return reply_error(srv, c, rq, 405, "method not allowed for this path");
    return reply_error(srv, c, rq, 404, "no such endpoint");
  }
  rq->route_index = (int)(rq->route - http_routes);
  if (http_guard_reserve_slot(rq->conn) && !rq->route->is_public)
    return reply_error(srv, c, rq, 503, "at the connection limit: this connection answers health checks only");
  if (!rq->route->is_public && !authorized(srv, c)) {
    atomic_fetch_add(&srv->metrics.rejected_auth, 1);
    return reply_error(srv, c, rq, 401, "missing or wrong bearer token");
  }
  if (!strcmp(rq->route->tag, "copilot")) {
    char bad[80];
    http_route_unknown_param(rq->route, rq->query, bad, sizeof bad);
    if (bad[0]) {
      atomic_fetch_add(&srv->metrics.rejected_query, 1);
      char msg[200];
      snprintf(msg, sizeof msg, "unknown query parameter '%s' for %s (see /openapi.json)", bad, rq->route->pattern);
      return reply_error(srv, c, rq, 400, msg);
    }
  }
  int64_t cl = content_length(c);
  if (cl == -2) return reply_error(srv, c, rq, 400, "bad Content-Length");
  if (cl > srv->opts.max_body_bytes) {
    atomic_fetch_add(&srv->metrics.rejected_size, 1);
    return reply_error(srv, c, rq, 413, "request body too large");
  }
  return MHD_YES;
}

static enum MHD_Result dispatch(sic_http *srv, struct MHD_Connection *c, http_req *rq) {
  if (rq->body_too_large) { /* the direct 413 could not be written: answer the usual way */
    atomic_fetch_add(&srv->metrics.rejected_size, 1);
    return reply_error(srv, c, rq, 413, "request body too large");
  }
  if (rq->body_fd >= 0 && fsync(rq->body_fd) < 0) return reply_error(srv, c, rq, 500, "cannot store the request body");
  http_guard_set(rq->conn, HTTP_CONN_BUSY);
  http_reply r = {0};
  if (rq->route->offload) {
    if (http_cached_reply(srv, rq, &r)) return queue_reply(srv, c, rq, &r); /* cached reads stay here */
    /* suspend before queueing: the pool may resume the connection before this call returns */
    MHD_suspend_connection(c);
    rq->job_queued = 1;
    if (http_pool_submit(srv, rq) == 0) return MHD_YES;
    rq->job_queued = 0;
    MHD_resume_connection(c);
    atomic_fetch_add(&srv->metrics.pool_rejected, 1);
    return reply_error(srv, c, rq, 503, "busy: too many analyses waiting, retry shortly");
  }
  rq->route->handler(srv, rq, &r);
  return queue_reply(srv, c, rq, &r);
}

/* The limit was passed in the middle of a body. libmicrohttpd (0.9.75) cannot queue a
 * response before the body ends, so the 413 is written to the socket directly, the sending
 * side is closed, and the rest of the body is read and dropped until the client stops. */
static void reply_413_now(sic_http *srv, http_req *rq) {
  static const char body[] = "{\"error\":{\"status\":413,\"message\":\"request body too large\"}}";
  char msg[512];
  int n = snprintf(msg, sizeof msg,
                   "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
                   "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                   sizeof body - 1, body);
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  rq->raw_replied = 1; /* tried once: if the socket would not take it, the client sees the hang-up */
  if (ci && n > 0 && send(ci->connect_fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n) {
    shutdown(ci->connect_fd, SHUT_WR);
    rq->replied = 1;
    rq->status = 413;
  }
  atomic_fetch_add(&srv->metrics.rejected_size, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  sic_http *srv = cls;
  http_req *rq = *con_cls;
  if (!rq || !rq->target) return MHD_NO; /* out of memory in on_uri: drop the connection */
  if (!rq->started) {
    enum MHD_Result fr = first_call(srv, c, rq, method);
    /* Answer on a later call, not this one: libmicrohttpd (0.9.75) treats a response queued
     * while the headers are being processed as "early" and closes the connection after it,
     * which would defeat keep-alive. Early rejections (401, 413...) close on purpose. */
    return fr;
  }
  if (rq->job_queued) { /* resumed by the analysis pool: send its answer */
    if (!atomic_load(&rq->job_done)) return MHD_YES;
    rq->job_queued = 0;
    http_reply r = rq->job_reply;
    memset(&rq->job_reply, 0, sizeof rq->job_reply);
    return queue_reply(srv, c, rq, &r);
  }
  if (rq->raw_replied) { /* the 413 went out mid-body: drop what still arrives, then hang up */
    rq->body_seen += (int64_t)*upload_data_size;
    if (!*upload_data_size) return MHD_NO;
    *upload_data_size = 0;
    /* a sender that ignores the answer and keeps going is cut off */
    return rq->body_seen > 2 * srv->opts.max_body_bytes + (1 << 20) ? MHD_NO : MHD_YES;
  }
  if (rq->replied) { /* an early reply (413): drop the rest of the body */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size) {
    http_guard_body(rq->conn, *upload_data_size);
    if (body_take(srv, rq, upload_data, *upload_data_size) < 0) return reply_error(srv, c, rq, 500, "cannot store the request body");
    *upload_data_size = 0;
    if (rq->body_too_large) {
      if (rq->body_fd >= 0) { /* nothing of an oversized body stays on disk */
        close(rq->body_fd);
        rq->body_fd = -1;
        unlink(rq->body_path);
        rq->body_path[0] = 0;
      }
      reply_413_now(srv, rq);
    }
    return MHD_YES;
  }
  return dispatch(srv, c, rq);
}

/* ---- rescans ---- */

static uint64_t listing_hash(sic_http *srv) {
  sic_shs_response r;
  sic_shs_get(srv->shs, "applications", &r);
  uint64_t h = 1469598103934665603ull ^ (uint64_t)r.status;
  for (size_t i = 0; i < r.len; i++) h = (h ^ (unsigned char)r.body[i]) * 1099511628211ull;
  sic_shs_response_free(&r);
  return h;
}

/* Rescan the log dir; a changed listing (new log, grown log: its mtime is lastUpdated)
 * invalidates every cached response. */
static void rescan_once(sic_http *srv) {
  sic_err err = {0};
  http_rules_poll(srv); /* a ConfigMap swap of --scripts: reload (validated) */
  atomic_fetch_add(&srv->metrics.rescans, 1);
  if (sic_shs_refresh(srv->shs, &err) < 0) {
    atomic_fetch_add(&srv->metrics.rescan_failures, 1);
    return;
  }
  uint64_t h = listing_hash(srv);
  if (h != srv->listing_hash) {
    srv->listing_hash = h;
    http_cache_clear(srv->cache);
    atomic_fetch_add(&srv->metrics.catalog_changes, 1);
  }
}

static void *rescan_main(void *arg) {
  sic_http *srv = arg;
  pthread_mutex_lock(&srv->rescan_mu);
  while (!srv->stop_rescan) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (int64_t)srv->opts.rescan_ms * 1000000;
    until.tv_sec += ns / 1000000000;
    until.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&srv->rescan_cv, &srv->rescan_mu, &until);
    if (srv->stop_rescan) break;
    pthread_mutex_unlock(&srv->rescan_mu);
    rescan_once(srv);
    pthread_mutex_lock(&srv->rescan_mu);
  }
  pthread_mutex_unlock(&srv->rescan_mu);
  return NULL;
}

/* ---- start / stop ---- */

static int defaults_and_copies(sic_http *srv, const sic_http_opts *opts, sic_err *err) {
  srv->opts = *opts;
  if (!srv->opts.max_body_bytes) srv->opts.max_body_bytes = 64ll << 20;
  if (!srv->opts.max_header_bytes) srv->opts.max_header_bytes = 32 << 10;
  if (!srv->opts.timeout_s) srv->opts.timeout_s = 30;
  if (!srv->opts.max_expanded_bytes) srv->opts.max_expanded_bytes = 16 * srv->opts.max_body_bytes;
  if (!srv->opts.response_cache_bytes) srv->opts.response_cache_bytes = 64ll << 20;
  if (!srv->opts.rescan_ms) srv->opts.rescan_ms = 2000;
  if (srv->opts.threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    srv->opts.threads = n > 0 ? (int)n : 2;
  }
  const char *const *dirs = opts->nlogdirs ? opts->logdirs : &opts->logdir;
  size_t ndirs = opts->nlogdirs ? opts->nlogdirs : 1;
  if (!dirs[0]) return sic_err_set(err, SIC_EINVAL, "no log directory (--logs DIR)");
  if (!(srv->logdirs = calloc(ndirs, sizeof *srv->logdirs))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (; srv->nlogdirs < ndirs; srv->nlogdirs++)
    if (!(srv->logdirs[srv->nlogdirs] = strdup(dirs[srv->nlogdirs]))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  srv->listen = strdup(opts->listen ? opts->listen : SIC_HTTP_DEFAULT_LISTEN);
  srv->logdir = strdup(dirs[0]);
  srv->token = opts->token && opts->token[0] ? strdup(opts->token) : NULL;
  if (!srv->listen || !srv->logdir || (opts->token && opts->token[0] && !srv->token))
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  srv->opts.listen = srv->listen;
  srv->opts.logdir = srv->logdir;
  srv->opts.logdirs = (const char *const *)srv->logdirs;
  srv->opts.nlogdirs = srv->nlogdirs;
  srv->opts.token = srv->token;
  if (opts->scripts_dir && !(srv->scripts_dir = strdup(opts->scripts_dir))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  srv->opts.scripts_dir = srv->scripts_dir;
  if (opts->store_url && !(srv->store_url = strdup(opts->store_url))) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  srv->opts.store_url = srv->store_url;
  if (opts->delta_root && !(srv->delta_root = realpath(opts->delta_root, NULL)))
    return sic_err_set(err, SIC_ENOTFOUND, "--delta-root %s: %s", opts->delta_root, strerror(errno));
  srv->opts.delta_root = srv->delta_root;
  return 0;
}

static int make_upload_dir(sic_http *srv, sic_err *err) {
  const char *tmp = getenv("TMPDIR");
  snprintf(srv->upload_dir, sizeof srv->upload_dir, "%s/sic-serve-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(srv->upload_dir)) {
    int e = errno;
    srv->upload_dir[0] = 0;
    return sic_err_set(err, SIC_EIO, "cannot create a private upload directory: %s", strerror(e));
  }
  return 0;
}

static int start_daemon(sic_http *srv, sic_err *err) {
  /* poll, not epoll: with libmicrohttpd 0.9.75's edge-triggered epoll a client that hangs up in
   * the middle of a body was only noticed at the timeout (its spool file lingering until then);
   * with poll it is noticed at once, and throughput measured higher too (bench/bench_http.sh). */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_NO_LISTEN_SOCKET; /* the guard accepts (guard.c) and hands connections over */
  /* libmicrohttpd's own limit must never refuse what the guard admitted: it is split evenly
   * over the pool's threads and a new connection goes to the thread its descriptor number
   * picks, so each thread's share has room for every connection */
  unsigned mhd_limit = (unsigned)((srv->opts.max_connections + srv->opts.reserve_connections + 16) * srv->opts.threads);
  srv->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, &on_request, srv,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->opts.threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->opts.timeout_s,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)srv->opts.max_header_bytes,
      MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
      MHD_OPTION_NOTIFY_CONNECTION, &http_guard_notify, srv,
      MHD_OPTION_URI_LOG_CALLBACK, &on_uri, srv,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, srv,
      MHD_OPTION_END);
  if (!srv->daemon) return sic_err_set(err, SIC_EIO, "cannot start the HTTP daemon on %s", srv->listen);
  srv->health_daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, &on_request, srv,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->opts.timeout_s,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)srv->opts.max_header_bytes,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)(srv->opts.reserve_connections + 16),
      MHD_OPTION_NOTIFY_CONNECTION, &http_guard_notify, srv,
      MHD_OPTION_URI_LOG_CALLBACK, &on_uri, srv,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, srv,
      MHD_OPTION_END);
  if (!srv->health_daemon) return sic_err_set(err, SIC_EIO, "cannot start the health-check daemon on %s", srv->listen);
  return 0;
}

int sic_http_start(const sic_http_opts *opts, sic_http **out, sic_err *err) {
  *out = NULL;
  sic_http *srv = calloc(1, sizeof *srv);
  if (!srv) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  srv->listen_fd = -1;
  pthread_mutex_init(&srv->rescan_mu, NULL);
  pthread_cond_init(&srv->rescan_cv, NULL);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  srv->started_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  if (defaults_and_copies(srv, opts, err) < 0) goto error;
  if (http_listen_open(srv, err) < 0) goto error; /* before the (slow) catalog: fail fast on a busy port */
  sic_shs_opts so = {srv->opts.model_cache_bytes, 0};
  if (sic_shs_open_dirs((const char *const *)srv->logdirs, srv->nlogdirs, &so, &srv->shs, err) < 0) goto error;
  srv->cache = http_cache_new(srv->opts.response_cache_bytes > 0 ? srv->opts.response_cache_bytes : 0);
  if (!srv->cache) {
    sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto error;
  }
  srv->listing_hash = listing_hash(srv);
  if (make_upload_dir(srv, err) < 0) goto error;
  if (srv->opts.model_path && sic_ml_predictor_open(srv->opts.model_path, &srv->predictor, err) < 0) {
    sic_err_wrap(err, "--model: ");
    goto error;
  }
  pthread_mutex_init(&srv->rules_reload_mu, NULL);
  if (http_rules_init(srv, err) < 0) goto error;
  if (http_guard_start(srv, err) < 0 || http_pool_start(srv, err) < 0) goto error;
  if (start_daemon(srv, err) < 0 || http_guard_listen(srv, err) < 0) goto error;
  if (pthread_create(&srv->rescan_thread, NULL, rescan_main, srv) == 0) srv->rescan_started = 1;
  atomic_store(&srv->ready, 1);
  *out = srv;
  return 0;
error:
  sic_http_stop(srv, 0);
  return err->code ? err->code : SIC_EIO;
}

int sic_http_port(const sic_http *srv) { return srv->port; }

/* Stop accepting (the guard's accept thread ends, the listening socket closes), then wait for in-flight requests; idle
 * keep-alive connections are closed by MHD_stop_daemon. */
static void drain(sic_http *srv, int grace_ms) {
  atomic_store(&srv->draining, 1);
  atomic_store(&srv->ready, 0);
  http_guard_stop_accepting(srv);
  if (srv->listen_fd >= 0) { /* new connections are refused from now on */
    close(srv->listen_fd);
    srv->listen_fd = -1;
  }
  int64_t deadline = http_now_ns() + (int64_t)grace_ms * 1000000;
  while (atomic_load(&srv->metrics.in_flight) > 0 && http_now_ns() < deadline) {
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
}

void sic_http_stop(sic_http *srv, int grace_ms) {
  if (!srv) return;
  if (srv->rescan_started) {
    pthread_mutex_lock(&srv->rescan_mu);
    srv->stop_rescan = 1;
    pthread_cond_signal(&srv->rescan_cv);
    pthread_mutex_unlock(&srv->rescan_mu);
    pthread_join(srv->rescan_thread, NULL);
  }
  if (srv->daemon) drain(srv, grace_ms);
  http_pool_stop(srv); /* every suspended connection is resumed before the daemon stops */
  if (srv->daemon) MHD_stop_daemon(srv->daemon);
  if (srv->health_daemon) MHD_stop_daemon(srv->health_daemon);
  http_guard_stop(srv);
  if (srv->listen_fd >= 0) close(srv->listen_fd);
  http_rules_free(srv);
  if (srv->predictor) sic_ml_predictor_free(srv->predictor);
  if (srv->upload_dir[0]) rmdir(srv->upload_dir); /* bodies are unlinked with their requests */
  http_cache_free(srv->cache);
  if (srv->shs) sic_shs_close(srv->shs);
  pthread_cond_destroy(&srv->rescan_cv);
  pthread_mutex_destroy(&srv->rescan_mu);
  free(srv->listen);
  free(srv->logdir);
  for (size_t i = 0; i < srv->nlogdirs; i++) free(srv->logdirs[i]);
  free(srv->logdirs);
  free(srv->token);
  free(srv->scripts_dir);
  free(srv->store_url);
  free(srv->delta_root);
  free(srv);
}
