# The LuaJIT host's build rules (part of the core component, included by engine/core/core.cmake):
# the FFI cdef/layout generated from the real headers and the paths the host searches for
# scripts.
include(GNUInstallDirs)
find_program(SIC_LUAJIT_EXE luajit REQUIRED)

set(SIC_FFI_GEN ${CMAKE_BINARY_DIR}/generated/sic_ffi_gen.h)
set(SIC_FFI_HEADERS engine/model/model.h engine/stats/stats.h engine/lua/lua_host.h engine/core/error.h)
set(SIC_FFI_SPECS
  region:engine/model/model.h region:engine/stats/stats.h region:engine/lua/lua_host.h
  struct:engine/core/error.h:sic_err struct:engine/model/model.h:sic_load_opts
  func:engine/model/model.h:sic_app_load_path func:engine/model/model.h:sic_app_free
  func:engine/model/model.h:sic_app_memory
  func:engine/model/model.h:sic_task_metric_name func:engine/model/model.h:sic_task_status_name
  func:engine/model/model.h:sic_locality_name func:engine/model/model.h:sic_stage_status_name
  func:engine/model/model.h:sic_job_status_name func:engine/model/model.h:sic_exec_metric_name)
add_custom_command(OUTPUT ${SIC_FFI_GEN}
  COMMAND ${SIC_LUAJIT_EXE} engine/lua/gen_ffi.lua ${SIC_FFI_GEN} ${SIC_FFI_SPECS}
  DEPENDS engine/lua/gen_ffi.lua ${SIC_FFI_HEADERS}
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  COMMENT "Generating the LuaJIT cdef and layout table from the SIC_FFI header regions")
add_custom_target(sic_ffi_gen DEPENDS ${SIC_FFI_GEN})
add_dependencies(sic_core sic_ffi_gen)

set(SIC_INSTALL_SCRIPTS ${CMAKE_INSTALL_FULL_DATADIR}/sic/scripts)
# The same dir relative to the library's own dir, for relocated installs (found via dladdr).
file(RELATIVE_PATH SIC_SCRIPTS_FROM_LIBDIR ${CMAKE_INSTALL_FULL_LIBDIR} ${SIC_INSTALL_SCRIPTS})
target_compile_definitions(sic_core PRIVATE SIC_INSTALL_SCRIPTS_DIR="${SIC_INSTALL_SCRIPTS}"
  SIC_SCRIPTS_FROM_LIBDIR="${SIC_SCRIPTS_FROM_LIBDIR}")


# sic_lua_module_ffi(COMPONENT PREFIX HEADER...): a component's Lua module cdef and layout
# table, generated from every SIC_FFI region of its HEADERs into generated/<PREFIX>_gen.h
# (its registration file includes it; see engine/lua/lua_host.h "Plug-ins").
function(sic_lua_module_ffi component prefix)
  set(out ${CMAKE_BINARY_DIR}/generated/${prefix}_gen.h)
  set(specs "")
  foreach(h ${ARGN})
    list(APPEND specs region:${h})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${SIC_LUAJIT_EXE} engine/lua/gen_ffi.lua ${out} --prefix ${prefix} ${specs}
    DEPENDS engine/lua/gen_ffi.lua ${ARGN}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    COMMENT "Generating the LuaJIT cdef of ${component}'s Lua module")
  add_custom_target(${prefix}_gen DEPENDS ${out})
  add_dependencies(sic_${component} ${prefix}_gen)
endfunction()
