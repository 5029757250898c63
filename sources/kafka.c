/* kafka:// notification consumer (see kafka.h). */
#include "sources/kafka_internal.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/scan.h"
#include "sources/source.h"

#define COMMIT_TRIES 5 /* synchronous commits attempted per message before giving up */
#define JOIN_TIMEOUT_MS 60000 /* how long joining the group and getting partitions may take */

typedef struct kafka_cfg {
  char brokers[1024];   /* bootstrap.servers */
  char topic[256];      /* the one topic */
  char group[256];      /* group.id */
  int idle_s;           /* stop after this long without a message (0: never) */
  int events;           /* 1: event-line mode, 0: notifications */
  int app_idle_s;       /* events mode: snapshot an application silent this long */
  int64_t max;          /* stop after this many messages (0: no limit) */
  int join_s;           /* fail when no partition is assigned after this long (0: never) */
} kafka_cfg;

int sic_kafka_is_uri(const char *uri) { return uri && !strncasecmp(uri, "kafka://", 8); }

/* Percent-decode in place (query values). */
static void pct_decode(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (*p == '%' && p[1] && p[2]) {
      char hex[3] = {p[1], p[2], 0};
      *o++ = (char)strtol(hex, NULL, 16);
      p += 2;
    } else {
      *o++ = *p == '+' ? ' ' : *p;
    }
  }
  *o = 0;
}

/* Parse the URI into cfg and the rdkafka.* properties into conf. */
static int parse_uri(const char *uri, kafka_cfg *cfg, rd_kafka_conf_t *conf, const char *shown, sic_err *err) {
  memset(cfg, 0, sizeof *cfg);
  cfg->idle_s = 5;
  cfg->app_idle_s = 300;
  cfg->join_s = JOIN_TIMEOUT_MS / 1000;
  const char *p = uri + 8;
  size_t bl = strcspn(p, "/?");
  if (!bl || bl >= sizeof cfg->brokers) return sic_err_set(err, SIC_EINVAL, "%s: no broker (kafka://HOST:PORT/TOPIC?group=NAME)", shown);
  memcpy(cfg->brokers, p, bl);
  p += bl;
  if (*p != '/' || !p[1] || p[1] == '?') return sic_err_set(err, SIC_EINVAL, "%s: no topic (kafka://HOST:PORT/TOPIC?group=NAME)", shown);
  p++;
  size_t tl = strcspn(p, "?");
  if (tl >= sizeof cfg->topic) return sic_err_set(err, SIC_EINVAL, "%s: topic name too long", shown);
  memcpy(cfg->topic, p, tl);
  p += tl;
  char query[4096] = "";
  if (*p == '?') snprintf(query, sizeof query, "%s", p + 1);
  char errstr[256];
  for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) return sic_err_set(err, SIC_EINVAL, "%s: query parameter without a value", shown);
    *eq = 0;
    char *v = eq + 1;
    pct_decode(v);
    if (!strcmp(kv, "group")) snprintf(cfg->group, sizeof cfg->group, "%s", v);
    else if (!strcmp(kv, "idle")) cfg->idle_s = atoi(v);
    else if (!strcmp(kv, "max")) cfg->max = atoll(v);
    else if (!strcmp(kv, "app_idle")) cfg->app_idle_s = atoi(v);
    else if (!strcmp(kv, "mode")) {
      if (strcmp(v, "events") && strcmp(v, "notify"))
        return sic_err_set(err, SIC_EINVAL, "%s: mode must be notify or events, not '%s'", shown, v);
      cfg->events = !strcmp(v, "events");
    }
    else if (!strcmp(kv, "join")) cfg->join_s = atoi(v);
    else if (!strncmp(kv, "rdkafka.", 8)) {
      if (rd_kafka_conf_set(conf, kv + 8, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return sic_err_set(err, SIC_EINVAL, "%s: %s: %s", shown, kv, errstr); /* names the key, not the value */
    } else {
      return sic_err_set(err, SIC_EINVAL, "%s: unknown parameter '%s' (group, mode, idle, app_idle, max, join, rdkafka.*)", shown, kv);
    }
  }
  if (!cfg->group[0]) return sic_err_set(err, SIC_EINVAL, "%s: a consumer group is required (?group=NAME)", shown);
  return 0;
}

static int set_conf(rd_kafka_conf_t *conf, const char *k, const char *v, sic_err *err) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    return sic_err_set(err, SIC_EINVAL, "kafka: %s: %s", k, errstr);
  return 0;
}

/* The "uri" member of a notification, copied into out; 0, or -1 with *why set. */
static int notification_uri(const char *p, size_t n, char *out, size_t cap, const char **why) {
  sic_jscan j;
  sic_jiter it;
  sic_jstr k, v;
  int r;
  *why = "not a JSON object";
  out[0] = 0;
  sic_json_init(&j, p, n);
  if (sic_json_obj_begin(&j, &it)) return -1;
  while ((r = sic_json_obj_next(&j, &it, &k)) == 1) {
    if (SIC_JSTR_IS(&k, "uri") && sic_json_peek(&j) == SIC_JT_STRING) {
      if (sic_json_str(&j, &v) || v.len + 1 > cap) return -1;
      size_t m = v.escaped ? sic_json_unescape(&v, out) : (memcpy(out, v.p, v.len), v.len);
      out[m] = 0;
    } else if (sic_json_skip(&j)) {
      return -1;
    }
  }
  if (r < 0) return -1;
  *why = "no \"uri\" string member";
  return out[0] ? 0 : -1;
}

/* Errors saying this consumer no longer owns the partition (a rebalance happened meanwhile). */
static int partition_lost(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__STATE || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
         e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
         e == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

/* Store `offset` as the partition's next offset and commit it synchronously, checking the
 * result (retried COMMIT_TRIES times). */
static int commit_at(rd_kafka_t *rk, const rd_kafka_message_t *msg, int64_t offset, sic_kafka_stats *st,
                     const char *shown, sic_err *err) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(msg->rkt), msg->partition)->offset = offset;
  rd_kafka_resp_err_t e = rd_kafka_offsets_store(rk, l);
  if (!e && l->elems[0].err) e = l->elems[0].err;
  for (int i = 0; !e && i < COMMIT_TRIES; i++) {
    l->elems[0].err = RD_KAFKA_RESP_ERR_NO_ERROR; /* the result of the previous try */
    e = rd_kafka_commit(rk, l, 0);
    if (!e && l->elems[0].err) e = l->elems[0].err;
    if (!e || partition_lost(e)) break;
    if (i + 1 < COMMIT_TRIES) {
      e = RD_KAFKA_RESP_ERR_NO_ERROR; /* try again */
      st->commit_retries++;
      struct timespec ts = {0, 100000000L << (i < 3 ? i : 3)};
      nanosleep(&ts, NULL);
    }
  }
  rd_kafka_topic_partition_list_destroy(l);
  if (partition_lost(e)) {
    /* a rebalance gave the partition to another member: it resumes from the last committed
     * offset, so this message is delivered there again (and found already stored) */
    fprintf(stderr, "%s: partition %d was reassigned before offset %lld was committed: its new owner gets the "
            "message again\n", shown, (int)msg->partition, (long long)offset);
    st->lost++;
    return 0;
  }
  if (e) return sic_err_set(err, SIC_EIO, "%s: committing offset %lld of partition %d failed: %s (the message "
                            "will be delivered again; ingesting it again is harmless)", shown,
                            (long long)offset, (int)msg->partition, rd_kafka_err2str(e));
  return 0;
}

static int commit_after(rd_kafka_t *rk, const rd_kafka_message_t *msg, sic_kafka_stats *st, const char *shown,
                        sic_err *err) {
  return commit_at(rk, msg, msg->offset + 1, st, shown, err);
}

/* Events mode: one line, then commit what is safe in its partition (see kafka_events.c). */
static int handle_event(rd_kafka_t *rk, const rd_kafka_message_t *msg, ev_asm *as, int64_t *committed,
                        const sic_kafka_handler *h, sic_kafka_stats *st, const char *where, const char *shown,
                        sic_err *err) {
  const char *why;
  int r = ev_line(as, msg, h, &why, err);
  if (r < 0) return sic_err_wrap(err, "%s: ", where);
  if (why) {
    st->bad++;
    if (h->on_bad) h->on_bad(h->ctx, where, why);
  }
  st->logs += r;
  int64_t safe = ev_safe_offset(as, msg->partition, msg->offset + 1);
  if (safe <= *committed) return 0;
  int rc = commit_at(rk, msg, safe, st, shown, err);
  if (!rc) {
    *committed = safe;
    ev_prune(as, msg->partition, safe);
  }
  return rc;
}

/* Committed offsets of the partitions seen (events mode), by partition number. */
typedef struct part_offsets {
  int64_t off[256];     /* next committed offset, -1 when none yet */
} part_offsets;

static int handle(rd_kafka_t *rk, const rd_kafka_message_t *msg, const kafka_cfg *cfg, ev_asm *as,
                  part_offsets *po, const sic_kafka_handler *h, sic_kafka_stats *st, const char *shown, sic_err *err) {
  char uri[8192], where[512];
  const char *why;
  snprintf(where, sizeof where, "%s partition %d offset %lld", shown, (int)msg->partition, (long long)msg->offset);
  if (cfg->events) {
    if (msg->partition < 0 || msg->partition >= 256)
      return sic_err_set(err, SIC_EUNSUPPORTED, "%s: more than 256 partitions in events mode", where);
    return handle_event(rk, msg, as, &po->off[msg->partition], h, st, where, shown, err);
  }
  if (notification_uri(msg->payload, msg->len, uri, sizeof uri, &why)) {
    st->bad++;
    if (h->on_bad) h->on_bad(h->ctx, where, why);
    return commit_after(rk, msg, st, shown, err); /* can never succeed: do not block the partition */
  }
  int rc;
  if (h->on_note) {
    const char *topic = rd_kafka_topic_name(msg->rkt);
    sic_kafka_note note = {uri, topic, msg->partition, msg->offset,
                           rd_kafka_message_timestamp(msg, NULL), msg->key, msg->key_len, msg->payload, msg->len};
    rc = h->on_note(h->ctx, &note, err);
  } else {
    rc = h->on_log(h->ctx, uri, err);
  }
  if (rc) return sic_err_wrap(err, "%s: ", where);
  st->logs++;
  return commit_after(rk, msg, st, shown, err);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  (void)rk;
  const sic_kafka_handler *h = opaque;
  h->on_stats(h->ctx, json, len);
  return 0; /* librdkafka frees json */
}

int sic_kafka_consume(const char *uri, const sic_kafka_handler *h, sic_kafka_stats *stats, sic_err *err) {
  sic_kafka_stats local;
  sic_kafka_stats *st = stats ? stats : &local;
  memset(st, 0, sizeof *st);
  char *shown = sic_uri_display(uri);
  char errstr[512];
  kafka_cfg cfg;
  ev_asm as = {0}; /* before any goto: done frees it */
  rd_kafka_t *rk = NULL;
  rd_kafka_topic_partition_list_t *subs = NULL;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int rc = !shown || !conf ? sic_err_set(err, SIC_ENOMEM, "out of memory") : parse_uri(uri, &cfg, conf, shown, err);
  if (!rc) rc = set_conf(conf, "bootstrap.servers", cfg.brokers, err);
  if (!rc) rc = set_conf(conf, "group.id", cfg.group, err);
  if (!rc) rc = set_conf(conf, "enable.auto.commit", "false", err);
  if (!rc) rc = set_conf(conf, "enable.auto.offset.store", "false", err);
  if (!rc) rc = set_conf(conf, "auto.offset.reset", "earliest", err);
  if (rc) goto done;
  if (h->on_stats) {
    rd_kafka_conf_set_opaque(conf, (void *)h);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
  }
  rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    rc = sic_err_set(err, SIC_EIO, "%s: cannot create a consumer: %s", shown, errstr);
    goto done;
  }
  conf = NULL; /* owned by rk now */
  rd_kafka_poll_set_consumer(rk);
  subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, cfg.topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, subs);
  if (e) {
    rc = sic_err_set(err, SIC_EIO, "%s: cannot subscribe to %s: %s", shown, cfg.topic, rd_kafka_err2str(e));
    goto done;
  }
  int64_t start = now_ms(), last = start;
  int assigned = 0;
  part_offsets po;
  for (int i = 0; i < 256; i++) po.off[i] = -1;
  if (cfg.events && !h->on_app) {
    rc = sic_err_set(err, SIC_EINVAL, "%s: events mode needs an application handler", shown);
    goto done;
  }
  while (!rc && !(h->stop && *h->stop) && (!cfg.max || st->messages < cfg.max)) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);
    if (!msg && cfg.events && cfg.app_idle_s > 0 && (rc = ev_idle(&as, h, cfg.app_idle_s, err))) break;
    if (!msg) {
      if (!assigned) { /* the idle clock starts once the group gave this consumer partitions */
        rd_kafka_topic_partition_list_t *mine = NULL;
        if (!rd_kafka_assignment(rk, &mine) && mine && mine->cnt > 0) assigned = 1;
        if (mine) rd_kafka_topic_partition_list_destroy(mine);
        if (assigned) last = now_ms();
        else if (cfg.join_s > 0 && now_ms() - start > (int64_t)cfg.join_s * 1000) {
          rc = sic_err_set(err, SIC_EIO, "%s: no partition of %s assigned after %d s (check the brokers, the topic "
                           "and the group)", shown, cfg.topic, cfg.join_s);
        }
        continue;
      }
      if (cfg.idle_s > 0 && now_ms() - last > (int64_t)cfg.idle_s * 1000) break;
      continue;
    }
    assigned = 1;
    if (msg->err) {
      /* transient broker errors are retried by librdkafka; report only fatal ones */
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && rd_kafka_fatal_error(rk, errstr, sizeof errstr))
        rc = sic_err_set(err, SIC_EIO, "%s: %s", shown, errstr);
      rd_kafka_message_destroy(msg);
      continue;
    }
    last = now_ms();
    st->messages++;
    rc = handle(rk, msg, &cfg, &as, &po, h, st, shown, err);
    rd_kafka_message_destroy(msg);
  }
done:
  ev_free(&as); /* applications still being assembled come again after a restart */
  if (subs) rd_kafka_topic_partition_list_destroy(subs);
  if (rk) {
    rd_kafka_consumer_close(rk); /* offsets are committed per message; nothing pending here */
    rd_kafka_destroy(rk);
  }
  if (conf) rd_kafka_conf_destroy(conf);
  free(shown);
  return rc;
}
