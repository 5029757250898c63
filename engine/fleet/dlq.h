/* Internal to engine/fleet: is a message already in the dead-letter topic? (dlq.c)
 *
 * Ownership: every string is borrowed for the call. */
#ifndef SIC_FLEET_DLQ_H
#define SIC_FLEET_DLQ_H

#include <stdint.h>

#include "core/error.h"

/* Look through every partition of dead_topic, from its first retained message to its end, for
 * the dead letter of (topic, partition, offset): the one whose sic-topic, sic-partition and
 * sic-offset headers name it. *found = 1 when it is there. 0, or SIC_EIO when the topic could
 * not be read to its end (then nothing is known: the caller must not guess). */
int sic_dlq_contains(const char *brokers, const char *dead_topic, const char *topic, int32_t partition,
                     int64_t offset, int *found, sic_err *err);

#endif
