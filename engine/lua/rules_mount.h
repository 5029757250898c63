/* The reload of user rule dirs for `sic serve` (--scripts, POST /v1/rules/reload) and
 * `sic worker`; the dirs may be Kubernetes ConfigMap mounts.
 *
 * A ConfigMap volume is a tree of symlinks: ROOT/rules -> ..data/rules, ROOT/..data ->
 * ..2026_12_06_22_00_00.123, and an update writes a new timestamped dir and renames a new
 * ..data link over the old one (atomic). So:
 *   - copying follows symlinks, but only to files and dirs whose real path stays inside the
 *     real path of ROOT (a mounted rule cannot pull in /etc/passwd; a plain rule dir keeps its
 *     "no files from elsewhere" guarantee); entries whose names start with ".." are the
 *     mount's own bookkeeping and are never copied;
 *   - the generation of ROOT is the ..data link target when there is one (it changes exactly
 *     when the mount is swapped), else a digest of the names, sizes and mtimes of its files;
 *   - a new generation is copied into a private snapshot and validated: first the watch's own
 *     engine reloads with it through Engine:reload (scripts/lib/sic/engine.lua), the reload
 *     the REPL's sic.reload() runs, so a broken edit is reported the same way there and here;
 *     then the whole graph runs over a small generated application and must not add rule
 *     errors to the built-ins'. Only then is it made active; a broken update leaves the
 *     previous rules active and says why ("N rule error(s); <file>: <reason>").
 *
 * Ownership: strings passed in are borrowed; a sic_rules_watch is the caller's (init/free),
 * and not for concurrent use (sic serve reloads under a mutex). */
#ifndef SIC_FLEET_RULES_MOUNT_H
#define SIC_FLEET_RULES_MOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Copy src (files at the top and in rules/, agents/, lib/, pricing/) into the new dir dst. */
int sic_rules_copy(const char *src, const char *dst, sic_err *err);
/* The generation of src into out ("" when src cannot be read). */
void sic_rules_generation(const char *src, char *out, size_t n);

/* A watched rule dir with its active validated snapshot. */
typedef struct sic_rules_watch {
  char src[512];          /* the user's dir (e.g. the ConfigMap mount) */
  char base[256];         /* private dir holding the snapshots */
  char active[320];       /* active snapshot dir ("" = built-in rules only) */
  char generation[512];   /* generation of src the last reload looked at */
  int version;            /* snapshots made so far */
  int reloads;            /* successful reloads */
  int rejected;           /* updates rejected (old rules kept) */
  char last_error[512];   /* why the last update was rejected */
  int64_t loaded_ms;      /* wall clock (ms since the epoch) when active was made active */
  struct lua_State *L;    /* host state whose engine checks each snapshot (Engine:reload) */
} sic_rules_watch;

/* Snapshot and validate src now; fails when the first version is not valid. */
int sic_rules_watch_init(sic_rules_watch *w, const char *src, sic_err *err);
/* Reload when the generation changed: 1 reloaded, 0 nothing new, -1 rejected (old kept). */
int sic_rules_watch_poll(sic_rules_watch *w);
/* Reload now (POST /v1/rules/reload): 1 reloaded, -1 rejected (old kept, last_error says why). */
int sic_rules_watch_reload(sic_rules_watch *w);
/* Remove the snapshots and the watch's Lua state. */
void sic_rules_watch_free(sic_rules_watch *w);

#endif
