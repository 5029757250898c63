/* Kafka side of bench/bench_fleet.sh, on librdkafka's mock cluster (loopback, no broker to
 * install):
 *   bench_fleet_kafka cluster TOPIC:PARTITIONS...   hold a 3-broker mock cluster with these
 *                                                   topics; print its bootstraps; run until killed
 *   bench_fleet_kafka produce BOOT TOPIC FILE       one notification per line (a log path) of
 *                                                   FILE, keyed by its base name
 *   bench_fleet_kafka wait BOOT TOPIC GROUP SECS    until GROUP committed every partition to its
 *                                                   end; prints the seconds waited (exit 1: gave up)
 *   bench_fleet_kafka lagging BOOT TOPIC GROUP      print the messages not yet committed */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *boot, const char *group) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  if (group) rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) fprintf(stderr, "bench_fleet_kafka: %s\n", errstr);
  return rk;
}

static int cluster(int argc, char **argv) {
  char errstr[256];
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
  rd_kafka_mock_cluster_t *mc = host ? rd_kafka_mock_cluster_new(host, 3) : NULL;
  if (!mc) return 1;
  for (int i = 0; i < argc; i++) {
    char name[256];
    int parts = 1;
    if (sscanf(argv[i], "%255[^:]:%d", name, &parts) < 1) return 2;
    rd_kafka_mock_topic_create(mc, name, parts, 1);
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  while (!stop) pause();
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  return 0;
}

static int produce(const char *boot, const char *topic, const char *file) {
  rd_kafka_t *p = client(RD_KAFKA_PRODUCER, boot, NULL);
  FILE *f = fopen(file, "r");
  if (!p || !f) return 1;
  char line[4096], value[8400];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    const char *key = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
    snprintf(value, sizeof value, "{\"uri\":\"%s\",\"app_id\":\"%s\"}", line, key);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                             RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 10);
    n++;
  }
  fclose(f);
  int rc = rd_kafka_flush(p, 30000) ? 1 : 0;
  rd_kafka_destroy(p);
  printf("%d\n", n);
  return rc;
}

/* Messages of topic not committed by group (-1: cannot tell). */
static long lagging(rd_kafka_t *c, const char *topic) {
  const rd_kafka_metadata_t *md = NULL;
  rd_kafka_topic_t *t = rd_kafka_topic_new(c, topic, NULL);
  if (rd_kafka_metadata(c, 0, t, &md, 5000) || md->topic_cnt != 1) {
    rd_kafka_topic_destroy(t);
    return -1;
  }
  int parts = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
  for (int i = 0; i < parts; i++) rd_kafka_topic_partition_list_add(l, topic, i);
  long lag = rd_kafka_committed(c, l, 5000) ? -1 : 0;
  for (int i = 0; i < parts && lag >= 0; i++) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(c, topic, i, &lo, &hi, 5000)) lag = -1;
    else lag += (long)(hi - (l->elems[i].offset < 0 ? lo : l->elems[i].offset));
  }
  rd_kafka_topic_partition_list_destroy(l);
  return lag;
}

static int wait_drained(const char *boot, const char *topic, const char *group, double secs) {
  rd_kafka_t *c = client(RD_KAFKA_CONSUMER, boot, group);
  if (!c) return 1;
  double t0 = now_s();
  int rc = 1;
  while (now_s() - t0 < secs) {
    if (lagging(c, topic) == 0) {
      rc = 0;
      break;
    }
    usleep(100000);
  }
  printf("%.2f\n", now_s() - t0);
  rd_kafka_destroy(c);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "cluster")) return cluster(argc - 2, argv + 2);
  if (argc == 5 && !strcmp(argv[1], "produce")) return produce(argv[2], argv[3], argv[4]);
  if (argc == 6 && !strcmp(argv[1], "wait")) return wait_drained(argv[2], argv[3], argv[4], atof(argv[5]));
  if (argc == 5 && !strcmp(argv[1], "lagging")) {
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, argv[2], argv[4]);
    printf("%ld\n", c ? lagging(c, argv[3]) : -1L);
    if (c) rd_kafka_destroy(c);
    return 0;
  }
  fprintf(stderr, "usage: bench_fleet_kafka cluster TOPIC:N... | produce BOOT TOPIC FILE | wait BOOT TOPIC GROUP SECS | lagging BOOT TOPIC GROUP\n");
  return 2;
}
