/* A small Parquet reader for what Delta Lake checkpoints use: the Thrift compact footer,
 * data pages v1 and v2, dictionary pages, PLAIN / PLAIN_DICTIONARY / RLE_DICTIONARY values,
 * RLE/bit-packed hybrid levels, uncompressed / snappy / gzip / zstd / lz4_raw pages, and nested
 * struct / map / list reassembly through definition and repetition levels.
 *
 * The reader projects top-level columns: only the leaves under the requested top-level fields
 * are decoded, one row group at a time, and every row is handed to the caller as one JSON
 * object text holding the requested fields ({"add":{...},"remove":null}). Maps become JSON
 * objects, lists arrays, DATE values "YYYY-MM-DD", TIMESTAMP values ISO-8601 strings in UTC
 * (so a checkpoint row reads like the JSON commit line it came from).
 *
 * Every offset and length read from the file is checked; a malformed file gives SIC_EFORMAT
 * (or SIC_ECORRUPT for a bad compressed page, SIC_EUNSUPPORTED for an encoding or codec this
 * reader does not know) with a message naming the file and, past the footer, the column.
 *
 * Ownership: sic_pq_open()/sic_pq_open_mem() return a handle the caller releases with
 * sic_pq_close(). sic_pq_open() maps the file; sic_pq_open_mem() borrows the caller's buffer,
 * which must outlive the handle. The row text handed to the callback is valid only during the
 * call. Schema names returned by sic_pq_field_name() live as long as the handle. */
#ifndef SIC_PARQUET_H
#define SIC_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sic_pq_file sic_pq_file;

/* Called once per row with the JSON object text of the projected fields (len bytes, not
 * NUL-terminated). A non-zero return stops the read and is returned by sic_pq_read_rows. */
typedef int (*sic_pq_row_fn)(void *user, int64_t row, const char *json, size_t len);

int sic_pq_open(const char *path, sic_pq_file **out, sic_err *err);
/* name is used in messages only. */
int sic_pq_open_mem(const void *buf, size_t len, const char *name, sic_pq_file **out, sic_err *err);
void sic_pq_close(sic_pq_file *f);

int64_t sic_pq_num_rows(const sic_pq_file *f);
int sic_pq_num_row_groups(const sic_pq_file *f);
/* Top-level fields of the schema: their count and names (i in [0, count)). */
int sic_pq_field_count(const sic_pq_file *f);
const char *sic_pq_field_name(const sic_pq_file *f, int i);
/* 1 when the dotted path (e.g. "add.stats_parsed") names a schema node, else 0. */
int sic_pq_has_path(const sic_pq_file *f, const char *dotted);

/* Read every row, projecting the named top-level fields (names absent from the file are
 * left out of the row objects). Returns 0, the callback's non-zero value, or a SIC_E* code. */
int sic_pq_read_rows(sic_pq_file *f, const char *const *fields, int nfields, sic_pq_row_fn fn, void *user,
                     sic_err *err);

#endif
