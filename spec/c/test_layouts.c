/* Log discovery (sic_logset_scan) on the real data under $SIC_SHARED_DATA/spark-events and
 * on synthesized layouts: rolling (with .compact and in-progress), Databricks, legacy 1.x
 * (with a codec marker), zips (single log, rolling dir inside, several logs), directories
 * of many logs with non-log files, and paths that are not event logs at all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "check.h"
#include "eventlog/eventlog.h"
#include "eventlog/spark_framing_writer.h"

static char events_dir[512]; /* $SIC_SHARED_DATA/spark-events */
static char tmpdir[64];      /* scratch directory for synthesized layouts */

/* Whole decompressed content of a logset. */
typedef struct bytes {
  char *p;      /* owned */
  size_t len;   /* used */
} bytes;

static int read_set(const sic_logset *set, int threads, bytes *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  sic_stream *s = NULL;
  int rc = sic_stream_open(set, threads, &s, err);
  const char *d;
  size_t n, part;
  if (!rc)
    while ((rc = sic_stream_next(s, &d, &n, &part, err)) == 1) {
      out->p = realloc(out->p, out->len + n + 1);
      memcpy(out->p + out->len, d, n);
      out->len += n;
    }
  sic_stream_free(s);
  return rc;
}

/* Decompressed content of one path scanned as its own log. */
static bytes read_path(const char *path) {
  sic_logsets sets;
  sic_err err = {0};
  bytes b = {0};
  int rc = sic_logset_scan(path, &sets, &err);
  CHECK(rc == 0 && sets.n == 1, "scan %s: %s", path, err.msg);
  if (!rc && sets.n == 1) CHECK_EQ_INT(read_set(&sets.items[0], 1, &b, &err), 0);
  if (!rc) sic_logsets_free(&sets);
  return b;
}

static const char *data_path(const char *rel) {
  static char buf[4][1024];
  static int which;
  char *p = buf[which++ % 4];
  snprintf(p, 1024, "%s/%s", events_dir, rel);
  return p;
}

static const char *tmp_path(const char *rel) {
  static char buf[4][512];
  static int which;
  char *p = buf[which++ % 4];
  snprintf(p, 512, "%s/%s", tmpdir, rel);
  return p;
}

static void write_tmp(const char *rel, const void *data, size_t len) {
  FILE *f = fopen(tmp_path(rel), "wb");
  CHECK(f != NULL, "create %s", rel);
  if (!f) return;
  if (len) fwrite(data, 1, len, f);
  fclose(f);
}

static const char *rolling_rel = "spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964";

static void test_rolling_real(void) {
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(data_path(rolling_rel), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_ROLLING);
  CHECK_EQ_STR(s->name, "eventlog_v2_local-1623876083964");
  CHECK_EQ_INT(s->in_progress, 0); /* appstatus_ without .inprogress */
  CHECK_EQ_INT(s->nparts, 2);
  if (s->nparts == 2) {
    CHECK(strstr(s->parts[0].path, "/events_1_local-1623876083964.zstd") != NULL, "%s", s->parts[0].path);
    CHECK(strstr(s->parts[1].path, "/events_2_local-1623876083964.zstd") != NULL, "%s", s->parts[1].path);
    CHECK_EQ_INT(s->parts[0].codec, SIC_CODEC_ZSTD);
    CHECK_EQ_INT(s->parts[1].codec, SIC_CODEC_ZSTD);
    CHECK_EQ_INT(s->total_size, s->parts[0].size + s->parts[1].size);
    /* The log's bytes are the parts' bytes, in order, with 1 and 2 threads. */
    bytes p1 = read_path(s->parts[0].path), p2 = read_path(s->parts[1].path);
    for (int threads = 1; threads <= 2; threads++) {
      bytes all;
      CHECK_EQ_INT(read_set(s, threads, &all, &err), 0);
      CHECK(all.len == p1.len + p2.len && p1.len && !memcmp(all.p, p1.p, p1.len) &&
                !memcmp(all.p + p1.len, p2.p, p2.len),
            "rolling bytes != events_1 + events_2 (threads=%d)", threads);
      free(all.p);
    }
    /* Lines restart numbering per part and carry the part index. */
    sic_lines *l;
    CHECK_EQ_INT(sic_lines_open(s, 2, &l, &err), 0);
    sic_line line;
    size_t per_part[2] = {0, 0};
    int rc;
    while ((rc = sic_lines_next(l, &line, &err)) == 1)
      if (line.part < 2) {
        per_part[line.part]++;
        if (per_part[line.part] == 1) CHECK_EQ_INT(line.lineno, 1);
      }
    CHECK_EQ_INT(rc, 0);
    CHECK(per_part[0] > 0 && per_part[1] > 0, "lines per part %zu/%zu", per_part[0], per_part[1]);
    /* SOURCES.md: the rolling log has 5621 events in total. */
    CHECK_EQ_INT(per_part[0] + per_part[1], 5621);
    sic_lines_free(l);
    free(p1.p);
    free(p2.p);
  }
  sic_logsets_free(&sets);
}

static void test_databricks_real(void) {
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(data_path("spark-rapids-tools/spark-events-qualification/db_sim_eventlog"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_DATABRICKS);
  CHECK_EQ_INT(s->nparts, 2);
  if (s->nparts == 2) {
    CHECK(strstr(s->parts[0].path, "/eventlog-2021-06-15--15-00.gz") != NULL, "%s", s->parts[0].path);
    CHECK(strstr(s->parts[1].path, "/eventlog") && !strstr(s->parts[1].path, "eventlog-"), "%s", s->parts[1].path);
    CHECK_EQ_INT(s->parts[0].codec, SIC_CODEC_GZIP);
    CHECK_EQ_INT(s->parts[1].codec, SIC_CODEC_NONE);
  }
  /* SOURCES.md: the two Databricks parts hold the same bytes as the rolling log's parts. */
  bytes db, roll = read_path(data_path(rolling_rel));
  CHECK_EQ_INT(read_set(s, 2, &db, &err), 0);
  CHECK(db.len == roll.len && db.len && !memcmp(db.p, roll.p, db.len), "databricks bytes != rolling bytes");
  free(db.p);
  free(roll.p);
  sic_logsets_free(&sets);
}

static void test_legacy_real(void) {
  sic_logsets sets;
  sic_err err = {0};
  const char *dir = data_path("spark-extra/legacy-multifile-format/local-1425081759269");
  CHECK_EQ_INT(sic_logset_scan(dir, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_LEGACY);
  CHECK_EQ_STR(s->name, "local-1425081759269");
  CHECK_EQ_INT(s->in_progress, 0); /* APPLICATION_COMPLETE is there */
  CHECK_EQ_INT(s->nparts, 1);
  if (s->nparts == 1) CHECK(strstr(s->parts[0].path, "/EVENT_LOG_1") != NULL);
  /* SOURCES.md: same app as spark/local-1425081759269 (Spark 1.2-era); 88 events there. */
  sic_lines *l;
  CHECK_EQ_INT(sic_lines_open(s, 1, &l, &err), 0);
  sic_line line;
  int n = 0;
  while (sic_lines_next(l, &line, &err) == 1) n++;
  CHECK(n > 0, "legacy log has no lines");
  sic_lines_free(l);
  sic_logsets_free(&sets);
}

static void test_zip_real(void) {
  sic_logsets sets;
  sic_err err = {0};
  const char *zip = data_path("sparklint/history_source/eventLogs-application_1489705648216_1600.zip");
  CHECK_EQ_INT(sic_logset_scan(zip, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_ZIP);
  CHECK_EQ_STR(s->path, zip);
  CHECK_EQ_STR(s->name, "application_1489705648216_1600");
  CHECK_EQ_INT(s->nparts, 1);
  if (s->nparts == 1) {
    CHECK_EQ_STR(s->parts[0].zip_member, "application_1489705648216_1600");
    CHECK_EQ_INT(s->parts[0].size, 177329); /* `unzip -l` */
  }
  /* Streamed bytes equal the member read directly with libzip. */
  int zerr;
  zip_t *z = zip_open(zip, ZIP_RDONLY, &zerr);
  CHECK(z != NULL);
  if (z) {
    zip_file_t *f = zip_fopen(z, "application_1489705648216_1600", 0);
    char *want = malloc(200000);
    zip_int64_t n = f ? zip_fread(f, want, 200000) : -1;
    bytes got;
    CHECK_EQ_INT(read_set(s, 2, &got, &err), 0);
    CHECK(n == 177329 && got.len == (size_t)n && !memcmp(got.p, want, got.len), "zip member bytes");
    free(got.p);
    free(want);
    if (f) zip_fclose(f);
    zip_discard(z);
  }
  sic_logsets_free(&sets);
}

/* SOURCES.md lists 106 files under spark-events/; the rolling dir (3 files), the Databricks
 * dir (2) and the legacy dir (3) are one log each, and the driver log and the sparklens
 * output are not event logs: 106 - 2 - 1 - 2 - 2 = 99 logs, 2 skipped. */
static void test_whole_tree(void) {
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(events_dir, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 99);
  CHECK_EQ_INT(sets.nskipped, 2);
  size_t layouts[5] = {0};
  for (size_t i = 0; i < sets.n; i++) {
    sic_logset *s = &sets.items[i];
    layouts[s->layout]++;
    if (i) CHECK(strcmp(sets.items[i - 1].path, s->path) < 0, "not sorted at %s", s->path);
    CHECK(!strstr(s->path, "driverlog") && !strstr(s->path, ".sparklens.json"), "non-log listed: %s", s->path);
    /* Every log reads to the end as lines without error. */
    sic_lines *l;
    int rc = sic_lines_open(s, (int)(i % 2) + 1, &l, &err);
    sic_line line;
    size_t n = 0;
    if (!rc) {
      while ((rc = sic_lines_next(l, &line, &err)) == 1) n++;
      sic_lines_free(l);
    }
    CHECK(rc == 0 && n > 0, "%s: rc %d, %zu lines: %s", s->path, rc, n, err.msg);
  }
  CHECK_EQ_INT(layouts[SIC_LAYOUT_ROLLING], 1);
  CHECK_EQ_INT(layouts[SIC_LAYOUT_DATABRICKS], 1);
  CHECK_EQ_INT(layouts[SIC_LAYOUT_LEGACY], 1);
  CHECK_EQ_INT(layouts[SIC_LAYOUT_ZIP], 1);
  CHECK_EQ_INT(layouts[SIC_LAYOUT_FILE], 95);
  sic_logsets_free(&sets);
}

static void test_not_logs(void) {
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(data_path("spark-rapids-tools/spark-events-profiling/driverlog"), &sets, &err),
               SIC_EFORMAT);
  CHECK(strstr(err.msg, "driverlog") != NULL, "message: %s", err.msg);
  CHECK_EQ_INT(sic_logset_scan(data_path("sparklens/local-1532512550423.sparklens.json"), &sets, &err), SIC_EFORMAT);
  CHECK_EQ_INT(sic_logset_scan(tmp_path("does-not-exist"), &sets, &err), SIC_ENOTFOUND);
  CHECK(strstr(err.msg, "does-not-exist") != NULL, "message: %s", err.msg);
  write_tmp("junk.zip", "PK\x03\x04 not really a zip", 22);
  CHECK_EQ_INT(sic_logset_scan(tmp_path("junk.zip"), &sets, &err), SIC_EFORMAT);
}

static const char *event_text =
  "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.4.1\"}\n"
  "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"t\",\"Timestamp\":1}\n";

static void write_zstd(const char *rel, const char *text) {
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, text, strlen(text), 1), 0);
  write_tmp(rel, fb.data, fb.len);
  sic_frame_buf_free(&fb);
}

/* events_1, events_2 (superseded), events_2.compact, events_3, in-progress marker. */
static void test_rolling_compact(void) {
  mkdir(tmp_path("eventlog_v2_app-1"), 0755);
  write_zstd("eventlog_v2_app-1/events_1_app-1.zstd", "{\"Event\":\"one\"}\n");
  write_zstd("eventlog_v2_app-1/events_2_app-1.zstd", "{\"Event\":\"two\"}\n");
  write_zstd("eventlog_v2_app-1/events_2_app-1.zstd.compact", "{\"Event\":\"compact\"}\n");
  write_zstd("eventlog_v2_app-1/events_3_app-1.zstd", "{\"Event\":\"three\"}\n");
  write_zstd("eventlog_v2_app-1/events_10_app-1.zstd", "{\"Event\":\"ten\"}\n");
  write_tmp("eventlog_v2_app-1/appstatus_app-1.inprogress", "", 0);
  write_tmp("eventlog_v2_app-1/.events_1_app-1.zstd.crc", "crc", 3);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("eventlog_v2_app-1"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_ROLLING);
  CHECK_EQ_INT(s->in_progress, 1);
  CHECK_EQ_INT(s->nparts, 3);
  bytes b;
  CHECK_EQ_INT(read_set(s, 1, &b, &err), 0);
  const char *want = "{\"Event\":\"compact\"}\n{\"Event\":\"three\"}\n{\"Event\":\"ten\"}\n";
  CHECK(b.len == strlen(want) && !memcmp(b.p, want, b.len), "compact reading order: %.*s", (int)b.len, b.p);
  free(b.p);
  sic_logsets_free(&sets);
}

/* Rolled parts in time order (not creation order of files), then the current eventlog. */
static void test_databricks_synth(void) {
  mkdir(tmp_path("db"), 0755);
  sic_frame_buf fb = {0};
  const char *a = "{\"Event\":\"a\"}\n", *b = "{\"Event\":\"b\"}\n", *c = "{\"Event\":\"c\"}\n";
  write_tmp("db/eventlog", c, strlen(c));
  CHECK_EQ_INT(sic_frame_write_gzip(&fb, b, strlen(b)), 0);
  write_tmp("db/eventlog-2024-01-02--00-00.gz", fb.data, fb.len);
  sic_frame_buf_free(&fb);
  CHECK_EQ_INT(sic_frame_write_gzip(&fb, a, strlen(a)), 0);
  write_tmp("db/eventlog-2023-12-31--23-00.gz", fb.data, fb.len);
  sic_frame_buf_free(&fb);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("db"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  CHECK_EQ_INT(sets.items[0].layout, SIC_LAYOUT_DATABRICKS);
  CHECK_EQ_INT(sets.items[0].nparts, 3);
  bytes got;
  CHECK_EQ_INT(read_set(&sets.items[0], 2, &got, &err), 0);
  CHECK(got.len == 3 * strlen(a) && !memcmp(got.p, "{\"Event\":\"a\"}\n{\"Event\":\"b\"}\n{\"Event\":\"c\"}\n", got.len),
        "databricks order");
  free(got.p);
  sic_logsets_free(&sets);
}

/* Spark 1.x dir with lz4 parts (codec from the marker; names carry no suffix), numeric order,
 * no APPLICATION_COMPLETE. */
static void test_legacy_synth(void) {
  mkdir(tmp_path("legacy"), 0755);
  const char *texts[] = {"{\"Event\":\"1\"}\n", "{\"Event\":\"2\"}\n", "{\"Event\":\"10\"}\n"};
  const char *names[] = {"legacy/EVENT_LOG_1", "legacy/EVENT_LOG_2", "legacy/EVENT_LOG_10"};
  for (int i = 0; i < 3; i++) {
    sic_frame_buf fb = {0};
    CHECK_EQ_INT(sic_frame_write_lz4block(&fb, texts[i], strlen(texts[i]), 32768), 0);
    write_tmp(names[i], fb.data, fb.len);
    sic_frame_buf_free(&fb);
  }
  write_tmp("legacy/SPARK_VERSION_1.1.0", "", 0);
  write_tmp("legacy/COMPRESSION_CODEC_org.apache.spark.io.LZ4CompressionCodec", "", 0);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("legacy"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  sic_logset *s = &sets.items[0];
  CHECK_EQ_INT(s->layout, SIC_LAYOUT_LEGACY);
  CHECK_EQ_INT(s->in_progress, 1);
  CHECK_EQ_INT(s->nparts, 3);
  for (size_t i = 0; i < s->nparts; i++) CHECK_EQ_INT(s->parts[i].codec, SIC_CODEC_LZ4);
  bytes got;
  CHECK_EQ_INT(read_set(s, 1, &got, &err), 0);
  CHECK(got.len && !strncmp(got.p, "{\"Event\":\"1\"}\n{\"Event\":\"2\"}\n{\"Event\":\"10\"}\n", got.len), "legacy order");
  free(got.p);
  sic_logsets_free(&sets);
}

static void zip_put(zip_t *z, const char *name, const void *data, size_t len) {
  void *copy = len ? malloc(len) : NULL;
  if (len) memcpy(copy, data, len);
  zip_source_t *src = zip_source_buffer(z, copy, len, 1);
  CHECK(zip_file_add(z, name, src, 0) >= 0, "zip add %s", name);
}

/* History Server /logs zips: a rolling dir inside, and an archive with two attempts. */
static void test_zip_synth(void) {
  int zerr;
  zip_t *z = zip_open(tmp_path("rolling.zip"), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  sic_frame_buf p1 = {0}, p2 = {0};
  sic_frame_write_lz4block(&p1, "{\"Event\":\"p1\"}\n", 15, 64);
  sic_frame_write_snappy_java(&p2, "{\"Event\":\"p2\"}\n", 15, 64);
  zip_dir_add(z, "eventlog_v2_app-9", 0);
  zip_put(z, "eventlog_v2_app-9/events_2_app-9.snappy", p2.data, p2.len);
  zip_put(z, "eventlog_v2_app-9/events_1_app-9.lz4", p1.data, p1.len);
  zip_put(z, "eventlog_v2_app-9/appstatus_app-9", "", 0);
  CHECK_EQ_INT(zip_close(z), 0);
  sic_frame_buf_free(&p1);
  sic_frame_buf_free(&p2);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("rolling.zip"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n == 1) {
    sic_logset *s = &sets.items[0];
    CHECK_EQ_INT(s->layout, SIC_LAYOUT_ZIP);
    CHECK_EQ_STR(s->name, "eventlog_v2_app-9");
    CHECK_EQ_INT(s->in_progress, 0);
    CHECK_EQ_INT(s->nparts, 2);
    if (s->nparts == 2) {
      CHECK_EQ_STR(s->parts[0].zip_member, "eventlog_v2_app-9/events_1_app-9.lz4");
      CHECK_EQ_INT(s->parts[1].codec, SIC_CODEC_SNAPPY);
    }
    bytes got;
    CHECK_EQ_INT(read_set(s, 2, &got, &err), 0);
    CHECK(got.len == 30 && !memcmp(got.p, "{\"Event\":\"p1\"}\n{\"Event\":\"p2\"}\n", 30), "zip rolling bytes");
    free(got.p);
    sic_logsets_free(&sets);
  }

  /* A Spark 1.x log dir zipped with its files at the archive's root. */
  z = zip_open(tmp_path("legacy-app.zip"), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  zip_put(z, "EVENT_LOG_1", event_text, strlen(event_text));
  zip_put(z, "SPARK_VERSION_1.2.0", "", 0);
  zip_put(z, "APPLICATION_COMPLETE", "", 0);
  CHECK_EQ_INT(zip_close(z), 0);
  CHECK_EQ_INT(sic_logset_scan(tmp_path("legacy-app.zip"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n == 1) {
    CHECK_EQ_INT(sets.items[0].layout, SIC_LAYOUT_ZIP);
    CHECK_EQ_STR(sets.items[0].name, "legacy-app");
    CHECK_EQ_INT(sets.items[0].in_progress, 0);
    CHECK_EQ_INT(sets.items[0].nparts, 1);
  }
  sic_logsets_free(&sets);

  z = zip_open(tmp_path("attempts.zip"), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  zip_put(z, "app-5_1", event_text, strlen(event_text));
  zip_put(z, "app-5_2.inprogress", event_text, strlen(event_text));
  zip_put(z, "README.txt", "hello", 5);
  CHECK_EQ_INT(zip_close(z), 0);
  CHECK_EQ_INT(sic_logset_scan(tmp_path("attempts.zip"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 2);
  CHECK_EQ_INT(sets.nskipped, 1);
  if (sets.n == 2) {
    CHECK(strstr(sets.items[0].path, "attempts.zip!/app-5_1") != NULL, "%s", sets.items[0].path);
    CHECK_EQ_STR(sets.items[1].name, "app-5_2");
    CHECK_EQ_INT(sets.items[1].in_progress, 1);
  }
  sic_logsets_free(&sets);
}

/* A directory of logs with things that are not logs in it. */
static void test_mixed_dir(void) {
  mkdir(tmp_path("mixed"), 0755);
  mkdir(tmp_path("mixed/nested"), 0755);
  write_tmp("mixed/app-1", event_text, strlen(event_text));
  write_zstd("mixed/nested/app-2.zstd.inprogress", event_text);
  write_tmp("mixed/.app-1.crc", "crc", 3);
  write_tmp("mixed/notes", "some text\n", 10);
  write_tmp("mixed/empty", "", 0);
  write_tmp("mixed/stats.json", "{\"a\":1}\n", 8);
  write_tmp("mixed/started.inprogress", "", 0);
  CHECK_EQ_INT(symlink("..", tmp_path("mixed/nested/loop")), 0); /* walked once, not forever */
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("mixed"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 3);
  CHECK_EQ_INT(sets.nskipped, 5); /* .crc, notes, empty, stats.json, the loop */
  if (sets.n == 3) {
    CHECK_EQ_STR(sets.items[0].name, "app-1");
    CHECK_EQ_STR(sets.items[1].name, "app-2");
    CHECK_EQ_INT(sets.items[1].in_progress, 1);
    CHECK_EQ_INT(sets.items[1].parts[0].codec, SIC_CODEC_ZSTD);
    CHECK_EQ_STR(sets.items[2].name, "started");
    CHECK_EQ_INT(sets.items[2].in_progress, 1);
  }
  sic_logsets_free(&sets);
  /* An explicitly named empty .inprogress file is a log that has not written anything yet. */
  write_tmp("just-started.inprogress", "", 0);
  CHECK_EQ_INT(sic_logset_scan(tmp_path("just-started.inprogress"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n == 1) CHECK_EQ_INT(sets.items[0].in_progress, 1);
  sic_logsets_free(&sets);
}

/* A part that cannot be read: the previous part's lines (its unterminated last line too)
 * come out first, then the error naming the bad part. */
static void test_error_in_later_part(void) {
  mkdir(tmp_path("eventlog_v2_app-3"), 0755);
  const char *first = "{\"Event\":\"a\"}\n{\"Event\":\"b\"}";
  write_tmp("eventlog_v2_app-3/events_1_app-3", first, strlen(first));
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(sic_frame_write_lz4block(&fb, "{\"Event\":\"c\"}\n", 14, 64), 0);
  fb.data[8] = 0x70; /* unknown compression method in the first block header */
  write_tmp("eventlog_v2_app-3/events_2_app-3.lz4", fb.data, fb.len);
  sic_frame_buf_free(&fb);
  write_tmp("eventlog_v2_app-3/appstatus_app-3", "", 0);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(tmp_path("eventlog_v2_app-3"), &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n != 1) return;
  for (int threads = 1; threads <= 2; threads++) {
    sic_lines *l;
    CHECK_EQ_INT(sic_lines_open(&sets.items[0], threads, &l, &err), 0);
    sic_line line;
    CHECK_EQ_INT(sic_lines_next(l, &line, &err), 1);
    CHECK(line.len == 13 && line.part == 0 && line.lineno == 1);
    CHECK_EQ_INT(sic_lines_next(l, &line, &err), 1);
    CHECK(line.len == 13 && line.part == 0 && line.lineno == 2 && line.unterminated, "unterminated b");
    CHECK_EQ_INT(sic_lines_next(l, &line, &err), SIC_ECORRUPT);
    CHECK(strstr(err.msg, "events_2_app-3.lz4") && strstr(err.msg, "byte 0"), "message: %s", err.msg);
    CHECK_EQ_INT(sic_lines_next(l, &line, &err), SIC_ECORRUPT); /* stays failed */
    sic_lines_free(l);
  }
  sic_logsets_free(&sets);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic_test_layouts_XXXXXX");
  if (!mkdtemp(tmpdir)) return 2;
  const char *shared = check_shared_part("test_layouts", "layouts of the real logs and the whole tree");
  if (shared) {
    snprintf(events_dir, sizeof events_dir, "%s/spark-events", shared);
    test_rolling_real();
    test_databricks_real();
    test_legacy_real();
    test_zip_real();
    test_whole_tree();
    test_not_logs();
  }
  /* self-contained: layouts synthesized here */
  test_rolling_compact();
  test_databricks_synth();
  test_legacy_synth();
  test_zip_synth();
  test_mixed_dir();
  test_error_in_later_part();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return CHECK_RESULT();
}
