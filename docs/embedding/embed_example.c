/* Embedding libsic in a C program: load an event log, print a stage summary computed by the
 * C statistics, then run the orchestration graph (agents + rules, built-in and user scripts)
 * and print the findings report as JSON.
 *
 *   cc embed_example.c $(pkg-config --cflags --libs sic) -o embed_example
 *   ./embed_example /path/to/eventlog [USER_SCRIPTS_DIR]
 */
#include <sic.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s EVENTLOG [SCRIPTS_DIR]\n", argv[0]);
    return 2;
  }
  sic_err err = {0};
  sic_app *app = NULL;
  if (sic_app_load_path(argv[1], NULL, &app, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  printf("libsic %s (abi %d): %lld stages, %lld tasks\n", SIC_VERSION_STRING, SIC_ABI_VERSION,
         (long long)app->nstages, (long long)app->tasks.n);
  for (int64_t i = 0; i < app->nstages; i++) {
    sic_summary s;
    if (sic_stats_stage(app, i, SIC_SC_DURATION, SIC_SF_SUCCESSFUL, &s) == SIC_OK && s.n > 0)
      printf("stage %d.%d: %lld tasks, median %.0f ms, max %.0f ms\n", app->stages[i].stage_id,
             app->stages[i].attempt_id, (long long)s.n, s.median, s.max);
  }
  const char *dirs[1] = {argc > 2 ? argv[2] : NULL};
  sic_lua_opts opts = {0};
  opts.script_dirs = dirs;
  opts.nscript_dirs = argc > 2 ? 1 : 0;
  char *json = NULL;
  int64_t nfindings = 0;
  int rc = sic_lua_analyze(app, &opts, &json, &nfindings, &err);
  if (rc < 0) {
    fprintf(stderr, "%s\n", err.msg);
    sic_app_free(app);
    return 1;
  }
  printf("findings: %lld\n%s\n", (long long)nfindings, json);
  free(json);
  sic_app_free(app);
  return 0;
}
