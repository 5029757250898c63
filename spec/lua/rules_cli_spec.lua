-- `sic rules` (issue 17): list, new, check, test, explain, reference, env, in text and JSON,
-- through the real binary.
local T = require "spec_helper"
local cjson = require "cjson"

local function json_of(argv)
  argv[#argv + 1] = "--format"
  argv[#argv + 1] = "json"
  local r = T.run_sic(argv)
  local ok, doc = pcall(cjson.decode, r.stdout)
  assert.is_true(ok, "not JSON: " .. r.stdout .. r.stderr)
  return doc, r
end

describe("sic rules", function()
  local log = T.example.log({ seed = 42 })

  it("lists every rule with its file, line, thresholds and effective overrides", function()
    local doc, r = json_of({ "rules", "list", "--set", "rule.skew.task_duration.ratio=7" })
    assert.equal(0, r.code, r.stderr)
    assert.equal(1, doc.api)
    local by_id = {}
    for _, x in ipairs(doc.rules) do by_id[x.id] = x end
    local skew = assert(by_id["skew.task_duration"])
    assert.matches("scripts/rules/skew_rules.lua$", skew.file)
    assert.is_number(skew.line)
    assert.equal(3, skew.defaults.ratio)
    assert.equal(7, skew.thresholds.ratio)
    assert.matches("--set", skew.overridden_by)
    assert.truthy(by_id["delta.small_files"])
    assert.is_true(#doc.rules >= 50)
  end)

  it("scaffolds a rule set and a spec that check clean and fire on the example log", function()
    local dir = T.tmpdir()
    local r = T.run_sic({ "rules", "new", "team", "--dir", dir })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(T.read_file(dir .. "/rules/team.lua"):find("api = 1", 1, true))
    assert.truthy(T.read_file(dir .. "/spec/team_spec.lua"):find('require "sic.testing"', 1, true))
    -- never overwrites
    r = T.run_sic({ "rules", "new", "team", "--dir", dir })
    assert.equal(1, r.code)
    assert.matches("already exists", r.stderr)
    local doc = json_of({ "rules", "check", dir .. "/rules/team.lua" })
    assert.equal(0, doc.problems)
    doc = json_of({ "rules", "test", dir .. "/rules/team.lua", log })
    local rule = doc.logs[1].rules[1]
    assert.equal("team.slow_tasks", rule.id)
    assert.is_true(rule.fired)
    assert.equal("stage 4.0", rule.findings[1].entity)
    -- --applies-to app writes an app rule
    r = T.run_sic({ "rules", "new", "apps", "--applies-to", "app", "--dir", dir })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(T.read_file(dir .. "/rules/apps.lua"):find('applies_to = "app"', 1, true))
    -- the scaffolded specs pass as written, under busted with `sic rules env`
    local p = io.popen("cd " .. T.shell_quote(dir) .. " && cd .. && eval \"$(" .. T.shell_quote(T.sic_bin) ..
      " rules env)\" && luajit \"$(command -v busted)\" " .. T.shell_quote(dir .. "/spec") .. " 2>&1")
    local out = p:read("*a")
    p:close()
    assert.matches("4 successes / 0 failures / 0 errors", out, 1, true)
  end)

  it("checks files: a field typo and a newer API are problems with file:line, exit 1", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/typo.lua", 'return { api = 1, rules = { {\n  id = "t.x", title = "x", severity = "low", applies_to = "executor",\n' ..
      '  when = function(e, ctx) return e.coers > 2 and {} or nil end,\n  advice = function() return "" end } } }\n')
    T.write_file(dir .. "/newer.lua", 'return {\n  api = 3,\n  rules = {} }\n')
    local doc, r = json_of({ "rules", "check", dir .. "/typo.lua", dir .. "/newer.lua" })
    assert.equal(1, r.code)
    assert.equal(2, doc.problems)
    local typo, newer = doc.files[1].problems[1], doc.files[2].problems[1]
    assert.equal(3, typo.line)
    assert.matches("executor has no field 'coers' (did you mean: cores", typo.message, 1, true)
    assert.equal(2, newer.line)
    assert.matches("written for rule API 3, but this sic implements rule API 1", newer.message, 1, true)
    r = T.run_sic({ "rules", "check", dir .. "/typo.lua" })
    assert.matches(dir .. "/typo.lua:3: rule 't.x': executor has no field 'coers'", r.stdout, 1, true)
  end)

  it("tests a file: a runaway rule is stopped and reported while the others' findings arrive", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/mixed.lua", [[
return { api = 1, rules = {
  { id = "m.loop", title = "loops", severity = "low", applies_to = "app",
    when = function() while true do end end, advice = function() return "" end },
  { id = "m.slow", title = "slow", severity = "low", applies_to = "stage", thresholds = { min_ms = 200000 },
    when = function(stage, ctx) local d = ctx.stage_stats(stage, "duration") if d.max >= ctx.thresholds.min_ms then return { max = d.max } end end,
    advice = function() return "" end },
  { id = "m.any", title = "any stage", severity = "low", applies_to = "stage",
    when = function(stage) return { n = stage.ntasks } end, advice = function() return "" end },
} }]])
    local doc, r = json_of({ "rules", "test", dir .. "/mixed.lua", log, "--budget-seconds", "1" })
    assert.equal(1, r.code)
    assert.equal(1, #doc.errors)
    assert.matches("budget exceeded", doc.errors[1].message)
    local by = {}
    for _, x in ipairs(doc.logs[1].rules) do by[x.id] = x end
    assert.is_true(by["m.any"].fired)
    assert.is_false(by["m.loop"].fired)
    assert.matches("^failed: budget exceeded", by["m.loop"].not_fired.reason)
    assert.is_false(by["m.slow"].fired)
    -- the nearest threshold that would have made it fire: the slowest task of the log
    assert.equal("min_ms", by["m.slow"].not_fired.threshold)
    assert.equal(119886, by["m.slow"].not_fired.would_fire_at)
  end)

  it("explains why a built-in rule fired, did not fire, or gave way", function()
    local doc = json_of({ "rules", "explain", "skew.task_duration", log })
    assert.equal("fired", doc.verdict)
    assert.equal("stage 4.0", doc.reported[1].entity)
    doc = json_of({ "rules", "explain", "skew.task_duration", log, "--set", "rule.skew.task_duration.ratio=60" })
    assert.equal("did not fire", doc.verdict)
    assert.matches("would fire on stage 4.0 with ratio = ", doc.reason)
    local r = T.run_sic({ "rules", "explain", "skew.task_duratoin", log })
    assert.equal(1, r.code)
    assert.matches("did you mean: skew.task_duration", r.stderr, 1, true)
  end)

  it("refuses unknown commands and options with a suggestion", function()
    local r = T.run_sic({ "rules", "lsit" })
    assert.equal(2, r.code)
    assert.matches("did you mean 'list'", r.stderr, 1, true)
    r = T.run_sic({ "rules", "list", "--formt", "json" })
    assert.equal(2, r.code)
  end)
end)
