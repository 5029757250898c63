/* HTML report: one self-contained file (inline CSS, JavaScript and data; no network) with
 * pictures: stage timeline over executors (Gantt), executor utilisation over time,
 * task-duration distributions of flagged stages, SQL plans with hot operators, and the what-if
 * curve (executors -> runtime and cost).
 *
 * The page embeds the model's timeline data (written here, from the sic_app) and the
 * sic.findings/1 document of the Lua agents (their layers carry the utilisation timeline,
 * the SQL plans and the what-if curve); the script in engine/report/assets/report.js draws
 * SVG from them. Ownership: the renderer only reads its inputs. */
#ifndef SIC_REPORT_HTML_H
#define SIC_REPORT_HTML_H

#include <stdio.h>

#include "model/model.h"
#include "report/summary.h"

/* Tasks drawn in the Gantt chart at most (the longest are always kept, then an even sample). */
enum { SIC_HTML_MAX_TASKS = 20000, SIC_HTML_MAX_DURATIONS = 1000 };

/* Write the page for one application. findings_json: the sic.findings/1 document (NULL:
 * the report says the rules did not run). Returns 0 or SIC_EIO / SIC_ENOMEM. */
int sic_render_html(FILE *out, const sic_app *app, const sic_summary *s, const char *findings_json);

/* The embedded assets (engine/report/html_assets.c, generated from engine/report/assets/). */
extern const char sic_html_css[];
extern const char sic_html_js[];

#endif
