# sources: where event logs live, by URI scheme (sources/, docs/sources.md): History Server and
# object stores over libcurl, Kafka over librdkafka, the Hive metastore's PostgreSQL database over
# libpq (Lua module sic.metastore, cdef from metastore.h's SIC_FFI region). It plugs a URI scanner
# into core's log discovery and a URI reader into delta's log access (sic_sources_init), so
# neither names it.
# libcrypto: HMAC-SHA256 and base64 of Azure's Shared Key signatures (libcurl signs SigV4 itself).
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
sic_add_component(sources DIRS sources DEPENDS core delta REGISTER sic_metastore_register
                  LIBS CURL::libcurl OpenSSL::Crypto PkgConfig::RDKAFKA PkgConfig::LIBPQ)
sic_lua_module_ffi(sources sic_ffi_metastore sources/metastore.h)
