/* The grouping key of a failure message: its first line with the parts that differ between
 * occurrences of one cause (addresses, sizes, counts, ids, paths, URIs, host:port) replaced by
 * placeholders, so that one out-of-memory error with a different size in each task is one group.
 * Ownership: the caller owns both buffers; nothing is allocated.
 * scripts/lib/analysis/failures.lua applies the same rules for the Lua rules. */
#ifndef SIC_REPORT_FAILURE_KEY_H
#define SIC_REPORT_FAILURE_KEY_H

#include <stddef.h>

/* Writes the key of msg's first line into out (NUL-terminated, at most n - 1 bytes; n > 0);
 * a NULL msg gives "". Returns out. */
char *sic_failure_key(const char *msg, char *out, size_t n);

#endif
