/* --scripts at a Kubernetes ConfigMap mount (lua/rules_mount.c, used by `sic worker` and
 * `sic serve`): the layout is built by hand as the kubelet builds it (ROOT/rules ->
 * ..data/rules, ROOT/..data -> ..TIMESTAMP, an update renames a new ..data link over the old
 * one). The mounted rule takes effect (links resolved), a link leading outside the mount is
 * not followed, a swap is noticed and reloaded, and a swap to a broken rule keeps the old; the
 * same through `sic serve --scripts`, whose rescan thread follows the swaps by itself. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lua/rules_mount.h"
#include "gen/gen.h"
#include "lua/lua_host.h"
#include "model/model.h"

static const char *rule_fmt =
  "return { rules = { {\n"
  "  id = \"team.long_app\", title = \"%s\", severity = \"low\", applies_to = \"app\",\n"
  "  when = function(app, ctx) %s if app.duration >= 0 then return { seconds = app.duration / 1000 } end end,\n"
  "  advice = function(e) return 'ran' end,\n"
  "  impact = function(e) return { saving_ms = 0 } end,\n"
  "} } }\n";

static char root[256];

static void write_version(const char *stamp, const char *title, const char *extra) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, stamp);
  CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
  snprintf(path, sizeof path, "%s/%s/rules", root, stamp);
  CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
  snprintf(path, sizeof path, "%s/%s/rules/team_rules.lua", root, stamp);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL, "write %s", path);
  if (!f) return;
  if (title) fprintf(f, rule_fmt, title, extra);
  else fputs(extra, f);
  fclose(f);
  /* a link in the mount to a file outside it: must never be copied */
  snprintf(path, sizeof path, "%s/%s/rules/outside.lua", root, stamp);
  CHECK(symlink("/etc/hostname", path) == 0, "symlink outside");
}

/* The kubelet's atomic swap: a new ..data link renamed over the old one. */
static void swap_to(const char *stamp) {
  char tmp[512], data[512];
  snprintf(tmp, sizeof tmp, "%s/..data_tmp", root);
  snprintf(data, sizeof data, "%s/..data", root);
  CHECK(symlink(stamp, tmp) == 0, "symlink ..data_tmp");
  CHECK(rename(tmp, data) == 0, "rename over ..data");
}

/* Title of team.long_app in the findings with the watch's active rules ("" when absent). */
static void active_title(const sic_app *app, const sic_rules_watch *w, char *out, size_t n) {
  const char *dirs[1] = {w->active};
  sic_lua_opts lo = {0};
  lo.script_dirs = dirs;
  lo.nscript_dirs = 1;
  char *json = NULL;
  sic_err err = {0};
  out[0] = 0;
  CHECK(sic_lua_analyze(app, &lo, &json, NULL, &err) == 0, "analyze: %s", err.msg);
  const char *p = json ? strstr(json, "\"team.long_app\"") : NULL;
  const char *t = p ? strstr(p, "\"title\"") : NULL;
  const char *q1 = t ? strchr(t + 7, '"') : NULL;
  const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
  if (q2) snprintf(out, n, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
  free(json);
}

static int sh(const char *cmd, char *out, size_t n) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t got = fread(out, 1, n - 1, p);
  out[got] = 0;
  return pclose(p);
}

/* Title of team.long_app in what `sic serve` answers for the app ("" when absent). */
static char served_app[128]; /* the served log's application id */

static void served_title(const char *url, char *out, size_t n) {
  char cmd[600], body[1 << 16];
  snprintf(cmd, sizeof cmd, "curl -fsS '%s/v1/apps/%s/findings'", url, served_app);
  out[0] = 0;
  if (sh(cmd, body, sizeof body)) return;
  const char *p = strstr(body, "\"team.long_app\"");
  const char *t = p ? strstr(p, "\"title\"") : NULL;
  const char *q1 = t ? strchr(t + 7, '"') : NULL;
  const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
  if (q2) snprintf(out, n, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
}

/* sic serve --scripts at the mount: a swap is reloaded by the rescan thread, a broken one is not. */
static void serve_follows_swaps(void) {
  const char *bin = getenv("SIC_BUILD_DIR");
  if (!bin) return;
  char cmd[1600], out[512] = "", url[128] = "", title[256];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s-logs' && '%s/sic' example '%s-logs/app.json' --tasks 200 >/dev/null 2>&1 && "
           "{ '%s/sic' serve --logs '%s-logs' --scripts '%s' --listen 127.0.0.1:0 --rescan-ms 200 >'%s-serve.out' 2>&1 & echo $!; }",
           root, bin, root, bin, root, root, root);
  CHECK(sh(cmd, out, sizeof out) == 0, "start sic serve");
  pid_t pid = (pid_t)atoi(out);
  snprintf(cmd, sizeof cmd, "grep -o -m1 '\"App ID\":\"[^\"]*\"' '%s-logs/app.json' | cut -d'\"' -f4", root);
  sh(cmd, served_app, sizeof served_app);
  served_app[strcspn(served_app, "\n")] = 0;
  for (int i = 0; i < 300 && !url[0]; i++) {
    usleep(100000);
    snprintf(cmd, sizeof cmd, "sed -n 's/.*listening on \\(http:[^ ]*\\).*/\\1/p' '%s-serve.out'", root);
    sh(cmd, url, sizeof url);
    url[strcspn(url, "\n")] = 0;
  }
  CHECK(url[0] != 0, "sic serve listening");
  served_title(url, title, sizeof title);
  CHECK(!strcmp(title, "Fifth title"), "serve: the mounted rule is served (title '%s')", title);
  write_version("..2026_12_06_22_25_00.6", "Sixth title", "");
  swap_to("..2026_12_06_22_25_00.6");
  for (int i = 0; i < 300 && strcmp(title, "Sixth title"); i++) {
    usleep(100000);
    served_title(url, title, sizeof title);
  }
  CHECK(!strcmp(title, "Sixth title"), "serve: the swap was reloaded without a request (title '%s')", title);
  write_version("..2026_12_06_22_30_00.7", NULL, "return { rules = { { id = 'bad.syntax', title = } }\n");
  swap_to("..2026_12_06_22_30_00.7");
  char rules[8192] = "";
  for (int i = 0; i < 300 && !strstr(rules, "\"reloadFailures\" : 1"); i++) {
    usleep(100000);
    snprintf(cmd, sizeof cmd, "curl -fsS '%s/v1/rules'", url);
    sh(cmd, rules, sizeof rules);
  }
  CHECK(strstr(rules, "\"reloadFailures\" : 1") != NULL, "serve: the broken swap was tried and rejected: %s", rules);
  served_title(url, title, sizeof title);
  CHECK(!strcmp(title, "Sixth title"), "serve: the previous rules keep serving (title '%s')", title);
  if (pid > 0) kill(pid, SIGTERM);
  usleep(300000);
  snprintf(cmd, sizeof cmd, "rm -rf '%s-logs' '%s-serve.out'", root, root);
  if (system(cmd)) fprintf(stderr, "cleanup failed\n");
}

int main(void) {
  snprintf(root, sizeof root, "/tmp/sic-configmap-XXXXXX");
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  char path[512], title[256], cmd[600];
  write_version("..2026_12_06_22_00_00.1", "First title", "");
  snprintf(path, sizeof path, "%s/..data", root);
  CHECK(symlink("..2026_12_06_22_00_00.1", path) == 0, "..data");
  snprintf(path, sizeof path, "%s/rules", root);
  CHECK(symlink("..data/rules", path) == 0, "rules -> ..data/rules");

  sic_gen_opts go;
  sic_gen_opts_default(&go);
  go.tasks = 200;
  sic_err err = {0};
  snprintf(path, sizeof path, "%s.log", root);
  sic_app *app = NULL;
  CHECK(sic_gen_write_file(path, &go, NULL, &err) == 0 && sic_app_load_path(path, NULL, &app, &err) == 0, "app: %s", err.msg);
  unlink(path);

  sic_rules_watch w;
  CHECK(sic_rules_watch_init(&w, root, &err) == 0, "watch the mount: %s", err.msg);
  snprintf(path, sizeof path, "%s/rules/team_rules.lua", w.active);
  CHECK(access(path, R_OK) == 0, "the mounted rule (a link) was copied into the snapshot");
  snprintf(path, sizeof path, "%s/rules/outside.lua", w.active);
  CHECK(access(path, F_OK) != 0, "a link leading outside the mount was not followed");
  active_title(app, &w, title, sizeof title);
  CHECK(!strcmp(title, "First title"), "the mounted rule takes effect (title '%s')", title);
  CHECK(sic_rules_watch_poll(&w) == 0, "nothing new: no reload");

  write_version("..2026_12_06_22_05_00.2", "Second title", "");
  swap_to("..2026_12_06_22_05_00.2");
  CHECK(sic_rules_watch_poll(&w) == 1, "the swap is noticed and reloaded");
  active_title(app, &w, title, sizeof title);
  CHECK(!strcmp(title, "Second title"), "the swapped rule takes effect (title '%s')", title);

  write_version("..2026_12_06_22_10_00.3", NULL, "return { rules = { { id = 'bad.syntax', title = } }\n");
  swap_to("..2026_12_06_22_10_00.3");
  CHECK(sic_rules_watch_poll(&w) == -1, "a broken update is rejected");
  CHECK(w.last_error[0] != 0, "with a reason");
  /* checked by Engine:reload, as the REPL's sic.reload(): the file named as the user sees it */
  char expect[600];
  snprintf(expect, sizeof expect, "1 rule error(s); %s/rules/team_rules.lua: ", root);
  CHECK(!strncmp(w.last_error, expect, strlen(expect)), "names the mounted file: %s", w.last_error);
  CHECK(!strstr(w.last_error, w.base), "not the private snapshot: %s", w.last_error);
  active_title(app, &w, title, sizeof title);
  CHECK(!strcmp(title, "Second title"), "the previous rules stay active (title '%s')", title);
  CHECK(sic_rules_watch_poll(&w) == 0, "a rejected generation is not retried on every poll");

  write_version("..2026_12_06_22_15_00.4", "Fourth title", "error('boom')");
  swap_to("..2026_12_06_22_15_00.4");
  CHECK(sic_rules_watch_poll(&w) == -1, "a rule failing at run time is rejected too");
  CHECK(strstr(w.last_error, "boom") != NULL, "with the run's error: %s", w.last_error);
  write_version("..2026_12_06_22_20_00.5", "Fifth title", "");
  swap_to("..2026_12_06_22_20_00.5");
  CHECK(sic_rules_watch_poll(&w) == 1, "a fixed update is taken");
  active_title(app, &w, title, sizeof title);
  CHECK(!strcmp(title, "Fifth title"), "fixed rule active (title '%s')", title);

  sic_rules_watch_free(&w);
  serve_follows_swaps();
  sic_app_free(app);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", root);
  return CHECK_RESULT();
}
