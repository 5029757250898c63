/* Thrift compact protocol, read side: just enough to walk Parquet's footer and page headers.
 * Every read is bounds-checked; a malformed stream sets r->bad and returns zeros, so callers
 * check r->bad once after a struct instead of after every field. */
#include "parquet/pq_internal.h"

#define TC_MAX_DEPTH 64

int64_t tc_varint(tc_reader *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) { r->bad = 1; return 0; }
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return (int64_t)v;
  }
  r->bad = 1;
  return 0;
}

int64_t tc_zigzag(tc_reader *r) {
  uint64_t v = (uint64_t)tc_varint(r);
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

const uint8_t *tc_binary(tc_reader *r, size_t *len) {
  int64_t n = tc_varint(r);
  if (r->bad || n < 0 || n > r->end - r->p) { r->bad = 1; *len = 0; return NULL; }
  const uint8_t *p = r->p;
  r->p += n;
  *len = (size_t)n;
  return p;
}

int tc_next_field(tc_reader *r, tc_field *f) {
  if (r->p >= r->end) { r->bad = 1; f->type = TC_STOP; return -1; }
  uint8_t b = *r->p++;
  f->type = b & 0x0f;
  if (f->type == TC_STOP) return 0;
  int delta = b >> 4;
  f->id = delta ? (int16_t)(f->last + delta) : (int16_t)tc_zigzag(r);
  f->last = f->id;
  if (f->type > TC_STRUCT) { r->bad = 1; f->type = TC_STOP; return -1; }
  return r->bad ? -1 : 1;
}

int tc_list(tc_reader *r, uint8_t *elem_type, int64_t *count) {
  if (r->p >= r->end) { r->bad = 1; return -1; }
  uint8_t b = *r->p++;
  int64_t n = b >> 4;
  if (n == 15) n = tc_varint(r);
  *elem_type = b & 0x0f;
  /* Every element takes at least one byte (bools too, in lists): a count past the bytes
   * left is a lie, and believing it would make callers allocate for it. */
  if (r->bad || n < 0 || n > r->end - r->p) { r->bad = 1; *count = 0; return -1; }
  *count = n;
  return 0;
}

int tc_skip(tc_reader *r, uint8_t type) {
  if (r->bad) return -1;
  switch (type) {
  case TC_TRUE: case TC_FALSE: return 0; /* the value travelled in the field header */
  case TC_BYTE:
    if (r->p >= r->end) { r->bad = 1; return -1; }
    r->p++;
    return 0;
  case TC_I16: case TC_I32: case TC_I64: tc_varint(r); return r->bad ? -1 : 0;
  case TC_DOUBLE:
    if (r->end - r->p < 8) { r->bad = 1; return -1; }
    r->p += 8;
    return 0;
  case TC_BINARY: { size_t n; tc_binary(r, &n); return r->bad ? -1 : 0; }
  case TC_LIST: case TC_SET: {
    uint8_t et; int64_t n;
    if (tc_list(r, &et, &n)) return -1;
    if (++r->depth > TC_MAX_DEPTH) { r->bad = 1; return -1; }
    for (int64_t i = 0; i < n && !r->bad; i++) {
      if (et == TC_TRUE || et == TC_FALSE) {
        if (r->p >= r->end) r->bad = 1; else r->p++;
      } else tc_skip(r, et);
    }
    r->depth--;
    return r->bad ? -1 : 0;
  }
  case TC_MAP: {
    int64_t n = tc_varint(r);
    if (r->bad || n < 0 || n > r->end - r->p) { r->bad = 1; return -1; }
    if (n == 0) return 0;
    if (r->p >= r->end) { r->bad = 1; return -1; }
    uint8_t kv = *r->p++;
    if (++r->depth > TC_MAX_DEPTH) { r->bad = 1; return -1; }
    for (int64_t i = 0; i < n && !r->bad; i++) {
      tc_skip(r, kv >> 4);
      tc_skip(r, kv & 0x0f);
    }
    r->depth--;
    return r->bad ? -1 : 0;
  }
  case TC_STRUCT: {
    if (++r->depth > TC_MAX_DEPTH) { r->bad = 1; return -1; }
    tc_field f = {0, 0, 0};
    while (tc_next_field(r, &f) > 0) tc_skip(r, f.type);
    r->depth--;
    return r->bad ? -1 : 0;
  }
  default: r->bad = 1; return -1;
  }
}
