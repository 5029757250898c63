# Component libraries: libsic is assembled from components that link one way.
#
#   core <- parquet <- delta <- store <- sources <- rag (optional), ml <- ml_train (optional)
#        <- http <- fleet <- cli        (the include() order in CMakeLists.txt; each component's
#                                        DEPENDS names the subset it really uses)
#
# Each component is an OBJECT library `sic_<name>` declared with one line in its own folder
# (engine/store/store.cmake, rag/rag.cmake, ...):
#
#   sic_add_component(NAME DIRS dir... [SOURCES file...] [EXCLUDE regex...]
#                     DEPENDS component... [LIBS lib...] [ENABLED_IF variable] [REASON text]
#                     [REGISTER c_function])
#
# DIRS are globbed for *.c (not recursively); DEPENDS may only name components declared
# before this one, so the order of the sic_add_component calls in the top-level
# CMakeLists.txt is the layering, and a dependency pointing up (or a cycle) is a configure
# error. LIBS are the component's own third-party dependencies (PUBLIC: they travel to
# libsic's users). ENABLED_IF names a variable (an option such as SIC_WITH_FAISS): when it is
# false the component is not built, its sources still count as assigned, and every component
# and test that needs it must cope (SIC_HAVE_<NAME> is defined for users of an enabled one).
# REGISTER names a `void fn(void)` of the component that plugs it into the core (its Lua
# module: sic_lua_register_module); sic_components_init() (generated, in libsic) calls each.
#
# Checks, all fatal:
#  - sic_check_components() (deferred to the end of configure) walks every component's
#    LINK_LIBRARIES/INTERFACE_LINK_LIBRARIES: a sic_* component there that is not in its
#    DEPENDS fails configuration, whoever added it (target_link_libraries anywhere).
#  - every .c/.cpp file under engine/, rag/, ml/, sources/ must belong to a component's DIRS
#    (or be listed in SIC_UNASSIGNED_OK): a new folder cannot silently drop out of the build.
#  - SIC_LINK_CHECK (ON by default): a shared library per component made of its objects and
#    its dependencies' objects only, linked with --no-undefined: a call into a component above
#    (a back-edge without a link line) is a link error, not a comment.
#
# Adding a component (as parquet, delta, sources and fleet did): put a <name>.cmake beside the
# code with its sic_add_component line, and include() it from the top-level CMakeLists.txt at
# the place in the order its layer belongs (after everything in its DEPENDS, before its users).
# Components it should be part of (cli, http) then list it in their DEPENDS.

define_property(GLOBAL PROPERTY SIC_COMPONENTS BRIEF_DOCS "enabled components, in layer order" FULL_DOCS "-")
define_property(GLOBAL PROPERTY SIC_ALL_COMPONENTS BRIEF_DOCS "declared components" FULL_DOCS "-")
define_property(GLOBAL PROPERTY SIC_COMPONENT_DIRS BRIEF_DOCS "directories owned by components" FULL_DOCS "-")

# Shared compile settings of every component (include roots, generated headers).
add_library(sic_build_common INTERFACE)
target_include_directories(sic_build_common INTERFACE
  ${CMAKE_SOURCE_DIR}/engine ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
target_compile_definitions(sic_build_common INTERFACE SIC_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

function(sic_add_component name)
  cmake_parse_arguments(C "" "ENABLED_IF;REASON;REGISTER" "DIRS;SOURCES;EXCLUDE;DEPENDS;LIBS" ${ARGN})
  get_property(declared GLOBAL PROPERTY SIC_ALL_COMPONENTS)
  get_property(enabled GLOBAL PROPERTY SIC_COMPONENTS)
  if(name IN_LIST declared)
    message(FATAL_ERROR "sic_add_component(${name}): declared twice")
  endif()
  foreach(dep ${C_DEPENDS})
    if(NOT dep IN_LIST declared)
      message(FATAL_ERROR "component ${name} depends on '${dep}', which is not declared before it: "
        "components link one way (declared so far, lowest first: ${declared}). Move the include() "
        "of ${name} below ${dep}'s, or drop the dependency.")
    endif()
  endforeach()
  foreach(dir ${C_DIRS})
    set_property(GLOBAL APPEND PROPERTY SIC_COMPONENT_DIRS ${CMAKE_SOURCE_DIR}/${dir})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY SIC_ALL_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY SIC_COMPONENT_DEPENDS_${name} ${C_DEPENDS})
  string(TOUPPER ${name} upper)
  if(C_ENABLED_IF AND NOT ${C_ENABLED_IF})
    set(reason "${C_REASON}")
    if(NOT reason)
      set(reason "${C_ENABLED_IF}=OFF")
    endif()
    set_property(GLOBAL PROPERTY SIC_COMPONENT_OFF_REASON_${name} "${reason}")
    message(STATUS "sic: component ${name} not built (${reason})")
    return()
  endif()
  foreach(dep ${C_DEPENDS})
    if(NOT dep IN_LIST enabled)
      get_property(why GLOBAL PROPERTY SIC_COMPONENT_OFF_REASON_${dep})
      message(FATAL_ERROR "component ${name} needs ${dep}, which is not built (${why})")
    endif()
  endforeach()
  set(srcs ${C_SOURCES})
  foreach(dir ${C_DIRS})
    file(GLOB found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.c)
    list(APPEND srcs ${found})
  endforeach()
  foreach(re ${C_EXCLUDE})
    list(FILTER srcs EXCLUDE REGEX "${re}")
  endforeach()
  add_library(sic_${name} OBJECT ${srcs})
  target_link_libraries(sic_${name} PUBLIC sic_build_common)
  foreach(dep ${C_DEPENDS})
    target_link_libraries(sic_${name} PUBLIC sic_${dep})
  endforeach()
  if(C_LIBS)
    target_link_libraries(sic_${name} PUBLIC ${C_LIBS})
  endif()
  target_compile_definitions(sic_${name} INTERFACE SIC_HAVE_${upper}=1)
  set_property(GLOBAL APPEND PROPERTY SIC_COMPONENTS ${name})
  if(C_REGISTER)
    set_property(GLOBAL APPEND PROPERTY SIC_COMPONENT_REGISTER ${C_REGISTER})
  endif()
endfunction()

# generated/sic_components.c: sic_components_init() calling every built component's REGISTER
# function. It belongs to no component (it names components of every layer): libsic compiles
# it, and so does every program linked with sic_static (INTERFACE source), where its
# constructor registers the modules before main(); libsic.so runs it when loaded.
function(sic_generate_components_init out)
  get_property(fns GLOBAL PROPERTY SIC_COMPONENT_REGISTER)
  set(text "/* Generated by cmake/components.cmake from the components built. Do not edit. */\n")
  string(APPEND text "#include \"lua/lua_host.h\"\n\n")
  foreach(fn ${fns})
    string(APPEND text "void ${fn}(void);\n")
  endforeach()
  string(APPEND text "\nvoid sic_components_init(void) {\n")
  foreach(fn ${fns})
    string(APPEND text "  ${fn}();\n")
  endforeach()
  string(APPEND text "}\n\n__attribute__((constructor)) static void sic_components_at_load(void) { sic_components_init(); }\n")
  file(CONFIGURE OUTPUT ${out} CONTENT "${text}")
endfunction()

# The transitive DEPENDS of a component, itself included, lowest layer first.
function(sic_component_closure name out)
  set(result ${name})
  get_property(deps GLOBAL PROPERTY SIC_COMPONENT_DEPENDS_${name})
  foreach(dep ${deps})
    sic_component_closure(${dep} sub)
    list(APPEND result ${sub})
  endforeach()
  list(REMOVE_DUPLICATES result)
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# libsic's contents: the objects of every enabled component below the top one (cli), which
# the caller links directly (that adds its objects and carries every component's usage
# requirements: include dirs, third-party libraries). Called once all components are declared.
function(sic_component_objects out top)
  get_property(enabled GLOBAL PROPERTY SIC_COMPONENTS)
  set(objs "")
  foreach(c ${enabled})
    if(NOT c STREQUAL top)
      list(APPEND objs $<TARGET_OBJECTS:sic_${c}>)
    endif()
  endforeach()
  set(${out} ${objs} PARENT_SCOPE)
endfunction()

function(sic_check_components)
  get_property(enabled GLOBAL PROPERTY SIC_COMPONENTS)
  get_property(declared GLOBAL PROPERTY SIC_ALL_COMPONENTS)
  # 1. The edges table: what each component's target really links, against its DEPENDS.
  foreach(c ${enabled})
    get_property(allowed GLOBAL PROPERTY SIC_COMPONENT_DEPENDS_${c})
    get_target_property(links sic_${c} LINK_LIBRARIES)
    get_target_property(ilinks sic_${c} INTERFACE_LINK_LIBRARIES)
    foreach(item ${links} ${ilinks})
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
      if(item MATCHES "^sic_(.+)$" AND CMAKE_MATCH_1 IN_LIST declared)
        if(NOT CMAKE_MATCH_1 IN_LIST allowed)
          message(FATAL_ERROR "sic_${c} links ${item}, which is not one of its DEPENDS (${allowed}): "
            "components link one way (${declared}, lowest first); see cmake/components.cmake")
        endif()
      endif()
    endforeach()
  endforeach()
  # 2. Every C file under the component roots belongs to a component.
  get_property(dirs GLOBAL PROPERTY SIC_COMPONENT_DIRS)
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/engine/*.c ${CMAKE_SOURCE_DIR}/engine/*.cpp
       ${CMAKE_SOURCE_DIR}/rag/*.c ${CMAKE_SOURCE_DIR}/rag/*.cpp
       ${CMAKE_SOURCE_DIR}/ml/*.c ${CMAKE_SOURCE_DIR}/ml/*.cpp
       ${CMAKE_SOURCE_DIR}/sources/*.c ${CMAKE_SOURCE_DIR}/sources/*.cpp)
  set(orphans "")
  foreach(src ${all_sources})
    get_filename_component(dir ${src} DIRECTORY)
    if(NOT dir IN_LIST dirs AND NOT src IN_LIST SIC_UNASSIGNED_OK)
      file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${src})
      list(APPEND orphans ${rel})
    endif()
  endforeach()
  if(orphans)
    list(JOIN orphans "\n  " listing)
    message(FATAL_ERROR "C sources that belong to no component (they would not be built):\n  ${listing}\n"
      "Add their folder to a component's DIRS, or declare a new component with sic_add_component "
      "(see cmake/components.cmake).")
  endif()
  # 3. Symbol-level check: each component links with nothing but its dependencies.
  if(SIC_LINK_CHECK)
    foreach(c ${enabled})
      sic_component_closure(${c} closure)
      set(objs "")
      foreach(dep ${closure})
        list(APPEND objs $<TARGET_OBJECTS:sic_${dep}>)
      endforeach()
      add_library(sic_linkcheck_${c} SHARED)
      list(REMOVE_ITEM objs $<TARGET_OBJECTS:sic_${c}>)
      target_sources(sic_linkcheck_${c} PRIVATE ${objs})
      target_link_libraries(sic_linkcheck_${c} PRIVATE sic_${c})
      target_link_options(sic_linkcheck_${c} PRIVATE -Wl,--no-undefined)
      set_target_properties(sic_linkcheck_${c} PROPERTIES LINKER_LANGUAGE CXX
        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/linkcheck)
      add_dependencies(sic_static sic_linkcheck_${c})
    endforeach()
  endif()
  list(JOIN enabled " " shown)
  message(STATUS "sic: components ${shown}")
endfunction()
