-- analysis.resources: how the application used what it held - executor cores alive vs busy over
-- time (C timeline, engine/stats/sim.c), driver-only time, dynamic allocation settings, memory
-- (configured vs peak, spill and GC shares). Computed once per app and shared by the resources
-- agent, its rules and the cost agent.
local U = require "lib.analysis.util"
local stats = require "sic.stats"
local parse = require "sic.parse"

local M = {}
M.BINS = 60

local function conf_num(app, key)
  local v = app:conf(key)
  return v and tonumber(v) or nil
end

local function build(app)
  local t0, t1 = U.app_start(app), U.app_end(app)
  local p = { t0 = t0, t1 = t1, wall_ms = math.max(t1 - t0, 0), bins = M.BINS }
  if t1 <= t0 then return p end
  local tl = stats.timeline(app, t0, t1, M.BINS)
  p.busy, p.alive = tl.busy, tl.alive
  local busy, alive = 0, 0
  for i = 1, M.BINS do busy, alive = busy + tl.busy[i], alive + tl.alive[i] end
  p.busy_core_ms, p.alive_core_ms = busy, alive
  p.utilisation = alive > 0 and math.min(busy / alive, 1) or nil
  p.idle_core_ms = math.max(alive - busy, 0)
  -- executors alive at once
  local events, peak, cur, cores_peak, cores_cur = {}, 0, 0, 0, 0
  for _, w in ipairs(U.workers(app)) do
    events[#events + 1] = { w.add, 1, w.cores }
    events[#events + 1] = { w.remove, -1, w.cores }
  end
  table.sort(events, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
  for _, e in ipairs(events) do
    cur, cores_cur = cur + e[2], cores_cur + e[2] * e[3]
    if cur > peak then peak = cur end
    if cores_cur > cores_peak then cores_peak = cores_cur end
  end
  p.peak_executors, p.peak_cores, p.executors_seen = peak, cores_peak, #U.workers(app)
  p.cores_per_executor = tonumber(app:conf("spark.executor.cores", "")) or
    (peak > 0 and math.floor(cores_peak / peak + 0.5) or nil)
  p.task_cpus = tonumber(app:conf("spark.task.cpus", "1")) or 1
  -- One simulation run serves the profile, the what-if curve and the rules (it list-schedules
  -- every task once per factor, in C).
  local sim = stats.simulate(app, M.FACTORS, p.task_cpus)
  p.driver_ms = sim.summary.driver_ms
  p.sim, p.sim_walls = sim.summary, sim.walls
  p.dynamic_allocation = app:conf("spark.dynamicAllocation.enabled", "false") == "true"
  p.da_min = conf_num(app, "spark.dynamicAllocation.minExecutors")
  p.da_initial = conf_num(app, "spark.dynamicAllocation.initialExecutors")
  p.da_max = conf_num(app, "spark.dynamicAllocation.maxExecutors")
  p.executor_instances = conf_num(app, "spark.executor.instances")
  -- memory
  p.executor_memory_bytes = parse.size(app:conf("spark.executor.memory", "1g"), "m")
  local heap_peak, have_peak = 0, false
  for _, w in ipairs(U.workers(app)) do
    local pk = w.exec.peak
    if pk and pk.jvm_heap_memory and pk.jvm_heap_memory > 0 then
      have_peak = true
      if pk.jvm_heap_memory > heap_peak then heap_peak = pk.jvm_heap_memory end
    end
  end
  p.peak_heap_bytes = have_peak and heap_peak or nil
  local run = stats.by_executor(app, "executor_run_time", "all")
  local gc = stats.by_executor(app, "jvm_gc_time", "all")
  local spill = stats.by_executor(app, "spill_bytes", "all")
  local sr = stats.by_executor(app, "shuffle_read_bytes", "all")
  local inp = stats.by_executor(app, "input_bytes_read", "all")
  local r, g, s, b = 0, 0, 0, 0
  for e = 0, tonumber(app.c.nexecutors) - 1 do
    r, g, s = r + run.sum[e], g + gc.sum[e], s + spill.sum[e]
    b = b + sr.sum[e] + inp.sum[e]
  end
  p.run_ms, p.gc_ms, p.spill_bytes, p.read_bytes = r, g, s, b
  p.gc_share = r > 0 and g / r or 0
  p.spill_share = b > 0 and s / b or (s > 0 and 1 or 0)
  return p
end

-- What-if curve: predicted wall time for cluster sizes 0.25x..4x of the observed task slots.
M.FACTORS = { 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4 }

-- Predicted wall time at any factor in [0.25, 4]: linear between the simulated points in
-- 1/factor (runtime of the parallel part scales with 1/slots). Outside: the nearest point.
function M.predict(app, factor)
  local p = M.profile(app)
  local F, W = M.FACTORS, p.sim_walls
  if factor <= F[1] then return W[1] end
  for i = 2, #F do
    if factor <= F[i] then
      local a, b = 1 / F[i - 1], 1 / F[i]
      local t = (1 / factor - a) / (b - a)
      return W[i - 1] + t * (W[i] - W[i - 1])
    end
  end
  return W[#F]
end
function M.whatif(app)
  return U.once(app, "whatif", function(a)
    local p = M.profile(a)
    local points = {}
    for i, f in ipairs(M.FACTORS) do
      points[i] = { factor = f, executors = p.peak_executors and p.peak_executors > 0 and p.peak_executors * f or nil,
        slots = p.sim.mean_slots * f, wall_ms = p.sim_walls[i] }
    end
    local s = p.sim
    return { points = points, observed_wall_ms = s.wall_ms, simulated_wall_ms = s.simulated_ms,
      relative_error = s.wall_ms > 0 and math.abs(s.simulated_ms - s.wall_ms) / s.wall_ms or nil,
      driver_ms = s.driver_ms, critical_path_ms = s.critical_path_ms, ideal_ms = s.ideal_ms, task_ms = s.task_ms,
      mean_slots = s.mean_slots, phases = s.phases,
      method = "list scheduling of observed task durations per phase of overlapping stages, stage dependencies " ..
        "respected, driver-only time kept; slots = executor cores alive / spark.task.cpus" }
  end)
end

function M.profile(app)
  return U.once(app, "resources", build)
end

return M
