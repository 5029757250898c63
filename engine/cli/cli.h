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
int sic_cmd_worker(int argc, char **argv);       /* cmd_worker.c (fleet) */
int sic_cmd_watch(int argc, char **argv);        /* cmd_watch.c (fleet) */
int sic_cmd_api(int argc, char **argv);          /* cmd_api.c (shs) */
int sic_cmd_analyze(int argc, char **argv);      /* cmd_analyze.c (analyze) */
int sic_cmd_delta(int argc, char **argv);        /* cmd_delta.c (delta) */
int sic_cmd_example(int argc, char **argv);      /* cmd_example.c (analyze) */
int sic_cmd_history(int argc, char **argv);      /* cmd_history.c (store) */
int sic_cmd_ingest(int argc, char **argv);       /* cmd_ingest.c (store) */
int sic_cmd_regressions(int argc, char **argv);  /* cmd_regressions.c (store) */
int sic_cmd_store(int argc, char **argv);        /* cmd_store.c (store) */
int sic_cmd_kb(int argc, char **argv);           /* cmd_kb.c (rag) */
int sic_cmd_logs(int argc, char **argv);         /* cmd_logs.c (readers) */
int sic_cmd_ask(int argc, char **argv);          /* cmd_ask.c (rag) */
int sic_cmd_repl(int argc, char **argv);         /* cmd_repl.c (lua) */
int sic_cmd_run(int argc, char **argv);          /* cmd_run.c (lua) */
int sic_cmd_rules(int argc, char **argv);        /* cmd_rules.c (rules) */
int sic_cmd_train(int argc, char **argv);        /* cmd_train.c (ml) */
int sic_cmd_predict(int argc, char **argv);      /* cmd_predict.c (ml) */
int sic_cmd_serve(int argc, char **argv);        /* cmd_serve.c (http) */
#endif
