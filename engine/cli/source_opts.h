/* Options of every command that takes a PATH or URI (sources/): which applications of a
 * History Server URL to read. Include after cli/args.h; use SIC_SOURCE_OPT_ROWS(&so) in the
 * option table and sic_sources_set_defaults(&so) after parsing. */
#ifndef SIC_CLI_SOURCE_OPTS_H
#define SIC_CLI_SOURCE_OPTS_H

#include "cli/args.h"
#include "sources/source.h"

#define SIC_SOURCE_OPT_ROWS(so)                                                                                   \
  SIC_OPT_CHOICE_ROW("status", 0, &(so)->status, "completed|running",                                            \
                     "History Server URL: only completed or only running applications"),                        \
  SIC_OPT_STRING_ROW("since", 0, &(so)->min_end, "DATE",                                                          \
                     "History Server URL: applications that ended at or after DATE (2024-05-01 or "             \
                     "2024-05-01T10:00:00.000GMT)"),                                                              \
  SIC_OPT_STRING_ROW("until", 0, &(so)->max_end, "DATE", "History Server URL: applications that ended by DATE")

#endif
