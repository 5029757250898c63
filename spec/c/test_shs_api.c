/* Tests for engine/shs: date/number/query parsing as the History Server does it, and an
 * in-process walk of every resource of every application in the shared event logs (each
 * response well-formed JSON with an expected status; task counts consistent between a stage,
 * its task map and its task list). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "json/scan.h"
#include "shs/shs.h"
#include "shs/shs_internal.h"

static int failures;

#define EXPECT(cond, ...)                                        \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                              \
      fputc('\n', stderr);                                       \
      failures++;                                                \
    }                                                            \
  } while (0)

/* ---- parsing and formats ---- */

static void test_dates(void) {
  char b[32];
  shs_format_date(1422981785829LL, b);
  EXPECT(!strcmp(b, "2015-02-03T16:43:05.829GMT"), "%s", b);
  shs_format_date(-1, b); /* new Date(-1): incomplete applications' end time */
  EXPECT(!strcmp(b, "1969-12-31T23:59:59.999GMT"), "%s", b);
  shs_format_date(0, b);
  EXPECT(!strcmp(b, "1970-01-01T00:00:00.000GMT"), "%s", b);
  shs_format_date(951782400000LL, b); /* leap day 2000 */
  EXPECT(!strcmp(b, "2000-02-29T00:00:00.000GMT"), "%s", b);

  int64_t ms = 0;
  EXPECT(shs_parse_date_param("2015-02-10", &ms) == 0 && ms == 1423526400000LL, "%lld", (long long)ms);
  EXPECT(shs_parse_date_param("2015-02-03T16:42:40.000GMT", &ms) == 0 && ms == 1422981760000LL, "%lld", (long long)ms);
  EXPECT(shs_parse_date_param("2015-02-03T17:42:40.000GMT+01:00", &ms) == 0 && ms == 1422981760000LL, "%lld", (long long)ms);
  EXPECT(shs_parse_date_param("2015-02-03T08:42:40.000-0800", &ms) == 0 && ms == 1422981760000LL, "%lld", (long long)ms);
  /* Not the full form: the day prefix still parses (DateFormat ignores trailing text). */
  EXPECT(shs_parse_date_param("2015-02-03T16:42", &ms) == 0 && ms == 1422921600000LL, "%lld", (long long)ms);
  EXPECT(shs_parse_date_param("Not_a_date", &ms) < 0, "parsed");
  EXPECT(shs_parse_date_param("", &ms) < 0, "parsed");
  EXPECT(shs_parse_date_param("2015/02/03", &ms) < 0, "parsed");
}

static void test_numbers(void) {
  double d;
  int32_t i;
  EXPECT(shs_parse_java_double("0.05", &d) == 0 && d == 0.05, "%g", d);
  EXPECT(shs_parse_java_double(" 1e-1 ", &d) == 0 && d == 0.1, "%g", d);
  EXPECT(shs_parse_java_double("0.5d", &d) == 0 && d == 0.5, "%g", d);
  EXPECT(shs_parse_java_double("-Infinity", &d) == 0 && isinf(d) && d < 0, "%g", d);
  EXPECT(shs_parse_java_double("NaN", &d) == 0 && isnan(d), "%g", d);
  EXPECT(shs_parse_java_double("foo", &d) < 0, "parsed");
  EXPECT(shs_parse_java_double("", &d) < 0, "parsed");
  EXPECT(shs_parse_java_double("inf", &d) < 0, "parsed"); /* strtod would take it, Java does not */
  EXPECT(shs_parse_java_double("1.2.3", &d) < 0, "parsed");
  EXPECT(shs_parse_java_int("-12", &i) == 0 && i == -12, "%d", i);
  EXPECT(shs_parse_java_int("2147483647", &i) == 0 && i == 2147483647, "%d", i);
  EXPECT(shs_parse_java_int("2147483648", &i) < 0, "parsed");
  EXPECT(shs_parse_java_int(" 1", &i) < 0, "parsed");
  EXPECT(shs_parse_java_int("", &i) < 0, "parsed");
}

static void test_query(void) {
  shs_query q;
  EXPECT(shs_query_parse("/api/v1/applications/a%20b/stages?status=complete&status=FAILED&x=%41+b&flag", &q) == 0, "parse");
  EXPECT(q.nseg == 3 && !strcmp(q.seg[1], "a b"), "segments %zu", q.nseg);
  EXPECT(q.nparams == 4, "%zu params", q.nparams);
  EXPECT(!strcmp(shs_param_get(&q, "status"), "complete"), "first value");
  EXPECT(!strcmp(shs_param_get(&q, "x"), "A b"), "%s", shs_param_get(&q, "x"));
  EXPECT(!strcmp(shs_param_get(&q, "flag"), ""), "flag");
  EXPECT(shs_param_get(&q, "nope") == NULL, "absent");
  EXPECT(!strcmp(q.raw_path, "/api/v1/applications/a%20b/stages"), "%s", q.raw_path);
  shs_query_free(&q);
  EXPECT(shs_query_parse("applications/", &q) == 0 && q.nseg == 1, "trailing slash");
  shs_query_free(&q);
  EXPECT(shs_query_parse("%zz%4", &q) == 0 && q.nseg == 1 && !strcmp(q.seg[0], "%zz%4"), "bad escapes kept");
  shs_query_free(&q);
}

/* ---- walking the real logs ---- */

/* Fully validate a JSON document with the engine's scanner. */
static int valid_value(sic_jscan *s, int depth) {
  sic_jiter it;
  sic_jstr k;
  if (depth > 64) return -1;
  switch (sic_json_peek(s)) {
  case SIC_JT_OBJECT:
    if (sic_json_obj_begin(s, &it) < 0) return -1;
    for (int r; (r = sic_json_obj_next(s, &it, &k)) != 0;)
      if (r < 0 || valid_value(s, depth + 1) < 0) return -1;
    return 0;
  case SIC_JT_ARRAY:
    if (sic_json_arr_begin(s, &it) < 0) return -1;
    for (int r; (r = sic_json_arr_next(s, &it)) != 0;)
      if (r < 0 || valid_value(s, depth + 1) < 0) return -1;
    return 0;
  case SIC_JT_STRING: return sic_json_str(s, &k);
  case SIC_JT_NUMBER: {
    double d;
    return sic_json_f64(s, &d);
  }
  default: return sic_json_skip(s);
  }
}

static int valid_json(const char *p, size_t n) {
  sic_jscan s;
  sic_json_init(&s, p, n);
  return valid_value(&s, 0) == 0 && sic_json_end(&s) == 0;
}

/* Integer value of "key" in a pretty-printed body (first occurrence); -1 when absent. */
static long long int_field(const char *body, const char *key) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\" : ", key);
  const char *p = strstr(body, pat);
  return p ? atoll(p + strlen(pat)) : -1;
}

static int count_occurrences(const char *body, const char *needle) {
  int n = 0;
  for (const char *p = body; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static int requests;

static sic_shs_response get(sic_shs *shs, const char *path) {
  sic_shs_response r;
  int st = sic_shs_get(shs, path, &r);
  requests++;
  EXPECT(st == r.status, "%s: returned %d, status %d", path, st, r.status);
  EXPECT(r.status == 200 || r.status == 400 || r.status == 404 || r.status == 503, "%s: status %d (%.*s)", path, r.status,
         (int)r.len, r.body ? r.body : "");
  if (r.status == 200 && r.content_type && !strcmp(r.content_type, "application/json"))
    EXPECT(valid_json(r.body, r.len), "%s: invalid JSON", path);
  if (r.status != 200) EXPECT(r.body && r.len > 0, "%s: error without a message", path);
  return r;
}

static void walk_stage(sic_shs *shs, const char *base, const shs_attempt *at, int sid, int att) {
  char path[1024];
  snprintf(path, sizeof path, "%s/stages/%d/%d?details=true&withSummaries=true&quantiles=0.1,0.9", base, sid, att);
  sic_shs_response r = get(shs, path);
  if (r.status == 200) {
    long long total = int_field(r.body, "numActiveTasks") + int_field(r.body, "numCompleteTasks") +
                      int_field(r.body, "numFailedTasks") + int_field(r.body, "numKilledTasks");
    int in_map = count_occurrences(r.body, "\n      \"taskId\" : ");
    EXPECT(total == in_map, "%s: %lld counted tasks, %d in the task map", path, total, in_map);
    sic_shs_response l;
    snprintf(path, sizeof path, "%s/stages/%d/%d/taskList?length=100000000", base, sid, att);
    l = get(shs, path);
    EXPECT(l.status == 200 && count_occurrences(l.body, "\"taskId\" : ") == in_map, "%s: list differs", path);
    sic_shs_response_free(&l);
  }
  sic_shs_response_free(&r);
  const char *leaves[] = {"taskSummary", "taskList?sortBy=-runtime&status=success&offset=1&length=3",
                          "taskList?sortBy=runtime"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/stages/%d/%d/%s", base, sid, att, leaves[i]);
    r = get(shs, path);
    sic_shs_response_free(&r);
  }
  (void)at;
}

static void walk_attempt(sic_shs *shs, const shs_appinfo *app, shs_attempt *at, int max_stages) {
  char base[512], path[1024];
  if (at->attempt_id) snprintf(base, sizeof base, "applications/%s/%s", app->id, at->attempt_id);
  else snprintf(base, sizeof base, "applications/%s", app->id);
  const char *res[] = {"", "/jobs", "/jobs?status=succeeded&status=running", "/executors", "/allexecutors",
                       "/stages", "/stages?status=complete&details=true", "/environment", "/storage/rdd",
                       "/allmiscellaneousprocess", "/jobs/0", "/storage/rdd/0", "/stages/0"};
  for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
    snprintf(path, sizeof path, "%s%s", base, res[i]);
    sic_shs_response r = get(shs, path);
    sic_shs_response_free(&r);
  }
  sic_err err = {0};
  if (shs_attempt_load(shs, at, &err) < 0) {
    EXPECT(0, "%s: %s", base, err.msg);
    return;
  }
  const sic_app *a = at->app;
  for (int64_t s = 0; s < a->nstages && s < max_stages; s++)
    walk_stage(shs, base, at, a->stages[s].stage_id, a->stages[s].attempt_id);
}

static void walk_dir(const char *dir, int max_stages) {
  sic_shs *shs = NULL;
  sic_err err = {0};
  if (sic_shs_open(dir, NULL, &shs, &err) < 0) {
    EXPECT(0, "%s: %s", dir, err.msg);
    return;
  }
  sic_shs_response r = get(shs, "applications");
  sic_shs_response_free(&r);
  for (size_t i = 0; i < shs->napps; i++)
    for (size_t k = 0; k < shs->apps[i].nattempts; k++)
      walk_attempt(shs, &shs->apps[i], &shs->apps[i].attempts[k], max_stages);
  sic_shs_close(shs);
}

static void test_cache_eviction(const char *dir) {
  /* A 1-byte budget forces every request to reload: answers must not change. */
  sic_shs *big = NULL, *tiny = NULL;
  sic_shs_opts o = {1, 1};
  sic_err err = {0};
  if (sic_shs_open(dir, NULL, &big, &err) < 0 || sic_shs_open(dir, &o, &tiny, &err) < 0) {
    EXPECT(0, "%s", err.msg);
    sic_shs_close(big);
    return;
  }
  const char *paths[] = {"applications/local-1422981780767/stages/1/0", "applications/local-1430917381534/jobs",
                         "applications/local-1422981780767/executors"};
  for (int round = 0; round < 2; round++)
    for (size_t i = 0; i < 3; i++) {
      sic_shs_response x = get(big, paths[i]), y = get(tiny, paths[i]);
      EXPECT(x.len == y.len && !memcmp(x.body, y.body, x.len), "%s differs after eviction", paths[i]);
      sic_shs_response_free(&x);
      sic_shs_response_free(&y);
    }
  EXPECT(tiny->cached_bytes <= tiny->cache_bytes + (int64_t)(64 << 20), "cache kept %lld bytes", (long long)tiny->cached_bytes);
  sic_shs_close(big);
  sic_shs_close(tiny);
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  char buf[65536];
  size_t n;
  int ok = in && out;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  if (in) fclose(in);
  if (out && fclose(out)) ok = 0;
  return ok ? 0 : -1;
}

static size_t app_count(sic_shs *shs) {
  sic_shs_response r = get(shs, "applications");
  size_t n = (size_t)count_occurrences(r.body ? r.body : "", "\n  \"id\" : ");
  sic_shs_response_free(&r);
  return n;
}

static void test_refresh(const char *logs) { /* logs: a path shorter than 1024 bytes */
  char dir[] = "/tmp/sic-shs-refresh-XXXXXX", a[1024], b[1024], src[2048];
  if (!mkdtemp(dir)) {
    EXPECT(0, "mkdtemp");
    return;
  }
  snprintf(a, sizeof a, "%s/local-1422981780767", dir);
  snprintf(b, sizeof b, "%s/local-1430917381534", dir);
  snprintf(src, sizeof src, "%s/local-1422981780767", logs);
  EXPECT(copy_file(src, a) == 0, "copy %s", src);
  sic_shs *shs = NULL;
  sic_err err = {0};
  EXPECT(sic_shs_open(dir, NULL, &shs, &err) == 0, "%s", err.msg);
  if (!shs) return;
  EXPECT(app_count(shs) == 1, "one app");
  sic_shs_response r = get(shs, "applications/local-1422981780767/jobs");
  sic_shs_response_free(&r);
  const sic_app *model = shs->apps[0].attempts[0].app;
  snprintf(src, sizeof src, "%s/local-1430917381534", logs);
  EXPECT(copy_file(src, b) == 0, "copy %s", src);
  EXPECT(sic_shs_refresh(shs, &err) == 0, "%s", err.msg);
  EXPECT(app_count(shs) == 2, "two apps after refresh");
  const shs_appinfo *kept = shs_find_app(shs, "local-1422981780767");
  EXPECT(kept && kept->attempts[0].app == model, "unchanged log keeps its model");
  r = get(shs, "applications/local-1430917381534/stages/0/0/taskSummary");
  EXPECT(r.status == 200, "new app served");
  sic_shs_response_free(&r);
  remove(a);
  EXPECT(sic_shs_refresh(shs, &err) == 0, "%s", err.msg);
  EXPECT(app_count(shs) == 1, "vanished log dropped");
  r = get(shs, "applications/local-1422981780767");
  EXPECT(r.status == 404, "gone: %d", r.status);
  sic_shs_response_free(&r);
  sic_shs_close(shs);
  remove(b);
  rmdir(dir);
}

int main(void) {
  test_dates();
  test_numbers();
  test_query();
  const char *shared = check_shared_part("test_shs_api", "walk of every resource of the real logs");
  if (shared) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/spark-events/spark", shared);
    walk_dir(dir, 1000);
    test_cache_eviction(dir);
    test_refresh(dir);
    snprintf(dir, sizeof dir, "%s/spark-events/spark-extra", shared);
    walk_dir(dir, 1000);
    snprintf(dir, sizeof dir, "%s/spark-events/spark-rapids-tools", shared);
    walk_dir(dir, 40); /* big logs: a bounded sample of stages each */
  }
  if (failures) {
    fprintf(stderr, "test_shs_api: %d failure(s) in %d requests\n", failures, requests);
    return 1;
  }
  printf("test_shs_api: ok (%d requests)\n", requests);
  return 0;
}
