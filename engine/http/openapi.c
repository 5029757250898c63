/* /openapi.json (OpenAPI 3.1) and /docs, both generated from the route table the server
 * dispatches on (routes.c), so the description always matches what is served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "json/write.h"
#include "sic_version.h"

/* OpenAPI path for a route: a trailing "*" (prefix route) becomes "{path}". */
static void openapi_path(const http_route *r, char *buf, size_t n) {
  size_t len = strlen(r->pattern);
  if (len && r->pattern[len - 1] == '*') snprintf(buf, n, "%.*s{path}", (int)(len - 1), r->pattern);
  else snprintf(buf, n, "%s", r->pattern);
}

static void write_path_params(sic_jw *w, const char *path) {
  for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
    const char *e = strchr(p, '}');
    if (!e) break;
    sic_jw_obj(w);
    sic_jw_key(w, "name");
    sic_jw_strn(w, p + 1, (size_t)(e - p - 1));
    sic_jw_kstr(w, "in", "path");
    sic_jw_kbool(w, "required", 1);
    sic_jw_kobj(w, "schema");
    sic_jw_kstr(w, "type", "string");
    sic_jw_end(w);
    sic_jw_end(w);
  }
}

static void write_query_params(sic_jw *w, const char *spec) {
  for (const char *p = spec; p && *p;) {
    const char *bar = strchr(p, '|'), *semi = strchr(p, ';');
    if (!semi) semi = p + strlen(p);
    if (!bar || bar > semi) break;
    sic_jw_obj(w);
    sic_jw_key(w, "name");
    sic_jw_strn(w, p, (size_t)(bar - p));
    sic_jw_kstr(w, "in", "query");
    sic_jw_key(w, "description");
    sic_jw_strn(w, bar + 1, (size_t)(semi - bar - 1));
    sic_jw_kobj(w, "schema");
    sic_jw_kstr(w, "type", "string");
    sic_jw_end(w);
    sic_jw_end(w);
    p = *semi ? semi + 1 : semi;
  }
}

static void write_response(sic_jw *w, const char *code, const char *desc, const char *type) {
  sic_jw_kobj(w, code);
  sic_jw_kstr(w, "description", desc);
  if (type) {
    sic_jw_kobj(w, "content");
    sic_jw_kobj(w, type);
    sic_jw_end(w);
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

static void write_operation(sic_jw *w, const http_route *r, const char *path) {
  char method[8];
  size_t i = 0;
  for (; r->method[i] && i < sizeof method - 1; i++) method[i] = (char)(r->method[i] | 0x20);
  method[i] = 0;
  sic_jw_kobj(w, method);
  sic_jw_kstr(w, "summary", r->summary);
  sic_jw_karr(w, "tags");
  sic_jw_str(w, r->tag);
  sic_jw_end(w);
  char opid[200];
  snprintf(opid, sizeof opid, "%s %s", r->method, path);
  sic_jw_kstr(w, "operationId", opid);
  sic_jw_karr(w, "parameters");
  write_path_params(w, path);
  write_query_params(w, r->query_params);
  sic_jw_end(w);
  if (r->body != HTTP_BODY_NONE) {
    sic_jw_kobj(w, "requestBody");
    sic_jw_kbool(w, "required", 1);
    sic_jw_kobj(w, "content");
    sic_jw_kobj(w, r->body == HTTP_BODY_FILE ? "application/octet-stream" : "application/json");
    sic_jw_end(w);
    sic_jw_end(w);
    sic_jw_end(w);
  }
  if (r->is_public) {
    sic_jw_karr(w, "security");
    sic_jw_end(w); /* an empty list: no auth for health probes */
  }
  sic_jw_kobj(w, "responses");
  write_response(w, "200", "success", r->produces);
  write_response(w, "400", "malformed request (JSON error)", "application/json");
  if (!r->is_public) write_response(w, "401", "missing or wrong bearer token (when the server has one)", "application/json");
  write_response(w, "404", "unknown resource", NULL);
  if (r->body != HTTP_BODY_NONE) write_response(w, "413", "request body over the limit", "application/json");
  sic_jw_end(w);
  sic_jw_end(w);
}

static void write_paths(sic_jw *w) {
  sic_jw_kobj(w, "paths");
  char done[HTTP_MAX_ROUTES] = {0};
  for (int i = 0; i < http_nroutes; i++) { /* one path object per path, methods grouped */
    if (done[i]) continue;
    char path[160];
    openapi_path(&http_routes[i], path, sizeof path);
    sic_jw_kobj(w, path);
    for (int k = i; k < http_nroutes; k++) {
      if (strcmp(http_routes[k].pattern, http_routes[i].pattern)) continue;
      done[k] = 1;
      write_operation(w, &http_routes[k], path);
    }
    sic_jw_end(w);
  }
  sic_jw_end(w);
}

int http_openapi_json(sic_http *srv, http_req *rq, http_reply *out) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "openapi", "3.1.0");
  sic_jw_kobj(&w, "info");
  sic_jw_kstr(&w, "title", "Spark Intelligence Copilot (sic serve)");
  sic_jw_kstr(&w, "version", SIC_VERSION_STRING);
  sic_jw_kstr(&w, "description", "History Server compatible REST API (/api/v1) and the sic service endpoints. "
                                 "Generated from the server's route table.");
  sic_jw_end(&w);
  sic_jw_kobj(&w, "components");
  sic_jw_kobj(&w, "securitySchemes");
  sic_jw_kobj(&w, "bearer");
  sic_jw_kstr(&w, "type", "http");
  sic_jw_kstr(&w, "scheme", "bearer");
  sic_jw_kstr(&w, "description", "required on every route but health probes when the server runs with SIC_API_TOKEN");
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_karr(&w, "security");
  sic_jw_obj(&w);
  sic_jw_karr(&w, "bearer");
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_end(&w);
  write_paths(&w);
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}

static void html_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

static void docs_route(FILE *f, const http_route *r) {
  char path[160];
  openapi_path(r, path, sizeof path);
  fprintf(f, "<section><h3><code>%s ", r->method);
  html_escaped(f, path);
  fputs("</code></h3><p>", f);
  html_escaped(f, r->summary);
  fprintf(f, "</p><p>Answers <code>%s</code>%s%s.</p>", r->produces,
          r->is_public ? "; no token needed" : "; bearer token when configured",
          r->body == HTTP_BODY_FILE ? "; request body streamed to disk" : r->body == HTTP_BODY_MEMORY ? "; JSON request body" : "");
  if (r->query_params) {
    fputs("<table><tr><th>query parameter</th><th>meaning</th></tr>", f);
    for (const char *p = r->query_params; *p;) {
      const char *bar = strchr(p, '|'), *semi = strchr(p, ';');
      if (!semi) semi = p + strlen(p);
      if (!bar || bar > semi) break;
      fprintf(f, "<tr><td><code>%.*s</code></td><td>%.*s</td></tr>", (int)(bar - p), p, (int)(semi - bar - 1), bar + 1);
      p = *semi ? semi + 1 : semi;
    }
    fputs("</table>", f);
  }
  fputs("</section>\n", f);
}

int http_docs_html(sic_http *srv, http_req *rq, http_reply *out) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return http_reply_error(out, 500, "out of memory");
  fprintf(f, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sic API %s</title>"
             "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "code{background:#f2f2f2;padding:0 .2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
             "</style></head><body><h1>sic serve API</h1><p>Version %s. Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> "
             "(OpenAPI 3.1). Both are generated from the route table the server dispatches on.</p>\n",
          SIC_VERSION_STRING, SIC_VERSION_STRING);
  const char *tags[HTTP_MAX_ROUTES];
  int ntags = 0;
  for (int i = 0; i < http_nroutes; i++) { /* one heading per tag, in first-seen order */
    int seen = 0;
    for (int t = 0; t < ntags; t++) seen |= !strcmp(tags[t], http_routes[i].tag);
    if (seen) continue;
    tags[ntags++] = http_routes[i].tag;
    fprintf(f, "<h2>%s</h2>\n", http_routes[i].tag);
    for (int k = i; k < http_nroutes; k++)
      if (!strcmp(http_routes[k].tag, http_routes[i].tag)) docs_route(f, &http_routes[k]);
  }
  fputs("</body></html>\n", f);
  if (fclose(f) != 0) {
    free(buf);
    return http_reply_error(out, 500, "out of memory");
  }
  out->status = 200;
  out->content_type = "text/html; charset=utf-8";
  out->body = buf;
  out->len = len;
  return 200;
}
