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

#include <stddef.h>
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

/* What sic_store_note_attempt found about a message besides its attempts. */
enum {
  SIC_NOTE_TRYING = 0,    /* not given up: the attempt was counted */
  SIC_NOTE_DEAD = 1,      /* parked in the dead-letter topic and recorded: nothing counted; a
                             redelivery whose offset commit was lost */
  SIC_NOTE_PARKING = 2    /* given up, about to be parked (sic_store_note_parking) when its worker
                             stopped: it may or may not be in the dead-letter topic; nothing counted */
};

/* Count one more attempt of the message; *attempts receives the count including this one.
 * *dead receives SIC_NOTE_TRYING, SIC_NOTE_DEAD or SIC_NOTE_PARKING (then *attempts is the count
 * recorded before, nothing is counted). */
int sic_store_note_attempt(sic_store *s, const sic_note_id *id, int *attempts, int *dead, sic_err *err);
/* The message is given up: record that it is being parked, with the reason, before producing
 * it to dead_topic (see engine/fleet/worker.c, dead_letter, for why this order). */
int sic_store_note_parking(sic_store *s, const sic_note_id *id, const char *app_id, const char *reason,
                           const char *dead_topic, sic_err *err);
/* Reason and app id recorded by sic_store_note_parking (app_id "" when none). 1 found, 0 not. */
int sic_store_note_parked(sic_store *s, const sic_note_id *id, char *reason, size_t nreason, char *app_id,
                          size_t napp_id, sic_err *err);
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
