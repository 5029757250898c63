/* sic worker: the worker URI, librdkafka statistics (rebalances, lag per partition) and the
 * Prometheus text of /metrics (see worker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleet/worker.h"
#include "json/scan.h"

const double sic_worker_lat_bounds_s[SIC_WORKER_LAT_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1e300};

/* ---- URI ---- */

static int has_param(const char *query, const char *name) {
  size_t n = strlen(name);
  for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
    if (!strncmp(p, name, n) && p[n] == '=') return 1;
  return 0;
}

int sic_worker_parse_uri(const char *uri, const char *instance_id, char *consumer_uri, size_t ncu, char *brokers,
                         size_t nb, char *topic, size_t nt, char *dead_topic, size_t nd, sic_err *err) {
  if (!uri || strncasecmp(uri, "kafka://", 8))
    return sic_err_set(err, SIC_EINVAL, "%s: not a kafka:// URI (kafka://HOST:PORT/TOPIC?group=NAME)", uri ? uri : "");
  const char *p = uri + 8;
  size_t bl = strcspn(p, "/?");
  if (!bl || bl >= nb) return sic_err_set(err, SIC_EINVAL, "worker URI: no broker (kafka://HOST:PORT/TOPIC?group=NAME)");
  memcpy(brokers, p, bl);
  brokers[bl] = 0;
  const char *t = p + bl + (p[bl] == '/');
  size_t tl = strcspn(t, "?");
  if (p[bl] != '/' || !tl || tl >= nt) return sic_err_set(err, SIC_EINVAL, "worker URI: no topic (kafka://HOST:PORT/TOPIC?group=NAME)");
  memcpy(topic, t, tl);
  topic[tl] = 0;
  const char *q = t[tl] == '?' ? t + tl + 1 : "";
  snprintf(dead_topic, nd, "%s.dead", topic);
  /* the consumer URI: everything but dlq=, plus what a long-running group member needs */
  size_t off = (size_t)snprintf(consumer_uri, ncu, "%.*s?", (int)(t + tl - uri), uri);
  char query[4096];
  snprintf(query, sizeof query, "%s", q);
  for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
    if (!strncmp(kv, "dlq=", 4)) {
      if (!kv[4] || strlen(kv + 4) >= nd) return sic_err_set(err, SIC_EINVAL, "worker URI: dlq= needs a topic name");
      snprintf(dead_topic, nd, "%s", kv + 4);
      continue;
    }
    off += (size_t)snprintf(consumer_uri + off, off < ncu ? ncu - off : 0, "%s&", kv);
  }
  if (!has_param(q, "idle")) off += (size_t)snprintf(consumer_uri + off, off < ncu ? ncu - off : 0, "idle=0&");
  if (!has_param(q, "join")) off += (size_t)snprintf(consumer_uri + off, off < ncu ? ncu - off : 0, "join=0&");
  if (!has_param(q, "rdkafka.statistics.interval.ms"))
    off += (size_t)snprintf(consumer_uri + off, off < ncu ? ncu - off : 0, "rdkafka.statistics.interval.ms=2000&");
  if (instance_id && *instance_id && !has_param(q, "rdkafka.group.instance.id"))
    off += (size_t)snprintf(consumer_uri + off, off < ncu ? ncu - off : 0, "rdkafka.group.instance.id=%s&", instance_id);
  if (off >= ncu) return sic_err_set(err, SIC_EINVAL, "worker URI too long");
  consumer_uri[off - 1] = 0; /* the trailing '&' or '?' */
  if (!strcmp(dead_topic, topic)) return sic_err_set(err, SIC_EINVAL, "worker URI: the dead-letter topic is the consumed topic");
  return 0;
}

/* ---- statistics ---- */

/* topics.<t>.partitions.<p>.consumer_lag of the partitions this consumer holds. */
static void parse_partitions(sic_worker_metrics *m, sic_jscan *j, int32_t *part, int64_t *lag, int *n) {
  sic_jiter it, pit;
  sic_jstr k, pk;
  if (sic_json_obj_begin(j, &it)) return;
  while (sic_json_obj_next(j, &it, &k) == 1) {
    int64_t pid = -1, l = -1;
    int desired = 0;
    if (sic_json_parse_i64(k.p, k.len, &pid) || sic_json_peek(j) != SIC_JT_OBJECT || sic_json_obj_begin(j, &pit)) {
      sic_json_skip(j);
      continue;
    }
    while (sic_json_obj_next(j, &pit, &pk) == 1) {
      if (SIC_JSTR_IS(&pk, "consumer_lag")) sic_json_i64(j, &l);
      else if (SIC_JSTR_IS(&pk, "fetch_state") && sic_json_peek(j) == SIC_JT_STRING) {
        sic_jstr v;
        sic_json_str(j, &v);
        desired = !SIC_JSTR_IS(&v, "none") && !SIC_JSTR_IS(&v, "stopped");
      } else sic_json_skip(j);
    }
    if (pid >= 0 && desired && *n < SIC_WORKER_MAX_PARTS) {
      part[*n] = (int32_t)pid;
      lag[(*n)++] = l;
    }
  }
  (void)m;
}

void sic_worker_stats_parse(sic_worker_metrics *m, const char *json, size_t len) {
  sic_jscan j;
  sic_jiter it, tit, tdit;
  sic_jstr k, tk, tdk;
  int32_t part[SIC_WORKER_MAX_PARTS];
  int64_t lag[SIC_WORKER_MAX_PARTS];
  int n = 0, have_topics = 0;
  sic_json_init(&j, json, len);
  if (sic_json_obj_begin(&j, &it)) return;
  while (sic_json_obj_next(&j, &it, &k) == 1) {
    if (SIC_JSTR_IS(&k, "cgrp") && sic_json_peek(&j) == SIC_JT_OBJECT) {
      sic_jiter cit;
      sic_jstr ck;
      sic_json_obj_begin(&j, &cit);
      while (sic_json_obj_next(&j, &cit, &ck) == 1) {
        int64_t v;
        if (SIC_JSTR_IS(&ck, "rebalance_cnt") && !sic_json_i64(&j, &v)) __atomic_store_n(&m->rebalances, v, __ATOMIC_RELAXED);
        else sic_json_skip(&j);
      }
    } else if (SIC_JSTR_IS(&k, "topics") && sic_json_peek(&j) == SIC_JT_OBJECT) {
      have_topics = 1;
      sic_json_obj_begin(&j, &tit);
      while (sic_json_obj_next(&j, &tit, &tk) == 1) {
        if (sic_json_peek(&j) != SIC_JT_OBJECT) {
          sic_json_skip(&j);
          continue;
        }
        sic_json_obj_begin(&j, &tdit);
        while (sic_json_obj_next(&j, &tdit, &tdk) == 1) {
          if (SIC_JSTR_IS(&tdk, "partitions")) parse_partitions(m, &j, part, lag, &n);
          else sic_json_skip(&j);
        }
      }
    } else {
      sic_json_skip(&j);
    }
  }
  if (!have_topics || j.err) return;
  /* one writer (the consuming thread); readers may see a mix of two snapshots: harmless */
  for (int i = 0; i < n; i++) {
    m->part[i] = part[i];
    m->lag[i] = lag[i];
  }
  __atomic_store_n(&m->nparts, n, __ATOMIC_RELEASE);
}

/* ---- /metrics ---- */

/* One unlabelled metric with its HELP and TYPE lines, in Prometheus' text format. */
static void metric(FILE *f, const char *name, const char *type, const char *help, int64_t v) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", name, help, name, type, name, (long long)v);
}

#define SUM(field) do { v = 0; for (int i = 0; i < n; i++) v += __atomic_load_n(&m[i]->field, __ATOMIC_RELAXED); } while (0)

char *sic_worker_metrics_text(sic_worker_metrics *const *m, int n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  int64_t v;
  SUM(messages);
  metric(f, "sic_worker_messages_total", "counter", "Notifications delivered to this worker.", v);
  fprintf(f, "# HELP sic_worker_apps_total Notifications finished, by outcome (stored: written; unchanged: already stored, a redelivery; dead: parked in the dead-letter topic).\n# TYPE sic_worker_apps_total counter\n");
  SUM(stored);
  fprintf(f, "sic_worker_apps_total{outcome=\"stored\"} %lld\n", (long long)v);
  SUM(unchanged);
  fprintf(f, "sic_worker_apps_total{outcome=\"unchanged\"} %lld\n", (long long)v);
  SUM(dead);
  fprintf(f, "sic_worker_apps_total{outcome=\"dead\"} %lld\n", (long long)v);
  SUM(failures);
  metric(f, "sic_worker_failures_total", "counter", "Failed attempts (each retried until --max-attempts).", v);
  SUM(rebalances);
  metric(f, "sic_worker_rebalances_total", "counter", "Consumer-group rebalances seen by this worker's consumers.", v);
  SUM(rule_reloads);
  metric(f, "sic_worker_rule_reloads_total", "counter", "Rule snapshots made active (--scripts, ConfigMap swaps).", v);
  SUM(rule_rejects);
  metric(f, "sic_worker_rule_rejects_total", "counter", "Rule updates rejected; the previous rules stayed active.", v);
  SUM(busy);
  metric(f, "sic_worker_busy", "gauge", "Applications being processed now.", v);
  v = 0;
  for (int i = 0; i < n; i++) v += __atomic_load_n(&m[i]->nparts, __ATOMIC_ACQUIRE);
  metric(f, "sic_worker_assigned_partitions", "gauge", "Partitions the group assigned to this worker's consumers.", v);
  fprintf(f, "# HELP sic_worker_consumer_lag Messages behind the end of each assigned partition (librdkafka statistics).\n# TYPE sic_worker_consumer_lag gauge\n");
  for (int i = 0; i < n; i++) {
    int np = __atomic_load_n(&m[i]->nparts, __ATOMIC_ACQUIRE);
    for (int p = 0; p < np && p < SIC_WORKER_MAX_PARTS; p++)
      if (m[i]->lag[p] >= 0)
        fprintf(f, "sic_worker_consumer_lag{topic=\"%s\",partition=\"%d\"} %lld\n", m[i]->topic, (int)m[i]->part[p],
                (long long)m[i]->lag[p]);
  }
  fprintf(f, "# HELP sic_worker_processing_seconds Time from delivery to commit-ready per notification.\n# TYPE sic_worker_processing_seconds histogram\n");
  int64_t cum = 0;
  for (int b = 0; b < SIC_WORKER_LAT_BUCKETS; b++) {
    SUM(lat_bucket[b]);
    cum += v;
    if (b < SIC_WORKER_LAT_BUCKETS - 1) fprintf(f, "sic_worker_processing_seconds_bucket{le=\"%g\"} %lld\n", sic_worker_lat_bounds_s[b], (long long)cum);
    else fprintf(f, "sic_worker_processing_seconds_bucket{le=\"+Inf\"} %lld\n", (long long)cum);
  }
  SUM(lat_sum_us);
  fprintf(f, "sic_worker_processing_seconds_sum %.6f\nsic_worker_processing_seconds_count %lld\n", (double)v / 1e6, (long long)cum);
  fprintf(f, "# HELP sic_worker_notification_to_stored_seconds_sum Notification timestamp to stored, summed.\n# TYPE sic_worker_notification_to_stored_seconds_sum counter\n");
  SUM(e2e_sum_ms);
  fprintf(f, "sic_worker_notification_to_stored_seconds_sum %.3f\n", (double)v / 1e3);
  SUM(e2e_count);
  fprintf(f, "sic_worker_notification_to_stored_seconds_count %lld\n", (long long)v);
  if (fclose(f)) {
    free(buf);
    return NULL;
  }
  return buf;
}
