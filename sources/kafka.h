/* kafka://broker[,broker...]/topic?group=NAME — log notifications from Kafka (librdkafka).
 *
 * Notification mode: each message's value is a JSON object {"uri": "...", "app_id": "...",
 * "attempt": "...", "size": N, "etag": "..."} naming a log in any other source (only "uri" is
 * required). The handler ingests it; only then is the message's offset stored and committed
 * (synchronously, the result checked), so delivery is at least once: a consumer that dies
 * between the store write and the commit gets the message again, and the store's version
 * check makes the replay harmless (so does a rebalance that moves the partition away before
 * the commit: the commit is dropped and the new owner gets the message). A handler failure stops consumption without committing.
 * A message that is not a notification (bad JSON, no "uri") is reported and committed past:
 * it can never succeed, and must not block the partition.
 *
 * Event-line mode (mode=events): each message is one Spark event-log line (the value, exactly
 * as Spark writes it), keyed by application id, with the attempt id in an optional "attempt"
 * header. Lines are assembled per application into an unlinked temporary file (disk, not
 * memory) and handed over (on_app) when SparkListenerApplicationEnd arrives, or as an
 * incomplete snapshot when the application has been silent for app_idle seconds. Offsets are
 * committed only up to the first line of the oldest application not yet handed over complete,
 * moved back to the start of any handed-over application that straddles that point, so that
 * a replay after a crash always re-assembles whole applications (whose ingest is then a
 * no-op: same content).
 *
 * Query parameters: group (required), mode=notify|events (default notify), idle=SECONDS (stop
 * after this long without a message; 0 = never; default 5), app_idle=SECONDS (events mode:
 * snapshot an application silent this long; default 300), max=N (stop after N messages; 0 = no
 * limit), join=SECONDS (fail when no partition is assigned after this long; 0 = wait for ever,
 * as an idle extra group member should; default 60). Any other parameter starting with "rdkafka." is passed to librdkafka as a
 * configuration property (without the prefix), e.g. rdkafka.security.protocol=SASL_SSL.
 *
 * Ownership: everything passed in is borrowed for the duration of the call. */
#ifndef SIC_SOURCES_KAFKA_H
#define SIC_SOURCES_KAFKA_H

#include <stdint.h>

#include "core/error.h"

/* One notification as delivered (sic_kafka_handler.on_note); every pointer is borrowed for the
 * duration of the call. */
typedef struct sic_kafka_note {
  const char *uri;        /* the notification's "uri" */
  const char *topic;      /* topic it came from */
  int32_t partition;      /* partition */
  int64_t offset;         /* offset of the message */
  int64_t timestamp_ms;   /* message timestamp (ms epoch), -1 when the broker gave none */
  const void *key;        /* message key, may be NULL */
  size_t keylen;          /* bytes in key */
  const void *payload;    /* the message value (the notification JSON) */
  size_t len;             /* bytes in payload */
} sic_kafka_note;

typedef struct sic_kafka_handler {
  /* Ingest the log at uri. 0 when it is stored (or was already), SIC_E* otherwise. */
  int (*on_log)(void *ctx, const char *uri, sic_err *err);
  /* Events mode: the assembled log of application `name` at path (a file readable until this
   * returns); complete = 1 when it ended with ApplicationEnd. 0 when stored, SIC_E* otherwise. */
  int (*on_app)(void *ctx, const char *name, const char *path, int complete, sic_err *err);
  /* A message that is not a notification or event line (may be NULL). */
  void (*on_bad)(void *ctx, const char *where, const char *why);
  void *ctx;              /* passed to both */
  volatile int *stop;     /* when non-NULL and set, stop after the current message */
  /* Optional, used instead of on_log when set: the notification with its message. Same
   * contract: 0 commits past the message, SIC_E* stops without committing. */
  int (*on_note)(void *ctx, const sic_kafka_note *note, sic_err *err);
  /* Optional: librdkafka's statistics JSON (emitted every rdkafka.statistics.interval.ms),
   * borrowed for the call; called from the consuming thread. */
  void (*on_stats)(void *ctx, const char *json, size_t len);
} sic_kafka_handler;

typedef struct sic_kafka_stats {
  int64_t messages;       /* messages delivered */
  int64_t logs;           /* notifications handled, or applications handed over, successfully */
  int64_t bad;            /* messages that were not notifications */
  int64_t commit_retries; /* commits that failed and were tried again */
  int64_t lost;           /* handled messages not committed: their partition went to another member */
} sic_kafka_stats;

/* 1 when uri is a kafka:// URI. */
int sic_kafka_is_uri(const char *uri);
/* Consume until idle, max, stop, or an error. 0 or SIC_E* (err names the broker list and
 * topic, never a credential). */
int sic_kafka_consume(const char *uri, const sic_kafka_handler *h, sic_kafka_stats *stats, sic_err *err);

#endif
