/* Locating rag's Lua scripts with the engine's search order: user dirs (SIC_SCRIPTS,
 * colon-separated) first, then the built-in scripts/ of the Lua host. */
#include "rag/script.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/lua_host.h"

static int try_dir(const char *dir, size_t len, const char *rel, char *out, size_t n) {
  snprintf(out, n, "%.*s/%s", (int)len, dir, rel);
  return access(out, R_OK) == 0;
}

int rag_find_script(const char *user_dir, const char *rel, char *out, size_t n) {
  if (user_dir && *user_dir && try_dir(user_dir, strlen(user_dir), rel, out, n)) return 0;
  const char *env = getenv("SIC_SCRIPTS");
  for (const char *p = env; p && *p;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    if (len && try_dir(p, len, rel, out, n)) return 0;
    p = colon ? colon + 1 : NULL;
  }
  const char *builtin = getenv("SIC_RAG_SCRIPTS");
  if (!builtin || !*builtin) builtin = sic_lua_builtin_scripts();
  return try_dir(builtin, strlen(builtin), rel, out, n) ? 0 : -1;
}

/* package.path prefix that lets the script at path require its lib/ modules. */
static void scripts_lib_path(const char *script, char *out, size_t n) {
  /* script = <dir>/agents/x.lua or <dir>/lib/loaders/x.lua: its scripts root is two levels up
   * for agents and three for loaders; simpler to add both candidate lib dirs. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", script);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  const char *builtin = getenv("SIC_RAG_SCRIPTS");
  if (!builtin || !*builtin) builtin = sic_lua_builtin_scripts();
  snprintf(out, n, "%s/../lib/?.lua;%s/../?.lua;%s/lib/?.lua;", dir, dir, builtin);
}

int rag_run_script(lua_State *L, const char *script) {
  char libpath[8400];
  scripts_lib_path(script, libpath, sizeof libpath);
  lua_getglobal(L, "package");
  lua_pushstring(L, libpath);
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  return luaL_loadfile(L, script) || lua_pcall(L, 0, 1, 0) ? -1 : 0;
}
