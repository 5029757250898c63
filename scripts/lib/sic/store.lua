-- sic.store: the history store (engine/store) from Lua (cdef generated from store.h's SIC_FFI
-- regions, registered by the store component).
--
--   local store = require "sic.store"
--   local st = assert(store.open("sqlite:///tmp/sic.db"))  -- nil = $SIC_STORE, else the default file
--   local h = assert(st:history("junoHourly"))              -- {schema="sic.history/1", job=, runs={...}}
--   for _, run in ipairs(h.runs) do print(run.appId, run.durationMs, run.coreHours) end
--   local r = assert(st:regressions{ since = "2024-01-01", job = nil, baseline = 10, min_runs = 4 })
--   st:close()
--   store.default():history("etl")                          -- the default store, opened once
--
-- Documents are the same JSON the CLI prints (`sic history --format json`, `sic regressions
-- --format json`), decoded with cjson. Errors follow the engine's Lua convention: nil, message.
local ffi = require "ffi"
local core = require "sic.core"

local C = assert(core.module("sic.store"))
local M = {}

local ok_cjson, cjson = pcall(require, "cjson")

-- Take ownership of a malloc'd JSON document and decode it.
local function decode(json_ptr)
  local text = ffi.string(json_ptr)
  C.sic_ffi_free(json_ptr)
  if not ok_cjson then return nil, "sic.store: lua-cjson is not installed (needed to decode results)" end
  local ok, doc = pcall(cjson.decode, text)
  if not ok then return nil, "sic.store: bad JSON from the store: " .. tostring(doc) end
  return doc
end

-- Milliseconds since the epoch for "YYYY-MM-DD[THH:MM[:SS]]" (UTC) or a number (ms).
local function to_ms(since)
  if since == nil then return -1 end
  if type(since) == "number" then return since end
  local y, mo, d, h, mi, s = tostring(since):match("^(%d%d%d%d)-(%d%d)-(%d%d)[T ]?(%d?%d?):?(%d?%d?):?(%d?%d?)Z?$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  -- days from civil (proleptic Gregorian), so no local time zone is involved
  local yy = mo <= 2 and y - 1 or y
  local era = math.floor(yy / 400)
  local yoe = yy - era * 400
  local doy = math.floor((153 * (mo + (mo > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  return ((days * 24 + (tonumber(h) or 0)) * 60 + (tonumber(mi) or 0)) * 60000 + (tonumber(s) or 0) * 1000
end

local Store = {}
Store.__index = Store

function M.open(url)
  local out = ffi.new("sic_store *[1]")
  local err = ffi.new("sic_err")
  if C.sic_store_open(url, out, err) ~= 0 then return nil, ffi.string(err.msg) end
  local self = setmetatable({ handle = ffi.gc(out[0], C.sic_store_close) }, Store)
  self.backend = ffi.string(C.sic_store_backend(self.handle))
  self.url = ffi.string(C.sic_store_display_url(self.handle))
  return self
end

function Store:close()
  if self.handle ~= nil then
    C.sic_store_close(ffi.gc(self.handle, nil))
    self.handle = nil
  end
end

local function check_open(self)
  if self.handle == nil then error("sic.store: the store is closed", 3) end
end

-- Runs of a job (job key, app name or app id), oldest first; limit = newest N (nil = all).
function Store:history(job, limit)
  check_open(self)
  local json = ffi.new("char *[1]")
  local err = ffi.new("sic_err")
  if C.sic_store_history_json(self.handle, tostring(job), limit or 0, json, err) ~= 0 then
    return nil, ffi.string(err.msg)
  end
  return decode(json[0])
end

-- Regressions; opts = { since = "YYYY-MM-DD" | ms, job = ..., baseline = N, min_runs = N,
-- min_score = z, min_ratio = r } (all optional).
function Store:regressions(opts)
  check_open(self)
  opts = opts or {}
  local o = ffi.new("sic_regress_opts")
  C.sic_regress_opts_init(o)
  local since = to_ms(opts.since)
  if not since then return nil, "sic.store: since '" .. tostring(opts.since) .. "': expected YYYY-MM-DD or ms" end
  o.since_ms = since
  local job = opts.job and tostring(opts.job) or nil
  o.job = job -- kept alive by the local until the call returns
  if opts.baseline then o.baseline_runs = opts.baseline end
  if opts.min_runs then o.min_runs = opts.min_runs end
  if opts.min_score then o.min_score = opts.min_score end
  if opts.min_ratio then o.min_ratio = opts.min_ratio end
  local json = ffi.new("char *[1]")
  local err = ffi.new("sic_err")
  local rc = C.sic_store_regressions_json(self.handle, o, json, err)
  if rc ~= 0 then return nil, ffi.string(err.msg) end
  return decode(json[0])
end

Store.__tostring = function(self) return "sic.store(" .. (self.url or "closed") .. ")" end

local default_store = nil

-- The default store ($SIC_STORE, else $XDG_DATA_HOME/sic/sic.db), opened on first use.
-- Methods called on it raise the open error instead of returning it.
function M.default()
  return setmetatable({}, {
    __index = function(_, name)
      return function(_, ...)
        if not default_store then default_store = assert(M.open(nil)) end
        return default_store[name](default_store, ...)
      end
    end,
    __tostring = function() return "sic.store(default)" end,
  })
end

M.to_ms = to_ms
return M
