/* Shared option parsing for the commands that host Lua (repl, run; analyze may use it):
 * --scripts DIR and --set rule.ID.KEY=VALUE are repeatable, --config FILE, --budget-seconds S,
 * --budget-mb M. */
#include "lua/host_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int take_value(int argc, char **argv, int *i, const char *name, const char **out) {
  size_t n = strlen(name);
  if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') { *out = argv[*i] + n + 1; return 1; }
  if (strcmp(argv[*i], name)) return 0;
  if (*i + 1 >= argc) return -1;
  *out = argv[++*i];
  return 1;
}

int sic_host_cli_parse(int argc, char **argv, sic_host_cli *cli, int stop_at_positional, char *errbuf, size_t errlen) {
  memset(cli, 0, sizeof *cli);
  cli->dirs = calloc((size_t)argc + 1, sizeof *cli->dirs);
  cli->sets = calloc((size_t)argc + 1, sizeof *cli->sets);
  cli->positional = calloc((size_t)argc + 1, sizeof *cli->positional);
  if (!cli->dirs || !cli->sets || !cli->positional) { snprintf(errbuf, errlen, "out of memory"); return -1; }
  int only_positional = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int r;
    if (only_positional || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
      cli->positional[cli->npositional++] = argv[i];
      if (stop_at_positional) only_positional = 1;
      continue;
    }
    if (!strcmp(argv[i], "--")) { only_positional = 1; continue; }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { cli->help = 1; continue; }
    if ((r = take_value(argc, argv, &i, "--scripts", &v)) != 0) {
      if (r < 0) goto missing;
      cli->dirs[cli->ndirs++] = v;
    } else if ((r = take_value(argc, argv, &i, "--set", &v)) != 0) {
      if (r < 0) goto missing;
      cli->sets[cli->nsets++] = v;
    } else if ((r = take_value(argc, argv, &i, "--config", &v)) != 0) {
      if (r < 0) goto missing;
      cli->config = v;
    } else if ((r = take_value(argc, argv, &i, "--budget-seconds", &v)) != 0) {
      if (r < 0 || (cli->budget_seconds = atof(v)) <= 0) { snprintf(errbuf, errlen, "--budget-seconds needs a positive number"); return -1; }
    } else if ((r = take_value(argc, argv, &i, "--budget-mb", &v)) != 0) {
      if (r < 0 || (cli->budget_mb = atof(v)) <= 0) { snprintf(errbuf, errlen, "--budget-mb needs a positive number"); return -1; }
    } else {
      snprintf(errbuf, errlen, "unknown option '%s'", argv[i]);
      return -1;
    }
    continue;
  missing:
    snprintf(errbuf, errlen, "option '%s' needs a value", argv[i]);
    return -1;
  }
  return 0;
}

static int host_option_arity(const char *arg) {
  static const char *const with_value[] = {"--scripts", "--set", "--config", "--budget-seconds", "--budget-mb"};
  if (!strcmp(arg, "--no-rules")) return 0;
  for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++) {
    size_t n = strlen(with_value[i]);
    if (!strncmp(arg, with_value[i], n) && (arg[n] == 0 || arg[n] == '=')) return arg[n] == '=' ? 0 : 1;
  }
  return -1;
}

int sic_host_cli_extract(int *argc, char **argv, sic_host_cli *cli, char *errbuf, size_t errlen) {
  /* Collect the host options into a fake argv, parse that, keep the rest in order. */
  char **mine = calloc((size_t)*argc + 1, sizeof *mine);
  if (!mine) { snprintf(errbuf, errlen, "out of memory"); return -1; }
  int nmine = 1, nkeep = 1, no_rules = 0, end_of_options = 0;
  mine[0] = argv[0];
  for (int i = 1; i < *argc; i++) {
    int arity = end_of_options ? -1 : host_option_arity(argv[i]);
    if (!strcmp(argv[i], "--")) end_of_options = 1;
    if (arity < 0) { argv[nkeep++] = argv[i]; continue; }
    if (!strcmp(argv[i], "--no-rules")) { no_rules = 1; continue; }
    mine[nmine++] = argv[i];
    if (arity == 1) {
      if (i + 1 >= *argc) { snprintf(errbuf, errlen, "option '%s' needs a value", argv[i]); free(mine); return -1; }
      mine[nmine++] = argv[++i];
    }
  }
  argv[nkeep] = NULL;
  *argc = nkeep;
  int rc = sic_host_cli_parse(nmine, mine, cli, 0, errbuf, errlen);
  cli->no_rules = no_rules;
  free(mine);
  return rc;
}

void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->script_dirs = cli->dirs;
  opts->nscript_dirs = cli->ndirs;
  opts->sets = cli->sets;
  opts->nsets = cli->nsets;
  opts->config_path = cli->config;
  opts->budget_seconds = cli->budget_seconds;
  opts->budget_mb = cli->budget_mb;
}

int sic_host_cli_findings(const sic_host_cli *cli, const sic_app *app, const char *format, FILE *out,
                          char **json_out, sic_err *err) {
  if (json_out) *json_out = NULL;
  if (cli->no_rules) return SIC_OK;
  sic_lua_opts opts;
  sic_host_cli_opts(cli, &opts);
  char *text = NULL;
  int64_t n = 0;
  int rc = sic_lua_analyze_format(app, &opts, format, &text, &n, err);
  if (rc < 0) return rc;
  if (!strcmp(format, "json")) {
    if (json_out) *json_out = text;
    else free(text);
    return SIC_OK;
  }
  if (!strcmp(format, "md")) fprintf(out, "\n%s", text);
  else fprintf(out, "\nFindings\n--------\n%s\n", text);
  free(text);
  return SIC_OK;
}

void sic_host_cli_free(sic_host_cli *cli) {
  free(cli->dirs);
  free(cli->sets);
  free(cli->positional);
  memset(cli, 0, sizeof *cli);
}

const char *sic_host_cli_help =
  "  --scripts DIR         user script dir (agents/, rules/, graph.lua); repeatable, first wins;\n"
  "                        SIC_SCRIPTS (colon-separated) adds more after these\n"
  "  --set rule.ID.KEY=V   override a rule threshold or enable/disable it (KEY 'enabled'); repeatable\n"
  "  --config FILE         user config (default: SIC_CONFIG, else ./sic.lua when present)\n"
  "  --budget-seconds S    wall-clock budget per agent/rule (default 10)\n"
  "  --budget-mb M         memory budget per agent/rule in MiB (default 256)\n";
