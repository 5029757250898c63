-- sic.rules: the rule contract, rule-set validation, thresholds/overrides and evaluation.
--
-- A rule-set file (scripts/rules/*.lua) returns { agent = "skew", rules = { rule, ... } }
-- (or just the list; agent defaults to "rules"). A rule is a declarative table:
--   id          unique string, e.g. "skew.task_duration"
--   title       one line
--   severity    "info" | "low" | "medium" | "high" | "critical"
--   applies_to  "app" | "job" | "stage" | "executor" | "sql" | "table"
--   thresholds  optional { name = default }, overridable from sic.lua or --set
--   when(entity, ctx)   -> evidence table, or nil when the rule does not fire
--   advice(evidence, ctx) -> text [, { ["spark.conf"] = "value", ... }]
--   impact(evidence, ctx) -> optional { saving_ms = n, ... } estimated saving; `pool` names
--               what the saving is drawn from when other rules draw on it too ("gc",
--               "idle_cores", "spill", ...): the cost agent counts a pool once (lib/analysis/savings)
--   defers_to   optional { "rule.id", ... }: give up an entity on which one of these rules
--               also fired (sic.consolidate); group = false keeps one finding per entity;
--               group_key(evidence) splits a rule's findings by cause; combine(key, values)
--               picks the value of a setting the grouped entities disagree on
--   check_thresholds optional (thresholds) -> nil | message: an overridden value the rule
--               cannot use (an unknown catalogue key...), reported as a usage error of --set
-- The set may also declare (issue 17; docs/rules.md is the reference):
--   api         the rule API it is written for (sic.rule_api.API); a newer one is refused
--   reads       { "skew", ... }: layers of earlier agents its rules read through ctx.layers
--   disable     { "rule.id", ... }: built-in (or other) rules this set turns off
--   overrides   { ["rule.id"] = { threshold = value, enabled = bool } }: thresholds of other rules
-- ctx is built by sic.rule_api (stats, sums, conf with Spark defaults, platform, plan, executors,
-- layers, fmt, setting, task(row)); reading a field ctx does not have is an error.
local sandbox = require "sic.sandbox"
local rule_api = require "sic.rule_api"
local model = require "sic.model"

local M = {}

M.SEVERITIES = { info = 0, low = 1, medium = 2, high = 3, critical = 4 }
M.KINDS = { app = true, job = true, stage = true, executor = true, sql = true, table = true }

local function fail(path, i, msg)
  error(string.format("%s: rule %s: %s", path, tostring(i), msg), 0)
end

-- Validate one rule; raises "path: rule N: what is wrong".
local function validate_rule(r, i, path)
  if type(r) ~= "table" then fail(path, i, "must be a table") end
  local label = type(r.id) == "string" and ("'" .. r.id .. "'") or ("#" .. i)
  if type(r.id) ~= "string" or not r.id:match("^[%w_][%w_.%-]*$") then
    fail(path, label, "id must be a string of letters, digits, '_', '.', '-'")
  end
  if type(r.title) ~= "string" then fail(path, label, "title must be a string") end
  if not M.SEVERITIES[r.severity] then
    fail(path, label, "severity must be one of info, low, medium, high, critical (got " .. tostring(r.severity) .. ")")
  end
  if not M.KINDS[r.applies_to] then
    fail(path, label, "applies_to must be one of app, job, stage, executor, sql, table (got " .. tostring(r.applies_to) .. ")")
  end
  for _, fn in ipairs { "when", "advice" } do
    if type(r[fn]) ~= "function" then fail(path, label, fn .. " must be a function") end
  end
  if r.impact ~= nil and type(r.impact) ~= "function" then fail(path, label, "impact must be a function") end
  if r.thresholds ~= nil and type(r.thresholds) ~= "table" then fail(path, label, "thresholds must be a table") end
  if r.enabled ~= nil and type(r.enabled) ~= "boolean" then fail(path, label, "enabled must be a boolean") end
  if r.defers_to ~= nil and type(r.defers_to) ~= "table" then fail(path, label, "defers_to must be a list of rule ids") end
  if r.group ~= nil and type(r.group) ~= "boolean" then fail(path, label, "group must be a boolean") end
  for _, fn in ipairs { "group_key", "combine", "check_thresholds" } do
    if r[fn] ~= nil and type(r[fn]) ~= "function" then fail(path, label, fn .. " must be a function") end
  end
end

-- Validate a rule-set module table; returns the normalised set {agent=, rules={...}}.
function M.validate_set(mod, path)
  if type(mod) ~= "table" then error(path .. ": a rule set must return a table", 0) end
  local rules = mod.rules or mod
  if type(rules) ~= "table" then error(path .. ": 'rules' must be a list", 0) end
  if mod.agent ~= nil and type(mod.agent) ~= "string" then error(path .. ": 'agent' must be a string", 0) end
  local api_problem = rule_api.check_api(mod.api, path)
  if api_problem then error(api_problem, 0) end
  for _, field in ipairs { "reads", "disable" } do
    if mod[field] ~= nil then
      if type(mod[field]) ~= "table" then error(path .. ": '" .. field .. "' must be a list of names", 0) end
      for i, n in ipairs(mod[field]) do
        if type(n) ~= "string" then error(string.format("%s: %s[%d] must be a string", path, field, i), 0) end
      end
    end
  end
  if mod.overrides ~= nil and type(mod.overrides) ~= "table" then
    error(path .. ": 'overrides' must be a table { [\"rule.id\"] = { threshold = value } }", 0)
  end
  if mod.rules then
    local known = { rules = true, agent = true, api = true, reads = true, disable = true, overrides = true,
      name = true, description = true }
    for k in pairs(mod) do
      if type(k) == "string" and not known[k] then
        local names = {}
        for n in pairs(known) do names[#names + 1] = n end
        local near = model.nearest(k, names, 2)
        error(string.format("%s: unknown rule-set field '%s'%s", path, k,
          #near > 0 and (" (did you mean: " .. table.concat(near, ", ") .. "?)") or ""), 0)
      end
    end
  end
  local seen = {}
  for i, r in ipairs(rules) do
    validate_rule(r, i, path)
    if seen[r.id] then fail(path, "'" .. r.id .. "'", "duplicate id") end
    seen[r.id] = true
  end
  return { agent = mod.agent or "rules", rules = rules, path = path, api = mod.api or 0, reads = mod.reads,
    disable = mod.disable, overrides = mod.overrides }
end

-- ---------------------------------------------------------------- configuration
-- overrides: { [rule id] = { enabled = bool, thresholds = { k = v } } } built from the user
-- config table and --set strings. Unknown rules/threshold names are errors (typos must not
-- silently do nothing).
function M.merge_config(overrides, cfg, source)
  if cfg == nil then return overrides end
  if type(cfg) ~= "table" then error(source .. ": config must return a table", 0) end
  local rules = cfg.rules or {}
  if type(rules) ~= "table" then error(source .. ": 'rules' must be a table", 0) end
  for id, o in pairs(rules) do
    if type(o) ~= "table" then error(string.format("%s: rules[%q] must be a table", source, tostring(id)), 0) end
    local dst = overrides[id] or { thresholds = {}, source = source }
    for k, v in pairs(o) do
      if k == "enabled" then dst.enabled = v
      elseif k == "thresholds" and type(v) == "table" then
        for tk, tv in pairs(v) do dst.thresholds[tk] = tv end
      else dst.thresholds[k] = v end
    end
    overrides[id] = dst
  end
  return overrides
end

function M.apply_sets(overrides, sets)
  local parse = require "sic.parse"
  for _, s in ipairs(sets or {}) do
    local id, key, value = parse.override(s)
    if not id then error(key, 0) end
    local dst = overrides[id] or { thresholds = {}, source = "--set " .. s }
    if key == "enabled" then
      if type(value) ~= "boolean" then error("--set " .. s .. ": enabled must be true or false", 0) end
      dst.enabled = value
    else
      dst.thresholds[key] = value
    end
    overrides[id] = dst
  end
  return overrides
end

-- Check overrides against the loaded rules.
function M.check_overrides(overrides, rules_by_id)
  for id, o in pairs(overrides) do
    local r = rules_by_id[id]
    if not r then error(string.format("%s: no rule with id '%s'", o.source or "config", id), 0) end
    for k in pairs(o.thresholds) do
      if not (r.thresholds and r.thresholds[k] ~= nil) then
        local names = {}
        for n in pairs(r.thresholds or {}) do names[#names + 1] = n end
        table.sort(names)
        error(string.format("%s: rule '%s' has no threshold '%s' (it has: %s)", o.source or "config", id, k,
          #names > 0 and table.concat(names, ", ") or "none"), 0)
      end
    end
    if r.check_thresholds and next(o.thresholds) then
      local _, th = M.effective(r, overrides)
      local msg = r.check_thresholds(th)
      if msg then error(string.format("%s: rule '%s': %s", o.source or "config", id, msg), 0) end
    end
  end
end

function M.effective(rule, overrides)
  local o = overrides[rule.id]
  local th = {}
  for k, v in pairs(rule.thresholds or {}) do th[k] = v end
  local enabled = rule.enabled ~= false
  if o then
    for k, v in pairs(o.thresholds) do th[k] = v end
    if o.enabled ~= nil then enabled = o.enabled end
  end
  return enabled, th
end

-- ---------------------------------------------------------------- findings
-- Where a failure points: the first "<file>:<line>:" of a script in the message, else in
-- the traceback.
function M.locate(err, hint_path)
  local msg = type(err) == "table" and err.message or tostring(err)
  local tb = type(err) == "table" and err.traceback or ""
  local file, line = msg:match("^(.-%.lua):(%d+):")
  if not file and hint_path then
    local esc = hint_path:gsub("%p", "%%%0")
    line = tb:match(esc .. ":(%d+):")
    if line then file = hint_path end
  end
  return file or hint_path, tonumber(line)
end

function M.error_finding(what, err, path)
  local file, line = M.locate(err, path)
  local msg = type(err) == "table" and err.message or tostring(err)
  return {
    id = "rule_error",
    severity = "high",
    title = string.format("%s failed: %s", what, msg),
    entity = { kind = "rule", key = what },
    evidence = { message = msg, file = file, line = line, budget = type(err) == "table" and err.budget or nil,
      traceback = type(err) == "table" and err.traceback or nil },
    recommendation = { text = string.format("Fix %s%s; the other rules and agents ran normally.", file or what,
      line and (" line " .. line) or "") },
    rule = path,
  }
end

local ENTITY_LISTS = {
  app = function(app) return { app } end,
  job = function(app) return app.jobs end,
  stage = function(app) return app.stages end,
  executor = function(app) return app.executors end,
  sql = function(app) return app.sqls end,
  table = function(app) return model.get(app, "tables") or {} end, -- Delta tables (agents/delta.lua)
}

local function entity_ref(kind, e)
  local ref = { kind = kind, key = e.key }
  if kind == "stage" then ref.stage_id, ref.attempt_id = e.stage_id, e.attempt_id
  elseif kind == "job" then ref.job_id = e.job_id
  elseif kind == "executor" then ref.executor_id = e.id
  elseif kind == "sql" then ref.execution_id = e.execution_id
  elseif kind == "app" then ref.app_id = e.app_id end
  ref.name = model.get(e, "name")
  return ref
end

-- A recommendation never repeats what the app already has: settings equal to their current
-- or default value (sic.spark_defaults) move from `config` to `already`.
local function make_finding(rule, kind, entity, evidence, rctx, path, settings)
  local text, changes = rule.advice(evidence, rctx)
  if type(text) == "table" then text, changes = text.text, text.config or text.changes end
  local already
  changes, already = require("sic.spark_defaults").only_changes(rctx.app, changes)
  local impact = rule.impact and rule.impact(evidence, rctx) or nil
  local why
  if settings and #settings > 0 then -- ctx.setting(name, value, why) during when/advice
    local extra = {}
    why = {}
    for _, st in ipairs(settings) do extra[st.name] = st.value why[st.name] = st.why end
    local more, al = require("sic.spark_defaults").only_changes(rctx.app, extra)
    changes = changes or {}
    for k, v in pairs(more or {}) do changes[k] = v end
    for k, v in pairs(al or {}) do already = already or {} already[k] = v end
  end
  return {
    id = rule.id, severity = rule.severity, title = rule.title, entity = entity_ref(kind, entity),
    evidence = evidence, recommendation = { text = text and tostring(text) or nil, config = changes, already = already, why = why },
    impact = impact, rule = path,
  }
end

-- Evaluate the rules of rule sets under budgets. sets: list of validated sets. Returns a
-- list of findings (rule failures included as rule_error findings).
function M.evaluate(sets, app, opts)
  local findings = {}
  local overrides = opts.overrides or {}
  local lists = {}
  for _, set in ipairs(sets) do
    for _, rule in ipairs(set.rules) do
      local enabled, th = M.effective(rule, overrides)
      if enabled then
        local kind = rule.applies_to
        lists[kind] = lists[kind] or ENTITY_LISTS[kind](app)
        local settings = {}
        local rctx = rule_api.ctx { app = app, set = set, rule = rule, thresholds = th, state = opts.state,
          require = opts.require, settings = settings }
        local produced = {}
        local ok, err = sandbox.run(opts.budget, function()
          for _, entity in ipairs(lists[kind]) do
            for i = #settings, 1, -1 do settings[i] = nil end
            local evidence = rule.when(entity, rctx)
            if evidence ~= nil and evidence ~= false then
              if type(evidence) ~= "table" then evidence = { value = evidence } end
              produced[#produced + 1] = make_finding(rule, kind, entity, evidence, rctx, set.path, settings)
            elseif opts.trace then
              opts.trace(rule, entity, kind)
            end
          end
        end)
        if ok then
          for _, f in ipairs(produced) do findings[#findings + 1] = f end
        else
          findings[#findings + 1] = M.error_finding("rule '" .. rule.id .. "'", err, set.path)
        end
      end
    end
  end
  return findings
end

return M
