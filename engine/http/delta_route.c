/* GET /v1/delta?table=REL[&format=json|md|txt|html]: the `sic delta` report of a Delta table
 * under the server's --delta-root (never outside it: the resolved path must lie below the
 * resolved root). The delta agent runs in a fresh Lua state with the server's active rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "lua/lua_host.h"

int http_delta_table(sic_http *srv, http_req *rq, http_reply *out) {
  if (!srv->delta_root) return http_reply_error(out, 409, "no Delta tables: start sic serve with --delta-root DIR");
  char rel[1024], fmt[16], joined[4096];
  const char *table = http_query_param(rq, "table", rel, sizeof rel);
  const char *format = http_query_param(rq, "format", fmt, sizeof fmt);
  if (!table || !*table) return http_reply_error(out, 400, "table is required (a directory relative to --delta-root)");
  if (!format) format = "json";
  const char *lua_format = !strcmp(format, "txt") ? "text" : format;
  if (strcmp(lua_format, "json") && strcmp(lua_format, "md") && strcmp(lua_format, "text") && strcmp(lua_format, "html"))
    return http_reply_error(out, 400, "format must be json, md, txt or html");
  snprintf(joined, sizeof joined, "%s/%s", srv->delta_root, table);
  char *real = realpath(joined, NULL);
  size_t rl = strlen(srv->delta_root);
  if (!real) return http_reply_error(out, 404, "no table %s under --delta-root", table);
  if (strncmp(real, srv->delta_root, rl) || (real[rl] != '/' && real[rl] != 0)) {
    free(real);
    return http_reply_error(out, 404, "no table %s under --delta-root", table);
  }
  sic_lua_opts lo;
  const char *dirs[1];
  char dir[320];
  http_rules_opts(srv, &lo, dirs, dir, sizeof dir);
  const char *tables[1] = {real};
  lo.tables = tables;
  lo.ntables = 1;
  char *text = NULL;
  int64_t failed = 0;
  sic_err err = {0};
  int rc = sic_lua_delta_report(&lo, lua_format, NULL, 0, &text, &failed, &err);
  free(real);
  if (rc < 0) return http_reply_error(out, 500, "%s", err.msg);
  out->status = failed ? 422 : 200;
  out->content_type = !strcmp(lua_format, "json") ? "application/json" : !strcmp(lua_format, "html") ? "text/html; charset=utf-8"
                      : !strcmp(lua_format, "md") ? "text/markdown; charset=utf-8" : "text/plain; charset=utf-8";
  out->body = text;
  out->len = strlen(text);
  return out->status;
}
