-- analysis.executor_cause: why one executor ran a stage's tasks slowly. A slow executor is a bad
-- host only when the host's other executors were slow too, or the executor stayed slow after
-- its first tasks. An executor whose slow tasks were its very first ones (its first wave of
-- `cores` tasks) and whose later tasks ran at its peers' speed was cold: JIT compilation, class
-- loading, broadcast fetch and first shuffle connections, paid once per new executor.
-- The evidence: other executors on the same host in this stage, the same executor's tasks
-- before and after, and when it was added.
local U = require "lib.analysis.util"

local M = {}

local SLOW = 2 -- a median at least this many times the stage median is slow

local function median(list)
  if #list == 0 then return nil end
  table.sort(list)
  return list[math.ceil(#list / 2)]
end

-- Each executor row's task rows over the whole app, by launch time (built once per app).
local function tasks_by_executor(app)
  return U.once(app, "executor_cause:rows", function(a)
    local t, per = a.tasks, {}
    for row = 0, t.n - 1 do
      local e = t.executor[row]
      if e >= 0 then
        local l = per[e]
        if not l then l = {} per[e] = l end
        l[#l + 1] = row
      end
    end
    local launch = t.launch_time
    for _, l in pairs(per) do table.sort(l, function(x, y) return tonumber(launch[x]) < tonumber(launch[y]) end) end
    return per
  end)
end

-- Successful durations of this stage's tasks by executor row, with their launch times.
local function stage_rows_by_executor(app, stage)
  return U.once(app, "executor_cause:stage:" .. stage.row, function(a)
    local t, per = a.tasks, {}
    for row in stage:tasks() do
      local e = t.executor[row]
      local d = U.task_ms(a, row)
      if e >= 0 and d >= 0 then
        local l = per[e]
        if not l then l = { durations = {}, first_launch = math.huge, last_finish = 0 } per[e] = l end
        l.durations[#l.durations + 1] = d
        l.first_launch = math.min(l.first_launch, tonumber(t.launch_time[row]))
        l.last_finish = math.max(l.last_finish, tonumber(t.finish_time[row]))
      end
    end
    for _, l in pairs(per) do l.median = median({ unpack(l.durations) }) l.n = #l.durations end
    return per
  end)
end

local function stage_median(app, srow)
  local s = app.stages[srow + 1]
  return s and U.stats(s, "duration").median or nil
end

-- How the executor's tasks launched after `after` ran compared with their own stages' medians
-- (median of the ratios; at most 400 tasks looked at).
local function later_ratio(app, rows, after)
  local t, ratios = app.tasks, {}
  for _, row in ipairs(rows) do
    if tonumber(t.launch_time[row]) >= after then
      local m = stage_median(app, t.stage[row])
      local d = U.task_ms(app, row)
      if m and m > 0 and d >= 0 then ratios[#ratios + 1] = d / m end
      if #ratios >= 400 then break end
    end
  end
  return median(ratios), #ratios
end

-- Evidence about executor row `e` being slow in `stage`: a table with cause = "warmup" (cold
-- executors), "host" (the host's executors slow, or this one slow throughout) or "executor"
-- (slow here, no evidence either way), and the figures that decided it.
function M.explain(app, stage, e)
  local per = stage_rows_by_executor(app, stage)
  local me = per[e]
  local m = U.stats(stage, "duration").median
  local ex = app.executors[e + 1]
  if not me or not ex or m <= 0 then return { cause = "executor" } end
  local host = ex.host
  local ev = { executor = ex.id, host = host, executor_median_ms = me.median, stage_median_ms = m,
    executor_tasks = me.n, cores = ex.cores, same_host = {}, cold = {} }
  local all = tasks_by_executor(app)
  -- same host: the other executors' medians in this stage
  local peers_fast, peers_slow, npeers = 0, 0, 0
  for f, l in pairs(per) do
    local fx = app.executors[f + 1]
    if f ~= e and fx and fx.host == host then
      npeers = npeers + 1
      ev.same_host[#ev.same_host + 1] = { executor = fx.id, median_ms = l.median, tasks = l.n }
      if l.median >= SLOW * m then peers_slow = peers_slow + 1 else peers_fast = peers_fast + 1 end
    end
  end
  table.sort(ev.same_host, function(x, y) return tostring(x.executor) < tostring(y.executor) end)
  -- its tasks before this stage's first one on it, and after its tasks here finished
  local rows = all[e] or {}
  local before = 0
  for _, row in ipairs(rows) do
    if tonumber(app.tasks.launch_time[row]) < me.first_launch then before = before + 1 else break end
  end
  ev.tasks_before = before
  ev.first_wave = before < math.max(ex.cores, 1)
  ev.later_ratio, ev.later_tasks = later_ratio(app, rows, me.last_finish)
  -- when it joined, against the first executor's add time and this stage's submission
  local first_add
  for _, w in ipairs(U.workers(app)) do first_add = math.min(first_add or w.add, w.add) end
  if ex.add_time >= 0 and first_add then ev.added_after_first_ms = ex.add_time - first_add end
  local t0 = U.app_start(app)
  if rows[1] and t0 then ev.first_task_at_ms = tonumber(app.tasks.launch_time[rows[1]]) - t0 end
  -- the other executors of this stage whose slow tasks here were their first ones
  for f, l in pairs(per) do
    local fx = app.executors[f + 1]
    if fx and l.median >= SLOW * m then
      local frows, b = all[f] or {}, 0
      for _, row in ipairs(frows) do
        if tonumber(app.tasks.launch_time[row]) < l.first_launch then b = b + 1 else break end
      end
      if b < math.max(fx.cores, 1) then
        local r = later_ratio(app, frows, l.last_finish)
        if not r or r < SLOW then ev.cold[#ev.cold + 1] = { executor = fx.id, host = fx.host, median_ms = l.median, tasks = l.n } end
      end
    end
  end
  table.sort(ev.cold, function(x, y) return (tonumber(x.executor) or 0) < (tonumber(y.executor) or 0) end)
  local later_fast = ev.later_ratio and ev.later_tasks >= 3 and ev.later_ratio < SLOW
  local later_slow = ev.later_ratio and ev.later_tasks >= 3 and ev.later_ratio >= SLOW
  if ev.first_wave and not later_slow and (later_fast or peers_fast > 0) then
    ev.cause = "warmup"
  elseif (npeers > 0 and peers_slow == npeers) or (npeers == 0 and later_slow) then
    ev.cause = "host"
  elseif later_slow then
    ev.cause = "executor" ev.slow_throughout = true
  else
    ev.cause = "executor"
  end
  return ev
end

local function ids(list)
  local out = {}
  for _, c in ipairs(list) do out[#out + 1] = tostring(c.executor) end
  if #out <= 1 then return out[1] or "" end
  return table.concat(out, ", ", 1, #out - 1) .. " and " .. out[#out]
end

-- Advice text and settings for the cause M.explain returned. `dyn`: dynamic allocation on;
-- `peak`: most executors alive at once; `idle_gap_ms`: longest idle gap of an executor.
function M.advice(ev, app)
  local cfg, text = {}, {}
  if ev.cause == "warmup" then
    local cold = #ev.cold > 0 and ev.cold or { { executor = ev.executor } }
    local peer = ev.same_host and ev.same_host[1]
    text[#text + 1] = string.format("Executor%s %s ran %s first tasks of the application in this stage, one slow wave " ..
      "(median %s against the stage's %s)%s, then %s: cold executors (JIT compilation, class loading, broadcast " ..
      "fetch, first shuffle connections), not a bad host%s.",
      #cold > 1 and "s" or "", ids(cold), #cold > 1 and "their" or "its", U.secs(ev.executor_median_ms),
      U.secs(ev.stage_median_ms),
      ev.first_task_at_ms and string.format(", %s into the run", U.secs(ev.first_task_at_ms)) or "",
      ev.later_ratio and string.format("ran their later tasks at %.1fx their stages' medians", ev.later_ratio)
        or "had no later tasks",
      peer and string.format(": executor %s on the same host ran this stage at a %s median", tostring(peer.executor),
        U.secs(peer.median_ms)) or "")
    local dyn = app and app:conf("spark.dynamicAllocation.enabled", "false") == "true"
    local peak = 0
    for _, w in ipairs(app and U.workers(app) or {}) do peak = peak + 1 end
    if dyn then
      cfg["spark.dynamicAllocation.minExecutors"] = tostring(peak)
      cfg["spark.dynamicAllocation.executorIdleTimeout"] = "300s"
      text[#text + 1] = string.format("Keep executors alive between jobs so each pays the warm-up once " ..
        "(spark.dynamicAllocation.minExecutors=%d, executorIdleTimeout=300s instead of 60s) and pre-warm new ones " ..
        "with a small job over every core before the heavy stage.", peak)
    else
      text[#text + 1] = "Dynamic allocation is off, so the warm-up is paid once per executor: pre-warm executors " ..
        "with a small job over every core (or a cached broadcast) before the heavy stage; with dynamic " ..
        string.format("allocation, keep them alive (spark.dynamicAllocation.minExecutors=%d, executorIdleTimeout=300s).", peak)
    end
  elseif ev.cause == "host" then
    local peers = ev.same_host or {}
    if #peers > 0 then
      text[#text + 1] = string.format("Executor %s and the other executor%s on its host %s (%s) were all slow in this " ..
        "stage (median %s against %s), and not on their first tasks: a bad host, not the data.", tostring(ev.executor),
        #peers > 1 and "s" or "", tostring(ev.host), ids(peers), U.secs(ev.executor_median_ms), U.secs(ev.stage_median_ms))
    else
      text[#text + 1] = string.format("Executor %s (%s) was slow in this stage (median %s against %s) and stayed slow " ..
        "afterwards (%.1fx its stages' medians): a bad host, not the data.", tostring(ev.executor), tostring(ev.host),
        U.secs(ev.executor_median_ms), U.secs(ev.stage_median_ms), ev.later_ratio or 0)
    end
    text[#text + 1] = "Take the host out (spark.excludeOnFailure does not catch slowness); speculation re-runs " ..
      "such tasks elsewhere (config.speculation)."
  else
    text[#text + 1] = string.format("Executor %s (%s) was slow for its tasks in this stage (median %s against %s)%s.",
      tostring(ev.executor), tostring(ev.host), U.secs(ev.executor_median_ms or 0), U.secs(ev.stage_median_ms or 0),
      ev.slow_throughout and string.format(" and afterwards (%.1fx), while its host's other executors ran fast: " ..
        "this executor process (its GC, memory or local disks), not the host", ev.later_ratio)
        or ": neither its host's other executors nor its own later tasks show why")
    text[#text + 1] = "Speculation re-runs such tasks elsewhere (config.speculation)."
  end
  return table.concat(text, " "), cfg
end

return M
