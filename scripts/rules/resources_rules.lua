-- Resources: idle executor capacity, driver-only time, memory over- and under-provisioning,
-- executor shape. Figures come from lib/analysis/resources.lua (C timeline and simulation).
-- Recommendations keep spark.dynamicAllocation min <= initial <= max and the executor shape
-- (cores per executor) the cluster already uses.
local U = require "lib.analysis.util"
local R = require "lib.analysis.resources"
local GIB = 1024 ^ 3

-- Executors that would have kept the busy work at the target utilisation.
-- The target is measured over stage-running time (the run's wall time less driver-only time):
-- executors cannot be busy while no stage runs.
local function mean_busy_cores(p)
  return p.busy_core_ms / math.max(p.wall_ms - (p.driver_ms or 0), 1)
end
local function cores_per(p)
  return p.cores_per_executor and p.cores_per_executor > 0 and p.cores_per_executor or 1
end
local function executors_for(p, target)
  return math.max(1, math.ceil(mean_busy_cores(p) / target / cores_per(p)))
end

return {
  agent = "resources",
  rules = {
    {
      id = "resources.idle_executors",
      title = "Executors held far more cores than tasks used: over-provisioned",
      severity = "medium",
      applies_to = "app",
      thresholds = { max_utilisation = 0.4, min_idle_core_hours = 0.05, target_utilisation = 0.7, min_executors = 2 },
      when = function(app, ctx)
        local t, p = ctx.thresholds, R.profile(app)
        if not p.utilisation or p.utilisation > t.max_utilisation then return nil end
        if p.idle_core_ms / 3600000 < t.min_idle_core_hours or (p.peak_executors or 0) < t.min_executors then return nil end
        local rec = math.min(executors_for(p, t.target_utilisation), p.peak_executors)
        local mode = "fewer"
        if rec >= p.peak_executors then
          -- Busy while stages ran, idle in between (driver-only time): the executors were
          -- over-provisioned over time. Dynamic allocation fixes that; if it is on, its idle
          -- timeout already did what it could.
          if p.dynamic_allocation then return nil end
          mode, rec = "release_when_idle", p.peak_executors
        end
        local factor = rec / p.peak_executors
        local predicted = R.predict(app, factor)
        local slower = predicted - p.sim.simulated_ms
        -- utilisation of `n` executors, over the run (as p.utilisation) and while stages ran
        local held = p.peak_executors * cores_per(p)
        local function util_run(n) return math.min(p.utilisation * p.peak_executors / n, 1) end
        local function util_stages(n) return math.min(mean_busy_cores(p) / (n * cores_per(p)), 1) end
        return { utilisation = p.utilisation, stage_time_utilisation = util_stages(p.peak_executors),
          recommended_utilisation = util_run(rec), recommended_stage_time_utilisation = util_stages(rec),
          held_cores = held, idle_core_hours = p.idle_core_ms / 3600000,
          alive_core_hours = p.alive_core_ms / 3600000, busy_core_hours = p.busy_core_ms / 3600000,
          peak_executors = p.peak_executors, cores_per_executor = p.cores_per_executor,
          recommended_executors = rec, predicted_wall_ms = predicted, observed_model_wall_ms = p.sim.simulated_ms,
          predicted_slowdown_ms = math.max(slower, 0), dynamic_allocation = p.dynamic_allocation,
          da_min = p.da_min, da_initial = p.da_initial, da_max = p.da_max,
          mode = mode, driver_ms = p.driver_ms,
          core_ms_saved = mode == "fewer" and math.max(p.alive_core_ms * (1 - factor), 0) or
            math.max(p.idle_core_ms * ((p.driver_ms or 0) / math.max(p.wall_ms, 1)), 0) }
      end,
      advice = function(e)
        local cfg = {}
        if e.mode == "release_when_idle" then
          cfg["spark.dynamicAllocation.enabled"] = "true"
          cfg["spark.dynamicAllocation.shuffleTracking.enabled"] = "true"
          cfg["spark.dynamicAllocation.minExecutors"] = "0"
          cfg["spark.dynamicAllocation.initialExecutors"] = "0"
          cfg["spark.dynamicAllocation.maxExecutors"] = tostring(e.peak_executors)
          cfg["spark.dynamicAllocation.executorIdleTimeout"] = "60s"
          return string.format("Tasks kept %.0f%% of the held cores busy (%.2f of %.2f core-hours idle): the %d executors " ..
            "were busy while stages ran but held through %s with no stage running. Dynamic allocation (min 0 <= initial 0 " ..
            "<= max %d) releases them in between at no cost to stage time.", 100 * e.utilisation, e.idle_core_hours,
            e.alive_core_hours, e.peak_executors, U.secs(e.driver_ms), e.peak_executors), cfg
        end
        if e.dynamic_allocation then
          local max = e.recommended_executors
          local min = math.min(e.da_min or 0, max)
          local initial = math.max(min, math.min(e.da_initial or min, max))
          cfg["spark.dynamicAllocation.maxExecutors"] = tostring(max)
          cfg["spark.dynamicAllocation.minExecutors"] = tostring(min)
          cfg["spark.dynamicAllocation.initialExecutors"] = tostring(initial)
        else
          cfg["spark.executor.instances"] = tostring(e.recommended_executors)
        end
        return string.format("Tasks kept %.0f%% of the held cores busy over the run (%.2f of %.2f core-hours idle; " ..
          "%.0f%% while stages ran). %d executors instead of %d keep the same work at ~%.0f%% over the run, ~%.0f%% " ..
          "while stages ran; the simulation predicts %s (%s slower) for that size.",
          100 * e.utilisation, e.idle_core_hours, e.alive_core_hours, 100 * e.stage_time_utilisation,
          e.recommended_executors, e.peak_executors, 100 * e.recommended_utilisation,
          100 * e.recommended_stage_time_utilisation, U.secs(e.predicted_wall_ms), U.secs(e.predicted_slowdown_ms)), cfg
      end,
      impact = function(e)
        -- saving_ms stays >= 0 (renderers print it as time saved); the slowdown is its own field
        return { saving_ms = 0, slowdown_ms = e.predicted_slowdown_ms, core_ms = e.core_ms_saved, pool = "idle_cores",
          method = "core time held by executors removed (observed cores x (1 - recommended/peak)); wall time from the what-if curve (interpolated in 1/size between simulated points)" }
      end,
    },
    {
      id = "resources.driver_bound",
      title = "Long driver-only time: executors wait while the driver works",
      severity = "medium",
      applies_to = "app",
      thresholds = { min_share = 0.3, min_driver_ms = 60000 },
      when = function(app, ctx)
        local t, p = ctx.thresholds, R.profile(app)
        if not p.driver_ms or p.wall_ms <= 0 then return nil end
        local share = p.driver_ms / p.wall_ms
        if share < t.min_share or p.driver_ms < t.min_driver_ms then return nil end
        local held = 0
        if p.wall_ms > 0 and p.alive_core_ms then held = p.alive_core_ms * (p.driver_ms / p.wall_ms) end
        return { driver_ms = p.driver_ms, wall_ms = p.wall_ms, share = share, dynamic_allocation = p.dynamic_allocation,
          executor_core_ms_during_driver = held }
      end,
      advice = function(e)
        local cfg = {}
        if not e.dynamic_allocation then
          cfg["spark.dynamicAllocation.enabled"] = "true"
          cfg["spark.dynamicAllocation.shuffleTracking.enabled"] = "true"
        end
        return string.format("No stage ran for %s of the %s wall time (%.0f%%): driver work (planning, file listing, " ..
          "collect/toPandas, Python between actions, sleeps). %s", U.secs(e.driver_ms), U.secs(e.wall_ms), 100 * e.share,
          e.dynamic_allocation and "Dynamic allocation already releases idle executors; move the driver work into Spark jobs."
          or "Executors were held throughout: let dynamic allocation release them, and move driver work into Spark jobs."), cfg
      end,
      impact = function(e)
        return { saving_ms = 0, method = "the executor time held meanwhile is valued under resources.idle_executors" }
      end,
    },
    {
      id = "resources.memory_overprovisioned",
      title = "Executor memory far above what the JVM heap ever used",
      severity = "low",
      applies_to = "app",
      thresholds = { max_used_share = 0.35, max_gc_share = 0.05, min_memory_bytes = 2 * GIB },
      when = function(app, ctx)
        local t, p = ctx.thresholds, R.profile(app)
        if not p.peak_heap_bytes or not p.executor_memory_bytes or p.executor_memory_bytes < t.min_memory_bytes then return nil end
        local used = p.peak_heap_bytes / p.executor_memory_bytes
        if used > t.max_used_share or p.spill_bytes > 0 or p.gc_share > t.max_gc_share then return nil end
        local rec = math.max(1, math.ceil(p.peak_heap_bytes * 1.5 / GIB))
        if rec * GIB >= p.executor_memory_bytes then return nil end
        return { executor_memory_bytes = p.executor_memory_bytes, peak_heap_bytes = p.peak_heap_bytes, used_share = used,
          gc_share = p.gc_share, recommended_gib = rec, alive_core_hours = (p.alive_core_ms or 0) / 3600000,
          executor_hours = (p.alive_core_ms or 0) / 3600000 / math.max(p.cores_per_executor or 1, 1) }
      end,
      advice = function(e)
        return string.format("The largest JVM heap any executor used was %s of %s configured (%.0f%%), with no spill " ..
          "and %.1f%% GC: %d GiB per executor is enough (1.5x the peak).", U.bytes(e.peak_heap_bytes),
          U.bytes(e.executor_memory_bytes), 100 * e.used_share, 100 * e.gc_share, e.recommended_gib),
          { ["spark.executor.memory"] = e.recommended_gib .. "g" }
      end,
      impact = function(e)
        return { saving_ms = 0, memory_gib_hours = e.executor_hours * (e.executor_memory_bytes / GIB - e.recommended_gib),
          method = "GiB-hours of executor memory released (executor hours x GiB removed)" }
      end,
    },
    {
      id = "resources.memory_pressure",
      title = "Memory pressure: heavy spill or GC across the application",
      severity = "medium",
      applies_to = "app",
      thresholds = { min_spill_share = 0.5, min_spill_bytes = 256 * 1048576, min_gc_share = 0.15, min_run_ms = 60000 },
      when = function(app, ctx)
        local t, p = ctx.thresholds, R.profile(app)
        local spill = p.spill_bytes and p.spill_bytes >= t.min_spill_bytes and p.spill_share >= t.min_spill_share
        local gc = p.run_ms and p.run_ms >= t.min_run_ms and p.gc_share >= t.min_gc_share
        if not spill and not gc then return nil end
        return { spill_bytes = p.spill_bytes, read_bytes = p.read_bytes, spill_share = p.spill_share, gc_ms = p.gc_ms,
          run_ms = p.run_ms, gc_share = p.gc_share, executor_memory_bytes = p.executor_memory_bytes,
          cores_per_executor = p.cores_per_executor }
      end,
      advice = function(e)
        local per_core = e.executor_memory_bytes and e.cores_per_executor and e.executor_memory_bytes / e.cores_per_executor
        local cfg = {}
        if per_core and e.executor_memory_bytes then
          cfg["spark.executor.memory"] = math.ceil(e.executor_memory_bytes * 1.5 / GIB) .. "g"
        end
        -- only the pressure that was there: "spilled 0 B" next to a spill title contradicts itself
        local parts = {}
        if (e.spill_bytes or 0) > 0 then
          parts[#parts + 1] = string.format("spilled %s (%.0f%% of the bytes they read)", U.bytes(e.spill_bytes), 100 * e.spill_share)
        end
        parts[#parts + 1] = string.format("spent %.0f%% of run time in GC", 100 * e.gc_share)
        return string.format("Tasks %s%s: give each task more memory (more memory per executor, or fewer cores per " ..
          "executor) or more partitions.", table.concat(parts, " and "),
          per_core and (", with " .. U.bytes(per_core) .. " of heap per core") or ""), cfg
      end,
      impact = function(e)
        return { saving_ms = 0, core_ms = e.gc_ms * 0.5, pool = "gc", method = "half of the GC time" }
      end,
    },
    {
      id = "resources.executor_shape",
      title = "Executor shape: very large or single-core executors",
      severity = "low",
      applies_to = "app",
      thresholds = { max_cores = 8, min_executors = 2 },
      when = function(app, ctx)
        local t, p = ctx.thresholds, R.profile(app)
        local c = p.cores_per_executor
        if not c or (p.peak_executors or 0) < t.min_executors then return nil end
        if c > t.max_cores then
          return { cores_per_executor = c, peak_executors = p.peak_executors, problem = "large",
            recommended_cores = 5, recommended_executors = math.ceil(p.peak_executors * c / 5),
            executor_memory_bytes = p.executor_memory_bytes, gc_share = p.gc_share }
        end
        return nil
      end,
      advice = function(e)
        -- with GC pressure, 1.5x the memory per core: the same step the GC findings advise, so
        -- the two recommendations agree on memory per core
        local gc = (e.gc_share or 0) >= 0.1
        local mem = e.executor_memory_bytes and math.ceil(e.executor_memory_bytes / e.cores_per_executor * 5 *
          (gc and 1.5 or 1) / GIB)
        return string.format("%d executors of %d cores: GC pauses and I/O contention grow with executor size. %d " ..
          "executors of 5 cores keep the same total cores%s.", e.peak_executors, e.cores_per_executor,
          e.recommended_executors, mem and string.format(" with %d GiB each (%s)", mem,
          gc and string.format("1.5x the memory per core: %.0f%% of run time went to GC", 100 * e.gc_share)
          or "same memory per core") or ""),
          { ["spark.executor.cores"] = "5", ["spark.executor.memory"] = mem and (mem .. "g") or nil,
            ["spark.executor.instances"] = tostring(e.recommended_executors) }
      end,
    },
  },
}
