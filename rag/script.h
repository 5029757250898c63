/* Where rag's user-editable Lua lives (scripts/agents/reasoning.lua, scripts/lib/loaders/).
 * Owner: rag engineer. Search order matches the Lua host: a --scripts dir, then SIC_SCRIPTS
 * (colon-separated), then the built-in scripts dir ($SIC_RAG_SCRIPTS overrides it in tests). */
#ifndef SIC_RAG_SCRIPT_H
#define SIC_RAG_SCRIPT_H

#include <stddef.h>

/* Path of scripts-relative file rel ("agents/reasoning.lua") into out; 0 or -1 when absent. */
int rag_find_script(const char *user_dir, const char *rel, char *out, size_t n);
/* package.path prefix that lets the script at path require its lib/ modules. */
void rag_scripts_lib_path(const char *script, char *out, size_t n);

#endif
