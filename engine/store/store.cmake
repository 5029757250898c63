# store: the history store (engine/store, docs/store.md) over SQLite or PostgreSQL.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
sic_add_component(store DIRS engine/store DEPENDS core REGISTER sic_store_register LIBS PkgConfig::SQLITE3 PkgConfig::LIBPQ)
sic_lua_module_ffi(store sic_ffi_store engine/store/store.h)
