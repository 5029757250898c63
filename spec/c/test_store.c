/* The history store, tested identically against both backends (see test_store_support.h):
 * job keys, checksums, URLs, findings decoding, migrations, idempotent ingest, verbatim
 * storage of injection-shaped values, history and regressions. Fault tests (kill, races,
 * server restart) are in test_store_faults.c. */
#include "test_store_support.h"

/* ---- tests ---- */

static void test_jobkey(void) {
  static const char *const cases[][2] = {
    {"junoHourly-2016-10-05:21", "junoHourly"},
    {"etl_daily_20240101", "etl_daily"},
    {"report-3f2b8c1e-9a4d-4e2b-8c1e-9a4d4e2b8c1e", "report"},
    {"ingest run 17", "ingest run"},
    {"sales 2024-01-02T03:04:05.123Z rollup", "sales rollup"},
    {"Spark shell", "Spark shell"},
    {"job-1700000000000", "job"},
    {"2024-01-01", "2024-01-01"},
    {"PythonPi", "PythonPi"},
    {"q66_v2", "q66_v2"},
  };
  char key[256];
  sic_err err = {0};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int rc = sic_jobkey_from_name(cases[i][0], NULL, key, sizeof key, &err);
    CHECK(rc == 0 && !strcmp(key, cases[i][1]), "'%s' -> '%s', expected '%s'", cases[i][0], key, cases[i][1]);
  }
  const char *extra[] = {"^team-[a-z]+/"};
  sic_jobkey_rules rules = {extra, 1, 0};
  sic_jobkey_from_name("team-data/loader-2024-05-06", &rules, key, sizeof key, &err);
  CHECK(!strcmp(key, "loader"), "extra pattern: got '%s'", key);
  const char *bad[] = {"(unclosed"};
  sic_jobkey_rules bad_rules = {bad, 1, 1};
  int rc = sic_jobkey_from_name("x", &bad_rules, key, sizeof key, &err);
  CHECK(rc == SIC_EINVAL && strstr(err.msg, "(unclosed"), "bad pattern must be reported: %s", err.msg);

  fx_spec sp = base_spec("app-1", "nightly-2024-01-01", day(0));
  const char *props[] = {"sic.job", "billing-nightly", NULL};
  sp.props = props;
  sic_app *app = fx_build(&sp);
  sic_jobkey_from_app(app, NULL, key, sizeof key, &err);
  CHECK(!strcmp(key, "billing-nightly"), "sic.job conf must win: got '%s'", key);
  fx_free(app);
}

static void test_sha256(void) {
  char path[300], hex[65];
  snprintf(path, sizeof path, "%s/abc.txt", tmpdir);
  FILE *f = fopen(path, "w");
  fputs("abc", f);
  fclose(f);
  const char *paths[] = {path};
  int64_t size = 0;
  sic_err err = {0};
  int rc = sic_store_checksum_files(paths, 1, hex, &size, &err);
  CHECK_OK(rc, err);
  CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") && size == 3,
        "sha256(abc) = %s", hex);
  const char *missing[] = {"/nonexistent/log"};
  rc = sic_store_checksum_files(missing, 1, hex, &size, &err);
  CHECK(rc == SIC_EIO && strstr(err.msg, "/nonexistent/log"), "missing file must be named: %s", err.msg);
}

static void test_findings_json(void) {
  static const char doc[] =
    "{\"schema\":\"sic.findings/1\",\"app\":{\"id\":\"a\"},\"findings\":["
    "{\"entity\":{\"key\":\"stage 0.0\",\"kind\":\"stage\"},\"evidence\":{\"ratio\":15.6,\"tasks\":10},"
    "\"id\":\"skew.task_duration\",\"impact\":{\"basis\":\"wall\",\"saving_ms\":290},"
    "\"recommendation\":{\"config\":{\"spark.sql.adaptive.enabled\":\"true\"},\"text\":\"Salt the \\\"key\\\"\"},"
    "\"rule\":\"skew_rules.lua\",\"severity\":\"high\",\"title\":\"Skewed stage\"},"
    "{\"id\":\"plain\",\"entity\":\"executor 3\",\"recommendation\":\"more memory\",\"impact\":null,"
    "\"severity\":\"low\",\"extra\":[1,2,{\"x\":null}]}],\"agents\":[]}";
  sic_store_findings f;
  sic_err err = {0};
  int rc = sic_store_findings_from_json(doc, sizeof doc - 1, &f, &err);
  CHECK_OK(rc, err);
  CHECK(f.n == 2, "two findings, got %zu", f.n);
  if (!rc && f.n == 2) {
    sic_store_finding *a = &f.items[0], *b = &f.items[1];
    CHECK(!strcmp(a->id, "skew.task_duration") && !strcmp(a->severity, "high") && !strcmp(a->title, "Skewed stage"),
          "scalars");
    CHECK(!strcmp(a->entity, "stage 0.0"), "entity key: %s", a->entity);
    CHECK(!strcmp(a->recommendation, "Salt the \"key\""), "recommendation text: %s", a->recommendation);
    CHECK(!strcmp(a->evidence, "{\"ratio\":15.6,\"tasks\":10}"), "evidence kept as JSON: %s", a->evidence);
    CHECK(a->impact_ms == 290, "impact ms %g", a->impact_ms);
    CHECK(a->json && a->json[0] == '{' && strstr(a->json, "\"rule\":\"skew_rules.lua\""), "whole finding kept");
    CHECK(!strcmp(b->entity, "executor 3") && !strcmp(b->recommendation, "more memory") && !b->impact &&
          isnan(b->impact_ms) && !b->title, "plain strings and nulls");
  }
  sic_store_findings_free(&f);
  rc = sic_store_findings_from_json("{\"findings\":[{\"id\":}]}", 22, &f, &err);
  CHECK(rc == SIC_EFORMAT && strstr(err.msg, "byte"), "malformed report: %s", err.msg);
}

/* What `sic analyze --store` calls: the report JSON in, the run with its findings stored; the
 * same log analysed again with other rules refreshes the findings and nothing else. */
static void test_record_report(void) {
  char url[400], path[300];
  fresh_store(url, sizeof url);
  snprintf(path, sizeof path, "%s/analyzed.log", tmpdir);
  FILE *f = fopen(path, "w");
  fputs("{\"Event\":\"SparkListenerLogStart\"}\n", f);
  fclose(f);
  fx_spec sp = base_spec("application_rec_0001", "recorded", day(0));
  sp.source_path = path; /* the checksum comes from this file */
  sic_app *app = fx_build(&sp);
  static const char report1[] = "{\"schema\":\"sic.findings/1\",\"findings\":["
                                "{\"id\":\"a\",\"severity\":\"high\",\"title\":\"A\"},"
                                "{\"id\":\"b\",\"severity\":\"low\",\"title\":\"B\"}]}";
  static const char report2[] = "{\"schema\":\"sic.findings/1\",\"findings\":["
                                "{\"id\":\"c\",\"severity\":\"critical\",\"title\":\"C\"}]}";
  sic_ingest_result res;
  sic_err err = {0};
  int rc = sic_store_record_report(url, app, report1, NULL, &res, &err);
  CHECK(rc == 0 && res.status == SIC_STORE_INSERTED, "rc=%d status=%d %s", rc, res.status, err.msg);
  rc = sic_store_record_report(url, app, report2, NULL, &res, &err);
  CHECK(rc == 0 && res.status == SIC_STORE_UNCHANGED, "rc=%d status=%d %s", rc, res.status, err.msg);
  sic_store *s = open_store(url);
  if (s) {
    CHECK(scalar(s, "SELECT COUNT(*) FROM findings", NULL) == 1, "findings replaced by the new analysis");
    CHECK(scalar(s, "SELECT COUNT(*) FROM findings WHERE finding_id = 'c'", NULL) == 1, "the new finding");
    CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 1, "one attempt");
    sic_store_close(s);
  }
  rc = sic_store_record_report(url, app, "{\"findings\": 3}", NULL, &res, &err);
  CHECK(rc == SIC_EFORMAT, "bad report refused: %s", err.msg);
  fx_free(app);
}

static void test_open_and_migrate(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  CHECK(sic_store_schema_version(s) == SIC_STORE_SCHEMA_VERSION, "version %d", sic_store_schema_version(s));
  CHECK(!strcmp(sic_store_backend(s), backend), "backend %s", sic_store_backend(s));
  sic_store_close(s);
  s = open_store(url); /* reopening an up-to-date store migrates nothing and works */
  if (!s) return;
  CHECK(scalar(s, "SELECT COUNT(*) FROM sic_meta", NULL) == 1, "one meta row");
  /* A store written by a newer sic is refused, not misread. */
  sic_err err = {0};
  db_exec(s->db, "UPDATE sic_meta SET value = '99' WHERE name = 'schema_version'", &err);
  sic_store_close(s);
  sic_store *newer = NULL;
  int rc = sic_store_open(url, &newer, &err);
  CHECK(rc == SIC_EUNSUPPORTED && strstr(err.msg, "newer") && strstr(err.msg, "99"), "rc=%d %s", rc, err.msg);
  sic_store_close(newer);
}

static void test_bad_urls(void) {
  sic_store *s = NULL;
  sic_err err = {0};
  int rc = sic_store_open("mysql://x", &s, &err);
  CHECK(rc == SIC_EINVAL && strstr(err.msg, "mysql://x"), "unknown scheme: %s", err.msg);
  rc = sic_store_open("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2", &s, &err);
  CHECK(rc == SIC_EIO && !strstr(err.msg, "secret") && strstr(err.msg, "***"), "password must be masked: %s",
        err.msg);
  rc = sic_store_open("sqlite:///nonexistent-dir/x/y.db", &s, &err);
  CHECK(rc == SIC_EIO && strstr(err.msg, "/nonexistent-dir/x/y.db"), "unopenable file: %s", err.msg);
}

static void test_ingest_idempotent(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  fx_spec sp = base_spec("application_1_0001", "etl-2024-01-01", day(0));
  sp.attempt_id = "1";
  sic_app *app = fx_build(&sp);
  sic_ingest_result res;
  ingest(s, app, "c0ffee01", 1, &res);
  CHECK(res.status == SIC_STORE_INSERTED && !strcmp(res.job_key, "etl"), "status %d job %s", res.status, res.job_key);
  ingest(s, app, "c0ffee01", 1, &res);
  CHECK(res.status == SIC_STORE_UNCHANGED, "same checksum: status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 1, "one attempt");
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == 30, "30 task rows");
  CHECK(scalar(s, "SELECT COUNT(*) FROM stages", NULL) == 3, "3 stages");
  CHECK(scalar(s, "SELECT COUNT(*) FROM executors", NULL) == 9, "9 executors");
  CHECK(scalar(s, "SELECT COUNT(*) FROM spark_jobs", NULL) == 1, "1 job");
  CHECK(scalar(s, "SELECT tasks FROM attempts", NULL) == 30, "attempt task count");
  CHECK(scalar(s, "SELECT input_bytes FROM attempts", NULL) == 30LL << 20, "input bytes summed");
  CHECK(scalar(s, "SELECT executors FROM attempts", NULL) == 8, "driver not counted");
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks WHERE status = 'SUCCESS' AND speculative = 1", NULL) == 3,
        "task status and flags stored");
  /* Changed content of the same attempt (e.g. the .inprogress log finished): replaced whole. */
  ingest(s, app, "c0ffee02", 0, &res);
  CHECK(res.status == SIC_STORE_REPLACED, "status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 1, "still one attempt");
  CHECK(scalar(s, "SELECT COUNT(*) FROM tasks", NULL) == 0, "old task rows gone with the old attempt");
  CHECK(scalar(s, "SELECT COUNT(*) FROM stages", NULL) == 3, "stages not duplicated");
  /* The superseded content is remembered: re-ingesting it changes nothing (no flip-flopping
   * between two copies of one attempt when a directory is ingested again). */
  ingest(s, app, "c0ffee01", 1, &res);
  CHECK(res.status == SIC_STORE_UNCHANGED, "superseded copy again: status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts WHERE source_checksum = 'c0ffee02'", NULL) == 1, "newer kept");
  /* An incomplete copy never replaces a complete attempt. */
  app->complete = 0;
  ingest(s, app, "c0ffee0f", 0, &res);
  CHECK(res.status == SIC_STORE_KEPT, "incomplete copy: status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts WHERE source_checksum = 'c0ffee02'", NULL) == 1, "complete kept");
  app->complete = 1;
  /* Another attempt of the same application is a second row, same application. */
  fx_free(app);
  sp.attempt_id = "2";
  app = fx_build(&sp);
  ingest(s, app, "c0ffee03", 0, &res);
  CHECK(res.status == SIC_STORE_INSERTED, "second attempt: %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM applications", NULL) == 1, "one application");
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 2, "two attempts");
  /* Re-analysis of a known log refreshes its findings only. */
  sic_store_finding f = {"skew.stage", "high", "Stage 0 is skewed", "stage 0", "{\"ratio\": 10}", "salt the key",
                         NULL, "skew", 1500, NULL};
  sic_ingest_opts o;
  sic_ingest_opts_init(&o);
  o.checksum = "c0ffee03";
  o.findings = &f;
  o.nfindings = 1;
  sic_err err = {0};
  for (int i = 0; i < 2; i++) CHECK_OK(sic_store_ingest(s, app, &o, &res, &err), err);
  CHECK(res.status == SIC_STORE_UNCHANGED, "status %d", res.status);
  CHECK(scalar(s, "SELECT COUNT(*) FROM findings", NULL) == 1, "findings replaced, not duplicated");
  fx_free(app);
  /* A model without files and without a checksum cannot be deduplicated: refused clearly. */
  sp.source_path = NULL;
  app = fx_build(&sp);
  sic_ingest_opts_init(&o);
  int rc = sic_store_ingest(s, app, &o, &res, &err);
  CHECK(rc == SIC_EINVAL && strstr(err.msg, "checksum"), "rc=%d %s", rc, err.msg);
  fx_free(app);
  sic_store_close(s);
}

/* Values shaped like SQL injection and like COPY's escape characters come back verbatim. */
static void test_verbatim(void) {
  static const char *const names[] = {"x'); DROP TABLE attempts; --", "a\tb\nc\\N\\t\r\"q\" $1 ?1 %s"};
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  for (int i = 0; i < 2; i++) {
    char path[300], checksum[16];
    snprintf(path, sizeof path, "/logs/it's \"%s\"\\%d", names[i], i);
    fx_spec sp = base_spec(names[i], names[i], day(i));
    sp.source_path = path;
    const char *props[] = {"spark.weird", names[i], NULL};
    sp.props = props;
    sic_app *app = fx_build(&sp);
    snprintf(checksum, sizeof checksum, "v%d", i);
    sic_ingest_result res;
    ingest(s, app, checksum, 1, &res);
    sic_store_runs runs;
    sic_err err = {0};
    int rc = sic_store_history(s, names[i], 0, &runs, &err); /* resolved by app name */
    CHECK_OK(rc, err);
    if (!rc && runs.n == 1) {
      CHECK(!strcmp(runs.items[0].app_name, names[i]), "name '%s'", runs.items[0].app_name);
      CHECK(!strcmp(runs.items[0].app_id, names[i]), "app id '%s'", runs.items[0].app_id);
      CHECK(!strcmp(runs.items[0].source_path, path), "path '%s'", runs.items[0].source_path);
    } else {
      CHECK(0, "expected one run, got %zu", runs.n);
    }
    sic_store_runs_free(&runs);
    db_val v[] = {db_int(res.attempt_key)};
    db_rows *r = NULL;
    rc = db_query(s->db, "SELECT value FROM environment WHERE attempt_key = $1 AND name = 'spark.weird'", v, 1, &r, &err);
    CHECK(rc == 0 && r->nrows == 1 && !strcmp(db_cell(r, 0, 0), names[i]), "env value via bulk path");
    db_rows_free(r);
    fx_free(app);
  }
  CHECK(scalar(s, "SELECT COUNT(*) FROM attempts", NULL) == 2, "tables intact");
  sic_store_close(s);
}

static void test_history(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  for (int d = 0; d < 6; d++) {
    char app_id[64], name[64], checksum[32];
    snprintf(app_id, sizeof app_id, "application_17_%04d", d);
    snprintf(name, sizeof name, "junoHourly-2016-10-%02d:21", d + 1);
    snprintf(checksum, sizeof checksum, "hist-%d", d);
    fx_spec sp = base_spec(app_id, name, day(5 - d) + (d == 0 ? 1 : 0)); /* ingested newest first */
    sp.duration_ms = 1000 * (d + 1);
    sic_app *app = fx_build(&sp);
    sic_store_finding fs[] = {
      {"gc.high", "low", "GC is high", "executor 1", NULL, NULL, NULL, "gc", NAN, NULL},
      {"skew.stage", "critical", "Skew in stage 0", "stage 0", NULL, NULL, NULL, "skew", 2000, "{\"x\":1}"},
      {"spill", "medium", "Spill", "stage 1", NULL, NULL, NULL, "spill", NAN, NULL},
      {"idle", "info", "Idle executors", NULL, NULL, NULL, NULL, "idle", NAN, NULL}};
    sic_ingest_opts o;
    sic_ingest_opts_init(&o);
    o.checksum = checksum;
    o.findings = fs;
    o.nfindings = 4;
    o.cost = d == 2 ? 1.25 : NAN;
    o.cost_unit = "USD";
    sic_store_prediction pred = {"gbdt-runtime/1", "duration_ms", 1000.0 * (d + 1) * 1.1, NAN, 1000.0 * (d + 2),
                                 "{\"features\":12}"};
    o.predictions = &pred;
    o.npredictions = 1;
    sic_ingest_result res;
    sic_err err = {0};
    CHECK_OK(sic_store_ingest(s, app, &o, &res, &err), err);
    fx_free(app);
  }
  CHECK(scalar(s, "SELECT COUNT(*) FROM predictions WHERE target = 'duration_ms' AND model = 'gbdt-runtime/1' "
                 "AND lower_bound IS NULL AND upper_bound > value", NULL) == 6, "predictions stored, NaN as NULL");
  sic_store_runs runs;
  sic_err err = {0};
  int rc = sic_store_history(s, "junoHourly", 0, &runs, &err);
  CHECK_OK(rc, err);
  CHECK(runs.n == 6, "6 runs, got %zu", runs.n);
  for (size_t i = 1; i < runs.n; i++)
    CHECK(runs.items[i - 1].start_time <= runs.items[i].start_time, "oldest first at %zu", i);
  if (runs.n == 6) {
    sic_store_run *r = &runs.items[3]; /* day(3) = d 2 */
    CHECK(r->duration_ms == 3000, "duration %lld", (long long)r->duration_ms);
    CHECK(r->cost == 1.25 && r->cost_unit && !strcmp(r->cost_unit, "USD"), "cost when known");
    CHECK(isnan(runs.items[0].cost), "cost unknown stays unknown");
    CHECK(r->ntop == 3 && !strcmp(r->top[0].severity, "critical") && !strcmp(r->top[1].severity, "medium") &&
          !strcmp(r->top[2].severity, "low"), "top findings by severity");
    CHECK(r->nfindings == 4, "finding count %d", r->nfindings);
    CHECK(fabs(r->core_hours - 8 * 4 * 3.0 / 3600) < 1e-9, "core hours %g", r->core_hours);
  }
  sic_store_runs_free(&runs);
  rc = sic_store_history(s, "junoHourly", 2, &runs, &err);
  CHECK(rc == 0 && runs.n == 2 && runs.items[1].start_time == day(5) + 1, "limit keeps the newest");
  sic_store_runs_free(&runs);
  rc = sic_store_history(s, "application_17_0003", 0, &runs, &err);
  CHECK(rc == 0 && runs.n == 6, "app id resolves to its job");
  sic_store_runs_free(&runs);
  rc = sic_store_history(s, "no-such-job", 0, &runs, &err);
  CHECK(rc == SIC_ENOTFOUND && strstr(err.msg, "no-such-job"), "unknown job: %s", err.msg);
  char *json = NULL;
  rc = sic_store_history_json(s, "junoHourly", 0, &json, &err);
  CHECK(rc == 0 && json && strstr(json, "\"schema\" : \"sic.history/1\"") && strstr(json, "\"topFindings\""),
        "history json");
  free(json);
  sic_store_close(s);
}

/* A steady job, then one run that is 3x slower with 3x the input, half the executors, less
 * memory and a skewed stage; then a normal run again. A noisy job never regresses. */
static void test_regressions(void) {
  char url[400];
  fresh_store(url, sizeof url);
  sic_store *s = open_store(url);
  if (!s) return;
  static const int64_t steady[] = {100, 104, 98, 101, 99, 103, 97, 102, 300, 101};
  static const int64_t noisy[] = {50, 150, 80, 120, 60, 140, 90, 170};
  const char *normal_props[] = {"spark.executor.memory", "4g", "spark.driver.port", "40001", NULL};
  const char *changed_props[] = {"spark.executor.memory", "2g", "spark.driver.port", "40777",
                                 "spark.sql.shuffle.partitions", "2000", NULL};
  for (int i = 0; i < 10; i++) {
    char app_id[64], name[64], checksum[32];
    snprintf(app_id, sizeof app_id, "app-steady-%d", i);
    snprintf(name, sizeof name, "nightly-etl-2024-02-%02d", i + 1);
    snprintf(checksum, sizeof checksum, "steady-%d", i);
    fx_spec sp = base_spec(app_id, name, day(i));
    sp.duration_ms = steady[i] * 1000;
    sp.props = normal_props;
    if (i == 8) {
      sp.task_ms = 60000; /* its stages take minutes instead of seconds */
      sp.input_per_task *= 3;
      sp.executors = 4;
      sp.props = changed_props;
      sp.skew_factor = 10;
    }
    sic_app *app = fx_build(&sp);
    sic_ingest_result res;
    ingest(s, app, checksum, 0, &res);
    fx_free(app);
  }
  { /* an incomplete log (still running when copied) is 10x slower on paper: never a verdict */
    fx_spec sp = base_spec("app-steady-partial", "nightly-etl-2024-02-12", day(11));
    sp.duration_ms = 1000000;
    sp.props = normal_props;
    sic_app *app = fx_build(&sp);
    app->complete = 0;
    sic_ingest_result res;
    ingest(s, app, "steady-partial", 0, &res);
    fx_free(app);
  }
  for (int i = 0; i < 8; i++) {
    char app_id[64], checksum[32];
    snprintf(app_id, sizeof app_id, "app-noisy-%d", i);
    snprintf(checksum, sizeof checksum, "noisy-%d", i);
    fx_spec sp = base_spec(app_id, "adhoc", day(i));
    sp.duration_ms = noisy[i] * 1000;
    sp.executors = 0;
    sp.cores = 0;
    sic_app *app = fx_build(&sp);
    sic_ingest_result res;
    ingest(s, app, checksum, 0, &res);
    fx_free(app);
  }
  sic_regress_opts o;
  sic_regress_opts_init(&o);
  sic_regressions regs;
  sic_err err = {0};
  int rc = sic_store_regressions(s, &o, &regs, &err);
  CHECK_OK(rc, err);
  int found = 0;
  for (size_t i = 0; i < regs.n; i++) {
    sic_regression *g = &regs.items[i];
    CHECK(!strcmp(g->run.app_id, "app-steady-8"), "only the slow run regresses, not %s (%s %.1f vs %.1f)",
          g->run.app_id, g->metric, g->value, g->baseline_median);
    if (strcmp(g->metric, "duration_ms")) continue;
    found = 1;
    CHECK(g->baseline_n == 8 && g->baseline_median == 100500 && g->ratio > 2.9, "baseline n=%d median=%g",
          g->baseline_n, g->baseline_median);
    int input = 0, config = 0, skew = 0, fewer = 0, stage = 0;
    for (int32_t c = 0; c < g->ncauses; c++) {
      input |= !strcmp(g->causes[c].kind, "input_growth");
      fewer |= !strcmp(g->causes[c].kind, "fewer_executors");
      skew |= !strcmp(g->causes[c].kind, "new_skew");
      if (!strcmp(g->causes[c].kind, "stage_slowdown")) {
        stage = 1;
        CHECK(strstr(g->causes[c].detail, "'map at Job.scala:10': 2.0s -> 600.0s"), "stage: %s", g->causes[c].detail);
      }
      if (!strcmp(g->causes[c].kind, "config_change")) {
        config = 1;
        CHECK(strstr(g->causes[c].detail, "spark.executor.memory: 4g -> 2g") &&
              strstr(g->causes[c].detail, "spark.sql.shuffle.partitions: (unset) -> 2000") &&
              !strstr(g->causes[c].detail, "driver.port"), "config diff: %s", g->causes[c].detail);
      }
    }
    CHECK(input && config && skew && fewer && stage, "causes input=%d config=%d skew=%d fewer=%d stage=%d", input,
          config, skew, fewer, stage);
  }
  CHECK(found, "the 3x slower run is reported (%zu regressions)", regs.n);
  sic_regressions_free(&regs);
  o.since_ms = day(9);
  rc = sic_store_regressions(s, &o, &regs, &err);
  CHECK(rc == 0 && regs.n == 0, "--since excludes older regressions (%zu)", regs.n);
  sic_regressions_free(&regs);
  o.since_ms = -1;
  o.min_runs = 9;
  rc = sic_store_regressions(s, &o, &regs, &err);
  CHECK(rc == 0 && regs.n == 0, "too few baseline runs: no verdict (%zu)", regs.n);
  sic_regressions_free(&regs);
  char *json = NULL;
  sic_regress_opts_init(&o);
  rc = sic_store_regressions_json(s, &o, &json, &err);
  CHECK(rc == 0 && json && strstr(json, "\"input_growth\"") && strstr(json, "sic.regressions/1"), "json");
  free(json);
  sic_store_close(s);
}

/* Integers reach PostgreSQL as text (parameters and COPY): the fast formatter must agree with printf. */
static void test_int_text(void) {
  static const int64_t vals[] = {0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN, 1000000000000LL, -999};
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
    char got[32], want[32];
    db_val v = db_int(vals[i]);
    db_val_text(&v, got, sizeof got);
    snprintf(want, sizeof want, "%lld", (long long)vals[i]);
    CHECK(!strcmp(got, want), "%s != %s", got, want);
  }
}

static void unit_tests(void) {
  test_int_text();
  test_jobkey();
  test_sha256();
  test_bad_urls();
  test_findings_json();
}

static void suite(void) {
  test_open_and_migrate();
  test_ingest_idempotent();
  test_verbatim();
  test_history();
  test_regressions();
  test_record_report();
}

int main(void) { return store_test_main(unit_tests, suite); }
