/* sources/: URI parsing and redaction, SigV4 against AWS's published examples, the S3 listing
 * parser, HTTP faults (retries, cut connections, Range resume, stalls, auth) against a
 * fixture server on loopback, and stream-backed parts read
 * through engine/eventlog's readers. No shared data needed: inputs are made here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../support/http_fixture.h"
#include "model/model.h"
#include "sources/source_internal.h"

/* ---- URIs ---- */

static void test_uri_parse(void) {
  sic_uri u;
  sic_err err = {0};
  CHECK_EQ_INT(sic_uri_parse("S3://bucket/a/b/?x=1#frag", &u, &err), 0);
  CHECK_EQ_STR(u.scheme, "s3");
  CHECK_EQ_STR(u.host, "bucket");
  CHECK_EQ_STR(u.path, "/a/b/");
  CHECK_EQ_STR(u.query, "x=1");
  CHECK_EQ_INT(u.port, 0);
  sic_uri_free(&u);
  CHECK_EQ_INT(sic_uri_parse("http://al%69ce:p%40ss:w@host.example:8080/prefix", &u, &err), 0);
  CHECK_EQ_STR(u.user, "alice");
  CHECK_EQ_STR(u.password, "p@ss:w");
  CHECK_EQ_STR(u.host, "host.example");
  CHECK_EQ_INT(u.port, 8080);
  CHECK_EQ_STR(u.path, "/prefix");
  CHECK(u.query == NULL, "no query");
  sic_uri_free(&u);
  CHECK_EQ_INT(sic_uri_parse("https://[::1]:18080", &u, &err), 0);
  CHECK_EQ_STR(u.host, "::1");
  CHECK_EQ_INT(u.port, 18080);
  CHECK_EQ_STR(u.path, "");
  sic_uri_free(&u);
  /* errors never echo the password */
  CHECK_EQ_INT(sic_uri_parse("http://bob:hunter2@h:99999/", &u, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "port") && !strstr(err.msg, "hunter2"), "%s", err.msg);
  CHECK_EQ_INT(sic_uri_parse("http://bob:hun%zzer2@h/", &u, &err), SIC_EINVAL);
  CHECK(!strstr(err.msg, "hun"), "%s", err.msg);
  CHECK_EQ_INT(sic_uri_parse("http://[::1/", &u, &err), SIC_EINVAL);
  CHECK_EQ_INT(sic_uri_parse("/just/a/path", &u, &err), SIC_EINVAL);
  CHECK_EQ_INT(sic_uri_parse("http://h/a b", &u, &err), SIC_EINVAL);
}

static void test_uri_display(void) {
  char *d = sic_uri_display("https://user:pw@acct.blob.core.windows.net/c/p?sv=2022&sig=abc%2F&se=x&X-Amz-Signature=zz#f");
  CHECK_EQ_STR(d, "https://acct.blob.core.windows.net/c/p?sv=2022&sig=REDACTED&se=x&X-Amz-Signature=REDACTED#f");
  free(d);
  d = sic_uri_display("s3://bucket/key");
  CHECK_EQ_STR(d, "s3://bucket/key");
  free(d);
  d = sic_uri_display("http://h/x?token=t&token=u&a");
  CHECK_EQ_STR(d, "http://h/x?token=REDACTED&token=REDACTED&a");
  free(d);
  d = sic_uri_display("/local/path");
  CHECK_EQ_STR(d, "/local/path");
  free(d);
}

/* ---- SigV4: AWS's published examples (S3 API reference, "Signature Calculations for the
 * Authorization Header"): access key AKIAIOSFODNN7EXAMPLE, bucket examplebucket, us-east-1,
 * 20130524T000000Z. libcurl signs; what is checked is that the requests sources/ builds
 * (headers, Range as a header, canonical query) sign to AWS's values. ---- */

static const char *aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

static void sigv4_request(fx_server *srv, const char *path_query, int64_t off, int64_t len, const char *want_sig,
                          const char *want_signed) {
  http_auth auth = {0};
  auth.sigv4 = "aws:amz:us-east-1:s3";
  auth.user = "AKIAIOSFODNN7EXAMPLE";
  auth.password = (char *)aws_secret;
  http_settings st;
  http_settings_load(&st);
  st.retries = 0;
  const char *headers[] = {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
                           "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                           NULL};
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", fx_port(srv), path_query);
  http_req req = {.url = url, .display = url, .auth = &auth, .settings = &st, .headers = headers,
                  .offset = off, .length = len};
  char *body = NULL;
  size_t n;
  sic_err err = {0};
  CHECK_EQ_INT(http_get_all(&req, 1 << 20, &body, &n, &err), 0);
  free(body);
  http_settings_free(&st);
  const char *authz = fx_last_header(srv, "Authorization");
  char want[512];
  snprintf(want, sizeof want, "Signature=%s", want_sig);
  CHECK(strstr(authz, want) != NULL, "%s: got %s, want %s", path_query, authz, want_sig);
  CHECK(strstr(authz, "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request") != NULL, "%s", authz);
  snprintf(want, sizeof want, "SignedHeaders=%s", want_signed);
  CHECK(strstr(authz, want) != NULL, "%s: %s", path_query, authz);
}

static void test_sigv4_aws_examples(void) {
  static const char text[] = "0123456789abcdef";
  fx_route routes[] = {{.path = "/test.txt", .status = 200, .body = text, .body_len = 16, .honor_range = 1},
                       {.path = "/", .status = 200, .body = "<ListBucketResult/>", .body_len = 19}};
  fx_server *srv = fx_start(routes, 2);
  CHECK(srv != NULL, "fixture server");
  if (!srv) return;
  /* GET Object with Range: bytes=0-9 */
  sigv4_request(srv, "/test.txt", 0, 10, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                "host;range;x-amz-content-sha256;x-amz-date");
  /* GET Bucket (list objects) with max-keys=2&prefix=J */
  sigv4_request(srv, "/?max-keys=2&prefix=J", 0, -1, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
                "host;x-amz-content-sha256;x-amz-date");
  fx_stop(srv);
}

static void test_s3_canonical_query(void) {
  char *q = s3_list_query("dir/sub x/", "a+b/c=", 0);
  CHECK_EQ_STR(q, "continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=dir%2Fsub%20x%2F");
  free(q);
  q = s3_list_query("", NULL, 2);
  CHECK_EQ_STR(q, "list-type=2&max-keys=2&prefix=");
  free(q);
}

/* ---- S3 listing parser ---- */

static void test_s3_parse_list(void) {
  char xml[] = "<?xml version=\"1.0\"?><ListBucketResult><Name>b</Name><Prefix>logs/</Prefix>"
               "<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>"
               "<Contents><Key>logs/</Key><Size>0</Size></Contents>"
               "<Contents><Key>logs/a&amp;b.zstd</Key><LastModified>2024-05-01T10:00:00.250Z</LastModified>"
               "<ETag>&quot;abc123&quot;</ETag><Size>1234</Size></Contents>"
               "<Contents><Key>logs/eventlog_v2_x/events_1_x</Key><Size>5</Size><ETag>\"e\"</ETag></Contents>"
               "</ListBucketResult>";
  sic_source_page page = {0};
  sic_err err = {0};
  CHECK_EQ_INT(s3_parse_list(xml, strlen(xml), 5, &page, &err), 0);
  CHECK_EQ_INT(page.n, 2);
  if (page.n == 2) {
    CHECK_EQ_STR(page.items[0].name, "a&b.zstd");
    CHECK_EQ_INT(page.items[0].size, 1234);
    CHECK_EQ_STR(page.items[0].etag, "abc123");
    CHECK_EQ_INT(page.items[0].mtime_ms, 1714557600250LL);
    CHECK_EQ_STR(page.items[1].name, "eventlog_v2_x/events_1_x");
  }
  CHECK_EQ_STR(page.next, "tok&1");
  sic_source_page_free(&page);
  char bad[] = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
  CHECK_EQ_INT(s3_parse_list(bad, strlen(bad), 0, &page, &err), SIC_EFORMAT);
  sic_source_page_free(&page);
  char nokey[] = "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>";
  CHECK_EQ_INT(s3_parse_list(nokey, strlen(nokey), 0, &page, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "Key") != NULL, "%s", err.msg);
  sic_source_page_free(&page);
  char html[] = "<html>proxy login</html>";
  CHECK_EQ_INT(s3_parse_list(html, strlen(html), 0, &page, &err), SIC_EFORMAT);
  sic_source_page_free(&page);
}

/* ---- HTTP faults ---- */

static char big[300000]; /* a body several fixture pieces long */

static long response_timeout_s = 30; /* per fetch below */

static int fetch(fx_server *srv, const char *path, int retries, int resumable, const http_auth *auth, char **body,
                 size_t *n, sic_err *err) {
  http_settings st;
  http_settings_load(&st);
  st.retries = retries;
  st.backoff_ms = 1;
  st.stall_timeout_s = 1;
  st.response_timeout_s = response_timeout_s;
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", fx_port(srv), path);
  http_req req = {.url = url, .display = url, .auth = auth, .settings = &st, .length = -1, .resumable = resumable};
  int rc = http_get_all(&req, 1 << 24, body, n, err);
  http_settings_free(&st);
  return rc;
}

static void test_http_faults(void) {
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + (i * 7919) % 26);
  fx_route routes[] = {
      {.path = "/flaky", .status = 200, .body = big, .body_len = sizeof big, .fail_first = 2},
      {.path = "/down", .status = 200, .body = big, .body_len = sizeof big, .fail_first = 1000},
      {.path = "/cut", .status = 200, .body = big, .body_len = sizeof big, .drop_after = 100000, .drops = -1},
      {.path = "/cut-chunked", .status = 200, .body = big, .body_len = sizeof big, .chunked = 1,
       .drop_after = 100000, .drops = -1},
      {.path = "/resume", .status = 200, .body = big, .body_len = sizeof big, .drop_after = 120000, .drops = 1,
       .honor_range = 1},
      {.path = "/stall", .status = 200, .body = big, .body_len = sizeof big, .stall_ms = 2500},
      {.path = "/private", .status = 401, .body = "missing or wrong bearer token"},
      {.path = "/chunked", .status = 200, .body = big, .body_len = sizeof big, .chunked = 1},
      {.path = "/slow-start", .status = 200, .body = big, .body_len = sizeof big, .delay_ms = 2500},
      {.path = "/never", .status = 200, .body = big, .body_len = sizeof big, .delay_ms = 6000},
  };
  fx_server *srv = fx_start(routes, sizeof routes / sizeof routes[0]);
  CHECK(srv != NULL, "fixture server");
  if (!srv) return;
  char *body = NULL;
  size_t n = 0;
  sic_err err = {0};
  /* 503, 503, then the body: retried */
  CHECK_EQ_INT(fetch(srv, "/flaky", 3, 0, NULL, &body, &n, &err), 0);
  CHECK(n == sizeof big && body && !memcmp(body, big, n), "flaky body intact (%zu bytes)", n);
  CHECK_EQ_INT(routes[0].hits, 3);
  free(body);
  /* always 503: bounded */
  CHECK_EQ_INT(fetch(srv, "/down", 2, 0, NULL, &body, &n, &err), SIC_EIO);
  CHECK(strstr(err.msg, "HTTP 503") && strstr(err.msg, "after 3 attempts"), "%s", err.msg);
  CHECK_EQ_INT(routes[1].hits, 3);
  /* connection cut mid-body, server without Range: an error, never a short success */
  CHECK_EQ_INT(fetch(srv, "/cut", 3, 0, NULL, &body, &n, &err), SIC_ETRUNCATED);
  CHECK(strstr(err.msg, "cut short") != NULL, "%s", err.msg);
  CHECK_EQ_INT(fetch(srv, "/cut-chunked", 3, 0, NULL, &body, &n, &err), SIC_ETRUNCATED);
  /* cut once, Range honoured: resumed where it stopped */
  CHECK_EQ_INT(fetch(srv, "/resume", 3, 1, NULL, &body, &n, &err), 0);
  CHECK(n == sizeof big && body && !memcmp(body, big, n), "resumed body intact (%zu bytes)", n);
  CHECK_EQ_INT(routes[4].hits, 2);
  CHECK(strstr(fx_last_header(srv, "Range"), "bytes=") != NULL, "resume asked for a range");
  free(body);
  /* a body that stops arriving: the stall timeout (1 s here) ends it */
  CHECK_EQ_INT(fetch(srv, "/stall", 0, 0, NULL, &body, &n, &err), SIC_ETRUNCATED);
  CHECK(strstr(err.msg, "stopped sending") != NULL, "%s", err.msg);
  /* bearer token sent, never printed */
  http_auth auth = {.bearer = "tok-XYZZY-123"};
  CHECK_EQ_INT(fetch(srv, "/private", 0, 0, &auth, &body, &n, &err), SIC_EIO);
  CHECK_EQ_STR(fx_last_header(srv, "Authorization"), "Bearer tok-XYZZY-123");
  CHECK(strstr(err.msg, "HTTP 401") && strstr(err.msg, "credentials") && !strstr(err.msg, "XYZZY"), "%s", err.msg);
  /* Basic credentials from ~/.netrc for the host */
  char home[] = "/tmp/sic_test_netrc_XXXXXX", netrc[128];
  if (mkdtemp(home)) {
    snprintf(netrc, sizeof netrc, "%s/.netrc", home);
    FILE *nf = fopen(netrc, "w");
    fputs("machine 127.0.0.1 login alice password s3cret\n", nf);
    fclose(nf);
    chmod(netrc, 0600);
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);
    http_auth from_netrc = {.netrc = 1};
    CHECK_EQ_INT(fetch(srv, "/private", 0, 0, &from_netrc, &body, &n, &err), SIC_EIO);
    CHECK_EQ_STR(fx_last_header(srv, "Authorization"), "Basic YWxpY2U6czNjcmV0"); /* alice:s3cret */
    CHECK(!strstr(err.msg, "s3cret"), "%s", err.msg);
    if (old_home) setenv("HOME", old_home, 1);
    free(old_home);
    unlink(netrc);
    rmdir(home);
  }
  /* 404 is ENOTFOUND with a hint */
  CHECK_EQ_INT(fetch(srv, "/nope", 0, 0, NULL, &body, &n, &err), SIC_ENOTFOUND);
  CHECK(strstr(err.msg, "NoSuchKey") && strstr(err.msg, "check the URL"), "%s", err.msg);
  /* chunked without faults */
  CHECK_EQ_INT(fetch(srv, "/chunked", 0, 0, NULL, &body, &n, &err), 0);
  CHECK(n == sizeof big && body && !memcmp(body, big, n), "chunked body intact");
  free(body);
  /* a server that takes longer than the stall timeout (1 s) to start its answer is waited for
   * (the response timeout applies then); one that takes longer than that is not */
  CHECK_EQ_INT(fetch(srv, "/slow-start", 0, 0, NULL, &body, &n, &err), 0);
  CHECK(n == sizeof big && body && !memcmp(body, big, n), "slow-start body intact");
  free(body);
  response_timeout_s = 1;
  CHECK_EQ_INT(fetch(srv, "/never", 0, 0, NULL, &body, &n, &err), SIC_EIO);
  CHECK(strstr(err.msg, "no answer for 1 s") && strstr(err.msg, "SIC_HTTP_RESPONSE_TIMEOUT"), "%s", err.msg);
  response_timeout_s = 30;
  fx_stop(srv);
}

/* ---- event-log bytes (the History Server /logs zip: test_hs_logs.c) ---- */

/* An event log the readers recognise: lines.. */
static const char *event_lines(int first, int count, char *buf, size_t cap) {
  size_t k = 0;
  for (int i = first; i < first + count; i++)
    k += (size_t)snprintf(buf + k, cap - k, "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.%d\"}\n", i);
  return buf;
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

/* ---- stream-backed parts through engine/eventlog ---- */

/* An in-memory "remote": objects by name, read in small pieces, optionally failing. */
typedef struct mem_object {
  const char *name;     /* relative name */
  const char *data;     /* bytes */
  size_t len;           /* bytes */
  size_t fail_at;       /* > 0: SIC_ETRUNCATED once this many bytes were read */
} mem_object;

typedef struct mem_remote {
  sic_part_source src;  /* first: the part opener */
  const char *root;     /* root URI */
  mem_object *objs;     /* objects */
  size_t n;             /* count */
  int opened;           /* readers opened */
  int closed;           /* readers closed */
  int destroyed;        /* the source's last reference went */
} mem_remote;

typedef struct mem_reader {
  sic_reader base;      /* read/close */
  mem_remote *owner;    /* counts closes */
  const mem_object *o;  /* what is read */
  size_t pos;           /* bytes delivered */
} mem_reader;

static int mem_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  mem_reader *r = (mem_reader *)base;
  size_t n = r->o->len - r->pos;
  if (n > 1000) n = 1000;
  if (n > cap) n = cap;
  if (r->o->fail_at && r->pos + n > r->o->fail_at) n = r->o->fail_at - r->pos;
  if (!n && r->o->fail_at && r->pos == r->o->fail_at)
    return sic_err_set(err, SIC_ETRUNCATED, "mem://%s: cut at byte %zu", r->o->name, r->pos);
  memcpy(buf, r->o->data + r->pos, n);
  r->pos += n;
  *got = n;
  return 0;
}

static void mem_close(sic_reader *base) {
  mem_reader *r = (mem_reader *)base;
  r->owner->closed++;
  free(r);
}

static int mem_open(sic_part_source *src, const sic_logpart *part, sic_reader **out, sic_err *err) {
  mem_remote *m = (mem_remote *)src;
  const char *name = part->path + strlen(m->root) + 1;
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->objs[i].name, name)) {
      mem_reader *r = calloc(1, sizeof *r);
      r->base.read = mem_read;
      r->base.close = mem_close;
      r->owner = m;
      r->o = &m->objs[i];
      m->opened++;
      *out = &r->base;
      return 0;
    }
  return sic_err_set(err, SIC_ENOTFOUND, "%s: no such object", part->path);
}

static void mem_destroy(sic_part_source *src) { ((mem_remote *)src)->destroyed = 1; }

static size_t mem_head(void *ctx, size_t i, uint8_t *buf, size_t cap) {
  mem_remote *m = ctx;
  size_t n = m->objs[i].len < cap ? m->objs[i].len : cap;
  memcpy(buf, m->objs[i].data, n);
  return n;
}

static void test_remote_parts(void) {
  static char p1[8192], p2[8192], solo[4096];
  event_lines(0, 50, p1, sizeof p1);
  event_lines(50, 50, p2, sizeof p2);
  event_lines(7, 20, solo, sizeof solo);
  mem_object objs[] = {
      {"eventlog_v2_app-9/events_10_app-9", p2, strlen(p2), 0},
      {"eventlog_v2_app-9/events_9_app-9", p1, strlen(p1), 0},
      {"eventlog_v2_app-9/appstatus_app-9.inprogress", "", 0, 0},
      {"eventlog_v2_app-9/.events_9_app-9.crc", "junk", 4, 0},
      {"solo.log", solo, strlen(solo), 500},
      {"README.txt", "not a log", 9, 0},
  };
  size_t nobj = sizeof objs / sizeof objs[0];
  mem_remote m = {.src = {.open = mem_open, .destroy = mem_destroy, .refs = 1}, .root = "mem://bucket/x",
                  .objs = objs, .n = nobj};
  sic_remote_entry entries[6];
  for (size_t i = 0; i < nobj; i++) entries[i] = (sic_remote_entry){objs[i].name, (int64_t)objs[i].len, 1000 * (int64_t)i};
  sic_remote_tree tree = {m.root, entries, nobj, &m.src, mem_head, &m};
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan_remote(&tree, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 2);
  CHECK_EQ_INT(sets.nskipped, 1);
  if (sets.n == 2) {
    sic_logset *roll = &sets.items[0], *one = &sets.items[1];
    CHECK_EQ_STR(roll->path, "mem://bucket/x/eventlog_v2_app-9");
    CHECK_EQ_INT(roll->layout, SIC_LAYOUT_ROLLING);
    CHECK_EQ_INT(roll->in_progress, 1);
    CHECK_EQ_INT(roll->nparts, 2);
    if (roll->nparts == 2) CHECK_EQ_STR(roll->parts[0].path, "mem://bucket/x/eventlog_v2_app-9/events_9_app-9");
    CHECK_EQ_STR(one->path, "mem://bucket/x/solo.log");
    /* the bytes arrive through the same readers, 1 and 2 threads */
    for (int threads = 1; threads <= 2; threads++) {
      sic_lines *l;
      CHECK_EQ_INT(sic_lines_open(roll, threads, &l, &err), 0);
      sic_line line;
      int rc, count = 0, parts_seen[2] = {0, 0};
      while ((rc = sic_lines_next(l, &line, &err)) == 1) {
        count++;
        if (line.part < 2) parts_seen[line.part]++;
      }
      CHECK_EQ_INT(rc, 0);
      CHECK_EQ_INT(count, 100);
      CHECK(parts_seen[0] == 50 && parts_seen[1] == 50, "lines per part %d/%d", parts_seen[0], parts_seen[1]);
      sic_lines_free(l);
      /* a part cut mid-way: the lines before it, then the source's error */
      CHECK_EQ_INT(sic_lines_open(one, threads, &l, &err), 0);
      count = 0;
      while ((rc = sic_lines_next(l, &line, &err)) == 1) count++;
      CHECK_EQ_INT(rc, SIC_ETRUNCATED);
      CHECK(strstr(err.msg, "mem://solo.log: cut at byte 500") != NULL, "%s", err.msg);
      CHECK_EQ_INT(count, 500 / (int)(strchr(solo, '\n') - solo + 1)); /* whole lines before the cut */
      sic_lines_free(l);
    }
  }
  /* a model load from a part cut mid-way fails: a download cut short is never a partial analysis */
  if (sets.n == 2) {
    sic_app *app = NULL;
    CHECK_EQ_INT(sic_app_load(&sets.items[1], NULL, &app, &err), SIC_ETRUNCATED);
    CHECK(app == NULL && strstr(err.msg, "cut at byte 500"), "%s", err.msg);
    CHECK_EQ_INT(sic_app_load(&sets.items[0], NULL, &app, &err), 0);
    sic_app_free(app);
  }
  CHECK_EQ_INT(m.opened, m.closed);
  CHECK_EQ_INT(m.destroyed, 0);
  sic_logsets_free(&sets);
  CHECK_EQ_INT(m.destroyed, 0); /* the caller's own reference is still there */
  sic_part_source_release(&m.src);
  CHECK_EQ_INT(m.destroyed, 1);
}

/* ---- GCS JSON API against the fixture, with a token from the "metadata server" ---- */

static void test_gcs(void) {
  static char app[4096], p1[4096], p2[4096], page1[1024], page2[1024], probe[512];
  event_lines(0, 30, app, sizeof app);
  event_lines(30, 10, p1, sizeof p1);
  event_lines(40, 10, p2, sizeof p2);
  snprintf(page1, sizeof page1,
           "{\"kind\":\"storage#objects\",\"nextPageToken\":\"p2+/=\",\"items\":["
           "{\"name\":\"logs/app-1\",\"size\":\"%zu\",\"etag\":\"CJ1\",\"updated\":\"2024-05-01T10:00:00.000Z\"},"
           "{\"name\":\"logs/eventlog_v2_app-2/appstatus_app-2\",\"size\":\"0\"}]}", strlen(app));
  snprintf(page2, sizeof page2,
           "{\"items\":[{\"name\":\"logs/eventlog_v2_app-2/events_1_app-2\",\"size\":\"%zu\"},"
           "{\"name\":\"logs/eventlog_v2_app-2/events_2_app-2\",\"size\":\"%zu\"}]}", strlen(p1), strlen(p2));
  snprintf(probe, sizeof probe, "{\"items\":[{\"name\":\"logs/app-1\",\"size\":\"%zu\"}]}", strlen(app));
  static const char token[] = "{\"access_token\":\"meta-tok\",\"expires_in\":3599,\"token_type\":\"Bearer\"}";
  fx_route routes[] = {
      {.path = "/computeMetadata/v1/instance/service-accounts/default/token", .status = 200, .body = token,
       .body_len = sizeof token - 1},
      {.path = "/storage/v1/b/bkt/o", .query_has = "prefix=logs/app-1", .status = 200, .body = probe,
       .body_len = strlen(probe)},
      {.path = "/storage/v1/b/bkt/o", .query_has = "pageToken=p2+/=", .status = 200, .body = page2,
       .body_len = strlen(page2)},
      {.path = "/storage/v1/b/bkt/o", .query_has = "prefix=logs/", .status = 200, .body = page1,
       .body_len = strlen(page1)},
      {.path = "/storage/v1/b/bkt/o", .status = 200, .body = "{}", .body_len = 2}, /* the probe of "logs" */
      {.path = "/storage/v1/b/bkt/o/logs/app-1", .status = 200, .body = app, .body_len = strlen(app), .honor_range = 1},
      {.path = "/storage/v1/b/bkt/o/logs/eventlog_v2_app-2/events_1_app-2", .status = 200, .body = p1,
       .body_len = strlen(p1), .honor_range = 1},
      {.path = "/storage/v1/b/bkt/o/logs/eventlog_v2_app-2/events_2_app-2", .status = 200, .body = p2,
       .body_len = strlen(p2), .honor_range = 1},
  };
  fx_server *srv = fx_start(routes, sizeof routes / sizeof routes[0]);
  CHECK(srv != NULL, "fixture server");
  if (!srv) return;
  char hostport[64];
  snprintf(hostport, sizeof hostport, "127.0.0.1:%d", fx_port(srv));
  setenv("STORAGE_EMULATOR_HOST", hostport, 1);
  setenv("GCE_METADATA_HOST", hostport, 1);
  unsetenv("GOOGLE_OAUTH_ACCESS_TOKEN");
  sic_sources_init();
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan("gs://bkt/logs", &sets, &err), 0);
  CHECK(routes[0].hits == 1, "token asked once (%d)", routes[0].hits);
  CHECK_EQ_INT(routes[2].hits, 1); /* the second page, by its token */
  CHECK_EQ_INT(sets.n, 2);
  if (sets.n == 2) {
    CHECK_EQ_STR(sets.items[0].path, "gs://bkt/logs/app-1");
    CHECK_EQ_STR(sets.items[1].path, "gs://bkt/logs/eventlog_v2_app-2");
    CHECK_EQ_INT(sets.items[1].layout, SIC_LAYOUT_ROLLING);
    CHECK_EQ_INT(sets.items[1].in_progress, 0);
    CHECK_EQ_INT(sets.items[0].mtime_ms, 1714557600000LL);
    for (size_t i = 0; i < 2; i++) {
      sic_stream *st;
      const char *d;
      size_t n, part;
      char got[8192];
      size_t len = 0;
      CHECK_EQ_INT(sic_stream_open(&sets.items[i], 2, &st, &err), 0);
      int rc;
      while ((rc = sic_stream_next(st, &d, &n, &part, &err)) == 1 && len + n < sizeof got) {
        memcpy(got + len, d, n);
        len += n;
      }
      CHECK_EQ_INT(rc, 0);
      sic_stream_free(st);
      char want[8192];
      snprintf(want, sizeof want, "%s%s", i ? p1 : app, i ? p2 : "");
      CHECK(len == strlen(want) && !memcmp(got, want, len), "gs bytes of log %zu", i);
    }
  }
  CHECK_EQ_STR(fx_last_header(srv, "Authorization"), "Bearer meta-tok");
  sic_logsets_free(&sets);
  /* the same listing again (a server rescanning): the logs are not sniffed again */
  int sniffed = routes[5].hits;
  CHECK_EQ_INT(sic_logset_scan("gs://bkt/logs", &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 2);
  CHECK_EQ_INT(routes[5].hits, sniffed);
  if (sets.n == 2) CHECK_EQ_STR(sets.items[1].parts[0].path, "gs://bkt/logs/eventlog_v2_app-2/events_1_app-2");
  sic_logsets_free(&sets);
  /* one object named directly, a token from the environment */
  unsetenv("GCE_METADATA_HOST");
  setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "env-tok", 1);
  CHECK_EQ_INT(sic_logset_scan("gs://bkt/logs/app-1", &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n == 1) {
    CHECK_EQ_STR(sets.items[0].path, "gs://bkt/logs/app-1");
    sic_app *a = NULL;
    CHECK_EQ_INT(sic_app_load(&sets.items[0], NULL, &a, &err), 0);
    sic_app_free(a);
  }
  CHECK_EQ_STR(fx_last_header(srv, "Authorization"), "Bearer env-tok");
  sic_logsets_free(&sets);
  CHECK_EQ_INT(routes[0].hits, 1);
  /* a proxy's login page instead of JSON */
  char html[] = "<html>login</html>";
  sic_source_page page = {0};
  CHECK_EQ_INT(gcs_parse_list(html, strlen(html), 0, &page, &err), SIC_EFORMAT);
  sic_source_page_free(&page);
  unsetenv("STORAGE_EMULATOR_HOST");
  unsetenv("GOOGLE_OAUTH_ACCESS_TOKEN");
  fx_stop(srv);
}

/* ---- the file scheme and the URI hook ---- */

static void test_file_scheme(void) {
  char dir[] = "/tmp/sic_test_sources_XXXXXX";
  if (!mkdtemp(dir)) return;
  char path[256], uri[300], lines[4096];
  snprintf(path, sizeof path, "%s/app-5", dir);
  FILE *f = fopen(path, "w");
  fputs(event_lines(0, 10, lines, sizeof lines), f);
  fclose(f);
  snprintf(uri, sizeof uri, "file://%s", dir);
  sic_logsets sets;
  sic_err err = {0};
  sic_sources_init();
  CHECK_EQ_INT(sic_logset_scan(uri, &sets, &err), 0);
  CHECK_EQ_INT(sets.n, 1);
  if (sets.n == 1) CHECK_EQ_STR(sets.items[0].path, path);
  sic_logsets_free(&sets);
  sic_source *s;
  CHECK_EQ_INT(sic_source_open(uri, NULL, &s, &err), 0);
  sic_source_page page;
  CHECK_EQ_INT(sic_source_list(s, NULL, &page, &err), 0);
  CHECK_EQ_INT(page.n, 1);
  if (page.n == 1) {
    CHECK_EQ_STR(page.items[0].name, "app-5");
    CHECK_EQ_INT(page.items[0].size, (int64_t)strlen(lines));
  }
  sic_source_page_free(&page);
  sic_reader *r;
  CHECK_EQ_INT(sic_source_read(s, "app-5", 10, 20, &r, &err), 0);
  char *got;
  size_t n;
  CHECK_EQ_INT(read_all(r, &got, &n, &err), 0);
  CHECK(n == 20 && !memcmp(got, lines + 10, 20), "ranged file read");
  free(got);
  r->close(r);
  sic_source_free(s);
  CHECK_EQ_INT(sic_source_open("gopher://x/y", NULL, &s, &err), SIC_EUNSUPPORTED);
  CHECK(strstr(err.msg, "gopher") != NULL, "%s", err.msg);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  test_uri_parse();
  test_uri_display();
  test_sigv4_aws_examples();
  test_s3_canonical_query();
  test_s3_parse_list();
  test_http_faults();
  test_remote_parts();
  test_gcs();
  test_file_scheme();
  return CHECK_RESULT();
}
