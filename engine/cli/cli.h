/* The sic command line: one cmd_<name>.c per command, listed in the table in cli.c.
 * Exit codes (DESIGN.md): 0 ran (findings are data), 1 bad input, 2 usage error. */
#ifndef SIC_CLI_H
#define SIC_CLI_H

enum { SIC_EXIT_OK = 0, SIC_EXIT_INPUT = 1, SIC_EXIT_USAGE = 2 };

typedef struct sic_command {
  const char *name;                        /* word after `sic` */
  const char *summary;                     /* one line for `sic --help` */
  int (*run)(int argc, char **argv);       /* argv[0] is the command name; returns an exit code */
} sic_command;

int sic_cli_main(int argc, char **argv);

/* Commands (each defined in its own cmd_<name>.c). */
int sic_cmd_version(int argc, char **argv);
#endif
