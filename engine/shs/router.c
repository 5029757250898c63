/* Routing of /api/v1/... paths to renderers, with the History Server's resource tree and
 * error messages (ApiRootResource, OneApplicationResource, BaseAppResource.withUI).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shs/shs_internal.h"

static const char TEXT[] = "text/plain";
static const char JSON[] = "application/json";

int shs_error(sic_shs_response *r, int status, const char *fmt, ...) {
  free(r->body);
  r->body = NULL;
  r->len = 0;
  r->status = status;
  r->content_type = TEXT;
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n >= 0) {
    r->body = msg;
    r->len = (size_t)n;
  }
  return status;
}

int shs_json_ok(sic_shs_response *r, sic_jw *w) {
  size_t len = 0;
  char *body = sic_jw_take(w, &len);
  int rc = sic_jw_status(w);
  sic_jw_free(w);
  if (!body) return shs_error(r, 500, "internal error rendering JSON (%s)", sic_strerror(rc ? rc : SIC_ENOMEM));
  free(r->body);
  r->body = body;
  r->len = len;
  r->status = 200;
  r->content_type = JSON;
  return 200;
}

void sic_shs_response_free(sic_shs_response *r) {
  if (!r) return;
  if (r->stream.read && r->stream.free) r->stream.free(r->stream.ctx);
  free(r->body);
  free(r->filename);
  memset(r, 0, sizeof *r);
}

/* Names that AbstractApplicationResource serves; any other segment is an attempt id. */
static int is_app_subresource(const char *s) {
  static const char *const names[] = {"jobs", "executors", "allexecutors", "stages", "storage",
                                      "environment", "logs", "allmiscellaneousprocess", "sql",
                                      "streaming"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i])) return 1;
  return 0;
}

static shs_attempt *find_attempt(const shs_appinfo *app, const char *attempt_id) {
  for (size_t k = 0; k < app->nattempts; k++) {
    shs_attempt *at = &app->attempts[k];
    if (!attempt_id ? !at->attempt_id : at->attempt_id && !strcmp(at->attempt_id, attempt_id)) return at;
  }
  return NULL;
}

static int render_version(sic_shs_response *r) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "spark", SIC_SHS_SPARK_VERSION);
  sic_jw_end(&w);
  return shs_json_ok(r, &w);
}

static int is_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

int shs_render_rdds(shs_ctx *c, const char *id, sic_shs_response *r);

/* Resources below applications/{appId}[/{attemptId}] that need the loaded model. */
static int route_ui(shs_ctx *c, char **seg, size_t n, sic_shs_response *r) {
  const char *s0 = seg[0];
  if (!strcmp(s0, "jobs")) {
    if (n == 1) return shs_render_jobs(c, r);
    if (n == 2 && is_digits(seg[1])) return shs_render_job(c, seg[1], r);
  } else if (!strcmp(s0, "executors") && n == 1) {
    return shs_render_executors(c, 0, r);
  } else if (!strcmp(s0, "executors") && n == 3 && !strcmp(seg[2], "threads")) {
    /* Thread dumps need a live SparkContext; the History Server refuses them like this. */
    if (strcmp(seg[1], "driver") && !is_digits(seg[1]))
      return shs_error(r, 400, "Invalid executorId: neither 'driver' nor number.");
    return shs_error(r, 503, "Thread dumps not available through the history server.");
  } else if (!strcmp(s0, "allexecutors") && n == 1) {
    return shs_render_executors(c, 1, r);
  } else if (!strcmp(s0, "stages")) {
    if (n == 1) return shs_render_stages(c, r);
    if (n == 2) return shs_render_stage(c, seg[1], NULL, NULL, r);
    if (n == 3) return shs_render_stage(c, seg[1], seg[2], NULL, r);
    if (n == 4 && (!strcmp(seg[3], "taskSummary") || !strcmp(seg[3], "taskList")))
      return shs_render_stage(c, seg[1], seg[2], seg[3], r);
  } else if (!strcmp(s0, "storage") && n >= 2 && !strcmp(seg[1], "rdd")) {
    if (n == 2) return shs_render_rdds(c, NULL, r);
    if (n == 3 && is_digits(seg[2])) return shs_render_rdds(c, seg[2], r);
  } else if (!strcmp(s0, "environment") && n == 1) {
    return shs_render_environment(c, r);
  } else if (!strcmp(s0, "sql")) {
    /* {executionId:\d+}: anything else matches no resource */
    if (n == 1) return shs_render_sql(c, NULL, r);
    if (n == 2 && is_digits(seg[1])) return shs_render_sql(c, seg[1], r);
  } else if (!strcmp(s0, "streaming")) {
    /* DStream progress is not in event logs: the History Server attaches no streaming listener */
    const char *name = c->attempt && c->attempt->name ? c->attempt->name : "";
    return shs_error(r, 404, "no streaming listener attached to %s", name);
  } else if (!strcmp(s0, "allmiscellaneousprocess") && n == 1) {
    return shs_render_misc(c, r);
  }
  return shs_error(r, 404, "Not Found");
}

/* applications/{appId}/... with the attempt (possibly NULL) already split off. */
static int route_app(sic_shs *shs, const shs_query *q, const shs_appinfo *app, const char *app_id,
                     const char *attempt_id, char **seg, size_t n, sic_shs_response *r) {
  if (!strcmp(seg[0], "logs") && n == 1) {
    if (!app) return shs_error(r, 404, "no such app: %s", app_id);
    /* Like the History Server, a request without attempt also accepts attempt "1". */
    if (!find_attempt(app, attempt_id) && !(attempt_id == NULL && find_attempt(app, "1")))
      return shs_error(r, 404, "no such app: %s%s%s", app_id, attempt_id ? "/" : "", attempt_id ? attempt_id : "");
    return shs_render_logs(shs, app, attempt_id, r);
  }
  shs_attempt *at = app ? find_attempt(app, attempt_id) : NULL;
  if (!at)
    return shs_error(r, 404, "no such app: %s%s%s", app_id, attempt_id ? "/" : "", attempt_id ? attempt_id : "");
  sic_err err = {0};
  if (shs_attempt_load(shs, at, &err) < 0)
    return shs_error(r, 503, "Event logs are not available for app: %s. %s", app_id, err.msg);
  shs_ctx c = {shs, app, at, at->app, at->view, q};
  return route_ui(&c, seg, n, r);
}

static int route_applications(sic_shs *shs, const shs_query *q, sic_shs_response *r) {
  char **seg = q->seg;
  size_t n = q->nseg;
  if (n == 1) return shs_render_app_list(shs, q, r);
  const char *app_id = seg[1];
  const shs_appinfo *app = shs_find_app(shs, app_id);
  if (n == 2) {
    if (!app) return shs_error(r, 404, "unknown app: %s", app_id);
    sic_jw w;
    sic_jw_init(&w, SIC_JW_PRETTY);
    shs_write_app_info(&w, app);
    return shs_json_ok(r, &w);
  }
  if (is_app_subresource(seg[2])) return route_app(shs, q, app, app_id, NULL, seg + 2, n - 2, r);
  const char *attempt_id = seg[2];
  if (n == 3) {
    shs_attempt *at = app ? find_attempt(app, attempt_id) : NULL;
    if (!at) return shs_error(r, 404, "unknown app %s, attempt %s", app_id, attempt_id);
    sic_jw w;
    sic_jw_init(&w, SIC_JW_PRETTY);
    shs_write_attempt_info(&w, at);
    return shs_json_ok(r, &w);
  }
  if (!is_app_subresource(seg[3])) return shs_error(r, 404, "%s", q->raw_path); /* nested attempt */
  return route_app(shs, q, app, app_id, attempt_id, seg + 3, n - 3, r);
}

/* A streamed body read into memory (sic_shs_get's callers want bytes). */
static int drain_stream(sic_shs_response *r) {
  size_t cap = 1 << 16, n = 0;
  char *body = malloc(cap + 1);
  long got = 0;
  while (body) {
    if (n == cap) {
      char *grown = realloc(body, cap * 2 + 1);
      if (!grown) break;
      body = grown;
      cap *= 2;
    }
    got = r->stream.read(r->stream.ctx, (uint8_t *)body + n, cap - n);
    if (got <= 0) break;
    n += (size_t)got;
  }
  r->stream.free(r->stream.ctx);
  memset(&r->stream, 0, sizeof r->stream);
  if (!body || got < 0) {
    free(body);
    free(r->filename);
    r->filename = NULL;
    return shs_error(r, 503, "Event logs are not available: a file could not be read");
  }
  body[n] = 0;
  free(r->body);
  r->body = body;
  r->len = n;
  return r->status;
}

int sic_shs_get(sic_shs *shs, const char *path_and_query, sic_shs_response *out) {
  int status = sic_shs_get_streamed(shs, path_and_query, out);
  return out->stream.read ? drain_stream(out) : status;
}

int sic_shs_get_streamed(sic_shs *shs, const char *path_and_query, sic_shs_response *out) {
  memset(out, 0, sizeof *out);
  shs_query q;
  if (shs_query_parse(path_and_query ? path_and_query : "", &q) < 0) {
    shs_query_free(&q);
    shs_error(out, 500, "out of memory");
    return SIC_ENOMEM;
  }
  pthread_mutex_lock(&shs->lock);
  int status;
  if (q.nseg == 1 && !strcmp(q.seg[0], "version")) status = render_version(out);
  else if (q.nseg >= 1 && !strcmp(q.seg[0], "applications")) status = route_applications(shs, &q, out);
  else status = shs_error(out, 404, "Not Found");
  pthread_mutex_unlock(&shs->lock);
  shs_query_free(&q);
  if (status == 500 && out->body && strstr(out->body, "memory")) return SIC_ENOMEM;
  return status;
}
