-- sic.core: the FFI binding to libsic. Loads the cdef generated from the real C headers
-- (model.h, stats.h, lua_host.h SIC_FFI regions), checks the ABI handshake, and exposes the
-- C namespace.
--
-- Where the C functions come from:
--  * inside `sic` (repl/run/analyze) or any C program linked with libsic: the host preloads
--    package.loaded["sic.native"] = { in_process = true } and symbols resolve through ffi.C;
--  * from a stock luajit: SIC_LIB (path of libsic.so), else the installed sic.config module,
--    else the dynamic linker's search for "sic".
local ffi = require "ffi"

local M = {}

-- The ABI these Lua modules were written against. It must equal SIC_ABI_VERSION of the
-- library (CMakeLists.txt); bump both together when a struct or signature changes.
M.ABI_VERSION = 2

local BOOTSTRAP = [[
typedef struct sic_ffi_layout_entry {
  const char *type; const char *field; int64_t size; int64_t offset;
} sic_ffi_layout_entry;
const char *sic_ffi_cdef(void);
int sic_ffi_abi_version(void);
const char *sic_ffi_version_string(void);
int64_t sic_ffi_layout_count(void);
const sic_ffi_layout_entry *sic_ffi_layout(int64_t i);
]]

local function declared(ctype)
  return (pcall(ffi.typeof, ctype))
end

-- The install-time config that sits next to this very file (share/lua/5.1/sic/config.lua
-- of an installed copy); a source tree has none. Never another copy found on package.path.
function M.own_config()
  local dir = debug.getinfo(1, "S").source:match("^@(.*)/core%.lua$")
  if not dir then return nil end
  local fn = loadfile(dir .. "/config.lua")
  if not fn then return nil end
  local ok, cfg = pcall(fn)
  return ok and type(cfg) == "table" and cfg or nil
end

local function open_library()
  local native = package.loaded["sic.native"]
  if type(native) == "table" and native.in_process then return ffi.C, "(process)" end
  local path = os.getenv("SIC_LIB")
  if not path or path == "" then
    local cfg = M.own_config()
    path = cfg and cfg.lib or "sic"
  end
  local ok, lib = pcall(ffi.load, path)
  if not ok then
    error("sic: cannot load the sic library '" .. path .. "' (" .. tostring(lib) ..
          "); set SIC_LIB to the path of libsic.so", 0)
  end
  return lib, path
end

local lib, lib_path = open_library()
M.lib_path = lib_path

-- The bootstrap declarations differ from the generated ones only by layout-free text, so a
-- second load of this module (after package.loaded is cleared) must not redeclare them.
if not declared("sic_ffi_layout_entry") then ffi.cdef(BOOTSTRAP) end

local lib_abi = lib.sic_ffi_abi_version()
if lib_abi ~= M.ABI_VERSION then
  error(string.format("sic: ABI mismatch: the library %s has ABI %d but these Lua modules " ..
                      "expect ABI %d; install matching versions of libsic and its scripts",
                      lib_path, lib_abi, M.ABI_VERSION), 0)
end
M.version = ffi.string(lib.sic_ffi_version_string())
M.abi = lib_abi

if not declared("sic_app") then
  -- The generated text repeats the bootstrap struct and functions: drop what is declared.
  local text = ffi.string(lib.sic_ffi_cdef())
  text = text:gsub("typedef struct sic_ffi_layout_entry%s*%b{}%s*sic_ffi_layout_entry;", "")
  for name in BOOTSTRAP:gmatch("([%w_]+)%(") do
    text = text:gsub("[^;\n]-[%s%*]" .. name .. "%s*%b()%s*;", "")
  end
  ffi.cdef(text)
end

M.C = lib
M.ffi = ffi

-- Component modules (sic.kb, sic.ml, sic.store, ...): each component registers its module
-- with the host (engine/lua/lua_host.h "Plug-ins") together with the cdef generated from its
-- headers' SIC_FFI regions. Declared once per Lua state (the set lives in the registry, so a
-- second load of this module after package.loaded is cleared does not redeclare).
local function declared_modules()
  local reg = debug.getregistry()
  reg.sic_ffi_modules = reg.sic_ffi_modules or {}
  return reg.sic_ffi_modules
end

--- The C namespace for component module `name` with its declarations loaded, or nil, why
--- when this library was built without it (an optional component switched off).
function M.module(name)
  local done = declared_modules()
  if done[name] then return lib end
  local text = lib.sic_ffi_module_cdef(name)
  if text == nil then
    return nil, name .. " is not built into this sic (its component was configured off)"
  end
  ffi.cdef(ffi.string(text))
  done[name] = true
  return lib
end

--- Names of the component modules built in, in registration order.
function M.modules()
  local names = {}
  for i = 0, tonumber(lib.sic_ffi_module_count()) - 1 do
    names[#names + 1] = ffi.string(lib.sic_ffi_module_name(i))
  end
  return names
end

-- Every entry of the C layout table: {type=, field=, size=, offset=}; "#" rows are enum
-- constants (size = value). With a module name, that component module's table instead.
local function layout_rows(module)
  local rows = {}
  local count = module and tonumber(lib.sic_ffi_module_layout_count(module)) or tonumber(lib.sic_ffi_layout_count())
  for i = 0, count - 1 do
    local e = module and lib.sic_ffi_module_layout(module, i) or lib.sic_ffi_layout(i)
    rows[#rows + 1] = {
      type = ffi.string(e.type),
      field = e.field ~= nil and ffi.string(e.field) or nil,
      size = tonumber(e.size),
      offset = tonumber(e.offset),
    }
  end
  return rows
end
function M.layout(module) return layout_rows(module) end

-- Compare the FFI's view of every struct/field/constant with C's: the core's, and every
-- registered component module's (declared on the way). Returns a list of mismatch messages
-- (empty when the cdefs agree with the compiler).
function M.check_layout()
  local problems = {}
  local rows = {}
  for _, e in ipairs(M.layout()) do rows[#rows + 1] = e end
  for _, name in ipairs(M.modules()) do
    local ok, why = M.module(name)
    if not ok then problems[#problems + 1] = why end
    for _, e in ipairs(layout_rows(name)) do rows[#rows + 1] = e end
  end
  for _, e in ipairs(rows) do
    if e.type == "#" then
      local ok, v = pcall(function() return lib[e.field] end)
      if not ok or tonumber(v) ~= e.size then
        problems[#problems + 1] = string.format("constant %s: C %d, FFI %s", e.field, e.size, tostring(v))
      end
    elseif not e.field then
      local s = ffi.sizeof(e.type)
      if s ~= e.size then
        problems[#problems + 1] = string.format("sizeof(%s): C %d, FFI %s", e.type, e.size, tostring(s))
      end
    else
      local off = ffi.offsetof(e.type, e.field)
      if off ~= e.offset then
        problems[#problems + 1] = string.format("offsetof(%s, %s): C %d, FFI %s", e.type, e.field, e.offset, tostring(off))
      end
    end
  end
  return problems
end

-- Monotonic wall clock in seconds (budgets are wall-clock, not CPU time).
function M.now()
  return lib.sic_ffi_now()
end

return M
