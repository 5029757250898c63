/* Parking a message in the dead-letter topic exactly once, also when its worker is killed while
 * parking it (engine/fleet/worker.c, dead_letter). librdkafka's mock cluster in this process, a
 * SQLite store, `sic worker` processes with --max-attempts 1 and notifications of logs that do
 * not exist (every attempt fails at once):
 *  - killed at worker.dead_letter_produced (the dead letter is in the topic, the store does not
 *    say so yet): the next worker finds it there and only records it ("dead-recovered");
 *  - killed at worker.dead_letter_parking (recorded as being parked, nothing produced): the next
 *    worker produces it ("dead").
 * Each time: one dead letter per message in the topic, each listed once by `sic history
 * --failed`, every offset committed. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "kafka_topic_reader.h"

#define TOPIC "notes"

static char tmpdir[256], sic_bin[512], boot[256], store[400];

static int sh(const char *cmd, char *out, size_t n) {
  FILE *p = popen(cmd, "r");
  size_t got = p ? fread(out, 1, n - 1, p) : 0;
  out[got] = 0;
  return p ? pclose(p) : -1;
}

/* One notification of a log that does not exist; it lands at the topic's next offset. */
static void produce_missing(const char *name) {
  char errstr[256], value[600];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  CHECK(p != NULL, "producer: %s", errstr);
  if (!p) return;
  snprintf(value, sizeof value, "{\"uri\":\"%s/%s\",\"app_id\":\"%s\"}", tmpdir, name, name);
  rd_kafka_resp_err_t e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(0),
                                            RD_KAFKA_V_KEY(name, strlen(name)), RD_KAFKA_V_VALUE(value, strlen(value)),
                                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  CHECK(e == 0, "produce: %s", rd_kafka_err2str(e));
  CHECK(rd_kafka_flush(p, 10000) == 0, "flush");
  rd_kafka_destroy(p);
}

/* A `sic worker` with its output in worker.out; crash_at arms a test crash point. */
static pid_t spawn_worker(const char *crash_at) {
  char out[400], uri[700];
  snprintf(out, sizeof out, "%s/worker.out", tmpdir);
  snprintf(uri, sizeof uri, "kafka://%s/" TOPIC "?group=dlq-test&rdkafka.session.timeout.ms=6000"
           "&rdkafka.heartbeat.interval.ms=500", boot);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = freopen(out, "a", stdout);
    (void)f;
    if (crash_at) setenv("SIC_TEST_CRASH_AT", crash_at, 1);
    else unsetenv("SIC_TEST_CRASH_AT");
    execl(sic_bin, sic_bin, "worker", uri, "--store", store, "--max-attempts", "1", "--no-analyze", (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Lines of worker.out starting with prefix. */
static int lines_with(const char *prefix) {
  char cmd[600], out[64];
  snprintf(cmd, sizeof cmd, "grep -c '^%s' '%s/worker.out' 2>/dev/null", prefix, tmpdir);
  sh(cmd, out, sizeof out);
  return atoi(out);
}

/* Messages in the dead-letter topic, and how many of them carry header sic-offset = offset. */
typedef struct letters_of {
  char want[32]; /* the offset as the header spells it */
  int n;         /* letters carrying it */
} letters_of;

static void count_letter_of(const rd_kafka_message_t *m, int index, void *ud) {
  letters_of *l = ud;
  char got[32];
  (void)index;
  message_header(m, "sic-offset", got, sizeof got);
  if (!strcmp(got, l->want)) l->n++;
}

static int dead_letters(int64_t offset, int *of_offset) {
  letters_of l = {.n = 0};
  snprintf(l.want, sizeof l.want, "%lld", (long long)offset);
  int n = read_partition(boot, TOPIC ".dead", 0, count_letter_of, &l);
  *of_offset = l.n;
  return n;
}

static int64_t committed_offset(void) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "dlq-test", errstr, sizeof errstr);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!c) return -2;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, TOPIC, 0);
  int64_t off = rd_kafka_committed(c, l, 5000) ? -2 : l->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(c);
  return off;
}

/* Wait (bounded) until worker.out has want lines starting with prefix. */
static int wait_lines(const char *prefix, int want) {
  for (int i = 0; i < 1200; i++) {
    if (lines_with(prefix) >= want) return 1;
    usleep(100000);
  }
  return 0;
}

/* Kill a worker at crash point `point` while it parks the notification at `offset` (the topic
 * then holds total_before dead letters, mine_before of them this one's); then a worker without
 * crash point finishes it, prints `status`, and the topic holds total_after, one of them this. */
static void crash_then_recover(const char *name, int64_t offset, const char *point, const char *status,
                               int total_before, int mine_before, int total_after) {
  int of = 0;
  produce_missing(name);
  pid_t pid = spawn_worker(point);
  int ws = 0;
  waitpid(pid, &ws, 0);
  CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "%s: the worker was killed at %s", name, point);
  int total = dead_letters(offset, &of);
  CHECK(total == total_before && of == mine_before, "%s: after the kill at %s the topic holds %d dead letters, "
        "%d of them this one (expected %d, %d)", name, point, total, of, total_before, mine_before);
  CHECK(committed_offset() < offset + 1, "%s: the offset was not committed", name);
  char want[64];
  snprintf(want, sizeof want, "%s " TOPIC "/0@%lld", status, (long long)offset);
  pid = spawn_worker(NULL);
  CHECK(wait_lines(want, 1), "%s: the next worker says '%s'", name, want);
  for (int i = 0; i < 100 && committed_offset() < offset + 1; i++) usleep(100000);
  kill(pid, SIGTERM);
  waitpid(pid, &ws, 0);
  total = dead_letters(offset, &of);
  CHECK(total == total_after && of == 1, "%s: %d dead letters (expected %d), %d of offset %lld (expected 1)", name,
        total, total_after, of, (long long)offset);
  CHECK(committed_offset() == offset + 1, "%s: committed past it", name);
}

int main(void) {
  const char *bin = getenv("SIC_BUILD_DIR");
  if (!bin) return 77;
  snprintf(sic_bin, sizeof sic_bin, "%s/sic", bin);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic-dlq-test-XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  snprintf(store, sizeof store, "sqlite://%s/sic.db", tmpdir);
  char errstr[256];
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
  rd_kafka_mock_cluster_t *mc = host ? rd_kafka_mock_cluster_new(host, 1) : NULL;
  CHECK(mc != NULL, "mock cluster");
  if (!mc) return CHECK_RESULT();
  snprintf(boot, sizeof boot, "%s", rd_kafka_mock_cluster_bootstraps(mc));
  rd_kafka_mock_topic_create(mc, TOPIC, 1, 1);
  rd_kafka_mock_topic_create(mc, TOPIC ".dead", 1, 1);

  /* produced, not recorded: the recovery finds it in the topic and does not produce it again */
  crash_then_recover("gone-1.log", 0, "worker.dead_letter_produced", "dead-recovered", 1, 1, 1);
  /* recorded as parking, not produced: the recovery produces it */
  crash_then_recover("gone-2.log", 1, "worker.dead_letter_parking", "dead", 1, 0, 2);

  char cmd[1200], out[8192];
  snprintf(cmd, sizeof cmd, "'%s' history --failed --store '%s' --format json", sic_bin, store);
  CHECK(sh(cmd, out, sizeof out) == 0, "history --failed: %s", out);
  const char *a = strstr(out, "gone-1.log\""), *b = strstr(out, "gone-2.log\"");
  int listed = 0;
  for (const char *p = strstr(out, "\"status\""); p; p = strstr(p + 1, "\"status\"")) listed++;
  CHECK(a && b && listed == 2, "each parked message listed once as failed (%d): %s", listed, out);

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return CHECK_RESULT();
}
