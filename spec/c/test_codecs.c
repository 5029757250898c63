/* Codec decoders: round trips through Spark's framings written with the real libraries
 * (random and JSON-like data, block boundaries, concatenated streams, empty streams, tiny
 * output buffers), checksum mismatches and truncation (right error code, offset in the
 * message, good prefix delivered), codec identification by name and magic, and the same
 * through sic_stream on files (name-vs-magic mismatch, error names the file, 1 and 2
 * threads) and on a zip member whose blocks exceed the reader's input window. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "check.h"
#include "eventlog/codec.h"
#include "eventlog/eventlog.h"
#include "eventlog/spark_framing_writer.h"

/* Collected decoder output. */
typedef struct collect {
  uint8_t *p;   /* bytes (owned) */
  size_t len;   /* used */
  size_t cap;   /* allocated */
} collect;

static void collect_sink(void *ctx, const uint8_t *p, size_t n) {
  collect *c = ctx;
  if (c->len + n > c->cap) {
    c->cap = (c->len + n) * 2;
    c->p = realloc(c->p, c->cap);
  }
  memcpy(c->p + c->len, p, n);
  c->len += n;
}

static const sic_codec all_codecs[] = {SIC_CODEC_ZSTD, SIC_CODEC_LZ4, SIC_CODEC_SNAPPY, SIC_CODEC_LZF,
                                       SIC_CODEC_GZIP};
#define NCODECS (sizeof all_codecs / sizeof all_codecs[0])

/* Append one stream of `codec` holding src; block sizes vary where the framing has blocks. */
static int encode(sic_codec codec, sic_frame_buf *out, const void *src, size_t len, size_t block) {
  switch (codec) {
  case SIC_CODEC_ZSTD: return sic_frame_write_zstd(out, src, len, 1);
  case SIC_CODEC_LZ4: return sic_frame_write_lz4block(out, src, len, block);
  case SIC_CODEC_SNAPPY: return sic_frame_write_snappy_java(out, src, len, block);
  case SIC_CODEC_LZF: return sic_frame_write_lzf(out, src, len, block > 0xFFFF ? 0xFFFF : block);
  case SIC_CODEC_GZIP: return sic_frame_write_gzip(out, src, len);
  default: return SIC_EINVAL;
  }
}

static uint8_t *random_bytes(size_t n, unsigned seed) {
  uint8_t *p = malloc(n ? n : 1);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
  }
  return p;
}

/* Event-log-like text: JSON lines with varying numbers. */
static uint8_t *json_lines(size_t n) {
  uint8_t *p = malloc(n + 256);
  size_t at = 0;
  for (unsigned i = 0; at < n; i++)
    at += (size_t)sprintf((char *)p + at,
                          "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":%u,\"Task Info\":{\"Task ID\":%u,"
                          "\"Launch Time\":%u,\"Host\":\"host-%u\"}}\n",
                          i % 17, i, 1600000000u + i * 37, i % 5);
  return p;
}

static void check_round_trip(sic_codec codec, const char *what, const uint8_t *data, size_t len,
                             size_t block) {
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(encode(codec, &fb, data, len, block), 0);
  size_t caps[] = {1, 7, 4096, 1 << 20};
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    if (caps[i] < 4096 && len > 200000) continue; /* tiny buffers on big inputs: slow, no new paths */
    collect got = {0};
    sic_err err = {0};
    int rc = sic_decode_buffer(codec, fb.data, fb.len, caps[i], collect_sink, &got, &err);
    CHECK(rc == 0, "%s %s block=%zu cap=%zu: rc %d %s", sic_codec_name(codec), what, block, caps[i], rc, err.msg);
    CHECK(got.len == len && (!len || !memcmp(got.p, data, len)), "%s %s block=%zu cap=%zu: %zu bytes, want %zu",
          sic_codec_name(codec), what, block, caps[i], got.len, len);
    free(got.p);
  }
  sic_frame_buf_free(&fb);
}

static void test_round_trips(void) {
  size_t n = 3u << 20;
  uint8_t *rnd = random_bytes(n, 7), *js = json_lines(n);
  size_t blocks[] = {64, 1000, 32768, 65535, 4u << 20};
  for (size_t c = 0; c < NCODECS; c++) {
    sic_codec codec = all_codecs[c];
    int blocky = codec == SIC_CODEC_LZ4 || codec == SIC_CODEC_SNAPPY || codec == SIC_CODEC_LZF;
    for (size_t b = 0; b < (blocky ? sizeof blocks / sizeof blocks[0] : 1); b++) {
      size_t block = blocky ? blocks[b] : 32768;
      check_round_trip(codec, "json", js, n, block);
      check_round_trip(codec, "random", rnd, block * 3 + 5 < n ? block * 3 + 5 : n, block);
      check_round_trip(codec, "exact-blocks", js, block * 2 < n ? block * 2 : n, block);
    }
    check_round_trip(codec, "empty", js, 0, 32768);
    check_round_trip(codec, "one byte", js, 1, 64);
    /* A zero-byte file under any codec name is an empty log, not an error. */
    collect got = {0};
    sic_err err = {0};
    CHECK_EQ_INT(sic_decode_buffer(codec, (const uint8_t *)"", 0, 64, collect_sink, &got, &err), 0);
    CHECK_EQ_INT(got.len, 0);
    free(got.p);
  }
  free(rnd);
  free(js);
}

/* Two (or three) streams back to back decode to the concatenation. */
static void test_concatenated(void) {
  size_t n = 200000;
  uint8_t *js = json_lines(n), *rnd = random_bytes(n, 3);
  for (size_t c = 0; c < NCODECS; c++) {
    sic_codec codec = all_codecs[c];
    sic_frame_buf fb = {0};
    CHECK_EQ_INT(encode(codec, &fb, js, n, 32768), 0);
    CHECK_EQ_INT(encode(codec, &fb, js, 0, 32768), 0); /* an empty stream in the middle */
    CHECK_EQ_INT(encode(codec, &fb, rnd, n, 32768), 0);
    collect got = {0};
    sic_err err = {0};
    int rc = sic_decode_buffer(codec, fb.data, fb.len, 65536, collect_sink, &got, &err);
    CHECK(rc == 0, "%s concatenated: %s", sic_codec_name(codec), err.msg);
    CHECK(got.len == 2 * n && !memcmp(got.p, js, n) && !memcmp(got.p + n, rnd, n), "%s concatenated content",
          sic_codec_name(codec));
    free(got.p);
    sic_frame_buf_free(&fb);
  }
  /* zstd skippable frames (e.g. seek tables) between data frames are ignored. */
  sic_frame_buf fb = {0};
  uint8_t skippable[8 + 5] = {0x5E, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, js, 1000, 0), 0);
  fb.data = realloc(fb.data, fb.len + sizeof skippable);
  memcpy(fb.data + fb.len, skippable, sizeof skippable);
  fb.len += sizeof skippable;
  fb.cap = fb.len;
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, js + 1000, 1000, 1), 0);
  collect got = {0};
  sic_err err = {0};
  CHECK_EQ_INT(sic_decode_buffer(SIC_CODEC_ZSTD, fb.data, fb.len, 4096, collect_sink, &got, &err), 0);
  CHECK(got.len == 2000 && !memcmp(got.p, js, 2000), "zstd with skippable frame");
  free(got.p);
  sic_frame_buf_free(&fb);
  free(js);
  free(rnd);
}

/* Decode `bytes` expecting failure `want_rc`; the delivered bytes must be a prefix of
 * `orig` at least `min_prefix` long; the message must give a byte offset. */
static void expect_failure(const char *what, sic_codec codec, const uint8_t *bytes, size_t len, int want_rc,
                           const uint8_t *orig, size_t orig_len, size_t min_prefix) {
  collect got = {0};
  sic_err err = {0};
  int rc = sic_decode_buffer(codec, bytes, len, 4096, collect_sink, &got, &err);
  CHECK(rc == want_rc, "%s: rc %d (%s), want %d", what, rc, err.msg, want_rc);
  CHECK(got.len >= min_prefix && got.len <= orig_len && (!got.len || !memcmp(got.p, orig, got.len)),
        "%s: delivered %zu bytes, want a prefix of >= %zu", what, got.len, min_prefix);
  CHECK(strstr(err.msg, "byte") != NULL, "%s: message without offset: %s", what, err.msg);
  free(got.p);
}

static void test_checksums(void) {
  size_t n = 100000;
  uint8_t *js = json_lines(n);
  sic_frame_buf fb = {0};

  /* lz4: second block's stored checksum flipped -> first block delivered, then ECORRUPT. */
  CHECK_EQ_INT(sic_frame_write_lz4block(&fb, js, n, 32768), 0);
  size_t first_block = 21 + (size_t)(fb.data[9] | fb.data[10] << 8 | fb.data[11] << 16 | fb.data[12] << 24);
  fb.data[first_block + 17] ^= 0x01;
  expect_failure("lz4 checksum", SIC_CODEC_LZ4, fb.data, fb.len, SIC_ECORRUPT, js, n, 32768);
  fb.data[first_block + 17] ^= 0x01;
  /* lz4: payload bit flip in the second block -> decode or checksum failure, never garbage. */
  fb.data[first_block + 40] ^= 0x20;
  expect_failure("lz4 payload", SIC_CODEC_LZ4, fb.data, fb.len, SIC_ECORRUPT, js, n, 32768);
  sic_frame_buf_free(&fb);

  /* zstd: frame checksum (last 4 bytes of a frame) wrong in the second frame. */
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, js, n / 2, 1), 0);
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, js + n / 2, n - n / 2, 1), 0);
  fb.data[fb.len - 1] ^= 0xFF;
  expect_failure("zstd checksum", SIC_CODEC_ZSTD, fb.data, fb.len, SIC_ECORRUPT, js, n, n / 2);
  sic_frame_buf_free(&fb);

  /* gzip: CRC32 in the member trailer wrong. */
  CHECK_EQ_INT(sic_frame_write_gzip(&fb, js, n / 2), 0);
  CHECK_EQ_INT(sic_frame_write_gzip(&fb, js + n / 2, n - n / 2), 0);
  fb.data[fb.len - 8] ^= 0xFF;
  expect_failure("gzip crc", SIC_CODEC_GZIP, fb.data, fb.len, SIC_ECORRUPT, js, n, n / 2);
  sic_frame_buf_free(&fb);

  /* lzf: unknown chunk type. */
  CHECK_EQ_INT(sic_frame_write_lzf(&fb, js, n, 65535), 0);
  size_t second = 7 + (size_t)(fb.data[3] << 8 | fb.data[4]);
  fb.data[second + 2] = 9;
  expect_failure("lzf chunk type", SIC_CODEC_LZF, fb.data, fb.len, SIC_ECORRUPT, js, n, 65535);
  sic_frame_buf_free(&fb);

  /* snappy: a block length pointing past a corrupt varint. */
  CHECK_EQ_INT(sic_frame_write_snappy_java(&fb, js, n, 32768), 0);
  size_t blk2 = 16 + 4 + ((size_t)fb.data[16] << 24 | fb.data[17] << 16 | fb.data[18] << 8 | fb.data[19]);
  memset(fb.data + blk2 + 4, 0xFF, 6); /* uncompressed-length varint that never ends */
  expect_failure("snappy block", SIC_CODEC_SNAPPY, fb.data, fb.len, SIC_ECORRUPT, js, n, 32768);
  sic_frame_buf_free(&fb);
  free(js);
}

/* Cut every codec's stream at several points: ETRUNCATED with a good prefix. */
static void test_truncation(void) {
  size_t n = 300000;
  uint8_t *js = json_lines(n);
  for (size_t c = 0; c < NCODECS; c++) {
    sic_codec codec = all_codecs[c];
    sic_frame_buf fb = {0};
    CHECK_EQ_INT(encode(codec, &fb, js, n, 32768), 0);
    size_t cuts[] = {fb.len / 2, fb.len - 1, fb.len - 3, 3};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      char what[64];
      snprintf(what, sizeof what, "%s cut at %zu of %zu", sic_codec_name(codec), cuts[i], fb.len);
      /* lz4's end block is optional (in-progress logs lack it): cutting inside it is still a cut. */
      expect_failure(what, codec, fb.data, cuts[i], SIC_ETRUNCATED, js, n, 0);
    }
    sic_frame_buf_free(&fb);
  }
  /* Block codecs deliver exactly the complete blocks before the cut. */
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(sic_frame_write_lz4block(&fb, js, n, 32768), 0);
  size_t b1 = 21 + (size_t)(fb.data[9] | fb.data[10] << 8 | fb.data[11] << 16 | fb.data[12] << 24);
  expect_failure("lz4 cut in block 2", SIC_CODEC_LZ4, fb.data, b1 + 30, SIC_ETRUNCATED, js, n, 32768);
  /* Without its end block the stream is an in-progress log: complete, no error. */
  collect got = {0};
  sic_err err = {0};
  CHECK_EQ_INT(sic_decode_buffer(SIC_CODEC_LZ4, fb.data, fb.len - 21, 4096, collect_sink, &got, &err), 0);
  CHECK_EQ_INT(got.len, n);
  free(got.p);
  sic_frame_buf_free(&fb);
  free(js);
}

static void test_identification(void) {
  CHECK_EQ_INT(sic_codec_from_name("events_1_app.zstd"), SIC_CODEC_ZSTD);
  CHECK_EQ_INT(sic_codec_from_name("/a/b/app-1.zst"), SIC_CODEC_ZSTD);
  CHECK_EQ_INT(sic_codec_from_name("app-1.lz4.inprogress"), SIC_CODEC_LZ4);
  CHECK_EQ_INT(sic_codec_from_name("app-1.snappy"), SIC_CODEC_SNAPPY);
  CHECK_EQ_INT(sic_codec_from_name("app-1.lzf"), SIC_CODEC_LZF);
  CHECK_EQ_INT(sic_codec_from_name("eventlog-2021-06-15--15-00.gz"), SIC_CODEC_GZIP);
  CHECK_EQ_INT(sic_codec_from_name("app-1.inprogress"), SIC_CODEC_NONE);
  CHECK_EQ_INT(sic_codec_from_name("events_3_app-1.snappy.compact"), SIC_CODEC_SNAPPY);
  CHECK_EQ_INT(sic_codec_from_name("local-1642039451826"), SIC_CODEC_NONE);
  CHECK_EQ_INT(sic_codec_from_name("zstd"), SIC_CODEC_NONE);
  CHECK_EQ_STR(sic_codec_name(SIC_CODEC_SNAPPY), "snappy");
  CHECK_EQ_STR(sic_codec_name(SIC_CODEC_NONE), "none");
  for (size_t c = 0; c < NCODECS; c++) {
    sic_frame_buf fb = {0};
    CHECK_EQ_INT(encode(all_codecs[c], &fb, "{\"Event\":1}\n", 12, 64), 0);
    CHECK(sic_codec_from_magic(fb.data, fb.len) == all_codecs[c], "magic of %s", sic_codec_name(all_codecs[c]));
    /* magic wins over a wrong name */
    CHECK_EQ_INT(sic_codec_resolve(SIC_CODEC_NONE, fb.data, fb.len), all_codecs[c]);
    sic_frame_buf_free(&fb);
  }
  const uint8_t json[] = "\n {\"Event\":\"SparkListenerLogStart\"}";
  CHECK_EQ_INT(sic_codec_from_magic(json, sizeof json - 1), SIC_CODEC_NONE);
  CHECK_EQ_INT(sic_codec_resolve(SIC_CODEC_ZSTD, json, sizeof json - 1), SIC_CODEC_NONE);
  CHECK_EQ_INT(sic_codec_resolve(SIC_CODEC_LZ4, (const uint8_t *)"garbage", 7), SIC_CODEC_LZ4);
}

/* ---- through sic_stream on real files ---- */

static char tmpdir[64];

static char *write_file(const char *name, const void *data, size_t len) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL, "cannot create %s", path);
  if (f) {
    fwrite(data, 1, len, f);
    fclose(f);
  }
  return path;
}

/* Read the whole log via sic_stream; returns the stream's final rc. */
static int stream_all(const char *path, int threads, collect *got, sic_err *err) {
  sic_logsets sets;
  int rc = sic_logset_scan(path, &sets, err);
  if (rc) return rc;
  sic_stream *s = NULL;
  rc = sic_stream_open(&sets.items[0], threads, &s, err);
  const char *d;
  size_t n, part;
  if (!rc)
    while ((rc = sic_stream_next(s, &d, &n, &part, err)) == 1) collect_sink(got, (const uint8_t *)d, n);
  sic_stream_free(s);
  sic_logsets_free(&sets);
  return rc;
}

static void test_stream_files(void) {
  size_t n = 5u << 20;
  uint8_t *js = json_lines(n);
  for (int threads = 1; threads <= 2; threads++) {
    for (size_t c = 0; c < NCODECS; c++) {
      sic_frame_buf fb = {0};
      CHECK_EQ_INT(encode(all_codecs[c], &fb, js, n, 32768), 0);
      char name[64];
      snprintf(name, sizeof name, "app-%s.%s", sic_codec_name(all_codecs[c]),
               all_codecs[c] == SIC_CODEC_GZIP ? "gz" : sic_codec_name(all_codecs[c]));
      collect got = {0};
      sic_err err = {0};
      CHECK_EQ_INT(stream_all(write_file(name, fb.data, fb.len), threads, &got, &err), 0);
      CHECK(got.len == n && !memcmp(got.p, js, n), "stream %s threads=%d", name, threads);
      free(got.p);

      /* Corrupt the middle: the error names the file and an offset, good bytes come first. */
      fb.data[fb.len / 2] ^= 0x5A;
      fb.data[fb.len / 2 + 1] ^= 0xA5;
      char *path = write_file(name, fb.data, fb.len);
      got = (collect){0};
      int rc = stream_all(path, threads, &got, &err);
      CHECK(rc == SIC_ECORRUPT || rc == SIC_EFORMAT, "corrupt %s: rc %d", name, rc);
      CHECK(strstr(err.msg, name) && strstr(err.msg, "byte"), "corrupt %s: message %s", name, err.msg);
      /* Only lz4 checks every block before releasing it; zstd and gzip verify at the end of
       * a frame/member, so bytes decoded from a damaged block before that are not checked. */
      if (all_codecs[c] == SIC_CODEC_LZ4)
        CHECK(got.len <= n && (!got.len || !memcmp(got.p, js, got.len)), "corrupt %s: delivered bytes are not a prefix", name);
      free(got.p);
      sic_frame_buf_free(&fb);
    }
    /* A .zstd name on plain JSON reads as plain; zstd bytes without a suffix decode. */
    collect got = {0};
    sic_err err = {0};
    CHECK_EQ_INT(stream_all(write_file("plain.zstd", js, 1000), threads, &got, &err), 0);
    CHECK(got.len == 1000 && !memcmp(got.p, js, 1000), "plain bytes named .zstd");
    free(got.p);
    sic_frame_buf fb = {0};
    sic_frame_write_zstd(&fb, js, 1000, 1);
    got = (collect){0};
    CHECK_EQ_INT(stream_all(write_file("no_suffix_zstd", fb.data, fb.len), threads, &got, &err), 0);
    CHECK(got.len == 1000 && !memcmp(got.p, js, 1000), "zstd bytes without suffix");
    free(got.p);
    sic_frame_buf_free(&fb);
  }
  free(js);
}

/* A zip member with 8 MB lz4 blocks: larger than the 1 MB initial input window. */
static void test_zip_member_big_blocks(void) {
  size_t n = 20u << 20;
  uint8_t *js = json_lines(n);
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(sic_frame_write_lz4block(&fb, js, n, 8u << 20), 0);
  char path[256];
  snprintf(path, sizeof path, "%s/logs.zip", tmpdir);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  CHECK(z != NULL);
  if (!z) goto done;
  zip_source_t *src = zip_source_buffer(z, fb.data, fb.len, 0);
  CHECK(zip_file_add(z, "app-1.lz4", src, 0) >= 0);
  CHECK_EQ_INT(zip_close(z), 0);
  for (int threads = 1; threads <= 2; threads++) {
    collect got = {0};
    sic_err err = {0};
    int rc = stream_all(path, threads, &got, &err);
    CHECK(rc == 0, "zip lz4: %s", err.msg);
    CHECK(got.len == n && !memcmp(got.p, js, n), "zip lz4 content threads=%d", threads);
    free(got.p);
  }
done:
  sic_frame_buf_free(&fb);
  free(js);
}

/* Freeing a threaded stream early (after one chunk, or before any) must neither hang nor
 * leak while the decode thread is ahead of the consumer; chunks never exceed one part. */
static void test_early_free(void) {
  size_t n = 12u << 20;
  uint8_t *js = json_lines(n);
  sic_frame_buf fb = {0};
  CHECK_EQ_INT(sic_frame_write_zstd(&fb, js, n, 1), 0);
  char *path = write_file("early.zstd", fb.data, fb.len);
  sic_logsets sets;
  sic_err err = {0};
  CHECK_EQ_INT(sic_logset_scan(path, &sets, &err), 0);
  for (int reads = 0; reads < 3 && sets.n == 1; reads++) {
    sic_stream *s = NULL;
    CHECK_EQ_INT(sic_stream_open(&sets.items[0], 2, &s, &err), 0);
    const char *d;
    size_t len, part, total = 0;
    for (int i = 0; i < reads; i++) {
      CHECK_EQ_INT(sic_stream_next(s, &d, &len, &part, &err), 1);
      CHECK(part == 0 && len > 0 && !memcmp(d, js + total, len), "chunk %d", i);
      total += len;
    }
    sic_stream_free(s);
  }
  if (sets.n) sic_logsets_free(&sets);
  sic_frame_buf_free(&fb);
  free(js);
}

static void cleanup_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sic_test_codecs_XXXXXX");
  if (!mkdtemp(tmpdir)) return 2;
  test_identification();
  test_round_trips();
  test_concatenated();
  test_checksums();
  test_truncation();
  test_stream_files();
  test_zip_member_big_blocks();
  test_early_free();
  cleanup_tmpdir();
  return CHECK_RESULT();
}
