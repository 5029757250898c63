-- sic.rule_tools: what `sic rules` does (list, new, check, test, explain), as functions that
-- return plain tables (the --format json documents) plus a text renderer.
local rules = require "sic.rules"
local rule_api = require "sic.rule_api"
local sandbox = require "sic.sandbox"

local M = {}

local function engine() return require("sic").engine() end

-- An engine with FILE's rule set registered as if it were on the script path, so --set,
-- sic.lua and pack manifests can name its rules (FILE in DIR/rules/ also brings DIR's pack
-- manifest). Returns engine, record (record.err when the file does not load).
local function engine_with(file)
  local native = package.loaded["sic.native"]
  local sets = type(native) == "table" and native.sets or {}
  local dirs = {}
  for _, d in ipairs(type(native) == "table" and native.script_dirs or {}) do dirs[#dirs + 1] = d end
  local pack = file:match("^(.*)/rules/[^/]+%.lua$")
  if pack then table.insert(dirs, 1, pack) end
  local e = require("sic").engine { sets = {}, dirs = dirs }
  local name = file:match("([^/]+)%.lua$") or file
  local rec = e:load_record("ruleset", name, file)
  if rec.err then return e, rec end
  if not e.rulesets[name] then e.rule_order[#e.rule_order + 1] = name end
  e.rulesets[name] = rec
  e.sets = sets
  e:load_config()
  return e, rec
end

local read_text = require("sic.engine").read_text

local function sorted_keys(t)
  local out = {}
  for k in pairs(t or {}) do out[#out + 1] = k end
  table.sort(out, function(a, b) return tostring(a) < tostring(b) end)
  return out
end

-- Line of `id = "x"` in a rule-set file (for problems that name a rule but no line).
local function line_of(path, needle)
  local text = read_text(path) or ""
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find(needle, 1, true) then return n end
  end
end

-- ---------------------------------------------------------------- list
function M.list()
  local e = engine()
  local out = { api = rule_api.API, rules = {}, broken = {}, packs = {} }
  for _, name in ipairs(e.rule_order) do
    local rec = e.rulesets[name]
    if rec.err then
      out.broken[#out.broken + 1] = { file = rec.path, error = rec.err }
    else
      for _, r in ipairs(rec.mod.rules) do
        local enabled, th = rules.effective(r, e.overrides)
        local o = e.overrides[r.id]
        out.rules[#out.rules + 1] = { id = r.id, title = r.title, severity = r.severity, applies_to = r.applies_to,
          agent = rec.mod.agent, file = rec.path, line = line_of(rec.path, '"' .. r.id .. '"'), enabled = enabled,
          defaults = r.thresholds or {}, thresholds = th, overridden_by = o and o.source or nil,
          overrides = o and o.thresholds or nil }
      end
    end
  end
  for _, p in ipairs(e.packs or {}) do
    out.packs[#out.packs + 1] = { name = p.name, version = p.version, api = p.api, dir = p.dir, sets = p.sets }
  end
  return out, #out.broken > 0 and 1 or 0
end

-- ---------------------------------------------------------------- new
local SET_TEMPLATE = [=[
-- %s: a rule set (docs/rules.md). Check it with `sic rules check %s`, try it on a log with
-- `sic rules test %s LOG`, and run it in every analysis with `sic analyze LOG --scripts %s`.
return {
  api = %d,          -- the rule API this file is written for (sic refuses files for a newer one)
  agent = "rules",   -- runs after the analysis agents; `reads` lists the layers ctx.layers may read
  reads = { "skew" },
  rules = {
    {
      id = "%s.slow_tasks",                 -- unique; used by --set %s.slow_tasks.ratio=5
      title = "A few tasks take much longer than the median",
      severity = "medium",                  -- info | low | medium | high | critical
      applies_to = "%s",                     -- app | job | stage | executor | sql | table
      thresholds = { ratio = 4, min_task_ms = 5000 },
      -- when(entity, ctx): evidence table when the rule fires, nil otherwise
      when = function(%s, ctx)
%s      end,
      -- advice(evidence, ctx): the text; ctx.setting(name, value, why) adds a recommended setting
      advice = function(e, ctx)
        return string.format("The slowest task took %%s, %%.1fx the median.", ctx.fmt.duration(e.max_ms), e.ratio)
      end,
    },
  },
}
]=]

local WHEN = {
  stage = [[
        local d = ctx.stage_stats(stage, "duration")          -- quantiles, mad, gini ... of a task column
        if d.n < 2 or d.max < ctx.thresholds.min_task_ms then return nil end
        local ratio = d.max / math.max(d.median, 1)
        if ratio < ctx.thresholds.ratio then return nil end
        return { max_ms = d.max, median_ms = d.median, ratio = ratio }
]],
  app = [[
        local longest = 0
        for _, st in ipairs(app.stages) do
          local d = ctx.stage_stats(st, "duration")
          if d.n > 0 and d.max > longest then longest = d.max end
        end
        if longest < ctx.thresholds.min_task_ms then return nil end
        return { max_ms = longest, ratio = ctx.thresholds.ratio }
]],
}

local SPEC_TEMPLATE = [=[
-- Spec of %s, with sic.testing (docs/rules.md "Testing your rules"). Run: sic rules test %s LOG,
-- or busted with the sic scripts on the Lua path.
local testing = require "sic.testing"

describe("%s", function()
  it("fires on a stage with one slow task", function()
    local app = testing.app { stages = { { tasks = testing.tasks(10, { duration = 2000 }, { [1] = { duration = 60000 } }) } } }
    local found = testing.run { set = %q, app = app }
    assert.same({ "stage 0.0" }, testing.keys(found, "%s.slow_tasks"))
  end)
  it("stays quiet when the tasks are even", function()
    local app = testing.app { stages = { { tasks = testing.tasks(10, { duration = 2000 }) } } }
    local found = testing.run { set = %q, app = app }
    assert.same({}, testing.keys(found, "%s.slow_tasks"))
  end)
end)
]=]

local OTHER_SPEC_TEMPLATE = [=[
-- Spec of %s, with sic.testing (docs/rules.md "Testing your rules").
local testing = require "sic.testing"

describe("%s", function()
  it("runs without errors on a small application", function()
    local app = testing.app { stages = { { tasks = testing.tasks(10, { duration = 2000 }) } } }
    local _, errors = testing.run { set = %q, app = app }
    assert.same({}, errors)
  end)
  pending("fires where it should: build the application it is about with testing.app and assert testing.keys")
end)
]=]

local function write_new(path, text)
  if read_text(path) then error(path .. " already exists; not overwriting it", 0) end
  local f, err = io.open(path, "wb")
  if not f then error("cannot write " .. path .. ": " .. tostring(err), 0) end
  f:write(text)
  f:close()
end

function M.new(pos, opts)
  local name = pos[1]
  if not name then error("usage: sic rules new NAME [--applies-to stage] [--dir DIR]", 0) end
  if not name:match("^[%a_][%w_]*$") then error("NAME must be letters, digits and '_' (it becomes rules/NAME.lua)", 0) end
  local kind = opts["applies-to"] or "stage"
  if not rules.KINDS[kind] then error("--applies-to takes app, job, stage, executor, sql or table", 0) end
  local dir = (opts.dir or "sic-rules"):gsub("/+$", "")
  local when = WHEN[kind] or ("        -- look at the " .. kind .. " and return evidence when it is a problem\n        return nil\n")
  local arg = kind == "table" and "tbl" or kind
  os.execute(string.format("mkdir -p '%s/rules' '%s/spec'", dir:gsub("'", ""), dir:gsub("'", "")))
  local set_path = dir .. "/rules/" .. name .. ".lua"
  local spec_path = dir .. "/spec/" .. name .. "_spec.lua"
  write_new(set_path, string.format(SET_TEMPLATE, set_path, set_path, set_path, dir, rule_api.API, name, name, kind, arg, when))
  if kind == "stage" then
    write_new(spec_path, string.format(SPEC_TEMPLATE, set_path, set_path, name, set_path, name, set_path, name))
  elseif kind == "app" then
    write_new(spec_path, string.format(SPEC_TEMPLATE, set_path, set_path, name, set_path, name, set_path, name)
      :gsub('"stage 0%.0"', '"app app-synthetic-0001"'))
  else
    write_new(spec_path, string.format(OTHER_SPEC_TEMPLATE, set_path, name, set_path))
  end
  return { created = { set_path, spec_path }, api = rule_api.API }
end

-- ---------------------------------------------------------------- check
-- Problems of one rule-set file: load/validation errors, then a dry run of every rule on a
-- small synthetic application (a typo in a field name fails there with the field's name).
local function check_file(e, path, loaded)
  local problems = {}
  local function add(msg, where_rule)
    local file, line = rules.locate(msg, path)
    if not line and where_rule then line = line_of(path, where_rule) end
    problems[#problems + 1] = { file = file or path, line = line, message = (tostring(msg):gsub("^" .. path:gsub("%p", "%%%0") .. ":%d*:? ?", "")) }
  end
  if not read_text(path) then add(path .. ": cannot read the file") return problems end
  local name = path:match("([^/]+)%.lua$") or path
  local rec = loaded or e:load_record("ruleset", name, path)
  if rec.err then
    local needle = rec.err:match("rule '([^']+)'") and ('"' .. rec.err:match("rule '([^']+)'") .. '"')
      or (rec.err:find("rule API", 1, true) and "api") or (rec.err:match("field '([%w_]+)'"))
    add(rec.err, needle)
    return problems, nil
  end
  local testing = require "sic.testing"
  local app = testing.app { stages = {
    { tasks = testing.tasks(12, { duration = 2000, input = 1048576 }, { [1] = { duration = 90000, gc = 30000 } }) },
    { tasks = testing.tasks(4, { duration = 500 }, { [2] = { status = "FAILED" } }) },
  } }
  local state = sandbox.readonly(e:run(app).state, "state") -- the layers the set may read
  local findings = rules.evaluate({ rec.mod }, app, { overrides = {}, state = state,
    budget = e.budget, require = function(n) return e:sandbox_require(n) end })
  for _, f in ipairs(findings) do
    if f.id == "rule_error" then
      local ev = f.evidence or {}
      local msg = tostring(ev.message or f.title):gsub("^[^:]*%.lua:%d+: ", "")
      problems[#problems + 1] = { file = ev.file or path, line = ev.line, rule = f.entity and f.entity.key,
        message = (f.entity and f.entity.key or "rule") .. ": " .. msg }
    end
  end
  return problems, rec.mod
end

function M.check(pos)
  if #pos == 0 then error("usage: sic rules check FILE...", 0) end
  local e = engine()
  local out = { files = {}, problems = 0 }
  for _, path in ipairs(pos) do
    local problems, set = check_file(e, path)
    out.files[#out.files + 1] = { file = path, problems = problems, rules = set and #set.rules or 0,
      api = set and set.api or nil }
    out.problems = out.problems + #problems
  end
  return out, out.problems > 0 and 1 or 0
end

-- ---------------------------------------------------------------- test / explain
-- Nearest threshold change that makes a rule fire: each numeric threshold is moved step by
-- step away from its value (both ways, closest first) and the rule re-run on the app.
local STEPS = { 0.9, 1.1, 0.75, 1.25, 0.5, 1.5, 0.25, 2, 0.1, 4, 0, 10 }
local function near_miss(e, set, rule, app, state)
  local _, th = rules.effective(rule, e.overrides)
  local tried = {}
  for _, k in ipairs(sorted_keys(th)) do
    if type(th[k]) == "number" then tried[#tried + 1] = k end
  end
  local function fires_with(k, v)
    local t = {}
    for x, y in pairs(th) do t[x] = y end
    t[k] = v
    local one = { agent = set.agent, rules = { rule }, path = set.path, api = set.api, reads = set.reads }
    local f = rules.evaluate({ one }, app, { overrides = { [rule.id] = { thresholds = t } }, state = state,
      budget = e.budget, require = function(n) return e:sandbox_require(n) end })
    for _, x in ipairs(f) do if x.id == rule.id then return x end end
  end
  for _, step in ipairs(STEPS) do
    for _, k in ipairs(tried) do
      local v = th[k] * step
      if th[k] == math.floor(th[k]) and math.abs(v) >= 1 then v = math.floor(v + 0.5) end
      local f = v ~= th[k] and fires_with(k, v)
      if f then
        -- narrow it down: the value closest to the current one that still fires
        local lo, hi, int = th[k], v, th[k] == math.floor(th[k])
        for _ = 1, 60 do
          local mid = (lo + hi) / 2
          if int then mid = hi > lo and math.floor(mid) or math.ceil(mid) end
          if mid == lo or mid == hi then break end
          local g = fires_with(k, mid)
          if g then hi, f = mid, g else lo = mid end
        end
        v = hi
        return { threshold = k, value = th[k], would_fire_at = v, entity = f.entity.key,
          reason = string.format("would fire on %s with %s = %s (now %s)", f.entity.key, k, tostring(v), tostring(th[k])) }
      end
    end
  end
  if #tried == 0 then
    return { reason = "when() returned nothing for every " .. rule.applies_to .. " and the rule has no numeric threshold" }
  end
  return { reason = "no single threshold within 0..10x its value makes it fire (tried " .. table.concat(tried, ", ") .. ")" }
end

local function outcome(e, set, rule, app, state, findings)
  local mine = {}
  for _, f in ipairs(findings) do if f.id == rule.id then mine[#mine + 1] = f end end
  local r = { id = rule.id, file = set.path, fired = #mine > 0, findings = {} }
  for _, f in ipairs(mine) do
    r.findings[#r.findings + 1] = { entity = f.entity.key, evidence = f.evidence,
      recommendation = f.recommendation and f.recommendation.text, config = f.recommendation and f.recommendation.config }
  end
  local failed
  for _, f in ipairs(findings) do
    if f.id == "rule_error" and f.entity and f.entity.key == "rule '" .. rule.id .. "'" then failed = f end
  end
  if failed then
    r.not_fired = { reason = "failed: " .. tostring(failed.evidence.budget or failed.evidence.message), error = true }
  elseif #mine == 0 then
    r.not_fired = near_miss(e, set, rule, app, state)
  end
  return r
end

function M.test(pos)
  local file = table.remove(pos, 1)
  if not file or #pos == 0 then error("usage: sic rules test FILE LOG...", 0) end
  local e, rec = engine_with(file)
  local problems, set = check_file(e, file, rec)
  if not set then
    return { file = file, problems = problems, logs = {} }, 1
  end
  local out = { file = file, logs = {}, errors = {} }
  for _, log in ipairs(pos) do
    local app, err = require("sic.model").load(log)
    if not app then error(log .. ": " .. tostring(err), 0) end
    local report = e:run(app) -- the layers the set may read
    local state = sandbox.readonly(report.state, "state")
    local findings = rules.evaluate({ set }, app, { overrides = e.overrides, state = state, budget = e.budget,
      require = function(n) return e:sandbox_require(n) end })
    local entry = { log = log, app_id = app.app_id, rules = {} }
    for _, f in ipairs(findings) do
      if f.id == "rule_error" then out.errors[#out.errors + 1] = { log = log, message = f.title, file = f.evidence.file, line = f.evidence.line } end
    end
    for _, r in ipairs(set.rules) do
      local enabled = rules.effective(r, e.overrides)
      if enabled then entry.rules[#entry.rules + 1] = outcome(e, set, r, app, state, findings)
      else entry.rules[#entry.rules + 1] = { id = r.id, fired = false, not_fired = { reason = "disabled" } } end
    end
    out.logs[#out.logs + 1] = entry
  end
  return out, #out.errors > 0 and 1 or 0
end

function M.explain(pos)
  local id, log = pos[1], pos[2]
  if not id or not log then error("usage: sic rules explain ID LOG", 0) end
  local e = engine()
  local rule = e.rules_by_id[id]
  if not rule then
    local near = require("sic.model").nearest(id, sorted_keys(e.rules_by_id), 3)
    error(string.format("no rule '%s'%s", id, #near > 0 and (" (did you mean: " .. table.concat(near, ", ") .. "?)") or ""), 0)
  end
  local set
  for _, name in ipairs(e.rule_order) do
    local rec = e.rulesets[name]
    if rec.mod then for _, r in ipairs(rec.mod.rules) do if r == rule then set = rec.mod end end end
  end
  local app, err = require("sic.model").load(log)
  if not app then error(log .. ": " .. tostring(err), 0) end
  local enabled, th = rules.effective(rule, e.overrides)
  local out = { id = id, file = set.path, log = log, enabled = enabled, thresholds = th,
    overridden_by = e.overrides[id] and e.overrides[id].source or nil }
  if not enabled then out.verdict = "disabled" return out end
  local report = e:run(app)
  local final = {}
  for _, f in ipairs(report.findings) do if f.id == id then final[#final + 1] = f end end
  local state = sandbox.readonly(report.state, "state")
  local raw = rules.evaluate({ set }, app, { overrides = e.overrides, state = state, budget = e.budget,
    require = function(n) return e:sandbox_require(n) end })
  local o = outcome(e, set, rule, app, state, raw)
  out.raw = o
  out.reported = {}
  for _, f in ipairs(final) do
    out.reported[#out.reported + 1] = { entity = f.entity.key, entities = f.entities and #f.entities or nil,
      recommendation = f.recommendation and f.recommendation.text }
  end
  if #final > 0 then out.verdict = "fired"
  elseif o.fired then
    out.verdict = "fired, then gave way"
    out.reason = rule.defers_to and ("defers to " .. table.concat(rule.defers_to, ", ") .. ", which fired on the same entities")
      or "consolidated into another finding"
  else
    out.verdict = "did not fire"
    out.reason = o.not_fired and o.not_fired.reason
  end
  return out
end

-- ---------------------------------------------------------------- reference / env
function M.reference() return { markdown = require("sic.rule_docs").reference() } end

-- Shell lines that let busted (or a stock luajit) require "sic.testing" and the rules' own
-- modules: the built-in scripts on LUA_PATH and, when known, the library in SIC_LIB.
function M.env()
  local native = package.loaded["sic.native"]
  local dir = type(native) == "table" and native.builtin_scripts or require("sic.testing").builtin_dir()
  local lib = os.getenv("SIC_LIB")
  local cfg = require("sic.core").own_config()
  if (not lib or lib == "") and cfg then lib = cfg.lib end
  if not lib or lib == "" then -- a source tree: the library the build put next to the scripts
    local guess = dir:gsub("/scripts/*$", "") .. "/build/libsic.so"
    if read_text(guess) then lib = guess end
  end
  local lines = { string.format("export LUA_PATH='%s/?.lua;%s/lib/?.lua;;'", dir, dir) }
  if lib and lib ~= "" then lines[#lines + 1] = string.format("export SIC_LIB='%s'", lib) end
  return { scripts = dir, lib = lib, shell = table.concat(lines, "\n") }
end

-- ---------------------------------------------------------------- text
local function kv(t)
  local parts = {}
  for _, k in ipairs(sorted_keys(t)) do parts[#parts + 1] = k .. "=" .. tostring(t[k]) end
  return table.concat(parts, " ")
end

local function evidence_line(ev)
  local parts = {}
  for _, k in ipairs(sorted_keys(ev)) do
    local v = ev[k]
    if type(v) ~= "table" then
      if type(v) == "number" and v ~= math.floor(v) then v = string.format("%.3g", v) end
      parts[#parts + 1] = k .. "=" .. tostring(v)
    end
    if #parts >= 8 then break end
  end
  return table.concat(parts, " ")
end

function M.text(cmd, r)
  local o = {}
  local function p(...) o[#o + 1] = string.format(...) end
  if cmd == "list" then
    p("rule API %d; %d rules", r.api, #r.rules)
    for _, pk in ipairs(r.packs) do p("pack %s %s (api %s) %s", pk.name, pk.version, tostring(pk.api), pk.dir) end
    for _, x in ipairs(r.rules) do
      p("%-40s %-8s %-8s %s%s", x.id, x.applies_to, x.enabled and x.severity or "disabled", x.file, x.line and (":" .. x.line) or "")
      if next(x.thresholds) then p("    thresholds: %s", kv(x.thresholds)) end
      if x.overridden_by then p("    overridden by %s: %s", x.overridden_by, kv(x.overrides or {})) end
    end
    for _, b in ipairs(r.broken) do p("BROKEN %s: %s", b.file, b.error) end
  elseif cmd == "new" then
    for _, f in ipairs(r.created) do p("wrote %s", f) end
  elseif cmd == "check" then
    for _, f in ipairs(r.files) do
      if #f.problems == 0 then p("%s: ok (%d rules, api %s)", f.file, f.rules, tostring(f.api)) end
      for _, pr in ipairs(f.problems) do p("%s:%s: %s", pr.file, pr.line and tostring(pr.line) or "", pr.message) end
    end
  elseif cmd == "test" then
    for _, pr in ipairs(r.problems or {}) do p("%s:%s: %s", pr.file, pr.line and tostring(pr.line) or "", pr.message) end
    for _, l in ipairs(r.logs) do
      p("%s (%s)", l.log, tostring(l.app_id))
      for _, x in ipairs(l.rules) do
        if x.fired then
          p("  FIRED    %s on %d entities", x.id, #x.findings)
          for i, f in ipairs(x.findings) do
            if i > 5 then p("    ... %d more", #x.findings - 5) break end
            p("    %s: %s", f.entity, evidence_line(f.evidence or {}))
            if f.recommendation then p("      %s", f.recommendation) end
          end
        else
          p("  NOT FIRED %s: %s", x.id, x.not_fired and x.not_fired.reason or "?")
        end
      end
    end
    for _, e in ipairs(r.errors or {}) do p("ERROR %s", e.message) end
  elseif cmd == "reference" then
    return r.markdown
  elseif cmd == "env" then
    return r.shell .. "\n"
  elseif cmd == "explain" then
    p("%s (%s) on %s: %s", r.id, r.file, r.log, r.verdict)
    p("  thresholds: %s%s", kv(r.thresholds), r.overridden_by and ("  (overridden by " .. r.overridden_by .. ")") or "")
    if r.reason then p("  why: %s", r.reason) end
    for _, f in ipairs(r.raw and r.raw.findings or {}) do p("  %s: %s", f.entity, evidence_line(f.evidence or {})) end
    for _, f in ipairs(r.reported or {}) do p("  reported: %s%s", f.entity, f.entities and (" (+" .. f.entities .. " grouped)") or "") end
  end
  return table.concat(o, "\n") .. "\n"
end

return M
