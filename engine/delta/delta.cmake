# delta: Delta Lake log replay (engine/delta, docs/delta.md) over JSON commits and Parquet
# checkpoints; its Lua module sic.delta (cdef from delta.h's SIC_FFI region) feeds the delta agent.
sic_add_component(delta DIRS engine/delta DEPENDS core parquet REGISTER sic_delta_register)
sic_lua_module_ffi(delta sic_ffi_delta engine/delta/delta.h)
