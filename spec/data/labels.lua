-- Labelled test set for the analysis agents (spec/lua/labels_spec.lua).
--
-- Labels come from reading the real logs under $SIC_SHARED_DATA/spark-events/ with python3
-- (json per line, zstd/gzip/zip decompressed) independently of sic: per stage the successful
-- task durations, bytes read per task (input + shuffle), the stage's wall span; per app the
-- executor core time alive (ExecutorAdded/Removed, Total Cores) against task time.
--
-- What a label means (the judgement of a Spark engineer, written down before tuning rules):
--  skewed stage: the longest task is >= 3x the median and >= 1 s AND it visibly held the stage
--    up - the time between the p75 task and the longest one is >= ~25% of the stage's span and
--    more than half a second. Stages whose top quarter is uniformly slow (failures, retries)
--    are not skew. `cause` is "data" when the longest task read >= 2x the median bytes (and
--    megabytes more), else "straggler" (same data, slow for other reasons).
--  over-provisioned app: >= 2 executors, task time < 40% of the executor core time held, and
--    a run of a minute or more (below that the idle core time is noise). Single-executor apps
--    cannot shed an executor and are labelled not over-provisioned.
--  spill stage: most tasks spilled (partitioning, not skew).
--  exploding join (`exploding_sql`, SQL execution ids): a join node whose "number of output
--    rows" (summed from the task accumulables) is >= 5x its largest input's and >= 1M rows,
--    computed from the SQLExecutionStart/AQE-update plan JSON.
-- Logs listed in `apps` are the population: an app listed with an empty/absent label is a
-- negative for that label (a finding there is a false positive).
return {
  apps = {
    { log = "spark-extra/application_1536831636016_59384_1",
      skewed = { ["0.0"] = "straggler" }, over_provisioned = false,
      why = "SparkPi: one first-wave task 1.1 s vs 65 ms median (JVM warm-up/GC), 40% of the 2.2 s stage" },
    { log = "spark-rapids-tools/e2e-event_logs/join_agg_on_yarn_eventlog.zstd",
      skewed = { ["3.0"] = "data" }, exploding_sql = { 0 }, over_provisioned = true,
      why = "one task read 60 MB vs 5.5 KB median and ran 18.6 s vs 3.1 s; 10 executors busy 25%" },
    { log = "spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_1_eventlog.zstd",
      skewed = { ["3.0"] = "data" }, exploding_sql = { 0 }, over_provisioned = true, why = "same job as join_agg_on_yarn" },
    { log = "spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_2_eventlog.zstd",
      skewed = { ["3.0"] = "data" }, exploding_sql = { 0 }, over_provisioned = true, why = "same job, another attempt" },
    { log = "spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_3_eventlog.zstd",
      skewed = { ["3.0"] = "data" }, exploding_sql = { 0 }, over_provisioned = true, why = "same job, another attempt" },
    { log = "spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_4_eventlog.zstd",
      skewed = { ["3.0"] = "data" }, exploding_sql = { 0 }, over_provisioned = true, why = "same job, another attempt" },
    { log = "spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd",
      skewed = { ["13.0"] = "straggler" }, over_provisioned = true,
      why = "2004 tasks of 53 ms median, one of 3 s with no more bytes; 8 x 16-core executors 36% busy" },
    { log = "spark-rapids-tools/spark-events-profiling/nds_q66_gpu.zstd",
      skewed = { ["13.0"] = "straggler", ["23.0"] = "straggler", ["25.0"] = "straggler", ["29.0"] = "straggler" },
      over_provisioned = true, why = "four stages each held up by one zero-byte task of 1-5 s; executors 14% busy" },
    { log = "spark-rapids-tools/spark-events-qualification/dsAndDf_eventlog.zstd",
      skewed = { ["3.0"] = "straggler" }, over_provisioned = false,
      why = "200 tasks of 66 ms median, one of 4.7 s reading the same 0.5 MB; single executor" },
    { log = "spark-rapids-tools/spark-events-qualification/pandas_execs_eventlog.zstd",
      skewed = {}, over_provisioned = false,
      why = "stage 2 max 1.5 s vs 172 ms median but only 22% of a 5.8 s stage: not worth a finding" },
    { log = "spark/application_1516285256255_0012",
      skewed = {}, over_provisioned = true,
      why = "stage 0: the slow top quarter are retries after a bad executor, not skew; 5 executors idle 8 min" },
    { log = "sparklint/spark_event_log_example",
      skewed = { ["0.0"] = "straggler" }, over_provisioned = false,
      why = "stage 0: one 63 s task vs 2 s median on identical 128 MB splits; stages 1 and 2 stragglers < 25% of span" },
    { log = "sparklint/directory_source/event_log_0", skewed = { ["0.0"] = "straggler" }, over_provisioned = false,
      why = "same log as spark_event_log_example" },
    { log = "sparklint/history_source/eventLogs-application_1489705648216_1600.zip",
      skewed = { ["2.0"] = "straggler" }, over_provisioned = true,
      why = "stage 2: 2.2 s vs 0.5 s median on equal bytes, 43% of the stage; 19 executors 26% busy" },
    { log = "sparklint/event_logs/application_1472176676028_407508_1",
      skewed = {}, over_provisioned = false, spill_stages = { "1.0" },
      why = "58 executors 82% busy; stage 1 spills 226 GiB over all its 40 tasks (too few partitions)" },
    { log = "spark-extra/application_1506645932520_24630151", skewed = {}, over_provisioned = true,
      why = "7 executors, tasks used 16% of their cores over 106 s" },
    { log = "spark-extra/application_1538416563558_0014", skewed = {}, over_provisioned = false,
      why = "9 executors 49% busy under dynamic allocation" },
    { log = "spark/application_1553914137147_0018", skewed = {}, over_provisioned = false, why = "3 executors 69% busy" },
    { log = "spark/application_1628109047826_1317105", skewed = {}, over_provisioned = true,
      why = "10 executors, 4% busy over 275 s" },
    { log = "spark/app-20161115172038-0000", skewed = {}, over_provisioned = true, why = "4 executors idle for most of 102 s" },
    { log = "spark/app-20180109111548-0000", skewed = {}, over_provisioned = true, why = "2 executors idle for 9 minutes" },
    { log = "spark-rapids-tools/spark-events-profiling/tasks_executors_fail_compressed_eventlog.zstd", skewed = {},
      over_provisioned = true, why = "8 executors 3% busy" },
    { log = "sparklint/directory_source/event_log_1", skewed = {}, over_provisioned = false, why = "2 executors 69% busy" },
    { log = "spark-rapids-tools/spark-events-qualification/db_sim_eventlog", skewed = {}, over_provisioned = false,
      spill_stages = {}, why = "one executor 89% busy" },
    { log = "spark/local-1426533911241", skewed = {}, over_provisioned = false, why = "small local job" },
    { log = "spark/app-20200706201101-0003", skewed = {}, over_provisioned = false, exploding_sql = { 0 },
      why = "BroadcastHashJoin: 100,000 rows in, 6,000,000 out; one executor" },
  },
}
