/* Markdown rendering of an application summary (see render.h): the text report's sections as
 * headings, lists and tables, for tickets, wikis and pull requests. */
#include <string.h>

#include "report/format.h"
#include "report/render.h"

/* Write s (first line, at most max bytes) with Markdown table/inline specials escaped. */
static void md_text(FILE *out, const char *s, size_t max) {
  if (!s) s = "";
  for (size_t i = 0; s[i] && s[i] != '\n' && i < max; i++) {
    if (strchr("|\\`*[]<>#", s[i])) fputc('\\', out);
    fputc(s[i], out);
  }
  if (strlen(s) > max && !memchr(s, '\n', max)) fputs("...", out);
}

static void md_header(FILE *out, const sic_summary *s) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN];
  fputs("# ", out);
  md_text(out, s->app_id ? s->app_id : "(no application id)", 200);
  if (s->notice.derived_id) fputs(" (id derived)", out);
  fputs(" - ", out);
  md_text(out, s->name, 200);
  fputs("\n\n| | |\n|---|---|\n| user | ", out);
  md_text(out, s->user ? s->user : "unknown", 200);
  fputs(" |\n| Spark | ", out);
  md_text(out, s->spark_version ? s->spark_version : "unknown", 100);
  fputs(" |\n| log | `", out);
  fputs(s->source ? s->source : "?", out);
  fprintf(out, "` |\n| started | %s |\n| duration | %s (%s) |\n", sic_fmt_time(s->start_time, a),
          sic_fmt_duration(s->duration, b), s->complete ? "complete" : s->in_progress ? "in progress" : "incomplete");
}

static void md_work(FILE *out, const sic_summary *s) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN], p[SIC_FMT_LEN];
  const sic_task_totals *t = &s->tasks;
  const sic_summary_executors *x = &s->executors;
  fprintf(out, "\n## Work\n\n- jobs: %lld (%lld succeeded, %lld failed, %lld unfinished)\n", (long long)s->jobs,
          (long long)s->jobs_succeeded, (long long)s->jobs_failed, (long long)s->jobs_running);
  fprintf(out, "- stages: %lld ran (%lld complete, %lld failed), %lld skipped\n",
          (long long)(s->stages_complete + s->stages_failed + s->stages_active), (long long)s->stages_complete,
          (long long)s->stages_failed, (long long)s->stages_skipped);
  fprintf(out, "- tasks: %lld attempts (%lld succeeded, %lld failed, %lld killed)\n", (long long)t->attempts,
          (long long)t->succeeded, (long long)t->failed, (long long)t->killed);
  fprintf(out, "- SQL executions: %lld\n", (long long)s->sql_executions);
  fprintf(out, "\n## Executors and utilisation\n\n- executors: %lld (%lld added, %lld removed), at most %lld alive with %lld cores\n",
          (long long)x->count, (long long)x->added, (long long)x->removed, (long long)x->max_concurrent,
          (long long)x->max_concurrent_cores);
  if (x->idle) fprintf(out, "- **%lld executor%s never ran a task**\n", (long long)x->idle, x->idle == 1 ? "" : "s");
  if (x->ntimeline) {
    fprintf(out, "- alive over time (%s per step):", sic_fmt_duration(s->duration / x->ntimeline, a));
    for (int k = 0; k < x->ntimeline; k++) fprintf(out, " %d", x->timeline[k].executors);
    fputc('\n', out);
  }
  fprintf(out, "- task time %s over %s of wall time: %.1f tasks in parallel on average\n",
          sic_fmt_duration(t->task_time, a), sic_fmt_duration(s->duration, b), s->parallelism);
  if (x->core_time > 0)
    fprintf(out, "- cores busy %s of %s core time\n", sic_fmt_percent(s->utilisation, p), sic_fmt_duration(x->core_time, a));
  fprintf(out, "- GC: %s of executor run time\n", sic_fmt_percent(s->gc_share, p));
}

static void md_stages(FILE *out, const sic_summary *s, const sic_render_opts *o) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN], m[SIC_FMT_LEN], x[SIC_FMT_LEN], p[SIC_FMT_LEN];
  int64_t top = o && o->top_stages > 0 ? o->top_stages : 5;
  if (top > s->nstages_by_time) top = s->nstages_by_time;
  if (!top) return;
  fprintf(out, "\n## Time by stage\n\n| stage | share | task time | wall | median task | max task | tasks | status | name |\n"
               "|---|--:|--:|--:|--:|--:|--:|---|---|\n");
  for (int64_t i = 0; i < top; i++) {
    const sic_summary_stage *st = &s->stages_by_time[i];
    fprintf(out, "| %d.%d | %s | %s | %s | %s | %s | %lld | %s | ", st->stage_id, st->attempt_id,
            sic_fmt_percent(st->share, p), sic_fmt_duration(st->totals.task_time, a), sic_fmt_duration(st->wall_time, b),
            sic_fmt_duration(st->totals.median_task_time, m), sic_fmt_duration(st->totals.max_task_time, x),
            (long long)st->totals.attempts, sic_stage_status_name(st->status));
    md_text(out, st->name, 80);
    fputs(" |\n", out);
  }
}

static void md_data(FILE *out, const sic_summary *s) {
  char a[SIC_FMT_LEN], b[SIC_FMT_LEN];
  const int64_t *m = s->tasks.m;
  fprintf(out, "\n## Data\n\n| | bytes | records |\n|---|--:|--:|\n");
  fprintf(out, "| input | %s | %lld |\n", sic_fmt_bytes(m[SIC_TM_INPUT_BYTES_READ], a), (long long)m[SIC_TM_INPUT_RECORDS_READ]);
  fprintf(out, "| output | %s | %lld |\n", sic_fmt_bytes(m[SIC_TM_OUTPUT_BYTES_WRITTEN], a),
          (long long)m[SIC_TM_OUTPUT_RECORDS_WRITTEN]);
  fprintf(out, "| shuffle read | %s | %lld |\n",
          sic_fmt_bytes(m[SIC_TM_SR_REMOTE_BYTES_READ] + m[SIC_TM_SR_LOCAL_BYTES_READ], a), (long long)m[SIC_TM_SR_RECORDS_READ]);
  fprintf(out, "| shuffle write | %s | %lld |\n", sic_fmt_bytes(m[SIC_TM_SW_BYTES_WRITTEN], a),
          (long long)m[SIC_TM_SW_RECORDS_WRITTEN]);
  fprintf(out, "| spill (memory / disk) | %s / %s | |\n", sic_fmt_bytes(m[SIC_TM_MEMORY_BYTES_SPILLED], a),
          sic_fmt_bytes(m[SIC_TM_DISK_BYTES_SPILLED], b));
}

static void md_failures(FILE *out, const sic_summary *s, const sic_render_opts *o) {
  int64_t max = o && o->max_failures > 0 ? o->max_failures : 8;
  int any = s->nfailures || s->nfailed_jobs;
  for (int64_t i = 0; i < s->nstages_by_time; i++) any |= s->stages_by_time[i].status == SIC_STAGE_FAILED;
  if (!any) return;
  fputs("\n## Failures\n\n", out);
  for (int64_t i = 0; i < s->nfailures && i < max; i++) {
    const sic_failure_group *f = &s->failures[i];
    fprintf(out, "- %lld x %s: ", (long long)f->count, f->reason);
    md_text(out, f->message, 200);
    fprintf(out, " (first: stage %d.%d, task %lld on executor %s)\n", f->first_stage, f->first_stage_attempt,
            (long long)f->first_task_id, f->first_executor ? f->first_executor : "?");
  }
  for (int64_t i = 0; i < s->nstages_by_time; i++) {
    const sic_summary_stage *st = &s->stages_by_time[i];
    if (st->status != SIC_STAGE_FAILED) continue;
    fprintf(out, "- stage %d.%d failed: ", st->stage_id, st->attempt_id);
    md_text(out, st->failure_reason, 300);
    fputc('\n', out);
  }
  for (int64_t i = 0; i < s->nfailed_jobs; i++) {
    fprintf(out, "- job %d failed: ", s->failed_jobs[i].job_id);
    md_text(out, s->failed_jobs[i].failure_reason, 300);
    fputc('\n', out);
  }
}

static void md_notices(FILE *out, const sic_summary *s) {
  const sic_summary_notice *n = &s->notice;
  if (s->complete && !s->truncated && !n->malformed_lines && !n->read_errors && !n->derived_id && !n->start_from_events)
    return;
  fputs("\n## Notices\n\n", out);
  if (n->derived_id) {
    fputs("- id derived: ", out);
    md_text(out, n->derived_id, 200);
    fputc('\n', out);
  }
  if (n->start_from_events) fputs("- no ApplicationStart: the start is the earliest event time\n", out);
  if (!s->complete) fputs(s->in_progress ? "- in progress: the log is still being written\n"
                                         : "- incomplete: no ApplicationEnd event; analysed up to the last event\n", out);
  if (s->truncated) fputs("- truncated: the log ends in the middle of a line or a compressed block\n", out);
  if (n->malformed_lines) {
    fprintf(out, "- %lld malformed line%s", (long long)n->malformed_lines, n->malformed_lines == 1 ? "" : "s");
    if (n->first_path) {
      fprintf(out, " (first at `%s:%lld`: ", n->first_path, (long long)n->first_line);
      md_text(out, n->first_reason, 160);
      fputc(')', out);
    }
    fputc('\n', out);
  }
  if (n->read_errors) {
    fputs("- reading stopped: ", out);
    md_text(out, n->read_error_reason ? n->read_error_reason : n->read_error_path, 200);
    fputc('\n', out);
  }
}

int sic_render_md(FILE *out, const sic_summary *s, const sic_render_opts *opts) {
  md_header(out, s);
  if (opts && opts->lead && opts->lead[0]) fprintf(out, "\n%s", opts->lead);
  md_work(out, s);
  md_stages(out, s, opts);
  md_data(out, s);
  md_failures(out, s, opts);
  md_notices(out, s);
  return ferror(out) ? SIC_EIO : 0;
}
