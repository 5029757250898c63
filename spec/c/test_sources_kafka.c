/* sources/kafka.c against librdkafka's mock cluster: notifications are ingested once each,
 * committed only after the "store" write, a consumer that stops between the store write and
 * the commit gets the message again (delivered twice, stored once), failed commits are retried,
 * and a message that is not a notification is reported without blocking the partition.
 * Event-line mode: lines of interleaved applications assembled per application (attempt from
 * a header), a consumer stopped mid-way leaves the commit before every unfinished application,
 * so the replay hands over whole applications again (same content) and nothing partial. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* ---- events mode ---- */

typedef struct fake_app_store {
  char names[8][64];    /* stored applications */
  char logs[8][2048];   /* their content */
  int n;                /* stored */
  int deliveries;       /* on_app calls with complete = 1 */
  int duplicates;       /* hand-overs whose content was already stored */
} fake_app_store;

static int store_app(void *ctx, const char *name, const char *path, int complete, sic_err *err) {
  fake_app_store *s = ctx;
  char buf[2048] = "";
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  if (!complete) return 0;
  s->deliveries++;
  for (int i = 0; i < s->n; i++)
    if (!strcmp(s->names[i], name)) {
      CHECK(!strcmp(s->logs[i], buf), "%s handed over again with other content:\n%s\nvs\n%s", name, buf, s->logs[i]);
      s->duplicates++;
      return 0;
    }
  if (s->n < 8) {
    snprintf(s->names[s->n], 64, "%s", name);
    snprintf(s->logs[s->n++], 2048, "%s", buf);
  }
  return 0;
}

static void produce_line(const char *bootstraps, const char *key, const char *attempt, const char *value) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!p) return;
  rd_kafka_headers_t *hdrs = rd_kafka_headers_new(1);
  if (attempt) rd_kafka_header_add(hdrs, "attempt", -1, attempt, -1);
  rd_kafka_resp_err_t e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC("events"), RD_KAFKA_V_PARTITION(0),
                                            RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0),
                                            RD_KAFKA_V_VALUE((void *)value, strlen(value)), RD_KAFKA_V_HEADERS(hdrs),
                                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  CHECK(e == 0, "produce: %s", rd_kafka_err2str(e));
  if (e) rd_kafka_headers_destroy(hdrs);
  rd_kafka_flush(p, 10000);
  rd_kafka_destroy(p);
}

static void test_events(rd_kafka_mock_cluster_t *mc, const char *boot) {
  rd_kafka_mock_topic_create(mc, "events", 1, 3);
  static const char *const lines[][3] = {
      {"app-A", NULL, "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}"},
      {"app-B", "2", "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.4.1\"}"},
      {"app-A", NULL, "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"a\",\"App ID\":\"app-A\"}"},
      {"app-A", NULL, "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":5}"},
      {"app-B", "2", "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"b\",\"App ID\":\"app-B\"}"},
      {"app-B", "2", "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":9}"},
      {NULL, NULL, "{\"Event\":\"SparkListenerLogStart\"}"}, /* no key: reported, skipped */
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) produce_line(boot, lines[i][0], lines[i][1], lines[i][2]);
  char uri[512];
  fake_app_store store = {0};
  sic_kafka_handler h = {.on_app = store_app, .ctx = &store};
  sic_kafka_stats st;
  sic_err err = {0};
  /* first consumer: stops after 4 lines, with app-A handed over and app-B half assembled;
   * app-B started inside app-A's span, so nothing may be committed yet */
  snprintf(uri, sizeof uri, "kafka://%s/events?group=ev&mode=events&max=4&idle=2&rdkafka.session.timeout.ms=6000"
           "&rdkafka.heartbeat.interval.ms=500", boot);
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), 0);
  CHECK_EQ_INT(store.n, 1);
  if (store.n >= 1) {
    CHECK_EQ_STR(store.names[0], "app-A");
    CHECK(strstr(store.logs[0], "LogStart") && strstr(store.logs[0], "ApplicationEnd") && !strstr(store.logs[0], "app-B"),
          "app-A assembled alone:\n%s", store.logs[0]);
  }
  /* second consumer: everything again from offset 0: app-A handed over again with the same
   * content (the store would keep one), app-B whole, the keyless line reported */
  snprintf(uri, sizeof uri, "kafka://%s/events?group=ev&mode=events&idle=2&rdkafka.session.timeout.ms=6000"
           "&rdkafka.heartbeat.interval.ms=500", boot);
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), 0);
  CHECK_EQ_INT(store.n, 2);
  CHECK_EQ_INT(store.duplicates, 1);
  CHECK_EQ_INT(st.bad, 1);
  if (store.n == 2) {
    CHECK_EQ_STR(store.names[1], "app-B_2");
    CHECK(strstr(store.logs[1], "3.4.1") && strstr(store.logs[1], "ApplicationEnd") && !strstr(store.logs[1], "app-A"),
          "app-B assembled alone:\n%s", store.logs[1]);
  }
  /* a third finds everything committed */
  CHECK_EQ_INT(sic_kafka_consume(uri, &h, &st, &err), 0);
  CHECK_EQ_INT(st.messages, 0);
}

/* ---- sic ingest end to end: notifications and event lines into a SQLite store ---- */

static int run_sic(const char *cmd, char *out, size_t cap) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(rd_kafka_mock_cluster_t *mc, const char *boot) {
  const char *build = getenv("SIC_BUILD_DIR");
  char sic[1024], dir[] = "/tmp/sic_test_kafka_XXXXXX", log[1200], note[1400], cmd[4096], out[16384];
  if (!build || !mkdtemp(dir)) return;
  snprintf(sic, sizeof sic, "%s/sic", build);
  if (access(sic, X_OK)) {
    check_note("no %s: sic ingest end-to-end part skipped", sic);
    return;
  }
  snprintf(log, sizeof log, "%s/app-N", dir);
  FILE *f = fopen(log, "w");
  fputs("{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}\n"
        "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"n\",\"App ID\":\"app-N\",\"Timestamp\":1000,"
        "\"User\":\"u\"}\n"
        "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":2000}\n", f);
  fclose(f);
  rd_kafka_mock_topic_create(mc, "cli-notes", 1, 3);
  rd_kafka_mock_topic_create(mc, "cli-events", 1, 3);
  snprintf(note, sizeof note, "{\"uri\":\"file://%s\",\"app_id\":\"app-N\"}", log);
  produce(boot, "cli-notes", note);
  static const char *const ev[] = {
      "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}",
      "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"k\",\"App ID\":\"app-K\",\"Timestamp\":1000,"
      "\"User\":\"u\"}",
      "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":3000}"};
  for (int i = 0; i < 3; i++) {
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC("cli-events"), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY("app-K", 5),
                      RD_KAFKA_V_VALUE((void *)ev[i], strlen(ev[i])), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_END);
    rd_kafka_flush(p, 10000);
    rd_kafka_destroy(p);
  }
  const char *tune = "idle=2&rdkafka.session.timeout.ms=6000&rdkafka.heartbeat.interval.ms=500";
  snprintf(cmd, sizeof cmd, "%s ingest --no-analyze --store sqlite://%s/s.db 'kafka://%s/cli-notes?group=c&%s' "
           "'kafka://%s/cli-events?group=c&mode=events&%s' 2>&1", sic, dir, boot, tune, boot, tune);
  CHECK_EQ_INT(run_sic(cmd, out, sizeof out), 0);
  CHECK(strstr(out, "stored") && strstr(out, "app-N") && strstr(out, "app-K") && strstr(out, "cli-events#app-K") &&
            strstr(out, "2 stored"),
        "sic ingest from kafka:\n%s", out);
  /* the same again from a new group: both delivered again, both already stored */
  snprintf(cmd, sizeof cmd, "%s ingest --no-analyze --store sqlite://%s/s.db 'kafka://%s/cli-notes?group=d&%s' "
           "'kafka://%s/cli-events?group=d&mode=events&%s' 2>&1", sic, dir, boot, tune, boot, tune);
  CHECK_EQ_INT(run_sic(cmd, out, sizeof out), 0);
  CHECK(strstr(out, "0 stored, 2 unchanged") != NULL, "replayed into the store:\n%s", out);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) check_note("could not remove %s", dir);
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
  sic_kafka_handler h = {.on_log = store_log, .on_bad = store_bad, .ctx = &store};
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
  test_events(mc, boot);
  test_cli(mc, boot);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  return CHECK_RESULT();
}
