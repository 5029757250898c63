/* Notification bookkeeping of `sic worker` in the history store (table notification_attempts):
 * how many times each Kafka message was tried, and the ones parked in the dead-letter topic,
 * which `sic history --failed` and GET /api/v1/failed list as failed.
 *
 * The attempt is counted in the store *before* the log is processed, so a message that kills
 * its worker (a bug, an out-of-memory) is still given up after N tries across restarts.
 * The table is created on first use (CREATE TABLE IF NOT EXISTS under the schema lock), so
 * stores that never ran a worker are unchanged.
 *
 * Ownership: every string passed in is borrowed; sic_store_failed_json's *json is malloc'ed
 * and freed by the caller. */
#ifndef SIC_STORE_NOTES_H
#define SIC_STORE_NOTES_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "store/store.h"

/* Which message (topic, partition, offset) carried which log. */
typedef struct sic_note_id {
  const char *topic;      /* topic */
  int32_t partition;      /* partition */
  int64_t offset;         /* offset */
  const char *uri;        /* the notification's log URI */
} sic_note_id;

/* Count one more attempt of the message; *attempts receives the count including this one.
 * *dead = 1 (nothing counted) when the message was already parked in the dead-letter topic:
 * a redelivery of a dead letter whose offset was never committed. */
int sic_store_note_attempt(sic_store *s, const sic_note_id *id, int *attempts, int *dead, sic_err *err);
/* The message was handled: forget its attempts. */
int sic_store_note_done(sic_store *s, const sic_note_id *id, sic_err *err);
/* The message was parked in dead_topic after its attempts: record it as failed with reason. */
int sic_store_note_dead(sic_store *s, const sic_note_id *id, const char *app_id, const char *reason,
                        const char *dead_topic, sic_err *err);
/* Dead-lettered notifications, newest first, as {"schema":"sic.failed/1","failed":[...]}. */
int sic_store_failed_json(sic_store *s, int limit, char **json, sic_err *err);
/* The same as text: one line per notification (when, URI, attempts, reason). */
int sic_store_failed_print(sic_store *s, int limit, FILE *out, sic_err *err);

#endif
