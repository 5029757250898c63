/* Command-line options shared by commands that host Lua (repl, run, analyze): --scripts,
 * --set (both repeatable), --config, --budget-seconds, --budget-mb.
 * Ownership: the arrays are malloc'ed by sic_host_cli_parse() and released by
 * sic_host_cli_free(); the strings point into argv. */
#ifndef SIC_LUA_HOST_CLI_H
#define SIC_LUA_HOST_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "lua/lua_host.h"

typedef struct sic_host_cli {
  const char **dirs;        /* --scripts values, in order */
  int ndirs;                /* entries in dirs */
  const char **sets;        /* --set values */
  int nsets;                /* entries in sets */
  const char *config;       /* --config value or NULL */
  double budget_seconds;    /* --budget-seconds, 0 = default */
  double budget_mb;         /* --budget-mb, 0 = default */
  char **positional;        /* non-option arguments */
  int npositional;          /* entries in positional */
  int help;                 /* --help/-h seen */
  int no_rules;             /* --no-rules: skip the orchestration graph (sic analyze) */
} sic_host_cli;

/* Parse argv[1..argc). With stop_at_positional, everything after the first positional is
 * positional too (sic run SCRIPT ARGS...). Returns 0, or -1 with a message in errbuf. */
int sic_host_cli_parse(int argc, char **argv, sic_host_cli *cli, int stop_at_positional, char *errbuf, size_t errlen);
/* For commands with their own option parser (sic analyze): take the host options listed
 * above (and --no-rules) out of argv, shifting the rest down and updating *argc, so the
 * command's parser never sees them. --help is left in place. Returns 0, or -1 with a
 * message in errbuf (e.g. a missing value). */
int sic_host_cli_extract(int *argc, char **argv, sic_host_cli *cli, char *errbuf, size_t errlen);
/* sic analyze's findings section: run the graph over app (unless cli->no_rules). For "text"
 * and "md" the section is written to out; for "json" the sic.findings/1 document is returned
 * in *json_out (malloc'ed, caller frees; NULL with --no-rules). Returns 0 or a SIC_E* code
 * with err set (unusable scripts, bad --set, ...); failing rules are findings, not errors. */
int sic_host_cli_findings(const sic_host_cli *cli, const sic_app *app, const char *format, FILE *out,
                          char **json_out, sic_err *err);
/* Fill opts from the parsed options (pointers stay owned by cli). */
void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts);
void sic_host_cli_free(sic_host_cli *cli);
/* Help lines describing the options above. */
extern const char *sic_host_cli_help;

#endif
