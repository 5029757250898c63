-- sic.delta: a Delta table's snapshot (engine/delta, C log replay) as a Lua object.
--
--   local delta = require "sic.delta"
--   local snap = assert(delta.open("/data/events"))
--   local remote = assert(delta.open("s3://bucket/tables/events")) -- any URI the sources accept
--   print(snap.version, snap.files, snap.bytes, snap.rows)
--   for i, f in snap:each_file() do print(f.path, f.size, f.partition.date) end
--
-- Facts are plain Lua values (the `snapshot` object of sic.delta/1 is snap:facts()); the
-- per-file list stays in C and is read through the FFI on demand, with partition values and
-- statistics decoded from their JSON text the first time a file's are asked for. Column
-- mapping: statistics and partition values written under physical names are returned under
-- the logical names of the schema. Errors: nil, message.
local core = require "sic.core"
local ffi = core.ffi
-- the cdef comes from the delta component (delta.h's SIC_FFI region), registered by it
local C = assert(core.module("sic.delta"))
local ok_cjson, cjson = pcall(require, "cjson.safe")

local M = {}
local Snapshot = {}
Snapshot.__index = Snapshot

local function str(p) return p ~= nil and ffi.string(p) or nil end
local function num(v) return tonumber(v) end
local function decode(text)
  if not text or not ok_cjson then return nil end
  local v = cjson.decode(text)
  return v
end
local function list(text)
  local v = decode(text)
  if type(v) ~= "table" then return {} end
  local out = {}
  for _, x in ipairs(v) do if type(x) == "string" then out[#out + 1] = x end end
  return out
end

-- Logical column names from the schema, with each column's physical name under column
-- mapping; nested struct fields are flattened with dots ("a.b").
local function columns_of(schema, prefix, out)
  for _, f in ipairs(type(schema) == "table" and schema.fields or {}) do
    local md = type(f.metadata) == "table" and f.metadata or {}
    local name = (prefix or "") .. tostring(f.name)
    local physical = (prefix and out.physical_prefix[prefix] or "") .. tostring(md["delta.columnMapping.physicalName"] or f.name)
    local t = f.type
    if type(t) == "table" and t.type == "struct" then
      out.physical_prefix[name .. "."] = physical .. "."
      columns_of(t, name .. ".", out)
    else
      out.list[#out.list + 1] = { name = name, physical = physical, type = type(t) == "string" and t or (type(t) == "table" and t.type or "?") }
      out.by_physical[physical] = name
      out.by_name[name] = out.list[#out.list]
    end
  end
  return out
end

-- Flatten {"a":{"b":1}} to {["a.b"]=1}, renaming physical paths to logical ones.
local function flatten(t, prefix, out, rename)
  for k, v in pairs(t) do
    local key = (prefix or "") .. tostring(k)
    if type(v) == "table" and next(v) ~= nil and not v[1] then flatten(v, key .. ".", out, rename)
    else out[rename[key] or key] = v end
  end
  return out
end

function M.open(path)
  if type(path) ~= "string" then return nil, "sic.delta.open: table path must be a string" end
  local out = ffi.new("sic_delta_snapshot *[1]")
  local err = ffi.new("sic_err")
  local rc = C.sic_delta_open(path, out, err)
  if rc ~= 0 then return nil, ffi.string(err.msg) end
  local c = ffi.gc(out[0], C.sic_delta_free)
  local s = setmetatable({ c = c }, Snapshot)
  s.table = path
  s.location = str(c.location)
  s.version = num(c.version)
  s.files = num(c.nfiles)
  s.bytes = num(c.bytes)
  s.rows = c.rows >= 0 and num(c.rows) or nil
  s.tombstones = num(c.ntombstones)
  s.tombstone_bytes = num(c.tombstone_bytes)
  s.dv_files, s.dv_rows = num(c.dv_files), num(c.dv_rows)
  s.partition_columns = list(str(c.partition_columns))
  s.configuration = decode(str(c.configuration)) or {}
  s.protocol = { min_reader_version = c.min_reader_version, min_writer_version = c.min_writer_version,
    reader_features = list(str(c.reader_features)), writer_features = list(str(c.writer_features)) }
  s.checkpoint = { version = c.checkpoint_version >= 0 and num(c.checkpoint_version) or nil, kind = str(c.checkpoint_kind),
    parts = c.checkpoint_parts, sidecars = c.checkpoint_sidecars, source = str(c.checkpoint_source) }
  s.log_tail = num(c.log_tail)
  s.oldest_version = c.oldest_version >= 0 and num(c.oldest_version) or nil
  s.commit_files, s.checkpoints, s.compacted_used = num(c.ncommit_files), num(c.ncheckpoints), num(c.compacted_used)
  s.last_commit_ms = c.last_commit_timestamp >= 0 and num(c.last_commit_timestamp) or nil
  s.created_ms = c.created_time >= 0 and num(c.created_time) or nil
  s.metadata_id, s.name = str(c.metadata_id), str(c.name)
  s.txns = num(c.ntxns)
  s.crc = c.crc_num_files >= 0 and { num_files = num(c.crc_num_files), table_size_bytes = num(c.crc_table_size_bytes) } or nil
  s.schema = decode(str(c.schema_string))
  s.columns = columns_of(s.schema, nil, { list = {}, by_physical = {}, by_name = {}, physical_prefix = {} })
  s.column_mapping = s.configuration["delta.columnMapping.mode"] or "none"
  s.domains = {}
  for i = 0, num(c.ndomains) - 1 do
    local d = { domain = str(c.domains[i].domain), configuration = str(c.domains[i].configuration) }
    d.parsed = decode(d.configuration) -- scripts in the sandbox have no JSON decoder
    s.domains[#s.domains + 1] = d
  end
  s.commits = {}
  for i = 0, num(c.ncommits) - 1 do
    local m = c.commits[i]
    s.commits[#s.commits + 1] = { version = num(m.version), timestamp_ms = m.timestamp >= 0 and num(m.timestamp) or nil,
      operation = str(m.operation), adds = num(m.adds), removes = num(m.removes), bytes_added = num(m.bytes_added) }
  end
  s.diagnostics = {}
  for i = 0, c.ndiags - 1 do
    local d = c.diags[i]
    s.diagnostics[#s.diagnostics + 1] = { severity = str(d.severity), code = str(d.code), message = str(d.message) }
  end
  return s
end

-- Raw C row of file i (1-based).
function Snapshot:raw_file(i) return self.c.files[i - 1] end

-- File i (1-based) as a table: path, size, modification_ms, num_records, dv_cardinality,
-- dv_id, partition (logical name -> value string or nil), stats (lazy: snap:file_stats(i)).
function Snapshot:file(i)
  local f = self.c.files[i - 1]
  local pv = decode(ffi.string(f.partition_values)) or {}
  local part = {}
  for k, v in pairs(pv) do part[self.columns.by_physical[k] or k] = v ~= cjson.null and v or nil end
  return { path = ffi.string(f.path), size = num(f.size), modification_ms = num(f.modification_time),
    num_records = f.num_records >= 0 and num(f.num_records) or nil, dv_cardinality = num(f.dv_cardinality),
    dv_id = str(f.dv_id), partition = part, has_stats = f.stats ~= nil }
end

-- What the layout analysis needs of file i, without building its path string: size, partition
-- values (one decoded table per distinct partition, shared), numRecords (nil unknown), DV
-- cardinality, whether it has a DV, whether it has statistics.
function Snapshot:layout_row(i)
  local f = self.c.files[i - 1]
  local cache = self.partition_cache
  if not cache then cache = {} self.partition_cache = cache end
  local text = ffi.string(f.partition_values)
  local part = cache[text]
  if not part then
    part = {}
    for k, v in pairs(decode(text) or {}) do part[self.columns.by_physical[k] or k] = v ~= cjson.null and v or nil end
    cache[text] = part
  end
  return tonumber(f.size), part, f.num_records >= 0 and tonumber(f.num_records) or nil, tonumber(f.dv_cardinality),
    f.dv_id ~= nil, f.stats ~= nil
end

function Snapshot:each_file()
  local i, n = 0, self.files
  return function()
    i = i + 1
    if i <= n then return i, self:file(i) end
  end
end

-- Statistics of file i flattened to logical column names: { num_records, min = {col=v},
-- max = {col=v}, null_count = {col=n}, tight_bounds }, or nil without statistics.
function Snapshot:file_stats(i)
  local f = self.c.files[i - 1]
  if f.stats == nil then return nil end
  local st = decode(ffi.string(f.stats))
  if type(st) ~= "table" then return nil end
  local rename = self.columns.by_physical
  local function flat(t) return type(t) == "table" and flatten(t, nil, {}, rename) or {} end
  return { num_records = tonumber(st.numRecords), min = flat(st.minValues), max = flat(st.maxValues),
    null_count = flat(st.nullCount), tight_bounds = st.tightBounds }
end

-- The tombstones: { path, size (nil unknown), deletion_ms (nil unknown), dv_id }.
function Snapshot:each_tombstone()
  local i, n = 0, self.tombstones
  return function()
    i = i + 1
    if i > n then return nil end
    local t = self.c.tombstones[i - 1]
    return i, { path = ffi.string(t.path), size = t.size >= 0 and num(t.size) or nil,
      deletion_ms = t.deletion_timestamp >= 0 and num(t.deletion_timestamp) or nil, dv_id = str(t.dv_id) }
  end
end

-- The `snapshot` object of the sic.delta/1 document.
function Snapshot:facts()
  local null = require("sic.json").null
  local nullable = function(v) if v == nil then return null end return v end
  return {
    table = self.table, location = self.location, version = self.version, files = self.files, bytes = self.bytes, rows = nullable(self.rows),
    tombstones = self.tombstones, tombstone_bytes = self.tombstone_bytes,
    deletion_vectors = { files = self.dv_files, deleted_rows = self.dv_rows },
    partition_columns = self.partition_columns, protocol = self.protocol,
    checkpoint = { version = nullable(self.checkpoint.version), kind = self.checkpoint.kind, parts = self.checkpoint.parts,
      sidecars = self.checkpoint.sidecars, source = self.checkpoint.source },
    log_tail = self.log_tail, oldest_version = nullable(self.oldest_version), commit_files = self.commit_files,
    last_commit_ms = nullable(self.last_commit_ms), column_mapping = self.column_mapping,
    crc = self.crc, diagnostics = self.diagnostics,
  }
end

return M
