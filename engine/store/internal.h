/* Internal to engine/store: the sic_store handle and the functions its files share.
 */
#ifndef SIC_STORE_INTERNAL_H
#define SIC_STORE_INTERNAL_H

#include "store/db.h"
#include "store/store.h"

struct sic_store {
  db *db;                                /* the backend connection */
  char *display_url;                     /* URL with the password masked */
  int schema_version;                    /* version after migrations */
};

/* Create or upgrade the schema (schema.c). */
int store_migrate(db *d, int *version, sic_err *err);

/* Task rows by month (partition.c). store_month_of: UTC YYYYMM of a start time in ms, 0 when
 * unknown (negative). store_ensure_partition: that month's partition of tasks exists after it
 * returns, inside the caller's transaction (PostgreSQL; a no-op on SQLite). */
int store_is_partitioned(const db *d);
int store_month_of(int64_t start_ms);
int store_ensure_partition(db *d, int month, sic_err *err);
/* Schema 3: start_month on tasks; on PostgreSQL tasks partitioned by it, v2 rows moved over. */
int store_migrate_partitions(db *d, sic_err *err);

/* Run fn in a write transaction, reconnecting with backoff and retrying the whole transaction
 * when the connection drops (store.c). fn must be safe to run again from scratch. */
int store_with_tx(sic_store *s, int max_retries, int (*fn)(sic_store *s, void *ctx, sic_err *err),
                  void *ctx, int *retries, sic_err *err);

/* Resolve a job argument (job key, app name or app id) to its job key (query.c); malloc'd. */
int store_resolve_job(sic_store *s, const char *job, char **job_key, sic_err *err);
/* Every job key in the store (query.c). */
int store_job_keys(sic_store *s, char ***keys, size_t *n, sic_err *err);
/* JSON of one run (query.c), inside an open sic_jw object/array context. */
struct sic_jw;
void store_run_json(struct sic_jw *w, const sic_store_run *r);
void store_run_free(sic_store_run *r);

/* Severity name -> rank (critical 5 ... info 1, unknown 0). */
int store_severity_rank(const char *severity);

/* SHA-256 (sha256.c). */
typedef struct store_sha256 {
  uint32_t h[8];                         /* chaining state */
  uint64_t bytes;                        /* message length so far */
  uint8_t block[64];                     /* pending partial block */
  size_t fill;                           /* bytes in block */
} store_sha256;
void store_sha256_init(store_sha256 *c);
void store_sha256_update(store_sha256 *c, const void *data, size_t n);
void store_sha256_hex(store_sha256 *c, char out[65]);

#endif
