-- The sandbox scripts run in: allow-list, text-only loading, strict globals, require
-- limited to engine and script modules, and budgets that cannot be escaped.
local U = require "luahost_util"
local sandbox = require "sic.sandbox"

local function run_source(src, limits, env)
  env = env or sandbox.new_env { name = "test" }
  local fn = assert(env.load(src, "=chunk"))
  return sandbox.run(limits or { seconds = 1, mb = 64 }, fn)
end

describe("sandbox environment", function()
  it("offers only the allow-listed standard library", function()
    local env = sandbox.new_env { name = "t" }
    assert.is_nil(env.io)
    assert.is_nil(env.debug)
    assert.is_nil(env.os.execute)
    assert.is_nil(env.os.exit)
    assert.is_nil(env.os.remove)
    assert.is_nil(env.setfenv)
    assert.is_nil(env.getfenv)
    assert.is_nil(env.dofile)
    assert.is_nil(env.loadfile)
    assert.is_nil(env.string.dump)
    assert.is_function(env.string.format)
    assert.is_function(env.os.time)
    local ok, err = run_source("return require('ffi')")
    assert.is_false(ok)
    assert.matches("require is not available", err.message)
  end)

  it("gives each script its own copies of library tables", function()
    local a, b = sandbox.new_env(), sandbox.new_env()
    run_source("string.upper = nil", nil, a)
    assert.is_nil(a.string.upper)
    assert.is_function(b.string.upper)
    assert.is_function(string.upper)
  end)

  it("makes assignment to an undeclared global an error naming it", function()
    local ok, err = run_source("local x = 1\ncounter = x")
    assert.is_false(ok)
    assert.matches("chunk:2: assignment to undeclared global 'counter'", err.message)
    assert.is_true((run_source("local counter = 1 return counter")))
  end)

  it("loads text only: bytecode is refused by load and by the file loader", function()
    local env = sandbox.new_env()
    local bc = string.dump(function() return 1 end)
    local fn, err = env.load(bc)
    assert.is_nil(fn)
    assert.matches("bytecode", err)
    assert.is_nil(env.load("return 1", "x", "b"))
    local dir = U.mkdtemp()
    local path = U.write(dir, "bc.lua", bc)
    local f2, err2 = sandbox.compile(path, env)
    assert.is_nil(f2)
    assert.matches("bytecode is not accepted", err2)
    U.rmtree(dir)
  end)

  it("collectgarbage is limited to reading the count", function()
    assert.is_true((run_source("return collectgarbage('count') > 0")))
    local ok, err = run_source("collectgarbage('stop')")
    assert.is_false(ok)
    assert.matches("not allowed", err.message)
  end)
end)

describe("sandbox isolation", function()
  it("hides the shared string table and engine class tables", function()
    local ok, mt = run_source("return getmetatable('')")
    assert.is_true(ok)
    assert.is_nil(mt)
    local env = sandbox.new_env()
    rawset(env, "list", require("sic.model").list { 1 })
    local ok2, v = run_source("return getmetatable(list)", nil, env)
    assert.is_true(ok2)
    assert.equal("sic.list", v)
    local ok3, err = run_source("setmetatable(list, nil)", nil, env)
    assert.is_false(ok3)
    assert.matches("protected metatable", err.message)
  end)
end)

describe("sandbox require", function()
  it("resolves engine modules read-only and script modules from the search path only", function()
    local dir = U.mkdtemp()
    os.execute("mkdir -p " .. dir .. "/helpers")
    U.write(dir, "helpers/util.lua", "return { double = function(x) return 2 * x end }")
    local e = U.engine({ dir })
    local env = sandbox.new_env { require = function(n) return e:sandbox_require(n) end }
    local fn = assert(env.load([[
      local util = require "helpers.util"
      local stats = require "sic.stats"
      local lpeg = require "lpeg"
      return util.double(21), type(stats.summarize), type(lpeg.match)
    ]]))
    local ok, a, b, c = sandbox.run({}, fn)
    assert.is_true(ok)
    assert.same({ 42, "function", "function" }, { a, b, c })
    local ok2, err = run_source("local s = require 'sic.stats'; s.summarize = nil", nil, env)
    assert.is_false(ok2)
    assert.matches("read%-only", err.message)
    local ok3, what = run_source("local sic = require 'sic' return type(sic.load), type(sic.engine), type(sic.stats)", nil, env)
    assert.is_true(ok3)
    assert.equal("nil", what) -- scripts get the facade without loaders and engines
    for _, name in ipairs { "os", "io", "sic.sandbox", "sic.core", "../etc/passwd", "helpers.missing" } do
      local okn, errn = run_source("return require(" .. string.format("%q", name) .. ")", nil, env)
      assert.is_false(okn, name)
      assert.is_string(errn.message)
    end
    U.rmtree(dir)
  end)
end)

describe("budgets", function()
  it("interrupts an infinite loop at the wall-clock deadline", function()
    local t0 = os.clock()
    local ok, err = run_source("local i = 0 while true do i = i + 1 end", { seconds = 0.2, mb = 64 })
    assert.is_false(ok)
    assert.matches("chunk:1: budget exceeded: ran longer than 0.2 s", err.message)
    assert.is_true(os.clock() - t0 < 2)
  end)

  it("interrupts a loop that is hot enough to be JIT-compiled elsewhere", function()
    -- Same loop shape as one that the JIT compiles; sandboxed chunks are interpreted.
    local ok, err = run_source("local s = 0 for i = 1, 1e12 do s = s + i end return s", { seconds = 0.2 })
    assert.is_false(ok)
    assert.matches("budget exceeded", err.message)
  end)

  it("stops a script that allocates past its memory budget", function()
    local ok, err = run_source("local t = {} for i = 1, 1e9 do t[i] = { i, i } end", { seconds = 20, mb = 32 })
    assert.is_false(ok)
    assert.matches("more than 32 MiB", err.message)
    collectgarbage()
  end)

  it("refuses a single huge string.rep before allocating it", function()
    local ok, err = run_source("return ('x'):rep(2^40)", { seconds = 5, mb = 64 })
    assert.is_false(ok)
    assert.matches("string.rep of .* is over the memory budget", err.message)
  end)

  it("counts instructions when an instruction budget is set", function()
    local ok, err = run_source("for i = 1, 1e9 do end", { seconds = 30, instructions = 100000 })
    assert.is_false(ok)
    assert.matches("more than 100000 instructions", err.message)
  end)

  it("cannot be swallowed by pcall inside the script", function()
    local ok, err = run_source([[
      local caught = 0
      while true do
        pcall(function() while true do end end)
        caught = caught + 1
      end
    ]], { seconds = 0.2 })
    assert.is_false(ok)
    assert.matches("budget exceeded", err.message)
  end)

  it("returns results and leaves no hook behind", function()
    local ok, v = run_source("return 6 * 7")
    assert.is_true(ok)
    assert.equal(42, v)
    assert.is_nil(debug.gethook())
  end)
end)

describe("read-only views", function()
  it("reject writes at any depth and still read, count and iterate", function()
    local ro = sandbox.readonly({ a = { b = { 1, 2, 3 } } }, "state")
    assert.has_error(function() ro.x = 1 end, "state is read-only (attempt to set 'x'); return a new layer instead")
    assert.has_error(function() ro.a.b[1] = 9 end)
    assert.equal(3, #ro.a.b)
    local env = sandbox.new_env()
    local seen = 0
    for _, v in env.ipairs(ro.a.b) do seen = seen + v end
    assert.equal(6, seen)
    local keys = {}
    for k in env.pairs(ro) do keys[#keys + 1] = k end
    assert.same({ "a" }, keys)
    assert.equal("table", env.type(ro))
  end)
end)
