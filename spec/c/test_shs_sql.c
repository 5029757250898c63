/* Tests for the SQL resource's value formats (engine/shs/sql_values.c, render_sql.c): Spark's
 * Utils.bytesToString / msDurationToString, SQLMetrics.stringValue per metric type, and the
 * iteration order of Scala 2.12 immutable Int maps (job id lists). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shs/sql.h"

static int failures;

#define EXPECT_STR(got, want)                                                            \
  do {                                                                                   \
    if (strcmp((got), (want))) {                                                         \
      fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, (got), (want)); \
      failures++;                                                                        \
    }                                                                                    \
  } while (0)

static void bytes(int64_t v, const char *want) {
  char b[64];
  shs_sql_bytes(v, b, sizeof b);
  EXPECT_STR(b, want);
}

static void duration(int64_t v, const char *want) {
  char b[64];
  shs_sql_duration(v, b, sizeof b);
  EXPECT_STR(b, want);
}

static void value(int type, const int64_t *in, int64_t n, const int64_t *task, const char *want) {
  int64_t v[16];
  memcpy(v, in, (size_t)n * sizeof *v);
  char *s = shs_sql_string_value(type, v, n, task);
  EXPECT_STR(s ? s : "(null)", want);
  free(s);
}

int main(void) {
  bytes(0, "0.0 B");
  bytes(2047, "2047.0 B");
  bytes(2048, "2.0 KiB");
  bytes(1572864, "1536.0 KiB");  /* below 2 MiB stays in KiB */
  bytes(10LL << 30, "10.0 GiB");
  bytes(2304, "2.3 KiB");        /* 2.25 rounds half up, as Java's Formatter does */
  duration(0, "0 ms");
  duration(999, "999 ms");
  duration(1000, "1.0 s");
  duration(1250, "1.3 s");
  duration(59999, "60.0 s");
  duration(60000, "1.0 m");
  duration(3600000, "1.00 h");

  const int64_t sums[] = {1000, 2000, 3};
  value(SHS_MT_SUM, sums, 3, NULL, "3,003");
  const int64_t neg[] = {-1234567};
  value(SHS_MT_SUM, neg, 1, NULL, "-1,234,567");
  const int64_t sizes[] = {4096, 0, 2048};
  const int64_t task[] = {1, 0, 7};
  value(SHS_MT_SIZE, sizes, 3, task, "total (min, med, max (stageId: taskId))\n6.0 KiB (0.0 B, 2.0 KiB, 4.0 KiB (stage 1.0: task 7))");
  const int64_t one[] = {-1, 5};
  value(SHS_MT_TIMING, one, 2, task, "5 ms");
  value(SHS_MT_TIMING, one, 0, NULL, "0 ms");
  const int64_t ns[] = {2500000000LL};
  value(SHS_MT_NS_TIMING, ns, 1, NULL, "2.5 s");
  const int64_t avg[] = {15, 0, 20, 30};
  value(SHS_MT_AVERAGE, avg, 4, task, "(min, med, max (stageId: taskId)):\n(1.5, 2, 3 (stage 1.0: task 7))");
  value(SHS_MT_AVERAGE, avg, 1, NULL, "1.5");
  const int64_t drv[] = {10, 20};
  value(SHS_MT_TIMING, drv, 2, NULL, "total (min, med, max (stageId: taskId))\n30 ms (10 ms, 20 ms, 20 ms (driver))");

  /* Scala 2.12: Set(1, 2, 3, 4, 5) iterates as 5, 1, 2, 3, 4 */
  int32_t ids[] = {1, 2, 3, 4, 5};
  int32_t first = ids[0];
  for (int i = 1; i < 5; i++)
    if (shs_scala_int_order(ids[i]) < shs_scala_int_order(first)) first = ids[i];
  if (first != 5) { fprintf(stderr, "scala order: first %d, want 5\n", first); failures++; }
  for (int i = 1; i < 4; i++)
    if (shs_scala_int_order(ids[i - 1]) > shs_scala_int_order(ids[i])) { fprintf(stderr, "scala order 1..4\n"); failures++; }

  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
