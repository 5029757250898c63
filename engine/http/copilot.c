/* The copilot API (/v1): analyses in sic's own JSON schemas. Owner: http.
 * POST /v1/analyze: the request body (an event log in any codec the engine reads: plain,
 * zstd, lz4, snappy, lzf, gzip, or a History Server logs zip) was streamed by the server to a
 * private spool file under its size limit; here it is loaded and summarised into a
 * sic.report/1 document (the same renderer as `sic analyze --format json --no-rules`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "http/http_internal.h"
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
  return http_reply_error(out, err->code == SIC_ENOMEM ? 500 : 400, "%s: %s", what, err->msg[0] ? err->msg : sic_strerror(err->code));
}

int http_copilot_analyze(sic_http *srv, http_req *rq, http_reply *out) {
  if (rq->body_fd < 0 || rq->body_seen == 0) return http_reply_error(out, 400, "empty body: POST an event log");
  sic_err err = {0};
  sic_logsets sets = {0};
  sic_app *app = NULL;
  sic_summary *sum = NULL;
  int status;
  if (sic_logset_scan(rq->body_path, &sets, &err) < 0) {
    status = upload_error(out, rq, &err, "not an event log");
    goto done;
  }
  if (sets.n != 1) {
    status = http_reply_error(out, 400, "the upload holds %zu event logs; POST one at a time", sets.n);
    goto done;
  }
  sic_load_opts lo = {1, 1};
  if (sic_app_load(&sets.items[0], &lo, &app, &err) < 0) {
    status = upload_error(out, rq, &err, "cannot read the event log");
    goto done;
  }
  if (sic_summary_build(app, &sum, &err) < 0) {
    status = upload_error(out, rq, &err, "cannot summarise the application");
    goto done;
  }
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_render_opts ro = {0};
  sic_report_json_open(&w);
  sic_report_json_app(&w, sum, &ro, NULL);
  sic_report_json_errors(&w);
  sic_report_json_close(&w);
  status = http_reply_json(out, 200, &w);
  if (status == 200) { /* the report's "source" names the spool file */
    hide_spool_path(out->body, rq->body_path);
    out->len = strlen(out->body);
  }
done:
  sic_summary_free(sum);
  if (app) sic_app_free(app);
  sic_logsets_free(&sets);
  return status;
}
