/* Rules of the copilot API: GET /v1/rules and POST /v1/rules/reload.
 *
 * The user's rule dir (sic serve --scripts DIR) is never read in place by analyses: a reload
 * copies it into a numbered snapshot under the server's private dir, runs the whole graph
 * with it over a small generated application, and only when no rule failed to load or run
 * does the snapshot become the active one (a pointer swap under a mutex). A failed reload
 * leaves the old rules serving and says why (transactional). Old snapshots stay until
 * shutdown, since an analysis that started with one may still be reading it. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen/gen.h"
#include "http/http_internal.h"
#include "json/write.h"
#include "lua/rules_mount.h"
#include "lua/lua_host.h"
#include "model/model.h"

/* ---- copying a rule dir ---- */

/* Copying (through the symlinks of a ConfigMap mount, never outside the dir) lives in
 * lua/rules_mount.c, shared with `sic worker`. */

/* ---- validation ---- */

static int validation_app(sic_http *srv, sic_err *err) {
  if (srv->rules_probe) return 0;
  char path[300];
  snprintf(path, sizeof path, "%s/rules-probe.log", srv->upload_dir);
  sic_gen_opts go;
  sic_gen_opts_default(&go);
  go.tasks = 300; /* small: validation must be quick, but with failures, skew, SQL to exercise rules */
  if (sic_gen_write_file(path, &go, NULL, err) < 0) return err->code;
  int rc = sic_app_load_path(path, NULL, &srv->rules_probe, err);
  unlink(path);
  return rc;
}

/* Rule errors of the graph over the probe app with rules from dir (NULL: built-in only);
 * -1 when the engine cannot run at all (why says so). *f receives the run (typed findings). */
static int64_t probe_errors(sic_http *srv, const char *dir, sic_findings *f, char *why, size_t whylen) {
  const char *dirs[1] = {dir};
  sic_lua_opts lo = {0};
  if (dir) {
    lo.script_dirs = dirs;
    lo.nscript_dirs = 1;
  }
  sic_err err = {0};
  if (sic_lua_run_graph(srv->rules_probe, &lo, "json", f, &err) < 0) {
    snprintf(why, whylen, "%s", err.msg[0] ? err.msg : sic_strerror(err.code));
    return -1;
  }
  return f->nerrors;
}

/* Run the graph with rules from dir over the probe app: 0 when it adds no rule error to
 * what the built-in rules alone give (a broken built-in rule is not the user's reload's
 * fault, and is reported in every analysis anyway). */
static int validate(sic_http *srv, const char *dir, char *why, size_t whylen) {
  sic_err err = {0};
  if (validation_app(srv, &err) < 0) {
    snprintf(why, whylen, "cannot build the validation application: %s", err.msg);
    return -1;
  }
  sic_findings base_run, run;
  int64_t base = probe_errors(srv, NULL, &base_run, why, whylen);
  sic_findings_free(&base_run);
  if (base < 0) return -1;
  int64_t nerr = probe_errors(srv, dir, &run, why, whylen);
  if (nerr < 0) return -1;
  nerr -= base;
  if (nerr > 0) {
    /* name the failing rules: the rule_error findings' titles */
    size_t k = (size_t)snprintf(why, whylen, "%lld rule error(s)", (long long)nerr);
    for (int64_t i = 0; i < run.n && k < whylen; i++)
      if (!strcmp(run.items[i].id, "rule_error")) k += (size_t)snprintf(why + k, whylen - k, "; %s", run.items[i].title);
  }
  sic_findings_free(&run);
  return nerr <= 0 ? 0 : -1;
}

/* ---- the active rule set ---- */

int http_rules_init(sic_http *srv, sic_err *err) {
  pthread_mutex_init(&srv->rules_mu, NULL);
  srv->rules_mu_ready = 1;
  if (!srv->opts.scripts_dir) return 0; /* built-in scripts only: nothing to snapshot */
  char why[512];
  if (http_rules_reload(srv, why, sizeof why) < 0) return sic_err_set(err, SIC_EINVAL, "--scripts %s: %s", srv->opts.scripts_dir, why);
  return 0;
}

int http_rules_reload(sic_http *srv, char *why, size_t whylen) {
  pthread_mutex_lock(&srv->rules_reload_mu); /* one reload at a time; analyses are not blocked */
  int version = srv->rules_version + 1;
  char dir[300];
  snprintf(dir, sizeof dir, "%s/rules-%d", srv->upload_dir, version);
  sic_err err = {0};
  int rc = -1;
  sic_rules_generation(srv->opts.scripts_dir, srv->rules_generation, sizeof srv->rules_generation);
  if (sic_rules_copy(srv->opts.scripts_dir, dir, &err) < 0) snprintf(why, whylen, "%s", err.msg);
  else if (validate(srv, dir, why, whylen) == 0) rc = 0;
  if (rc == 0) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&srv->rules_mu);
    snprintf(srv->rules_active, sizeof srv->rules_active, "%s", dir);
    srv->rules_version = version;
    srv->rules_loaded_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    pthread_mutex_unlock(&srv->rules_mu);
    http_cache_clear(srv->cache); /* findings and reports depend on the rules */
  } else {
    atomic_fetch_add(&srv->metrics.rule_reload_failures, 1);
    srv->rules_version = version; /* the failed snapshot keeps its number; it is never used */
    snprintf(srv->rules_last_error, sizeof srv->rules_last_error, "%s", why);
  }
  pthread_mutex_unlock(&srv->rules_reload_mu);
  return rc;
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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  remove(path);
  return 0;
}

void http_rules_free(sic_http *srv) {
  if (srv->rules_probe) sic_app_free(srv->rules_probe);
  srv->rules_probe = NULL;
  if (srv->upload_dir[0]) /* every snapshot lives under the private dir */
    for (int v = 1; v <= srv->rules_version; v++) {
      char dir[300];
      snprintf(dir, sizeof dir, "%s/rules-%d", srv->upload_dir, v);
      nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
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
  char active[320];
  pthread_mutex_lock(&srv->rules_mu);
  snprintf(active, sizeof active, "%s", srv->rules_active);
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
