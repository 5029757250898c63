/* Several applications in HTML (see analyze_html.h). */
#include "cli/analyze_html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "report/format.h"
#include "report/html.h"

static char *dup_or(const char *s, const char *def) { return strdup(s ? s : def); }

int sic_html_set_add(sic_html_set *set, const sic_app *app, const sic_summary *s, const char *findings_json) {
  sic_html_page p = {0};
  FILE *mem = open_memstream(&p.html, &p.len);
  if (!mem) return SIC_ENOMEM;
  int rc = sic_render_html(mem, app, s, findings_json);
  if (fclose(mem) != 0 && rc == 0) rc = SIC_ENOMEM;
  const char *attempt = sic_str(app, app->attempt_id);
  p.app_id = dup_or(s->app_id, "?");
  p.attempt_id = attempt ? strdup(attempt) : NULL;
  p.name = dup_or(s->name, "");
  p.duration = s->duration;
  p.jobs = s->jobs;
  p.jobs_failed = s->jobs_failed;
  p.complete = app->end_time >= 0;
  sic_html_page *grown = realloc(set->pages, (size_t)(set->n + 1) * sizeof *grown);
  if (rc || !grown || !p.app_id || !p.name || (attempt && !p.attempt_id)) {
    if (grown) set->pages = grown;
    free(p.html);
    free(p.app_id);
    free(p.attempt_id);
    free(p.name);
    return rc ? rc : SIC_ENOMEM;
  }
  set->pages = grown;
  set->pages[set->n++] = p;
  return 0;
}

void sic_html_set_free(sic_html_set *set) {
  for (int i = 0; i < set->n; i++) {
    free(set->pages[i].html);
    free(set->pages[i].app_id);
    free(set->pages[i].attempt_id);
    free(set->pages[i].name);
  }
  free(set->pages);
  set->pages = NULL;
  set->n = 0;
}

/* Text into HTML (element content or a double-quoted attribute). */
static void put_escaped(FILE *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '&') fputs("&amp;", out);
    else if (c == '<') fputs("&lt;", out);
    else if (c == '>') fputs("&gt;", out);
    else if (c == '"') fputs("&quot;", out);
    else fputc(c, out);
  }
}
static void put_text(FILE *out, const char *s) { put_escaped(out, s, strlen(s)); }

/* File name of a page: the application id (and attempt) with anything unusual replaced. */
static void page_file(const sic_html_page *p, int index, char *out, size_t cap) {
  char id[200];
  snprintf(id, sizeof id, "%s%s%s", p->app_id, p->attempt_id ? "_" : "", p->attempt_id ? p->attempt_id : "");
  for (char *c = id; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      *c = '_';
  /* two logs of one application id stay two files */
  if (index > 0) snprintf(out, cap, "%s-%d.html", id, index + 1);
  else snprintf(out, cap, "%s.html", id);
}

static int same_id_before(const sic_html_set *set, int i) {
  int k = 0;
  for (int j = 0; j < i; j++)
    if (!strcmp(set->pages[j].app_id, set->pages[i].app_id) &&
        !strcmp(set->pages[j].attempt_id ? set->pages[j].attempt_id : "", set->pages[i].attempt_id ? set->pages[i].attempt_id : ""))
      k++;
  return k;
}

static const char STYLE[] =
    "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
    "th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}"
    ".bad{color:#b00020}iframe{width:100%;height:85vh;border:1px solid #ccc}section{margin-top:32px}</style>";

/* The fleet table; links go to files (dir mode) or anchors (one page). */
static void index_table(FILE *out, const sic_html_set *set, int files) {
  fprintf(out, "<table><thead><tr><th>application</th><th>name</th><th>duration</th><th>jobs</th>"
               "<th>failed jobs</th><th>log</th></tr></thead><tbody>\n");
  for (int i = 0; i < set->n; i++) {
    const sic_html_page *p = &set->pages[i];
    char file[256], dur[SIC_FMT_LEN];
    page_file(p, same_id_before(set, i), file, sizeof file);
    fputs("<tr><td><a href=\"", out);
    if (files) put_text(out, file);
    else fprintf(out, "#app-%d", i + 1);
    fputs("\">", out);
    put_text(out, p->app_id);
    if (p->attempt_id) { fputs(" (attempt ", out); put_text(out, p->attempt_id); fputs(")", out); }
    fputs("</a></td><td>", out);
    put_text(out, p->name);
    fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%lld</td><td class=\"n%s\">%lld</td><td>%s</td></tr>\n",
            p->duration >= 0 ? sic_fmt_duration(p->duration, dur) : "?", (long long)p->jobs,
            p->jobs_failed ? " bad" : "", (long long)p->jobs_failed, p->complete ? "complete" : "incomplete");
  }
  fprintf(out, "</tbody></table>\n");
}

static void page_head(FILE *out, const char *title) {
  fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
  put_text(out, title);
  fprintf(out, "</title>%s</head><body>\n<h1>", STYLE);
  put_text(out, title);
  fprintf(out, "</h1>\n");
}

static int write_dir(const sic_html_set *set, const char *dir, char *msg, size_t msg_len) {
  char path[4096], file[256];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(msg, msg_len, "%s: cannot create directory: %s", dir, strerror(errno));
    return SIC_EIO;
  }
  for (int i = 0; i < set->n; i++) {
    page_file(&set->pages[i], same_id_before(set, i), file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(set->pages[i].html, 1, set->pages[i].len, f) != set->pages[i].len || fclose(f) != 0) {
      snprintf(msg, msg_len, "%s: cannot write: %s", path, strerror(errno));
      return SIC_EIO;
    }
  }
  snprintf(path, sizeof path, "%s/index.html", dir);
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(msg, msg_len, "%s: cannot write: %s", path, strerror(errno));
    return SIC_EIO;
  }
  char title[64];
  snprintf(title, sizeof title, "sic: %d application%s", set->n, set->n == 1 ? "" : "s");
  page_head(f, title);
  index_table(f, set, 1);
  fprintf(f, "</body></html>\n");
  if (fclose(f) != 0) {
    snprintf(msg, msg_len, "%s: cannot write: %s", path, strerror(errno));
    return SIC_EIO;
  }
  return 0;
}

/* One fleet page: the table, then every application's own page in a frame (srcdoc keeps each
 * page's scripts and styles apart, and the file self-contained). */
static int write_fleet_page(const sic_html_set *set, FILE *out) {
  char title[64];
  snprintf(title, sizeof title, "sic: %d applications", set->n);
  page_head(out, title);
  index_table(out, set, 0);
  for (int i = 0; i < set->n; i++) {
    const sic_html_page *p = &set->pages[i];
    fprintf(out, "<section id=\"app-%d\"><h2>", i + 1);
    put_text(out, p->app_id);
    fputs(" ", out);
    put_text(out, p->name);
    fputs("</h2><iframe loading=\"lazy\" title=\"", out);
    put_text(out, p->app_id);
    fputs("\" srcdoc=\"", out);
    put_escaped(out, p->html, p->len);
    fputs("\"></iframe></section>\n", out);
  }
  fprintf(out, "</body></html>\n");
  return ferror(out) ? SIC_EIO : 0;
}

int sic_html_set_write(const sic_html_set *set, const char *out_dir, FILE *out, char *msg, size_t msg_len) {
  msg[0] = 0;
  if (out_dir) return write_dir(set, out_dir, msg, msg_len);
  if (set->n == 0) return 0;
  if (set->n == 1) return fwrite(set->pages[0].html, 1, set->pages[0].len, out) == set->pages[0].len ? 0 : SIC_EIO;
  return write_fleet_page(set, out);
}
