/* Tests for engine/cli/args.c, the one option parser of every command: `--opt value` and
 * `--opt=value`, missing values, typed values whose errors name the option, unknown options
 * with the nearest name, repeatable options, options taking several values, `--`, `-`, the
 * stop at the first positional of `sic run`, and the help generated from the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/args.h"

/* What a parse printed (stdout and stderr together) and returned. */
typedef struct parsed {
  int rc;          /* SIC_ARGS_* */
  char out[8192];  /* the text printed */
  char *pos[32];   /* positional arguments */
  int npos;        /* entries in pos */
} parsed;

static char argbuf[32][64]; /* argv strings for one parse */

/* Parse the space-separated words of line (after the command word) against spec. */
static void parse(const sic_cmd_spec *spec, unsigned flags, const char *line, parsed *p) {
  char *argv[33];
  int argc = 0;
  argv[argc++] = (char *)spec->name;
  char copy[1024];
  snprintf(copy, sizeof copy, "%s", line);
  for (char *save = NULL, *w = strtok_r(copy, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save)) {
    snprintf(argbuf[argc], sizeof argbuf[argc], "%s", w);
    argv[argc] = argbuf[argc];
    argc++;
  }
  argv[argc] = NULL;
  fflush(stdout);
  fflush(stderr);
  FILE *tmp = tmpfile();
  int saved_out = dup(1), saved_err = dup(2);
  dup2(fileno(tmp), 1);
  dup2(fileno(tmp), 2);
  p->rc = sic_args_parse_flags(spec, flags, argc, argv, p->pos, &p->npos);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  rewind(tmp);
  size_t n = fread(p->out, 1, sizeof p->out - 1, tmp);
  p->out[n] = 0;
  fclose(tmp);
}

static int has(const parsed *p, const char *text) { return strstr(p->out, text) != NULL; }

int main(void) {
  sic_host_cli host;
  int64_t top;
  const char *name;
  int details;
  sic_format format;
  const sic_opt table[] = {
      SIC_OPT_INT_ROW("top", 't', &top, "N", "stages listed", 1, 1000),
      SIC_OPT_STRING_ROW("name", 0, &name, "NAME", "a name"),
      SIC_OPT_FLAG_ROW("details", 0, &details, "every report"),
      SIC_OPT_FORMAT_ROW(&format, "output format"),
      SIC_HOST_OPT_ROWS(&host),
      SIC_OPT_VALUES_ROW("tables", 0, &host.tables, "TABLE", "Delta tables"),
  };
  const sic_cmd_spec spec = {"demo", "[options] PATH...", "A demo command.", table, sizeof table / sizeof *table,
                             SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, -1};
  parsed p;
#define RESET()                     \
  do {                              \
    sic_args_release(&spec);        \
    memset(&host, 0, sizeof host);  \
    top = 5;                        \
    name = NULL;                    \
    details = 0;                    \
    format = SIC_FORMAT_TEXT;       \
  } while (0)
  RESET();

  parse(&spec, 0, "--top 7 a --name=x --format=json b -t 9", &p);
  CHECK(p.rc == SIC_ARGS_OK, "ok: %s", p.out);
  CHECK(top == 9 && !strcmp(name, "x") && format == SIC_FORMAT_JSON, "--opt value, --opt=value, -o value; last wins");
  CHECK(p.npos == 2 && !strcmp(p.pos[0], "a") && !strcmp(p.pos[1], "b"), "positionals in order");
  RESET();

  parse(&spec, 0, "a --top", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "sic demo: --top needs a value"), "missing value: %s", p.out);
  RESET();
  parse(&spec, 0, "--top many", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--top expects a whole number, got 'many'"), "typed: %s", p.out);
  RESET();
  parse(&spec, 0, "--top=0", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--top must be between 1 and 1000, got 0"), "range: %s", p.out);
  RESET();
  parse(&spec, 0, "--budget-seconds 0.5 --budget-mb=64", &p);
  CHECK(p.rc == SIC_ARGS_OK && host.budget_seconds == 0.5 && host.budget_mb == 64, "numbers: %s", p.out);
  RESET();
  parse(&spec, 0, "--budget-seconds 0", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--budget-seconds must be greater than 0"), "positive: %s", p.out);
  RESET();
  parse(&spec, 0, "--budget-mb lots", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--budget-mb expects a number, got 'lots'"), "number: %s", p.out);
  RESET();
  parse(&spec, 0, "--details=yes", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--details takes no value"), "flag with a value: %s", p.out);
  RESET();

  parse(&spec, 0, "--tpo 3", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "unknown option '--tpo'; did you mean '--top'?"), "suggestion: %s", p.out);
  RESET();
  parse(&spec, 0, "--budget-secnds=3", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "did you mean '--budget-seconds'?"), "host option suggested: %s", p.out);
  RESET();
  parse(&spec, 0, "--zzzzzzzz", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "unknown option '--zzzzzzzz'") && !has(&p, "did you mean"), "%s", p.out);
  RESET();

  parse(&spec, 0, "--scripts A p --set rule.x.y=1 --scripts=B --set=rule.z.enabled=false", &p);
  CHECK(p.rc == SIC_ARGS_OK && host.dirs.n == 2 && host.sets.n == 2, "repeatable options: %s", p.out);
  CHECK(host.dirs.n == 2 && !strcmp(host.dirs.v[0], "A") && !strcmp(host.dirs.v[1], "B"), "in order");
  CHECK(host.sets.n == 2 && !strcmp(host.sets.v[1], "rule.z.enabled=false"), "inline value of a list");
  sic_lua_opts lo;
  sic_host_cli_opts(&host, &lo);
  CHECK(lo.nscript_dirs == 2 && lo.script_dirs == host.dirs.v && lo.nsets == 2, "the host's options");
  RESET();

  parse(&spec, 0, "--tables t1 t2 --top 3 log - --tables=t3", &p);
  CHECK(p.rc == SIC_ARGS_OK && host.tables.n == 3, "values up to the next option: %s", p.out);
  CHECK(host.tables.n == 3 && !strcmp(host.tables.v[1], "t2") && !strcmp(host.tables.v[2], "t3"), "tables");
  CHECK(p.npos == 2 && !strcmp(p.pos[0], "log") && !strcmp(p.pos[1], "-"), "'-' is a positional (stdin)");
  RESET();
  parse(&spec, 0, "--tables --top 3", &p);
  CHECK(p.rc == SIC_ARGS_USAGE && has(&p, "--tables needs at least one TABLE"), "no values: %s", p.out);
  RESET();

  parse(&spec, 0, "--top 2 -- --top x", &p);
  CHECK(p.rc == SIC_ARGS_OK && top == 2 && p.npos == 2 && !strcmp(p.pos[0], "--top"), "-- ends the options");
  RESET();
  parse(&spec, SIC_ARGS_STOP_AT_POSITIONAL, "--set a script.lua --set b -x", &p);
  CHECK(p.rc == SIC_ARGS_OK && host.sets.n == 1 && p.npos == 4, "sic run: the script's own options: %s", p.out);
  CHECK(p.npos == 4 && !strcmp(p.pos[1], "--set") && !strcmp(p.pos[3], "-x"), "kept as they are");
  RESET();

  parse(&spec, 0, "x --help --top nonsense", &p);
  CHECK(p.rc == SIC_ARGS_HELP, "--help wins");
  CHECK(has(&p, "usage: sic demo [options] PATH...") && has(&p, "A demo command."), "usage line: %s", p.out);
  CHECK(has(&p, "-t, --top N") && has(&p, "--tables TABLE...") && has(&p, "--set rule.ID.KEY=V"),
        "every option from the table: %s", p.out);
  CHECK(has(&p, "-f, --format text|json"), "the command's formats");
  RESET();
  return CHECK_RESULT();
}
