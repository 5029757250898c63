/* sic command-line entry point: dispatches to engine/cli/cmd_*.c. */
#include <stdio.h>
#include "cli/cli.h"

int main(int argc, char **argv) { return sic_cli_main(argc, argv); }
