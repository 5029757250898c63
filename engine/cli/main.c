/* sic command-line entry point: dispatches to engine/cli/cmd_*.c. */
#include <stdio.h>
#include "cli/cli.h"
#include "lua/lua_host.h"

int main(int argc, char **argv) {
  sic_components_init();  /* plug the built components' Lua modules into the host */
  return sic_cli_main(argc, argv);
}
