/* Event handlers for the application, its environment and its executors: LogStart,
 * ApplicationStart/End, EnvironmentUpdate, ResourceProfileAdded, ExecutorAdded/Removed,
 * BlockManagerAdded/Removed, exclusion (blacklisting) events, MiscellaneousProcessAdded,
 * BlockUpdated and UnpersistRDD. Each handler reads the members of its event in any order,
 * ignores members it does not know (forward compatibility) and returns -1 only when the
 * JSON itself is broken. */
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)
#define DONE(s) return (s)->err ? -1 : 0

/* ---- application ---- */

int sic_ev_log_start(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Spark Version")) sic_rd_sid(b, s, &b->app->spark_version);
    else sic_json_skip(s);
  }
  DONE(s);
}

int sic_ev_app_start(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_app *a = b->app;
  sic_jstr k;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "App Name")) sic_rd_sid(b, s, &a->name);
    else if (SIC_KEY(&k, "App ID")) sic_rd_sid(b, s, &a->app_id);
    else if (SIC_KEY(&k, "Timestamp")) { sic_rd_i64(b, s, &a->start_time); sic_note_time(b, a->start_time); }
    else if (SIC_KEY(&k, "User")) sic_rd_sid(b, s, &a->user);
    else if (SIC_KEY(&k, "App Attempt ID")) sic_rd_sid(b, s, &a->attempt_id);
    else if (SIC_KEY(&k, "Driver Logs")) sic_rd_kvs(b, s, &a->driver_logs);
    else if (SIC_KEY(&k, "Driver Attributes")) sic_rd_kvs(b, s, &a->driver_attributes);
    else sic_json_skip(s);
  }
  DONE(s);
}

int sic_ev_app_end(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Timestamp")) { sic_rd_i64(b, s, &b->app->end_time); sic_note_time(b, b->app->end_time); }
    else sic_json_skip(s);
  }
  b->app->complete = 1;
  DONE(s);
}

int sic_ev_env(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_app *a = b->app;
  sic_jstr k;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "JVM Information")) sic_rd_kvs(b, s, &a->env_jvm);
    else if (SIC_KEY(&k, "Spark Properties")) sic_rd_kvs(b, s, &a->env_spark);
    else if (SIC_KEY(&k, "Hadoop Properties")) sic_rd_kvs(b, s, &a->env_hadoop);
    else if (SIC_KEY(&k, "System Properties")) sic_rd_kvs(b, s, &a->env_system);
    else if (SIC_KEY(&k, "Metrics Properties")) sic_rd_kvs(b, s, &a->env_metrics);
    else if (SIC_KEY(&k, "Classpath Entries")) sic_rd_kvs(b, s, &a->env_classpath);
    else sic_json_skip(s);
  }
  DONE(s);
}

/* "Executor Resource Requests"/"Task Resource Requests": {name: {...}} */
static void resource_requests(sic_builder *b, sic_jscan *s, int is_task, int32_t *n) {
  sic_app *a = b->app;
  sic_jiter it, in;
  sic_jstr k, kk;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_GROW(b, a->resource_requests, b->cap_requests, a->nresource_requests) < 0) { sic_json_skip(s); continue; }
    sic_resource_request *rq = &a->resource_requests[a->nresource_requests];
    memset(rq, 0, sizeof *rq);
    rq->name = sic_intern_jstr(b, &k);
    rq->discovery_script = rq->vendor = -1;
    rq->is_task = is_task;
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); continue; }
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &kk) {
      if (SIC_KEY(&kk, "Resource Name")) sic_rd_sid(b, s, &rq->name);
      else if (SIC_KEY(&kk, "Amount")) sic_rd_f64(b, s, &rq->amount);
      else if (SIC_KEY(&kk, "Discovery Script")) sic_rd_sid(b, s, &rq->discovery_script);
      else if (SIC_KEY(&kk, "Vendor")) sic_rd_sid(b, s, &rq->vendor);
      else sic_json_skip(s);
    }
    a->nresource_requests++;
    (*n)++;
  }
}

int sic_ev_resource_profile(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_app *a = b->app;
  sic_jstr k;
  int32_t id = 0, n = 0, off = (int32_t)a->nresource_requests;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Resource Profile Id")) sic_rd_i32(b, s, &id);
    else if (SIC_KEY(&k, "Executor Resource Requests")) resource_requests(b, s, 0, &n);
    else if (SIC_KEY(&k, "Task Resource Requests")) resource_requests(b, s, 1, &n);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  if (SIC_GROW(b, a->profiles, b->cap_profiles, a->nprofiles) < 0) return 0;
  a->profiles[a->nprofiles++] = (sic_resource_profile){.id = id, .requests = {off, n}};
  return 0;
}

/* ---- executors ---- */

/* "Resources": {"gpu": {"name": "gpu", "addresses": ["0", "1"]}} -> kvs gpu -> "0,1" */
static void executor_resources(sic_builder *b, sic_jscan *s, sic_range *out) {
  sic_jiter it, in, arr;
  sic_jstr k, kk, v;
  out->off = (int32_t)b->app->nkvs;
  out->n = 0;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    sic_sid name = sic_intern_jstr(b, &k);
    char buf[1024];
    size_t len = 0;
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); continue; }
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &kk) {
      if (!SIC_KEY(&kk, "addresses") || sic_json_peek(s) != SIC_JT_ARRAY) { sic_json_skip(s); continue; }
      sic_json_arr_begin(s, &arr);
      while (sic_json_arr_next(s, &arr) > 0) {
        if (sic_json_peek(s) != SIC_JT_STRING) { sic_json_skip(s); continue; }
        if (sic_json_str(s, &v) < 0) break;
        if (len + v.len + 2 >= sizeof buf) continue;
        if (len) buf[len++] = ',';
        len += sic_json_unescape(&v, buf + len);
      }
    }
    if (sic_push_kv(b, name, sic_intern(b, buf, len)) >= 0) out->n++;
  }
}

static void executor_info(sic_builder *b, sic_jscan *s, sic_executor *e) {
  sic_jiter it;
  sic_jstr k;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "Host")) sic_rd_sid(b, s, &e->host);
    else if (SIC_KEY(&k, "Total Cores")) sic_rd_i32(b, s, &e->total_cores);
    else if (SIC_KEY(&k, "Log Urls")) sic_rd_kvs(b, s, &e->log_urls);
    else if (SIC_KEY(&k, "Attributes")) sic_rd_kvs(b, s, &e->attributes);
    else if (SIC_KEY(&k, "Resources")) executor_resources(b, s, &e->resources);
    else if (SIC_KEY(&k, "Resource Profile Id")) sic_rd_i32(b, s, &e->resource_profile_id);
    else sic_json_skip(s);
  }
}

/* Executor events name the executor in one member and describe it in others that may come
 * first; the executor is parsed into a local copy and merged at the end. */
int sic_ev_executor_added(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_sid id = -1;
  int64_t ts = -1;
  sic_executor e;
  memset(&e, 0, sizeof e);
  e.host = -1;
  e.total_cores = 0;
  int have_info = 0;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &id);
    else if (SIC_KEY(&k, "Timestamp")) sic_rd_i64(b, s, &ts);
    else if (SIC_KEY(&k, "Executor Info")) { executor_info(b, s, &e); have_info = 1; }
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = sic_exec_row(b, id, 1);
  if (r < 0) return 0;
  sic_executor *x = &b->app->executors[r];
  x->add_time = ts;
  sic_note_time(b, ts);
  if (have_info) {
    if (e.host >= 0) sic_exec_set_host(b, r, e.host);
    x->total_cores = e.total_cores;
    x->log_urls = e.log_urls;
    x->attributes = e.attributes;
    x->resources = e.resources;
    x->resource_profile_id = e.resource_profile_id;
  }
  return 0;
}

int sic_ev_executor_removed(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_sid id = -1, reason = -1;
  int64_t ts = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &id);
    else if (SIC_KEY(&k, "Timestamp")) sic_rd_i64(b, s, &ts);
    else if (SIC_KEY(&k, "Removed Reason")) sic_rd_sid(b, s, &reason);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = sic_exec_row(b, id, 1);
  if (r < 0) return 0;
  b->app->executors[r].remove_time = ts;
  b->app->executors[r].remove_reason = reason;
  sic_note_time(b, ts);
  return 0;
}

/* "Block Manager ID": {"Executor ID", "Host", "Port"} */
static void block_manager_id(sic_builder *b, sic_jscan *s, sic_sid *id, sic_sid *host, int32_t *port) {
  sic_jiter it;
  sic_jstr k;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, id);
    else if (SIC_KEY(&k, "Host")) sic_rd_sid(b, s, host);
    else if (SIC_KEY(&k, "Port")) sic_rd_i32(b, s, port);
    else sic_json_skip(s);
  }
}

int sic_ev_bm_added(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_sid id = -1, host = -1;
  int32_t port = -1;
  int64_t mem = -1, on = -1, off = -1, ts = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Block Manager ID")) block_manager_id(b, s, &id, &host, &port);
    else if (SIC_KEY(&k, "Maximum Memory")) sic_rd_i64(b, s, &mem);
    else if (SIC_KEY(&k, "Maximum Onheap Memory")) sic_rd_i64(b, s, &on);
    else if (SIC_KEY(&k, "Maximum Offheap Memory")) sic_rd_i64(b, s, &off);
    else if (SIC_KEY(&k, "Timestamp")) sic_rd_i64(b, s, &ts);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = sic_exec_row(b, id, 1);
  if (r < 0) return 0;
  sic_executor *x = &b->app->executors[r];
  if (x->host < 0 && host >= 0) sic_exec_set_host(b, r, host);
  x->port = port;
  x->max_memory = mem;
  x->max_onheap = on;
  x->max_offheap = off;
  x->bm_add_time = ts;
  sic_note_time(b, ts);
  return 0;
}

int sic_ev_bm_removed(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  sic_sid id = -1, host = -1;
  int32_t port = -1;
  int64_t ts = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "Block Manager ID")) block_manager_id(b, s, &id, &host, &port);
    else if (SIC_KEY(&k, "Timestamp")) sic_rd_i64(b, s, &ts);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  int32_t r = sic_exec_row(b, id, 1);
  if (r >= 0) b->app->executors[r].bm_remove_time = ts;
  sic_note_time(b, ts);
  return 0;
}

/* Exclusion events (Blacklisted before Spark 3.1, Excluded after). Fields: time, executorId
 * or hostId, stageId/stageAttemptId for the ForStage variants. */
typedef struct excl_event {
  int64_t time;                /* "time" */
  sic_sid executor;            /* "executorId", -1 */
  sic_sid host;                /* "hostId", -1 */
  int32_t stage_id;            /* "stageId", -1 */
  int32_t stage_attempt;       /* "stageAttemptId" */
} excl_event;

static int read_excl(sic_builder *b, sic_jscan *s, sic_jiter *it, excl_event *e) {
  sic_jstr k;
  *e = (excl_event){-1, -1, -1, -1, 0};
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "time")) sic_rd_i64(b, s, &e->time);
    else if (SIC_KEY(&k, "executorId")) sic_rd_sid(b, s, &e->executor);
    else if (SIC_KEY(&k, "hostId")) sic_rd_sid(b, s, &e->host);
    else if (SIC_KEY(&k, "stageId")) sic_rd_i32(b, s, &e->stage_id);
    else if (SIC_KEY(&k, "stageAttemptId")) sic_rd_i32(b, s, &e->stage_attempt);
    else sic_json_skip(s);
  }
  sic_note_time(b, e->time);
  return s->err ? -1 : 0;
}

/* Apply an exclusion to one executor row, as the History Server's listener does: an
 * application-wide exclusion reaches only executors alive at that point of the log, and the
 * node-level form (node=1) never the driver. */
static void exclude_exec(sic_builder *b, int32_t r, const excl_event *e, int excluded, int node) {
  sic_executor *x = &b->app->executors[r];
  if (node && x->is_driver) return;
  if (e->stage_id >= 0) {
    sic_pair_push(b, &b->excl, &b->nexcl, &b->cap_excl, (sic_pair){r, e->stage_id, 0});
    int32_t st = sic_stage_row(b, e->stage_id, e->stage_attempt, 1);
    if (st >= 0) b->app->stages[st].excluded_execs++;
    return;
  }
  if (x->remove_time >= 0 || (x->add_time < 0 && x->bm_add_time < 0)) return; /* not a live executor */
  x->excluded = excluded;
  if (excluded) x->excluded_time = e->time;
}

static int excl_common(sic_builder *b, sic_jscan *s, sic_jiter *it, int excluded) {
  excl_event e;
  if (read_excl(b, s, it, &e) < 0) return -1;
  if (e.executor >= 0) {
    int32_t r = sic_exec_row(b, e.executor, 1);
    if (r >= 0) exclude_exec(b, r, &e, excluded, 0);
  }
  if (e.host >= 0) { /* node-level: every executor on that host */
    for (int64_t i = 0; i < b->app->nexecutors; i++)
      if (b->app->executors[i].host == e.host) exclude_exec(b, (int32_t)i, &e, excluded, 1);
  }
  return 0;
}

int sic_ev_excluded(sic_builder *b, sic_jscan *s, sic_jiter *it) { return excl_common(b, s, it, 1); }
int sic_ev_unexcluded(sic_builder *b, sic_jscan *s, sic_jiter *it) { return excl_common(b, s, it, 0); }

int sic_ev_misc_added(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_app *a = b->app;
  sic_jstr k, kk;
  sic_jiter in;
  sic_misc_process m = {.id = -1, .host_port = -1, .active = 1, .add_time = -1};
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "time") || SIC_KEY(&k, "Timestamp")) sic_rd_i64(b, s, &m.add_time);
    else if (SIC_KEY(&k, "processId")) sic_rd_sid(b, s, &m.id);
    else if (SIC_KEY(&k, "info") && sic_json_peek(s) == SIC_JT_OBJECT) {
      sic_json_obj_begin(s, &in);
      FOR_MEMBERS(s, &in, &kk) {
        if (SIC_KEY(&kk, "hostPort")) sic_rd_sid(b, s, &m.host_port);
        else if (SIC_KEY(&kk, "cores")) sic_rd_i32(b, s, &m.total_cores);
        else if (SIC_KEY(&kk, "logUrlInfo")) sic_rd_kvs(b, s, &m.log_urls);
        else sic_json_skip(s);
      }
    } else sic_json_skip(s);
  }
  if (s->err) return -1;
  sic_note_time(b, m.add_time);
  if (SIC_GROW(b, a->misc, b->cap_misc, a->nmisc) == 0) a->misc[a->nmisc++] = m;
  return 0;
}

int sic_ev_block_updated(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_app *a = b->app;
  sic_jstr k, kk;
  sic_jiter in;
  sic_sid exec = -1, host = -1;
  int32_t port = -1, fl[5] = {0, 0, 0, 0, 1};
  sic_block_update u = {.executor = -1, .block_id = -1, .storage_level = -1};
  FOR_MEMBERS(s, it, &k) {
    if (!SIC_KEY(&k, "Block Updated Info") || sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); continue; }
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &kk) {
      if (SIC_KEY(&kk, "Block Manager ID")) block_manager_id(b, s, &exec, &host, &port);
      else if (SIC_KEY(&kk, "Block ID")) sic_rd_sid(b, s, &u.block_id);
      else if (SIC_KEY(&kk, "Storage Level")) u.storage_level = sic_storage_level(b, s, fl);
      else if (SIC_KEY(&kk, "Memory Size")) sic_rd_i64(b, s, &u.memory_size);
      else if (SIC_KEY(&kk, "Disk Size")) sic_rd_i64(b, s, &u.disk_size);
      else sic_json_skip(s);
    }
  }
  if (s->err) return -1;
  u.executor = sic_exec_row(b, exec, 1);
  u.use_disk = fl[0];
  u.use_memory = fl[1];
  u.deserialized = fl[3];
  u.replication = fl[4];
  if (SIC_GROW(b, a->block_updates, b->cap_block_updates, a->nblock_updates) == 0)
    a->block_updates[a->nblock_updates++] = u;
  return 0;
}

int sic_ev_unpersist(sic_builder *b, sic_jscan *s, sic_jiter *it) {
  sic_jstr k;
  int32_t id = -1;
  FOR_MEMBERS(s, it, &k) {
    if (SIC_KEY(&k, "RDD ID")) sic_rd_i32(b, s, &id);
    else sic_json_skip(s);
  }
  for (int64_t i = 0; i < b->app->nrdds; i++)
    if (b->app->rdds[i].rdd_id == id) b->app->rdds[i].unpersisted = 1;
  DONE(s);
}
