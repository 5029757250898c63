/* Rendered-response cache in front of engine/shs: the History Server view recomputes JSON
 * per request under one catalog lock, so repeated GETs of the same path are served from here
 * (hash table + LRU list, bounded in bytes). A rescan that changes the listing clears it; a
 * generation number keeps a render that raced the clear from storing stale bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

/* One cached reply. */
typedef struct cache_entry {
  char *key;                   /* path and query, as requested */
  uint64_t hash;               /* hash of key */
  int status;                  /* reply status */
  const char *content_type;    /* static content type */
  char *body;                  /* owned copy of the body */
  size_t len;                  /* body bytes */
  char *filename;              /* owned attachment name or NULL */
  size_t cost;                 /* bytes charged against the budget */
  struct cache_entry *chain;   /* next entry in the same hash bucket */
  struct cache_entry *prev;    /* LRU list: more recently used neighbour */
  struct cache_entry *next;    /* LRU list: less recently used neighbour */
  _Atomic int refs;            /* 1 for the table while listed + 1 per reply being sent */
} cache_entry;

struct http_cache {
  pthread_mutex_t mu;          /* guards everything below */
  cache_entry **buckets;       /* hash table, nbuckets chains */
  size_t nbuckets;             /* power of two */
  cache_entry *mru;            /* most recently used */
  cache_entry *lru;            /* least recently used (evicted first) */
  int64_t max_bytes;           /* budget */
  int64_t bytes;               /* bytes charged now */
  int64_t entries;             /* entries now */
  uint64_t generation;         /* bumped by every clear */
  uint64_t hits, misses, evictions, clears; /* statistics */
};

static uint64_t hash_key(const char *s) { /* FNV-1a: keys are short URLs */
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

http_cache *http_cache_new(int64_t max_bytes) {
  http_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->nbuckets = 4096;
  if (!(c->buckets = calloc(c->nbuckets, sizeof *c->buckets))) {
    free(c);
    return NULL;
  }
  c->max_bytes = max_bytes;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

static void entry_free(cache_entry *e) {
  free(e->key);
  free(e->body);
  free(e->filename);
  free(e);
}

/* Replies being sent keep an evicted entry's bytes alive until they are done with them. */
static void entry_unref(cache_entry *e) {
  if (atomic_fetch_sub(&e->refs, 1) == 1) entry_free(e);
}

void http_cache_release(void *ref) {
  if (ref) entry_unref(ref);
}

static void lru_unlink(http_cache *c, cache_entry *e) {
  if (e->prev) e->prev->next = e->next; else c->mru = e->next;
  if (e->next) e->next->prev = e->prev; else c->lru = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(http_cache *c, cache_entry *e) {
  e->prev = NULL;
  e->next = c->mru;
  if (c->mru) c->mru->prev = e;
  c->mru = e;
  if (!c->lru) c->lru = e;
}

static void remove_entry(http_cache *c, cache_entry *e) {
  cache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
  while (*pp != e) pp = &(*pp)->chain;
  *pp = e->chain;
  lru_unlink(c, e);
  c->bytes -= (int64_t)e->cost;
  c->entries--;
  entry_unref(e);
}

static void clear_locked(http_cache *c) {
  while (c->lru) remove_entry(c, c->lru);
  c->generation++;
  c->clears++;
}

void http_cache_free(http_cache *c) {
  if (!c) return;
  clear_locked(c);
  free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static cache_entry *find(http_cache *c, const char *key, uint64_t h) {
  for (cache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->chain)
    if (e->hash == h && !strcmp(e->key, key)) return e;
  return NULL;
}

int http_cache_get(http_cache *c, const char *key, http_reply *out) {
  uint64_t h = hash_key(key);
  pthread_mutex_lock(&c->mu);
  cache_entry *e = find(c, key, h);
  int hit = 0;
  if (e) {
    /* no copy of the body: a reference keeps it alive even if the entry is evicted meanwhile */
    char *fn = e->filename ? strdup(e->filename) : NULL;
    if (fn || !e->filename) {
      atomic_fetch_add(&e->refs, 1);
      memset(out, 0, sizeof *out);
      out->status = e->status;
      out->content_type = e->content_type;
      out->body = e->body;
      out->len = e->len;
      out->body_ref = e;
      out->filename = fn;
      lru_unlink(c, e);
      lru_push_front(c, e);
      hit = 1;
    }
  }
  if (hit) c->hits++; else c->misses++;
  pthread_mutex_unlock(&c->mu);
  return hit;
}

uint64_t http_cache_generation(http_cache *c) {
  pthread_mutex_lock(&c->mu);
  uint64_t g = c->generation;
  pthread_mutex_unlock(&c->mu);
  return g;
}

static cache_entry *entry_new(const char *key, const http_reply *r) {
  cache_entry *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->key = strdup(key);
  e->body = malloc(r->len + 1);
  e->filename = r->filename ? strdup(r->filename) : NULL;
  if (!e->key || !e->body || (r->filename && !e->filename)) {
    entry_free(e);
    return NULL;
  }
  memcpy(e->body, r->body, r->len);
  e->body[r->len] = 0;
  e->len = r->len;
  e->status = r->status;
  e->content_type = r->content_type;
  e->hash = hash_key(key);
  e->cost = sizeof *e + strlen(key) + r->len + 64;
  atomic_init(&e->refs, 1); /* the table's */
  return e;
}

void http_cache_put(http_cache *c, const char *key, const http_reply *r, uint64_t generation) {
  /* one entry may take at most an eighth of the budget, so a few big zips cannot flush it */
  if (c->max_bytes <= 0 || (int64_t)r->len > c->max_bytes / 8) return;
  cache_entry *e = entry_new(key, r);
  if (!e) return; /* caching is best effort: the reply itself was already produced */
  if (r->body_ref) { /* already the cache's bytes: nothing to store */
    entry_unref(e);
    return;
  }
  pthread_mutex_lock(&c->mu);
  cache_entry *old = find(c, key, e->hash);
  if (generation != c->generation) {
    entry_unref(e); /* rendered before a clear: may be stale */
  } else {
    if (old) remove_entry(c, old);
    cache_entry **b = &c->buckets[e->hash & (c->nbuckets - 1)];
    e->chain = *b;
    *b = e;
    lru_push_front(c, e);
    c->bytes += (int64_t)e->cost;
    c->entries++;
    while (c->bytes > c->max_bytes && c->lru && c->lru != e) {
      remove_entry(c, c->lru);
      c->evictions++;
    }
  }
  pthread_mutex_unlock(&c->mu);
}

void http_cache_clear(http_cache *c) {
  pthread_mutex_lock(&c->mu);
  clear_locked(c);
  pthread_mutex_unlock(&c->mu);
}

void http_cache_stats_get(http_cache *c, http_cache_stats *s) {
  pthread_mutex_lock(&c->mu);
  s->hits = c->hits;
  s->misses = c->misses;
  s->evictions = c->evictions;
  s->clears = c->clears;
  s->bytes = c->bytes;
  s->entries = c->entries;
  pthread_mutex_unlock(&c->mu);
}
