/* Log4j logs into knowledge-base chunks through the Lua/lpeg loader
 * scripts/lib/loaders/log4j.lua (users can edit the grammar without rebuilding).
 *
 * The loader is a user-editable script like the agents: the Lua host finds it on its search
 * path (SIC_SCRIPTS user dirs first, then the built-in scripts), compiles it in the sandbox
 * and runs it under the budget (sic_lua_script_module). A host state is created per call:
 * ingest is not hot enough to justify a cache, and a fresh state cannot leak between files. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_host.h"
#include "rag/kb_internal.h"

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
  lua_State *L = NULL;
  int rc = sic_lua_new(NULL, &L, err);
  if (rc) {
    sic_err_wrap(err, "log loader: ");
    err->code = SIC_EUNSUPPORTED;
    return SIC_EUNSUPPORTED;
  }
  if (sic_lua_script_module(L, "lib/loaders/log4j.lua", err)) {
    sic_err_wrap(err, "log loader: ");
    rc = err->code = SIC_EUNSUPPORTED;
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
  sic_lua_free(L);
  return rc;
}
