/* HTML report (see html.h).
 * Layout: <style> assets, a <script type="application/json"> data block, the drawing script.
 * The data block is JSON with "</" written as "<\/" so no string inside can close the script
 * element (the JSON stays valid: "\/" is an escape JSON allows). */
#include "report/html.h"
#include "core/sort.h"

#include <stdlib.h>
#include <string.h>

#include "json/write.h"

/* Copy JSON into the page with every "</" escaped. */
static void put_json(FILE *out, const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] == '<' && s[i + 1] == '/') {
      fwrite(s + start, 1, i - start, out);
      fputs("<\\/", out);
      start = i + 2;
      i++;
    }
  }
  fwrite(s + start, 1, n - start, out);
}

/* HTML-escape text for element content and attribute values. */
static void put_text(FILE *out, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*s, out);
    }
  }
}

static int cmp_task_dur_desc(const void *a, const void *b, const sic_app *app) {
  int64_t x = sic_task_duration(app, *(const int64_t *)a), y = sic_task_duration(app, *(const int64_t *)b);
  return x > y ? -1 : x < y;
}

/* qsort has no context argument in C11: the comparator reads the app from here. */
static const sic_app *sort_app;
static int cmp_rows(const void *a, const void *b) { return cmp_task_dur_desc(a, b, sort_app); }

/* Task rows drawn in the Gantt chart: all when few, else the longest quarter of the budget
 * plus an even sample of the rest. *n_out rows; caller frees. */
static int64_t *gantt_rows(const sic_app *app, int64_t *n_out) {
  int64_t n = 0, cap = app->tasks.n;
  int64_t *rows = malloc((size_t)(cap > 0 ? cap : 1) * sizeof *rows);
  if (!rows) return NULL;
  for (int64_t r = 0; r < cap; r++)
    if (sic_task_duration(app, r) >= 0) rows[n++] = r;
  if (n > SIC_HTML_MAX_TASKS) {
    sort_app = app;
    sic_qsort(rows, (size_t)n, sizeof *rows, cmp_rows);
    int64_t keep = SIC_HTML_MAX_TASKS / 4, rest = SIC_HTML_MAX_TASKS - keep, out = keep;
    double step = (double)(n - keep) / (double)rest;
    for (int64_t i = 0; i < rest; i++) rows[out++] = rows[keep + (int64_t)(i * step)];
    n = out;
  }
  *n_out = n;
  return rows;
}

static void write_tasks(sic_jw *w, const sic_app *app, int64_t t0) {
  int64_t n = 0;
  int64_t *rows = gantt_rows(app, &n);
  sic_jw_kint(w, "tasksTotal", app->tasks.n);
  sic_jw_karr(w, "tasks"); /* [executor row, start - t0, duration, stage row, failed] */
  for (int64_t i = 0; rows && i < n; i++) {
    int64_t r = rows[i];
    sic_jw_arr(w);
    sic_jw_int(w, sic_task_executor(app, r));
    sic_jw_int(w, sic_col_get(&app->tasks.launch_time, r) - t0);
    sic_jw_int(w, sic_task_duration(app, r));
    sic_jw_int(w, sic_task_stage(app, r));
    sic_jw_int(w, app->tasks.status[r] != SIC_TASK_SUCCESS);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  free(rows);
}

static void write_stage(sic_jw *w, const sic_app *app, int64_t s, int64_t t0, double *vals) {
  const sic_stage *st = &app->stages[s];
  sic_jw_obj(w);
  sic_jw_kint(w, "id", st->stage_id);
  sic_jw_kint(w, "attempt", st->attempt_id);
  sic_jw_kstr(w, "name", sic_str(app, st->name));
  int64_t start = sic_stage_begin(st); /* from submission, as summary.c's wall time */
  sic_jw_kint(w, "start", start >= 0 ? start - t0 : -1);
  sic_jw_kint(w, "end", st->completion_time >= 0 ? st->completion_time - t0 : -1);
  sic_jw_kint(w, "tasks", st->tasks.n);
  /* (engine/stats cannot be included next to report/summary.h: both name a sic_summary) */
  int64_t n = 0;
  for (int32_t i = 0; vals && i < st->tasks.n; i++) {
    int64_t row = app->stage_task_rows[st->tasks.off + i];
    if (app->tasks.status[row] == SIC_TASK_SUCCESS && sic_task_duration(app, row) >= 0)
      vals[n++] = (double)sic_task_duration(app, row);
  }
  sic_jw_karr(w, "durations"); /* an even sample when the stage is large */
  double step = n > SIC_HTML_MAX_DURATIONS ? (double)n / SIC_HTML_MAX_DURATIONS : 1;
  for (double i = 0; n > 0 && i < (double)n; i += step) sic_jw_double(w, vals[(int64_t)i]);
  sic_jw_end(w);
  sic_jw_end(w);
}

static void write_data(sic_jw *w, const sic_app *app, const sic_summary *s, const char *findings_json) {
  int64_t t0 = app->start_time >= 0 ? app->start_time : app->first_event_time;
  int64_t t1 = app->end_time >= 0 ? app->end_time : app->last_event_time;
  sic_jw_obj(w);
  sic_jw_kstr(w, "schema", "sic.html/1");
  sic_jw_kobj(w, "app");
  sic_jw_kstr(w, "id", s->app_id);
  sic_jw_kstr(w, "name", s->name);
  sic_jw_kstr(w, "sparkVersion", s->spark_version);
  sic_jw_kstr(w, "source", s->source);
  sic_jw_kint(w, "duration", s->duration);
  sic_jw_kint(w, "t0", t0);
  sic_jw_kint(w, "t1", t1);
  sic_jw_end(w);
  sic_jw_karr(w, "executors");
  for (int64_t e = 0; e < app->nexecutors; e++) {
    const sic_executor *x = &app->executors[e];
    sic_jw_obj(w);
    sic_jw_kstr(w, "id", sic_str(app, x->id));
    sic_jw_kint(w, "cores", x->total_cores);
    sic_jw_kint(w, "add", x->add_time >= 0 ? x->add_time - t0 : -1);
    sic_jw_kint(w, "remove", x->remove_time >= 0 ? x->remove_time - t0 : -1);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  int64_t maxn = 1;
  for (int64_t i = 0; i < app->nstages; i++)
    if (app->stages[i].tasks.n > maxn) maxn = app->stages[i].tasks.n;
  double *vals = malloc((size_t)maxn * sizeof *vals);
  sic_jw_karr(w, "stages");
  for (int64_t i = 0; i < app->nstages; i++) write_stage(w, app, i, t0, vals);
  sic_jw_end(w);
  free(vals);
  write_tasks(w, app, t0);
  if (findings_json) {
    sic_jw_key(w, "findings");
    sic_jw_raw(w, findings_json, strlen(findings_json));
  } else {
    sic_jw_knull(w, "findings");
  }
  sic_jw_end(w);
}

int sic_render_html(FILE *out, const sic_app *app, const sic_summary *s, const char *findings_json) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  write_data(&w, app, s, findings_json);
  int rc = sic_jw_status(&w);
  if (rc) goto error;
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>sic report: ", out);
  put_text(out, s->name ? s->name : "Spark application");
  put_text(out, s->app_id ? " (" : "");
  put_text(out, s->app_id ? s->app_id : "");
  put_text(out, s->app_id ? ")" : "");
  fputs("</title>\n<style>\n", out);
  fputs(sic_html_css, out);
  fputs("</style>\n</head>\n<body>\n<div id=\"report\"><noscript>This report draws its charts with JavaScript.</noscript></div>\n"
        "<script type=\"application/json\" id=\"sic-data\">", out);
  put_json(out, w.buf, w.len);
  fputs("</script>\n<script>\n", out);
  fputs(sic_html_js, out);
  fputs("</script>\n</body></html>\n", out);
  if (ferror(out)) rc = SIC_EIO;
error:
  sic_jw_free(&w);
  return rc;
}
