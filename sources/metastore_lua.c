/* Registers the Lua module sic.metastore with the host: its cdef and layout table are generated
 * from the SIC_FFI region of sources/metastore.h (sic_ffi_metastore_gen.h, engine/lua/gen_ffi.lua).
 * Referencing the functions of that cdef here also keeps them in static executables, where
 * only Lua calls them. */
#include <stddef.h>
#include <stdint.h>

#include "lua/lua_host.h"
#include "sources/metastore.h"

#include "sic_ffi_metastore_gen.h"

__attribute__((used)) static void (*const keep[])(void) = { SIC_FFI_METASTORE_KEEP_LIST };

void sic_metastore_register(void) {
  static const sic_lua_module module = {
      "sic.metastore", sic_ffi_metastore_cdef_text, sic_ffi_metastore_layout_table,
      (int64_t)(sizeof sic_ffi_metastore_layout_table / sizeof sic_ffi_metastore_layout_table[0])};
  (void)keep;
  sic_lua_register_module(&module);
}
