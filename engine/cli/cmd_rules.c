/* `sic rules list|new|check|test|explain`: tools for rule authors (issue 17). The commands
 * are written in Lua (scripts/lib/sic/rules_cli.lua) over the same engine the analysis uses;
 * this file parses the options (the command's and the host's: --scripts, --set, --config,
 * budgets) and runs it.
 * Exit status: what the Lua side leaves in the global SIC_EXIT (0 ok, 1 problems found or an
 * input error, 2 usage). */
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "lua/lua_host.h"

int sic_cmd_rules(int argc, char **argv) {
  sic_host_cli cli;
  memset(&cli, 0, sizeof cli);
  sic_format format = SIC_FORMAT_TEXT;
  const char *applies_to = NULL, *dir = NULL;
  const sic_opt table[] = {
      SIC_OPT_FORMAT_ROW(&format, "machine-readable output for every command with json (default text)"),
      SIC_OPT_STRING_ROW("applies-to", 0, &applies_to, "K", "new: what the rule looks at: app|job|stage|executor|sql|table "
                         "(default stage)"),
      SIC_OPT_STRING_ROW("dir", 0, &dir, "DIR", "new: where to write the rule set and its spec (default ./sic-rules)"),
      SIC_HOST_OPT_ROWS(&cli),
  };
  const sic_cmd_spec spec = {
      "rules", "COMMAND [ARGS] [--format text|json] [options]",
      "Write, check, test and explain Lua rules (docs/rules.md).\n\n"
      "  list                      every loaded rule: id, source file, thresholds, effective overrides\n"
      "  new NAME [--applies-to K] [--dir DIR]\n"
      "                            write DIR/rules/NAME.lua (a commented rule set) and DIR/spec/NAME_spec.lua\n"
      "  check FILE...             load each rule set in the sandbox and validate it; problems as file:line\n"
      "  test FILE LOG...          run just FILE's rules on the logs: what fired (evidence) and what did\n"
      "                            not (the nearest threshold that would have made it fire)\n"
      "  explain ID LOG            why the loaded rule ID fired or not on LOG\n"
      "  reference                 the generated reference of ctx, model views and finding fields (markdown)\n"
      "  env                       shell lines putting sic.testing on LUA_PATH (eval \"$(sic rules env)\"; busted)",
      table, sizeof table / sizeof table[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, -1};
  char *pos[argc + 3];
  int npos = 0, rc = sic_args_parse(&spec, argc, argv, pos + 3, &npos);
  if (rc == SIC_ARGS_OK && (npos == 0 || !strcmp(pos[3], "help"))) {
    sic_args_help(&spec, npos ? stdout : stderr);
    rc = npos ? SIC_ARGS_HELP : SIC_ARGS_USAGE;
  }
  if (rc != SIC_ARGS_OK) return sic_args_exit(&spec, rc);
  lua_State *L = sic_host_cli_state(&spec, &cli);
  if (!L) {
    sic_args_release(&spec);
    return SIC_EXIT_INPUT;
  }
  sic_err err = {0};
  /* rules_cli.lua's arguments: the parsed options first ("" when absent), then COMMAND ARGS */
  pos[0] = (char *)sic_format_name(format);
  pos[1] = (char *)(applies_to ? applies_to : "");
  pos[2] = (char *)(dir ? dir : "");
  char path[4096];
  snprintf(path, sizeof path, "%s/lib/sic/rules_cli.lua", sic_lua_builtin_scripts());
  if (sic_lua_run_file(L, path, npos + 3, pos, &err) < 0) {
    fprintf(stderr, "sic rules: %s\n", err.msg);
    rc = SIC_EXIT_INPUT;
  } else {
    lua_getglobal(L, "SIC_EXIT");
    rc = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : SIC_EXIT_OK;
    lua_pop(L, 1);
  }
  fflush(stdout);
  sic_lua_free(L);
  sic_args_release(&spec);
  return rc;
}
