-- analysis.util: helpers the analysis agents and rule sets share (formatting, the SQL plan
-- of a stage, plan metrics, app-level figures computed once per app).
-- Scripts load it with require "lib.analysis.util"; it runs in the same sandbox as they do.
local M = {}

-- Durations for people, the same way the C report writes them (engine/report/format.c
-- sic_fmt_duration): "53 ms", "3.0 s", "1m 10s", "2h 11m". Every rule formats durations with
-- this one function, so a finding's median agrees with the stage table's.
function M.secs(ms)
  ms = tonumber(ms)
  if not ms or ms < 0 then return "unknown" end
  if ms < 1000 then return string.format("%.0f ms", ms) end
  if ms < 60000 then return string.format("%.1f s", ms / 1000) end
  ms = math.floor(ms / 1000) -- seconds
  if ms < 3600 then return string.format("%dm %02ds", math.floor(ms / 60), ms % 60) end
  if ms < 86400 then return string.format("%dh %02dm", math.floor(ms / 3600), math.floor(ms / 60) % 60) end
  return string.format("%dd %dh", math.floor(ms / 86400), math.floor(ms / 3600) % 24)
end

-- Bytes for people, the same way the C report writes them (engine/report/format.c
-- sic_fmt_bytes): binary units, 3 significant digits ("19.3 GiB", "3.04 GiB", "487 MiB").
-- Every rule formats sizes with this one function.
function M.bytes(b)
  b = tonumber(b)
  if not b or b < 0 then return "unknown" end
  local units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" }
  local i = 1
  while b >= 1024 and i < #units do b, i = b / 1024, i + 1 end
  if i == 1 then return string.format("%.0f B", b) end
  return string.format(b < 10 and "%.2f %s" or b < 100 and "%.1f %s" or "%.0f %s", b, units[i])
end

-- "X (Y on disk)" for a spill: Spark counts spill twice, as the in-memory size of what was
-- spilled and as the bytes written to disk. A zero disk figure means the log did not record
-- one (not a spill that wrote nothing), so it is said so rather than printed as "0 B to disk".
function M.spill(memory_bytes, disk_bytes)
  disk_bytes = tonumber(disk_bytes) or 0
  if disk_bytes > 0 then
    return string.format("%s in memory, %s on disk", M.bytes(memory_bytes), M.bytes(disk_bytes))
  end
  return string.format("%s in memory; the log records no bytes written to disk", M.bytes(memory_bytes))
end

-- Spark major, minor of the app (nil when unknown).
function M.version(app)
  local major, minor = (app.spark_version or ""):match("^(%d+)%.(%d+)")
  return tonumber(major), tonumber(minor)
end

-- Effective AQE settings: Spark turned AQE on by default in 3.2; skew-join split needs both.
function M.aqe(app)
  local major, minor = M.version(app)
  local v = app:conf("spark.sql.adaptive.enabled")
  -- Databricks runtimes have had AQE on by default since DBR 7.3, whatever Spark version the log names
  local databricks = app:conf("spark.databricks.clusterUsageTags.sparkVersion") ~= nil
  local default_on = databricks or (major and (major > 3 or (major == 3 and minor >= 2))) or false
  local enabled = v == "true" or (v == nil and default_on)
  local skew = app:conf("spark.sql.adaptive.skewJoin.enabled", "true") == "true"
  local coalesce = app:conf("spark.sql.adaptive.coalescePartitions.enabled", "true") == "true"
  return { enabled = enabled, skew_join = enabled and skew, coalesce = enabled and coalesce,
    value = v or (default_on and "unset (on by default since 3.2)" or "unset (off before 3.2)") }
end

-- Per-app memo: agents and rules run one after another over the same app view.
local memo = setmetatable({}, { __mode = "k" })
function M.once(app, key, fn)
  local m = memo[app]
  if not m then m = {} memo[app] = m end
  if m[key] == nil then m[key] = fn(app) end
  return m[key]
end

-- Memoised stage statistics: several rules ask for the same sorted summary of a stage column,
-- and each summary sorts every task of the stage in C. sums() is one unsorted pass over all
-- columns: rules test totals first and skip the sort when the total rules the stage out.
local stats = require "sic.stats"
function M.stats(stage, column, filter)
  local key = "st:" .. stage.row .. ":" .. column .. ":" .. (filter or "successful")
  return M.once(stage.app, key, function() return stage:stats(column, filter) end)
end
function M.sums(stage, filter)
  filter = filter or "successful"
  if filter == "finished" then
    return M.once(stage.app, "sums:" .. stage.row .. ":finished", function() return stats.stage_sums(stage, filter) end)
  end
  -- successful and all come out of one pass over the stage
  local both = M.once(stage.app, "sums:" .. stage.row, function()
    local succ, all = stats.stage_sums_both(stage)
    return { successful = succ, all = all }
  end)
  return both[filter]
end

-- Task duration of one row from its columns (no derived column materialised).
function M.task_ms(app, row)
  local t = app.tasks
  local f = tonumber(t.finish_time[row])
  return f > 0 and f - tonumber(t.launch_time[row]) or -1
end

-- SQL execution a stage belongs to (model view) or nil.
function M.stage_sql(app, stage)
  local id = stage.c.sql_execution_id
  if id == nil or id < 0 then return nil end
  local by_id = M.once(app, "sql_by_id", function(a)
    local t = {}
    for _, s in ipairs(a.sqls) do t[s.execution_id] = s end
    return t
  end)
  return by_id[tonumber(id)]
end

-- Plan tree of an execution: list of nodes { name, text, depth, parent (index), children = {...},
-- metrics = { [metric name] = value } } root first.
function M.plan(app, sql)
  return M.once(app, "plan:" .. sql.execution_id, function(a)
    local nodes, by_row = {}, {}
    for i, n in ipairs(sql:plan()) do
      local node = { name = n.name or "?", text = n.simple_string or n.name or "?", depth = n.depth, row = n.row,
        children = {}, metrics = M.node_metrics(a, n) }
      nodes[i] = node
      by_row[n.row] = i
      local parent = by_row[n.parent]
      if n.parent >= 0 and parent then
        node.parent = parent
        table.insert(nodes[parent].children, i)
      end
    end
    return nodes
  end)
end

-- Accumulator total by id (binary search over the sorted table).
local function accum_sum(app, id)
  local c = app.c
  local lo, hi = 0, tonumber(c.naccums) - 1
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local a = c.accums[mid]
    if a.accum_id == id then return tonumber(a.sum) end
    if a.accum_id < id then lo = mid + 1 else hi = mid - 1 end
  end
  return nil
end

-- { [metric name] = total } of a plan node (SQL metrics through their accumulators).
function M.node_metrics(app, node)
  local out, c = {}, app.c
  local r = node.c.metrics
  for i = 0, r.n - 1 do
    local m = c.plan_metrics[r.off + i]
    local name = app:string(m.name)
    local v = accum_sum(app, m.accum_id)
    if name and v then out[name] = v end
  end
  return out
end

-- What a file scan node read, from its SQL metrics under Spark's names (nil where the node
-- lacks one): files, bytes, partitions, scan time (ms) and output rows; into scan.
function M.scan_read(app, node, scan)
  local m = M.node_metrics(app, node)
  scan.files_read = m["number of files read"]
  scan.bytes_read = m["size of files read"]
  scan.partitions_read = m["number of partitions read"]
  scan.scan_time_ms = m["scan time"] or m["scan time total (min, med, max)"]
  scan.rows = m["number of output rows"]
  return scan
end

-- Join nodes of an execution's plan with their keys: { node, kind, keys, join_type }.
function M.joins(app, sql)
  local out = {}
  for i, n in ipairs(M.plan(app, sql)) do
    if n.name:find("Join", 1, true) or n.name == "CartesianProduct" then
      local keys = n.text:match("%[(.-)%]") or ""
      out[#out + 1] = { index = i, node = n, kind = n.name, keys = keys:gsub("#%d+", ""),
        join_type = n.text:match("%],%s*(%a+)") }
    end
  end
  return out
end

-- Operators in a plan that AQE's skew handling does not split (aggregations, windows, sorts).
function M.non_join_skew_ops(app, sql)
  local out = {}
  for _, n in ipairs(M.plan(app, sql)) do
    if n.name:find("Aggregate", 1, true) or n.name == "Window" or n.name:find("Python", 1, true) then
      out[#out + 1] = n.name
    end
  end
  return out
end

-- Executor slots of the app and its wall time.
function M.app_end(app)
  return app.end_time >= 0 and app.end_time or app.last_event_time
end
function M.app_start(app)
  return app.start_time >= 0 and app.start_time or app.first_event_time
end

-- Non-driver executors (or the driver alone in local mode) with their alive intervals.
function M.workers(app)
  return M.once(app, "workers", function(a)
    local out, has_exec = {}, false
    for _, e in ipairs(a.executors) do if not e.is_driver then has_exec = true end end
    local t0, t1 = M.app_start(a), M.app_end(a)
    for _, e in ipairs(a.executors) do
      if (not e.is_driver or not has_exec) and e.cores > 0 then
        local add = e.add_time >= 0 and e.add_time or t0
        local rem = e.remove_time >= 0 and e.remove_time or t1
        out[#out + 1] = { exec = e, id = e.id, cores = e.cores, add = add, remove = math.max(rem, add),
          max_memory = e.max_memory }
      end
    end
    return out
  end)
end

-- Build a finding table an agent returns itself (rules get this from the engine).
function M.finding(t)
  assert(t.id and t.title and t.severity, "finding needs id, title, severity")
  return { id = t.id, severity = t.severity, title = t.title, entity = t.entity or { kind = "app", key = "app" },
    evidence = t.evidence or {}, recommendation = t.recommendation or {}, impact = t.impact, rule = t.rule }
end

return M
