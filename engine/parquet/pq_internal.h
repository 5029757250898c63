/* Internal to engine/parquet: the Thrift compact-protocol reader, the parsed footer (schema
 * tree and column chunks) and the decoded leaf columns of one row group.
 * Ownership: everything here belongs to the sic_pq_file it hangs from (parquet.h). */
#ifndef SIC_PQ_INTERNAL_H
#define SIC_PQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "parquet/parquet.h"

/* ---- Thrift compact protocol (read side only) ---- */
enum {
  TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4, TC_I32 = 5, TC_I64 = 6,
  TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9, TC_SET = 10, TC_MAP = 11, TC_STRUCT = 12
};

typedef struct tc_reader {
  const uint8_t *p;            /* cursor */
  const uint8_t *end;          /* one past the last readable byte */
  int bad;                     /* sticky: 1 once anything was out of bounds or malformed */
  int depth;                   /* struct/list nesting, bounded against hostile input */
} tc_reader;

/* One field header inside a struct: id and compact type; type TC_STOP ends the struct. */
typedef struct tc_field {
  int16_t id;                  /* field id */
  uint8_t type;                /* TC_* */
  int16_t last;                /* previous field id (delta encoding state) */
} tc_field;

int tc_next_field(tc_reader *r, tc_field *f);
int64_t tc_varint(tc_reader *r);
int64_t tc_zigzag(tc_reader *r);
/* Reads a binary/string; *len set; returns a pointer into the buffer or NULL when bad. */
const uint8_t *tc_binary(tc_reader *r, size_t *len);
/* List header: element type and count (count checked against the bytes left). */
int tc_list(tc_reader *r, uint8_t *elem_type, int64_t *count);
int tc_skip(tc_reader *r, uint8_t type);
/* Bool value of a field whose header carried it. */
static inline int tc_bool_of(uint8_t type) { return type == TC_TRUE; }

/* ---- Parquet enums used here ---- */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6, PQ_FLBA = 7 };
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum { PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_DECIMAL = 5,
       PQ_CT_DATE = 6, PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10 };
enum { PQ_LT_NONE = 0, PQ_LT_DATE = 1, PQ_LT_TS_MILLIS, PQ_LT_TS_MICROS, PQ_LT_TS_NANOS };

/* One schema node (flattened depth-first, as in the footer). */
typedef struct pq_node {
  char *name;                  /* field name (owned by the file's arena) */
  int type;                    /* PQ_* physical type; -1 for groups */
  int type_length;             /* FIXED_LEN_BYTE_ARRAY width */
  int repetition;              /* PQ_REQUIRED / OPTIONAL / REPEATED */
  int converted;               /* converted type, -1 when absent */
  int logical_time;            /* PQ_LT_* from the logical type (dates/timestamps) */
  int scale;                   /* decimal scale */
  int nchildren;               /* direct children (groups) */
  int first_child;             /* index of the first child; children are contiguous subtrees */
  int subtree_end;             /* one past the last node of this subtree */
  int parent;                  /* parent node index, -1 for the root */
  int max_def;                 /* definition level when this node is present */
  int max_rep;                 /* repetition level of this node */
  int leaf;                    /* leaf ordinal (column index) for primitives, -1 for groups */
  char *path;                  /* dotted path from the root (owned by the arena) */
} pq_node;

/* Where one column chunk of one row group lies. */
typedef struct pq_chunk {
  int64_t data_offset;         /* first data page */
  int64_t dict_offset;         /* dictionary page, -1 when none */
  int64_t total_size;          /* compressed bytes of the chunk */
  int64_t num_values;          /* values (levels) in the chunk */
  int codec;                   /* 0 none, 1 snappy, 2 gzip, 6 zstd, 7 lz4_raw */
  int present;                 /* 1 when the footer described this chunk */
} pq_chunk;

typedef struct pq_row_group {
  int64_t num_rows;            /* rows in the group */
  pq_chunk *chunks;            /* one per leaf column (nleaves) */
} pq_row_group;

/* A byte-array value: a slice of a decoded page or the dictionary. */
typedef struct pq_bytes {
  const uint8_t *p;            /* first byte */
  uint32_t len;                /* length */
} pq_bytes;

/* One leaf column of one row group, decoded. */
typedef struct pq_column {
  int node;                    /* schema node index */
  int64_t n;                   /* level entries */
  int16_t *def;                /* definition levels (NULL when max_def == 0) */
  int16_t *rep;                /* repetition levels (NULL when max_rep == 0) */
  int64_t nvalues;             /* non-null values */
  int64_t *ints;               /* INT32/INT64/BOOLEAN/INT96 (nanos) values, or NULL */
  double *dbls;                /* FLOAT/DOUBLE values, or NULL */
  pq_bytes *bytes;             /* BYTE_ARRAY/FIXED_LEN values, or NULL */
  uint8_t **bufs;              /* decompressed pages the byte slices point into */
  int nbufs;                   /* entries in bufs */
  int cap_bufs;                /* capacity of bufs */
  int64_t pos;                 /* assembly cursor: next level entry */
  int64_t vpos;                /* assembly cursor: next value */
} pq_column;

struct sic_pq_file {
  const uint8_t *data;         /* whole file */
  size_t size;                 /* bytes in data */
  int mapped;                  /* 1 when data is our mmap */
  char name[256];              /* file name for messages */
  pq_node *nodes;              /* schema, depth-first; nodes[0] is the root */
  int nnodes;                  /* entries in nodes */
  int *leaves;                 /* node index of each leaf column */
  int nleaves;                 /* leaf columns */
  pq_row_group *groups;        /* row groups */
  int ngroups;                 /* entries in groups */
  int64_t num_rows;            /* rows in the file */
  char *arena;                 /* names and paths */
  size_t arena_used, arena_cap;
};

int pq_parse_footer(sic_pq_file *f, sic_err *err);
/* Decode leaf column `leaf` of row group g into col (zeroed by the caller). */
int pq_read_column(sic_pq_file *f, int g, int leaf, pq_column *col, sic_err *err);
void pq_column_free(pq_column *col);

#endif
