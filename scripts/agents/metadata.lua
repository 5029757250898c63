-- metadata agent: what the application is (ids, versions, size, shape) and the Spark
-- configuration that later agents and rules interpret. Runs the spark_config rule set.
local parse = require "sic.parse"
local platform = require "lib.analysis.platform"

local function conf_bytes(app, key, default_unit)
  local v = app:conf(key)
  if v == nil then return nil end
  return parse.size(v, default_unit)
end

local function known(v) return v and v >= 0 and v or nil end

return {
  name = "metadata",
  version = "0.1",
  needs = {},
  run = function(ctx)
    local app = ctx.app
    local cores = 0
    for _, e in ipairs(app.executors) do if not e.is_driver then cores = cores + e.cores end end
    -- An id the log does not state (no ApplicationStart) is derived by the loader and marked.
    local derived
    for _, d in ipairs(app:diagnostics()) do if d.kind == "derived" then derived = d.message end end
    local p = platform.detect(app)
    return {
      app = {
        app_id = app.app_id, attempt_id = app.attempt_id, name = app.name, user = app.user,
        app_id_derived = derived, spark_version = p.spark,
        -- no ApplicationStart: the earliest event time; no ApplicationEnd: the last event's
        -- time; a figure the log cannot give is absent (nil), never -1 or "now"
        start_time = known(app.start_time) or known(app.first_event_time), start_from_events = app.start_time < 0 or nil,
        end_time = known(app.end_time) or known(app.last_event_time), end_from_last_event = app.end_time < 0 or nil,
        duration_ms = known(app.duration), complete = app.complete ~= 0, truncated = app.truncated ~= 0,
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
      platform = { vendor = p.vendor, manager = p.manager, dbr = p.dbr, photon = p.photon, gpu = p.gpu, java = p.java,
        g1_default = p.g1_default, label = platform.label(p), why = p.why },
      findings = ctx.run_rules(),
    }
  end,
}
