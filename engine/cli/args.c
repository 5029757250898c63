/* Shared option parsing and terminal conventions for sic commands (see args.h).
 */
#include "cli/args.h"
#include "cli/suggest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const format_names[SIC_FORMAT__COUNT] = {"text", "json", "md", "html"};

const char *sic_format_name(sic_format f) {
  return (unsigned)f < SIC_FORMAT__COUNT ? format_names[f] : "?";
}

int sic_format_parse(const char *name) {
  for (int i = 0; i < SIC_FORMAT__COUNT; i++)
    if (!strcmp(name, format_names[i])) return i;
  if (!strcmp(name, "markdown")) return SIC_FORMAT_MD;
  return -1;
}

int sic_is_tty(FILE *f) { return f && isatty(fileno(f)); }

int sic_color_enabled(FILE *f) {
  const char *no_color = getenv("NO_COLOR");
  const char *term = getenv("TERM");
  if (no_color && *no_color) return 0;
  if (term && !strcmp(term, "dumb")) return 0;
  return sic_is_tty(f);
}

int sic_args_usage_error(const sic_cmd_spec *spec, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "sic %s: ", spec->name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see 'sic %s --help')\n", spec->name);
  return SIC_ARGS_USAGE;
}

/* "text|json" built from the command's format mask. */
static void format_list(unsigned mask, char *out, size_t size) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; i < SIC_FORMAT__COUNT; i++) {
    if (!(mask & SIC_FORMAT_MASK(i))) continue;
    n += snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? "|" : "", format_names[i]);
  }
}

void sic_args_help(const sic_cmd_spec *spec, FILE *out) {
  fprintf(out, "usage: sic %s %s\n", spec->name, spec->synopsis ? spec->synopsis : "");
  if (spec->description) fprintf(out, "\n%s\n", spec->description);
  fprintf(out, "\noptions:\n");
  for (size_t i = 0; i < spec->nopts; i++) {
    const sic_opt *o = &spec->opts[i];
    char left[96], formats[64];
    const char *metavar = o->metavar;
    if (o->kind == SIC_OPT_FORMAT && !metavar) {
      format_list(spec->formats, formats, sizeof formats);
      metavar = formats;
    }
    if (o->kind == SIC_OPT_CHOICE && !metavar) metavar = o->choices;
    if (o->short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, metavar ? " " : "",
               metavar ? metavar : "");
    else
      snprintf(left, sizeof left, "    --%s%s%s", o->name, metavar ? " " : "", metavar ? metavar : "");
    fprintf(out, "  %-30s %s\n", left, o->help ? o->help : "");
  }
  fprintf(out, "  %-30s %s\n", "-h, --help", "show this help and exit");
  fprintf(out, "\nexit status: 0 ran, 1 bad input, 2 usage error.  NO_COLOR disables colour.\n");
}

static const sic_opt *find_long(const sic_cmd_spec *spec, const char *name, size_t len) {
  for (size_t i = 0; i < spec->nopts; i++)
    if (strlen(spec->opts[i].name) == len && !strncmp(spec->opts[i].name, name, len))
      return &spec->opts[i];
  return NULL;
}

/* --colour for --color: a British spelling of an option name is an alias. */
static const sic_opt *find_british(const sic_cmd_spec *spec, const char *name, size_t len) {
  char american[64];
  if (!sic_americanize(name, len, american, sizeof american)) return NULL;
  return find_long(spec, american, strlen(american));
}

/* Unknown long option, with the nearest known one (--help included) when it is a typo. */
static int unknown_long(const sic_cmd_spec *spec, const char *name, size_t len) {
  const char *names[96];
  char mentioned[32][32]; /* options the description names (e.g. the Lua host's --scripts) */
  size_t n = 0, m = 0;
  for (size_t i = 0; i < spec->nopts && n < 63; i++) names[n++] = spec->opts[i].name;
  names[n++] = "help";
  for (const char *p = spec->description ? strstr(spec->description, "--") : NULL; p && m < 32;
       p = strstr(p + 2, "--")) {
    size_t k = 0;
    while (k < 31 && ((p[2 + k] >= 'a' && p[2 + k] <= 'z') || (p[2 + k] == '-' && k > 0))) k++;
    if (k < 2) continue;
    memcpy(mentioned[m], p + 2, k);
    mentioned[m][k] = 0;
    names[n++] = mentioned[m++];
  }
  const char *near = sic_suggest(name, len, names, n);
  if (near) return sic_args_usage_error(spec, "unknown option '--%.*s'; did you mean '--%s'?", (int)len, name, near);
  return sic_args_usage_error(spec, "unknown option '--%.*s'", (int)len, name);
}

static const sic_opt *find_short(const sic_cmd_spec *spec, char c) {
  for (size_t i = 0; i < spec->nopts; i++)
    if (spec->opts[i].short_name == c) return &spec->opts[i];
  return NULL;
}

static int choice_ok(const char *choices, const char *value) {
  size_t n = strlen(value);
  for (const char *p = choices; p && *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, value, n)) return 1;
    p = bar ? bar + 1 : NULL;
  }
  return 0;
}

/* Store value into o->dest according to its kind. */
static int set_value(const sic_cmd_spec *spec, const sic_opt *o, const char *value) {
  if (o->kind == SIC_OPT_STRING) {
    *(const char **)o->dest = value;
  } else if (o->kind == SIC_OPT_INT) {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end)
      return sic_args_usage_error(spec, "--%s expects a whole number, got '%s'", o->name, value);
    if (v < o->min || v > o->max)
      return sic_args_usage_error(spec, "--%s must be between %lld and %lld, got %lld", o->name,
                                  (long long)o->min, (long long)o->max, v);
    *(int64_t *)o->dest = v;
  } else if (o->kind == SIC_OPT_FORMAT) {
    int f = sic_format_parse(value);
    char formats[64];
    format_list(spec->formats, formats, sizeof formats);
    if (f < 0 || !(spec->formats & SIC_FORMAT_MASK(f))) {
      const char *near = sic_suggest(value, strlen(value), format_names, SIC_FORMAT__COUNT);
      if (near && (spec->formats & SIC_FORMAT_MASK(sic_format_parse(near))))
        return sic_args_usage_error(spec, "--%s must be one of %s, got '%s'; did you mean '%s'?", o->name, formats,
                                    value, near);
      return sic_args_usage_error(spec, "--%s must be one of %s, got '%s'", o->name, formats, value);
    }
    *(sic_format *)o->dest = (sic_format)f;
  } else if (o->kind == SIC_OPT_CHOICE) {
    if (!choice_ok(o->choices, value))
      return sic_args_usage_error(spec, "--%s must be one of %s, got '%s'", o->name, o->choices,
                                  value);
    *(const char **)o->dest = value;
  }
  return SIC_ARGS_OK;
}

/* Handle argv[*i], an option; may consume the next argument as its value. */
static int parse_option(const sic_cmd_spec *spec, int argc, char **argv, int *i) {
  const char *arg = argv[*i];
  const char *inline_value = NULL;
  const sic_opt *o;
  if (arg[1] == '-') {
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    if (eq) inline_value = eq + 1;
    o = find_long(spec, name, len);
    if (!o) o = find_british(spec, name, len);
    if (!o) return unknown_long(spec, name, len);
  } else {
    o = arg[2] ? NULL : find_short(spec, arg[1]);
    if (!o) return sic_args_usage_error(spec, "unknown option '%s'", arg);
  }
  if (o->kind == SIC_OPT_FLAG) {
    if (inline_value) return sic_args_usage_error(spec, "--%s takes no value", o->name);
    *(int *)o->dest = 1;
    return SIC_ARGS_OK;
  }
  if (!inline_value) {
    if (*i + 1 >= argc) return sic_args_usage_error(spec, "--%s needs a value", o->name);
    inline_value = argv[++*i];
  }
  return set_value(spec, o, inline_value);
}

int sic_args_parse(const sic_cmd_spec *spec, int argc, char **argv, char **pos, int *npos) {
  int only_positional = 0;
  *npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int is_option = !only_positional && arg[0] == '-' && arg[1] != 0;
    if (is_option && !strcmp(arg, "--")) {
      only_positional = 1;
      continue;
    }
    if (is_option && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
      sic_args_help(spec, stdout);
      return SIC_ARGS_HELP;
    }
    if (!is_option) {
      pos[(*npos)++] = argv[i];
      continue;
    }
    int rc = parse_option(spec, argc, argv, &i);
    if (rc != SIC_ARGS_OK) return rc;
  }
  if (*npos < spec->min_positional)
    return sic_args_usage_error(spec, "missing argument (usage: sic %s %s)", spec->name,
                                spec->synopsis ? spec->synopsis : "");
  if (spec->max_positional >= 0 && *npos > spec->max_positional)
    return sic_args_usage_error(spec, "unexpected argument '%s'", pos[spec->max_positional]);
  return SIC_ARGS_OK;
}

int sic_args_spool_stdin(char *path, size_t size, sic_err *err) {
  const char *tmp = getenv("TMPDIR");
  char buf[1 << 16];
  int fd;
  FILE *out = NULL;
  snprintf(path, size, "%s/sic-stdin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  fd = mkstemp(path);
  if (fd < 0) return sic_err_set(err, SIC_EIO, "%s: cannot create temporary file: %s", path, strerror(errno));
  out = fdopen(fd, "wb");
  if (!out) {
    close(fd);
    goto error;
  }
  for (;;) {
    size_t n = fread(buf, 1, sizeof buf, stdin);
    if (n && fwrite(buf, 1, n, out) != n) goto error;
    if (n < sizeof buf) break;
  }
  if (ferror(stdin)) {
    fclose(out);
    unlink(path);
    return sic_err_set(err, SIC_EIO, "<stdin>: read error: %s", strerror(errno));
  }
  if (fclose(out) != 0) {
    out = NULL;
    goto error;
  }
  return 0;
error:
  if (out) fclose(out);
  unlink(path);
  return sic_err_set(err, SIC_EIO, "%s: cannot write temporary copy of stdin: %s", path, strerror(errno));
}

/* ---- Options of the commands that host Lua ---- */

static int take_value(int argc, char **argv, int *i, const char *name, const char **out) {
  size_t n = strlen(name);
  if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') { *out = argv[*i] + n + 1; return 1; }
  if (strcmp(argv[*i], name)) return 0;
  if (*i + 1 >= argc) return -1;
  *out = argv[++*i];
  return 1;
}

int sic_host_cli_parse(int argc, char **argv, sic_host_cli *cli, int stop_at_positional, char *errbuf, size_t errlen) {
  memset(cli, 0, sizeof *cli);
  cli->dirs = calloc((size_t)argc + 1, sizeof *cli->dirs);
  cli->sets = calloc((size_t)argc + 1, sizeof *cli->sets);
  cli->positional = calloc((size_t)argc + 1, sizeof *cli->positional);
  if (!cli->dirs || !cli->sets || !cli->positional) { snprintf(errbuf, errlen, "out of memory"); return -1; }
  int only_positional = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int r;
    if (only_positional || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
      cli->positional[cli->npositional++] = argv[i];
      if (stop_at_positional) only_positional = 1;
      continue;
    }
    if (!strcmp(argv[i], "--")) { only_positional = 1; continue; }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { cli->help = 1; continue; }
    if ((r = take_value(argc, argv, &i, "--scripts", &v)) != 0) {
      if (r < 0) goto missing;
      cli->dirs[cli->ndirs++] = v;
    } else if ((r = take_value(argc, argv, &i, "--set", &v)) != 0) {
      if (r < 0) goto missing;
      cli->sets[cli->nsets++] = v;
    } else if ((r = take_value(argc, argv, &i, "--config", &v)) != 0) {
      if (r < 0) goto missing;
      cli->config = v;
    } else if ((r = take_value(argc, argv, &i, "--metastore", &v)) != 0) {
      if (r < 0) goto missing;
      cli->metastore = v;
    } else if ((r = take_value(argc, argv, &i, "--budget-seconds", &v)) != 0) {
      if (r < 0 || (cli->budget_seconds = atof(v)) <= 0) { snprintf(errbuf, errlen, "--budget-seconds needs a positive number"); return -1; }
    } else if ((r = take_value(argc, argv, &i, "--budget-mb", &v)) != 0) {
      if (r < 0 || (cli->budget_mb = atof(v)) <= 0) { snprintf(errbuf, errlen, "--budget-mb needs a positive number"); return -1; }
    } else {
      snprintf(errbuf, errlen, "unknown option '%s'", argv[i]);
      return -1;
    }
    continue;
  missing:
    snprintf(errbuf, errlen, "option '%s' needs a value", argv[i]);
    return -1;
  }
  return 0;
}

static int host_option_arity(const char *arg) {
  static const char *const with_value[] = {"--scripts", "--set", "--config", "--budget-seconds", "--budget-mb",
                                           "--metastore"};
  if (!strcmp(arg, "--no-rules")) return 0;
  for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++) {
    size_t n = strlen(with_value[i]);
    if (!strncmp(arg, with_value[i], n) && (arg[n] == 0 || arg[n] == '=')) return arg[n] == '=' ? 0 : 1;
  }
  return -1;
}

int sic_host_cli_extract(int *argc, char **argv, sic_host_cli *cli, char *errbuf, size_t errlen) {
  /* Collect the host options into a fake argv, parse that, keep the rest in order. */
  char **mine = calloc((size_t)*argc + 1, sizeof *mine);
  if (!mine) { snprintf(errbuf, errlen, "out of memory"); return -1; }
  int nmine = 1, nkeep = 1, no_rules = 0, end_of_options = 0;
  mine[0] = argv[0];
  for (int i = 1; i < *argc; i++) {
    int arity = end_of_options ? -1 : host_option_arity(argv[i]);
    if (!strcmp(argv[i], "--")) end_of_options = 1;
    if (arity < 0) { argv[nkeep++] = argv[i]; continue; }
    if (!strcmp(argv[i], "--no-rules")) { no_rules = 1; continue; }
    mine[nmine++] = argv[i];
    if (arity == 1) {
      if (i + 1 >= *argc) { snprintf(errbuf, errlen, "option '%s' needs a value", argv[i]); free(mine); return -1; }
      mine[nmine++] = argv[++i];
    }
  }
  argv[nkeep] = NULL;
  *argc = nkeep;
  int rc = sic_host_cli_parse(nmine, mine, cli, 0, errbuf, errlen);
  cli->no_rules = no_rules;
  free(mine);
  return rc;
}

void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->script_dirs = cli->dirs;
  opts->nscript_dirs = cli->ndirs;
  opts->sets = cli->sets;
  opts->nsets = cli->nsets;
  opts->config_path = cli->config;
  opts->budget_seconds = cli->budget_seconds;
  opts->budget_mb = cli->budget_mb;
  opts->tables = cli->tables;
  opts->ntables = cli->ntables;
  opts->now_ms = cli->now_ms;
  opts->metastore = cli->metastore;
}

void sic_host_cli_free(sic_host_cli *cli) {
  free(cli->dirs);
  free(cli->sets);
  free(cli->positional);
  free(cli->tables);
  memset(cli, 0, sizeof *cli);
}

const char *sic_host_cli_help =
  "  --scripts DIR         user script dir (agents/, rules/, graph.lua); repeatable, first wins;\n"
  "                        SIC_SCRIPTS (colon-separated) adds more after these\n"
  "  --set rule.ID.KEY=V   override a rule threshold or enable/disable it (KEY 'enabled'); repeatable\n"
  "  --config FILE         user config (default: SIC_CONFIG, else ./sic.lua when present)\n"
  "  --budget-seconds S    wall-clock budget per agent/rule (default 10)\n"
  "  --budget-mb M         memory budget per agent/rule in MiB (default 256)\n"
  "  --metastore URL       Hive metastore database (postgresql://...; default SIC_METASTORE): the\n"
  "                        metastore agent checks the tables the SQL scans read (docs/sources.md)\n";
