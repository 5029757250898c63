/* Tests for engine/json/write.c: structure, escaping, numbers, Jackson pretty layout, errors.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "json/write.h"

static int failures;

#define EXPECT_STR(got, want)                                                               \
  do {                                                                                      \
    const char *g_ = (got), *w_ = (want);                                                   \
    if (!g_ || strcmp(g_, w_)) {                                                            \
      fprintf(stderr, "%s:%d: got\n%s\nwant\n%s\n", __FILE__, __LINE__, g_ ? g_ : "(null)", \
              w_);                                                                          \
      failures++;                                                                           \
    }                                                                                       \
  } while (0)

#define EXPECT(cond)                                                   \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                      \
    }                                                                  \
  } while (0)

static void check_double(double v, const char *want) {
  char buf[40];
  sic_jw_format_double(v, buf);
  if (strcmp(buf, want)) {
    fprintf(stderr, "double %.17g: got %s want %s\n", v, buf, want);
    failures++;
  }
}

static void test_doubles(void) {
  /* Expected strings are what java.lang.Double.toString prints. */
  check_double(0.0, "0.0");
  check_double(-0.0, "-0.0");
  check_double(1.0, "1.0");
  check_double(-3.0, "-3.0");
  check_double(0.05, "0.05");
  check_double(0.5, "0.5");
  check_double(0.001, "0.001");
  check_double(0.0001, "1.0E-4");
  check_double(1.5e-5, "1.5E-5");
  check_double(1234567.0, "1234567.0");
  check_double(9999999.0, "9999999.0");
  check_double(1e7, "1.0E7");
  check_double(12345678.0, "1.2345678E7");
  check_double(1.2345e10, "1.2345E10");
  check_double(123.456, "123.456");
  check_double(0.1 + 0.2, "0.30000000000000004");
  check_double(1.0 / 3.0, "0.3333333333333333");
  check_double(100.25, "100.25");
  check_double(1e21, "1.0E21");
  check_double(1.7976931348623157e308, "1.7976931348623157E308");
  check_double(NAN, "NaN");
  check_double(INFINITY, "Infinity");
  check_double(-INFINITY, "-Infinity");
}

static void test_compact(void) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "a", "x");
  sic_jw_kint(&w, "b", -12);
  sic_jw_karr(&w, "c");
  sic_jw_int(&w, 1);
  sic_jw_bool(&w, 1);
  sic_jw_null(&w);
  sic_jw_double(&w, 2.5);
  sic_jw_obj(&w);
  sic_jw_end(&w);
  sic_jw_arr(&w);
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_kstr(&w, "n", NULL);
  sic_jw_kint(&w, "min", INT64_MIN);
  sic_jw_kint(&w, "max", INT64_MAX);
  sic_jw_key(&w, "u");
  sic_jw_uint(&w, UINT64_MAX);
  sic_jw_key(&w, "nan");
  sic_jw_double(&w, NAN);
  sic_jw_end(&w);
  EXPECT(sic_jw_status(&w) == 0);
  EXPECT_STR(w.buf, "{\"a\":\"x\",\"b\":-12,\"c\":[1,true,null,2.5,{},[]],\"n\":null,"
                    "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                    "\"u\":18446744073709551615,\"nan\":\"NaN\"}");
  sic_jw_free(&w);
}

static void test_pretty_matches_jackson(void) {
  /* Layout of Jackson's DefaultPrettyPrinter as seen in History Server output. */
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "id", "app");
  sic_jw_karr(&w, "attempts");
  sic_jw_obj(&w);
  sic_jw_kint(&w, "a", 1);
  sic_jw_kobj(&w, "empty");
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_obj(&w);
  sic_jw_kint(&w, "a", 2);
  sic_jw_end(&w);
  sic_jw_end(&w);
  sic_jw_karr(&w, "none");
  sic_jw_end(&w);
  sic_jw_karr(&w, "q");
  sic_jw_double(&w, 0.05);
  sic_jw_double(&w, 37);
  sic_jw_end(&w);
  sic_jw_end(&w);
  EXPECT(sic_jw_status(&w) == 0);
  EXPECT_STR(w.buf, "{\n"
                    "  \"id\" : \"app\",\n"
                    "  \"attempts\" : [ {\n"
                    "    \"a\" : 1,\n"
                    "    \"empty\" : { }\n"
                    "  }, {\n"
                    "    \"a\" : 2\n"
                    "  } ],\n"
                    "  \"none\" : [ ],\n"
                    "  \"q\" : [ 0.05, 37.0 ]\n"
                    "}");
  sic_jw_free(&w);

  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_arr(&w);
  sic_jw_end(&w);
  EXPECT_STR(w.buf, "[ ]");
  sic_jw_free(&w);
}

static void test_escaping(void) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_arr(&w);
  sic_jw_str(&w, "q\"b\\s/\n\r\t\b\f\x01\x1f");
  sic_jw_str(&w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");   /* valid UTF-8 passes through */
  sic_jw_str(&w, "bad\xff" "x\xc3");                              /* invalid bytes -> U+FFFD */
  sic_jw_str(&w, "\xed\xa0\x80");                                 /* surrogate: invalid */
  sic_jw_strn(&w, "nul\0in", 6);
  sic_jw_end(&w);
  EXPECT(sic_jw_status(&w) == 0);
  EXPECT_STR(w.buf, "[\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\","
                    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                    "\"bad\xef\xbf\xbdx\xef\xbf\xbd\","
                    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                    "\"nul\\u0000in\"]");
  sic_jw_free(&w);
}

static void test_misuse_is_reported(void) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  sic_jw_int(&w, 1); /* value without key */
  EXPECT(sic_jw_status(&w) == SIC_EINVAL);
  sic_jw_free(&w);

  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_arr(&w);
  sic_jw_key(&w, "k"); /* key inside an array */
  EXPECT(sic_jw_status(&w) == SIC_EINVAL);
  sic_jw_free(&w);

  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_obj(&w);
  EXPECT(sic_jw_status(&w) == SIC_EINVAL); /* unclosed */
  EXPECT(sic_jw_take(&w, NULL) == NULL);
  sic_jw_end(&w);
  sic_jw_end(&w); /* one end too many */
  EXPECT(sic_jw_status(&w) == SIC_EINVAL);
  sic_jw_free(&w);

  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_int(&w, 1);
  sic_jw_int(&w, 2); /* two top-level values */
  EXPECT(sic_jw_status(&w) == SIC_EINVAL);
  sic_jw_free(&w);

  sic_jw_init(&w, SIC_JW_COMPACT);
  for (int i = 0; i < SIC_JW_MAX_DEPTH + 1; i++) sic_jw_arr(&w);
  EXPECT(sic_jw_status(&w) == SIC_EINVAL); /* too deep */
  sic_jw_free(&w);
}

static void test_take_and_reset_and_growth(void) {
  sic_jw w;
  sic_jw_init(&w, SIC_JW_COMPACT);
  sic_jw_arr(&w);
  for (int i = 0; i < 100000; i++) sic_jw_int(&w, i);
  sic_jw_end(&w);
  EXPECT(sic_jw_status(&w) == 0);
  size_t len = 0;
  char *s = sic_jw_take(&w, &len);
  EXPECT(s != NULL && len == strlen(s) && s[0] == '[' && s[len - 1] == ']');
  EXPECT(s && strstr(s, ",99999]") != NULL);
  free(s);
  EXPECT(w.buf == NULL && w.len == 0);

  sic_jw_str(&w, "x");
  sic_jw_reset(&w);
  sic_jw_int(&w, 7);
  EXPECT_STR(w.buf, "7");
  sic_jw_free(&w);
}

int main(void) {
  test_doubles();
  test_compact();
  test_pretty_matches_jackson();
  test_escaping();
  test_misuse_is_reported();
  test_take_and_reset_and_growth();
  if (failures) {
    fprintf(stderr, "test_json_write: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_json_write: ok\n");
  return 0;
}
