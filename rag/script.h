/* Where rag's user-editable Lua lives (scripts/ask/reasoning.lua, scripts/lib/loaders/).
 * Search order matches the Lua host: a --scripts dir, then SIC_SCRIPTS
 * (colon-separated), then the built-in scripts dir ($SIC_RAG_SCRIPTS overrides it in tests). */
#ifndef SIC_RAG_SCRIPT_H
#define SIC_RAG_SCRIPT_H

#include <stddef.h>

/* Path of scripts-relative file rel ("ask/reasoning.lua") into out; 0 or -1 when absent. */
int rag_find_script(const char *user_dir, const char *rel, char *out, size_t n);
typedef struct lua_State lua_State;
/* Run the script at path in L with package.path extended so it can require its lib/ modules.
 * 0: its return value is on the stack; -1: the error message is. */
int rag_run_script(lua_State *L, const char *script);

#endif
