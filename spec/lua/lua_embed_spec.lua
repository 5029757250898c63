-- Embedding: `require "sic"` from a stock luajit (source tree and installed copy) and a C
-- program built against the installed sic.h + sic.pc. Both docs/embedding examples run.
local T = require "spec_helper"

local function sh(cmd) return T.sh("(" .. cmd .. ") 2>&1") end
local U = require "luahost_util"


local EXAMPLE_LUA = T.source_dir .. "/docs/embedding/embed_example.lua"
local EXAMPLE_C = T.source_dir .. "/docs/embedding/embed_example.c"

-- The skewed real log's figures, or without ../shared those of a generated log with a skewed
-- stage, checked against its own task lines: every "stage S.A ... median M ms ... max X ms"
-- the example prints, the count of tasks over 1 s and the stage and task totals.
local GEN = { seed = 7, tasks = 300 }
local function skew_log() return T.has_shared(U.LOG_SKEW) or T.example.log(GEN) end

-- Durations of the stage's successful tasks (what sic.stats summarises by default), sorted.
local function durations(f, key)
  local d = {}
  for _, e in ipairs(f.task_ends[key] or {}) do if e.success then d[#d + 1] = e.duration end end
  table.sort(d)
  return d
end

local function check_generated_stats(out)
  local f = T.example.facts(T.example.log(GEN))
  local lines = 0
  for s, a, median, max in out:gmatch("stage (%d+)%.(%d+)[^\n]-median (%d+) ms,? +max (%d+) ms") do
    local d = durations(f, s .. ":" .. a)
    assert.is_true(#d > 0, "stage " .. s)
    assert.are.equal(d[#d], tonumber(max), "max of stage " .. s)
    -- the History Server's quantile rule: the value at index floor(0.5 * n) of the sorted values
    assert.are.equal(d[math.floor(0.5 * #d) + 1], tonumber(median), "median of stage " .. s)
    lines = lines + 1
  end
  assert.is_true(lines > 0, out)
  return f
end

describe("embedding", function()
  local prefix

  setup(function()
    prefix = U.mkdtemp()
    local out, ok = sh("cmake --install " .. T.shell_quote(T.build_dir) .. " --prefix " .. T.shell_quote(prefix))
    assert(ok, out)
  end)
  teardown(function() U.rmtree(prefix) end)

  it("require 'sic' works from a stock luajit pointed at the source tree", function()
    local path = skew_log()
    local out, ok = sh(string.format("cd /tmp && SIC_LIB=%s luajit -e %s %s %s", T.shell_quote(T.sic_lib),
      T.shell_quote('package.path="' .. T.source_dir .. '/scripts/lib/?.lua;"..package.path'),
      T.shell_quote(EXAMPLE_LUA), T.shell_quote(path)))
    assert.is_true(ok, out)
    if T.has_shared(U.LOG_SKEW) then
      assert.matches("stage 0.0  median 65 ms  max 1140 ms", out)
      assert.matches("tasks over 1 s:\t4", out)
    else
      local f, slow = check_generated_stats(out), 0
      for _, ends in pairs(f.task_ends) do for _, e in ipairs(ends) do if e.duration > 1000 then slow = slow + 1 end end end
      assert.matches("tasks over 1 s:\t" .. slow .. "\n", out)
    end
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
    local path = skew_log()
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
    local abi = "libsic [%d.]+ %(abi " .. require("sic.core").ABI_VERSION .. "%): "
    if T.has_shared(U.LOG_SKEW) then
      assert.matches(abi .. "1 stages, 100 tasks", out)
      assert.matches("stage 0.0: 100 tasks, median 65 ms, max 1140 ms", out)
      assert.matches('"text": "100 tasks"', out)
    else
      local f = check_generated_stats(out)
      -- stages: every stage a job lists (skipped ones too, as the History Server keeps them)
      local ids = {}
      for _, list in pairs(f.job_stages) do for _, st in ipairs(list) do ids[st.stage] = true end end
      local n = 0
      for _ in pairs(ids) do n = n + 1 end
      assert.matches(abi .. n .. " stages, " .. f.tasks .. " tasks", out)
      for s, a, k in out:gmatch("stage (%d+)%.(%d+): (%d+) tasks") do -- summarised: the successful ones
        assert.are.equal(#durations(f, s .. ":" .. a), tonumber(k), "tasks of stage " .. s)
      end
      assert.matches('"text": "' .. f.tasks .. ' tasks"', out)
    end
    assert.matches('"schema": "sic.findings/1"', out)
    assert.matches('"id": "skew.task_duration"', out)
  end)
end)
