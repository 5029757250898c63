/* Internal to sources/: kafka.c's event-line assembler (kafka_events.c).
 * Ownership: ev_asm owns its spool files; ev_free closes them. */
#ifndef SIC_SOURCES_KAFKA_INTERNAL_H
#define SIC_SOURCES_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "sources/kafka.h"

typedef struct ev_app ev_app;

typedef struct ev_asm {
  ev_app *apps;         /* applications being assembled, and handed-over ones not yet committed past */
  size_t n;             /* entries used */
  size_t cap;           /* entries allocated */
} ev_asm;

/* One event line. 1 when it completed an application (handed over), 0 when spooled (or not an
 * event line: *why says why), SIC_E* when the hand-over or the spool failed. */
int ev_line(ev_asm *a, const rd_kafka_message_t *msg, const sic_kafka_handler *h, const char **why, sic_err *err);
/* Hand over a snapshot of every application silent for app_idle_s. 0 or SIC_E*. */
int ev_idle(ev_asm *a, const sic_kafka_handler *h, int app_idle_s, sic_err *err);
/* The offset that may be committed in partition once everything before `next` was read. */
int64_t ev_safe_offset(ev_asm *a, int32_t partition, int64_t next);
/* Forget handed-over applications that lie entirely before `committed`. */
void ev_prune(ev_asm *a, int32_t partition, int64_t committed);
void ev_free(ev_asm *a);

#endif
