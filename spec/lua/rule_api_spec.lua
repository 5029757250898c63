-- The rule API (sic.rule_api, issue 17): ctx fields, strict model views, API versioning,
-- runaway rules stopped while the others' findings arrive, rule packs and their reload.
local T = require "spec_helper"
local testing = require "sic.testing"
local rule_api = require "sic.rule_api"
local sic = require "sic"

local function write(path, text)
  os.execute("mkdir -p '" .. path:match("^(.*)/[^/]*$") .. "'")
  T.write_file(path, text)
  return path
end

local SKEWED = { stages = {
  { name = "skewed join", tasks = testing.tasks(16, { duration = 2000, input = 64 * 1048576 },
    { [1] = { duration = 80000, input = 900 * 1048576, speculative = true, locality = "ANY" } }) },
  { name = "even", tasks = testing.tasks(8, { duration = 3000 }, { [2] = { status = "FAILED" }, [3] = { status = "KILLED" } }) },
}, conf = { ["spark.executor.memory"] = "4g" } }

describe("rule API", function()
  local app = testing.app(SKEWED)

  it("is versioned and says which version it implements", function()
    assert.equal(1, rule_api.API)
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/newer.lua", [[return { api = 99, rules = {} }]])
    local ok, err = pcall(testing.run, { set = p, app = app })
    assert.is_false(ok)
    assert.matches("written for rule API 99, but this sic implements rule API 1", tostring(err), 1, true)
    assert.matches("newer.lua", tostring(err), 1, true)
  end)

  it("names a mistyped field of a model view and the nearest valid names", function()
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/typo.lua", [[
return { api = 1, rules = { {
  id = "t.typo", title = "typo", severity = "low", applies_to = "stage",
  when = function(stage, ctx) if stage.ntaks > 1 then return {} end end,
  advice = function() return "x" end } } }]])
    local found, errors = testing.run { set = p, app = app }
    assert.equal(0, #found)
    assert.equal(1, #errors)
    assert.matches("stage has no field 'ntaks' (did you mean: ntasks", errors[1].evidence.message, 1, true)
    assert.equal(3, errors[1].evidence.line)
    -- the same for ctx, tasks and the app
    assert.matches("ctx has no field 'stage_stat'", select(2, pcall(function()
      return rule_api.ctx { app = app, rule = { id = "x" } }.stage_stat end)), 1, true)
    assert.matches("tasks has no field 'speculatve' (did you mean: speculative",
      select(2, pcall(function() return app.tasks.speculatve end)), 1, true)
    assert.matches("app has no field 'stagez' (did you mean: stage",
      select(2, pcall(function() return app.stagez end)), 1, true)
  end)

  it("stops a rule that loops or allocates without bound and still delivers the other rules' findings", function()
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/runaway.lua", [[
return { api = 1, rules = {
  { id = "r.loop", title = "loops", severity = "low", applies_to = "app",
    when = function() while true do end end, advice = function() return "" end },
  { id = "r.alloc", title = "allocates", severity = "low", applies_to = "app",
    when = function() local t = {} local i = 0 while true do i = i + 1 t[i] = { i, i, i, i } end end,
    advice = function() return "" end },
  { id = "r.good", title = "fires", severity = "low", applies_to = "stage",
    when = function(stage, ctx) if ctx.stage_stats(stage, "duration").max > 60000 then return { max = 1 } end end,
    advice = function() return "ok" end },
} }]])
    local found, errors = testing.run { set = p, app = app, budget = { seconds = 1, mb = 64 } }
    assert.same({ "stage 0.0" }, testing.keys(found, "r.good"))
    assert.equal(2, #errors)
    local msgs = {}
    for _, e in ipairs(errors) do msgs[e.entity.key] = e.evidence.budget or e.evidence.message end
    assert.matches("budget exceeded", msgs["rule 'r.loop'"])
    assert.matches("budget exceeded", msgs["rule 'r.alloc'"])
  end)

  it("gives named task fields, statistics, conf with Spark's defaults, executors, fmt and setting()", function()
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/api.lua", [[
return { api = 1, rules = { {
  id = "a.all", title = "uses the API", severity = "low", applies_to = "stage",
  when = function(stage, ctx)
    local top = ctx.stage_top(stage, 1, "duration")[1]
    local t = ctx.task(top.row)
    local d = ctx.stage_stats(stage, "duration")
    local sums = ctx.stage_sums(stage)
    ctx.setting("spark.sql.adaptive.skewJoin.enabled", "true", "AQE splits the skewed partition")
    ctx.setting("spark.sql.shuffle.partitions", 400, "more, smaller partitions")
    return { speculative = t.speculative, locality = t.locality, killed = t.killed, status = t.status,
      median = d.median, max = d.max, gini = d.gini, mad = d.mad, p90 = d.p90, input = sums.input_bytes_read,
      executors = #ctx.executors(), memory = ctx.conf("spark.executor.memory"),
      partitions = ctx.conf("spark.sql.shuffle.partitions"), size = ctx.fmt.bytes(sums.input_bytes_read),
      took = ctx.fmt.duration(d.max), api = ctx.api, vendor = ctx.platform().manager }
  end,
  advice = function(e) return "x" end } } }]])
    local found, errors = testing.run { set = p, app = app }
    assert.same({}, errors)
    local f = testing.finding(found, "a.all")
    local e = f.evidence
    assert.is_true(e.speculative)
    assert.equal("ANY", e.locality)
    assert.equal("SUCCESS", e.status)
    assert.equal(80000, e.max)
    assert.equal(2000, e.median)
    assert.equal("4g", e.memory)
    assert.equal("200", e.partitions) -- Spark's default for 3.5, the log does not set it
    assert.equal(2, e.executors)
    assert.equal("1.82 GiB", e.size) -- 15 x 64 MiB + 900 MiB
    assert.equal("1.3 min", e.took)
    assert.equal(1, e.api)
    assert.equal("yarn", e.vendor)
    -- setting(): the default (skewJoin on in 3.5) goes to `already`, the change to config
    assert.equal("400", f.recommendation.config["spark.sql.shuffle.partitions"])
    assert.is_nil(f.recommendation.config["spark.sql.adaptive.skewJoin.enabled"])
    assert.truthy(f.recommendation.already["spark.sql.adaptive.skewJoin.enabled"])
    assert.equal("more, smaller partitions", f.recommendation.why["spark.sql.shuffle.partitions"])
    -- killed/failed attempts of the second stage
    assert.is_true(app.tasks.killed[16 + 2])
    assert.equal("FAILED", app.tasks.status_name[16 + 1])
  end)

  it("lets a rule set read only the layers it declares", function()
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/layers.lua", [[
return { api = 1, reads = { "skew" }, rules = {
  { id = "l.ok", title = "reads skew", severity = "low", applies_to = "app",
    when = function(app, ctx) return { n = #ctx.layers.skew.findings } end, advice = function() return "" end },
  { id = "l.bad", title = "reads sql", severity = "low", applies_to = "app",
    when = function(app, ctx) return { n = ctx.layers.sql } end, advice = function() return "" end },
} }]])
    local found, errors = testing.run { set = p, app = app, state = { skew = { findings = { 1, 2 } }, sql = {} } }
    assert.equal(2, testing.finding(found, "l.ok").evidence.n)
    assert.equal(1, #errors)
    assert.matches("layer 'sql' is not in the rule set's reads = { skew }", errors[1].evidence.message, 1, true)
  end)

  it("gives SQL plan access: operators, join keys, scan filters and metrics", function()
    local path = T.example.log({ seed = 42 })
    local real = testing.load(path)
    local dir = T.tmpdir()
    local p = write(dir .. "/rules/plan.lua", [[
return { api = 1, rules = { {
  id = "p.joins", title = "joins", severity = "low", applies_to = "sql",
  when = function(sql, ctx)
    local plan = ctx.plan(sql)
    if #plan.joins == 0 then return nil end
    local with_metrics = 0
    for _, op in ipairs(plan.operators) do if next(op.metrics) then with_metrics = with_metrics + 1 end end
    return { join = plan.joins[1].kind, keys = plan.joins[1].keys, scans = #plan.scans,
      filters = plan.scans[1] and plan.scans[1].pushed_filters, with_metrics = with_metrics }
  end,
  advice = function() return "" end } } }]])
    local found, errors = testing.run { set = p, app = real }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "p.joins"))
    assert.matches("Join", f.evidence.join)
    assert.truthy(f.evidence.keys)
    assert.is_true(f.evidence.scans >= 1)
    assert.is_true(f.evidence.with_metrics >= 1)
  end)
end)

describe("rule packs", function()
  local app = testing.app(SKEWED)

  local function pack(dir, manifest)
    write(dir .. "/sic-pack.lua", manifest)
    write(dir .. "/rules/house_rules.lua", [[
return { api = 1, disable = { "config.speculation" }, rules = { {
  id = "house.slow", title = "slow stage", severity = "low", applies_to = "stage",
  thresholds = { max_ms = 60000 },
  when = function(stage, ctx) local d = ctx.stage_stats(stage, "duration") if d.max >= ctx.thresholds.max_ms then return { max = d.max } end end,
  advice = function() return "" end } } }]])
  end

  it("applies the manifest's thresholds and a set's disable list, and refuses a newer API", function()
    local dir = T.tmpdir()
    pack(dir, [[return { name = "house", version = "1.0.0", api = 1,
      thresholds = { ["house.slow"] = { max_ms = 100000 }, ["skew.task_duration"] = { ratio = 5 } } }]])
    local e = testing.engine { dirs = { dir } }
    assert.equal("house", e.packs[1].name)
    local enabled = require("sic.rules").effective(e.rules_by_id["config.speculation"], e.overrides)
    assert.is_false(enabled)
    local _, th = require("sic.rules").effective(e.rules_by_id["skew.task_duration"], e.overrides)
    assert.equal(5, th.ratio)
    local found = testing.run { engine = e, builtin = "house_rules", app = app }
    assert.same({}, testing.keys(found, "house.slow")) -- 80 s < the pack's 100 s
    -- --set wins over the pack
    local e2 = testing.engine { dirs = { dir }, sets = { "rule.house.slow.max_ms=50000" } }
    found = testing.run { engine = e2, builtin = "house_rules", app = app }
    assert.same({ "stage 0.0" }, testing.keys(found, "house.slow"))
    -- a manifest for a newer API is refused with a clear message
    write(dir .. "/sic-pack.lua", [[return { name = "house", version = "2.0.0", api = 7 }]])
    local ok, err = pcall(testing.engine, { dirs = { dir } })
    assert.is_false(ok)
    assert.matches("sic-pack.lua: written for rule API 7, but this sic implements rule API 1", tostring(err), 1, true)
  end)

  it("reloads a pack as a transaction: a broken manifest keeps the previous version", function()
    local dir = T.tmpdir()
    pack(dir, [[return { name = "house", version = "1.0.0", api = 1, thresholds = { ["house.slow"] = { max_ms = 100000 } } }]])
    local e = testing.engine { dirs = { dir } }
    write(dir .. "/sic-pack.lua", [[return { name = "house", version = "1.1.0", api = 1, thresholds = { ["house.slow"] = { max_ms = 70000 } } }]])
    local report, applied = e:reload()
    assert.is_true(applied)
    assert.equal("1.1.0", e.packs[1].version)
    local _, th = require("sic.rules").effective(e.rules_by_id["house.slow"], e.overrides)
    assert.equal(70000, th.max_ms)
    write(dir .. "/sic-pack.lua", [[return { name = "house", version = "1.2.0", api = 1, thresholds = { ["house.slo"] = { max_ms = 1 } } }]])
    report, applied = e:reload()
    assert.is_false(applied)
    local reason
    for _, r in ipairs(report) do if r.status == "failed" then reason = r.reason end end
    assert.matches("no rule with id 'house.slo'", reason, 1, true)
    assert.equal("1.1.0", e.packs[1].version)
    _, th = require("sic.rules").effective(e.rules_by_id["house.slow"], e.overrides)
    assert.equal(70000, th.max_ms)
  end)
end)
