/* The HTTP service's response cache (engine/http/cache.c): hits share the cached bytes by
 * reference, an entry evicted or cleared while a reply still holds it stays readable until
 * released, the byte budget holds, and a store that raced a clear is dropped.
 * (Run under `make asan` this also proves no use-after-free and no leak.) */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/http_internal.h"

static http_reply make_reply(const char *body) {
  http_reply r = {0};
  r.status = 200;
  r.content_type = "application/json";
  r.body = strdup(body);
  r.len = strlen(body);
  return r;
}

static void test_hit_shares_bytes(void) {
  http_cache *c = http_cache_new(1 << 20);
  http_reply r = make_reply("{\"a\":1}");
  http_cache_put(c, "k", &r, http_cache_generation(c));
  http_reply_free(&r);
  http_reply a = {0}, b = {0};
  CHECK(http_cache_get(c, "k", &a) == 1);
  CHECK(http_cache_get(c, "k", &b) == 1);
  CHECK(a.body == b.body, "two hits should share one copy");
  CHECK(a.body_ref != NULL && a.len == 7 && !memcmp(a.body, "{\"a\":1}", 7));
  CHECK(http_cache_get(c, "other", &r) == 0);
  http_reply_free(&a);
  http_reply_free(&b);
  http_cache_stats st;
  http_cache_stats_get(c, &st);
  CHECK(st.hits == 2 && st.misses == 1 && st.entries == 1);
  http_cache_free(c);
}

static void test_evicted_entry_lives_while_referenced(void) {
  http_cache *c = http_cache_new(8 * 1024); /* an entry may take 1 KiB: a few fit */
  char body[600];
  memset(body, 'x', sizeof body - 1);
  body[sizeof body - 1] = 0;
  http_reply r = make_reply(body);
  http_cache_put(c, "first", &r, http_cache_generation(c));
  http_reply held = {0};
  CHECK(http_cache_get(c, "first", &held) == 1);
  for (int i = 0; i < 50; i++) { /* push "first" out */
    char key[16];
    snprintf(key, sizeof key, "k%d", i);
    http_cache_put(c, key, &r, http_cache_generation(c));
  }
  http_reply again = {0};
  CHECK(http_cache_get(c, "first", &again) == 0, "first should have been evicted");
  CHECK(held.len == sizeof body - 1 && held.body[0] == 'x' && held.body[held.len - 1] == 'x', "held bytes must stay valid");
  http_cache_stats st;
  http_cache_stats_get(c, &st);
  CHECK(st.bytes <= 8 * 1024, "budget %lld", (long long)st.bytes);
  CHECK(st.evictions > 0);
  http_cache_clear(c);
  CHECK(held.body[0] == 'x', "held bytes survive a clear too");
  http_reply_free(&held); /* the last reference frees the evicted entry */
  http_reply_free(&r);
  http_cache_free(c);
}

static void test_store_racing_a_clear_is_dropped(void) {
  http_cache *c = http_cache_new(1 << 20);
  uint64_t gen = http_cache_generation(c); /* a render starts... */
  http_cache_clear(c);                     /* ...a rescan changes the listing... */
  http_reply r = make_reply("stale");
  http_cache_put(c, "k", &r, gen);         /* ...the render finishes: must not be cached */
  http_reply got = {0};
  CHECK(http_cache_get(c, "k", &got) == 0);
  http_cache_put(c, "k", &r, http_cache_generation(c));
  CHECK(http_cache_get(c, "k", &got) == 1);
  http_reply_free(&got);
  http_reply_free(&r);
  http_cache_free(c);
}

static void test_oversized_and_disabled(void) {
  http_cache *c = http_cache_new(800); /* entries above 100 bytes are not kept */
  char big[200];
  memset(big, 'y', sizeof big - 1);
  big[sizeof big - 1] = 0;
  http_reply r = make_reply(big), got = {0};
  http_cache_put(c, "big", &r, http_cache_generation(c));
  CHECK(http_cache_get(c, "big", &got) == 0);
  http_cache_free(c);
  c = http_cache_new(0); /* --response-cache-mb 0 */
  http_cache_put(c, "big", &r, http_cache_generation(c));
  CHECK(http_cache_get(c, "big", &got) == 0);
  http_reply_free(&r);
  http_cache_free(c);
}

int main(void) {
  test_hit_shares_bytes();
  test_evicted_entry_lives_while_referenced();
  test_store_racing_a_clear_is_dropped();
  test_oversized_and_disabled();
  return CHECK_RESULT();
}
