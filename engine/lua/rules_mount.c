/* Rule dirs that may be ConfigMap mounts: copy through links inside the root, generation,
 * validation, watch: the one reload path of sic serve and sic worker (see rules_mount.h). */
#include "lua/rules_mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen/gen.h"
#include "json/scan.h"
#include "lua/lua_host.h"
#include "model/model.h"

static const char *const subdirs[] = {"rules", "agents", "lib", "pricing"}; /* what the Lua host searches */

/* 1 when path resolves to something inside root_real (itself included). */
static int inside(const char *root_real, const char *path, char *real) {
  if (!realpath(path, real)) return 0;
  size_t n = strlen(root_real);
  return !strncmp(real, root_real, n) && (real[n] == 0 || real[n] == '/');
}

static int copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
  if (in < 0) return -1;
  out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out >= 0) {
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
      if (write(out, buf, (size_t)n) != n) break;
    rc = n == 0 ? 0 : -1;
    if (close(out) != 0) rc = -1;
  }
  close(in);
  return rc;
}

static int copy_dir(const char *root_real, const char *src, const char *dst, int top, sic_err *err) {
  if (mkdir(dst, 0700) != 0) return sic_err_set(err, SIC_EIO, "%s: %s", dst, strerror(errno));
  DIR *d = opendir(src);
  if (!d) return sic_err_set(err, SIC_EIO, "cannot read the rule dir %s: %s", src, strerror(errno));
  int rc = 0;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* ., .., and the mount's ..data / ..TIMESTAMP */
    char from[PATH_MAX], to[PATH_MAX], real[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", src, e->d_name);
    snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
    struct stat st;
    if (stat(from, &st) != 0) continue; /* a dangling link */
    if (!inside(root_real, from, real)) {
      fprintf(stderr, "sic: rule dir: %s leads outside %s; ignored\n", from, root_real);
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      if (copy_file(real, to)) rc = sic_err_set(err, SIC_EIO, "cannot copy %s", from);
    } else if (S_ISDIR(st.st_mode) && top) {
      for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++)
        if (!strcmp(e->d_name, subdirs[i])) rc = copy_dir(root_real, real, to, 0, err);
    }
  }
  closedir(d);
  return rc;
}

int sic_rules_copy(const char *src, const char *dst, sic_err *err) {
  char root_real[PATH_MAX];
  if (!realpath(src, root_real)) return sic_err_set(err, SIC_ENOTFOUND, "rule dir %s: %s", src, strerror(errno));
  return copy_dir(root_real, root_real, dst, 1, err);
}

/* FNV-1a over names, sizes and mtimes of the files a copy would take. */
static void digest_dir(const char *dir, int top, uint64_t *h) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && top) digest_dir(path, 0, h);
    if (!S_ISREG(st.st_mode)) continue;
    char line[PATH_MAX + 64];
    int n = snprintf(line, sizeof line, "%s|%lld|%lld.%09ld;", path, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
    for (int i = 0; i < n && i < (int)sizeof line; i++) *h = (*h ^ (unsigned char)line[i]) * 1099511628211ULL;
  }
  closedir(d);
}

void sic_rules_generation(const char *src, char *out, size_t n) {
  char link[PATH_MAX], target[PATH_MAX];
  snprintf(link, sizeof link, "%s/..data", src);
  ssize_t len = readlink(link, target, sizeof target - 1);
  if (len > 0) {
    target[len] = 0;
    snprintf(out, n, "configmap:%s", target);
    return;
  }
  uint64_t h = 1469598103934665603ULL;
  digest_dir(src, 1, &h);
  snprintf(out, n, "files:%016llx", (unsigned long long)h);
}

/* ---- validation ---- */

static int64_t errors_of(const char *json) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr key;
  sic_json_init(&s, json, strlen(json));
  if (sic_json_obj_begin(&s, &it) < 0) return -1;
  while (sic_json_obj_next(&s, &it, &key) == 1) {
    int64_t n;
    if (SIC_JSTR_IS(&key, "errors")) return sic_json_i64(&s, &n) == 0 ? n : -1;
    if (sic_json_skip(&s) < 0) return -1;
  }
  return -1;
}

/* The small generated application every validation runs over (made once per process). */
static sic_app *probe_app(char *why, size_t whylen) {
  static sic_app *app;
  if (app) return app;
  char path[] = "/tmp/sic-rules-probe-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(why, whylen, "cannot create the validation log: %s", strerror(errno));
    return NULL;
  }
  close(fd);
  sic_gen_opts go;
  sic_gen_opts_default(&go);
  go.tasks = 300; /* failures, skew and SQL to exercise rules, and quick */
  sic_err err = {0};
  if (sic_gen_write_file(path, &go, NULL, &err) < 0 || sic_app_load_path(path, NULL, &app, &err) < 0) {
    snprintf(why, whylen, "cannot build the validation application: %s", err.msg);
    app = NULL;
  }
  unlink(path);
  return app;
}

static int64_t probe_errors(const sic_app *app, const char *dir, char **json, char *why, size_t whylen) {
  const char *dirs[1] = {dir};
  sic_lua_opts lo = {0};
  lo.script_dirs = dir ? dirs : NULL;
  lo.nscript_dirs = dir ? 1 : 0;
  sic_err err = {0};
  *json = NULL;
  if (sic_lua_analyze(app, &lo, json, NULL, &err) < 0) {
    snprintf(why, whylen, "%s", err.msg);
    return -1;
  }
  int64_t n = errors_of(*json);
  if (n < 0) snprintf(why, whylen, "unreadable findings document");
  return n;
}

/* 0 when the rules in dir add no rule error, at run time, to the built-in ones over the probe app. */
static int probe_validate(const char *dir, char *why, size_t whylen) {
  const sic_app *app = probe_app(why, whylen);
  if (!app) return -1;
  char *json = NULL;
  int64_t base = probe_errors(app, NULL, &json, why, whylen);
  free(json);
  if (base < 0) return -1;
  int64_t n = probe_errors(app, dir, &json, why, whylen);
  if (n > base) {
    size_t k = (size_t)snprintf(why, whylen, "%lld rule error(s)", (long long)(n - base));
    for (const char *p = strstr(json, "\"rule_error\""); p && k < whylen; p = strstr(p + 1, "\"rule_error\"")) {
      const char *t = strstr(p, "\"title\"");
      const char *q1 = t ? strchr(t + 7, '"') : NULL;
      const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
      if (q2) k += (size_t)snprintf(why + k, whylen - k, "; %.*s", (int)(q2 - q1 - 1), q1 + 1);
    }
  }
  free(json);
  return n >= 0 && n <= base ? 0 : -1;
}

/* ---- watch ---- */

/* Check the snapshot dir in two steps: the watch's engine reloads with it through
 * Engine:reload (what the REPL's sic.reload() runs: compile, validate, graph, config), then
 * the whole graph runs over the probe app (rules that load but fail when run). 0 or -1 (why). */
static int check_snapshot(sic_rules_watch *w, const char *dir, char *why, size_t whylen) {
  sic_err err = {0};
  int applied = sic_lua_reload_snapshot(w->L, dir, w->src, why, whylen, &err);
  if (applied < 0) snprintf(why, whylen, "%s", err.msg);
  if (applied <= 0) return -1;
  if (probe_validate(dir, why, whylen) == 0) return 0;
  sic_lua_reload_rollback(w->L);
  return -1;
}

static int reload(sic_rules_watch *w, const char *generation) {
  char dir[320];
  snprintf(dir, sizeof dir, "%s/rules-%d", w->base, ++w->version);
  sic_err err = {0};
  char why[512] = "";
  int rc = sic_rules_copy(w->src, dir, &err);
  if (rc) snprintf(why, sizeof why, "%s", err.msg);
  else rc = check_snapshot(w, dir, why, sizeof why);
  snprintf(w->generation, sizeof w->generation, "%s", generation); /* a rejected one is not retried */
  if (rc) {
    w->rejected++;
    snprintf(w->last_error, sizeof w->last_error, "%s", why);
    return -1;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  w->loaded_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  snprintf(w->active, sizeof w->active, "%s", dir); /* older snapshots stay until free: cheap */
  w->reloads++;
  return 1;
}

int sic_rules_watch_reload(sic_rules_watch *w) {
  char gen[512];
  sic_rules_generation(w->src, gen, sizeof gen);
  return reload(w, gen);
}

int sic_rules_watch_init(sic_rules_watch *w, const char *src, sic_err *err) {
  memset(w, 0, sizeof *w);
  snprintf(w->src, sizeof w->src, "%s", src);
  snprintf(w->base, sizeof w->base, "%s/sic-rules-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(w->base)) return sic_err_set(err, SIC_EIO, "cannot create a snapshot dir for %s: %s", src, strerror(errno));
  if (sic_lua_new(NULL, &w->L, err) < 0) {
    sic_rules_watch_free(w);
    return err->code;
  }
  if (sic_rules_watch_reload(w) < 0) {
    sic_err_set(err, SIC_EINVAL, "--scripts %s: %s", src, w->last_error);
    sic_rules_watch_free(w);
    return err->code;
  }
  return 0;
}

int sic_rules_watch_poll(sic_rules_watch *w) {
  char gen[512];
  sic_rules_generation(w->src, gen, sizeof gen);
  if (!strcmp(gen, w->generation)) return 0;
  return reload(w, gen);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void sic_rules_watch_free(sic_rules_watch *w) {
  if (w->base[0]) nftw(w->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  w->base[0] = 0;
  sic_lua_free(w->L);
  w->L = NULL;
}
