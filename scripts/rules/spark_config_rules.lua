-- Spark configuration: settings whose defaults cost time on most workloads.
local U = require "lib.analysis.util"
-- Shuffle bytes read by RDD stages (not SQL): Spark SQL serialises its own rows (UnsafeRow),
-- so spark.serializer only matters for RDD shuffles and caching.
local function shuffle_bytes(app)
  local total = 0
  for _, stage in ipairs(app.stages) do
    if stage.sql_execution_id < 0 then total = total + U.sums(stage, "all").shuffle_read_bytes end
  end
  return total
end

return {
  agent = "metadata",
  rules = {
    {
      id = "config.serializer",
      title = "Java serialization for shuffle-heavy work: use Kryo",
      severity = "low",
      applies_to = "app",
      thresholds = { min_shuffle_bytes = 256 * 1048576 },
      when = function(app, ctx)
        local ser = app:conf("spark.serializer", "org.apache.spark.serializer.JavaSerializer")
        if ser:find("KryoSerializer", 1, true) then return nil end
        local bytes = shuffle_bytes(app)
        if bytes < ctx.thresholds.min_shuffle_bytes then return nil end
        return { serializer = ser, shuffle_read_bytes = bytes }
      end,
      advice = function(e)
        return string.format("RDD stages shuffled %s with %s. Kryo is faster and more compact for " ..
          "RDD shuffles and caching (Spark SQL's own rows are unaffected).", U.bytes(e.shuffle_read_bytes), e.serializer),
          { ["spark.serializer"] = "org.apache.spark.serializer.KryoSerializer" }
      end,
    },
    {
      id = "config.aqe_disabled",
      title = "Adaptive query execution is off",
      severity = "medium",
      applies_to = "app",
      when = function(app, ctx)
        local version = app.spark_version or ""
        local major, minor = version:match("^(%d+)%.(%d+)")
        major, minor = tonumber(major), tonumber(minor)
        if not major or major < 3 or #app.sqls == 0 then return nil end
        -- on by default since Spark 3.2, and on Databricks (U.aqe)
        if U.aqe(app).enabled then return nil end
        local v = app:conf("spark.sql.adaptive.enabled")
        return { spark_version = version, value = v or "unset (default false before 3.2)", sql_executions = #app.sqls }
      end,
      advice = function(e)
        return string.format("Spark %s ran %d SQL executions without AQE; enable it to coalesce shuffle " ..
          "partitions, switch join strategies and split skewed partitions at run time.", e.spark_version, e.sql_executions),
          { ["spark.sql.adaptive.enabled"] = "true" }
      end,
    },
  },
}
