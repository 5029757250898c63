/* libsic public umbrella header for C embedders: `#include <sic.h>` and link with
 * `pkg-config --cflags --libs sic`.
 *
 * What you get:
 *  - engine/model/model.h: sic_app_load_path() / sic_app_free() and the columnar model;
 *  - engine/stats/stats.h: quantiles, MAD, Gini, histogram, top-k over task columns;
 *  - engine/lua/lua_host.h: sic_lua_run_graph() runs the orchestration graph (agents + rules,
 *    built-in and user scripts) over a model once and returns its findings, typed and as
 *    JSON (sic_lua_analyze() returns the JSON only). libsic.so plugs its components' Lua
 *    modules (sic.store, sic.ml, sic.kb) into the host when loaded; a program linked with
 *    libsic.a calls sic_components_init() first;
 *  - sic_version.h: SIC_VERSION_STRING, SIC_ABI_VERSION.
 * Ownership rules are stated in each header. See docs/embedding/ for a complete example. */
#ifndef SIC_H
#define SIC_H

#include "sic_version.h"
#include "core/error.h"
#include "model/model.h"
#include "stats/stats.h"
#include "lua/lua_host.h"

#endif
