# sources: where event logs live, by URI scheme (sources/, docs/sources.md): History Server and
# object stores over libcurl, Kafka over librdkafka. It plugs a URI scanner into core's log
# discovery and a URI reader into delta's log access (sic_sources_init), so neither names it.
# libcrypto: HMAC-SHA256 and base64 of Azure's Shared Key signatures (libcurl signs SigV4 itself).
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
sic_add_component(sources DIRS sources DEPENDS core delta LIBS CURL::libcurl OpenSSL::Crypto PkgConfig::RDKAFKA)
