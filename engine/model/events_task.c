/* Task events: the hot path. TaskEnd lines are most of an event log's bytes, and most of a
 * TaskEnd is its "Accumulables" array, so that array has its own tight loop that interns
 * nothing for accumulators it has already seen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)

/* "Task Info" as read from a TaskStart/TaskEnd, applied to the row afterwards. */
typedef struct task_info {
  int64_t task_id;             /* "Task ID", -1 when missing */
  int64_t index;               /* "Index" */
  int64_t attempt;             /* "Attempt" */
  int64_t partition_id;        /* "Partition ID", -1 before Spark 3.3 */
  int64_t launch;              /* "Launch Time" */
  int64_t finish;              /* "Finish Time" */
  int64_t getting;             /* "Getting Result Time" */
  sic_sid executor;            /* "Executor ID" */
  sic_sid host;                /* "Host" */
  int32_t locality;            /* sic_locality */
  int32_t speculative;         /* "Speculative" */
  int32_t failed;              /* "Failed" */
  int32_t killed;              /* "Killed" */
  int32_t has_flags;           /* "Failed" was logged (Spark 1.0+) */
} task_info;

static int locality_of(const sic_jstr *v) {
  if (SIC_KEY(v, "PROCESS_LOCAL")) return SIC_LOC_PROCESS_LOCAL;
  if (SIC_KEY(v, "NODE_LOCAL")) return SIC_LOC_NODE_LOCAL;
  if (SIC_KEY(v, "NO_PREF")) return SIC_LOC_NO_PREF;
  if (SIC_KEY(v, "RACK_LOCAL")) return SIC_LOC_RACK_LOCAL;
  return SIC_LOC_ANY;
}

static int starts_with(const sic_jstr *s, const char *lit, size_t n) {
  return s->len >= n && memcmp(s->p, lit, n) == 0;
}

/* One element of "Accumulables": {"ID", "Name", "Update", "Value", "Internal",
 * "Count Failed Values", "Metadata"}. Pushes a pending update (applied once the task's
 * outcome is known). */
static void accum_apply(sic_builder *b, int64_t id, const sic_jstr *name, int internal, const sic_jstr *meta,
                        int numeric, int64_t update, int collect, const sic_jstr *upd_raw, const sic_jstr *val_raw);

/* Literal match at *pp; advances past it on success. */
#define LIT(pp, e, l) \
  ((e) - (pp) >= (ptrdiff_t)sizeof(l) - 1 && sic_bytes_eq((pp), (l), sizeof(l) - 1) ? ((pp) += sizeof(l) - 1, 1) : 0)

/* Plain digits (optionally negative, at most 18) at *pp -> value; 0 when not that shape. */
static inline int fast_int(const char **pp, const char *e, int64_t *out) {
  const char *p = *pp;
  int neg = 0;
  if (p < e && *p == '-') { neg = 1; p++; }
  const char *d = p;
  uint64_t v = 0;
  while (p < e && (unsigned)(*p - '0') < 10 && p - d < 18) v = v * 10 + (unsigned)(*p++ - '0');
  if (p == d || (p - d > 1 && *d == '0') || (p < e && (unsigned)(*p - '0') < 10)) return 0;
  *out = neg ? -(int64_t)v : (int64_t)v;
  *pp = p;
  return 1;
}

/* String body without escapes up to the closing quote (cursor after the opening quote). */
static inline int fast_str(const char **pp, const char *e, sic_jstr *out) {
  const char *p = *pp;
  while (p < e && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
  if (p >= e || *p != '"') return 0;
  out->p = *pp;
  out->len = (size_t)(p - *pp);
  out->escaped = 0;
  *pp = p + 1;
  return 1;
}

static inline int fast_bool(const char **pp, const char *e, int *out) {
  if (LIT(*pp, e, "true")) { *out = 1; return 1; }
  if (LIT(*pp, e, "false")) { *out = 0; return 1; }
  return 0;
}

/* The shape every Spark 2.x-4.x TaskEnd writes:
 *   {"ID":1,"Name":"n","Update":u,"Value":v,"Internal":b,"Count Failed Values":b[,"Metadata":"m"]}
 * with u/v plain integers or quoted plain integers. Matches it with memcmp instead of the
 * general scanner; anything else (escapes, other key order, user accumulables that must be
 * kept as text) returns 0 with the cursor untouched and the general path takes over. It
 * accepts a subset of valid JSON and gives the same result the general path would. */
static int accum_fast(sic_builder *b, sic_jscan *s, int collect) {
  const char *p = s->p, *e = s->end;
  int64_t id, update, ignored;
  sic_jstr name, meta, tmp;
  int internal, cfv, have_meta = 0;
  if (!LIT(p, e, "{\"ID\":") || !fast_int(&p, e, &id) || id < 0) return 0;
  if (!LIT(p, e, ",\"Name\":\"") || !fast_str(&p, e, &name)) return 0;
  if (!LIT(p, e, ",\"Update\":")) return 0;
  if (p < e && *p == '"') {
    p++;
    if (!fast_int(&p, e, &update) || !LIT(p, e, "\"")) return 0;
  } else if (!fast_int(&p, e, &update)) return 0;
  if (!LIT(p, e, ",\"Value\":")) return 0;
  if (p < e && *p == '"') {
    p++;
    if (!fast_str(&p, e, &tmp)) return 0;
  } else if (!fast_int(&p, e, &ignored)) return 0;
  if (!LIT(p, e, ",\"Internal\":") || !fast_bool(&p, e, &internal)) return 0;
  if (!LIT(p, e, ",\"Count Failed Values\":") || !fast_bool(&p, e, &cfv)) return 0;
  if (LIT(p, e, ",\"Metadata\":\"")) {
    if (!fast_str(&p, e, &meta)) return 0;
    have_meta = 1;
  }
  if (!LIT(p, e, "}")) return 0;
  if (collect && b->opts.keep_task_accums && !internal && !(have_meta && SIC_KEY(&meta, "sql"))) return 0;
  s->p = p;
  accum_apply(b, id, &name, internal, have_meta ? &meta : NULL, 1, update, collect, NULL, NULL);
  return 1;
}

static void task_accum(sic_builder *b, sic_jscan *s, int collect) {
  if (accum_fast(b, s, collect)) return;
  sic_jiter it;
  sic_jstr k, name = {0}, meta = {0}, upd_raw = {0}, val_raw = {0};
  int64_t id = -1, update = 0;
  int32_t internal = -1, numeric = 0, have_name = 0, have_meta = 0;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    sic_jtype t;
    switch (k.len) {
    case 2: /* ID */
      if (k.p[0] == 'I' && k.p[1] == 'D') { sic_rd_i64(b, s, &id); continue; }
      break;
    case 4: /* Name */
      if (SIC_KEY(&k, "Name") && sic_json_peek(s) == SIC_JT_STRING) { have_name = sic_json_str(s, &name) == 0; continue; }
      break;
    case 6: /* Update: a number, or a string holding one (SQL metrics), or anything else */
      if (!SIC_KEY(&k, "Update")) break;
      t = sic_json_peek(s);
      upd_raw.p = s->p;
      if (t == SIC_JT_NUMBER) numeric = sic_json_i64(s, &update) == 0;
      else if (t == SIC_JT_STRING) {
        sic_jstr v;
        if (sic_json_str(s, &v) == 0) numeric = sic_json_parse_i64(v.p, v.len, &update) == 0;
      } else sic_json_skip(s);
      upd_raw.len = (size_t)(s->p - upd_raw.p);
      continue;
    case 5: /* Value: kept raw, interned only for user accumulables */
      if (!SIC_KEY(&k, "Value")) break;
      val_raw.p = s->p;
      sic_json_skip(s);
      val_raw.len = (size_t)(s->p - val_raw.p);
      continue;
    case 8: /* Internal / Metadata */
      if (SIC_KEY(&k, "Internal")) { sic_rd_bool(b, s, &internal); continue; }
      if (SIC_KEY(&k, "Metadata") && sic_json_peek(s) == SIC_JT_STRING) { have_meta = sic_json_str(s, &meta) == 0; continue; }
      break;
    }
    sic_json_skip(s);
  }
  if (s->err || id < 0) return;
  if (internal < 0) internal = have_name && starts_with(&name, "internal.", 9);
  accum_apply(b, id, have_name ? &name : NULL, internal, have_meta ? &meta : NULL, numeric, update, collect,
              &upd_raw, &val_raw);
}

static void accum_apply(sic_builder *b, int64_t id, const sic_jstr *name, int internal, const sic_jstr *meta,
                        int numeric, int64_t update, int collect, const sic_jstr *upd_raw, const sic_jstr *val_raw) {
  int have_name = name != NULL, have_meta = meta != NULL;
  /* Spark's own task metrics as accumulators: the task table already holds each value (the
   * History Server never lists them either), so they are not kept twice */
  if (internal && have_name && starts_with(name, SIC_INTERNAL_METRICS, sizeof SIC_INTERNAL_METRICS - 1)) return;
  int32_t row = sic_accum_row(b, id, 1);
  if (row < 0) return;
  sic_accum *ac = &b->app->accums[row];
  if (ac->name < 0 && have_name) {
    ac->name = sic_intern_jstr(b, name);
    ac->internal = internal;
    if (have_meta) ac->metadata = sic_intern_jstr(b, meta);
  }
  if (!collect) return;
  int keep = b->opts.keep_task_accums && have_name && !internal && !(have_meta && SIC_KEY(meta, "sql"));
  if (sic_grow(b, (void **)&b->pacc, &b->cap_pacc, b->npacc, sizeof *b->pacc) < 0) return;
  sic_pending_accum *pa = &b->pacc[b->npacc++];
  pa->accum_row = row;
  pa->numeric = numeric;
  pa->update = update;
  pa->keep = keep;
  pa->update_text = pa->value_text = -1;
  if (keep) { /* rare: user accumulators. Strings lose their quotes, other JSON stays as text */
    const sic_jstr *raws[2] = {upd_raw, val_raw};
    sic_sid *outs[2] = {&pa->update_text, &pa->value_text};
    for (int i = 0; i < 2; i++) {
      if (!raws[i] || !raws[i]->p) continue;
      if (raws[i]->len >= 2 && raws[i]->p[0] == '"') {
        sic_jstr v = {raws[i]->p + 1, raws[i]->len - 2, memchr(raws[i]->p, '\\', raws[i]->len) != NULL};
        *outs[i] = sic_intern_jstr(b, &v);
      } else {
        *outs[i] = sic_intern(b, raws[i]->p, raws[i]->len);
      }
    }
  }
}

static void task_accums(sic_builder *b, sic_jscan *s, int collect) {
  sic_jiter it;
  if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_json_skip(s); return; }
  sic_json_arr_begin(s, &it);
  while (sic_json_arr_next(s, &it) > 0) task_accum(b, s, collect);
}

enum {
  TI_TASK_ID, TI_INDEX, TI_ATTEMPT, TI_PARTITION, TI_LAUNCH, TI_EXECUTOR, TI_HOST, TI_LOCALITY, TI_SPECULATIVE,
  TI_GETTING, TI_FINISH, TI_FAILED, TI_KILLED, TI_ACCUMS, TI__COUNT
};
/* In the order Spark writes them. */
static const sic_keytab TI_KEYS[TI__COUNT] = {
    SIC_KT("Task ID", TI_TASK_ID), SIC_KT("Index", TI_INDEX), SIC_KT("Attempt", TI_ATTEMPT),
    SIC_KT("Partition ID", TI_PARTITION), SIC_KT("Launch Time", TI_LAUNCH), SIC_KT("Executor ID", TI_EXECUTOR),
    SIC_KT("Host", TI_HOST), SIC_KT("Locality", TI_LOCALITY), SIC_KT("Speculative", TI_SPECULATIVE),
    SIC_KT("Getting Result Time", TI_GETTING), SIC_KT("Finish Time", TI_FINISH), SIC_KT("Failed", TI_FAILED),
    SIC_KT("Killed", TI_KILLED), SIC_KT("Accumulables", TI_ACCUMS)};

/* 0..63 from all bytes of a short string: words folded with xor and rotation, one
 * multiply at the end (cheaper than the intern hash; collisions only cost a miss). */
static inline unsigned cache_slot(const char *p, size_t n) {
  uint64_t h = n, w;
  while (n >= 8) {
    memcpy(&w, p, 8);
    h = ((h << 7) | (h >> 57)) ^ w;
    p += 8;
    n -= 8;
  }
  w = 0;
  memcpy(&w, p, n);
  h = ((h << 7) | (h >> 57)) ^ w;
  return (unsigned)((h * 0x9E3779B97F4A7C15ULL) >> 58);
}

/* Executor ID and Host repeat on every task line: a 64-entry direct-mapped cache per kind
 * answers most of them without a probe of the intern table. */
static sic_sid cached_sid(sic_builder *b, sic_jscan *s, int kind) {
  sic_jstr v;
  sic_sid id = -1;
  if (sic_json_peek(s) != SIC_JT_STRING) { sic_rd_sid(b, s, &id); return id; }
  if (sic_json_str(s, &v) < 0) return -1;
  if (v.escaped || v.len == 0) return sic_intern_jstr(b, &v);
  unsigned slot = (unsigned)kind * 64 + cache_slot(v.p, v.len);
  sic_sid last = b->recent_sid[slot];
  if (last >= 0 && sic_interned_len(b, last) == v.len && sic_bytes_eq(sic_str(b->app, last), v.p, v.len))
    return last;
  id = sic_intern_jstr(b, &v);
  b->recent_sid[slot] = id;
  return id;
}

static void read_task_info(sic_builder *b, sic_jscan *s, task_info *ti, int collect) {
  sic_jiter it;
  sic_jstr v;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  int hint = 0, i;
  while ((i = sic_member(s, &it, TI_KEYS, TI__COUNT, &hint)) != -2) {
    switch (i) {
    case TI_TASK_ID: sic_rd_int_fast(b, s, &ti->task_id); break;
    case TI_INDEX: sic_rd_int_fast(b, s, &ti->index); break;
    case TI_ATTEMPT: sic_rd_int_fast(b, s, &ti->attempt); break;
    case TI_PARTITION: sic_rd_int_fast(b, s, &ti->partition_id); break;
    case TI_LAUNCH: sic_rd_int_fast(b, s, &ti->launch); break;
    case TI_EXECUTOR: ti->executor = cached_sid(b, s, 0); break;
    case TI_HOST: ti->host = cached_sid(b, s, 1); break;
    case TI_LOCALITY:
      if (sic_json_peek(s) == SIC_JT_STRING && sic_json_str(s, &v) == 0) ti->locality = locality_of(&v);
      else sic_json_skip(s);
      break;
    case TI_SPECULATIVE: sic_rd_bool(b, s, &ti->speculative); break;
    case TI_GETTING: sic_rd_int_fast(b, s, &ti->getting); break;
    case TI_FINISH: sic_rd_int_fast(b, s, &ti->finish); break;
    case TI_FAILED: sic_rd_bool(b, s, &ti->failed); ti->has_flags = 1; break;
    case TI_KILLED: sic_rd_bool(b, s, &ti->killed); break;
    case TI_ACCUMS: task_accums(b, s, collect); break;
    default: sic_json_skip(s); break;
    }
  }
}

#define ABSENT INT64_MIN /* a Task Info member that was not logged */

static void task_info_init(task_info *ti) {
  memset(ti, 0, sizeof *ti);
  ti->task_id = -1;
  ti->index = ti->attempt = ti->partition_id = ti->launch = ti->finish = ti->getting = ABSENT;
  ti->executor = ti->host = -1;
  ti->locality = -1;
}

/* Row for a task id: the TaskStart row, or a new one (TaskEnd without TaskStart). */
static int64_t task_row_for(sic_builder *b, int64_t task_id) {
  int32_t r = sic_task_find(b, task_id);
  if (r >= 0) return r;
  int64_t row = sic_task_append(b);
  if (row >= 0) sic_task_index(b, task_id, row);
  return row;
}

static void apply_task_info(sic_builder *b, int64_t row, const task_info *ti, int32_t stage_row) {
  sic_app *a = b->app;
  sic_tasks *t = &a->tasks;
  /* TaskEnd repeats the TaskStart's Task Info; members it lacks keep their earlier value */
  sic_col_put(b, &t->task_id, row, ti->task_id);
  if (ti->index != ABSENT) sic_col_put(b, &t->index, row, ti->index);
  if (ti->attempt != ABSENT) sic_col_put(b, &t->attempt, row, ti->attempt);
  if (ti->partition_id != ABSENT) sic_col_put(b, &t->partition_id, row, ti->partition_id);
  if (ti->finish != ABSENT) sic_col_put_rel(b, &t->finish_time, row, ti->finish);
  if (ti->getting != ABSENT) sic_col_put_rel(b, &t->getting_result_time, row, ti->getting);
  if (ti->launch != ABSENT) sic_col_put_rel(b, &t->launch_time, row, ti->launch);
  if (stage_row >= 0) sic_col_put(b, &t->stage, row, stage_row);
  if (ti->locality >= 0) t->locality[row] = (uint8_t)ti->locality;
  if (ti->speculative) t->flags[row] |= SIC_TASKF_SPECULATIVE;
  /* the host the row keeps: as logged, else its earlier one (-1 for a new row), whatever
   * executor it ends up on */
  sic_sid host = ti->host >= 0 ? ti->host : sic_task_host(a, row);
  int32_t ex = ti->executor >= 0 ? sic_exec_row(b, ti->executor, 1) : -1;
  if (ex >= 0) sic_col_put(b, &t->executor, row, ex);
  if (ex >= 0 && a->executors[ex].host < 0 && ti->host >= 0)
    sic_exec_set_host(b, ex, ti->host); /* old logs: no ExecutorAdded */
  sic_task_set_host(b, row, host); /* after the executor: usually derived, nothing stored */
  if (ti->launch != ABSENT) sic_note_time(b, ti->launch);
  if (ti->finish != ABSENT) sic_note_time(b, ti->finish);
}

int sic_ev_task_start(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  int32_t stage_id = -1, attempt = 0;
  task_info ti;
  task_info_init(&ti);
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Stage ID")) sic_rd_i32(b, s, &stage_id);
    else if (SIC_KEY(&k, "Stage Attempt ID")) sic_rd_i32(b, s, &attempt);
    else if (SIC_KEY(&k, "Task Info")) read_task_info(b, s, &ti, 0);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (ti.task_id < 0) { sic_missing_field(b, "Task Info\" member \"Task ID"); return 0; }
  int32_t st = stage_id >= 0 ? sic_stage_row(b, stage_id, attempt, 1) : -1;
  int64_t row = task_row_for(b, ti.task_id);
  if (row < 0) return 0;
  apply_task_info(b, row, &ti, st);
  if (st >= 0 && b->app->stages[st].status == SIC_STAGE_PENDING) b->app->stages[st].status = SIC_STAGE_ACTIVE;
  return 0;
}

int sic_ev_task_getting_result(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  task_info ti;
  task_info_init(&ti);
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Task Info")) read_task_info(b, s, &ti, 0);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = ti.task_id >= 0 ? sic_task_find(b, ti.task_id) : -1;
  if (r >= 0) sic_col_put_rel(b, &b->app->tasks.getting_result_time, r, ti.getting);
  return 0;
}

/* ---- Task Metrics ---- */

enum { SUB_NONE = -1, SUB_READ = -2, SUB_WRITE = -3, SUB_INPUT = -4, SUB_OUTPUT = -5, SUB_PUSH = -6 };

typedef sic_keytab metric_name; /* target: sic_task_metric, or SUB_* for a nested object */
#define M(n, t) SIC_KT(n, t)
/* The push-based shuffle read fields: in their own object (PUSH) or flat in READ. */
#define PUSH_READ_METRICS                                                               \
    M("Corrupt Merged Block Chunks", SIC_TM_SR_PUSH_CORRUPT_MERGED_BLOCK_CHUNKS),        \
    M("Merged Fetch Fallback Count", SIC_TM_SR_PUSH_MERGED_FETCH_FALLBACK_COUNT),        \
    M("Merged Remote Blocks Fetched", SIC_TM_SR_PUSH_REMOTE_MERGED_BLOCKS_FETCHED),      \
    M("Merged Local Blocks Fetched", SIC_TM_SR_PUSH_LOCAL_MERGED_BLOCKS_FETCHED),        \
    M("Merged Remote Chunks Fetched", SIC_TM_SR_PUSH_REMOTE_MERGED_CHUNKS_FETCHED),      \
    M("Merged Local Chunks Fetched", SIC_TM_SR_PUSH_LOCAL_MERGED_CHUNKS_FETCHED),        \
    M("Merged Remote Bytes Read", SIC_TM_SR_PUSH_REMOTE_MERGED_BYTES_READ),              \
    M("Merged Local Bytes Read", SIC_TM_SR_PUSH_LOCAL_MERGED_BYTES_READ),                \
    M("Merged Remote Requests Duration", SIC_TM_SR_PUSH_REMOTE_MERGED_REQS_DURATION)

static const metric_name TOP[] = {
    M("Executor Deserialize Time", SIC_TM_EXECUTOR_DESERIALIZE_TIME),
    M("Executor Deserialize CPU Time", SIC_TM_EXECUTOR_DESERIALIZE_CPU_TIME),
    M("Executor Run Time", SIC_TM_EXECUTOR_RUN_TIME),
    M("Executor CPU Time", SIC_TM_EXECUTOR_CPU_TIME),
    M("Peak Execution Memory", SIC_TM_PEAK_EXECUTION_MEMORY),
    M("Result Size", SIC_TM_RESULT_SIZE),
    M("JVM GC Time", SIC_TM_JVM_GC_TIME),
    M("Result Serialization Time", SIC_TM_RESULT_SERIALIZATION_TIME),
    M("Memory Bytes Spilled", SIC_TM_MEMORY_BYTES_SPILLED),
    M("Disk Bytes Spilled", SIC_TM_DISK_BYTES_SPILLED),
    M("Shuffle Read Metrics", SUB_READ),
    M("Shuffle Write Metrics", SUB_WRITE),
    M("Input Metrics", SUB_INPUT),
    M("Output Metrics", SUB_OUTPUT),
    {NULL, 0, NULL, 0, 0}};
static const metric_name READ[] = {
    M("Remote Blocks Fetched", SIC_TM_SR_REMOTE_BLOCKS_FETCHED),
    M("Local Blocks Fetched", SIC_TM_SR_LOCAL_BLOCKS_FETCHED),
    M("Fetch Wait Time", SIC_TM_SR_FETCH_WAIT_TIME),
    M("Remote Bytes Read", SIC_TM_SR_REMOTE_BYTES_READ),
    M("Remote Bytes Read To Disk", SIC_TM_SR_REMOTE_BYTES_READ_TO_DISK),
    M("Local Bytes Read", SIC_TM_SR_LOCAL_BYTES_READ),
    M("Total Records Read", SIC_TM_SR_RECORDS_READ),
    M("Remote Requests Duration", SIC_TM_SR_REMOTE_REQS_DURATION),
    /* Push-based shuffle reads (3.2+): Spark's JSON nests them as "Push Based Shuffle"; the
     * other spellings seen in logs (a "Shuffle Push Read Metrics" object, or the fields flat in
     * this object) land in the same columns. */
    M("Push Based Shuffle", SUB_PUSH),
    M("Shuffle Push Read Metrics", SUB_PUSH),
    PUSH_READ_METRICS,
    {NULL, 0, NULL, 0, 0}};
static const metric_name PUSH[] = {
    PUSH_READ_METRICS,
    {NULL, 0, NULL, 0, 0}};
static const metric_name WRITE[] = {
    M("Shuffle Bytes Written", SIC_TM_SW_BYTES_WRITTEN),
    M("Shuffle Write Time", SIC_TM_SW_WRITE_TIME),
    M("Shuffle Records Written", SIC_TM_SW_RECORDS_WRITTEN),
    {NULL, 0, NULL, 0, 0}};
static const metric_name INPUT[] = {
    M("Bytes Read", SIC_TM_INPUT_BYTES_READ), M("Records Read", SIC_TM_INPUT_RECORDS_READ), {NULL, 0, NULL, 0, 0}};
static const metric_name OUTPUT[] = {
    M("Bytes Written", SIC_TM_OUTPUT_BYTES_WRITTEN), M("Records Written", SIC_TM_OUTPUT_RECORDS_WRITTEN), {NULL, 0, NULL, 0, 0}};

static const metric_name *table_of(int sub) {
  switch (sub) {
  case SUB_READ: return READ;
  case SUB_WRITE: return WRITE;
  case SUB_INPUT: return INPUT;
  case SUB_OUTPUT: return OUTPUT;
  case SUB_PUSH: return PUSH;
  default: return TOP;
  }
}

/* Reads one metrics object into m[]. */
static void read_metrics(sic_builder *b, sic_jscan *s, const metric_name *tab, int64_t *m, int depth) {
  sic_jiter it;
  if (sic_json_peek(s) != SIC_JT_OBJECT || depth > 3) { sic_json_skip(s); return; }
  int n = 0;
  while (tab[n].name) n++;
  int hint = 0, i;
  sic_json_obj_begin(s, &it);
  while ((i = sic_member(s, &it, tab, n, &hint)) != -2) {
    if (i < 0) { sic_json_skip(s); continue; }
    int target = tab[i].target;
    if (target < 0) { read_metrics(b, s, table_of(target), m, depth + 1); continue; }
    int64_t v;
    if (sic_rd_int_fast(b, s, &v) == 0) m[target] = v;
  }
}

/* ---- TaskEnd ---- */

static void apply_accums(sic_builder *b, int64_t row, int success) {
  sic_app *a = b->app;
  for (int64_t i = 0; i < b->npacc; i++) {
    sic_pending_accum *pa = &b->pacc[i];
    sic_accum *ac = &a->accums[pa->accum_row];
    if (!pa->numeric) ac->numeric = 0;
    else if (success) {
      ac->sum = sic_sat_add(ac->sum, pa->update);
      if (pa->update < ac->min) ac->min = pa->update;
      if (pa->update > ac->max) ac->max = pa->update;
      ac->count++;
    }
    if (!pa->keep) continue;
    if (SIC_GROW(b, a->task_accums, b->cap_task_accums, a->ntask_accums) < 0) continue;
    a->task_accums[a->ntask_accums++] =
        (sic_task_accum){row, ac->accum_id, ac->name, pa->update_text, pa->value_text};
  }
  b->npacc = 0;
}

enum { TE_STAGE, TE_ATTEMPT, TE_TYPE, TE_REASON, TE_INFO, TE_PEAK, TE_METRICS, TE__COUNT };
/* TaskEnd members in the order Spark writes them. */
static const sic_keytab TE_KEYS[TE__COUNT] = {
    SIC_KT("Stage ID", TE_STAGE), SIC_KT("Stage Attempt ID", TE_ATTEMPT), SIC_KT("Task Type", TE_TYPE),
    SIC_KT("Task End Reason", TE_REASON), SIC_KT("Task Info", TE_INFO),
    SIC_KT("Task Executor Metrics", TE_PEAK), SIC_KT("Task Metrics", TE_METRICS)};

int sic_ev_task_end(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr v;
  int32_t stage_id = -1, attempt = 0, result_task = -1, have_metrics = 0, have_peak = 0;
  int64_t m[SIC_TM__COUNT];
  sic_emetrics peak;
  sic_end_reason er = {-1, -1, SIC_TASK_UNKNOWN, 0, 0};
  task_info ti;
  task_info_init(&ti);
  b->npacc = 0;
  int hint = 0, i;
  while ((i = sic_member(s, it, TE_KEYS, TE__COUNT, &hint)) != -2) {
    switch (i) {
    case TE_STAGE: sic_rd_i32(b, s, &stage_id); break;
    case TE_ATTEMPT: sic_rd_i32(b, s, &attempt); break;
    case TE_TYPE:
      if (sic_json_peek(s) == SIC_JT_STRING && sic_json_str(s, &v) == 0) result_task = SIC_KEY(&v, "ResultTask");
      else sic_json_skip(s);
      break;
    case TE_REASON: sic_read_end_reason(b, s, &er); break;
    case TE_INFO: read_task_info(b, s, &ti, 1); break;
    case TE_PEAK: have_peak = sic_rd_emetrics(b, s, &peak) == 0; break;
    case TE_METRICS:
      if (sic_json_peek(s) == SIC_JT_OBJECT) {
        memset(m, 0, sizeof m);
        read_metrics(b, s, TOP, m, 0);
        have_metrics = 1;
      } else sic_json_skip(s);
      break;
    default: sic_json_skip(s); break; /* "Event" (when not first) and members of newer Sparks */
    }
  }
  if (s->err) { b->npacc = 0; return -1; }
  if (ti.task_id < 0) { sic_missing_field(b, "Task Info\" member \"Task ID"); b->npacc = 0; return 0; }
  sic_app *a = b->app;
  sic_tasks *t = &a->tasks;
  int32_t st = stage_id >= 0 ? sic_stage_row(b, stage_id, attempt, 1) : -1;
  if (er.resubmitted) {
    /* A finished shuffle-map task whose output was lost with its executor: the History
     * Server counts it as a failed task of the stage but leaves the task as it ended. */
    int32_t prev = sic_task_find(b, ti.task_id);
    if (prev >= 0 && t->status[prev] != SIC_TASK_RUNNING) {
      if (st >= 0) a->stages[st].resubmitted_tasks++;
      b->npacc = 0;
      return 0;
    }
  }
  int64_t row = task_row_for(b, ti.task_id);
  if (row < 0) { b->npacc = 0; return 0; }
  apply_task_info(b, row, &ti, st);
  /* status: the Task Info flags, as the History Server's TaskInfo.status; the reason when
   * flags are absent or the reason is one this engine does not know */
  int status = er.status;
  if (ti.has_flags && er.status != SIC_TASK_UNKNOWN)
    status = ti.failed ? SIC_TASK_FAILED : ti.killed ? SIC_TASK_KILLED : SIC_TASK_SUCCESS;
  t->status[row] = (uint8_t)status;
  sic_col_put(b, &t->end_reason, row, er.reason);
  sic_col_put(b, &t->error, row, er.error);
  if (result_task == 1) t->flags[row] |= SIC_TASKF_RESULT_TASK;
  else if (result_task == 0 && st >= 0) a->stages[st].is_shuffle_map = 1;
  if (have_metrics) {
    t->flags[row] |= SIC_TASKF_HAS_METRICS;
    for (int i = 0; i < SIC_TM__COUNT; i++) sic_col_put(b, &t->metric[i], row, m[i]);
  }
  if (have_peak) {
    t->flags[row] |= SIC_TASKF_HAS_PEAK;
    sic_col_put(b, &t->peak, row, sic_peak_dedup(b, &peak));
  }
  apply_accums(b, row, er.success);
  return 0;
}
