-- The tables an application's SQL scans read, for the metastore agent (scripts/agents/metastore.lua):
-- every scan node of every SQL plan that names a catalog table or reads files at a location,
-- with the scan's own metrics (files and bytes read, partitions read, scan time, rows).
--
-- Node shapes (Spark 2.x to 3.5):
--   FileScan parquet spark_catalog.db.t[a#1,b#2] ... Location: InMemoryFileIndex(2 paths)[s3://x, s3://y]
--   FileScan json [] ... Location: InMemoryFileIndex(1 paths)[s3a://raw/clicks/dt=2024-11-24]  (a path, no table)
--   HiveTableScan [a#1], HiveTableRelation [`spark_catalog`.`db`.`t`, org.apache...Serde, ...]   (node "Scan hive db.t")
--   HiveTableScan [a#1], MetastoreRelation db, t                                                  (Spark 2.1)
--   BatchScan spark_catalog.db.t[a#1] ...                                                         (DataSource V2)
-- Table names come back as "db.t" in lower case: the catalog is left out, a bare name is in "default".
local U = require "lib.analysis.util"

local M = {}

-- "`spark_catalog`.`Sales`.`orders`" -> "sales.orders"; nil when it is not an identifier.
function M.table_name(ident)
  if type(ident) ~= "string" or ident == "" then return nil end
  local parts = {}
  for p in ident:gsub("`", ""):gmatch("[^.]+") do parts[#parts + 1] = p:lower() end
  if #parts == 0 then return nil end
  for _, p in ipairs(parts) do
    if not p:match("^[%w_$-]+$") then return nil end
  end
  if #parts == 1 then return "default." .. parts[1] end
  return parts[#parts - 1] .. "." .. parts[#parts]
end

-- The comparable form of a location (sources/metastore.c normalises SDS.LOCATION the same way).
function M.normalize(loc)
  if type(loc) ~= "string" then return nil end
  loc = loc:gsub("^[sS]3[aAnN]://", "s3://"):gsub("^file://", ""):gsub("^file:", ""):gsub("/+$", "")
  return loc
end

-- Is location `loc` the table location `root` or inside it (both normalised)?
function M.within(loc, root)
  if not loc or not root or root == "" then return false end
  return loc == root or loc:sub(1, #root + 1) == root .. "/"
end

local function split_paths(text)
  local out = {}
  for p in (text or ""):gmatch("[^,]+") do
    p = p:match("^%s*(.-)%s*$")
    if p ~= "" and not p:match("^%.%.%.") then out[#out + 1] = p end
  end
  return out
end

-- Parse one plan node (name, simpleString) into a scan, or nil when it reads no table or files.
function M.parse(name, simple)
  name, simple = name or "", simple or ""
  local scan
  local fmt, ident = simple:match("^FileScan (%S+) ([^%[%s]*)%[")
  if fmt then
    scan = { format = fmt:lower(), table = M.table_name(ident) }
  elseif simple:match("^HiveTableScan") then
    local rel = simple:match("HiveTableRelation %[([^,%]]+)") or
      (simple:match("MetastoreRelation ([%w_]+, [%w_]+)") or ""):gsub(", ", ".")
    scan = { format = "hive", table = M.table_name(rel) or M.table_name(name:match("^Scan hive (%S+)")) }
    local pruned = simple:match("Pruned Partitions: (%b[])")
    if pruned then scan.pruned_partitions = #split_paths(pruned:sub(2, -2)) end
  elseif simple:match("^BatchScan") then
    scan = { format = "v2", table = M.table_name(simple:match("^BatchScan ([^%[%s]+)")) }
  elseif name:match("^Scan (%S+) (%S+)$") and not name:match("^Scan ExistingRDD") then
    local f, t = name:match("^Scan (%S+) (%S+)$")
    scan = { format = f:lower(), table = M.table_name(t) }
  end
  if not scan then return nil end
  local loc = simple:match("Location: [%w_]+[^%[]-%[(.-)%]")
  scan.locations = split_paths(loc)
  scan.partition_filters = simple:match("PartitionFilters: %[([^%]]*)%]")
  if scan.partition_filters == "" then scan.partition_filters = nil end
  if not scan.table and #scan.locations == 0 then return nil end
  return scan
end

-- Every table scan of the apps: { app, sql, node, format, table, locations, partition_filters,
-- files_read, bytes_read, partitions_read, scan_time_ms, rows, joins } (metrics nil when the
-- log has none; joins: join operators in the same SQL execution).
function M.find(apps)
  local out = {}
  for _, app in ipairs(apps or {}) do
    for _, sql in ipairs(app.sqls or {}) do
      local joins
      for _, node in ipairs(sql:plan()) do
        local scan = M.parse(node.name, node.simple_string)
        if scan then
          joins = joins or #U.joins(app, sql)
          scan.app, scan.sql, scan.node, scan.joins = app.app_id, sql.execution_id, node.name, joins
          U.scan_read(app, node, scan)
          out[#out + 1] = scan
        end
      end
    end
  end
  return out
end

-- What to ask the metastore for: distinct table names and normalised locations.
function M.wanted(scans)
  local names, locs, seen = {}, {}, {}
  for _, s in ipairs(scans) do
    if s.table and not seen["n" .. s.table] then seen["n" .. s.table] = true names[#names + 1] = s.table end
    for _, l in ipairs(s.locations) do
      local n = M.normalize(l)
      if n and n ~= "" and not seen["l" .. n] then seen["l" .. n] = true locs[#locs + 1] = n end
    end
  end
  table.sort(names)
  table.sort(locs)
  return names, locs
end

-- The scans that read table t (a sic.metastore/1 table): by name, else by location. Each
-- returned scan carries matched_by = "name" | "location".
function M.of_table(scans, t)
  local name = ((t.db or "") .. "." .. (t.name or "")):lower()
  local root = M.normalize(t.location)
  local out = {}
  for _, s in ipairs(scans) do
    local by
    if s.table == name then by = "name"
    else
      for _, l in ipairs(s.locations) do
        if M.within(M.normalize(l), root) then by = "location" break end
      end
    end
    if by then
      local c = {}
      for k, v in pairs(s) do c[k] = v end
      c.matched_by = by
      out[#out + 1] = c
    end
  end
  return out
end

-- Sums over scans of one table: { scans, files_read, bytes_read, partitions_read, scan_time_ms,
-- rows, joins, formats, partition_filters } (a sum is nil when no scan reported the metric).
function M.totals(scans)
  local t = { scans = #scans, formats = {}, partition_filters = {}, sqls = {} }
  local fmts, filters = {}, {}
  for _, s in ipairs(scans) do
    for _, k in ipairs { "files_read", "bytes_read", "partitions_read", "scan_time_ms", "rows" } do
      if s[k] then t[k] = (t[k] or 0) + s[k] end
    end
    t.joins = (t.joins or 0) + (s.joins or 0)
    if not fmts[s.format] then fmts[s.format] = true t.formats[#t.formats + 1] = s.format end
    if s.partition_filters and not filters[s.partition_filters] then
      filters[s.partition_filters] = true
      t.partition_filters[#t.partition_filters + 1] = s.partition_filters
    end
    t.sqls[#t.sqls + 1] = s.sql
  end
  return t
end

return M
