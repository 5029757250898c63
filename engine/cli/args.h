/* Shared command-line conventions for every `sic <command>` (DESIGN.md, "Contracts: CLI").
 *
 * any command may use it.
 *
 * What it gives a command:
 *  - a declarative option table (sic_opt) parsed by sic_args_parse(), the one option parser of
 *    every command: long options as `--name value` or `--name=value`, short aliases (`-o`),
 *    repeatable options (SIC_OPT_LIST) and options taking every value up to the next option
 *    (SIC_OPT_VALUES), typed values whose errors name the option, `--` to end options, `-`
 *    kept as a positional meaning stdin, `--help`/`-h` printing a usage text generated from the
 *    table to stdout, an unknown option refused with the nearest known name (cli/suggest.h);
 *  - `--format text|json|md|html` as an option kind that also checks the formats a command
 *    actually renders;
 *  - terminal helpers: colour only on a TTY and never when NO_COLOR is set (no-color.org),
 *    progress output only when stderr is a TTY;
 *  - sic_args_spool_stdin(): copy stdin to a temporary file so readers that need a path
 *    (codec sniffing, mmap) work with `-`.
 *
 * Ownership: option destinations point into the caller's own variables; values are pointers
 * into argv. The arrays of SIC_OPT_LIST/SIC_OPT_VALUES destinations are malloc'ed by the parser
 * and released with sic_args_release() (also after a failed parse). sic_args_spool_stdin's file
 * is the caller's to unlink. */
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
  SIC_OPT_CHOICE,      /* dest is const char**; value must be one of `choices` ("a|b|c") */
  SIC_OPT_NUMBER,      /* dest is double*; decimal, greater than min and at most max */
  SIC_OPT_LIST,        /* dest is sic_args_list*; repeatable, every value appended in order */
  SIC_OPT_VALUES       /* dest is sic_args_list*; every argument up to the next option (one at least) */
} sic_opt_kind;

/* The values of a repeatable option, in command-line order (pointers into argv). */
typedef struct sic_args_list {
  const char **v;       /* the values (malloc'ed array; sic_args_release frees it) */
  int n;                /* entries in v */
} sic_args_list;

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
#define SIC_OPT_NUMBER_ROW(name, short_name, dest, metavar, help, min, max) \
  {(name), (short_name), SIC_OPT_NUMBER, (dest), (metavar), (help), (min), (max), NULL}
#define SIC_OPT_LIST_ROW(name, short_name, dest, metavar, help) \
  {(name), (short_name), SIC_OPT_LIST, (dest), (metavar), (help), 0, 0, NULL}
#define SIC_OPT_VALUES_ROW(name, short_name, dest, metavar, help) \
  {(name), (short_name), SIC_OPT_VALUES, (dest), (metavar), (help), 0, 0, NULL}

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

/* sic_args_parse with flags: SIC_ARGS_STOP_AT_POSITIONAL makes everything from the first
 * positional on positional too (`sic run SCRIPT ARGS...`: the script's own options). */
enum { SIC_ARGS_STOP_AT_POSITIONAL = 1 };
int sic_args_parse_flags(const sic_cmd_spec *spec, unsigned flags, int argc, char **argv, char **pos, int *npos);

/* Free the arrays of spec's SIC_OPT_LIST/SIC_OPT_VALUES destinations and empty them. */
void sic_args_release(const sic_cmd_spec *spec);
/* The exit status of a parse that did not return SIC_ARGS_OK (0 after --help, 2 after a usage
 * error), spec's lists released. */
int sic_args_exit(const sic_cmd_spec *spec, int parse_rc);

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

/* ---- Options of the commands that host Lua (repl, run, analyze, delta, rules) ----
 * Rows for the command's option table: SIC_HOST_OPT_ROWS(&host) adds --scripts DIR and
 * --set rule.ID.KEY=VALUE (both repeatable), --config FILE, --budget-seconds S and
 * --budget-mb M, --metastore URL. Values point into argv; the lists are released by sic_args_release() of the
 * command's spec (or sic_host_cli_free()). */
typedef struct sic_host_cli {
  sic_args_list dirs;       /* --scripts values, in order */
  sic_args_list sets;       /* --set values */
  const char *config;       /* --config value or NULL */
  double budget_seconds;    /* --budget-seconds, 0 = default */
  double budget_mb;         /* --budget-mb, 0 = default */
  int no_rules;             /* --no-rules: skip the orchestration graph (sic analyze) */
  sic_args_list tables;     /* Delta tables for the delta agent (sic analyze --tables, sic delta) */
  int64_t now_ms;           /* --now for time-based advice, 0 = unset */
  const char *metastore;    /* --metastore URL: Hive metastore database for the metastore agent, or NULL */
} sic_host_cli;

#define SIC_HOST_OPT_ROWS(h)                                                                                    \
  SIC_OPT_LIST_ROW("scripts", 0, &(h)->dirs, "DIR",                                                             \
                   "user script dir (agents/, rules/, graph.lua); repeatable, first wins; SIC_SCRIPTS "        \
                   "(colon-separated) adds more after these"),                                                 \
  SIC_OPT_LIST_ROW("set", 0, &(h)->sets, "rule.ID.KEY=V",                                                       \
                   "override a rule threshold or enable/disable it (KEY 'enabled'); repeatable"),              \
  SIC_OPT_STRING_ROW("config", 0, &(h)->config, "FILE",                                                         \
                     "user config (default: SIC_CONFIG, else ./sic.lua when present)"),                        \
  SIC_OPT_NUMBER_ROW("budget-seconds", 0, &(h)->budget_seconds, "S",                                            \
                     "wall-clock budget per agent/rule (default 10)", 0, 86400),                                \
  SIC_OPT_NUMBER_ROW("budget-mb", 0, &(h)->budget_mb, "M", "memory budget per agent/rule in MiB (default 256)", \
                     0, 1 << 20),                                                                              \
  SIC_OPT_STRING_ROW("metastore", 0, &(h)->metastore, "URL",                                                    \
                     "Hive metastore database (postgresql://...; default SIC_METASTORE): the metastore agent "  \
                     "checks the tables the SQL scans read (docs/sources.md)")

/* Fill opts from the parsed options (pointers stay owned by cli). */
void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts);
/* A Lua host state with cli's options, or NULL after printing "sic <command>: why". */
lua_State *sic_host_cli_state(const sic_cmd_spec *spec, const sic_host_cli *cli);
/* Free cli's lists (for a cli whose spec was not released). */
void sic_host_cli_free(sic_host_cli *cli);

#endif
