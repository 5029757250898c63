/* `sic example OUT --delta TABLE --filter EXPR...`: an event log whose SQL queries scan a
 * real Delta table (its real location and columns, from its log) with the given filters, so
 * the delta agent's clustering and data-skipping advice can be exercised on real tables (no
 * shared event log scans a shared Delta table).
 *
 * Each filter is one query (repeat a filter to weight it): "col=v", "col>v", "col>=v",
 * "col<v", "col<=v", "col=[a,b,c]" (IN). A filter on a partition column becomes a
 * PartitionFilter, the others PushedFilters and DataFilters, as Spark prints them. Each scan
 * reports what a scan without data skipping reads (every active file and byte; scan time at
 * 100 MB/s), so the agent's figures show what statistics would have saved.
 *
 * Ownership: nothing is kept; the output file is written and closed. */
#ifndef SIC_GEN_DELTA_H
#define SIC_GEN_DELTA_H

#include <stdint.h>

#include "core/error.h"

typedef struct sic_gen_delta_stats {
  int64_t queries;        /* SQL executions written */
  int64_t files;          /* active files of the table (files read per scan) */
  int64_t bytes;          /* active bytes of the table (bytes read per scan) */
} sic_gen_delta_stats;

int sic_gen_delta_write(const char *out_path, const char *table, const char *const *filters, int nfilters,
                        sic_gen_delta_stats *stats, sic_err *err);

#endif
