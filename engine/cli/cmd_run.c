/* sic run SCRIPT [ARGS...]: run a Lua script with the engine loaded (`sic` global, same
 * environment as the REPL). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"

int sic_cmd_run(int argc, char **argv) {
  sic_host_cli cli;
  memset(&cli, 0, sizeof cli);
  const sic_opt table[] = {SIC_HOST_OPT_ROWS(&cli)};
  const sic_cmd_spec spec = {
      "run", "[options] SCRIPT [ARGS...]",
      "Run a Lua script with the sic engine loaded: `sic` is a global (sic.load, sic.analyze,\n"
      "sic.stats, ...), arguments are in `arg` and `...`. Errors print a traceback; exit 1.\n"
      "Options go before SCRIPT: everything after it is the script's.",
      table, sizeof table / sizeof table[0], 0, 1, -1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, rc = sic_args_parse_flags(&spec, SIC_ARGS_STOP_AT_POSITIONAL, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return sic_args_exit(&spec, rc);
  lua_State *L = sic_host_cli_state(&spec, &cli);
  if (!L) {
    sic_args_release(&spec);
    return SIC_EXIT_INPUT;
  }
  sic_err err = {0};
  rc = sic_lua_run_file(L, pos[0], npos - 1, pos + 1, &err) < 0 ? SIC_EXIT_INPUT : SIC_EXIT_OK;
  if (rc != SIC_EXIT_OK) fprintf(stderr, "sic run: %s\n", err.msg);
  fflush(stdout);
  sic_lua_free(L);
  sic_args_release(&spec);
  return rc;
}
