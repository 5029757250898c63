# http: the service (engine/http, `sic serve`): libmicrohttpd, and the web UI files under
# engine/http/ui/ embedded into libsic as C arrays (generated/http_assets.c) at build time.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
sic_add_component(http DIRS engine/http DEPENDS core store ml LIBS PkgConfig::MHD)

file(GLOB SIC_HTTP_UI_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/engine/http/ui/*.html
     ${CMAKE_SOURCE_DIR}/engine/http/ui/*.js ${CMAKE_SOURCE_DIR}/engine/http/ui/*.css)
set(SIC_HTTP_ASSETS_C ${CMAKE_BINARY_DIR}/generated/http_assets.c)
add_custom_command(OUTPUT ${SIC_HTTP_ASSETS_C}
  COMMAND ${CMAKE_COMMAND} -DUI_DIR=${CMAKE_SOURCE_DIR}/engine/http/ui -DOUT=${SIC_HTTP_ASSETS_C}
          -P ${CMAKE_SOURCE_DIR}/engine/http/ui/embed.cmake
  DEPENDS ${SIC_HTTP_UI_FILES} ${CMAKE_SOURCE_DIR}/engine/http/ui/embed.cmake
  COMMENT "Embedding the web UI")
target_sources(sic_http PRIVATE ${SIC_HTTP_ASSETS_C})
