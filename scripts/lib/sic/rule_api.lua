-- sic.rule_api: the documented, versioned surface a rule sees as `ctx` (docs/rules.md is its
-- reference; spec/lua/rule_api_spec.lua checks it).
--
-- Everything here is a thin, named wrapper over engine pieces that already exist (sic.stats,
-- sic.spark_defaults, lib.analysis.util / platform, the model views), so a rule never reaches
-- for raw bits (`flags[row] % 2`, `stage.c.sql_execution_id`) or undocumented modules.
-- Stability: fields are only added within one API version; removing or changing one bumps
-- M.API. A rule set declares `api = N`; sic refuses N > M.API with a message saying so.
local sandbox = require "sic.sandbox"
local model = require "sic.model"
local stats = require "sic.stats"
local defaults = require "sic.spark_defaults"

local M = {}

M.API = 1

-- name -> one-line description, in documentation order (docs/rules.md is generated from it
-- by scripts/lib/sic/rule_docs.lua and the spec checks that every field is documented).
M.FIELDS = {
  { "api", "the rule API version this sic implements (number)" },
  { "app", "the application (model view; see 'Model views')" },
  { "rule", "the id of the rule being evaluated" },
  { "thresholds", "the rule's effective thresholds (defaults, then pack manifest, sic.lua, --set); read-only" },
  { "conf(key [, default])", "the app's effective setting: its value, else Spark's default for the app's version, else default" },
  { "conf_source(key)", "value, \"set\" | \"default\" - where conf() got it from" },
  { "stage_stats(stage, column [, filter])", "summary of a task column over a stage: n mean median p25 p75 p90 p95 p99 max min mad gini max_over_median sum argmax ... (memoised)" },
  { "stage_sums(stage [, filter])", "totals of every task column of a stage in one pass (memoised)" },
  { "stage_top(stage, k, column [, filter])", "the k largest tasks by column: { row, value, task_id, index, attempt, executor, host }" },
  { "stage_by_executor(stage, column [, filter])", "per executor of the stage: { sum = {[e]=}, count = {[e]=} } keyed by executor index" },
  { "task(row)", "one task attempt with named fields (speculative, killed, failed, locality, status, executor, host, duration, metrics ...)" },
  { "sql_of(stage)", "the SQL execution a stage belongs to (model view) or nil" },
  { "plan(sql)", "the SQL plan: { operators = {...}, joins = {...}, scans = {...} } with node metrics, join keys, scan filters" },
  { "executors()", "non-driver executors (the driver alone in local mode): { id, host, cores, max_memory, add, remove, peak, remove_reason }" },
  { "platform()", "platform facts: vendor (databricks|emr|dataproc), manager (yarn|kubernetes|...), photon, gpu, java, spark, why" },
  { "aqe()", "effective AQE: { enabled, skew_join, coalesce, value }" },
  { "layers", "layers of the agents that ran before, restricted to those the rule set lists in `reads`" },
  { "fmt", "formatters: fmt.bytes(n), fmt.duration(ms), fmt.percent(x) (the one formatter the reports use)" },
  { "setting(name, value, why)", "recommend a Spark setting for this finding (merged into recommendation.config; why into recommendation.why)" },
  { "stats", "sic.stats (C statistics over arrays)" },
  { "parse", "sic.parse (sizes, durations, plan node text)" },
  { "state", "deprecated alias of layers without the `reads` check (API 0 rule sets)" },
}

M.TASK_FIELDS = {
  "row", "task_id", "index", "attempt", "partition_id", "stage_row", "status", "speculative", "killed", "failed",
  "succeeded", "result_task", "locality", "executor", "host", "launch_time", "finish_time", "duration",
}

local function strict_record(what, t, names)
  return setmetatable(t, { __index = function(_, k) model.unknown_field(what, k, names) end,
    __metatable = "sic." .. what })
end

-- Per app memo for the API's own caches (the shipped rules' util memo is separate).
local memo = setmetatable({}, { __mode = "k" })
local function once(app, key, fn)
  local m = memo[app]
  if not m then m = {} memo[app] = m end
  if m[key] == nil then m[key] = fn() end
  return m[key]
end

local function fmt_duration(ms)
  ms = tonumber(ms)
  if not ms or ms < 0 then return "unknown" end
  if ms < 1000 then return string.format("%.0f ms", ms) end
  if ms >= 3600000 then return string.format("%.1f h", ms / 3600000) end
  if ms >= 60000 then return string.format("%.1f min", ms / 60000) end
  return string.format("%.1f s", ms / 1000)
end

-- The rule set's view of earlier layers: only those it declared in `reads` (a typo or a
-- missing declaration is an error naming the layer, never a silent nil).
local function layers_view(state, reads, set_path)
  if not reads then return setmetatable({}, { __index = function(_, k)
    error(string.format("layer '%s': the rule set %s declares no `reads` list (add reads = { %q })",
      tostring(k), tostring(set_path), tostring(k)), 2)
  end }) end
  local allowed = {}
  for _, n in ipairs(reads) do allowed[n] = true end
  return setmetatable({}, { __index = function(_, k)
    if not allowed[k] then
      error(string.format("layer '%s' is not in the rule set's reads = { %s }", tostring(k), table.concat(reads, ", ")), 2)
    end
    return state and state[k] or nil
  end, __metatable = "sic.layers" })
end

-- ctx for one rule. env: { app, set (validated set), rule, thresholds (table), state,
-- require (the engine's sandbox require), settings (list collecting ctx.setting calls) }
function M.ctx(env)
  local app, rule = env.app, env.rule
  local req = env.require or require
  local util
  local function U()
    if not util then util = req("lib.analysis.util") end
    return util
  end
  local ctx = {
    api = M.API, app = app, rule = rule.id, state = env.state, stats = stats, parse = require "sic.parse",
    thresholds = sandbox.readonly(env.thresholds or {}, "thresholds of " .. rule.id),
  }
  ctx.layers = layers_view(env.state, env.set and env.set.reads, env.set and env.set.path)
  local legacy = not (env.set and env.set.api and env.set.api >= 1)
  function ctx.conf(key, default)
    if not app or app.kind ~= "app" then return default end
    -- API 0 (a set declaring no api, as the shipped sets written before it): the explicit
    -- value only, so their behaviour and the labelled precision/recall do not move
    if legacy then return app:conf(key, default) end
    local v = defaults.effective(app, key)
    if v == nil then return default end
    return v
  end
  function ctx.conf_source(key) return defaults.effective(app, key) end
  function ctx.stage_stats(stage, column, filter) return U().stats(stage, column, filter) end
  function ctx.stage_sums(stage, filter) return U().sums(stage, filter) end
  function ctx.stage_top(stage, k, column, filter) return stage:top_tasks(k, column, filter) end
  function ctx.stage_by_executor(stage, column, filter)
    return once(app, "bx:" .. stage.row .. ":" .. tostring(column) .. ":" .. tostring(filter),
      function() return stats.stage_by_executor(stage, column, filter) end)
  end
  function ctx.sql_of(stage) return U().stage_sql(app, stage) end
  function ctx.aqe() return U().aqe(app) end
  function ctx.platform() return req("lib.analysis.platform").detect(app) end
  function ctx.executors()
    local out = {}
    for i, w in ipairs(U().workers(app)) do
      local e = w.exec
      out[i] = strict_record("executor facts", { id = w.id, host = e.host, cores = w.cores, max_memory = w.max_memory,
        add = w.add, remove = w.remove, peak = e.peak, remove_reason = e.remove_reason, view = e },
        { "id", "host", "cores", "max_memory", "add", "remove", "peak", "remove_reason", "view" })
    end
    return out
  end
  function ctx.plan(sql)
    if sql == nil then return nil end
    return once(app, "plan:" .. sql.execution_id, function()
      local nodes, scans = U().plan(app, sql), {}
      local ops = {}
      for i, n in ipairs(nodes) do
        ops[i] = { name = n.name, text = n.text, depth = n.depth, metrics = n.metrics, parent = n.parent }
        if n.name:find("Scan", 1, true) then
          scans[#scans + 1] = { operator = n.name, index = i, metrics = n.metrics,
            location = n.text:match("Location: %a+ %[([^%]]*)%]") or n.text:match("Location: [^%[]*%[([^%]]*)%]"),
            pushed_filters = n.text:match("PushedFilters: %[([^%]]*)%]"),
            partition_filters = n.text:match("PartitionFilters: %[([^%]]*)%]"),
            table = n.text:match("^%S+ %S+ (%S+)") }
        end
      end
      return { operators = ops, joins = U().joins(app, sql), scans = scans }
    end)
  end
  function ctx.task(row)
    local t = app.tasks
    local e = tonumber(t.executor[row])
    local exec = e >= 0 and app.executors[e + 1] or nil
    local rec = { row = row, task_id = tonumber(t.task_id[row]), index = tonumber(t.index[row]),
      attempt = tonumber(t.attempt[row]), partition_id = tonumber(t.partition_id[row]), stage_row = tonumber(t.stage[row]),
      status = t.status_name[row], speculative = t.speculative[row], killed = t.killed[row],
      failed = t.status_name[row] == "FAILED", succeeded = t.succeeded[row], result_task = t.result_task[row],
      locality = t.locality_name[row], executor = exec and exec.id or nil, host = exec and exec.host or nil,
      launch_time = tonumber(t.launch_time[row]), finish_time = tonumber(t.finish_time[row]),
      duration = U().task_ms(app, row) }
    local names = {}
    for _, n in ipairs(M.TASK_FIELDS) do names[#names + 1] = n end
    for name in pairs(model.TASK_METRICS) do
      rec[name] = tonumber(t[name][row])
      names[#names + 1] = name
    end
    return strict_record("task", rec, names)
  end
  ctx.fmt = sandbox.readonly({
    bytes = function(b) return U().bytes(b) end,
    duration = fmt_duration,
    percent = function(x) return string.format("%.0f%%", (tonumber(x) or 0) * 100) end,
  }, "ctx.fmt")
  function ctx.setting(name, value, why)
    if type(name) ~= "string" or not name:match("^[%w_.%-]+$") then
      error("ctx.setting: name must be a setting name such as spark.sql.shuffle.partitions", 2)
    end
    if value == nil then error("ctx.setting: '" .. name .. "' needs a value", 2) end
    if env.settings then env.settings[#env.settings + 1] = { name = name, value = tostring(value), why = why } end
  end
  local names = {}
  for _, f in ipairs(M.FIELDS) do names[#names + 1] = f[1]:match("^[%w_]+") end
  return setmetatable(ctx, { __index = function(_, k) model.unknown_field("ctx", k, names) end })
end

-- Check a rule set's declared API version. Returns nil or a message.
function M.check_api(api, path)
  if api == nil then return nil end
  if type(api) ~= "number" or api < 0 or api ~= math.floor(api) then
    return string.format("%s: 'api' must be a whole number (this sic implements rule API %d)", path, M.API)
  end
  if api > M.API then
    return string.format("%s: written for rule API %d, but this sic implements rule API %d: upgrade sic, or " ..
      "set api = %d and use only what docs/rules.md lists", path, api, M.API, M.API)
  end
  return nil
end

return M
