/* Shared command-line conventions for every `sic <command>` (DESIGN.md, "Contracts: CLI").
 *
 * any command may use it.
 *
 * What it gives a command:
 *  - a declarative option table (sic_opt) parsed by sic_args_parse(): long options as
 *    `--name value` or `--name=value`, short aliases (`-o`), `--` to end options, `-` kept as a
 *    positional meaning stdin, `--help`/`-h` printing a generated usage text to stdout;
 *  - `--format text|json|md|html` as an option kind that also checks the formats a command
 *    actually renders;
 *  - terminal helpers: colour only on a TTY and never when NO_COLOR is set (no-color.org),
 *    progress output only when stderr is a TTY;
 *  - sic_args_spool_stdin(): copy stdin to a temporary file so readers that need a path
 *    (codec sniffing, mmap) work with `-`.
 *
 * Ownership: nothing here allocates except sic_args_spool_stdin (the caller unlinks the file).
 * Option destinations point into the caller's own variables. */
#ifndef SIC_CLI_ARGS_H
#define SIC_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "lua/lua_host.h"

/* Output formats named by --format. Bit i of a format mask is set when format i is offered. */
typedef enum sic_format {
  SIC_FORMAT_TEXT = 0,
  SIC_FORMAT_JSON,
  SIC_FORMAT_MD,
  SIC_FORMAT_HTML,
  SIC_FORMAT__COUNT
} sic_format;

#define SIC_FORMAT_MASK(f) (1u << (f))

typedef enum sic_opt_kind {
  SIC_OPT_FLAG = 0,    /* no value; dest is int*, set to 1 */
  SIC_OPT_STRING,      /* dest is const char**, pointing into argv */
  SIC_OPT_INT,         /* dest is int64_t*; decimal, must lie in [min, max] */
  SIC_OPT_FORMAT,      /* dest is sic_format*; value must be in the command's format mask */
  SIC_OPT_CHOICE       /* dest is const char**; value must be one of `choices` ("a|b|c") */
} sic_opt_kind;

typedef struct sic_opt {
  const char *name;     /* long name without dashes, e.g. "seed" */
  char short_name;      /* single-letter alias ('o' for -o), 0 = none */
  sic_opt_kind kind;    /* how the value is parsed */
  void *dest;           /* where the parsed value goes (type depends on kind) */
  const char *metavar;  /* value placeholder in help, e.g. "N"; NULL for flags */
  const char *help;     /* one line of help */
  int64_t min;          /* SIC_OPT_INT: smallest accepted value */
  int64_t max;          /* SIC_OPT_INT: largest accepted value */
  const char *choices;  /* SIC_OPT_CHOICE: accepted values separated by '|' */
} sic_opt;

/* Table rows with every field set (positional initializers that stop early trip
 * -Wmissing-field-initializers): */
#define SIC_OPT_FLAG_ROW(name, short_name, dest, help) \
  {(name), (short_name), SIC_OPT_FLAG, (dest), NULL, (help), 0, 0, NULL}
#define SIC_OPT_STRING_ROW(name, short_name, dest, metavar, help) \
  {(name), (short_name), SIC_OPT_STRING, (dest), (metavar), (help), 0, 0, NULL}
#define SIC_OPT_INT_ROW(name, short_name, dest, metavar, help, min, max) \
  {(name), (short_name), SIC_OPT_INT, (dest), (metavar), (help), (min), (max), NULL}
#define SIC_OPT_FORMAT_ROW(dest, help) {"format", 'f', SIC_OPT_FORMAT, (dest), NULL, (help), 0, 0, NULL}
#define SIC_OPT_CHOICE_ROW(name, short_name, dest, choices, help) \
  {(name), (short_name), SIC_OPT_CHOICE, (dest), NULL, (help), 0, 0, (choices)}

typedef struct sic_cmd_spec {
  const char *name;        /* command word, e.g. "analyze" */
  const char *synopsis;    /* after "usage: sic <name> ", e.g. "PATH... [--format text|json]" */
  const char *description; /* paragraph(s) printed under the usage line by --help */
  const sic_opt *opts;     /* option table (may be NULL) */
  size_t nopts;            /* entries in opts */
  unsigned formats;        /* SIC_FORMAT_MASK bits accepted by a SIC_OPT_FORMAT option */
  int min_positional;      /* fewest positional arguments accepted */
  int max_positional;      /* most positional arguments accepted, -1 = unlimited */
} sic_cmd_spec;

/* sic_args_parse results. */
enum {
  SIC_ARGS_OK = 0,     /* parsed; run the command */
  SIC_ARGS_HELP = 1,   /* --help was printed to stdout: exit 0 */
  SIC_ARGS_USAGE = 2   /* a usage error was printed to stderr: exit 2 */
};

/* Parse argv[1..argc) (argv[0] is the command word) against spec. Positional arguments are
 * stored in pos (capacity argc entries, pointers into argv) and counted in *npos. Prints help
 * or a usage error itself; returns SIC_ARGS_*. */
int sic_args_parse(const sic_cmd_spec *spec, int argc, char **argv, char **pos, int *npos);

/* Print "usage: sic <name> <synopsis>" plus description and options. */
void sic_args_help(const sic_cmd_spec *spec, FILE *out);

/* Print "sic <name>: <message>" and a hint to use --help to stderr; returns SIC_ARGS_USAGE. */
int sic_args_usage_error(const sic_cmd_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Format names: "text", "json", "md", "html". Parse returns -1 for unknown names. */
const char *sic_format_name(sic_format f);
int sic_format_parse(const char *name);

/* 1 when f is a terminal. */
int sic_is_tty(FILE *f);
/* 1 when coloured output should be written to f: f is a TTY, NO_COLOR is unset or empty and
 * TERM is not "dumb". */
int sic_color_enabled(FILE *f);

/* Copy stdin into a new temporary file; its path is written to path (size >= 64). Returns 0
 * or a SIC_E* code (err says why). The caller removes the file when done. */
int sic_args_spool_stdin(char *path, size_t size, sic_err *err);

/* ---- Options of the commands that host Lua (repl, run, analyze) ----
 * --scripts DIR and --set rule.ID.KEY=VALUE (both repeatable), --config FILE,
 * --budget-seconds S, --budget-mb M; the arrays are malloc'ed by sic_host_cli_parse() and
 * released by sic_host_cli_free(); the strings point into argv. */
typedef struct sic_host_cli {
  const char **dirs;        /* --scripts values, in order */
  int ndirs;                /* entries in dirs */
  const char **sets;        /* --set values */
  int nsets;                /* entries in sets */
  const char *config;       /* --config value or NULL */
  double budget_seconds;    /* --budget-seconds, 0 = default */
  double budget_mb;         /* --budget-mb, 0 = default */
  char **positional;        /* non-option arguments */
  int npositional;          /* entries in positional */
  int help;                 /* --help/-h seen */
  int no_rules;             /* --no-rules: skip the orchestration graph (sic analyze) */
  const char **tables;      /* Delta tables for the delta agent (sic analyze --tables); points into argv */
  int ntables;              /* entries in tables */
  int64_t now_ms;           /* --now for time-based advice, 0 = unset */
  const char *metastore;    /* --metastore URL: Hive metastore database for the metastore agent, or NULL */
} sic_host_cli;

/* Parse argv[1..argc). With stop_at_positional, everything after the first positional is
 * positional too (sic run SCRIPT ARGS...). Returns 0, or -1 with a message in errbuf. */
int sic_host_cli_parse(int argc, char **argv, sic_host_cli *cli, int stop_at_positional, char *errbuf, size_t errlen);
/* For commands with their own option parser (sic analyze): take the host options listed
 * above (and --no-rules) out of argv, shifting the rest down and updating *argc, so the
 * command's parser never sees them. --help is left in place. Returns 0, or -1 with a
 * message in errbuf (e.g. a missing value). */
int sic_host_cli_extract(int *argc, char **argv, sic_host_cli *cli, char *errbuf, size_t errlen);
/* Fill opts from the parsed options (pointers stay owned by cli). */
void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts);
void sic_host_cli_free(sic_host_cli *cli);
/* Help lines describing the options above. */
extern const char *sic_host_cli_help;

#endif
