/* The FFI bootstrap exported to Lua: cdef text, ABI version, struct layouts, a clock.
 * The tables come from the generated sic_ffi_gen.h (engine/lua/gen_ffi.lua). */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "delta/delta.h"
#include "lua/lua_host.h"
#include "sic_version.h"
#include "stats/stats.h"

#include "sic_ffi_gen.h"

const char *sic_ffi_cdef(void) { return sic_ffi_cdef_text; }
int sic_ffi_abi_version(void) { return SIC_ABI_VERSION; }
const char *sic_ffi_version_string(void) { return SIC_VERSION_STRING; }

int64_t sic_ffi_layout_count(void) {
  return (int64_t)(sizeof sic_ffi_layout_table / sizeof sic_ffi_layout_table[0]);
}

const sic_ffi_layout_entry *sic_ffi_layout(int64_t i) {
  return i >= 0 && i < sic_ffi_layout_count() ? &sic_ffi_layout_table[i] : NULL;
}

/* Monotonic seconds: wall-clock budgets must not jump with the system clock. */
double sic_ffi_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t sic_ffi_list_dir(const char *dir, char *out, int64_t cap) {
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT || errno == ENOTDIR ? SIC_ENOTFOUND : SIC_EIO;
  int64_t used = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    size_t len = strlen(e->d_name);
    if (out && used + (int64_t)len + 1 < cap) {
      memcpy(out + used, e->d_name, len);
      out[used + len] = '\n';
    }
    used += (int64_t)len + 1;
  }
  closedir(d);
  if (out && cap > 0) out[used < cap ? used : cap - 1] = 0;
  return used;
}

void sic_ffi_free(void *p) { free(p); }

/* ---- Registered component modules ---- */

enum { MAX_MODULES = 32 };
static const sic_lua_module *modules[MAX_MODULES];  /* registered modules, in order */
static int nmodules;                                 /* entries in modules */

int sic_lua_register_module(const sic_lua_module *m) {
  for (int i = 0; i < nmodules; i++)
    if (!strcmp(modules[i]->name, m->name)) { modules[i] = m; return SIC_OK; }
  if (nmodules == MAX_MODULES) return SIC_ENOMEM;
  modules[nmodules++] = m;
  return SIC_OK;
}

static const sic_lua_module *find_module(const char *name) {
  for (int i = 0; name && i < nmodules; i++)
    if (!strcmp(modules[i]->name, name)) return modules[i];
  return NULL;
}

int64_t sic_ffi_module_count(void) { return nmodules; }

const char *sic_ffi_module_name(int64_t i) { return i >= 0 && i < nmodules ? modules[i]->name : NULL; }

const char *sic_ffi_module_cdef(const char *name) {
  const sic_lua_module *m = find_module(name);
  return m ? m->cdef : NULL;
}

int64_t sic_ffi_module_layout_count(const char *name) {
  const sic_lua_module *m = find_module(name);
  return m ? m->nlayout : 0;
}

const sic_ffi_layout_entry *sic_ffi_module_layout(const char *name, int64_t i) {
  const sic_lua_module *m = find_module(name);
  return m && i >= 0 && i < m->nlayout ? &m->layout[i] : NULL;
}

/* Functions only Lua calls (through ffi.C in the sic executable) must survive static
 * linking: referencing them here pulls their objects into every binary that hosts Lua. */
__attribute__((used)) static void (*const sic_ffi_keep[])(void) = { SIC_FFI_KEEP_LIST };
void *sic_ffi_keep_anchor(void) { return (void *)sic_ffi_keep; }
