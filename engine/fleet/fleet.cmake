# fleet: `sic worker` (a Kafka consumer-group member that analyses and stores each notified log,
# dead-letters what keeps failing) and its probe endpoint (engine/fleet, docs/deploy.md).
sic_add_component(fleet DIRS engine/fleet DEPENDS core store sources LIBS PkgConfig::MHD)
