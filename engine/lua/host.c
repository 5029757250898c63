/* LuaJIT host: state creation, script search path, analyze entry point, run and REPL
 * evaluation. See lua_host.h for the contract.
 *
 * The C side stays thin on purpose: everything after "create a state and hand it the
 * options" is Lua (scripts/lib/sic/), reached through the Lua C API only here. */
#include "lua/lua_host.h"

#include <dlfcn.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SIC_INSTALL_SCRIPTS_DIR
#define SIC_INSTALL_SCRIPTS_DIR ""
#endif
#ifndef SIC_SCRIPTS_FROM_LIBDIR
#define SIC_SCRIPTS_FROM_LIBDIR "../share/sic/scripts"
#endif

void *sic_ffi_keep_anchor(void);

static int dir_has_graph(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/graph.lua", dir);
  return access(path, R_OK) == 0;
}

/* The installed scripts next to the library that contains this code (relocated installs:
 * <prefix>/lib/libsic.so -> <prefix>/share/sic/scripts). */
static const char *scripts_near_library(void) {
  static char path[4096];
  Dl_info info;
  char self[4096];
  if (!dladdr((void *)scripts_near_library, &info) || !info.dli_fname) return NULL;
  const char *file = info.dli_fname;
  /* Linked into the executable, dladdr names the program as it was invoked ("sic" found on
   * PATH has no directory): the kernel knows where it really is. bin/ and lib/ are siblings,
   * so the same relative path leads to the scripts. */
  if (!strchr(file, '/')) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return NULL;
    self[n] = '\0';
    file = self;
  }
  const char *slash = strrchr(file, '/');
  snprintf(path, sizeof path, "%.*s/%s", (int)(slash - file), file, SIC_SCRIPTS_FROM_LIBDIR);
  return dir_has_graph(path) ? path : NULL;
}

/* SIC_BUILTIN_SCRIPTS first, then the source tree (a build-dir binary must see the scripts
 * it was built with), then the scripts installed next to this library, then the configured
 * install path. */
const char *sic_lua_builtin_scripts(void) {
  const char *env = getenv("SIC_BUILTIN_SCRIPTS");
  if (env && *env) return env;
  if (dir_has_graph(SIC_SOURCE_DIR "/scripts")) return SIC_SOURCE_DIR "/scripts";
  const char *near = scripts_near_library();
  if (near) return near;
  return SIC_INSTALL_SCRIPTS_DIR;
}

static void set_string_array(lua_State *L, const char *field, const char *const *items, int n) {
  lua_newtable(L);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, items[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, field);
}

/* A Lua list of strings, left on the stack. */
static void set_string_array_value(lua_State *L, const char *const *items, int n) {
  lua_newtable(L);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, items[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

/* package.loaded["sic.native"]: what the Lua engine needs to know about its host. */
static void push_native_info(lua_State *L, const sic_lua_opts *opts) {
  lua_newtable(L);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "in_process");
  lua_pushstring(L, sic_lua_builtin_scripts());
  lua_setfield(L, -2, "builtin_scripts");
  set_string_array(L, "script_dirs", opts ? opts->script_dirs : NULL, opts ? opts->nscript_dirs : 0);
  set_string_array(L, "sets", opts ? opts->sets : NULL, opts ? opts->nsets : 0);
  set_string_array(L, "tables", opts ? opts->tables : NULL, opts ? opts->ntables : 0);
  lua_pushnumber(L, opts ? (double)opts->now_ms : 0);
  lua_setfield(L, -2, "now_ms");
  if (opts && opts->metastore) {
    lua_pushstring(L, opts->metastore);
    lua_setfield(L, -2, "metastore");
  }
  if (opts && opts->config_path) {
    lua_pushstring(L, opts->config_path);
    lua_setfield(L, -2, "config_path");
  }
  lua_pushnumber(L, opts && opts->budget_seconds > 0 ? opts->budget_seconds : 0);
  lua_setfield(L, -2, "budget_seconds");
  lua_pushnumber(L, opts && opts->budget_mb > 0 ? opts->budget_mb : 0);
  lua_setfield(L, -2, "budget_mb");
}

/* Error handler: a table error { message = "..." } is a user-facing error raised on purpose
 * by the engine (bad graph, unknown rule in --set, ...): its message is enough. Anything
 * else is unexpected and gets a traceback. */
static int traceback(lua_State *L) {
  if (lua_istable(L, 1)) {
    lua_getfield(L, 1, "message");
    if (lua_isstring(L, -1)) return 1;
    lua_pop(L, 1);
  }
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

/* Call the function below nargs arguments with a traceback handler. */
static int pcall_traced(lua_State *L, int nargs, int nresults) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return rc;
}

int sic_lua_new(const sic_lua_opts *opts, lua_State **out, sic_err *err) {
  *out = NULL;
  (void)sic_ffi_keep_anchor();
  lua_State *L = luaL_newstate();
  if (!L) return sic_err_set(err, SIC_ENOMEM, "lua: cannot create a Lua state");
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");
  push_native_info(L, opts);
  lua_setfield(L, -2, "sic.native");
  lua_pop(L, 1);
  /* Engine modules: <builtin>/lib first so an unrelated `sic` on the system path never wins. */
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/lib/?.lua;%s/lib/?/init.lua;%s", sic_lua_builtin_scripts(),
                  sic_lua_builtin_scripts(), lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);
  lua_getglobal(L, "require");
  lua_pushstring(L, "sic");
  if (pcall_traced(L, 1, 1) != 0) {
    sic_err_set(err, SIC_EINVAL, "lua: cannot load the sic engine (scripts at %s): %s",
                sic_lua_builtin_scripts(), lua_tostring(L, -1));
    lua_close(L);
    return SIC_EINVAL;
  }
  lua_setglobal(L, "sic");
  *out = L;
  return SIC_OK;
}

void sic_lua_free(lua_State *L) {
  if (L) lua_close(L);
}

/* sic.host.<fn>(...) with a traceback; leaves nresults on the stack on success. */
static int call_host(lua_State *L, const char *fn, int nargs, int nresults, sic_err *err) {
  lua_getglobal(L, "sic");
  lua_getfield(L, -1, "host");
  lua_getfield(L, -1, fn);
  lua_remove(L, -2);
  lua_remove(L, -2);
  lua_insert(L, -1 - nargs);
  if (pcall_traced(L, nargs, nresults) != 0) {
    sic_err_set(err, SIC_EINVAL, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return SIC_EINVAL;
  }
  return SIC_OK;
}

int sic_lua_reload_snapshot(lua_State *L, const char *dir, const char *shown, char *why, size_t whylen, sic_err *err) {
  lua_pushstring(L, dir);
  lua_pushstring(L, shown);
  if (call_host(L, "reload_snapshot", 2, 2, err) != SIC_OK) return err->code;
  int applied = lua_toboolean(L, -2);
  if (!applied) snprintf(why, whylen, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "rejected");
  lua_pop(L, 2);
  return applied;
}

void sic_lua_reload_rollback(lua_State *L) {
  sic_err err = {0};
  if (call_host(L, "reload_rollback", 0, 0, &err) != SIC_OK) fprintf(stderr, "sic: %s\n", err.msg);
}

void sic_findings_free(sic_findings *f) {
  if (!f) return;
  for (int64_t i = 0; f->items && i < f->n; i++) {
    free(f->items[i].id);
    free(f->items[i].severity);
    free(f->items[i].title);
  }
  free(f->items);
  free(f->json);
  free(f->rendered);
  memset(f, 0, sizeof *f);
}

/* A malloc'ed copy of the string field key of the table at idx ("" when absent). */
static char *dup_field(lua_State *L, int idx, const char *key) {
  lua_getfield(L, idx, key);
  const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  char *copy = strdup(s);
  lua_pop(L, 1);
  return copy;
}

static double number_field(lua_State *L, int idx, const char *key, double missing) {
  lua_getfield(L, idx, key);
  double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : missing;
  lua_pop(L, 1);
  return v;
}

/* The summary table returned by sic.host.run_graph (at idx) into out's typed fields. */
static int copy_summary(lua_State *L, int idx, sic_findings *out, sic_err *err) {
  out->nerrors = (int64_t)number_field(L, idx, "errors", 0);
  out->run_usd = number_field(L, idx, "run_usd", -1);
  out->savings_usd = number_field(L, idx, "savings_usd", -1);
  lua_getfield(L, idx, "findings");
  int64_t n = lua_istable(L, -1) ? (int64_t)lua_objlen(L, -1) : 0;
  out->items = calloc((size_t)n + 1, sizeof *out->items);
  if (!out->items) return sic_err_set(err, SIC_ENOMEM, "sic_lua_run_graph: out of memory");
  for (int64_t i = 0; i < n; i++) {
    lua_rawgeti(L, -1, (int)i + 1);
    int t = lua_gettop(L);
    sic_finding *f = &out->items[out->n++];
    f->id = dup_field(L, t, "id");
    f->severity = dup_field(L, t, "severity");
    f->title = dup_field(L, t, "title");
    lua_pop(L, 1);
    if (!f->id || !f->severity || !f->title) return sic_err_set(err, SIC_ENOMEM, "sic_lua_run_graph: out of memory");
  }
  lua_pop(L, 1);
  return SIC_OK;
}

int sic_lua_run_graph(const sic_app *app, const sic_lua_opts *opts, const char *format,
                      sic_findings *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  if (!app) return sic_err_set(err, SIC_EINVAL, "sic_lua_analyze: no application model");
  /* text-lead, md-lead: the top problems, a 0x1e byte, then the findings (sic analyze) */
  if (!format || (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "md") &&
                  strcmp(format, "text-lead") && strcmp(format, "md-lead")))
    return sic_err_set(err, SIC_EINVAL, "sic_lua_analyze: unknown format '%s' (json, text, md, text-lead, md-lead)",
                       format ? format : "(null)");
  lua_State *L = NULL;
  int rc = sic_lua_new(opts, &L, err);
  if (rc < 0) return rc;
  lua_pushlightuserdata(L, (void *)app);
  lua_pushstring(L, format);
  rc = call_host(L, "run_graph", 2, 3, err);
  if (rc < 0) goto error;
  int base = lua_gettop(L) - 2;  /* rendered (or nil), json, summary */
  out->json = strdup(lua_tostring(L, base + 1) ? lua_tostring(L, base + 1) : "");
  if (lua_isstring(L, base)) out->rendered = strdup(lua_tostring(L, base));
  if (!out->json || (lua_isstring(L, base) && !out->rendered)) {
    rc = sic_err_set(err, SIC_ENOMEM, "sic_lua_run_graph: out of memory");
    goto error;
  }
  rc = copy_summary(L, base + 2, out, err);
error:
  if (rc < 0) sic_findings_free(out);
  sic_lua_free(L);
  return rc;
}

int sic_lua_analyze_format(const sic_app *app, const sic_lua_opts *opts, const char *format,
                           char **out, int64_t *nfindings_out, sic_err *err) {
  *out = NULL;
  if (nfindings_out) *nfindings_out = 0;
  sic_findings f;
  int rc = sic_lua_run_graph(app, opts, format, &f, err);
  if (rc < 0) return rc;
  if (nfindings_out) *nfindings_out = f.n;
  if (f.rendered) {
    *out = f.rendered;
    f.rendered = NULL;
  } else {
    *out = f.json;
    f.json = NULL;
  }
  sic_findings_free(&f);
  return SIC_OK;
}

int sic_lua_analyze(const sic_app *app, const sic_lua_opts *opts, char **json_out,
                    int64_t *nfindings_out, sic_err *err) {
  return sic_lua_analyze_format(app, opts, "json", json_out, nfindings_out, err);
}

int sic_lua_delta_report(const sic_lua_opts *opts, const char *format, const char *const *logs, int nlogs,
                         char **out, int64_t *nfailed_out, sic_err *err) {
  *out = NULL;
  if (nfailed_out) *nfailed_out = 0;
  lua_State *L = NULL;
  int rc = sic_lua_new(opts, &L, err);
  if (rc < 0) return rc;
  lua_pushstring(L, format);
  set_string_array_value(L, opts ? opts->tables : NULL, opts ? opts->ntables : 0);
  set_string_array_value(L, logs, nlogs);
  rc = call_host(L, "delta_report", 3, 2, err);
  if (rc < 0) goto error;
  size_t len = 0;
  const char *text = lua_tolstring(L, -2, &len);
  *out = malloc(len + 1);
  if (!*out) { rc = sic_err_set(err, SIC_ENOMEM, "sic delta: out of memory"); goto error; }
  memcpy(*out, text ? text : "", text ? len + 1 : 1);
  if (nfailed_out) *nfailed_out = (int64_t)lua_tonumber(L, -1);
error:
  sic_lua_free(L);
  return rc;
}

int sic_lua_run_file(lua_State *L, const char *path, int argc, char **argv, sic_err *err) {
  lua_newtable(L);
  lua_pushstring(L, path);
  lua_rawseti(L, -2, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
  if (luaL_loadfile(L, path) != 0) {
    sic_err_set(err, SIC_EINVAL, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return SIC_EINVAL;
  }
  for (int i = 0; i < argc; i++) lua_pushstring(L, argv[i]);
  if (pcall_traced(L, argc, 0) != 0) {
    sic_err_set(err, SIC_EINVAL, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return SIC_EINVAL;
  }
  return SIC_OK;
}

int sic_lua_script_module(lua_State *L, const char *rel, sic_err *err) {
  lua_pushstring(L, rel);
  return call_host(L, "script_module", 1, 1, err);
}

int sic_lua_config_table(lua_State *L, const char *path, sic_err *err) {
  lua_pushstring(L, path);
  return call_host(L, "config_table", 1, 1, err);
}

int sic_lua_repl_eval(lua_State *L, const char *line) {
  sic_err err = {0};
  lua_pushstring(L, line);
  if (call_host(L, "repl_feed", 1, 1, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const char *status = lua_tostring(L, -1);
  int rc = status && !strcmp(status, "error") ? 1 : (status && !strcmp(status, "more") ? 2 : 0);
  lua_pop(L, 1);
  return rc;
}
