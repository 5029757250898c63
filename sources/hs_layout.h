/* Internal to sources/: the event-log layouts of engine/eventlog/logset.c told from a zip
 * member's name alone, for the History Server /logs zip read as it arrives (hs_logs.c), where
 * the whole listing is not known before the parts must be read.
 * Ownership: nothing is kept; pointers are borrowed for the call. */
#ifndef SIC_SOURCES_HS_LAYOUT_H
#define SIC_SOURCES_HS_LAYOUT_H

#include <stddef.h>

#include "eventlog/eventlog.h"

typedef enum part_kind {
  PK_NONE = 0,          /* not a part of a log (directory, marker, checksum ...) */
  PK_FILE,              /* a file that may be an event log on its own */
  PK_ROLLING,           /* eventlog_v2_<app>/events_<n>_<app>[.codec][.compact] */
  PK_LEGACY,            /* <dir>/EVENT_LOG_<n> */
  PK_DATABRICKS         /* <dir>/eventlog, <dir>/eventlog-YYYY-MM-DD--HH-MM[.codec] */
} part_kind;

/* Kind of member (a '/'-separated name), its directory length (up to and including the last
 * '/') and its order key within its log: rolling index * 2 + (not compact), legacy index,
 * Databricks 0 for rolled parts and 1 for the current one (ties broken by name). A legacy
 * COMPRESSION_CODEC_ marker sets *hint. */
part_kind hs_classify(const char *member, size_t *dir_len, long long *key, int *compact, sic_codec *hint);
int hs_has_suffix(const char *s, const char *suffix);

#endif
