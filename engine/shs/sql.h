/* The History Server's SQL resource (/applications/<id>[/<attempt>]/sql[/<executionId>]) as
 * Spark 3.5's SqlResource serves it: executions with their plan graph (SparkPlanGraph node
 * and edge numbering, WholeStageCodegen clusters) and metric values rendered like
 * SQLMetrics.stringValue. Internal to engine/shs.
 *
 * Ownership: shs_sql_values_build allocates a table that shs_sql_values_free releases; the
 * strings shs_sql_value returns belong to the table. */
#ifndef SIC_SHS_SQL_H
#define SIC_SHS_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "eventlog/eventlog.h"
#include "model/model.h"

/* SQLMetrics metric types. */
enum { SHS_MT_SUM = 0, SHS_MT_SIZE, SHS_MT_TIMING, SHS_MT_NS_TIMING, SHS_MT_AVERAGE };

/* Display values of one execution, computed when its SQLExecutionEnd was replayed. */
typedef struct shs_sql_exec_values {
  int64_t *ids;                  /* accumulator ids, ascending */
  char **values;                 /* parallel to ids; NULL = no value (Spark omits the metric) */
  int32_t n;                     /* entries */
  int32_t ended;                 /* 1 when the execution ended (else Spark has no values) */
} shs_sql_exec_values;

typedef struct shs_sql_values {
  shs_sql_exec_values *execs;    /* parallel to sic_app.sqls */
  int64_t nexecs;
} shs_sql_values;

/* Replay the log of one attempt for its SQL metric values. 0 or SIC_E* (err names the part). */
int shs_sql_values_build(const sic_logset *set, const sic_app *a, int threads, shs_sql_values **out, sic_err *err);
void shs_sql_values_free(shs_sql_values *v);
/* Display value of accum_id in the execution at sql_row, NULL when Spark shows none. */
const char *shs_sql_value(const shs_sql_values *v, int64_t sql_row, int64_t accum_id);

/* Formats (exposed for tests): Utils.bytesToString, Utils.msDurationToString, and
 * SQLMetrics.stringValue over n values (reordered in place; task = stage, attempt, task id of
 * the largest value, NULL for driver-only values). The string is malloc'd. */
void shs_sql_bytes(int64_t size, char *out, size_t cap);
void shs_sql_duration(int64_t ms, char *out, size_t cap);
char *shs_sql_string_value(int type, int64_t *v, int64_t n, const int64_t *task);

/* Iteration order of a Scala 2.12 immutable Map/Set of Ints with more than four entries
 * (hash-trie order); smaller collections keep insertion order. */
uint64_t shs_scala_int_order(int32_t key);

#endif
