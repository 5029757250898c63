-- Hive metastore table rules (agent "metastore", entities: the tables the application's SQL
-- scans read, prepared by scripts/agents/metastore.lua from the metastore and the scans). Every
-- finding's evidence has both sides: `metastore` (what TABLE_PARAMS, PARTITION_PARAMS, SDS and
-- the column statistics say) and `job` (what the scans read: files, bytes, partitions, time).
-- Thresholds are overridden like any rule's (--set rule.metastore.small_files.small_file_size=...).
-- What each finding means: docs/sources.md "Hive metastore".
local A = require "lib.analysis.metastore"

local MIB, GIB, DAY = A.MIB, A.GIB, 86400000

local function size(b)
  if not b then return "unknown" end
  if b >= GIB then return string.format("%.2f GiB", b / GIB) end
  if b >= MIB then return string.format("%.1f MiB", b / MIB) end
  return string.format("%.1f KiB", b / 1024)
end

local function read_text(e)
  local j = e.job
  local parts = { string.format("%d scan(s)", j.scans) }
  if j.files_read then parts[#parts + 1] = string.format("%d files", j.files_read) end
  if j.bytes_read then parts[#parts + 1] = size(j.bytes_read) end
  if j.partitions_read then parts[#parts + 1] = string.format("%d partitions", j.partitions_read) end
  return "the job read it in " .. table.concat(parts, ", ")
end

local ROW_FORMATS = { text = true, csv = true, json = true, sequencefile = true }

return {
  agent = "metastore",
  api = 1,
  rules = {
    {
      id = "metastore.small_files",
      title = "Table of small files: every scan pays a per-file cost",
      severity = "medium",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      -- 32 MiB: a quarter of spark.sql.files.maxPartitionBytes' default (128 MiB), below which
      -- opening a file (spark.sql.files.openCostInBytes, 4 MiB) is a large share of reading it.
      thresholds = { small_file_size = 32 * MIB, min_files = 50 },
      when = function(t, ctx)
        local th = ctx.thresholds
        if not (t.files and t.bytes and t.avg_file_bytes) then return nil end
        if t.files < th.min_files or t.avg_file_bytes >= th.small_file_size then return nil end
        local small, worst = 0, {}
        for _, p in ipairs(t.partitions) do
          if p.files and p.files > 1 and p.bytes and p.bytes / p.files < th.small_file_size then
            small = small + 1
            worst[#worst + 1] = { partition = p.name, files = p.files, bytes = p.bytes, avg_file_bytes = p.bytes / p.files }
          end
        end
        table.sort(worst, function(a, b) if a.files ~= b.files then return a.files > b.files end return a.partition < b.partition end)
        for i = #worst, 4, -1 do worst[i] = nil end
        return {
          table = t.key,
          metastore = { files = t.files, bytes = t.bytes, avg_file_bytes = t.avg_file_bytes, partitions = t.partitions_total,
            partitions_listed = t.partitions_truncated and #t.partitions or nil, small_file_partitions = t.partitioned and small or nil, worst_partitions = #worst > 0 and worst or nil },
          job = A.job_evidence(t), small_file_size = th.small_file_size,
        }
      end,
      advice = function(e)
        local m = e.metastore
        return string.format("%s holds %d files of %s on average (%s in all)%s; %s. Compact it into files of " ..
          "128 MiB to 1 GiB: rewrite it (INSERT OVERWRITE ... SELECT, with DISTRIBUTE BY the partition columns so each " ..
          "partition is written by few tasks), or convert it to Delta and run OPTIMIZE.", e.table, m.files,
          size(m.avg_file_bytes), size(m.bytes),
          m.small_file_partitions and string.format(", in %d of %d partitions", m.small_file_partitions, m.partitions) or "",
          e.job.avg_read_file_bytes and string.format("the job read %d files of %s on average", e.job.files_read,
            size(e.job.avg_read_file_bytes)) or "the job scanned it")
      end,
    },
    {
      id = "metastore.partition_count",
      title = "Table over-partitioned: many small partitions",
      severity = "medium",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      thresholds = { max_partitions = 10000, min_partitions = 100, small_partition_size = 128 * MIB },
      when = function(t, ctx)
        local th = ctx.thresholds
        local n = t.partitions_total
        if not t.partitioned or n < th.min_partitions then return nil end
        local med = A.median(t.partition_sizes)
        local too_many = n > th.max_partitions
        local too_small = med ~= nil and med < th.small_partition_size
        if not too_many and not too_small then return nil end
        return { table = t.key,
          metastore = { partitions = n, partition_keys = t.partition_keys, median_partition_bytes = med, bytes = t.bytes,
            partitions_listed = t.partitions_truncated and #t.partitions or nil },
          job = A.job_evidence(t), too_many = too_many or nil, too_small = too_small or nil,
          max_partitions = th.max_partitions, small_partition_size = th.small_partition_size }
      end,
      advice = function(e)
        local m = e.metastore
        return string.format("%s has %d partitions by (%s), the median holding %s; %s. Listing and planning cost grows " ..
          "with every partition and small partitions mean small files: partition by a coarser key (a day instead of an " ..
          "hour, or drop a high-cardinality key) so partitions hold 1 GiB or more.", e.table, m.partitions,
          table.concat(m.partition_keys, ", "), size(m.median_partition_bytes),
          e.job.partitions_read and string.format("the job read %d of them", e.job.partitions_read) or "the job scanned it")
      end,
    },
    {
      id = "metastore.partition_skew",
      title = "Partition sizes skewed: one partition dwarfs the others",
      severity = "medium",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      thresholds = { min_partitions = 4, max_over_median = 10, min_largest_size = GIB },
      when = function(t, ctx)
        local th = ctx.thresholds
        if #t.partition_sizes < th.min_partitions then return nil end
        local largest
        for _, p in ipairs(t.partitions) do
          if p.bytes and (not largest or p.bytes > largest.bytes) then largest = p end
        end
        local med = A.median(t.partition_sizes)
        if not largest or largest.bytes < th.min_largest_size then return nil end
        local ratio = largest.bytes / math.max(med or 0, 1)
        if ratio < th.max_over_median then return nil end
        return { table = t.key,
          metastore = { partitions = t.partitions_total, largest_partition = largest.name, largest_bytes = largest.bytes,
            largest_files = largest.files, median_partition_bytes = med, ratio = ratio,
            largest_share = t.bytes and t.bytes > 0 and largest.bytes / t.bytes or nil },
          job = A.job_evidence(t) }
      end,
      advice = function(e, ctx)
        local m = e.metastore
        ctx.setting("spark.sql.adaptive.skewJoin.enabled", "true", "split the oversized partition's tasks when it is joined")
        return string.format("Partition %s of %s holds %s, %.0fx the median partition (%s); %s. Tasks reading it run " ..
          "far longer than the rest: add a sub-partition or bucketing key for that value, or salt the key.",
          m.largest_partition, e.table, size(m.largest_bytes), m.ratio, size(m.median_partition_bytes), read_text(e))
      end,
    },
    {
      id = "metastore.missing_stats",
      title = "Table without statistics: Spark plans its joins blind",
      severity = "medium",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      -- max_missing_share: partitions without a row count tolerated before the table counts as
      -- without statistics; require_column_stats = 0 reports missing row counts only.
      thresholds = { max_missing_share = 0.5, require_column_stats = 1 },
      when = function(t, ctx)
        local th = ctx.thresholds
        local missing = {}
        local n = #t.partitions
        if t.partitioned and n > 0 then
          local share = (n - t.partitions_with_rows) / n
          if share > th.max_missing_share then
            missing[#missing + 1] = string.format("row counts of %d of %d partitions", n - t.partitions_with_rows, n)
          end
        elseif not t.rows then
          missing[#missing + 1] = "row count (numRows, spark.sql.statistics.numRows)"
        end
        local has_cols = #(t.column_stats or {}) > 0 or #t.spark_column_stats > 0
        if not has_cols then
          for _, p in ipairs(t.partitions) do if p.stats_analyzed_ms then has_cols = true break end end
        end
        if not has_cols and th.require_column_stats ~= 0 then missing[#missing + 1] = "column statistics" end
        if #missing == 0 then return nil end
        return { table = t.key, missing = missing,
          metastore = { rows = t.rows, bytes = t.bytes, partitions = n, partitions_with_rows = t.partitioned and t.partitions_with_rows or nil,
            column_stats = #(t.column_stats or {}), spark_column_stats = #t.spark_column_stats,
            stats_accurate = t.stats_accurate },
          job = A.job_evidence(t) }
      end,
      advice = function(e)
        local cols = e.metastore.column_stats == 0 and e.metastore.spark_column_stats == 0
        return string.format("%s has no %s; %s%s. Without them Spark estimates sizes from files only and cannot " ..
          "reorder joins or pick broadcasts well: run ANALYZE TABLE %s COMPUTE STATISTICS%s after each load.",
          e.table, table.concat(e.missing, " and no "), read_text(e),
          (e.job.joins or 0) > 0 and string.format(" and joined it (%d join operators in the same queries)", e.job.joins) or "",
          e.table, cols and " FOR ALL COLUMNS" or "")
      end,
    },
    {
      id = "metastore.stale_stats",
      title = "Table statistics are stale: the data changed after they were taken",
      severity = "low",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      thresholds = { max_size_drift = 0.2, max_age_days = 1 },
      when = function(t, ctx)
        local th = ctx.thresholds
        local reasons = {}
        local function drift(a, b) return a and b and math.abs(a - b) / math.max(a, b, 1) or 0 end
        if drift(t.spark_size, t.hive_size) > th.max_size_drift then
          reasons[#reasons + 1] = string.format("Spark's statistics say %s, the table's totalSize %s",
            size(t.spark_size), size(t.hive_size))
        end
        -- a scan of an unpartitioned table reads all of it: what it read is the truth
        local j = t.job
        if not t.partitioned and t.bytes and j.bytes_read and #j.partition_filters == 0 and drift(t.bytes, j.bytes_read / j.scans) > th.max_size_drift then
          reasons[#reasons + 1] = string.format("the statistics say %s, a full scan by the job read %s",
            size(t.bytes), size(j.bytes_read / j.scans))
        end
        local analyzed = t.column_stats_analyzed_ms
        local changed = t.partitioned and t.newest_partition_ms or t.ddl_ms
        if analyzed and changed and changed - analyzed > th.max_age_days * DAY then
          reasons[#reasons + 1] = string.format("column statistics were taken %.1f days before the last data change",
            (changed - analyzed) / DAY)
        end
        -- partitions rewritten (last DDL) well after their own column statistics were taken
        local rewritten, example = 0, nil
        for _, p in ipairs(t.partitions) do
          if p.stats_analyzed_ms and p.ddl_ms and p.ddl_ms - p.stats_analyzed_ms > th.max_age_days * DAY then
            rewritten = rewritten + 1
            example = example or p.name
          end
        end
        if rewritten > 0 then
          reasons[#reasons + 1] = string.format("%d partition(s) changed more than %g day(s) after their column " ..
            "statistics were taken (first: %s)", rewritten, th.max_age_days, example)
        end
        local acc = t.stats_accurate
        if acc and not acc:find('"BASIC_STATS"%s*:%s*"true"') then
          reasons[#reasons + 1] = "Hive marks the basic statistics inaccurate (COLUMN_STATS_ACCURATE " .. acc .. ")"
        end
        if #reasons == 0 then return nil end
        return { table = t.key, reasons = reasons,
          metastore = { bytes = t.bytes, spark_size = t.spark_size, hive_size = t.hive_size,
            column_stats_analyzed_ms = analyzed, last_change_ms = changed, stats_accurate = acc },
          job = A.job_evidence(t) }
      end,
      advice = function(e)
        return string.format("Statistics of %s are out of date: %s. Spark's plan (join order, broadcasts) follows " ..
          "them: re-run ANALYZE TABLE %s COMPUTE STATISTICS FOR ALL COLUMNS after loads, or set " ..
          "spark.sql.statistics.size.autoUpdate.enabled=true in the writing job.", e.table, table.concat(e.reasons, "; "), e.table)
      end,
    },
    {
      id = "metastore.file_format",
      title = "Table stored as row-oriented text: the job reads every byte",
      severity = "medium",
      applies_to = "table",
      group = false, -- one finding per table: each has its own figures and its own fix
      thresholds = { min_bytes = 0 },
      when = function(t, ctx)
        if not ROW_FORMATS[t.format.kind] then return nil end
        local read = t.job.bytes_read or t.bytes or 0
        if read < ctx.thresholds.min_bytes then return nil end
        return { table = t.key, format = t.format.kind,
          metastore = { input_format = t.format.input_format, serde = t.format.serde, provider = t.format.provider,
            bytes = t.bytes, files = t.files },
          job = A.job_evidence(t) }
      end,
      advice = function(e)
        return string.format("%s is stored as %s (%s); %s. Text formats cannot skip columns or row groups, carry no " ..
          "statistics for pruning and are parsed row by row: rewrite it as Parquet, ORC or Delta (CREATE TABLE ... " ..
          "USING parquet AS SELECT * FROM %s) and point readers at the new table.", e.table, e.format,
          e.metastore.serde or e.metastore.input_format or e.metastore.provider or "?", read_text({ job = e.job }), e.table)
      end,
    },
  },
}
