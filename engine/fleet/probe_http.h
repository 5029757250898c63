/* The worker's small HTTP endpoint: /metrics (Prometheus text), /healthz (the process
 * answers), /readyz (200 once every consumer has its store open and is consuming, 503 while
 * starting or stopping). libmicrohttpd, one internal thread.
 *
 * Ownership: the metrics blocks are borrowed and must outlive sic_probe_http_stop(). */
#ifndef SIC_FLEET_PROBE_HTTP_H
#define SIC_FLEET_PROBE_HTTP_H

#include "core/error.h"
#include "fleet/worker.h"

typedef struct sic_probe_http sic_probe_http;

/* listen is HOST:PORT (PORT 0: any free port, printed by the caller from *port). */
int sic_probe_http_start(const char *listen, sic_worker_metrics *const *m, int n, sic_probe_http **out, int *port,
                         sic_err *err);
void sic_probe_http_stop(sic_probe_http *h);

#endif
