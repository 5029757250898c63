-- sic.testing: a busted helper for rule authors (issue 17; docs/rules.md "Testing your rules").
--
--   local testing = require "sic.testing"
--   local app = testing.app { stages = { { tasks = testing.tasks(20, { duration = 1000 }, { [1] = { duration = 60000 } }) } } }
--   local found = testing.run { set = "rules/my_rules.lua", app = app }      -- or builtin = "skew_rules"
--   assert.same({ "stage 0.0" }, testing.keys(found, "my.rule"))
--
-- app(spec) writes a small Spark event log (the listener events Spark itself writes) to a
-- temporary file and loads it with the real loader, so a synthetic application is read
-- exactly as a real one is. run() evaluates chosen rules through the engine (sandbox, budgets,
-- overrides, consolidation) and returns the findings.
local json = require "sic.json"
local model = require "sic.model"

local M = {}

local T0 = 1700000000000

local function tmpname() return os.tmpname() end

local function ev(out, t) out[#out + 1] = json.encode(t) end
local function obj(t) return json.object(t or {}) end -- an empty map must encode as {}

local REASONS = {
  SUCCESS = { Reason = "Success" },
  FAILED = { Reason = "ExceptionFailure", ["Class Name"] = "java.lang.RuntimeException", Description = "synthetic failure",
    ["Stack Trace"] = {}, ["Full Stack Trace"] = "java.lang.RuntimeException: synthetic failure", ["Accumulator Updates"] = {} },
  KILLED = { Reason = "TaskKilled", ["Kill Reason"] = "another attempt succeeded", ["Accumulator Updates"] = {} },
}

-- n tasks with the same fields, then per-index changes: tasks(20, {duration=1000}, {[3]={duration=9000}})
function M.tasks(n, base, changes)
  local out = {}
  for i = 1, n do
    local t = {}
    for k, v in pairs(base or {}) do t[k] = v end
    for k, v in pairs((changes or {})[i] or {}) do t[k] = v end
    out[i] = t
  end
  return out
end

-- Task fields a spec may give (all optional): duration (ms, default 1000), run (executor run
-- time, default duration), gc, cpu (ns), input (bytes read), shuffle_read, shuffle_write,
-- spill_memory, spill_disk, peak_memory, result_size, executor (id, default round-robin),
-- locality ("PROCESS_LOCAL" ...), speculative, status ("SUCCESS" | "FAILED" | "KILLED"),
-- start (ms offset from the stage's start, default: on the executor's earliest free core).
local TASK_KEYS = { duration = true, run = true, gc = true, cpu = true, input = true, shuffle_read = true,
  shuffle_write = true, spill_memory = true, spill_disk = true, peak_memory = true, result_size = true,
  executor = true, locality = true, speculative = true, status = true, start = true, index = true }

-- Write the event log of spec to path. spec: { name, spark_version = "3.5.1", conf = {k=v},
-- executors = { { id = "1", host =, cores = 4, memory = bytes } } (default 2 x 4 cores),
-- stages = { { id, name, tasks = {...}, attempt = 0, parents = {} } }, java = "17" }.
function M.write_log(spec, path)
  local out, t = {}, T0
  local version = spec.spark_version or "3.5.1"
  ev(out, { Event = "SparkListenerLogStart", ["Spark Version"] = version })
  local conf = { ["spark.master"] = "yarn", ["spark.app.name"] = spec.name or "synthetic" }
  for k, v in pairs(spec.conf or {}) do conf[k] = tostring(v) end
  ev(out, { Event = "SparkListenerEnvironmentUpdate", ["JVM Information"] = { ["Java Version"] = spec.java or "17.0.8" },
    ["Spark Properties"] = obj(conf), ["Hadoop Properties"] = obj(), ["System Properties"] = obj(), ["Classpath Entries"] = obj() })
  ev(out, { Event = "SparkListenerApplicationStart", ["App Name"] = spec.name or "synthetic", ["App ID"] = spec.app_id or "app-synthetic-0001",
    Timestamp = t, User = "test" })
  local execs = spec.executors or { { id = "1", host = "host-1", cores = 4 }, { id = "2", host = "host-2", cores = 4 } }
  for i, e in ipairs(execs) do
    local id = tostring(e.id or i)
    ev(out, { Event = "SparkListenerExecutorAdded", Timestamp = t + 1, ["Executor ID"] = id,
      ["Executor Info"] = { Host = e.host or ("host-" .. id), ["Total Cores"] = e.cores or 4, ["Log Urls"] = obj() } })
    ev(out, { Event = "SparkListenerBlockManagerAdded", ["Block Manager ID"] = { ["Executor ID"] = id, Host = e.host or ("host-" .. id), Port = 7337 },
      ["Maximum Memory"] = e.memory or 2 * 1024 ^ 3, Timestamp = t + 1 })
  end
  t = t + 1000
  for si, st in ipairs(spec.stages or {}) do
    local sid, attempt = st.id or (si - 1), st.attempt or 0
    local tasks = st.tasks or M.tasks(st.ntasks or 8, {})
    local info = { ["Stage ID"] = sid, ["Stage Attempt ID"] = attempt, ["Stage Name"] = st.name or ("stage " .. sid),
      ["Number of Tasks"] = #tasks, ["RDD Info"] = {}, ["Parent IDs"] = st.parents or {}, Details = "", Accumulables = {} }
    ev(out, { Event = "SparkListenerJobStart", ["Job ID"] = si - 1, ["Submission Time"] = t, ["Stage Infos"] = { info },
      ["Stage IDs"] = { sid }, Properties = obj() })
    info["Submission Time"] = t
    ev(out, { Event = "SparkListenerStageSubmitted", ["Stage Info"] = info, Properties = obj() })
    local slots, nexec = {}, #execs
    local stage_end, failed_any = t, false
    for ti, task in ipairs(tasks) do
      for k in pairs(task) do
        if not TASK_KEYS[k] then
          error(string.format("sic.testing: stage %d task %d: unknown task field '%s'", sid, ti, tostring(k)), 2)
        end
      end
      local e = execs[((ti - 1) % nexec) + 1]
      local eid = tostring(task.executor or e.id or (((ti - 1) % nexec) + 1))
      local host
      for i, x in ipairs(execs) do if tostring(x.id or i) == eid then host = x.host or ("host-" .. eid) end end
      local dur = task.duration or 1000
      -- each executor core runs its tasks back to back: the earliest free core takes the next
      local cores = slots[eid]
      if not cores then
        cores = {}
        local n = 4
        for i, x in ipairs(execs) do if tostring(x.id or i) == eid then n = x.cores or 4 end end
        for c = 1, n do cores[c] = 0 end
        slots[eid] = cores
      end
      local best = 1
      for c = 2, #cores do if cores[c] < cores[best] then best = c end end
      local launch = t + (task.start or cores[best])
      cores[best] = (task.start or cores[best]) + dur
      local status = task.status or "SUCCESS"
      if status == "FAILED" then failed_any = true end
      local tinfo = { ["Task ID"] = sid * 100000 + ti - 1, Index = task.index or (ti - 1), Attempt = 0, ["Partition ID"] = ti - 1,
        ["Launch Time"] = launch, ["Executor ID"] = eid, Host = host or "host", Locality = task.locality or "PROCESS_LOCAL",
        Speculative = task.speculative == true, ["Getting Result Time"] = 0, ["Finish Time"] = 0, Failed = false, Killed = false,
        Accumulables = {} }
      ev(out, { Event = "SparkListenerTaskStart", ["Stage ID"] = sid, ["Stage Attempt ID"] = attempt, ["Task Info"] = tinfo })
      tinfo["Finish Time"] = launch + dur
      tinfo.Failed = status == "FAILED"
      tinfo.Killed = status == "KILLED"
      if launch + dur > stage_end then stage_end = launch + dur end
      ev(out, { Event = "SparkListenerTaskEnd", ["Stage ID"] = sid, ["Stage Attempt ID"] = attempt, ["Task Type"] = "ResultTask",
        ["Task End Reason"] = REASONS[status] or error("sic.testing: task status must be SUCCESS, FAILED or KILLED", 2),
        ["Task Info"] = tinfo,
        ["Task Metrics"] = {
          ["Executor Deserialize Time"] = 0, ["Executor Deserialize CPU Time"] = 0,
          ["Executor Run Time"] = task.run or dur, ["Executor CPU Time"] = task.cpu or (task.run or dur) * 1000000,
          ["Peak Execution Memory"] = task.peak_memory or 0, ["Result Size"] = task.result_size or 1000,
          ["JVM GC Time"] = task.gc or 0, ["Result Serialization Time"] = 0,
          ["Memory Bytes Spilled"] = task.spill_memory or 0, ["Disk Bytes Spilled"] = task.spill_disk or 0,
          ["Shuffle Read Metrics"] = { ["Remote Blocks Fetched"] = 0, ["Local Blocks Fetched"] = 0, ["Fetch Wait Time"] = 0,
            ["Remote Bytes Read"] = task.shuffle_read or 0, ["Remote Bytes Read To Disk"] = 0, ["Local Bytes Read"] = 0,
            ["Total Records Read"] = 0 },
          ["Shuffle Write Metrics"] = { ["Shuffle Bytes Written"] = task.shuffle_write or 0, ["Shuffle Write Time"] = 0,
            ["Shuffle Records Written"] = 0 },
          ["Input Metrics"] = { ["Bytes Read"] = task.input or 0, ["Records Read"] = 0 },
          ["Output Metrics"] = { ["Bytes Written"] = 0, ["Records Written"] = 0 },
          ["Updated Blocks"] = {},
        } })
    end
    info["Completion Time"] = stage_end
    ev(out, { Event = "SparkListenerStageCompleted", ["Stage Info"] = info })
    ev(out, { Event = "SparkListenerJobEnd", ["Job ID"] = si - 1, ["Completion Time"] = stage_end,
      ["Job Result"] = { Result = "JobSucceeded" } })
    t = stage_end + 100
  end
  ev(out, { Event = "SparkListenerApplicationEnd", Timestamp = t + 1000 })
  local f = assert(io.open(path, "wb"))
  f:write(table.concat(out, "\n"), "\n")
  f:close()
  return path
end

-- A synthetic application (model view) built from spec (see write_log).
function M.app(spec)
  local path = tmpname()
  M.write_log(spec or {}, path)
  local app, err = model.load(path)
  os.remove(path)
  if not app then error("sic.testing.app: " .. tostring(err), 2) end
  return app
end

-- A real log.
function M.load(path)
  local app, err = model.load(path)
  if not app then error("sic.testing.load: " .. tostring(err), 2) end
  return app
end

local function builtin_dir()
  local src = debug.getinfo(1, "S").source
  return src:match("^@(.*)/lib/sic/testing%.lua$") or "scripts"
end
M.builtin_dir = builtin_dir

-- An engine over the built-in scripts plus dirs (user rule dirs / packs).
function M.engine(opts)
  opts = opts or {}
  return require("sic.engine").new { dirs = opts.dirs or {}, builtin = opts.builtin or builtin_dir(),
    sets = opts.sets or {}, config_path = opts.config, budget = opts.budget or {} }:load()
end

-- Run rules and return (findings, rule_errors).
--   set      = path of a rule-set file (loaded in the sandbox like any user rule), or
--   builtin  = name of a shipped rule set ("skew_rules"),
--   ids      = optional list of rule ids to keep,
--   app      = model view (testing.app / testing.load),
--   thresholds = { ["rule.id"] = { name = value } } overrides,
--   graph    = true: run the whole graph (so layers of earlier agents exist, consolidation
--              applies) and keep the findings of the chosen rules.
function M.run(opts)
  local rules = require "sic.rules"
  local engine = opts.engine or M.engine { dirs = opts.dirs, budget = opts.budget }
  local set
  if opts.set then
    local name = opts.set:match("([^/]+)%.lua$") or opts.set
    local rec = engine:load_record("ruleset", name, opts.set)
    if rec.err then error(rec.err, 2) end
    set = rec.mod
    if opts.graph then -- the graph evaluates it like a rule set found on the script path
      if not engine.rulesets[name] then engine.rule_order[#engine.rule_order + 1] = name end
      engine.rulesets[name] = rec
      for _, r in ipairs(set.rules) do engine.rules_by_id[r.id] = r end
    end
  elseif opts.builtin then
    local rec = engine.rulesets[opts.builtin]
    if not rec then error("sic.testing.run: no rule set '" .. opts.builtin .. "'", 2) end
    if rec.err then error(rec.err, 2) end
    set = rec.mod
  end
  local keep
  if opts.ids then keep = {} for _, id in ipairs(opts.ids) do keep[id] = true end end
  if set and keep then
    local chosen = {}
    for _, r in ipairs(set.rules) do if keep[r.id] then chosen[#chosen + 1] = r end end
    local copy = {}
    for k, v in pairs(set) do copy[k] = v end
    copy.rules = chosen
    set = copy
  end
  local overrides = {}
  for id, th in pairs(opts.thresholds or {}) do overrides[id] = { thresholds = th, source = "testing" } end
  for id, o in pairs(engine.overrides or {}) do if not overrides[id] then overrides[id] = o end end
  local all
  if opts.graph then
    engine.overrides = overrides
    all = engine:run(opts.app).findings
    local ids = keep
    if set and not ids then ids = {} for _, r in ipairs(set.rules) do ids[r.id] = true end end
    local out = {}
    for _, f in ipairs(all) do if not ids or ids[f.id] or f.id == "rule_error" then out[#out + 1] = f end end
    all = out
  else
    all = rules.evaluate({ set }, opts.app, { overrides = overrides, state = opts.state, budget = engine.budget,
      require = function(n) return engine:sandbox_require(n) end })
  end
  local found, errors = {}, {}
  for _, f in ipairs(all) do
    if f.id == "rule_error" then errors[#errors + 1] = f else found[#found + 1] = f end
  end
  return found, errors
end

-- Run the Delta agent (and so the rules that apply to tables) over Delta tables, with the
-- scans of optional event logs: tables(paths, { logs = {apps or paths}, now_ms = }).
-- Returns (findings, rule_errors) like run().
function M.tables(paths, opts)
  opts = opts or {}
  local engine = opts.engine or M.engine { dirs = opts.dirs }
  local tables, apps = {}, {}
  for _, p in ipairs(paths) do
    local snap, err = require("sic.delta").open(p)
    tables[#tables + 1] = snap and { path = p, snapshot = snap } or { path = p, error = err }
  end
  for _, a in ipairs(opts.logs or {}) do apps[#apps + 1] = type(a) == "string" and M.load(a) or a end
  local _, all = engine:run_agent("delta", apps[1], { tables = tables, apps = apps, now_ms = opts.now_ms })
  local found, errors = {}, {}
  for _, f in ipairs(all or {}) do
    if f.id == "rule_error" then errors[#errors + 1] = f else found[#found + 1] = f end
  end
  return found, errors
end

-- Entity keys of the findings of one rule id, sorted.
function M.keys(findings, id)
  local out = {}
  for _, f in ipairs(findings) do if f.id == id then out[#out + 1] = f.entity.key end end
  table.sort(out)
  return out
end

-- The first finding of a rule id (nil when it did not fire).
function M.finding(findings, id)
  for _, f in ipairs(findings) do if f.id == id then return f end end
end

return M
