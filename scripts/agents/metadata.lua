-- metadata agent: what the application is (ids, versions, size, shape) and the Spark
-- configuration that later agents and rules interpret. Runs the spark_config rule set.
local parse = require "sic.parse"

local function conf_bytes(app, key, default_unit)
  local v = app:conf(key)
  if v == nil then return nil end
  return parse.size(v, default_unit)
end

return {
  name = "metadata",
  version = "0.1",
  needs = {},
  run = function(ctx)
    local app = ctx.app
    local cores = 0
    for _, e in ipairs(app.executors) do if not e.is_driver then cores = cores + e.cores end end
    return {
      app = {
        app_id = app.app_id, attempt_id = app.attempt_id, name = app.name, user = app.user,
        spark_version = app.spark_version, start_time = app.start_time, end_time = app.end_time,
        duration_ms = app.duration, complete = app.complete ~= 0, truncated = app.truncated ~= 0,
        jobs = #app.jobs, stages = #app.stages, tasks = app.tasks.n, executors = #app.executors,
        executor_cores = cores, sql_executions = #app.sqls, malformed_lines = app.malformed_lines,
      },
      config = {
        serializer = app:conf("spark.serializer", "org.apache.spark.serializer.JavaSerializer"),
        shuffle_partitions = tonumber(app:conf("spark.sql.shuffle.partitions", "200")),
        aqe = app:conf("spark.sql.adaptive.enabled"),
        executor_memory_bytes = conf_bytes(app, "spark.executor.memory", "m"),
        executor_cores = tonumber(app:conf("spark.executor.cores", "")),
        dynamic_allocation = app:conf("spark.dynamicAllocation.enabled", "false") == "true",
      },
      findings = ctx.run_rules(),
    }
  end,
}
