/* Log4j logs into knowledge-base chunks through the Lua/lpeg loader
 * scripts/lib/loaders/log4j.lua (users can edit the grammar without rebuilding).
 *
 * A private Lua state (standard libraries + lpeg) is created per call:
 * ingest is not hot enough to justify a cache, and a fresh state cannot leak between files.
 * The loader is found like every script: SIC_SCRIPTS user dirs first, then the built-in
 * scripts dir (rag/script.h), so a user can ship a different grammar. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "rag/kb_internal.h"
#include "rag/script.h"

/* Copy the chunk tables returned by loaders.log4j.chunks (at stack top) into out. */
static int collect(lua_State *L, const char *doc, rag_chunks *out, sic_err *err) {
  int n = (int)lua_objlen(L, -1);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_getfield(L, -1, "heading");
    lua_getfield(L, -2, "section");
    lua_getfield(L, -3, "text");
    lua_getfield(L, -4, "line");
    const char *heading = lua_tostring(L, -4), *section = lua_tostring(L, -3), *text = lua_tostring(L, -2);
    int line = (int)lua_tointeger(L, -1);
    if (!heading || !section || !text) {
      lua_pop(L, 5);
      return sic_err_set(err, SIC_EFORMAT, "%s: log loader returned chunk %d without heading/section/text", doc, i);
    }
    int rc = rag_chunks_push(out, RAG_CHUNK_LOG, heading, section, text, NULL, NULL, line);
    lua_pop(L, 5);
    if (rc) return sic_err_set(err, rc, "out of memory");
  }
  return 0;
}

int rag_chunk_log(const char *doc_name, const char *text, size_t len, rag_chunks *out,
                  sic_err *err) {
  lua_State *L = luaL_newstate();
  if (!L) return sic_err_set(err, SIC_ENOMEM, "cannot create a Lua state");
  luaL_openlibs(L);
  int rc = 0;
  char script[4096];
  if (rag_find_script(NULL, "lib/loaders/log4j.lua", script, sizeof script)) {
    rc = sic_err_set(err, SIC_EUNSUPPORTED, "log loader lib/loaders/log4j.lua not found in SIC_SCRIPTS or %s", script);
    goto done;
  }
  if (rag_run_script(L, script)) {
    rc = sic_err_set(err, SIC_EUNSUPPORTED, "log loader: %s", lua_tostring(L, -1));
    goto done;
  }
  lua_getfield(L, -1, "chunks");
  lua_pushlstring(L, text, len);
  lua_pushstring(L, doc_name);
  if (lua_pcall(L, 2, 2, 0)) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: log loader failed: %s", doc_name, lua_tostring(L, -1));
    goto done;
  }
  if (lua_isnil(L, -2)) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: %s", doc_name, lua_tostring(L, -1) ? lua_tostring(L, -1) : "not a log");
    goto done;
  }
  out->title = strdup(doc_name);
  lua_pop(L, 1);
  rc = out->title ? collect(L, doc_name, out, err) : sic_err_set(err, SIC_ENOMEM, "out of memory");
done:
  lua_close(L);
  return rc;
}
