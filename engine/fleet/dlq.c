/* Finding a dead letter in the dead-letter topic by the headers it was produced with (dlq.h).
 *
 * Used only after a worker stopped while parking a message (store status 'parking'): the
 * broker, not the store, then knows whether the dead letter was written. The topic holds only
 * messages given up on and is read once per such recovery, so it is read whole rather than
 * from an offset remembered before producing (which would need a column in the store and the
 * partition the producer's partitioner would pick). */
#include "fleet/dlq.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DLQ_READ_MS 30000 /* how long reading the dead-letter topic to its end may take */

/* Does header name of m hold exactly want? */
static int header_is(rd_kafka_message_t *m, const char *name, const char *want) {
  rd_kafka_headers_t *h = NULL;
  const void *v = NULL;
  size_t n = 0;
  if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &n)) return 0;
  return v && n == strlen(want) && !memcmp(v, want, n);
}

/* Partitions of dead_topic with messages, added to l from their first offset; *ends gets each
 * one's end offset (same order). */
static int assignment(rd_kafka_t *c, const char *dead_topic, rd_kafka_topic_partition_list_t *l, int64_t **ends,
                      sic_err *err) {
  rd_kafka_topic_t *t = rd_kafka_topic_new(c, dead_topic, NULL);
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = t ? rd_kafka_metadata(c, 0, t, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
  if (t) rd_kafka_topic_destroy(t);
  if (!e && md && md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    /* no such topic (yet): it holds no dead letter; producing creates it or says why not */
    rd_kafka_metadata_destroy(md);
    *ends = calloc(1, sizeof **ends);
    return *ends ? 0 : sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  if (e || !md || md->topic_cnt != 1 || md->topics[0].err) {
    int rc = sic_err_set(err, SIC_EIO, "dead-letter topic %s: no metadata (%s)", dead_topic,
                         rd_kafka_err2str(e ? e : md && md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR__FAIL));
    if (md) rd_kafka_metadata_destroy(md);
    return rc;
  }
  int nparts = md->topics[0].partition_cnt, rc = 0;
  *ends = calloc((size_t)nparts + 1, sizeof **ends);
  for (int i = 0; i < nparts && *ends && !rc; i++) {
    int32_t p = md->topics[0].partitions[i].id;
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(c, dead_topic, p, &lo, &hi, 10000)) {
      rc = sic_err_set(err, SIC_EIO, "dead-letter topic %s partition %d: no offsets", dead_topic, (int)p);
      break;
    }
    if (hi <= lo) continue;
    rd_kafka_topic_partition_list_add(l, dead_topic, p)->offset = lo;
    (*ends)[l->cnt - 1] = hi;
  }
  rd_kafka_metadata_destroy(md);
  if (!*ends) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  return rc;
}

int sic_dlq_contains(const char *brokers, const char *dead_topic, const char *topic, int32_t partition,
                     int64_t offset, int *found, sic_err *err) {
  *found = 0;
  char errstr[256], part_s[16], off_s[32];
  snprintf(part_s, sizeof part_s, "%d", (int)partition);
  snprintf(off_s, sizeof off_s, "%lld", (long long)offset);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "group.id", "sic-dead-letter-check", errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, sizeof errstr)) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EINVAL, "dead-letter check: %s", errstr);
  }
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!c) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EIO, "dead-letter check: %s", errstr);
  }
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
  int64_t *ends = NULL;
  int rc = assignment(c, dead_topic, l, &ends, err);
  int left = rc ? 0 : l->cnt; /* partitions not read to their end yet */
  if (!rc && left && rd_kafka_assign(c, l)) rc = sic_err_set(err, SIC_EIO, "dead-letter check: cannot assign");
  for (int waited = 0; !rc && left && !*found; ) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
    if (!m) {
      if ((waited += 100) >= DLQ_READ_MS)
        rc = sic_err_set(err, SIC_EIO, "dead-letter topic %s not read to its end in %d s", dead_topic, DLQ_READ_MS / 1000);
      continue;
    }
    if (!m->err) {
      *found = header_is(m, "sic-topic", topic) && header_is(m, "sic-partition", part_s) &&
               header_is(m, "sic-offset", off_s);
      for (int i = 0; i < l->cnt; i++) /* a partition is done once its last message was read */
        if (l->elems[i].partition == m->partition && m->offset + 1 >= ends[i] && ends[i] > 0) {
          ends[i] = 0;
          left--;
        }
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rc = sic_err_set(err, SIC_EIO, "dead-letter topic %s: %s", dead_topic, rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  free(ends);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return rc;
}
