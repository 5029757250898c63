/* The fleet end to end (issue 15): one process (this test) holds librdkafka's mock cluster and
 * a throw-away PostgreSQL (spec/support/pg.sh); three `sic worker` processes share the group.
 * M notifications name generated logs (distinct app ids and seeds), a few real ones when the
 * shared data exists, and one planted bad log. One worker is killed with SIGKILL in the middle
 * of an application and another between the store write and the offset commit (test crash
 * points worker.mid_app / worker.before_commit, deterministic, see core/crashpoint.h); both are
 * restarted with the same group.instance.id, as Kubernetes would.
 *
 * Afterwards: every application is stored exactly once (a duplicate was delivered, none was
 * stored), every partition's committed offset is its end and every offset below it was
 * reported handled by some worker (none skipped), the dead-letter topic holds exactly the bad
 * log with its reason, and the store lists it as failed (`sic history --failed`). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kafka_topic_reader.h"

#define TOPIC "notes"
#define PARTS 3
#define NGEN 9            /* generated logs */
#define NREAL_MAX 2       /* real logs, when SIC_SHARED_DATA has them */
#define WORKERS 3
#define GIVE_UP_S 240     /* a broken fleet must not hang ctest; never an assertion on speed */

static char tmpdir[256], pg_dir[320], pg_url[256], sic_bin[512], boot[256];
static char uris[NGEN + NREAL_MAX + 1][640]; /* notified logs; the last one is the bad log */
static char app_ids[NGEN + NREAL_MAX][128];  /* their application ids ("" for the bad one) */
static int nlogs;                            /* entries in uris (good ones first) */
static pid_t workers[WORKERS];

static int sh(const char *cmd, char *out, size_t n) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t got = out ? fread(out, 1, n - 1, p) : 0;
  if (out) out[got] = 0;
  return pclose(p);
}

static int start_pg(void) {
  const char *src = getenv("SIC_SOURCE_DIR");
  char cmd[1600];
  snprintf(pg_dir, sizeof pg_dir, "%s/pg", tmpdir);
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh start %s %d", src, pg_dir, (int)getpid());
  if (sh(cmd, pg_url, sizeof pg_url)) return -1;
  pg_url[strcspn(pg_url, "\n")] = 0;
  return 0;
}

static void stop_pg(void) {
  char cmd[1600];
  snprintf(cmd, sizeof cmd, "%s/spec/support/pg.sh stop %s", getenv("SIC_SOURCE_DIR"), pg_dir);
  if (system(cmd) != 0) fprintf(stderr, "stopping PostgreSQL failed\n");
}

/* psql -Atc SQL: first line of the answer, or "" */
static void sql(const char *q, char *out, size_t n) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "psql '%s' -Atqc \"%s\" 2>&1", pg_url, q);
  if (sh(cmd, out, n)) out[0] = 0;
  out[strcspn(out, "\n")] = 0;
}

/* The "App ID" a log names (sic example derives it from the seed). */
static void app_id_of(const char *path, char *out, size_t n) {
  char cmd[1000];
  snprintf(cmd, sizeof cmd, "grep -o -m1 '\"App ID\":\"[^\"]*\"' '%s' | cut -d'\"' -f4", path);
  if (sh(cmd, out, n)) out[0] = 0;
  out[strcspn(out, "\n")] = 0;
}

/* A generated log: seeds and sizes vary, so do the application ids. */
static int make_generated(int i) {
  char path[400], cmd[1200];
  snprintf(path, sizeof path, "%s/logs/gen-%d.json", tmpdir, i);
  snprintf(cmd, sizeof cmd, "'%s' example '%s' --seed %d --tasks %d >/dev/null", sic_bin, path, 7 + i, 150 + 40 * i);
  if (system(cmd)) return -1;
  app_id_of(path, app_ids[nlogs], sizeof app_ids[0]);
  if (!app_ids[nlogs][0]) return -1;
  for (int j = 0; j < nlogs; j++)
    if (!strcmp(app_ids[j], app_ids[nlogs])) return -1; /* the test needs distinct applications */
  snprintf(uris[nlogs++], sizeof uris[0], "%s", path);
  return 0;
}

static void add_real(void) {
  const char *data = getenv("SIC_SHARED_DATA");
  static const char *names[NREAL_MAX] = {"app-20161115172038-0000", "application_1555004656427_0144"};
  for (int i = 0; data && i < NREAL_MAX; i++) {
    char path[560];
    snprintf(path, sizeof path, "%s/spark-events/spark/%s", data, names[i]);
    if (access(path, R_OK)) continue;
    snprintf(app_ids[nlogs], sizeof app_ids[0], "%s", names[i]);
    snprintf(uris[nlogs++], sizeof uris[0], "%s", path);
  }
  if (nlogs == NGEN) fprintf(stderr, "needs shared data: no real logs (generated ones only)\n");
}

static void produce_all(void) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  CHECK(p != NULL, "producer: %s", errstr);
  if (!p) return;
  for (int i = 0; i < nlogs; i++) {
    char value[1400];
    snprintf(value, sizeof value, "{\"uri\":\"%.600s\",\"app_id\":\"%.120s\"}", uris[i], i < nlogs - 1 ? app_ids[i] : "bad");
    const char *key = i < nlogs - 1 ? app_ids[i] : "bad";
    rd_kafka_resp_err_t e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(i % PARTS),
                                              RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    CHECK(e == 0, "produce: %s", rd_kafka_err2str(e));
  }
  CHECK(rd_kafka_flush(p, 10000) == 0, "flush");
  rd_kafka_destroy(p);
}

static int metrics_port; /* worker 2's --listen port */

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  int port = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) && !getsockname(fd, (struct sockaddr *)&sa, &len)
               ? ntohs(sa.sin_port) : 0;
  if (fd >= 0) close(fd);
  return port;
}

static pid_t spawn_worker(int i, const char *crash_at) {
  char out[400], id[32], uri[700];
  snprintf(out, sizeof out, "%s/worker-%d.out", tmpdir, i);
  snprintf(id, sizeof id, "sic-worker-%d", i);
  snprintf(uri, sizeof uri, "kafka://%s/" TOPIC "?group=sic-fleet&rdkafka.session.timeout.ms=6000"
           "&rdkafka.heartbeat.interval.ms=500&rdkafka.statistics.interval.ms=500", boot);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = freopen(out, "a", stdout);
    (void)f;
    if (crash_at) setenv("SIC_TEST_CRASH_AT", crash_at, 1);
    else unsetenv("SIC_TEST_CRASH_AT");
    setenv("SIC_GROUP_INSTANCE_ID", id, 1);
    char listen[64];
    snprintf(listen, sizeof listen, "--listen=127.0.0.1:%d", metrics_port);
    if (i == 2) execl(sic_bin, sic_bin, "worker", uri, "--store", pg_url, "--max-attempts", "3", listen, (char *)NULL);
    else execl(sic_bin, sic_bin, "worker", uri, "--store", pg_url, "--max-attempts", "3", (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* The text of every worker's output. */
static char *all_output(void) {
  static char buf[1 << 18];
  char cmd[400];
  snprintf(cmd, sizeof cmd, "cat %s/worker-*.out 2>/dev/null", tmpdir);
  sh(cmd, buf, sizeof buf);
  return buf;
}

static int count_lines(const char *text, const char *prefix) {
  int n = 0;
  size_t pl = strlen(prefix);
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (!strncmp(l, prefix, pl)) n++;
  return n;
}

/* Committed offset and end of each partition of TOPIC for the group. */
static int offsets(int64_t committed[PARTS], int64_t end[PARTS]) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "sic-fleet", errstr, sizeof errstr);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!c) return -1;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTS);
  for (int p = 0; p < PARTS; p++) rd_kafka_topic_partition_list_add(l, TOPIC, p);
  int rc = rd_kafka_committed(c, l, 5000) ? -1 : 0;
  for (int p = 0; p < PARTS && !rc; p++) {
    int64_t lo = 0, hi = 0;
    committed[p] = l->elems[p].offset;
    if (rd_kafka_query_watermark_offsets(c, TOPIC, p, &lo, &hi, 5000)) rc = -1;
    end[p] = hi;
  }
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(c);
  return rc;
}

/* Messages in the dead-letter topic; the first one's value and reason header are copied out. */
typedef struct first_letter {
  char *value, *reason; /* caller's buffers */
  size_t nv, nr;        /* their sizes */
} first_letter;

static void keep_first_letter(const rd_kafka_message_t *m, int index, void *ud) {
  first_letter *f = ud;
  if (index) return;
  snprintf(f->value, f->nv, "%.*s", (int)m->len, (const char *)m->payload);
  message_header(m, "sic-reason", f->reason, f->nr);
}

static int dead_letters(char *value, size_t nv, char *reason, size_t nr) {
  first_letter f = {value, reason, nv, nr};
  return read_partition(boot, TOPIC ".dead", 0, keep_first_letter, &f);
}

/* Every message below the committed offsets was reported handled (stored, unchanged or dead). */
static int all_handled(const char *out, const int64_t committed[PARTS]) {
  for (int p = 0; p < PARTS; p++)
    for (int64_t o = 0; o < committed[p]; o++) {
      char tag[64];
      snprintf(tag, sizeof tag, " " TOPIC "/%d@%lld ", p, (long long)o);
      int found = 0;
      for (const char *s = strstr(out, tag); s && !found; s = strstr(s + 1, tag)) {
        const char *bol = s;
        while (bol > out && bol[-1] != '\n') bol--;
        found = !strncmp(bol, "stored", 6) || !strncmp(bol, "unchanged", 9) || !strncmp(bol, "dead", 4);
      }
      if (!found) {
        fprintf(stderr, "offset %lld of partition %d committed but never reported handled\n", (long long)o, p);
        return 0;
      }
    }
  return 1;
}

static int finished(void) {
  int64_t committed[PARTS], end[PARTS];
  if (offsets(committed, end)) return 0;
  for (int p = 0; p < PARTS; p++)
    if (committed[p] != end[p]) return 0;
  return 1;
}

/* Worker 2's /healthz, /readyz and /metrics while it runs. */
static void check_probes(void) {
  char cmd[300], out[16384];
  snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%d/healthz http://127.0.0.1:%d/readyz", metrics_port, metrics_port);
  CHECK(sh(cmd, out, sizeof out) == 0 && strstr(out, "ok") && strstr(out, "ready"), "healthz/readyz: %s", out);
  for (int tries = 0; tries < 40; tries++) { /* the lag appears with the next statistics (500 ms) */
    snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%d/metrics", metrics_port);
    if (sh(cmd, out, sizeof out) == 0 && strstr(out, "sic_worker_consumer_lag{topic=\"" TOPIC "\",partition=")) break;
    usleep(250000);
  }
  CHECK(strstr(out, "sic_worker_apps_total{outcome=\"stored\"}") != NULL, "metrics: apps");
  CHECK(strstr(out, "sic_worker_consumer_lag{topic=\"" TOPIC "\",partition=") != NULL, "metrics: lag per partition");
  CHECK(strstr(out, "sic_worker_rebalances_total") && strstr(out, "sic_worker_processing_seconds_count"),
        "metrics: rebalances, processing time");
  const char *reb = strstr(out, "\nsic_worker_rebalances_total ");
  CHECK(reb && atoi(reb + strlen("\nsic_worker_rebalances_total ")) >= 1, "worker 2 saw the rebalances:\n%s", out);
}

/* The API lists the dead letter as failed: GET /v1/failed of `sic serve --store`. */
static void check_api(void) {
  char cmd[1600], out[8192] = "", url[128] = "";
  snprintf(cmd, sizeof cmd, "'%s' serve --logs '%s/logs' --store '%s' --listen 127.0.0.1:0 >'%s/serve.out' 2>&1 & echo $!",
           sic_bin, tmpdir, pg_url, tmpdir);
  CHECK(sh(cmd, out, sizeof out) == 0, "start sic serve");
  pid_t pid = (pid_t)atoi(out);
  for (int i = 0; i < 300 && !url[0]; i++) {
    usleep(100000);
    snprintf(cmd, sizeof cmd, "sed -n 's/.*listening on \\(http:[^ ]*\\).*/\\1/p' '%s/serve.out'", tmpdir);
    sh(cmd, url, sizeof url);
    url[strcspn(url, "\n")] = 0;
  }
  CHECK(url[0] != 0, "sic serve listening");
  snprintf(cmd, sizeof cmd, "curl -fsS '%s/v1/failed'", url);
  CHECK(url[0] && sh(cmd, out, sizeof out) == 0 && strstr(out, "bad-log.zstd") && strstr(out, "\"status\" : \"failed\""),
        "GET /v1/failed lists the dead letter: %s", out);
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
}

static void scenario(void) {
  char cmd[1600];
  snprintf(cmd, sizeof cmd, "mkdir -p %s/logs", tmpdir);
  CHECK(system(cmd) == 0, "mkdir");
  for (int i = 0; i < NGEN; i++) CHECK(make_generated(i) == 0, "sic example %d", i);
  add_real();
  int ngood = nlogs;
  /* planted: named like a zstd log, but it is not one (the loader rejects it) */
  snprintf(uris[nlogs], sizeof uris[0], "%s/logs/bad-log.zstd", tmpdir);
  FILE *bad = fopen(uris[nlogs++], "w");
  CHECK(bad != NULL, "bad log");
  if (bad) {
    fputs("this is not a zstd frame, nor a Spark event log\n", bad);
    fclose(bad);
  }

  char errstr[256];
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
  rd_kafka_mock_cluster_t *mc = host ? rd_kafka_mock_cluster_new(host, 3) : NULL;
  CHECK(mc != NULL, "mock cluster: %s", errstr);
  if (!mc) return;
  snprintf(boot, sizeof boot, "%s", rd_kafka_mock_cluster_bootstraps(mc));
  fprintf(stderr, "mock cluster bootstraps: %s; store %s\n", boot, pg_url);
  rd_kafka_mock_topic_create(mc, TOPIC, PARTS, 1);
  rd_kafka_mock_topic_create(mc, TOPIC ".dead", 1, 1);
  produce_all();

  metrics_port = free_port();
  /* worker 0 dies inside an application, worker 1 after its store write, before the commit */
  workers[0] = spawn_worker(0, "worker.mid_app");
  workers[1] = spawn_worker(1, "worker.before_commit");
  workers[2] = spawn_worker(2, NULL);
  for (int i = 0; i < 2; i++) {
    int st = 0;
    pid_t got = 0;
    for (int s = 0; s < GIVE_UP_S * 10 && got == 0; s++) {
      got = waitpid(workers[i], &st, WNOHANG);
      if (!got) usleep(100000);
    }
    CHECK(got == workers[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "worker %d killed by its crash point", i);
    workers[i] = spawn_worker(i, NULL); /* restarted with the same group.instance.id */
  }
  int done = 0;
  for (int s = 0; s < GIVE_UP_S * 2 && !done; s++) {
    usleep(500000);
    done = finished();
  }
  CHECK(done, "every partition committed to its end within %d s", GIVE_UP_S);
  check_probes();
  for (int i = 0; i < WORKERS; i++) kill(workers[i], SIGTERM);
  for (int i = 0; i < WORKERS; i++) {
    int st = 0;
    CHECK(waitpid(workers[i], &st, 0) == workers[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "worker %d leaves cleanly on SIGTERM (status %d)", i, st);
  }

  const char *out = all_output();
  /* exactly once in the store */
  char got[4096], q[512];
  for (int i = 0; i < ngood; i++) {
    snprintf(q, sizeof q, "SELECT count(*) FROM attempts t JOIN applications a ON a.id = t.application_id "
             "WHERE a.app_id = '%.127s'", app_ids[i]);
    sql(q, got, sizeof got);
    CHECK(!strcmp(got, "1"), "%s stored once (attempt rows: '%s')", app_ids[i], got);
  }
  sql("SELECT count(*) FROM applications", got, sizeof got);
  CHECK(atoi(got) == ngood, "%d applications in the store (got %s)", ngood, got);
  CHECK(count_lines(out, "stored ") == ngood, "each application stored by exactly one delivery (%d lines)",
        count_lines(out, "stored "));
  CHECK(count_lines(out, "unchanged ") >= 1, "the message stored before the crash was delivered again");
  /* no committed offset skipped */
  int64_t committed[PARTS], end[PARTS];
  CHECK(offsets(committed, end) == 0, "offsets readable");
  int64_t total = 0;
  for (int p = 0; p < PARTS; p++) {
    CHECK(committed[p] == end[p], "partition %d committed %lld of %lld", p, (long long)committed[p], (long long)end[p]);
    total += end[p];
  }
  CHECK(total == nlogs, "%d notifications in the topic (got %lld)", nlogs, (long long)total);
  CHECK(all_handled(out, committed), "every committed offset was handled");
  /* the dead-letter topic holds exactly the bad log */
  char value[1024] = "", reason[600] = "";
  int ndead = dead_letters(value, sizeof value, reason, sizeof reason);
  CHECK(ndead == 1, "one dead letter (got %d)", ndead);
  CHECK(strstr(value, "bad-log.zstd") != NULL, "the dead letter is the bad log: %s", value);
  CHECK(reason[0] != 0, "the dead letter says why");
  CHECK(count_lines(out, "retry ") >= 3, "the bad log was tried --max-attempts times");
  /* and the store lists it as failed */
  snprintf(cmd, sizeof cmd, "'%s' history --failed --store '%s' --format json", sic_bin, pg_url);
  char failed[8192] = "";
  CHECK(sh(cmd, failed, sizeof failed) == 0, "sic history --failed");
  CHECK(strstr(failed, "bad-log.zstd") && strstr(failed, "\"failed\""), "history lists the dead letter: %s", failed);
  snprintf(cmd, sizeof cmd, "'%s' history --failed --store '%s'", sic_bin, pg_url);
  CHECK(sh(cmd, failed, sizeof failed) == 0 && strstr(failed, "bad-log.zstd"), "history text lists it: %s", failed);
  check_api();
  if (check_failures) fprintf(stderr, "--- worker output ---\n%s", out);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
}

int main(void) {
  const char *bin = getenv("SIC_BUILD_DIR");
  if (!getenv("SIC_SOURCE_DIR") || !bin) {
    fprintf(stderr, "run through ctest (SIC_SOURCE_DIR, SIC_BUILD_DIR)\n");
    return 77;
  }
  snprintf(sic_bin, sizeof sic_bin, "%s/sic", bin);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic-fleet-test-XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  chmod(tmpdir, 0755);
  if (start_pg()) {
    CHECK(0, "could not start PostgreSQL with spec/support/pg.sh");
    return CHECK_RESULT();
  }
  scenario();
  stop_pg();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return CHECK_RESULT();
}
