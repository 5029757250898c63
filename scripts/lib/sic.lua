-- sic: the engine as a Lua module.
--
--   local sic = require "sic"
--   local app = assert(sic.load("/path/to/eventlog"))
--   print(app:stages():top(5, "duration"))
--   local report = sic.analyze(app)          -- runs scripts/graph.lua; findings in report.findings
--   print(sic.json(report))
--
-- Works inside `sic repl` / `sic run` / C programs using sic_lua_new(), and from a stock
-- luajit with this directory on package.path (the library is found through SIC_LIB, the
-- installed sic.config, or the system linker path).
local core = require "sic.core"
local model = require "sic.model"

local sic = {
  version = core.version,
  abi = core.ABI_VERSION,
  stats = require "sic.stats",
  parse = require "sic.parse",
  -- runtime predictor: sic.ml.predict(app, opts); nil in a library built without the ml component
  ml = core.module("sic.ml") and require "sic.ml" or nil,
  List = model.List,
  TASK_STATUS = { RUNNING = 0, SUCCESS = 1, FAILED = 2, KILLED = 3, UNKNOWN = 4 },
}

-- Where the built-in scripts are: the host tells us; else SIC_BUILTIN_SCRIPTS; else the
-- config installed next to these modules; else this file's own location (a source tree:
-- scripts/lib/sic.lua -> scripts/).
local function builtin_dir()
  local native = package.loaded["sic.native"]
  if type(native) == "table" and native.builtin_scripts then return native.builtin_scripts end
  local env = os.getenv("SIC_BUILTIN_SCRIPTS")
  if env and env ~= "" then return env end
  local cfg = core.own_config()
  if cfg and cfg.scripts then return cfg.scripts end
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/lib/sic%.lua$")
  return dir or "scripts"
end

local function split_path(s)
  local out = {}
  for d in (s or ""):gmatch("[^:]+") do out[#out + 1] = d end
  return out
end

-- Services the engine's agents may call, built from the host's configuration: prediction
-- with the runtime model named by SIC_MODEL (when the ml component is built in).
local function default_services()
  local services = {}
  local model_path = os.getenv("SIC_MODEL")
  if model_path and model_path ~= "" and require("sic.core").module("sic.ml") then
    services.predict = function(app, opts)
      local o = { model = model_path }
      for k, v in pairs(opts or {}) do o[k] = v end
      return require("sic.ml").predict(app, o)
    end
  end
  return services
end

-- Engine options from the host (sic.native) and the environment (SIC_SCRIPTS, SIC_CONFIG).
local function default_options()
  local native = package.loaded["sic.native"]
  native = type(native) == "table" and native or {}
  local dirs = {}
  for _, d in ipairs(native.script_dirs or {}) do dirs[#dirs + 1] = d end
  for _, d in ipairs(split_path(os.getenv("SIC_SCRIPTS"))) do dirs[#dirs + 1] = d end
  local config = native.config_path or os.getenv("SIC_CONFIG")
  if not config then
    local f = io.open("sic.lua", "rb")
    if f then f:close() config = "sic.lua" end
  end
  return {
    dirs = dirs, builtin = builtin_dir(), sets = native.sets or {}, config_path = config,
    tables = native.tables or {}, now_ms = (native.now_ms or 0) > 0 and native.now_ms or nil,
    metastore = native.metastore or os.getenv("SIC_METASTORE"),
    budget = { seconds = (native.budget_seconds or 0) > 0 and native.budget_seconds or nil,
               mb = (native.budget_mb or 0) > 0 and native.budget_mb or nil },
    services = default_services(),
  }
end

local default_engine = nil


-- A new engine (script registry + graph). opts: { dirs = {...}, builtin = dir, sets = {...},
-- config_path = file, budget = { seconds =, mb = } }; missing fields come from the host/env.
function sic.engine(opts)
  local d = default_options()
  opts = opts or {}
  for k, v in pairs(opts) do d[k] = v end
  return require("sic.engine").new(d):load()
end

local function engine()
  if not default_engine then default_engine = sic.engine() end
  return default_engine
end

function sic.load(path, threads) return model.load(path, threads) end
function sic.wrap(ptr) return model.wrap(ptr, false) end

local report_mt = { __tostring = function(r) return require("sic.pretty").report(r) end }

-- Run the orchestration graph over app; returns the report (findings, agents, state).
function sic.analyze(app, opts)
  if type(app) == "string" then
    local err
    app, err = model.load(app)
    if not app then return nil, err end
  end
  local e = opts and sic.engine(opts) or engine()
  return setmetatable(e:run(app), report_mt)
end

-- Reload scripts as a transaction; returns the per-file report and whether it was applied.
local reload_mt = {
  __tostring = function(r)
    local counts, lines = {}, {}
    for _, e in ipairs(r) do
      counts[e.status] = (counts[e.status] or 0) + 1
      if e.status ~= "unchanged" then
        lines[#lines + 1] = string.format("  %-9s %s%s", e.status, require("sic.engine").describe(e),
          e.reason and e.kept and (" (kept " .. e.kept .. ")") or "")
      end
    end
    local summary = {}
    for k, n in pairs(counts) do summary[#summary + 1] = n .. " " .. k end
    table.sort(summary)
    table.insert(lines, 1, "reload: " .. table.concat(summary, ", "))
    return table.concat(lines, "\n")
  end,
}

function sic.reload()
  if not default_engine then engine() return setmetatable({ { file = "(all)", status = "loaded" } }, reload_mt), true end
  local report, applied = default_engine:reload()
  return setmetatable(report, reload_mt), applied
end

function sic.json(v, pretty)
  local json = require "sic.json"
  if type(v) == "table" and v.schema == "sic.findings/1" then
    local copy = {}
    for k, x in pairs(v) do copy[k] = x end
    local state = {}
    for name, layer in pairs(v.state or {}) do
      local l = {}
      for k, x in pairs(layer) do if k ~= "findings" then l[k] = x end end
      state[name] = json.object(l)
    end
    copy.state = json.object(state)
    v = copy
  end
  return json.encode(v, pretty)
end

function sic.pretty(v) return require("sic.pretty").format(v) end

local HELP = [[
sic %s - the engine from Lua
  app = sic.load(path)               load an event log (file, dir, rolling log, zip); nil, err on failure
  app:stages():top(5, "duration")    lists: app.stages .jobs .executors .sqls (callable; top/filter/map/sort_by/first/sum)
  st = app.stages[1]                 st.name st.status st.duration st.ntasks st:tasks() (task rows)
  st:stats("duration")               C summary: n mean median p95 max mad gini max_over_median argmax ...
  st:top_tasks(5, "shuffle_read_bytes"), st:histogram("duration", 10)
  app.tasks.duration[row]            zero-copy task columns by row (0..app.tasks.n-1); app.tasks.columns()
  app:conf("spark.executor.memory")  Spark properties; app.env.{spark,jvm,hadoop,system}
  app.sqls[1]:plan()                 physical plan nodes (node.parsed: lpeg parse of simpleString)
  app:diagnostics()                  malformed lines and read problems of the log
  r = sic.analyze(app)               run the graph (agents + rules); r.findings, r.state, print(r)
  sic.json(r, true)                  the report as JSON (sic.findings/1)
  sic.reload()                       re-read edited scripts (kept on error, with the reason)
  sic.stats.summarize{...}           statistics on any list; sic.parse.size("512m"), .duration("2min")
]]

function sic.help() io.write(HELP:format(sic.version)) end

-- The history store (engine/store via scripts/lib/sic/store.lua):
-- sic.store:history("junoHourly"), sic.store:regressions{ since = "2024-01-01" } on the default
-- store ($SIC_STORE, else $XDG_DATA_HOME/sic/sic.db, opened on first use); sic.open_store(url)
-- for another one. Results are the sic.history/1 and sic.regressions/1 documents as tables.
sic.store = require("sic.store").default()
function sic.open_store(url) return require("sic.store").open(url) end

-- Entry points for the C host (engine/lua/host.c).
sic.host = {
  -- One graph run for a C caller (sic_lua_run_graph): the report rendered as asked (text,
  -- md; nil for json), the sic.findings/1 document, and the typed summary C copies.
  run_graph = function(ptr, format)
    -- Script setup problems (graph, config, --set) are the user's to fix: no traceback.
    local ok, err = pcall(engine)
    if not ok then error({ message = tostring(err) }, 0) end
    local report = sic.analyze(model.wrap(ptr, false))
    local pretty = require "sic.pretty"
    -- "text-lead"/"md-lead": "<top problems>\30<findings>", for the C report that prints the
    -- top problems under its header; "text"/"md" start with them
    local lead = format == "text-lead" or format == "md-lead"
    local rendered = (format == "text" or format == "text-lead") and pretty.report(report, { lead_marker = lead })
      or (format == "md" or format == "md-lead") and pretty.report_md(report, { lead_marker = lead }) or nil
    local cost = type(report.state) == "table" and type(report.state.cost) == "table" and report.state.cost or {}
    local items = {}
    for i, f in ipairs(report.findings) do
      items[i] = { id = f.id, severity = f.severity, title = f.title }
    end
    return rendered, sic.json(report, true), {
      errors = report.errors, run_usd = tonumber(cost.run_usd), savings_usd = tonumber(cost.savings_usd),
      findings = items,
    }
  end,
  -- A user-editable script module that is not a graph agent (`sic ask`'s ask/reasoning.lua,
  -- the knowledge base's lib/loaders/log4j.lua): found on the engine's search path (--scripts
  -- dirs, SIC_SCRIPTS, the built-in scripts), compiled in the sandbox like an agent, and each
  -- of its functions run under the budget (errors come back as "path: fn: message").
  script_module = function(rel)
    local e = require("sic.engine").new(default_options())
    local path = e:find(rel)
    if not path then error({ message = rel .. " not found (looked in: " .. table.concat(e.dirs, ", ") .. ")" }, 0) end
    local ok, mod = pcall(e.compile_module, e, path)
    if not ok then error({ message = tostring(mod) }, 0) end
    if type(mod) ~= "table" then error({ message = path .. ": must return a module table" }, 0) end
    local sandbox = require "sic.sandbox"
    local wrapped = {}
    for k, v in pairs(mod) do
      if type(v) == "function" then
        wrapped[k] = function(...)
          local res = { sandbox.run(e.budget, v, ...) }
          if not res[1] then
            local why = type(res[2]) == "table" and res[2].message or res[2]
            error(path .. ": " .. tostring(k) .. ": " .. tostring(why), 0)
          end
          return unpack(res, 2, table.maxn(res))
        end
      else
        wrapped[k] = v
      end
    end
    return wrapped
  end,
  -- The config file (sic.lua) as the engine reads it: compiled in the sandbox; its table.
  config_table = function(path)
    local e = require("sic.engine").new(default_options())
    local ok, cfg = pcall(e.compile_module, e, path)
    if not ok then error({ message = tostring(cfg) }, 0) end
    return type(cfg) == "table" and cfg or {}
  end,
  -- sic delta TABLE... [--logs LOG...]: the Delta agent alone, rendered (sic.delta/1 in json).
  delta_report = function(format, tables, logs)
    local ok, e = pcall(engine)
    if not ok then error({ message = tostring(e) }, 0) end
    return require("sic.delta_report").run(e, format, tables, logs)
  end,
  -- The reload of sic serve and sic worker (engine/lua/rules_mount.c): Engine:reload of the
  -- default engine with dir, a fresh copy of the user's dir `shown`, in place of the previous
  -- copy; all or nothing (Engine:reload_snapshot). Returns applied and, when rejected, why:
  -- "N rule error(s); <file>: <reason>; ..." with the lines sic.reload() prints.
  reload_snapshot = function(dir, shown)
    local ok, e = pcall(engine)
    if not ok then error({ message = tostring(e) }, 0) end
    local applied, _, failures = e:reload_snapshot(dir, shown)
    if applied then return true end
    local why = { #failures .. " rule error(s)" }
    for _, f in ipairs(failures) do why[#why + 1] = require("sic.engine").describe(f) end
    return false, table.concat(why, "; ")
  end,
  reload_rollback = function() engine():rollback_snapshot() end,
  repl_feed = function(line) return require("sic.repl").feed(line) end,
  repl_complete = function(text) return require("sic.repl").complete(text) end,
}

return sic
