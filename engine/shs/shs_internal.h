/* Internals of the History Server view (engine/shs). Not a public header.
 *
 * Layers: catalog.c (logs -> applications/attempts, model cache), view.c (aggregates the
 * History Server's AppStatusListener keeps, derived from a model once per load),
 * params.c (query strings, enums, dates), render_*.c (JSON per resource), router.c. */
#ifndef SIC_SHS_INTERNAL_H
#define SIC_SHS_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "core/sort.h"

#include "eventlog/eventlog.h"
#include "json/write.h"
#include "model/model.h"
#include "shs/shs.h"

/* ---- derived aggregates (view.c) ---- */

/* One executor within one stage attempt (Spark's LiveExecutorStageSummary). */
typedef struct shs_esum {
  int32_t executor;              /* row in sic_app.executors */
  int32_t failed;                /* failed task attempts on it in this stage */
  int32_t succeeded;             /* successful task attempts */
  int32_t killed;                /* killed task attempts */
  int32_t excluded;              /* executor (or its node) was excluded for this stage */
  int64_t task_time;             /* sum of finished task durations, ms */
  int64_t m[SIC_TM__COUNT];      /* sums of task metrics of tasks that reported them */
  sic_emetrics peak;             /* element-wise peak of task and stage executor metrics */
} shs_esum;

/* A killed-task reason and how often it occurred (killedTasksSummary). */
typedef struct shs_reason_count {
  sic_sid reason;                /* kill reason text, -1 = "unknown reason" */
  int32_t count;                 /* tasks killed for it */
} shs_reason_count;

/* One stage attempt (Spark's LiveStage). */
typedef struct shs_stage_view {
  int32_t active;                /* tasks started, not ended */
  int32_t complete;              /* successful task attempts */
  int32_t failed;                /* failed task attempts */
  int32_t killed;                /* killed task attempts (incl. commit denied) */
  int32_t completed_indices;     /* distinct indices with a successful attempt */
  int32_t spec_tasks;            /* speculative attempts started */
  int32_t spec_active;           /* ... still running */
  int32_t spec_complete;         /* ... successful */
  int32_t spec_failed;           /* ... failed */
  int32_t spec_killed;           /* ... killed */
  int64_t m[SIC_TM__COUNT];      /* metric sums over every task that reported metrics */
  sic_emetrics peak;             /* stage peak executor metrics */
  int64_t esum_off;              /* first row in shs_view.esums */
  int32_t esum_n;                /* executors in this stage */
  int32_t killed_n;              /* entries in shs_view.killed */
  int32_t overwritten;           /* a later job listed this finished stage again: the History
                                    Server then stores a fresh, skipped stage under the same
                                    (stage, attempt) key, with zero counts and metrics */
  int64_t killed_off;            /* first entry in shs_view.killed */
} shs_stage_view;

/* One job (Spark's LiveJob). */
typedef struct shs_job_view {
  int32_t num_tasks;             /* tasks of stages not yet computed at job start */
  int32_t active;                /* running task attempts */
  int32_t completed;             /* successful task attempts */
  int32_t skipped_tasks;         /* tasks of skipped stages */
  int32_t failed;                /* failed task attempts */
  int32_t killed;                /* killed task attempts */
  int32_t completed_indices;     /* distinct (stage, index) pairs that succeeded */
  int32_t active_stages;         /* as the History Server counts them (may go negative) */
  int32_t completed_stages;      /* distinct stage ids whose last attempt completed */
  int32_t skipped_stages;        /* distinct stage ids skipped */
  int32_t failed_stages;         /* failed stage attempts */
  int32_t killed_n;              /* entries in shs_view.killed */
  int64_t killed_off;            /* first entry in shs_view.killed */
} shs_job_view;

/* One executor (Spark's LiveExecutor). */
typedef struct shs_exec_view {
  int32_t listed;                /* known to the History Server (ExecutorAdded/BlockManagerAdded) */
  int32_t active_tasks;          /* running task attempts */
  int32_t failed;                /* failed task attempts (killed not included) */
  int32_t completed;             /* successful task attempts */
  int32_t total;                 /* task attempts started */
  int32_t max_tasks;             /* totalCores / cpus per task */
  int32_t rdd_blocks;            /* RDD blocks stored */
  int32_t has_peak;              /* executor metrics arrived (a task end, a metrics update or a stage's
                                    peaks): peakMemoryMetrics is written only then */
  int64_t duration;              /* sum of finished task durations (driver: app duration) */
  int64_t gc;                    /* JVM GC time of tasks */
  int64_t input;                 /* input bytes of tasks */
  int64_t shuffle_read;          /* local + remote shuffle bytes read */
  int64_t shuffle_write;         /* shuffle bytes written */
  int64_t mem_used;              /* storage memory used by blocks */
  int64_t disk_used;             /* disk used by blocks */
  sic_emetrics peak;             /* peak executor metrics */
} shs_exec_view;

typedef struct shs_view {
  shs_stage_view *stages;        /* parallel to sic_app.stages */
  shs_job_view *jobs;            /* parallel to sic_app.jobs */
  shs_exec_view *execs;          /* parallel to sic_app.executors */
  shs_esum *esums;               /* per stage, sorted by executor id */
  int64_t nesums;
  shs_reason_count *killed;      /* killed summaries of stages and jobs */
  int64_t nkilled;
  int64_t *blocks;               /* block update rows still storing data (last per executor
                                    and block), in log order */
  int64_t nblocks;
} shs_view;

shs_view *shs_view_build(const sic_app *app);
void shs_view_free(shs_view *v);
/* Bytes held by a view (for the catalog's cache budget). */
int64_t shs_view_memory(const shs_view *v, const sic_app *app);

/* Task outcome as the History Server's task-end bookkeeping sees it. */
enum { SHS_T_ACTIVE = 0, SHS_T_SUCCESS, SHS_T_FAILED, SHS_T_KILLED };
int shs_task_outcome(const sic_app *app, int64_t row);

/* ---- catalog (catalog.c) ---- */

typedef struct shs_attempt {
  char *attempt_id;              /* "App Attempt ID", NULL when the log has none */
  char *name;                    /* "App Name" */
  char *user;                    /* "User" */
  char *spark_version;           /* LogStart version, "" when absent */
  int64_t start_time;            /* ApplicationStart time, -1 */
  int64_t end_time;              /* ApplicationEnd time, -1 while running */
  int64_t last_updated;          /* log modification time, ms */
  int32_t completed;             /* ApplicationEnd seen */
  int32_t reserved;
  size_t logset;                 /* index into sic_shs.sets.items */
  sic_app *app;                  /* cached model, NULL when evicted */
  shs_view *view;                /* aggregates of app, NULL when evicted */
  struct shs_sql_values *sql_values; /* SQL metric display values (sql.h), built on first use */
  int64_t mem;                   /* bytes accounted for app + view */
  uint64_t last_use;             /* cache clock at last use (LRU) */
} shs_attempt;

typedef struct shs_appinfo {
  char *id;                      /* application id */
  char *name;                    /* name of the newest attempt */
  shs_attempt *attempts;         /* newest start first, as the History Server orders them */
  size_t nattempts;
} shs_appinfo;

struct sic_shs {
  char **logdirs;                /* what is scanned: owned copies of the roots, in order */
  size_t nlogdirs;               /* number of roots (>= 1) */
  sic_logsets sets;              /* every log found */
  shs_appinfo *apps;             /* newest end time first (running apps last) */
  size_t napps;
  size_t skipped;                /* logs that could not be listed */
  int threads;                   /* decode threads per load */
  int64_t cache_bytes;           /* budget for cached models */
  int64_t cached_bytes;          /* currently cached */
  uint64_t clock;                /* LRU clock */
  pthread_mutex_t lock;          /* serializes sic_shs_get */
};

const shs_appinfo *shs_find_app(const sic_shs *shs, const char *id);
/* Make sure the attempt's model is loaded; 0 or SIC_E*. */
int shs_attempt_load(sic_shs *shs, shs_attempt *at, sic_err *err);

/* ---- parameters and formats (params.c) ---- */

typedef struct shs_param {
  char *key;                     /* decoded name */
  char *value;                   /* decoded value */
} shs_param;

typedef struct shs_query {
  char **seg;                    /* decoded path segments */
  size_t nseg;
  shs_param *params;             /* query parameters in order */
  size_t nparams;
  char *raw_path;                /* "/api/v1/" + path, for messages quoting the request URI */
} shs_query;

int shs_query_parse(const char *path_and_query, shs_query *q);
void shs_query_free(shs_query *q);
/* First value of a parameter, NULL when absent. */
const char *shs_param_get(const shs_query *q, const char *key);
/* Bool as JAX-RS reads it (Boolean.valueOf: "true" in any case), def when absent. */
int shs_param_bool(const shs_query *q, const char *key, int def);

/* Format ms since epoch as the History Server does: "2015-02-03T16:43:05.829GMT". */
void shs_format_date(int64_t ms, char out[32]);
/* Parse a date parameter as SimpleDateParam does; 0 or -1 when unparsable. */
int shs_parse_date_param(const char *s, int64_t *ms);
/* Parse a Java double (Double.parseDouble rules); 0 or -1. */
int shs_parse_java_double(const char *s, double *out);
/* Parse a Java int (Integer.parseInt rules); 0 or -1. */
int shs_parse_java_int(const char *s, int32_t *out);
/* Case-insensitive match of s against names[0..n); index or -1. */
int shs_enum_parse(const char *s, const char *const *names, int n);

/* ---- responses (router.c) ---- */

/* Fill r with an error (text/plain body, as the History Server sends). Returns status. */
int shs_error(sic_shs_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Move a finished JSON writer into r as a 200 application/json response. */
int shs_json_ok(sic_shs_response *r, sic_jw *w);

/* ---- renderers (render_*.c); each returns an HTTP status and fills r ---- */

typedef struct shs_ctx {
  sic_shs *shs;
  const shs_appinfo *app;        /* the application addressed */
  shs_attempt *attempt;          /* the attempt addressed (model loaded) */
  const sic_app *a;              /* attempt->app */
  const shs_view *v;             /* attempt->view */
  const shs_query *q;
} shs_ctx;

void shs_write_app_info(sic_jw *w, const shs_appinfo *app);
void shs_write_attempt_info(sic_jw *w, const shs_attempt *at);
void shs_write_date(sic_jw *w, const char *key, int64_t ms);
void shs_write_emetrics(sic_jw *w, const sic_emetrics *m);
void shs_write_str_map(sic_jw *w, const sic_app *a, sic_range kvs);

int shs_render_app_list(sic_shs *shs, const shs_query *q, sic_shs_response *r);
int shs_render_jobs(shs_ctx *c, sic_shs_response *r);
int shs_render_job(shs_ctx *c, const char *id, sic_shs_response *r);
int shs_render_executors(shs_ctx *c, int all, sic_shs_response *r);
int shs_render_environment(shs_ctx *c, sic_shs_response *r);
int shs_render_rdds(shs_ctx *c, const char *id, sic_shs_response *r);
int shs_render_misc(shs_ctx *c, sic_shs_response *r);
int shs_render_stages(shs_ctx *c, sic_shs_response *r);
int shs_render_stage(shs_ctx *c, const char *stage, const char *attempt, const char *leaf,
                     sic_shs_response *r);
int shs_render_sql(shs_ctx *c, const char *exec_id, sic_shs_response *r); /* render_sql.c */
int shs_render_logs(sic_shs *shs, const shs_appinfo *app, const char *attempt_id,
                    sic_shs_response *r);
/* The /logs zip writer (logs.c), exposed for the tests: members of the given logs, written as
 * read; shs_logs_zip_read returns bytes produced, 0 at the end, -1 on a read error. */
typedef struct shs_logs_zip shs_logs_zip;
shs_logs_zip *shs_logs_zip_new(const sic_logset *const *sets, size_t nsets);
long shs_logs_zip_read(shs_logs_zip *z, uint8_t *buf, size_t cap);
uint64_t shs_logs_zip_file_read(const shs_logs_zip *z); /* file bytes read so far */
/* The reader is on this machine: plain members at level 0 (unless SIC_LOGS_ZIP_LEVEL is set). */
void shs_logs_zip_peer_local(shs_logs_zip *z);
void shs_logs_zip_free(shs_logs_zip *z);

/* sic_qsort (core/sort.h) with a context pointer handed to cmp (glibc qsort_r): no global sort state, so
 * catalogs in different threads never share anything. */
static inline void shs_qsort_r(void *base, size_t n, size_t size,
                               int (*cmp)(const void *, const void *, void *), void *ctx) {
  if (n > 1) qsort_r(base, n, size, cmp, ctx);
}

/* ---- stages and tasks (render_stage.c, render_task.c) ---- */

enum { SHS_MAX_QUANTILES = 64 };

/* Query parameters of the stage resources. */
typedef struct shs_stage_opts {
  int details;                   /* include tasks and executor summaries */
  int with_summaries;            /* include metric distributions */
  int task_status[5];            /* taskStatus filter, indexed by sic_task_status */
  int any_status;                /* 1 when taskStatus was given */
  double q[SHS_MAX_QUANTILES];   /* quantiles, sorted ascending */
  int nq;                        /* number of quantiles */
} shs_stage_opts;

/* TaskStatus names, indexed by sic_task_status. */
extern const char *const shs_task_statuses[5];

/* Comma-separated doubles, sorted; 0 or fills r with the History Server's 400. */
int shs_parse_quantiles(const char *s, double *q, int *nq, sic_shs_response *r);
/* Every value of a repeated enum parameter into flags[]; 0 or a 400 in r. */
int shs_parse_enum_list(const shs_query *q, const char *key, const char *const *names, int n, int *flags,
                        int *any, const char *supported, sic_shs_response *r);

/* A task row with its sort key. */
typedef struct shs_task_key {
  int64_t key;                   /* sort key (0 for id order) */
  int64_t task_id;               /* tie breaker, as the store's natural key */
  int64_t row;                   /* row in sic_app.tasks */
} shs_task_key;
enum { SHS_SORT_ID = 0, SHS_SORT_RUNTIME_UP, SHS_SORT_RUNTIME_DOWN };

/* Task rows of a stage attempt filtered by status flags (when any) and sorted; caller frees. */
shs_task_key *shs_stage_task_list(const sic_app *a, const sic_stage *st, const int *want, int any, int sort,
                                  int64_t *n);
void shs_write_task(sic_jw *w, const shs_ctx *c, int64_t row);
void shs_write_accum(sic_jw *w, const sic_app *a, int64_t id, sic_sid name, sic_sid update, sic_sid value);
/* TaskMetricDistributions under key (or as the document when key is NULL); -1 when no task
 * of the stage attempt succeeded with metrics (then nothing is written). */
int shs_write_task_summary(sic_jw *w, const shs_ctx *c, const sic_stage *st, const shs_stage_opts *o,
                           const char *key);
int shs_render_task_list(shs_ctx *c, int64_t stage_row, sic_shs_response *r);
int shs_render_task_summary(shs_ctx *c, int64_t stage_row, int32_t sid, int32_t att, sic_shs_response *r);
/* Index the History Server reads for quantile q among count sorted values. */
int64_t shs_quantile_index(double q, int64_t count);
int shs_cmp_i64(const void *x, const void *y);

/* Helpers shared by renderers. */
int shs_cmp_str(const char *a, const char *b); /* Java String.compareTo for our purposes */
const char *shs_exec_id(const sic_app *a, int32_t row);

#endif
