/* `sic rules list|new|check|test|explain`: tools for rule authors (issue 17). The commands
 * are written in Lua (scripts/lib/sic/rules_cli.lua) over the same engine the analysis uses;
 * this file only takes the host options (--scripts, --set, --config, budgets) and runs it.
 * Exit status: what the Lua side leaves in the global SIC_EXIT (0 ok, 1 problems found or an
 * input error, 2 usage). */
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "lua/lua_host.h"

static void rules_help(FILE *out) {
  fprintf(out,
          "usage: sic rules COMMAND [ARGS] [--format text|json] [options]\n\n"
          "Write, check, test and explain Lua rules (docs/rules.md).\n\n"
          "  list                      every loaded rule: id, source file, thresholds, effective overrides\n"
          "  new NAME [--applies-to K] [--dir DIR]\n"
          "                            write DIR/rules/NAME.lua (a commented rule set) and DIR/spec/NAME_spec.lua\n"
          "                            (default DIR: ./sic-rules; K: app|job|stage|executor|sql|table, default stage)\n"
          "  check FILE...             load each rule set in the sandbox and validate it; problems as file:line\n"
          "  test FILE LOG...          run just FILE's rules on the logs: what fired (evidence) and what did\n"
          "                            not (the nearest threshold that would have made it fire)\n"
          "  explain ID LOG            why the loaded rule ID fired or not on LOG\n"
          "  reference                 the generated reference of ctx, model views and finding fields (markdown)\n"
          "  env                       shell lines putting sic.testing on LUA_PATH (eval \"$(sic rules env)\"; busted)\n"
          "  --format json             machine-readable output for every command\n\n"
          "options:\n%s",
          sic_host_cli_help);
}

int sic_cmd_rules(int argc, char **argv) {
  sic_host_cli cli;
  memset(&cli, 0, sizeof cli);
  char msg[256];
  int rc = SIC_EXIT_USAGE;
  if (sic_host_cli_extract(&argc, argv, &cli, msg, sizeof msg) < 0) {
    fprintf(stderr, "sic rules: %s (see sic rules --help)\n", msg);
    goto done;
  }
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    rules_help(argc < 2 ? stderr : stdout);
    rc = argc < 2 ? SIC_EXIT_USAGE : SIC_EXIT_OK;
    goto done;
  }
  sic_lua_opts opts;
  sic_host_cli_opts(&cli, &opts);
  sic_err err = {0};
  lua_State *L = NULL;
  if (sic_lua_new(&opts, &L, &err) < 0) {
    fprintf(stderr, "sic rules: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
    goto done;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/lib/sic/rules_cli.lua", sic_lua_builtin_scripts());
  if (sic_lua_run_file(L, path, argc - 1, argv + 1, &err) < 0) {
    fprintf(stderr, "sic rules: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
  } else {
    lua_getglobal(L, "SIC_EXIT");
    rc = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : SIC_EXIT_OK;
    lua_pop(L, 1);
  }
  fflush(stdout);
  sic_lua_free(L);
done:
  sic_host_cli_free(&cli);
  return rc;
}
