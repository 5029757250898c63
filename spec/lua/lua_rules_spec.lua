-- Rules over real logs, user rule dirs (added, edited, overriding built-ins), broken rules
-- becoming rule_error findings while everything else still runs, and threshold overrides.
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"

local RULE_TEMPLATE = [[
return { rules = { {
  id = "user.long_app", title = %q, severity = "low", applies_to = "app",
  thresholds = { min_seconds = %d },
  when = function(app, ctx)
    if app.duration / 1000 >= ctx.thresholds.min_seconds then return { seconds = app.duration / 1000 } end
  end,
  advice = function(e) return string.format("ran %%.1f s", e.seconds) end,
  impact = function(e) return { saving_ms = 0 } end,
} } }]]

local function analyze(app, dirs, extra)
  local e = U.engine(dirs, extra):load()
  return e:run(app), e
end

local function without_errors(findings)
  local out = {}
  for _, f in ipairs(findings) do
    if f.id ~= "rule_error" then out[#out + 1] = f.id .. "@" .. tostring(f.entity.key) end
  end
  table.sort(out)
  return out
end

describe("shipped rules on real logs", function()
  it("find the skewed stages that SOURCES.md lists, with C statistics as evidence", function()
    local path = T.need_shared(U.LOG_NDS)
    if not path then return end
    local report = analyze(assert(sic.load(path)), {})
    assert.equal(0, report.errors)
    local skew = {}
    local per_stage = U.entities(report.findings, "skew.task_duration")
    for _, f in ipairs(per_stage) do skew[#skew + 1] = f.entity.stage_id end
    table.sort(skew)
    assert.same({ 13, 23, 25, 29 }, skew) -- "skew: 4 stage(s) ... worst stage 23"
    local worst = U.find(per_stage, function(f) return f.entity.stage_id == 23 end)
    assert.near(4.9, worst.evidence.max_ms / 1000, 0.05)
    assert.is_true(worst.evidence.ratio >= 3)
    assert.equal(T.source_dir .. "/scripts/rules/skew_rules.lua", worst.rule)
    -- The 4.9 s task read no bytes at all (like the median task): a straggler, not data skew, so
    -- no skew-join advice (analysis engineer's diagnosis, see docs/analysis.md).
    assert.equal("compute", worst.evidence.cause)
    assert.is_nil(worst.recommendation.config["spark.sql.adaptive.skewJoin.enabled"])
    assert.is_true(worst.impact.saving_ms > 0)
    -- Every stage of this log is SQL (UnsafeRow shuffles): spark.serializer does not matter here.
    assert.equal(0, U.count(report.findings, "config.serializer"))
    assert.is_true(report.state.cost.total_saving_ms > 0)
  end)

  it("stay quiet on a small log without problems of that kind", function()
    -- a small real log, or without ../shared a generated one whose every task is made to last
    -- the same second (no stage can be skewed)
    local path = T.has_shared("spark-events/spark/local-1426533911241")
    if not path then
      local text = assert(T.read_file(T.example.log({ seed = 7, tasks = 300 })))
      text = text:gsub('("Launch Time":(%d+),)(.-"Finish Time":)%d+', function(head, launch, mid)
        return head .. mid .. string.format("%d", tonumber(launch) + 1000)
      end)
      path = T.example.write("no_skew", text)
    end
    local report = analyze(assert(sic.load(path)), {})
    assert.equal(0, U.count(report.findings, "skew.task_duration"))
    assert.equal(0, report.errors)
  end)
end)

describe("shipped rules on a generated application", function()
  it("find every problem sic example plants, at the job, SQL, executor and stage level", function()
    local path = os.tmpname()
    local r = T.run_sic({ "example", path })
    assert.equal(0, r.code, r.stderr)
    local app = assert(sic.load(path))
    os.remove(path)
    local report = analyze(app, {})
    assert.equal(0, report.errors)
    local n = {}
    for _, id in ipairs { "skew.task_duration", "skew.shuffle_read", "runtime.spill", "executor.gc_pressure",
      "partition.tiny_tasks", "runtime.failed_tasks", "executor.memory_kill", "job.failed", "sql.failed", "executor.idle" } do
      n[id] = #U.entities(report.findings, id) -- per entity: grouped and deferred findings included
    end
    assert.is_true((n["skew.task_duration"] or 0) >= 1)    -- the skewed join stage
    assert.is_true((n["skew.shuffle_read"] or 0) >= 1)
    assert.is_true((n["runtime.spill"] or 0) >= 1)          -- spill in join and final aggregate
    assert.equal(1, n["executor.gc_pressure"])               -- GC pressure on one executor
    assert.is_true((n["partition.tiny_tasks"] or 0) >= 1)   -- many tiny tasks
    assert.is_true((n["runtime.failed_tasks"] or 0) >= 1)   -- failed and retried tasks
    assert.equal(1, n["executor.memory_kill"])               -- executor lost to a YARN memory kill
    assert.equal(1, n["job.failed"])                         -- the failing query ...
    assert.equal(1, n["sql.failed"])                         -- ... its SQL execution
    assert.is_true((n["executor.idle"] or 0) >= 1)          -- idle executors
    local kill = U.find(report.findings, function(f) return f.id == "executor.memory_kill" end)
    assert.matches("^%d+m$", kill.recommendation.config["spark.executor.memoryOverhead"])
    assert.is_true(report.state.cost.wasted_core_ms > 0)
  end)
end)

describe("user rule dirs", function()
  local dir, app
  before_each(function()
    dir = U.mkdtemp()
    -- a generated application (one skewed stage, a long run): the rule-dir mechanics need
    -- such an app, not a real one, so a clone without ../shared runs these cases too
    app = assert(sic.load(T.example.log({ seed = 7, tasks = 300 })))
  end)
  after_each(function() U.rmtree(dir) end)

  it("picks up a new rule file and sees edits between runs without rebuilding", function()
    if not app then return pending(T.shared_reason(U.LOG_SKEW)) end
    U.write(dir, "rules/my_rules.lua", RULE_TEMPLATE:format("App ran long", 10))
    local r1 = analyze(app, { dir })
    local f = U.find(r1.findings, function(x) return x.id == "user.long_app" end)
    assert.is_not_nil(f)
    assert.equal("App ran long", f.title)
    assert.equal(dir .. "/rules/my_rules.lua", f.rule)
    U.write(dir, "rules/my_rules.lua", RULE_TEMPLATE:format("Edited title", 10))
    local r2 = analyze(app, { dir })
    assert.equal("Edited title", U.find(r2.findings, function(x) return x.id == "user.long_app" end).title)
    U.write(dir, "rules/my_rules.lua", RULE_TEMPLATE:format("Edited title", 100000))
    assert.equal(0, U.count(analyze(app, { dir }).findings, "user.long_app"))
  end)

  it("lets a user rule set replace a built-in one by file name", function()
    if not app then return pending(T.shared_reason(U.LOG_SKEW)) end
    assert.equal(1, U.count(analyze(app, {}).findings, "skew.task_duration"))
    U.write(dir, "rules/skew_rules.lua", "return { agent = 'skew', rules = {} }")
    assert.equal(0, U.count(analyze(app, { dir }).findings, "skew.task_duration"))
  end)

  local BROKEN_RUNTIME = [[
return { rules = {
  { id = "bad.runtime", title = "t", severity = "low", applies_to = "stage",
    when = function(stage) return stage.no_such_field.x end,
    advice = function() return "" end },
  { id = "bad.loop", title = "t", severity = "low", applies_to = "app",
    when = function(app) while true do end end,
    advice = function() return "" end },
} }]]
  local BROKEN_MEMORY = [[
return { rules = {
  { id = "bad.memory", title = "t", severity = "low", applies_to = "app",
    when = function(app)
      local t = {}
      for i = 1, 1e9 do t[i] = { i } end
    end,
    advice = function() return "" end },
  { id = "bad.rep", title = "t", severity = "low", applies_to = "app",
    when = function(app) return { s = ("x"):rep(2^40) } end,
    advice = function() return "" end },
} }]]

  local function errors_by_key(report)
    local by_key, n = {}, 0
    for _, f in ipairs(report.findings) do
      if f.id == "rule_error" then
        by_key[f.entity.key] = f
        n = n + 1
        assert.equal("high", f.severity)
        assert.is_string(f.recommendation.text)
      end
    end
    return by_key, n
  end

  it("turns syntax errors, runtime errors and endless loops into rule_error findings", function()
    if not app then return pending(T.shared_reason(U.LOG_SKEW)) end
    local baseline = without_errors(analyze(app, {}).findings)
    assert.is_true(#baseline >= 2)
    U.write(dir, "rules/syntax_rules.lua", "return { rules = {\n  { id = 'bad.syntax', \n  title = }")
    U.write(dir, "rules/broken_rules.lua", BROKEN_RUNTIME)
    local report = analyze(app, { dir }, { budget = { seconds = 0.5, mb = 256 } })
    assert.same(baseline, without_errors(report.findings))
    local by_key, n = errors_by_key(report)
    assert.equal(3, n)
    local syn = by_key["rule set 'syntax_rules'"]
    assert.equal(dir .. "/rules/syntax_rules.lua", syn.evidence.file)
    assert.equal(3, syn.evidence.line)
    local rt = by_key["rule 'bad.runtime'"]
    assert.equal(dir .. "/rules/broken_rules.lua", rt.evidence.file)
    assert.equal(3, rt.evidence.line)
    -- model views are strict (issue 17): the typo itself is named, not a later nil index
    assert.matches("stage has no field 'no_such_field'", rt.evidence.message, 1, true)
    local loop = by_key["rule 'bad.loop'"]
    assert.equal(6, loop.evidence.line)
    assert.matches("ran longer than 0.5 s", loop.evidence.budget)
  end)

  it("turns huge allocations into rule_error findings", function()
    if not app then return pending(T.shared_reason(U.LOG_SKEW)) end
    local baseline = without_errors(analyze(app, {}).findings)
    U.write(dir, "rules/broken_rules.lua", BROKEN_MEMORY)
    local report = analyze(app, { dir }, { budget = { seconds = 60, mb = 64 } })
    assert.same(baseline, without_errors(report.findings))
    local by_key, n = errors_by_key(report)
    assert.equal(2, n)
    local mem = by_key["rule 'bad.memory'"]
    assert.matches("more than 64 MiB", mem.evidence.budget)
    assert.equal(dir .. "/rules/broken_rules.lua", mem.evidence.file)
    assert.equal(5, mem.evidence.line)
    local rep = by_key["rule 'bad.rep'"]
    assert.matches("string.rep", rep.evidence.message)
    assert.equal(9, rep.evidence.line)
    collectgarbage()
  end)
end)

describe("rule configuration", function()
  -- the skewed real log (max/median 17.x), or without ../shared a generated one, whose skewed
  -- stage's max/median is read from its task lines: thresholds 10% either side of it
  local app, dir, below, above
  before_each(function()
    dir = U.mkdtemp()
    local path = T.shared(U.LOG_SKEW)
    below, above = 17, 18
    if T.exists(path) then
      app = assert(sic.load(path))
    else
      local gen = T.example.log({ seed = 7, tasks = 300 })
      app = assert(sic.load(gen))
      local f, ratio = T.example.facts(gen), 0
      for _, ends in pairs(f.task_ends) do
        local d = {}
        for _, e in ipairs(ends) do if e.success then d[#d + 1] = e.duration end end
        table.sort(d)
        if #d > 0 then ratio = math.max(ratio, d[#d] / d[math.floor(0.5 * #d) + 1]) end
      end
      assert.is_true(ratio > 10, "the generated log has a skewed stage")
      below, above = math.floor(ratio * 0.9), math.ceil(ratio * 1.1)
    end
  end)
  after_each(function() U.rmtree(dir) end)

  it("applies --set threshold overrides and enable/disable", function()
    assert.equal(1, U.count(analyze(app, {}, { sets = { "rule.skew.task_duration.ratio=" .. below } }).findings, "skew.task_duration"))
    assert.equal(0, U.count(analyze(app, {}, { sets = { "rule.skew.task_duration.ratio=" .. above } }).findings, "skew.task_duration"))
    assert.equal(0, U.count(analyze(app, {}, { sets = { "rule.skew.task_duration.enabled=false" } }).findings, "skew.task_duration"))
    assert.equal(1, U.count(analyze(app, {}, { sets = { "rule.skew.task_duration.min_max_ms=1s" } }).findings, "skew.task_duration"))
  end)

  it("reads a sic.lua config file, --set wins over it", function()
    local cfg = U.write(dir, "sic.lua", "return { rules = { ['skew.task_duration'] = { ratio = 50 } } }")
    assert.equal(0, U.count(analyze(app, {}, { config_path = cfg }).findings, "skew.task_duration"))
    assert.equal(1, U.count(analyze(app, {}, { config_path = cfg, sets = { "rule.skew.task_duration.ratio=3" } }).findings,
      "skew.task_duration"))
  end)

  it("rejects overrides naming unknown rules or thresholds, and malformed ones", function()
    local ok, err = pcall(analyze, app, {}, { sets = { "rule.skew.nope.ratio=3" } })
    assert.is_false(ok)
    assert.matches("no rule with id 'skew.nope'", err)
    ok, err = pcall(analyze, app, {}, { sets = { "rule.skew.task_duration.ration=3" } })
    assert.is_false(ok)
    assert.matches("has no threshold 'ration' %(it has: mad_z, min_max_ms, min_saving_ms, min_share, min_tasks, ratio%)", err)
    ok, err = pcall(analyze, app, {}, { sets = { "skew=3" } })
    assert.is_false(ok)
    assert.matches("expected rule.<id>.<key>=<value>", err)
  end)
end)

describe("lpeg parsers", function()
  local parse = require "sic.parse"
  it("never raise on arbitrary input", function()
    local seed = 12345
    local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
    local alphabet = "0123456789.kmgtbsh()[],=# -_abcxyzKMG\"'"
    for _ = 1, 2000 do
      local t = {}
      for i = 1, rnd(24) do local c = rnd(#alphabet) + 1 t[i] = alphabet:sub(c, c) end
      local s = table.concat(t)
      for _, fn in ipairs { parse.size, parse.duration, parse.plan_node, parse.override } do
        local ok, err = pcall(fn, s)
        assert(ok, "parser raised on " .. string.format("%q", s) .. ": " .. tostring(err))
      end
      assert(pcall(parse.override, "rule." .. s))
    end
    assert.is_nil((parse.size(nil)))
    assert.is_nil((parse.plan_node(42)))
  end)

  it("parse Spark sizes, durations, plan nodes and overrides", function()
    assert.equal(512 * 1024 ^ 2, parse.size("512m"))
    assert.equal(2 * 1024 ^ 3, parse.size("2g"))
    assert.equal(4 * 1024 ^ 2, parse.size("4", "m"))
    assert.equal(120000, parse.duration("120s"))
    assert.equal(300000, parse.duration("5min"))
    local n, err = parse.size("12q")
    assert.is_nil(n)
    assert.matches("unknown unit 'q'", err)
    local node = parse.plan_node("Exchange hashpartitioning(ss_item_sk#1, 200), ENSURE_REQUIREMENTS, [id=#40]")
    assert.equal("Exchange", node.name)
    assert.equal("hashpartitioning", node.partitioning)
    assert.equal(200, node.num_partitions)
    assert.same({ "hashpartitioning(ss_item_sk#1, 200)", "ENSURE_REQUIREMENTS", "[id=#40]" }, node.args)
    local agg = parse.plan_node("HashAggregate(keys=[k#1], functions=[count(1)])")
    assert.same({ "keys=[k#1]", "functions=[count(1)]" }, agg.args)
    assert.same({ "a.b.c", "limit", 64 * 1024 ^ 2 }, { parse.override("rule.a.b.c.limit=64m") })
  end)
end)
