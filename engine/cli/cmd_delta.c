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
  sic_args_list logs = {0};
  sic_format format = SIC_FORMAT_TEXT;
  const char *now = NULL;
  const sic_opt table[] = {
      SIC_OPT_VALUES_ROW("logs", 0, &logs, "EVENTLOG", "event logs (files or directories) whose SQL scans read the tables"),
      SIC_OPT_VALUES_ROW("tables", 0, &cli.tables, "TABLE", "more tables (after --logs)"),
      SIC_OPT_STRING_ROW("now", 0, &now, "T",
                         "'now' for VACUUM (ms since the epoch or YYYY-MM-DD[THH:MM:SS], UTC); default: the table's "
                         "last commit"),
      SIC_OPT_FORMAT_ROW(&format, "text (default), json (sic.delta/1), md, html"),
      SIC_HOST_OPT_ROWS(&cli),
  };
  const sic_cmd_spec spec = {
      "delta", "TABLE... [--logs EVENTLOG...] [--now T] [--format text|json|md|html] [options]",
      "Replay each Delta table's _delta_log (JSON commits, checkpoints, V2 sidecars) and advise on its\n"
      "health and layout: small files and what OPTIMIZE would do, partitioning, Z-ORDER / liquid\n"
      "clustering columns from the filters the event logs' scans apply to the table, data skipping,\n"
      "VACUUM, log and checkpoints, deletion vectors, protocol features, and what it is worth.",
      table, sizeof table / sizeof table[0],
      SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON) | SIC_FORMAT_MASK(SIC_FORMAT_MD) |
          SIC_FORMAT_MASK(SIC_FORMAT_HTML),
      0, -1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  /* TABLEs: the positional ones, then those after --tables */
  const char **tables = calloc((size_t)argc + 1, sizeof *tables);
  int ntables = 0;
  if (rc == SIC_ARGS_OK && !tables) {
    fprintf(stderr, "sic delta: out of memory\n");
    sic_args_release(&spec);
    return SIC_EXIT_INPUT;
  }
  for (int i = 0; rc == SIC_ARGS_OK && i < npos; i++) tables[ntables++] = pos[i];
  for (int i = 0; rc == SIC_ARGS_OK && i < cli.tables.n; i++) tables[ntables++] = cli.tables.v[i];
  if (rc == SIC_ARGS_OK && !ntables) rc = sic_args_usage_error(&spec, "missing TABLE");
  if (rc == SIC_ARGS_OK && now && (cli.now_ms = parse_now(now)) <= 0)
    rc = sic_args_usage_error(&spec, "--now takes ms since the epoch or YYYY-MM-DD[THH:MM:SS] (got %s)", now);
  if (rc != SIC_ARGS_OK) {
    free(tables);
    return sic_args_exit(&spec, rc);
  }
  sic_lua_opts opts;
  sic_host_cli_opts(&cli, &opts);
  opts.tables = tables;
  opts.ntables = ntables;
  char *out = NULL;
  int64_t failed = 0;
  sic_err err = {0};
  if (sic_lua_delta_report(&opts, sic_format_name(format), logs.v, logs.n, &out, &failed, &err) < 0) {
    fprintf(stderr, "sic delta: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
  } else {
    fputs(out, stdout);
    if (out[0] && out[strlen(out) - 1] != '\n') fputc('\n', stdout);
    free(out);
    rc = failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
  }
  free(tables);
  sic_args_release(&spec);
  return rc;
}
