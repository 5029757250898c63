/* The copilot API (/v1): analyses in sic's own JSON schemas.
 * POST /v1/analyze: the request body (an event log in any codec the engine reads: plain,
 * zstd, lz4, snappy, lzf, gzip, or a History Server logs zip) was streamed by the server to a
 * private spool file under its size limit; here it is loaded and summarised into a
 * sic.report/1 document (the same renderer as `sic analyze --format json --no-rules`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "http/http_internal.h"
#include "lua/lua_host.h"
#include "json/write.h"
#include "model/model.h"
#include "report/render.h"
#include "report/summary.h"

/* Engine messages name the spool file; the client should see "upload", not our temp path. */
static void hide_spool_path(char *msg, const char *path) {
  size_t pl = strlen(path);
  for (char *p = strstr(msg, path); p; p = strstr(p, path)) {
    memcpy(p, "upload", 6);
    memmove(p + 6, p + pl, strlen(p + pl) + 1);
  }
}

static int upload_error(http_reply *out, http_req *rq, sic_err *err, const char *what) {
  hide_spool_path(err->msg, rq->body_path);
  int status = err->code == SIC_ENOMEM ? 500 : err->code == SIC_ELIMIT ? 413 : 400; /* 413: a decompression bomb */
  return http_reply_error(out, status, "%s: %s", what, err->msg[0] ? err->msg : sic_strerror(err->code));
}

static int run_findings(sic_http *srv, const sic_app *app, const char *format, sic_findings *f, sic_err *err);
static int timed_load(sic_http *srv, const sic_logset *set, int64_t max_output, sic_app **out, sic_err *err);
int http_copilot_store_upload(sic_http *srv, const sic_app *app, const char *findings_json, http_reply *out);

/* 200 with the sic.report/1 document of one application and its findings (JSON text). */
static int reply_report_json(http_reply *out, const sic_summary *sum, const char *findings) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_render_opts ro = {0};
  sic_report_json_open(&w);
  sic_report_json_app(&w, sum, &ro, findings);
  sic_report_json_errors(&w);
  sic_report_json_close(&w);
  return http_reply_json(out, 200, &w);
}

int http_copilot_analyze(sic_http *srv, http_req *rq, http_reply *out) {
  if (rq->body_fd < 0 || rq->body_seen == 0) return http_reply_error(out, 400, "empty body: POST an event log");
  sic_err err = {0};
  sic_logsets sets = {0};
  sic_app *app = NULL;
  sic_summary *sum = NULL;
  sic_findings findings = {0};
  int status;
  if (sic_logset_scan(rq->body_path, &sets, &err) < 0) {
    status = upload_error(out, rq, &err, "not an event log");
    goto done;
  }
  if (sets.n != 1) {
    status = http_reply_error(out, 400, "the upload holds %zu event logs; POST one at a time", sets.n);
    goto done;
  }
  if (timed_load(srv, &sets.items[0], srv->opts.max_expanded_bytes, &app, &err) < 0) {
    status = upload_error(out, rq, &err, "cannot read the event log");
    goto done;
  }
  if (sic_summary_build(app, &sum, &err) < 0) {
    status = upload_error(out, rq, &err, "cannot summarise the application");
    goto done;
  }
  if (run_findings(srv, app, "json", &findings, &err) < 0) {
    status = upload_error(out, rq, &err, "cannot run the rules");
    goto done;
  }
  if (http_copilot_store_upload(srv, app, findings.json, out)) {
    status = out->status;
    goto done;
  }
  status = reply_report_json(out, sum, findings.json);
  if (status == 200) { /* the report's "source" names the spool file */
    hide_spool_path(out->body, rq->body_path);
    out->len = strlen(out->body);
  }
done:
  sic_findings_free(&findings);
  sic_summary_free(sum);
  if (app) sic_app_free(app);
  sic_logsets_free(&sets);
  return status;
}

/* ---- analysed applications of the log dir ---- */

#include "lua/lua_host.h"
#include "report/html.h"

/* Decode a %-encoded path segment; 0 or -1 when it is not a plausible application id. */
static int decode_segment(const char *in, char *out, size_t n) {
  size_t k = 0;
  for (size_t i = 0; in[i]; i++) {
    int ch = (unsigned char)in[i];
    if (ch == '%' && in[i + 1] && in[i + 2]) {
      char hex[3] = {in[i + 1], in[i + 2], 0};
      char *end;
      ch = (int)strtol(hex, &end, 16);
      if (*end) return -1;
      i += 2;
    }
    if (ch == 0 || ch == '/' || ch == '\\' || k + 1 >= n) return -1;
    out[k++] = (char)ch;
  }
  out[k] = 0;
  return k ? 0 : -1;
}

/* Spark names a log after its application: "<id>", "<id>_<attempt>", "eventlog_v2_<id>[_<attempt>]". */
static int named_after(const char *name, const char *id) {
  if (!strncmp(name, "eventlog_v2_", 12)) name += 12;
  size_t n = strlen(id);
  return !strncmp(name, id, n) && (name[n] == 0 || name[n] == '_');
}

/* Load the model of application id from the log dir: logs named after it first (the usual
 * case), every other log only when none of those is it. The latest attempt wins. */
/* sic_app_load, counted in the parse-throughput metrics. */
/* max_output bounds what an upload may decompress to (0 for the served log dir). */
static int timed_load(sic_http *srv, const sic_logset *set, int64_t max_output, sic_app **out, sic_err *err) {
  sic_load_opts lo = {.keep_task_accums = 1, .max_output_bytes = max_output};
  int64_t t0 = http_now_ns();
  int rc = sic_app_load(set, &lo, out, err);
  if (rc == 0) {
    atomic_fetch_add(&srv->metrics.parse_bytes, (uint64_t)(set->total_size > 0 ? set->total_size : 0));
    atomic_fetch_add(&srv->metrics.parse_ns, (uint64_t)(http_now_ns() - t0));
  }
  return rc;
}

static int load_app(sic_http *srv, const char *id, sic_app **out, sic_err *err) {
  *out = NULL;
  sic_logsets sets = {0};
  if (sic_logset_scan_many((const char *const *)srv->logdirs, srv->nlogdirs, &sets, err) < 0) return err->code;
  for (int pass = 0; pass < 2 && !*out; pass++) {
    for (size_t i = 0; i < sets.n; i++) {
      if (named_after(sets.items[i].name, id) != (pass == 0)) continue;
      sic_app *app = NULL;
      sic_err le = {0};
      if (timed_load(srv, &sets.items[i], 0, &app, &le) < 0) continue; /* unreadable logs are not this app */
      const char *aid = sic_str(app, app->app_id);
      if (!aid || strcmp(aid, id) || (*out && (*out)->start_time > app->start_time)) {
        sic_app_free(app);
        continue;
      }
      if (*out) sic_app_free(*out);
      *out = app;
    }
  }
  sic_logsets_free(&sets);
  if (!*out) return sic_err_set(err, SIC_ENOTFOUND, "unknown application %s", id);
  return 0;
}

/* One run of the Lua rules and agents over app (sic_findings: the sic.findings/1 document,
 * rendered as text/md when asked, typed counts). A fresh Lua state per analysis: the host API
 * runs the graph in its own state, so requests never share Lua state. */
static int run_findings(sic_http *srv, const sic_app *app, const char *format, sic_findings *f, sic_err *err) {
  struct sic_lua_opts lo;
  const char *dirs[1];
  char dir[320];
  http_rules_opts(srv, &lo, dirs, dir, sizeof dir);
  atomic_fetch_add(&srv->metrics.analyses, 1);
  int rc = sic_lua_run_graph(app, &lo, format, f, err);
  if (rc < 0) atomic_fetch_add(&srv->metrics.analysis_errors, 1);
  if (rc == 0 && f->nerrors > 0) atomic_fetch_add(&srv->metrics.rule_errors, (uint64_t)f->nerrors);
  return rc;
}

static int app_error(http_reply *out, sic_err *err) {
  int status = err->code == SIC_ENOTFOUND ? 404 : err->code == SIC_ENOMEM ? 500 : 422;
  return http_reply_error(out, status, "%s", err->msg[0] ? err->msg : sic_strerror(err->code));
}

/* Cached wrapper: analyses are deterministic for a given listing, so their replies live in
 * the response cache (cleared when a rescan changes the listing) like /api/v1's. */
typedef int (*app_renderer)(sic_http *srv, http_req *rq, const sic_app *app, http_reply *out);

static int with_app(sic_http *srv, http_req *rq, http_reply *out, app_renderer render) {
  char key[2048]; /* path + sorted known parameters: ?a=1&b=2 and ?b=2&a=1 are one entry */
  http_copilot_cache_key(rq, key, sizeof key);
  if (!rq->cache_missed && http_cache_get(srv->cache, key, out)) return out->status;
  uint64_t gen = http_cache_generation(srv->cache);
  char id[128];
  if (decode_segment(rq->params[0], id, sizeof id) < 0) return http_reply_error(out, 400, "bad application id");
  sic_err err = {0};
  sic_app *app = NULL;
  if (load_app(srv, id, &app, &err) < 0) return app_error(out, &err);
  int status = render(srv, rq, app, out);
  sic_app_free(app);
  if (status == 200 || status == 404) http_cache_put(srv->cache, key, out, gen);
  return status;
}

static int render_findings(sic_http *srv, http_req *rq, const sic_app *app, http_reply *out) {
  sic_err err = {0};
  sic_findings f;
  if (run_findings(srv, app, "json", &f, &err) < 0) return app_error(out, &err);
  out->status = 200;
  out->content_type = "application/json";
  out->body = f.json;
  out->len = strlen(f.json);
  f.json = NULL;
  sic_findings_free(&f);
  return 200;
}

int http_copilot_findings(sic_http *srv, http_req *rq, http_reply *out) { return with_app(srv, rq, out, render_findings); }

/* Render the summary (and findings) in one format into a memory stream. */
static int render_report(sic_http *srv, http_req *rq, const sic_app *app, http_reply *out) {
  const char *fmt = rq->params[1];
  int is_json = !strcmp(fmt, "json"), is_md = !strcmp(fmt, "md"), is_txt = !strcmp(fmt, "txt"), is_html = !strcmp(fmt, "html");
  if (!is_json && !is_md && !is_txt && !is_html) return http_reply_error(out, 404, "no report format '%s' (json, md, txt, html)", fmt);
  sic_err err = {0};
  sic_summary *sum = NULL;
  sic_findings findings = {0};
  char *buf = NULL;
  size_t len = 0;
  int status;
  /* One graph run: text and md get their findings section rendered in it. */
  const char *run_format = is_md ? "md" : is_txt ? "text" : "json";
  if (sic_summary_build(app, &sum, &err) < 0 || run_findings(srv, app, run_format, &findings, &err) < 0) {
    status = app_error(out, &err);
    goto done;
  }
  if (is_json) {
    status = reply_report_json(out, sum, findings.json);
    goto done;
  }
  FILE *f = open_memstream(&buf, &len);
  if (!f) {
    status = http_reply_error(out, 500, "out of memory");
    goto done;
  }
  sic_render_opts ro = {0};
  int rc = is_html ? sic_render_html(f, app, sum, findings.json) : is_md ? sic_render_md(f, sum, &ro) : sic_render_text(f, sum, &ro);
  if (rc == 0 && !is_html && findings.rendered) /* the findings section follows the summary, as in sic analyze */
    fprintf(f, is_md ? "\n%s" : "\nFindings\n--------\n%s\n", findings.rendered);
  if (fclose(f) != 0 || rc != 0) {
    free(buf);
    status = http_reply_error(out, 500, "cannot render the report");
    goto done;
  }
  out->status = status = 200;
  out->content_type = is_html ? "text/html; charset=utf-8" : is_md ? "text/markdown; charset=utf-8" : "text/plain; charset=utf-8";
  out->body = buf;
  out->len = len;
done:
  sic_findings_free(&findings);
  sic_summary_free(sum);
  return status;
}

int http_copilot_report(sic_http *srv, http_req *rq, http_reply *out) { return with_app(srv, rq, out, render_report); }

/* GET /v1/apps: the applications of the log dir (the History Server listing, so both APIs
 * agree on what exists), wrapped in sic.apps/1. */
/* Start a copilot document {"schema": schema, key: <the History Server's answer for path>}
 * in w, left open for more members. Returns 0, or (having replied with the History Server's
 * error status and message) that status. */
static int shs_wrap_begin(sic_http *srv, const char *path, const char *schema, const char *key, sic_jw *w,
                          http_reply *out) {
  sic_shs_response r;
  sic_shs_get(srv->shs, path, &r);
  if (r.status != 200) {
    int st = http_reply_error(out, r.status, "%.*s", (int)r.len, r.body ? r.body : "");
    sic_shs_response_free(&r);
    return st;
  }
  sic_jw_init(w, SIC_JW_PRETTY);
  sic_jw_obj(w);
  sic_jw_kstr(w, "schema", schema);
  sic_jw_key(w, key);
  sic_jw_raw(w, r.body, r.len);
  sic_shs_response_free(&r);
  return 0;
}

int http_copilot_apps(sic_http *srv, http_req *rq, http_reply *out) {
  sic_jw w;
  int st = shs_wrap_begin(srv, "applications", "sic.apps/1", "apps", &w, out);
  if (st) return st;
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}

/* ---- the history store (sic serve --store URL) ---- */

#include "store/notes.h"
#include "store/store.h"

static int store_reply(http_reply *out, int rc, char *json, sic_err *err) {
  if (rc < 0) {
    free(json);
    int status = err->code == SIC_ENOTFOUND ? 404 : err->code == SIC_EINVAL ? 400 : 503;
    return http_reply_error(out, status, "store: %s", err->msg[0] ? err->msg : sic_strerror(err->code));
  }
  out->status = 200;
  out->content_type = "application/json";
  out->body = json;
  out->len = strlen(json);
  return 200;
}

/* Value of a query parameter, decoded into buf; NULL when absent. */
static const char *query_param(const http_req *rq, const char *name, char *buf, size_t n) {
  size_t nl = strlen(name);
  for (const char *p = rq->query; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
      char raw[256];
      snprintf(raw, sizeof raw, "%.*s", (int)(len - nl - 1), p + nl + 1);
      for (char *c = raw; *c; c++) if (*c == '+') *c = ' ';
      return decode_segment(raw, buf, n) == 0 ? buf : NULL;
    }
    p = amp ? amp + 1 : NULL;
  }
  return NULL;
}

/* For routes outside this file (the Delta route): the same decoding. */
const char *http_query_param(const http_req *rq, const char *name, char *buf, size_t n) {
  return query_param(rq, name, buf, n);
}

/* A connection per request: stores are not shared between worker threads. */
static int open_store(sic_http *srv, http_reply *out, sic_store **st) {
  sic_err err = {0};
  if (!srv->opts.store_url) return http_reply_error(out, 409, "no history store: start sic serve with --store URL");
  if (sic_store_open(srv->opts.store_url, st, &err) < 0) return http_reply_error(out, 503, "store: %s", err.msg);
  return 0;
}

/* ?limit=N of the store listings: 0 when absent; -1 after answering 400 when out of 1..100000. */
static int read_limit(http_req *rq, http_reply *out, int *limit) {
  char lim[32];
  const char *l = query_param(rq, "limit", lim, sizeof lim);
  *limit = l ? atoi(l) : 0;
  if (l && (*limit <= 0 || *limit > 100000)) {
    http_reply_error(out, 400, "limit must be 1..100000");
    return -1;
  }
  return 0;
}

int http_copilot_history(sic_http *srv, http_req *rq, http_reply *out) {
  sic_store *st = NULL;
  if (open_store(srv, out, &st)) return out->status;
  char job[256];
  if (decode_segment(rq->params[0], job, sizeof job) < 0) {
    sic_store_close(st);
    return http_reply_error(out, 400, "bad job name");
  }
  int limit;
  if (read_limit(rq, out, &limit)) {
    sic_store_close(st);
    return out->status;
  }
  sic_err err = {0};
  char *json = NULL;
  int rc = sic_store_history_json(st, job, limit, &json, &err);
  sic_store_close(st);
  return store_reply(out, rc, json, &err);
}

/* GET /v1/failed: notifications `sic worker` dead-lettered (store/notes.h). */
int http_copilot_failed(sic_http *srv, http_req *rq, http_reply *out) {
  sic_store *st = NULL;
  if (open_store(srv, out, &st)) return out->status;
  int limit;
  if (read_limit(rq, out, &limit)) {
    sic_store_close(st);
    return out->status;
  }
  sic_err err = {0};
  char *json = NULL;
  int rc = sic_store_failed_json(st, limit, &json, &err);
  sic_store_close(st);
  return store_reply(out, rc, json, &err);
}

int http_copilot_regressions(sic_http *srv, http_req *rq, http_reply *out) {
  sic_store *st = NULL;
  if (open_store(srv, out, &st)) return out->status;
  sic_regress_opts o;
  sic_regress_opts_init(&o);
  char job[256], since[32];
  o.job = query_param(rq, "job", job, sizeof job);
  const char *s = query_param(rq, "since", since, sizeof since);
  if (s) {
    char *end;
    o.since_ms = strtoll(s, &end, 10);
    if (*end) {
      sic_store_close(st);
      return http_reply_error(out, 400, "since must be milliseconds since the epoch");
    }
  }
  sic_err err = {0};
  char *json = NULL;
  int rc = sic_store_regressions_json(st, &o, &json, &err);
  sic_store_close(st);
  return store_reply(out, rc, json, &err);
}

/* Record an uploaded, analysed application in the store (when one is configured). */
int http_copilot_store_upload(sic_http *srv, const sic_app *app, const char *findings_json, http_reply *out) {
  if (!srv->opts.store_url) return 0;
  sic_err err = {0};
  sic_ingest_result res;
  if (sic_store_record_report(srv->opts.store_url, app, findings_json, "upload", &res, &err) < 0)
    return http_reply_error(out, 503, "analysed but not stored: %s", err.msg);
  return 0;
}

/* ---- what-if predictions (sic serve --model FILE) ---- */

#include <math.h>

#include "ml/predict.h"

/* Parse "1,2,4" into at most max positive ints; returns the count, -1 when malformed. */
static int parse_int_list(const char *s, int *out, int max) {
  int n = 0;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v <= 0 || v > 100000 || n >= max || (*end && *end != ',')) return -1;
    out[n++] = (int)v;
    s = *end ? end + 1 : end;
  }
  return n;
}

static void write_ms(sic_jw *w, const char *key, double ms) {
  if (isfinite(ms)) sic_jw_kdouble(w, key, ms);
  else sic_jw_knull(w, key);
}

/* GET /v1/apps/{id}/predict?executors=2,4,8&cores=C&input_scale=X: the runtime predictor
 * (stage GBDT + DAG simulation) for each executor count - the what-if curve. */
static int render_predict(sic_http *srv, http_req *rq, const sic_app *app, http_reply *out) {
  char buf[256];
  int execs[32], nexec = 1, cores = 0;
  double scale = 0;
  execs[0] = 0; /* as logged */
  const char *v = query_param(rq, "executors", buf, sizeof buf);
  if (v && (nexec = parse_int_list(v, execs, 32)) <= 0) return http_reply_error(out, 400, "executors: a comma-separated list of 1..32 positive counts");
  if ((v = query_param(rq, "cores", buf, sizeof buf)) && parse_int_list(v, &cores, 1) != 1) return http_reply_error(out, 400, "cores must be a positive integer");
  if ((v = query_param(rq, "input_scale", buf, sizeof buf))) {
    char *end;
    scale = strtod(v, &end);
    if (*end || !(scale > 0 && scale < 1e6)) return http_reply_error(out, 400, "input_scale must be a positive number");
  }
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.whatif/1");
  sic_jw_kstr(&w, "app", sic_str(app, app->app_id));
  sic_jw_karr(&w, "points");
  for (int i = 0; i < nexec; i++) {
    sic_ml_summary s;
    sic_err err = {0};
    if (sic_ml_predict_summary(srv->predictor, app, execs[i], cores, scale, &s, &err) < 0) {
      sic_jw_free(&w);
      return app_error(out, &err);
    }
    sic_jw_obj(&w);
    sic_jw_kint(&w, "executors", s.executors);
    sic_jw_kint(&w, "slots", s.slots);
    sic_jw_kdouble(&w, "inputScale", scale > 0 ? scale : 1.0);
    write_ms(&w, "predictedMs", s.predicted_ms);
    write_ms(&w, "lowMs", s.low_ms);
    write_ms(&w, "highMs", s.high_ms);
    write_ms(&w, "observedMs", s.observed_ms >= 0 ? s.observed_ms : NAN);
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}

int http_copilot_predict(sic_http *srv, http_req *rq, http_reply *out) {
  if (!srv->predictor) return http_reply_error(out, 409, "no runtime model: start sic serve with --model FILE (from sic train) or SIC_MODEL");
  return with_app(srv, rq, out, render_predict);
}

/* GET /v1/apps/{id}: one application (the History Server's record of it) with the links to its
 * analyses (sic.app/1). */
int http_copilot_app(sic_http *srv, http_req *rq, http_reply *out) {
  char id[128], path[200];
  if (decode_segment(rq->params[0], id, sizeof id) < 0) return http_reply_error(out, 400, "bad application id");
  snprintf(path, sizeof path, "applications/%s", rq->params[0]); /* still %-encoded: the view decodes */
  sic_jw w;
  int st = shs_wrap_begin(srv, path, "sic.app/1", "app", &w, out);
  if (st) return st;
  sic_jw_kobj(&w, "links");
  static const char *rel[][2] = {{"findings", "/findings"}, {"reportJson", "/report.json"}, {"reportHtml", "/report.html"},
                                 {"reportMarkdown", "/report.md"}, {"reportText", "/report.txt"}, {"predict", "/predict"}};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    char link[300];
    snprintf(link, sizeof link, "/v1/apps/%s%s", rq->params[0], rel[i][1]);
    sic_jw_kstr(&w, rel[i][0], link);
  }
  snprintf(path, sizeof path, "/api/v1/applications/%s", rq->params[0]);
  sic_jw_kstr(&w, "historyServer", path);
  sic_jw_end(&w);
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}
