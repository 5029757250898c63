-- sic repl (piped and on a pseudo-terminal) and sic run.
local T = require "spec_helper"

local function sh(cmd) return T.sh("(" .. cmd .. ") 2>&1") end
local U = require "luahost_util"


describe("sic repl", function()
  it("evaluates piped lines without prompts", function()
    local r = T.run_sic({ "repl" }, "print(6*7)\n")
    assert.equal(0, r.code)
    assert.equal("42\n", r.stdout)
  end)

  it("prints expression values, continues incomplete statements and reports errors", function()
    local r = T.run_sic({ "repl" }, "x = 1 +\n 2\nx * 2\n=sic.version\nerror('boom')\nfor i = 1, 2 do\nprint(i)\nend\n")
    assert.equal(1, r.code) -- a line failed
    assert.equal('6\n"' .. require("sic").version .. '"\n1\n2\n', r.stdout)
    assert.matches("boom", r.stderr)
  end)

  it("loads logs given on the command line and pretty-prints model objects and findings", function()
    -- the skewed real log, or without ../shared a generated one with a skewed stage
    local path = T.has_shared(U.LOG_SKEW) or T.example.log({ seed = 7, tasks = 300 })
    local r = T.run_sic({ "repl", path }, [[
app
app:stages():top(1, "duration")
r = sic.analyze(app)
r.findings[1]
print(#apps, app.tasks.duration[0] > 0)
]])
    assert.equal(0, r.code, r.stderr)
    if T.has_shared(U.LOG_SKEW) then
      assert.matches("<app application_1536831636016_59384 'Spark Pi' Spark 3.0.0%-SNAPSHOT: 1 jobs, 1 stages, 100 tasks", r.stdout)
      assert.matches("stage 0.0 COMPLETE +100 tasks", r.stdout)
      assert.matches("advice: In stage 0.0 the longest task took 1.1 s", r.stdout)
    else
      local f = T.example.facts(path)
      local ids, n, longest, best = {}, 0, -1, nil
      for _, list in pairs(f.job_stages) do for _, st in ipairs(list) do ids[st.stage] = true end end
      for _ in pairs(ids) do n = n + 1 end
      for key, t in pairs(f.stage_times) do
        if t.completed - t.submitted > longest then longest, best = t.completed - t.submitted, key end
      end
      assert.matches(("<app %s '%s' Spark 3%%.5%%.1: %d jobs, %d stages, %d tasks"):format(f.id:gsub("%p", "%%%0"), f.name, f.jobs, n,
        f.tasks), r.stdout)
      -- the longest stage from submission, with its task attempts (retries and copies count)
      assert.matches(("stage %s COMPLETE +%d tasks"):format((best:gsub(":", "%%.")), #f.task_ends[best]), r.stdout)
      assert.matches("advice: In stage %d+%.%d+ the longest task took", r.stdout)
    end
    assert.matches("%[HIGH%] skew.task_duration", r.stdout)
    assert.matches("1\ttrue\n$", r.stdout)
  end)

  it("reloads edited user rules in a running session, keeping the old version on a broken edit", function()
    local path = T.example.shared_or(U.LOG_SKEW, { seed = 7, tasks = 300 }) -- any app with a skewed stage
    local dir = U.mkdtemp()
    local rule = [[
return { rules = { { id = "mine.title", title = %q, severity = "info", applies_to = "app",
  when = function(app) return {} end, advice = function() return "x" end } } }]]
    U.write(dir, "rules/mine.lua", rule:format("first"))
    local edit = string.format("local f = io.open(%q, 'w') f:write(%q) f:close()", dir .. "/rules/mine.lua", rule:format("second"))
    local broken = string.format("local f = io.open(%q, 'w') f:write('return {') f:close()", dir .. "/rules/mine.lua")
    local show = "for _, f in ipairs(sic.analyze(app).findings) do if f.id == 'mine.title' then print('title=' .. f.title) end end"
    local r = T.run_sic({ "repl", "--scripts", dir, path }, table.concat({ show, edit, "print(sic.reload())", show,
      broken, "print(sic.reload())", show }, "\n") .. "\n")
    U.rmtree(dir)
    assert.equal(0, r.code, r.stderr)
    assert.matches("title=first\n.-reloaded .-mine%.lua.-title=second\n.-failed +.-mine%.lua:1: .-kept previous version.-title=second\n$",
      r.stdout)
  end)

  it("works on a pseudo-terminal: prompts, tab completion, continuation, history file", function()
    local home = U.mkdtemp()
    local input = T.write_file(os.tmpname(), "print(6*7)\nv = sic.versio\t\nprint('v=' .. v)\nfor i=1,2 do\nprint(i*10)\nend\n\4")
    local out = sh(string.format("HOME=%s TERM=dumb timeout 20 script -q -e -c %s /dev/null <%s", T.shell_quote(home),
      T.shell_quote(T.shell_quote(T.sic_bin) .. " repl"), T.shell_quote(input)))
    os.remove(input)
    local clean = out:gsub("\27%[[%d;?]*[a-zA-Z]", ""):gsub("\r", "")
    assert.matches("sic> print%(6%*7%)\n42\n", clean)
    assert.matches("sic> v = sic%.version\n", clean) -- completed by Tab, no trailing space
    assert.matches("v=" .. require("sic").version:gsub("%.", "%%."), clean)
    assert.matches(">> print%(i%*10%)\n>> end\n10\n20\n", clean)
    local hist = T.read_file(home .. "/.sic_history") or ""
    assert.matches("print%(6%*7%)", hist)
    U.rmtree(home)
  end)

  it("completes model fields through the Lua completer", function()
    local repl = require "sic.repl"
    local sic = require "sic"
    rawset(_G, "sic", sic)
    local c = repl.complete("sic.ana")
    assert.same({ "sic.analyze" }, c)
    local path = T.shared(U.LOG_SKEW)
    if T.exists(path) then
      rawset(_G, "app", assert(sic.load(path)))
      local got = repl.complete("app.sta")
      local set = {}
      for _, x in ipairs(got) do set[x] = true end
      assert.is_true(set["app.stages"] and set["app.start_time"], table.concat(got, " "))
      assert.is_true(#repl.complete("app.tasks.executor_") >= 4)
      assert.same({ "app:conf(" }, repl.complete("app:con"))
      assert.same({ "app.stages[1]:top_tasks(" }, repl.complete("app.stages[1]:top_"))
      assert.same({}, repl.complete("app.stages[x]:top_"))
      rawset(_G, "app", nil)
    end
    rawset(_G, "sic", nil)
  end)
end)

describe("sic run", function()
  it("runs a script with arguments and the engine loaded", function()
    local script = T.write_file(os.tmpname(), "local a, b = ...\nprint(a .. '+' .. b, arg[2], type(sic.load), select('#', ...))\n")
    local r = T.run_sic({ "run", script, "x", "--set" })
    os.remove(script)
    assert.equal(0, r.code, r.stderr)
    assert.equal("x+--set\t--set\tfunction\t2\n", r.stdout)
  end)

  it("exits 1 with a traceback when the script fails, 2 on usage errors", function()
    local script = T.write_file(os.tmpname(), "local function f() error('bad thing') end\nf()\n")
    local r = T.run_sic({ "run", script })
    os.remove(script)
    assert.equal(1, r.code)
    assert.matches(":1: bad thing", r.stderr)
    assert.matches("stack traceback", r.stderr)
    assert.equal(2, T.run_sic({ "run" }).code)
    assert.equal(2, T.run_sic({ "run", "--nope", "x.lua" }).code)
    assert.equal(0, T.run_sic({ "run", "--help" }).code)
  end)

  it("passes --scripts and --set to the engine", function()
    local path = T.example.shared_or(U.LOG_SKEW, { seed = 7, tasks = 300 }) -- any app with a skewed stage
    local dir = U.mkdtemp()
    U.write(dir, "rules/mine.lua", [[
return { rules = { { id = "mine.hello", title = "hello from a user dir", severity = "info", applies_to = "app",
  thresholds = { greeting = "hi" },
  when = function(app, ctx) return { greeting = ctx.thresholds.greeting } end,
  advice = function(e) return e.greeting end } } }]])
    local script = T.write_file(os.tmpname(), [[
local r = sic.analyze(sic.load(...))
for _, f in ipairs(r.findings) do if f.id == "mine.hello" then print(f.recommendation.text) end end
]])
    local r = T.run_sic({ "run", "--scripts", dir, "--set", "rule.mine.hello.greeting=bonjour", script, path })
    os.remove(script)
    U.rmtree(dir)
    assert.equal(0, r.code, r.stderr)
    assert.equal("bonjour\n", r.stdout)
  end)
end)

describe("sic analyze with user scripts", function()
  it("picks up a rule from --scripts DIR, sees edits between runs, reports broken rules as findings", function()
    local path = T.example.shared_or(U.LOG_SKEW, { seed = 7, tasks = 300 }) -- any app with a skewed stage
    local dir = U.mkdtemp()
    local rule = [[
return { rules = { { id = "mine.note", title = %q, severity = "info", applies_to = "app",
  thresholds = { word = "hi" },
  when = function(app, ctx) return { word = ctx.thresholds.word } end,
  advice = function(e) return "say " .. e.word end } } }]]
    U.write(dir, "rules/mine.lua", rule:format("first title"))
    local r1 = T.run_sic({ "analyze", path, "--scripts", dir })
    assert.equal(0, r1.code, r1.stderr)
    assert.matches("%[INFO%] mine.note on [^\n]-: first title", r1.stdout)
    assert.matches("%[HIGH%] skew.task_duration", r1.stdout)

    U.write(dir, "rules/mine.lua", rule:format("second title"))
    local r2 = T.run_sic({ "analyze", path, "--scripts", dir, "--set", "rule.mine.note.word=bonjour", "--format", "json" })
    assert.equal(0, r2.code, r2.stderr)
    assert.matches('"title": "second title"', r2.stdout)
    assert.matches('"text": "say bonjour"', r2.stdout)
    assert.matches('"rule": "' .. dir:gsub("%p", "%%%0") .. '/rules/mine.lua"', r2.stdout)

    U.write(dir, "rules/mine.lua", "return { rules = { { id = 'mine.note', title = 'x', severity = 'info', applies_to = 'app',\n" ..
      "  when = function(app) return app.nothing.here end, advice = function() return '' end } } }")
    local r3 = T.run_sic({ "analyze", path, "--scripts", dir })
    assert.equal(0, r3.code, r3.stderr) -- findings are data, a failing rule is one of them
    assert.matches("%[HIGH%] rule_error on [^\n]-: rule 'mine.note' failed: .-mine%.lua:2: app has no field 'nothing'", r3.stdout)
    assert.matches("%[HIGH%] skew.task_duration", r3.stdout)

    U.write(dir, "rules/mine.lua", "return { rules = { { id = 'mine.spin', title = 'x', severity = 'info', applies_to = 'app',\n" ..
      "  when = function(app) while true do end end, advice = function() return '' end } } }")
    local r5 = T.run_sic({ "analyze", path, "--scripts", dir, "--budget-seconds", "0.3", "--format", "json" })
    assert.equal(0, r5.code, r5.stderr)
    assert.matches('"budget": "budget exceeded: ran longer than 0.3 s"', r5.stdout)
    assert.matches('"id": "skew.task_duration"', r5.stdout)

    local r4 = T.run_sic({ "analyze", path, "--set", "rule.no.such.rule=1" })
    assert.matches("no rule with id 'no.such'", r4.stderr)
    U.rmtree(dir)
  end)
end)

describe("SIC_SCRIPTS", function()
  it("adds user dirs after --scripts, both before the built-ins", function()
    local a, b = U.mkdtemp(), U.mkdtemp()
    U.write(a, "rules/same.lua", "return { rules = {} }")
    U.write(b, "rules/same.lua", "error('shadowed: must not load')")
    U.write(b, "rules/only_b.lua", "return { rules = {} }")
    local script = T.write_file(os.tmpname(), [[
local e = sic.engine()
print(e.dirs[1] == arg[1], e.dirs[2] == arg[2], e.rulesets.same.path == arg[1] .. "/rules/same.lua",
  e.rulesets.only_b.path == arg[2] .. "/rules/only_b.lua", e.rulesets.skew_rules ~= nil, e.rulesets.same.err == nil)
]])
    local out = os.tmpname()
    os.execute(string.format("SIC_SCRIPTS=%s %s run --scripts %s %s %s %s >%s 2>&1", T.shell_quote(b),
      T.shell_quote(T.sic_bin), T.shell_quote(a), T.shell_quote(script), T.shell_quote(a), T.shell_quote(b), out))
    local text = T.read_file(out)
    os.remove(out)
    os.remove(script)
    U.rmtree(a)
    U.rmtree(b)
    assert.equal("true\ttrue\ttrue\ttrue\ttrue\ttrue\n", text)
  end)
end)
