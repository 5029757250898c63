/* Prometheus metrics of the HTTP service: requests by route and status class, a latency
 * histogram per route, the response cache, the History Server view's renders (which include
 * log parsing on a model-cache miss) and log-dir rescans. */
#include <stdio.h>
#include <stdlib.h>

#include "http/http_internal.h"
#include "sic_version.h"

const double http_latency_bounds_s[HTTP_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,  10,   1e300};

void http_metrics_observe(http_metrics *m, int route_index, int status, int64_t ns) {
  if (route_index < 0 || route_index > HTTP_MAX_ROUTES) route_index = HTTP_MAX_ROUTES;
  int cls = status / 100;
  if (cls < 1 || cls > 5) cls = 0; /* 0: no response of ours (client left; MHD's own 400/431) */
  atomic_fetch_add(&m->requests[route_index][cls], 1);
  double s = (double)ns / 1e9;
  int b = 0;
  while (b < HTTP_LAT_BUCKETS - 1 && s > http_latency_bounds_s[b]) b++;
  atomic_fetch_add(&m->lat_bucket[route_index][b], 1);
  atomic_fetch_add(&m->lat_sum_ns[route_index], (uint64_t)ns);
}

static const char *route_label(int i) { return i < http_nroutes ? http_routes[i].pattern : "unmatched"; }

static void write_requests(FILE *f, http_metrics *m) {
  fprintf(f, "# HELP sic_http_requests_total HTTP requests by route and status class (aborted = no response of ours: the client left, or libmicrohttpd answered a malformed request itself).\n");
  fprintf(f, "# TYPE sic_http_requests_total counter\n");
  static const char *cls[6] = {"aborted", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int r = 0; r <= HTTP_MAX_ROUTES; r++) {
    if (r >= http_nroutes && r < HTTP_MAX_ROUTES) continue;
    for (int c = 0; c < 6; c++) {
      uint64_t v = atomic_load(&m->requests[r][c]);
      if (v) fprintf(f, "sic_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n", route_label(r), cls[c], (unsigned long long)v);
    }
  }
}

static void write_latency(FILE *f, http_metrics *m) {
  fprintf(f, "# HELP sic_http_request_duration_seconds Time from request line to completed response, by route.\n");
  fprintf(f, "# TYPE sic_http_request_duration_seconds histogram\n");
  for (int r = 0; r <= HTTP_MAX_ROUTES; r++) {
    if (r >= http_nroutes && r < HTTP_MAX_ROUTES) continue;
    uint64_t cum = 0;
    for (int b = 0; b < HTTP_LAT_BUCKETS; b++) cum += atomic_load(&m->lat_bucket[r][b]);
    if (!cum) continue;
    uint64_t run = 0;
    for (int b = 0; b < HTTP_LAT_BUCKETS; b++) {
      run += atomic_load(&m->lat_bucket[r][b]);
      if (b == HTTP_LAT_BUCKETS - 1)
        fprintf(f, "sic_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", route_label(r), (unsigned long long)run);
      else
        fprintf(f, "sic_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", route_label(r), http_latency_bounds_s[b], (unsigned long long)run);
    }
    fprintf(f, "sic_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_label(r), (double)atomic_load(&m->lat_sum_ns[r]) / 1e9);
    fprintf(f, "sic_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route_label(r), (unsigned long long)cum);
  }
}

static void counter(FILE *f, const char *name, const char *help, const char *type, unsigned long long v) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void write_service(FILE *f, sic_http *srv) {
  http_metrics *m = &srv->metrics;
  http_cache_stats cs;
  http_cache_stats_get(srv->cache, &cs);
  fprintf(f, "# HELP sic_build_info Version of the running sic.\n# TYPE sic_build_info gauge\nsic_build_info{version=\"%s\"} 1\n", SIC_VERSION_STRING);
  counter(f, "sic_http_requests_in_flight", "Requests between request line and completion.", "gauge", (unsigned long long)atomic_load(&m->in_flight));
  counter(f, "sic_http_unauthorized_total", "Requests refused with 401 (missing or wrong bearer token).", "counter", atomic_load(&m->rejected_auth));
  counter(f, "sic_http_too_large_total", "Requests refused with 413 (body over the limit).", "counter", atomic_load(&m->rejected_size));
  counter(f, "sic_http_request_body_bytes_total", "Request body bytes received.", "counter", atomic_load(&m->body_bytes));
  counter(f, "sic_http_connections_open", "Connections open now (health reserve included).", "gauge", (unsigned long long)atomic_load(&m->conns_open));
  counter(f, "sic_http_connections_refused_total", "Connections refused at accept: --max-connections or --max-conns-per-ip reached.", "counter", atomic_load(&m->conns_refused));
  counter(f, "sic_http_connections_slow_closed_total", "Connections closed for a request head slower than --timeout or a body under --min-body-rate.", "counter", atomic_load(&m->conns_closed_slow));
  counter(f, "sic_http_unknown_query_total", "Copilot requests refused with 400 for an unknown query parameter.", "counter", atomic_load(&m->rejected_query));
  counter(f, "sic_analysis_queue_length", "Requests waiting for an analysis thread.", "gauge", (unsigned long long)atomic_load(&m->pool_queued));
  counter(f, "sic_analysis_running", "Requests on analysis threads now.", "gauge", (unsigned long long)atomic_load(&m->pool_running));
  counter(f, "sic_analysis_rejected_total", "Requests answered 503: the analysis queue was full.", "counter", atomic_load(&m->pool_rejected));
  counter(f, "sic_response_cache_hits_total", "/api/v1 responses served from the response cache.", "counter", cs.hits);
  counter(f, "sic_response_cache_misses_total", "/api/v1 responses rendered by the History Server view.", "counter", cs.misses);
  counter(f, "sic_response_cache_evictions_total", "Responses evicted to stay within the cache budget.", "counter", cs.evictions);
  counter(f, "sic_response_cache_clears_total", "Cache clears (a rescan changed the log listing).", "counter", cs.clears);
  counter(f, "sic_response_cache_bytes", "Bytes held by the response cache.", "gauge", (unsigned long long)cs.bytes);
  counter(f, "sic_response_cache_entries", "Responses held by the response cache.", "gauge", (unsigned long long)cs.entries);
  counter(f, "sic_shs_renders_total", "Responses computed by the History Server view (a model-cache miss parses the log).", "counter", atomic_load(&m->shs_renders));
  fprintf(f, "# HELP sic_shs_render_seconds_total Time spent computing them, log parsing included.\n# TYPE sic_shs_render_seconds_total counter\nsic_shs_render_seconds_total %.6f\n",
          (double)atomic_load(&m->shs_render_ns) / 1e9);
  counter(f, "sic_logs_skipped", "Files under the log dir that are not readable event logs.", "gauge", (unsigned long long)sic_shs_skipped(srv->shs));
  counter(f, "sic_analyses_total", "Copilot analyses run (Lua rules and agents).", "counter", atomic_load(&m->analyses));
  counter(f, "sic_analysis_errors_total", "Analyses whose rule engine could not run.", "counter", atomic_load(&m->analysis_errors));
  counter(f, "sic_rule_errors_total", "Rules that failed to load or run in served analyses (rule_error findings).", "counter", atomic_load(&m->rule_errors));
  counter(f, "sic_parse_bytes_total", "Stored event-log bytes loaded by copilot analyses and uploads.", "counter", atomic_load(&m->parse_bytes));
  fprintf(f, "# HELP sic_parse_seconds_total Time spent loading them (bytes/seconds = parse throughput).\n# TYPE sic_parse_seconds_total counter\nsic_parse_seconds_total %.6f\n",
          (double)atomic_load(&m->parse_ns) / 1e9);
  counter(f, "sic_rule_reload_failures_total", "Rule reloads rejected; the previous rules kept serving.", "counter", atomic_load(&m->rule_reload_failures));
  counter(f, "sic_log_rescans_total", "Log directory rescans.", "counter", atomic_load(&m->rescans));
  counter(f, "sic_log_rescan_failures_total", "Rescans that failed (the previous listing kept serving).", "counter", atomic_load(&m->rescan_failures));
  counter(f, "sic_log_listing_changes_total", "Rescans that found new, grown or removed logs.", "counter", atomic_load(&m->catalog_changes));
}

int http_metrics_render(sic_http *srv, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  FILE *f = open_memstream(out, len);
  if (!f) return -1;
  write_requests(f, &srv->metrics);
  write_latency(f, &srv->metrics);
  write_service(f, srv);
  if (fclose(f) != 0) {
    free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}
