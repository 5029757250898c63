/* sic regressions : runs that got significantly slower or costlier than their job's recent
 * baseline, with the likely cause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "store/store.h"

/* --since: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or "YYYY-MM-DD HH:MM[:SS]" (UTC), or Nd / Nh ago. */
static int parse_since(const char *s, int64_t *ms) {
  char *end;
  long n = strtol(s, &end, 10);
  if (end != s && n >= 0 && (!strcmp(end, "d") || !strcmp(end, "h"))) {
    *ms = ((int64_t)time(NULL) - (int64_t)n * (*end == 'd' ? 86400 : 3600)) * 1000;
    return 0;
  }
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                           "%Y-%m-%d"};
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(s, formats[i], &tm);
    if (rest && (!*rest || !strcmp(rest, "Z"))) {
      *ms = (int64_t)timegm(&tm) * 1000;
      return 0;
    }
  }
  return -1;
}

int sic_cmd_regressions(int argc, char **argv) {
  const char *url = NULL, *since = NULL, *job = NULL;
  int64_t baseline = 10, min_runs = 4;
  sic_format format = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {.name = "since", .kind = SIC_OPT_STRING, .dest = &since, .metavar = "DATE", .help = "only runs started at/after DATE (YYYY-MM-DD[THH:MM[:SS]] UTC, or 7d / 12h ago)"},
    {.name = "store", .kind = SIC_OPT_STRING, .dest = &url, .metavar = "URL", .help = "sqlite:///path/sic.db or postgresql://... (default $SIC_STORE, "
                                              "then $XDG_DATA_HOME/sic/sic.db)"},
    {.name = "job", .kind = SIC_OPT_STRING, .dest = &job, .metavar = "JOB", .help = "only this job (job key, app name or app id)"},
    {.name = "baseline", .kind = SIC_OPT_INT, .dest = &baseline, .metavar = "N", .help = "previous runs forming the baseline (default 10)", .min = 2, .max = 1000},
    {.name = "min-runs", .kind = SIC_OPT_INT, .dest = &min_runs, .metavar = "N", .help = "fewer previous runs: no verdict (default 4)", .min = 2, .max = 1000},
    {.name = "format", .kind = SIC_OPT_FORMAT, .dest = &format, .metavar = "FMT", .help = "text or json"},
  };
  const sic_cmd_spec spec = {
    "regressions", "[--since DATE] [--store URL] [--job JOB] [--format text|json]",
    "Find runs that were significantly slower or costlier than their job's recent baseline. The test\n"
    "is robust: a run is flagged when (value - median) / (1.4826 * MAD) over the previous N runs is at\n"
    "least 3.5 and the value is at least 1.25x the median. For each, the likely causes are listed:\n"
    "input growth, Spark config changes since the previous run, new skew, fewer executors, failures.\n"
    "Runs whose log is incomplete take no part (their duration and cost are partial).",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, 0};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_regress_opts o;
  sic_regress_opts_init(&o);
  o.job = job;
  o.baseline_runs = (int)baseline;
  o.min_runs = (int)min_runs;
  if (since && parse_since(since, &o.since_ms)) {
    sic_args_usage_error(&spec, "--since '%s': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], Nd or Nh", since);
    return SIC_EXIT_USAGE;
  }
  sic_store *s = NULL;
  sic_err err = {0};
  if (sic_store_open(url, &s, &err)) {
    fprintf(stderr, "sic regressions: %s\n", err.msg);
    return SIC_EXIT_INPUT;
  }
  if (format == SIC_FORMAT_JSON) {
    char *json = NULL;
    rc = sic_store_regressions_json(s, &o, &json, &err);
    if (!rc) printf("%s\n", json);
    free(json);
  } else {
    sic_regressions regs;
    rc = sic_store_regressions(s, &o, &regs, &err);
    if (!rc) sic_regressions_print(stdout, &regs, &o);
    sic_regressions_free(&regs);
  }
  if (rc) fprintf(stderr, "sic regressions: %s\n", err.msg);
  sic_store_close(s);
  return rc ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}
