/* Tests for engine/report/failure_key.c: failure messages of one cause that differ in
 * addresses, sizes, ids, paths and host:port get one key; different causes keep apart; names
 * with digits glued to letters (Log4j, x86_64) are left alone. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "report/failure_key.h"

static const char *key(const char *m) {
  static char buf[256];
  return sic_failure_key(m, buf, sizeof buf);
}

int main(void) {
  char a[256], b[256];
  /* GPU OOM with a different size, address and host in each task: one key */
  sic_failure_key("com.nvidia.spark.rapids.jni.GpuRetryOOM: RMM failure at 0x7f3a2c001000: failed to allocate "
                  "123456789 bytes on 10.0.0.5:45678\n\tat Foo.bar(Foo.java:12)", a, sizeof a);
  sic_failure_key("com.nvidia.spark.rapids.jni.GpuRetryOOM: RMM failure at 0x7f11ab002000: failed to allocate "
                  "99 bytes on 10.0.0.17:41000\n\tat Foo.baz(Foo.java:99)", b, sizeof b);
  CHECK(strcmp(a, b) == 0, "%s | %s", a, b);
  CHECK(strstr(a, "<hex>") && strstr(a, "<n> bytes"), "%s", a);
  /* paths, URIs and uuid-like ids */
  CHECK(!strcmp(key("FileNotFoundException: /tmp/spark-3f2a/blockmgr-1/0c/shuffle_3_7_0.data (No such file)"),
                "FileNotFoundException: <path> (No such file)"), "%s", key("x"));
  CHECK(!strcmp(key("File s3a://bucket/part-00001-abc.parquet does not exist"), "File <path> does not exist"), "uri");
  CHECK(!strcmp(key("block rdd_12_3 lost, id 3f2a9c1e-1d2b-4c5d-9e8f-0123456789ab"), "block rdd_12_3 lost, id <id>"),
        "%s", key("block rdd_12_3 lost, id 3f2a9c1e-1d2b-4c5d-9e8f-0123456789ab"));
  /* names keep their digits; different causes differ */
  CHECK(!strcmp(key("Log4j2 on x86_64 failed"), "Log4j2 on x86_64 failed"), "%s", key("Log4j2 on x86_64 failed"));
  CHECK(strcmp(key("java.lang.OutOfMemoryError: Java heap space"), "java.lang.NullPointerException") != 0, "apart");
  CHECK(!strcmp(key("Lost task 3.0 in stage 7.0 (TID 812)"), "Lost task <n>.<n> in stage <n>.<n> (TID <n>)"), "%s",
        key("Lost task 3.0 in stage 7.0 (TID 812)"));
  /* NULL, empty, and a key longer than the buffer is cut, still terminated */
  CHECK(!strcmp(key(NULL), ""), "null");
  char small[8];
  sic_failure_key("abcdefghijklmnop", small, sizeof small);
  CHECK(strlen(small) == 7, "truncated: %s", small);
  return CHECK_RESULT();
}
