/* The history store: every analysed application attempt, kept over time, so that runs of the
 * same job can be compared (`sic history`, `sic regressions`, `sic.store:history()` in Lua).
 *
 * One C interface, two backends chosen by URL:
 *   sqlite:///abs/path/sic.db   embedded SQLite file (the default, see sic_store_default_url)
 *   sqlite:relative/path.db     (also accepted)
 *   postgresql://user@host:port/db?...  or postgres://...   PostgreSQL through libpq; an empty
 *                               "postgresql://" lets libpq take everything from PG* env vars and
 *                               ~/.pgpass, exactly as psql does.
 * When the URL given to sic_store_open() is NULL or "", $SIC_STORE is used, then the default
 * SQLite file $XDG_DATA_HOME/sic/sic.db (fallback ~/.local/share/sic/sic.db), created on first use.
 *
 * Both backends hold the same logical schema (docs/store.md), versioned: opening a store applies
 * missing migrations automatically, each in its own transaction; a database written by a newer
 * sic is refused with a clear error instead of being misread.
 *
 * Ingest is idempotent and atomic per application attempt: the SHA-256 of the log's stored bytes
 * decides whether a log is already known (then nothing is written; every content ever ingested is
 * remembered, also a copy that a newer one superseded, so re-running over the same logs is always
 * a no-op); a changed log of an already
 * stored attempt (same app id and attempt id, e.g. an .inprogress log that has since finished)
 * replaces the old rows, except that an incomplete log never replaces a complete one; all rows
 * of one attempt are written in one transaction, so a crash or kill leaves either the whole
 * attempt or none of it. Every value reaches the database as a bound parameter (or through COPY
 * with escaping), never spliced into SQL text.
 *
 * Ownership: sic_store_open() allocates a sic_store, sic_store_close() frees it. Result lists
 * (sic_store_runs, sic_regressions) are owned by the caller and released with their _free
 * function; every string inside them belongs to the list. Input structs (options, findings,
 * predictions) are only read during the call. A sic_store is not thread-safe: use one per thread.
 *
 * Lua binding (for engine/lua): `sic.store:history(job)` maps onto sic_store_history_json(),
 * `sic.store:regressions{since=...}` onto sic_store_regressions_json(); both return one JSON
 * document ("schema": "sic.history/1" / "sic.regressions/1") that Lua decodes with cjson, so the
 * binding needs no struct definitions. */
#ifndef SIC_STORE_H
#define SIC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "model/model.h"

/* Schema version this build writes and understands. */
enum { SIC_STORE_SCHEMA_VERSION = 3 };

/* The SIC_FFI regions of this header are the cdef of the Lua module sic.store (registered with
 * the host by engine/store/store_lua.c). */
/* SIC_FFI_BEGIN */
typedef struct sic_store sic_store;
/* SIC_FFI_END */

/* ---- Opening ---- */

/* Open (creating and migrating as needed) the store named by url (NULL/"" = $SIC_STORE, then
 * the default file). SIC_EINVAL: bad URL; SIC_EIO: cannot open/connect; SIC_EUNSUPPORTED: the
 * database schema is newer than this build. */
/* SIC_FFI_BEGIN */
int sic_store_open(const char *url, sic_store **out, sic_err *err);
void sic_store_close(sic_store *s);
/* "sqlite" or "postgresql". */
const char *sic_store_backend(const sic_store *s);
/* The URL as opened, with any password replaced by "***" (safe to print). */
const char *sic_store_display_url(const sic_store *s);
/* SIC_FFI_END */
/* Schema version found in the database after migrations (== SIC_STORE_SCHEMA_VERSION). */
int sic_store_schema_version(const sic_store *s);
/* Write the default store URL ("sqlite:///.../sic/sic.db") into buf; creates the directory. */
int sic_store_default_url(char *buf, size_t n, sic_err *err);

/* ---- Job identity ---- */

/* How an application name becomes a job key: the "same job" across runs. The Spark conf
 * "sic.job" (or "spark.sic.job") overrides everything. Otherwise each pattern (POSIX extended
 * regular expressions) is removed from the name, repeated separators are collapsed and
 * separators at both ends trimmed; an empty result falls back to the unmodified name. */
typedef struct sic_jobkey_rules {
  const char *const *patterns;           /* extra patterns removed after the built-in ones */
  size_t npatterns;                      /* number of extra patterns */
  int no_defaults;                       /* 1: skip the built-in patterns (dates, times, uuids, long numbers, run suffixes) */
} sic_jobkey_rules;

/* Job key of a name; rules NULL = defaults. Writes a NUL-terminated key into out. */
int sic_jobkey_from_name(const char *name, const sic_jobkey_rules *rules, char *out, size_t n,
                         sic_err *err);
/* Job key of an application: "sic.job"/"spark.sic.job" conf if set, else from its name. */
int sic_jobkey_from_app(const sic_app *app, const sic_jobkey_rules *rules, char *out, size_t n,
                        sic_err *err);

/* ---- What ingest records besides the model ---- */

/* One finding, as produced by the analysis (Lua agents/rules return tables with these fields;
 * tables such as evidence or impact are passed as JSON text). Any field may be NULL. */
typedef struct sic_store_finding {
  const char *id;                        /* stable finding id, e.g. "skew.stage" */
  const char *severity;                  /* "critical" | "high" | "medium" | "low" | "info" (others rank lowest) */
  const char *title;                     /* one line for humans */
  const char *entity;                    /* what it is about, e.g. "stage 3.0" */
  const char *evidence;                  /* text or JSON */
  const char *recommendation;            /* what to change */
  const char *impact;                    /* text or JSON, e.g. {"runtime_ms": 12000} */
  const char *rule;                      /* rule/agent that produced it */
  double impact_ms;                      /* estimated runtime saving in ms; NAN = unknown */
  const char *json;                      /* the whole finding as JSON (kept verbatim), NULL = none */
} sic_store_finding;

/* One prediction (runtime, cost, ...) made for the attempt. */
typedef struct sic_store_prediction {
  const char *model;                     /* model name/version, e.g. "gbdt-runtime/1" */
  const char *target;                    /* what is predicted, e.g. "duration_ms", "cost" */
  double value;                          /* predicted value */
  double lower;                          /* lower bound of the interval, NAN = none */
  double upper;                          /* upper bound, NAN = none */
  const char *json;                      /* extra details as JSON, NULL = none */
} sic_store_prediction;

enum {
  SIC_STORE_INSERTED = 1,                /* a new attempt was written */
  SIC_STORE_UNCHANGED = 2,               /* same checksum already stored: log rows kept; findings/predictions
                                            given with the call replace the stored ones */
  SIC_STORE_REPLACED = 3,                /* the attempt existed with other content: replaced atomically */
  SIC_STORE_KEPT = 4                     /* the attempt is stored from a complete log and this log is
                                            incomplete (an older copy): the stored one is kept */
};

typedef struct sic_ingest_opts {
  int store_tasks;                       /* 1: also write one row per task attempt */
  const char *job_key;                   /* explicit job key; NULL = sic_jobkey_from_app() */
  const sic_jobkey_rules *jobkey_rules;  /* NULL = defaults */
  const char *source_path;               /* where the log came from; NULL = app->source_path */
  int64_t source_size;                   /* stored bytes; -1 = sum of app->parts */
  const char *checksum;                  /* hex SHA-256 of the log; NULL = computed from app->parts files */
  const sic_store_finding *findings;     /* findings of the analysis, may be NULL */
  size_t nfindings;
  const sic_store_prediction *predictions; /* predictions, may be NULL */
  size_t npredictions;
  double cost;                           /* cost of the run when known (e.g. from billing), NAN = unknown */
  const char *cost_unit;                 /* e.g. "USD"; NULL when cost is NAN */
  double core_hour_price;                /* when cost is NAN and this is > 0: cost = core-hours x price
                                            (in cost_unit, default "USD") */
  int max_retries;                       /* reconnect-and-retry attempts on a dropped connection (0 = default 5) */
  /* Called about every 10000 bulk rows with the rows written so far in this attempt's
   * transaction (tests use it to kill the process or restart the server mid-ingest). A non-zero
   * return aborts the ingest (rolled back, SIC_EINVAL). NULL = none. */
  int (*progress)(void *ctx, int64_t rows);
  void *progress_ctx;                    /* passed to progress */
} sic_ingest_opts;

/* Fill o with defaults (no tasks, derived job key and checksum, cost unknown). */
void sic_ingest_opts_init(sic_ingest_opts *o);

typedef struct sic_ingest_result {
  int status;                            /* SIC_STORE_INSERTED / _UNCHANGED / _REPLACED / _KEPT */
  int64_t attempt_key;                   /* attempts.id of the stored attempt */
  char job_key[256];                     /* the job key used */
  char checksum[65];                     /* hex SHA-256 used for idempotency */
  int64_t rows;                          /* rows written (unchanged: only refreshed findings/predictions) */
  int retries;                           /* transactions retried after a dropped connection */
} sic_ingest_result;

/* Store one application attempt with its findings and predictions. */
int sic_store_ingest(sic_store *s, const sic_app *app, const sic_ingest_opts *opts,
                     sic_ingest_result *res, sic_err *err);

/* Findings decoded from the analysis report ("schema": "sic.findings/1", what
 * sic_lua_analyze() returns). Every string in items is malloc'd and owned by the list. */
typedef struct sic_store_findings {
  sic_store_finding *items;              /* in report order */
  size_t n;                              /* number of findings */
} sic_store_findings;

/* Decode the "findings" array of a sic.findings/1 document. Table-valued fields are kept as
 * JSON text, except: entity = its "key" member when it has one; recommendation = its "text"
 * member when it has one; impact_ms = impact "saving_ms" when numeric. The whole finding is
 * kept verbatim in json. SIC_EFORMAT names the byte offset of malformed input. */
int sic_store_findings_from_json(const char *json, size_t len, sic_store_findings *out, sic_err *err);
void sic_store_findings_free(sic_store_findings *f);

/* For `sic analyze --store URL`: open url, store app with the findings of its graph run
 * (sic_findings.json, the sic.findings/1 document; NULL = no analysis, store the run alone),
 * close. source_path names the log when the model was read
 * through a temporary copy (stdin), else NULL. */
int sic_store_record_report(const char *url, const sic_app *app, const char *findings_json,
                            const char *source_path, sic_ingest_result *res, sic_err *err);

/* 1 when a log with this checksum was ingested before (the attempt now stored for its app and
 * attempt ids in *attempt_key, -1 if none), 0 when not,
 * negative SIC_E* on error. Lets `sic ingest` skip loading logs it already has. */
int sic_store_find_checksum(sic_store *s, const char *checksum, int64_t *attempt_key, sic_err *err);
/* Watermark of a followed source (`sic ingest URI --follow`, watermark.c): the modification
 * time (ms) from which its logs are still to be looked at. 1 with *ms set, 0 when the source
 * has none yet, SIC_E* on error. set replaces it (in its own transaction). */
int sic_store_watermark_get(sic_store *s, const char *source, int64_t *ms, sic_err *err);
int sic_store_watermark_set(sic_store *s, const char *source, int64_t ms, sic_err *err);

/* ---- Retention of task rows (partition.c) ---- */

/* One month whose task rows retention dropped (or, dry run, would drop). */
typedef struct sic_store_retention_month {
  int month;                             /* YYYYMM of the applications' start (UTC) */
  int64_t task_rows;                     /* task rows it held */
  int64_t attempts;                      /* attempts now marked tasks_stored = 0 (0 on a dry run) */
} sic_store_retention_month;

/* What sic_store_retention_run did; free with sic_store_retention_free. */
typedef struct sic_store_retention {
  sic_store_retention_month *months;     /* oldest first, owned */
  size_t n;                              /* entries in months */
  int partitioned;                       /* 1: PostgreSQL partitions dropped; 0: SQLite rows deleted */
} sic_store_retention;

/* Drop the task rows of every month before before_month (YYYYMM), in one transaction: on
 * PostgreSQL each month's partition of tasks is detached and dropped, on SQLite its rows are
 * deleted. The runs themselves (attempts, stages, findings, ...) stay, with tasks_stored = 0.
 * Rows of applications without a start time (month 0) are never dropped. dry_run: only list. */
int sic_store_retention_run(sic_store *s, int before_month, int dry_run, sic_store_retention *out, sic_err *err);
void sic_store_retention_free(sic_store_retention *r);

/* Hex SHA-256 over the stored bytes of the files, in order (zip members: the whole zip, once). */
int sic_store_checksum_files(const char *const *paths, size_t n, char out[65], int64_t *total_size,
                             sic_err *err);

/* ---- Reading back ---- */

typedef struct sic_store_top_finding {
  char *id;                              /* finding id */
  char *severity;                        /* severity as stored */
  char *title;                           /* title */
  char *entity;                          /* entity, may be NULL */
} sic_store_top_finding;

/* One stored attempt ("run") with the figures history and regressions look at. */
typedef struct sic_store_run {
  int64_t attempt_key;                   /* attempts.id */
  char *job_key;                         /* job identity */
  char *app_id;                          /* Spark application id */
  char *attempt_id;                      /* Spark attempt id, "" when the app had none */
  char *app_name;                        /* application name */
  char *source_path;                     /* where the log came from */
  int64_t start_time;                    /* ms epoch, -1 */
  int64_t duration_ms;                   /* run time, -1 unknown */
  double cost;                           /* cost when known, NAN otherwise */
  char *cost_unit;                       /* unit of cost, NULL when unknown */
  double core_hours;                     /* executor cores x alive time: the cost proxy always known */
  int64_t input_bytes;                   /* bytes read by tasks from storage */
  int64_t output_bytes;                  /* bytes written by tasks to storage */
  int64_t shuffle_read_bytes;            /* remote + local shuffle bytes read */
  int64_t shuffle_write_bytes;           /* shuffle bytes written */
  int64_t spill_bytes;                   /* memory + disk bytes spilled */
  int64_t tasks;                         /* task attempts */
  int64_t failed_tasks;                  /* failed task attempts */
  int32_t executors;                     /* executors (driver excluded unless local mode) */
  int32_t total_cores;                   /* sum of their cores */
  double max_skew;                       /* max over stages of (max task duration / median), 0 = none */
  int32_t complete;                      /* ApplicationEnd seen */
  int32_t nfindings;                     /* findings stored for the run */
  int64_t jobs;                          /* Spark jobs of the run */
  int64_t failed_jobs;                   /* jobs that ended JobFailed */
  sic_store_top_finding *top;            /* the most severe findings (up to 3) */
  int32_t ntop;                          /* entries in top */
} sic_store_run;

/* "FAILED" (a job failed), "SUCCEEDED" (complete log, no failed job) or "INCOMPLETE". */
const char *sic_store_run_outcome(const sic_store_run *r);

typedef struct sic_store_runs {
  sic_store_run *items;                  /* oldest first */
  size_t n;                              /* number of runs */
} sic_store_runs;

/* Runs of one job (by job key; an app name or app id is accepted too and resolved to its job
 * key), oldest first, at most limit of the newest (0 = all). SIC_ENOTFOUND when none. */
int sic_store_history(sic_store *s, const char *job, int limit, sic_store_runs *out, sic_err *err);
void sic_store_runs_free(sic_store_runs *r);
/* The same as one JSON document {"schema":"sic.history/1","job":...,"runs":[...]}; *json is
 * malloc'd (caller frees). */
/* Every job key in the store, sorted; out->keys (and each key) is malloc'd, released by
 * sic_store_jobs_free. */
typedef struct sic_store_jobs {
  char **keys;                           /* job keys, sorted */
  size_t n;                              /* entries in keys */
} sic_store_jobs;
int sic_store_list_jobs(sic_store *s, sic_store_jobs *out, sic_err *err);
void sic_store_jobs_free(sic_store_jobs *jobs);
/* SIC_FFI_BEGIN */
int sic_store_history_json(sic_store *s, const char *job, int limit, char **json, sic_err *err);
/* SIC_FFI_END */

/* ---- Regressions ---- */

/* SIC_FFI_BEGIN */
typedef struct sic_regress_opts {
  int64_t since_ms;                      /* report runs starting at or after this time; -1 = all */
  const char *job;                       /* only this job (key, name or app id); NULL = all jobs */
  int baseline_runs;                     /* previous runs forming the baseline (default 10) */
  int min_runs;                          /* fewer previous runs than this: no verdict (default 4) */
  double min_score;                      /* robust z-score (x - median) / (1.4826 MAD) to flag (default 3.5) */
  double min_ratio;                      /* and x / median at least this (default 1.25) */
} sic_regress_opts;

void sic_regress_opts_init(sic_regress_opts *o);
/* SIC_FFI_END */

typedef struct sic_regress_cause {
  char *kind;                            /* "input_growth" | "config_change" | "stage_slowdown" | "new_skew" |
                                            "fewer_executors" | "more_failures" */
  char *detail;                          /* human-readable evidence */
} sic_regress_cause;

typedef struct sic_regression {
  sic_store_run run;                     /* the run that regressed (its top findings included) */
  char *metric;                          /* "duration_ms", "cost" or "core_hours" */
  double value;                          /* the run's value */
  double baseline_median;                /* median over the baseline runs */
  double baseline_mad;                   /* median absolute deviation over the baseline */
  double score;                          /* robust z-score */
  double ratio;                          /* value / baseline_median */
  int32_t baseline_n;                    /* runs in the baseline */
  sic_regress_cause *causes;             /* likely causes, most telling first */
  int32_t ncauses;
} sic_regression;

typedef struct sic_regressions {
  sic_regression *items;                 /* newest first */
  size_t n;
  size_t jobs;                           /* jobs examined */
  size_t jobs_without_baseline;          /* jobs with too few complete runs for any verdict */
} sic_regressions;

int sic_store_regressions(sic_store *s, const sic_regress_opts *o, sic_regressions *out,
                          sic_err *err);
void sic_regressions_free(sic_regressions *r);
/* {"schema":"sic.regressions/1","regressions":[...]}; *json is malloc'd. */
/* SIC_FFI_BEGIN */
int sic_store_regressions_json(sic_store *s, const sic_regress_opts *o, char **json, sic_err *err);
/* SIC_FFI_END */

/* ---- Text rendering (what `sic history` / `sic regressions` print) ---- */

/* A table of runs, oldest first, with top findings under each run. */
void sic_store_runs_print(FILE *out, const sic_store_runs *runs);
/* One block per regression with its likely causes; o gives the thresholds for the header. */
void sic_regressions_print(FILE *out, const sic_regressions *regs, const sic_regress_opts *o);

/* Register sic.store with the Lua host (sic_lua_register_module); called by
 * sic_components_init(). Idempotent. */
void sic_store_register(void);

#endif
