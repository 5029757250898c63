-- Spark configuration rules that need evidence from the log (and from the agents before "rules":
-- skew, resources, sql). Each explains why, and fires only when the log shows the setting
-- mattered in this run. (spark_config_rules.lua holds the plain-default checks the metadata agent
-- runs.)
local U = require "lib.analysis.util"
local R = require "lib.analysis.resources"
local MIB = 1048576

local function removed_executors(app)
  local n = 0
  for _, e in ipairs(app.executors) do if not e.is_driver and e.remove_time >= 0 then n = n + 1 end end
  return n
end

local function log_bytes(app)
  local c, total = app.c, 0
  for i = 0, tonumber(c.nparts) - 1 do total = total + tonumber(c.parts[i].stored_bytes) end
  return total
end

local function any_plan_node(app, pred)
  for _, sql in ipairs(app.sqls) do
    for _, n in ipairs(U.plan(app, sql)) do if pred(n) then return n, sql end end
  end
end

return {
  agent = "rules",
  rules = {
    {
      id = "config.dynamic_allocation_shuffle",
      title = "Dynamic allocation removes executors but nothing keeps their shuffle files",
      severity = "high",
      applies_to = "app",
      when = function(app, ctx)
        if ctx.conf("spark.dynamicAllocation.enabled", "false") ~= "true" then return nil end
        if ctx.conf("spark.shuffle.service.enabled", "false") == "true" then return nil end
        if ctx.conf("spark.dynamicAllocation.shuffleTracking.enabled", "false") == "true" then return nil end
        local removed = removed_executors(app)
        if removed == 0 then return nil end
        return { removed_executors = removed, shuffle_service = ctx.conf("spark.shuffle.service.enabled", "unset") }
      end,
      advice = function(e)
        return string.format("Dynamic allocation removed %d executors with neither the external shuffle service nor " ..
          "shuffle tracking: their shuffle output is lost and stages recompute it (FetchFailed).", e.removed_executors),
          { ["spark.shuffle.service.enabled"] = "true", ["spark.dynamicAllocation.shuffleTracking.enabled"] = "true" }
      end,
    },
    {
      id = "config.speculation",
      title = "Stragglers on slow hosts and speculation off",
      severity = "medium",
      applies_to = "app",
      thresholds = { min_stages = 1 },
      when = function(app, ctx)
        if ctx.conf("spark.speculation", "false") == "true" then return nil end
        local skew = ctx.state.skew
        local stages, saving = {}, 0
        for _, g in ipairs(skew and skew.findings or {}) do
          for _, f in ipairs(g.members or { g }) do -- a grouped finding lists its stages as members
            local c = f.evidence and f.evidence.cause
            -- cold executors (warmup) are not stragglers speculation is for: their advice is pre-warming
            if g.id == "skew.task_duration" and (c == "executor" or c == "host" or c == "compute" or c == "locality") then
              stages[#stages + 1] = f.entity.key
              saving = saving + (f.impact and f.impact.saving_ms or 0)
            end
          end
        end
        if #stages < ctx.thresholds.min_stages then return nil end
        return { stages = stages, straggler_saving_ms = saving }
      end,
      advice = function(e)
        return string.format("%d stage(s) (%s) waited for stragglers that read no more data than the other tasks: " ..
          "speculative execution re-launches such tasks on another executor.", #e.stages, table.concat(e.stages, ", ")),
          { ["spark.speculation"] = "true", ["spark.speculation.multiplier"] = "3", ["spark.speculation.quantile"] = "0.9" }
      end,
      impact = function(e)
        return { saving_ms = 0, method = "counted under skew.task_duration (the same straggler time)" }
      end,
    },
    {
      id = "config.python_overhead",
      title = "Python workers use more memory than the executor overhead allows",
      severity = "medium",
      applies_to = "app",
      when = function(app, ctx)
        local peak = 0
        for _, w in ipairs(U.workers(app)) do
          local pk = w.exec.peak
          if pk and (pk.process_tree_python_rss_memory or 0) > peak then peak = pk.process_tree_python_rss_memory end
        end
        if peak <= 0 then return nil end
        local mem = ctx.parse.size(ctx.conf("spark.executor.memory", "1g"), "m") or 1024 ^ 3
        local overhead = ctx.parse.size(ctx.conf("spark.executor.memoryOverhead", ""), "m") or math.max(384 * MIB, 0.1 * mem)
        local pymem = ctx.parse.size(ctx.conf("spark.executor.pyspark.memory", ""), "m")
        if pymem or peak < 0.8 * overhead then return nil end
        return { python_rss_peak_bytes = peak, overhead_bytes = overhead, executor_memory_bytes = mem }
      end,
      advice = function(e)
        local mb = math.ceil(e.python_rss_peak_bytes * 1.5 / MIB)
        return string.format("Python workers peaked at %s RSS against a memory overhead of %s: YARN/Kubernetes kill " ..
          "executors that go over. Give Python its own budget.", U.bytes(e.python_rss_peak_bytes), U.bytes(e.overhead_bytes)),
          { ["spark.executor.pyspark.memory"] = mb .. "m", ["spark.executor.memoryOverhead"] = math.ceil(e.overhead_bytes / MIB + mb) .. "m" }
      end,
    },
    {
      id = "config.offheap_without_size",
      title = "Off-heap memory enabled without a size",
      severity = "medium",
      applies_to = "app",
      when = function(app, ctx)
        if ctx.conf("spark.memory.offHeap.enabled", "false") ~= "true" then return nil end
        local size = ctx.parse.size(ctx.conf("spark.memory.offHeap.size", "0"), "b") or 0
        if size > 0 then return nil end
        return { offheap_size = ctx.conf("spark.memory.offHeap.size", "unset") }
      end,
      advice = function()
        return "spark.memory.offHeap.enabled is true but spark.memory.offHeap.size is 0: no off-heap memory is usable. " ..
          "Set a size (and count it in the container's memory overhead) or turn it off.",
          { ["spark.memory.offHeap.size"] = "2g" }
      end,
    },
    {
      id = "config.broadcast_disabled",
      title = "Broadcast joins are disabled and the plans sort-merge join",
      severity = "medium",
      applies_to = "app",
      when = function(app, ctx)
        local v = ctx.conf("spark.sql.autoBroadcastJoinThreshold")
        if v ~= "-1" then return nil end
        local node, sql = any_plan_node(app, function(n) return n.name == "SortMergeJoin" end)
        if not node then return nil end
        return { threshold = v, example_execution_id = sql.execution_id, example = node.text:sub(1, 150) }
      end,
      advice = function(e)
        return string.format("spark.sql.autoBroadcastJoinThreshold=-1 forces shuffles for every join (e.g. SQL %d: %s). " ..
          "Restore the default (10m) unless a broadcast once ran the driver out of memory.", e.example_execution_id,
          e.example), { ["spark.sql.autoBroadcastJoinThreshold"] = "10m" }
      end,
    },
    {
      id = "config.shuffle_compress_off",
      title = "Shuffle compression is off for a shuffle-heavy run",
      severity = "low",
      applies_to = "app",
      thresholds = { min_shuffle_bytes = 1024 * MIB },
      when = function(app, ctx)
        if ctx.conf("spark.shuffle.compress", "true") ~= "false" then return nil end
        local shuffle = 0
        for _, stage in ipairs(app.stages) do shuffle = shuffle + U.sums(stage, "all").shuffle_read_bytes end
        if shuffle < ctx.thresholds.min_shuffle_bytes then return nil end
        return { shuffle_read_bytes = shuffle, codec = ctx.conf("spark.io.compression.codec", "lz4") }
      end,
      advice = function(e)
        return string.format("%s of shuffle data went over disk and network uncompressed: %s compresses at several " ..
          "hundred MB/s per core.", U.bytes(e.shuffle_read_bytes), e.codec), { ["spark.shuffle.compress"] = "true" }
      end,
    },
    {
      id = "config.event_log",
      title = "Large or long event log without compression or rolling",
      severity = "low",
      applies_to = "app",
      thresholds = { min_log_bytes = 256 * MIB, min_wall_ms = 12 * 3600000 },
      when = function(app, ctx)
        local bytes, wall = log_bytes(app), app.duration
        local compress = ctx.conf("spark.eventLog.compress", "false") == "true"
        local rolling = ctx.conf("spark.eventLog.rolling.enabled", "false") == "true"
        local big, long = bytes >= ctx.thresholds.min_log_bytes, wall >= ctx.thresholds.min_wall_ms
        if (compress or not big) and (rolling or not (big or long)) then return nil end
        return { log_bytes = bytes, wall_ms = wall, compress = compress, rolling = rolling }
      end,
      advice = function(e)
        local cfg = {}
        if not e.compress then cfg["spark.eventLog.compress"] = "true" cfg["spark.eventLog.compression.codec"] = "zstd" end
        if not e.rolling then cfg["spark.eventLog.rolling.enabled"] = "true" cfg["spark.eventLog.rolling.maxFileSize"] = "128m" end
        return string.format("The event log is %s for a %s run: compress it (zstd shrinks JSON logs ~10x) and roll it " ..
          "so the History Server can load and compact it.", U.bytes(e.log_bytes), U.secs(e.wall_ms)), cfg
      end,
    },
  },
}
