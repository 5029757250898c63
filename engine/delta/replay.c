/* The replay driver: pick the checkpoint (from _last_checkpoint or by listing), read it and
 * its sidecars, replay the JSON commits after it (compacted files where they stand in for
 * missing commits), then reconcile the state into the snapshot and cross-check the .crc. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "json/scan.h"
#include "parquet/parquet.h"

char *dl_own(dl_snap *s, const char *p, size_t n) {
  if (s->nowned == s->cap_owned) {
    int nc = s->cap_owned ? s->cap_owned * 2 : 32;
    char **g = realloc(s->owned, (size_t)nc * sizeof *g);
    if (!g) return NULL;
    s->owned = g;
    s->cap_owned = nc;
  }
  /* p may point into a line with no NUL after it: copy exactly n bytes (not strndup) */
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, p, n);
  d[n] = 0;
  s->owned[s->nowned++] = d;
  return d;
}

void dl_diag(dl_snap *s, const char *severity, const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sic_delta_snapshot *p = &s->pub;
  if (p->ndiags == s->cap_diags) {
    int nc = s->cap_diags ? s->cap_diags * 2 : 8;
    sic_delta_diag *g = realloc(p->diags, (size_t)nc * sizeof *g);
    if (!g) return;
    p->diags = g;
    s->cap_diags = nc;
  }
  const char *m = dl_own(s, msg, strlen(msg));
  if (!m) return;
  p->diags[p->ndiags].severity = severity;
  p->diags[p->ndiags].code = code;
  p->diags[p->ndiags].message = m;
  p->ndiags++;
}

int dl_read_json_file(dl_snap *s, const char *path, sic_err *err) {
  dl_buf buf;
  int rc = dl_io_read(path, &buf, err);
  if (rc) return rc;
  const char *data = buf.data;
  size_t len = buf.len;
  int64_t line = 0, bad = 0, first_bad = 0;
  const char *p = data, *end = data + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    line++;
    size_t n = (size_t)(le - p);
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (n) {
      int r = dl_apply_line(s, p, n);
      if (r == -2) {
        dl_buf_release(&buf);
        return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", path);
      }
      if (r) {
        if (!bad) first_bad = line;
        bad++;
      }
    }
    p = le + 1;
  }
  dl_buf_release(&buf);
  if (bad) dl_diag(s, "error", "bad_action", "%s: %lld line(s) are not valid JSON actions (first: line %lld); they were skipped",
                   path, (long long)bad, (long long)first_bad);
  return 0;
}

static int on_checkpoint_row(void *user, int64_t row, const char *json, size_t len) {
  dl_snap *s = user;
  int r = dl_apply_line(s, json, len);
  if (r == -2) return SIC_ENOMEM;
  if (r) s->bad_actions++;
  (void)row;
  return 0;
}

int dl_read_parquet_file(dl_snap *s, const char *path, sic_err *err) {
  static const char *const fields[] = {"protocol", "metaData", "add", "remove", "txn", "domainMetadata", "sidecar",
                                       "checkpointMetadata"};
  sic_pq_file *f = NULL;
  dl_buf buf = {0};
  int rc;
  if (dl_is_remote(path)) { /* fetched whole, then read from memory */
    if ((rc = dl_io_read(path, &buf, err))) return rc;
    rc = sic_pq_open_mem(buf.data ? buf.data : "", buf.len, path, &f, err);
  } else rc = sic_pq_open(path, &f, err);
  if (rc) { dl_buf_release(&buf); return rc; }
  rc = sic_pq_read_rows(f, fields, (int)(sizeof fields / sizeof *fields), on_checkpoint_row, s, err);
  if (rc == SIC_ENOMEM && !err->msg[0]) sic_err_set(err, SIC_ENOMEM, "%s: out of memory", path);
  sic_pq_close(f);
  dl_buf_release(&buf);
  return rc;
}

/* ---- state reset (a checkpoint that failed half-way) ---- */
static void clear_state(dl_snap *s) {
  for (size_t i = 0; i < s->nentries; i++) free(s->entries[i].block);
  free(s->entries);
  free(s->index);
  s->entries = NULL;
  s->index = NULL;
  s->nentries = s->cap_entries = s->index_cap = 0;
  for (int i = 0; i < s->nsidecars; i++) free(s->sidecars[i]);
  s->nsidecars = 0;
  s->saw_checkpoint_metadata = 0;
  s->pub.ndomains = 0;
  for (int64_t i = 0; i < s->pub.ntxns; i++) free(s->txn_ids[i]);
  s->pub.ntxns = 0;
  s->pub.min_reader_version = s->pub.min_writer_version = 0;
  s->pub.reader_features = s->pub.writer_features = NULL;
  s->pub.metadata_id = s->pub.schema_string = s->pub.name = NULL;
}

/* ---- _last_checkpoint ---- */
typedef struct last_cp {
  int64_t version;             /* -1 when unusable */
  const char *why;             /* why it is unusable, NULL when fine */
} last_cp;

static last_cp read_last_checkpoint(const char *logdir) {
  last_cp lc = {-1, "absent"};
  char path[8192];
  snprintf(path, sizeof path, "%s/_last_checkpoint", logdir);
  dl_buf buf;
  sic_err e = {0};
  if (dl_io_read(path, &buf, &e)) return lc;
  const char *data = buf.data;
  size_t len = buf.len;
  if (!len) { lc.why = "empty (zero bytes)"; return lc; }
  sic_jscan js;
  sic_jiter it;
  sic_jstr k;
  int r;
  int64_t v = -1;
  sic_json_init(&js, data, len);
  lc.why = "not valid JSON";
  if (sic_json_peek(&js) == SIC_JT_OBJECT && !sic_json_obj_begin(&js, &it)) {
    while ((r = sic_json_obj_next(&js, &it, &k)) > 0) {
      if (SIC_JSTR_IS(&k, "version") && sic_json_peek(&js) == SIC_JT_NUMBER) r = sic_json_i64(&js, &v);
      else r = sic_json_skip(&js);
      if (r) break;
    }
    if (r == 0 && !js.err) {
      if (v >= 0) { lc.version = v; lc.why = NULL; }
      else lc.why = "without a version";
    }
  }
  dl_buf_release(&buf);
  return lc;
}

/* Index range [*lo, *hi) in l->cps of a complete checkpoint at version v; 0 when none. For
 * multi-part checkpoints every part 1..n of one n must be present. */
static int complete_checkpoint(const dl_listing *l, int64_t v, int64_t *lo, int64_t *hi, int *kind, int *parts) {
  int64_t a = 0;
  while (a < l->ncps && l->cps[a].version < v) a++;
  int64_t b = a;
  while (b < l->ncps && l->cps[b].version == v) b++;
  for (int64_t i = a; i < b; i++)
    if (l->cps[i].kind == 3 || l->cps[i].kind == 1) { *lo = i; *hi = i + 1; *kind = l->cps[i].kind; *parts = 1; return 1; }
  for (int64_t i = a; i < b; i++) {
    if (l->cps[i].kind != 2) continue;
    int n = l->cps[i].parts, seen = 0;
    for (int64_t j = a; j < b; j++)
      if (l->cps[j].kind == 2 && l->cps[j].parts == n) seen++;
    if (seen == n) {
      *lo = i;
      *hi = i;
      while (*hi < b && l->cps[*hi].kind == 2 && l->cps[*hi].parts == n) (*hi)++;
      *kind = 2;
      *parts = n;
      return 1;
    }
  }
  return 0;
}

static int read_checkpoint(dl_snap *s, const char *logdir, const dl_listing *l, int64_t lo, int64_t hi, sic_err *err) {
  char path[8192];
  for (int64_t i = lo; i < hi; i++) {
    const char *name = l->cps[i].name;
    snprintf(path, sizeof path, "%s/%s", logdir, name);
    size_t n = strlen(name);
    int rc = n > 5 && !strcmp(name + n - 5, ".json") ? dl_read_json_file(s, path, err) : dl_read_parquet_file(s, path, err);
    if (rc) return rc;
  }
  for (int i = 0; i < s->nsidecars; i++) {
    const char *sc = s->sidecars[i];
    if (strstr(sc, "://") || sc[0] == '/') snprintf(path, sizeof path, "%s", sc);
    else snprintf(path, sizeof path, "%s/_sidecars/%s", logdir, sc);
    int rc = dl_read_parquet_file(s, path, err);
    if (rc) return rc;
  }
  return 0;
}

static int push_commit(dl_snap *s, int64_t version) {
  sic_delta_snapshot *p = &s->pub;
  if (p->ncommits == s->cap_commits) {
    int64_t nc = s->cap_commits ? s->cap_commits * 2 : 16;
    sic_delta_commit *g = realloc(p->commits, (size_t)nc * sizeof *g);
    if (!g) return -1;
    p->commits = g;
    s->cap_commits = nc;
  }
  sic_delta_commit *c = &p->commits[p->ncommits++];
  memset(c, 0, sizeof *c);
  c->version = version;
  c->timestamp = -1;
  s->cur = c;
  return 0;
}

static int64_t file_mtime_ms(const char *path) {
  struct stat st;
  if (stat(path, &st)) return -1;
  return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int has_commit(const dl_listing *l, int64_t v) {
  int64_t lo = 0, hi = l->ncommits;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (l->commits[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < l->ncommits && l->commits[lo] == v;
}

/* Replay commits after `from` up to `latest`; returns the last version applied. */
static int64_t replay_tail(dl_snap *s, const char *logdir, const dl_listing *l, int64_t from, int64_t latest, sic_err *err) {
  char path[8192];
  int64_t v = from + 1, last = from;
  while (v <= latest) {
    if (has_commit(l, v)) {
      snprintf(path, sizeof path, "%s/%020lld.json", logdir, (long long)v);
      if (push_commit(s, v)) return -2;
      sic_err e = {0};
      if (dl_read_json_file(s, path, &e)) {
        dl_diag(s, "error", "unreadable_commit", "%s", e.msg);
        if (e.code == SIC_ENOMEM) { *err = e; return -2; }
      }
      if (s->cur->timestamp < 0) s->cur->timestamp = file_mtime_ms(path);
      s->cur = NULL;
      last = v++;
      continue;
    }
    int64_t best = -1;
    for (int64_t i = 0; i < l->ncompacted; i++)
      if (l->compacted[i][0] == v && l->compacted[i][1] <= latest && l->compacted[i][1] > best) best = l->compacted[i][1];
    if (best >= 0) {
      snprintf(path, sizeof path, "%s/%020lld.%020lld.compacted.json", logdir, (long long)v, (long long)best);
      if (push_commit(s, best)) return -2;
      sic_err e = {0};
      if (dl_read_json_file(s, path, &e)) dl_diag(s, "error", "unreadable_commit", "%s", e.msg);
      if (s->cur->timestamp < 0) s->cur->timestamp = file_mtime_ms(path);
      s->cur = NULL;
      s->pub.compacted_used++;
      last = best;
      v = best + 1;
      continue;
    }
    int64_t next = v;
    while (next <= latest && !has_commit(l, next)) next++;
    dl_diag(s, "error", "version_gap",
            "%s: commits %lld..%lld are missing; the snapshot stops at version %lld and %lld newer version(s) were not replayed",
            logdir, (long long)v, (long long)(next - 1), (long long)last, (long long)(latest - next + 1));
    break;
  }
  return last;
}

static void check_features(dl_snap *s) {
  static const char *const known[] = {"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "typeWidening",
                                      "typeWidening-preview", "vacuumProtocolCheck", "variantType", "variantType-preview",
                                      "domainMetadata", "icebergCompatV1", "icebergCompatV2", "appendOnly", "invariants",
                                      "checkConstraints", "changeDataFeed", "generatedColumns", "identityColumns",
                                      "rowTracking", "inCommitTimestamp", "clustering"};
  const char *rf = s->pub.reader_features;
  if (s->pub.min_reader_version > 3)
    dl_diag(s, "error", "unsupported_reader_version", "%s: minReaderVersion %d is newer than this reader (3)", s->pub.table,
            s->pub.min_reader_version);
  if (!rf) return;
  sic_jscan js;
  sic_jiter it;
  sic_json_init(&js, rf, strlen(rf));
  if (sic_json_peek(&js) != SIC_JT_ARRAY || sic_json_arr_begin(&js, &it)) return;
  while (sic_json_arr_next(&js, &it) > 0) {
    sic_jstr v;
    if (sic_json_str(&js, &v)) return;
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
      if (strlen(known[i]) == v.len && !memcmp(known[i], v.p, v.len)) ok = 1;
    if (!ok)
      dl_diag(s, "error", "unsupported_reader_feature",
              "%s: reader feature '%.*s' is not supported by this reader; a client without it must not read the table, "
              "and the log here may not be the whole truth (e.g. catalogOwned: the catalog holds the latest commits)",
              s->pub.table, (int)v.len, v.p);
  }
}

static void check_crc(dl_snap *s, const char *logdir, const dl_listing *l) {
  int found = 0;
  for (int64_t i = 0; i < l->ncrcs; i++) found |= l->crcs[i] == s->pub.version;
  if (!found) return;
  char path[8192];
  snprintf(path, sizeof path, "%s/%020lld.crc", logdir, (long long)s->pub.version);
  dl_buf buf;
  sic_err e = {0};
  if (dl_io_read(path, &buf, &e)) return;
  const char *data = buf.data;
  size_t len = buf.len;
  if (!len) return;
  sic_jscan js;
  sic_jiter it;
  sic_jstr k;
  int r;
  int64_t nf = -1, sz = -1;
  sic_json_init(&js, data, len);
  if (sic_json_peek(&js) == SIC_JT_OBJECT && !sic_json_obj_begin(&js, &it)) {
    while ((r = sic_json_obj_next(&js, &it, &k)) > 0) {
      if (SIC_JSTR_IS(&k, "numFiles") && sic_json_peek(&js) == SIC_JT_NUMBER) r = sic_json_i64(&js, &nf);
      else if (SIC_JSTR_IS(&k, "tableSizeBytes") && sic_json_peek(&js) == SIC_JT_NUMBER) r = sic_json_i64(&js, &sz);
      else r = sic_json_skip(&js);
      if (r) break;
    }
  }
  dl_buf_release(&buf);
  if (nf < 0 && sz < 0) {
    dl_diag(s, "warning", "crc_unreadable", "%s: not a readable version checksum", path);
    return;
  }
  s->pub.crc_num_files = nf;
  s->pub.crc_table_size_bytes = sz;
  if ((nf >= 0 && nf != s->pub.nfiles) || (sz >= 0 && sz != s->pub.bytes))
    dl_diag(s, "warning", "crc_mismatch", "%s: says numFiles %lld and tableSizeBytes %lld; the replay found %lld files of %lld bytes",
            path, (long long)nf, (long long)sz, (long long)s->pub.nfiles, (long long)s->pub.bytes);
}

static int finalize(dl_snap *s, sic_err *err) {
  sic_delta_snapshot *p = &s->pub;
  int64_t na = 0, nt = 0;
  for (size_t i = 0; i < s->nentries; i++) {
    na += s->entries[i].state == DL_ACTIVE;
    nt += s->entries[i].state == DL_TOMB;
  }
  p->files = malloc((size_t)(na ? na : 1) * sizeof *p->files);
  p->tombstones = malloc((size_t)(nt ? nt : 1) * sizeof *p->tombstones);
  if (!p->files || !p->tombstones) return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", p->table);
  int rows_known = 1;
  p->rows = 0;
  for (size_t i = 0; i < s->nentries; i++) {
    const dl_entry *e = &s->entries[i];
    if (e->state == DL_ACTIVE) {
      p->files[p->nfiles++] = e->f;
      p->bytes += e->f.size;
      if (e->f.num_records < 0) rows_known = 0;
      else p->rows += e->f.num_records - e->f.dv_cardinality;
      if (e->f.dv_id) {
        p->dv_files++;
        p->dv_rows += e->f.dv_cardinality;
      }
    } else if (e->state == DL_TOMB) {
      p->tombstones[p->ntombstones++] = e->t;
      if (e->t.size > 0) p->tombstone_bytes += e->t.size;
    }
  }
  if (!rows_known) p->rows = -1;
  return 0;
}

static void checkpoint_timestamp(dl_snap *s, const char *logdir, const dl_listing *l) {
  if (s->pub.ncommits > 0) {
    s->pub.last_commit_timestamp = s->pub.commits[s->pub.ncommits - 1].timestamp;
    return;
  }
  char path[8192];
  int64_t v = s->pub.version;
  if (v < 0) return;
  snprintf(path, sizeof path, "%s/%020lld.json", logdir, (long long)v);
  if (has_commit(l, v)) {
    sic_delta_commit tmp = {v, -1, NULL, 0, 0, 0};
    sic_err e = {0};
    s->cur = &tmp;
    s->info_only = 1;
    dl_read_json_file(s, path, &e);
    s->info_only = 0;
    s->cur = NULL;
    s->pub.last_commit_timestamp = tmp.timestamp >= 0 ? tmp.timestamp : file_mtime_ms(path);
  } else if (s->pub.checkpoint_version == v) {
    /* the commit itself was cleaned up: the newest checkpoint file's time stands in for it */
    for (int64_t i = l->ncps - 1; i >= 0; i--)
      if (l->cps[i].version == v) {
        snprintf(path, sizeof path, "%s/%s", logdir, l->cps[i].name);
        s->pub.last_commit_timestamp = file_mtime_ms(path);
        break;
      }
  }
}

static void choose_and_read(dl_snap *s, const char *logdir, const dl_listing *l, int64_t latest, int64_t *applied_cp,
                            sic_err *err) {
  last_cp lc = read_last_checkpoint(logdir);
  if (lc.why && strcmp(lc.why, "absent"))
    dl_diag(s, "warning", "last_checkpoint_unusable", "%s/_last_checkpoint is %s: the checkpoint was chosen by listing the log",
            logdir, lc.why);
  int64_t lo, hi;
  int kind, parts, first = 1;
  for (int64_t v = latest; v >= 0; v--) {
    /* walk down through the versions that have checkpoint files */
    int64_t i = l->ncps - 1;
    while (i >= 0 && l->cps[i].version > v) i--;
    if (i < 0) break;
    v = l->cps[i].version;
    if (!complete_checkpoint(l, v, &lo, &hi, &kind, &parts)) {
      dl_diag(s, "warning", "checkpoint_incomplete", "%s: checkpoint %lld is missing parts; an older one is used", logdir, (long long)v);
      continue;
    }
    sic_err e = {0};
    if (read_checkpoint(s, logdir, l, lo, hi, &e)) {
      dl_diag(s, "warning", "checkpoint_unreadable", "checkpoint %lld could not be read (%s); an older one is used", (long long)v, e.msg);
      if (e.code == SIC_ENOMEM) { *err = e; return; }
      clear_state(s);
      first = 0;
      continue;
    }
    sic_delta_snapshot *p = &s->pub;
    p->checkpoint_version = v;
    p->checkpoint_parts = parts;
    p->checkpoint_sidecars = s->nsidecars;
    p->checkpoint_kind = kind == 3 || s->nsidecars || s->saw_checkpoint_metadata ? "v2" : kind == 2 ? "multi-part" : "classic";
    char why[256];
    if (lc.version == v) snprintf(why, sizeof why, "_last_checkpoint");
    else if (lc.why) snprintf(why, sizeof why, "listing (_last_checkpoint %s)", lc.why);
    else if (lc.version < v) snprintf(why, sizeof why, "listing (_last_checkpoint names older version %lld)", (long long)lc.version);
    else snprintf(why, sizeof why, "listing (_last_checkpoint names version %lld, whose checkpoint is missing, incomplete or unreadable)",
                  (long long)lc.version);
    if (lc.version >= 0 && lc.version != v)
      dl_diag(s, lc.version < v ? "info" : "warning", "last_checkpoint_stale", "%s/_last_checkpoint names version %lld; checkpoint %lld was used",
              logdir, (long long)lc.version, (long long)v);
    p->checkpoint_source = dl_own(s, why, strlen(why));
    *applied_cp = v;
    (void)first;
    return;
  }
  if (lc.version >= 0)
    dl_diag(s, "warning", "last_checkpoint_stale", "%s/_last_checkpoint names version %lld but no usable checkpoint exists; the log is replayed from its first commit",
            logdir, (long long)lc.version);
  s->pub.checkpoint_source = lc.why && strcmp(lc.why, "absent") ? "listing (no usable checkpoint)" : "listing (no checkpoint)";
}

int sic_delta_open(const char *table, sic_delta_snapshot **out, sic_err *err) {
  *out = NULL;
  char logdir[4096];
  if (!strncmp(table, "file://", 7)) { /* a local table written as a URI: file:///path */
    table += 7;
    if (!strncmp(table, "localhost/", 10)) table += 9;
    else if (*table != '/') return sic_err_set(err, SIC_EINVAL, "file://%s: file:// URIs name local tables (file:///path)", table);
  }
  size_t tl = strlen(table);
  while (tl > 1 && table[tl - 1] == '/') tl--;
  snprintf(logdir, sizeof logdir, "%.*s/_delta_log", (int)tl, table);
  dl_listing l;
  int rc = dl_list(logdir, &l, err);
  if (rc) {
    if (rc == SIC_ENOTFOUND) sic_err_set(err, rc, "%.*s: not a Delta table (no _delta_log directory)", (int)tl, table);
    return rc;
  }
  dl_snap *s = calloc(1, sizeof *s);
  if (!s) { dl_listing_free(&l); return sic_err_set(err, SIC_ENOMEM, "%s: out of memory", table); }
  sic_delta_snapshot *p = &s->pub;
  p->table = dl_own(s, table, tl);
  char *real = dl_is_remote(table) ? dl_io_display(p->table ? p->table : table) : realpath(p->table ? p->table : table, NULL);
  p->location = real ? dl_own(s, real, strlen(real)) : p->table;
  free(real);
  p->version = p->checkpoint_version = p->oldest_version = p->last_commit_timestamp = p->created_time = -1;
  p->crc_num_files = p->crc_table_size_bytes = -1;
  p->checkpoint_kind = "none";
  p->partition_columns = "[]";
  p->configuration = "{}";
  p->ncommit_files = l.ncommits;
  p->oldest_version = l.ncommits ? l.commits[0] : -1;
  for (int64_t i = 0; i < l.ncps; i++) p->ncheckpoints += i == 0 || l.cps[i].version != l.cps[i - 1].version;
  int64_t latest = l.ncommits ? l.commits[l.ncommits - 1] : -1;
  for (int64_t i = 0; i < l.ncompacted; i++) if (l.compacted[i][1] > latest) latest = l.compacted[i][1];
  if (l.ncps && l.cps[l.ncps - 1].version > latest) latest = l.cps[l.ncps - 1].version;
  if (latest < 0) {
    dl_diag(s, "error", "empty_log", "%s holds no commit or checkpoint: nothing to replay", logdir);
    goto done;
  }
  int64_t cp = -1;
  choose_and_read(s, logdir, &l, latest, &cp, err);
  if (err->code == SIC_ENOMEM) { rc = err->code; goto error; }
  if (cp < 0 && l.ncommits && l.commits[0] > 0 && !(l.ncompacted && l.compacted[0][0] == 0)) {
    dl_diag(s, "error", "log_truncated", "%s: no usable checkpoint and commits before version %lld are missing: the numbers below cover only the commits present",
            logdir, (long long)l.commits[0]);
    cp = l.commits[0] - 1;
  }
  int64_t last = replay_tail(s, logdir, &l, cp, latest, err);
  if (last == -2) { rc = err->code ? err->code : SIC_ENOMEM; goto error; }
  p->version = last;
  p->log_tail = p->ncommits;
  if (s->bad_actions)
    dl_diag(s, "error", "bad_action", "%s: %lld checkpoint row(s) or action(s) could not be read and were skipped", logdir,
            (long long)s->bad_actions);
  if ((rc = finalize(s, err))) goto error;
  checkpoint_timestamp(s, logdir, &l);
  check_features(s);
  check_crc(s, logdir, &l);
  if (!p->metadata_id && p->version >= 0) dl_diag(s, "error", "no_metadata", "%s: no metaData action in the replayed log", logdir);
  if (p->min_reader_version == 0 && p->version >= 0) dl_diag(s, "error", "no_protocol", "%s: no protocol action in the replayed log", logdir);
done:
  dl_listing_free(&l);
  if (!p->files) {
    p->files = malloc(sizeof *p->files);
    p->tombstones = malloc(sizeof *p->tombstones);
  }
  *out = p;
  return 0;
error:
  dl_listing_free(&l);
  sic_delta_free(p);
  return rc;
}

void sic_delta_free(sic_delta_snapshot *pub) {
  if (!pub) return;
  dl_snap *s = (dl_snap *)pub;
  for (size_t i = 0; i < s->nentries; i++) free(s->entries[i].block);
  free(s->entries);
  free(s->index);
  for (int i = 0; i < s->nowned; i++) free(s->owned[i]);
  free(s->owned);
  for (int64_t i = 0; i < pub->ntxns; i++) free(s->txn_ids[i]);
  free(s->txn_ids);
  for (int i = 0; i < s->nsidecars; i++) free(s->sidecars[i]);
  free(s->sidecars);
  free(pub->files);
  free(pub->tombstones);
  free(pub->commits);
  free(pub->domains);
  free(pub->diags);
  free(s);
}
