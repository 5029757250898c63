/* Layouts by member name (see hs_layout.h): the same rules as engine/eventlog/logset.c's
 * directory walk, applied one name at a time. */
#include "sources/hs_layout.h"

#include <ctype.h>
#include <string.h>

int hs_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static const char *parse_index(const char *s, long long *v) {
  if (!isdigit((unsigned char)*s)) return NULL;
  long long x = 0;
  while (isdigit((unsigned char)*s)) {
    if (x > 1000000000000LL) return NULL;
    x = x * 10 + (*s++ - '0');
  }
  *v = x;
  return s;
}

static int skip_by_name(const char *name) {
  return name[0] == '.' || hs_has_suffix(name, ".crc") || hs_has_suffix(name, ".sparklens.json") ||
         !strcmp(name, "_SUCCESS") || hs_has_suffix(name, ".md") || hs_has_suffix(name, ".txt");
}

static int is_databricks_rolled(const char *name) {
  static const char pattern[] = "eventlog-DDDD-DD-DD--DD-DD";
  size_t n = sizeof pattern - 1;
  if (strlen(name) < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (pattern[i] == 'D' ? !isdigit((unsigned char)name[i]) : name[i] != pattern[i]) return 0;
  const char *rest = name + n;
  return !*rest || sic_codec_from_name(name) != SIC_CODEC_NONE || !strcmp(rest, ".inprogress");
}

/* Kind of a member, its directory length (up to and including the last '/') and order key:
 * rolling index * 2 + (not compact), legacy index, Databricks 0 for rolled parts, 1 for the
 * current one (ties are broken by name). */
part_kind hs_classify(const char *member, size_t *dir_len, long long *key, int *compact, sic_codec *hint) {
  const char *slash = strrchr(member, '/');
  const char *base = slash ? slash + 1 : member;
  *dir_len = (size_t)(base - member);
  *compact = 0;
  if (!*base || skip_by_name(base)) return PK_NONE;
  const char *dir = member;
  for (const char *p = member; p + 1 < base; p++)
    if (*p == '/') dir = p + 1;
  long long idx;
  const char *after;
  if (*dir_len && has_prefix(dir, "eventlog_v2_")) {
    if (!has_prefix(base, "events_") || !(after = parse_index(base + 7, &idx)) || *after != '_') return PK_NONE;
    *compact = hs_has_suffix(base, ".compact");
    *key = idx * 2 + !*compact;
    return PK_ROLLING;
  }
  if (has_prefix(base, "EVENT_LOG_") && (after = parse_index(base + 10, &idx)) && !*after) {
    *key = idx;
    return PK_LEGACY;
  }
  if (has_prefix(base, "COMPRESSION_CODEC_")) {
    char lower[64];
    size_t n = 0;
    for (const char *p = base + 18; *p && n < sizeof lower - 1; p++) lower[n++] = (char)tolower((unsigned char)*p);
    lower[n] = 0;
    *hint = strstr(lower, "lz4") ? SIC_CODEC_LZ4 : strstr(lower, "lzf") ? SIC_CODEC_LZF
              : strstr(lower, "snappy") ? SIC_CODEC_SNAPPY : strstr(lower, "zstd") ? SIC_CODEC_ZSTD : *hint;
    return PK_NONE;
  }
  if (has_prefix(base, "SPARK_VERSION_") || !strcmp(base, "APPLICATION_COMPLETE")) return PK_NONE;
  if (!strcmp(base, "eventlog") || !strcmp(base, "eventlog.inprogress") || is_databricks_rolled(base)) {
    *key = has_prefix(base, "eventlog-") ? 0 : 1;
    return PK_DATABRICKS;
  }
  return PK_FILE;
}
