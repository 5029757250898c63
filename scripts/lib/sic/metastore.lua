-- sic.metastore: a Hive metastore's PostgreSQL database (sources/metastore.c, libpq) from Lua.
--
--   local metastore = require "sic.metastore"
--   local doc = assert(metastore.read("postgresql://hive@db:5432/metastore",
--     { "sales.orders" }, { "s3://lake/raw/clickstream/dt=2024-11-24" }))
--   for _, t in ipairs(doc.tables) do print(t.db, t.name, t.params.numFiles, #t.partitions) end
--
-- The tables asked for by name ("db.table", catalog left out) or whose location is, or
-- contains, one of the locations; the document is sic.metastore/1 (docs/sources.md) with JSON
-- nulls removed (an absent value is nil). Errors: nil, message (never the URL's password).
local ffi = require "ffi"
local core = require "sic.core"

local C, why = core.module("sic.metastore")
local M = {}

local ok_cjson, cjson = pcall(require, "cjson")

local function strip_nulls(v)
  if type(v) ~= "table" then return v end
  for k, x in pairs(v) do
    if x == cjson.null then v[k] = nil else strip_nulls(x) end
  end
  return v
end

local function cstrings(list)
  local arr = ffi.new("const char *[?]", math.max(#list, 1))
  for i, s in ipairs(list) do arr[i - 1] = s end -- the Lua strings in `list` keep them alive
  return arr
end

-- url as it may be shown: no user or password, secret query parameters redacted.
function M.display(url)
  if not C or type(url) ~= "string" then return nil end
  local p = C.sic_metastore_display_url(url)
  if p == nil then return nil end
  local s = ffi.string(p)
  C.sic_ffi_free(p)
  return s
end

function M.read(url, names, locations)
  if not C then return nil, why end
  if not ok_cjson then return nil, "sic.metastore: lua-cjson is not installed" end
  if type(url) ~= "string" then return nil, "sic.metastore.read: url must be a string" end
  names, locations = names or {}, locations or {}
  local out = ffi.new("char *[1]")
  local err = ffi.new("sic_err")
  local rc = C.sic_metastore_read(url, cstrings(names), #names, cstrings(locations), #locations, out, err)
  if rc ~= 0 then return nil, ffi.string(err.msg) end
  local text = ffi.string(out[0])
  C.sic_ffi_free(out[0])
  local ok, doc = pcall(cjson.decode, text)
  if not ok then return nil, "sic.metastore: bad document: " .. tostring(doc) end
  return strip_nulls(doc)
end

return M
