/* Internal to engine/delta: the replay state (a hash map of file entries keyed on path and
 * deletion-vector id), the log listing, and the action parser shared by JSON commits and
 * checkpoint rows. Ownership: everything hangs from one dl_snap and is freed with it. */
#ifndef SIC_DELTA_INTERNAL_H
#define SIC_DELTA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "delta/delta.h"
#include "delta/delta_io.h"

enum { DL_EMPTY = 0, DL_ACTIVE = 1, DL_TOMB = 2 };

/* One (path, dv id) key in the replayed state. */
typedef struct dl_entry {
  uint64_t hash;               /* hash of the key */
  int state;                   /* DL_* */
  char *block;                 /* owned: the entry's strings, one allocation */
  union {
    sic_delta_file f;          /* the add, when active */
    sic_delta_tombstone t;     /* the remove, when a tombstone */
  };
} dl_entry;

/* The snapshot with the builder's private parts after the public struct. */
typedef struct dl_snap {
  sic_delta_snapshot pub;      /* what callers see (first member: the public pointer is ours) */
  dl_entry *entries;           /* every key seen, in first-seen order */
  size_t nentries, cap_entries; /* entries used, allocated */
  uint64_t *index;             /* open addressing over entries: (hash tag << 32) | (entry + 1), 0 empty */
  size_t index_cap;            /* slots in index (power of two) */
  char **owned;                /* strings owned by the snapshot (metadata, diagnostics, ...) */
  int nowned, cap_owned;       /* entries, capacity */
  int cap_diags;               /* capacity of pub.diags */
  int64_t cap_commits;         /* capacity of pub.commits */
  int64_t cap_domains;         /* capacity of pub.domains */
  char **txn_ids;              /* distinct txn app ids (owned) */
  int64_t cap_txns;            /* capacity of txn_ids */
  char **sidecars;             /* sidecar file names met in a V2 checkpoint (owned) */
  int nsidecars, cap_sidecars; /* entries, capacity */
  int saw_checkpoint_metadata; /* a checkpointMetadata action was read */
  sic_delta_commit *cur;       /* commit being replayed, NULL inside a checkpoint */
  const char *cur_file;        /* file being read (messages) */
  int64_t bad_actions;         /* actions that could not be parsed */
  int info_only;               /* 1: only commitInfo is read (timestamp of a checkpointed commit) */
} dl_snap;

char *dl_own(dl_snap *s, const char *p, size_t n);
void dl_diag(dl_snap *s, const char *severity, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/* Apply one JSON action line (a commit line or a checkpoint row). Returns 0, or -1 when the
 * line is not a JSON object (counted and reported by the caller). */
int dl_apply_line(dl_snap *s, const char *line, size_t len);
/* Read a commit / JSON checkpoint file line by line. Returns 0 or a SIC_E* code. */
int dl_read_json_file(dl_snap *s, const char *path, sic_err *err);
/* Read a Parquet checkpoint file's action columns. */
int dl_read_parquet_file(dl_snap *s, const char *path, sic_err *err);

/* Log listing. */
typedef struct dl_cp_file {
  int64_t version;             /* checkpoint version */
  int kind;                    /* 1 classic, 2 multi-part, 3 v2 (uuid-named) */
  int part, parts;             /* multi-part numbering */
  char *name;                  /* file name (owned by the listing) */
} dl_cp_file;

typedef struct dl_listing {
  int64_t *commits;            /* JSON commit versions, sorted */
  int64_t ncommits;
  dl_cp_file *cps;             /* checkpoint files, sorted by version then name */
  int64_t ncps;
  int64_t (*compacted)[2];     /* compacted ranges [lo, hi] */
  int64_t ncompacted;
  int64_t *crcs;               /* versions with a .crc */
  int64_t ncrcs;
} dl_listing;

int dl_list(const char *logdir, dl_listing *l, sic_err *err);

/* File access (io.c): local paths are mapped, URIs go through the registered sic_delta_io. */
typedef struct dl_buf {
  const char *data;            /* the file's bytes, NULL when empty */
  size_t len;                  /* bytes in data */
  int mapped;                  /* 1: mmap'd (munmap), 0: malloc'd (free) */
} dl_buf;

int dl_is_remote(const char *path); /* 1 for a URI other than file:// */
int dl_io_list(const char *dir, sic_delta_name_fn fn, void *user, sic_err *err);
int dl_io_read(const char *path, dl_buf *b, sic_err *err);
void dl_buf_release(dl_buf *b);
char *dl_io_display(const char *path); /* malloc'd; credentials removed from a URI */
void dl_listing_free(dl_listing *l);

#endif
