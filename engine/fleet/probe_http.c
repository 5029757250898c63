/* /metrics, /healthz, /readyz of `sic worker` and `sic watch` (see probe_http.h). */
#include "fleet/probe_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The endpoint's state. */
struct sic_probe_http {
  struct MHD_Daemon *d;             /* the server */
  sic_probe_handlers h;             /* what /readyz and /metrics answer */
  sic_worker_metrics *const *m;     /* the worker's borrowed metrics blocks (worker only) */
  int n;                            /* how many */
};

static int worker_ready(void *ctx) {
  sic_probe_http *h = ctx;
  int ready = h->n > 0;
  for (int i = 0; i < h->n; i++) ready &= __atomic_load_n(&h->m[i]->ready, __ATOMIC_RELAXED) == 1;
  return ready;
}

static char *worker_metrics(void *ctx) {
  sic_probe_http *h = ctx;
  return sic_worker_metrics_text(h->m, h->n);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, char *body, int owned) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE
                                                                                    : MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
  (void)version;
  (void)upload;
  (void)upload_size;
  (void)state;
  sic_probe_http *h = cls;
  if (strcmp(method, "GET") && strcmp(method, "HEAD")) return reply(c, 405, "text/plain", "GET only\n", 0);
  if (!strcmp(url, "/healthz")) return reply(c, 200, "text/plain", "ok\n", 0);
  if (!strcmp(url, "/readyz")) {
    return h->h.ready(h->h.ctx) ? reply(c, 200, "text/plain", "ready\n", 0)
                                : reply(c, 503, "text/plain", "not ready\n", 0);
  }
  if (!strcmp(url, "/metrics")) {
    char *text = h->h.metrics(h->h.ctx);
    if (!text) return reply(c, 500, "text/plain", "out of memory\n", 0);
    return reply(c, 200, "text/plain; version=0.0.4", text, 1);
  }
  return reply(c, 404, "text/plain", "not found (/metrics, /healthz, /readyz)\n", 0);
}

static int start(const char *listen, sic_probe_http *h, int *port, sic_err *err);

int sic_probe_http_start(const char *listen, sic_worker_metrics *const *m, int n, sic_probe_http **out, int *port,
                         sic_err *err) {
  *out = NULL;
  sic_probe_http *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  h->m = m;
  h->n = n;
  h->h = (sic_probe_handlers){worker_ready, worker_metrics, h};
  int rc = start(listen, h, port, err);
  if (!rc) *out = h;
  return rc;
}

int sic_probe_http_serve(const char *listen, const sic_probe_handlers *handlers, sic_probe_http **out, int *port,
                         sic_err *err) {
  *out = NULL;
  sic_probe_http *h = calloc(1, sizeof *h);
  if (!h) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  h->h = *handlers;
  int rc = start(listen, h, port, err);
  if (!rc) *out = h;
  return rc;
}

/* Parse listen, start the daemon for h; frees h on failure. */
static int start(const char *listen, sic_probe_http *h, int *port, sic_err *err) {
  int rc = 0;
  const char *colon = listen ? strrchr(listen, ':') : NULL;
  char host[256];
  char *end = NULL;
  long p = colon ? strtol(colon + 1, &end, 10) : 0;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)p);
  if (!colon || (size_t)(colon - listen) >= sizeof host) {
    rc = sic_err_set(err, SIC_EINVAL, "--listen '%s': expected HOST:PORT", listen ? listen : "");
    goto error;
  }
  snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
  if (end == colon + 1 || *end || p < 0 || p > 65535) {
    rc = sic_err_set(err, SIC_EINVAL, "--listen '%s': bad port", listen);
    goto error;
  }
  if (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "*")) sa.sin_addr.s_addr = htonl(INADDR_ANY);
  else if (!strcmp(host, "localhost")) sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    rc = sic_err_set(err, SIC_EINVAL, "--listen '%s': HOST must be an IPv4 address", listen);
    goto error;
  }
  h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                          MHD_OPTION_END);
  if (!h->d) {
    rc = sic_err_set(err, SIC_EIO, "--listen %s: cannot listen (port in use?)", listen);
    goto error;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  if (port) *port = info ? info->port : (int)p;
  return 0;
error:
  free(h);
  return rc;
}

void sic_probe_http_stop(sic_probe_http *h) {
  if (!h) return;
  MHD_stop_daemon(h->d);
  free(h);
}
