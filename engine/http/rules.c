/* Rules of the copilot API: GET /v1/rules and POST /v1/rules/reload.
 *
 * The user's rule dir (sic serve --scripts DIR) is never read in place by analyses: a reload
 * copies it into a numbered private snapshot and checks it (lua/rules_mount.c, the one reload
 * path, shared with sic worker: Engine:reload as in the REPL, then the whole graph over a small
 * generated application), and only when nothing failed does the snapshot become the active one
 * (a pointer swap under a mutex). A failed reload leaves the old rules serving and says why
 * (transactional). Old snapshots stay until shutdown, since an analysis that started with one
 * may still be reading it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "json/write.h"
#include "lua/rules_mount.h"
#include "lua/lua_host.h"

/* ---- the active rule set ---- */

/* Take the watch's active snapshot after a successful reload (under rules_reload_mu). */
static void publish_active(sic_http *srv) {
  pthread_mutex_lock(&srv->rules_mu);
  snprintf(srv->rules_active, sizeof srv->rules_active, "%s", srv->rules_watch.active);
  srv->rules_loaded_ms = srv->rules_watch.loaded_ms;
  pthread_mutex_unlock(&srv->rules_mu);
  http_cache_clear(srv->cache); /* findings and reports depend on the rules */
}

int http_rules_init(sic_http *srv, sic_err *err) {
  pthread_mutex_init(&srv->rules_mu, NULL);
  srv->rules_mu_ready = 1;
  if (!srv->opts.scripts_dir) return 0; /* built-in scripts only: nothing to snapshot */
  if (sic_rules_watch_init(&srv->rules_watch, srv->opts.scripts_dir, err) < 0) return err->code;
  srv->rules_watching = 1;
  publish_active(srv);
  return 0;
}

/* A reload's outcome: the new snapshot published, or the rejection counted. */
static int settle(sic_http *srv, int r, char *why, size_t whylen) {
  if (r > 0) publish_active(srv);
  if (r >= 0) return 0;
  atomic_fetch_add(&srv->metrics.rule_reload_failures, 1);
  snprintf(why, whylen, "%s", srv->rules_watch.last_error);
  pthread_mutex_lock(&srv->rules_mu);
  snprintf(srv->rules_last_error, sizeof srv->rules_last_error, "%s", srv->rules_watch.last_error);
  pthread_mutex_unlock(&srv->rules_mu);
  return -1;
}

int http_rules_reload(sic_http *srv, char *why, size_t whylen) {
  pthread_mutex_lock(&srv->rules_reload_mu); /* one reload at a time; analyses are not blocked */
  int rc = settle(srv, sic_rules_watch_reload(&srv->rules_watch), why, whylen);
  pthread_mutex_unlock(&srv->rules_reload_mu);
  return rc;
}

void http_rules_poll(sic_http *srv) {
  if (!srv->rules_watching) return;
  char gen[sizeof srv->rules_watch.generation], why[512];
  sic_rules_generation(srv->opts.scripts_dir, gen, sizeof gen);
  /* only a ConfigMap mount reloads by itself: a plain dir keeps POST /v1/rules/reload */
  if (strncmp(gen, "configmap:", 10)) return;
  pthread_mutex_lock(&srv->rules_reload_mu);
  int rc = settle(srv, sic_rules_watch_poll(&srv->rules_watch), why, sizeof why);
  pthread_mutex_unlock(&srv->rules_reload_mu);
  if (rc < 0)
    fprintf(stderr, "sic serve: rules in %s rejected, the previous ones keep serving: %s\n", srv->opts.scripts_dir, why);
}

/* Host options for an analysis: the active snapshot (copied, so a reload cannot change it
 * under the caller). */
void http_rules_opts(sic_http *srv, sic_lua_opts *lo, const char **dirs, char *dirbuf, size_t n) {
  memset(lo, 0, sizeof *lo);
  pthread_mutex_lock(&srv->rules_mu);
  snprintf(dirbuf, n, "%s", srv->rules_active);
  pthread_mutex_unlock(&srv->rules_mu);
  if (dirbuf[0]) {
    dirs[0] = dirbuf;
    lo->script_dirs = dirs;
    lo->nscript_dirs = 1;
  }
}

void http_rules_free(sic_http *srv) {
  if (srv->rules_watching) sic_rules_watch_free(&srv->rules_watch); /* every snapshot goes with it */
  srv->rules_watching = 0;
  if (srv->rules_mu_ready) pthread_mutex_destroy(&srv->rules_mu);
}

/* ---- handlers ---- */

static void write_rule_files(sic_jw *w, const char *dir) {
  char buf[1 << 15];
  char sub[400];
  snprintf(sub, sizeof sub, "%s/rules", dir);
  int64_t need = sic_ffi_list_dir(sub, buf, sizeof buf);
  sic_jw_karr(w, "files");
  if (need >= 0 && need < (int64_t)sizeof buf)
    for (char *save = NULL, *name = strtok_r(buf, "\n", &save); name; name = strtok_r(NULL, "\n", &save))
      if (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".lua")) sic_jw_str(w, name);
  sic_jw_end(w);
}

int http_rules_get(sic_http *srv, http_req *rq, http_reply *out) {
  char active[320], last_error[sizeof srv->rules_last_error];
  pthread_mutex_lock(&srv->rules_mu);
  snprintf(active, sizeof active, "%s", srv->rules_active);
  snprintf(last_error, sizeof last_error, "%s", srv->rules_last_error);
  int64_t loaded = srv->rules_loaded_ms;
  pthread_mutex_unlock(&srv->rules_mu);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.rules/1");
  sic_jw_kobj(&w, "builtin");
  write_rule_files(&w, sic_lua_builtin_scripts());
  sic_jw_end(&w);
  sic_jw_kobj(&w, "user");
  sic_jw_kstr(&w, "dir", srv->opts.scripts_dir);
  if (active[0]) {
    sic_jw_kint(&w, "loadedAtEpoch", loaded);
    write_rule_files(&w, active);
  }
  sic_jw_end(&w);
  sic_jw_kint(&w, "reloadFailures", (int64_t)atomic_load(&srv->metrics.rule_reload_failures));
  if (last_error[0]) sic_jw_kstr(&w, "lastError", last_error); /* why the last reload was rejected */
  sic_jw_end(&w);
  return http_reply_json(out, 200, &w);
}

int http_rules_post_reload(sic_http *srv, http_req *rq, http_reply *out) {
  if (!srv->opts.scripts_dir) return http_reply_error(out, 409, "no rule dir to reload: start sic serve with --scripts DIR");
  char why[512] = "";
  if (http_rules_reload(srv, why, sizeof why) < 0)
    return http_reply_error(out, 422, "reload rejected, the previous rules keep serving: %s", why);
  return http_rules_get(srv, rq, out);
}
