/* `sic analyze PATH...`: load each event log and print its application summary (text or
 * sic.report/1 JSON or Markdown), followed by the findings of the Lua rules and agents (the
 * orchestration graph, through the host options of engine/cli/args.h) unless --no-rules.
 *
 * Every PATH may be a log file, a rolling/Databricks/legacy log directory, a zip, a directory
 * holding many logs (each is analysed) or '-' for stdin. A log that cannot be read is reported
 * with its path and the run goes on with the others; the exit status is then 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/sort.h"

#include "cli/args.h"
#include "cli/cli.h"
#include "eventlog/eventlog.h"
#include "json/write.h"
#include "model/model.h"
#include "report/format.h"
#include "report/html.h"
#include "report/render.h"
#include "report/summary.h"
#include "store/store.h"
#include "cli/source_opts.h"
#include "cli/analyze_html.h"

typedef struct analyze_run {
  sic_format format;             /* text or json */
  sic_render_opts render;        /* renderer options */
  sic_host_cli host;             /* Lua host options (--scripts, --set, --no-rules, ...) */
  sic_jw json;                   /* the JSON document being built (json format) */
  int apps;                      /* applications reported so far */
  int progress;                  /* 1: show progress on stderr (a TTY, many logs) */
  int failed;                    /* 1: some input could not be analysed */
  int usage;                     /* 1: a --set the rules refused (unknown rule, threshold or value) */
  sic_err *errors;               /* input errors, reported at the end in json */
  char **error_paths;            /* path of each error (owned) */
  int nerrors;
  int details;                   /* --details: full text reports for a directory of logs */
  struct fleet_app *fleet;       /* one row per application in fleet mode (owned) */
  int nfleet;                    /* rows in fleet */
  const char *store_url;         /* --store URL: also record each application in the history store */
  sic_html_set html;             /* html format: every application's page, written at the end */
  const char *output_dir;        /* --output-dir DIR (html): a page per application + index.html */
} analyze_run;

/* One application in the fleet summary (`sic analyze DIR` in text). */
typedef struct fleet_app {
  char *label;                   /* app id and name (owned) */
  int64_t duration;              /* wall time, ms (-1 unknown) */
  double run_usd;                /* cost of the run from the cost agent (-1 unknown) */
  double savings_usd;            /* value of its findings per run (-1 unknown) */
} fleet_app;

static void record_error(analyze_run *r, const char *path, const sic_err *err) {
  r->failed = 1;
  fprintf(stderr, "sic analyze: %s\n", err->msg[0] ? err->msg : sic_strerror(err->code));
  if (r->format != SIC_FORMAT_JSON) return;
  sic_err *ne = realloc(r->errors, (size_t)(r->nerrors + 1) * sizeof *ne);
  if (ne) r->errors = ne;
  char **np = realloc(r->error_paths, (size_t)(r->nerrors + 1) * sizeof *np);
  if (np) r->error_paths = np;
  if (!ne || !np) return;
  r->errors[r->nerrors] = *err;
  r->error_paths[r->nerrors] = strdup(path);
  r->nerrors++;
}

/* Make sure an error message names the file (loaders usually do already). */
static void name_path(sic_err *err, const char *path) {
  if (!strstr(err->msg, path)) sic_err_wrap(err, "%s", path);
}

/* A findings error about a --set (the engine names the option first) is the user's usage
 * error, exit status 2, not a broken script setup. */
static void note_findings_error(analyze_run *r, const char *display, const sic_err *err) {
  fprintf(stderr, "sic analyze: %s: findings: %s\n", display, err->msg[0] ? err->msg : sic_strerror(err->code));
  r->failed = 1;
  if (strstr(err->msg, "--set rule.")) r->usage = 1;
}

/* The one graph run of an application (unless --no-rules): the report, the fleet line and
 * --store all read *f. Text and Markdown reports get the findings rendered in the same run.
 * A broken script setup is reported and makes the exit status 1 (f stays empty), but the
 * summary stands. */
static void run_graph(analyze_run *r, const sic_app *app, const char *display, int fleet, sic_findings *f) {
  memset(f, 0, sizeof *f);
  if (r->host.no_rules) return;
  sic_lua_opts opts;
  sic_host_cli_opts(&r->host, &opts);
  /* The HTML page draws from the sic.findings/1 document, like the JSON report embeds it. */
  const char *format = fleet || r->format == SIC_FORMAT_HTML ? "json"
                       : r->format == SIC_FORMAT_MD               ? "md-lead"
                                                                  : "text-lead";
  sic_err err = {0};
  if (sic_lua_run_graph(app, &opts, format, f, &err) < 0) {
    note_findings_error(r, display, &err);
  }
}

/* The rendered findings of a text or Markdown run are "<top problems>\x1e<findings>": the
 * top problems go under the report's header, the findings after the summary. Splits f's text
 * in place; *lead is NULL when there are no top problems. */
static const char *split_lead(sic_findings *f, const char **lead) {
  *lead = NULL;
  if (!f->rendered) return NULL;
  char *mark = strchr(f->rendered, '\x1e');
  if (!mark) return f->rendered;
  *mark = 0;
  *lead = f->rendered;
  return mark + 1;
}

/* The findings section after a text or Markdown summary. */
static void print_findings(const analyze_run *r, const char *body) {
  if (!body) return;
  if (r->format == SIC_FORMAT_MD) printf("\n%s", body);
  else printf("\nFindings\n--------\n%s\n", body);
}

/* source_name replaces the model's path when the log came through a temporary copy (stdin). */
static int report_app(analyze_run *r, const sic_app *app, const char *display, const char *source_name,
                      sic_findings *f) {
  sic_summary *s = NULL;
  sic_err err = {0};
  int rc = sic_summary_build(app, &s, &err);
  if (rc) {
    fprintf(stderr, "sic analyze: %s\n", err.msg);
    return rc;
  }
  if (source_name) {
    s->source = source_name;
    if (s->notice.first_path) s->notice.first_path = source_name;
    if (s->notice.read_error_path) s->notice.read_error_path = source_name;
  }
  if (r->format == SIC_FORMAT_JSON) {
    sic_report_json_app(&r->json, s, &r->render, f->json);
  } else if (r->format == SIC_FORMAT_HTML) {
    /* pages are kept until the end: one page as is, several as a fleet (analyze_html.c) */
    rc = sic_html_set_add(&r->html, app, s, f->json);
    if (rc) fprintf(stderr, "sic analyze: %s: cannot render the HTML page: %s\n", display, sic_strerror(rc));
  } else {
    /* text and md lead with the top problems, under the header; the findings follow the summary */
    int md = r->format == SIC_FORMAT_MD;
    const char *lead, *body = split_lead(f, &lead);
    if (r->apps) printf(md ? "\n---\n\n" : "\n%s\n\n", "------------------------------------------------------------------------");
    r->render.lead = lead;
    rc = md ? sic_render_md(stdout, s, &r->render) : sic_render_text(stdout, s, &r->render);
    r->render.lead = NULL;
    print_findings(r, body);
  }
  r->apps++;
  sic_summary_free(s);
  return rc;
}

/* Fleet mode: one line for this application, remembered for the summary at the end. */
static void fleet_line(analyze_run *r, const sic_app *app, const sic_findings *f) {
  sic_summary *s = NULL;
  sic_err err = {0};
  char label[256], dur[SIC_FMT_LEN];
  if (sic_summary_build(app, &s, &err)) {
    fprintf(stderr, "sic analyze: %s\n", err.msg);
    r->failed = 1;
    return;
  }
  fleet_app a = {NULL, s->duration, f->json ? f->run_usd : -1, f->json ? f->savings_usd : -1};
  snprintf(label, sizeof label, "%s %s", s->app_id ? s->app_id : "?", s->name ? s->name : "");
  char cost[32] = "?", save[32] = "?";
  if (a.run_usd >= 0) snprintf(cost, sizeof cost, "$%.4f", a.run_usd);
  if (a.savings_usd >= 0) snprintf(save, sizeof save, "$%.4f", a.savings_usd);
  printf("%-60.60s %10s  cost %10s  savings %10s\n", label, s->duration >= 0 ? sic_fmt_duration(s->duration, dur) : "?",
         cost, save);
  fleet_app *grown = realloc(r->fleet, (size_t)(r->nfleet + 1) * sizeof *grown);
  if (grown) {
    r->fleet = grown;
    a.label = strdup(label);
    r->fleet[r->nfleet++] = a;
  }
  sic_summary_free(s);
}

/* --store URL: record the application with the findings of the run the report used
 * (engine/store, sic_store_record_report); a store error makes the exit status 1, the report
 * stands. */
static void record_in_store(analyze_run *r, const sic_app *app, const char *display, int from_stdin,
                            const sic_findings *f) {
  sic_err err = {0};
  sic_ingest_result res;
  if (sic_store_record_report(r->store_url, app, f->json, from_stdin ? display : NULL, &res, &err)) {
    fprintf(stderr, "sic analyze: %s: %s\n", display, err.msg);
    r->failed = 1;
  }
}

static void analyze_set(analyze_run *r, const sic_logset *set, const char *display, int from_stdin, int fleet) {
  sic_app *app = NULL;
  sic_err err = {0};
  int rc = sic_app_load(set, NULL, &app, &err);
  if (rc) {
    name_path(&err, display);
    record_error(r, display, &err);
    return;
  }
  sic_findings f;
  run_graph(r, app, display, fleet, &f);
  if (fleet) fleet_line(r, app, &f);
  else if (report_app(r, app, display, from_stdin ? display : NULL, &f)) r->failed = 1;
  if (r->store_url) record_in_store(r, app, display, from_stdin, &f);
  sic_findings_free(&f);
  sic_app_free(app);
}

static void analyze_path(analyze_run *r, const char *path) {
  sic_logsets sets = {0};
  sic_err err = {0};
  char spooled[256] = "";
  const char *scan_path = path;
  if (!strcmp(path, "-")) {
    if (sic_args_spool_stdin(spooled, sizeof spooled, &err)) {
      record_error(r, "<stdin>", &err);
      return;
    }
    scan_path = spooled;
  }
  if (sic_logset_scan(scan_path, &sets, &err)) {
    name_path(&err, path);
    record_error(r, path, &err);
  } else if (sets.n == 0) {
    sic_err_set(&err, SIC_ENOTFOUND, "%s: no Spark event logs found", path);
    record_error(r, path, &err);
  } else {
    /* A directory of logs in text: one line per application and a fleet summary, unless
     * --details asks for every full report. */
    int fleet = r->format == SIC_FORMAT_TEXT && sets.n > 1 && !r->details && !r->host.no_rules;
    for (size_t i = 0; i < sets.n; i++) {
      if (r->progress && sets.n > 1)
        fprintf(stderr, "\ranalysing %zu/%zu: %.60s\033[K", i + 1, sets.n, sets.items[i].name);
      analyze_set(r, &sets.items[i], spooled[0] ? "<stdin>" : sets.items[i].path, spooled[0] != 0, fleet);
    }
    if (r->progress && sets.n > 1) fprintf(stderr, "\r\033[K");
  }
  size_t not_logs = sets.nskipped - sets.nunreadable;
  if (not_logs)
    fprintf(stderr, "sic analyze: %s: skipped %zu file%s that %s\n", path, not_logs,
            not_logs == 1 ? "" : "s", not_logs == 1 ? "is not a Spark event log" : "are not Spark event logs");
  if (sets.unreadable)
    fprintf(stderr, "sic analyze: %s (skipped; %zu unreadable file%s in all)\n", sets.unreadable,
            sets.nunreadable, sets.nunreadable == 1 ? "" : "s");
  sic_logsets_free(&sets);
  if (spooled[0]) unlink(spooled);
}

static int by_cost(const void *a, const void *b) {
  double x = ((const fleet_app *)a)->run_usd, y = ((const fleet_app *)b)->run_usd;
  return x < y ? 1 : x > y ? -1 : 0;
}
static int by_savings(const void *a, const void *b) {
  double x = ((const fleet_app *)a)->savings_usd, y = ((const fleet_app *)b)->savings_usd;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* Fleet summary: totals, then the top applications by cost and by estimated savings. */
static void fleet_summary(analyze_run *r) {
  if (r->nfleet == 0) return;
  double cost = 0, save = 0;
  for (int i = 0; i < r->nfleet; i++) {
    if (r->fleet[i].run_usd > 0) cost += r->fleet[i].run_usd;
    if (r->fleet[i].savings_usd > 0) save += r->fleet[i].savings_usd;
  }
  printf("\nFleet: %d applications, cost $%.4f in all, estimated savings $%.4f per run of each "
         "(prices: the cost agent's catalogue entry; see a single app's report for the source)\n", r->nfleet, cost, save);
  const char *titles[2] = {"Top applications by cost", "Top applications by estimated savings"};
  int (*cmps[2])(const void *, const void *) = {by_cost, by_savings};
  for (int k = 0; k < 2; k++) {
    sic_qsort(r->fleet, (size_t)r->nfleet, sizeof *r->fleet, cmps[k]);
    printf("\n%s\n", titles[k]);
    for (int i = 0; i < r->nfleet && i < 5; i++)
      printf("  %d. $%-10.4f %s\n", i + 1, k == 0 ? r->fleet[i].run_usd : r->fleet[i].savings_usd, r->fleet[i].label);
  }
  for (int i = 0; i < r->nfleet; i++) free(r->fleet[i].label);
  free(r->fleet);
  r->fleet = NULL;
  r->nfleet = 0;
}

static int finish(analyze_run *r) {
  int rc = 0;
  fleet_summary(r);
  if (r->format == SIC_FORMAT_HTML) {
    char msg[512];
    if ((rc = sic_html_set_write(&r->html, r->output_dir, stdout, msg, sizeof msg)) != 0)
      fprintf(stderr, "sic analyze: %s\n", msg[0] ? msg : "cannot write the HTML report");
    else if (r->output_dir)
      fprintf(stderr, "sic analyze: wrote %d page%s and %s/index.html\n", r->html.n, r->html.n == 1 ? "" : "s",
              r->output_dir);
    sic_html_set_free(&r->html);
  }
  if (r->format == SIC_FORMAT_JSON) {
    sic_report_json_errors(&r->json);
    for (int i = 0; i < r->nerrors; i++)
      sic_report_json_error(&r->json, r->error_paths[i], r->errors[i].code, r->errors[i].msg);
    sic_report_json_close(&r->json);
    if ((rc = sic_jw_status(&r->json)) == 0) {
      fwrite(r->json.buf, 1, r->json.len, stdout);
      fputc('\n', stdout);
    } else {
      fprintf(stderr, "sic analyze: cannot build the JSON report: %s\n", sic_strerror(rc));
    }
    sic_jw_free(&r->json);
  }
  for (int i = 0; i < r->nerrors; i++) free(r->error_paths[i]);
  sic_host_cli_free(&r->host);
  free(r->error_paths);
  free(r->errors);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "sic analyze: cannot write the report\n");
    return SIC_EXIT_INPUT;
  }
  if (r->usage) return SIC_EXIT_USAGE;
  return rc || r->failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}

int sic_cmd_analyze(int argc, char **argv) {
  analyze_run r = {0};
  sic_source_opts so = {0};
  int64_t top = 5, max_line_mb = SIC_DEFAULT_MAX_LINE >> 20;
  const sic_opt table[] = {
      {"format", 'f', SIC_OPT_FORMAT, &r.format, NULL, "output format (default text)", 0, 0, NULL},
      {"top", 0, SIC_OPT_INT, &top, "N", "stages listed by task time in text and md (default 5)", 1, 1000, NULL},
      {"max-line-mb", 0, SIC_OPT_INT, &max_line_mb, "MB", "a longer line is reported as malformed and skipped, never "
       "held whole, MiB (default 128)", 1, 1 << 20, NULL},
      SIC_OPT_FLAG_ROW("details", 0, &r.details, "a directory of logs in text: every full report, not one line per app"),
      SIC_OPT_STRING_ROW("output-dir", 'o', &r.output_dir, "DIR",
                         "html: write a page per application and an index.html into DIR (default: stdout, "
                         "several applications as one fleet page)"),
      {"store", 0, SIC_OPT_STRING, &r.store_url, "URL", "also record each application and its findings in the history "
       "store (sqlite:///path or postgresql://...; see sic history)", 0, 0, NULL},
      SIC_SOURCE_OPT_ROWS(&so),
      SIC_HOST_OPT_ROWS(&r.host),
      SIC_OPT_FLAG_ROW("no-rules", 0, &r.host.no_rules, "the summary only, without the findings of the rules and agents"),
      SIC_OPT_VALUES_ROW("tables", 0, &r.host.tables, "TABLE",
                         "Delta tables: the delta agent advises on them with this log's scans"),
  };
  const char *description =
           "Summarise Spark applications from their event logs: identity, duration, jobs, stages and\n"
           "tasks (failed, killed), executors over time, task time against wall and core time, the\n"
           "stages that took the time, data read/written/shuffled/spilled, GC share, failures with\n"
           "their reasons, and notices about incomplete or malformed logs; then the findings of the\n"
           "Lua rules and agents.\n"
           "PATH is an event log (plain or compressed), a rolling-log directory, a zip from the History\n"
           "Server, a directory of many logs (each is analysed) or '-' for stdin, or a URI: a History\n"
           "Server (its base URL, or one application's UI or REST URL), s3://bucket/prefix, file://\n"
           "(docs/sources.md).";
  const sic_cmd_spec spec = {
      "analyze", "PATH... [--format text|json|md|html] [--no-rules]", description,
      table, sizeof table / sizeof table[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON) |
          SIC_FORMAT_MASK(SIC_FORMAT_MD) | SIC_FORMAT_MASK(SIC_FORMAT_HTML),
      1, -1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, rc = sic_args_parse(&spec, argc, argv, pos, &npos), stdin_uses = 0;
  for (int i = 0; rc == SIC_ARGS_OK && i < npos; i++) stdin_uses += !strcmp(pos[i], "-");
  if (rc == SIC_ARGS_OK && stdin_uses > 1) rc = sic_args_usage_error(&spec, "'-' (stdin) can be given only once");
  if (rc == SIC_ARGS_OK && r.output_dir && r.format != SIC_FORMAT_HTML)
    rc = sic_args_usage_error(&spec, "--output-dir goes with --format html");
  if (rc != SIC_ARGS_OK) {
    sic_host_cli_free(&r.host);
    return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  }
  sic_sources_set_defaults(&so);
  sic_lines_set_default_max_line(max_line_mb << 20);
  r.render.top_stages = (int)top;
  r.render.color = r.format == SIC_FORMAT_TEXT && sic_color_enabled(stdout);
  r.progress = sic_is_tty(stderr);
  if (r.format == SIC_FORMAT_JSON) {
    sic_jw_init(&r.json, SIC_JW_PRETTY);
    sic_report_json_open(&r.json);
  }
  for (int i = 0; i < npos; i++) analyze_path(&r, pos[i]);
  return finish(&r);
}
