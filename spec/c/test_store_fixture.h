/* Test-only: builds application models in memory for the store tests, so that they exercise
 * the store without depending on the log parser.
 *
 * fx_build() allocates every array itself and fx_free() releases them (not sic_app_free(), which
 * belongs to the model builder and may lay memory out differently). */
#ifndef SIC_TEST_STORE_FIXTURE_H
#define SIC_TEST_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* What the fake application looks like. */
typedef struct fx_spec {
  const char *app_id;                    /* "App ID" */
  const char *attempt_id;                /* NULL = no attempt id */
  const char *name;                      /* "App Name" */
  const char *source_path;               /* log path recorded in the model (also the single part), NULL = none */
  int64_t start_time;                    /* ms epoch */
  int64_t duration_ms;                   /* end - start */
  int nstages;                           /* stages, one job containing all */
  int tasks_per_stage;                   /* tasks in each stage */
  int64_t task_ms;                       /* duration of a normal task */
  int skew_factor;                       /* the last task of stage 0 lasts task_ms * skew_factor (0/1 = none) */
  int64_t input_per_task;                /* input bytes read by each task */
  int failed_tasks;                      /* the first n tasks of stage 0 fail */
  int executors;                         /* executors besides the driver */
  int cores;                             /* cores per executor */
  const char *const *props;              /* Spark properties: key, value, ..., NULL */
} fx_spec;

/* Growable string pool. */
typedef struct fx_pool {
  char *buf;                             /* strings back to back */
  int64_t len;                           /* bytes used */
  int64_t cap;                           /* bytes allocated */
  int64_t *off;                          /* offset of each string */
  int32_t n;                             /* strings */
  int32_t ncap;                          /* offsets allocated */
} fx_pool;

static sic_sid fx_intern(fx_pool *p, const char *s) {
  if (!s) return -1;
  int64_t n = (int64_t)strlen(s) + 1;
  while (p->len + n > p->cap) {
    p->cap = p->cap ? p->cap * 2 : 4096;
    p->buf = realloc(p->buf, (size_t)p->cap);
  }
  if (p->n == p->ncap) {
    p->ncap = p->ncap ? p->ncap * 2 : 256;
    p->off = realloc(p->off, (size_t)p->ncap * sizeof *p->off);
  }
  memcpy(p->buf + p->len, s, (size_t)n);
  p->off[p->n] = p->len;
  p->len += n;
  return p->n++;
}

static sic_col fx_col64(int64_t n) {
  sic_col c = {.data = calloc((size_t)(n ? n : 1), 8), .base = 0, .width = 8};
  return c;
}

static void fx_set(sic_col *c, int64_t i, int64_t v) { ((int64_t *)c->data)[i] = v; }

static void fx_build_tasks(sic_app *app, fx_pool *p, const fx_spec *sp) {
  int64_t n = (int64_t)sp->nstages * sp->tasks_per_stage;
  sic_tasks *t = &app->tasks;
  t->n = t->cap = n;
  t->task_id = fx_col64(n);
  t->index = fx_col64(n);
  t->finish_time = fx_col64(n);
  t->stage = fx_col64(n);
  t->launch_time = fx_col64(n);
  t->executor = fx_col64(n);
  t->host = calloc((size_t)n + 1, sizeof *t->host);
  t->status = calloc((size_t)n + 1, 1);
  t->locality = calloc((size_t)n + 1, 1);
  t->flags = calloc((size_t)n + 1, 1);
  t->end_reason = fx_col64(n);
  t->error = fx_col64(n);
  t->peak = fx_col64(n);
  t->metric[SIC_TM_EXECUTOR_RUN_TIME] = fx_col64(n);
  t->metric[SIC_TM_INPUT_BYTES_READ] = fx_col64(n);
  t->metric[SIC_TM_SW_BYTES_WRITTEN] = fx_col64(n);
  sic_sid host = fx_intern(p, "host-1.example.com"), ok = fx_intern(p, "Success");
  sic_sid failed = fx_intern(p, "ExceptionFailure"), boom = fx_intern(p, "java.lang.RuntimeException: boom");
  for (int64_t i = 0; i < n; i++) {
    int s = (int)(i / sp->tasks_per_stage), k = (int)(i % sp->tasks_per_stage);
    int64_t dur = sp->task_ms;
    if (s == 0 && k == sp->tasks_per_stage - 1 && sp->skew_factor > 1) dur *= sp->skew_factor;
    int fail = s == 0 && k < sp->failed_tasks;
    fx_set(&t->task_id, i, i);
    fx_set(&t->index, i, k);
    fx_set(&t->stage, i, s);
    fx_set(&t->launch_time, i, sp->start_time + 1000 + s * 10);
    fx_set(&t->finish_time, i, sp->start_time + 1000 + s * 10 + dur);
    int32_t e = (int32_t)(1 + i % (sp->executors > 0 ? sp->executors : 1));
    fx_set(&t->executor, i, e < app->nexecutors ? e : 0);
    t->host[i] = host;
    t->status[i] = fail ? SIC_TASK_FAILED : SIC_TASK_SUCCESS;
    t->locality[i] = (uint8_t)(i % 3);
    t->flags[i] = SIC_TASKF_HAS_METRICS | (k == 1 ? SIC_TASKF_SPECULATIVE : 0);
    fx_set(&t->end_reason, i, fail ? failed : ok);
    fx_set(&t->error, i, fail ? boom : -1);
    fx_set(&t->peak, i, -1);
    fx_set(&t->metric[SIC_TM_EXECUTOR_RUN_TIME], i, dur - 5);
    fx_set(&t->metric[SIC_TM_INPUT_BYTES_READ], i, sp->input_per_task);
    fx_set(&t->metric[SIC_TM_SW_BYTES_WRITTEN], i, 1000);
  }
}

static void fx_build_stages_jobs(sic_app *app, fx_pool *p, const fx_spec *sp) {
  char name[64];
  app->nstages = sp->nstages;
  app->stages = calloc((size_t)sp->nstages + 1, sizeof *app->stages);
  app->ints = calloc((size_t)sp->nstages + 1, sizeof *app->ints);
  app->nints = sp->nstages;
  for (int s = 0; s < sp->nstages; s++) {
    sic_stage *st = &app->stages[s];
    snprintf(name, sizeof name, "map at Job.scala:%d", 10 + s);
    st->stage_id = s;
    st->status = SIC_STAGE_COMPLETE;
    st->num_tasks = sp->tasks_per_stage;
    st->name = fx_intern(p, name);
    st->details = st->failure_reason = st->pool = st->description = -1;
    st->submission_time = sp->start_time + 1000 + s * 10;
    st->completion_time = st->submission_time + sp->task_ms * (sp->skew_factor > 1 ? sp->skew_factor : 1);
    st->first_task_launch = st->submission_time;
    st->sql_execution_id = -1;
    st->peak = -1;
    app->ints[s] = s;
  }
  app->njobs = 1;
  app->jobs = calloc(1, sizeof *app->jobs);
  sic_job *j = &app->jobs[0];
  j->status = SIC_JOB_SUCCEEDED;
  j->submission_time = sp->start_time + 900;
  j->completion_time = sp->start_time + sp->duration_ms - 100;
  j->stage_ids.n = sp->nstages;
  j->name = fx_intern(p, "count at Job.scala:99");
  j->description = j->job_group = j->failure_reason = -1;
  j->sql_execution_id = -1;
}

static void fx_build_executors(sic_app *app, fx_pool *p, const fx_spec *sp) {
  char id[32];
  app->nexecutors = sp->executors + 1;
  app->executors = calloc((size_t)app->nexecutors, sizeof *app->executors);
  for (int64_t i = 0; i < app->nexecutors; i++) {
    sic_executor *e = &app->executors[i];
    snprintf(id, sizeof id, "%lld", (long long)i);
    e->id = fx_intern(p, i ? id : "driver");
    e->host = fx_intern(p, "host-1.example.com");
    e->is_driver = i == 0;
    e->total_cores = sp->cores;
    e->add_time = sp->start_time;
    e->remove_time = -1;
    e->remove_reason = -1;
    e->max_memory = 1 << 30;
    e->peak = -1;
  }
}

static void fx_build_env(sic_app *app, fx_pool *p, const fx_spec *sp) {
  int n = 0;
  while (sp->props && sp->props[2 * n]) n++;
  app->kvs = calloc((size_t)n + 2, sizeof *app->kvs);
  app->kvs[0].key = fx_intern(p, "spark.app.id");
  app->kvs[0].value = fx_intern(p, sp->app_id);
  for (int i = 0; i < n; i++) {
    app->kvs[i + 1].key = fx_intern(p, sp->props[2 * i]);
    app->kvs[i + 1].value = fx_intern(p, sp->props[2 * i + 1]);
  }
  app->nkvs = n + 1;
  app->env_spark.off = 0;
  app->env_spark.n = n + 1;
}

static sic_app *fx_build(const fx_spec *sp) {
  sic_app *app = calloc(1, sizeof *app);
  fx_pool p = {0};
  app->complete = 1;
  app->app_id = fx_intern(&p, sp->app_id);
  app->attempt_id = fx_intern(&p, sp->attempt_id);
  app->name = fx_intern(&p, sp->name);
  app->user = fx_intern(&p, "alice");
  app->spark_version = fx_intern(&p, "3.5.1");
  app->source_path = fx_intern(&p, sp->source_path);
  app->start_time = sp->start_time;
  app->end_time = sp->start_time + sp->duration_ms;
  app->first_event_time = app->start_time;
  app->last_event_time = app->end_time;
  app->events = 100;
  fx_build_executors(app, &p, sp);
  fx_build_stages_jobs(app, &p, sp);
  fx_build_tasks(app, &p, sp);
  fx_build_env(app, &p, sp);
  if (sp->source_path) {
    app->nparts = 1;
    app->parts = calloc(1, sizeof *app->parts);
    app->parts[0].path = fx_intern(&p, sp->source_path);
    app->parts[0].codec = fx_intern(&p, "none");
    app->parts[0].stored_bytes = app->parts[0].bytes = 12345;
    app->parts[0].lines = 100;
  }
  app->strings.buf = p.buf;
  app->strings.off = p.off;
  app->strings.n = p.n;
  return app;
}

static void fx_free(sic_app *app) {
  if (!app) return;
  sic_tasks *t = &app->tasks;
  free(t->task_id.data);
  free(t->index.data);
  free(t->finish_time.data);
  free(t->stage.data);
  free(t->launch_time.data);
  free(t->executor.data);
  free(t->host);
  free(t->status);
  free(t->locality);
  free(t->flags);
  free(t->end_reason.data);
  free(t->error.data);
  free(t->peak.data);
  for (int m = 0; m < SIC_TM__COUNT; m++) free(t->metric[m].data);
  free(app->stages);
  free(app->jobs);
  free(app->ints);
  free(app->executors);
  free(app->kvs);
  free(app->parts);
  free(app->strings.buf);
  free(app->strings.off);
  free(app);
}

#endif
