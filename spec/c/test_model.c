/* Model tests over every real event log in ../shared/data/real/spark-events.
 *
 * The expected facts in LOGS[] were computed independently with Python's json module over
 * the same files (decompressed with zstdcat/gzip/unzip; multi-part logs read part by part),
 * using the History Server's rules (accums and ck: tools/model_facts.py reproduces them):
 *   jobs    distinct "Job ID" of JobStart
 *   stages  distinct (Stage ID, Stage Attempt ID) in JobStart Stage Infos, StageSubmitted,
 *           StageCompleted, TaskStart and TaskEnd
 *   tasks   distinct "Task ID" of TaskStart/TaskEnd; failed = the last TaskEnd's Task Info has
 *           "Failed": true, ignoring "Resubmitted" for a task that had already ended
 *   execs   distinct executor ids in ExecutorAdded/Removed, BlockManagerAdded and Task Info
 *   nodes   sparkPlanInfo nodes of SQLExecutionStart + SQLAdaptiveExecutionUpdate
 *   accums  accumulator ids with an integer update in a TaskEnd with Reason "Success" or in
 *           DriverAccumUpdates, but Spark's task-metric accumulators ("internal.metrics.*",
 *           kept per task instead); ck = sum(id * 31 + total) mod 2^61 over them
 * Besides the table: diagnostics for malformed and truncated input, error texts, derived
 * fields (job names, stage task slices, executors known only from tasks), and a generated
 * garbage log that must not crash the loader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "json/scan.h"
#include "model/builder.h"
#include "model/model.h"

typedef struct log_facts {
  const char *path;           /* under spark-events/ */
  const char *app_id;         /* "App ID" or NULL */
  const char *name;           /* "App Name" or NULL */
  int64_t start, end;         /* ApplicationStart/End timestamps, -1 */
  int64_t events, malformed;  /* parsed lines, unparsable lines */
  int64_t jobs, stages, tasks, failed, execs, sqls, nodes, accums, unused;
  int64_t ck;                 /* accumulator checksum (see above) */
} log_facts;

static const log_facts LOGS[] = {
    {"dr-elephant/event_log_1", "application_1457600942802_0093", "PythonPi", 1458126354336, 1458126409609, 33, 0, 1, 1, 10, 0, 3, 0, 0, 0, 0, 0LL},
    {"dr-elephant/event_log_2", "application_1", "app", 1475761112578, -1, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark-extra/application_1506645932520_24630151", "application_1506645932520_24630151", "Spark shell", 1524182082734, 1524182189134, 63, 0, 1, 3, 9, 0, 8, 3, 8, 22, 0, 1016109951LL},
    {"spark-extra/application_1536831636016_59384_1", "application_1536831636016_59384", "Spark Pi", 1546922023607, 1546922038745, 214, 0, 1, 1, 100, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark-extra/application_1538416563558_0014", "application_1538416563558_0014", "PythonBisectingKMeansExample", 1538440959580, 1538441042338, 190, 0, 8, 14, 35, 8, 10, 0, 0, 0, 0, 0LL},
    {"spark-extra/last-attempt-incomplete/application_1656321732247_0006_1", "application_1656321732247_0006", "PythonPi", 1656322530893, 1656322538998, 10, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark-extra/last-attempt-incomplete/application_1656321732247_0006_2", "application_1656321732247_0006", "PythonPi", 1656322543203, -1, 9, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark-extra/local-1596020211915", "local-1596020211915", "StructuredKafkaWordCount", 1596020210919, 1596020226301, 160, 0, 8, 16, 24, 0, 1, 24, 360, 287, 0, 65475701LL},
    {"spark-extra/previous-attempt-incomplete/application_1656321732247_0006_1", "application_1656321732247_0006", "PythonPi", 1656322530893, -1, 9, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark-extra/previous-attempt-incomplete/application_1656321732247_0006_2", "application_1656321732247_0006", "PythonPi", 1656322543203, 1656322552688, 10, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark-rapids-tools/e2e-event_logs/gpu_eventlog.zstd", "local-1621955976602", "Rapids Spark Profiling Tool Unit Tests", 1621955975829, 1621955986248, 38, 0, 1, 1, 12, 0, 1, 1, 14, 12, 0, 508577029LL},
    {"spark-rapids-tools/e2e-event_logs/incorrect_app_status_eventlog.zstd", "local-1629446106683", NULL, -1, 1629446123470, 32, 0, 2, 2, 7, 0, 1, 1, 2, 8, 0, 33344LL},
    {"spark-rapids-tools/e2e-event_logs/join_agg_on_yarn_eventlog.zstd", "application_1724877841851_0016", "ProcessLargeDataset", 1724884673574, 1724884717231, 277, 0, 5, 6, 107, 0, 11, 1, 98, 65, 0, 2925428323LL},
    {"spark-rapids-tools/e2e-event_logs/photon_eventlog.zstd", "local-1629446106683", "Spark shell", 1629446105772, 1629446123470, 33, 0, 2, 2, 7, 0, 1, 1, 2, 8, 0, 33344LL},
    {"spark-rapids-tools/e2e-event_logs/streaming_eventlog.zstd", "local-1629446106683", "Spark shell", 1629446105772, 1629446123470, 36, 0, 2, 2, 7, 0, 1, 1, 2, 8, 0, 33344LL},
    {"spark-rapids-tools/spark-events-profiling/dataset_eventlog", "local-1621955976602", "Rapids Spark Profiling Tool Unit Tests", 1621955975829, 1621955986248, 38, 0, 1, 1, 12, 0, 1, 1, 14, 12, 0, 508577029LL},
    {"spark-rapids-tools/spark-events-profiling/eventlog-gpu-dsv1.zstd", "local-1644936233661", "Spark shell", 1644936232992, 1644936855611, 64, 0, 7, 7, 7, 0, 1, 5, 13, 56, 0, 347388148LL},
    {"spark-rapids-tools/spark-events-profiling/eventlog-gpu-dsv2.zstd", "local-1645025251529", "Spark shell", 1645025250832, 1645025387815, 60, 0, 7, 7, 7, 0, 1, 5, 15, 42, 0, 407517737LL},
    {"spark-rapids-tools/spark-events-profiling/eventlog_dsv1.zstd", "local-1624371544219", "Spark shell", 1624371543616, 1624371718909, 129, 0, 9, 9, 31, 0, 1, 7, 19, 42, 0, 288778499LL},
    {"spark-rapids-tools/spark-events-profiling/eventlog_dsv2.zstd", "local-1624371906627", "Spark shell", 1624371906039, 1624371989777, 127, 0, 9, 9, 31, 0, 1, 9, 31, 25, 0, 97532954LL},
    {"spark-rapids-tools/spark-events-profiling/eventlog_minimal_events", "local-1619631016646", "Spark shell", 1619631015570, 1619631182405, 75, 0, 6, 10, 10, 0, 1, 6, 33, 138, 0, 1260062282LL},
    {"spark-rapids-tools/spark-events-profiling/gds_ucx_eventlog.zstd", "local-1624492787223", "Spark shell", 1624492786051, 1624492815028, 1277, 0, 6, 18, 617, 0, 1, 2, 24, 101, 0, 1823402997LL},
    {"spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd", "application_1603128018386_7759", "Spark shell", 1622846324825, 1622846444815, 476, 1, 2, 5, 217, 0, 10, 1, 28, 49, 0, 28903024444LL},
    {"spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", "application_1701380218879_0007", "NDS - Power Run", 1701388005972, 1701388076153, 26827, 0, 36, 39, 13297, 0, 9, 25, 149, 150, 0, 589289592223LL},
    {"spark-rapids-tools/spark-events-profiling/nds_q66_gpu.zstd", "application_1701368813061_0008", "NDS - Power Run", 1701371456937, 1701371566477, 26214, 0, 37, 41, 12987, 0, 9, 25, 113, 431, 0, 2234178964843LL},
    {"spark-rapids-tools/spark-events-profiling/rapids_join_eventlog.zstd", "local-1622814619968", "Spark shell", 1622814619313, 1622814633067, 444, 0, 1, 4, 213, 0, 1, 1, 24, 83, 0, 20553943456LL},
    {"spark-rapids-tools/spark-events-profiling/rapids_join_eventlog2.zstd", "local-1622821994212", "Spark shell", 1622821993556, 1622822008566, 444, 0, 1, 4, 213, 0, 1, 1, 24, 83, 0, 20425186180LL},
    {"spark-rapids-tools/spark-events-profiling/rp_nosql_eventlog", "application_1603128018386_7756", "Spark shell", 1622840301967, 1622840361607, 25, 0, 1, 1, 4, 0, 4, 0, 0, 0, 0, 0LL},
    {"spark-rapids-tools/spark-events-profiling/rp_sql_eventlog.zstd", "application_1603128018386_7759", "Spark shell", 1622846324825, 1622846444815, 477, 0, 2, 5, 217, 0, 10, 1, 28, 49, 0, 28903024444LL},
    {"spark-rapids-tools/spark-events-profiling/spark2-eventlog.zstd", "local-1634253215009", "Spark shell", 1634253214010, 1634253261073, 58, 0, 6, 6, 6, 0, 1, 4, 31, 38, 0, 133321LL},
    {"spark-rapids-tools/spark-events-profiling/tasks_executors_fail_compressed_eventlog.zstd", "application_1603128018386_7846", "Spark shell", 1623285329454, 1623285426936, 17717, 0, 75, 230, 8580, 3, 9, 28, 336, 1029, 0, 49974702343LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_2nodes_8cores", "local-1622043423011", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_3nodes_12cores_exec_removed", "local-1622043423015", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 69, 0, 2, 5, 24, 0, 4, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_3nodes_12cores_multiple_executors", "local-1651187225439", "Spark shell", 1651187224195, 1651187579832, 40, 0, 3, 3, 3, 0, 5, 2, 14, 12, 0, 21873LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_3nodes_12cores_variable_cores", "local-1622043423010", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 67, 0, 2, 5, 24, 0, 4, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_driver_only", "local-1623876083964", "Spark shell", 1651187224195, 1651187579832, 30, 0, 3, 3, 3, 0, 1, 2, 14, 12, 0, 21873LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/platform/databricks-aws", "local-1726394182053-db", "Spark shell", 1651187224195, 1651187579832, 35, 0, 3, 3, 3, 0, 3, 2, 14, 12, 0, 21873LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/platform/databricks-azure", "local-1726394182053-db", "Spark shell", 1651187224195, 1651187579832, 35, 0, 3, 3, 3, 0, 3, 2, 14, 12, 0, 21873LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/platform/dataproc", "local-1622043423016", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/platform/emr", "local-1622043423017", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/cluster_information/platform/onprem", "local-1622043423013", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/complex_dec_eventlog.zstd", "local-1626104300434", "Spark shell", 1626104299853, 1626104430957, 187, 0, 21, 21, 36, 1, 1, 8, 42, 46, 0, 551144LL},
    {"spark-rapids-tools/spark-events-qualification/createdatasourcetable_eventlog.zstd", "local-1651677538590", "Spark shell", 1651677537988, 1651677692895, 30, 0, 1, 1, 6, 0, 1, 1, 5, 6, 0, 605760LL},
    {"spark-rapids-tools/spark-events-qualification/customshuffle_eventlog.zstd", "local-1651694353770", "Spark shell", 1651694353148, 1651694384149, 82, 0, 4, 9, 26, 0, 1, 1, 104, 47, 0, 3468577658LL},
    {"spark-rapids-tools/spark-events-qualification/dataset_eventlog", "local-1651187225439", "Spark shell", 1651187224195, 1651187579832, 31, 0, 3, 3, 3, 0, 1, 2, 14, 12, 0, 21873LL},
    {"spark-rapids-tools/spark-events-qualification/dsAndDf_eventlog.zstd", "local-1622043423018", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, 1622043438662, 1352, 0, 4, 13, 651, 0, 1, 4, 94, 136, 0, 87746394249LL},
    {"spark-rapids-tools/spark-events-qualification/empty_eventlog", "local-1623263471760", "Spark shell", 1629446106202, 1629446129139, 7, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark-rapids-tools/spark-events-qualification/eventlog_complex_dec_nested", "local-1630551716813", "Spark shell", 1630551715882, 1630551854902, 101, 0, 6, 6, 27, 0, 1, 5, 16, 32, 0, 120551LL},
    {"spark-rapids-tools/spark-events-qualification/eventlog_nested_dsv2", "local-1630045673160", "Spark shell", 1630045672277, 1630045693477, 32, 0, 2, 2, 7, 0, 1, 1, 5, 6, 0, 17802LL},
    {"spark-rapids-tools/spark-events-qualification/eventlog_same_app_id_1.zstd", "local-1622043423018", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/eventlog_same_app_id_2.zstd", "local-1622043423018", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 65, 0, 2, 5, 24, 0, 3, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/global_local_limit_eventlog.zstd", "local-1651595332844", "Spark shell", 1651595331658, 1651595560835, 29, 0, 1, 2, 7, 0, 1, 1, 10, 11, 0, 258887395LL},
    {"spark-rapids-tools/spark-events-qualification/gpu_eventlog", "local-1621955976602", "Rapids Spark Profiling Tool Unit Tests", 1621955975829, 1621955986248, 38, 0, 1, 1, 12, 0, 1, 1, 14, 12, 0, 508577029LL},
    {"spark-rapids-tools/spark-events-qualification/java_udf_eventlog", "local-1774375930687", "JavaUDFJob", 1774375930441, 1774375932305, 27, 0, 2, 2, 2, 0, 1, 3, 9, 14, 0, 20731LL},
    {"spark-rapids-tools/spark-events-qualification/jdbc_eventlog.zstd", "app-20211019113801-0001", "Spark shell", 1634668680205, 1634669252172, 432, 0, 2, 4, 203, 0, 2, 3, 17, 33, 0, 2639774112LL},
    {"spark-rapids-tools/spark-events-qualification/join_missing_sql_end", "local-1622561780883", "Rapids Spark Profiling Tool Unit Tests", 1622561780210, 1622561787883, 443, 0, 1, 4, 213, 0, 1, 1, 28, 43, 0, 29515157783LL},
    {"spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_1_eventlog.zstd", "application_1724877841851_0016", "ProcessLargeDataset", 1724884534755, 1724884577419, 275, 0, 5, 6, 107, 0, 11, 1, 98, 65, 0, 2924754596LL},
    {"spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_2_eventlog.zstd", "application_1724877841851_0016", "ProcessLargeDataset", 1724884580522, 1724884622991, 277, 0, 5, 6, 107, 0, 11, 1, 98, 65, 0, 3078413431LL},
    {"spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_3_eventlog.zstd", "application_1724877841851_0016", "ProcessLargeDataset", 1724884626143, 1724884670404, 277, 0, 5, 6, 107, 0, 11, 1, 98, 65, 0, 2928659704LL},
    {"spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_4_eventlog.zstd", "application_1724877841851_0016", "ProcessLargeDataset", 1724884673574, 1724884717231, 277, 0, 5, 6, 107, 0, 11, 1, 98, 65, 0, 2925428323LL},
    {"spark-rapids-tools/spark-events-qualification/nested_type_eventlog", "local-1629446106683", "Spark shell", 1629446105772, 1629446123470, 33, 0, 2, 2, 7, 0, 1, 1, 2, 8, 0, 33344LL},
    {"spark-rapids-tools/spark-events-qualification/pandas_execs_eventlog.zstd", "local-1652317513972", "PySparkShell", 1652317512559, 1652317646307, 1323, 0, 5, 8, 640, 0, 1, 5, 31, 47, 0, 4016867333LL},
    {"spark-rapids-tools/spark-events-qualification/python_udf_eventlog", "local-1774375206936", "PythonUDFJob", 1774375206644, 1774375208728, 23, 0, 2, 2, 2, 0, 1, 1, 10, 18, 0, 34781LL},
    {"spark-rapids-tools/spark-events-qualification/rdd_only_eventlog", "local-1623280648631", "Spark shell", 1623280648014, 1623280717022, 13, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark-rapids-tools/spark-events-qualification/truncated_eventlog", "local-1622043423018", "Rapids Spark Profiling Tool Unit Tests", 1622043422343, -1, 62, 0, 2, 5, 24, 0, 1, 2, 38, 19, 0, 1195282656LL},
    {"spark-rapids-tools/spark-events-qualification/udf_dataset_eventlog", "local-1651188809790", "Spark shell", 1651188808498, 1651188974713, 31, 0, 3, 3, 3, 0, 1, 2, 10, 11, 0, 19344LL},
    {"spark-rapids-tools/spark-events-qualification/udf_func_eventlog", "local-1623281204390", "Rapids Spark Profiling Tool Unit Tests", 1623281203706, 1623281209946, 178, 0, 9, 9, 54, 0, 1, 9, 24, 45, 0, 190913LL},
    {"spark-rapids-tools/spark-events-qualification/writeformat_eventlog", "local-1629442299891", "Spark shell", 1629442298969, 1629442318523, 53, 0, 5, 5, 5, 0, 1, 4, 20, 48, 0, 131576LL},
    {"spark-rapids-tools/spark-events-qualification/xgboost_eventlog.zstd", "app-20221221223542-0001", "Databricks Shell", 1671662138929, -1, 379, 0, 9, 19, 155, 0, 3, 5, 34, 76, 0, 3311443626LL},
    {"spark/app-20161115172038-0000", "app-20161115172038-0000", "Spark shell", 1479252037079, 1479252138874, 75, 0, 1, 1, 26, 10, 5, 0, 0, 0, 0, 0LL},
    {"spark/app-20161116163331-0000", "app-20161116163331-0000", "Spark shell", 1479335609916, 1479335620587, 68, 0, 1, 1, 24, 8, 5, 0, 0, 0, 0, 0LL},
    {"spark/app-20180109111548-0000", "app-20180109111548-0000", "Spark shell", 1515492942372, 1515493477606, 59, 0, 1, 2, 22, 2, 2, 0, 0, 0, 0, 0LL},
    {"spark/app-20200706201101-0003", "app-20200706201101-0003", "Spark shell", 1594091460235, 1594091824231, 124, 0, 3, 3, 48, 0, 2, 1, 12, 15, 0, 8230392LL},
    {"spark/application_1516285256255_0012", "application_1516285256255_0012", "Spark shell", 1516300235119, 1516300707938, 71, 0, 1, 2, 24, 4, 5, 0, 0, 0, 0, 0LL},
    {"spark/application_1553914137147_0018", "application_1553914137147_0018", "LargeBlocks", 1554755984286, 1554756046454, 44, 0, 3, 3, 6, 0, 4, 0, 0, 0, 0, 0LL},
    {"spark/application_1555004656427_0144", "application_1555004656427_0144", "Spark shell", 1562101337180, 1562101355974, 10, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0LL},
    {"spark/application_1578436911597_0052", "application_1578436911597_0052", "Spark shell", 1578764662851, 1578764802615, 27, 0, 1, 1, 6, 0, 2, 0, 0, 0, 0, 0LL},
    {"spark/application_1628109047826_1317105", "application_1628109047826_1317105", "Spark shell", 1628637895333, 1628638170208, 52, 0, 1, 1, 5, 0, 11, 0, 0, 0, 0, 0LL},
    {"spark/local-1422981759269", "local-1422981759269", "Spark shell", 1422981758277, 1422981766912, 88, 0, 4, 6, 33, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1422981780767", "local-1422981780767", "Spark shell", 1422981779720, 1422981788731, 82, 0, 3, 4, 32, 1, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1425081759269", "local-1425081759269", "Spark shell", 1425081758277, 1425081766912, 88, 0, 4, 6, 33, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1426533911241", "local-1426533911241", "Spark shell", 1426533910242, 1426533945177, 24, 0, 1, 1, 8, 0, 1, 0, 0, 1, 0, 5081LL},
    {"spark/local-1426633911242", "local-1426533911241", "Spark shell", 1426633910242, 1426633945177, 24, 0, 1, 1, 8, 0, 1, 0, 0, 1, 0, 5081LL},
    {"spark/local-1430917381534", "local-1430917381534", "Spark shell", 1430917380893, 1430917391398, 231, 0, 1, 2, 110, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1430917381535_1", "local-1430917381535", "Spark shell", 1430917380880, 1430917380890, 5, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1430917381535_2", "local-1430917381535", "Spark shell", 1430917380893, 1430917380950, 5, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark/local-1642039451826", "local-1642039451826", "Spark shell", 1642039450519, 1642039536564, 115, 0, 6, 12, 35, 0, 1, 2, 84, 52, 0, 310260403LL},
    {"sparklens/local-1532512550423", "local-1532512550423", "Spark shell", 1532512549494, 1532512565469, 30, 0, 2, 2, 8, 0, 1, 0, 0, 0, 0, 0LL},
    {"sparklint/directory_source/event_log_0", "application_1462781278026_205691", "MyAppName", 1466087746466, 1466088058982, 431, 0, 3, 3, 204, 0, 4, 0, 0, 0, 0, 0LL},
    {"sparklint/directory_source/event_log_1", "application_1472176676028_116806", "ReduceByKey8cores", 1473189732922, 1473189806759, 226, 0, 4, 9, 99, 1, 3, 0, 0, 5, 0, 802283691LL},
    {"sparklint/event_logs/application_1472176676028_407508_1", "application_1472176676028_407508", "junoHourly-2016-10-05:21", 1475705499283, 1475708049709, 1497, 0, 7, 12, 612, 0, 59, 0, 0, 3, 0, 680708753LL},
    {"sparklint/file_event_log_test_nav_events", "file_event_log_test_nav_events", NULL, -1, -1, 16, 0, 1, 3, 4, 0, 1, 0, 0, 0, 0, 0LL},
    {"sparklint/file_event_log_test_simple", "file_event_log_test_simple", NULL, -1, -1, 5, 0, 0, 1, 5, 0, 1, 0, 0, 0, 0, 0LL},
    {"sparklint/file_event_log_test_state_events", "application_1462781278026_205691", "MyAppName", 1466087746466, -1, 9, 0, 0, 1, 5, 0, 2, 0, 0, 0, 0, 0LL},
    {"sparklint/spark_event_log_example", "application_1462781278026_205691", "MyAppName", 1466087746466, 1466088058982, 431, 0, 3, 3, 204, 0, 4, 0, 0, 0, 0, 0LL},
    {"spark-extra/legacy-multifile-format/local-1425081759269", "local-1425081759269", "Spark shell", 1425081758277, 1425081766912, 88, 0, 4, 6, 33, 0, 1, 0, 0, 0, 0, 0LL},
    {"spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964", "local-1623876083964", "Spark shell", 1623876083370, 1623876217227, 5621, 0, 1, 4, 2801, 0, 1, 1, 28, 43, 0, 291699476625LL},
    {"spark-rapids-tools/spark-events-qualification/db_sim_eventlog", "local-1623876083964", "Spark shell", 1623876083370, 1623876217227, 5621, 0, 1, 4, 2801, 0, 1, 1, 28, 43, 0, 291699476625LL},
    {"sparklint/history_source/eventLogs-application_1489705648216_1600.zip", "application_1489705648216_1600", "SEM_Feed_Generator", 1490175603867, 1490175746434, 289, 0, 3, 4, 116, 0, 20, 0, 0, 0, 0, 0LL},
};

static char data_dir[4096];

static int64_t accum_checksum(const sic_app *a, int64_t *n) {
  uint64_t ck = 0;
  *n = 0;
  for (int64_t i = 0; i < a->naccums; i++) {
    if (a->accums[i].count == 0) continue;
    (*n)++;
    ck += (uint64_t)a->accums[i].accum_id * 31u + (uint64_t)a->accums[i].sum;
  }
  return (int64_t)(ck & ((UINT64_C(1) << 61) - 1));
}

static sic_app *load(const char *rel) {
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", data_dir, rel);
  sic_app *a = NULL;
  sic_err err = {0};
  int rc = sic_app_load_path(path, NULL, &a, &err);
  CHECK(rc == 0, "load %s: %s", rel, err.msg);
  return rc == 0 ? a : NULL;
}

static void check_facts(const log_facts *f) {
  sic_app *a = load(f->path);
  if (!a) return;
  int64_t failed = 0, naccums;
  for (int64_t i = 0; i < a->tasks.n; i++) failed += a->tasks.status[i] == SIC_TASK_FAILED;
  int64_t ck = accum_checksum(a, &naccums);
#define FACT(got, want) CHECK((int64_t)(got) == (int64_t)(want), "%s: %s = %lld, expected %lld", f->path, #got, (long long)(got), (long long)(want))
  FACT(a->events, f->events);
  FACT(a->malformed_lines, f->malformed);
  FACT(a->njobs, f->jobs);
  FACT(a->nstages, f->stages);
  FACT(a->tasks.n, f->tasks);
  FACT(failed, f->failed);
  FACT(a->nexecutors, f->execs);
  FACT(a->nsqls, f->sqls);
  FACT(a->nplan_nodes, f->nodes);
  FACT(naccums, f->accums);
  FACT(ck, f->ck);
  FACT(a->start_time, f->start);
  FACT(a->end_time, f->end);
  FACT(a->complete, f->end >= 0 || strstr(f->path, "eventlog_v2") || strstr(f->path, "legacy"));
  const char *id = sic_str(a, a->app_id), *name = sic_str(a, a->name);
  CHECK((!id && !f->app_id) || (id && f->app_id && !strcmp(id, f->app_id)), "%s: app id %s", f->path, id ? id : "-");
  CHECK((!name && !f->name) || (name && f->name && !strcmp(name, f->name)), "%s: name %s", f->path, name ? name : "-");
  /* invariants every model must satisfy */
  int64_t slice_total = 0;
  for (int64_t s = 0; s < a->nstages; s++) {
    const sic_stage *st = &a->stages[s];
    if (s) CHECK(st[-1].stage_id < st->stage_id || (st[-1].stage_id == st->stage_id && st[-1].attempt_id < st->attempt_id), "%s: stages sorted", f->path);
    slice_total += st->tasks.n;
    for (int32_t i = 0; i < st->tasks.n; i++) {
      int64_t row = a->stage_task_rows[st->tasks.off + i];
      CHECK(sic_task_stage(a, row) == s, "%s: stage slice", f->path);
      if (i) CHECK(a->stage_task_rows[st->tasks.off + i - 1] < row, "%s: TaskStart order", f->path);
    }
    CHECK(sic_app_stage(a, st->stage_id, st->attempt_id) == st, "%s: stage lookup", f->path);
  }
  CHECK(slice_total == a->tasks.n, "%s: every task in a stage slice", f->path);
  for (int64_t j = 1; j < a->njobs; j++) CHECK(a->jobs[j - 1].job_id < a->jobs[j].job_id, "%s: jobs sorted", f->path);
  for (int64_t j = 1; j < a->naccums; j++) CHECK(a->accums[j - 1].accum_id < a->accums[j].accum_id, "%s: accums sorted", f->path);
  for (int64_t i = 0; i < a->tasks.n; i++) {
    CHECK(sic_task_executor(a, i) >= 0 && sic_task_executor(a, i) < a->nexecutors, "%s: task executor row", f->path);
    if (sic_task_peak(a, i) >= 0) CHECK(sic_task_peak(a, i) < a->npeaks, "%s: task peak row", f->path);
  }
  CHECK(sic_app_memory(a) > 0);
  sic_app_free(a);
}

/* One malformed line: reported with its line number and byte offset, the rest is kept. */
static void test_malformed(void) {
  sic_app *a = load("spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd");
  if (!a) return;
  CHECK_EQ_INT(a->malformed_lines, 1);
  CHECK_EQ_INT(a->ndiags, 1);
  if (a->ndiags >= 1) {
    CHECK_EQ_INT(a->diags[0].kind, SIC_DIAG_MALFORMED_LINE);
    CHECK_EQ_INT(a->diags[0].line, 4);
    CHECK(strstr(sic_str(a, a->diags[0].message), "at byte 42") != NULL, "message: %s", sic_str(a, a->diags[0].message));
  }
  CHECK_EQ_INT(a->tasks.n, 217);
  CHECK_EQ_INT(a->env_spark.n, 0); /* the broken line was the EnvironmentUpdate */
  CHECK(a->complete);
  sic_app_free(a);
}

/* The real truncated log ends at a line boundary: incomplete, its tasks kept. */
static void test_truncated_real(void) {
  sic_app *a = load("spark-rapids-tools/spark-events-qualification/truncated_eventlog");
  if (!a) return;
  CHECK(!a->complete);
  CHECK_EQ_INT(a->tasks.n, 24);
  CHECK_EQ_INT(a->end_time, -1);
  sic_app_free(a);
}

static void write_tmp(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL, "cannot write %s", path);
  if (!f) return;
  fwrite(data, 1, len, f);
  fclose(f);
}

/* A log cut in the middle of a line: the partial last line is TRUNCATED_LINE, the model is
 * marked truncated and keeps everything before it. */
static void test_truncated_mid_line(void) {
  char src[8192], tmp[] = "/tmp/sic_test_model_XXXXXX";
  snprintf(src, sizeof src, "%s/spark/local-1430917381534", data_dir);
  size_t len;
  char *buf = check_read_file(src, &len);
  CHECK(buf != NULL);
  if (!buf) return;
  size_t cut = len * 2 / 3;
  while (cut > 0 && buf[cut - 1] == '\n') cut--;
  size_t lines = 0;
  for (size_t i = 0; i < cut; i++) lines += buf[i] == '\n';
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  if (fd < 0) { free(buf); return; }
  close(fd);
  write_tmp(tmp, buf, cut);
  sic_app *a = NULL;
  sic_err err = {0};
  CHECK_EQ_INT(sic_app_load_path(tmp, NULL, &a, &err), 0);
  if (a) {
    CHECK(a->truncated);
    CHECK(!a->complete);
    CHECK_EQ_INT(a->events, (int64_t)lines);
    CHECK_EQ_INT(a->malformed_lines, 1);
    CHECK(a->ndiags == 1 && a->diags[0].kind == SIC_DIAG_TRUNCATED_LINE && a->diags[0].line == (int64_t)lines + 1);
    CHECK(a->tasks.n > 0);
    sic_app_free(a);
  }
  unlink(tmp);
  free(buf);
}

/* A log still being written (".inprogress", no ApplicationEnd yet) is in progress, not
 * complete, and not truncated when it ends on a line boundary. */
static void test_in_progress(void) {
  char src[8192], tmp[] = "/tmp/sic_test_inprog_XXXXXX", path[64];
  snprintf(src, sizeof src, "%s/spark/local-1430917381534", data_dir);
  size_t len;
  char *buf = check_read_file(src, &len);
  CHECK(buf != NULL);
  if (!buf || !mkdtemp(tmp)) { free(buf); return; }
  size_t cut = len / 3;
  while (cut < len && buf[cut - 1] != '\n') cut++;
  snprintf(path, sizeof path, "%s/app-1.inprogress", tmp);
  write_tmp(path, buf, cut);
  sic_app *a = NULL;
  sic_err err = {0};
  CHECK_EQ_INT(sic_app_load_path(path, NULL, &a, &err), 0);
  if (a) {
    CHECK(a->in_progress && !a->complete && !a->truncated);
    CHECK_EQ_INT(a->malformed_lines, 0);
    CHECK_EQ_INT(a->end_time, -1);
    sic_app_free(a);
  }
  unlink(path);
  rmdir(tmp);
  free(buf);
}

/* A compressed log cut in the middle of a frame: a READ_ERROR diagnostic, the model keeps
 * every event decoded before the cut and is marked truncated. */
static void test_read_error(void) {
  char src[8192], tmp[] = "/tmp/sic_test_readerr_XXXXXX", path[64];
  snprintf(src, sizeof src, "%s/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", data_dir);
  size_t len;
  char *buf = check_read_file(src, &len);
  CHECK(buf != NULL);
  if (!buf || !mkdtemp(tmp)) { free(buf); return; }
  snprintf(path, sizeof path, "%s/cut.zstd", tmp);
  write_tmp(path, buf, len / 2);
  sic_app *a = NULL;
  sic_err err = {0};
  CHECK_EQ_INT(sic_app_load_path(path, NULL, &a, &err), 0);
  if (a) {
    CHECK(a->truncated && !a->complete);
    CHECK(a->events > 1000 && a->tasks.n > 1000, "events %lld", (long long)a->events);
    CHECK(a->tasks.n < 13297); /* the whole log has 13297 */
    CHECK(a->ndiags >= 1 && a->diags[a->ndiags - 1].kind == SIC_DIAG_READ_ERROR);
    if (a->ndiags >= 1) CHECK(strstr(sic_str(a, a->diags[a->ndiags - 1].message), "cut.zstd") != NULL);
    sic_app_free(a);
  }
  unlink(path);
  rmdir(tmp);
  free(buf);
}

/* Garbage derived from a real log, line by line (bytes flipped, lines cut, braces removed,
 * values replaced by other types): the loader must not crash, and counts stay consistent. */
static void test_garbage(void) {
  char src[8192], tmp[] = "/tmp/sic_test_garbage_XXXXXX";
  snprintf(src, sizeof src, "%s/spark/local-1642039451826", data_dir);
  size_t len;
  char *buf = check_read_file(src, &len);
  CHECK(buf != NULL);
  if (!buf) return;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  char *out = malloc(len * 2 + 64);
  size_t o = 0, nlines = 0;
  for (size_t i = 0; i < len;) {
    size_t e = i;
    while (e < len && buf[e] != '\n') e++;
    size_t n = e - i;
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    switch (nlines == 0 ? 5 : rng % 6) { /* line 1 intact: the reader must still see a log */
    case 0: memcpy(out + o, buf + i, n); if (n) out[o + rng / 7 % n] ^= (char)(1 + rng / 11 % 255); o += n; break;
    case 1: memcpy(out + o, buf + i, n / 2); o += n / 2; break;
    case 2: if (n > 2) { memcpy(out + o, buf + i + 1, n - 2); o += n - 2; } break;
    case 3: { /* numbers become strings and strings become numbers */
      for (size_t k = i; k < e; k++) out[o++] = buf[k] == '"' ? '1' : (buf[k] >= '0' && buf[k] <= '9') ? '"' : buf[k];
      break;
    }
    default: memcpy(out + o, buf + i, n); o += n; break;
    }
    out[o++] = '\n';
    nlines++;
    i = e + 1;
  }
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  if (fd >= 0) {
    close(fd);
    write_tmp(tmp, out, o);
    sic_app *a = NULL;
    sic_err err = {0};
    int rc = sic_app_load_path(tmp, NULL, &a, &err);
    CHECK(rc == 0, "%s", err.msg);
    if (a) {
      CHECK(a->events + a->malformed_lines <= (int64_t)nlines);
      CHECK(a->malformed_lines > 0);
      CHECK(a->ndiags > 0 && a->ndiags <= 1000);
      for (int64_t i = 0; i < a->ndiags; i++) CHECK(a->diags[i].line >= 0 && a->diags[i].message >= 0);
      sic_app_free(a);
    }
    unlink(tmp);
  }
  free(out);
  free(buf);
}

/* Details the History Server shows, checked against the log text. */
static void test_details(void) {
  sic_app *a = load("spark/application_1516285256255_0012");
  if (a) {
    int seen = 0;
    for (int64_t i = 0; i < a->tasks.n; i++) {
      if (a->tasks.status[i] != SIC_TASK_FAILED) continue;
      const char *e = sic_str(a, sic_task_error(a, i));
      CHECK(e && !strncmp(e, "java.lang.RuntimeException: Bad executor\n\tat ", 44), "error text: %.60s", e ? e : "-");
      CHECK_EQ_STR(sic_str(a, sic_task_end_reason(a, i)), "ExceptionFailure");
      seen++;
    }
    CHECK_EQ_INT(seen, 4);
    const sic_job *j = sic_app_job(a, 0);
    CHECK(j && j->status == SIC_JOB_SUCCEEDED);
    sic_app_free(a);
  }
  /* Spark 1.2: no ExecutorAdded, executor known from tasks with the task's host */
  a = load("spark/local-1422981759269");
  if (a) {
    int32_t r = sic_app_executor_row(a, "<driver>");
    if (r < 0) r = sic_app_executor_row(a, "driver");
    CHECK(r >= 0);
    if (r >= 0) CHECK_EQ_STR(sic_str(a, a->executors[r].host), "localhost");
    CHECK(a->tasks.metric[SIC_TM_EXECUTOR_RUN_TIME].data != NULL);
    CHECK_EQ_INT(sic_col_get(&a->tasks.partition_id, 0), -1);
    /* job name = name of the job's last stage in its Stage Infos */
    for (int64_t k = 0; k < a->njobs; k++) {
      const sic_job *j = &a->jobs[k];
      int32_t last = -1;
      for (int32_t i = 0; i < j->stage_ids.n; i++)
        if (a->ints[j->stage_ids.off + i] > last) last = a->ints[j->stage_ids.off + i];
      const sic_stage *st = sic_app_stage_latest(a, last);
      CHECK(st && j->name == st->name);
      CHECK(st && st->jobs.n >= 1);
    }
    sic_app_free(a);
  }
  /* SQL: plans, AQE versions, metrics joined to accumulators */
  a = load("spark/local-1642039451826");
  if (a) {
    CHECK_EQ_INT(a->nsqls, 2);
    const sic_sql *q = sic_app_sql(a, 0);
    CHECK(q != NULL);
    if (q) {
      CHECK(q->aqe_updates > 0);
      CHECK(q->plan.off != q->initial_plan.off);
      CHECK_EQ_STR(sic_str(a, a->plan_nodes[q->plan.off].name), "AdaptiveSparkPlan");
      CHECK(q->jobs.n > 0);
      CHECK(q->end_time > q->start_time);
      int joined = 0;
      for (int32_t n = 0; n < q->plan.n; n++) {
        const sic_plan_node *pn = &a->plan_nodes[q->plan.off + n];
        for (int32_t m = 0; m < pn->metrics.n; m++)
          joined += sic_app_accum(a, a->plan_metrics[pn->metrics.off + m].accum_id) != NULL;
      }
      CHECK(joined > 0);
    }
    CHECK(a->env_spark.n > 0 && a->env_jvm.n > 0 && a->env_system.n > 0 && a->env_classpath.n > 0);
    sic_app_free(a);
  }
  /* stage-level peaks and blacklisting */
  a = load("spark/app-20200706201101-0003");
  if (a) {
    CHECK(a->nstage_exec_peaks > 0);
    int with_peak = 0;
    for (int64_t s = 0; s < a->nstages; s++) with_peak += a->stages[s].peak >= 0;
    CHECK(with_peak > 0);
    sic_app_free(a);
  }
  a = load("spark/app-20161115172038-0000");
  if (a) {
    int excluded = 0;
    for (int64_t e = 0; e < a->nexecutors; e++) excluded += a->executors[e].excluded_time > 0;
    CHECK(excluded > 0);
    CHECK_EQ_INT(a->bad_fields, 0);
    sic_app_free(a);
  }
  a = load("spark-rapids-tools/spark-events-profiling/tasks_executors_fail_compressed_eventlog.zstd");
  if (a) {
    int64_t resub = 0;
    for (int64_t s = 0; s < a->nstages; s++) resub += a->stages[s].resubmitted_tasks;
    CHECK_EQ_INT(resub, 50);
    sic_app_free(a);
  }
}

/* User accumulators (Spark 1.3 log): kept per task with their texts, as the History Server
 * lists them; internal and SQL ones are not. */
static void test_task_accums(void) {
  sic_app *a = load("spark/local-1426533911241");
  if (!a) return;
  CHECK_EQ_INT(a->ntask_accums, 8);
  int64_t sum = 0;
  for (int64_t i = 0; i < a->ntask_accums; i++) {
    const sic_task_accum *ta = &a->task_accums[i];
    CHECK_EQ_STR(sic_str(a, ta->name), "my counter");
    CHECK_EQ_INT(ta->accum_id, 1);
    if (i) CHECK(a->task_accums[i - 1].task_row <= ta->task_row);
    sum += strtoll(sic_str(a, ta->update), NULL, 10);
  }
  const sic_accum *ac = sic_app_accum(a, 1);
  CHECK(ac && ac->sum == sum && ac->count == 8 && ac->numeric, "sum %lld", (long long)sum);
  sic_app_free(a);
  a = load("spark/local-1642039451826"); /* Spark 3.3: only internal and SQL accumulables */
  if (a) {
    CHECK_EQ_INT(a->ntask_accums, 0);
    CHECK(a->naccums > 0);
    sic_app_free(a);
  }
}

/* Failure texts as Spark's TaskEndReason.toErrorString writes them. */
static void test_failure_texts(void) {
  static const char *lines[] = {
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":1,\"Task End Reason\":{\"Reason\":\"FetchFailed\",\"Block Manager Address\":{\"Executor ID\":\"3\",\"Host\":\"h3\",\"Port\":7337},\"Shuffle ID\":2,\"Map ID\":11,\"Map Index\":4,\"Reduce ID\":5,\"Message\":\"boom\"},\"Task Info\":{\"Task ID\":1,\"Failed\":true}}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":1,\"Task End Reason\":{\"Reason\":\"ExecutorLostFailure\",\"Executor ID\":\"9\",\"Exit Caused By App\":false,\"Loss Reason\":\"Container killed\"},\"Task Info\":{\"Task ID\":2,\"Failed\":true}}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":1,\"Task End Reason\":{\"Reason\":\"TaskCommitDenied\",\"Job ID\":3,\"Partition ID\":4,\"Attempt Number\":1},\"Task Info\":{\"Task ID\":3,\"Failed\":true}}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":1,\"Task End Reason\":{\"Reason\":\"ExceptionFailure\",\"Class Name\":\"java.lang.X\",\"Description\":\"d\",\"Stack Trace\":[{\"Declaring Class\":\"a.B\",\"Method Name\":\"m\",\"File Name\":\"B.java\",\"Line Number\":7},{\"Declaring Class\":\"a.C\",\"Method Name\":\"n\",\"File Name\":null,\"Line Number\":-2}]},\"Task Info\":{\"Task ID\":4,\"Failed\":true}}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":1,\"Task End Reason\":{\"Reason\":\"SomethingNew\"},\"Task Info\":{\"Task ID\":5,\"Failed\":true}}",
  };
  static const char *want[] = {
      "FetchFailed(BlockManagerId(3, h3, 7337, None), shuffleId=2, mapIndex=4, mapId=11, reduceId=5, message=\nboom\n)",
      "ExecutorLostFailure (executor 9 exited unrelated to the running tasks) Reason: Container killed",
      "TaskCommitDenied (Driver denied task commit) for job: 3, partition: 4, attemptNumber: 1",
      "java.lang.X: d\n        a.B.m(B.java:7)\n        a.C.n(Native Method)",
      NULL,
  };
  sic_builder *b = sic_builder_new(NULL);
  sic_builder_add_part(b, "mem", "none", 0);
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) sic_builder_feed_line(b, lines[i], strlen(lines[i]), 0, (int64_t)i + 1, 0);
  sic_app *a = sic_builder_finish(b);
  CHECK_EQ_INT(a->tasks.n, 5);
  CHECK_EQ_INT(a->malformed_lines, 0);
  for (int64_t i = 0; i < a->tasks.n && i < 5; i++) {
    if (want[i]) CHECK_EQ_STR(sic_str(a, sic_task_error(a, i)), want[i]);
    else CHECK_EQ_INT(sic_task_error(a, i), -1);
  }
  CHECK_EQ_INT(a->tasks.status[4], SIC_TASK_UNKNOWN);
  CHECK_EQ_STR(sic_str(a, sic_task_end_reason(a, 4)), "SomethingNew");
  sic_app_free(a);
}

/* A driver log is not an event log: the load fails with a message naming the file. */
static void test_not_a_log(void) {
  char path[8192];
  snprintf(path, sizeof path, "%s/spark-rapids-tools/spark-events-profiling/driverlog", data_dir);
  sic_app *a = NULL;
  sic_err err = {0};
  CHECK(sic_app_load_path(path, NULL, &a, &err) < 0);
  CHECK(a == NULL);
  CHECK(strstr(err.msg, "driverlog") != NULL, "%s", err.msg);
}


/* ---- History Server expectations (the JSON files in shs-expectations: what Spark's own REST API
 * returns for these logs) ---- */

/* Flattened "taskMetrics" member -> value, compared with the model column of that name. */
static void check_task_metrics(const sic_app *a, int64_t row, sic_jscan *s, const char *prefix, int64_t task_id) {
  sic_jiter it;
  sic_jstr k;
  sic_json_obj_begin(s, &it);
  while (sic_json_obj_next(s, &it, &k) > 0) {
    char name[256];
    snprintf(name, sizeof name, "%s%.*s", prefix, (int)k.len, k.p);
    if (sic_json_peek(s) == SIC_JT_OBJECT) {
      char sub[300];
      snprintf(sub, sizeof sub, "%s.", name);
      check_task_metrics(a, row, s, sub, task_id);
      continue;
    }
    int64_t want = 0;
    sic_json_i64(s, &want);
    int found = 0;
    for (int m = 0; m < SIC_TM__COUNT; m++) {
      if (strcmp(sic_task_metric_name((sic_task_metric)m), name)) continue;
      found = 1;
      CHECK(sic_task_metric_get(a, row, (sic_task_metric)m) == want, "task %lld %s = %lld, SHS says %lld",
            (long long)task_id, name, (long long)sic_task_metric_get(a, row, (sic_task_metric)m), (long long)want);
    }
    CHECK(found, "SHS task metric %s has no model column", name);
  }
}

static int64_t task_row_by_id(const sic_app *a, const sic_stage *st, int64_t task_id) {
  for (int32_t i = 0; i < st->tasks.n; i++) {
    int64_t r = a->stage_task_rows[st->tasks.off + i];
    if (sic_col_get(&a->tasks.task_id, r) == task_id) return r;
  }
  return -1;
}

static int jstr_is(const sic_jstr *v, const char *want) {
  char buf[16384];
  if (!want || v->len >= sizeof buf) return 0;
  size_t n = sic_json_unescape(v, buf);
  return n == strlen(want) && memcmp(buf, want, n) == 0;
}

/* Every task the History Server lists for a stage attempt, field by field. */
static void check_shs_tasks(const char *expectation, const char *log, int32_t stage_id, int32_t attempt, int min_tasks) {
  char path[8192];
  size_t len;
  snprintf(path, sizeof path, "%s/../shs-expectations/%s", data_dir, expectation);
  char *doc = check_read_file(path, &len);
  CHECK(doc != NULL, "cannot read %s", path);
  sic_app *a = load(log);
  const sic_stage *st = a ? sic_app_stage(a, stage_id, attempt) : NULL;
  CHECK(st != NULL, "%s: stage %d.%d", log, stage_id, attempt);
  if (!doc || !st) { free(doc); sic_app_free(a); return; }
  sic_jscan s;
  sic_jiter arr, it;
  sic_jstr k, v;
  int tasks = 0;
  sic_json_init(&s, doc, len);
  sic_json_arr_begin(&s, &arr);
  while (sic_json_arr_next(&s, &arr) > 0) {
    int64_t row = -1, task_id = -1, n;
    int b;
    sic_json_obj_begin(&s, &it);
    while (sic_json_obj_next(&s, &it, &k) > 0) {
      if (SIC_JSTR_IS(&k, "taskId")) {
        sic_json_i64(&s, &task_id);
        row = task_row_by_id(a, st, task_id);
        CHECK(row >= 0, "%s: task %lld missing", log, (long long)task_id);
        tasks++;
      } else if (row < 0) {
        sic_json_skip(&s);
      } else if (SIC_JSTR_IS(&k, "index")) { sic_json_i64(&s, &n); CHECK_EQ_INT(sic_col_get(&a->tasks.index, row), n); }
      else if (SIC_JSTR_IS(&k, "attempt")) { sic_json_i64(&s, &n); CHECK_EQ_INT(sic_col_get(&a->tasks.attempt, row), n); }
      else if (SIC_JSTR_IS(&k, "partitionId")) { sic_json_i64(&s, &n); CHECK_EQ_INT(sic_col_get(&a->tasks.partition_id, row), n); }
      else if (SIC_JSTR_IS(&k, "duration")) { sic_json_i64(&s, &n); CHECK_EQ_INT(sic_task_duration(a, row), n); }
      else if (SIC_JSTR_IS(&k, "executorId")) {
        sic_json_str(&s, &v);
        CHECK(jstr_is(&v, sic_str(a, a->executors[sic_task_executor(a, row)].id)), "task %lld executor", (long long)task_id);
      } else if (SIC_JSTR_IS(&k, "host")) {
        sic_json_str(&s, &v);
        CHECK(jstr_is(&v, sic_str(a, sic_task_host(a, row))), "task %lld host", (long long)task_id);
      } else if (SIC_JSTR_IS(&k, "status")) {
        sic_json_str(&s, &v);
        CHECK(jstr_is(&v, sic_task_status_name(a->tasks.status[row])), "task %lld status %s", (long long)task_id,
              sic_task_status_name(a->tasks.status[row]));
      } else if (SIC_JSTR_IS(&k, "taskLocality")) {
        sic_json_str(&s, &v);
        CHECK(jstr_is(&v, sic_locality_name(a->tasks.locality[row])), "task %lld locality", (long long)task_id);
      } else if (SIC_JSTR_IS(&k, "speculative")) {
        sic_json_bool(&s, &b);
        CHECK_EQ_INT(!!(a->tasks.flags[row] & SIC_TASKF_SPECULATIVE), b);
      } else if (SIC_JSTR_IS(&k, "errorMessage")) {
        sic_json_str(&s, &v);
        const char *mine = sic_str(a, sic_task_error(a, row));
        CHECK(jstr_is(&v, mine), "task %lld errorMessage differs: %.80s", (long long)task_id, mine ? mine : "(none)");
      } else if (SIC_JSTR_IS(&k, "taskMetrics")) {
        check_task_metrics(a, row, &s, "", task_id);
      } else {
        sic_json_skip(&s);
      }
    }
  }
  CHECK(s.err == NULL, "%s: %s at %zu", expectation, s.err ? s.err : "", s.err_off);
  CHECK(tasks >= min_tasks, "%s: %d tasks compared", expectation, tasks);
  free(doc);
  sic_app_free(a);
}

/* Jobs as the History Server lists them: name (last stage's), status, stage ids. */
static void check_shs_jobs(void) {
  char path[8192];
  size_t len;
  snprintf(path, sizeof path, "%s/../shs-expectations/job_list_json_expectation.json", data_dir);
  char *doc = check_read_file(path, &len);
  CHECK(doc != NULL);
  sic_app *a = load("spark/local-1422981780767");
  if (!doc || !a) { free(doc); sic_app_free(a); return; }
  sic_jscan s;
  sic_jiter arr, it;
  sic_jstr k, v;
  int jobs = 0;
  sic_json_init(&s, doc, len);
  sic_json_arr_begin(&s, &arr);
  while (sic_json_arr_next(&s, &arr) > 0) {
    const sic_job *j = NULL;
    int64_t n;
    sic_json_obj_begin(&s, &it);
    while (sic_json_obj_next(&s, &it, &k) > 0) {
      if (SIC_JSTR_IS(&k, "jobId")) { sic_json_i64(&s, &n); j = sic_app_job(a, (int32_t)n); CHECK(j != NULL); jobs++; }
      else if (!j) sic_json_skip(&s);
      else if (SIC_JSTR_IS(&k, "name")) { sic_json_str(&s, &v); CHECK(jstr_is(&v, sic_str(a, j->name)), "job %d name", j->job_id); }
      else if (SIC_JSTR_IS(&k, "status")) { sic_json_str(&s, &v); CHECK(jstr_is(&v, sic_job_status_name(j->status)), "job %d status", j->job_id); }
      else sic_json_skip(&s);
    }
  }
  CHECK_EQ_INT(jobs, 3);
  free(doc);
  sic_app_free(a);
}

/* The builder entry point used by the fuzzer, on lines that exercise odd shapes. */
static void test_builder_lines(void) {
  static const char *lines[] = {
      "{\"Task Info\":{\"Task ID\":5,\"Executor ID\":\"7\",\"Host\":\"h\",\"Launch Time\":10},\"Stage ID\":3,\"Event\":\"SparkListenerTaskStart\"}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":3,\"Task End Reason\":{\"Reason\":\"TaskKilled\"},\"Task Info\":{\"Task ID\":5,\"Finish Time\":20,\"Killed\":true,\"Failed\":false,\"Accumulables\":[{\"ID\":9,\"Name\":\"my counter\",\"Update\":\"3\",\"Value\":\"3\",\"Internal\":false,\"Count Failed Values\":true}]},\"Task Metrics\":{\"Executor Run Time\":99999999999}}",
      "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":3,\"Task End Reason\":{\"Reason\":\"Success\"},\"Task Info\":{\"Task ID\":6,\"Launch Time\":11,\"Finish Time\":30,\"Failed\":false,\"Accumulables\":[{\"ID\":9,\"Name\":\"my counter\",\"Update\":4,\"Value\":7}]}}",
      "{\"Event\":\"SparkListenerSomethingNew\",\"x\":[1,2,{\"y\":null}]}",
      "{\"Event\":\"SparkListenerJobStart\",\"Job ID\":\"oops\"}",
      "[1,2,3]",
      "{\"Event\":\"SparkListenerTaskEnd\",",
  };
  sic_builder *b = sic_builder_new(NULL);
  sic_builder_add_part(b, "mem", "none", 0);
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    sic_builder_feed_line(b, lines[i], strlen(lines[i]), 0, (int64_t)i + 1, i + 1 == sizeof lines / sizeof lines[0]);
  sic_app *a = sic_builder_finish(b);
  CHECK_EQ_INT(a->tasks.n, 2);
  CHECK_EQ_INT(a->unknown_events, 1);
  CHECK_EQ_INT(a->malformed_lines, 2);
  CHECK_EQ_INT(a->bad_fields, 1);
  CHECK(a->truncated);
  CHECK_EQ_INT(a->tasks.status[0], SIC_TASK_KILLED);
  CHECK_EQ_STR(sic_str(a, sic_task_error(a, 0)), "unknown reason");
  /* two rows: 8 bytes each cost less than one exception (finalize picks the cheaper) */
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_EXECUTOR_RUN_TIME].width, 8);
  CHECK_EQ_INT(a->tasks.metric[SIC_TM_EXECUTOR_RUN_TIME].nexceptions, 0);
  CHECK_EQ_INT(sic_task_metric_get(a, 0, SIC_TM_EXECUTOR_RUN_TIME), 99999999999LL);
  CHECK_EQ_INT(sic_task_metric_get(a, 1, SIC_TM_EXECUTOR_RUN_TIME), 0);
  CHECK_EQ_INT(sic_task_duration(a, 0), 10);
  CHECK_EQ_INT(a->ntask_accums, 2);
  const sic_accum *ac = sic_app_accum(a, 9);
  CHECK(ac && ac->sum == 4 && ac->count == 1); /* the killed task's update is not summed */
  if (a->ntask_accums == 2) {
    CHECK_EQ_STR(sic_str(a, a->task_accums[0].update), "3");
    CHECK_EQ_STR(sic_str(a, a->task_accums[1].value), "7");
  }
  CHECK_EQ_INT(a->nstages, 1);
  CHECK_EQ_INT(a->stages[0].tasks.n, 2);
  CHECK_EQ_INT(a->stages[0].first_task_launch, 10);
  sic_app_free(a);
}

int main(void) {
  /* self-contained: lines fed to the builder */
  test_failure_texts();
  test_builder_lines();
  const char *shared = check_shared_part("test_model", "model facts, details and History Server expectations of the real logs");
  if (!shared) return CHECK_RESULT();
  snprintf(data_dir, sizeof data_dir, "%s/spark-events", shared);
  for (size_t i = 0; i < sizeof LOGS / sizeof LOGS[0]; i++) check_facts(&LOGS[i]);
  test_malformed();
  test_truncated_real();
  test_truncated_mid_line();
  test_garbage();
  test_in_progress();
  test_read_error();
  test_details();
  test_not_a_log();
  test_task_accums();
  check_shs_tasks("stage_task_list_expectation.json", "spark/local-1430917381534", 0, 0, 20);
  check_shs_tasks("stage_task_list_w__offset___length_expectation.json", "spark/local-1430917381534", 0, 0, 50);
  check_shs_tasks("stage_task_list_w__status_expectation.json", "spark/app-20161115172038-0000", 0, 0, 10);
  check_shs_jobs();
  return CHECK_RESULT();
}
