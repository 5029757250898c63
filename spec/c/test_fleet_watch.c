/* sic watch DIR --publish kafka://... against librdkafka's mock cluster: one notification per
 * log, keyed by application; a second poll publishes nothing; a grown log and a new log are
 * published on the next poll, the unchanged one is not (the watermark in the store); and the
 * notifications are what the consumers read (`sic ingest kafka://...` stores every log).
 * A long-running watch with --listen answers /healthz, /readyz and /metrics (its Kubernetes
 * probes) and stops cleanly on SIGTERM. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kafka_topic_reader.h"

static char tmpdir[256], sic_bin[512], boot[256], store[400];

static int run(const char *fmt, const char *a, const char *b) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, fmt, a, b);
  return system(cmd);
}

static int watch_once(void) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' watch '%s/logs' --publish 'kafka://%s/watched' --store '%s' --polls 1 >>'%s/watch.out' 2>&1",
           sic_bin, tmpdir, boot, store, tmpdir);
  return system(cmd);
}

/* Every message of topic "watched" from the beginning: keys (space separated) into keys. */
typedef struct topic_text {
  char *keys, *values; /* caller's buffers, appended to */
  size_t nk, nv;       /* their sizes */
} topic_text;

static void append_message(const rd_kafka_message_t *m, int index, void *ud) {
  topic_text *t = ud;
  size_t k = strlen(t->keys), v = strlen(t->values);
  (void)index;
  snprintf(t->keys + k, t->nk - k, "%.*s ", (int)m->key_len, (const char *)m->key);
  snprintf(t->values + v, t->nv - v, "%.*s\n", (int)m->len, (const char *)m->payload);
}

static int read_topic(char *keys, size_t n, char *values, size_t nv) {
  topic_text t = {keys, values, n, nv};
  keys[0] = values[0] = 0;
  return read_partition(boot, "watched", 0, append_message, &t);
}

/* Output of a shell command into out; its exit status. */
static int sh(const char *cmd, char *out, size_t n) {
  FILE *p = popen(cmd, "r");
  size_t got = p ? fread(out, 1, n - 1, p) : 0;
  out[got] = 0;
  return p ? pclose(p) : -1;
}

/* `sic watch --listen 127.0.0.1:0` running: its probes, its metrics after the first poll, and a
 * clean stop on SIGTERM (the way Kubernetes stops the pod). */
static void check_probes(void) {
  char cmd[2048], out[8192] = "", port[32] = "";
  snprintf(cmd, sizeof cmd, "'%s' watch '%s/logs' --publish 'kafka://%s/watched' --store '%s' --interval 3600 "
           "--listen 127.0.0.1:0 >'%s/probe.out' 2>&1 & echo $!", sic_bin, tmpdir, boot, store, tmpdir);
  CHECK(sh(cmd, out, sizeof out) == 0, "start sic watch --listen");
  int pid = atoi(out);
  for (int tries = 0; tries < 200 && !port[0]; tries++) { /* the port is printed once it listens */
    snprintf(cmd, sizeof cmd, "sed -n 's/.*on port \\([0-9]*\\).*/\\1/p' '%s/probe.out'", tmpdir);
    sh(cmd, port, sizeof port);
    port[strcspn(port, "\n")] = 0;
    if (!port[0]) usleep(50000);
  }
  CHECK(port[0], "sic watch printed its port");
  snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%s/healthz http://127.0.0.1:%s/readyz", port, port);
  CHECK(sh(cmd, out, sizeof out) == 0 && strstr(out, "ok") && strstr(out, "ready"), "healthz/readyz: %s", out);
  for (int tries = 0; tries < 200; tries++) { /* the first poll runs right after the start */
    snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%s/metrics", port);
    if (sh(cmd, out, sizeof out) == 0 && strstr(out, "sic_watch_polls_total 1\n")) break;
    usleep(50000);
  }
  CHECK(strstr(out, "sic_watch_polls_total 1\n") && strstr(out, "sic_watch_poll_failures_total 0\n"),
        "metrics: one poll, no failure:\n%s", out);
  /* every log was published by the polls before: this one has nothing new */
  CHECK(strstr(out, "sic_watch_published_total 0\n") != NULL, "metrics: nothing new published:\n%s", out);
  const char *last = strstr(out, "\nsic_watch_last_success_timestamp_seconds ");
  CHECK(last && atof(last + strlen("\nsic_watch_last_success_timestamp_seconds ")) > 1.7e9, "metrics: last success");
  snprintf(cmd, sizeof cmd, "kill -TERM %d; while kill -0 %d 2>/dev/null; do sleep 0.1; done; cat '%s/probe.out'", pid,
           pid, tmpdir);
  sh(cmd, out, sizeof out);
  CHECK(strstr(out, "0 notifications published") != NULL, "stopped on SIGTERM: %s", out);
}

int main(void) {
  const char *bin = getenv("SIC_BUILD_DIR");
  if (!bin) return 77;
  snprintf(sic_bin, sizeof sic_bin, "%s/sic", bin);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic-watch-test-XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  snprintf(store, sizeof store, "sqlite://%s/sic.db", tmpdir);
  char dir[400], keys[4096], values[16384];
  snprintf(dir, sizeof dir, "%s/logs", tmpdir);
  CHECK(mkdir(dir, 0755) == 0, "mkdir");
  CHECK(run("'%s' example '%s/a.json' --seed 1 --tasks 150 >/dev/null", sic_bin, dir) == 0, "example a");
  CHECK(run("'%s' example '%s/b.json' --seed 2 --tasks 150 >/dev/null", sic_bin, dir) == 0, "example b");
  CHECK(run("touch -d '-1 hour' '%s/a.json' '%s/b.json'", dir, dir) == 0, "age them");

  char errstr[256];
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
  rd_kafka_mock_cluster_t *mc = host ? rd_kafka_mock_cluster_new(host, 1) : NULL;
  CHECK(mc != NULL, "mock cluster");
  if (!mc) return CHECK_RESULT();
  snprintf(boot, sizeof boot, "%s", rd_kafka_mock_cluster_bootstraps(mc));
  rd_kafka_mock_topic_create(mc, "watched", 1, 1);

  CHECK(watch_once() == 0, "first poll");
  CHECK(read_topic(keys, sizeof keys, values, sizeof values) == 2, "two logs, two notifications: %s", values);
  CHECK(!strcmp(keys, "a.json b.json "), "keyed by log name (Spark names a log by its application id): %s", keys);
  CHECK(strstr(values, "\"uri\"") && strstr(values, "/logs/a.json"), "a notification names its log: %s", values);
  CHECK(watch_once() == 0, "second poll");
  CHECK(read_topic(keys, sizeof keys, values, sizeof values) == 2, "nothing new, nothing published: %s", values);

  /* a grows (the same application, more of its log) and c appears */
  CHECK(run("'%s' example '%s/a.json' --seed 1 --tasks 300 >/dev/null", sic_bin, dir) == 0, "grow a");
  CHECK(run("'%s' example '%s/c.json' --seed 3 --tasks 150 >/dev/null", sic_bin, dir) == 0, "example c");
  CHECK(watch_once() == 0, "third poll");
  CHECK(read_topic(keys, sizeof keys, values, sizeof values) == 4, "the grown and the new log: %s", values);
  CHECK(!strcmp(keys, "a.json b.json a.json c.json ") || !strcmp(keys, "a.json b.json c.json a.json "),
        "b is not published again: %s", keys);

  /* the consumers read them: sic ingest's kafka:// source stores every log */
  char cmd[2048], out[4096] = "";
  snprintf(cmd, sizeof cmd, "'%s' ingest 'kafka://%s/watched?group=ingest&idle=3' --store '%s' --no-analyze 2>&1", sic_bin, boot, store);
  FILE *p = popen(cmd, "r");
  size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
  out[got] = 0;
  CHECK(p && pclose(p) == 0, "ingest the notifications: %s", out);
  /* the log a was already grown when its first notification was read: its second one finds it stored */
  CHECK(strstr(out, "3 stored, 1 unchanged") != NULL, "three applications, the repeat of a harmless: %s", out);

  check_probes();

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return CHECK_RESULT();
}
