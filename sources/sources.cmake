# sources: where event logs live, by URI scheme (sources/, docs/sources.md): History Server and
# object stores over libcurl, Kafka over librdkafka. It plugs a URI scanner into core's log
# discovery and a URI reader into delta's log access (sic_sources_init), so neither names it.
find_package(CURL REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
sic_add_component(sources DIRS sources DEPENDS core delta LIBS CURL::libcurl PkgConfig::RDKAFKA)
