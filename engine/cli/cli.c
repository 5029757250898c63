#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "sic_version.h"

int sic_cli_main(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
    printf("sic %s\n", SIC_VERSION_STRING);
    return 0;
  }
  fprintf(stderr, "usage: sic <command> [options]\n");
  return 2;
}
