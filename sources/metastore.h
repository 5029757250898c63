/* postgresql://… — a Hive metastore's database, read for the tables an application scanned.
 *
 * The metastore agent (scripts/agents/metastore.lua) asks for the tables its event logs' SQL
 * scans read, by name ("db.table", lower-case, no catalog) and by storage location; this reads
 * them from the metastore's own tables (DBS, TBLS, SDS, SERDES, PARTITIONS, PARTITION_KEYS,
 * TABLE_PARAMS, PARTITION_PARAMS, TAB_COL_STATS, PART_COL_STATS, VERSION) with quoted upper-case
 * identifiers, as Hive's PostgreSQL schema writes them, and hands back one JSON document
 * ("schema": "sic.metastore/1", docs/sources.md) that Lua decodes with cjson.
 *
 * Versions: Hive 1.2 to 4.x. Optional parts (SERDES, the column-statistics tables, VERSION,
 * DBS.CTLG_NAME) are used when present and reported absent otherwise; a missing required table
 * is an error naming it. Column statistics are joined by TBL_ID / PART_ID, which every version
 * has (CAT_NAME, DB_NAME, ENGINE come and go).
 *
 * A location matches a table when it is the table's SDS.LOCATION or lies under it (a scan of
 * one partition's directory), compared after normalising s3a:// and s3n:// to s3://, file:
 * prefixes away and trailing slashes off (sic_metastore_normalize_location).
 *
 * Errors name the URL without credentials (sic_uri_display) and what to check; the password
 * is never part of a message. Connection: libpq's URI syntax and PG* environment variables
 * (an empty "postgresql://" takes everything from them, as psql does); connect_timeout
 * defaults to 10 s unless the URL sets it.
 *
 * Ownership: the arrays and strings passed in are borrowed for the call; *json_out is
 * malloc'ed and owned by the caller (free(), or sic_ffi_free from Lua). */
#ifndef SIC_SOURCES_METASTORE_H
#define SIC_SOURCES_METASTORE_H

#include <stddef.h>

#include "core/error.h"

/* The SIC_FFI region below is the cdef of the Lua module sic.metastore (registered by
 * sources/metastore_lua.c); sic_err comes from the core cdef. */
/* SIC_FFI_BEGIN */
/* Read the tables named in names[0..nnames-1] ("db.table") and those whose location equals or
 * contains one of locations[0..nlocations-1] from the metastore at url. 0, or SIC_EINVAL (not a
 * postgresql:// URL), SIC_EIO (cannot connect, query failed), SIC_EFORMAT (not a Hive
 * metastore: a required table is missing, named in the message). */
int sic_metastore_read(const char *url, const char *const *names, int nnames, const char *const *locations,
                       int nlocations, char **json_out, sic_err *err);
/* url as it may be shown (no userinfo, secret parameters redacted); malloc'ed, NULL when out of
 * memory. */
char *sic_metastore_display_url(const char *url);
/* SIC_FFI_END */

/* The comparable form of a location into out (cap bytes): scheme s3a/s3n -> s3, "file:" and
 * "file://" dropped, trailing '/' removed. Returns the length, or -1 when out is too small. */
int sic_metastore_normalize_location(const char *loc, char *out, size_t cap);

#endif
