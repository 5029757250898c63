-- sic.engine: the script registry (search path, load, validate, transactional reload) and
-- the orchestration graph runner.
--
-- Search path: user dirs (highest priority first), then the built-in scripts dir. A file is
-- known by its path relative to the dir (graph.lua, agents/skew.lua, rules/skew_rules.lua);
-- the first dir that has it wins, so users override built-ins by name and add new files.
--
-- The graph (graph.lua) is plain data: { agents = { "metadata", "skew", ... } }. Edges are
-- each agent's `needs`. Validation names the file at fault: unknown agent, missing
-- dependency (a need that is not in the graph), cycle. Order: Kahn's algorithm, ties broken
-- by position in the graph's list, so the order is deterministic.
--
-- State passing: agents get (ctx, state) where state is a read-only view of the layers of
-- the agents that ran before ({ [agent name] = layer }); an agent returns its own layer (a
-- table; `findings` in it are collected). The graph stores each layer under the agent's
-- name; the final state plus the collected findings is the report.
local sandbox = require "sic.sandbox"
local rules = require "sic.rules"
local consolidate = require "sic.consolidate"

local M = {}
local Engine = {}
Engine.__index = Engine

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function list_lua(dir)
  local core = require "sic.core"
  local cap, buf, n = 4096
  repeat
    buf = core.ffi.new("char[?]", cap)
    n = tonumber(core.C.sic_ffi_list_dir(dir, buf, cap))
    if n >= cap then cap = n + 1 end
  until n < cap
  local out = {}
  if n < 0 then return out end
  for name in core.ffi.string(buf, n):gmatch("[^\n]+") do
    if name:match("^[%w_%-]+%.lua$") then out[#out + 1] = name:sub(1, -5) end
  end
  table.sort(out)
  return out
end

-- The whole text of a file, or nil when it cannot be read (also used by sic.rule_tools).
local function read_text(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
M.read_text = read_text

-- opts: { dirs = {user dirs...}, builtin = dir, budget = {seconds=, mb=}, sets = {...},
--         config_path = path, services = { predict = fn(app, opts) -> result | nil, why } }
-- services are what the host injects for agents to call (ctx.predict, ...): the engine knows
-- no component, model file or environment variable behind them.
function M.new(opts)
  local self = setmetatable({}, Engine)
  self.dirs = {}
  for _, d in ipairs(opts.dirs or {}) do self.dirs[#self.dirs + 1] = (d:gsub("/+$", "")) end
  if opts.builtin then self.dirs[#self.dirs + 1] = (opts.builtin:gsub("/+$", "")) end
  self.budget = opts.budget or {}
  self.sets = opts.sets or {}
  self.config_path = opts.config_path
  self.table_paths = opts.tables or {} -- Delta tables for the delta agent (sic analyze --tables)
  self.now_ms = opts.now_ms             -- "now" for time-based advice (VACUUM), nil = last commit
  self.metastore_url = opts.metastore ~= "" and opts.metastore or nil -- Hive metastore (--metastore)
  self.services = opts.services or {}
  self.modules = {} -- require cache for script modules (per engine)
  return self
end

-- First dir that has rel (e.g. "agents/skew.lua").
function Engine:find(rel)
  for _, d in ipairs(self.dirs) do
    local p = d .. "/" .. rel
    if exists(p) then return p end
  end
end

-- name -> path for every *.lua in subdir across the path (first dir wins).
function Engine:scan(subdir)
  local found, order = {}, {}
  for _, d in ipairs(self.dirs) do
    for _, name in ipairs(list_lua(d .. "/" .. subdir)) do
      if not found[name] then
        found[name] = d .. "/" .. subdir .. "/" .. name .. ".lua"
        order[#order + 1] = name
      end
    end
  end
  table.sort(order)
  return found, order
end

-- The sandbox `require`: engine modules and script modules on the search path only.
function Engine:sandbox_require(name)
  if type(name) ~= "string" then error("require: module name must be a string", 2) end
  if name == "lpeg" then return require "lpeg" end
  if name == "cjson" then return sandbox.readonly(require "cjson", "cjson") end  -- data only
  if name == "sic" then
    -- What scripts need of the facade; not load/engine/reload/host, which reach files and states.
    local sic = require "sic"
    return sandbox.readonly({ version = sic.version, abi = sic.abi, stats = sic.stats, parse = sic.parse,
      TASK_STATUS = sic.TASK_STATUS, json = sic.json }, "sic")
  end
  if name == "sic.query" then
    -- Pure-Lua recipe shared with `sic ask`: compiled in the sandbox like a script module, so
    -- it sees the sandbox's proxies (pairs over read-only findings) and a user copy wins.
    local cached = self.modules[name]
    if cached then return cached end
    local path = self:find("lib/sic/query.lua")
    if not path then error("require: module 'sic.query' not found", 2) end
    self.modules[name] = self:compile_module(path)
    return self.modules[name]
  end
  if name:match("^sic%.") then
    -- sic.kb: read-only knowledge-base lookups (the docs agent); it opens no file for writing.
    -- sic.names: pure string ranking ("did you mean"), shared by the engine and lib.analysis.pricing.
    local allowed = { ["sic.stats"] = true, ["sic.parse"] = true, ["sic.json"] = true, ["sic.kb"] = true,
      ["sic.names"] = true }
    if not allowed[name] then error("require: engine module '" .. name .. "' is not available to scripts", 2) end
    return sandbox.readonly(require(name), name)
  end
  if not name:match("^[%w_]+[%w_.]*$") then error("require: bad module name '" .. name .. "'", 2) end
  local cached = self.modules[name]
  if cached then return cached end
  local rel = name:gsub("%.", "/") .. ".lua"
  local path = self:find(rel)
  if not path then
    error(string.format("require: module '%s' not found (looked for %s in: %s)", name, rel, table.concat(self.dirs, ", ")), 2)
  end
  local mod = self:compile_module(path)
  self.modules[name] = mod
  return mod
end

-- Compile and run a script file in a fresh sandbox under a budget; returns its value.
function Engine:compile_module(path)
  local env = sandbox.new_env { name = path, require = function(n) return self:sandbox_require(n) end }
  local fn, err = sandbox.compile(path, env)
  if not fn then error(err, 0) end
  local ok, res = sandbox.run(self.budget, fn)
  if not ok then error(res.message, 0) end
  return res
end

local function validate_agent(mod, name, path)
  if type(mod) ~= "table" then error(path .. ": an agent must return a table", 0) end
  if mod.name ~= name then
    error(string.format("%s: agent name must be '%s' (the file name), got %s", path, name, tostring(mod.name)), 0)
  end
  if type(mod.version) ~= "string" and type(mod.version) ~= "number" then
    error(path .. ": agent 'version' must be a string or number", 0)
  end
  if mod.needs ~= nil and type(mod.needs) ~= "table" then error(path .. ": 'needs' must be a list of agent names", 0) end
  for i, n in ipairs(mod.needs or {}) do
    if type(n) ~= "string" then error(string.format("%s: needs[%d] must be a string", path, i), 0) end
  end
  if type(mod.run) ~= "function" then error(path .. ": agent 'run' must be a function", 0) end
  return mod
end

-- Load one record: { kind, name, path, mod | err }.
function Engine:load_record(kind, name, path)
  local rec = { kind = kind, name = name, path = path, source = read_text(path) }
  local ok, res = pcall(function()
    local mod = self:compile_module(path)
    if kind == "agent" then return validate_agent(mod, name, path) end
    if kind == "ruleset" then return rules.validate_set(mod, path) end
    return mod
  end)
  if ok then rec.mod = res else rec.err = type(res) == "table" and res.message or tostring(res) end
  return rec
end

-- Validate the graph against the loaded agents; returns the ordered agent names.
function Engine:order(graph_rec, agents)
  local path = graph_rec.path
  if graph_rec.err then error(graph_rec.err, 0) end
  local g = graph_rec.mod
  if type(g) ~= "table" or type(g.agents) ~= "table" then
    error(path .. ": the graph must return { agents = { \"name\", ... } }", 0)
  end
  local pos, names = {}, {}
  for i, name in ipairs(g.agents) do
    if type(name) ~= "string" then error(string.format("%s: agents[%d] must be a string", path, i), 0) end
    if pos[name] then error(string.format("%s: agent '%s' listed twice", path, name), 0) end
    if not agents[name] then
      error(string.format("%s: unknown agent '%s' (no agents/%s.lua in: %s)", path, name, name, table.concat(self.dirs, ", ")), 0)
    end
    pos[name] = i
    names[i] = name
  end
  local indeg, dependents = {}, {}
  for _, name in ipairs(names) do
    local rec = agents[name]
    local needs = rec.mod and rec.mod.needs or {}
    indeg[name] = 0
    for _, need in ipairs(needs) do
      if not pos[need] then
        error(string.format("%s: agent '%s' (%s) needs '%s', which is not in the graph", path, name, rec.path, need), 0)
      end
      indeg[name] = indeg[name] + 1
      dependents[need] = dependents[need] or {}
      table.insert(dependents[need], name)
    end
  end
  local ready, order = {}, {}
  for _, name in ipairs(names) do if indeg[name] == 0 then ready[#ready + 1] = name end end
  while #ready > 0 do
    table.sort(ready, function(a, b) return pos[a] < pos[b] end)
    local name = table.remove(ready, 1)
    order[#order + 1] = name
    for _, d in ipairs(dependents[name] or {}) do
      indeg[d] = indeg[d] - 1
      if indeg[d] == 0 then ready[#ready + 1] = d end
    end
  end
  if #order < #names then
    local stuck = {}
    for _, name in ipairs(names) do if indeg[name] > 0 then stuck[#stuck + 1] = name end end
    error(string.format("%s: dependency cycle among agents: %s", path, table.concat(stuck, ", ")), 0)
  end
  return order
end

-- Load everything from the search path. Graph problems raise; broken agents and rule sets
-- are kept as records with .err (they become rule_error findings when the graph runs).
function Engine:load()
  local graph_path = self:find("graph.lua")
  if not graph_path then error("no graph.lua on the script path: " .. table.concat(self.dirs, ", "), 0) end
  self.modules = {}
  local graph = self:load_record("graph", "graph", graph_path)
  local agents, rulesets = {}, {}
  local apaths = self:scan("agents")
  for name, p in pairs(apaths) do agents[name] = self:load_record("agent", name, p) end
  local rpaths, rorder = self:scan("rules")
  for _, name in ipairs(rorder) do rulesets[name] = self:load_record("ruleset", name, rpaths[name]) end
  self.order_list = self:order(graph, agents)
  self.graph, self.agents, self.rulesets, self.rule_order = graph, agents, rulesets, rorder
  self:load_config()
  return self
end

-- Overrides from the config file and --set; checked against the loaded rules.
function Engine:load_config()
  local overrides = {}
  local path = self.config_path
  if path then
    if not exists(path) then error(path .. ": config file not found", 0) end
    local ok, cfg = pcall(function() return self:compile_module(path) end)
    if not ok then error(tostring(cfg), 0) end
    rules.merge_config(overrides, cfg, path)
    if type(cfg) == "table" and type(cfg.budget) == "table" then
      self.budget = { seconds = cfg.budget.seconds or self.budget.seconds, mb = cfg.budget.mb or self.budget.mb,
        instructions = cfg.budget.instructions or self.budget.instructions }
    end
  end
  rules.apply_sets(overrides, self.sets)
  local by_id = {}
  for _, rec in pairs(self.rulesets) do
    if rec.mod then for _, r in ipairs(rec.mod.rules) do by_id[r.id] = r end end
  end
  -- Rule packs (sic.rule_pack): manifest thresholds and the sets' disable/overrides lists,
  -- below sic.lua and --set, which were merged first and win.
  local packs = require("sic.rule_pack").apply(self, overrides)
  rules.check_overrides(overrides, by_id)
  self.packs = packs
  self.overrides = overrides
  self.rules_by_id = by_id
end

-- Hot reload as a transaction per file: compile the new version, validate it, swap; on
-- failure keep the old version and report why. If the new set of agents makes the graph
-- invalid, nothing is swapped. Returns a list of { file, status = "reloaded" | "unchanged"
-- | "added" | "removed" | "failed", reason }.
function Engine:reload()
  local report = {}
  local new_agents, new_rulesets = {}, {}
  local function consider(kind, name, path, old, into)
    local text = read_text(path)
    if old and old.source == text and not old.err then
      into[name] = old
      report[#report + 1] = { file = path, status = "unchanged" }
      return
    end
    local rec = self:load_record(kind, name, path)
    if rec.err then
      into[name] = old or rec
      report[#report + 1] = { file = path, status = "failed", reason = rec.err,
        kept = old and not old.err and "previous version" or nil }
    else
      into[name] = rec
      report[#report + 1] = { file = path, status = old and "reloaded" or "added" }
    end
  end
  self.modules = {}
  local apaths = self:scan("agents")
  for name, p in pairs(apaths) do consider("agent", name, p, self.agents[name], new_agents) end
  local rpaths, rorder = self:scan("rules")
  for _, name in ipairs(rorder) do consider("ruleset", name, rpaths[name], self.rulesets[name], new_rulesets) end
  for name, rec in pairs(self.rulesets) do
    if not rpaths[name] then report[#report + 1] = { file = rec.path, status = "removed" } end
  end
  local graph = self.graph
  local gpath = self:find("graph.lua")
  if gpath then
    local text = read_text(gpath)
    if text ~= graph.source or gpath ~= graph.path then
      local g = self:load_record("graph", "graph", gpath)
      if g.err then
        report[#report + 1] = { file = gpath, status = "failed", reason = g.err, kept = "previous version" }
      else
        graph = g
        report[#report + 1] = { file = gpath, status = "reloaded" }
      end
    end
  end
  local ok, order = pcall(self.order, self, graph, new_agents)
  if not ok then
    report[#report + 1] = { file = graph.path, status = "failed", reason = order,
      kept = "previous versions of every file (the new set would make the graph invalid)" }
    return report, false
  end
  local saved = { self.graph, self.agents, self.rulesets, self.rule_order, self.order_list }
  self.graph, self.agents, self.rulesets, self.rule_order, self.order_list = graph, new_agents, new_rulesets, rorder, order
  local cok, cerr = pcall(self.load_config, self)
  if not cok then
    self.graph, self.agents, self.rulesets, self.rule_order, self.order_list = unpack(saved)
    report[#report + 1] = { file = self.config_path or "--set", status = "failed", reason = cerr, kept = "previous versions" }
    return report, false
  end
  return report, true
end

-- One line of a reload report entry: "<file>: <reason>" (or the file alone). The REPL's
-- sic.reload() and the services' rejection messages both print failures with it.
function M.describe(entry)
  return entry.reason and (entry.file .. ": " .. entry.reason) or entry.file
end

local function replace_plain(s, from, to)
  if type(s) ~= "string" or from == "" then return s end
  local out, at = {}, 1
  while true do
    local i, j = s:find(from, at, true)
    if not i then break end
    out[#out + 1] = s:sub(at, i - 1) .. to
    at = j + 1
  end
  out[#out + 1] = s:sub(at)
  return table.concat(out)
end

-- The services' reload (sic serve, sic worker; engine/lua/rules_mount.c): dir, a fresh copy of
-- the user's rule dir `shown`, takes the place of the previous copy at the head of the search
-- path, and Engine:reload runs exactly as for the REPL. All or nothing: the new rules are kept
-- only when no file of dir failed and the graph and config stay valid; otherwise the engine is
-- left as it was. Report paths name `shown`, not the private copy. Returns applied, report,
-- failures (the failed entries that reject it).
function Engine:reload_snapshot(dir, shown)
  local saved = { dirs = { unpack(self.dirs) } }
  self.before_snapshot = nil
  for _, k in ipairs({ "graph", "agents", "rulesets", "rule_order", "order_list", "packs", "overrides", "rules_by_id",
                       "snapshot_dir" }) do
    saved[k] = self[k]
  end
  dir, shown = dir:gsub("/+$", ""), shown:gsub("/+$", "")
  if self.snapshot_dir then
    for i, d in ipairs(self.dirs) do if d == self.snapshot_dir then self.dirs[i] = dir end end
  else
    table.insert(self.dirs, 1, dir)
  end
  self.snapshot_dir = dir
  local report, applied = self:reload()
  local failures = {}
  for _, e in ipairs(report) do
    local mine = type(e.file) == "string" and e.file:sub(1, #dir + 1) == dir .. "/"
    e.file, e.reason = replace_plain(e.file, dir, shown), replace_plain(e.reason, dir, shown)
    if e.status == "failed" and (mine or not applied) then failures[#failures + 1] = e end
  end
  if #failures > 0 then
    for k, v in pairs(saved) do self[k] = v end
    return false, report, failures
  end
  self.before_snapshot = saved
  return true, report, failures
end

-- Undo the last applied reload_snapshot (a later check of the service rejected it).
function Engine:rollback_snapshot()
  for k, v in pairs(self.before_snapshot or {}) do self[k] = v end
  self.before_snapshot = nil
end

-- ---------------------------------------------------------------- running the graph
-- Plain tables are copied; objects with a metatable (model views, lists) are kept by
-- reference: they are engine objects, not layer data, and copying one would copy the model.
local function deep_copy(v, seen)
  if sandbox.is_readonly(v) then v = sandbox.unwrap(v) end -- an agent returning part of the state
  if type(v) ~= "table" or debug.getmetatable(v) ~= nil then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[k] = deep_copy(x, seen) end
  return out
end

-- Rule sets an agent evaluates: those whose `agent` is its name (agent "rules" also takes
-- sets naming an agent that is not in the graph, so no user rule is silently ignored).
function Engine:rulesets_for(agent_name)
  local in_graph = {}
  for _, n in ipairs(self.order_list) do in_graph[n] = true end
  local out, broken = {}, {}
  for _, name in ipairs(self.rule_order) do
    local rec = self.rulesets[name]
    if rec.err then
      if agent_name == "rules" or not in_graph["rules"] and agent_name == self.order_list[#self.order_list] then
        broken[#broken + 1] = rec
      end
    else
      local owner = rec.mod.agent
      if not in_graph[owner] then owner = "rules" end
      if owner == agent_name then out[#out + 1] = rec.mod end
    end
  end
  return out, broken
end

-- Findings an agent returned: each must be a table with string id, title and a known
-- severity; `rule` defaults to the agent's file and `entity` to the app. Invalid entries
-- become rule_error findings. Valid ones are appended to `into`; returns the layer's list.
function Engine:check_findings(list, agent_name, path, into)
  if list == nil then return {} end
  if type(list) ~= "table" then
    into[#into + 1] = rules.error_finding("agent '" .. agent_name .. "'", path .. ": layer.findings must be a list", path)
    return {}
  end
  local kept = {}
  for i, f in ipairs(list) do
    local problem
    if type(f) ~= "table" then problem = "is not a table"
    elseif type(f.id) ~= "string" then problem = "has no string id"
    elseif type(f.title) ~= "string" then problem = "has no string title"
    elseif not rules.SEVERITIES[f.severity] then problem = "has severity " .. tostring(f.severity) end
    if problem then
      into[#into + 1] = rules.error_finding("agent '" .. agent_name .. "'",
        string.format("%s: finding #%d %s", path, i, problem), path)
    else
      f.rule = f.rule or path
      f.entity = f.entity or { kind = "app", key = "app" }
      kept[#kept + 1] = f
      into[#into + 1] = f
    end
  end
  return kept
end

-- Annotations: an agent may add fields to findings of agents that ran before it (the docs
-- agent attaches `references`): layer.annotate = { { agent = "skew", index = 1, key =
-- "references", value = ... }, ... }. Additive only: a field the finding already has is never
-- replaced, so an annotating agent cannot rewrite another agent's evidence or advice. Bad
-- entries become rule_error findings; the list itself is consumed (not kept in the layer).
function Engine:apply_annotations(layer, agent_name, path, state, findings)
  local list = layer.annotate
  layer.annotate = nil
  if list == nil then return end
  local function bad(i, why)
    findings[#findings + 1] = rules.error_finding("agent '" .. agent_name .. "'",
      string.format("%s: annotate[%d] %s", path, i, why), path)
  end
  if type(list) ~= "table" then return bad(0, "layer.annotate must be a list") end
  for i, a in ipairs(list) do
    local target = type(a) == "table" and state[a.agent]
    local f = target and type(target.findings) == "table" and target.findings[a.index]
    if type(a) ~= "table" or type(a.key) ~= "string" then bad(i, "needs a string key")
    elseif not target then bad(i, "names agent " .. tostring(a.agent) .. ", which has not run before '" .. agent_name .. "'")
    elseif type(f) ~= "table" then bad(i, string.format("names finding %s of agent '%s', which does not exist", tostring(a.index), a.agent))
    elseif f[a.key] ~= nil then bad(i, string.format("would replace field '%s' of finding %s", a.key, tostring(f.id)))
    else f[a.key] = a.value end
  end
end

-- The context an agent runs with (see the header). extra: { tables = { {path=, snapshot=|error=} },
-- apps = { app views }, now_ms = } for the Delta agent (sic delta / sic analyze --tables).
function Engine:make_ctx(name, app, view, extra)
  extra = extra or {}
  local ctx
  ctx = {
    app = app, state = view, agent = name, thresholds = {},
    tables = extra.tables or self:delta_tables(), apps = extra.apps or (app and { app } or {}),
    now_ms = extra.now_ms or self.now_ms,
    -- target: evaluate against another entity source (the Delta agent's tables) than the app.
    run_rules = function(target)
      local sets, broken = self:rulesets_for(name)
      local out = rules.evaluate(sets, target or app, { overrides = self.overrides, state = view, budget = self.budget,
        require = function(n) return self:sandbox_require(n) end })
      for _, b in ipairs(broken) do out[#out + 1] = rules.error_finding("rule set '" .. b.name .. "'", b.err, b.path) end
      return out
    end,
    conf = function(k, d) if app then return app:conf(k, d) end return d end,
    -- The Hive metastore given to the run (--metastore, SIC_METASTORE), for the metastore agent:
    -- metastore_url says whether there is one (without credentials: it is evidence), and
    -- metastore(names, locations) reads the tables asked for (sic.metastore), nil, err on failure.
    metastore_url = self.metastore_url and require("sic.metastore").display(self.metastore_url) or nil,
    metastore = function(names, locations) return self:metastore_read(names, locations) end,
    parse = require "sic.parse", stats = require "sic.stats",
    -- The prediction service the host injected (services.predict): this app's runtime
    -- under opts {executors, cores, input_scale}; nil, why without one. Scripts cannot
    -- name a model file: the service decides which model it reads.
    predict = function(opts)
      local predict = self.services.predict
      if not predict then return nil, "no runtime model configured (SIC_MODEL)" end
      local o = {}
      for _, k in ipairs({ "executors", "cores", "input_scale" }) do
        if type(opts) == "table" then o[k] = opts[k] end
      end
      return predict(app, o)
    end,
  }
  return ctx
end

-- Delta tables given to the engine (opts.tables: sic analyze --tables), replayed once per
-- engine: { { path = p, snapshot = s } or { path = p, error = msg } }.
function Engine:delta_tables()
  if self.tables_loaded then return self.tables_loaded end
  local out = {}
  for _, p in ipairs(self.table_paths or {}) do
    local snap, err = require("sic.delta").open(p)
    out[#out + 1] = snap and { path = p, snapshot = snap } or { path = p, error = err }
  end
  self.tables_loaded = out
  return out
end

-- The metastore's tables for the names and locations asked (sic.metastore.read), remembered per
-- engine and question for METASTORE_TTL_S seconds: a run over many applications asks once per
-- distinct set, and a long-lived engine (sic serve) still sees the metastore change.
local METASTORE_TTL_S = 300
function Engine:metastore_read(names, locations)
  if not self.metastore_url then return nil, "no metastore given (--metastore postgresql://...)" end
  local function strings(list)
    local out = {}
    for _, v in ipairs(type(list) == "table" and list or {}) do
      if type(v) == "string" then out[#out + 1] = v end
    end
    table.sort(out)
    return out
  end
  names, locations = strings(names), strings(locations)
  local key = table.concat(names, "\0") .. "\1" .. table.concat(locations, "\0")
  self.metastore_cache = self.metastore_cache or {}
  local now = require("sic.core").now()
  local hit = self.metastore_cache[key]
  if not hit or now - hit.at > METASTORE_TTL_S then
    -- the agent's budget is for its own work, not for waiting on the metastore's server
    local doc, err = sandbox.unmetered(require("sic.metastore").read, self.metastore_url, names, locations)
    hit = { doc = doc, err = err, at = now }
    self.metastore_cache[key] = hit
  end
  if hit.err then return nil, hit.err end
  return deep_copy(hit.doc) -- the agent's own copy: the cached document stays as read
end

-- Run one agent (and the rule sets naming it) outside the graph: `sic delta` has no
-- application, so the graph's other agents have nothing to read. Returns the layer and the
-- findings (a failing agent is a rule_error finding).
function Engine:run_agent(name, app, extra)
  local rec = self.agents[name]
  if not rec then return nil, { rules.error_finding("agent '" .. name .. "'", "no agents/" .. name .. ".lua on the script path", "") } end
  if rec.err then return nil, { rules.error_finding("agent '" .. name .. "'", rec.err, rec.path) } end
  local view = sandbox.readonly({}, "state")
  local ok, layer = sandbox.run(self.budget, rec.mod.run, self:make_ctx(name, app, view, extra), view)
  local findings = {}
  if not ok then
    findings[1] = rules.error_finding("agent '" .. name .. "'", layer, rec.path)
    return nil, findings
  end
  layer = deep_copy(layer or {})
  layer.findings = self:check_findings(layer.findings, name, rec.path, findings)
  return layer, findings
end

-- Run the graph over an app view; returns the report table.
function Engine:run(app, extra)
  local state, findings, agents_info = {}, {}, {}
  -- Rule hooks of the consolidation (group_key, combine) run under the budget; a failing one
  -- counts as no answer (the findings then stay apart or take the top member's value).
  local function call_rule(fn, ...)
    local ok, res = sandbox.run(self.budget, fn, ...)
    if ok then return res end
    return nil
  end
  for _, name in ipairs(self.order_list) do
    local rec = self.agents[name]
    local t0 = require("sic.core").now()
    local info = { name = name, file = rec.path }
    agents_info[#agents_info + 1] = info
    if rec.err then
      info.status = "failed"
      findings[#findings + 1] = rules.error_finding("agent '" .. name .. "'", rec.err, rec.path)
    else
      local agent = rec.mod
      info.version = agent.version
      local view = sandbox.readonly(state, "state")
      local ctx = self:make_ctx(name, app, view, extra)
      local ok, layer = sandbox.run(self.budget, agent.run, ctx, view)
      if not ok then
        info.status = "failed"
        findings[#findings + 1] = rules.error_finding("agent '" .. name .. "'", layer, rec.path)
      elseif layer ~= nil and type(layer) ~= "table" then
        info.status = "failed"
        findings[#findings + 1] = rules.error_finding("agent '" .. name .. "'",
          rec.path .. ": run must return a table (its layer) or nil, got " .. type(layer), rec.path)
      else
        layer = deep_copy(layer or {})
        layer.findings = consolidate.group(layer.findings, self.rules_by_id or {}, call_rule)
        layer.findings = self:check_findings(layer.findings, name, rec.path, findings)
        self:apply_annotations(layer, name, rec.path, state, findings)
        if type(layer.note) == "string" then info.note = layer.note end
        state[name] = layer
        info.status = "ok"
        -- A rule that defers to another gives up the entities both fired on (sic.consolidate).
        if consolidate.defer(findings, self.rules_by_id or {}, call_rule) then
          consolidate.prune(findings)
          for _, l in pairs(state) do if type(l) == "table" then consolidate.prune(l.findings) end end
        end
      end
    end
    info.ms = math.floor((require("sic.core").now() - t0) * 1e6 + 0.5) / 1e3
  end
  local nerr = 0
  for _, f in ipairs(findings) do if f.id == "rule_error" then nerr = nerr + 1 end end
  local report = {
    schema = "sic.findings/1",
    app = state.metadata and state.metadata.app or { app_id = app.app_id, name = app.name },
    findings = findings,
    agents = agents_info,
    state = state,
    errors = nerr,
  }
  -- what the reports lead with (sic.pretty.top_problems), for tools reading the JSON
  report.top_problems = require("sic.pretty").top_problem_refs(report)
  return report
end

return M
