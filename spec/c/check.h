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

static int check_failures = 0; /* failed checks so far in this test executable */
static int check_count = 0;    /* checks evaluated so far */

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
 * NULL when this checkout has none (a user's clone): tests that need it call
 * check_shared_data_or_skip, which exits 77, ctest's "skipped" code for C tests. */
__attribute__((unused)) static const char *check_shared_data(void) {
  const char *dir = getenv("SIC_SHARED_DATA");
  struct stat st;
  if (!dir || !*dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  return dir;
}

__attribute__((unused)) static const char *check_shared_data_or_skip(const char *test) {
  const char *dir = check_shared_data();
  if (!dir) {
    printf("%s: skipped: needs the shared real data (../shared/data/real; SIC_SHARED_DATA)\n", test);
    exit(77);
  }
  return dir;
}

#endif
