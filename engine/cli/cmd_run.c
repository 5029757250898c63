/* sic run SCRIPT [ARGS...]: run a Lua script with the engine loaded (`sic` global, same
 * environment as the REPL). */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/args.h"

static void run_help(FILE *out) {
  fprintf(out, "usage: sic run [options] SCRIPT [ARGS...]\n\n"
               "Run a Lua script with the sic engine loaded: `sic` is a global (sic.load, sic.analyze,\n"
               "sic.stats, ...), arguments are in `arg` and `...`. Errors print a traceback; exit 1.\n\n"
               "options:\n%s", sic_host_cli_help);
}

int sic_cmd_run(int argc, char **argv) {
  sic_host_cli cli;
  char msg[256];
  int rc = SIC_EXIT_USAGE;
  if (sic_host_cli_parse(argc, argv, &cli, 1, msg, sizeof msg) < 0) {
    fprintf(stderr, "sic run: %s (see sic run --help)\n", msg);
    goto done;
  }
  if (cli.help) { run_help(stdout); rc = SIC_EXIT_OK; goto done; }
  if (cli.npositional < 1) { fprintf(stderr, "sic run: missing SCRIPT (see sic run --help)\n"); goto done; }
  sic_lua_opts opts;
  sic_host_cli_opts(&cli, &opts);
  sic_err err = {0};
  lua_State *L = NULL;
  if (sic_lua_new(&opts, &L, &err) < 0) {
    fprintf(stderr, "sic run: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
    goto done;
  }
  rc = sic_lua_run_file(L, cli.positional[0], cli.npositional - 1, cli.positional + 1, &err) < 0 ? SIC_EXIT_INPUT : SIC_EXIT_OK;
  if (rc != SIC_EXIT_OK) fprintf(stderr, "sic run: %s\n", err.msg);
  fflush(stdout);
  sic_lua_free(L);
done:
  sic_host_cli_free(&cli);
  return rc;
}
