/* Report library, example generator and CLI conventions, tested from C:
 *  - human units (bytes, durations, times, counts, percentages);
 *  - the shared option parser (long/short/inline values, ranges, format masks, '-', '--');
 *  - the generator's contract (determinism, rejected sizes) and the summary built from its
 *    output: totals agree with counts taken from the raw lines, stage totals add up to the
 *    application's, shares sum to 1, executors/idle/utilisation are sane;
 *  - the text renderer's colour switch and the JSON document's schema. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/args.h"
#include "gen/gen.h"
#include "json/write.h"
#include "model/model.h"
#include "report/format.h"
#include "report/render.h"
#include "report/summary.h"

static void test_format(void) {
  char b[SIC_FMT_LEN];
  CHECK_EQ_STR(sic_fmt_bytes(0, b), "0 B");
  CHECK_EQ_STR(sic_fmt_bytes(1023, b), "1023 B");
  CHECK_EQ_STR(sic_fmt_bytes(1536, b), "1.50 KiB");
  CHECK_EQ_STR(sic_fmt_bytes(16750372454LL, b), "15.6 GiB");
  CHECK_EQ_STR(sic_fmt_bytes(300LL * 1024 * 1024, b), "300 MiB");
  CHECK_EQ_STR(sic_fmt_bytes(-1, b), "unknown");
  CHECK_EQ_STR(sic_fmt_duration(812, b), "812 ms");
  CHECK_EQ_STR(sic_fmt_duration(4200, b), "4.2 s");
  CHECK_EQ_STR(sic_fmt_duration(290000, b), "4m 50s");
  CHECK_EQ_STR(sic_fmt_duration(11520000, b), "3h 12m");
  CHECK_EQ_STR(sic_fmt_duration(187200000, b), "2d 4h");
  CHECK_EQ_STR(sic_fmt_duration(-1, b), "unknown");
  CHECK_EQ_STR(sic_fmt_time(0, b), "1970-01-01 00:00:00 UTC");
  CHECK_EQ_STR(sic_fmt_time(1732502535235LL, b), "2024-11-25 02:42:15 UTC");
  CHECK_EQ_STR(sic_fmt_time(-1, b), "unknown");
  CHECK_EQ_STR(sic_fmt_count(0, b), "0");
  CHECK_EQ_STR(sic_fmt_count(1234567, b), "1,234,567");
  CHECK_EQ_STR(sic_fmt_count(-1234, b), "-1,234");
  CHECK_EQ_STR(sic_fmt_count(999, b), "999");
  CHECK_EQ_STR(sic_fmt_percent(0.4123, b), "41%");
  CHECK_EQ_STR(sic_fmt_percent(0.061, b), "6.1%");
  CHECK_EQ_STR(sic_fmt_percent(0.0004, b), "<0.1%");
  CHECK_EQ_STR(sic_fmt_percent(0, b), "0.0%");
}

/* ---- option parsing ---- */

typedef struct parsed {
  int64_t seed;
  int verbose;
  sic_format format;
  const char *codec;
  const char *name;
  char *pos[16];
  int npos;
} parsed;

static int parse(parsed *p, int argc, const char **argv) {
  const sic_opt table[] = {
      {"seed", 's', SIC_OPT_INT, &p->seed, "N", "seed", 0, 100, NULL},
      {"verbose", 'v', SIC_OPT_FLAG, &p->verbose, NULL, "chatty", 0, 0, NULL},
      {"format", 'f', SIC_OPT_FORMAT, &p->format, NULL, "format", 0, 0, NULL},
      {"codec", 0, SIC_OPT_CHOICE, &p->codec, NULL, "codec", 0, 0, NULL, },
      {"name", 0, SIC_OPT_STRING, &p->name, "S", "name", 0, 0, NULL},
  };
  sic_opt opts[5];
  memcpy(opts, table, sizeof table);
  opts[3].choices = "none|zstd";
  const sic_cmd_spec spec = {"t", "X...", NULL, opts, 5,
                             SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, 3};
  memset(p, 0, sizeof *p);
  p->seed = -1;
  return sic_args_parse(&spec, argc, (char **)argv, p->pos, &p->npos);
}

static void test_args(void) {
  parsed p;
  const char *a1[] = {"t", "--seed", "7", "-v", "in", "--format=json", "--codec", "zstd", "-", "--name=x=y"};
  CHECK_EQ_INT(parse(&p, 10, a1), SIC_ARGS_OK);
  CHECK_EQ_INT(p.seed, 7);
  CHECK_EQ_INT(p.verbose, 1);
  CHECK_EQ_INT(p.format, SIC_FORMAT_JSON);
  CHECK_EQ_STR(p.codec, "zstd");
  CHECK_EQ_STR(p.name, "x=y");
  CHECK_EQ_INT(p.npos, 2);
  CHECK_EQ_STR(p.pos[0], "in");
  CHECK_EQ_STR(p.pos[1], "-"); /* '-' is a positional (stdin), not an option */
  const char *a2[] = {"t", "-s", "3", "--", "--seed", "-v"};
  CHECK_EQ_INT(parse(&p, 6, a2), SIC_ARGS_OK);
  CHECK_EQ_INT(p.seed, 3);
  CHECK_EQ_INT(p.npos, 2); /* after "--" everything is positional */
  CHECK_EQ_STR(p.pos[0], "--seed");
  fprintf(stderr, "(usage errors below are expected)\n");
  const char *bad_range[] = {"t", "--seed", "101", "x"};
  CHECK_EQ_INT(parse(&p, 4, bad_range), SIC_ARGS_USAGE);
  const char *bad_int[] = {"t", "--seed", "1e3", "x"};
  CHECK_EQ_INT(parse(&p, 4, bad_int), SIC_ARGS_USAGE);
  const char *no_value[] = {"t", "x", "--seed"};
  CHECK_EQ_INT(parse(&p, 3, no_value), SIC_ARGS_USAGE);
  const char *md[] = {"t", "-f", "md", "x"}; /* md exists but this command does not offer it */
  CHECK_EQ_INT(parse(&p, 4, md), SIC_ARGS_USAGE);
  const char *choice[] = {"t", "--codec", "gzip", "x"};
  CHECK_EQ_INT(parse(&p, 4, choice), SIC_ARGS_USAGE);
  const char *flag_value[] = {"t", "--verbose=1", "x"};
  CHECK_EQ_INT(parse(&p, 3, flag_value), SIC_ARGS_USAGE);
  const char *unknown[] = {"t", "--nope", "x"};
  CHECK_EQ_INT(parse(&p, 3, unknown), SIC_ARGS_USAGE);
  const char *none[] = {"t"};
  CHECK_EQ_INT(parse(&p, 1, none), SIC_ARGS_USAGE);
  const char *many[] = {"t", "a", "b", "c", "d"};
  CHECK_EQ_INT(parse(&p, 5, many), SIC_ARGS_USAGE);
  CHECK_EQ_INT(sic_format_parse("html"), SIC_FORMAT_HTML);
  CHECK_EQ_INT(sic_format_parse("markdown"), SIC_FORMAT_MD);
  CHECK_EQ_INT(sic_format_parse("xml"), -1);
  setenv("NO_COLOR", "1", 1);
  CHECK_EQ_INT(sic_color_enabled(stdout), 0);
  unsetenv("NO_COLOR");
}

/* ---- generator + summary ---- */

typedef struct line_counts {
  FILE *f;                       /* where the lines go */
  uint64_t hash;                 /* FNV-1a over all bytes */
  int64_t task_ends, killed, failed, job_failed, execs_added;
} line_counts;

static int count_line(void *ctx, const char *line, size_t len) {
  line_counts *c = ctx;
  for (size_t i = 0; i < len; i++) c->hash = (c->hash ^ (unsigned char)line[i]) * 1099511628211ULL;
  if (strstr(line, "\"Event\":\"SparkListenerTaskEnd\"")) {
    c->task_ends++;
    if (strstr(line, "\"Reason\":\"TaskKilled\"")) c->killed++;
    else if (!strstr(line, "\"Reason\":\"Success\"")) c->failed++;
  }
  if (strstr(line, "\"Result\":\"JobFailed\"")) c->job_failed++;
  if (strstr(line, "\"Event\":\"SparkListenerExecutorAdded\"")) c->execs_added++;
  if (c->f && (fwrite(line, 1, len, c->f) != len || fputc('\n', c->f) == EOF)) return SIC_EIO;
  return 0;
}

static void test_generator_contract(void) {
  sic_gen_opts o;
  sic_err err = {0};
  line_counts a = {.hash = 1469598103934665603ULL}, b = a, c = a;
  sic_gen_opts_default(&o);
  o.tasks = 120;
  CHECK_EQ_INT(sic_gen_run(&o, count_line, &a, NULL, &err), 0);
  CHECK_EQ_INT(sic_gen_run(&o, count_line, &b, NULL, &err), 0);
  o.seed = 43;
  CHECK_EQ_INT(sic_gen_run(&o, count_line, &c, NULL, &err), 0);
  CHECK(a.hash == b.hash, "same options must give the same bytes");
  CHECK(a.hash != c.hash, "another seed must give other bytes");
  o.tasks = 10;
  CHECK_EQ_INT(sic_gen_run(&o, count_line, &a, NULL, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "--tasks") != NULL, "%s", err.msg);
}

static void check_summary(const sic_summary *s, const line_counts *c, const sic_gen_stats *st) {
  CHECK_EQ_INT(s->tasks.attempts, c->task_ends);
  CHECK_EQ_INT(s->tasks.attempts, st->task_attempts);
  CHECK_EQ_INT(s->tasks.killed, c->killed);
  CHECK_EQ_INT(s->tasks.failed, c->failed);
  CHECK_EQ_INT(s->jobs_failed, c->job_failed);
  CHECK_EQ_INT(s->jobs, st->jobs);
  CHECK_EQ_INT(s->stages_complete + s->stages_failed, st->stages);
  CHECK_EQ_INT(s->executors.count, c->execs_added);
  CHECK_EQ_INT(s->executors.idle, 2);
  CHECK(s->executors.max_concurrent <= s->executors.count);
  CHECK_EQ_INT(s->duration, st->end_time - st->start_time);
  CHECK(s->complete && !s->truncated && s->notice.malformed_lines == 0);
  CHECK(s->utilisation > 0 && s->utilisation < 1, "%f", s->utilisation);
  CHECK(s->gc_share > 0.01 && s->gc_share < 0.2, "%f", s->gc_share);
  /* stage attempts partition the tasks: their totals add up to the application's */
  sic_task_totals sum = {0};
  double shares = 0;
  for (int64_t i = 0; i < s->nstages_by_time; i++) {
    const sic_summary_stage *x = &s->stages_by_time[i];
    sum.attempts += x->totals.attempts;
    sum.task_time += x->totals.task_time;
    for (int m = 0; m < SIC_TM__COUNT; m++) sum.m[m] += x->totals.m[m];
    shares += x->share;
    if (i) CHECK(x->totals.task_time <= s->stages_by_time[i - 1].totals.task_time, "sorted by task time");
  }
  CHECK_EQ_INT(sum.attempts, s->tasks.attempts);
  CHECK_EQ_INT(sum.task_time, s->tasks.task_time);
  for (int m = 0; m < SIC_TM__COUNT; m++) CHECK_EQ_INT(sum.m[m], s->tasks.m[m]);
  CHECK(shares > 0.999999 && shares < 1.000001, "%f", shares);
  int64_t grouped = 0;
  for (int64_t i = 0; i < s->nfailures; i++) grouped += s->failures[i].count;
  CHECK_EQ_INT(grouped, s->tasks.failed + s->tasks.killed);
}

static void check_renderers(const sic_summary *s) {
  char buf[1 << 16];
  FILE *f = tmpfile();
  sic_render_opts plain = {0}, color = {.color = 1};
  CHECK_EQ_INT(sic_render_text(f, s, &plain), 0);
  rewind(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  CHECK(strchr(buf, '\033') == NULL, "no escapes without colour");
  CHECK(strstr(buf, "nightly_orders_etl") && strstr(buf, "Time by stage") && strstr(buf, "Failures"));
  rewind(f);
  CHECK_EQ_INT(sic_render_text(f, s, &color), 0);
  rewind(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  CHECK(strchr(buf, '\033') != NULL, "escapes with colour");
  fclose(f);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_report_json_open(&w);
  sic_report_json_app(&w, s, &plain, NULL);
  sic_report_json_errors(&w);
  sic_report_json_error(&w, "x.json", SIC_EFORMAT, "x.json: not a Spark event log");
  sic_report_json_close(&w);
  CHECK_EQ_INT(sic_jw_status(&w), 0);
  CHECK(w.buf && !strncmp(w.buf, "{\"schema\":\"sic.report/1\",\"applications\":[{\"id\":", 47), "%.60s", w.buf);
  CHECK(strstr(w.buf, "\"executorRunTime\":") && strstr(w.buf, "\"numFailedTasks\":"));
  sic_jw_free(&w);
}

static void test_summary_of_example(void) {
  char path[] = "/tmp/sic-test-report-XXXXXX";
  int fd = mkstemp(path);
  line_counts c = {.hash = 1469598103934665603ULL};
  sic_gen_opts o;
  sic_gen_stats st;
  sic_err err = {0};
  sic_app *app = NULL;
  sic_summary *s = NULL;
  CHECK(fd >= 0);
  if (fd < 0) return;
  c.f = fdopen(fd, "w");
  sic_gen_opts_default(&o);
  o.seed = 5;
  o.tasks = 200;
  CHECK_EQ_INT(sic_gen_run(&o, count_line, &c, &st, &err), 0);
  fclose(c.f);
  int rc = sic_app_load_path(path, NULL, &app, &err);
  CHECK_EQ_INT(rc, 0);
  if (!rc) {
    CHECK_EQ_INT(sic_summary_build(app, &s, &err), 0);
    if (s) {
      check_summary(s, &c, &st);
      check_renderers(s);
    }
  }
  sic_summary_free(s);
  sic_app_free(app);
  unlink(path);
}

int main(void) {
  test_format();
  test_args();
  test_generator_contract();
  test_summary_of_example();
  return CHECK_RESULT();
}
