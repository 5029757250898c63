/* Event handlers for jobs, stages and executor memory metrics: JobStart/End,
 * StageSubmitted/Completed (Stage Info with RDD Info and Accumulables),
 * StageExecutorMetrics and ExecutorMetricsUpdate. Same conventions as events_app.c. */
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)
#define DONE(s) return (s)->err ? -1 : 0

/* ---- executor metrics ---- */

static void emax(sic_emetrics *dst, const sic_emetrics *src) {
  for (int i = 0; i < SIC_EM__COUNT; i++)
    if (src->v[i] > dst->v[i]) dst->v[i] = src->v[i];
}

/* Fold a metrics vector into a peak row, creating the row on first use. */
static void peak_fold(sic_builder *b, int32_t *row, const sic_emetrics *m) {
  if (*row < 0) { *row = sic_peak_new(b, m); return; }
  emax(&b->app->peaks[*row], m);
}

/* Peaks of one executor in one stage attempt: stage, executor and (stage, executor) rows. */
static void stage_exec_peak(sic_builder *b, int32_t exec, int32_t stage_id, int32_t attempt,
                            const sic_emetrics *m) {
  sic_app *a = b->app;
  if (exec >= 0) peak_fold(b, &a->executors[exec].peak, m);
  if (stage_id < 0) return;
  int32_t st = sic_stage_row(b, stage_id, attempt, 1);
  if (st < 0) return;
  peak_fold(b, &a->stages[st].peak, m);
  if (exec < 0) return;
  for (int64_t i = b->nsep - 1; i >= 0 && i >= b->nsep - 4096; i--) {
    if (b->sep[i].a == st && b->sep[i].b == exec) { emax(&a->peaks[b->sep[i].c], m); return; }
  }
  int32_t p = sic_peak_new(b, m);
  if (p >= 0) sic_pair_push(b, &b->sep, &b->nsep, &b->cap_sep, (sic_pair){st, exec, p});
}

int sic_ev_stage_exec_metrics(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_sid exec = -1;
  int32_t stage = -1, attempt = 0, have = 0;
  sic_emetrics m;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &exec);
    else if (SIC_KEY(&k, "Stage ID")) sic_rd_i32(b, s, &stage);
    else if (SIC_KEY(&k, "Stage Attempt ID")) sic_rd_i32(b, s, &attempt);
    else if (SIC_KEY(&k, "Executor Metrics")) have = sic_rd_emetrics(b, s, &m) == 0;
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (have) stage_exec_peak(b, sic_exec_row(b, exec, 1), stage, attempt, &m);
  return 0;
}

/* ExecutorMetricsUpdate: "Executor Metrics Updated" is [{"Stage ID", "Stage Attempt ID",
 * "Executor Metrics"}] (Spark 3.0+). The accumulator updates in "Metrics Updated" are
 * running values of live tasks and are not totals: they are ignored. */
int sic_ev_exec_metrics_update(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k, kk;
  sic_jiter arr, in;
  sic_sid exec = -1;
  struct { int32_t stage, attempt; sic_emetrics m; } ups[16];
  int nup = 0;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &exec);
    else if (SIC_KEY(&k, "Executor Metrics Updated") && sic_json_peek(s) == SIC_JT_ARRAY) {
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) {
        if (sic_json_peek(s) != SIC_JT_OBJECT || nup == 16) { sic_json_skip(s); continue; }
        int32_t st = -1, at = 0, have = 0;
        sic_json_obj_begin(s, &in);
        FOR_MEMBERS(s, &in, &kk) {
          if (SIC_KEY(&kk, "Stage ID")) sic_rd_i32(b, s, &st);
          else if (SIC_KEY(&kk, "Stage Attempt ID")) sic_rd_i32(b, s, &at);
          else if (SIC_KEY(&kk, "Executor Metrics")) have = sic_rd_emetrics(b, s, &ups[nup].m) == 0;
          else sic_json_skip(s);
        }
        if (have) { ups[nup].stage = st; ups[nup].attempt = at; nup++; }
      }
    } else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = sic_exec_row(b, exec, nup > 0);
  for (int i = 0; i < nup; i++) stage_exec_peak(b, r, ups[i].stage, ups[i].attempt, &ups[i].m);
  return 0;
}

/* ---- jobs and stages ---- */

/* "RDD Info" element */
static void rdd_info(sic_builder *b, sic_jscan *s) {
  sic_app *a = b->app;
  sic_jiter it;
  sic_jstr k;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_rdd d;
  memset(&d, 0, sizeof d);
  d.name = d.scope = d.callsite = d.storage_level = -1;
  int32_t fl[5] = {0, 0, 0, 0, 1};
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "RDD ID")) sic_rd_i32(b, s, &d.rdd_id);
    else if (SIC_KEY(&k, "Name")) sic_rd_sid(b, s, &d.name);
    else if (SIC_KEY(&k, "Scope")) sic_rd_sid(b, s, &d.scope);
    else if (SIC_KEY(&k, "Callsite")) sic_rd_sid(b, s, &d.callsite);
    else if (SIC_KEY(&k, "Parent IDs")) sic_rd_ints(b, s, &d.parents);
    else if (SIC_KEY(&k, "Storage Level")) d.storage_level = sic_storage_level(b, s, fl);
    else if (SIC_KEY(&k, "Barrier")) sic_rd_bool(b, s, &d.barrier);
    else if (SIC_KEY(&k, "Number of Partitions")) sic_rd_i32(b, s, &d.num_partitions);
    else if (SIC_KEY(&k, "Number of Cached Partitions")) sic_rd_i32(b, s, &d.num_cached_partitions);
    else if (SIC_KEY(&k, "Memory Size")) sic_rd_i64(b, s, &d.memory_size);
    else if (SIC_KEY(&k, "Disk Size")) sic_rd_i64(b, s, &d.disk_size);
    else sic_json_skip(s);
  }
  d.use_disk = fl[0];
  d.use_memory = fl[1];
  d.use_off_heap = fl[2];
  d.deserialized = fl[3];
  d.replication = fl[4];
  if (SIC_GROW(b, a->rdds, b->cap_rdds, a->nrdds) == 0) a->rdds[a->nrdds++] = d;
}

/* Stage "Accumulables": [{"ID", "Name", "Value", "Internal", ...}] */
static void stage_accums(sic_builder *b, sic_jscan *s, sic_range *out) {
  sic_app *a = b->app;
  sic_jiter it, in;
  sic_jstr k;
  out->off = (int32_t)a->nstage_accums;
  out->n = 0;
  if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_bad_field(b, s, "an array"); sic_json_skip(s); return; }
  sic_json_arr_begin(s, &it);
  while (sic_json_arr_next(s, &it) > 0) {
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); continue; }
    sic_stage_accum sa = {.name = -1, .value = -1};
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &k) {
      if (SIC_KEY(&k, "ID")) sic_rd_i64(b, s, &sa.accum_id);
      else if (SIC_KEY(&k, "Name")) sic_rd_sid(b, s, &sa.name);
      else if (SIC_KEY(&k, "Value")) sic_rd_text(b, s, &sa.value);
      else if (SIC_KEY(&k, "Internal")) sic_rd_bool(b, s, &sa.internal);
      else sic_json_skip(s);
    }
    const char *name = sa.internal ? sic_str(a, sa.name) : NULL;
    if (name && strncmp(name, SIC_INTERNAL_METRICS, sizeof SIC_INTERNAL_METRICS - 1) == 0) continue; /* task metrics */
    if (SIC_GROW(b, a->stage_accums, b->cap_stage_accums, a->nstage_accums) < 0) continue;
    a->stage_accums[a->nstage_accums++] = sa;
    out->n++;
    int32_t ar = sic_accum_row(b, sa.accum_id, 0);
    if (ar >= 0) a->accums[ar].last_value = sa.value;
  }
}

/* "Stage Info" (StageSubmitted/StageCompleted) or an element of JobStart "Stage Infos".
 * Returns the stage row, -1 when unusable. */
static int32_t stage_info(sic_builder *b, sic_jscan *s) {
  sic_jiter it, arr;
  sic_jstr k;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return -1; }
  sic_stage t;
  memset(&t, 0, sizeof t);
  t.attempt_id = 0;
  t.stage_id = -1;
  t.name = t.details = t.failure_reason = -1;
  t.submission_time = t.completion_time = -1;
  int have_rdds = 0, have_accums = 0, have_parents = 0;
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "Stage ID")) sic_rd_i32(b, s, &t.stage_id);
    else if (SIC_KEY(&k, "Stage Attempt ID")) sic_rd_i32(b, s, &t.attempt_id);
    else if (SIC_KEY(&k, "Stage Name")) sic_rd_sid(b, s, &t.name);
    else if (SIC_KEY(&k, "Number of Tasks")) sic_rd_i32(b, s, &t.num_tasks);
    else if (SIC_KEY(&k, "Details")) sic_rd_sid(b, s, &t.details);
    else if (SIC_KEY(&k, "Failure Reason")) sic_rd_sid(b, s, &t.failure_reason);
    else if (SIC_KEY(&k, "Resource Profile Id")) sic_rd_i32(b, s, &t.resource_profile_id);
    else if (SIC_KEY(&k, "Submission Time")) sic_rd_i64(b, s, &t.submission_time);
    else if (SIC_KEY(&k, "Completion Time")) sic_rd_i64(b, s, &t.completion_time);
    else if (SIC_KEY(&k, "Parent IDs")) have_parents = sic_rd_ints(b, s, &t.parents) == 0;
    else if (SIC_KEY(&k, "Accumulables")) { stage_accums(b, s, &t.accums); have_accums = 1; }
    else if (SIC_KEY(&k, "RDD Info") && sic_json_peek(s) == SIC_JT_ARRAY) {
      t.rdds.off = (int32_t)b->app->nrdds;
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) rdd_info(b, s);
      t.rdds.n = (int32_t)(b->app->nrdds - t.rdds.off);
      have_rdds = 1;
    } else sic_json_skip(s);
  }
  if (s->err || t.stage_id < 0) return -1;
  int32_t r = sic_stage_row(b, t.stage_id, t.attempt_id, 1);
  if (r < 0) return -1;
  sic_stage *st = &b->app->stages[r];
  if (t.name >= 0) st->name = t.name;
  if (t.details >= 0) st->details = t.details;
  if (t.failure_reason >= 0) st->failure_reason = t.failure_reason;
  if (t.num_tasks) st->num_tasks = t.num_tasks;
  st->resource_profile_id = t.resource_profile_id;
  if (t.submission_time >= 0) st->submission_time = t.submission_time;
  if (t.completion_time >= 0) st->completion_time = t.completion_time;
  if (have_parents) st->parents = t.parents;
  if (have_rdds) st->rdds = t.rdds;
  if (have_accums) st->accums = t.accums;
  sic_note_time(b, t.submission_time);
  sic_note_time(b, t.completion_time);
  return r;
}

/* Job/stage "Properties" -> kvs, plus the well-known ones. */
typedef struct props {
  sic_range all;               /* every property */
  sic_sid description;         /* spark.job.description */
  sic_sid group;               /* spark.jobGroup.id */
  sic_sid pool;                /* spark.scheduler.pool */
  sic_sid tags;                /* spark.job.tags */
  int64_t sql_id;              /* spark.sql.execution.id */
} props;

static void read_props(sic_builder *b, sic_jscan *s, props *p) {
  p->description = p->group = p->pool = p->tags = -1;
  p->sql_id = -1;
  if (sic_rd_kvs(b, s, &p->all) < 0) { p->all.n = 0; return; }
  for (int32_t i = 0; i < p->all.n; i++) {
    sic_kv kv = b->app->kvs[p->all.off + i];
    const char *key = sic_str(b->app, kv.key);
    if (!key || kv.value < 0) continue;
    if (!strcmp(key, "spark.job.description")) p->description = kv.value;
    else if (!strcmp(key, "spark.jobGroup.id")) p->group = kv.value;
    else if (!strcmp(key, "spark.scheduler.pool")) p->pool = kv.value;
    else if (!strcmp(key, "spark.job.tags")) p->tags = kv.value;
    else if (!strcmp(key, "spark.sql.execution.id")) {
      const char *v = sic_str(b->app, kv.value);
      int64_t id;
      if (sic_json_parse_i64(v, strlen(v), &id) == 0) p->sql_id = id;
    }
  }
}

static void split_tags(sic_builder *b, sic_sid tags, sic_range *out) {
  out->off = (int32_t)b->app->nints;
  out->n = 0;
  if (tags < 0) return;
  const char *t = sic_str(b->app, tags);
  while (*t) {
    const char *c = strchr(t, ',');
    size_t n = c ? (size_t)(c - t) : strlen(t);
    if (n && sic_push_int(b, sic_intern(b, t, n)) >= 0) out->n++;
    t += n + (c ? 1 : 0);
  }
}

static void apply_stage_props(sic_builder *b, int32_t st, const props *p) {
  sic_stage *x = &b->app->stages[st];
  if (p->pool >= 0) x->pool = p->pool;
  if (p->description >= 0) x->description = p->description;
  if (p->sql_id >= 0) x->sql_execution_id = p->sql_id;
}

int sic_ev_job_start(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_jiter arr;
  int32_t job_id = -1;
  int64_t ts = -1;
  sic_range stage_ids = {0, 0};
  int32_t rows[4096], nrows = 0, last_row = -1;
  props p = {{0, 0}, -1, -1, -1, -1, -1};
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Job ID")) sic_rd_i32(b, s, &job_id);
    else if (SIC_KEY(&k, "Submission Time")) sic_rd_i64(b, s, &ts);
    else if (SIC_KEY(&k, "Stage IDs")) sic_rd_ints(b, s, &stage_ids);
    else if (SIC_KEY(&k, "Properties")) read_props(b, s, &p);
    else if (SIC_KEY(&k, "Stage Infos") && sic_json_peek(s) == SIC_JT_ARRAY) {
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) {
        int32_t r = stage_info(b, s);
        if (r < 0) continue;
        if (nrows < 4096) rows[nrows++] = r;
        if (last_row < 0 || b->app->stages[r].stage_id > b->app->stages[last_row].stage_id) last_row = r;
      }
    } else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (job_id < 0) return 0; /* missing or not a number (already reported) */
  int32_t jr = sic_job_row(b, job_id, 1);
  if (jr < 0) return 0;
  sic_job *j = &b->app->jobs[jr];
  j->submission_time = ts;
  sic_note_time(b, ts);
  j->stage_ids = stage_ids;
  j->properties = p.all;
  j->description = p.description;
  j->job_group = p.group;
  j->sql_execution_id = p.sql_id;
  split_tags(b, p.tags, &j->tags);
  if (last_row >= 0) j->name = b->app->stages[last_row].name;
  for (int32_t i = 0; i < nrows; i++) apply_stage_props(b, rows[i], &p);
  return 0;
}

int sic_ev_job_end(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k, kk, v;
  sic_jiter in, ex;
  int32_t job_id = -1, status = SIC_JOB_UNKNOWN;
  int64_t ts = -1;
  sic_sid failure = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Job ID")) sic_rd_i32(b, s, &job_id);
    else if (SIC_KEY(&k, "Completion Time")) sic_rd_i64(b, s, &ts);
    else if (SIC_KEY(&k, "Job Result") && sic_json_peek(s) == SIC_JT_OBJECT) {
      sic_json_obj_begin(s, &in);
      FOR_MEMBERS(s, &in, &kk) {
        if (SIC_KEY(&kk, "Result") && sic_json_peek(s) == SIC_JT_STRING) {
          sic_json_str(s, &v);
          status = SIC_KEY(&v, "JobSucceeded") ? SIC_JOB_SUCCEEDED : SIC_KEY(&v, "JobFailed") ? SIC_JOB_FAILED
                                                                                               : SIC_JOB_UNKNOWN;
        } else if (SIC_KEY(&kk, "Exception") && sic_json_peek(s) == SIC_JT_OBJECT) {
          sic_jstr k3;
          sic_json_obj_begin(s, &ex);
          FOR_MEMBERS(s, &ex, &k3) {
            if (SIC_KEY(&k3, "Message")) sic_rd_sid(b, s, &failure);
            else sic_json_skip(s);
          }
        } else sic_json_skip(s);
      }
    } else sic_json_skip(s);
  }
  if (s->err) return -1;
  /* a JobEnd without its JobStart (edited or partial logs) creates no job, as in the History
   * Server */
  int32_t jr = sic_job_row(b, job_id, 0);
  if (jr < 0) return 0;
  sic_job *j = &b->app->jobs[jr];
  j->completion_time = ts;
  j->status = status;
  j->failure_reason = failure;
  sic_note_time(b, ts);
  return 0;
}

int sic_ev_stage_submitted(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  int32_t r = -1;
  props p = {{0, 0}, -1, -1, -1, -1, -1};
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Stage Info")) r = stage_info(b, s);
    else if (SIC_KEY(&k, "Properties")) read_props(b, s, &p);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (r < 0) return 0;
  sic_stage *st = &b->app->stages[r];
  if (st->status == SIC_STAGE_PENDING) st->status = SIC_STAGE_ACTIVE;
  apply_stage_props(b, r, &p);
  return 0;
}

int sic_ev_stage_completed(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  int32_t r = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Stage Info")) r = stage_info(b, s);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (r < 0) return 0;
  sic_stage *st = &b->app->stages[r];
  st->status = st->failure_reason >= 0 ? SIC_STAGE_FAILED : SIC_STAGE_COMPLETE;
  return 0;
}
