/* `sic analyze --format html` over several applications: every page rendered into memory,
 * then written as one page per application plus index.html (--output-dir DIR) or, on stdout,
 * as one fleet page (an index table, then each application's page in its own frame).
 *
 * Ownership: the set owns every page and string it holds; sic_html_set_free releases them. */
#ifndef SIC_CLI_ANALYZE_HTML_H
#define SIC_CLI_ANALYZE_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "report/summary.h"

typedef struct sic_html_page {
  char *app_id;                  /* application id ("?" when the log has none) */
  char *attempt_id;              /* attempt id, NULL */
  char *name;                    /* application name, "" */
  int64_t duration;              /* ms, -1 unknown */
  int64_t jobs, jobs_failed;     /* job counts */
  int complete;                  /* the log has ApplicationEnd */
  char *html;                    /* the self-contained page */
  size_t len;                    /* bytes of html */
} sic_html_page;

typedef struct sic_html_set {
  sic_html_page *pages;          /* in the order analysed */
  int n;
} sic_html_set;

/* Render one application's page (sic_render_html) into the set. 0 or SIC_E*. */
int sic_html_set_add(sic_html_set *set, const sic_app *app, const sic_summary *s, const char *findings_json);
/* Write the set: into out_dir (page per application + index.html; the directory is created)
 * when out_dir is set, else to out (one page as is; several as one fleet page). Messages name
 * the file that failed. 0 or SIC_E*. */
int sic_html_set_write(const sic_html_set *set, const char *out_dir, FILE *out, char *msg, size_t msg_len);
void sic_html_set_free(sic_html_set *set);

#endif
