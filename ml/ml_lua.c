/* Registers the Lua module sic.ml with the host: its cdef and layout table are generated
 * from the SIC_FFI regions of ml/predict.h (sic_ffi_ml_gen.h, engine/lua/gen_ffi.lua). Referencing
 * the functions of that cdef here also keeps them in static executables, where only Lua
 * calls them. */
#include <stddef.h>
#include <stdint.h>

#include "ml/predict.h"
#include "lua/lua_host.h"

#include "sic_ffi_ml_gen.h"

__attribute__((used)) static void (*const keep[])(void) = { SIC_FFI_ML_KEEP_LIST };

void sic_ml_register(void) {
  static const sic_lua_module module = {
      "sic.ml", sic_ffi_ml_cdef_text, sic_ffi_ml_layout_table,
      (int64_t)(sizeof sic_ffi_ml_layout_table / sizeof sic_ffi_ml_layout_table[0])};
  (void)keep;
  sic_lua_register_module(&module);
}
