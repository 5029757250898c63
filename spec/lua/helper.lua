-- busted helper: loaded before every spec (see spec/CMakeLists.txt, --helper=).
--
-- 1. Makes the project's Lua code requirable from specs: scripts/ (agents, rules, lib) and
--    spec/lua/ come first on package.path, so `require "sic"` etc. find the working tree,
--    not an installed copy.
-- 2. Offers small test utilities as the module "spec_helper" (also the global `sic_test`):
--
--      local T = require "spec_helper"
--      T.shared("spark-events/spark/local-1422981759269")  -- path into ../shared/data/real
--      T.need_shared("spark-events/...")   -- path, or pending() + nil when the data is absent
--      T.example.log({ seed = 7 })           -- a log `sic example` generates (spec/support/example_logs.lua)
--      local r = T.run_sic({"analyze", path, "--format", "json"})
--      -- r.code (exit status), r.stdout, r.stderr
--      T.tmpname(), T.tmpdir(), T.read_file(p), T.write_file(p, s)
--
-- Environment (set by ctest): SIC_SOURCE_DIR, SIC_BUILD_DIR, SIC_BIN (the sic executable),
-- SIC_LIB (libsic.so, for ffi.load), SIC_SHARED_DATA (../shared/data/real).

local T = {}

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

T.source_dir = env("SIC_SOURCE_DIR", ".")
T.build_dir = env("SIC_BUILD_DIR", T.source_dir .. "/build")
T.sic_bin = env("SIC_BIN", T.build_dir .. "/sic")
T.sic_lib = env("SIC_LIB", T.build_dir .. "/libsic.so")
T.shared_dir = env("SIC_SHARED_DATA", T.source_dir .. "/../shared/data/real")

-- Under `make asan` the luajit shim preloads the ASan runtime (and libsic) into this process (see
-- spec/CMakeLists.txt). Nothing this spec starts should inherit it: system tools (script, cc)
-- are not ours and misbehave under it, sic is instrumented itself, and a stock luajit gets
-- the preload again from the shim, which is first on PATH.
do
  local preload = os.getenv("LD_PRELOAD")
  if preload and preload:find("libasan", 1, true) then
    local ffi = require "ffi"
    pcall(ffi.cdef, "int unsetenv(const char *name);")
    ffi.C.unsetenv("LD_PRELOAD")
  end
end

package.path = table.concat({
  T.source_dir .. "/scripts/?.lua",
  T.source_dir .. "/scripts/?/init.lua",
  T.source_dir .. "/scripts/lib/?.lua",
  T.source_dir .. "/spec/lua/?.lua",
  T.source_dir .. "/spec/support/?.lua",
  package.path,
}, ";")

-- Absolute path of a file under the shared real-data folder (it may not exist).
function T.shared(rel)
  return T.shared_dir .. "/" .. rel
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
T.shell_quote = shell_quote

-- Exit status from os.execute in both LuaJIT modes (plain: raw wait status; 5.2-compat:
-- true/false, "exit", code).
local function exit_code(a, _, c)
  if type(a) == "number" then
    if a > 255 then return math.floor(a / 256) end
    return a
  end
  return c or (a and 0 or 1)
end

-- True when path exists (file or directory).
function T.exists(path)
  return exit_code(os.execute("test -e " .. shell_quote(path))) == 0
end

-- The shared file's path, or nil after marking the current test pending when it is absent
-- (a fresh clone without ../shared still runs every self-contained case). The reason starts
-- with "needs shared data", which is what the skip count at the end of the run looks for.
function T.need_shared(rel)
  local path = T.shared(rel)
  if T.exists(path) then return path end
  -- busted gives each `it` its own pending() (which stops the test as pending); reach it
  -- through the caller's environment, since this file's globals are not the test's.
  local caller_pending = getfenv(2).pending
  if caller_pending then caller_pending(T.shared_reason(rel)) end
  return nil
end

-- The shared file's path, or nil when it is absent, without marking anything pending: for
-- setup blocks, where busted has no pending(); the cases then skip with T.need_shared.
function T.has_shared(rel)
  local path = T.shared(rel)
  return T.exists(path) and path or nil
end

-- The pending reason of a case skipped for want of the shared file rel.
function T.shared_reason(rel)
  return "needs shared data: ../shared/data/real/" .. rel
end

--- Whether the optional component `name` (rag, ml_train, ...) is built into the sic under
--- test (SIC_COMPONENTS, exported by spec/CMakeLists.txt; everything when unset).
function T.has_component(name)
  local list = os.getenv("SIC_COMPONENTS")
  if not list or list == "" then return true end
  return ("," .. list .. ","):find("," .. name .. ",", 1, true) ~= nil
end

function T.read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

function T.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  assert(f:write(data))
  f:close()
  return path
end

-- A fresh temporary file name (os.tmpname creates it); specs os.remove what they create.
function T.tmpname()
  return os.tmpname()
end

-- A fresh empty temporary directory (specs remove what they create).
function T.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. shell_quote(d)))
  return d
end

-- Run the sic executable with argv (a list of strings) and optional stdin text.
-- Returns {code = exit status, stdout = ..., stderr = ...}.
function T.run_sic(argv, stdin)
  local out, err, inp = os.tmpname(), os.tmpname(), nil
  local cmd = { shell_quote(T.sic_bin) }
  for _, a in ipairs(argv or {}) do cmd[#cmd + 1] = shell_quote(a) end
  if stdin then
    inp = T.write_file(os.tmpname(), stdin)
    cmd[#cmd + 1] = "<" .. shell_quote(inp)
  else
    cmd[#cmd + 1] = "</dev/null"
  end
  cmd[#cmd + 1] = ">" .. shell_quote(out) .. " 2>" .. shell_quote(err)
  local code = exit_code(os.execute(table.concat(cmd, " ")))
  local r = { code = code, stdout = T.read_file(out) or "", stderr = T.read_file(err) or "" }
  os.remove(out)
  os.remove(err)
  if inp then os.remove(inp) end
  return r
end

-- Run a shell command; returns its standard output, whether it exited 0, and the exit code.
-- (LuaJIT's popen():close() reports success whatever the command did, so the status is read
-- from the shell itself.) Callers add "2>&1" to the command when they want stderr too.
function T.sh(cmd)
  local p = assert(io.popen("(" .. cmd .. "); printf '\\n%d' $?"))
  local text = p:read("*a")
  p:close()
  local out, rc = text:match("^(.*)\n(%d+)$")
  rc = tonumber(rc) or -1
  return out or text, rc == 0, rc
end

package.loaded["spec_helper"] = T
T.example = require "example_logs"
require("shared_data_report").install(os.getenv("SIC_BUILD_DIR"))
sic_test = T -- luacheck: ignore (global on purpose, for specs that prefer it)
return T
