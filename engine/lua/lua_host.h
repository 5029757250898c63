/* The LuaJIT host: creates Lua states with the sic engine loaded, runs the orchestration
 * graph over a model, and is what `sic repl`, `sic run` and `sic analyze` use.
 *
 * Scripts are found on a search path: user dirs first (--scripts DIR, then the
 * colon-separated SIC_SCRIPTS), then the built-in scripts/ (installed copy when the source
 * tree is gone, else the source tree). A user file with the same name as a built-in one
 * replaces it (rules/skew_rules.lua in a user dir shadows the shipped one).
 *
 * Ownership: sic_lua_new() returns a state the caller frees with sic_lua_free(); strings
 * returned through out-parameters are malloc'ed and owned by the caller (free()). The app
 * passed to sic_lua_analyze() is borrowed: it must stay alive for the duration of the call
 * and is never freed or modified by the host. */
#ifndef SIC_LUA_HOST_H
#define SIC_LUA_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

typedef struct lua_State lua_State;

/* Options of a host state; every field may be zero/NULL for the defaults. */
typedef struct sic_lua_opts {
  const char *const *script_dirs;  /* user script dirs, highest priority first; may be NULL */
  int nscript_dirs;                /* entries in script_dirs */
  const char *const *sets;         /* "--set" overrides, e.g. "rule.skew.task_duration.ratio=8" */
  int nsets;                       /* entries in sets */
  const char *config_path;         /* user config file (sic.lua); NULL = ./sic.lua when present */
  double budget_seconds;           /* wall-clock budget per agent/rule, 0 = default (10 s) */
  double budget_mb;                /* memory budget per agent/rule in MiB, 0 = default (256) */
  const char *const *tables;       /* Delta tables for the delta agent (sic analyze --tables); may be NULL */
  int ntables;                     /* entries in tables */
  int64_t now_ms;                  /* "now" for time-based advice (--now), 0 = the table's last commit */
  const char *metastore;           /* Hive metastore database URL for the metastore agent (--metastore); may be NULL */
} sic_lua_opts;

/* Create a Lua state with the standard libraries, the engine modules on the search path and
 * the `sic` module loaded as a global. opts may be NULL. */
int sic_lua_new(const sic_lua_opts *opts, lua_State **out, sic_err *err);
void sic_lua_free(lua_State *L);

/* One finding of a graph run, as C callers need it (the JSON document has everything). */
typedef struct sic_finding {
  char *id;                        /* rule id ("skew.task_duration", "rule_error", ...) */
  char *severity;                  /* "critical" | "high" | "medium" | "low" | "info" */
  char *title;                     /* one line for people */
} sic_finding;

/* What one run of the orchestration graph over one application produced: the CLI (report,
 * fleet line, --store), the store and the HTTP copilot all read this one structure, so an
 * application's graph runs once. Every pointer is malloc'ed and released by
 * sic_findings_free. */
typedef struct sic_findings {
  char *json;                      /* the sic.findings/1 document */
  char *rendered;                  /* the run rendered as asked ("text", "md"); NULL for "json" */
  sic_finding *items;              /* every finding, in report order */
  int64_t n;                       /* entries in items */
  int64_t nerrors;                 /* rule_error findings among them (broken scripts/rules) */
  double run_usd;                  /* what the run cost (cost agent), -1 when unknown */
  double savings_usd;              /* what the findings would save (cost agent), -1 when unknown */
} sic_findings;

/* Run the graph over app once; format "json" (no rendering), "text" or "md" (rendered too).
 * out is filled on success (free with sic_findings_free) and zeroed on error. Failing or
 * runaway rules are findings; only an unusable engine fails the call. */
int sic_lua_run_graph(const sic_app *app, const sic_lua_opts *opts, const char *format,
                      sic_findings *out, sic_err *err);
void sic_findings_free(sic_findings *f);

/* Run the orchestration graph over app and return the report as a JSON document
 * ("schema": "sic.findings/1": app summary, findings with id, severity, title, entity,
 * evidence, recommendation, impact, rule; agents; load/run errors as rule_error findings).
 * Failing or runaway rules become findings; only an unusable engine (scripts missing,
 * invalid graph, ABI mismatch) fails the call. *json_out is malloc'ed; caller frees it.
 * *nfindings_out (may be NULL) receives the number of findings. */
int sic_lua_analyze(const sic_app *app, const sic_lua_opts *opts, char **json_out,
                    int64_t *nfindings_out, sic_err *err);

/* Same run as sic_lua_analyze, rendered as format: "json" (the document above), "text"
 * (top problems, then one block per finding, for terminals), "md" (a Markdown section), or
 * "text-lead"/"md-lead" (the top problems, a 0x1e byte, the findings: sic analyze prints the
 * top problems under its header). */
int sic_lua_analyze_format(const sic_app *app, const sic_lua_opts *opts, const char *format,
                           char **out, int64_t *nfindings_out, sic_err *err);

/* `sic delta`: the Delta agent over the tables in opts->tables, with the scans of the event
 * logs `logs` (may be empty), rendered as format ("json": sic.delta/1, "text", "md", "html").
 * *out is malloc'ed; caller frees. A table that cannot be read is reported inside the
 * document; *nfailed_out (may be NULL) counts them. */
int sic_lua_delta_report(const sic_lua_opts *opts, const char *format, const char *const *logs, int nlogs,
                         char **out, int64_t *nfailed_out, sic_err *err);

/* Run `sic run SCRIPT ARGS...` semantics on an existing state: arg table, sandbox-free
 * trusted chunk with the engine loaded. Returns 0 or SIC_EINVAL with the Lua error. */
int sic_lua_run_file(lua_State *L, const char *path, int argc, char **argv, sic_err *err);

/* Push the module table of the user-editable script rel ("ask/reasoning.lua",
 * "lib/loaders/log4j.lua") found on the host's search path (opts' script dirs, SIC_SCRIPTS,
 * the built-in scripts): compiled in the sandbox, and every function of it runs under the
 * budget when called (lua_pcall it; an error is "path: fn: message"). One search path and
 * one sandbox for every script users edit. 0, or SIC_EINVAL with nothing pushed. */
int sic_lua_script_module(lua_State *L, const char *rel, sic_err *err);
/* Push the table the config file at path returns, compiled in the sandbox (0 / SIC_EINVAL). */
int sic_lua_config_table(lua_State *L, const char *path, sic_err *err);

/* The reload of sic serve and sic worker, on a state of sic_lua_new: the state's engine
 * reloads with dir (a fresh copy of the user's rule dir shown) in place of the previous copy,
 * through the same Engine:reload as the REPL's sic.reload(), all or nothing. Returns 1 when
 * applied, 0 when rejected (why: "N rule error(s); <file>: <reason>...", paths naming shown),
 * or a negative SIC_E* when the engine cannot run (err). sic_lua_reload_rollback undoes the
 * last applied one (a later check rejected it). */
int sic_lua_reload_snapshot(lua_State *L, const char *dir, const char *shown, char *why, size_t whylen, sic_err *err);
void sic_lua_reload_rollback(lua_State *L);

/* Evaluate one REPL line: tries "return <line>" first, prints results with the engine's
 * pretty-printer. Errors are printed to stderr; returns 0 or 1 when the line failed. */
int sic_lua_repl_eval(lua_State *L, const char *line);

/* Built-in scripts dir the host uses (installed path when present, else source tree). */
const char *sic_lua_builtin_scripts(void);

/* SIC_FFI_BEGIN */
/* Bootstrap for the Lua side (see scripts/lib/sic/core.lua): the cdef text generated from
 * the SIC_FFI regions, the ABI version and the C view of every struct layout. */
typedef struct sic_ffi_layout_entry {
  const char *type;                      /* struct name, or "#" for an enum constant */
  const char *field;                     /* field name; NULL for the struct's own size */
  int64_t size;                          /* sizeof field (or struct); constant value for "#" */
  int64_t offset;                        /* offsetof field; 0 for the struct row */
} sic_ffi_layout_entry;
const char *sic_ffi_cdef(void);
int sic_ffi_abi_version(void);
const char *sic_ffi_version_string(void);
int64_t sic_ffi_layout_count(void);
const sic_ffi_layout_entry *sic_ffi_layout(int64_t i);
double sic_ffi_now(void);
/* Names of the regular files in dir, '\n'-separated, into out[0..cap-1] (NUL-terminated).
 * Returns the bytes needed (excluding the NUL; retry with a bigger buffer when >= cap),
 * or a negative SIC_E* code when dir cannot be read (SIC_ENOTFOUND when missing). */
int64_t sic_ffi_list_dir(const char *dir, char *out, int64_t cap);
/* free() for memory C hands to Lua (JSON documents of sic.store, ...). */
void sic_ffi_free(void *p);
/* The Lua modules components registered (sic_lua_register_module), for scripts/lib/sic/core.lua:
 * their number, the i-th one's name, and by name their cdef (NULL when no such module is built
 * in) and C layout table (the same entries as sic_ffi_layout). */
int64_t sic_ffi_module_count(void);
const char *sic_ffi_module_name(int64_t i);
const char *sic_ffi_module_cdef(const char *name);
int64_t sic_ffi_module_layout_count(const char *name);
const sic_ffi_layout_entry *sic_ffi_module_layout(const char *name, int64_t i);
/* SIC_FFI_END */

/* ---- Plug-ins: components' Lua modules ----
 * The host knows nothing about the components above it (store, rag, ml, ...). Each registers
 * its Lua module here (its register function, called by sic_components_init(): a list CMake
 * generates from the components built, run when libsic.so is loaded and by every program
 * linked with libsic.a before it creates a Lua state). `require "sic.kb"` then finds the
 * module's cdef; a module that was not built is absent and its require says so. */
typedef struct sic_lua_module {
  const char *name;                      /* what scripts require: "sic.kb" */
  const char *cdef;                      /* FFI declarations generated from its SIC_FFI regions */
  const sic_ffi_layout_entry *layout;    /* C layout of the structs/constants of cdef */
  int64_t nlayout;                       /* entries in layout */
} sic_lua_module;

/* Register m (static storage: the host keeps the pointer). Registering a name again replaces
 * the entry. SIC_ENOMEM when the table (32 modules) is full. */
int sic_lua_register_module(const sic_lua_module *m);

/* Every component's registration (generated: build/generated/sic_components.c). */
void sic_components_init(void);

#endif
