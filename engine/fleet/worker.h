/* `sic worker`: one Kafka consumer-group member that turns log notifications into stored,
 * analysed applications (fetch -> load -> analyse -> one idempotent ingest transaction ->
 * offset committed), with bounded retries and a dead-letter topic.
 *
 * Delivery is at least once (sources/kafka.c commits after the store write); the store's
 * checksum check makes a redelivered log a no-op ("unchanged"), so each application is stored
 * once. Every attempt is counted in the store before it starts (store/notes.h): a message that
 * fails, or kills its worker, max_attempts times is produced to the dead-letter topic with the
 * reason in headers, recorded as failed, and committed past.
 *
 * Test crash points (core/crashpoint.h): worker.mid_app (log loaded and analysed, nothing
 * stored), worker.before_commit (stored, offset not committed), worker.dead_letter_parking
 * (given up, recorded as being parked, not produced), worker.dead_letter_produced (in the
 * dead-letter topic, not recorded as dead): after either, the redelivery parks it exactly once.
 *
 * Ownership: the config's strings are borrowed for the duration of sic_worker_run(); the
 * metrics block is the caller's (it may live in memory shared with a parent process). */
#ifndef SIC_FLEET_WORKER_H
#define SIC_FLEET_WORKER_H

#include <stdint.h>

#include "core/error.h"

#define SIC_WORKER_MAX_PARTS 64   /* partitions whose lag one consumer reports */
#define SIC_WORKER_LAT_BUCKETS 12 /* processing-time histogram buckets (last = +Inf) */

extern const double sic_worker_lat_bounds_s[SIC_WORKER_LAT_BUCKETS];

/* Counters of one consumer; updated with atomic builtins (possibly across processes). */
typedef struct sic_worker_metrics {
  int64_t messages;                        /* notifications delivered */
  int64_t stored;                          /* applications stored (new or replaced) */
  int64_t unchanged;                       /* redeliveries / logs already stored */
  int64_t failures;                        /* failed attempts */
  int64_t dead;                            /* messages parked in the dead-letter topic */
  int64_t rebalances;                      /* group rebalances seen (librdkafka statistics) */
  int64_t busy;                            /* 1 while an application is being processed */
  int64_t ready;                           /* 1 once the store is open and the consumer runs */
  int64_t rule_reloads;                    /* --scripts snapshots made active */
  int64_t rule_rejects;                    /* --scripts updates rejected (previous rules kept) */
  int64_t lat_bucket[SIC_WORKER_LAT_BUCKETS]; /* processing time histogram (per message) */
  int64_t lat_sum_us;                      /* sum of processing times */
  int64_t e2e_sum_ms;                      /* sum of notification timestamp -> stored */
  int64_t e2e_count;                       /* messages in e2e_sum_ms */
  int32_t nparts;                          /* entries in part/lag */
  int32_t part[SIC_WORKER_MAX_PARTS];      /* assigned partitions (from the statistics) */
  int64_t lag[SIC_WORKER_MAX_PARTS];       /* their consumer lag, -1 unknown */
  char topic[128];                         /* the consumed topic (metrics label) */
} sic_worker_metrics;

typedef struct sic_worker_cfg {
  const char *uri;                         /* kafka://brokers/topic?group=NAME[&dlq=TOPIC][&rdkafka.*] */
  const char *store_url;                   /* store URL (NULL: the default store) */
  const char *const *script_dirs;          /* --scripts dirs, may be NULL */
  int nscript_dirs;                        /* entries in script_dirs */
  int max_attempts;                        /* attempts before dead-lettering (>= 1) */
  int analyze;                             /* 1: run the analysis graph and store its findings */
  const char *instance_id;                 /* group.instance.id (static membership), may be NULL */
  volatile int *stop;                      /* set by SIGTERM: stop after the current application */
  sic_worker_metrics *metrics;             /* counters to update, never NULL */
} sic_worker_cfg;

/* Consume until *stop or a fatal error. 0 or SIC_E* with err naming the cause. */
int sic_worker_run(const sic_worker_cfg *cfg, sic_err *err);

/* Split uri into the consumer URI given to sources/kafka.c (the worker's own parameters
 * removed, idle=0&join=0 and the statistics interval added), the brokers, the topic and the
 * dead-letter topic (dlq=, default TOPIC.dead). Buffers are the caller's. */
int sic_worker_parse_uri(const char *uri, const char *instance_id, char *consumer_uri, size_t ncu,
                         char *brokers, size_t nb, char *topic, size_t nt, char *dead_topic, size_t nd,
                         sic_err *err);

/* Fold librdkafka's statistics JSON into m (rebalances, lag per partition). */
void sic_worker_stats_parse(sic_worker_metrics *m, const char *json, size_t len);

/* Prometheus text of n metrics blocks (summed; lags listed per partition) into a malloc'ed
 * string, or NULL when out of memory. */
char *sic_worker_metrics_text(sic_worker_metrics *const *m, int n);

#endif
