-- Embedding: `require "sic"` from a stock luajit (source tree and installed copy) and a C
-- program built against the installed sic.h + sic.pc. Both docs/embedding examples run.
local T = require "spec_helper"

local function sh(cmd) return T.sh("(" .. cmd .. ") 2>&1") end
local U = require "luahost_util"


local EXAMPLE_LUA = T.source_dir .. "/docs/embedding/embed_example.lua"
local EXAMPLE_C = T.source_dir .. "/docs/embedding/embed_example.c"

describe("embedding", function()
  local prefix

  setup(function()
    prefix = U.mkdtemp()
    local out, ok = sh("cmake --install " .. T.shell_quote(T.build_dir) .. " --prefix " .. T.shell_quote(prefix))
    assert(ok, out)
  end)
  teardown(function() U.rmtree(prefix) end)

  it("require 'sic' works from a stock luajit pointed at the source tree", function()
    local path = T.need_shared(U.LOG_SKEW)
    if not path then return end
    local out, ok = sh(string.format("cd /tmp && SIC_LIB=%s luajit -e %s %s %s", T.shell_quote(T.sic_lib),
      T.shell_quote('package.path="' .. T.source_dir .. '/scripts/lib/?.lua;"..package.path'),
      T.shell_quote(EXAMPLE_LUA), T.shell_quote(path)))
    assert.is_true(ok, out)
    assert.matches("stage 0.0  median 65 ms  max 1140 ms", out)
    assert.matches("tasks over 1 s:\t4", out)
    assert.matches("%[HIGH%] skew.task_duration", out)
    assert.matches('"id": "skew.task_duration"', out)
  end)

  it("require 'sic' works from the installed copy without any environment", function()
    local path = T.example.shared_or(U.LOG_SKEW, { seed = 7, tasks = 300 }) -- any app with a skewed stage
    assert.is_true(T.exists(prefix .. "/share/lua/5.1/sic.lua"))
    assert.is_true(T.exists(prefix .. "/share/sic/scripts/graph.lua"))
    local out, ok = sh(string.format("cd /tmp && env -u SIC_LIB luajit -e %s %s %s",
      T.shell_quote('package.path="' .. prefix .. '/share/lua/5.1/?.lua;"..package.path'),
      T.shell_quote(EXAMPLE_LUA), T.shell_quote(path)))
    assert.is_true(ok, out)
    -- the report's JSON names the rule file: the installed copy's
    assert.matches('"rule": "' .. prefix:gsub("%p", "%%%0") .. "/share/sic/scripts/rules/skew_rules.lua", out)
  end)

  it("a C program builds with the installed sic.h + sic.pc, loads a log and runs the graph", function()
    local path = T.need_shared(U.LOG_SKEW)
    if not path then return end
    local exe = prefix .. "/embed_example"
    local pc = "PKG_CONFIG_PATH=" .. T.shell_quote(prefix .. "/lib/pkgconfig")
    local out, ok = sh(string.format("cc -std=c11 -Wall -Werror %s $(%s pkg-config --cflags --libs sic) -o %s",
      T.shell_quote(EXAMPLE_C), pc, T.shell_quote(exe)))
    assert.is_true(ok, out)
    local dir = U.mkdtemp()
    U.write(dir, "rules/c_rules.lua", [[
return { rules = { { id = "c.embedded", title = "seen from C", severity = "info", applies_to = "app",
  when = function(app) return { tasks = app.tasks.n } end,
  advice = function(e) return e.tasks .. " tasks" end } } }]])
    out, ok = sh(string.format("LD_LIBRARY_PATH=%s %s %s %s", T.shell_quote(prefix .. "/lib"), T.shell_quote(exe),
      T.shell_quote(path), T.shell_quote(dir)))
    U.rmtree(dir)
    assert.is_true(ok, out)
    assert.matches("libsic [%d.]+ %(abi " .. require("sic.core").ABI_VERSION .. "%): 1 stages, 100 tasks", out)
    assert.matches("stage 0.0: 100 tasks, median 65 ms, max 1140 ms", out)
    assert.matches('"schema": "sic.findings/1"', out)
    assert.matches('"id": "skew.task_duration"', out)
    assert.matches('"text": "100 tasks"', out)
  end)
end)
