/* The History Server /logs zip, both ends: sources/ reads it as it arrives (hs_logs.c over
 * zipstream.c) from a fixture server on loopback that streams chunked answers and drops
 * connections; the zips come from libzip (sizes up front), from Python's zipfile writing to a
 * pipe and from Info-ZIP's `zip -` (data descriptors, deflate and stored, Zip64 descriptors);
 * `sic serve`'s writer (engine/shs/logs.c) makes valid zips (`unzip -t`, and our reader) and
 * sends its first bytes having read a bounded part of the log. Inputs are made here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "check.h"
#include "../support/http_fixture.h"
#include "shs/shs_internal.h"
#include "sources/source_internal.h"
#include "sources/zipstream.h"

/* Event-log lines numbered first.. */
static char *event_lines(int first, int count) {
  size_t cap = (size_t)count * 80 + 1, k = 0;
  char *buf = malloc(cap);
  buf[0] = 0;
  for (int i = first; i < first + count; i++)
    k += (size_t)snprintf(buf + k, cap - k, "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.%d\"}\n", i);
  return buf;
}

/* A zip in memory made by libzip (sizes in the local headers); NULL data = a directory. */
static char *libzip_zip(const char *const *names, const char *const *data, size_t n, size_t *len) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
  zip_source_keep(src);
  zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
  for (size_t i = 0; i < n; i++) {
    if (!data[i]) {
      zip_dir_add(z, names[i], 0);
      continue;
    }
    zip_file_add(z, names[i], zip_source_buffer(z, data[i], strlen(data[i]), 0), 0);
  }
  zip_close(z);
  zip_source_open(src);
  zip_source_seek(src, 0, SEEK_END);
  *len = (size_t)zip_source_tell(src);
  zip_source_seek(src, 0, SEEK_SET);
  char *out = malloc(*len);
  zip_source_read(src, out, *len);
  zip_source_close(src);
  zip_source_free(src);
  return out;
}

/* Everything a command prints on stdout. */
static char *run_capture(const char *cmd, size_t *len) {
  FILE *p = popen(cmd, "r");
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  for (size_t got; p && (got = fread(out + n, 1, cap - n, p)) > 0;) {
    n += got;
    if (n == cap) out = realloc(out, cap *= 2);
  }
  int rc = p ? pclose(p) : -1;
  if (rc != 0) {
    free(out);
    return NULL;
  }
  *len = n;
  return out;
}

/* A zip Python's zipfile writes to a pipe (not seekable: data descriptors, no sizes up front).
 * members: "name=method=first,count" ; method: d (deflate), s (stored), z (deflate, Zip64). */
static char *python_zip(const char *members, size_t *len) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "python3 -c '\n"
           "import sys, zipfile\n"
           "out = zipfile.ZipFile(sys.stdout.buffer, \"w\")\n"
           "for spec in sys.argv[1].split(\";\"):\n"
           "    name, method, rng = spec.split(\"=\")\n"
           "    first, count = map(int, rng.split(\",\"))\n"
           "    data = \"\".join(\"{\\\"Event\\\":\\\"SparkListenerLogStart\\\",\\\"Spark Version\\\":\\\"3.5.%%d\\\"}\\n\" %% i\n"
           "                   for i in range(first, first + count)).encode()\n"
           "    info = zipfile.ZipInfo(name)\n"
           "    info.compress_type = zipfile.ZIP_STORED if method == \"s\" else zipfile.ZIP_DEFLATED\n"
           "    with out.open(info, \"w\", force_zip64=(method == \"z\")) as f:\n"
           "        f.write(data)\n"
           "out.close()\n"
           "' '%s' | cat",
           members);
  return run_capture(cmd, len);
}

static int read_all(sic_reader *r, char **out, size_t *len, sic_err *err) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  int rc;
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    size_t got = 0;
    rc = r->read(r, (uint8_t *)buf + n, cap - n < 777 ? cap - n : 777, &got, err); /* odd-sized reads */
    if (rc || !got) break;
    n += got;
  }
  *out = buf;
  *len = n;
  return rc;
}

static fx_server *srv;
static http_settings settings;

/* Read /path through hs_logs_open; the bytes (NUL-terminated) or NULL, and the result code. */
static int fetch_log(const char *path, char **got, size_t *n, sic_err *err) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", fx_port(srv), path);
  http_req req = {.url = url, .display = url, .settings = &settings, .length = -1};
  sic_reader *r = NULL;
  *got = NULL;
  *n = 0;
  int rc = hs_logs_open(&req, &r, err);
  if (rc) return rc;
  rc = read_all(r, got, n, err);
  (*got)[*n] = 0;
  r->close(r);
  if (rc) {
    free(*got);
    *got = NULL;
  }
  return rc;
}

#define EXPECT_LOG(path, expect)                                                              \
  do {                                                                                        \
    char *got_;                                                                               \
    size_t n_;                                                                                \
    sic_err e_ = {0};                                                                         \
    int rc_ = fetch_log(path, &got_, &n_, &e_);                                               \
    CHECK(rc_ == 0, "%s: %s", path, e_.msg);                                                  \
    CHECK(got_ && n_ == strlen(expect) && !memcmp(got_, expect, n_), "%s: %zu bytes, expected %zu", path, n_, \
          strlen(expect));                                                                    \
    free(got_);                                                                               \
  } while (0)

/* Flip the CRC-32 in the first data descriptor (after its signature). */
static void break_descriptor_crc(char *zip, size_t len) {
  char *d = memmem(zip, len, "PK\x07\x08", 4);
  if (d) d[4] ^= 0x5a;
}

static void test_read_zips(void) {
  char *p1 = event_lines(0, 40), *p2 = event_lines(100, 30), *p3 = event_lines(300, 20), *single = event_lines(200, 50);
  char *p2_open = strdup(p2);
  p2_open[strlen(p2_open) - 1] = 0; /* a part without its final newline */
  char expect12[8192], expect123[8192];
  snprintf(expect12, sizeof expect12, "%s%s", p1, p2);
  snprintf(expect123, sizeof expect123, "%s%s\n%s", p1, p2_open, p3);

  /* libzip, rolling parts out of order (events_10 sorts first by name), the first answer cut */
  const char *rn[] = {"eventlog_v2_app-1/", "eventlog_v2_app-1/appstatus_app-1", "eventlog_v2_app-1/events_10_app-1",
                      "eventlog_v2_app-1/events_1_app-1", "eventlog_v2_app-1/events_2_app-1"};
  /* events_10 is index 3 of the log: read after 1 and 2 although it comes first */
  const char *rd[] = {NULL, "", p3, p1, p2_open};
  size_t rolling_len, single_len, py_len, py_stored_len, py64_len, zipcli_len, bad_len, empty_len;
  char *rolling = libzip_zip(rn, rd, 5, &rolling_len);
  const char *rn_in_order[] = {"eventlog_v2_app-1/events_1_app-1", "eventlog_v2_app-1/events_2_app-1"};
  const char *sn[] = {"app-2.inprogress", "README.md"};
  const char *sd[] = {single, "not a log"};
  char *one = libzip_zip(sn, sd, 2, &single_len);
  (void)rn_in_order;
  /* Python zipfile on a pipe: deflate, stored (size known only from the descriptor), Zip64 */
  char *py = python_zip("eventlog_v2_app-3/events_1_app-3=d=0,40;eventlog_v2_app-3/events_2_app-3=d=100,30", &py_len);
  char *py_stored = python_zip("eventlog_v2_app-4/events_1_app-4=s=0,40;eventlog_v2_app-4/events_2_app-4=s=100,30",
                               &py_stored_len);
  char *py64 = python_zip("app-5=z=200,50", &py64_len);
  CHECK(py && py_stored && py64, "python3 wrote the zips");
  /* Info-ZIP's zip writing to a pipe */
  char dir[] = "/tmp/sic-hslogs-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "temp dir");
  char path[512], cmd[1024];
  snprintf(path, sizeof path, "%s/app-6", dir);
  FILE *f = fopen(path, "w");
  fputs(single, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd '%s' && zip -q - app-6 | cat", dir);
  char *zipcli = run_capture(cmd, &zipcli_len);
  CHECK(zipcli != NULL, "zip - wrote a zip");
  CHECK(zipcli && memmem(zipcli, zipcli_len, "PK\x07\x08", 4), "zip - wrote a data descriptor");
  unlink(path);
  rmdir(dir);
  /* a CRC that does not match, in a descriptor and in a header */
  char *bad_desc = python_zip("app-7=d=0,40", &bad_len);
  if (bad_desc) break_descriptor_crc(bad_desc, bad_len);
  char *bad_hdr = malloc(single_len);
  memcpy(bad_hdr, one, single_len);
  bad_hdr[14] ^= 0x5a; /* the first local header's CRC-32 */
  const char *en[] = {"notes.md"};
  const char *ed[] = {"nothing here"};
  char *empty = libzip_zip(en, ed, 1, &empty_len);

  fx_route routes[] = {
      {.path = "/rolling", .status = 200, .body = rolling, .body_len = rolling_len, .chunked = 1,
       .drop_after = rolling_len / 2, .drops = 1},
      {.path = "/single", .status = 200, .body = one, .body_len = single_len, .chunked = 1},
      {.path = "/always-cut", .status = 200, .body = one, .body_len = single_len, .chunked = 1,
       .drop_after = single_len / 2, .drops = -1},
      {.path = "/not-zip", .status = 200, .body = "{\"oops\":1}", .body_len = 10},
      {.path = "/python", .status = 200, .body = py, .body_len = py_len, .chunked = 1},
      {.path = "/python-stored", .status = 200, .body = py_stored, .body_len = py_stored_len, .chunked = 1,
       .drop_after = py_stored_len / 3, .drops = 2},
      {.path = "/python-zip64", .status = 200, .body = py64, .body_len = py64_len, .chunked = 1},
      {.path = "/zip-cli", .status = 200, .body = zipcli, .body_len = zipcli_len, .chunked = 1},
      {.path = "/bad-descriptor", .status = 200, .body = bad_desc, .body_len = bad_len, .chunked = 1},
      {.path = "/bad-header", .status = 200, .body = bad_hdr, .body_len = single_len, .chunked = 1},
      {.path = "/no-log", .status = 200, .body = empty, .body_len = empty_len, .chunked = 1},
      {.path = "/short", .status = 200, .body = one, .body_len = single_len - 30}, /* ends cleanly, zip cut */
  };
  srv = fx_start(routes, sizeof routes / sizeof routes[0]);
  CHECK(srv != NULL, "fixture server");
  if (!srv) return;
  http_settings_load(&settings);
  settings.retries = 2;
  settings.backoff_ms = 1;

  /* parts in index order whatever the zip's order; the cut answer read on, then a second
   * pass for events_10: three requests */
  EXPECT_LOG("/rolling", expect123);
  CHECK_EQ_INT(routes[0].hits, 3);
  EXPECT_LOG("/single", single); /* README.md is not a log; an .inprogress log is one */
  CHECK_EQ_INT(routes[1].hits, 1);
  EXPECT_LOG("/python", expect12);
  EXPECT_LOG("/python-stored", expect12); /* cut twice, resumed twice */
  CHECK_EQ_INT(routes[5].hits, 3);
  EXPECT_LOG("/python-zip64", single);
  EXPECT_LOG("/zip-cli", single);

  char *got;
  size_t n;
  sic_err err = {0};
  /* cut every time: a truncation error naming the URL, nothing partial */
  CHECK_EQ_INT(fetch_log("/always-cut", &got, &n, &err), SIC_ETRUNCATED);
  CHECK(strstr(err.msg, "/always-cut") && strstr(err.msg, "cut short"), "%s", err.msg);
  CHECK_EQ_INT(routes[2].hits, 3);
  CHECK_EQ_INT(fetch_log("/short", &got, &n, &err), SIC_ETRUNCATED);
  CHECK(strstr(err.msg, "/short") && strstr(err.msg, "cut short"), "%s", err.msg);
  CHECK(fetch_log("/not-zip", &got, &n, &err) < 0, "a non-zip answer fails");
  CHECK(strstr(err.msg, "/not-zip") && strstr(err.msg, "not a zip"), "%s", err.msg);
  CHECK_EQ_INT(fetch_log("/bad-descriptor", &got, &n, &err), SIC_ECORRUPT);
  CHECK(strstr(err.msg, "/bad-descriptor") && strstr(err.msg, "CRC-32 mismatch") && strstr(err.msg, "app-7"), "%s",
        err.msg);
  CHECK_EQ_INT(fetch_log("/bad-header", &got, &n, &err), SIC_ECORRUPT);
  CHECK(strstr(err.msg, "CRC-32 mismatch"), "%s", err.msg);
  CHECK_EQ_INT(fetch_log("/no-log", &got, &n, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "no Spark event log"), "%s", err.msg);
  http_settings_free(&settings);
  fx_stop(srv);
  free(rolling);
  free(one);
  free(py);
  free(py_stored);
  free(py64);
  free(zipcli);
  free(bad_desc);
  free(bad_hdr);
  free(empty);
  free(p1);
  free(p2);
  free(p2_open);
  free(p3);
  free(single);
}

/* ---- zipstream on its own: a member read in pieces, its CRC, the end ---- */

typedef struct mem_src {
  const char *p;
  size_t n, pos, step;
} mem_src;

static int mem_pull(void *ctx, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  mem_src *m = ctx;
  size_t k = m->n - m->pos;
  if (k > cap) k = cap;
  if (k > m->step) k = m->step;
  memcpy(buf, m->p + m->pos, k);
  m->pos += k;
  *got = k;
  return 0;
}

static void test_zipstream_members(void) {
  char *a = event_lines(0, 500), *b = event_lines(1000, 3);
  const char *names[] = {"dir/", "dir/a", "b"};
  const char *data[] = {NULL, a, b};
  size_t len;
  char *zip = libzip_zip(names, data, 3, &len);
  mem_src m = {zip, len, 0, 7}; /* 7 bytes at a time: every header straddles pulls */
  zip_stream *z = zs_new(mem_pull, &m, "mem.zip");
  const zs_member *mb;
  sic_err err = {0};
  CHECK_EQ_INT(zs_next(z, &mb, &err), 1);
  CHECK_EQ_STR(mb->name, "dir/");
  CHECK_EQ_INT(zs_next(z, &mb, &err), 1);
  CHECK_EQ_STR(mb->name, "dir/a");
  CHECK_EQ_INT(mb->index, 1);
  char out[100000];
  size_t n = 0, got;
  while (zs_read(z, (uint8_t *)out + n, 1000, &got, &err) == 0 && got) n += got;
  CHECK(n == strlen(a) && !memcmp(out, a, n), "member a (%zu bytes)", n);
  CHECK_EQ_INT(zs_member_out(z), strlen(a));
  CHECK_EQ_INT(zs_next(z, &mb, &err), 1); /* b is skipped unread, its CRC still checked */
  CHECK_EQ_STR(mb->name, "b");
  CHECK_EQ_INT(zs_next(z, &mb, &err), 0);
  CHECK_EQ_INT(zs_offset(z), len);
  zs_free(z);
  m = (mem_src){zip, len - 1, 0, 4096}; /* the end record cut */
  z = zs_new(mem_pull, &m, "mem.zip");
  int rc;
  while ((rc = zs_next(z, &mb, &err)) == 1) {
  }
  CHECK_EQ_INT(rc, SIC_ETRUNCATED);
  CHECK(strstr(err.msg, "mem.zip") && strstr(err.msg, "central directory"), "%s", err.msg);
  zs_free(z);
  free(zip);
  free(a);
  free(b);
}

/* ---- sic serve's writer ---- */

static void test_serve_writer(void) {
  char dir[] = "/tmp/sic-hslogs-w-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "temp dir");
  char logpath[512], zippath[512], cmd[1200];
  snprintf(logpath, sizeof logpath, "%s/app-9", dir);
  snprintf(zippath, sizeof zippath, "%s/out.zip", dir);
  FILE *f = fopen(logpath, "w");
  char *chunk = event_lines(0, 2000); /* ~150 KB, written 60 times: ~9 MB */
  for (int i = 0; i < 60; i++) fputs(chunk, f);
  fclose(f);
  struct stat st;
  stat(logpath, &st);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(logpath, &sets, &err), 0);
  const sic_logset *one = &sets.items[0];
  shs_logs_zip *z = shs_logs_zip_new(&one, 1);
  CHECK(z != NULL, "writer");
  uint8_t buf[16384];
  long got = shs_logs_zip_read(z, buf, sizeof buf);
  CHECK(got > 0 && !memcmp(buf, "PK\x03\x04", 4), "the answer starts with a local header");
  /* the first bytes leave having read a bounded part of the log, not all of it */
  CHECK(shs_logs_zip_file_read(z) <= 1u << 20, "%llu of %lld file bytes read before the first bytes left",
        (unsigned long long)shs_logs_zip_file_read(z), (long long)st.st_size);
  FILE *out = fopen(zippath, "w");
  size_t total = 0;
  while (got > 0) {
    fwrite(buf, 1, (size_t)got, out);
    total += (size_t)got;
    got = shs_logs_zip_read(z, buf, sizeof buf);
  }
  fclose(out);
  CHECK_EQ_INT(got, 0);
  CHECK_EQ_INT(shs_logs_zip_file_read(z), st.st_size);
  CHECK(total < (size_t)st.st_size / 4, "plain JSON is deflated (%zu of %lld bytes)", total, (long long)st.st_size);
  shs_logs_zip_free(z);
  sic_logsets_free(&sets);
  /* a reader on the same machine gets level 0: stored blocks, the log's size and a little */
  CHECK_EQ_INT(sic_logset_scan(logpath, &sets, &err), 0);
  one = &sets.items[0];
  z = shs_logs_zip_new(&one, 1);
  shs_logs_zip_peer_local(z);
  total = 0;
  char zip0[600];
  snprintf(zip0, sizeof zip0, "%s/level0.zip", dir);
  out = fopen(zip0, "w");
  for (int turn = 0; (got = shs_logs_zip_read(z, buf, turn++ % 3 ? sizeof buf : 3)) > 0; total += (size_t)got)
    fwrite(buf, 1, (size_t)got, out); /* odd reads: stored blocks framed in small room too */
  fclose(out);
  CHECK(total > (size_t)st.st_size && total < (size_t)st.st_size + 8192, "level 0: %zu bytes for %lld", total,
        (long long)st.st_size);
  shs_logs_zip_free(z);
  sic_logsets_free(&sets);
  snprintf(cmd, sizeof cmd, "unzip -tq '%s' >/dev/null", zip0);
  CHECK(system(cmd) == 0, "unzip -t accepts the level-0 answer");
  unlink(zip0);
  snprintf(cmd, sizeof cmd, "unzip -tq '%s' >/dev/null", zippath);
  CHECK(system(cmd) == 0, "unzip -t accepts the answer");
  /* and the local readers (libzip, the central directory) read the same bytes */
  CHECK_EQ_INT(sic_logset_scan(zippath, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  sic_logsets_free(&sets);
  unlink(zippath);
  unlink(logpath);
  rmdir(dir);
  free(chunk);
}

int main(void) {
  test_zipstream_members();
  test_read_zips();
  test_serve_writer();
  return CHECK_RESULT();
}
