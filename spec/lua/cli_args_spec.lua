-- One option parser (engine/cli/args.c) for every command, the Lua host's options included:
-- `--opt=value`, a missing value, an unknown option with the nearest name, repeated options,
-- typed values whose errors name the option, and `--help` generated from the option table.
-- The commands here had parsers of their own before (repl, run, delta, rules, example, serve).
local T = require "spec_helper"

local function rule_dir(title)
  local dir = T.tmpdir()
  assert(os.execute("mkdir -p " .. T.shell_quote(dir .. "/rules")))
  T.write_file(dir .. "/rules/mine.lua", string.format([[
return { rules = { { id = "mine.title", title = %q, severity = "info", applies_to = "app",
  when = function(app) return {} end, advice = function() return "x" end } } }]], title))
  return dir
end

local SHOW = "for _, f in ipairs(sic.analyze(apps[1]).findings) do if f.id == 'mine.title' then print('title=' .. f.title) end end\n"

describe("the Lua host's options in the one parser", function()
  it("takes --scripts=DIR and repeated --scripts (the first wins)", function()
    local log = T.example.log({ seed = 7, tasks = 300 })
    local a, b = rule_dir("from A"), rule_dir("from B")
    local r = T.run_sic({ "repl", "--scripts=" .. a, "--scripts", b, log }, SHOW)
    assert.equal(0, r.code, r.stderr)
    assert.equal("title=from A\n", r.stdout)
    r = T.run_sic({ "repl", "--scripts", b, "--scripts=" .. a, log }, SHOW)
    assert.equal("title=from B\n", r.stdout)
    os.execute("rm -rf " .. T.shell_quote(a) .. " " .. T.shell_quote(b))
  end)

  it("refuses a missing value, naming the option", function()
    local r = T.run_sic({ "analyze", "x.log", "--set" })
    assert.equal(2, r.code)
    assert.matches("sic analyze: %-%-set needs a value", r.stderr)
    r = T.run_sic({ "repl", "--config" })
    assert.equal(2, r.code)
    assert.matches("sic repl: %-%-config needs a value", r.stderr)
  end)

  it("refuses a bad number, naming the option", function()
    local r = T.run_sic({ "run", "--budget-seconds", "soon", "x.lua" })
    assert.equal(2, r.code)
    assert.matches("sic run: %-%-budget%-seconds expects a number, got 'soon'", r.stderr)
    r = T.run_sic({ "rules", "list", "--budget-mb=0" })
    assert.equal(2, r.code)
    assert.matches("%-%-budget%-mb must be greater than 0", r.stderr)
  end)

  it("suggests the nearest option for a typo in every command", function()
    for _, argv in ipairs({
      { "repl", "--script", "d" }, { "run", "--scirpts", "d", "x.lua" }, { "delta", "t", "--scripst", "d" },
      { "rules", "list", "--scritps", "d" }, { "analyze", "x", "--scripst", "d" },
    }) do
      local r = T.run_sic(argv)
      assert.equal(2, r.code, table.concat(argv, " "))
      assert.matches("unknown option '%-%-[%w%-]+'; did you mean '%-%-scripts'%?", r.stderr)
    end
    local r = T.run_sic({ "delta", "t", "--lgos", "x" })
    assert.matches("did you mean '%-%-logs'%?", r.stderr)
    r = T.run_sic({ "serve", "--lgos", "x" })
    assert.matches("did you mean '%-%-logs'%?", r.stderr)
  end)

  it("leaves a script its own options after SCRIPT (sic run)", function()
    local script = T.write_file(os.tmpname(), "print(table.concat(arg, ' '))")
    local r = T.run_sic({ "run", "--budget-seconds=5", script, "--set", "x", "-v" })
    os.remove(script)
    assert.equal(0, r.code, r.stderr)
    assert.equal("--set x -v\n", r.stdout)
  end)

  it("generates every command's --help from its table", function()
    for _, cmd in ipairs({ "repl", "run", "delta", "rules", "analyze" }) do
      local r = T.run_sic({ cmd, "--help" })
      assert.equal(0, r.code, cmd)
      assert.matches("^usage: sic " .. cmd .. " ", r.stdout)
      assert.matches("\n +%-%-scripts DIR +user script dir", r.stdout)
      assert.matches("\n +%-%-budget%-seconds S ", r.stdout)
    end
    assert.matches("\n +%-%-tables TABLE%.%.%. ", T.run_sic({ "analyze", "--help" }).stdout)
    assert.matches("\n +%-%-logs EVENTLOG%.%.%. ", T.run_sic({ "delta", "--help" }).stdout)
    assert.matches("\n +%-%-applies%-to K ", T.run_sic({ "rules", "--help" }).stdout)
  end)
end)

describe("the commands' own options in the one parser", function()
  it("sic rules: --format=json, --dir=DIR, a missing value, no command", function()
    local dir = T.tmpdir()
    local r = T.run_sic({ "rules", "new", "team_checks", "--dir=" .. dir, "--applies-to=app", "--format=json" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("^%s*{", r.stdout)
    assert.is_truthy(T.read_file(dir .. "/rules/team_checks.lua"):find('applies_to = "app"', 1, true))
    os.execute("rm -rf " .. T.shell_quote(dir))
    r = T.run_sic({ "rules", "new", "x", "--dir" })
    assert.equal(2, r.code)
    assert.matches("sic rules: %-%-dir needs a value", r.stderr)
    r = T.run_sic({ "rules", "list", "--format", "md" })
    assert.equal(2, r.code)
    assert.matches("%-%-format must be one of text|json, got 'md'", r.stderr)
    r = T.run_sic({ "rules" })
    assert.equal(2, r.code)
    assert.matches("^usage: sic rules ", r.stderr)
  end)

  it("sic delta: --tables and --logs take several values, --now is typed", function()
    local r = T.run_sic({ "delta", "--logs", "a.log", "b.log" })
    assert.equal(2, r.code)
    assert.matches("sic delta: missing TABLE", r.stderr)
    r = T.run_sic({ "delta", "t", "--logs", "--format", "json" })
    assert.equal(2, r.code)
    assert.matches("%-%-logs needs at least one EVENTLOG", r.stderr)
    r = T.run_sic({ "delta", "t", "--now=yesterday" })
    assert.equal(2, r.code)
    assert.matches("%-%-now takes ms since the epoch or YYYY%-MM%-DD", r.stderr)
  end)

  it("sic example: --filter is repeatable and goes with --delta", function()
    local r = T.run_sic({ "example", "-", "--filter", "a=1", "--filter=b>2" })
    assert.equal(2, r.code)
    assert.matches("%-%-filter goes with %-%-delta TABLE", r.stderr)
    r = T.run_sic({ "example", "-", "--filter" })
    assert.equal(2, r.code)
    assert.matches("%-%-filter needs a value", r.stderr)
  end)

  it("sic serve: --logs is repeatable and required", function()
    local r = T.run_sic({ "serve", "--listen", "127.0.0.1:0" })
    assert.equal(2, r.code)
    assert.matches("sic serve: %-%-logs DIR is required", r.stderr)
    r = T.run_sic({ "serve", "--logs" })
    assert.equal(2, r.code)
    assert.matches("%-%-logs needs a value", r.stderr)
  end)
end)
