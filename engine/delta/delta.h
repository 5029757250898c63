/* Delta Lake log replay: a table's `_delta_log` (JSON commits, `_last_checkpoint`, classic,
 * multi-part and V2 Parquet/JSON checkpoints with sidecars, compacted log files, `.crc`
 * files) reconciled into one snapshot: the active files keyed on (path, deletion-vector id)
 * with their partition values and statistics, the tombstones, protocol, metadata, domain
 * metadata, the checkpoint used and the commits after it. See docs/delta.md.
 *
 * Problems that a reader must not hide but that do not stop the replay (a version gap, an
 * unreadable or stale `_last_checkpoint`, a damaged checkpoint, a reader feature this code
 * does not know, a `.crc` that disagrees) become diagnostics in the snapshot, never crashes.
 * Only a table without a readable `_delta_log` is an error.
 *
 * Memory: proportional to the active files and tombstones (one allocation per file holding
 * its strings), plus the tail's commit list.
 *
 * Ownership: sic_delta_open() returns a snapshot the caller releases with sic_delta_free();
 * every pointer inside it (strings, arrays) belongs to the snapshot and is valid until then.
 * The region between SIC_FFI_BEGIN and SIC_FFI_END is plain C for the LuaJIT cdef. */
#ifndef SIC_DELTA_H
#define SIC_DELTA_H

#include <stdint.h>

#include "core/error.h"

/* SIC_FFI_BEGIN */
typedef struct sic_delta_file {
  const char *path;              /* path as logged (relative paths are URL-encoded) */
  const char *partition_values;  /* JSON object text of the partition values ("{}" when none) */
  const char *stats;             /* statistics JSON text (stats, else stats_parsed); NULL when none */
  const char *dv_id;             /* deletion-vector id (storage type, path or inline, @offset); NULL */
  int64_t size;                  /* bytes */
  int64_t modification_time;     /* ms since the epoch */
  int64_t num_records;           /* numRecords from the statistics, -1 when unknown */
  int64_t dv_cardinality;        /* rows the deletion vector deletes, 0 without one */
  int32_t stats_parsed;          /* 1 when the statistics came from add.stats_parsed */
  int32_t data_change;           /* dataChange flag of the add */
} sic_delta_file;

typedef struct sic_delta_tombstone {
  const char *path;              /* removed path as logged */
  const char *dv_id;             /* deletion-vector id of the removed entry, NULL without one */
  int64_t size;                  /* bytes, -1 when the remove did not say */
  int64_t deletion_timestamp;    /* ms since the epoch, -1 when the remove did not say */
} sic_delta_tombstone;

/* A commit replayed after the checkpoint. */
typedef struct sic_delta_commit {
  int64_t version;               /* commit version */
  int64_t timestamp;             /* commitInfo timestamp (inCommitTimestamp when set), ms; -1 */
  const char *operation;         /* commitInfo operation, NULL when absent */
  int64_t adds;                  /* add actions in the commit */
  int64_t removes;               /* remove actions in the commit */
  int64_t bytes_added;           /* sum of the adds' sizes */
} sic_delta_commit;

typedef struct sic_delta_domain {
  const char *domain;            /* domain name, e.g. "delta.liquid" */
  const char *configuration;     /* the domain's configuration string (JSON for delta.liquid) */
} sic_delta_domain;

typedef struct sic_delta_diag {
  const char *severity;          /* "error" (numbers may be wrong), "warning" or "info" */
  const char *code;              /* stable id, e.g. "version_gap", "last_checkpoint_corrupt" */
  const char *message;           /* what happened, naming the file */
} sic_delta_diag;

typedef struct sic_delta_snapshot {
  const char *table;             /* table root as given */
  const char *location;          /* absolute table root (realpath), to match scan locations */
  int64_t version;               /* snapshot version; -1 when nothing could be replayed */
  int64_t nfiles;                /* active files */
  sic_delta_file *files;         /* the active files (order unspecified) */
  int64_t bytes;                 /* sum of the active files' sizes */
  int64_t rows;                  /* numRecords minus DV cardinality over the files; -1 when a file lacks numRecords */
  int64_t ntombstones;           /* remove actions in the reconciled state (before retention expiry) */
  sic_delta_tombstone *tombstones; /* those removes */
  int64_t tombstone_bytes;       /* sum of the tombstones' known sizes */
  int64_t dv_files;              /* active files with a deletion vector */
  int64_t dv_rows;               /* rows deleted by deletion vectors */
  int32_t min_reader_version;    /* protocol */
  int32_t min_writer_version;    /* protocol */
  const char *reader_features;   /* JSON array text, NULL when absent */
  const char *writer_features;   /* JSON array text, NULL when absent */
  const char *metadata_id;       /* metaData.id */
  const char *name;              /* metaData.name, NULL when absent */
  const char *schema_string;     /* metaData.schemaString (JSON text) */
  const char *partition_columns; /* JSON array text ("[]" when unpartitioned) */
  const char *configuration;     /* JSON object text ("{}" when none) */
  int64_t created_time;          /* metaData.createdTime, -1 */
  int64_t checkpoint_version;    /* version of the checkpoint used, -1 without one */
  const char *checkpoint_kind;   /* "none", "classic", "multi-part", "v2" */
  int32_t checkpoint_parts;      /* files of the checkpoint (parts, or 1) */
  int32_t checkpoint_sidecars;   /* sidecar files read (V2) */
  const char *checkpoint_source; /* how it was chosen: "_last_checkpoint" or "listing (...why...)" */
  int64_t log_tail;              /* commits replayed after the checkpoint */
  int64_t oldest_version;        /* oldest JSON commit present in the log, -1 */
  int64_t ncommit_files;         /* JSON commit files in the log */
  int64_t ncheckpoints;          /* checkpoint versions present in the log */
  int64_t compacted_used;        /* compacted log files replayed in place of commits */
  int64_t last_commit_timestamp; /* ms of the newest commit (commitInfo, else file time), -1 */
  int64_t ncommits;              /* entries in commits (the tail) */
  sic_delta_commit *commits;     /* the tail, oldest first */
  int64_t ndomains;              /* live domain metadata */
  sic_delta_domain *domains;     /* those domains */
  int64_t ntxns;                 /* distinct application transaction ids */
  int64_t crc_num_files;         /* numFiles of the snapshot version's .crc, -1 without one */
  int64_t crc_table_size_bytes;  /* tableSizeBytes of that .crc, -1 without one */
  int32_t ndiags;                /* diagnostics */
  sic_delta_diag *diags;         /* what went wrong or was worked around */
} sic_delta_snapshot;

/* Replay TABLE (a directory holding _delta_log) at its latest version. */
int sic_delta_open(const char *table, sic_delta_snapshot **out, sic_err *err);
void sic_delta_free(sic_delta_snapshot *s);
/* SIC_FFI_END */

#endif
