/* Line splitter and sic_lines: edge cases (CRLF, empty lines, missing final newline, lines
 * longer than a chunk, 1-byte chunks, part boundaries) checked against a straightforward
 * reference split of the whole text, plus zero-copy on mmap'd plain files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "eventlog/eventlog.h"

/* One expected line. */
typedef struct ref_line {
  const char *p;     /* into the reference text */
  size_t len;        /* without '\n' and a trailing '\r' */
  int64_t lineno;    /* 1-based within the part */
  int unterminated;  /* no '\n' after it */
} ref_line;

/* The obvious split of a whole part, the behaviour the splitter must reproduce. */
static size_t reference_split(const char *text, size_t n, ref_line *out) {
  size_t count = 0, start = 0;
  int64_t lineno = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && text[i] != '\n') continue;
    if (i == n && start == n) break;
    lineno++;
    size_t len = i - start;
    if (len && text[start + len - 1] == '\r') len--;
    if (len) out[count++] = (ref_line){text + start, len, lineno, i == n};
    start = i + 1;
  }
  return count;
}

/* Feed text in chunks of `chunk` bytes (copied into a scratch buffer that is overwritten
 * after each chunk, like a decoder's output) and compare every line with the reference. */
static void check_chunked(const char *label, const char *text, size_t n, size_t chunk) {
  ref_line *want = calloc(n + 2, sizeof *want);
  size_t nwant = reference_split(text, n, want), got = 0;
  sic_splitter *sp = sic_splitter_new();
  char *scratch = malloc(chunk);
  sic_line line;
  for (size_t off = 0; off <= n; off += chunk) {
    size_t len = n - off < chunk ? n - off : chunk;
    if (len) {
      memcpy(scratch, text + off, len);
      sic_splitter_feed(sp, scratch, len);
    } else {
      sic_splitter_feed(sp, NULL, 0);
    }
    for (;;) {
      int r = sic_splitter_next(sp, &line);
      if (r != 1) break;
      if (got < nwant) {
        CHECK(line.len == want[got].len && !memcmp(line.p, want[got].p, line.len),
              "%s chunk=%zu: line %zu text differs (%zu vs %zu bytes)", label, chunk, got, line.len,
              want[got].len);
        CHECK(line.lineno == want[got].lineno, "%s chunk=%zu: line %zu lineno %lld, want %lld", label,
              chunk, got, (long long)line.lineno, (long long)want[got].lineno);
        CHECK(line.unterminated == want[got].unterminated, "%s chunk=%zu: line %zu unterminated", label,
              chunk, got);
        CHECK(line.part == 0, "%s: part %zu", label, line.part);
      }
      got++;
    }
    if (!len) break;
    if (off + len == n) {
      sic_splitter_feed(sp, NULL, 0);
      while (sic_splitter_next(sp, &line) == 1) {
        if (got < nwant)
          CHECK(line.len == want[got].len && !memcmp(line.p, want[got].p, line.len) &&
                    line.unterminated == want[got].unterminated,
                "%s chunk=%zu: final line %zu differs", label, chunk, got);
        got++;
      }
      break;
    }
  }
  CHECK(got == nwant, "%s chunk=%zu: %zu lines, want %zu", label, chunk, got, nwant);
  sic_splitter_free(sp);
  free(scratch);
  free(want);
}

static void check_all_chunkings(const char *label, const char *text, size_t n) {
  size_t sizes[] = {1, 2, 3, 7, 64, 1000, 4096, n ? n : 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_chunked(label, text, n, sizes[i]);
}

static void test_edge_cases(void) {
  static const char *cases[] = {
    "a\nb\n", "a\r\nb\r\n", "\n\na\n\r\nb", "x", "", "\n", "\r\n", "\r", "a\r", "abc\n\n\n",
    "{\"Event\":\"x\"}\r\n{\"Event\":\"y\"}", "one\ntwo\r\nthree\n\rfour\n",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char label[32];
    snprintf(label, sizeof label, "case %zu", i);
    check_all_chunkings(label, cases[i], strlen(cases[i]));
  }
}

/* Zero copy: lines inside one chunk point into it. */
static void test_zero_copy(void) {
  const char *text = "first\nsecond\r\n\nthird";
  sic_splitter *sp = sic_splitter_new();
  sic_line line;
  sic_splitter_feed(sp, text, strlen(text));
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.p == text && line.len == 5 && line.lineno == 1);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.p == text + 6 && line.len == 6 && line.lineno == 2 && !line.unterminated);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 0); /* "third" waits for more bytes or the end */
  sic_splitter_feed(sp, NULL, 0);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.len == 5 && !memcmp(line.p, "third", 5) && line.lineno == 4 && line.unterminated);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 0);
  sic_splitter_free(sp);
}

/* Line numbers restart and `part` advances after each end of part. */
static void test_parts(void) {
  sic_splitter *sp = sic_splitter_new();
  sic_line line;
  sic_splitter_feed(sp, "a\nb", 3);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.part == 0 && line.lineno == 1);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 0);
  sic_splitter_feed(sp, NULL, 0);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.part == 0 && line.lineno == 2 && line.unterminated && line.len == 1 && line.p[0] == 'b');
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 0);
  sic_splitter_feed(sp, "\nc\n", 3);
  CHECK_EQ_INT(sic_splitter_next(sp, &line), 1);
  CHECK(line.part == 1 && line.lineno == 2 && !line.unterminated && line.p[0] == 'c');
  sic_splitter_free(sp);
}

/* A line far longer than the chunks it arrives in, and random text in random chunks. */
static void test_long_and_random(void) {
  size_t n = 300000;
  char *text = malloc(n);
  for (size_t i = 0; i < n; i++) text[i] = (char)('a' + i % 26);
  text[10] = '\n';
  text[n - 5] = '\n';
  check_chunked("long line", text, n, 1000);
  check_chunked("long line", text, n, 4096);
  check_chunked("long line", text, n, 1);
  srand(12345);
  for (size_t i = 0; i < n; i++) {
    int r = rand() % 40;
    text[i] = r == 0 ? '\n' : r == 1 ? '\r' : (char)('A' + r);
  }
  size_t sizes[] = {1, 5, 17, 333, 65536};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_chunked("random", text, n, sizes[i]);
  free(text);
}

/* End to end over a plain file: sic_logset_scan + sic_lines, 1 and 2 threads. */
static void test_plain_file(void) {
  char path[] = "/tmp/sic_test_lines_XXXXXX";
  int fd = mkstemp(path);
  const char *text = "{\"Event\":\"A\"}\n\n{\"Event\":\"B\"}\r\n{\"Event\":\"C\"}";
  CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
  for (int threads = 1; threads <= 2; threads++) {
    sic_logsets sets;
    sic_err err = {0};
    CHECK_EQ_INT(sic_logset_scan(path, &sets, &err), 0);
    CHECK_EQ_INT(sets.n, 1);
    if (sets.n != 1) continue;
    sic_lines *l = NULL;
    CHECK_EQ_INT(sic_lines_open(&sets.items[0], threads, &l, &err), 0);
    sic_line line;
    const char *want[] = {"{\"Event\":\"A\"}", "{\"Event\":\"B\"}", "{\"Event\":\"C\"}"};
    int64_t want_no[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
      CHECK_EQ_INT(sic_lines_next(l, &line, &err), 1);
      CHECK(line.len == strlen(want[i]) && !memcmp(line.p, want[i], line.len), "line %d", i);
      CHECK_EQ_INT(line.lineno, want_no[i]);
      CHECK_EQ_INT(line.unterminated, i == 2);
      CHECK_EQ_INT(line.part, 0);
    }
    CHECK_EQ_INT(sic_lines_next(l, &line, &err), 0);
    CHECK_EQ_INT(sic_stream_bytes_out(sic_lines_stream(l)), strlen(text));
    sic_lines_free(l);
    sic_logsets_free(&sets);
  }
  unlink(path);
}

/* Issue 19: a line over the limit comes out once as too_long (numbered as its '\n' would
 * number it), in whatever chunks it arrives and wherever it ends; the lines around it are
 * intact, and nothing of it is carried. */
static void test_line_limit(void) {
  const char *text = "ok1\n0123456789ABCDEF\nok3\r\n0123456789\nXXXXXXXXXXXXXXXXXXXXXXXX";
  size_t n = strlen(text);
  for (size_t chunk = 1; chunk <= n; chunk++) {
    sic_splitter *sp = sic_splitter_new();
    sic_splitter_set_max_line(sp, 10); /* "0123456789" (10 bytes) fits, 16 and 24 do not */
    char got[256] = "";
    sic_line line;
    for (size_t off = 0; off <= n; off += chunk) {
      size_t len = n - off < chunk ? n - off : chunk;
      sic_splitter_feed(sp, len ? text + off : NULL, len);
      while (sic_splitter_next(sp, &line) == 1) {
        char one[64];
        if (line.too_long) snprintf(one, sizeof one, "%lld:LONG(>%d) ", (long long)line.lineno, line.len > 10);
        else snprintf(one, sizeof one, "%lld:%.*s%s ", (long long)line.lineno, (int)line.len, line.p, line.unterminated ? "$" : "");
        strncat(got, one, sizeof got - strlen(got) - 1);
      }
    }
    CHECK(!strcmp(got, "1:ok1 2:LONG(>1) 3:ok3 4:0123456789 5:LONG(>1) "), "chunk=%zu: got '%s'", chunk, got);
    sic_splitter_free(sp);
  }
}

int main(void) {
  test_line_limit();
  test_edge_cases();
  test_zero_copy();
  test_parts();
  test_long_and_random();
  test_plain_file();
  return CHECK_RESULT();
}
