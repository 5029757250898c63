/* The route table of the HTTP service and its handlers. The server dispatches on this table
 * and /openapi.json and /docs are generated from it, so documentation cannot drift from
 * behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"
#include "json/write.h"
#include "sic_version.h"

/* ---- health ---- */

static int h_healthz(sic_http *srv, http_req *rq, http_reply *out) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.health/1");
  sic_jw_kstr(&w, "status", "ok");
  sic_jw_kstr(&w, "version", SIC_VERSION_STRING);
  sic_jw_kint(&w, "uptimeMs", now_ms - srv->started_ms);
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}

static int h_readyz(sic_http *srv, http_req *rq, http_reply *out) {
  int ready = atomic_load(&srv->ready) && !atomic_load(&srv->draining);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.health/1");
  sic_jw_kstr(&w, "status", ready ? "ready" : "draining");
  sic_jw_kint(&w, "skippedLogs", (int64_t)sic_shs_skipped(srv->shs));
  sic_jw_end(&w);
  return http_reply_json(out, ready ? 200 : 503, &w);
}

static int h_metrics(sic_http *srv, http_req *rq, http_reply *out) {
  if (http_metrics_render(srv, &out->body, &out->len) < 0) return http_reply_error(out, 500, "out of memory");
  out->status = 200;
  out->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 200;
}

/* ---- History Server REST API ---- */

/* /api/v1/<rest>: the same engine/shs code as `sic api`; rendered replies are cached by their
 * exact path and query until a rescan changes the listing. */
static int h_shs(sic_http *srv, http_req *rq, http_reply *out) {
  const char *key = rq->target + strlen("/api/v1/");
  if (!rq->cache_missed && http_cache_get(srv->cache, key, out)) return out->status;
  uint64_t gen = http_cache_generation(srv->cache);
  int64_t t0 = http_now_ns();
  sic_shs_response r;
  sic_shs_get_streamed(srv->shs, key, &r); /* /logs comes as a stream: never cached, sent as written */
  atomic_fetch_add(&srv->metrics.shs_renders, 1);
  atomic_fetch_add(&srv->metrics.shs_render_ns, (uint64_t)(http_now_ns() - t0));
  memset(out, 0, sizeof *out);
  out->status = r.status;
  out->content_type = r.content_type ? r.content_type : "text/plain";
  out->body = r.body;
  out->len = r.len;
  out->filename = r.filename;
  if (r.stream.read) {
    out->stream = r.stream;
    return out->status;
  }
  if (!out->body) { /* keep the reply well-formed even if the view produced no body */
    out->body = strdup("");
    out->len = 0;
  }
  if (out->status < 500) http_cache_put(srv->cache, key, out, gen); /* 4xx are as stable as 2xx */
  return out->status;
}

/* ---- OpenAPI and docs (openapi.c) ---- */
int http_openapi_json(sic_http *srv, http_req *rq, http_reply *out);
int http_docs_html(sic_http *srv, http_req *rq, http_reply *out);

/* ---- copilot API (copilot.c) ---- */
int http_copilot_analyze(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_apps(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_app(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_findings(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_report(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_predict(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_history(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_failed(sic_http *srv, http_req *rq, http_reply *out);
int http_copilot_regressions(sic_http *srv, http_req *rq, http_reply *out);
int http_delta_table(sic_http *srv, http_req *rq, http_reply *out); /* delta_route.c */

/* Copilot routes take only the query parameters their route documents: anything else is a
 * client error, not a new cache entry and a fresh analysis (issue 19: ?junk=N). The name of
 * the first unknown parameter goes into bad (empty when all are known). */
void http_route_unknown_param(const http_route *route, const char *query, char *bad, size_t n) {
  bad[0] = 0;
  for (const char *p = query; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t nl = eq ? (size_t)(eq - p) : len;
    int known = nl == 0; /* "&&" is harmless */
    for (const char *d = route->query_params; d && *d && !known;) {
      const char *bar = strchr(d, '|');
      const char *semi = strchr(d, ';');
      if (bar && (size_t)(bar - d) == nl && !strncmp(d, p, nl)) known = 1;
      d = semi ? semi + 1 : "";
    }
    if (!known) {
      snprintf(bad, n, "%.*s", (int)(nl < 64 ? nl : 64), p);
      return;
    }
    p = amp ? amp + 1 : NULL;
  }
}

/* ---- cached replies of offloaded routes (answered without the analysis pool) ---- */

void http_copilot_cache_key(const http_req *rq, char *buf, size_t n) {
  const char *names[32];
  size_t lens[32];
  int np = 0;
  for (const char *p = rq->query; p && *p && np < 32;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len) {
      names[np] = p;
      lens[np++] = len;
    }
    p = amp ? amp + 1 : NULL;
  }
  /* stable insertion sort by name only: repeated names keep their order (the first counts) */
  for (int i = 1; i < np; i++)
    for (int j = i; j > 0; j--) {
      const char *a = names[j - 1], *b = names[j];
      size_t la = strcspn(a, "=&"), lb = strcspn(b, "=&");
      int c = strncmp(a, b, la < lb ? la : lb);
      if (c < 0 || (c == 0 && la <= lb)) break;
      const char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
      size_t tl = lens[j];
      lens[j] = lens[j - 1];
      lens[j - 1] = tl;
    }
  int k = snprintf(buf, n, "%.*s", (int)rq->path_len, rq->target);
  for (int i = 0; i < np && k > 0 && (size_t)k < n; i++)
    k += snprintf(buf + k, n - (size_t)k, "%c%.*s", i ? '&' : '?', (int)lens[i], names[i]);
}

int http_cached_reply(sic_http *srv, http_req *rq, http_reply *out) {
  int hit = 0;
  if (rq->route->handler == h_shs) {
    hit = http_cache_get(srv->cache, rq->target + strlen("/api/v1/"), out);
    rq->cache_missed = !hit;
  } else if (rq->route->handler == http_copilot_findings || rq->route->handler == http_copilot_report ||
             rq->route->handler == http_copilot_predict) {
    char key[2048];
    http_copilot_cache_key(rq, key, sizeof key);
    hit = http_cache_get(srv->cache, key, out);
    rq->cache_missed = !hit;
  }
  return hit;
}

/* ---- embedded UI ---- */

typedef struct http_asset {
  const char *path;            /* URL path, e.g. "/ui/app.js" */
  const char *content_type;    /* MIME type */
  const unsigned char *data;   /* bytes */
  size_t len;                  /* byte count */
} http_asset;
extern const http_asset http_assets[];
extern const int http_nassets;

static int serve_asset(const char *path, http_reply *out) {
  for (int i = 0; i < http_nassets; i++) {
    if (strcmp(http_assets[i].path, path)) continue;
    out->status = 200;
    out->content_type = http_assets[i].content_type;
    out->body = (char *)http_assets[i].data;
    out->len = http_assets[i].len;
    out->body_static = 1;
    out->cache_control = "public, max-age=300";
    return 200;
  }
  return http_reply_error(out, 404, "no such UI file");
}

static int h_index(sic_http *srv, http_req *rq, http_reply *out) { return serve_asset("/ui/index.html", out); }

static int h_asset(sic_http *srv, http_req *rq, http_reply *out) {
  char path[256];
  if (rq->path_len >= sizeof path) return http_reply_error(out, 404, "no such UI file");
  memcpy(path, rq->target, rq->path_len);
  path[rq->path_len] = 0;
  return serve_asset(path, out); /* a lookup in the embedded table: never the filesystem */
}

/* ---- the table ---- */

const http_route http_routes[] = {
  {"GET", "/healthz", h_healthz, 1, HTTP_BODY_NONE, "service", "Liveness: the process serves requests", "application/json", NULL, 0},
  {"GET", "/readyz", h_readyz, 1, HTTP_BODY_NONE, "service", "Readiness: catalog loaded and not shutting down (503 otherwise)", "application/json", NULL, 0},
  {"GET", "/metrics", h_metrics, 0, HTTP_BODY_NONE, "service", "Prometheus metrics: requests, latency histograms, caches, rescans", "text/plain", NULL, 0},
  {"GET", "/openapi.json", http_openapi_json, 0, HTTP_BODY_NONE, "service", "This API as an OpenAPI 3.1 document, generated from the route table", "application/json", NULL, 0},
  {"GET", "/docs", http_docs_html, 0, HTTP_BODY_NONE, "service", "Readable API reference generated from /openapi.json's route table", "text/html", NULL, 0},
  {"GET", "/api/v1/*", h_shs, 0, HTTP_BODY_NONE, "history-server",
   "Spark History Server REST API v1 (Spark 3.5 semantics: same paths, parameters, JSON, statuses; /logs answers a zip)",
   "application/json",
   "status|application list: completed or running;minDate|application list: earliest start (yyyy-MM-dd or ...'T'HH:mm:ss.SSSz);"
   "maxDate|application list: latest start;minEndDate|application list: earliest end;maxEndDate|application list: latest end;"
   "limit|application list: at most this many;details|stage: include tasks;withSummaries|stages: include metric summaries;"
   "quantiles|task/metric summaries: comma-separated quantiles;taskStatus|stage tasks: filter by status;"
   "offset|task list: first task;length|task list: page size;sortBy|task list: ID, runtime, -runtime", 1},
  {"POST", "/v1/analyze", http_copilot_analyze, 0, HTTP_BODY_FILE, "copilot",
   "Analyse an uploaded event log (any codec; streamed to disk under the body limit): sic.report/1 with findings; recorded in the store with --store", "application/json", NULL, 1},
  {"GET", "/v1/apps", http_copilot_apps, 0, HTTP_BODY_NONE, "copilot",
   "Applications of the log dir (sic.apps/1; the same listing as /api/v1/applications)", "application/json", NULL, 0},
  {"GET", "/v1/apps/{id}", http_copilot_app, 0, HTTP_BODY_NONE, "copilot",
   "One application: the History Server's record and links to its findings, reports and predictions (sic.app/1)", "application/json", NULL, 1},
  {"GET", "/v1/apps/{id}/findings", http_copilot_findings, 0, HTTP_BODY_NONE, "copilot",
   "Findings of the Lua rules and agents for one application (sic.findings/1: severity, evidence, recommendation, what-if layers)",
   "application/json", NULL, 1},
  {"GET", "/v1/apps/{id}/report.{format}", http_copilot_report, 0, HTTP_BODY_NONE, "copilot",
   "The analysis report as `sic analyze` writes it: format json (sic.report/1 with findings), md, txt, or html (self-contained page with charts)",
   "application/json", NULL, 1},
  {"GET", "/v1/apps/{id}/predict", http_copilot_predict, 0, HTTP_BODY_NONE, "copilot",
   "What-if runtime predictions (stage GBDT + DAG simulation, 80% interval) for other executor counts, cores, input volume (sic.whatif/1; 409 without --model)",
   "application/json",
   "executors|comma-separated executor counts, one point each (default: as logged);cores|cores per executor;input_scale|multiply input volumes", 1},
  {"GET", "/v1/jobs/{job}/history", http_copilot_history, 0, HTTP_BODY_NONE, "copilot",
   "Runs of a job over time from the history store (sic.history/1; 409 without --store)", "application/json",
   "limit|at most this many runs", 1},
  {"GET", "/v1/failed", http_copilot_failed, 0, HTTP_BODY_NONE, "copilot",
   "Log notifications the workers gave up on after --max-attempts and parked in the dead-letter topic, with the reason (sic.failed/1; 409 without --store)",
   "application/json", "limit|at most this many, newest first", 1},
  {"GET", "/v1/regressions", http_copilot_regressions, 0, HTTP_BODY_NONE, "copilot",
   "Runs significantly slower or costlier than their job's baseline, with likely causes (sic.regressions/1; 409 without --store)",
   "application/json", "job|only this job (key, name or app id);since|runs starting at or after this time, ms since the epoch", 1},
  {"GET", "/v1/delta", http_delta_table, 0, HTTP_BODY_NONE, "copilot",
   "Delta table health and layout advice (sic.delta/1, as `sic delta` writes it) for a table under --delta-root (409 without it)",
   "application/json", "table|table directory relative to --delta-root;format|json (default), md, txt or html", 1},
  {"GET", "/v1/rules", http_rules_get, 0, HTTP_BODY_NONE, "copilot",
   "Rule files in use: built-in, and the active validated snapshot of the --scripts dir (sic.rules/1)", "application/json", NULL, 0},
  {"POST", "/v1/rules/reload", http_rules_post_reload, 0, HTTP_BODY_NONE, "copilot",
   "Reload the --scripts dir transactionally: validated on a generated app, swapped in only if every rule loads and runs (422 keeps the old rules)",
   "application/json", NULL, 1},
  {"GET", "/", h_index, 0, HTTP_BODY_NONE, "ui", "Web UI: application list, reports, findings", "text/html", NULL, 0},
  {"GET", "/ui/*", h_asset, 0, HTTP_BODY_NONE, "ui", "Embedded web UI assets (also the static-file baseline of bench/bench_http.sh)", "application/octet-stream", NULL, 0},
};
const int http_nroutes = sizeof http_routes / sizeof http_routes[0];

_Static_assert(sizeof http_routes / sizeof http_routes[0] <= HTTP_MAX_ROUTES, "raise HTTP_MAX_ROUTES");

/* Match one pattern against path[0..n): literal segments, {name} captures one non-empty
 * segment, a trailing "*" matches any non-empty rest. */
static int pattern_match(const char *pat, const char *path, size_t n, http_req *rq) {
  size_t i = 0;
  int np = 0;
  while (*pat) {
    if (pat[0] == '*' && pat[1] == 0) return i < n;
    if (*pat == '{') {
      const char *close = strchr(pat, '}');
      size_t start = i;
      while (i < n && path[i] != '/') i++;
      if (i == start || i - start >= sizeof rq->params[0] || np >= 4) return 0;
      memcpy(rq->params[np], path + start, i - start);
      rq->params[np++][i - start] = 0;
      pat = close + 1;
      continue;
    }
    if (i >= n || path[i] != *pat) return 0;
    i++;
    pat++;
  }
  if (i != n) return 0;
  rq->nparams = np;
  return 1;
}

const http_route *http_route_match(const char *method, const char *path, size_t n, http_req *rq, int *path_known) {
  int head = !strcmp(method, "HEAD"); /* HEAD is GET without a body (MHD drops it) */
  *path_known = 0;
  for (int i = 0; i < http_nroutes; i++) {
    if (!pattern_match(http_routes[i].pattern, path, n, rq)) continue;
    if (!strcmp(http_routes[i].method, method) || (head && !strcmp(http_routes[i].method, "GET"))) return &http_routes[i];
    *path_known = 1;
  }
  return NULL;
}
