# core: everything an analysis needs, and nothing it does not: discovery and codecs, the JSON
# scanner/writer, the model, statistics, reports, the History Server view, the example
# generator and the LuaJIT host. Its dependencies are all required but libdeflate (below).
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
pkg_check_modules(LUAJIT REQUIRED IMPORTED_TARGET luajit)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(ZLIB REQUIRED)
find_path(LZF_INCLUDE_DIR lzf.h PATH_SUFFIXES liblzf REQUIRED)
find_library(LZF_LIBRARY lzf REQUIRED)
# Optional: libdeflate's CRC-32 (4x zlib 1.2's) for the History Server /logs zip (core/crc32.c).
pkg_check_modules(LIBDEFLATE IMPORTED_TARGET libdeflate)
set(SIC_CORE_OPTIONAL_LIBS "")
if(LIBDEFLATE_FOUND)
  set(SIC_CORE_OPTIONAL_LIBS PkgConfig::LIBDEFLATE)
endif()
find_path(SNAPPY_INCLUDE_DIR snappy-c.h REQUIRED)
find_library(SNAPPY_LIBRARY snappy REQUIRED)

sic_add_component(core
  DIRS engine/core engine/eventlog engine/json engine/model engine/stats engine/report
       engine/shs engine/gen engine/lua
  LIBS PkgConfig::ZSTD PkgConfig::LZ4 PkgConfig::LIBZIP PkgConfig::LUAJIT PkgConfig::XXHASH
       ZLIB::ZLIB ${LZF_LIBRARY} ${SNAPPY_LIBRARY} Threads::Threads m ${CMAKE_DL_LIBS} ${SIC_CORE_OPTIONAL_LIBS})
target_include_directories(sic_core PUBLIC ${LZF_INCLUDE_DIR} ${SNAPPY_INCLUDE_DIR})
if(LIBDEFLATE_FOUND)
  target_compile_definitions(sic_core PRIVATE SIC_HAVE_LIBDEFLATE)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../lua/ffi.cmake)  # the generated FFI cdef and layout table
