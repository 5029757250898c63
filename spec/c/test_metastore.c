/* sources/metastore.c without a server: location normalisation (the Lua side,
 * lib/analysis/metastore_scans.lua, and the SQL side must agree with it), URL checks, and that
 * no error message carries the URL's password. The reads themselves run against a real
 * PostgreSQL in spec/lua/metastore_spec.lua. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sources/metastore.h"

static void check_norm(const char *in, const char *want) {
  char out[256];
  int n = sic_metastore_normalize_location(in, out, sizeof out);
  CHECK(n == (int)strlen(want) && !strcmp(out, want), "%s -> %s, want %s", in, out, want);
}

static void test_normalize(void) {
  check_norm("s3a://lake/warehouse/sales.db/orders/", "s3://lake/warehouse/sales.db/orders");
  check_norm("S3N://lake/x", "s3://lake/x");
  check_norm("s3://lake/x//", "s3://lake/x");
  check_norm("file:///data/t/", "/data/t");
  check_norm("file:/data/t", "/data/t");
  check_norm("hdfs://nn:8020/warehouse/t", "hdfs://nn:8020/warehouse/t");
  check_norm("abfss://c@a.dfs.core.windows.net/t/", "abfss://c@a.dfs.core.windows.net/t");
  check_norm("", "");
  check_norm(NULL, "");
  char small[4];
  CHECK(sic_metastore_normalize_location("s3a://lake", small, sizeof small) == -1);
  CHECK(sic_metastore_normalize_location("/abcd", small, sizeof small) == -1);
}

static void test_url_errors(void) {
  const char *names[] = {"sales.orders"};
  char *json = (char *)"untouched";
  sic_err err = {0};
  CHECK(sic_metastore_read("thrift://hive:s3cret@metastore:9083", names, 1, NULL, 0, &json, &err) == SIC_EINVAL);
  CHECK(json == NULL);
  CHECK(strstr(err.msg, "expected postgresql://") != NULL, "%s", err.msg);
  CHECK(strstr(err.msg, "s3cret") == NULL, "%s", err.msg);
  CHECK(sic_metastore_read("", names, 1, NULL, 0, &json, &err) == SIC_EINVAL);
  CHECK(sic_metastore_read(NULL, names, 1, NULL, 0, &json, &err) == SIC_EINVAL);
  /* a closed port: libpq's refusal, the URL without its password (userinfo or parameter) */
  const char *locs[] = {"s3a://lake/t"};
  int rc = sic_metastore_read("postgresql://hive:s3cret@127.0.0.1:1/metastore?password=s3cret&connect_timeout=2",
                              names, 1, locs, 1, &json, &err);
  CHECK(rc == SIC_EIO, "rc %d: %s", rc, err.msg);
  CHECK(strstr(err.msg, "cannot connect") != NULL, "%s", err.msg);
  CHECK(strstr(err.msg, "postgresql://127.0.0.1:1/metastore") != NULL, "%s", err.msg);
  CHECK(strstr(err.msg, "s3cret") == NULL, "%s", err.msg);
  char *shown = sic_metastore_display_url("postgres://u:pw@h:5432/db?sslpassword=pw&sslmode=require");
  CHECK(shown && !strcmp(shown, "postgres://h:5432/db?sslpassword=REDACTED&sslmode=require"), "%s", shown);
  free(shown);
}

int main(void) {
  test_normalize();
  test_url_errors();
  return CHECK_RESULT();
}
