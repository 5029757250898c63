/* sic repl [LOG...]: interactive LuaJIT prompt with the engine loaded.
 *
 * On a terminal: readline with history (~/.sic_history) and tab completion of globals,
 * model fields and methods (completion is computed in Lua: sic.host.repl_complete). When
 * stdin is not a terminal the same evaluator reads lines without prompts, so
 * `printf 'print(6*7)\n' | sic repl` prints 42; the exit code is then 1 if any line failed.
 * Logs given on the command line are loaded first: the first as `app`, all in `apps`. */
#include <readline/history.h>
#include <readline/readline.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/args.h"

static lua_State *repl_state; /* readline's completion callback has no user pointer */

/* Candidates from Lua for readline (generator protocol: called with state 0, 1, ...). */
static char *completion_generator(const char *text, int state) {
  static int index, count;
  lua_State *L = repl_state;
  if (state == 0) {
    lua_settop(L, 0);
    lua_getglobal(L, "sic");
    lua_getfield(L, -1, "host");
    lua_getfield(L, -1, "repl_complete");
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 1, 0) != 0 || !lua_istable(L, -1)) { lua_settop(L, 0); return NULL; }
    index = 0;
    count = (int)lua_objlen(L, -1);
  }
  if (lua_gettop(L) < 1 || !lua_istable(L, -1)) return NULL;
  while (index < count) {
    lua_rawgeti(L, -1, ++index);
    const char *s = lua_tostring(L, -1);
    char *copy = s ? strdup(s) : NULL;
    lua_pop(L, 1);
    if (copy) return copy;
  }
  lua_settop(L, 0);
  return NULL;
}

static char **complete(const char *text, int start, int end) {
  rl_attempted_completion_over = 1; /* never fall back to file names */
  rl_completion_append_character = '\0'; /* readline resets it to ' ' before every attempt */
  return rl_completion_matches(text, completion_generator);
}

static int preload_logs(lua_State *L, char **paths, int n) {
  lua_newtable(L);
  for (int i = 0; i < n; i++) {
    lua_getglobal(L, "sic");
    lua_getfield(L, -1, "load");
    lua_remove(L, -2);
    lua_pushstring(L, paths[i]);
    if (lua_pcall(L, 1, 2, 0) != 0 || lua_isnil(L, -2)) {
      const char *msg = lua_tostring(L, -1);
      if (msg && strstr(msg, paths[i])) fprintf(stderr, "sic repl: %s\n", msg);
      else fprintf(stderr, "sic repl: %s: %s\n", paths[i], msg ? msg : "cannot load");
      lua_settop(L, 0);
      return -1;
    }
    lua_pop(L, 1);
    if (i == 0) { lua_pushvalue(L, -1); lua_setglobal(L, "app"); }
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "apps");
  return 0;
}

static const char *history_path(char *buf, size_t len) {
  const char *home = getenv("HOME");
  if (!home || !*home) return NULL;
  snprintf(buf, len, "%s/.sic_history", home);
  return buf;
}

static int interactive_loop(lua_State *L) {
  char hist[4096];
  const char *hpath = history_path(hist, sizeof hist);
  rl_readline_name = "sic";
  rl_attempted_completion_function = complete;
  /* '[' and ']' are not breaks: app.stages[1]:st completes the method of one stage. */
  rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,+-*/%^~#";
  rl_completion_append_character = '\0';
  if (hpath) read_history(hpath);
  printf("sic repl - LuaJIT with the engine loaded. sic.help() for a tour, Tab completes, Ctrl-D quits.\n");
  int status = 0;
  char *line;
  while ((line = readline(status == 2 ? ">> " : "sic> ")) != NULL) {
    if (*line) add_history(line);
    status = sic_lua_repl_eval(L, line);
    free(line);
  }
  printf("\n");
  if (hpath) write_history(hpath);
  return SIC_EXIT_OK;
}

static int batch_loop(lua_State *L) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int failed = 0, status = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    status = sic_lua_repl_eval(L, line);
    if (status == 1) failed = 1;
  }
  free(line);
  if (status == 2) { fprintf(stderr, "sic repl: input ended inside an unfinished statement\n"); failed = 1; }
  return failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}

int sic_cmd_repl(int argc, char **argv) {
  sic_host_cli cli;
  memset(&cli, 0, sizeof cli);
  const sic_opt table[] = {SIC_HOST_OPT_ROWS(&cli)};
  const sic_cmd_spec spec = {
      "repl", "[options] [LOG...]",
      "Interactive LuaJIT prompt with the engine loaded. Try:\n"
      "  app = sic.load(\"path/to/eventlog\")\n"
      "  app:stages():top(5, \"duration\")\n"
      "  app.tasks.duration[0], app:stage(36):stats(\"duration\")\n"
      "  =app:stage(36):top_tasks(3, \"duration\")   -- by Spark id; app.stages[i] is positional\n"
      "  r = sic.analyze(app); r.findings[1]\n"
      "  sic.reload()          -- re-read edited scripts (transaction: keeps the old on error)\n"
      "Lines starting with '=' print the value; incomplete statements continue on the next line.\n"
      "LOGs are loaded before the prompt: the first as `app`, all as `apps`.",
      table, sizeof table / sizeof table[0], 0, 0, -1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return sic_args_exit(&spec, rc);
  lua_State *L = sic_host_cli_state(&spec, &cli);
  if (!L) {
    sic_args_release(&spec);
    return SIC_EXIT_INPUT;
  }
  repl_state = L;
  if (preload_logs(L, pos, npos) < 0) rc = SIC_EXIT_INPUT;
  else rc = isatty(STDIN_FILENO) ? interactive_loop(L) : batch_loop(L);
  fflush(stdout);
  repl_state = NULL;
  sic_lua_free(L);
  sic_args_release(&spec);
  return rc;
}
