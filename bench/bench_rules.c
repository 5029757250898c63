/* Rule-evaluation benchmark: the shipped rules (scripts/rules/, run by the graph through
 * the FFI) against the same checks written in C (stage and executor rules; the app-level config
 * rules are a handful of lookups), over every task of one large log; both are
 * also compared with the time to parse the log.
 *
 * usage: bench_rules LOG [--repeat N]
 * Prints the timings and one line
 *   RESULT parse_s=.. c_s=.. lua_s=.. ratio=.. share=.. tasks=.. findings_c=.. findings_lua=..
 * where ratio = lua / c (target <= 3) and share = lua / parse (target <= 0.10). The C checks
 * mirror each rule's `when` (same thresholds, same statistics calls); their finding counts
 * must equal the Lua ones, or the benchmark fails. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/lua_host.h"
#include "model/model.h"
#include "stats/stats.h"

/* Process CPU time: everything measured is single-threaded, and on a shared machine CPU time
 * is far steadier than wall time. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Finding counts of the rules that look at stages (the per-task work). */
typedef struct counts {
  int skew_duration;      /* skew.task_duration */
  int skew_shuffle;       /* skew.shuffle_read */
  int tiny_tasks;         /* partition.tiny_tasks */
  int gc_pressure;        /* runtime.gc_pressure */
  int spill;              /* runtime.spill */
  int failed_tasks;       /* runtime.failed_tasks */
  int exec_gc;            /* executor.gc_pressure */
  int exec_idle;          /* executor.idle */
} counts;

static double stat_sum(const sic_app *app, int64_t st, int col, int filter) {
  sic_summary s;
  sic_stats_stage(app, st, col, filter, &s);
  return s.sum;
}

/* executor.gc_pressure and executor.idle of scripts/rules/failure_rules.lua: one pass over
 * the tasks for per-executor totals, then the checks. */
static void c_executor_rules(const sic_app *app, counts *c) {
  int64_t n = app->nexecutors;
  int64_t *tasks = calloc((size_t)n + 1, sizeof *tasks);
  double *run = calloc((size_t)n + 1, sizeof *run), *gc = calloc((size_t)n + 1, sizeof *gc);
  for (int64_t row = 0; row < app->tasks.n; row++) {
    int32_t e = sic_task_executor(app, row);
    if (e < 0 || e >= n) continue;
    tasks[e]++;
    run[e] += (double)sic_task_metric_get(app, row, SIC_TM_EXECUTOR_RUN_TIME);
    gc[e] += (double)sic_task_metric_get(app, row, SIC_TM_JVM_GC_TIME);
  }
  int64_t app_end = app->end_time >= 0 ? app->end_time : app->last_event_time;
  for (int64_t e = 0; e < n; e++) {
    const sic_executor *x = &app->executors[e];
    if (run[e] >= 30000 && gc[e] / run[e] >= 0.2) c->exec_gc++;
    if (!x->is_driver && x->add_time >= 0 && tasks[e] == 0 &&
        (x->remove_time >= 0 ? x->remove_time : app_end) - x->add_time >= 60000) c->exec_idle++;
  }
  free(tasks);
  free(run);
  free(gc);
}

/* The stage rules of scripts/rules/{skew,partition,runtime}_rules.lua, in C. */
static void c_rules(const sic_app *app, counts *c) {
  memset(c, 0, sizeof *c);
  c_executor_rules(app, c);
  for (int64_t st = 0; st < app->nstages; st++) {
    const sic_stage *stage = &app->stages[st];
    sic_summary s;
    if (stage->tasks.n >= 8) {
      sic_stats_stage(app, st, SIC_SC_DURATION, SIC_SF_SUCCESSFUL, &s);
      /* skew.task_duration also needs a MAD outlier score >= 5 and a straggler that holds the
       * stage up: max - p75 >= 500 ms and >= 25% of the stage's wall time. */
      int64_t begin = stage->first_task_launch >= 0 ? stage->first_task_launch : stage->submission_time;
      double wall = stage->completion_time >= 0 && begin >= 0 ? (double)(stage->completion_time - begin) : -1;
      if (wall <= 0) wall = s.max;
      double z = s.mad > 0 ? (s.max - s.median) / (1.4826 * s.mad) : 1e300;
      if (s.n >= 8 && s.max >= 1000 && s.median > 0 && s.max_over_median >= 3 && z >= 5 &&
          s.max - s.p75 >= 500 && s.max - s.p75 >= 0.25 * wall)
        c->skew_duration++;
      sic_stats_stage(app, st, SIC_SC_SHUFFLE_READ_BYTES, SIC_SF_SUCCESSFUL, &s);
      z = s.mad > 0 ? (s.max - s.median) / (1.4826 * s.mad) : 1e300;
      if (s.n >= 8 && s.max >= 16 * 1048576.0 && s.median > 0 && s.max_over_median >= 4 && z >= 5) c->skew_shuffle++;
    }
    if (stage->tasks.n >= 100) {
      sic_stats_stage(app, st, SIC_SC_DURATION, SIC_SF_SUCCESSFUL, &s);
      if (s.n >= 100 && s.median <= 50) {
        sic_stats_stage(app, st, SIC_SC_SCHEDULER_DELAY, SIC_SF_SUCCESSFUL, &s);
        c->tiny_tasks++;
      }
    }
    double run = stat_sum(app, st, SIC_TM_EXECUTOR_RUN_TIME, SIC_SF_ALL);
    if (run >= 10000 && stat_sum(app, st, SIC_TM_JVM_GC_TIME, SIC_SF_ALL) / run >= 0.1) c->gc_pressure++;
    if (stat_sum(app, st, SIC_SC_SPILL_BYTES, SIC_SF_ALL) >= 1048576) {
      stat_sum(app, st, SIC_TM_DISK_BYTES_SPILLED, SIC_SF_ALL);
      c->spill++;
    }
    int failed = 0;
    for (int32_t i = 0; i < stage->tasks.n; i++)
      failed += app->tasks.status[app->stage_task_rows[stage->tasks.off + i]] == SIC_TASK_FAILED;
    if (failed >= 1) c->failed_tasks++;
  }
}

static const char *LUA_RUN =
  "local ptr = ...\n"
  "local app = sic.wrap(ptr)\n"
  "local t0 = os.clock()\n"
  "local report = sic.analyze(app)\n"
  "local dt = os.clock() - t0\n"
  "local n = {}\n"
  "for _, f in ipairs(report.findings) do n[f.id] = (n[f.id] or 0) + 1 end\n"
  "return dt, n['skew.task_duration'] or 0, n['skew.shuffle_read'] or 0, n['partition.tiny_tasks'] or 0,\n"
  "  n['runtime.gc_pressure'] or 0, n['runtime.spill'] or 0, n['runtime.failed_tasks'] or 0,\n"
  "  n['executor.gc_pressure'] or 0, n['executor.idle'] or 0, report.errors, #report.findings\n";

static int lua_rules(lua_State *L, const sic_app *app, counts *c, double *seconds, int *total) {
  if (luaL_loadstring(L, LUA_RUN) != 0) return -1;
  lua_pushlightuserdata(L, (void *)app);
  if (lua_pcall(L, 1, 11, 0) != 0) {
    fprintf(stderr, "bench_rules: %s\n", lua_tostring(L, -1));
    return -1;
  }
  *seconds = lua_tonumber(L, -11);
  c->skew_duration = (int)lua_tonumber(L, -10);
  c->skew_shuffle = (int)lua_tonumber(L, -9);
  c->tiny_tasks = (int)lua_tonumber(L, -8);
  c->gc_pressure = (int)lua_tonumber(L, -7);
  c->spill = (int)lua_tonumber(L, -6);
  c->failed_tasks = (int)lua_tonumber(L, -5);
  c->exec_gc = (int)lua_tonumber(L, -4);
  c->exec_idle = (int)lua_tonumber(L, -3);
  int errors = (int)lua_tonumber(L, -2);
  *total = (int)lua_tonumber(L, -1);
  lua_settop(L, 0);
  if (errors) { fprintf(stderr, "bench_rules: %d rule_error finding(s)\n", errors); return -1; }
  return 0;
}

int main(int argc, char **argv) {
  const char *path = NULL;
  int repeat = 3;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else path = argv[i];
  }
  if (!path || repeat < 1) { fprintf(stderr, "usage: bench_rules LOG [--repeat N]\n"); return 2; }
  sic_err err = {0};
  sic_app *app = NULL;
  double t0 = now();
  if (sic_app_load_path(path, NULL, &app, &err) < 0) { fprintf(stderr, "bench_rules: %s\n", err.msg); return 1; }
  double parse_s = now() - t0;
  lua_State *L = NULL;
  if (sic_lua_new(NULL, &L, &err) < 0) { fprintf(stderr, "bench_rules: %s\n", err.msg); return 1; }
  counts cc, lc;
  double best_c = 1e30, best_lua = 1e30;
  int total = 0;
  for (int r = 0; r < repeat; r++) {
    t0 = now();
    c_rules(app, &cc);
    double dc = now() - t0;
    if (dc < best_c) best_c = dc;
    double dl;
    if (lua_rules(L, app, &lc, &dl, &total) < 0) return 1;
    if (dl < best_lua) best_lua = dl;
  }
  printf("input: %s: %lld task attempts, %lld stage attempts\n", path, (long long)app->tasks.n, (long long)app->nstages);
  printf("CPU seconds (best of %d)\nparse (sic_app_load, 1 thread):      %8.3f s\n", repeat, parse_s);
  printf("stage rules in C (same checks):      %8.3f s\n", best_c);
  printf("whole graph in Lua (6 agents, %2d findings): %8.3f s\n", total, best_lua);
  printf("findings C/Lua: skew %d/%d, shuffle skew %d/%d, tiny %d/%d, gc %d/%d, spill %d/%d, failed %d/%d, "
         "executor gc %d/%d, idle executors %d/%d\n",
         cc.skew_duration, lc.skew_duration, cc.skew_shuffle, lc.skew_shuffle, cc.tiny_tasks, lc.tiny_tasks,
         cc.gc_pressure, lc.gc_pressure, cc.spill, lc.spill, cc.failed_tasks, lc.failed_tasks, cc.exec_gc, lc.exec_gc,
         cc.exec_idle, lc.exec_idle);
  int same = !memcmp(&cc, &lc, sizeof cc);
  printf("RESULT parse_s=%.3f c_s=%.3f lua_s=%.3f ratio=%.2f share=%.3f tasks=%lld same_findings=%d\n", parse_s,
         best_c, best_lua, best_lua / best_c, best_lua / parse_s, (long long)app->tasks.n, same);
  sic_lua_free(L);
  sic_app_free(app);
  return same ? 0 : 1;
}
