/* Human-readable units (see format.h). */
#include "report/format.h"

#include <stdio.h>
#include <time.h>

const char *sic_fmt_bytes(int64_t bytes, char *buf) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)bytes;
  int u = 0;
  if (bytes < 0) {
    snprintf(buf, SIC_FMT_LEN, "unknown");
    return buf;
  }
  while (v >= 1024 && u < 6) v /= 1024, u++;
  if (u == 0) snprintf(buf, SIC_FMT_LEN, "%lld B", (long long)bytes);
  else snprintf(buf, SIC_FMT_LEN, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

const char *sic_fmt_duration(int64_t ms, char *buf) {
  if (ms < 0) snprintf(buf, SIC_FMT_LEN, "unknown");
  else if (ms < 1000) snprintf(buf, SIC_FMT_LEN, "%lld ms", (long long)ms);
  else if (ms < 60000) snprintf(buf, SIC_FMT_LEN, "%.1f s", ms / 1000.0);
  else if (ms < 3600000) snprintf(buf, SIC_FMT_LEN, "%lldm %02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
  else if (ms < 86400000) snprintf(buf, SIC_FMT_LEN, "%lldh %02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
  else snprintf(buf, SIC_FMT_LEN, "%lldd %lldh", (long long)(ms / 86400000), (long long)(ms / 3600000 % 24));
  return buf;
}

const char *sic_fmt_time(int64_t ms_epoch, char *buf) {
  struct tm tm;
  time_t t = (time_t)(ms_epoch / 1000);
  if (ms_epoch < 0 || !gmtime_r(&t, &tm)) {
    snprintf(buf, SIC_FMT_LEN, "unknown");
    return buf;
  }
  strftime(buf, SIC_FMT_LEN, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

const char *sic_fmt_count(int64_t n, char *buf) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n)), k = 0;
  if (n < 0) buf[k++] = '-';
  for (int i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0) buf[k++] = ',';
    buf[k++] = digits[i];
  }
  buf[k] = 0;
  return buf;
}

const char *sic_fmt_percent(double fraction, char *buf) {
  double p = fraction * 100;
  if (p > 0 && p < 0.1) snprintf(buf, SIC_FMT_LEN, "<0.1%%");
  else snprintf(buf, SIC_FMT_LEN, p < 10 ? "%.1f%%" : "%.0f%%", p);
  return buf;
}
