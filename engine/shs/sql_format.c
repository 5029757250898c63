/* SQL metric values as text, as Spark 3.5 prints them: SQLMetrics.stringValue per metric type,
 * Utils.bytesToString, Utils.msDurationToString (Java's Formatter rounds half up on the decimal
 * expansion; NumberFormat groups with commas), and the iteration order of Scala 2.12 immutable
 * Int maps for job id lists (see sql.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shs/sql.h"

/* ---- display strings (SQLMetrics.stringValue, Utils.bytesToString / msDurationToString) ---- */

/* Round the decimal text of a non-negative number half up to `digits` decimals (what Java's
 * Formatter does with %.Nf on the decimal expansion). */
static void round_half_up(const char *num, int digits, char *out, size_t cap) {
  char buf[128];
  snprintf(buf, sizeof buf - 16, "%s", num);
  char *dot = strchr(buf, '.');
  if (!dot) {
    dot = buf + strlen(buf);
    dot[0] = '.';
    dot[1] = 0;
  }
  size_t int_len = (size_t)(dot - buf), frac_len = strlen(dot + 1);
  while (frac_len < (size_t)digits + 1) {
    dot[1 + frac_len++] = '0';
    dot[1 + frac_len] = 0;
  }
  int up = dot[1 + digits] >= '5';
  buf[digits ? int_len + 1 + (size_t)digits : int_len] = 0;
  if (up) {
    int i = (int)strlen(buf) - 1;
    for (; i >= 0; i--) {
      if (buf[i] == '.') continue;
      if (buf[i] == '9') { buf[i] = '0'; continue; }
      buf[i]++;
      break;
    }
    if (i < 0) {
      memmove(buf + 1, buf, strlen(buf) + 1);
      buf[0] = '1';
    }
  }
  snprintf(out, cap, "%s", buf);
}

static void fmt_fixed(double v, int digits, char *out, size_t cap) {
  char raw[64];
  int neg = v < 0;
  snprintf(raw, sizeof raw, "%.12f", neg ? -v : v);
  char r[60];
  round_half_up(raw, digits, r, sizeof r);
  snprintf(out, cap, "%s%s", neg ? "-" : "", r);
}

void shs_sql_bytes(int64_t size, char *out, size_t cap) {
  static const char *const units[] = {"EiB", "PiB", "TiB", "GiB", "MiB", "KiB"};
  char num[64];
  for (int i = 0; i < 6; i++) {
    int shift = 60 - 10 * i;
    double unit = (double)((int64_t)1 << shift);
    if ((double)size >= 2 * unit) {
      fmt_fixed((double)size / unit, 1, num, sizeof num);
      snprintf(out, cap, "%s %s", num, units[i]);
      return;
    }
  }
  fmt_fixed((double)size, 1, num, sizeof num);
  snprintf(out, cap, "%s B", num);
}

/* Java's %.Nf of a float: the float's shortest decimal digits, rounded half up. */
static void fmt_float(float f, int digits, char *out, size_t cap) {
  char raw[64];
  for (int p = 6; p <= 9; p++) { /* shortest precision that reads back as the same float */
    snprintf(raw, sizeof raw, "%.*g", p, (double)f);
    if (strtof(raw, NULL) == f) break;
  }
  char fixed[96];
  snprintf(fixed, sizeof fixed, "%.12f", strtod(raw, NULL));
  /* strip binary noise beyond the shortest digits: re-derive from raw when it is plain */
  if (!strchr(raw, 'e')) snprintf(fixed, sizeof fixed, "%s%s", raw, strchr(raw, '.') ? "" : ".0");
  round_half_up(fixed, digits, out, cap);
}

void shs_sql_duration(int64_t ms, char *out, size_t cap) {
  char num[64];
  if (ms < 1000) { snprintf(out, cap, "%lld ms", (long long)ms); return; }
  if (ms < 60000) { fmt_float((float)ms / 1000.0f, 1, num, sizeof num); snprintf(out, cap, "%s s", num); return; }
  if (ms < 3600000) { fmt_float((float)ms / 60000.0f, 1, num, sizeof num); snprintf(out, cap, "%s m", num); return; }
  fmt_float((float)ms / 3600000.0f, 2, num, sizeof num);
  snprintf(out, cap, "%s h", num);
}

/* NumberFormat.getIntegerInstance(Locale.US): grouping with commas. */
static void fmt_grouped(int64_t v, char *out, size_t cap) {
  char digits[32], buf[48];
  unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1ULL : (unsigned long long)v;
  snprintf(digits, sizeof digits, "%llu", mag);
  size_t n = strlen(digits), o = 0;
  if (v < 0) buf[o++] = '-';
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = 0;
  snprintf(out, cap, "%s", buf);
}

/* NumberFormat.getNumberInstance(Locale.US) of v / 10 (at most one decimal, half even is
 * never needed: v / 10 has one decimal digit). */
static void fmt_avg(int64_t v, char *out, size_t cap) {
  char ip[48];
  int64_t whole = v / 10, frac = v % 10;
  if (frac < 0) frac = -frac;
  fmt_grouped(whole, ip, sizeof ip);
  if (v < 0 && whole == 0) snprintf(ip, sizeof ip, "-0");
  if (frac) snprintf(out, cap, "%s.%lld", ip, (long long)frac);
  else snprintf(out, cap, "%s", ip);
}

static void fmt_one(int type, int64_t v, char *out, size_t cap) {
  if (type == SHS_MT_SIZE) shs_sql_bytes(v, out, cap);
  else if (type == SHS_MT_TIMING) shs_sql_duration(v, out, cap);
  else shs_sql_duration(v / 1000000, out, cap); /* nsTiming: nanoseconds to millis first */
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

/* stringValue over values (sorted in place); task = stage, attempt, task of the max or NULL. */
char *shs_sql_string_value(int type, int64_t *v, int64_t n, const int64_t *task) {
  char info[96], a[64], b[64], c[64], d[64], out[400];
  if (task) snprintf(info, sizeof info, "(stage %lld.%lld: task %lld)", (long long)task[0], (long long)task[1], (long long)task[2]);
  else snprintf(info, sizeof info, "(driver)");
  if (type == SHS_MT_SUM) {
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) sum += v[i];
    fmt_grouped(sum, out, sizeof out);
    return strdup(out);
  }
  int64_t m = 0; /* keep the valid values: > 0 for averages, >= 0 otherwise */
  for (int64_t i = 0; i < n; i++)
    if (type == SHS_MT_AVERAGE ? v[i] > 0 : v[i] >= 0) v[m++] = v[i];
  if (m > 1) qsort(v, (size_t)m, sizeof *v, cmp_i64);
  if (type == SHS_MT_AVERAGE) {
    if (m <= 1) { fmt_avg(m ? v[0] : 0, out, sizeof out); return strdup(out); }
    fmt_avg(v[0], a, sizeof a);
    fmt_avg(v[m / 2], b, sizeof b);
    fmt_avg(v[m - 1], c, sizeof c);
    snprintf(out, sizeof out, "(min, med, max (stageId: taskId)):\n(%s, %s, %s %s)", a, b, c, info);
    return strdup(out);
  }
  if (m <= 1) { fmt_one(type, m ? v[0] : 0, out, sizeof out); return strdup(out); }
  int64_t sum = 0;
  for (int64_t i = 0; i < m; i++) sum += v[i];
  fmt_one(type, sum, a, sizeof a);
  fmt_one(type, v[0], b, sizeof b);
  fmt_one(type, v[m / 2], c, sizeof c);
  fmt_one(type, v[m - 1], d, sizeof d);
  snprintf(out, sizeof out, "total (min, med, max (stageId: taskId))\n%s (%s, %s, %s %s)", a, b, c, d, info);
  return strdup(out);
}


uint64_t shs_scala_int_order(int32_t key) {
  /* HashMap.improve over the Int's hash (the Int itself), then the trie reads 5 bits at a time
   * from the low end: order by those chunks, lowest chunk most significant. */
  uint32_t h = (uint32_t)key;
  h = h + ~(h << 9);
  h = h ^ (h >> 14);
  h = h + (h << 4);
  h = h ^ (h >> 10);
  uint64_t order = 0;
  for (int level = 0; level < 7; level++) order = (order << 5) | ((h >> (5 * level)) & 31u);
  return order;
}
