/* Aggregates the History Server keeps while replaying a log (AppStatusListener's LiveStage,
 * LiveJob, LiveExecutor, LiveExecutorStageSummary), derived from a finished model in one pass
 * over the tasks. */
#include <stdlib.h>
#include <string.h>

#include "shs/shs_internal.h"

#define GROW(arr, n, cap)                                                     \
  ((n) < (cap) ? 0                                                            \
               : ((cap) = (cap) ? (cap) * 2 : 16,                             \
                  ((arr) = realloc_or_free((arr), (size_t)(cap) * sizeof *(arr))) ? 0 : -1))

static void *realloc_or_free(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) free(p);
  return q;
}

static int streq_sid(const sic_app *a, sic_sid s, const char *lit) {
  const char *v = sic_str(a, s);
  return v && !strcmp(v, lit);
}

int shs_task_outcome(const sic_app *a, int64_t r) {
  switch (a->tasks.status[r]) {
  case SIC_TASK_RUNNING: return SHS_T_ACTIVE;
  case SIC_TASK_SUCCESS: return SHS_T_SUCCESS;
  case SIC_TASK_KILLED: return SHS_T_KILLED;
  default:
    /* TaskCommitDenied counts as killed in the History Server's task-end bookkeeping. */
    return streq_sid(a, sic_task_end_reason(a, r), "TaskCommitDenied") ? SHS_T_KILLED : SHS_T_FAILED;
  }
}

const char *shs_exec_id(const sic_app *a, int32_t row) {
  if (row < 0 || row >= a->nexecutors) return "";
  const char *s = sic_str(a, a->executors[row].id);
  return s ? s : "";
}

static void emax(sic_emetrics *dst, const sic_emetrics *src) {
  for (int i = 0; i < SIC_EM__COUNT; i++)
    if (src->v[i] > dst->v[i]) dst->v[i] = src->v[i];
}

static int task_has_metrics(const sic_app *a, int64_t r) {
  return (a->tasks.flags[r] & SIC_TASKF_HAS_METRICS) != 0;
}

/* ---- killed summaries ---- */

typedef struct builder {
  const sic_app *a;
  shs_view *v;
  int64_t cap_esums;            /* allocated esums */
  int64_t cap_killed;           /* allocated killed entries */
  int32_t *slot;                /* executor row -> esum index of the current stage, -1 */
} builder;

/* Count one killed task under its reason in the slice starting at off. */
static int killed_add(builder *b, int64_t off, int32_t *n, sic_sid reason) {
  shs_view *v = b->v;
  for (int32_t i = 0; i < *n; i++)
    if (v->killed[off + i].reason == reason) return v->killed[off + i].count++, 0;
  if (GROW(v->killed, v->nkilled, b->cap_killed)) return -1;
  v->killed[v->nkilled++] = (shs_reason_count){reason, 1};
  (*n)++;
  return 0;
}

/* ---- stages ---- */

static shs_esum *esum_for(builder *b, const shs_stage_view *sv, int32_t exec) {
  if (exec < 0) return NULL;
  shs_view *v = b->v;
  if (b->slot[exec] >= 0) return &v->esums[sv->esum_off + b->slot[exec]];
  if (GROW(v->esums, v->nesums, b->cap_esums)) return NULL;
  shs_esum *e = &v->esums[v->nesums++];
  memset(e, 0, sizeof *e);
  e->executor = exec;
  b->slot[exec] = (int32_t)(v->nesums - 1 - sv->esum_off);
  return e;
}

static int cmp_esum(const void *x, const void *y, void *ctx) {
  const sic_app *sort_app = ctx;
  const shs_esum *p = x, *q = y;
  return shs_cmp_str(shs_exec_id(sort_app, p->executor), shs_exec_id(sort_app, q->executor));
}
static int cmp_i64(const void *x, const void *y) {
  int64_t p = *(const int64_t *)x, q = *(const int64_t *)y;
  return p < q ? -1 : p > q;
}

static int stage_tasks(builder *b, int64_t s, shs_stage_view *sv, int64_t *idx_buf) {
  const sic_app *a = b->a;
  const sic_stage *st = &a->stages[s];
  int64_t nidx = 0;
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i];
    int out = shs_task_outcome(a, r);
    int spec = (a->tasks.flags[r] & SIC_TASKF_SPECULATIVE) != 0;
    int32_t x = sic_task_executor(a, r);
    shs_esum *e = esum_for(b, sv, x);
    if (x >= 0 && !e) return -1;
    sv->spec_tasks += spec;
    if (out == SHS_T_ACTIVE) {
      sv->active++, sv->spec_active += spec;
      continue;
    }
    if (out == SHS_T_SUCCESS) {
      sv->complete++, sv->spec_complete += spec;
      idx_buf[nidx++] = sic_col_get(&a->tasks.index, r);
    } else if (out == SHS_T_KILLED) {
      sv->killed++, sv->spec_killed += spec;
      if (killed_add(b, sv->killed_off, &sv->killed_n, sic_task_error(a, r))) return -1;
    } else {
      sv->failed++, sv->spec_failed += spec;
    }
    if (e) {
      int64_t d = sic_task_duration(a, r);
      e->task_time += d > 0 ? d : 0;
      e->succeeded += out == SHS_T_SUCCESS;
      e->failed += out == SHS_T_FAILED;
      e->killed += out == SHS_T_KILLED;
    }
    if (task_has_metrics(a, r)) {
      for (int m = 0; m < SIC_TM__COUNT; m++) {
        int64_t x = sic_task_metric_get(a, r, (sic_task_metric)m);
        sv->m[m] += x;
        if (e) e->m[m] += x;
      }
    }
    int32_t peak = sic_task_peak(a, r);
    if (peak >= 0) {
      emax(&sv->peak, &a->peaks[peak]);
      if (e) emax(&e->peak, &a->peaks[peak]);
    }
  }
  sic_qsort(idx_buf, (size_t)nidx, sizeof *idx_buf, cmp_i64);
  for (int64_t i = 0; i < nidx; i++) sv->completed_indices += i == 0 || idx_buf[i] != idx_buf[i - 1];
  return 0;
}

static int build_stage(builder *b, int64_t s, int64_t *idx_buf) {
  const sic_app *a = b->a;
  const sic_stage *st = &a->stages[s];
  shs_stage_view *sv = &b->v->stages[s];
  sv->esum_off = b->v->nesums;
  sv->killed_off = b->v->nkilled;
  if (stage_tasks(b, s, sv, idx_buf)) return -1;
  /* A "Resubmitted" task end counts as a failed task (and one less active task) only while the
   * History Server still tracks the stage attempt, i.e. before it completed. */
  if (st->status == SIC_STAGE_ACTIVE) {
    sv->failed += st->resubmitted_tasks;
    sv->active -= st->resubmitted_tasks;
  }
  /* StageExecutorMetrics peaks (also for executors, like the driver, that ran no task). */
  if (st->peak >= 0) emax(&sv->peak, &a->peaks[st->peak]);
  for (int32_t i = 0; i < st->exec_peaks.n; i++) {
    const sic_stage_exec_peak *p = &a->stage_exec_peaks[st->exec_peaks.off + i];
    shs_esum *e = esum_for(b, sv, p->executor);
    if (!e) return -1;
    emax(&e->peak, &a->peaks[p->peak]);
  }
  /* Executors excluded for this stage get an entry even without tasks (a node exclusion
   * covers the node's executors but never the driver). */
  for (int64_t x = 0; x < a->nexecutors; x++) {
    const sic_executor *ex = &a->executors[x];
    if (ex->is_driver) continue;
    for (int32_t i = 0; i < ex->excluded_stages.n; i++) {
      if (a->ints[ex->excluded_stages.off + i] != st->stage_id) continue;
      shs_esum *e = esum_for(b, sv, (int32_t)x);
      if (!e) return -1;
      e->excluded = 1;
    }
  }
  sv->esum_n = (int32_t)(b->v->nesums - sv->esum_off);
  for (int32_t i = 0; i < sv->esum_n; i++) b->slot[b->v->esums[sv->esum_off + i].executor] = -1;
  if (sv->esum_n > 1) shs_qsort_r(b->v->esums + sv->esum_off, (size_t)sv->esum_n, sizeof(shs_esum), cmp_esum, (void *)a);
  return 0;
}

/* ---- jobs ---- */

/* Was job j running when stage attempt s was submitted? (Spark links a submitted stage to the
 * active jobs that contain it; a stage never submitted belongs to every job listing it.) */
static int job_owns_stage(const sic_job *j, const sic_stage *s) {
  if (s->submission_time < 0 || j->submission_time <= 0) return 1;
  if (j->submission_time > s->submission_time) return 0;
  return j->completion_time <= 0 || j->completion_time >= s->submission_time;
}

typedef struct pair { int64_t job; int64_t stage; } pair;
static int cmp_pair(const void *x, const void *y) {
  const pair *p = x, *q = y;
  if (p->job != q->job) return p->job < q->job ? -1 : 1;
  return p->stage < q->stage ? -1 : p->stage > q->stage;
}

/* Stage rows of stage id sid: [lo, hi). Stages are sorted by (stage_id, attempt_id). */
static void stage_rows(const sic_app *a, int32_t sid, int64_t *lo, int64_t *hi) {
  int64_t l = 0, h = a->nstages;
  while (l < h) {
    int64_t m = (l + h) / 2;
    if (a->stages[m].stage_id < sid) l = m + 1; else h = m;
  }
  *lo = l;
  while (l < a->nstages && a->stages[l].stage_id == sid) l++;
  *hi = l;
}

/* Job start re-listed a stage that had already run (its stage info carries a completion
 * time): the History Server creates a new pending stage for the latest attempt at that time
 * and, when the job ends, stores it as SKIPPED over the earlier data of that attempt. */
static void mark_overwritten(builder *b, const sic_job *job, int64_t lo, int64_t hi) {
  const sic_app *a = b->a;
  int64_t row = -1;
  for (int64_t r = lo; r < hi; r++)
    if (a->stages[r].submission_time >= 0 && a->stages[r].submission_time <= job->submission_time) row = r;
  if (row >= 0) b->v->stages[row].overwritten = 1;
}

static int job_stage_totals(builder *b, int64_t j, const pair *ps, int64_t n, int64_t *idx_buf) {
  const sic_app *a = b->a;
  shs_job_view *jv = &b->v->jobs[j];
  const sic_job *job = &a->jobs[j];
  int finished = job->status != SIC_JOB_RUNNING;
  int64_t nidx = 0;
  jv->killed_off = b->v->nkilled;
  for (int64_t i = 0; i < n; i++) {
    const sic_stage *st = &a->stages[ps[i].stage];
    const shs_stage_view *sv = &b->v->stages[ps[i].stage];
    jv->active += sv->active, jv->completed += sv->complete;
    jv->failed += sv->failed, jv->killed += sv->killed;
    for (int32_t k = 0; k < sv->killed_n; k++)
      for (int32_t c = 0; c < b->v->killed[sv->killed_off + k].count; c++)
        if (killed_add(b, jv->killed_off, &jv->killed_n, b->v->killed[sv->killed_off + k].reason)) return -1;
    for (int32_t t = 0; t < st->tasks.n; t++) {
      int64_t r = a->stage_task_rows[st->tasks.off + t];
      if (shs_task_outcome(a, r) == SHS_T_SUCCESS)
        idx_buf[nidx++] = ((int64_t)st->stage_id << 32) | (uint32_t)sic_col_get(&a->tasks.index, r);
    }
    switch (st->status) {
    case SIC_STAGE_ACTIVE: jv->active_stages++; break;
    case SIC_STAGE_FAILED: jv->failed_stages++; break;
    default: break;
    }
  }
  sic_qsort(idx_buf, (size_t)nidx, sizeof *idx_buf, cmp_i64);
  for (int64_t i = 0; i < nidx; i++) jv->completed_indices += i == 0 || idx_buf[i] != idx_buf[i - 1];
  /* Per stage id: completed if its last owned attempt completed; skipped if never run in this
   * job (still pending when the job ended); job start counts tasks of stages not computed yet. */
  for (int32_t k = 0; k < job->stage_ids.n; k++) {
    int32_t sid = a->ints[job->stage_ids.off + k];
    int dup = 0;
    for (int32_t k2 = 0; k2 < k; k2++) dup |= a->ints[job->stage_ids.off + k2] == sid;
    if (dup) continue;
    int64_t lo, hi;
    stage_rows(a, sid, &lo, &hi);
    const sic_stage *last = NULL;
    int done_before = 0;
    for (int64_t i = 0; i < n; i++)
      if (a->stages[ps[i].stage].stage_id == sid) last = &a->stages[ps[i].stage];
    for (int64_t r = lo; r < hi; r++)
      if (a->stages[r].completion_time > 0 && job->submission_time > 0 &&
          a->stages[r].completion_time <= job->submission_time)
        done_before = 1;
    if (!done_before && lo < hi) jv->num_tasks += a->stages[lo].num_tasks;
    int never_ran = !last || last->status == SIC_STAGE_PENDING || last->status == SIC_STAGE_SKIPPED;
    if (last && last->status == SIC_STAGE_COMPLETE) jv->completed_stages++;
    /* A stage already computed when the job started gets a fresh pending entry for its latest
     * attempt; nothing submits that attempt again, so it ends skipped even when the job reruns
     * the stage under a new attempt number. */
    if (done_before && finished) mark_overwritten(b, job, lo, hi);
    if ((never_ran || done_before) && finished) {
      jv->skipped_stages++;
      jv->skipped_tasks += lo < hi ? a->stages[hi - 1].num_tasks : 0;
      jv->active_stages--; /* the History Server decrements here too */
    }
  }
  return 0;
}

static int build_jobs(builder *b, int64_t *idx_buf) {
  const sic_app *a = b->a;
  int64_t np = 0, cap = 0;
  pair *ps = NULL;
  for (int64_t s = 0; s < a->nstages; s++) {
    const sic_stage *st = &a->stages[s];
    for (int32_t i = 0; i < st->jobs.n; i++) {
      const sic_job *j = sic_app_job(a, a->ints[st->jobs.off + i]);
      if (!j || !job_owns_stage(j, st)) continue;
      if (GROW(ps, np, cap)) return -1;
      ps[np++] = (pair){j - a->jobs, s};
    }
  }
  sic_qsort(ps, (size_t)np, sizeof *ps, cmp_pair);
  int64_t i = 0;
  for (int64_t j = 0; j < a->njobs; j++) {
    int64_t k = i;
    while (k < np && ps[k].job == j) k++;
    if (job_stage_totals(b, j, ps + i, k - i, idx_buf)) {
      free(ps);
      return -1;
    }
    i = k;
  }
  free(ps);
  return 0;
}

/* ---- executors ---- */

static int32_t cpus_per_task(const sic_app *a, int32_t profile) {
  for (int64_t p = 0; p < a->nprofiles; p++) {
    if (a->profiles[p].id != profile) continue;
    for (int32_t i = 0; i < a->profiles[p].requests.n; i++) {
      const sic_resource_request *q = &a->resource_requests[a->profiles[p].requests.off + i];
      if (q->is_task && streq_sid(a, q->name, "cpus") && q->amount >= 1) return (int32_t)q->amount;
    }
  }
  for (int32_t i = 0; i < a->env_spark.n; i++) {
    const sic_kv *kv = &a->kvs[a->env_spark.off + i];
    if (streq_sid(a, kv->key, "spark.task.cpus")) {
      int v = atoi(sic_str(a, kv->value));
      return v > 0 ? v : 1;
    }
  }
  return 1;
}

static void build_executors(builder *b) {
  const sic_app *a = b->a;
  for (int64_t x = 0; x < a->nexecutors; x++) {
    const sic_executor *e = &a->executors[x];
    shs_exec_view *ev = &b->v->execs[x];
    ev->listed = e->add_time >= 0 || e->bm_add_time >= 0;
    ev->max_tasks = e->total_cores / cpus_per_task(a, e->resource_profile_id);
    if (e->peak >= 0) {
      emax(&ev->peak, &a->peaks[e->peak]);
      ev->has_peak = 1;
    }
  }
  for (int64_t r = 0; r < a->tasks.n; r++) {
    int32_t x = sic_task_executor(a, r);
    if (x < 0) continue;
    shs_exec_view *ev = &b->v->execs[x];
    int out = shs_task_outcome(a, r);
    ev->total++;
    ev->active_tasks += out == SHS_T_ACTIVE;
    ev->completed += out == SHS_T_SUCCESS;
    ev->failed += out == SHS_T_FAILED;
    if (out == SHS_T_ACTIVE) continue;
    ev->has_peak = 1; /* every task end carries executor metrics (zeros in logs without them) */
    int64_t d = sic_task_duration(a, r);
    ev->duration += d > 0 ? d : 0;
    /* Metrics of a resubmitted task are those of its first attempt: not added again. */
    if (!task_has_metrics(a, r) || streq_sid(a, sic_task_end_reason(a, r), "Resubmitted")) continue;
    ev->gc += sic_task_metric_get(a, r, SIC_TM_JVM_GC_TIME);
    ev->input += sic_task_metric_get(a, r, SIC_TM_INPUT_BYTES_READ);
    ev->shuffle_read += sic_task_metric_get(a, r, SIC_TM_SR_LOCAL_BYTES_READ) +
                        sic_task_metric_get(a, r, SIC_TM_SR_REMOTE_BYTES_READ);
    ev->shuffle_write += sic_task_metric_get(a, r, SIC_TM_SW_BYTES_WRITTEN);
  }
}

/* Storage: the last update of each (executor, block) says what is stored now. Found by
 * sorting update rows by (executor, block, row) and keeping each group's last row. */
typedef struct block_key { int32_t executor; sic_sid block; int64_t row; } block_key;
static int cmp_block_key(const void *x, const void *y) {
  const block_key *p = x, *q = y;
  if (p->executor != q->executor) return p->executor < q->executor ? -1 : 1;
  if (p->block != q->block) return p->block < q->block ? -1 : 1;
  return p->row < q->row ? -1 : p->row > q->row;
}

static int build_storage(builder *b) {
  const sic_app *a = b->a;
  shs_view *v = b->v;
  int64_t n = a->nblock_updates;
  if (n == 0) return 0;
  block_key *ks = malloc((size_t)n * sizeof *ks);
  if (!ks || !(v->blocks = malloc((size_t)n * sizeof *v->blocks))) {
    free(ks);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) ks[i] = (block_key){a->block_updates[i].executor, a->block_updates[i].block_id, i};
  sic_qsort(ks, (size_t)n, sizeof *ks, cmp_block_key);
  for (int64_t i = 0; i < n; i++) {
    if (i + 1 < n && ks[i + 1].executor == ks[i].executor && ks[i + 1].block == ks[i].block) continue;
    const sic_block_update *u = &a->block_updates[ks[i].row];
    if (u->executor < 0 || u->executor >= a->nexecutors || (u->memory_size <= 0 && u->disk_size <= 0)) continue;
    v->blocks[v->nblocks++] = ks[i].row;
    shs_exec_view *ev = &v->execs[u->executor];
    const char *id = sic_str(a, u->block_id);
    ev->mem_used += u->memory_size;
    ev->disk_used += u->disk_size;
    if (id && !strncmp(id, "rdd_", 4)) ev->rdd_blocks++;
  }
  free(ks);
  sic_qsort(v->blocks, (size_t)v->nblocks, sizeof *v->blocks, cmp_i64); /* back to log order */
  return 0;
}

shs_view *shs_view_build(const sic_app *a) {
  builder b = {a, calloc(1, sizeof(shs_view)), 0, 0, NULL};
  int64_t *idx_buf = NULL;
  if (!b.v) return NULL;
  shs_view *v = b.v;
  v->stages = calloc((size_t)a->nstages + 1, sizeof *v->stages);
  v->jobs = calloc((size_t)a->njobs + 1, sizeof *v->jobs);
  v->execs = calloc((size_t)a->nexecutors + 1, sizeof *v->execs);
  b.slot = malloc(((size_t)a->nexecutors + 1) * sizeof *b.slot);
  idx_buf = malloc(((size_t)a->tasks.n + 1) * sizeof *idx_buf);
  if (!v->stages || !v->jobs || !v->execs || !b.slot || !idx_buf) goto error;
  for (int64_t x = 0; x < a->nexecutors; x++) b.slot[x] = -1;
  for (int64_t s = 0; s < a->nstages; s++)
    if (build_stage(&b, s, idx_buf)) goto error;
  if (build_jobs(&b, idx_buf)) goto error;
  build_executors(&b);
  if (build_storage(&b)) goto error;
  /* For a finished application the History Server reports the driver's total duration as the
   * application's run time and its GC time from the driver's own metrics, not from tasks
   * (visible in Spark's expectations: local mode driver, 8820 ms of tasks, shows 9011). */
  if (a->end_time > 0 && a->start_time > 0)
    for (int64_t x = 0; x < a->nexecutors; x++)
      if (a->executors[x].is_driver) {
        v->execs[x].duration = a->end_time - a->start_time;
        v->execs[x].gc = v->execs[x].peak.v[SIC_EM_TOTAL_GC_TIME];
      }
  free(b.slot);
  free(idx_buf);
  return v;
error:
  free(b.slot);
  free(idx_buf);
  shs_view_free(v);
  return NULL;
}

int64_t shs_view_memory(const shs_view *v, const sic_app *a) {
  if (!v) return 0;
  return (int64_t)sizeof *v + a->nstages * (int64_t)sizeof *v->stages + a->njobs * (int64_t)sizeof *v->jobs +
         a->nexecutors * (int64_t)sizeof *v->execs + v->nesums * (int64_t)sizeof *v->esums +
         v->nkilled * (int64_t)sizeof *v->killed + v->nblocks * (int64_t)sizeof *v->blocks;
}

void shs_view_free(shs_view *v) {
  if (!v) return;
  free(v->stages);
  free(v->jobs);
  free(v->execs);
  free(v->esums);
  free(v->killed);
  free(v->blocks);
  free(v);
}
