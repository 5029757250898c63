/* Human-readable units for report renderers: bytes (IEC), durations, timestamps, counts.
 * Every function writes a NUL-terminated string into the caller's
 * buffer (at least SIC_FMT_LEN bytes) and returns it, so calls can be used inline. */
#ifndef SIC_REPORT_FORMAT_H
#define SIC_REPORT_FORMAT_H

#include <stdint.h>

enum { SIC_FMT_LEN = 48 };

const char *sic_fmt_bytes(int64_t bytes, char *buf);       /* "0 B", "812 B", "15.6 GiB" */
const char *sic_fmt_duration(int64_t ms, char *buf);       /* "812 ms", "4.2 s", "4m 50s", "3h 12m", "2d 4h" */
const char *sic_fmt_time(int64_t ms_epoch, char *buf);     /* "2024-11-25 02:42:15 UTC", "unknown" */
const char *sic_fmt_count(int64_t n, char *buf);           /* "1,234,567" */
const char *sic_fmt_percent(double fraction, char *buf);   /* "41.2%", "<0.1%" */

#endif
