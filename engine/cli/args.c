/* Shared option parsing and terminal conventions for sic commands (see args.h).
 */
#include "cli/args.h"
#include "cli/suggest.h"

#include <errno.h>
#include <math.h>
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
    const char *more = o->kind == SIC_OPT_VALUES ? "..." : "";
    if (o->short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s%s", o->short_name, o->name, metavar ? " " : "",
               metavar ? metavar : "", more);
    else
      snprintf(left, sizeof left, "    --%s%s%s%s", o->name, metavar ? " " : "", metavar ? metavar : "", more);
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
  const char *names[128];
  size_t n = 0;
  for (size_t i = 0; i < spec->nopts && n < 127; i++) names[n++] = spec->opts[i].name;
  names[n++] = "help";
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
  } else if (o->kind == SIC_OPT_NUMBER) {
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v))
      return sic_args_usage_error(spec, "--%s expects a number, got '%s'", o->name, value);
    if (v <= (double)o->min || v > (double)o->max)
      return sic_args_usage_error(spec, "--%s must be greater than %lld and at most %lld, got '%s'", o->name,
                                  (long long)o->min, (long long)o->max, value);
    *(double *)o->dest = v;
  } else if (o->kind == SIC_OPT_LIST || o->kind == SIC_OPT_VALUES) {
    sic_args_list *l = o->dest;
    const char **grown = realloc(l->v, (size_t)(l->n + 1) * sizeof *grown);
    if (!grown) return sic_args_usage_error(spec, "out of memory");
    l->v = grown;
    l->v[l->n++] = value;
  }
  return SIC_ARGS_OK;
}

/* An argument that is an option rather than a value ("-" alone is a value: stdin). */
static int looks_like_option(const char *arg) { return arg[0] == '-' && arg[1] != 0; }

/* SIC_OPT_VALUES: the inline value if any, then every argument up to the next option. */
static int take_values(const sic_cmd_spec *spec, const sic_opt *o, const char *inline_value, int argc, char **argv,
                       int *i) {
  int taken = 0, rc = SIC_ARGS_OK;
  if (inline_value) {
    rc = set_value(spec, o, inline_value);
    taken++;
  }
  while (rc == SIC_ARGS_OK && *i + 1 < argc && !looks_like_option(argv[*i + 1])) {
    rc = set_value(spec, o, argv[++*i]);
    taken++;
  }
  if (rc == SIC_ARGS_OK && !taken)
    return sic_args_usage_error(spec, "--%s needs at least one %s", o->name, o->metavar ? o->metavar : "value");
  return rc;
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
  if (o->kind == SIC_OPT_VALUES) return take_values(spec, o, inline_value, argc, argv, i);
  if (!inline_value) {
    if (*i + 1 >= argc) return sic_args_usage_error(spec, "--%s needs a value", o->name);
    inline_value = argv[++*i];
  }
  return set_value(spec, o, inline_value);
}

int sic_args_parse(const sic_cmd_spec *spec, int argc, char **argv, char **pos, int *npos) {
  return sic_args_parse_flags(spec, 0, argc, argv, pos, npos);
}

int sic_args_parse_flags(const sic_cmd_spec *spec, unsigned flags, int argc, char **argv, char **pos, int *npos) {
  int only_positional = 0;
  *npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int is_option = !only_positional && looks_like_option(arg);
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
      if (flags & SIC_ARGS_STOP_AT_POSITIONAL) only_positional = 1;
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

void sic_args_release(const sic_cmd_spec *spec) {
  for (size_t i = 0; i < spec->nopts; i++) {
    if (spec->opts[i].kind != SIC_OPT_LIST && spec->opts[i].kind != SIC_OPT_VALUES) continue;
    sic_args_list *l = spec->opts[i].dest;
    free(l->v);
    l->v = NULL;
    l->n = 0;
  }
}

int sic_args_exit(const sic_cmd_spec *spec, int parse_rc) {
  sic_args_release(spec);
  return parse_rc == SIC_ARGS_HELP ? 0 : SIC_ARGS_USAGE;
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

void sic_host_cli_opts(const sic_host_cli *cli, sic_lua_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->script_dirs = cli->dirs.v;
  opts->nscript_dirs = cli->dirs.n;
  opts->sets = cli->sets.v;
  opts->nsets = cli->sets.n;
  opts->config_path = cli->config;
  opts->budget_seconds = cli->budget_seconds;
  opts->budget_mb = cli->budget_mb;
  opts->tables = cli->tables.v;
  opts->ntables = cli->tables.n;
  opts->now_ms = cli->now_ms;
  opts->metastore = cli->metastore;
}

lua_State *sic_host_cli_state(const sic_cmd_spec *spec, const sic_host_cli *cli) {
  sic_lua_opts opts;
  sic_host_cli_opts(cli, &opts);
  sic_err err = {0};
  lua_State *L = NULL;
  if (sic_lua_new(&opts, &L, &err) < 0) fprintf(stderr, "sic %s: %s\n", spec->name, err.msg);
  return L;
}

void sic_host_cli_free(sic_host_cli *cli) {
  free(cli->dirs.v);
  free(cli->sets.v);
  free(cli->tables.v);
  memset(cli, 0, sizeof *cli);
}
