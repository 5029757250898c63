/* Job identity: the key under which runs of "the same job" are compared over time.
 *
 * Schedulers put the run's date, time, a uuid or a counter into the application name
 * ("junoHourly-2016-10-05:21", "etl_daily_20240101", "report-3f2b...-uuid", "ingest-run-17").
 * Removing those gives the job ("junoHourly", "etl_daily", "report", "ingest-run"). Users with
 * other naming schemes add patterns, or set the Spark conf sic.job, which wins outright. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Built-in patterns, applied in this order (POSIX ERE). */
static const char *const default_patterns[] = {
  /* uuid */
  "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
  /* date, optionally followed by a time of day and fraction/zone: 2016-10-05, 2016-10-05:21,
   * 2016-10-05T21:00:00.123Z, 20161005_2100, 2016/10/05 */
  "(19|20)[0-9]{2}[-_/.]?[01][0-9][-_/.]?[0-3][0-9]([T _:.-]?[0-2][0-9]([:.-]?[0-5][0-9]){0,2}([.,][0-9]+)?Z?)?",
  /* epoch timestamps and other long counters */
  "[0-9]{6,}",
  /* long hex ids (hashes, object ids) */
  "[0-9a-f]{16,}",
  /* a trailing run number after a separator: job-17, job_3, job #4 */
  "[-_.:# ]+[0-9]+$",
};

static int is_separator(char c) { return c == '-' || c == '_' || c == '.' || c == ':' || c == ' ' || c == '/' || c == '#'; }

/* Remove every match of re from buf (in place). */
static void remove_matches(const regex_t *re, char *buf) {
  char *p = buf;
  regmatch_t m;
  while (*p && regexec(re, p, 1, &m, p == buf ? 0 : REG_NOTBOL) == 0) {
    if (m.rm_eo == m.rm_so) { /* empty match: step over one char */
      p++;
      continue;
    }
    memmove(p + m.rm_so, p + m.rm_eo, strlen(p + m.rm_eo) + 1);
    p += m.rm_so;
  }
}

static int apply_pattern(const char *pattern, char *buf, sic_err *err) {
  regex_t re;
  int rc = regcomp(&re, pattern, REG_EXTENDED);
  if (rc) {
    char msg[200];
    regerror(rc, &re, msg, sizeof msg);
    return sic_err_set(err, SIC_EINVAL, "job key pattern '%s': %s", pattern, msg);
  }
  remove_matches(&re, buf);
  regfree(&re);
  return 0;
}

/* Collapse runs of separators to their first character and trim them at both ends. */
static void tidy(char *buf) {
  char *o = buf;
  for (char *p = buf; *p; p++) {
    if (is_separator(*p) && (o == buf || is_separator(o[-1]))) continue;
    *o++ = *p;
  }
  while (o > buf && is_separator(o[-1])) o--;
  *o = 0;
}

int sic_jobkey_from_name(const char *name, const sic_jobkey_rules *rules, char *out, size_t n,
                         sic_err *err) {
  if (!n) return sic_err_set(err, SIC_EINVAL, "job key buffer is empty");
  if (!name || !*name) name = "(unnamed)";
  char *buf = strdup(name);
  if (!buf) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  int rc = 0;
  if (!rules || !rules->no_defaults)
    for (size_t i = 0; i < sizeof default_patterns / sizeof *default_patterns && !rc; i++)
      rc = apply_pattern(default_patterns[i], buf, err);
  for (size_t i = 0; rules && i < rules->npatterns && !rc; i++) rc = apply_pattern(rules->patterns[i], buf, err);
  if (!rc) {
    tidy(buf);
    snprintf(out, n, "%s", *buf ? buf : name);
  }
  free(buf);
  return rc;
}

int sic_jobkey_from_app(const sic_app *app, const sic_jobkey_rules *rules, char *out, size_t n,
                        sic_err *err) {
  for (int32_t i = 0; i < app->env_spark.n; i++) {
    const sic_kv *kv = &app->kvs[app->env_spark.off + i];
    const char *key = sic_str(app, kv->key), *value = sic_str(app, kv->value);
    if (key && value && *value && (!strcmp(key, "sic.job") || !strcmp(key, "spark.sic.job"))) {
      snprintf(out, n, "%s", value);
      return 0;
    }
  }
  return sic_jobkey_from_name(sic_str(app, app->name), rules, out, n, err);
}
