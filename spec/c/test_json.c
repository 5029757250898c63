/* JSON scanner tests: valid and invalid documents, escapes and surrogates, numbers at the
 * int64 limits, deep nesting, and that skipping lands exactly where reading would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json/scan.h"

static void init(sic_jscan *s, const char *doc) { sic_json_init(s, doc, strlen(doc)); }

/* Validates a whole document by walking it with the typed calls (objects/arrays recursively). */
static int walk(sic_jscan *s, int depth) {
  sic_jiter it;
  sic_jstr k;
  int r, b;
  int64_t v;
  switch (sic_json_peek(s)) {
  case SIC_JT_OBJECT:
    if (depth > 64) return sic_json_skip(s);
    sic_json_obj_begin(s, &it);
    while ((r = sic_json_obj_next(s, &it, &k)) > 0)
      if (walk(s, depth + 1) < 0) return -1;
    return r;
  case SIC_JT_ARRAY:
    if (depth > 64) return sic_json_skip(s);
    sic_json_arr_begin(s, &it);
    while ((r = sic_json_arr_next(s, &it)) > 0)
      if (walk(s, depth + 1) < 0) return -1;
    return r;
  case SIC_JT_STRING: return sic_json_str(s, &k);
  case SIC_JT_NUMBER: return sic_json_i64(s, &v);
  case SIC_JT_TRUE:
  case SIC_JT_FALSE: return sic_json_bool(s, &b);
  case SIC_JT_NULL: return sic_json_null(s);
  default: return sic_json_skip(s); /* records the error */
  }
}

static int valid_by_walk(const char *doc) {
  sic_jscan s;
  init(&s, doc);
  return walk(&s, 0) == 0 && sic_json_end(&s) == 0;
}

static int valid_by_skip(const char *doc) {
  sic_jscan s;
  init(&s, doc);
  return sic_json_skip(&s) == 0 && sic_json_end(&s) == 0;
}

static void test_valid(void) {
  static const char *docs[] = {
      "{}", "[]", " { } ", "0", "-0", "1.5e+3", "\"\"", "true", "false", "null",
      "{\"a\":1,\"b\":[true,false,null,\"x\",{\"c\":-2.5E-3}],\"d\":{}}",
      "[[[[[]]]]]", "\t\r\n[1 , 2 ,\n 3]\n",
      "\"a string that is longer than sixteen bytes so the vector loop runs\"",
      "\"escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"",
      "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}",
      "\"\xc3\xa9 utf-8 passes through \xe2\x82\xac\"",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    CHECK(valid_by_walk(docs[i]), "walk rejects: %s", docs[i]);
    CHECK(valid_by_skip(docs[i]), "skip rejects: %s", docs[i]);
  }
}

static void test_invalid(void) {
  /* rejected both when read and when skipped */
  static const char *both[] = {
      "", "{", "[", "{\"a\":1", "[1,2", "\"abc", "\"bad \\x escape\"", "\"\\u12G4\"", "\"\\u12\"",
      "\"ctl \x01 char\"", "\"tab\tinside\"", "{]", "[}", "[1]]", "tru", "nul", "01", "1.", ".5", "-",
      "+1", "1e", "1e+", "{\"a\":1}x", "[1] [2]",
  };
  for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
    CHECK(!valid_by_walk(both[i]), "walk accepts: %s", both[i]);
    CHECK(!valid_by_skip(both[i]), "skip accepts: %s", both[i]);
  }
  /* grammar errors inside containers: caught when read (skipping checks brackets/strings only) */
  static const char *read_only[] = {"{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]", "{1:2}", "{\"a\":1 \"b\":2}", "[,1]"};
  for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++)
    CHECK(!valid_by_walk(read_only[i]), "walk accepts: %s", read_only[i]);
}

/* The error message and byte offset name the first problem. */
static void test_error_offsets(void) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr k;
  int64_t v;
  init(&s, "{\"a\":1,\"b\" 2}");
  sic_json_obj_begin(&s, &it);
  CHECK_EQ_INT(sic_json_obj_next(&s, &it, &k), 1);
  CHECK_EQ_INT(sic_json_i64(&s, &v), 0);
  CHECK_EQ_INT(sic_json_obj_next(&s, &it, &k), -1);
  CHECK_EQ_STR(s.err, "expected ':'");
  CHECK_EQ_INT(s.err_off, 11); /* the "2" where the colon belongs */
  /* sticky: later calls fail and keep the first error */
  CHECK_EQ_INT(sic_json_i64(&s, &v), -1);
  CHECK_EQ_STR(s.err, "expected ':'");
  CHECK_EQ_INT(s.err_off, 11); /* the "2" where the colon belongs */

  init(&s, "{\"Event\":\"x\",_\"y\":1}");
  sic_json_obj_begin(&s, &it);
  sic_json_obj_next(&s, &it, &k);
  sic_json_str(&s, &k);
  CHECK_EQ_INT(sic_json_obj_next(&s, &it, &k), -1);
  CHECK_EQ_STR(s.err, "expected string key");
  CHECK_EQ_INT(s.err_off, 13);

  init(&s, "[\"ab\x02\"]");
  CHECK_EQ_INT(sic_json_skip(&s), -1);
  CHECK_EQ_STR(s.err, "control character in string");
  CHECK_EQ_INT(s.err_off, 4);
}

static void unescape_eq(const char *raw_json, const char *want, size_t want_len) {
  sic_jscan s;
  sic_jstr str;
  init(&s, raw_json);
  CHECK_EQ_INT(sic_json_str(&s, &str), 0);
  char *out = malloc(str.len + 1);
  size_t n = sic_json_unescape(&str, out);
  CHECK(n == want_len && memcmp(out, want, n) == 0, "unescape %s gave %zu bytes", raw_json, n);
  CHECK(n <= str.len);
  free(out);
}

static void test_escapes(void) {
  unescape_eq("\"plain\"", "plain", 5);
  unescape_eq("\"a\\nb\\tc\\\"d\\\\e\\/f\\bg\\fh\\ri\"", "a\nb\tc\"d\\e/f\bg\fh\ri", 17);
  unescape_eq("\"\\u0041\\u00e9\\u20ac\"", "A\xc3\xa9\xe2\x82\xac", 6);
  unescape_eq("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);              /* surrogate pair */
  unescape_eq("\"\\uD834\\uDD1E!\"", "\xf0\x9d\x84\x9e!", 5);            /* upper-case hex */
  unescape_eq("\"\\ud800x\"", "\xef\xbf\xbdx", 4);                       /* lone high */
  unescape_eq("\"\\udc00\"", "\xef\xbf\xbd", 3);                         /* lone low */
  unescape_eq("\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A", 4);              /* high + non-low */
  unescape_eq("\"\\u0000z\"", "\0z", 2);
  sic_jscan s;
  sic_jstr str;
  init(&s, "\"no escapes here\"");
  sic_json_str(&s, &str);
  CHECK_EQ_INT(str.escaped, 0);
  init(&s, "\"one \\n\"");
  sic_json_str(&s, &str);
  CHECK_EQ_INT(str.escaped, 1);
  CHECK_EQ_INT(str.len, 6);
}

static int64_t i64_of(const char *doc, int *ok) {
  sic_jscan s;
  int64_t v = 12345;
  init(&s, doc);
  *ok = sic_json_i64(&s, &v) == 0 && sic_json_end(&s) == 0;
  return v;
}

static void test_numbers(void) {
  int ok;
  CHECK_EQ_INT(i64_of("0", &ok), 0); CHECK(ok);
  CHECK_EQ_INT(i64_of("-0", &ok), 0); CHECK(ok);
  CHECK_EQ_INT(i64_of("1700000000000", &ok), 1700000000000LL); CHECK(ok);
  CHECK_EQ_INT(i64_of("9223372036854775807", &ok), INT64_MAX); CHECK(ok);
  CHECK_EQ_INT(i64_of("-9223372036854775808", &ok), INT64_MIN); CHECK(ok);
  CHECK_EQ_INT(i64_of("9223372036854775808", &ok), INT64_MAX); CHECK(ok);          /* saturates */
  CHECK_EQ_INT(i64_of("-9223372036854775809", &ok), INT64_MIN); CHECK(ok);
  CHECK_EQ_INT(i64_of("123456789012345678901234567890", &ok), INT64_MAX); CHECK(ok);
  CHECK_EQ_INT(i64_of("999999999999999999", &ok), 999999999999999999LL); CHECK(ok); /* 18 digits */
  CHECK_EQ_INT(i64_of("1e3", &ok), 1000); CHECK(ok);
  CHECK_EQ_INT(i64_of("1.9", &ok), 1); CHECK(ok);
  CHECK_EQ_INT(i64_of("-1.9", &ok), -1); CHECK(ok);
  CHECK_EQ_INT(i64_of("1e400", &ok), INT64_MAX); CHECK(ok);
  CHECK_EQ_INT(i64_of("-1e400", &ok), INT64_MIN); CHECK(ok);
  CHECK_EQ_INT(i64_of("2.5E-400", &ok), 0); CHECK(ok);
  i64_of("\"12\"", &ok); CHECK(!ok);
  i64_of("1x", &ok); CHECK(!ok);
  int64_t v;
  CHECK_EQ_INT(sic_json_parse_i64("42", 2, &v), 0); CHECK_EQ_INT(v, 42);
  CHECK_EQ_INT(sic_json_parse_i64("-7.5", 4, &v), 0); CHECK_EQ_INT(v, -7);
  CHECK_EQ_INT(sic_json_parse_i64("4 2", 3, &v), -1);
  CHECK_EQ_INT(sic_json_parse_i64("", 0, &v), -1);
  CHECK_EQ_INT(sic_json_parse_i64("0x10", 4, &v), -1);
  sic_jscan s;
  double d;
  init(&s, "0.25");
  CHECK(sic_json_f64(&s, &d) == 0 && d == 0.25);
  init(&s, "-1.5e-3");
  CHECK(sic_json_f64(&s, &d) == 0 && d == -1.5e-3);
  init(&s, "7");
  CHECK(sic_json_f64(&s, &d) == 0 && d == 7.0);
}

static char *nested(int depth, int close) {
  char *d = malloc((size_t)depth * 2 + 8);
  int n = 0;
  for (int i = 0; i < depth; i++) d[n++] = (i & 1) ? '{' : '[';
  if (!close) { d[n] = 0; return d; }
  /* objects need a key: use arrays only for the closing test */
  n = 0;
  for (int i = 0; i < depth; i++) d[n++] = '[';
  for (int i = 0; i < depth; i++) d[n++] = ']';
  d[n] = 0;
  return d;
}

static void test_nesting(void) {
  char *ok = nested(1024, 1), *deep = nested(1025, 1), *open = nested(3000, 0);
  CHECK(valid_by_skip(ok));
  sic_jscan s;
  init(&s, deep);
  CHECK_EQ_INT(sic_json_skip(&s), -1);
  CHECK_EQ_STR(s.err, "nesting too deep");
  init(&s, open);
  CHECK_EQ_INT(sic_json_skip(&s), -1);
  free(ok);
  free(deep);
  free(open);
  init(&s, "[{\"a\":[1,{\"b\":2}]}]");
  s.max_depth = 3;
  CHECK_EQ_INT(sic_json_skip(&s), -1);
  init(&s, "[{\"a\":[1,{\"b\":2}]}]");
  s.max_depth = 4;
  CHECK_EQ_INT(sic_json_skip(&s), 0);
}

/* Skipping a member leaves the cursor where reading it would, even with brackets and quotes
 * inside strings. */
static void test_skip_lands_right(void) {
  const char *doc = "{\"a\":{\"b\":[1,\"}]\",{\"c\":\"\\\"]}\"}],\"x\":\"{{{{\"},\"n\":-12.5e1,\"s\":\"0123456789abcdef0123\\\\\","
                    "\"t\":true,\"d\":5}";
  sic_jscan s;
  sic_jiter it;
  sic_jstr k;
  int64_t v = 0;
  int seen = 0;
  init(&s, doc);
  sic_json_obj_begin(&s, &it);
  while (sic_json_obj_next(&s, &it, &k) > 0) {
    seen++;
    if (SIC_JSTR_IS(&k, "d")) CHECK_EQ_INT(sic_json_i64(&s, &v), 0);
    else CHECK_EQ_INT(sic_json_skip(&s), 0);
  }
  CHECK(s.err == NULL, "%s at %zu", s.err ? s.err : "", s.err_off);
  CHECK_EQ_INT(seen, 5);
  CHECK_EQ_INT(v, 5);
  CHECK_EQ_INT(sic_json_end(&s), 0);
  /* strings with the quote at every position around the 16-byte vector boundary */
  for (int len = 0; len < 40; len++) {
    char buf[64];
    buf[0] = '"';
    for (int i = 0; i < len; i++) buf[1 + i] = (char)('a' + i % 26);
    buf[1 + len] = '"';
    buf[2 + len] = ',';
    buf[3 + len] = 0;
    sic_jstr str;
    init(&s, buf);
    CHECK(sic_json_str(&s, &str) == 0 && (int)str.len == len && *s.p == ',', "len %d", len);
  }
}

static void test_try_key(void) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr k;
  int64_t v;
  init(&s, "{\"Task ID\":1,\"Index\":2, \"Attempt\":3}");
  sic_json_obj_begin(&s, &it);
  CHECK_EQ_INT(sic_json_try_key(&s, &it, "\"Index\":", 8), 0);   /* not the next key */
  CHECK_EQ_INT(sic_json_try_key(&s, &it, "\"Task ID\":", 10), 1);
  sic_json_i64(&s, &v);
  CHECK_EQ_INT(v, 1);
  CHECK_EQ_INT(sic_json_try_key(&s, &it, "\"Index\":", 8), 1);
  sic_json_i64(&s, &v);
  CHECK_EQ_INT(v, 2);
  CHECK_EQ_INT(sic_json_try_key(&s, &it, "\"Attempt\":", 10), 0); /* whitespace: general path */
  CHECK_EQ_INT(sic_json_obj_next(&s, &it, &k), 1);
  CHECK(SIC_JSTR_IS(&k, "Attempt"));
  sic_json_i64(&s, &v);
  CHECK_EQ_INT(sic_json_obj_next(&s, &it, &k), 0);
  CHECK_EQ_INT(sic_json_end(&s), 0);
}

int main(void) {
  test_valid();
  test_invalid();
  test_error_offsets();
  test_escapes();
  test_numbers();
  test_nesting();
  test_skip_lands_right();
  test_try_key();
  return CHECK_RESULT();
}
