/* `sic delta TABLE... [--logs EVENTLOG...] [--now T] [--format text|json|md|html]`: replay
 * each Delta table's log (engine/delta) and run the Delta agent (scripts/agents/delta.lua,
 * rules in scripts/rules/delta_rules.lua) over it, with the scans of the given event logs.
 * JSON is the sic.delta/1 document.
 *
 * Exit status: 0 when every table was analysed (findings are data), 1 when a table or log
 * could not be read (reported in the document and on stderr), 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "lua/lua_host.h"

static void delta_help(FILE *out) {
  fprintf(out,
          "usage: sic delta TABLE... [--logs EVENTLOG...] [--now T] [--format text|json|md|html] [options]\n\n"
          "Replay each Delta table's _delta_log (JSON commits, checkpoints, V2 sidecars) and advise on its\n"
          "health and layout: small files and what OPTIMIZE would do, partitioning, Z-ORDER / liquid\n"
          "clustering columns from the filters the event logs' scans apply to the table, data skipping,\n"
          "VACUUM, log and checkpoints, deletion vectors, protocol features, and what it is worth.\n\n"
          "  --logs EVENTLOG...    event logs (files or directories) whose SQL scans read the tables\n"
          "  --now T               'now' for VACUUM (ms since the epoch or YYYY-MM-DD[THH:MM:SS], UTC);\n"
          "                        default: the table's last commit\n"
          "  --format F            text (default), json (sic.delta/1), md, html\n"
          "%s",
          sic_host_cli_help);
}

/* ms since the epoch from digits or an ISO date (UTC); -1 when neither. */
static int64_t parse_now(const char *s) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (*s && !*end && v > 0) return v;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *rest = strptime(s, "%Y-%m-%d", &tm);
  if (!rest) return -1;
  if (*rest == 'T' || *rest == ' ') rest = strptime(rest + 1, "%H:%M:%S", &tm);
  if (!rest || (*rest && strcmp(rest, "Z"))) return -1;
  return (int64_t)timegm(&tm) * 1000;
}

int sic_cmd_delta(int argc, char **argv) {
  sic_host_cli cli;
  memset(&cli, 0, sizeof cli);
  char msg[256];
  int rc = SIC_EXIT_USAGE;
  const char *format = "text";
  const char **tables = calloc((size_t)argc + 1, sizeof *tables);
  const char **logs = calloc((size_t)argc + 1, sizeof *logs);
  int ntables = 0, nlogs = 0, in_logs = 0;
  if (!tables || !logs) { fprintf(stderr, "sic delta: out of memory\n"); rc = SIC_EXIT_INPUT; goto done; }
  if (sic_host_cli_extract(&argc, argv, &cli, msg, sizeof msg) < 0) {
    fprintf(stderr, "sic delta: %s (see sic delta --help)\n", msg);
    goto done;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { delta_help(stdout); rc = SIC_EXIT_OK; goto done; }
    if (!strcmp(a, "--logs")) { in_logs = 1; continue; }
    if (!strcmp(a, "--tables")) { in_logs = 0; continue; }
    if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
      format = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
      if (!format || (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "md") && strcmp(format, "html"))) {
        fprintf(stderr, "sic delta: --format takes text, json, md or html\n");
        goto done;
      }
      continue;
    }
    if (!strcmp(a, "--now") || !strncmp(a, "--now=", 6)) {
      const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
      int64_t ms = v ? parse_now(v) : -1;
      if (ms <= 0) {
        fprintf(stderr, "sic delta: --now takes ms since the epoch or YYYY-MM-DD[THH:MM:SS] (got %s)\n", v ? v : "nothing");
        goto done;
      }
      cli.now_ms = ms;
      continue;
    }
    if (a[0] == '-' && a[1]) {
      fprintf(stderr, "sic delta: unknown option %s (see sic delta --help)\n", a);
      goto done;
    }
    if (in_logs) logs[nlogs++] = a;
    else tables[ntables++] = a;
  }
  if (!ntables) {
    fprintf(stderr, "sic delta: missing TABLE (see sic delta --help)\n");
    goto done;
  }
  sic_lua_opts opts;
  sic_host_cli_opts(&cli, &opts);
  opts.tables = tables;
  opts.ntables = ntables;
  char *out = NULL;
  int64_t failed = 0;
  sic_err err = {0};
  if (sic_lua_delta_report(&opts, format, logs, nlogs, &out, &failed, &err) < 0) {
    fprintf(stderr, "sic delta: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
    goto done;
  }
  fputs(out, stdout);
  if (out[0] && out[strlen(out) - 1] != '\n') fputc('\n', stdout);
  free(out);
  rc = failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
done:
  sic_host_cli_free(&cli);
  free(tables);
  free(logs);
  return rc;
}
