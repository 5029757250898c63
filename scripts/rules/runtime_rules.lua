-- Runtime: where task time went (GC, spill, failures) and what the cluster size does to the
-- wall time (what-if simulation, lib/analysis/resources.lua).
local R = require "lib.analysis.resources"
local U = require "lib.analysis.util"
local P = require "lib.analysis.platform"
local parse = require "sic.parse"
local GIB = 1024 ^ 3

-- Executor memory now (bytes; Spark's 1g default when unset) and 1.5x of it in whole GiB.
local function memory_step(app)
  local cur = parse.size(app:conf("spark.executor.memory", "1g"), "m") or GIB
  return cur, math.max(math.ceil(cur * 1.5 / GIB), math.floor(cur / GIB) + 1)
end

-- GC advice that fits the JVM and engine: 1.5x the executor memory; -XX:+UseG1GC (added to
-- the options already set) only on a JVM older than 9, whose default is the parallel
-- collector, and not where the work ran in Photon or on GPUs.
local function gc_advice(app)
  local p = P.detect(app)
  local cur, gib = memory_step(app)
  local cfg = { ["spark.executor.memory"] = gib .. "g" }
  local text = string.format("Give executors more memory per core (spark.executor.memory %s -> %d GiB)", U.bytes(cur), gib)
  local opts = app:conf("spark.executor.extraJavaOptions", "")
  if p.photon or p.gpu then
    text = text .. string.format("; the heavy work ran in %s, so no JVM collector change is advised", p.photon and "Photon" or "GPU plans")
  elseif opts:find("%-XX:%+Use%w+GC") and not opts:find("UseG1GC", 1, true) then
    -- a collector is already chosen (CMS, Parallel...): adding G1 beside it stops the JVM
    text = text .. string.format("; the executors already choose %s: switch it to -XX:+UseG1GC rather than adding a second collector",
      opts:match("%-XX:%+Use%w+GC"))
  elseif p.java and p.java < 9 and not opts:find("UseG1GC", 1, true) then
    cfg["spark.executor.extraJavaOptions"] = (opts ~= "" and (opts .. " ") or "") .. "-XX:+UseG1GC"
    text = text .. string.format("; Java %d defaults to the parallel collector: G1 shortens the pauses", p.java)
  elseif p.g1_default then
    text = text .. string.format("; Java %d already uses G1", p.java)
  end
  return text .. ".", cfg
end

return {
  agent = "runtime",
  rules = {
    {
      id = "runtime.gc_pressure",
      title = "High garbage-collection time in a stage",
      severity = "medium",
      applies_to = "stage",
      thresholds = { ratio = 0.1, min_run_ms = 10000 },
      when = function(stage, ctx)
        local sums = U.sums(stage, "all") -- one unsorted pass: only totals are needed
        local run = sums.executor_run_time
        if run < ctx.thresholds.min_run_ms then return nil end
        local gc = sums.jvm_gc_time
        if gc / run < ctx.thresholds.ratio then return nil end
        return { stage = stage.key, gc_ms = gc, run_ms = run, ratio = gc / run }
      end,
      advice = function(e, ctx)
        local text, cfg = gc_advice(ctx.app)
        return string.format("%s spent %.0f%% of its task run time in GC. %s", e.stage, 100 * e.ratio, text), cfg
      end,
      -- GC time is summed over tasks: it is core time, not wall time; executor.gc_pressure and
      -- resources.memory_pressure draw on the same GC time (pool "gc").
      impact = function(e) return { saving_ms = 0, core_ms = e.gc_ms / 2, pool = "gc", method = "half of the stage's task GC time (core time)" } end,
    },
    {
      id = "runtime.spill",
      title = "Stage spilled to disk",
      severity = "medium",
      applies_to = "stage",
      thresholds = { min_spill_bytes = 1048576, target_bytes = 128 * 1048576 },
      -- partition.spill (most tasks spill) and skew.spill (a few do) say why and what to do
      defers_to = { "partition.spill", "skew.spill", "skew.task_duration" },
      when = function(stage, ctx)
        local sums = U.sums(stage, "all")
        if sums.spill_bytes < ctx.thresholds.min_spill_bytes then return nil end
        local s = U.stats(stage, "spill_bytes", "all")
        return { stage = stage.key, spilled_bytes = s.sum, disk_bytes = sums.disk_bytes_spilled, tasks_spilling_max = s.max,
          tasks = stage.ntasks, shuffle_read_bytes = sums.shuffle_read_bytes,
          recommended_partitions = math.max(2 * stage.ntasks, math.ceil(s.sum / ctx.thresholds.target_bytes)) }
      end,
      advice = function(e, ctx)
        local cur, gib = memory_step(ctx.app)
        local cfg = { ["spark.executor.memory"] = gib .. "g" }
        local how = string.format("give executors %d GiB instead of %s", gib, U.bytes(cur))
        if e.shuffle_read_bytes > 0 then
          cfg["spark.sql.shuffle.partitions"] = tostring(e.recommended_partitions)
          how = string.format("split its shuffle into %d partitions (from %d tasks) or %s", e.recommended_partitions, e.tasks, how)
        end
        return string.format("%s spilled %s: %s.", e.stage, U.spill(e.spilled_bytes, e.disk_bytes), how), cfg
      end,
    },
    {
      id = "runtime.failed_tasks",
      title = "Task attempts failed in a stage",
      severity = "low",
      applies_to = "stage",
      thresholds = { min_failed = 1 },
      when = function(stage, ctx)
        -- "failed" is a derived task column (1 per failed attempt): the count is a C pass.
        local failed = U.sums(stage, "all").failed
        if failed < ctx.thresholds.min_failed then return nil end
        return { stage = stage.key, failed = failed, attempts = stage.ntasks }
      end,
      advice = function(e)
        return string.format("%s had %d failed task attempt(s) out of %d; retries cost time - check the task " ..
          "errors (executor losses, fetch failures, OOM).", e.stage, e.failed, e.attempts)
      end,
    },
    {
      id = "runtime.scale_out",
      title = "More executors would shorten the run substantially",
      severity = "medium",
      applies_to = "app",
      thresholds = { factor = 2, min_gain = 0.25, min_saving_ms = 60000 },
      when = function(app, ctx)
        if #app.stages == 0 then return nil end
        local w = R.whatif(app)
        local at
        for _, pt in ipairs(w.points) do if pt.factor == ctx.thresholds.factor then at = pt end end
        if not at then return nil end
        local saving = w.simulated_wall_ms - at.wall_ms
        if saving < ctx.thresholds.min_saving_ms or saving / w.simulated_wall_ms < ctx.thresholds.min_gain then return nil end
        return { factor = at.factor, executors = at.executors, predicted_wall_ms = at.wall_ms,
          simulated_wall_ms = w.simulated_wall_ms, observed_wall_ms = w.observed_wall_ms, saving_ms = saving,
          critical_path_ms = w.critical_path_ms, mean_slots = w.mean_slots }
      end,
      advice = function(e)
        return string.format("The simulation predicts %s instead of %s with %gx the task slots%s; the critical path " ..
          "(unlimited executors) is %s.", U.secs(e.predicted_wall_ms), U.secs(e.simulated_wall_ms), e.factor,
          e.executors and string.format(" (%.0f executors)", e.executors) or "", U.secs(e.critical_path_ms)),
          e.executors and { ["spark.dynamicAllocation.maxExecutors"] = string.format("%.0f", e.executors) } or nil
      end,
      impact = function(e)
        return { saving_ms = e.saving_ms, core_ms = 0,
          method = "what-if simulation at the larger size; the extra executors cost more per minute (see cost.run's curve)" }
      end,
    },
    {
      id = "runtime.critical_path",
      title = "Driver-side and sequential stages bound the run: more executors will not help",
      severity = "info",
      applies_to = "app",
      thresholds = { max_gain = 0.05, min_wall_ms = 60000 },
      when = function(app, ctx)
        if #app.stages == 0 then return nil end
        local w = R.whatif(app)
        if w.observed_wall_ms < ctx.thresholds.min_wall_ms then return nil end
        local four = w.points[#w.points]
        local gain = (w.simulated_wall_ms - four.wall_ms) / math.max(w.simulated_wall_ms, 1)
        if gain > ctx.thresholds.max_gain then return nil end
        return { observed_wall_ms = w.observed_wall_ms, simulated_wall_ms = w.simulated_wall_ms,
          at_4x_ms = four.wall_ms, critical_path_ms = w.critical_path_ms, driver_ms = w.driver_ms, gain_at_4x = gain }
      end,
      advice = function(e)
        return string.format("With 4x the executors the simulation still predicts %s (%.0f%% less); %s of the %s is " ..
          "driver-only time and the critical path is %s. Shorten the driver work and the longest stage chain instead.",
          U.secs(e.at_4x_ms), 100 * e.gain_at_4x, U.secs(e.driver_ms), U.secs(e.observed_wall_ms), U.secs(e.critical_path_ms))
      end,
    },
  },
}
