/* Example generator: writing events (one JSON line each) with the field names, order and
 * shapes of Spark 3.5's JsonProtocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_internal.h"

#define MB (1024LL * 1024LL)
/* Storage memory of an 8g executor: (heap - 300 MB reserved) * spark.memory.fraction 0.6. */
#define EXEC_MAX_MEMORY ((int64_t)((8192 - 300) * MB * 0.6))
#define DRIVER_MAX_MEMORY ((int64_t)((4096 - 300) * MB * 0.6))

int gen_write_line(gen_app *g) {
  int rc = sic_jw_status(&g->w);
  if (rc == 0) rc = g->sink(g->sink_ctx, g->w.buf, g->w.len);
  if (rc == 0) {
    g->stats.events++;
    g->stats.bytes += (int64_t)g->w.len + 1;
  }
  sic_jw_reset(&g->w);
  if (rc && !g->status) g->status = rc;
  return rc;
}

/* ---- executor lifecycle, queued until its time comes ---- */

void gen_queue(gen_app *g, int64_t time, int kind, int exec) {
  int i = g->npending;
  if (i >= (int)(sizeof g->pending / sizeof g->pending[0])) return;
  while (i > 0 && g->pending[i - 1].time > time) {
    g->pending[i] = g->pending[i - 1];
    i--;
  }
  g->pending[i] = (gen_pending){time, kind, exec};
  g->npending++;
}

static void block_manager_id(sic_jw *w, const char *id, const char *host, int port) {
  sic_jw_kobj(w, "Block Manager ID");
  sic_jw_kstr(w, "Executor ID", id);
  sic_jw_kstr(w, "Host", host);
  sic_jw_kint(w, "Port", port);
  sic_jw_end(w);
}

static void executor_added(gen_app *g, const gen_exec *e) {
  char url[256], container[96];
  sic_jw *w = &g->w;
  snprintf(container, sizeof container, "container_%s_01_%06d", g->app_id + 12, e->container);
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerExecutorAdded");
  sic_jw_kint(w, "Timestamp", e->add_time);
  sic_jw_kstr(w, "Executor ID", e->id);
  sic_jw_kobj(w, "Executor Info");
  sic_jw_kstr(w, "Host", e->host);
  sic_jw_kint(w, "Total Cores", e->cores);
  sic_jw_kobj(w, "Log Urls");
  snprintf(url, sizeof url, "http://%s:8042/node/containerlogs/%s/etl/stdout?start=-4096", e->host, container);
  sic_jw_kstr(w, "stdout", url);
  snprintf(url, sizeof url, "http://%s:8042/node/containerlogs/%s/etl/stderr?start=-4096", e->host, container);
  sic_jw_kstr(w, "stderr", url);
  sic_jw_end(w);
  sic_jw_kobj(w, "Attributes");
  snprintf(url, sizeof url, "%s:8042", e->host);
  sic_jw_kstr(w, "NM_HTTP_ADDRESS", url);
  sic_jw_kstr(w, "USER", "etl");
  sic_jw_kstr(w, "LOG_FILES", "stderr,stdout");
  sic_jw_kstr(w, "NM_HTTP_PORT", "8042");
  sic_jw_kstr(w, "CLUSTER_ID", "");
  sic_jw_kstr(w, "NM_PORT", "8041");
  sic_jw_kstr(w, "HTTP_SCHEME", "http://");
  sic_jw_kstr(w, "NM_HOST", e->host);
  sic_jw_kstr(w, "CONTAINER_ID", container);
  sic_jw_end(w);
  sic_jw_kobj(w, "Resources");
  sic_jw_end(w);
  sic_jw_kint(w, "Resource Profile Id", 0);
  sic_jw_kint(w, "Registration Time", e->add_time);
  sic_jw_kint(w, "Request Time", e->add_time - 2600 - e->container * 37 % 900);
  sic_jw_end(w);
  sic_jw_end(w);
}

static void pending_event(gen_app *g, const gen_pending *p) {
  const gen_exec *e = &g->execs[p->exec];
  sic_jw *w = &g->w;
  if (p->kind == 0) {
    executor_added(g, e);
    return;
  }
  sic_jw_obj(w);
  if (p->kind == 1) {
    sic_jw_kstr(w, "Event", "SparkListenerBlockManagerAdded");
    block_manager_id(w, e->id, e->host, e->port);
    sic_jw_kint(w, "Maximum Memory", EXEC_MAX_MEMORY);
    sic_jw_kint(w, "Timestamp", p->time);
    sic_jw_kint(w, "Maximum Onheap Memory", EXEC_MAX_MEMORY);
    sic_jw_kint(w, "Maximum Offheap Memory", 0);
  } else if (p->kind == 2) {
    sic_jw_kstr(w, "Event", "SparkListenerExecutorRemoved");
    sic_jw_kint(w, "Timestamp", p->time);
    sic_jw_kstr(w, "Executor ID", e->id);
    sic_jw_kstr(w, "Removed Reason", e->remove_reason);
  } else {
    sic_jw_kstr(w, "Event", "SparkListenerBlockManagerRemoved");
    block_manager_id(w, e->id, e->host, e->port);
    sic_jw_kint(w, "Timestamp", p->time);
  }
  sic_jw_end(w);
}

int gen_flush_pending(gen_app *g, int64_t until) {
  int done = 0, rc = 0;
  while (done < g->npending && g->pending[done].time <= until) {
    pending_event(g, &g->pending[done]);
    if ((rc = gen_write_line(g)) != 0) break;
    done++;
  }
  memmove(g->pending, g->pending + done, (size_t)(g->npending - done) * sizeof g->pending[0]);
  g->npending -= done;
  return rc;
}

/* ---- application start ---- */

static void resource_request(sic_jw *w, const char *name, double amount, int executor_side) {
  sic_jw_kobj(w, name);
  sic_jw_kstr(w, "Resource Name", name);
  if (executor_side) {
    sic_jw_kint(w, "Amount", (int64_t)amount);
    sic_jw_kstr(w, "Discovery Script", "");
    sic_jw_kstr(w, "Vendor", "");
  } else {
    sic_jw_kdouble(w, "Amount", amount);
  }
  sic_jw_end(w);
}

static void kv_object(sic_jw *w, const char *key, const char *const *kv) {
  sic_jw_kobj(w, key);
  for (int i = 0; kv[i]; i += 2) sic_jw_kstr(w, kv[i], kv[i + 1]);
  sic_jw_end(w);
}

static void environment(gen_app *g) {
  char start[24], submit[24], compress_codec[8];
  snprintf(start, sizeof start, "%lld", (long long)g->t0);
  snprintf(submit, sizeof submit, "%lld", (long long)(g->t0 - 1840));
  snprintf(compress_codec, sizeof compress_codec, "%s", g->opts.zstd ? "zstd" : "lz4");
  const char *jvm[] = {"Java Home", "/usr/lib/jvm/java-17-amazon-corretto.x86_64", "Java Version",
                       "17.0.12 (Amazon.com Inc.)", "Scala Version", "version 2.12.18", NULL};
  const char *spark[] = {
      "spark.app.id", g->app_id, "spark.app.name", "nightly_orders_etl", "spark.app.startTime", start,
      "spark.app.submitTime", submit, "spark.master", "yarn", "spark.submit.deployMode", "client",
      "spark.driver.host", "ip-10-0-0-12.ec2.internal", "spark.driver.port", "39147", "spark.driver.memory", "4g",
      "spark.executor.id", "driver", "spark.executor.memory", "8g", "spark.executor.cores", "4",
      "spark.executor.memoryOverhead", "2g", "spark.dynamicAllocation.enabled", "true",
      "spark.dynamicAllocation.minExecutors", "2", "spark.dynamicAllocation.maxExecutors", "12",
      "spark.dynamicAllocation.initialExecutors", "2", "spark.dynamicAllocation.executorIdleTimeout", "60s",
      "spark.shuffle.service.enabled", "true", "spark.sql.adaptive.enabled", "true",
      "spark.sql.adaptive.coalescePartitions.enabled", "true", "spark.sql.adaptive.skewJoin.enabled", "true",
      "spark.sql.shuffle.partitions", "200", "spark.sql.ansi.enabled", "true",
      "spark.sql.sources.partitionOverwriteMode", "dynamic", "spark.serializer",
      "org.apache.spark.serializer.KryoSerializer", "spark.sql.catalogImplementation", "hive",
      "spark.sql.warehouse.dir", "s3a://acme-lake/warehouse", "spark.hadoop.fs.s3a.impl",
      "org.apache.hadoop.fs.s3a.S3AFileSystem", "spark.eventLog.enabled", "true", "spark.eventLog.dir",
      "hdfs:///var/log/spark/apps", "spark.eventLog.compress", g->opts.zstd ? "true" : "false",
      "spark.eventLog.compression.codec", compress_codec, "spark.yarn.queue", "etl", "spark.scheduler.mode",
      "FIFO", "spark.task.maxFailures", "4", "spark.rdd.compress", "true", "spark.jars",
      "s3a://acme-artifacts/etl/nightly-orders-etl-2.7.1.jar", NULL};
  const char *hadoop[] = {"fs.s3a.connection.maximum", "200", "fs.s3a.fast.upload", "true",
                          "fs.defaultFS", "hdfs://ip-10-0-0-10.ec2.internal:8020",
                          "mapreduce.fileoutputcommitter.algorithm.version", "2",
                          "yarn.resourcemanager.address", "ip-10-0-0-10.ec2.internal:8032", NULL};
  const char *system[] = {"java.io.tmpdir", "/tmp", "line.separator", "\n", "file.encoding", "UTF-8",
                          "java.vm.name", "OpenJDK 64-Bit Server VM", "java.version", "17.0.12",
                          "os.name", "Linux", "os.arch", "amd64", "os.version", "6.1.112-124.190.amzn2023.x86_64",
                          "user.name", "etl", "user.timezone", "UTC", "sun.java.command",
                          "org.apache.spark.deploy.SparkSubmit --class com.acme.etl.NightlyOrders "
                          "s3a://acme-artifacts/etl/nightly-orders-etl-2.7.1.jar --date 2024-11-24",
                          NULL};
  const char *metrics[] = {"*.sink.servlet.class", "org.apache.spark.metrics.sink.MetricsServlet",
                           "*.sink.servlet.path", "/metrics/json", NULL};
  const char *classpath[] = {"/usr/lib/spark/jars/spark-core_2.12-3.5.1.jar", "System Classpath",
                             "/usr/lib/spark/jars/spark-sql_2.12-3.5.1.jar", "System Classpath",
                             "/usr/lib/spark/jars/hadoop-aws-3.3.6.jar", "System Classpath",
                             "/usr/lib/spark/conf/", "System Classpath", NULL};
  sic_jw *w = &g->w;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerEnvironmentUpdate");
  kv_object(w, "JVM Information", jvm);
  kv_object(w, "Spark Properties", spark);
  kv_object(w, "Hadoop Properties", hadoop);
  kv_object(w, "System Properties", system);
  kv_object(w, "Metrics Properties", metrics);
  kv_object(w, "Classpath Entries", classpath);
  sic_jw_end(w);
}

int gen_emit_preamble(gen_app *g) {
  sic_jw *w = &g->w;
  int rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerLogStart");
  sic_jw_kstr(w, "Spark Version", "3.5.1");
  sic_jw_end(w);
  if ((rc = gen_write_line(g)) != 0) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerResourceProfileAdded");
  sic_jw_kint(w, "Resource Profile Id", 0);
  sic_jw_kobj(w, "Executor Resource Requests");
  resource_request(w, "cores", 4, 1);
  resource_request(w, "memory", 8192, 1);
  resource_request(w, "memoryOverhead", 2048, 1);
  resource_request(w, "offHeap", 0, 1);
  sic_jw_end(w);
  sic_jw_kobj(w, "Task Resource Requests");
  resource_request(w, "cpus", 1.0, 0);
  sic_jw_end(w);
  sic_jw_end(w);
  if ((rc = gen_write_line(g)) != 0) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerBlockManagerAdded");
  block_manager_id(w, "driver", "ip-10-0-0-12.ec2.internal", 40213);
  sic_jw_kint(w, "Maximum Memory", DRIVER_MAX_MEMORY);
  sic_jw_kint(w, "Timestamp", g->t0 + 2140);
  sic_jw_kint(w, "Maximum Onheap Memory", DRIVER_MAX_MEMORY);
  sic_jw_kint(w, "Maximum Offheap Memory", 0);
  sic_jw_end(w);
  if ((rc = gen_write_line(g)) != 0) return rc;
  environment(g);
  if ((rc = gen_write_line(g)) != 0) return rc;
  sic_jw_obj(w);
  sic_jw_kstr(w, "Event", "SparkListenerApplicationStart");
  sic_jw_kstr(w, "App Name", "nightly_orders_etl");
  sic_jw_kstr(w, "App ID", g->app_id);
  sic_jw_kint(w, "Timestamp", g->t0);
  sic_jw_kstr(w, "User", "etl");
  sic_jw_end(w);
  g->stats.start_time = g->t0;
  return gen_write_line(g);
}

int gen_emit_app_end(gen_app *g, int64_t time) {
  int rc = gen_flush_pending(g, time);
  if (rc) return rc;
  sic_jw_obj(&g->w);
  sic_jw_kstr(&g->w, "Event", "SparkListenerApplicationEnd");
  sic_jw_kint(&g->w, "Timestamp", time);
  sic_jw_end(&g->w);
  g->stats.end_time = time;
  return gen_write_line(g);
}
