/* sources/kafka.c against librdkafka's mock cluster: notifications are ingested once each,
 * committed only after the "store" write, a consumer that stops between the store write and
 * the commit gets the message again (delivered twice, stored once), failed commits are retried,
 * and a message that is not a notification is reported without blocking the partition. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sources/kafka.h"

#define API_OFFSET_COMMIT 8 /* Kafka protocol API key of OffsetCommit */

/* The "store": URIs kept once each; deliveries counted. */
typedef struct fake_store {
  char uris[16][256];   /* stored URIs */
  int n;                /* stored */
  int deliveries;       /* on_log calls */
  int bad;              /* on_bad calls */
  int die_after;        /* > 0: after storing this many, fail before the commit (a killed consumer) */
  int died;             /* that happened */
} fake_store;

static int store_log(void *ctx, const char *uri, sic_err *err) {
  fake_store *s = ctx;
  s->deliveries++;
  int seen = 0;
  for (int i = 0; i < s->n; i++) seen |= !strcmp(s->uris[i], uri);
  if (!seen && s->n < 16) snprintf(s->uris[s->n++], 256, "%s", uri); /* the store transaction */
  if (s->die_after && s->n == s->die_after && !s->died) {
    s->died = 1; /* stored, but the consumer goes away before committing */
    return sic_err_set(err, SIC_EIO, "consumer killed after the store write");
  }
  return 0;
}

static void store_bad(void *ctx, const char *where, const char *why) {
  fake_store *s = ctx;
  s->bad++;
  CHECK(strstr(where, "partition") != NULL && why[0], "bad message reported with its place: %s (%s)", where, why);
}

static void produce(const char *bootstraps, const char *topic, const char *value) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  CHECK(p != NULL, "producer: %s", errstr);
  if (!p) return;
  rd_kafka_resp_err_t e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                            RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  CHECK(e == 0, "produce: %s", rd_kafka_err2str(e));
  CHECK(rd_kafka_flush(p, 10000) == 0, "flush");
  rd_kafka_destroy(p);
}

int main(void) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  CHECK(host != NULL, "mock host: %s", errstr);
  if (!host) return CHECK_RESULT();
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, 3);
  CHECK(mc != NULL, "mock cluster");
  if (!mc) return CHECK_RESULT();
  const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
  rd_kafka_mock_topic_create(mc, "notes", 1, 3);
  produce(boot, "notes", "{\"uri\":\"s3://b/app-1.zstd\",\"app_id\":\"app-1\",\"size\":10,\"etag\":\"e1\"}");
  produce(boot, "notes", "{\"uri\":\"s3://b/app-2\",\"app_id\":\"app-2\"}");
  produce(boot, "notes", "this is not JSON");
  produce(boot, "notes", "{\"uri\":\"http://shs:18080/api/v1/applications/app-3\",\"attempt\":\"1\"}");

  char uri[512];
  snprintf(uri, sizeof uri, "kafka://%s/notes?group=sic-test&idle=2&rdkafka.session.timeout.ms=6000&rdkafka.heartbeat.interval.ms=500", boot);
  fake_store store = {.die_after = 2};
  sic_kafka_handler h = {store_log, store_bad, &store, NULL, NULL, NULL};
  sic_kafka_stats st;
  sic_err err = {0};
  /* first consumer: stops after storing app-2, before committing it */
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), SIC_EIO);
  CHECK(strstr(err.msg, "killed after the store write") && strstr(err.msg, "offset 1"), "%s", err.msg);
  CHECK_EQ_INT(store.n, 2);
  CHECK_EQ_INT(st.logs, 1); /* only app-1 was committed */
  /* the next commit attempts fail twice: retried, not lost */
  rd_kafka_mock_push_request_errors(mc, API_OFFSET_COMMIT, 2, RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
                                    RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  /* second consumer of the same group: app-2 again (delivered twice, stored once), then the rest */
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), 0);
  CHECK_EQ_INT(store.n, 3);
  CHECK_EQ_INT(store.deliveries, 4);
  CHECK_EQ_INT(store.bad, 1);
  CHECK_EQ_INT(st.logs, 2);
  CHECK_EQ_INT(st.bad, 1);
  CHECK(st.commit_retries >= 1, "failed commits retried (%lld)", (long long)st.commit_retries);
  if (store.n == 3) {
    CHECK_EQ_STR(store.uris[0], "s3://b/app-1.zstd");
    CHECK_EQ_STR(store.uris[1], "s3://b/app-2");
    CHECK_EQ_STR(store.uris[2], "http://shs:18080/api/v1/applications/app-3");
  }
  /* a third consumer finds everything committed */
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), 0);
  CHECK_EQ_INT(st.messages, 0);
  CHECK_EQ_INT(store.deliveries, 4);
  /* usage errors name the parameter, never a secret value */
  snprintf(uri, sizeof uri, "kafka://%s/notes", boot);
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "group") != NULL, "%s", err.msg);
  snprintf(uri, sizeof uri, "kafka://%s/notes?group=g&rdkafka.sasl.password=hunter22&rdkafka.no.such=1", boot);
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "rdkafka.no.such") && !strstr(err.msg, "hunter22"), "%s", err.msg);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  return CHECK_RESULT();
}
