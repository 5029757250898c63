/* Delta actions (add, remove, metaData, protocol, commitInfo, txn, domainMetadata, sidecar,
 * checkpointMetadata) applied to the replay state. The same parser reads JSON commit lines
 * and the rows of Parquet checkpoints (which engine/parquet hands over as JSON). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "delta/delta_internal.h"
#include "json/scan.h"

/* A string value, unescaped; raw values (objects, arrays) as their text. */
typedef struct slice {
  const char *p;               /* first byte */
  size_t len;                  /* bytes */
  int escaped;                 /* a JSON string still holding escapes */
  int present;                 /* 1 when the member was there and not null */
} slice;

typedef struct dv_info {
  slice storage, path;         /* storageType, pathOrInlineDv */
  int64_t offset;              /* offset, -1 when absent */
  int64_t cardinality;         /* rows deleted */
  int present;                 /* a deletionVector object was there */
} dv_info;

static int read_string(sic_jscan *s, slice *out) {
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s);
  sic_jstr v;
  if (sic_json_str(s, &v)) return -1;
  out->p = v.p;
  out->len = v.len;
  out->escaped = v.escaped;
  out->present = 1;
  return 0;
}

static int read_raw(sic_jscan *s, slice *out) {
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s);
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n')) s->p++;
  const char *start = s->p;
  if (sic_json_skip(s)) return -1;
  out->p = start;
  out->len = (size_t)(s->p - start);
  out->escaped = 0;
  out->present = 1;
  return 0;
}

static int read_i64(sic_jscan *s, int64_t *out) {
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s);
  if (sic_json_peek(s) == SIC_JT_STRING) { /* some writers log numbers as strings */
    sic_jstr v;
    if (sic_json_str(s, &v)) return -1;
    sic_json_parse_i64(v.p, v.len, out);
    return 0;
  }
  return sic_json_i64(s, out);
}

static int read_bool(sic_jscan *s, int *out) {
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s);
  return sic_json_bool(s, out);
}

/* How one member of an action object is read. */
typedef enum field_kind { F_STRING, F_RAW, F_I64, F_BOOL, F_DV } field_kind;

/* One member an action wants: its key, how to read it, where to put it. */
typedef struct field {
  const char *key;             /* member name */
  size_t key_len;              /* its bytes (keys are compared once per member of every add) */
  field_kind kind;             /* reader to use */
  void *out;                   /* slice, int64_t, int or dv_info, by kind */
} field;

/* A field entry for a literal key. */
#define FIELD(key, kind, out) {key, sizeof(key) - 1, kind, out}

static int read_dv(sic_jscan *s, dv_info *dv);

/* Read the members of an object into fields (others skipped). Every action has this shape, so
 * each apply_* only lists its keys. Returns 0 when read, 1 when the value was null (consumed:
 * the action is absent), -1 on bad JSON. */
static int read_fields(sic_jscan *s, const field *fields, size_t n) {
  sic_jiter it;
  sic_jstr k;
  int r;
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s) ? -1 : 1;
  if (sic_json_obj_begin(s, &it)) return -1;
  while ((r = sic_json_obj_next(s, &it, &k)) > 0) {
    const field *f = NULL;
    for (size_t i = 0; i < n && !f; i++)
      if (sic_jstr_eq(&k, fields[i].key, fields[i].key_len)) f = &fields[i];
    if (!f) r = sic_json_skip(s);
    else if (f->kind == F_STRING) r = read_string(s, f->out);
    else if (f->kind == F_RAW) r = read_raw(s, f->out);
    else if (f->kind == F_I64) r = read_i64(s, f->out);
    else if (f->kind == F_BOOL) r = read_bool(s, f->out);
    else r = read_dv(s, f->out);
    if (r) return -1;
  }
  return r < 0 ? -1 : 0;
}

/* Bytes of a slice once unescaped (for sizing). */
static size_t slice_len(const slice *v) { return v->present ? v->len : 0; }

/* Copy a slice into dst (unescaping strings), NUL-terminated; returns the end. */
static char *put_slice(char *dst, const slice *v) {
  if (v->escaped) {
    sic_jstr js = {v->p, v->len, 1};
    dst += sic_json_unescape(&js, dst);
  } else {
    memcpy(dst, v->p, v->len);
    dst += v->len;
  }
  *dst++ = 0;
  return dst;
}

static int read_dv(sic_jscan *s, dv_info *dv) {
  if (sic_json_peek(s) == SIC_JT_NULL) return sic_json_null(s);
  dv->present = 1;
  const field fields[] = {
    FIELD("storageType", F_STRING, &dv->storage), FIELD("pathOrInlineDv", F_STRING, &dv->path),
    FIELD("offset", F_I64, &dv->offset), FIELD("cardinality", F_I64, &dv->cardinality),
  };
  return read_fields(s, fields, sizeof fields / sizeof *fields) < 0 ? -1 : 0;
}

/* The DV id text: storage type, path or inline data, and "@offset" when there is one. */
static int dv_text(const dv_info *dv, char *buf, size_t cap) {
  if (!dv->present || !dv->path.present) return 0;
  int n = snprintf(buf, cap, "%.*s%.*s", (int)dv->storage.len, dv->storage.p, (int)dv->path.len, dv->path.p);
  if (dv->offset >= 0 && n >= 0 && (size_t)n < cap) n += snprintf(buf + n, cap - (size_t)n, "@%lld", (long long)dv->offset);
  return n < 0 || (size_t)n >= cap ? (int)cap - 1 : n;
}

/* ---- the hash map ---- */
static uint64_t key_hash(const char *path, size_t plen, const char *dv, size_t dlen) {
  return XXH3_64bits_withSeed(dv, dlen, XXH3_64bits(path, plen));
}

/* Double the index (and rehash); entries stay where they are. */
static int grow_index(dl_snap *s) {
  size_t nc = s->index_cap ? s->index_cap * 2 : 1024;
  uint64_t *ni = calloc(nc, sizeof *ni);
  if (!ni) return -1;
  for (size_t i = 0; i < s->nentries; i++) {
    size_t j = s->entries[i].hash & (nc - 1);
    while (ni[j]) j = (j + 1) & (nc - 1);
    ni[j] = (s->entries[i].hash >> 32) << 32 | (uint64_t)(i + 1);
  }
  free(s->index);
  s->index = ni;
  s->index_cap = nc;
  return 0;
}

static const char *entry_path(const dl_entry *e) { return e->state == DL_ACTIVE ? e->f.path : e->t.path; }
static const char *entry_dv(const dl_entry *e) { return e->state == DL_ACTIVE ? e->f.dv_id : e->t.dv_id; }

/* The entry for key, existing or new (state DL_EMPTY); NULL when out of memory. The pointer is
 * valid until the next lookup (entries may move). */
static dl_entry *lookup(dl_snap *s, const char *path, const char *dv, uint64_t h) {
  if ((s->nentries + 1) * 4 > s->index_cap * 3 && grow_index(s)) return NULL;
  uint64_t tag = (h >> 32) << 32;
  size_t j = h & (s->index_cap - 1);
  for (;;) {
    uint64_t slot = s->index[j];
    if (!slot) break;
    if ((slot & 0xffffffff00000000ull) == tag) {
      dl_entry *e = &s->entries[(slot & 0xffffffffu) - 1];
      const char *ed = entry_dv(e);
      if (e->hash == h && !strcmp(entry_path(e), path) && ((!ed && !dv) || (ed && dv && !strcmp(ed, dv)))) return e;
    }
    j = (j + 1) & (s->index_cap - 1);
  }
  if (s->nentries == s->cap_entries) {
    size_t nc = s->cap_entries ? s->cap_entries * 2 : 1024;
    dl_entry *g = realloc(s->entries, nc * sizeof *g);
    if (!g) return NULL;
    s->entries = g;
    s->cap_entries = nc;
  }
  s->index[j] = tag | (uint64_t)(s->nentries + 1);
  dl_entry *e = &s->entries[s->nentries++];
  memset(e, 0, sizeof *e);
  e->hash = h;
  return e;
}

/* The entry of a file (path plus DV id, which may be NULL); its hash goes to *h. */
static dl_entry *lookup_file(dl_snap *s, const char *path, const char *dv, uint64_t *h) {
  *h = key_hash(path, strlen(path), dv ? dv : "", dv ? strlen(dv) : 0);
  return lookup(s, path, dv, *h);
}

/* Copy the DV id text (dvlen bytes, none when 0) to dst, NUL-terminated; NULL when there is none. */
static char *put_dv(char *dst, const char *dv, int dvlen) {
  if (dvlen <= 0) return NULL;
  memcpy(dst, dv, (size_t)dvlen);
  dst[dvlen] = 0;
  return dst;
}

/* ---- actions ---- */
typedef struct add_action {
  slice path, pv, stats, stats_parsed;
  int64_t size, mtime;
  int data_change;
  dv_info dv;
} add_action;

static int64_t num_records_of(const char *json, size_t len) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr k;
  int64_t v = -1;
  sic_json_init(&s, json, len);
  if (sic_json_peek(&s) != SIC_JT_OBJECT || sic_json_obj_begin(&s, &it)) return -1;
  while (sic_json_obj_next(&s, &it, &k) > 0) {
    if (SIC_JSTR_IS(&k, "numRecords")) {
      if (sic_json_peek(&s) != SIC_JT_NUMBER || sic_json_i64(&s, &v)) return -1;
      return v;
    }
    if (sic_json_skip(&s)) return -1;
  }
  return -1;
}

static int apply_add(dl_snap *s, sic_jscan *js) {
  add_action a;
  memset(&a, 0, sizeof a);
  a.size = -1;
  a.mtime = -1;
  a.dv.offset = -1;
  const field fields[] = {
    FIELD("path", F_STRING, &a.path), FIELD("partitionValues", F_RAW, &a.pv), FIELD("size", F_I64, &a.size),
    FIELD("modificationTime", F_I64, &a.mtime), FIELD("dataChange", F_BOOL, &a.data_change),
    FIELD("stats", F_STRING, &a.stats), FIELD("stats_parsed", F_RAW, &a.stats_parsed),
    FIELD("deletionVector", F_DV, &a.dv),
  };
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r) return r < 0 ? -1 : 0;
  if (!a.path.present) { s->bad_actions++; return 0; }
  char dvbuf[1024];
  int dvlen = dv_text(&a.dv, dvbuf, sizeof dvbuf);
  const slice *st = a.stats.present ? &a.stats : a.stats_parsed.present ? &a.stats_parsed : NULL;
  size_t need = slice_len(&a.path) + 1 + (a.pv.present ? a.pv.len : 2) + 1 + (st ? st->len : 0) + 1 + (size_t)dvlen + 1;
  char *block = malloc(need);
  if (!block) return -2;
  char *p = block;
  sic_delta_file f;
  memset(&f, 0, sizeof f);
  f.path = p;
  p = put_slice(p, &a.path);
  f.partition_values = p;
  if (a.pv.present) p = put_slice(p, &a.pv);
  else { memcpy(p, "{}", 3); p += 3; }
  f.stats = NULL;
  f.num_records = -1;
  if (st) {
    f.stats = p;
    char *start = p;
    p = put_slice(p, st);
    f.num_records = num_records_of(start, (size_t)(p - 1 - start));
    f.stats_parsed = st == &a.stats_parsed;
  }
  f.dv_id = put_dv(p, dvbuf, dvlen);
  f.size = a.size < 0 ? 0 : a.size;
  f.modification_time = a.mtime;
  f.dv_cardinality = a.dv.present ? (a.dv.cardinality > 0 ? a.dv.cardinality : 0) : 0;
  f.data_change = a.data_change;
  uint64_t h;
  dl_entry *e = lookup_file(s, f.path, f.dv_id, &h);
  if (!e) { free(block); return -2; }
  if (e->state != DL_EMPTY) free(e->block);
  e->hash = h;
  e->state = DL_ACTIVE;
  e->block = block;
  e->f = f;
  if (s->cur) {
    s->cur->adds++;
    s->cur->bytes_added += f.size;
  }
  return 0;
}

static int apply_remove(dl_snap *s, sic_jscan *js) {
  slice path = {0};
  int64_t size = -1, ts = -1;
  int dc = 0;
  dv_info dv;
  memset(&dv, 0, sizeof dv);
  dv.offset = -1;
  const field fields[] = {
    FIELD("path", F_STRING, &path), FIELD("size", F_I64, &size), FIELD("deletionTimestamp", F_I64, &ts),
    FIELD("dataChange", F_BOOL, &dc), FIELD("deletionVector", F_DV, &dv),
  };
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r) return r < 0 ? -1 : 0;
  if (!path.present) { s->bad_actions++; return 0; }
  char dvbuf[1024];
  int dvlen = dv_text(&dv, dvbuf, sizeof dvbuf);
  char *block = malloc(path.len + 1 + (size_t)dvlen + 1);
  if (!block) return -2;
  sic_delta_tombstone t = {block, NULL, size, ts};
  t.dv_id = put_dv(put_slice(block, &path), dvbuf, dvlen);
  uint64_t h;
  dl_entry *e = lookup_file(s, t.path, t.dv_id, &h);
  if (!e) { free(block); return -2; }
  if (e->state != DL_EMPTY) {
    if (e->state == DL_ACTIVE && t.size < 0) t.size = e->f.size; /* a remove without size: the add knew it */
    free(e->block);
  }
  e->hash = h;
  e->state = DL_TOMB;
  e->block = block;
  e->t = t;
  if (s->cur) s->cur->removes++;
  (void)dc;
  return 0;
}

static char *own_slice(dl_snap *s, const slice *v) {
  if (!v->present) return NULL;
  char *d = malloc(v->len + 1);
  if (!d) return NULL;
  put_slice(d, v);
  char *o = dl_own(s, d, strlen(d));
  free(d);
  return o;
}

static int apply_metadata(dl_snap *s, sic_jscan *js) {
  slice id = {0}, name = {0}, schema = {0}, parts = {0}, conf = {0};
  int64_t created = -1;
  const field fields[] = {
    FIELD("id", F_STRING, &id), FIELD("name", F_STRING, &name), FIELD("schemaString", F_STRING, &schema),
    FIELD("partitionColumns", F_RAW, &parts), FIELD("configuration", F_RAW, &conf), FIELD("createdTime", F_I64, &created),
  };
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r) return r < 0 ? -1 : 0;
  sic_delta_snapshot *p = &s->pub;
  p->metadata_id = own_slice(s, &id);
  p->name = own_slice(s, &name);
  p->schema_string = own_slice(s, &schema);
  p->partition_columns = parts.present ? own_slice(s, &parts) : "[]";
  p->configuration = conf.present ? own_slice(s, &conf) : "{}";
  p->created_time = created;
  return 0;
}

static int apply_protocol(dl_snap *s, sic_jscan *js) {
  int64_t rv = 0, wv = 0;
  slice rf = {0}, wf = {0};
  const field fields[] = {
    FIELD("minReaderVersion", F_I64, &rv), FIELD("minWriterVersion", F_I64, &wv),
    FIELD("readerFeatures", F_RAW, &rf), FIELD("writerFeatures", F_RAW, &wf),
  };
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r) return r < 0 ? -1 : 0;
  s->pub.min_reader_version = (int32_t)rv;
  s->pub.min_writer_version = (int32_t)wv;
  s->pub.reader_features = own_slice(s, &rf);
  s->pub.writer_features = own_slice(s, &wf);
  return 0;
}

static int apply_commit_info(dl_snap *s, sic_jscan *js) {
  int64_t ts = -1, ict = -1;
  slice op = {0};
  const field fields[] = {
    FIELD("timestamp", F_I64, &ts), FIELD("inCommitTimestamp", F_I64, &ict), FIELD("operation", F_STRING, &op),
  };
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r) return r < 0 ? -1 : 0;
  if (s->cur) {
    s->cur->timestamp = ict >= 0 ? ict : ts;
    if (op.present) s->cur->operation = own_slice(s, &op);
  }
  return 0;
}

static int apply_txn(dl_snap *s, sic_jscan *js) {
  slice app = {0};
  const field fields[] = {FIELD("appId", F_STRING, &app)};
  int r = read_fields(js, fields, 1);
  if (r || !app.present) return r < 0 ? -1 : 0;
  for (int64_t i = 0; i < s->pub.ntxns; i++)
    if (strlen(s->txn_ids[i]) == app.len && !memcmp(s->txn_ids[i], app.p, app.len)) return 0;
  if (s->pub.ntxns == s->cap_txns) {
    int64_t nc = s->cap_txns ? s->cap_txns * 2 : 8;
    char **g = realloc(s->txn_ids, (size_t)nc * sizeof *g);
    if (!g) return -2;
    s->txn_ids = g;
    s->cap_txns = nc;
  }
  /* the slice points into the line, which has no NUL after it: copy exactly len bytes */
  char *id = malloc(app.len + 1);
  if (!id) return -2;
  memcpy(id, app.p, app.len);
  id[app.len] = 0;
  s->txn_ids[s->pub.ntxns] = id;
  s->pub.ntxns++;
  return 0;
}

static int apply_domain(dl_snap *s, sic_jscan *js) {
  slice dom = {0}, conf = {0};
  int removed = 0;
  const field fields[] = {FIELD("domain", F_STRING, &dom), FIELD("configuration", F_STRING, &conf), FIELD("removed", F_BOOL, &removed)};
  int r = read_fields(js, fields, sizeof fields / sizeof *fields);
  if (r || !dom.present) return r < 0 ? -1 : 0;
  char *name = own_slice(s, &dom);
  if (!name) return -2;
  sic_delta_snapshot *p = &s->pub;
  int64_t i = 0;
  while (i < p->ndomains && strcmp(p->domains[i].domain, name)) i++;
  if (removed) {
    if (i < p->ndomains) p->domains[i] = p->domains[--p->ndomains];
    return 0;
  }
  if (i == p->ndomains) {
    if (p->ndomains == s->cap_domains) {
      int64_t nc = s->cap_domains ? s->cap_domains * 2 : 4;
      sic_delta_domain *g = realloc(p->domains, (size_t)nc * sizeof *g);
      if (!g) return -2;
      p->domains = g;
      s->cap_domains = nc;
    }
    p->ndomains++;
  }
  p->domains[i].domain = name;
  p->domains[i].configuration = conf.present ? own_slice(s, &conf) : "";
  return 0;
}

static int apply_sidecar(dl_snap *s, sic_jscan *js) {
  slice path = {0};
  const field fields[] = {FIELD("path", F_STRING, &path)};
  int r = read_fields(js, fields, 1);
  if (r || !path.present) return r < 0 ? -1 : 0;
  if (s->nsidecars == s->cap_sidecars) {
    int nc = s->cap_sidecars ? s->cap_sidecars * 2 : 8;
    char **g = realloc(s->sidecars, (size_t)nc * sizeof *g);
    if (!g) return -2;
    s->sidecars = g;
    s->cap_sidecars = nc;
  }
  char *d = malloc(path.len + 1);
  if (!d) return -2;
  put_slice(d, &path);
  s->sidecars[s->nsidecars++] = d;
  return 0;
}

int dl_apply_line(dl_snap *s, const char *line, size_t len) {
  sic_jscan js;
  sic_jiter it;
  sic_jstr k;
  int r;
  sic_json_init(&js, line, len);
  if (sic_json_peek(&js) != SIC_JT_OBJECT || sic_json_obj_begin(&js, &it)) return -1;
  while ((r = sic_json_obj_next(&js, &it, &k)) > 0) {
    if (s->info_only && !SIC_JSTR_IS(&k, "commitInfo")) r = sic_json_skip(&js);
    else if (SIC_JSTR_IS(&k, "add")) r = apply_add(s, &js);
    else if (SIC_JSTR_IS(&k, "remove")) r = apply_remove(s, &js);
    else if (SIC_JSTR_IS(&k, "metaData")) r = apply_metadata(s, &js);
    else if (SIC_JSTR_IS(&k, "protocol")) r = apply_protocol(s, &js);
    else if (SIC_JSTR_IS(&k, "commitInfo")) r = apply_commit_info(s, &js);
    else if (SIC_JSTR_IS(&k, "txn")) r = apply_txn(s, &js);
    else if (SIC_JSTR_IS(&k, "domainMetadata")) r = apply_domain(s, &js);
    else if (SIC_JSTR_IS(&k, "sidecar")) r = apply_sidecar(s, &js);
    else if (SIC_JSTR_IS(&k, "checkpointMetadata")) {
      if (sic_json_peek(&js) != SIC_JT_NULL) s->saw_checkpoint_metadata = 1;
      r = sic_json_skip(&js);
    } else r = sic_json_skip(&js);
    if (r == -2) return -2;
    if (r) return -1;
  }
  return r < 0 ? -1 : 0;
}
