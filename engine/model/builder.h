/* Private to engine/model: the builder that turns event-log lines into a sic_app.
 *
 * One builder owns one sic_app while it is being built: sic_builder_new() allocates both,
 * sic_builder_feed_line() applies one JSON line, sic_builder_finish() sorts and indexes the
 * model and hands it over (the builder is freed, the app belongs to the caller). Used by
 * load.c, the tests and the fuzzers; nothing here is part of the public API. */
#ifndef SIC_MODEL_BUILDER_H
#define SIC_MODEL_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "json/scan.h"
#include "model/model.h"

/* Open-addressing map from int64 keys to int32 values (linear probing, power-of-two size). */
typedef struct sic_imap {
  int64_t *keys;                 /* slot keys */
  int32_t *vals;                 /* slot values; -1 = empty slot */
  uint32_t cap;                  /* slots (power of two), 0 before first insert */
  uint32_t n;                    /* used slots */
} sic_imap;

int32_t sic_imap_get(const sic_imap *m, int64_t key);               /* -1 when absent */
int sic_imap_put(sic_imap *m, int64_t key, int32_t val);            /* 0 or SIC_ENOMEM */
void sic_imap_free(sic_imap *m);

/* Name prefix of the accumulators Spark's task metrics travel in ("internal.metrics.
 * executorRunTime", ...): the model keeps those values per task, not as accumulators. */
#define SIC_INTERNAL_METRICS "internal.metrics."

/* A pair collected while building and grouped into ranges at finalize. */
typedef struct sic_pair {
  int32_t a;                     /* owner row (executor or stage row) */
  int32_t b;                     /* value (stage id, executor row, ...) */
  int32_t c;                     /* second value (peak row) when needed */
} sic_pair;

/* One accumulable update of the task being parsed (applied when the TaskEnd is complete). */
typedef struct sic_pending_accum {
  int32_t accum_row;             /* row in app->accums */
  int32_t numeric;               /* update parsed as an integer */
  int64_t update;                /* the update value */
  sic_sid update_text;           /* user accumulables only: "Update" text, else -1 */
  sic_sid value_text;            /* user accumulables only: "Value" text, else -1 */
  int32_t keep;                  /* 1: user-visible accumulable (kept per task) */
} sic_pending_accum;

typedef struct sic_builder {
  sic_app *app;                  /* the model being built (owned until finish) */
  sic_load_opts opts;            /* load options (keep_task_accums) */
  int32_t part;                  /* part index of the current line */
  int64_t lineno;                /* line number of the current line */
  const char *line;              /* current line (for error offsets) */
  int64_t timed_event;           /* app->events + 1 of the event that last noted a time (0: none) */

  /* string interning */
  size_t sbuf_cap;               /* bytes allocated for app->strings.buf */
  size_t sbuf_len;               /* bytes used */
  int32_t soff_cap;              /* entries allocated for app->strings.off */
  uint32_t *shash;               /* open addressing: sid + 1, 0 = empty */
  uint32_t shash_cap;            /* slots (power of two) */
  char *scratch;                 /* unescape buffer */
  size_t scratch_cap;

  /* allocated rows of each growable app array (cap_X belongs to app->X; see sic_grow) */
  int64_t cap_ints, cap_kvs, cap_peaks, cap_stages, cap_jobs, cap_execs, cap_rdds;
  int64_t cap_stage_accums, cap_task_accums, cap_accums, cap_sqls, cap_plan_nodes;
  int64_t cap_plan_metrics, cap_block_updates, cap_misc, cap_profiles, cap_requests;
  int64_t cap_diags, cap_parts;

  /* lookups */
  int task_ids_ordered;          /* task ids so far increased with the rows: sic_task_find
                                    searches the task_id column, the maps below stay empty */
  int64_t last_task_id;          /* largest task id so far while task_ids_ordered */
  int64_t task_id_offset;        /* newest task's id - its row: where a dense id would be */
  int32_t *task_dense;           /* task id -> row + 1 for ids < task_dense_cap (0 = none) */
  int64_t task_dense_cap;
  sic_imap task_sparse;          /* task ids too large for the dense table */
  int32_t *accum_dense;          /* accum id -> row + 1 for small ids */
  int64_t accum_dense_cap;
  sic_imap accum_sparse;
  sic_imap stage_map;            /* (stage_id << 32 | attempt) -> stage row */
  sic_imap job_map;              /* job id -> job row */
  sic_imap exec_map;             /* executor id sid -> executor row */
  sic_imap sql_map;              /* execution id -> sql row */
  uint32_t peak_recent[1024];    /* hash of vector -> peak row + 1 (dedup of task peaks) */

  /* lists grouped at finalize */
  sic_pair *excl;                /* (executor row, stage id) exclusions for a stage */
  int64_t nexcl, cap_excl;
  sic_pair *sep;                 /* (stage row, executor row, peak row) */
  int64_t nsep, cap_sep;
  sic_pending_accum *pacc;       /* accumulables of the task being parsed */
  int64_t npacc, cap_pacc;
  sic_sid *unknown_names;        /* event names already reported as unknown */
  int64_t nunknown, cap_unknown;

  sic_sid recent_sid[128];       /* small direct-mapped cache of Executor ID / Host strings of
                                    task lines (they repeat on every line), -1 = empty */
  sic_sid sid_success;           /* the interned "Success" end reason, -1 until first seen */
  int enomem;                    /* an allocation failed: the model is incomplete */
  int hostless_derived;          /* a task without a host reads it from an executor without
                                    one: giving that executor a host must store tasks.host */
  int64_t too_many_tasks;        /* line that needed task row 2^31 (rows are int32), 0 = never */
} sic_builder;

/* ---- build.c (lifecycle, columns, rows, lines) and pools.c (growth, maps, strings) ---- */
sic_builder *sic_builder_new(const sic_load_opts *opts);
void sic_builder_free(sic_builder *b);        /* frees the app too unless finished */
/* Apply one line. unterminated: the part ended without '\n' after it. */
void sic_builder_feed_line(sic_builder *b, const char *p, size_t len, int32_t part, int64_t lineno,
                           int unterminated);
/* Register a part (returns its index). */
int32_t sic_builder_add_part(sic_builder *b, const char *path, const char *codec, int64_t stored);
void sic_builder_diag(sic_builder *b, int kind, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sort, index and derive; returns the app (ownership passes to the caller) and frees b. */
sic_app *sic_builder_finish(sic_builder *b);

/* Grow *arr (element size sz) so that index `need` fits; returns 0 or -1 (sets b->enomem). */
int sic_grow(sic_builder *b, void **arr, int64_t *cap, int64_t need, size_t sz);
#define SIC_GROW(b, arr, cap, need) sic_grow((b), (void **)&(arr), &(cap), (need), sizeof(*(arr)))

uint32_t sic_hash_bytes(const char *p, size_t n);                /* pools.c */
/* Intern len bytes (which must not contain NUL); returns the string id, -1 on ENOMEM. */
sic_sid sic_intern(sic_builder *b, const char *p, size_t len);
sic_sid sic_intern_jstr(sic_builder *b, const sic_jstr *s);   /* unescapes when needed */
size_t sic_interned_len(const sic_builder *b, sic_sid id);    /* bytes of an interned string */
int32_t sic_push_int(sic_builder *b, int32_t v);               /* returns index or -1 */
int32_t sic_push_kv(sic_builder *b, sic_sid k, sic_sid v);

/* Task columns */
enum { SIC_TASK_PLAIN_MAX = 4, SIC_TASK_COLUMNS_MAX = 12 + SIC_TM__COUNT };
/* The task table's plain per-row arrays (status, locality, flags, and host once it is
 * stored) with their element sizes, and every sic_col of it: one list for growing,
 * shrinking, accounting and freeing (model.c). Return the count. */
int sic_task_plain_arrays(sic_tasks *t, void ***ptrs, size_t *sizes);
int sic_task_columns(sic_tasks *t, sic_col **out);
int64_t sic_task_append(sic_builder *b);                       /* new row, defaults; -1 on ENOMEM */
/* Store v in a task column. The column is allocated on its first non-zero value, at the
 * narrowest width that holds it. A later value that does not fit becomes an exception (kept
 * aside, sorted by row; see sic_col) while they are few; when they stop being few, or arrive
 * far out of row order, the column is widened instead (sic_col_put_slow: one copy per width
 * step, at most three per column). Finalize then picks each column's cheapest width for the
 * values it ended up with (sic_col_optimize).
 * sic_col_put keeps base 0 (stored value = value); sic_col_put_rel is for time columns: the
 * first non-zero value sets base so that values near it need 4 bytes instead of 8 (a value
 * equal to base, or too far from it, is an exception or widens the column to 8 bytes with
 * base 0). */
void sic_col_put_slow(sic_builder *b, sic_col *c, int64_t row, int64_t v, int relative);
/* First exception index whose row is >= row (model.c; sic_col_exception_value uses it too). */
int32_t sic_col_exception_lower(const sic_col *c, int64_t row);
/* Whether stored value s fits width w: the width's minimum is the exception marker. */
static inline int sic_col_fits(int w, int64_t s) {
  switch (w) {
  case 1: return (uint64_t)s + INT8_MAX <= 2 * (uint64_t)INT8_MAX;
  case 2: return (uint64_t)s + INT16_MAX <= 2 * (uint64_t)INT16_MAX;
  case 4: return (uint64_t)s + INT32_MAX <= 2 * (uint64_t)INT32_MAX;
  default: return 1;
  }
}
/* Write stored value s (which fits) into a row that holds no exception (fresh rows). */
static inline void sic_col_set_raw(sic_col *c, int64_t row, int64_t s) {
  switch (c->width) {
  case 1: ((int8_t *)c->data)[row] = (int8_t)s; break;
  case 2: ((int16_t *)c->data)[row] = (int16_t)s; break;
  case 4: ((int32_t *)c->data)[row] = (int32_t)s; break;
  default: ((int64_t *)c->data)[row] = s; break;
  }
}
/* Stored value of a row as it is in memory (an exception row reads as the marker). */
static inline int64_t sic_col_raw(const sic_col *c, int64_t row) {
  switch (c->width) {
  case 1: return ((const int8_t *)c->data)[row];
  case 2: return ((const int16_t *)c->data)[row];
  case 4: return ((const int32_t *)c->data)[row];
  default: return ((const int64_t *)c->data)[row];
  }
}
/* The stored value that marks an exception row at width w (never one at width 8). */
static inline int64_t sic_col_marker(int w) {
  return w == 1 ? INT8_MIN : w == 2 ? INT16_MIN : w == 4 ? INT32_MIN : 0;
}
/* Drop row's exception if it has one (before the row gets a value that fits). */
void sic_col_unmark(sic_col *c, int64_t row);
/* Store stored value s in row when it fits (0 when it does not); a row that held an
 * exception gives it up. Inlined into every event handler's stores: the hot path. */
#define SIC_HOT static inline __attribute__((always_inline))
SIC_HOT int sic_col_store(sic_col *c, int64_t row, int64_t s) {
  if (!sic_col_fits(c->width, s)) return 0;
  if (__builtin_expect(c->nexceptions != 0, 0)) sic_col_unmark(c, row);
  sic_col_set_raw(c, row, s);
  return 1;
}
SIC_HOT void sic_col_put(sic_builder *b, sic_col *c, int64_t row, int64_t v) {
  if (!c->data) {
    if (v == 0) return;
  } else if (sic_col_store(c, row, v)) {
    return;
  }
  sic_col_put_slow(b, c, row, v, 0);
}
SIC_HOT void sic_col_put_rel(sic_builder *b, sic_col *c, int64_t row, int64_t v) {
  if (!c->data) {
    if (v == 0) return;
  } else {
    /* unsigned: a hostile value far from base must not overflow (undefined behaviour) */
    int64_t s = v ? (int64_t)((uint64_t)v - (uint64_t)c->base) : 0;
    if ((s != 0 || v == 0) && sic_col_store(c, row, s)) return;
  }
  sic_col_put_slow(b, c, row, v, 1);
}
/* Give every task column its cheapest width for the values it holds (finalize). */
void sic_col_optimize(sic_builder *b, sic_col *c);
int32_t sic_task_find(sic_builder *b, int64_t task_id);        /* -1 when unknown */
/* Task hosts: the model stores tasks.host only once a task's host differs from its
 * executor's (never in real logs); until then sic_task_host() derives it. Set a task's host
 * (after its executor), and change an executor's host, only through these two. */
void sic_task_set_host(sic_builder *b, int64_t row, sic_sid host);
void sic_exec_set_host(sic_builder *b, int32_t exec_row, sic_sid host);
void sic_task_index(sic_builder *b, int64_t task_id, int64_t row);

/* Row lookups that create when missing */
int32_t sic_stage_row(sic_builder *b, int32_t stage_id, int32_t attempt, int create);
int32_t sic_job_row(sic_builder *b, int32_t job_id, int create);
int32_t sic_exec_row(sic_builder *b, sic_sid id, int create);
int32_t sic_sql_row(sic_builder *b, int64_t execution_id, int create);
int32_t sic_accum_row(sic_builder *b, int64_t accum_id, int create);
int32_t sic_peak_new(sic_builder *b, const sic_emetrics *m);   /* exclusive row */
int32_t sic_peak_dedup(sic_builder *b, const sic_emetrics *m); /* shared row */
void sic_note_time(sic_builder *b, int64_t t);
/* a + b clamped to the int64 range (accumulator totals of hostile logs must not overflow) */
static inline int64_t sic_sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}
int sic_pair_push(sic_builder *b, sic_pair **arr, int64_t *n, int64_t *cap, sic_pair p);

/* ---- events.c (dispatch), events_app.c, events_stage.c, events_task.c, events_sql.c ---- */
/* Handler: the cursor is inside the event object (after "Event" or at its start, it); it
 * reads the remaining members. Returns 0, or -1 when the scanner failed. */
typedef int (*sic_event_fn)(sic_builder *b, sic_jscan *s, sic_jiter *it);
sic_event_fn sic_event_handler(const char *name, size_t len);

/* Typed readers for event fields: a value of the wrong type is skipped and counted as a
 * bad field (the event is kept); a syntax error fails the scanner. Return 0 when *out set. */
int sic_rd_i64(sic_builder *b, sic_jscan *s, int64_t *out);
int sic_rd_i32(sic_builder *b, sic_jscan *s, int32_t *out);
int sic_rd_f64(sic_builder *b, sic_jscan *s, double *out);
int sic_rd_bool(sic_builder *b, sic_jscan *s, int32_t *out);
int sic_rd_sid(sic_builder *b, sic_jscan *s, sic_sid *out);    /* string (or scalar as text) */
int sic_rd_text(sic_builder *b, sic_jscan *s, sic_sid *out);  /* any value as text; null -> -1 */
int sic_rd_kvs(sic_builder *b, sic_jscan *s, sic_range *out);  /* {k:v} or [[k,v]] */
int sic_rd_ints(sic_builder *b, sic_jscan *s, sic_range *out); /* [int, ...] */
/* Count and report a value of the wrong type at the cursor; `what` is the expected type. */
void sic_bad_field(sic_builder *b, sic_jscan *s, const char *what);
/* Count and report an event that lacks a member it cannot do without. */
void sic_missing_field(sic_builder *b, const char *field);
int sic_rd_emetrics(sic_builder *b, sic_jscan *s, sic_emetrics *out); /* "Executor Metrics" */
sic_sid sic_storage_level(sic_builder *b, sic_jscan *s, int32_t flags[5]);

int sic_ev_log_start(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_app_start(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_app_end(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_env(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_resource_profile(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_executor_added(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_executor_removed(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_bm_added(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_bm_removed(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_excluded(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_unexcluded(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_misc_added(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_block_updated(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_unpersist(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_stage_exec_metrics(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_exec_metrics_update(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_job_start(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_job_end(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_stage_submitted(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_stage_completed(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_task_start(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_task_end(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_task_getting_result(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_sql_start(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_sql_aqe(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_sql_aqe_metrics(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_sql_end(sic_builder *b, sic_jscan *s, sic_jiter *it);
int sic_ev_driver_accums(sic_builder *b, sic_jscan *s, sic_jiter *it);

/* ---- task_reason.c ---- */
typedef struct sic_end_reason {
  sic_sid reason;              /* "Reason" class name */
  sic_sid error;               /* message as the History Server shows it, -1 */
  int status;                  /* sic_task_status implied by the reason */
  int success;                 /* Reason == "Success" */
  int resubmitted;             /* Reason == "Resubmitted" */
} sic_end_reason;
void sic_read_end_reason(sic_builder *b, sic_jscan *s, sic_end_reason *er);

/* ---- finalize.c ---- */
int sic_model_finalize(sic_builder *b);

#define SIC_KEY(k, lit) SIC_JSTR_IS((k), lit)

/* Key table for objects whose members usually come in one order (see sic_member). */
typedef struct sic_keytab {
  const char *name;              /* member name */
  size_t len;                    /* strlen(name) */
  const char *tok;               /* "\"name\":" */
  size_t toklen;                 /* strlen(tok) */
  int target;                    /* what the caller does with it */
} sic_keytab;
#define SIC_KT(n, t) {n, sizeof(n) - 1, "\"" n "\":", sizeof(n) + 2, t}

/* Next member of an object read with a key table: tries the member after the previous match
 * first (one memcmp in the common case), else reads the key and searches the table. Returns
 * the table index, -1 for a key not in the table (its value is next), -2 at the end of the
 * object or on error. */
static inline int sic_member(sic_jscan *s, sic_jiter *it, const sic_keytab *tab, int n, int *hint);
/* Integer with an inline fast path for plain digits. */
static inline int sic_rd_int_fast(sic_builder *b, sic_jscan *s, int64_t *out);

/* ---- inline hot-path helpers (declared above) ---- */

static inline int sic_member(sic_jscan *s, sic_jiter *it, const sic_keytab *tab, int n, int *hint) {
  sic_jstr k;
  int h = *hint;
  if (h < n && sic_json_try_key(s, it, tab[h].tok, tab[h].toklen)) {
    *hint = h + 1;
    return h;
  }
  if (sic_json_obj_next(s, it, &k) <= 0) return -2;
  for (int i = 0; i < n; i++) {
    int j = h + i < n ? h + i : h + i - n;
    if (sic_jstr_eq(&k, tab[j].name, tab[j].len)) {
      *hint = j + 1;
      return j;
    }
  }
  return -1;
}

static inline int sic_rd_int_fast(sic_builder *b, sic_jscan *s, int64_t *out) {
  const char *p = s->p, *e = s->end;
  uint64_t v = 0;
  const char *d = p;
  while (p < e && (unsigned)(*p - '0') < 10 && p - d < 18) v = v * 10 + (unsigned)(*p++ - '0');
  /* plain digits, no leading zero, followed by a separator: exactly what sic_json_i64 does */
  if (p > d && !(p - d > 1 && *d == '0') && p < e && (*p == ',' || *p == '}' || *p == ']')) {
    *out = (int64_t)v;
    s->p = p;
    return 0;
  }
  return sic_rd_i64(b, s, out);
}

#endif
