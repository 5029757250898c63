/* The small HTTP endpoint of `sic worker` and `sic watch`: /metrics (Prometheus text),
 * /healthz (the process answers), /readyz (the worker: 200 once every consumer has its store
 * open and is consuming; the watch: once its store and producer are open; 503 while starting or
 * stopping). libmicrohttpd, one internal thread.
 *
 * Ownership: the metrics blocks (worker) and the handlers' ctx (watch) are borrowed and must
 * outlive sic_probe_http_stop(). */
#ifndef SIC_FLEET_PROBE_HTTP_H
#define SIC_FLEET_PROBE_HTTP_H

#include "core/error.h"
#include "fleet/worker.h"

typedef struct sic_probe_http sic_probe_http;

/* What a command answers on /readyz and /metrics; both are called on the endpoint's thread. */
typedef struct sic_probe_handlers {
  int (*ready)(void *ctx);               /* 1: ready (/readyz 200), 0: not (503) */
  char *(*metrics)(void *ctx);           /* malloc'd Prometheus text, NULL when out of memory */
  void *ctx;                             /* passed to both */
} sic_probe_handlers;

/* listen is HOST:PORT (PORT 0: any free port, printed by the caller from *port). */
int sic_probe_http_serve(const char *listen, const sic_probe_handlers *handlers, sic_probe_http **out, int *port,
                         sic_err *err);
/* The worker's endpoint over its consumers' metrics blocks. */
int sic_probe_http_start(const char *listen, sic_worker_metrics *const *m, int n, sic_probe_http **out, int *port,
                         sic_err *err);
void sic_probe_http_stop(sic_probe_http *h);

#endif
