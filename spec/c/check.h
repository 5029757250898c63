/* Tiny assertion helpers for the C tests (spec/c/test_*.c, one executable each).
 *
 * Checks record a failure and keep going, so one run reports every broken expectation;
 * main returns CHECK_RESULT() (non-zero when anything failed). Include once per test. */
#ifndef SIC_SPEC_CHECK_H
#define SIC_SPEC_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((unused)) static int check_failures = 0; /* failed checks so far in this test executable */
__attribute__((unused)) static int check_count = 0;    /* checks evaluated so far */

#define CHECK_FAIL_AT(file, line, ...)                                                        \
  do {                                                                                        \
    check_failures++;                                                                         \
    fprintf(stderr, "%s:%d: FAILED: ", file, line);                                           \
    fprintf(stderr, __VA_ARGS__);                                                             \
    fputc('\n', stderr);                                                                      \
  } while (0)

/* Optional context after a failed CHECK (no format attribute: the format may be ""). */
__attribute__((unused)) static void check_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* CHECK(cond) or CHECK(cond, "fmt", args...) for context. */
#define CHECK(cond, ...)                                                                      \
  do {                                                                                        \
    check_count++;                                                                            \
    if (!(cond)) {                                                                            \
      check_failures++;                                                                       \
      fprintf(stderr, "%s:%d: FAILED: %s ", __FILE__, __LINE__, #cond);                       \
      check_note("" __VA_ARGS__);                                                             \
      fputc('\n', stderr);                                                                    \
    }                                                                                         \
  } while (0)

#define CHECK_EQ_INT(actual, expected)                                                        \
  do {                                                                                        \
    long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);               \
    check_count++;                                                                            \
    if (check_a_ != check_e_)                                                                 \
      CHECK_FAIL_AT(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #actual, check_a_, \
                    #expected, check_e_);                                                     \
  } while (0)

#define CHECK_EQ_STR(actual, expected)                                                        \
  do {                                                                                        \
    const char *check_a_ = (actual), *check_e_ = (expected);                                  \
    check_count++;                                                                            \
    if (!check_a_ || !check_e_ || strcmp(check_a_, check_e_))                                 \
      CHECK_FAIL_AT(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #actual,             \
                    check_a_ ? check_a_ : "(null)", check_e_ ? check_e_ : "(null)");          \
  } while (0)

/* Compare n bytes; reports the first differing offset. */
#define CHECK_EQ_MEM(actual, expected, n)                                                     \
  do {                                                                                        \
    const unsigned char *check_a_ = (const unsigned char *)(actual);                          \
    const unsigned char *check_e_ = (const unsigned char *)(expected);                        \
    size_t check_n_ = (n), check_i_ = 0;                                                      \
    check_count++;                                                                            \
    while (check_i_ < check_n_ && check_a_[check_i_] == check_e_[check_i_]) check_i_++;       \
    if (check_i_ < check_n_)                                                                  \
      CHECK_FAIL_AT(__FILE__, __LINE__, "%s and %s differ at byte %zu of %zu", #actual,       \
                    #expected, check_i_, check_n_);                                           \
  } while (0)

/* Summary line + exit status for main. */
#define CHECK_RESULT()                                                                        \
  (fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures), check_failures != 0)

/* The shared real-data folder (../shared/data/real, exported by ctest as SIC_SHARED_DATA), or
 * NULL when this checkout has none (a user's clone). A test whose every part needs it calls
 * check_shared_data_or_skip, which exits 77, ctest's "skipped" code for C tests; a test with
 * self-contained parts runs them and skips only the real-data parts (check_shared_part). */
__attribute__((unused)) static const char *check_shared_data(void) {
  const char *dir = getenv("SIC_SHARED_DATA");
  struct stat st;
  if (!dir || !*dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  return dir;
}

/* Leaves "kind<TAB>what" in $SIC_BUILD_DIR/Testing/shared-data/c.TEST.tsv, which ctest's summary
 * after the run counts (spec/shared_data_summary.cmake). No build dir: nothing to record. */
__attribute__((unused)) static void check_record_skip(const char *test, const char *kind, const char *what) {
  const char *build = getenv("SIC_BUILD_DIR");
  char path[4096];
  if (!build || !*build) return;
  snprintf(path, sizeof path, "%s/Testing", build);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/Testing/shared-data", build);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/Testing/shared-data/c.%s.tsv", build, test);
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s\t%s\n", kind, what);
  fclose(f);
}

/* The whole file, NUL-terminated (malloc'd; *len bytes before the NUL), or NULL. */
__attribute__((unused)) static char *check_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
  fclose(f);
  if (buf) buf[n] = 0;
  *len = (size_t)n;
  return buf;
}

__attribute__((unused)) static const char *check_shared_data_or_skip(const char *test) {
  const char *dir = check_shared_data();
  if (!dir) {
    printf("%s: skipped: needs shared data (../shared/data/real; SIC_SHARED_DATA)\n", test);
    check_record_skip(test, "c-skipped", "every part needs shared data");
    exit(77);
  }
  return dir;
}

/* The shared folder for one real-data part of a test, or NULL after saying that part is
 * skipped (the caller skips it; the test's self-contained parts still run and decide the
 * exit status). */
__attribute__((unused)) static const char *check_shared_part(const char *test, const char *part) {
  const char *dir = check_shared_data();
  if (!dir) {
    printf("%s: part skipped: %s: needs shared data (../shared/data/real; SIC_SHARED_DATA)\n", test, part);
    check_record_skip(test, "c-part-skipped", part);
  }
  return dir;
}

#endif
