/* libFuzzer target: arbitrary lines -> model builder -> finalize -> free.
 *
 * The input is split on '\n' and every line goes through sic_builder_feed_line (the entry
 * point sic_app_load uses), the last one flagged unterminated when it has no newline. The
 * finished model is checked for the invariants consumers rely on: stage slices cover every
 * task of a stage, rows referenced from tasks exist, tables are sorted, counts add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

static void check_model(const sic_app *a, int64_t nlines) {
  if (a->events + a->malformed_lines > nlines) abort();
  int64_t in_slices = 0, staged = 0;
  for (int64_t s = 0; s < a->nstages; s++) {
    const sic_stage *st = &a->stages[s];
    if (s && (st[-1].stage_id > st->stage_id || (st[-1].stage_id == st->stage_id && st[-1].attempt_id >= st->attempt_id))) abort();
    for (int32_t i = 0; i < st->tasks.n; i++)
      if (sic_task_stage(a, a->stage_task_rows[st->tasks.off + i]) != s) abort();
    in_slices += st->tasks.n;
    if (st->jobs.n && (st->jobs.off < 0 || st->jobs.off + st->jobs.n > a->nints)) abort();
    if (st->peak >= a->npeaks) abort();
  }
  for (int64_t i = 0; i < a->tasks.n; i++) {
    staged += sic_task_stage(a, i) >= 0;
    if (sic_task_stage(a, i) >= a->nstages || sic_task_executor(a, i) >= a->nexecutors || sic_task_peak(a, i) >= a->npeaks) abort();
    if (sic_task_host(a, i) >= a->strings.n || sic_task_error(a, i) >= a->strings.n) abort();
    for (int m = 0; m < SIC_TM__COUNT; m++) (void)sic_task_metric_get(a, i, (sic_task_metric)m);
  }
  if (in_slices != staged) abort();
  for (int64_t j = 1; j < a->njobs; j++) if (a->jobs[j - 1].job_id >= a->jobs[j].job_id) abort();
  for (int64_t j = 1; j < a->naccums; j++) if (a->accums[j - 1].accum_id >= a->accums[j].accum_id) abort();
  for (int64_t j = 1; j < a->nsqls; j++) if (a->sqls[j - 1].execution_id >= a->sqls[j].execution_id) abort();
  for (int64_t n = 0; n < a->nplan_nodes; n++) {
    const sic_plan_node *p = &a->plan_nodes[n];
    if (p->parent >= n || p->metrics.off + p->metrics.n > a->nplan_metrics) abort();
  }
  for (int64_t k = 0; k < a->nkvs; k++)
    if (a->kvs[k].key >= a->strings.n || a->kvs[k].value >= a->strings.n) abort();
  if (a->ndiags > 1000) abort();
  for (int64_t d = 0; d < a->ndiags; d++) if (!sic_str(a, a->diags[d].message)) abort();
  if (sic_app_memory(a) <= 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sic_builder *b = sic_builder_new(NULL);
  if (!b) return 0;
  sic_builder_add_part(b, "fuzz", "none", (int64_t)size);
  const char *p = (const char *)data, *e = p + size;
  int64_t lineno = 0;
  while (p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
    /* exact-size copy: ASan catches any read past the line */
    char *line = malloc(len ? len : 1);
    if (line) {
      memcpy(line, p, len);
      sic_builder_feed_line(b, line, len, 0, ++lineno, nl == NULL);
      free(line);
    }
    p += len + (nl ? 1 : 0);
  }
  sic_app *a = sic_builder_finish(b);
  check_model(a, lineno);
  sic_app_free(a);
  return 0;
}
