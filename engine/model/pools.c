/* Builder pools: array growth, the int64 -> int32 hash map, string interning (open
 * addressing over the string pool), the int/kv pools and pair lists. */
#include <stdlib.h>
#include <string.h>

#include "model/builder.h"

/* ---- growth ---- */

int sic_grow(sic_builder *b, void **arr, int64_t *cap, int64_t need, size_t sz) {
  if (need < *cap) return 0;
  int64_t ncap = *cap ? *cap : 16;
  while (ncap <= need) ncap += ncap / 2 + 16;
  void *p = realloc(*arr, (size_t)ncap * sz);
  if (!p) { b->enomem = 1; return -1; }
  *arr = p;
  *cap = ncap;
  return 0;
}

/* ---- int64 -> int32 map ---- */

static inline uint32_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (uint32_t)k;
}

int32_t sic_imap_get(const sic_imap *m, int64_t key) {
  if (!m->cap) return -1;
  uint32_t mask = m->cap - 1, i = mix64((uint64_t)key) & mask;
  for (;;) {
    if (m->vals[i] < 0) return -1;
    if (m->keys[i] == key) return m->vals[i];
    i = (i + 1) & mask;
  }
}

static int imap_resize(sic_imap *m, uint32_t ncap) {
  int64_t *keys = malloc(sizeof(int64_t) * ncap);
  int32_t *vals = malloc(sizeof(int32_t) * ncap);
  if (!keys || !vals) { free(keys); free(vals); return SIC_ENOMEM; }
  memset(vals, 0xff, sizeof(int32_t) * ncap);
  for (uint32_t j = 0; j < m->cap; j++) {
    if (m->vals[j] < 0) continue;
    uint32_t i = mix64((uint64_t)m->keys[j]) & (ncap - 1);
    while (vals[i] >= 0) i = (i + 1) & (ncap - 1);
    keys[i] = m->keys[j];
    vals[i] = m->vals[j];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = ncap;
  return 0;
}

int sic_imap_put(sic_imap *m, int64_t key, int32_t val) {
  if ((m->n + 1) * 2 > m->cap && imap_resize(m, m->cap ? m->cap * 2 : 64) < 0) return SIC_ENOMEM;
  uint32_t mask = m->cap - 1, i = mix64((uint64_t)key) & mask;
  while (m->vals[i] >= 0) {
    if (m->keys[i] == key) { m->vals[i] = val; return 0; }
    i = (i + 1) & mask;
  }
  m->keys[i] = key;
  m->vals[i] = val;
  m->n++;
  return 0;
}

void sic_imap_free(sic_imap *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

/* ---- strings ---- */

uint32_t sic_hash_bytes(const char *p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001B3ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ w) * 0x100000001B3ULL;
  return mix64(h);
}

static int shash_resize(sic_builder *b, uint32_t ncap) {
  uint32_t *t = calloc(ncap, sizeof(uint32_t));
  if (!t) return -1;
  sic_strings *st = &b->app->strings;
  for (int32_t id = 0; id < st->n; id++) {
    const char *s = st->buf + st->off[id];
    uint32_t i = sic_hash_bytes(s, strlen(s)) & (ncap - 1);
    while (t[i]) i = (i + 1) & (ncap - 1);
    t[i] = (uint32_t)id + 1;
  }
  free(b->shash);
  b->shash = t;
  b->shash_cap = ncap;
  return 0;
}

sic_sid sic_intern(sic_builder *b, const char *p, size_t len) {
  sic_strings *st = &b->app->strings;
  if (len > 0x7fffffff) len = 0x7fffffff;
  if ((uint32_t)(st->n + 1) * 2 > b->shash_cap && shash_resize(b, b->shash_cap ? b->shash_cap * 2 : 1024) < 0)
    goto nomem;
  uint32_t h = sic_hash_bytes(p, len), mask = b->shash_cap - 1, i = h & mask;
  for (uint32_t id1; (id1 = b->shash[i]) != 0; i = (i + 1) & mask) {
    int32_t id = (int32_t)id1 - 1;
    if (sic_interned_len(b, id) == len && memcmp(st->buf + st->off[id], p, len) == 0) return id;
  }
  if (b->sbuf_len + len + 1 > b->sbuf_cap) {
    size_t ncap = b->sbuf_cap ? b->sbuf_cap : 4096;
    while (ncap < b->sbuf_len + len + 1) ncap += ncap / 2;
    char *nb = realloc(st->buf, ncap);
    if (!nb) goto nomem;
    st->buf = nb;
    b->sbuf_cap = ncap;
  }
  if (st->n >= b->soff_cap) {
    int32_t ncap = b->soff_cap ? b->soff_cap * 2 : 256;
    int64_t *no = realloc(st->off, sizeof(int64_t) * (size_t)ncap);
    if (!no) goto nomem;
    st->off = no;
    b->soff_cap = ncap;
  }
  memcpy(st->buf + b->sbuf_len, p, len);
  st->buf[b->sbuf_len + len] = 0;
  st->off[st->n] = (int64_t)b->sbuf_len;
  b->sbuf_len += len + 1;
  b->shash[i] = (uint32_t)st->n + 1;
  return st->n++;
nomem:
  b->enomem = 1;
  return -1;
}

size_t sic_interned_len(const sic_builder *b, sic_sid id) {
  const sic_strings *st = &b->app->strings;
  int64_t next = id + 1 < st->n ? st->off[id + 1] : (int64_t)b->sbuf_len;
  return (size_t)(next - st->off[id] - 1);
}

sic_sid sic_intern_jstr(sic_builder *b, const sic_jstr *s) {
  if (!s->escaped) return sic_intern(b, s->p, s->len);
  if (s->len + 1 > b->scratch_cap) {
    char *n = realloc(b->scratch, s->len + 1);
    if (!n) { b->enomem = 1; return -1; }
    b->scratch = n;
    b->scratch_cap = s->len + 1;
  }
  size_t n = sic_json_unescape(s, b->scratch);
  /* "\u0000" decodes to a NUL byte; strings are NUL-terminated, so keep the text before it
   * (raw JSON strings cannot hold a NUL: the scanner rejects control characters) */
  const char *nul = memchr(b->scratch, 0, n);
  if (nul) n = (size_t)(nul - b->scratch);
  return sic_intern(b, b->scratch, n);
}

int32_t sic_push_int(sic_builder *b, int32_t v) {
  sic_app *a = b->app;
  if (SIC_GROW(b, a->ints, b->cap_ints, a->nints) < 0) return -1;
  a->ints[a->nints] = v;
  return (int32_t)a->nints++;
}

int32_t sic_push_kv(sic_builder *b, sic_sid k, sic_sid v) {
  sic_app *a = b->app;
  if (SIC_GROW(b, a->kvs, b->cap_kvs, a->nkvs) < 0) return -1;
  a->kvs[a->nkvs] = (sic_kv){k, v};
  return (int32_t)a->nkvs++;
}

int sic_pair_push(sic_builder *b, sic_pair **arr, int64_t *n, int64_t *cap, sic_pair p) {
  if (sic_grow(b, (void **)arr, cap, *n, sizeof(sic_pair)) < 0) return -1;
  (*arr)[(*n)++] = p;
  return 0;
}

void sic_note_time(sic_builder *b, int64_t t) {
  if (t <= 0) return;
  sic_app *a = b->app;
  if (a->first_event_time < 0 || t < a->first_event_time) a->first_event_time = t;
  /* The last event in log order, not the largest time any event carries: an application
   * without ApplicationEnd ends there, and one event stamped by another clock (seen in
   * rewritten logs: executors added years later) must not stretch it. The times one event
   * notes (launch and finish) share its count and keep their largest. */
  if (b->timed_event != a->events + 1) {
    b->timed_event = a->events + 1;
    a->last_event_time = t;
  } else if (t > a->last_event_time) {
    a->last_event_time = t;
  }
}
