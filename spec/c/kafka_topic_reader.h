/* Test helper for the fleet tests: read one partition of a topic from its beginning to its
 * end (partition EOF, or 10 s of polling) with a fresh consumer, handing each message to a
 * callback. The message is owned by the helper and valid only during the call. */
#ifndef SIC_SPEC_KAFKA_TOPIC_READER_H
#define SIC_SPEC_KAFKA_TOPIC_READER_H

#include <librdkafka/rdkafka.h>
#include <stdio.h>

typedef void (*topic_message_fn)(const rd_kafka_message_t *m, int index, void *ud);

/* Returns how many messages were read, or -1 when no consumer could be made. */
static inline int read_partition(const char *boot, const char *topic, int partition, topic_message_fn fn,
                                 void *ud) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "test-topic-reader", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof errstr);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!c) return -1;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  int n = 0;
  for (int tries = 0; tries < 100; tries++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
    if (!m) continue;
    int eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (!m->err) fn(m, n++, ud);
    rd_kafka_message_destroy(m);
    if (eof) break;
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return n;
}

/* The last value of header name of m as a string into out (empty when absent). */
static inline void message_header(const rd_kafka_message_t *m, const char *name, char *out, size_t n) {
  rd_kafka_headers_t *h = NULL;
  const void *v = NULL;
  size_t vl = 0;
  out[0] = 0;
  if (!rd_kafka_message_headers((rd_kafka_message_t *)m, &h) && !rd_kafka_header_get_last(h, name, &v, &vl))
    snprintf(out, n, "%.*s", (int)vl, (const char *)v);
}

#endif
