/* sic watch SOURCE... --publish kafka://BROKERS/TOPIC : the front of the fleet. Polls History
 * Servers, buckets or directories (any PATH or URI sic reads, listed by sources/) and
 * publishes one notification per new or grown log, keyed by application, for `sic worker`s.
 *
 * Each SOURCE has a watermark in the store ("watch:" + the source without credentials): the
 * newest modification time published. A poll publishes every log modified after it (a grown
 * log has a newer mtime), waits for the broker to acknowledge every message, and only then
 * moves the watermark: a crash re-publishes, never skips (the workers' store makes a repeat
 * harmless).
 *
 * --listen HOST:PORT serves /healthz, /readyz and /metrics (engine/fleet/probe_http.c) for
 * Kubernetes probes and Prometheus. It runs as a single replica: two watchers would publish every
 * log twice (harmless, but double the work) and move one watermark in turn. */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "eventlog/eventlog.h"
#include "fleet/probe_http.h"
#include "json/write.h"
#include "sources/source.h"
#include "store/store.h"

#define FLUSH_MS 30000 /* how long one poll's messages may take to be acknowledged */

static volatile sig_atomic_t watch_stop; /* SIGTERM/SIGINT: stop after the current poll */

static void on_signal(int sig) {
  (void)sig;
  watch_stop = 1;
}

/* The publishing side of one `sic watch`. */
typedef struct watcher {
  rd_kafka_t *producer;     /* idempotent producer */
  char topic[256];          /* where notifications go */
  sic_store *store;         /* watermarks */
  int failed_deliveries;    /* delivery reports with an error in this poll */
  long published;           /* notifications acknowledged, all polls (read by the probe thread) */
  long polls;               /* source polls done (read by the probe thread) */
  long failed_polls;        /* of which failed: the watermark stayed (read by the probe thread) */
  int64_t last_ok_ms;       /* wall time of the last poll that succeeded, 0 = none yet (probe thread) */
  int ready;                /* 1 between opening the store and producer and stopping (probe thread) */
} watcher;

static int watch_ready(void *ctx) { return __atomic_load_n(&((watcher *)ctx)->ready, __ATOMIC_RELAXED) == 1; }

/* Prometheus text of the watcher's counters. */
static char *watch_metrics(void *ctx) {
  watcher *w = ctx;
  char *text = NULL;
  if (asprintf(&text,
               "# HELP sic_watch_polls_total Polls of one source.\n# TYPE sic_watch_polls_total counter\n"
               "sic_watch_polls_total %ld\n"
               "# HELP sic_watch_poll_failures_total Polls that failed (listing, publishing or the watermark); "
               "their logs are published again.\n# TYPE sic_watch_poll_failures_total counter\n"
               "sic_watch_poll_failures_total %ld\n"
               "# HELP sic_watch_published_total Notifications the broker acknowledged.\n"
               "# TYPE sic_watch_published_total counter\nsic_watch_published_total %ld\n"
               "# HELP sic_watch_last_success_timestamp_seconds When a poll last succeeded (0: not yet).\n"
               "# TYPE sic_watch_last_success_timestamp_seconds gauge\nsic_watch_last_success_timestamp_seconds %.3f\n",
               __atomic_load_n(&w->polls, __ATOMIC_RELAXED), __atomic_load_n(&w->failed_polls, __ATOMIC_RELAXED),
               __atomic_load_n(&w->published, __ATOMIC_RELAXED),
               (double)__atomic_load_n(&w->last_ok_ms, __ATOMIC_RELAXED) / 1000.0) < 0)
    return NULL;
  return text;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  watcher *w = opaque;
  if (m->err) {
    w->failed_deliveries++;
    fprintf(stderr, "sic watch: a notification was not delivered: %s\n", rd_kafka_err2str(m->err));
  }
}

/* kafka://brokers/topic[?rdkafka.K=V&...] -> a producer. */
static int open_producer(watcher *w, const char *uri, sic_err *err) {
  if (strncasecmp(uri, "kafka://", 8)) return sic_err_set(err, SIC_EINVAL, "--publish %s: expected kafka://BROKERS/TOPIC", uri);
  const char *p = uri + 8;
  size_t bl = strcspn(p, "/?");
  const char *t = p + bl + 1;
  size_t tl = p[bl] == '/' ? strcspn(t, "?") : 0;
  if (!bl || !tl || tl >= sizeof w->topic) return sic_err_set(err, SIC_EINVAL, "--publish %s: expected kafka://BROKERS/TOPIC", uri);
  snprintf(w->topic, sizeof w->topic, "%.*s", (int)tl, t);
  char errstr[256], brokers[1024], query[2048];
  snprintf(brokers, sizeof brokers, "%.*s", (int)bl, p);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int bad = rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
            rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr);
  snprintf(query, sizeof query, "%s", t[tl] == '?' ? t + tl + 1 : "");
  for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv && !bad; kv = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(kv, '=');
    if (eq && !strncmp(kv, "group=", 6)) continue; /* the workers' URI may be reused as is */
    if (!eq || strncmp(kv, "rdkafka.", 8)) {
      rd_kafka_conf_destroy(conf);
      return sic_err_set(err, SIC_EINVAL, "--publish: unknown parameter '%.*s' (rdkafka.* only)", eq ? (int)(eq - kv) : (int)strlen(kv), kv);
    }
    *eq = 0;
    bad = rd_kafka_conf_set(conf, kv + 8, eq + 1, errstr, sizeof errstr) != RD_KAFKA_CONF_OK;
  }
  if (bad) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EINVAL, "--publish: %s", errstr);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_opaque(conf, w);
  w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!w->producer) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EIO, "--publish: %s", errstr);
  }
  return 0;
}

static int publish(watcher *w, const sic_logset *set) {
  sic_jw j;
  sic_jw_init(&j, 0);
  sic_jw_obj(&j);
  sic_jw_kstr(&j, "uri", set->path);
  sic_jw_kstr(&j, "app_id", set->name);
  sic_jw_kint(&j, "size", set->total_size);
  sic_jw_kint(&j, "mtime_ms", set->mtime_ms);
  sic_jw_kbool(&j, "in_progress", set->in_progress);
  sic_jw_end(&j);
  int rc = sic_jw_status(&j) ? -1 : 0;
  if (!rc) {
    rd_kafka_resp_err_t e = rd_kafka_producev(w->producer, RD_KAFKA_V_TOPIC(w->topic),
                                              RD_KAFKA_V_KEY(set->name, strlen(set->name)),
                                              RD_KAFKA_V_VALUE(j.buf, strlen(j.buf)),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e) {
      fprintf(stderr, "sic watch: %s: %s\n", set->path, rd_kafka_err2str(e));
      rc = -1;
    }
  }
  sic_jw_free(&j);
  return rc;
}

/* One poll of one source; 0, or -1 when something failed (the watermark then stays). */
static int poll_source(watcher *w, const char *source) {
  sic_err err = {0};
  char *shown = sic_uri_display(source);
  char key[1200];
  snprintf(key, sizeof key, "watch:%s", shown ? shown : source);
  free(shown);
  int64_t mark = 0;
  int have = sic_store_watermark_get(w->store, key, &mark, &err);
  sic_logsets sets = {0};
  if (have < 0 || sic_logset_scan(source, &sets, &err)) {
    fprintf(stderr, "sic watch: %s\n", err.msg);
    sic_logsets_free(&sets);
    return -1;
  }
  int64_t newest = have ? mark : 0;
  int n = 0, rc = 0;
  w->failed_deliveries = 0;
  for (size_t i = 0; i < sets.n; i++) {
    const sic_logset *s = &sets.items[i];
    if (have && s->mtime_ms <= mark) continue;
    if (publish(w, s)) rc = -1;
    else n++;
    if (s->mtime_ms > newest) newest = s->mtime_ms;
  }
  if (n && rd_kafka_flush(w->producer, FLUSH_MS)) {
    fprintf(stderr, "sic watch: %s: the broker did not acknowledge every notification in %d s\n", source, FLUSH_MS / 1000);
    rc = -1;
  }
  if (w->failed_deliveries) rc = -1;
  if (!rc && (!have || newest != mark) && sic_store_watermark_set(w->store, key, newest, &err)) {
    fprintf(stderr, "sic watch: %s\n", err.msg);
    rc = -1;
  }
  if (!rc) __atomic_add_fetch(&w->published, n, __ATOMIC_RELAXED);
  __atomic_add_fetch(&w->polls, 1, __ATOMIC_RELAXED);
  if (rc) {
    __atomic_add_fetch(&w->failed_polls, 1, __ATOMIC_RELAXED);
  } else {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    __atomic_store_n(&w->last_ok_ms, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, __ATOMIC_RELAXED);
  }
  printf("%s: %d published (%zu logs listed)%s\n", source, rc ? 0 : n, sets.n, rc ? ", failed: will be published again" : "");
  sic_logsets_free(&sets);
  return rc;
}

int sic_cmd_watch(int argc, char **argv) {
  const char *publish_uri = NULL, *store = NULL, *listen = NULL;
  int64_t interval = 30, polls = 0;
  const sic_opt opts[] = {
    {.name = "publish", .kind = SIC_OPT_STRING, .dest = &publish_uri, .metavar = "URI",
     .help = "kafka://BROKERS/TOPIC[?rdkafka.K=V...] where the notifications go (required; a group= is ignored)"},
    {.name = "store", .kind = SIC_OPT_STRING, .dest = &store, .metavar = "URL",
     .help = "store keeping each source's watermark (default $SIC_STORE)"},
    {.name = "interval", .kind = SIC_OPT_INT, .dest = &interval, .metavar = "SECONDS", .min = 0, .max = 86400,
     .help = "seconds between polls (default 30)"},
    {.name = "polls", .kind = SIC_OPT_INT, .dest = &polls, .metavar = "N", .min = 0, .max = INT32_MAX,
     .help = "stop after N polls (default: until SIGTERM)"},
    {.name = "listen", .kind = SIC_OPT_STRING, .dest = &listen, .metavar = "HOST:PORT",
     .help = "serve /healthz, /readyz and /metrics here (default: none)"},
  };
  const sic_cmd_spec spec = {
    "watch", "SOURCE... --publish kafka://BROKERS/TOPIC [--store URL] [--interval S] [--polls N] [--listen HOST:PORT]",
    "Poll History Servers, buckets or directories (any PATH or URI: see docs/sources.md) and publish one\n"
    "notification {\"uri\",\"app_id\",\"size\",\"mtime_ms\",\"in_progress\"} per new or grown log, keyed by\n"
    "application, for `sic worker`. Each source's watermark lives in the store and moves only after the\n"
    "broker acknowledged the poll's notifications (a crash publishes again, never skips).",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT), 1, -1};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0;
  if (!pos) return SIC_EXIT_INPUT;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) {
    free(pos);
    return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  }
  if (!publish_uri) {
    sic_args_usage_error(&spec, "--publish kafka://BROKERS/TOPIC is required");
    free(pos);
    return SIC_EXIT_USAGE;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  watcher w;
  memset(&w, 0, sizeof w);
  sic_err err = {0};
  if (open_producer(&w, publish_uri, &err) || sic_store_open(store, &w.store, &err)) {
    fprintf(stderr, "sic watch: %s\n", err.msg);
    if (w.producer) rd_kafka_destroy(w.producer);
    free(pos);
    return SIC_EXIT_INPUT;
  }
  sic_probe_http *http = NULL;
  int port = 0;
  sic_probe_handlers handlers = {watch_ready, watch_metrics, &w};
  if (listen && sic_probe_http_serve(listen, &handlers, &http, &port, &err)) {
    fprintf(stderr, "sic watch: %s\n", err.msg);
    rd_kafka_destroy(w.producer);
    sic_store_close(w.store);
    free(pos);
    return SIC_EXIT_USAGE;
  }
  if (http) fprintf(stderr, "sic watch: /metrics /healthz /readyz on port %d\n", port);
  __atomic_store_n(&w.ready, 1, __ATOMIC_RELAXED);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  int failed = 0;
  for (long poll = 0; !watch_stop; poll++) {
    failed = 0;
    for (int i = 0; i < npos && !watch_stop; i++) failed |= poll_source(&w, pos[i]) != 0;
    if (polls > 0 && poll + 1 >= polls) break;
    for (double slept = 0; slept < (double)interval && !watch_stop; slept += 0.1) {
      struct timespec ts = {0, 100000000L};
      nanosleep(&ts, NULL);
    }
  }
  __atomic_store_n(&w.ready, 0, __ATOMIC_RELAXED);
  rd_kafka_flush(w.producer, FLUSH_MS);
  sic_probe_http_stop(http);
  rd_kafka_destroy(w.producer);
  sic_store_close(w.store);
  fprintf(stderr, "%ld notifications published\n", w.published);
  free(pos);
  return failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}
