/* The sic command line. Exit codes (DESIGN.md): 0 ran, 1 bad input, 2 usage error. */
#ifndef SIC_CLI_H
#define SIC_CLI_H
int sic_cli_main(int argc, char **argv);
#endif
