/* sic worker: per-notification processing, retries and the dead-letter topic (see worker.h). */
#include "fleet/worker.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crashpoint.h"
#include "fleet/dlq.h"
#include "lua/rules_mount.h"
#include "eventlog/eventlog.h"
#include "lua/lua_host.h"
#include "model/model.h"
#include "sources/kafka.h"
#include "sources/source.h"
#include "store/notes.h"
#include "store/store.h"

#define DLQ_FLUSH_MS 15000 /* how long producing a dead letter may take before the worker gives up */

/* State of one running worker. */
typedef struct worker {
  const sic_worker_cfg *cfg;       /* borrowed */
  sic_store *store;                /* open store */
  rd_kafka_t *producer;            /* dead-letter producer, created on first use */
  char brokers[1024];              /* bootstrap servers */
  char topic[256];                 /* consumed topic */
  char dead_topic[256];            /* dead-letter topic */
  sic_jobkey_rules rules;          /* default job key normalisation */
  int analysis_warned;             /* the "analysis failed" warning was printed */
  sic_rules_watch rules_dir;       /* --scripts: validated snapshot, reloaded when the dir changes */
  int have_rules;                  /* rules_dir is in use */
} worker;

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define BUMP(field, v) __atomic_add_fetch(&(field), (v), __ATOMIC_RELAXED)

/* ---- one log ---- */

static int checksum_of(const sic_logset *set, char checksum[65], int64_t *size, sic_err *err) {
  int remote = sic_source_version_key(set, checksum, size); /* remote: decided without downloading */
  if (remote < 0) return sic_err_set(err, remote, "out of memory");
  if (remote) return 0;
  const char **paths = calloc(set->nparts + 1, sizeof *paths);
  if (!paths) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (size_t i = 0; i < set->nparts; i++) paths[i] = set->parts[i].path;
  int rc = sic_store_checksum_files(paths, set->nparts, checksum, size, err);
  free(paths);
  return rc;
}

/* Findings of the analysis graph; a failing analysis stores the run without findings, as
 * `sic ingest` does. */
static void analyze_app(worker *w, const sic_app *app, const char *uri, sic_store_findings *out) {
  sic_lua_opts lo = {0};
  const char *dirs[1] = {w->rules_dir.active};
  if (w->have_rules && w->rules_dir.active[0]) {
    lo.script_dirs = dirs;
    lo.nscript_dirs = 1;
  }
  char *json = NULL;
  sic_err err = {0};
  memset(out, 0, sizeof *out);
  int rc = sic_lua_analyze(app, &lo, &json, NULL, &err);
  if (!rc) rc = sic_store_findings_from_json(json, strlen(json), out, &err);
  free(json);
  if (rc && !w->analysis_warned) {
    fprintf(stderr, "sic worker: %s: analysis failed, storing without findings (first failure only): %.*s\n", uri,
            (int)strcspn(err.msg, "\n"), err.msg);
    w->analysis_warned = 1;
  }
}

/* Store one logical log; *status receives "stored", "unchanged", "replaced" or "kept". */
static int ingest_set(worker *w, const sic_logset *set, const char *uri, const char **status, char *app_id,
                      size_t nid, sic_err *err) {
  sic_ingest_result res;
  memset(&res, 0, sizeof res);
  int64_t size = 0;
  int rc = checksum_of(set, res.checksum, &size, err);
  if (!rc && (rc = sic_store_find_checksum(w->store, res.checksum, &res.attempt_key, err)) == 1) {
    *status = "unchanged"; /* a redelivery: nothing to load */
    return 0;
  }
  if (rc) return rc;
  sic_app *app = NULL;
  sic_store_findings findings = {0};
  rc = sic_app_load(set, NULL, &app, err);
  if (!rc && w->cfg->analyze) analyze_app(w, app, uri, &findings);
  if (!rc) {
    snprintf(app_id, nid, "%s", sic_str(app, app->app_id) ? sic_str(app, app->app_id) : "");
    sic_crashpoint("worker.mid_app"); /* loaded and analysed, nothing stored */
    sic_ingest_opts o;
    sic_ingest_opts_init(&o);
    o.jobkey_rules = &w->rules;
    o.findings = findings.items;
    o.nfindings = findings.n;
    o.checksum = res.checksum;
    o.source_path = uri;
    o.source_size = size;
    rc = sic_store_ingest(w->store, app, &o, &res, err);
  }
  if (!rc)
    *status = res.status == SIC_STORE_REPLACED    ? "replaced"
              : res.status == SIC_STORE_UNCHANGED ? "unchanged"
              : res.status == SIC_STORE_KEPT      ? "kept"
                                                  : "stored";
  sic_store_findings_free(&findings);
  sic_app_free(app);
  return rc;
}

/* Every logical log the notification names (normally one). */
static int ingest_uri(worker *w, const char *uri, const char **status, char *app_id, size_t nid, sic_err *err) {
  sic_logsets sets = {0};
  int rc = sic_logset_scan(uri, &sets, err);
  if (!rc && !sets.n) rc = sic_err_set(err, SIC_ENOTFOUND, "%s: no Spark event logs found", uri);
  if (!rc && sets.unreadable) rc = sic_err_set(err, SIC_EIO, "%s: unreadable: %.300s", uri, sets.unreadable);
  for (size_t i = 0; !rc && i < sets.n; i++) rc = ingest_set(w, &sets.items[i], uri, status, app_id, nid, err);
  sic_logsets_free(&sets);
  return rc;
}

/* ---- dead letters ---- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  *(rd_kafka_resp_err_t *)m->_private = m->err; /* the produce call's result slot */
}

static int producer_of(worker *w, sic_err *err) {
  if (w->producer) return 0;
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", w->brokers, errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr)) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EINVAL, "dead-letter producer: %s", errstr);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!w->producer) {
    rd_kafka_conf_destroy(conf);
    return sic_err_set(err, SIC_EIO, "dead-letter producer: %s", errstr);
  }
  return 0;
}

/* Produce the original message to the dead-letter topic with why it was given up and wait for
 * the broker's acknowledgement. */
static int produce_dead_letter(worker *w, const sic_kafka_note *n, int attempts, const char *reason, sic_err *err) {
  int rc = producer_of(w, err);
  if (rc) return rc;
  char attempts_s[16], part_s[16], off_s[32];
  snprintf(attempts_s, sizeof attempts_s, "%d", attempts);
  snprintf(part_s, sizeof part_s, "%d", (int)n->partition);
  snprintf(off_s, sizeof off_s, "%lld", (long long)n->offset);
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  rd_kafka_resp_err_t e = rd_kafka_producev(
    w->producer, RD_KAFKA_V_TOPIC(w->dead_topic), RD_KAFKA_V_KEY((void *)n->key, n->keylen),
    RD_KAFKA_V_VALUE((void *)n->payload, n->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
    RD_KAFKA_V_HEADER("sic-reason", reason, -1), RD_KAFKA_V_HEADER("sic-attempts", attempts_s, -1),
    RD_KAFKA_V_HEADER("sic-topic", n->topic, -1), RD_KAFKA_V_HEADER("sic-partition", part_s, -1),
    RD_KAFKA_V_HEADER("sic-offset", off_s, -1), RD_KAFKA_V_OPAQUE(&result), RD_KAFKA_V_END);
  if (!e) {
    rd_kafka_flush(w->producer, DLQ_FLUSH_MS);
    e = result == RD_KAFKA_RESP_ERR__IN_PROGRESS ? RD_KAFKA_RESP_ERR__TIMED_OUT : result;
  }
  if (e) return sic_err_set(err, SIC_EIO, "producing to the dead-letter topic %s failed: %s", w->dead_topic,
                            rd_kafka_err2str(e));
  return 0;
}

/* Park a message given up on: exactly one dead letter per message, also across crashes.
 *
 * The store row of the message goes to 'parking' (committed) before the produce and to 'dead'
 * after the broker acknowledged it; the offset is committed only after that. A worker that
 * stops in between leaves 'parking', and the message is redelivered:
 *  - stopped before the produce: the topic does not hold it;
 *  - stopped after the produce, before 'dead': the topic holds it (this is how a crash used to
 *    park a message twice: the redelivery produced it again).
 * The next worker finds 'parking' (recovering = 1) and asks the broker, which alone knows:
 * it reads the dead-letter topic for the message's sic-topic/-partition/-offset headers
 * (fleet/dlq.c), produces only when they are not there, then records 'dead'. If the topic
 * cannot be read to its end it fails and the message is redelivered later: never a guess.
 * The other orders do not work: recording 'dead' first loses the dead letter on a crash before
 * the produce (the store says parked, the topic never got it), and the idempotent producer
 * deduplicates only within one producer session, not across a restart. *produced says whether
 * this call wrote the dead letter. */
static int dead_letter(worker *w, const sic_kafka_note *n, int attempts, const char *app_id, const char *reason,
                       int recovering, int *produced, sic_err *err) {
  sic_note_id id = {n->topic, n->partition, n->offset, n->uri};
  const char *app = app_id[0] ? app_id : NULL;
  int rc, found = 0;
  *produced = 0;
  if (recovering)
    rc = sic_dlq_contains(w->brokers, w->dead_topic, n->topic, n->partition, n->offset, &found, err);
  else
    rc = sic_store_note_parking(w->store, &id, app, reason, w->dead_topic, err);
  if (rc) return rc;
  if (!found) {
    sic_crashpoint("worker.dead_letter_parking"); /* 'parking' recorded, nothing produced */
    if ((rc = produce_dead_letter(w, n, attempts, reason, err))) return rc;
    *produced = 1;
    sic_crashpoint("worker.dead_letter_produced"); /* in the topic, not recorded as 'dead' */
  }
  return sic_store_note_dead(w->store, &id, app, reason, w->dead_topic, err);
}

/* ---- the handler ---- */

/* A ConfigMap swap (or an edit) of --scripts takes effect at the next application; a broken
 * update is reported once and the previous rules stay active. */
static void poll_rules(worker *w) {
  if (!w->have_rules) return;
  int r = sic_rules_watch_poll(&w->rules_dir);
  if (r > 0) fprintf(stderr, "sic worker: rules reloaded from %s (version %d)\n", w->rules_dir.src, w->rules_dir.version);
  else if (r < 0)
    fprintf(stderr, "sic worker: rules in %s rejected, the previous ones stay active: %s\n", w->rules_dir.src,
            w->rules_dir.last_error);
  if (r) __atomic_store_n(&w->cfg->metrics->rule_reloads, w->rules_dir.reloads, __ATOMIC_RELAXED);
  if (r) __atomic_store_n(&w->cfg->metrics->rule_rejects, w->rules_dir.rejected, __ATOMIC_RELAXED);
}

static void observe(worker *w, int64_t t0_us, const sic_kafka_note *n) {
  sic_worker_metrics *m = w->cfg->metrics;
  int64_t us = mono_us() - t0_us;
  double s = (double)us / 1e6;
  int b = 0;
  while (b < SIC_WORKER_LAT_BUCKETS - 1 && s > sic_worker_lat_bounds_s[b]) b++;
  BUMP(m->lat_bucket[b], 1);
  BUMP(m->lat_sum_us, us);
  if (n->timestamp_ms > 0) {
    BUMP(m->e2e_sum_ms, wall_ms() - n->timestamp_ms);
    BUMP(m->e2e_count, 1);
  }
}

static void line(const sic_kafka_note *n, const char *status, const char *app_id, int attempt, int64_t t0_us,
                 const char *why) {
  int64_t e2e = n->timestamp_ms > 0 ? wall_ms() - n->timestamp_ms : -1;
  printf("%s %s/%d@%lld %s app=%s attempt=%d ms=%lld e2e_ms=%lld at=%lld%s%.*s\n", status, n->topic,
         (int)n->partition, (long long)n->offset, n->uri, app_id[0] ? app_id : "-", attempt,
         (long long)((mono_us() - t0_us) / 1000), (long long)e2e, (long long)wall_ms(), why ? " reason=" : "",
         why ? (int)strcspn(why, "\n") : 0, why ? why : "");
  fflush(stdout);
}

/* Park the message and say so: "dead", or "dead-recovered" when a stopped worker had already
 * written its dead letter (counted here: the worker that wrote it died before counting). */
static int finish_dead_letter(worker *w, const sic_kafka_note *n, int attempts, const char *app_id,
                              const char *reason, int recovering, int64_t t0, sic_err *err) {
  int produced = 0;
  int rc = dead_letter(w, n, attempts, app_id, reason, recovering, &produced, err);
  if (rc) return rc;
  BUMP(w->cfg->metrics->dead, 1);
  line(n, produced ? "dead" : "dead-recovered", app_id, attempts, t0, reason);
  return 0;
}

static int on_note(void *ctx, const sic_kafka_note *n, sic_err *err) {
  worker *w = ctx;
  sic_worker_metrics *m = w->cfg->metrics;
  sic_note_id id = {n->topic, n->partition, n->offset, n->uri};
  int64_t t0 = mono_us();
  char app_id[256] = "";
  char reason[512] = "";
  int attempts = 0;
  BUMP(m->messages, 1);
  __atomic_store_n(&m->busy, 1, __ATOMIC_RELAXED);
  poll_rules(w);
  int rc = 0;
  for (;;) {
    int dead = 0;
    rc = sic_store_note_attempt(w->store, &id, &attempts, &dead, err);
    if (rc) break; /* the store is unusable: stop without committing */
    if (dead == SIC_NOTE_DEAD) { /* parked before, its commit lost: commit past it now */
      line(n, "dead-already", app_id, attempts, t0, NULL);
      __atomic_store_n(&m->busy, 0, __ATOMIC_RELAXED);
      return 0;
    }
    if (dead == SIC_NOTE_PARKING) { /* its worker stopped while parking it: finish that */
      rc = sic_store_note_parked(w->store, &id, reason, sizeof reason, app_id, sizeof app_id, err);
      if (rc >= 0) rc = finish_dead_letter(w, n, attempts, app_id, reason, 1, t0, err);
      observe(w, t0, n);
      __atomic_store_n(&m->busy, 0, __ATOMIC_RELAXED);
      return rc;
    }
    if (attempts > w->cfg->max_attempts) {
      /* earlier attempts never reported back: they took their worker down */
      if (!reason[0]) snprintf(reason, sizeof reason, "gave up after %d attempts that did not finish (the worker "
                                                      "died during each)", attempts - 1);
      break;
    }
    const char *status = NULL;
    sic_err e = {0};
    int r = ingest_uri(w, n->uri, &status, app_id, sizeof app_id, &e);
    if (!r) {
      rc = sic_store_note_done(w->store, &id, err);
      if (rc) break;
      BUMP(*(strcmp(status, "unchanged") ? &m->stored : &m->unchanged), 1);
      observe(w, t0, n);
      line(n, status, app_id, attempts, t0, NULL);
      sic_crashpoint("worker.before_commit"); /* stored, offset not committed */
      __atomic_store_n(&m->busy, 0, __ATOMIC_RELAXED);
      return 0;
    }
    BUMP(m->failures, 1);
    snprintf(reason, sizeof reason, "%s", e.msg);
    line(n, "retry", app_id, attempts, t0, reason);
    if (attempts >= w->cfg->max_attempts) break;
    if (w->cfg->stop && *w->cfg->stop) {
      rc = sic_err_set(err, SIC_EIO, "stopping: %s left for the next consumer", n->uri);
      break;
    }
    struct timespec ts = {0, 200000000L * attempts}; /* a short pause: transient causes may clear */
    nanosleep(&ts, NULL);
  }
  if (!rc) rc = finish_dead_letter(w, n, attempts, app_id, reason, 0, t0, err);
  observe(w, t0, n);
  __atomic_store_n(&m->busy, 0, __ATOMIC_RELAXED);
  return rc;
}

static void on_bad(void *ctx, const char *where, const char *why) {
  worker *w = ctx;
  BUMP(w->cfg->metrics->failures, 1);
  printf("bad %s reason=not a log notification (%s); committed past\n", where, why);
  fflush(stdout);
}

static void on_stats(void *ctx, const char *json, size_t len) {
  worker *w = ctx;
  sic_worker_stats_parse(w->cfg->metrics, json, len);
}

int sic_worker_run(const sic_worker_cfg *cfg, sic_err *err) {
  worker w;
  memset(&w, 0, sizeof w);
  w.cfg = cfg;
  char consumer_uri[8192];
  int rc = sic_worker_parse_uri(cfg->uri, cfg->instance_id, consumer_uri, sizeof consumer_uri, w.brokers,
                                sizeof w.brokers, w.topic, sizeof w.topic, w.dead_topic, sizeof w.dead_topic, err);
  if (rc) return rc;
  snprintf(cfg->metrics->topic, sizeof cfg->metrics->topic, "%.127s", w.topic);
  if (cfg->nscript_dirs > 0) {
    rc = sic_rules_watch_init(&w.rules_dir, cfg->script_dirs[0], err);
    if (rc) return rc;
    w.have_rules = 1;
  }
  rc = sic_store_open(cfg->store_url, &w.store, err);
  if (rc) {
    if (w.have_rules) sic_rules_watch_free(&w.rules_dir);
    return rc;
  }
  __atomic_store_n(&cfg->metrics->ready, 1, __ATOMIC_RELAXED);
  sic_kafka_handler h = {.on_bad = on_bad, .ctx = &w, .stop = cfg->stop, .on_note = on_note, .on_stats = on_stats};
  sic_kafka_stats st;
  rc = sic_kafka_consume(consumer_uri, &h, &st, err);
  __atomic_store_n(&cfg->metrics->ready, 0, __ATOMIC_RELAXED);
  if (w.producer) {
    rd_kafka_flush(w.producer, DLQ_FLUSH_MS);
    rd_kafka_destroy(w.producer);
  }
  sic_store_close(w.store);
  if (w.have_rules) sic_rules_watch_free(&w.rules_dir);
  return rc;
}
