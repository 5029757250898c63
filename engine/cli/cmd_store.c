/* sic store retention --older-than YYYY-MM : drop the task rows of old months from the history
 * store (engine/store/partition.c). `store` takes a subcommand so that later maintenance verbs
 * have a home; retention is the only one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "store/store.h"

/* "YYYY-MM" -> YYYYMM, 0 when malformed. */
static int parse_month(const char *s) {
  int y = 0, m = 0, n = 0;
  if (!s || sscanf(s, "%4d-%2d%n", &y, &m, &n) != 2 || s[n] || strlen(s) != 7 || y < 1970 || m < 1 || m > 12)
    return 0;
  return y * 100 + m;
}

static void print_text(const sic_store_retention *r, int before, int dry_run, const char *url) {
  const char *verb = dry_run ? "would drop" : "dropped";
  if (!r->n) printf("no task rows older than %04d-%02d in %s\n", before / 100, before % 100, url);
  int64_t rows = 0;
  for (size_t i = 0; i < r->n; i++) {
    const sic_store_retention_month *m = &r->months[i];
    rows += m->task_rows;
    if (r->partitioned)
      printf("%s %04d-%02d: partition tasks_%06d, %lld task rows", verb, m->month / 100, m->month % 100, m->month,
             (long long)m->task_rows);
    else
      printf("%s %04d-%02d: %lld task rows deleted", verb, m->month / 100, m->month % 100, (long long)m->task_rows);
    if (!dry_run) printf(" of %lld run%s", (long long)m->attempts, m->attempts == 1 ? "" : "s");
    printf("\n");
  }
  if (r->n)
    printf("%s %zu month%s, %lld task rows, from %s; the runs themselves are kept\n", verb, r->n,
           r->n == 1 ? "" : "s", (long long)rows, url);
}

static void print_json(const sic_store_retention *r, int before, int dry_run, const char *backend) {
  printf("{\"schema\":\"sic.retention/1\",\"backend\":\"%s\",\"olderThan\":\"%04d-%02d\",\"dryRun\":%s,"
         "\"partitioned\":%s,\"months\":[",
         backend, before / 100, before % 100, dry_run ? "true" : "false", r->partitioned ? "true" : "false");
  for (size_t i = 0; i < r->n; i++) {
    const sic_store_retention_month *m = &r->months[i];
    printf("%s{\"month\":\"%04d-%02d\",\"taskRows\":%lld,\"runs\":%lld}", i ? "," : "", m->month / 100,
           m->month % 100, (long long)m->task_rows, (long long)m->attempts);
  }
  printf("]}\n");
}

static int cmd_retention(int argc, char **argv) {
  const char *url = NULL, *older = NULL;
  int dry_run = 0;
  sic_format format = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    SIC_OPT_STRING_ROW("older-than", 0, &older, "YYYY-MM",
                       "drop the task rows of applications that started before this month (UTC)"),
    SIC_OPT_FLAG_ROW("dry-run", 0, &dry_run, "only list the months and their row counts"),
    SIC_OPT_STRING_ROW("store", 0, &url, "URL", "sqlite:///path/sic.db or postgresql://... (default $SIC_STORE)"),
    SIC_OPT_FORMAT_ROW(&format, "text or json"),
  };
  const sic_cmd_spec spec = {
    "store retention", "--older-than YYYY-MM [--dry-run] [--store URL] [--format text|json]",
    "Drop the task rows (--store-tasks) of every month before --older-than, in one transaction, and\n"
    "say what was dropped. Months are those of the applications' start. On PostgreSQL each month\n"
    "is a partition of the tasks table, detached and dropped whole; on SQLite its rows are deleted.\n"
    "The runs (history, regressions, findings) are kept, marked as without task rows. Task rows of\n"
    "applications whose log states no start time are never dropped.",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, 0};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  int before = parse_month(older);
  if (!before) {
    if (older)
      sic_args_usage_error(&spec, "--older-than '%s': expected YYYY-MM, e.g. 2026-01", older);
    else
      sic_args_usage_error(&spec, "--older-than YYYY-MM is required");
    return SIC_EXIT_USAGE;
  }
  sic_store *s = NULL;
  sic_err err = {0};
  if (sic_store_open(url, &s, &err)) {
    fprintf(stderr, "sic store retention: %s\n", err.msg);
    return SIC_EXIT_INPUT;
  }
  sic_store_retention r;
  rc = sic_store_retention_run(s, before, dry_run, &r, &err);
  if (rc) {
    fprintf(stderr, "sic store retention: %s\n", err.msg);
  } else if (format == SIC_FORMAT_JSON) {
    print_json(&r, before, dry_run, sic_store_backend(s));
  } else {
    print_text(&r, before, dry_run, sic_store_display_url(s));
  }
  sic_store_retention_free(&r);
  sic_store_close(s);
  return rc ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}

static void store_help(FILE *f) {
  fprintf(f, "usage: sic store SUBCOMMAND [options]\n\n"
             "Maintenance of the history store.\n\n"
             "subcommands:\n"
             "  retention --older-than YYYY-MM   drop the task rows of older months (see sic store retention --help)\n");
}

int sic_cmd_store(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    store_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? SIC_EXIT_USAGE : SIC_EXIT_OK;
  }
  if (!strcmp(argv[1], "retention")) return cmd_retention(argc - 1, argv + 1);
  fprintf(stderr, "sic store: unknown subcommand '%s'\n", argv[1]);
  store_help(stderr);
  return SIC_EXIT_USAGE;
}
