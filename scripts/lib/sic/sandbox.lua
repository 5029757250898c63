-- sic.sandbox: where agents and rules run.
--
--  * Loading is text-only (loadfile(path, "t", env)): precompiled bytecode is refused.
--  * Each script gets its own environment: an allow-list of the standard library (copies, so
--    one script cannot change another's `string`), no io, no os.execute/exit/remove, no
--    debug, no ffi, no setfenv/getfenv, `load` for text only; assigning an undeclared
--    global is an error (typos fail loudly instead of creating globals).
--  * `require` resolves engine modules ("sic", "sic.*", "lpeg") and script modules on the
--    script search path ("rules.helpers" -> <dir>/rules/helpers.lua), nothing else.
--  * Budgets (M.run): wall-clock deadline, instruction count and memory, enforced by a count
--    hook every HOOK_EVERY VM instructions. The hook only fires in interpreted code, so every
--    sandboxed chunk is loaded with jit.off(chunk, true): a `while true do end` in a rule is
--    interpreted and interrupted. Trusted engine code (model iterators, C statistics) keeps
--    the JIT; its long loops call the budget check themselves (Stage:tasks() every 64K rows).
--    Memory: LuaJIT's 64-bit GC cannot take a custom lua_Alloc, so the hook compares
--    collectgarbage("count") with the level at entry (a full collection is run before
--    declaring an overrun), and string.rep - the one call that can allocate gigabytes in a
--    single step - checks the size it is about to create against the remaining budget.
--  * Budget errors cannot be swallowed: once tripped, every hook tick and every sandboxed
--    pcall/xpcall re-raises until the budgeted call returns.
local core = require "sic.core"

local M = {}
M.HOOK_EVERY = 1000
M.DEFAULTS = { seconds = 10, mb = 256, instructions = false }

local active = nil -- the innermost running budget

-- level: 4 from the hook (trip < check_budget < hook < the interrupted function).
local function trip(b, msg, level)
  b.tripped = msg
  error(msg, level or 4)
end

local function check_budget(b)
  if b.handling then return end
  if b.tripped then error(b.tripped, 3) end
  b.ticks = b.ticks + 1
  if b.instructions and b.ticks * M.HOOK_EVERY > b.instructions then
    trip(b, string.format("budget exceeded: more than %d instructions", b.instructions))
  end
  if core.now() > b.deadline then
    trip(b, string.format("budget exceeded: ran longer than %.3g s", b.seconds))
  end
  if collectgarbage("count") - b.mem_base > b.mem_kb then
    collectgarbage()
    if collectgarbage("count") - b.mem_base > b.mem_kb then
      trip(b, string.format("budget exceeded: uses more than %.4g MiB of memory", b.mem_kb / 1024))
    end
  end
end

local function hook()
  local b = active
  if b then check_budget(b) end
end

-- For trusted engine loops that run JIT-compiled (no hook ticks): call every few thousand
-- iterations.
function M.check()
  local b = active
  if b then
    b.ticks = b.ticks - 1 -- engine checks are not instructions of the script
    check_budget(b)
  end
end

-- Run a trusted engine call made on a script's behalf (I/O: the metastore read of ctx.metastore)
-- without charging its time to the script's budget: no checks while it runs, and the deadline
-- moves by the time it took. Errors propagate.
function M.unmetered(fn, ...)
  local b, started = active, core.now()
  local was = b and b.handling
  if b then b.handling = true end
  local res = { pcall(fn, ...) }
  if b then
    b.handling = was
    b.deadline = b.deadline + (core.now() - started)
  end
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, table.maxn(res))
end

-- Bytes still allowed by the innermost budget (math.huge when none).
function M.remaining_bytes()
  local b = active
  if not b then return math.huge end
  return (b.mem_kb - (collectgarbage("count") - b.mem_base)) * 1024
end

local raw_rep = string.rep
local function guarded_rep(s, n, sep)
  local size = #s * (tonumber(n) or 0) + (sep and #sep * math.max((tonumber(n) or 0) - 1, 0) or 0)
  local b = active
  if b and size > M.remaining_bytes() then
    trip(b, string.format("budget exceeded: string.rep of %.4g MiB is over the memory budget", size / 1048576), 3)
  end
  if sep then return raw_rep(s, n, sep) end
  return raw_rep(s, n)
end
-- Patched in the shared string table too: ("x"):rep(n) goes through the string metatable.
string.rep = guarded_rep

local function error_object(e)
  local b = active
  if b then b.handling = true end
  local msg = type(e) == "table" and e.message or tostring(e)
  local obj = { message = msg, traceback = debug.traceback(msg, 2), budget = b and b.tripped or nil }
  if b then b.handling = false end
  return obj
end

-- Run fn(...) under a budget {seconds=, mb=, instructions=}. Returns true, results... or
-- false, {message=, traceback=, budget=}. Budgets nest: an inner run (a rule evaluated by an
-- agent) has its own limits and its time is not charged to the outer one.
function M.run(limits, fn, ...)
  limits = limits or {}
  local seconds = limits.seconds or M.DEFAULTS.seconds
  local b = {
    seconds = seconds,
    deadline = core.now() + seconds,
    mem_kb = (limits.mb or M.DEFAULTS.mb) * 1024,
    mem_base = collectgarbage("count"),
    instructions = limits.instructions or M.DEFAULTS.instructions,
    ticks = 0,
  }
  local outer = active
  local started = core.now()
  active = b
  if not outer then debug.sethook(hook, "", M.HOOK_EVERY) end
  local res = { xpcall(fn, error_object, ...) }
  active = outer
  if outer then
    -- The engine runs each rule under its own budget from inside an agent: time spent there
    -- is the rule's, not the agent's, so the agent's deadline moves by that much.
    outer.deadline = outer.deadline + (core.now() - started)
  else
    debug.sethook()
  end
  if not res[1] and b.tripped and type(res[2]) == "table" then res[2].budget = b.tripped end
  -- An inner trip counts against the outer budget only through elapsed time and memory.
  return unpack(res, 1, table.maxn(res))
end

-- ---------------------------------------------------------------- read-only views
-- Userdata proxies: # works on them in Lua 5.1 (tables would ignore __len), writes raise.
local proxies = setmetatable({}, { __mode = "k" })   -- proxy -> original
local by_original = setmetatable({}, { __mode = "kv" })

function M.readonly(t, label)
  if type(t) ~= "table" then return t end
  if proxies[t] then return t end
  local p = by_original[t]
  if p then return p end
  p = newproxy(true)
  local mt = getmetatable(p)
  label = label or "value"
  mt.__index = function(_, k)
    local v = t[k]
    if type(v) == "table" and getmetatable(v) == nil then return M.readonly(v, label .. "." .. tostring(k)) end
    return v
  end
  mt.__newindex = function(_, k)
    error(string.format("%s is read-only (attempt to set '%s'); return a new layer instead", label, tostring(k)), 2)
  end
  mt.__len = function() return #t end
  mt.__pairs = function()
    return function(_, k)
      local nk, v = next(t, k)
      if type(v) == "table" and getmetatable(v) == nil then v = M.readonly(v, label .. "." .. tostring(nk)) end
      return nk, v
    end, p, nil
  end
  mt.__tostring = function() return "<read-only " .. label .. ">" end
  mt.__metatable = "read-only"
  proxies[p] = t
  by_original[t] = p
  return p
end

function M.is_readonly(v) return proxies[v] ~= nil end
-- The table behind a read-only view (engine use only).
function M.unwrap(v) return proxies[v] or v end

-- ---------------------------------------------------------------- environments
local function copy(t, except)
  local out = {}
  for k, v in pairs(t) do if not (except and except[k]) then out[k] = v end end
  return out
end

local function proxy_aware_pairs(t)
  local orig = proxies[t]
  if orig then
    return function(_, k)
      local nk, v = next(orig, k)
      if type(v) == "table" and getmetatable(v) == nil then v = M.readonly(v) end
      return nk, v
    end, t, nil
  end
  return pairs(t)
end

local function proxy_aware_ipairs(t)
  if proxies[t] then
    return function(p, i)
      i = i + 1
      local v = p[i]
      if v ~= nil then return i, v end
    end, t, 0
  end
  return ipairs(t)
end

local function proxy_aware_type(v)
  if proxies[v] then return "table" end
  return type(v)
end

-- Re-raise a tripped budget that user code tried to catch.
local function guard_tripped()
  local b = active
  if b and b.tripped then error(b.tripped, 0) end
end

local function safe_pcall(f, ...)
  local res = { pcall(f, ...) }
  guard_tripped()
  return unpack(res, 1, table.maxn(res))
end

local function safe_xpcall(f, handler, ...)
  local res = { xpcall(f, handler, ...) }
  guard_tripped()
  return unpack(res, 1, table.maxn(res))
end

local SAFE_GLOBALS = { "assert", "error", "next", "select", "tonumber", "tostring", "unpack",
  "rawequal", "rawget", "setmetatable", "getmetatable", "print" }

-- A fresh environment. opts.require: function(name) for the sandbox require;
-- opts.name: label used in error messages.
function M.new_env(opts)
  opts = opts or {}
  local env = {}
  for _, k in ipairs(SAFE_GLOBALS) do env[k] = _G[k] end
  env.pairs, env.ipairs, env.type = proxy_aware_pairs, proxy_aware_ipairs, proxy_aware_type
  -- The string metatable leads to the shared string table, and engine classes protect
  -- theirs with __metatable: scripts see neither.
  env.getmetatable = function(v)
    if type(v) == "string" then return nil end
    return getmetatable(v)
  end
  env.pcall, env.xpcall = safe_pcall, safe_xpcall
  env.string = copy(string, { dump = true })
  env.table = copy(table)
  env.math = copy(math)
  env.bit = copy(require "bit")
  env.coroutine = copy(coroutine)
  env.coroutine.resume = function(co, ...) -- resume catches errors like pcall does
    local res = { coroutine.resume(co, ...) }
    guard_tripped()
    return unpack(res, 1, table.maxn(res))
  end
  env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
  env.collectgarbage = function(what)
    if what == "count" or what == nil then return collectgarbage("count") end
    error("collectgarbage('" .. tostring(what) .. "') is not allowed in scripts", 2)
  end
  env.load = function(text, name, mode, fenv)
    if type(text) ~= "string" then return nil, "load: only source text is allowed in scripts" end
    if mode ~= nil and mode ~= "t" then return nil, "load: only text mode is allowed in scripts" end
    local fn, err = loadstring(text, name)
    if not fn then return nil, err end
    if text:byte(1) == 27 then return nil, "load: bytecode is not allowed in scripts" end
    setfenv(fn, fenv or env)
    jit.off(fn, true)
    return fn
  end
  env.loadstring = function(text, name) return env.load(text, name, "t") end
  env.require = opts.require or function(name) error("require is not available here: " .. tostring(name), 2) end
  env._G = env
  env._VERSION = _VERSION
  local label = opts.name or "script"
  return setmetatable(env, {
    __metatable = "sandbox environment",
    __newindex = function(_, k)
      error(string.format("assignment to undeclared global '%s' in %s (use local)", tostring(k), label), 2)
    end,
  })
end

-- Compile a script file into env (text only, JIT off so budgets can interrupt it).
function M.compile(path, env)
  local f = io.open(path, "rb")
  if not f then return nil, path .. ": cannot open" end
  local head = f:read(1)
  f:close()
  if head == "\27" then return nil, path .. ": precompiled bytecode is not accepted (text scripts only)" end
  local fn, err = loadfile(path, "t", env)
  if not fn then return nil, err end
  jit.off(fn, true)
  return fn
end

return M
