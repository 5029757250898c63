# Install rules of libsic and the LuaJIT host (library, headers, sic.pc, scripts, Lua module).
# Included from the top-level CMakeLists.txt after the sic targets; the FFI generation and the
# host's compile settings are in ffi.cmake (part of the core component).
include(GNUInstallDirs)

# ---- install: cmake --install <build> [--prefix DIR] ----
install(TARGETS sic sic_shared sic_static
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES engine/sic.h ${CMAKE_BINARY_DIR}/generated/sic_version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sic)
install(FILES engine/core/error.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sic/core)
install(FILES engine/model/model.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sic/model)
install(FILES engine/stats/stats.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sic/stats)
install(FILES engine/lua/lua_host.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sic/lua)
# A libsic built with SIC_SANITIZE only works in programs linked with the same sanitizer
# runtimes (it must come first), so sic.pc passes the flags on to its users.
set(SIC_PC_SANITIZE_FLAGS "")
if(SIC_SANITIZE)
  set(SIC_PC_SANITIZE_FLAGS " -fsanitize=address,undefined")
endif()
configure_file(${CMAKE_SOURCE_DIR}/sic.pc.in ${CMAKE_BINARY_DIR}/sic.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/sic.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY scripts/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sic/scripts)
# `require "sic"` from a stock luajit: the engine modules on package.path plus a config
# module telling them where the installed library and scripts are.
install(DIRECTORY scripts/lib/ DESTINATION ${CMAKE_INSTALL_DATADIR}/lua/5.1)
# Relocatable: paths are computed from where config.lua itself was installed
# (<prefix>/<datadir>/lua/5.1/sic/config.lua), so `cmake --install --prefix DIR` works.
file(WRITE ${CMAKE_BINARY_DIR}/generated/sic_install_config.lua.in
  "-- Generated at install: where this installation's library and scripts live.\n"
  "local here = debug.getinfo(1, 'S').source:match('^@(.*)/sic/config%.lua$') or '.'\n"
  "local prefix = here:gsub('/@CMAKE_INSTALL_DATADIR@/lua/5%.1$', '')\n"
  "return { lib = prefix .. '/@CMAKE_INSTALL_LIBDIR@/libsic.so.@SIC_ABI_VERSION@',\n"
  "         scripts = prefix .. '/@CMAKE_INSTALL_DATADIR@/sic/scripts' }\n")
configure_file(${CMAKE_BINARY_DIR}/generated/sic_install_config.lua.in
  ${CMAKE_BINARY_DIR}/generated/sic_install_config.lua @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/generated/sic_install_config.lua
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lua/5.1/sic RENAME config.lua)

# Rule-evaluation benchmark (bench/bench_rules.sh runs it; see bench/bench_rules.c).
add_executable(bench_rules ${CMAKE_SOURCE_DIR}/bench/bench_rules.c)
target_link_libraries(bench_rules PRIVATE sic_static)
set_target_properties(bench_rules PROPERTIES ENABLE_EXPORTS ON RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
