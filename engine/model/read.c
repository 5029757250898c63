/* Typed field readers shared by the event handlers: a value of the wrong type is skipped and
 * counted (SIC_DIAG_BAD_FIELD) instead of failing the whole line, because a field Spark
 * changed the type of should not cost us the rest of the event. */
#include <stdio.h>
#include <string.h>

#include "model/builder.h"

/* The member name in front of the value at p ("key": value), for messages; "" if none. */
static void key_before(const sic_jscan *s, const char *p, char *out, size_t cap) {
  const char *q = p;
  out[0] = 0;
  while (q > s->start && (q[-1] == ' ' || q[-1] == '\t')) q--;
  if (q <= s->start || q[-1] != ':') return;
  q--;
  while (q > s->start && (q[-1] == ' ' || q[-1] == '\t')) q--;
  if (q <= s->start || q[-1] != '"') return;
  const char *end = --q;
  while (q > s->start && q[-1] != '"' && end - q < 120) q--;
  if (q <= s->start || q[-1] != '"') return;
  snprintf(out, cap, "\"%.*s\" ", (int)(end - q), q);
}

void sic_bad_field(sic_builder *b, sic_jscan *s, const char *what) {
  char key[160];
  b->app->bad_fields++;
  key_before(s, s->p, key, sizeof key);
  sic_builder_diag(b, SIC_DIAG_BAD_FIELD, b->lineno, "field %shas an unexpected type (expected %s) at byte %zu",
                   key, what, (size_t)(s->p - s->start));
}

void sic_missing_field(sic_builder *b, const char *field) {
  b->app->bad_fields++;
  sic_builder_diag(b, SIC_DIAG_BAD_FIELD, b->lineno, "event without a usable \"%s\": ignored", field);
}

static int wrong_type(sic_builder *b, sic_jscan *s, const char *expected) {
  sic_jtype t = sic_json_peek(s);
  if (t != SIC_JT_NULL) sic_bad_field(b, s, expected);
  sic_json_skip(s);
  return -1;
}

int sic_rd_i64(sic_builder *b, sic_jscan *s, int64_t *out) {
  sic_jtype t = sic_json_peek(s);
  if (t == SIC_JT_NUMBER) return sic_json_i64(s, out);
  if (t == SIC_JT_STRING) { /* some writers quote numbers */
    sic_jstr v;
    const char *at = s->p;
    if (sic_json_str(s, &v) < 0) return -1;
    if (sic_json_parse_i64(v.p, v.len, out) == 0) return 0;
    const char *after = s->p;
    s->p = at; /* report at the value */
    sic_bad_field(b, s, "a number");
    s->p = after;
    return -1;
  }
  return wrong_type(b, s, "a number");
}

int sic_rd_i32(sic_builder *b, sic_jscan *s, int32_t *out) {
  int64_t v;
  if (sic_rd_i64(b, s, &v) < 0) return -1;
  *out = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
  return 0;
}

int sic_rd_f64(sic_builder *b, sic_jscan *s, double *out) {
  if (sic_json_peek(s) == SIC_JT_NUMBER) return sic_json_f64(s, out);
  return wrong_type(b, s, "a number");
}

int sic_rd_bool(sic_builder *b, sic_jscan *s, int32_t *out) {
  sic_jtype t = sic_json_peek(s);
  if (t == SIC_JT_TRUE || t == SIC_JT_FALSE) {
    int v;
    if (sic_json_bool(s, &v) < 0) return -1;
    *out = v;
    return 0;
  }
  return wrong_type(b, s, "true or false");
}

int sic_rd_sid(sic_builder *b, sic_jscan *s, sic_sid *out) {
  sic_jtype t = sic_json_peek(s);
  if (t == SIC_JT_STRING) {
    sic_jstr v;
    if (sic_json_str(s, &v) < 0) return -1;
    *out = sic_intern_jstr(b, &v);
    return 0;
  }
  if (t == SIC_JT_NUMBER || t == SIC_JT_TRUE || t == SIC_JT_FALSE) { /* keep scalars as their text */
    const char *p0 = s->p;
    if (sic_json_skip(s) < 0) return -1;
    *out = sic_intern(b, p0, (size_t)(s->p - p0));
    return 0;
  }
  return wrong_type(b, s, "a string");
}

/* A scalar or nested value stored as a string (objects/arrays keep their JSON text). */
static sic_sid any_as_text(sic_builder *b, sic_jscan *s);
int sic_rd_text(sic_builder *b, sic_jscan *s, sic_sid *out) {
  *out = any_as_text(b, s);
  return s->err ? -1 : 0;
}

static sic_sid any_as_text(sic_builder *b, sic_jscan *s) {
  sic_sid v = -1;
  sic_jtype t = sic_json_peek(s);
  if (t == SIC_JT_STRING || t == SIC_JT_NUMBER || t == SIC_JT_TRUE || t == SIC_JT_FALSE) {
    sic_rd_sid(b, s, &v);
    return v;
  }
  const char *p0 = s->p;
  if (sic_json_skip(s) < 0) return -1;
  if (t == SIC_JT_NULL) return -1;
  return sic_intern(b, p0, (size_t)(s->p - p0));
}

int sic_rd_kvs(sic_builder *b, sic_jscan *s, sic_range *out) {
  sic_jiter it;
  sic_jstr k;
  int r;
  sic_jtype t = sic_json_peek(s);
  out->off = (int32_t)b->app->nkvs;
  out->n = 0;
  if (t == SIC_JT_OBJECT) {
    sic_json_obj_begin(s, &it);
    while ((r = sic_json_obj_next(s, &it, &k)) > 0) {
      sic_sid key = sic_intern_jstr(b, &k);
      sic_sid val = any_as_text(b, s);
      if (s->err) return -1;
      if (sic_push_kv(b, key, val) >= 0) out->n++;
    }
    return r;
  }
  if (t == SIC_JT_ARRAY) { /* [[k, v], ...] */
    sic_json_arr_begin(s, &it);
    while ((r = sic_json_arr_next(s, &it)) > 0) {
      sic_jiter in;
      if (sic_json_peek(s) != SIC_JT_ARRAY) { wrong_type(b, s, "an object"); continue; }
      sic_json_arr_begin(s, &in);
      sic_sid key = -1, val = -1;
      if (sic_json_arr_next(s, &in) > 0) key = any_as_text(b, s);
      if (sic_json_arr_next(s, &in) > 0) val = any_as_text(b, s);
      while (sic_json_arr_next(s, &in) > 0) sic_json_skip(s);
      if (s->err) return -1;
      if (sic_push_kv(b, key, val) >= 0) out->n++;
    }
    return r;
  }
  return wrong_type(b, s, "an object");
}

int sic_rd_ints(sic_builder *b, sic_jscan *s, sic_range *out) {
  sic_jiter it;
  int r;
  out->off = (int32_t)b->app->nints;
  out->n = 0;
  if (sic_json_peek(s) != SIC_JT_ARRAY) return wrong_type(b, s, "an array of numbers");
  sic_json_arr_begin(s, &it);
  while ((r = sic_json_arr_next(s, &it)) > 0) {
    int32_t v;
    if (sic_rd_i32(b, s, &v) < 0) { if (s->err) return -1; continue; }
    if (sic_push_int(b, v) >= 0) out->n++;
  }
  return r;
}

static const char *const EM_NAMES[SIC_EM__COUNT] = {
    "JVMHeapMemory", "JVMOffHeapMemory", "OnHeapExecutionMemory", "OffHeapExecutionMemory",
    "OnHeapStorageMemory", "OffHeapStorageMemory", "OnHeapUnifiedMemory", "OffHeapUnifiedMemory",
    "DirectPoolMemory", "MappedPoolMemory", "ProcessTreeJVMVMemory", "ProcessTreeJVMRSSMemory",
    "ProcessTreePythonVMemory", "ProcessTreePythonRSSMemory", "ProcessTreeOtherVMemory",
    "ProcessTreeOtherRSSMemory", "MinorGCCount", "MinorGCTime", "MajorGCCount", "MajorGCTime",
    "TotalGCTime"};

const char *sic_exec_metric_name(sic_exec_metric m) {
  return (unsigned)m < SIC_EM__COUNT ? EM_NAMES[m] : "unknown";
}

static const sic_keytab EM_KEYS[SIC_EM__COUNT] = {
    SIC_KT("JVMHeapMemory", 0), SIC_KT("JVMOffHeapMemory", 1), SIC_KT("OnHeapExecutionMemory", 2),
    SIC_KT("OffHeapExecutionMemory", 3), SIC_KT("OnHeapStorageMemory", 4), SIC_KT("OffHeapStorageMemory", 5),
    SIC_KT("OnHeapUnifiedMemory", 6), SIC_KT("OffHeapUnifiedMemory", 7), SIC_KT("DirectPoolMemory", 8),
    SIC_KT("MappedPoolMemory", 9), SIC_KT("ProcessTreeJVMVMemory", 10), SIC_KT("ProcessTreeJVMRSSMemory", 11),
    SIC_KT("ProcessTreePythonVMemory", 12), SIC_KT("ProcessTreePythonRSSMemory", 13),
    SIC_KT("ProcessTreeOtherVMemory", 14), SIC_KT("ProcessTreeOtherRSSMemory", 15), SIC_KT("MinorGCCount", 16),
    SIC_KT("MinorGCTime", 17), SIC_KT("MajorGCCount", 18), SIC_KT("MajorGCTime", 19), SIC_KT("TotalGCTime", 20)};

int sic_rd_emetrics(sic_builder *b, sic_jscan *s, sic_emetrics *out) {
  sic_jiter it;
  memset(out, 0, sizeof *out);
  if (sic_json_peek(s) != SIC_JT_OBJECT) return wrong_type(b, s, "an object");
  sic_json_obj_begin(s, &it);
  int hint = 0, m;
  while ((m = sic_member(s, &it, EM_KEYS, SIC_EM__COUNT, &hint)) != -2) {
    if (m < 0) { if (sic_json_skip(s) < 0) return -1; continue; }
    int64_t v;
    if (sic_rd_int_fast(b, s, &v) == 0) out->v[m] = v;
    else if (s->err) return -1;
  }
  return s->err ? -1 : 0;
}

/* "Storage Level" object -> its description as Spark's StorageLevel.description writes it;
 * flags = {use_disk, use_memory, use_off_heap, deserialized, replication}. */
sic_sid sic_storage_level(sic_builder *b, sic_jscan *s, int32_t flags[5]) {
  sic_jiter it;
  sic_jstr k;
  memset(flags, 0, 5 * sizeof(int32_t));
  flags[4] = 1;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { wrong_type(b, s, "an object"); return -1; }
  sic_json_obj_begin(s, &it);
  while (sic_json_obj_next(s, &it, &k) > 0) {
    if (SIC_KEY(&k, "Use Disk")) sic_rd_bool(b, s, &flags[0]);
    else if (SIC_KEY(&k, "Use Memory")) sic_rd_bool(b, s, &flags[1]);
    else if (SIC_KEY(&k, "Use Off Heap")) sic_rd_bool(b, s, &flags[2]);
    else if (SIC_KEY(&k, "Deserialized")) sic_rd_bool(b, s, &flags[3]);
    else if (SIC_KEY(&k, "Replication")) sic_rd_i32(b, s, &flags[4]);
    else sic_json_skip(s);
  }
  if (s->err) return -1;
  char d[96];
  snprintf(d, sizeof d, "%s%s%s%dx Replicated", flags[0] ? "Disk " : "",
           flags[1] ? (flags[2] ? "Memory (off heap) " : "Memory ") : "",
           flags[3] ? "Deserialized " : "Serialized ", flags[4]);
  return sic_intern(b, d, strlen(d));
}
