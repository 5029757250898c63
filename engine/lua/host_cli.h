/* Command-line options shared by commands that host Lua (repl, run, analyze): --scripts,
 * --set (both repeatable), --config, --budget-seconds, --budget-mb. Owner: lua engineer.
 * Ownership: the arrays are malloc'ed by sic_host_cli_parse() and released by
 * sic_host_cli_free(); the strings point into argv. */
#ifndef SIC_LUA_HOST_CLI_H
#define SIC_LUA_HOST_CLI_H

#include <stddef.h>

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
} sic_host_cli;

/* Parse argv[1..argc). With stop_at_positional, everything after the first positional is
 * positional too (sic run SCRIPT ARGS...). Returns 0, or -1 with a message in errbuf. */
int sic_host_cli_parse(int argc, char **argv, sic_host_cli *cli, int stop_at_positional, char *errbuf, size_t errlen);
/* Fill opts from the parsed options (pointers stay owned by cli). */
void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts);
void sic_host_cli_free(sic_host_cli *cli);
/* Help lines describing the options above. */
extern const char *sic_host_cli_help;

#endif
