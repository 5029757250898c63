/* Example generator: the application's story and its timeline (see gen.h for the problems it
 * carries).
 *
 *   SQL 0  nightly ETL: scan orders (job 0; two S3 read timeouts retried), scan customers
 *          (job 1), sort-merge join + partial aggregate (job 2; skewed, spills, executor 5
 *          killed by YARN mid-stage), final aggregate + write (job 3; spills). AQE update.
 *   SQL 1  count of a day of clickstream JSON: many tiny tasks (job 4), final count (job 5);
 *          dynamic allocation asks for two more executors that arrive after the work is done.
 *   gap    95 s of driver-side work: idle executors are released after 60 s.
 *   SQL 2  append refunds with an ANSI cast that fails on one partition 4 times (job 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_internal.h"

void sic_gen_opts_default(sic_gen_opts *opts) {
  memset(opts, 0, sizeof *opts);
  opts->seed = 42;
  opts->tasks = 2000;
}

int64_t *gen_accum_slot(gen_app *g, int64_t id) {
  static int64_t sink; /* out-of-memory fallback: values are then wrong, status says so */
  if (id < 0) return &sink;
  if (id >= g->accum_cap) {
    int64_t cap = g->accum_cap ? g->accum_cap : 1024;
    while (cap <= id) cap *= 2;
    int64_t *nv = realloc(g->accum_value, (size_t)cap * sizeof *nv);
    if (!nv) {
      g->status = SIC_ENOMEM;
      return &sink;
    }
    memset(nv + g->accum_cap, 0, (size_t)(cap - g->accum_cap) * sizeof *nv);
    g->accum_value = nv;
    g->accum_cap = cap;
  }
  return &g->accum_value[id];
}

static int add_exec(gen_app *g, int64_t add_time, int gc_heavy) {
  int i = g->nexecs++;
  gen_exec *e = &g->execs[i];
  snprintf(e->id, sizeof e->id, "%d", i + 1);
  snprintf(e->host, sizeof e->host, "ip-10-0-%d-%d.ec2.internal", (int)gen_between(&g->rng, 1, 3),
           (int)gen_between(&g->rng, 20, 250));
  e->cores = 4;
  e->container = i + 2; /* container 1 is the YARN application master */
  e->port = (int)gen_between(&g->rng, 33000, 46000);
  e->gc_heavy = gc_heavy;
  e->add_time = add_time;
  e->bm_time = add_time + gen_between(&g->rng, 250, 700);
  e->remove_time = INT64_MAX;
  e->last_busy = e->bm_time;
  e->metrics_window = -1; /* no heartbeat yet */
  gen_queue(g, e->add_time, 0, i);
  gen_queue(g, e->bm_time, 1, i);
  return i;
}

static void remove_exec(gen_app *g, int i, int64_t when, const char *reason, int lost) {
  gen_exec *e = &g->execs[i];
  e->remove_time = when;
  e->remove_reason = reason;
  e->lost = lost;
  gen_queue(g, when, 2, i);
  gen_queue(g, when + gen_between(&g->rng, 2, 40), 3, i);
}

static int new_stage(gen_app *g, gen_role role, int num_tasks, int result, int job, int sql) {
  gen_stage *st = &g->stages[g->nstages];
  memset(st, 0, sizeof *st);
  st->id = g->nstages++;
  st->role = role;
  st->num_tasks = num_tasks;
  st->result = result;
  st->job = job;
  st->sql = sql;
  st->same_as = -1;
  st->rdd_first = g->next_rdd;
  st->nrdds = gen_rdd_count(role);
  g->next_rdd += st->nrdds;
  st->accum_base = g->next_accum;
  g->next_accum += gen_internal_accum_count();
  return st->id;
}

/* A stage a later AQE job lists again although its shuffle output already exists. */
static int skipped_copy(gen_app *g, int of, int job) {
  gen_stage *st = &g->stages[g->nstages];
  *st = g->stages[of];
  st->id = g->nstages++;
  st->skipped = 1;
  st->same_as = of;
  st->job = job;
  st->accum_base = -1;
  return st->id;
}

static gen_job *new_job(gen_app *g, int sql, int64_t submit, const char *call_short) {
  gen_job *j = &g->jobs[g->njobs];
  memset(j, 0, sizeof *j);
  j->id = g->njobs++;
  j->sql = sql;
  j->submit = submit;
  j->call_short = call_short;
  return j;
}

/* Emit a job whose last listed stage runs (the others are skipped copies). */
static int run_job(gen_app *g, gen_job *job, const char *failure) {
  gen_stage *st = &g->stages[job->stages[job->nstages - 1]];
  int rc;
  st->submit = job->submit + gen_between(&g->rng, 8, 30);
  if ((rc = gen_emit_job_start(g, job)) != 0) return rc;
  if ((rc = gen_emit_stage(g, st)) != 0) return rc;
  job->complete = g->now + gen_between(&g->rng, 2, 12);
  job->failed = failure != NULL || st->failure[0];
  g->now = job->complete;
  return gen_emit_job_end(g, job, st->failure[0] ? st->failure : failure);
}

static gen_sql *new_sql(gen_app *g, int plan, const char *description, int64_t start) {
  gen_sql *sql = &g->sqls[g->nsqls];
  memset(sql, 0, sizeof *sql);
  sql->id = g->nsqls++;
  sql->description = description;
  sql->start = start;
  return gen_sql_init(g, sql, plan) ? NULL : sql;
}

static int start_sql(gen_app *g, gen_sql *sql) {
  int rc = gen_flush_pending(g, sql->start);
  if (!rc) rc = gen_emit_sql_start(g, sql);
  if (!rc) rc = gen_emit_driver_accums(g, sql, 0);
  g->now = sql->start;
  return rc;
}

static int end_sql(gen_app *g, gen_sql *sql, int commit) {
  int rc = 0;
  if (commit) rc = gen_emit_driver_accums(g, sql, 1);
  if (!rc) rc = gen_emit_aqe_update(g, sql);
  sql->end = g->now + (commit ? gen_between(&g->rng, 900, 3100) : gen_between(&g->rng, 5, 40));
  g->now = sql->end;
  if (!rc) rc = gen_flush_pending(g, sql->end);
  return rc ? rc : gen_emit_sql_end(g, sql);
}

static int64_t share(const gen_app *g, int percent, int64_t floor) {
  int64_t n = g->opts.tasks * percent / 100;
  return n < floor ? floor : n;
}

/* SQL 0: the nightly join. */
static int etl_query(gen_app *g) {
  static const char map_site[] = "$anonfun$withThreadLocalCaptured$1 at FutureTask.java:264";
  gen_sql *sql = new_sql(g, GEN_PLAN_ETL, "nightly orders ETL: daily_revenue 2024-11-24", g->t0 + 14200);
  int rc;
  if (!sql || (rc = start_sql(g, sql))) return sql ? rc : SIC_ENOMEM;
  gen_job *j0 = new_job(g, 0, sql->start + 640, map_site);
  j0->stages[j0->nstages++] = new_stage(g, GEN_ROLE_SCAN_ORDERS, (int)share(g, 30, 8), 0, j0->id, 0);
  gen_stage *orders = &g->stages[j0->stages[0]];
  orders->nfail = 2; /* two S3 read timeouts, retried */
  orders->fail_index[0] = (int)gen_between(&g->rng, 0, orders->num_tasks / 2 - 1);
  orders->fail_index[1] = (int)gen_between(&g->rng, orders->num_tasks / 2, orders->num_tasks - 1);
  for (int k = 0; k < 6; k++) /* dynamic allocation ramps up on the backlog */
    add_exec(g, j0->submit + 1000 + k * 450 + gen_between(&g->rng, 0, 200), k == 0);
  if ((rc = run_job(g, j0, NULL))) return rc;
  gen_job *j1 = new_job(g, 0, g->now + 40, map_site);
  j1->stages[j1->nstages++] = new_stage(g, GEN_ROLE_SCAN_CUSTOMERS, (int)share(g, 5, 4), 0, j1->id, 0);
  if ((rc = run_job(g, j1, NULL))) return rc;
  gen_job *j2 = new_job(g, 0, g->now + 60, map_site);
  j2->stages[j2->nstages++] = skipped_copy(g, j0->stages[0], j2->id);
  j2->stages[j2->nstages++] = skipped_copy(g, j1->stages[0], j2->id);
  int join = new_stage(g, GEN_ROLE_JOIN, (int)share(g, 10, 12), 0, j2->id, 0);
  j2->stages[j2->nstages++] = join;
  gen_stage *js = &g->stages[join];
  js->parents[0] = j2->stages[0], js->parents[1] = j2->stages[1], js->nparents = 2;
  js->skew_count = 2 + js->num_tasks / 100 > 6 ? 6 : 2 + js->num_tasks / 100;
  /* YARN kills executor 5 for exceeding its memory limit in the join's first wave of tasks,
   * so the attempts running on it are lost */
  int64_t kill = j2->submit + 1500 + gen_between(&g->rng, 0, 1000);
  remove_exec(g, 4, kill,
              "Container killed by YARN for exceeding physical memory limits. 10.6 GB of 10 GB physical "
              "memory used. Consider boosting spark.executor.memoryOverhead.",
              1);
  add_exec(g, kill + 4500 + gen_between(&g->rng, 0, 800), 0);
  if ((rc = run_job(g, j2, NULL))) return rc;
  gen_job *j3 = new_job(g, 0, g->now + 50, "save at NightlyOrders.scala:87");
  j3->stages[j3->nstages++] = skipped_copy(g, j0->stages[0], j3->id);
  j3->stages[j3->nstages++] = skipped_copy(g, j1->stages[0], j3->id);
  int join_again = skipped_copy(g, join, j3->id);
  g->stages[join_again].parents[0] = j3->stages[0], g->stages[join_again].parents[1] = j3->stages[1];
  j3->stages[j3->nstages++] = join_again;
  int final = new_stage(g, GEN_ROLE_FINAL, (int)share(g, 10, 8), 1, j3->id, 0);
  g->stages[final].parents[0] = join_again, g->stages[final].nparents = 1;
  j3->stages[j3->nstages++] = final;
  if ((rc = run_job(g, j3, NULL))) return rc;
  return end_sql(g, sql, 1);
}

/* SQL 1: counting a day of small JSON files. */
static int tiny_files_query(gen_app *g) {
  gen_sql *sql = new_sql(g, GEN_PLAN_COUNT, "count at NightlyOrders.scala:112", g->now + 2500);
  int rc;
  if (!sql || (rc = start_sql(g, sql))) return sql ? rc : SIC_ENOMEM;
  gen_job *j4 = new_job(g, sql->id, sql->start + 380, "$anonfun$withThreadLocalCaptured$1 at FutureTask.java:264");
  int tiny = new_stage(g, GEN_ROLE_TINY, (int)share(g, 40, 10), 0, j4->id, sql->id);
  j4->stages[j4->nstages++] = tiny;
  /* the backlog makes dynamic allocation ask for more executors; they come too late */
  add_exec(g, j4->submit + 3500 + gen_between(&g->rng, 0, 300), 0);
  add_exec(g, j4->submit + 3900 + gen_between(&g->rng, 0, 300), 0);
  if ((rc = run_job(g, j4, NULL))) return rc;
  gen_job *j5 = new_job(g, sql->id, g->now + 30, "count at NightlyOrders.scala:112");
  j5->stages[j5->nstages++] = skipped_copy(g, tiny, j5->id);
  int count = new_stage(g, GEN_ROLE_COUNT, 1, 1, j5->id, sql->id);
  g->stages[count].parents[0] = j5->stages[0], g->stages[count].nparents = 1;
  j5->stages[j5->nstages++] = count;
  if ((rc = run_job(g, j5, NULL))) return rc;
  return end_sql(g, sql, 0);
}

/* Dynamic allocation releases executors idle for 60 s, keeping minExecutors = 2. */
static void release_idle(gen_app *g, int64_t until) {
  int kept = 0;
  for (int i = 0; i < g->nexecs; i++) {
    gen_exec *e = &g->execs[i];
    if (e->remove_time != INT64_MAX) continue;
    if (kept < 2) {
      kept++;
      continue;
    }
    int64_t idle_since = e->last_busy > e->bm_time ? e->last_busy : e->bm_time;
    if (idle_since + 60000 >= until) continue;
    snprintf(e->reason_buf, sizeof e->reason_buf, "Container container_%s_01_%06d exited from explicit termination request.",
             g->app_id + 12, e->container);
    remove_exec(g, i, idle_since + 60000 + gen_between(&g->rng, 5, 900), e->reason_buf, 0);
  }
}

/* SQL 2: an append that fails on malformed input. */
static int failing_query(gen_app *g) {
  gen_sql *sql = new_sql(g, GEN_PLAN_FAILING, "save at NightlyOrders.scala:131", g->now + 95000);
  int rc;
  release_idle(g, sql->start);
  if (!sql || (rc = start_sql(g, sql))) return sql ? rc : SIC_ENOMEM;
  gen_job *j6 = new_job(g, sql->id, sql->start + 520, "save at NightlyOrders.scala:131");
  int st = new_stage(g, GEN_ROLE_FAILING, (int)share(g, 5, 16), 1, j6->id, sql->id);
  j6->stages[j6->nstages++] = st;
  g->stages[st].fail_index[0] = g->stages[st].num_tasks / 3;
  g->stages[st].nfail = 1;
  if ((rc = run_job(g, j6, NULL))) return rc;
  snprintf(sql->error, sizeof sql->error, "%s", g->stages[st].failure);
  return end_sql(g, sql, 0);
}

static int run(gen_app *g) {
  int rc;
  if ((rc = gen_emit_preamble(g))) return rc;
  add_exec(g, g->t0 + 8500 + gen_between(&g->rng, 0, 300), 0);
  add_exec(g, g->t0 + 9100 + gen_between(&g->rng, 0, 300), 0);
  if ((rc = etl_query(g)) || (rc = tiny_files_query(g)) || (rc = failing_query(g))) return rc;
  return gen_emit_app_end(g, g->now + gen_between(&g->rng, 800, 1600));
}

int sic_gen_run(const sic_gen_opts *opts, sic_gen_sink sink, void *ctx, sic_gen_stats *stats, sic_err *err) {
  gen_app *g = calloc(1, sizeof *g);
  int rc;
  if (!g) return sic_err_set(err, SIC_ENOMEM, "example generator: out of memory");
  if (opts->tasks < 50 || opts->tasks > 100000000)
    return free(g), sic_err_set(err, SIC_EINVAL, "example generator: --tasks must be 50..100000000");
  g->opts = *opts;
  g->sink = sink;
  g->sink_ctx = ctx;
  g->rng = gen_rng_for(opts->seed, 0, 0, 0);
  g->t0 = (opts->start_day > 0 ? opts->start_day : 1732500000000LL) + (int64_t)(opts->seed % 1000) * 60000 + gen_between(&g->rng, 0, 59999);
  snprintf(g->app_id, sizeof g->app_id, "application_%lld_%04d", (long long)(g->t0 / 1000 - 259200) * 1000,
           (int)(40 + opts->seed % 9000));
  g->next_accum = 1;
  sic_jw_init(&g->w, SIC_JW_COMPACT);
  rc = run(g);
  if (!rc && g->status) rc = g->status;
  if (rc) sic_err_set(err, rc, "example generator: %s", sic_strerror(rc));
  if (stats) *stats = g->stats;
  for (int i = 0; i < g->nsqls; i++) gen_sql_free(&g->sqls[i]);
  sic_jw_free(&g->w);
  free(g->accum_value);
  free(g);
  return rc;
}
