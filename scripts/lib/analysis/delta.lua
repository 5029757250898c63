-- Layout analysis of one Delta snapshot (sic.delta), shared by the delta agent and its rules:
-- files per partition, OPTIMIZE bin-packing simulation, min/max data skipping per predicate,
-- clustering-column ranking from observed scans, VACUUM reclaim. Pure functions over plain
-- Lua tables, so the rules re-run them under their (overridable) thresholds.
local M = {}

M.GIB, M.MIB = 1073741824, 1048576

local function median(xs)
  if #xs == 0 then return 0 end
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local m = math.floor((#s + 1) / 2)
  return #s % 2 == 1 and s[m] or (s[m] + s[m + 1]) / 2
end
M.median = median

-- The files of a snapshot as plain rows, grouped by partition (values joined in the order of
-- the partition columns: "date=2024-01-01/country=FR").
function M.files(snap)
  local rows, parts, order = {}, {}, {}
  local pcols = snap.partition_columns
  local parts_key_cache = {} -- partition key text per shared values table
  for i = 1, snap.files do
    local size, values, nrec, deleted, has_dv, has_stats = snap:layout_row(i)
    local pk = parts_key_cache and parts_key_cache[values]
    if not pk then
      local key = {}
      for k, c in ipairs(pcols) do key[k] = c .. "=" .. tostring(values[c] == nil and "__HIVE_DEFAULT_PARTITION__" or values[c]) end
      pk = #pcols > 0 and table.concat(key, "/") or ""
      parts_key_cache[values] = pk
    end
    local row = { index = i, size = size, partition = pk, values = values, num_records = nrec,
      dv = has_dv, deleted = deleted, has_stats = has_stats,
      deleted_ratio = (nrec and nrec > 0) and deleted / nrec or (deleted > 0 and 1 or 0) }
    rows[#rows + 1] = row
    local p = parts[pk]
    if not p then
      p = { key = pk, files = 0, bytes = 0, sizes = {}, rows = {} }
      parts[pk] = p
      order[#order + 1] = p
    end
    p.files, p.bytes = p.files + 1, p.bytes + size
    p.sizes[#p.sizes + 1] = size
    p.rows[#p.rows + 1] = row
  end
  table.sort(order, function(a, b) return a.key < b.key end)
  return rows, order
end

-- What OPTIMIZE (bin-packing) would do to one partition's files. opts: max_file_size (bin
-- capacity and target), min_file_size (files under it are candidates), max_deleted_ratio (files
-- whose deletion vectors delete more are candidates too). Candidates are packed in size order
-- into bins up to max_file_size; a bin of one file is dropped (nothing to merge).
function M.optimize_partition(rows, opts)
  local cand = {}
  for _, r in ipairs(rows) do
    if r.size < opts.min_file_size or (r.deleted_ratio or 0) > opts.max_deleted_ratio then cand[#cand + 1] = r end
  end
  table.sort(cand, function(a, b) return a.size < b.size end)
  local bins, cur, cur_bytes = {}, {}, 0
  for _, r in ipairs(cand) do
    if #cur > 0 and cur_bytes + r.size > opts.max_file_size then
      bins[#bins + 1] = { files = cur, bytes = cur_bytes }
      cur, cur_bytes = {}, 0
    end
    cur[#cur + 1] = r
    cur_bytes = cur_bytes + r.size
  end
  if #cur > 0 then bins[#bins + 1] = { files = cur, bytes = cur_bytes } end
  local out = { files_before = #rows, rewritten = 0, bytes_rewritten = 0, bins = 0, lone_dv = {} }
  for _, b in ipairs(bins) do
    if #b.files > 1 then
      out.bins = out.bins + 1
      out.rewritten = out.rewritten + #b.files
      out.bytes_rewritten = out.bytes_rewritten + b.bytes
    elseif b.files[1].dv and b.files[1].deleted_ratio > opts.max_deleted_ratio then
      out.lone_dv[#out.lone_dv + 1] = b.files[1]
    end
  end
  out.files_after = #rows - out.rewritten + out.bins
  return out
end

-- OPTIMIZE over every partition: totals plus the partitions it changes most.
function M.optimize(parts, opts)
  local t = { files_before = 0, files_after = 0, rewritten = 0, bytes_rewritten = 0, partitions_changed = 0,
    lone_dv_files = 0, lone_dv = {}, top = {} }
  for _, p in ipairs(parts) do
    local r = M.optimize_partition(p.rows, opts)
    t.files_before = t.files_before + r.files_before
    t.files_after = t.files_after + r.files_after
    t.rewritten = t.rewritten + r.rewritten
    t.bytes_rewritten = t.bytes_rewritten + r.bytes_rewritten
    if r.rewritten > 0 then
      t.partitions_changed = t.partitions_changed + 1
      t.top[#t.top + 1] = { partition = p.key, files_before = r.files_before, files_after = r.files_after,
        bytes = p.bytes, median_file_bytes = median(p.sizes) }
    end
    for _, f in ipairs(r.lone_dv) do
      t.lone_dv_files = t.lone_dv_files + 1
      if #t.lone_dv < 10 then t.lone_dv[#t.lone_dv + 1] = { partition = p.key, index = f.index, deleted_ratio = f.deleted_ratio } end
    end
  end
  table.sort(t.top, function(a, b) return a.files_before - a.files_after > b.files_before - b.files_after end)
  while #t.top > 10 do t.top[#t.top] = nil end
  return t
end

-- Comparison of a statistic with a literal: numbers as numbers, else as strings.
local function cmp(a, b)
  local x, y = tonumber(a), tonumber(b)
  if x and y then return x < y and -1 or (x > y and 1 or 0) end
  a, b = tostring(a), tostring(b)
  return a < b and -1 or (a > b and 1 or 0)
end
M.cmp = cmp

-- Can a file whose column lies in [lo, hi] be skipped for predicate p? nil bounds: never.
function M.can_skip(p, lo, hi)
  if lo == nil or hi == nil or type(lo) == "table" or type(hi) == "table" then return false end
  local v = p.value
  if p.op == "=" then return cmp(v, lo) < 0 or cmp(v, hi) > 0
  elseif p.op == ">" then return cmp(hi, v) <= 0
  elseif p.op == ">=" then return cmp(hi, v) < 0
  elseif p.op == "<" then return cmp(lo, v) >= 0
  elseif p.op == "<=" then return cmp(lo, v) > 0
  elseif p.op == "in" then
    for _, x in ipairs(p.values or {}) do if cmp(x, lo) >= 0 and cmp(x, hi) <= 0 then return false end end
    return #(p.values or {}) > 0
  elseif p.op == "startswith" then
    local pre = tostring(v)
    return tostring(hi):sub(1, #pre) < pre or tostring(lo):sub(1, #pre) > pre
  end
  return false
end

-- Files and bytes the min/max statistics (or partition values) let a reader skip for p. A
-- file without a statistic for the column is always read.
function M.skipping(snap, rows, p, stats_cache)
  local is_part = false
  for _, c in ipairs(snap.partition_columns) do if c == p.column then is_part = true end end
  local r = { predicate = p.text or (p.column .. " " .. p.op .. " " .. tostring(p.value)), column = p.column,
    partition_column = is_part, files = #rows, bytes = 0, files_skipped = 0, bytes_skipped = 0, files_without_stats = 0 }
  for _, f in ipairs(rows) do
    r.bytes = r.bytes + f.size
    local lo, hi
    if is_part then
      lo = f.values[p.column]
      hi = lo
    else
      local st = stats_cache[f.index]
      if st == nil then
        st = snap:file_stats(f.index) or false
        stats_cache[f.index] = st
      end
      if st then lo, hi = st.min[p.column], st.max[p.column] end
    end
    if lo == nil or hi == nil then
      if not is_part then r.files_without_stats = r.files_without_stats + 1 end
    elseif M.can_skip(p, lo, hi) then
      r.files_skipped = r.files_skipped + 1
      r.bytes_skipped = r.bytes_skipped + f.size
    end
  end
  r.files_read = r.files - r.files_skipped
  r.bytes_read = r.bytes - r.bytes_skipped
  return r
end

-- Columns that have statistics: dataSkippingStatsColumns when set, else the first
-- dataSkippingNumIndexedCols (default 32) leaf columns of the schema.
function M.stats_columns(snap)
  local set, conf = {}, snap.configuration
  local listed = conf["delta.dataSkippingStatsColumns"]
  if listed then
    for c in tostring(listed):gmatch("[^,%s]+") do set[(c:gsub("`", ""))] = true end
    return set
  end
  local n = tonumber(conf["delta.dataSkippingNumIndexedCols"] or 32) or 32
  for i, c in ipairs(snap.columns.list) do
    if n < 0 or i <= n then set[c.name] = true end
  end
  return set
end

-- Rank clustering columns from scans: weight = bytes scanned by scans filtering on the column
-- (files' bytes when the log has no size metric). Partition columns and columns without
-- statistics are left out (reported as such); at most `limit` columns.
function M.rank_columns(snap, scans, limit)
  local parts, stats = {}, M.stats_columns(snap)
  for _, c in ipairs(snap.partition_columns) do parts[c] = true end
  local weight, count, excluded = {}, {}, {}
  for _, s in ipairs(scans) do
    local cols = {}
    for _, p in ipairs(s.pushed) do if p.op ~= "isnotnull" then cols[p.column] = true end end
    for c in pairs(s.data_columns) do cols[c] = true end
    for c in pairs(cols) do
      if parts[c] or s.partition_columns[c] then excluded[c] = "partition column"
      elseif not stats[c] then excluded[c] = "no statistics (outside dataSkippingNumIndexedCols / dataSkippingStatsColumns)"
      else
        weight[c] = (weight[c] or 0) + (s.bytes_read or snap.bytes)
        count[c] = (count[c] or 0) + 1
      end
    end
  end
  local ranked = {}
  for c, w in pairs(weight) do ranked[#ranked + 1] = { column = c, bytes_scanned = w, scans = count[c] } end
  table.sort(ranked, function(a, b)
    if a.bytes_scanned ~= b.bytes_scanned then return a.bytes_scanned > b.bytes_scanned end
    if a.scans ~= b.scans then return a.scans > b.scans end
    return a.column < b.column
  end)
  while #ranked > (limit or 4) do ranked[#ranked] = nil end
  local ex = {}
  for c, why in pairs(excluded) do ex[#ex + 1] = { column = c, reason = why } end
  table.sort(ex, function(a, b) return a.column < b.column end)
  return ranked, ex
end

-- Existing clustering: liquid (delta.liquid domain) and the last OPTIMIZE ZORDER BY seen.
function M.existing_clustering(snap)
  for _, d in ipairs(snap.domains) do
    if d.domain == "delta.liquid" then
      local conf = d.parsed
      local cols = {}
      for _, c in ipairs(type(conf) == "table" and conf.clusteringColumns or {}) do
        -- OSS Delta writes [["a","b"]] (a column path); some writers {"physicalName":["a"]}
        local parts = type(c) == "table" and (c.physicalName or c) or { tostring(c) }
        local name = type(parts) == "table" and table.concat(parts, ".") or tostring(parts)
        cols[#cols + 1] = snap.columns.by_physical[name] or name
      end
      return { kind = "liquid", columns = cols }
    end
  end
  return nil
end

-- Delta interval strings ("interval 7 days", "168 hours") in ms; nil when unreadable.
function M.interval_ms(s)
  if type(s) ~= "string" then return nil end
  local n, unit = s:lower():gsub("^interval%s+", ""):match("^(%d+%.?%d*)%s*(%a+)")
  n = tonumber(n)
  if not n then return nil end
  local per = { millisecond = 1, milliseconds = 1, second = 1e3, seconds = 1e3, minute = 6e4, minutes = 6e4,
    hour = 3.6e6, hours = 3.6e6, day = 8.64e7, days = 8.64e7, week = 6.048e8, weeks = 6.048e8 }
  return per[unit] and n * per[unit] or nil
end

-- Tombstones VACUUM could delete at retention_ms before now_ms: { files, bytes, unknown_size, newest_ms }.
function M.vacuum(snap, retention_ms, now_ms)
  local r = { files = 0, bytes = 0, unknown_size = 0, kept = 0, cutoff_ms = now_ms and (now_ms - retention_ms) or nil }
  if not now_ms then return r end
  for _, t in snap:each_tombstone() do
    if t.deletion_ms and t.deletion_ms < r.cutoff_ms then
      r.files = r.files + 1
      if t.size then r.bytes = r.bytes + t.size else r.unknown_size = r.unknown_size + 1 end
    else r.kept = r.kept + 1 end
  end
  return r
end

return M
