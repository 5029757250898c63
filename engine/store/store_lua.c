/* Registers the Lua module sic.store with the host: its cdef and layout table are generated
 * from the SIC_FFI regions of engine/store/store.h (sic_ffi_store_gen.h, engine/lua/gen_ffi.lua). Referencing
 * the functions of that cdef here also keeps them in static executables, where only Lua
 * calls them. */
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "lua/lua_host.h"

#include "sic_ffi_store_gen.h"

__attribute__((used)) static void (*const keep[])(void) = { SIC_FFI_STORE_KEEP_LIST };

void sic_store_register(void) {
  static const sic_lua_module module = {
      "sic.store", sic_ffi_store_cdef_text, sic_ffi_store_layout_table,
      (int64_t)(sizeof sic_ffi_store_layout_table / sizeof sic_ffi_store_layout_table[0])};
  (void)keep;
  sic_lua_register_module(&module);
}
