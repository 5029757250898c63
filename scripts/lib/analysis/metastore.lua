-- Figures of a Hive metastore table (one `tables` entry of sic.metastore/1, sources/metastore.c)
-- for the metastore rules: sizes and counts from TABLE_PARAMS / PARTITION_PARAMS, the storage
-- format, what statistics exist and when they were taken. Times are ms since the epoch (the
-- metastore keeps seconds).
local M = {}

M.MIB, M.GIB = 1024 * 1024, 1024 * 1024 * 1024

local function num(v)
  local n = tonumber(v)
  if n and n >= 0 then return n end
  return nil
end

local function ms(sec)
  local n = tonumber(sec)
  if n and n > 0 then return n * 1000 end
  return nil
end

-- Row count a params map states: Hive's numRows, else Spark's spark.sql.statistics.numRows.
-- Hive writes numRows = -1 when it does not know it.
function M.rows(params)
  return num(params.numRows) or num(params["spark.sql.statistics.numRows"])
end

function M.size(params)
  return num(params.totalSize) or num(params["spark.sql.statistics.totalSize"])
end

-- The storage format: { kind, input_format, output_format, serde, provider }. kind is one of
-- parquet, orc, delta, iceberg, avro, json, csv, text, sequencefile, rcfile, or "other".
function M.format(t)
  local p = t.params or {}
  local provider = p["spark.sql.sources.provider"]
  local f = { input_format = t.input_format, output_format = t.output_format, serde = t.serde, provider = provider }
  local pv = provider and provider:lower() or ""
  local known = { parquet = true, orc = true, delta = true, iceberg = true, avro = true, json = true, csv = true,
    text = true }
  if known[pv] then f.kind = pv return f end
  if pv:find("csv", 1, true) then f.kind = "csv" return f end
  if pv:find("json", 1, true) then f.kind = "json" return f end
  local input, serde = (t.input_format or ""):lower(), (t.serde or ""):lower()
  if input:find("parquet", 1, true) or serde:find("parquet", 1, true) then f.kind = "parquet"
  elseif input:find("orc", 1, true) then f.kind = "orc"
  elseif input:find("avro", 1, true) or serde:find("avro", 1, true) then f.kind = "avro"
  elseif input:find("sequencefile", 1, true) then f.kind = "sequencefile"
  elseif input:find("rcfile", 1, true) then f.kind = "rcfile"
  elseif serde:find("json", 1, true) then f.kind = "json"
  elseif serde:find("csv", 1, true) then f.kind = "csv"
  elseif input:find("textinputformat", 1, true) then f.kind = "text"
  else f.kind = "other" end
  return f
end

-- One partition's figures.
local function partition(p)
  local params = p.params or {}
  return { name = p.name, location = p.location, files = num(params.numFiles), bytes = M.size(params),
    rows = M.rows(params), created_ms = ms(p.create_time), ddl_ms = ms(params.transient_lastDdlTime),
    stats_analyzed_ms = ms(p.stats_last_analyzed), stats_accurate = params.COLUMN_STATS_ACCURATE,
    spark_size = num(params["spark.sql.statistics.totalSize"]), hive_size = num(params.totalSize) }
end

local function median(list)
  if #list == 0 then return nil end
  table.sort(list)
  local n = #list
  if n % 2 == 1 then return list[(n + 1) / 2] end
  return (list[n / 2] + list[n / 2 + 1]) / 2
end
M.median = median

-- The entity the metastore rules see (applies_to = "table"): the table's figures, its
-- partitions', and `job` (the scans' totals, lib.analysis.metastore_scans.totals).
function M.entity(t, scans, job)
  local params = t.params or {}
  local name = (t.db or "?") .. "." .. (t.name or "?")
  local parts, sizes = {}, {}
  local files, bytes, rows, known_files, known_bytes, with_rows = 0, 0, 0, 0, 0, 0
  local newest_partition_ms
  for i, p in ipairs(t.partitions or {}) do
    local q = partition(p)
    parts[i] = q
    if q.files then files, known_files = files + q.files, known_files + 1 end
    if q.bytes then bytes, known_bytes = bytes + q.bytes, known_bytes + 1 sizes[#sizes + 1] = q.bytes end
    if q.rows then rows, with_rows = rows + q.rows, with_rows + 1 end
    if q.created_ms and (not newest_partition_ms or q.created_ms > newest_partition_ms) then newest_partition_ms = q.created_ms end
  end
  local partitioned = #(t.partition_keys or {}) > 0
  -- a table with more partitions than the reader takes (SIC_METASTORE_MAX_PARTITIONS) comes
  -- with its newest ones and its true count
  local total = math.max(tonumber(t.partitions_total) or 0, #parts)
  local keys = {}
  for i, k in ipairs(t.partition_keys or {}) do keys[i] = k.name end
  local col_analyzed
  for _, c in ipairs(t.column_stats or {}) do
    local a = ms(c.last_analyzed)
    if a and (not col_analyzed or a > col_analyzed) then col_analyzed = a end
  end
  local e = {
    key = name, name = name, db = t.db, table = t.name, type = t.type, location = t.location,
    format = M.format(t), partitioned = partitioned, partition_keys = keys, partitions = parts,
    created_ms = ms(t.create_time), ddl_ms = ms(params.transient_lastDdlTime),
    params = params, stats_accurate = params.COLUMN_STATS_ACCURATE,
    spark_size = num(params["spark.sql.statistics.totalSize"]), hive_size = num(params.totalSize),
    column_stats = t.column_stats, column_stats_analyzed_ms = col_analyzed,
    spark_column_stats = t.spark_column_stats or {}, newest_partition_ms = newest_partition_ms,
    partitions_total = total, partitions_truncated = total > #parts or nil,
    partitions_with_rows = with_rows, partitions_with_files = known_files, partition_sizes = sizes,
    scans = scans, job = job,
  }
  -- Table-level figures: the table's own parameters, else (partitioned tables, whose TABLE_PARAMS
  -- often hold nothing) the sums over partitions that state them.
  e.files = num(params.numFiles) or (known_files > 0 and files or nil)
  e.bytes = M.size(params) or (known_bytes > 0 and bytes or nil)
  e.rows = M.rows(params) or (partitioned and with_rows == #parts and #parts > 0 and rows or nil)
  e.avg_file_bytes = e.files and e.files > 0 and e.bytes and e.bytes / e.files or nil
  return e
end

-- What the job read of the table, as evidence (nil fields dropped by the JSON writer).
function M.job_evidence(e)
  local j = e.job or {}
  return { scans = j.scans, sql_executions = j.sqls, files_read = j.files_read, bytes_read = j.bytes_read,
    avg_read_file_bytes = j.files_read and j.files_read > 0 and j.bytes_read and j.bytes_read / j.files_read or nil,
    partitions_read = j.partitions_read, scan_time_ms = j.scan_time_ms, rows_read = j.rows, joins = j.joins,
    -- partitions the scans did not read (pruned), against the metastore's count
    partitions_pruned = e.partitioned and j.partitions_read and e.partitions_total > 0 and
      math.max(e.partitions_total - j.partitions_read, 0) or nil,
    formats_read = j.formats, partition_filters = #(j.partition_filters or {}) > 0 and j.partition_filters or nil,
    matched_by = e.scans[1] and e.scans[1].matched_by or nil }
end

return M
