/* Layouts by member name (see hs_layout.h): the same rules as engine/eventlog/logset.c's
 * directory walk, applied one name at a time. */
#include "sources/hs_layout.h"

#include <string.h>

int hs_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* Kind of a member, its directory length (up to and including the last '/') and order key:
 * rolling index * 2 + (not compact), legacy index, Databricks 0 for rolled parts, 1 for the
 * current one (ties are broken by name). */
part_kind hs_classify(const char *member, size_t *dir_len, long long *key, int *compact, sic_codec *hint) {
  const char *slash = strrchr(member, '/');
  const char *base = slash ? slash + 1 : member;
  *dir_len = (size_t)(base - member);
  *compact = 0;
  if (!*base || sic_logname_skipped(base)) return PK_NONE;
  const char *dir = member;
  for (const char *p = member; p + 1 < base; p++)
    if (*p == '/') dir = p + 1;
  long long idx;
  if (*dir_len && has_prefix(dir, "eventlog_v2_")) {
    if (!sic_logname_rolling_part(base, &idx, compact)) return PK_NONE;
    *key = idx * 2 + !*compact;
    return PK_ROLLING;
  }
  if (sic_logname_legacy_part(base, &idx)) {
    *key = idx;
    return PK_LEGACY;
  }
  if (has_prefix(base, "COMPRESSION_CODEC_")) {
    sic_codec c = sic_logname_legacy_codec(base + 18);
    if (c != SIC_CODEC_NONE) *hint = c;
    return PK_NONE;
  }
  if (has_prefix(base, "SPARK_VERSION_") || !strcmp(base, "APPLICATION_COMPLETE")) return PK_NONE;
  if (!strcmp(base, "eventlog") || !strcmp(base, "eventlog.inprogress") || sic_logname_databricks_rolled(base)) {
    *key = has_prefix(base, "eventlog-") ? 0 : 1;
    return PK_DATABRICKS;
  }
  return PK_FILE;
}
