/* Opening a Parquet file and parsing its footer (FileMetaData) into the schema tree and the
 * column-chunk locations of every row group. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parquet/pq_internal.h"

#define PQ_MAX_NODES 100000
#define PQ_MAX_GROUPS 1000000

static char *arena_dup(sic_pq_file *f, const char *s, size_t n) {
  if (f->arena_used + n + 1 > f->arena_cap) return NULL; /* sized up front, see parse_schema */
  char *d = f->arena + f->arena_used;
  memcpy(d, s, n);
  d[n] = 0;
  f->arena_used += n + 1;
  return d;
}

static int fail(sic_pq_file *f, sic_err *err, const char *what) {
  return sic_err_set(err, SIC_EFORMAT, "%s: malformed Parquet footer: %s", f->name, what);
}

/* LogicalType union: only what changes how a value prints (dates and timestamps). */
static int parse_logical(tc_reader *r, pq_node *n) {
  tc_field fld = {0, 0, 0};
  while (tc_next_field(r, &fld) > 0) {
    if (fld.id == 6 && fld.type == TC_STRUCT) {
      n->logical_time = PQ_LT_DATE;
      tc_skip(r, fld.type);
    } else if (fld.id == 8 && fld.type == TC_STRUCT) {
      tc_field tf = {0, 0, 0};
      while (tc_next_field(r, &tf) > 0) {
        if (tf.id == 2 && tf.type == TC_STRUCT) {
          tc_field uf = {0, 0, 0};
          while (tc_next_field(r, &uf) > 0) {
            if (uf.id == 1) n->logical_time = PQ_LT_TS_MILLIS;
            else if (uf.id == 2) n->logical_time = PQ_LT_TS_MICROS;
            else if (uf.id == 3) n->logical_time = PQ_LT_TS_NANOS;
            tc_skip(r, uf.type);
          }
        } else tc_skip(r, tf.type);
      }
    } else tc_skip(r, fld.type);
  }
  return r->bad ? -1 : 0;
}

static int parse_schema_element(tc_reader *r, sic_pq_file *f, pq_node *n) {
  tc_field fld = {0, 0, 0};
  n->type = -1;
  n->converted = -1;
  n->repetition = PQ_REQUIRED;
  while (tc_next_field(r, &fld) > 0) {
    switch (fld.id) {
    case 1: n->type = (int)tc_zigzag(r); break;
    case 2: n->type_length = (int)tc_zigzag(r); break;
    case 3: n->repetition = (int)tc_zigzag(r); break;
    case 4: {
      size_t len;
      const uint8_t *s = tc_binary(r, &len);
      if (s) n->name = arena_dup(f, (const char *)s, len);
      break;
    }
    case 5: n->nchildren = (int)tc_zigzag(r); break;
    case 6: n->converted = (int)tc_zigzag(r); break;
    case 7: n->scale = (int)tc_zigzag(r); break;
    case 10:
      if (fld.type == TC_STRUCT) parse_logical(r, n);
      else tc_skip(r, fld.type);
      break;
    default: tc_skip(r, fld.type);
    }
  }
  if (r->bad || !n->name) return -1;
  if (n->repetition < 0 || n->repetition > 2 || n->nchildren < 0 || n->type < -1 || n->type > PQ_FLBA) return -1;
  if (n->converted == PQ_CT_DATE) n->logical_time = PQ_LT_DATE;
  if (n->converted == PQ_CT_TIMESTAMP_MILLIS) n->logical_time = PQ_LT_TS_MILLIS;
  if (n->converted == PQ_CT_TIMESTAMP_MICROS) n->logical_time = PQ_LT_TS_MICROS;
  return 0;
}

/* Link the flat depth-first list into a tree: levels, paths, leaf ordinals. */
static int link_tree(sic_pq_file *f, int i, int parent, int *next, int depth, sic_err *err) {
  if (i >= f->nnodes || depth > 64) return fail(f, err, "schema children overrun the element list");
  pq_node *n = &f->nodes[i];
  n->parent = parent;
  *next = i + 1;
  if (parent >= 0) {
    const pq_node *p = &f->nodes[parent];
    n->max_def = p->max_def + (n->repetition != PQ_REQUIRED);
    n->max_rep = p->max_rep + (n->repetition == PQ_REPEATED);
    size_t pl = p->path ? strlen(p->path) : 0, nl = strlen(n->name);
    char tmp[4096];
    if (pl + nl + 2 > sizeof tmp) return fail(f, err, "schema path too long");
    if (pl) { memcpy(tmp, p->path, pl); tmp[pl] = '.'; memcpy(tmp + pl + 1, n->name, nl); tmp[pl + 1 + nl] = 0; }
    else { memcpy(tmp, n->name, nl); tmp[nl] = 0; }
    n->path = arena_dup(f, tmp, strlen(tmp));
    if (!n->path) return fail(f, err, "schema names too long");
  }
  n->leaf = -1;
  if (n->nchildren == 0 && parent >= 0) {
    if (n->type < 0) return fail(f, err, "leaf without a physical type");
    n->leaf = f->nleaves++;
  } else {
    n->first_child = i + 1;
    for (int c = 0; c < n->nchildren; c++) {
      int rc = link_tree(f, *next, i, next, depth + 1, err);
      if (rc) return rc;
    }
  }
  n->subtree_end = *next;
  return 0;
}

static int parse_schema(tc_reader *r, sic_pq_file *f, sic_err *err) {
  uint8_t et;
  int64_t count;
  if (tc_list(r, &et, &count) || et != TC_STRUCT || count < 1 || count > PQ_MAX_NODES)
    return fail(f, err, "schema list");
  f->nodes = calloc((size_t)count, sizeof *f->nodes);
  /* Names plus dotted paths: bounded by the footer's size times the deepest path. */
  f->arena_cap = (size_t)(r->end - r->p) * 2 + (size_t)count * 2 + 64;
  f->arena_cap += (size_t)count * 512;
  f->arena = malloc(f->arena_cap);
  if (!f->nodes || !f->arena) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory for the schema", f->name);
  f->nnodes = (int)count;
  for (int64_t i = 0; i < count; i++)
    if (parse_schema_element(r, f, &f->nodes[i])) return fail(f, err, "schema element");
  int next = 0;
  int rc = link_tree(f, 0, -1, &next, 0, err);
  if (rc) return rc;
  if (next != f->nnodes) return fail(f, err, "schema element count does not match the tree");
  f->leaves = calloc((size_t)(f->nleaves ? f->nleaves : 1), sizeof *f->leaves);
  if (!f->leaves) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", f->name);
  for (int i = 0; i < f->nnodes; i++)
    if (f->nodes[i].leaf >= 0) f->leaves[f->nodes[i].leaf] = i;
  return 0;
}

static int parse_column_meta(tc_reader *r, pq_chunk *c) {
  tc_field fld = {0, 0, 0};
  while (tc_next_field(r, &fld) > 0) {
    switch (fld.id) {
    case 4: c->codec = (int)tc_zigzag(r); break;
    case 5: c->num_values = tc_zigzag(r); break;
    case 7: c->total_size = tc_zigzag(r); break;
    case 9: c->data_offset = tc_zigzag(r); break;
    case 11: c->dict_offset = tc_zigzag(r); break;
    default: tc_skip(r, fld.type);
    }
  }
  c->present = !r->bad;
  return r->bad ? -1 : 0;
}

static int parse_row_group(tc_reader *r, sic_pq_file *f, pq_row_group *g, sic_err *err) {
  tc_field fld = {0, 0, 0};
  g->chunks = calloc((size_t)(f->nleaves ? f->nleaves : 1), sizeof *g->chunks);
  if (!g->chunks) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", f->name);
  while (tc_next_field(r, &fld) > 0) {
    if (fld.id == 1 && fld.type == TC_LIST) {
      uint8_t et;
      int64_t n;
      if (tc_list(r, &et, &n) || et != TC_STRUCT || n != f->nleaves) return fail(f, err, "row group column count");
      for (int64_t i = 0; i < n; i++) {
        pq_chunk *c = &g->chunks[i];
        c->dict_offset = -1;
        tc_field cf = {0, 0, 0};
        while (tc_next_field(r, &cf) > 0) {
          if (cf.id == 3 && cf.type == TC_STRUCT) parse_column_meta(r, c);
          else tc_skip(r, cf.type);
        }
        if (r->bad) return fail(f, err, "column chunk");
      }
    } else if (fld.id == 3) g->num_rows = tc_zigzag(r);
    else tc_skip(r, fld.type);
  }
  if (r->bad || g->num_rows < 0) return fail(f, err, "row group");
  return 0;
}

static int parse_meta(sic_pq_file *f, const uint8_t *p, size_t len, sic_err *err) {
  tc_reader r = {p, p + len, 0, 0};
  tc_field fld = {0, 0, 0};
  int have_schema = 0;
  while (tc_next_field(&r, &fld) > 0) {
    if (fld.id == 2 && fld.type == TC_LIST && !have_schema) {
      int rc = parse_schema(&r, f, err);
      if (rc) return rc;
      have_schema = 1;
    } else if (fld.id == 3) f->num_rows = tc_zigzag(&r);
    else if (fld.id == 4 && fld.type == TC_LIST) {
      if (!have_schema) return fail(f, err, "row groups before the schema");
      uint8_t et;
      int64_t n;
      if (tc_list(&r, &et, &n) || et != TC_STRUCT || n > PQ_MAX_GROUPS) return fail(f, err, "row group list");
      f->groups = calloc((size_t)(n ? n : 1), sizeof *f->groups);
      if (!f->groups) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", f->name);
      for (int64_t i = 0; i < n; i++) {
        f->ngroups = (int)i + 1;
        int rc = parse_row_group(&r, f, &f->groups[i], err);
        if (rc) return rc;
      }
    } else tc_skip(&r, fld.type);
  }
  if (r.bad) return fail(f, err, "truncated or invalid Thrift");
  if (!have_schema) return fail(f, err, "no schema");
  return 0;
}

int sic_pq_open_mem(const void *buf, size_t len, const char *name, sic_pq_file **out, sic_err *err) {
  *out = NULL;
  sic_pq_file *f = calloc(1, sizeof *f);
  if (!f) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  snprintf(f->name, sizeof f->name, "%s", name ? name : "parquet");
  f->data = buf;
  f->size = len;
  const uint8_t *d = buf;
  int rc;
  if (len < 12 || memcmp(d, "PAR1", 4) || memcmp(d + len - 4, "PAR1", 4)) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: not a Parquet file (no PAR1 magic at both ends)", f->name);
    goto error;
  }
  uint32_t mlen = (uint32_t)d[len - 8] | (uint32_t)d[len - 7] << 8 | (uint32_t)d[len - 6] << 16 | (uint32_t)d[len - 5] << 24;
  if (mlen > len - 12) {
    rc = sic_err_set(err, SIC_EFORMAT, "%s: footer length %u exceeds the file (%zu bytes)", f->name, mlen, len);
    goto error;
  }
  rc = parse_meta(f, d + len - 8 - mlen, mlen, err);
  if (rc) goto error;
  *out = f;
  return 0;
error:
  sic_pq_close(f);
  return rc;
}

int sic_pq_open(const char *path, sic_pq_file **out, sic_err *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return sic_err_set(err, SIC_EIO, "%s: %s", path, strerror(errno));
  }
  size_t len = (size_t)st.st_size;
  void *map = NULL;
  if (len > 0) {
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      close(fd);
      return sic_err_set(err, SIC_EIO, "%s: mmap: %s", path, strerror(errno));
    }
  }
  close(fd);
  int rc = sic_pq_open_mem(map ? map : "", len, path, out, err);
  if (rc) {
    if (map) munmap(map, len);
    return rc;
  }
  (*out)->mapped = map != NULL;
  return 0;
}

void sic_pq_close(sic_pq_file *f) {
  if (!f) return;
  for (int i = 0; i < f->ngroups; i++) free(f->groups[i].chunks);
  free(f->groups);
  free(f->nodes);
  free(f->leaves);
  free(f->arena);
  if (f->mapped) munmap((void *)f->data, f->size);
  free(f);
}

int64_t sic_pq_num_rows(const sic_pq_file *f) { return f->num_rows; }
int sic_pq_num_row_groups(const sic_pq_file *f) { return f->ngroups; }

int sic_pq_field_count(const sic_pq_file *f) { return f->nnodes ? f->nodes[0].nchildren : 0; }

const char *sic_pq_field_name(const sic_pq_file *f, int i) {
  if (!f->nnodes || i < 0 || i >= f->nodes[0].nchildren) return NULL;
  int c = f->nodes[0].first_child;
  while (i-- > 0) c = f->nodes[c].subtree_end;
  return f->nodes[c].name;
}

int sic_pq_has_path(const sic_pq_file *f, const char *dotted) {
  for (int i = 1; i < f->nnodes; i++)
    if (f->nodes[i].path && !strcmp(f->nodes[i].path, dotted)) return 1;
  return 0;
}
