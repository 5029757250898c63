/* Finalize: once every line is applied, sort the tables the model promises sorted, group the
 * lists collected while building into pool ranges, and derive the fields that need the whole
 * log (stage task slices, skipped stages, job lists of stages and SQL executions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sort.h"

#include "model/builder.h"

static int cmp_stage(const void *x, const void *y) {
  const sic_stage *a = x, *b = y;
  if (a->stage_id != b->stage_id) return a->stage_id < b->stage_id ? -1 : 1;
  return a->attempt_id < b->attempt_id ? -1 : a->attempt_id > b->attempt_id;
}
static int cmp_job(const void *x, const void *y) {
  const sic_job *a = x, *b = y;
  return a->job_id < b->job_id ? -1 : a->job_id > b->job_id;
}
static int cmp_accum(const void *x, const void *y) {
  const sic_accum *a = x, *b = y;
  return a->accum_id < b->accum_id ? -1 : a->accum_id > b->accum_id;
}
static int cmp_sql(const void *x, const void *y) {
  const sic_sql *a = x, *b = y;
  return a->execution_id < b->execution_id ? -1 : a->execution_id > b->execution_id;
}
static int cmp_task_accum(const void *x, const void *y) {
  const sic_task_accum *a = x, *b = y;
  if (a->task_row != b->task_row) return a->task_row < b->task_row ? -1 : 1;
  return a->accum_id < b->accum_id ? -1 : a->accum_id > b->accum_id;
}
static int cmp_pair(const void *x, const void *y) {
  const sic_pair *a = x, *b = y;
  if (a->a != b->a) return a->a < b->a ? -1 : 1;
  return a->b < b->b ? -1 : a->b > b->b;
}

/* qsort that accepts an empty (NULL) table: sic_qsort(NULL, 0, ...) is undefined behaviour. */
static void sort_rows(void *rows, int64_t n, size_t size, int (*cmp)(const void *, const void *)) {
  sic_qsort(rows, (size_t)n, size, cmp);
}

/* Row order for sort_stages. qsort has no context argument: the stage table is passed in a
 * thread-local, so builders on different threads do not interfere. */
static _Thread_local const sic_stage *sort_ctx;
static int cmp_stage_row(const void *x, const void *y) {
  int32_t i = *(const int32_t *)x, j = *(const int32_t *)y;
  int c = cmp_stage(&sort_ctx[i], &sort_ctx[j]);
  return c ? c : (i > j) - (i < j);
}

/* Sort stages and remap every stage row reference (tasks, stage/executor peak pairs). */
static int sort_stages(sic_builder *b) {
  sic_app *a = b->app;
  int64_t n = a->nstages;
  if (n == 0) return 0;
  /* tag each stage with its old row through a parallel index sort */
  int32_t *order = malloc(sizeof(int32_t) * (size_t)n), *remap = malloc(sizeof(int32_t) * (size_t)n);
  sic_stage *sorted = malloc(sizeof(sic_stage) * (size_t)n);
  if (!order || !remap || !sorted) goto nomem;
  for (int64_t i = 0; i < n; i++) order[i] = (int32_t)i;
  sort_ctx = a->stages;
  sic_qsort(order, (size_t)n, sizeof(int32_t), cmp_stage_row);
  for (int64_t i = 0; i < n; i++) {
    sorted[i] = a->stages[order[i]];
    remap[order[i]] = (int32_t)i;
  }
  free(a->stages);
  a->stages = sorted;
  b->cap_stages = n;
  for (int64_t i = 0; i < a->tasks.n; i++) {
    int32_t st = sic_task_stage(a, i);
    if (st >= 0) sic_col_put(b, &a->tasks.stage, i, remap[st]);
  }
  for (int64_t i = 0; i < b->nsep; i++) b->sep[i].a = remap[b->sep[i].a];
  free(order);
  free(remap);
  return 0;
nomem:
  free(order);
  free(remap);
  free(sorted);
  b->enomem = 1;
  return -1;
}

/* stage_task_rows: task rows grouped by stage (counting sort keeps TaskStart order), plus
 * first_task_launch. */
static int group_tasks(sic_builder *b) {
  sic_app *a = b->app;
  int64_t n = a->tasks.n, ns = a->nstages;
  int64_t *count = calloc((size_t)ns + 1, sizeof(int64_t));
  a->stage_task_rows = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  if (!count || !a->stage_task_rows) { free(count); b->enomem = 1; return -1; }
  for (int64_t i = 0; i < n; i++) {
    int32_t st = sic_task_stage(a, i);
    if (st >= 0) count[st + 1]++;
  }
  for (int64_t s = 0; s < ns; s++) {
    count[s + 1] += count[s];
    a->stages[s].tasks.off = (int32_t)count[s];
    a->stages[s].tasks.n = (int32_t)(count[s + 1] - count[s]);
    a->stages[s].first_task_launch = -1;
  }
  for (int64_t i = 0; i < n; i++) {
    int32_t st = sic_task_stage(a, i);
    if (st < 0) continue;
    a->stage_task_rows[count[st]++] = (int32_t)i; /* n < 2^31: grow_tasks stops there */
    int64_t l = sic_col_get(&a->tasks.launch_time, i);
    sic_stage *x = &a->stages[st];
    if (l > 0 && (x->first_task_launch < 0 || l < x->first_task_launch)) x->first_task_launch = l;
  }
  free(count);
  return 0;
}

/* First stage row with stage_id (stages sorted), or nstages. */
static int64_t stage_lower(const sic_app *a, int32_t stage_id) {
  int64_t lo = 0, hi = a->nstages;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (a->stages[mid].stage_id < stage_id) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/* Stage jobs lists, and SKIPPED for stages of finished jobs that never ran. */
static void stage_jobs(sic_builder *b) {
  sic_app *a = b->app;
  int32_t *count = calloc((size_t)a->nstages + 1, sizeof(int32_t));
  if (!count) { b->enomem = 1; return; }
  for (int pass = 0; pass < 2; pass++) {
    for (int64_t j = 0; j < a->njobs; j++) {
      sic_job *job = &a->jobs[j];
      for (int32_t i = 0; i < job->stage_ids.n; i++) {
        int32_t sid = a->ints[job->stage_ids.off + i];
        for (int64_t r = stage_lower(a, sid); r < a->nstages && a->stages[r].stage_id == sid; r++) {
          sic_stage *st = &a->stages[r];
          if (pass == 0) {
            count[r]++;
            if (st->status == SIC_STAGE_PENDING && job->status != SIC_JOB_RUNNING) st->status = SIC_STAGE_SKIPPED;
          } else {
            a->ints[st->jobs.off + st->jobs.n++] = job->job_id;
          }
        }
      }
    }
    if (pass == 0) { /* reserve each stage's slice in the pool */
      for (int64_t r = 0; r < a->nstages; r++) {
        a->stages[r].jobs.off = (int32_t)a->nints;
        a->stages[r].jobs.n = 0;
        if (SIC_GROW(b, a->ints, b->cap_ints, a->nints + count[r]) < 0) { free(count); return; }
        a->nints += count[r];
      }
    }
  }
  free(count);
}

/* SQL executions' job lists (jobs sorted by id, so lists come out sorted). */
static void sql_jobs(sic_builder *b) {
  sic_app *a = b->app;
  for (int64_t q = 0; q < a->nsqls; q++) {
    sic_sql *x = &a->sqls[q];
    x->jobs.off = (int32_t)a->nints;
    x->jobs.n = 0;
    for (int64_t j = 0; j < a->njobs; j++) {
      if (a->jobs[j].sql_execution_id != x->execution_id) continue;
      if (sic_push_int(b, a->jobs[j].job_id) >= 0) x->jobs.n++;
    }
  }
}

static void executor_exclusions(sic_builder *b) {
  sic_app *a = b->app;
  if (!b->nexcl) return;
  sort_rows(b->excl, b->nexcl, sizeof(sic_pair), cmp_pair);
  for (int64_t i = 0; i < b->nexcl;) {
    int32_t ex = b->excl[i].a;
    sic_range r = {(int32_t)a->nints, 0};
    for (; i < b->nexcl && b->excl[i].a == ex; i++) {
      if (r.n && a->ints[a->nints - 1] == b->excl[i].b) continue; /* same stage, several attempts */
      if (sic_push_int(b, b->excl[i].b) >= 0) r.n++;
    }
    a->executors[ex].excluded_stages = r;
  }
}

static void stage_exec_peaks(sic_builder *b) {
  sic_app *a = b->app;
  if (!b->nsep) return;
  sort_rows(b->sep, b->nsep, sizeof(sic_pair), cmp_pair);
  a->stage_exec_peaks = malloc(sizeof(sic_stage_exec_peak) * (size_t)b->nsep);
  if (!a->stage_exec_peaks) { b->enomem = 1; return; }
  for (int64_t i = 0; i < b->nsep; i++) {
    a->stage_exec_peaks[i] = (sic_stage_exec_peak){b->sep[i].b, b->sep[i].c};
    sic_stage *st = &a->stages[b->sep[i].a];
    if (st->exec_peaks.n == 0) st->exec_peaks.off = (int32_t)i;
    st->exec_peaks.n++;
  }
  a->nstage_exec_peaks = b->nsep;
}

/* Give back the unused capacity of the task columns (realloc shrinks big blocks in place),
 * after giving each integer column its cheapest width and exceptions. Nothing may store into
 * a task column afterwards: exception lists lose their growth room here. */
static void shrink_tasks(sic_builder *b) {
  sic_tasks *t = &b->app->tasks;
  sic_col *cols[SIC_TASK_COLUMNS_MAX];
  int nc = sic_task_columns(t, cols);
  for (int i = 0; i < nc; i++) {
    sic_col_optimize(b, cols[i]);
    if (cols[i]->nexceptions) {
      void *e = realloc(cols[i]->exceptions, (size_t)cols[i]->nexceptions * sizeof(sic_col_exception));
      if (e) cols[i]->exceptions = e;
    }
  }
  if (t->n == t->cap || t->n == 0) return;
  void **plain[SIC_TASK_PLAIN_MAX];
  size_t sizes[SIC_TASK_PLAIN_MAX];
  int nplain = sic_task_plain_arrays(t, plain, sizes);
  for (int i = 0; i < nplain; i++) {
    void *p = realloc(*plain[i], (size_t)t->n * sizes[i]);
    if (p) *plain[i] = p;
  }
  for (int i = 0; i < nc; i++) {
    if (!cols[i]->data) continue;
    void *p = realloc(cols[i]->data, (size_t)t->n * (size_t)cols[i]->width);
    if (p) cols[i]->data = p;
  }
  t->cap = t->n;
}

/* A Spark property from the environment, NULL when absent. */
static const char *spark_property(const sic_app *a, const char *key) {
  for (int32_t i = 0; i < a->env_spark.n; i++) {
    const sic_kv *kv = &a->kvs[a->env_spark.off + i];
    const char *k = sic_str(a, kv->key);
    if (k && strcmp(k, key) == 0) return sic_str(a, kv->value);
  }
  return NULL;
}

/* The application id a log file's name carries: Spark names logs <app id>[_<attempt>]
 * [.<codec>][.inprogress], rolling directories eventlog_v2_<app id>; a name of another shape is
 * taken whole (up to its first '.'). Writes the id and the attempt (or "") into id/attempt;
 * returns 0 when there is no name. */
static int id_from_file_name(const char *path, char *id, size_t n, char *attempt, size_t an) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (strncmp(base, "eventlog_v2_", 12) == 0) base += 12;
  if (strncmp(base, "events_", 7) == 0) base += 7; /* a rolling part: events_<n>_<app id> */
  size_t len = strcspn(base, ".");
  const char *starts[] = {"application_", "app-", "local-", "spark-"};
  int known = 0;
  for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) known |= strncmp(base, starts[i], strlen(starts[i])) == 0;
  if (len == 0 || len >= n) return 0;
  memcpy(id, base, len);
  id[len] = 0;
  attempt[0] = 0;
  /* YARN ids have three parts (application_<cluster>_<n>); a fourth is the attempt. Others
   * (local-<ms>, app-<date>-<n>) take a trailing _<n> as the attempt. */
  char *u = strrchr(id, '_');
  int parts = 0;
  for (const char *c = id; *c; c++) parts += *c == '_';
  if (known && u && (strncmp(id, "application_", 12) == 0 ? parts == 3 : parts >= 1) && u[1] && strspn(u + 1, "0123456789") == strlen(u + 1)) {
    snprintf(attempt, an, "%s", u + 1);
    *u = 0;
  }
  return 1;
}

/* An application without ApplicationStart has no "App ID": take spark.app.id from the
 * environment, else the log's file name, and record where it came from as a diagnostic so
 * every report can mark the id as derived. */
static void derive_app_id(sic_builder *b) {
  sic_app *a = b->app;
  if (a->app_id >= 0) return;
  const char *conf = spark_property(a, "spark.app.id");
  const char *path = sic_str(a, a->source_path);
  char id[256], attempt[256];
  if (conf && conf[0]) {
    a->app_id = sic_intern(b, conf, strlen(conf));
    sic_builder_diag(b, SIC_DIAG_DERIVED, 0, "no ApplicationStart: application id %s taken from spark.app.id", conf);
  } else if (path && id_from_file_name(path, id, sizeof id, attempt, sizeof attempt)) {
    a->app_id = sic_intern(b, id, strlen(id));
    if (attempt[0] && a->attempt_id < 0) a->attempt_id = sic_intern(b, attempt, strlen(attempt));
    sic_builder_diag(b, SIC_DIAG_DERIVED, 0, "no ApplicationStart: application id %s%s%s taken from the file name", id,
                     attempt[0] ? " attempt " : "", attempt);
  } else {
    return;
  }
  if (a->attempt_id < 0) {
    const char *att = spark_property(a, "spark.app.attempt.id");
    if (att && att[0]) a->attempt_id = sic_intern(b, att, strlen(att));
  }
}

int sic_model_finalize(sic_builder *b) {
  sic_app *a = b->app;
  /* no line follows: the task-id index goes, and the task table takes its final size before
   * anything else is allocated, which keeps the peak of a load low */
  free(b->task_dense);
  b->task_dense = NULL;
  b->task_dense_cap = 0;
  sic_imap_free(&b->task_sparse);
  sort_stages(b); /* the last write to a task column: shrink_tasks fixes their final form */
  shrink_tasks(b);
  sort_rows(a->jobs, a->njobs, sizeof(sic_job), cmp_job);
  sort_rows(a->accums, a->naccums, sizeof(sic_accum), cmp_accum);
  sort_rows(a->sqls, a->nsqls, sizeof(sic_sql), cmp_sql);
  sort_rows(a->task_accums, a->ntask_accums, sizeof(sic_task_accum), cmp_task_accum);
  for (int64_t i = 0; i < a->naccums; i++)
    if (a->accums[i].min > a->accums[i].max) a->accums[i].min = a->accums[i].max = 0; /* no task update */
  group_tasks(b);
  stage_jobs(b);
  sql_jobs(b);
  executor_exclusions(b);
  stage_exec_peaks(b);
  derive_app_id(b);
  if (b->enomem) {
    sic_builder_diag(b, SIC_DIAG_READ_ERROR, 0, "out of memory while building the model: it is incomplete");
    a->truncated = 1;
  }
  return b->enomem ? SIC_ENOMEM : 0;
}
