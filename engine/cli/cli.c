#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli/suggest.h"
#include "sic_version.h"
#include "sources/source.h"

/* Commands of optional components (cli.cmake leaves their files out when the component is
 * not built): they stay listed and say why they are missing. */
#if !defined(SIC_HAVE_RAG) || !defined(SIC_HAVE_ML_TRAIN)
static int unavailable(const char *command, const char *why) {
  fprintf(stderr, "sic %s: not built into this sic (%s)\n", command, why);
  return SIC_EXIT_USAGE;
}
#endif
#ifdef SIC_HAVE_RAG
#define CMD_ASK sic_cmd_ask
#define CMD_KB sic_cmd_kb
#else
static int no_ask(int argc, char **argv) { return unavailable("ask", "configured with SIC_WITH_FAISS=OFF"); }
static int no_kb(int argc, char **argv) { return unavailable("kb", "configured with SIC_WITH_FAISS=OFF"); }
#define CMD_ASK no_ask
#define CMD_KB no_kb
#endif
#ifdef SIC_HAVE_ML_TRAIN
#define CMD_TRAIN sic_cmd_train
#else
static int no_train(int argc, char **argv) { return unavailable("train", "configured with SIC_WITH_XGBOOST=OFF"); }
#define CMD_TRAIN no_train
#endif

/* Add new commands here, keeping the list alphabetical. */
static const sic_command commands[] = {
  {"api", "what the Spark History Server REST API returns for a path over a log dir", sic_cmd_api},
  {"analyze", "summarise Spark applications from their event logs", sic_cmd_analyze},
  {"ask", "answer a question from the docs knowledge base (and an app's findings)", CMD_ASK},
  {"delta", "Delta table health and layout advice from _delta_log, tied to the scans of event logs", sic_cmd_delta},
  {"example", "write a generated Spark 3.5 event log with problems to find", sic_cmd_example},
  {"history", "runs of a job over time, from the history store", sic_cmd_history},
  {"ingest", "record event logs in the history store (SQLite or PostgreSQL)", sic_cmd_ingest},
  {"kb", "documentation knowledge base: ingest, search (BM25 + dense), stats", CMD_KB},
  {"logs", "event logs found under a path: layout, parts, codecs; --check reads them, --cat decompresses", sic_cmd_logs},
  {"predict", "predict an application's runtime (stage GBDT + DAG simulation) with an interval, what-if executors/cores/input", sic_cmd_predict},
  {"regressions", "runs significantly slower or costlier than their job's baseline, and why", sic_cmd_regressions},
  {"repl", "interactive LuaJIT prompt with the engine loaded (sic.load, sic.analyze, ...)", sic_cmd_repl},
  {"rules", "write, check, test and explain Lua rules: list, new, check, test, explain", sic_cmd_rules},
  {"run", "run a Lua script with the engine loaded", sic_cmd_run},
  {"serve", "HTTP service: History Server REST API, metrics, OpenAPI and web UI over a log dir", sic_cmd_serve},
  {"store", "history store maintenance: retention drops old months of task rows (PostgreSQL partitions)", sic_cmd_store},
  {"train", "train the runtime predictor from event logs (grouped CV vs baselines, model file)", CMD_TRAIN},
  {"version", "print the version", sic_cmd_version},
  {"watch", "poll History Servers/buckets/dirs and publish one Kafka notification per new or grown log", sic_cmd_watch},
  {"worker", "Kafka consumer-group member: notified logs analysed and stored once each, dead-letter topic, /metrics", sic_cmd_worker},
};

static void usage(FILE *out) {
  fprintf(out, "usage: sic <command> [options]   (sic <command> --help for details)\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int sic_cmd_version(int argc, char **argv) {
  printf("sic %s (abi %d)\n", SIC_VERSION_STRING, SIC_ABI_VERSION);
  return SIC_EXIT_OK;
}

int sic_cli_main(int argc, char **argv) {
  sic_sources_init(); /* every command taking a PATH also takes a URI */
  if (argc < 2) {
    usage(stderr);
    return SIC_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return SIC_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) return sic_cmd_version(argc - 1, argv + 1);
  size_t n = sizeof commands / sizeof commands[0];
  char american[64];
  for (size_t i = 0; i < n; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  /* British spellings are aliases: `sic analyse` runs analyze */
  if (sic_americanize(argv[1], strlen(argv[1]), american, sizeof american))
    for (size_t i = 0; i < n; i++)
      if (!strcmp(american, commands[i].name)) {
        argv[1] = (char *)commands[i].name;
        return commands[i].run(argc - 1, argv + 1);
      }
  const char *names[sizeof commands / sizeof commands[0]];
  for (size_t i = 0; i < n; i++) names[i] = commands[i].name;
  const char *near = sic_suggest(argv[1], strlen(argv[1]), names, n);
  if (near) {
    fprintf(stderr, "sic: unknown command '%s'; did you mean '%s'?\n(see 'sic --help')\n", argv[1], near);
    return SIC_EXIT_USAGE;
  }
  fprintf(stderr, "sic: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return SIC_EXIT_USAGE;
}
