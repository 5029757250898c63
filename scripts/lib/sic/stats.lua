-- sic.stats: the C statistics (engine/stats/stats.h) for Lua: stage summaries straight from
-- the model, and the same functions over any Lua list or double[] cdata.
local core = require "sic.core"
local model = require "sic.model"
local ffi, C = core.ffi, core.C

local M = {}

local FILTERS = { successful = C.SIC_SF_SUCCESSFUL, finished = C.SIC_SF_FINISHED, all = C.SIC_SF_ALL }
local SUMMARY_FIELDS = { "n", "sum", "mean", "min", "max", "p05", "p25", "median", "p75", "p90", "p95",
  "p99", "mad", "stddev", "gini", "max_over_median", "argmax" }

local function to_table(s)
  local t = {}
  for _, k in ipairs(SUMMARY_FIELDS) do t[k] = tonumber(s[k]) end
  return t
end

-- values: Lua list of numbers, or (double* cdata, n). Returns double*, n, keepalive.
local function as_doubles(values, n)
  if type(values) == "cdata" then return values, n end
  n = #values
  local arr = ffi.new("double[?]", math.max(n, 1))
  for i = 1, n do arr[i - 1] = values[i] end
  return arr, n
end


-- Summary {n, sum, mean, min, max, p05..p99, median, mad, stddev, gini, max_over_median,
-- argmax (task row)} of one column of a stage's tasks. filter: "successful" (default,
-- like the History Server), "finished" or "all".
function M.stage(stage, column, filter)
  local id = model.column_id(column or "duration")
  if not id then error("sic.stats: unknown task column '" .. tostring(column) .. "'", 2) end
  local f = FILTERS[filter or "successful"]
  if not f then error("sic.stats: unknown filter '" .. tostring(filter) .. "'", 2) end
  local s = ffi.new("sic_summary")
  local rc = C.sic_stats_stage(stage.app.c, stage.row, id, f, s)
  if rc < 0 then error("sic.stats: cannot summarise stage " .. stage.row .. " (code " .. rc .. ")", 2) end
  return to_table(s)
end

-- Column values of a stage as (double[] cdata, n, rows int64_t[]).
function M.gather(stage, column, filter)
  local id = model.column_id(column or "duration")
  if not id then error("sic.stats: unknown task column '" .. tostring(column) .. "'", 2) end
  local cap = math.max(stage.c.tasks.n, 1)
  local vals, rows = ffi.new("double[?]", cap), ffi.new("int64_t[?]", cap)
  local n = C.sic_stats_gather(stage.app.c, stage.row, id, FILTERS[filter or "successful"], vals, rows, cap)
  if n < 0 then error("sic.stats: gather failed (code " .. tonumber(n) .. ")", 2) end
  return vals, tonumber(n), rows
end

-- Per-executor totals of a column over the app: { sum = { [row] = .. }, count = { [row] = .. } }
-- keyed by executor row (exec.row, 0-based), one C pass over all tasks.
function M.by_executor(app, column, filter)
  local id = model.column_id(column or "duration")
  if not id then error("sic.stats: unknown task column '" .. tostring(column) .. "'", 2) end
  local n = tonumber(app.c.nexecutors)
  local sums, counts = ffi.new("double[?]", math.max(n, 1)), ffi.new("int64_t[?]", math.max(n, 1))
  if C.sic_stats_by_executor(app.c, id, FILTERS[filter or "all"], sums, counts) < 0 then
    error("sic.stats.by_executor: invalid arguments", 2)
  end
  local out = { sum = {}, count = {} }
  for e = 0, n - 1 do out.sum[e], out.count[e] = sums[e], tonumber(counts[e]) end
  return out
end

function M.summarize(values, n)
  local arr, count = as_doubles(values, n)
  local s = ffi.new("sic_summary")
  if C.sic_stats_summarize(arr, count, s) < 0 then error("sic.stats.summarize: invalid input", 2) end
  return to_table(s)
end

function M.quantile(values, q, n)
  local arr, count = as_doubles(values, n)
  local out = ffi.new("double[1]")
  if C.sic_stats_quantile(arr, count, q, out) < 0 then error("sic.stats.quantile: q must be in [0,1]", 2) end
  return out[0]
end

-- Equal-width histogram: list of nbins counts (lo/hi default to the data range).
function M.histogram(values, nbins, lo, hi, n)
  local arr, count = as_doubles(values, n)
  nbins = nbins or 10
  local counts = ffi.new("int64_t[?]", nbins)
  if C.sic_stats_histogram(arr, count, nbins, lo or 0, hi or 0, counts) < 0 then
    error("sic.stats.histogram: invalid arguments", 2)
  end
  local out = {}
  for i = 0, nbins - 1 do out[i + 1] = tonumber(counts[i]) end
  return out
end

-- 1-based positions (for Lua lists) or 0-based (for cdata) of the k largest values.
function M.topk(values, k, n)
  local arr, count = as_doubles(values, n)
  local idx = ffi.new("int64_t[?]", math.max(k, 1))
  local m = tonumber(C.sic_stats_topk(arr, count, k, idx))
  local base = type(values) == "cdata" and 0 or 1
  local out = {}
  for i = 0, m - 1 do out[i + 1] = tonumber(idx[i]) + base end
  return out
end

-- What-if simulation (engine/stats/sim.c): predicted wall time
-- for each cluster-size factor (1 = observed task slots) and the bounds. Returns
-- { summary = {wall_ms, driver_ms, phase_ms, task_ms, simulated_ms, critical_path_ms, ideal_ms,
--   slot_ms, mean_slots, max_slots, phases}, walls = { [i] = ms for factors[i] } }.
local SIM_FIELDS = { "wall_ms", "driver_ms", "phase_ms", "task_ms", "simulated_ms", "critical_path_ms", "ideal_ms",
  "slot_ms", "mean_slots", "max_slots", "phases" }
function M.simulate(app, factors, task_cpus)
  factors = factors or {}
  local n = #factors
  local f, w = ffi.new("double[?]", math.max(n, 1)), ffi.new("double[?]", math.max(n, 1))
  for i = 1, n do f[i - 1] = factors[i] end
  local s = ffi.new("sic_sim_summary")
  if C.sic_sim_app(app.c, task_cpus or 1, f, n, w, s) < 0 then error("sic.stats.simulate: simulation failed", 2) end
  local out = { summary = {}, walls = {} }
  for _, k in ipairs(SIM_FIELDS) do out.summary[k] = tonumber(s[k]) end
  for i = 1, n do out.walls[i] = w[i - 1] end
  return out
end

-- Busy and alive core-ms per bin of [t0, t1): { busy = {...}, alive = {...} } (1-based lists).
function M.timeline(app, t0, t1, nbins)
  local busy, alive = ffi.new("double[?]", nbins), ffi.new("double[?]", nbins)
  if C.sic_stats_timeline(app.c, t0, t1, nbins, busy, alive) < 0 then error("sic.stats.timeline: invalid arguments", 2) end
  local out = { busy = {}, alive = {} }
  for i = 0, nbins - 1 do out.busy[i + 1], out.alive[i + 1] = busy[i], alive[i] end
  return out
end

-- Sums of every task column of a stage in one C pass, no sorting : { n = tasks counted, [column name] = sum } for metric and derived columns.
local NSUMS = 41
local DERIVED_ORDER = { "duration", "scheduler_delay", "gc_ratio_permille", "shuffle_read_bytes", "spill_bytes",
  "launch_time", "failed" }
local function sums_table(sums, n)
  local out = { n = tonumber(n) }
  for name, idx in pairs(model.TASK_METRICS) do out[name] = sums[idx] end
  for i, name in ipairs(DERIVED_ORDER) do out[name] = sums[C.SIC_TM__COUNT + i - 1] end
  return out
end
-- Successful-task and all-attempt sums of a stage in one C pass: succ, all (tables as above).
function M.stage_sums_both(stage)
  local s, a, ns, na = ffi.new("double[?]", NSUMS), ffi.new("double[?]", NSUMS), ffi.new("int64_t[1]"), ffi.new("int64_t[1]")
  if C.sic_stats_stage_sums2(stage.app.c, stage.row, s, ns, a, na) < 0 then error("sic.stats.stage_sums_both: invalid arguments", 2) end
  return sums_table(s, ns[0]), sums_table(a, na[0])
end
function M.stage_sums(stage, filter)
  local f = FILTERS[filter or "successful"]
  if not f then error("sic.stats: unknown filter '" .. tostring(filter) .. "'", 2) end
  local sums, n = ffi.new("double[?]", NSUMS), ffi.new("int64_t[1]")
  if C.sic_stats_stage_sums(stage.app.c, stage.row, f, sums, n) < 0 then error("sic.stats.stage_sums: invalid arguments", 2) end
  local out = { n = tonumber(n[0]) }
  for name, idx in pairs(model.TASK_METRICS) do out[name] = sums[idx] end
  for i, name in ipairs(DERIVED_ORDER) do out[name] = sums[C.SIC_TM__COUNT + i - 1] end
  return out
end

-- Per-executor totals of a column over one stage:
-- { sum = { [executor row] = .. }, count = { [executor row] = .. } }, one C pass.
function M.stage_by_executor(stage, column, filter)
  local id = model.column_id(column or "duration")
  if not id then error("sic.stats: unknown task column '" .. tostring(column) .. "'", 2) end
  local app = stage.app
  local n = tonumber(app.c.nexecutors)
  local sums, counts = ffi.new("double[?]", math.max(n, 1)), ffi.new("int64_t[?]", math.max(n, 1))
  if C.sic_stats_stage_by_executor(app.c, stage.row, id, FILTERS[filter or "successful"], sums, counts) < 0 then
    error("sic.stats.stage_by_executor: invalid arguments", 2)
  end
  local out = { sum = {}, count = {} }
  for e = 0, n - 1 do out.sum[e], out.count[e] = sums[e], tonumber(counts[e]) end
  return out
end

return M
