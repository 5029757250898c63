-- The orchestration graph: validation with errors naming the file, deterministic order,
-- read-only state passing, and hot reload as a transaction.
local U = require "luahost_util"

local function agent(name, needs, body)
  return string.format([[
return {
  name = %q, version = "1", needs = { %s },
  run = function(ctx, state)
    %s
  end,
}]], name, needs and ('"' .. table.concat(needs, '", "') .. '"') or "", body or "return { ran = true }")
end

local function graph(names)
  return 'return { agents = { "' .. table.concat(names, '", "') .. '" } }'
end

-- A minimal app stand-in for graphs whose agents do not read the model.
local fake_app = setmetatable({ stages = {}, jobs = {}, executors = {}, sqls = {}, app_id = "fake" },
  { __index = { conf = function(_, _, d) return d end } })

describe("graph validation", function()
  local dir
  before_each(function() dir = U.mkdtemp() end)
  after_each(function() U.rmtree(dir) end)

  local function load_only()
    local e = U.engine({ dir }, { builtin = false })
    return pcall(e.load, e)
  end

  it("names the graph file and the unknown agent", function()
    U.write(dir, "graph.lua", graph { "a", "ghost" })
    U.write(dir, "agents/a.lua", agent("a"))
    local ok, err = load_only()
    assert.is_false(ok)
    assert.matches(dir .. "/graph.lua: unknown agent 'ghost' %(no agents/ghost.lua in: " .. dir, err)
  end)

  it("names an agent whose dependency is not in the graph", function()
    U.write(dir, "graph.lua", graph { "a", "b" })
    U.write(dir, "agents/a.lua", agent("a"))
    U.write(dir, "agents/b.lua", agent("b", { "c" }))
    U.write(dir, "agents/c.lua", agent("c"))
    local ok, err = load_only()
    assert.is_false(ok)
    assert.matches("graph.lua: agent 'b' %(.-agents/b.lua%) needs 'c', which is not in the graph", err)
  end)

  it("reports a cycle with the agents involved", function()
    U.write(dir, "graph.lua", graph { "a", "b", "c" })
    U.write(dir, "agents/a.lua", agent("a"))
    U.write(dir, "agents/b.lua", agent("b", { "a", "c" }))
    U.write(dir, "agents/c.lua", agent("c", { "b" }))
    local ok, err = load_only()
    assert.is_false(ok)
    assert.matches("graph.lua: dependency cycle among agents: b, c", err)
  end)

  it("rejects a graph that is not { agents = {...} } and a missing graph", function()
    U.write(dir, "graph.lua", "return { 'a' }")
    local ok, err = load_only()
    assert.is_false(ok)
    assert.matches("graph.lua: the graph must return { agents", err)
    os.remove(dir .. "/graph.lua")
    ok, err = load_only()
    assert.is_false(ok)
    assert.matches("no graph.lua on the script path", err)
  end)

  it("orders agents topologically, ties broken by graph order, the same every time", function()
    U.write(dir, "graph.lua", graph { "report", "z", "y", "x", "base" })
    U.write(dir, "agents/base.lua", agent("base"))
    for _, n in ipairs { "x", "y", "z" } do U.write(dir, "agents/" .. n .. ".lua", agent(n, { "base" })) end
    U.write(dir, "agents/report.lua", agent("report", { "x", "y", "z" }))
    for _ = 1, 3 do
      local e = U.engine({ dir }, { builtin = false }):load()
      assert.same({ "base", "z", "y", "x", "report" }, e.order_list)
    end
  end)

  it("loads the shipped graph with every agent", function()
    local e = U.engine({}):load()
    assert.same({ "metadata", "skew", "partition", "resources", "sql", "runtime", "rules", "cost", "delta", "metastore",
      "docs" }, e.order_list)
    for name, rec in pairs(e.agents) do assert.is_nil(rec.err, name) end
    for name, rec in pairs(e.rulesets) do assert.is_nil(rec.err, name) end
  end)
end)

describe("state passing", function()
  local dir
  before_each(function() dir = U.mkdtemp() end)
  after_each(function() U.rmtree(dir) end)

  it("gives agents a read-only view and merges their layers into the next state", function()
    U.write(dir, "graph.lua", graph { "first", "second", "vandal" })
    U.write(dir, "agents/first.lua", agent("first", nil, "return { value = 20, list = { 1, 2 } }"))
    U.write(dir, "agents/second.lua", agent("second", { "first" }, [[
      return { sum = state.first.value + #state.first.list, saw_vandal = state.vandal ~= nil }]]))
    U.write(dir, "agents/vandal.lua", agent("vandal", { "second" }, [[
      state.first.value = 0
      return { never = true }]]))
    local e = U.engine({ dir }, { builtin = false }):load()
    local report = e:run(fake_app)
    assert.equal(22, report.state.second.sum)
    assert.is_false(report.state.second.saw_vandal)
    assert.equal(20, report.state.first.value) -- the vandal's write did not land
    assert.is_nil(report.state.vandal)
    assert.equal(1, #report.findings)
    local f = report.findings[1]
    assert.equal("rule_error", f.id)
    assert.matches("state.first is read%-only %(attempt to set 'value'%)", f.evidence.message)
    assert.equal(dir .. "/agents/vandal.lua", f.evidence.file)
    assert.equal(4, f.evidence.line) -- line of `state.first.value = 0` in the generated file
    assert.same({ "ok", "ok", "failed" }, { report.agents[1].status, report.agents[2].status, report.agents[3].status })
  end)

  it("keeps running after an agent errors, with the failure as a finding", function()
    U.write(dir, "graph.lua", graph { "bad", "good" })
    U.write(dir, "agents/bad.lua", agent("bad", nil, "local t = nil\n    return t.x"))
    U.write(dir, "agents/good.lua", agent("good", { "bad" }, "return { findings = { { id = 'x.ok', severity = 'info', title = 'fine' } } }"))
    local report = U.engine({ dir }, { builtin = false }):load():run(fake_app)
    assert.same({ "rule_error", "x.ok" }, U.ids(report.findings))
    assert.matches("attempt to index", report.findings[1].evidence.message)
  end)
end)

describe("agent findings", function()
  it("are checked: invalid entries become rule_error findings, valid ones get rule and entity", function()
    local dir = U.mkdtemp()
    U.write(dir, "graph.lua", graph { "a" })
    U.write(dir, "agents/a.lua", agent("a", nil, [[return { findings = {
      { id = "a.ok", severity = "low", title = "fine" },
      { id = "a.bad", severity = "urgent", title = "wrong severity" },
      "not a finding" } }]]))
    local report = U.engine({ dir }, { builtin = false }):load():run(fake_app)
    assert.same({ "a.ok", "rule_error", "rule_error" }, U.ids(report.findings))
    assert.equal(dir .. "/agents/a.lua", report.findings[1].rule)
    assert.equal("app", report.findings[1].entity.kind)
    assert.matches("finding #2 has severity urgent", report.findings[2].evidence.message)
    assert.matches("finding #3 is not a table", report.findings[3].evidence.message)
    U.rmtree(dir)
  end)
end)

describe("agent budgets", function()
  it("stop a runaway agent; its dependents and the other agents still run", function()
    local dir = U.mkdtemp()
    U.write(dir, "graph.lua", graph { "spin", "after", "other" })
    U.write(dir, "agents/spin.lua", agent("spin", nil, "while true do end"))
    U.write(dir, "agents/after.lua", agent("after", { "spin" }, "return { saw_spin = state.spin ~= nil }"))
    U.write(dir, "agents/other.lua", agent("other", nil, "return { ok = true }"))
    local report = U.engine({ dir }, { builtin = false, budget = { seconds = 0.3 } }):load():run(fake_app)
    assert.same({ "rule_error" }, U.ids(report.findings))
    assert.matches("ran longer than 0.3 s", report.findings[1].evidence.budget)
    assert.equal(4, report.findings[1].evidence.line)
    assert.is_false(report.state.after.saw_spin)
    assert.is_true(report.state.other.ok)
    U.rmtree(dir)
  end)
end)

describe("hot reload", function()
  local dir
  before_each(function() dir = U.mkdtemp() end)
  after_each(function() U.rmtree(dir) end)

  local RULES_V1 = [[
return { rules = { {
  id = "user.flag", title = "v1", severity = "info", applies_to = "app",
  when = function(app) return { version = 1 } end,
  advice = function(e) return "version " .. e.version end,
} } }]]

  it("swaps a valid new version and keeps the old one when the new one is broken", function()
    U.write(dir, "graph.lua", graph { "rules" })
    U.write(dir, "agents/rules.lua", [[
return { name = "rules", version = 1, needs = {}, run = function(ctx) return { findings = ctx.run_rules() } end }]])
    U.write(dir, "rules/user_rules.lua", RULES_V1)
    local e = U.engine({ dir }, { builtin = false }):load()
    assert.equal("v1", e:run(fake_app).findings[1].title)

    U.write(dir, "rules/user_rules.lua", (RULES_V1:gsub('"v1"', '"v2"')))
    local rep, applied = e:reload()
    assert.is_true(applied)
    assert.is_not_nil(U.find(rep, function(r) return r.status == "reloaded" and r.file:match("user_rules") end))
    assert.equal("v2", e:run(fake_app).findings[1].title)

    -- Syntax error: keep v2, say why.
    U.write(dir, "rules/user_rules.lua", "return { rules = { {")
    rep = e:reload()
    local failed = U.find(rep, function(r) return r.status == "failed" end)
    assert.matches("user_rules.lua:1:", failed.reason)
    assert.equal("previous version", failed.kept)
    assert.equal("v2", e:run(fake_app).findings[1].title)

    -- Schema error (bad severity): keep v2, say why.
    U.write(dir, "rules/user_rules.lua", (RULES_V1:gsub('"info"', '"urgent"')))
    rep = e:reload()
    failed = U.find(rep, function(r) return r.status == "failed" end)
    assert.matches("rule 'user.flag': severity must be one of", failed.reason)
    assert.equal("v2", e:run(fake_app).findings[1].title)
  end)

  it("rolls back every swap when the new files would make the graph invalid", function()
    U.write(dir, "graph.lua", graph { "a", "b" })
    U.write(dir, "agents/a.lua", agent("a", nil, "return { v = 1 }"))
    U.write(dir, "agents/b.lua", agent("b", { "a" }))
    local e = U.engine({ dir }, { builtin = false }):load()
    U.write(dir, "agents/a.lua", agent("a", { "b" }, "return { v = 2 }")) -- creates a cycle
    local rep, applied = e:reload()
    assert.is_false(applied)
    assert.matches("dependency cycle", rep[#rep].reason)
    assert.equal(1, e:run(fake_app).state.a.v)
  end)
end)
