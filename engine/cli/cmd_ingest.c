/* sic ingest PATH... : load event logs and record them in the history store.
 *
 * Each logical log found under each PATH is checksummed first; a log already in the store is
 * skipped without being parsed (reported "unchanged" with the stored attempt's key) (so re-running over a whole log directory is cheap). Every other
 * log is loaded and written in its own transaction: one bad log is reported and the rest are
 * still stored. Exit 0 when every log was stored or already known, 1 when any failed. */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/source_opts.h"
#include "cli/cli.h"
#include "core/crashpoint.h"
#include "eventlog/eventlog.h"
#include "json/write.h"
#include "lua/lua_host.h"
#include "model/model.h"
#include "sources/kafka.h"
#include "sources/source.h"
#include "store/store.h"

/* Options and running totals of one `sic ingest`. */
typedef struct ingest_run {
  sic_store *store;                      /* open store */
  sic_ingest_opts opts;                  /* per-log options (checksum filled per log) */
  sic_jobkey_rules rules;                /* job key normalisation */
  const char *pattern;                   /* --job-pattern */
  sic_format format;                     /* text or json */
  sic_jw json;                           /* JSON output being built */
  int analyze;                           /* 1: run the analysis graph and store its findings */
  int analysis_warned;                   /* the "analysis unavailable" warning was printed */
  int stored, unchanged, replaced, kept, failed; /* counts by outcome */
  int behind;                            /* --follow: logs older than the watermark, not looked at */
  const char *kafka_uri;                 /* kafka:// URI being consumed (for display names) */
} ingest_run;

/* Seconds spent in each phase of one log (JSON output; the store benchmark reads them). */
typedef struct phase_times {
  double load;                           /* parse into a model (the checksum is computed before) */
  double analyze;                        /* the analysis graph (findings) */
  double store;                          /* summarize + write the transaction */
} phase_times;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(ingest_run *r, const char *path, const char *status, const sic_ingest_result *res,
                   const char *app_id, const char *error, const phase_times *t) {
  if (r->format == SIC_FORMAT_JSON) {
    sic_jw_obj(&r->json);
    sic_jw_kstr(&r->json, "path", path);
    sic_jw_kstr(&r->json, "status", status);
    sic_jw_kstr(&r->json, "appId", app_id);
    if (res) {
      sic_jw_kstr(&r->json, "job", res->job_key[0] ? res->job_key : NULL);
      sic_jw_kint(&r->json, "attemptKey", res->attempt_key);
      sic_jw_kint(&r->json, "rows", res->rows);
      sic_jw_kstr(&r->json, "checksum", res->checksum);
      sic_jw_kint(&r->json, "retries", res->retries);
      sic_jw_kint(&r->json, "findings", (int64_t)r->opts.nfindings);
    }
    if (t) {
      sic_jw_kdouble(&r->json, "loadSeconds", t->load);
      sic_jw_kdouble(&r->json, "analyzeSeconds", t->analyze);
      sic_jw_kdouble(&r->json, "storeSeconds", t->store);
    }
    sic_jw_kstr(&r->json, "error", error);
    sic_jw_end(&r->json);
    return;
  }
  if (error) {
    fprintf(stderr, "sic ingest: %s\n", error);
    return;
  }
  printf("%-9s  %-34s  job=%-24s  store_id=%-6lld  rows=%-8lld  findings=%-4zu  %s\n", status,
         app_id ? app_id : "-", res && res->job_key[0] ? res->job_key : "-",
         res ? (long long)res->attempt_key : -1LL, res ? (long long)res->rows : 0LL, r->opts.nfindings, path);
}

static int checksum_of(const sic_logset *set, sic_ingest_result *res, int64_t *size, sic_err *err) {
  /* A remote log is identified by its parts' URIs, sizes and modification times: deciding
   * that it is already stored downloads nothing. */
  int remote = sic_source_version_key(set, res->checksum, size);
  if (remote < 0) return sic_err_set(err, remote, "out of memory");
  if (remote) return 0;
  const char **paths = calloc(set->nparts + 1, sizeof *paths);
  if (!paths) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (size_t i = 0; i < set->nparts; i++) paths[i] = set->parts[i].path;
  int rc = sic_store_checksum_files(paths, set->nparts, res->checksum, size, err);
  free(paths);
  return rc;
}

/* Findings of the analysis graph for app. A failing analysis is reported and the log is
 * still stored, without findings: the history of runs matters more than one report. */
static void analyze_app(ingest_run *r, const sic_app *app, const char *path, sic_store_findings *out) {
  char *json = NULL;
  sic_err err = {0};
  memset(out, 0, sizeof *out);
  int rc = sic_lua_analyze(app, NULL, &json, NULL, &err);
  if (!rc) rc = sic_store_findings_from_json(json, strlen(json), out, &err);
  free(json);
  if (rc && !r->analysis_warned) {
    fprintf(stderr, "sic ingest: %s: analysis failed, storing without findings (first failure only): %.*s\n",
            path, (int)strcspn(err.msg, "\n"), err.msg);
    r->analysis_warned = 1;
  }
}

/* display: the path recorded and printed ("<stdin>" for a spooled copy of stdin). */
static void ingest_one(ingest_run *r, const sic_logset *set, const char *display) {
  r->opts.findings = NULL; /* this log's, once analysed */
  r->opts.nfindings = 0;
  sic_ingest_result res;
  memset(&res, 0, sizeof res);
  sic_err err = {0};
  int64_t size = 0;
  int rc = checksum_of(set, &res, &size, &err);
  if (!rc) {
    rc = sic_store_find_checksum(r->store, res.checksum, &res.attempt_key, &err);
    if (rc == 1) {
      r->unchanged++;
      report(r, display, "unchanged", &res, NULL, NULL, NULL);
      sic_crashpoint("ingest.after_log");
      return;
    }
  }
  sic_app *app = NULL;
  phase_times t = {0, 0, 0};
  sic_store_findings findings = {0};
  double t0 = now_seconds();
  if (!rc) rc = sic_app_load(set, NULL, &app, &err);
  t.load = now_seconds() - t0;
  if (!rc && r->analyze) {
    t0 = now_seconds();
    analyze_app(r, app, display, &findings);
    t.analyze = now_seconds() - t0;
  }
  if (!rc) {
    r->opts.findings = findings.items;
    r->opts.nfindings = findings.n;
    r->opts.checksum = res.checksum;
    r->opts.source_path = display;
    r->opts.source_size = size;
    t0 = now_seconds();
    rc = sic_store_ingest(r->store, app, &r->opts, &res, &err);
    t.store = now_seconds() - t0;
  }
  const char *app_id = app ? sic_str(app, app->app_id) : NULL;
  if (rc) {
    r->failed++;
    report(r, display, "failed", NULL, app_id, err.msg, NULL);
  } else {
    const char *status = res.status == SIC_STORE_REPLACED    ? "replaced"
                         : res.status == SIC_STORE_UNCHANGED ? "unchanged"
                         : res.status == SIC_STORE_KEPT      ? "kept"
                                                             : "stored";
    if (res.status == SIC_STORE_REPLACED) r->replaced++;
    else if (res.status == SIC_STORE_UNCHANGED) r->unchanged++;
    else if (res.status == SIC_STORE_KEPT) r->kept++;
    else r->stored++;
    report(r, display, status, &res, app_id, NULL, &t);
  }
  /* The line of a committed attempt is out before the next log starts (the text output is
   * line-buffered): a run killed later still shows what it stored. */
  sic_crashpoint("ingest.after_log");
  sic_store_findings_free(&findings);
  r->opts.findings = NULL;
  r->opts.nfindings = 0;
  sic_app_free(app);
}

static void ingest_path(ingest_run *r, const char *path) {
  char spooled[256] = "";
  sic_err err = {0};
  if (!strcmp(path, "-")) {
    if (sic_args_spool_stdin(spooled, sizeof spooled, &err)) {
      r->failed++;
      report(r, "-", "failed", NULL, NULL, err.msg, NULL);
      return;
    }
    path = spooled;
  }
  sic_logsets sets = {0};
  if (sic_logset_scan(path, &sets, &err)) {
    r->failed++;
    report(r, path, "failed", NULL, NULL, err.msg, NULL);
  } else if (!sets.n) {
    r->failed++;
    snprintf(err.msg, sizeof err.msg, "%s: no Spark event logs found", path);
    report(r, path, "failed", NULL, NULL, err.msg, NULL);
  }
  if (sets.unreadable) {
    /* They may be logs that were not stored: a failure, named, not "not a log". */
    r->failed += (int)sets.nunreadable;
    char msg[sizeof err.msg];
    snprintf(msg, sizeof msg, "%.400s (%zu unreadable file%s under %.60s)", sets.unreadable, sets.nunreadable,
             sets.nunreadable == 1 ? "" : "s", path);
    report(r, path, "failed", NULL, NULL, msg, NULL);
  }
  for (size_t i = 0; i < sets.n; i++) ingest_one(r, &sets.items[i], *spooled ? "<stdin>" : sets.items[i].path);
  sic_logsets_free(&sets);
  if (*spooled) unlink(spooled);
}

/* ---- --follow ---- */

static volatile sig_atomic_t follow_stop; /* SIGINT/SIGTERM: stop after the current log */

static void on_follow_signal(int sig) {
  (void)sig;
  follow_stop = 1;
}

static int by_mtime(const void *a, const void *b) {
  const sic_logset *x = *(const sic_logset *const *)a, *y = *(const sic_logset *const *)b;
  return x->mtime_ms < y->mtime_ms ? -1 : x->mtime_ms > y->mtime_ms;
}

/* One poll of a followed path: logs modified at or after its watermark, oldest first; the
 * watermark then moves to the newest log handled, or stays at the oldest failure so that a
 * restart retries it (the stored checksums make re-looking at a log harmless). */
static void follow_path(ingest_run *r, const char *path) {
  sic_err err = {0};
  char *source = sic_uri_display(path);
  int64_t mark = 0;
  int have = source ? sic_store_watermark_get(r->store, source, &mark, &err) : SIC_ENOMEM;
  sic_logsets sets = {0};
  sic_logset **order = NULL;
  if (have < 0 || sic_logset_scan(path, &sets, &err)) {
    r->failed++;
    report(r, path, "failed", NULL, NULL, err.msg, NULL);
    goto done;
  }
  order = calloc(sets.n + 1, sizeof *order);
  if (!order) goto done;
  for (size_t i = 0; i < sets.n; i++) order[i] = &sets.items[i];
  if (sets.n > 1) qsort(order, sets.n, sizeof *order, by_mtime);
  int64_t newest = have ? mark : 0, oldest_failure = INT64_MAX;
  for (size_t i = 0; i < sets.n && !follow_stop; i++) {
    if (have && order[i]->mtime_ms < mark) {
      r->behind++;
      continue;
    }
    int failed = r->failed;
    ingest_one(r, order[i], order[i]->path);
    if (r->failed > failed && order[i]->mtime_ms < oldest_failure) oldest_failure = order[i]->mtime_ms;
    else if (order[i]->mtime_ms > newest) newest = order[i]->mtime_ms;
  }
  int64_t next = oldest_failure < newest ? oldest_failure : newest;
  if ((!have || next != mark) && sic_store_watermark_set(r->store, source, next, &err)) {
    r->failed++;
    report(r, path, "failed", NULL, NULL, err.msg, NULL);
  }
  sic_sources_part_cache_sweep(&sets); /* complete rolling logs: their cached parts go */
done:
  free(order);
  sic_logsets_free(&sets);
  free(source);
}

/* ---- kafka:// notifications ---- */

static int kafka_on_log(void *ctx, const char *uri, sic_err *err) {
  ingest_run *r = ctx;
  int failed = r->failed;
  ingest_path(r, uri);
  if (r->failed == failed) return 0;
  return sic_err_set(err, SIC_EIO, "ingesting %s failed (see above); the notification will be delivered again", uri);
}

/* Events mode: an assembled application (a spooled file) is ingested like a local log and
 * recorded as "kafka://brokers/topic#app". */
static int kafka_on_app(void *ctx, const char *name, const char *path, int complete, sic_err *err) {
  ingest_run *r = ctx;
  char display[1024];
  char *shown = sic_uri_display(r->kafka_uri);
  snprintf(display, sizeof display, "%.*s#%s%s", (int)strcspn(shown ? shown : "kafka", "?"), shown ? shown : "kafka",
           name, complete ? "" : " (incomplete)");
  free(shown);
  sic_logsets sets = {0};
  int failed = r->failed;
  if (sic_logset_scan(path, &sets, err) || sets.n != 1) {
    if (!err->msg[0] || !sets.n) sic_err_set(err, SIC_EFORMAT, "%s: the assembled lines are not one event log", display);
    sic_logsets_free(&sets);
    return err->code ? err->code : SIC_EFORMAT;
  }
  ingest_one(r, &sets.items[0], display);
  sic_logsets_free(&sets);
  if (r->failed == failed) return 0;
  return sic_err_set(err, SIC_EIO, "ingesting %s failed (see above); its lines will be delivered again", display);
}

static void kafka_on_bad(void *ctx, const char *where, const char *why) {
  ingest_run *r = ctx;
  r->failed++;
  char msg[768];
  snprintf(msg, sizeof msg, "%s: not a log notification (%s); skipped", where, why);
  report(r, where, "failed", NULL, NULL, msg, NULL);
}

/* Consume notifications until the topic is idle (see sources/kafka.h), or until a signal
 * with --follow (the URI's idle=0 is implied unless it sets one). */
static void ingest_kafka(ingest_run *r, const char *uri, int follow_on) {
  char buf[4096];
  if (follow_on && !strstr(uri, "idle=")) {
    snprintf(buf, sizeof buf, "%s%sidle=0", uri, strchr(uri, '?') ? "&" : "?");
    uri = buf;
    signal(SIGINT, on_follow_signal);
    signal(SIGTERM, on_follow_signal);
  }
  sic_kafka_handler h = {.on_log = kafka_on_log, .on_app = kafka_on_app, .on_bad = kafka_on_bad, .ctx = r,
                         .stop = (volatile int *)&follow_stop};
  r->kafka_uri = uri;
  sic_kafka_stats st;
  sic_err err = {0};
  if (sic_kafka_consume(uri, &h, &st, &err)) {
    r->failed++;
    report(r, uri, "failed", NULL, NULL, err.msg, NULL);
  }
}

static void follow(ingest_run *r, char **paths, int npaths, double interval, long polls) {
  signal(SIGINT, on_follow_signal);
  signal(SIGTERM, on_follow_signal);
  /* A growing rolling log on an object store: later polls fetch only its new parts. */
  sic_err err = {0};
  if (sic_sources_part_cache_enable(&err))
    fprintf(stderr, "sic ingest: %s; growing rolling logs are fetched whole at each poll\n", err.msg);
  for (long poll = 0; !follow_stop; poll++) {
    for (int i = 0; i < npaths && !follow_stop; i++) follow_path(r, paths[i]);
    fflush(stdout);
    if (polls > 0 && poll + 1 >= polls) break;
    for (double slept = 0; slept < interval && !follow_stop; slept += 0.1) {
      struct timespec ts = {0, 100000000L};
      nanosleep(&ts, NULL);
    }
  }
}

int sic_cmd_ingest(int argc, char **argv) {
  ingest_run r;
  memset(&r, 0, sizeof r);
  sic_ingest_opts_init(&r.opts);
  const char *url = NULL, *job = NULL;
  int no_normalize = 0, no_analyze = 0;
  const char *price = NULL;
  int follow_on = 0;
  int64_t interval = 30, polls = 0;
  sic_source_opts so = {0};
  r.format = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {.name = "store", .kind = SIC_OPT_STRING, .dest = &url, .metavar = "URL", .help = "sqlite:///path/sic.db or postgresql://... (default $SIC_STORE, "
                                              "then $XDG_DATA_HOME/sic/sic.db)"},
    {.name = "store-tasks", .kind = SIC_OPT_FLAG, .dest = &r.opts.store_tasks, .help = "also store one row per task attempt"},
    {.name = "job", .kind = SIC_OPT_STRING, .dest = &job, .metavar = "KEY", .help = "job key for every log given (default: from sic.job or the app name)"},
    {.name = "job-pattern", .kind = SIC_OPT_STRING, .dest = &r.pattern, .metavar = "ERE", .help = "extra regular expression removed from app names to form the job key"},
    {.name = "no-job-normalize", .kind = SIC_OPT_FLAG, .dest = &no_normalize, .help = "job key = app name (plus --job-pattern)"},
    {.name = "core-hour-price", .kind = SIC_OPT_STRING, .dest = &price, .metavar = "P[:UNIT]",
     .help = "record each run's cost as core-hours x P (e.g. 0.048:USD)"},
    {.name = "no-analyze", .kind = SIC_OPT_FLAG, .dest = &no_analyze,
     .help = "store the logs without running the analysis (no findings; faster)"},
    {.name = "format", .kind = SIC_OPT_FORMAT, .dest = &r.format, .metavar = "FMT", .help = "text or json"},
    {.name = "follow", .kind = SIC_OPT_FLAG, .dest = &follow_on,
     .help = "keep polling each PATH or URI for new and changed logs; its watermark is kept in the store"},
    {.name = "interval", .kind = SIC_OPT_INT, .dest = &interval, .metavar = "SECONDS", .min = 0, .max = 86400,
     .help = "--follow: seconds between polls (default 30)"},
    {.name = "polls", .kind = SIC_OPT_INT, .dest = &polls, .metavar = "N", .min = 0, .max = INT32_MAX,
     .help = "--follow: stop after N polls (default: until SIGINT/SIGTERM)"},
    SIC_SOURCE_OPT_ROWS(&so),
  };
  const sic_cmd_spec spec = {
    "ingest", "PATH... [--store URL] [--store-tasks] [--format text|json]",
    "Load Spark event logs (files, rolling/legacy directories, zips, or directories of many logs; - = stdin),\n"
    "analyse them (the rules' findings are stored with the run) and record each application attempt in\n"
    "the history store. A log already stored (same SHA-256) is skipped; a changed log of a stored attempt\n"
    "replaces it, unless it is an incomplete copy of a complete one. Each attempt is written atomically.\n"
    "A PATH may be a URI (History Server, s3://, file://; see docs/sources.md).",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, -1};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0;
  if (!pos) return SIC_EXIT_INPUT;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) {
    free(pos);
    return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  }
  sic_sources_set_defaults(&so);
  r.analyze = !no_analyze;
  if (price) {
    char *end = NULL;
    r.opts.core_hour_price = strtod(price, &end);
    if (end == price || !(r.opts.core_hour_price > 0) || (*end && *end != ':') || (*end == ':' && !end[1])) {
      sic_args_usage_error(&spec, "--core-hour-price '%s': expected a positive number, optionally :UNIT", price);
      free(pos);
      return SIC_EXIT_USAGE;
    }
    r.opts.cost_unit = *end == ':' ? end + 1 : "USD";
  }
  r.opts.job_key = job;
  r.rules.patterns = r.pattern ? &r.pattern : NULL;
  r.rules.npatterns = r.pattern ? 1 : 0;
  r.rules.no_defaults = no_normalize;
  r.opts.jobkey_rules = &r.rules;
  char probe[8];
  sic_err err = {0};
  if (r.pattern && sic_jobkey_from_name("x", &r.rules, probe, sizeof probe, &err)) {
    free(pos);
    sic_args_usage_error(&spec, "%s", err.msg);
    return SIC_EXIT_USAGE;
  }
  /* One line per log as it is done, even into a pipe or a file, not a block at exit. */
  if (r.format == SIC_FORMAT_TEXT) setvbuf(stdout, NULL, _IOLBF, 0);
  if (sic_store_open(url, &r.store, &err)) {
    fprintf(stderr, "sic ingest: %s\n", err.msg);
    free(pos);
    return SIC_EXIT_INPUT;
  }
  sic_jw_init(&r.json, SIC_JW_PRETTY);
  sic_jw_obj(&r.json);
  sic_jw_kstr(&r.json, "schema", "sic.ingest/1");
  sic_jw_kstr(&r.json, "store", sic_store_display_url(r.store));
  sic_jw_karr(&r.json, "logs");
  int nkafka = 0;
  for (int i = 0; i < npos; i++)
    if (sic_kafka_is_uri(pos[i])) {
      ingest_kafka(&r, pos[i], follow_on);
      nkafka++;
    }
  if (nkafka && nkafka < npos) fprintf(stderr, "sic ingest: kafka:// URIs are consumed first, then the other PATHs\n");
  char **rest = pos + 0;
  int nrest = 0;
  for (int i = 0; i < npos; i++)
    if (!sic_kafka_is_uri(pos[i])) rest[nrest++] = pos[i];
  if (follow_on && nrest) follow(&r, rest, nrest, (double)interval, (long)polls);
  else if (!follow_on)
    for (int i = 0; i < nrest; i++) ingest_path(&r, rest[i]);
  sic_jw_end(&r.json);
  sic_jw_kint(&r.json, "stored", r.stored);
  sic_jw_kint(&r.json, "unchanged", r.unchanged);
  sic_jw_kint(&r.json, "replaced", r.replaced);
  sic_jw_kint(&r.json, "kept", r.kept);
  sic_jw_kint(&r.json, "failed", r.failed);
  sic_part_stats parts;
  sic_sources_part_stats(&parts);
  sic_jw_kint(&r.json, "partsFetched", parts.fetched_parts);
  sic_jw_kint(&r.json, "partBytesFetched", parts.fetched_bytes);
  sic_jw_kint(&r.json, "partsFromCache", parts.cached_parts);
  sic_jw_end(&r.json);
  if (r.format == SIC_FORMAT_JSON && sic_jw_status(&r.json) == 0) printf("%s\n", r.json.buf);
  else if (r.format != SIC_FORMAT_JSON)
    fprintf(stderr, "%d stored, %d unchanged, %d replaced, %d kept (complete copy already stored), %d failed%s "
            "(store %s)\n", r.stored, r.unchanged, r.replaced, r.kept, r.failed,
            r.behind ? ", some older than the watermark" : "", sic_store_display_url(r.store));
  if (r.format != SIC_FORMAT_JSON && (parts.fetched_parts || parts.cached_parts))
    fprintf(stderr, "remote parts: %lld fetched (%lld bytes), %lld read from the part cache (%lld bytes)\n",
            (long long)parts.fetched_parts, (long long)parts.fetched_bytes, (long long)parts.cached_parts,
            (long long)parts.cached_bytes);
  sic_jw_free(&r.json);
  sic_store_close(r.store);
  free(pos);
  return r.failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}
