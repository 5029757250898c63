/* sic history JOB : the runs of one job over time, from the history store.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "store/notes.h"
#include "store/store.h"

/* --failed: notifications `sic worker` gave up on (dead-lettered), newest first. */
static int print_failed(sic_store *s, int limit, sic_format format, sic_err *err) {
  if (format != SIC_FORMAT_JSON) return sic_store_failed_print(s, limit, stdout, err);
  char *json = NULL;
  int rc = sic_store_failed_json(s, limit, &json, err);
  if (!rc) printf("%s\n", json);
  free(json);
  return rc;
}

int sic_cmd_history(int argc, char **argv) {
  const char *url = NULL;
  int64_t limit = 0;
  sic_format format = SIC_FORMAT_TEXT;
  int failed = 0;
  const sic_opt opts[] = {
    {.name = "failed", .kind = SIC_OPT_FLAG, .dest = &failed,
     .help = "list the notifications the workers gave up on (dead-lettered), not a job's runs"},
    {.name = "store", .kind = SIC_OPT_STRING, .dest = &url, .metavar = "URL", .help = "sqlite:///path/sic.db or postgresql://... (default $SIC_STORE, "
                                              "then $XDG_DATA_HOME/sic/sic.db)"},
    {.name = "limit", .short_name = 'n', .kind = SIC_OPT_INT, .dest = &limit, .metavar = "N", .help = "only the newest N runs (default: all)", .min = 0, .max = 1000000},
    {.name = "format", .kind = SIC_OPT_FORMAT, .dest = &format, .metavar = "FMT", .help = "text or json"},
  };
  const sic_cmd_spec spec = {
    "history", "JOB|--failed [--store URL] [--limit N] [--format text|json]",
    "Show the stored runs of a job, oldest first: start, duration, cost (core-hours when no price is\n"
    "known), input size, executors, worst stage skew and the most severe findings. JOB is a job key\n"
    "(see `sic ingest --help`), an application name or an application id.",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, 1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  if (npos != !failed) {
    sic_args_usage_error(&spec, failed ? "--failed takes no JOB" : "a JOB is required (or --failed)");
    return SIC_EXIT_USAGE;
  }
  sic_store *s = NULL;
  sic_err err = {0};
  if (sic_store_open(url, &s, &err)) {
    fprintf(stderr, "sic history: %s\n", err.msg);
    return SIC_EXIT_INPUT;
  }
  int exit_code = SIC_EXIT_OK;
  if (failed) {
    rc = print_failed(s, (int)limit, format, &err);
  } else if (format == SIC_FORMAT_JSON) {
    char *json = NULL;
    rc = sic_store_history_json(s, pos[0], (int)limit, &json, &err);
    if (!rc) printf("%s\n", json);
    free(json);
  } else {
    sic_store_runs runs;
    rc = sic_store_history(s, pos[0], (int)limit, &runs, &err);
    if (!rc) sic_store_runs_print(stdout, &runs);
    sic_store_runs_free(&runs);
  }
  if (rc) {
    fprintf(stderr, "sic history: %s\n", err.msg);
    exit_code = SIC_EXIT_INPUT;
  }
  sic_store_close(s);
  return exit_code;
}
