/* Text rendering of an application summary (see render.h). */
#include <string.h>

#include "report/format.h"
#include "report/render.h"

/* ANSI styles, empty when colour is off. */
typedef struct style {
  const char *bold, *dim, *red, *yellow, *green, *off;
} style;

static style make_style(int color) {
  if (!color) return (style){"", "", "", "", "", ""};
  return (style){"\033[1m", "\033[2m", "\033[31m", "\033[33m", "\033[32m", "\033[0m"};
}

/* First line of s, at most max bytes, into buf. */
static const char *first_line(const char *s, char *buf, size_t size, size_t max) {
  size_t n = 0;
  if (!s) s = "";
  while (s[n] && s[n] != '\n' && n < max && n + 1 < size) n++;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (s[n] && s[n] != '\n' && n + 4 < size) strcpy(buf + n, "...");
  return buf;
}

static void header(FILE *out, const sic_summary *s, const style *c) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN];
  fprintf(out, "%s%s%s%s%s%s  %s\n", c->bold, s->app_id ? s->app_id : "(no application id)",
          s->notice.derived_id ? " (id derived)" : "",
          s->attempt_id ? " attempt " : "", s->attempt_id ? s->attempt_id : "", c->off, s->name ? s->name : "");
  fprintf(out, "  user %s, Spark %s, read from %s\n", s->user ? s->user : "unknown",
          s->spark_version ? s->spark_version : "unknown", s->source ? s->source : "?");
  const char *state = s->complete ? "complete" : s->in_progress ? "in progress" : "incomplete";
  fprintf(out, "  started %s, ran %s (%s%s%s)\n", sic_fmt_time(s->start_time, a), sic_fmt_duration(s->duration, b),
          s->complete ? c->green : c->yellow, state, c->off);
}

static void work(FILE *out, const sic_summary *s, const style *c) {
  char a[SIC_FMT_LEN];
  const sic_task_totals *t = &s->tasks;
  fprintf(out, "\n%sWork%s\n", c->bold, c->off);
  fprintf(out, "  jobs     %lld: %lld succeeded", (long long)s->jobs, (long long)s->jobs_succeeded);
  if (s->jobs_failed) fprintf(out, ", %s%lld failed%s", c->red, (long long)s->jobs_failed, c->off);
  if (s->jobs_running) fprintf(out, ", %lld unfinished", (long long)s->jobs_running);
  fprintf(out, "\n  stages   %lld ran (%lld complete", (long long)(s->stages_complete + s->stages_failed + s->stages_active),
          (long long)s->stages_complete);
  if (s->stages_failed) fprintf(out, ", %s%lld failed%s", c->red, (long long)s->stages_failed, c->off);
  if (s->stages_active) fprintf(out, ", %lld unfinished", (long long)s->stages_active);
  fprintf(out, "), %lld skipped, %lld never submitted\n", (long long)s->stages_skipped, (long long)s->stages_pending);
  fprintf(out, "  tasks    %s attempts: %lld succeeded", sic_fmt_count(t->attempts, a), (long long)t->succeeded);
  if (t->failed) fprintf(out, ", %s%lld failed%s", c->red, (long long)t->failed, c->off);
  if (t->killed) fprintf(out, ", %s%lld killed%s", c->yellow, (long long)t->killed, c->off);
  if (t->running) fprintf(out, ", %lld unfinished", (long long)t->running);
  if (t->speculative) fprintf(out, " (%lld speculative)", (long long)t->speculative);
  fprintf(out, "\n  SQL      %lld executions\n", (long long)s->sql_executions);
}

static void executors(FILE *out, const sic_summary *s, const style *c) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN], d[SIC_FMT_LEN], p[SIC_FMT_LEN];
  const sic_summary_executors *x = &s->executors;
  fprintf(out, "\n%sExecutors and utilisation%s\n", c->bold, c->off);
  if (x->count)
    fprintf(out, "  %lld executors (%lld added, %lld removed, %lld cores in all); at most %lld alive at once with %lld cores\n",
            (long long)x->count, (long long)x->added, (long long)x->removed, (long long)x->total_cores,
            (long long)x->max_concurrent, (long long)x->max_concurrent_cores);
  if (x->driver_ran_tasks) fprintf(out, "  tasks ran on the driver (local mode)\n");
  if (!x->count && !x->driver_ran_tasks) fprintf(out, "  no executors recorded\n");
  if (x->idle)
    fprintf(out, "  %s%lld executor%s never ran a task%s\n", c->yellow, (long long)x->idle, x->idle == 1 ? "" : "s", c->off);
  if (x->ntimeline) {
    fprintf(out, "  alive over time (%s per step):", sic_fmt_duration(s->duration / x->ntimeline, a));
    for (int k = 0; k < x->ntimeline; k++) fprintf(out, " %d", x->timeline[k].executors);
    fprintf(out, "\n");
  }
  if (!s->tasks.attempts) {
    fprintf(out, "  no tasks ran\n");
    return;
  }
  fprintf(out, "  task time %s over %s of wall time: %.1f tasks in parallel on average\n",
          sic_fmt_duration(s->tasks.task_time, a), sic_fmt_duration(s->duration, b), s->parallelism);
  if (x->core_time > 0)
    fprintf(out, "  cores were busy %s%s%s of the %s of core time the executors held%s\n",
            s->utilisation < 0.5 ? c->yellow : "", sic_fmt_percent(s->utilisation, p), s->utilisation < 0.5 ? c->off : "",
            sic_fmt_duration(x->core_time, d), x->cores_inferred ? " (cores not logged: counted as the most tasks run at once)" : "");
  fprintf(out, "  GC took %s%s%s of executor run time (%s of %s)\n", s->gc_share >= 0.1 ? c->yellow : "",
          sic_fmt_percent(s->gc_share, p), s->gc_share >= 0.1 ? c->off : "",
          sic_fmt_duration(s->tasks.m[SIC_TM_JVM_GC_TIME], a), sic_fmt_duration(s->tasks.m[SIC_TM_EXECUTOR_RUN_TIME], b));
}

static void stages(FILE *out, const sic_summary *s, const sic_render_opts *o, const style *c) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN], m[SIC_FMT_LEN], x[SIC_FMT_LEN], p[SIC_FMT_LEN], name[64];
  int64_t top = o && o->top_stages > 0 ? o->top_stages : 5;
  if (top > s->nstages_by_time) top = s->nstages_by_time;
  if (!top) return;
  fprintf(out, "\n%sTime by stage%s (top %lld of %lld stage attempts by task time)\n", c->bold, c->off, (long long)top,
          (long long)s->nstages_by_time);
  fprintf(out, "  %s%-9s %6s %10s %9s %9s %9s %7s  %s%s\n", c->dim, "stage", "share", "task time", "wall", "median",
          "max task", "tasks", "name", c->off);
  for (int64_t i = 0; i < top; i++) {
    const sic_summary_stage *st = &s->stages_by_time[i];
    char id[24];
    snprintf(id, sizeof id, "%d.%d", st->stage_id, st->attempt_id);
    fprintf(out, "  %-9s %6s %10s %9s %9s %9s %7lld  %s%s%s\n", id, sic_fmt_percent(st->share, p),
            sic_fmt_duration(st->totals.task_time, a), sic_fmt_duration(st->wall_time, b),
            sic_fmt_duration(st->totals.median_task_time, m), sic_fmt_duration(st->totals.max_task_time, x),
            (long long)st->totals.attempts, st->status == SIC_STAGE_FAILED ? c->red : "",
            first_line(st->name, name, sizeof name, 50), st->status == SIC_STAGE_FAILED ? c->off : "");
  }
}

static void io(FILE *out, const sic_summary *s, const style *c) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN], n[SIC_FMT_LEN];
  const int64_t *m = s->tasks.m;
  fprintf(out, "\n%sData%s\n", c->bold, c->off);
  fprintf(out, "  input          %10s  %s records\n", sic_fmt_bytes(m[SIC_TM_INPUT_BYTES_READ], a),
          sic_fmt_count(m[SIC_TM_INPUT_RECORDS_READ], n));
  fprintf(out, "  output         %10s  %s records\n", sic_fmt_bytes(m[SIC_TM_OUTPUT_BYTES_WRITTEN], a),
          sic_fmt_count(m[SIC_TM_OUTPUT_RECORDS_WRITTEN], n));
  fprintf(out, "  shuffle read   %10s  %s records (%s remote)\n",
          sic_fmt_bytes(m[SIC_TM_SR_REMOTE_BYTES_READ] + m[SIC_TM_SR_LOCAL_BYTES_READ], a),
          sic_fmt_count(m[SIC_TM_SR_RECORDS_READ], n), sic_fmt_bytes(m[SIC_TM_SR_REMOTE_BYTES_READ], b));
  fprintf(out, "  shuffle write  %10s  %s records\n", sic_fmt_bytes(m[SIC_TM_SW_BYTES_WRITTEN], a),
          sic_fmt_count(m[SIC_TM_SW_RECORDS_WRITTEN], n));
  int spilled = m[SIC_TM_MEMORY_BYTES_SPILLED] || m[SIC_TM_DISK_BYTES_SPILLED];
  fprintf(out, "  spill          %s%10s%s  memory, %s disk\n", spilled ? c->yellow : "",
          sic_fmt_bytes(m[SIC_TM_MEMORY_BYTES_SPILLED], a), spilled ? c->off : "",
          sic_fmt_bytes(m[SIC_TM_DISK_BYTES_SPILLED], b));
}

static void failures(FILE *out, const sic_summary *s, const sic_render_opts *o, const style *c) {
  char line[200];
  int64_t max = o && o->max_failures > 0 ? o->max_failures : 8;
  int failed_stages = 0;
  for (int64_t i = 0; i < s->nstages_by_time; i++) failed_stages += s->stages_by_time[i].status == SIC_STAGE_FAILED;
  if (!s->nfailures && !failed_stages && !s->nfailed_jobs) return;
  fprintf(out, "\n%sFailures%s\n", c->bold, c->off);
  for (int64_t i = 0; i < s->nfailures && i < max; i++) {
    const sic_failure_group *f = &s->failures[i];
    fprintf(out, "  %s%lld x %s%s%s%s\n", f->killed ? c->yellow : c->red, (long long)f->count, f->reason,
            f->message ? ": " : "", f->message ? first_line(f->message, line, sizeof line, 150) : "", c->off);
    fprintf(out, "    %sfirst: stage %d.%d, task %lld (index %lld, attempt %lld) on executor %s%s\n", c->dim,
            f->first_stage, f->first_stage_attempt, (long long)f->first_task_id, (long long)f->first_index,
            (long long)f->first_attempt, f->first_executor ? f->first_executor : "?", c->off);
  }
  if (s->nfailures > max) fprintf(out, "  ... %lld more groups (use --format json)\n", (long long)(s->nfailures - max));
  for (int64_t i = 0; i < s->nstages_by_time; i++) {
    const sic_summary_stage *st = &s->stages_by_time[i];
    if (st->status != SIC_STAGE_FAILED) continue;
    fprintf(out, "  %sstage %d.%d failed%s: %s\n", c->red, st->stage_id, st->attempt_id, c->off,
            first_line(st->failure_reason, line, sizeof line, 160));
  }
  for (int64_t i = 0; i < s->nfailed_jobs; i++)
    fprintf(out, "  %sjob %d failed%s: %s\n", c->red, s->failed_jobs[i].job_id, c->off,
            first_line(s->failed_jobs[i].failure_reason, line, sizeof line, 160));
}

static void notices(FILE *out, const sic_summary *s, const style *c) {
  const sic_summary_notice *n = &s->notice;
  char line[200];
  int any = !s->complete || s->truncated || n->malformed_lines || n->read_errors || n->bad_fields || n->derived_id ||
            n->start_from_events;
  if (!any) return;
  fprintf(out, "\n%sNotices%s\n", c->bold, c->off);
  if (s->in_progress) fprintf(out, "  %sin progress: the log is still being written%s\n", c->yellow, c->off);
  else if (!s->complete)
    fprintf(out, "  %sincomplete: no ApplicationEnd event; analysed up to the last event%s\n", c->yellow, c->off);
  if (n->derived_id) fprintf(out, "  %sid derived: %s%s\n", c->yellow, n->derived_id, c->off);
  if (n->start_from_events)
    fprintf(out, "  %sno ApplicationStart: the start is the earliest event time%s\n", c->yellow, c->off);
  if (s->truncated) fprintf(out, "  %struncated: the log ends in the middle of a line or a compressed block%s\n", c->yellow, c->off);
  if (n->malformed_lines) {
    fprintf(out, "  %s%lld malformed line%s", c->yellow, (long long)n->malformed_lines, n->malformed_lines == 1 ? "" : "s");
    if (n->first_path)
      fprintf(out, " (first at %s:%lld: %s)", n->first_path, (long long)n->first_line,
              first_line(n->first_reason, line, sizeof line, 120));
    fprintf(out, "%s\n", c->off);
  }
  if (n->read_errors)
    fprintf(out, "  %sreading stopped: %s%s\n", c->yellow,
            first_line(n->read_error_reason ? n->read_error_reason : n->read_error_path, line, sizeof line, 160), c->off);
  if (n->bad_fields) fprintf(out, "  %lld field%s of the wrong type (events kept)\n", (long long)n->bad_fields, n->bad_fields == 1 ? "" : "s");
}

int sic_render_text(FILE *out, const sic_summary *s, const sic_render_opts *opts) {
  style c = make_style(opts && opts->color);
  header(out, s, &c);
  if (opts && opts->lead && opts->lead[0]) fprintf(out, "\n%s%s%s", c.bold, opts->lead, c.off);
  work(out, s, &c);
  executors(out, s, &c);
  stages(out, s, opts, &c);
  io(out, s, &c);
  failures(out, s, opts, &c);
  notices(out, s, &c);
  return ferror(out) ? SIC_EIO : 0;
}
