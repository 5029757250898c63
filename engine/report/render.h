/* Report renderers: a sic_summary as text or Markdown (for people) or JSON (for tools); the
 * HTML page is engine/report/html.h. Each takes the findings of the graph run alongside.
 *
 * JSON document ("sic.report/1"), one per `sic analyze` run:
 *   {"schema": "sic.report/1", "applications": [ <application>... ], "errors": [ <error>... ]}
 * Field names follow the History Server REST API v1 where the concept exists (id, name,
 * attemptId, sparkUser, appSparkVersion, startTimeEpoch, endTimeEpoch, duration, completed,
 * numTasks, numFailedTasks, executorRunTime, jvmGcTime, inputBytes, shuffleReadBytes,
 * memoryBytesSpilled, stageId, attemptId, failureReason, ...); times are ms since the epoch,
 * durations ms, sizes bytes. Our derived figures are named for what they are (taskTime,
 * coreTime, parallelism, utilisation, gcShare, share).
 *
 * Ownership: renderers only read the summary; output goes to the caller's FILE or sic_jw. */
#ifndef SIC_REPORT_RENDER_H
#define SIC_REPORT_RENDER_H

#include <stdio.h>

#include "json/write.h"
#include "report/summary.h"

typedef struct sic_render_opts {
  int color;                     /* 1: ANSI colours (caller decides: TTY and no NO_COLOR) */
  int top_stages;                /* stages listed by time (0 = default 5) */
  int max_failures;              /* failure groups listed (0 = default 8) */
  const char *lead;              /* text/md printed right under the header (the top problems), NULL */
} sic_render_opts;

/* Text: reads top-down - identity, work done, executors and utilisation, time by stage, I/O,
 * failures, notices. Returns 0 or SIC_EIO when writing failed. */
int sic_render_text(FILE *out, const sic_summary *s, const sic_render_opts *opts);

/* Markdown: the same sections as headings, lists and tables. Returns 0 or SIC_EIO. */
int sic_render_md(FILE *out, const sic_summary *s, const sic_render_opts *opts);

/* JSON pieces, so a command can stream many applications into one document. */
void sic_report_json_open(sic_jw *w);                       /* {"schema":..., "applications": [ */
/* findings_json: a sic.findings/1 document to embed as "findings" (NULL: none). */
void sic_report_json_app(sic_jw *w, const sic_summary *s, const sic_render_opts *opts, const char *findings_json);
void sic_report_json_errors(sic_jw *w);                     /* ], "errors": [ */
void sic_report_json_error(sic_jw *w, const char *path, int code, const char *message);
void sic_report_json_close(sic_jw *w);                      /* ]} */

#endif
