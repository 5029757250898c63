-- Rules over HTTP: `sic serve --scripts DIR` serves a validated snapshot of DIR;
-- POST /v1/rules/reload swaps in an edited DIR only when every rule loads and runs, and a
-- failing reload (syntax error, runtime error) leaves the old rules serving.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local cjson = require "cjson"

-- Served logs: generated ones (the properties need an application, not a real one), so a
-- clone without ../shared runs these cases too.
local LOGS, APPS = T.example.dir({ { seed = 7, tasks = 300 } })
local APP = APPS[1]

local RULE = [[
return { rules = { {
  id = "user.long_app", title = %q, severity = "low", applies_to = "app",
  thresholds = { min_seconds = 1 },
  when = function(app, ctx)
    if app.duration / 1000 >= ctx.thresholds.min_seconds then return { seconds = app.duration / 1000 } end
  end,
  advice = function(e) return string.format("ran %%.1f s", e.seconds) end,
  impact = function(e) return { saving_ms = 0 } end,
} } }]]

local function user_titles(srv)
  local r = srv:get("/v1/apps/" .. APP .. "/findings")
  assert.are.equal(200, r.status, r.body)
  local titles = {}
  for _, f in ipairs(cjson.decode(r.body).findings) do
    if f.id == "user.long_app" then titles[#titles + 1] = f.title end
    assert.are_not.equal("rule_error", f.id, "a rule error reached the served findings: " .. tostring(f.title))
  end
  return titles
end

describe("sic serve rules", function()
  local dir, srv
  setup(function()
    if not T.exists(LOGS) then return end
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. T.shell_quote(dir .. "/rules")))
    T.write_file(dir .. "/rules/my_rules.lua", RULE:format("First title"))
    srv = H.start({ "--logs", LOGS, "--scripts", dir })
  end)
  teardown(function()
    if srv then assert.are.equal(0, srv:stop()) end
    if dir then os.execute("rm -rf " .. T.shell_quote(dir)) end
  end)

  it("serves the user's rules next to the built-in ones", function()
    if not srv then return pending("shared data absent") end
    local rules = cjson.decode(srv:get("/v1/rules").body)
    assert.are.equal("sic.rules/1", rules.schema)
    assert.are.same({ "my_rules.lua" }, rules.user.files)
    assert.is_true(#rules.builtin.files >= 5)
    assert.are.same({ "First title" }, user_titles(srv))
  end)

  it("does not see edits until a reload, then serves them", function()
    if not srv then return pending("shared data absent") end
    T.write_file(dir .. "/rules/my_rules.lua", RULE:format("Second title"))
    assert.are.same({ "First title" }, user_titles(srv)) -- analyses read the validated snapshot
    local r = srv:request("POST", "/v1/rules/reload")
    assert.are.equal(200, r.status, r.body)
    assert.are.same({ "Second title" }, user_titles(srv))
  end)

  it("rejects a reload whose rules fail to load or run, and keeps serving the old ones", function()
    if not srv then return pending("shared data absent") end
    T.write_file(dir .. "/rules/my_rules.lua", "return { rules = { { id = 'bad.syntax', title = } }")
    local r = srv:request("POST", "/v1/rules/reload")
    assert.are.equal(422, r.status)
    assert.matches("^reload rejected, the previous rules keep serving: 1 rule error", cjson.decode(r.body).error.message)
    assert.are.same({ "Second title" }, user_titles(srv))
    -- a rule that loads but throws when run is rejected too
    T.write_file(dir .. "/rules/my_rules.lua", (RULE:format("Third title"):gsub("if app.duration", "error('boom') if app.duration")))
    r = srv:request("POST", "/v1/rules/reload")
    assert.are.equal(422, r.status, r.body)
    assert.are.same({ "Second title" }, user_titles(srv))
    assert.matches("sic_rule_reload_failures_total 2", srv:get("/metrics").body)
    assert.are.equal(2, cjson.decode(srv:get("/v1/rules").body).reloadFailures)
  end)

  it("refuses to start with a rule dir that does not validate", function()
    if not T.exists(LOGS) then return pending("shared data absent") end
    local r = T.run_sic({ "serve", "--logs", LOGS, "--listen", "127.0.0.1:0", "--scripts", dir })
    assert.are.equal(2, r.code)
    assert.matches("%-%-scripts .*: 1 rule error", r.stderr)
  end)

  it("does not blame a reload for rules broken outside the reloaded dir", function()
    if not T.exists(LOGS) then return pending("shared data absent") end
    -- SIC_SCRIPTS applies to every analysis (the baseline too): its broken rule is not the reload's
    local env_dir, user_dir = os.tmpname(), os.tmpname()
    os.remove(env_dir)
    os.remove(user_dir)
    assert(os.execute("mkdir -p " .. T.shell_quote(env_dir .. "/rules") .. " " .. T.shell_quote(user_dir .. "/rules")))
    T.write_file(env_dir .. "/rules/env_rules.lua", (RULE:format("Env"):gsub("user.long_app", "env.broken"):gsub("if app.duration", "error('env boom') if app.duration")))
    T.write_file(user_dir .. "/rules/my_rules.lua", RULE:format("User title"))
    local s = H.start({ "--logs", LOGS, "--scripts", user_dir }, { SIC_SCRIPTS = env_dir })
    local r = s:request("POST", "/v1/rules/reload")
    local findings = s:get("/v1/apps/" .. APP .. "/findings").body
    assert.are.equal(0, s:stop())
    os.execute("rm -rf " .. T.shell_quote(env_dir) .. " " .. T.shell_quote(user_dir))
    assert.are.equal(200, r.status, r.body)
    assert.is_truthy(findings:find("User title", 1, true))
    assert.is_truthy(findings:find("env boom", 1, true), "the environment's broken rule is still reported in analyses")
  end)

  it("answers 409 to a reload when no rule dir was given", function()
    if not T.exists(LOGS) then return pending("shared data absent") end
    local plain = H.start({ "--logs", LOGS })
    local r = plain:request("POST", "/v1/rules/reload")
    assert.are.equal(0, plain:stop())
    assert.are.equal(409, r.status)
  end)
end)

-- One reload path: sic serve checks a snapshot with the same Engine:reload the REPL's
-- sic.reload() runs (engine/lua/rules_mount.c), so the same broken edit is reported the same.
describe("sic serve and sic repl on the same broken edit", function()
  it("report the same file and reason, and both keep the previous rules", function()
    if not T.exists(LOGS) then return pending("shared data absent") end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. T.shell_quote(dir .. "/rules")))
    local file = dir .. "/rules/my_rules.lua"
    T.write_file(file, RULE:format("Good title"))
    local srv = H.start({ "--logs", LOGS, "--scripts", dir })
    local broken = "return { rules = { { id = 'user.long_app', title = 'x', severity = 'low', applies_to = 'app',\n" ..
      "  when = function(app) return {} end, advice = 42 } } }"
    T.write_file(file, broken)
    local r = srv:request("POST", "/v1/rules/reload")
    local served = user_titles(srv)
    local last_error = cjson.decode(srv:get("/v1/rules").body).lastError
    assert.are.equal(0, srv:stop())
    T.write_file(file, RULE:format("Good title"))
    local log = LOGS .. "/" .. APP
    local edit = string.format("local f = io.open(%q, 'w') f:write(%q) f:close()", file, broken)
    local show = "for _, f in ipairs(sic.analyze(apps[1]).findings) do if f.id == 'user.long_app' then print('title=' .. f.title) end end"
    local repl = T.run_sic({ "repl", "--scripts", dir, log }, table.concat({ show, edit, "print(sic.reload())", show }, "\n") .. "\n")
    os.execute("rm -rf " .. T.shell_quote(dir))

    assert.are.equal(422, r.status, r.body)
    local message = cjson.decode(r.body).error.message
    assert.are.same({ "Good title" }, served)
    assert.are.equal(0, repl.code, repl.stderr)
    assert.matches("^title=Good title\n.*\ntitle=Good title\n$", repl.stdout)
    local line = repl.stdout:match("\n  failed +([^\n]-) %(kept previous version%)%s")
    assert.is_not_nil(line, repl.stdout)
    assert.are.equal(file .. ": ", line:sub(1, #file + 2), "the REPL names the user's file")
    assert.matches("advice", line)
    assert.are.equal("reload rejected, the previous rules keep serving: 1 rule error(s); " .. line, message)
    assert.are.equal("1 rule error(s); " .. line, last_error)
  end)
end)
