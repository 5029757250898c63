-- Delta Lake table rules (agent "delta", entities: the tables prepared by
-- scripts/agents/delta.lua). Every threshold can be overridden like any rule's
-- (--set rule.delta.small_files.max_file_size=268435456, or a sic.lua config). What each
-- finding means and where its defaults come from: docs/delta.md.
local A = require "lib.analysis.delta"
local catalogue = require "pricing.catalogue"

local GIB, MIB = A.GIB, A.MIB
local HOUR, DAY = 3600000, 86400000

local function gib(b) return string.format("%.2f GiB", (b or 0) / GIB) end
-- Bytes with a unit that keeps small figures readable (KiB tables are common in tests).
local function mib(b)
  b = b or 0
  if b < MIB then return string.format("%.1f KiB", b / 1024) end
  return string.format("%.1f MiB", b / MIB)
end
-- Any size: GiB from 1 GiB up, else MiB or KiB.
local function size(b)
  if (b or 0) >= GIB then return gib(b) end
  return mib(b)
end

local function quoted(t) return "`" .. (t.name or t.key) .. "`" end
local function delta_path(t) return "delta.`" .. t.snap.location .. "`" end

local function has_feature(snap, f)
  for _, x in ipairs(snap.protocol.writer_features) do if x == f then return true end end
  return false
end

-- USD per core-hour of the default compute entry (scan time saved is priced with it).
local function core_hour_usd(key)
  local e = catalogue.entries[key or catalogue.default]
  return e and e.usd_per_hour / e.vcpus or nil
end

-- Distinct predicates the table's scans applied (not IsNotNull, not inside Or/Not), with the
-- scans that applied each and what those scans read.
local function predicates(t)
  local by, order = {}, {}
  for _, s in ipairs(t.scans) do
    for _, p in ipairs(s.pushed) do
      if p.op ~= "isnotnull" and p.op ~= "other" and p.op ~= "isnull" then
        local k = p.text
        local e = by[k]
        if not e then
          e = { p = p, scans = 0, files_read = 0, bytes_read = 0, scan_time_ms = 0, metrics = false }
          by[k] = e
          order[#order + 1] = k
        end
        e.scans = e.scans + 1
        if s.files_read then e.files_read, e.metrics = e.files_read + s.files_read, true end
        if s.bytes_read then e.bytes_read = e.bytes_read + s.bytes_read end
        if s.scan_time_ms then e.scan_time_ms = e.scan_time_ms + s.scan_time_ms end
      end
    end
  end
  table.sort(order)
  local out = {}
  for _, k in ipairs(order) do out[#out + 1] = by[k] end
  return out
end

return {
  agent = "delta",
  rules = {
    {
      id = "delta.small_files",
      title = "Delta table of small files: OPTIMIZE would compact them",
      severity = "medium",
      applies_to = "table",
      -- Delta's OPTIMIZE defaults (spark.databricks.delta.optimize.maxFileSize / minFileSize,
      -- maxDeletedRowsRatio) and delta-rs' default target (delta.targetFileSize, 100 MiB).
      thresholds = { max_file_size = GIB, min_file_size = GIB, max_deleted_rows_ratio = 0.05,
        delta_rs_target_size = 100 * MIB, min_files_removed = 10, min_share_removed = 0.1 },
      when = function(t, ctx)
        local th = ctx.thresholds
        local opt = A.optimize(t.partitions, { max_file_size = th.max_file_size, min_file_size = th.min_file_size,
          max_deleted_ratio = th.max_deleted_rows_ratio })
        local removed = opt.files_before - opt.files_after
        if removed < th.min_files_removed or removed < th.min_share_removed * opt.files_before then return nil end
        local rs = A.optimize(t.partitions, { max_file_size = th.delta_rs_target_size, min_file_size = th.delta_rs_target_size,
          max_deleted_ratio = th.max_deleted_rows_ratio })
        local sizes, small = {}, 0
        for i, r in ipairs(t.rows) do
          sizes[i] = r.size
          if r.size < th.min_file_size then small = small + 1 end
        end
        return { table = t.key, files = #t.rows, bytes = t.snap.bytes, median_file_bytes = A.median(sizes),
          small_files = small, partitions = #t.partitions, partitions_changed = opt.partitions_changed,
          optimize = { files_before = opt.files_before, files_after = opt.files_after, files_rewritten = opt.rewritten,
            bytes_rewritten = opt.bytes_rewritten, max_file_size = th.max_file_size, min_file_size = th.min_file_size },
          delta_rs = { files_before = rs.files_before, files_after = rs.files_after, files_rewritten = rs.rewritten,
            bytes_rewritten = rs.bytes_rewritten, target_size = th.delta_rs_target_size },
          by_partition = opt.top }
      end,
      advice = function(e, ctx)
        return string.format("%d files (median %s) in %d partition(s): OPTIMIZE under Delta's defaults (bins up to %s of files " ..
          "under %s) would rewrite %d files (%s) into %d, leaving %d files; delta-rs' compaction to %s would leave %d " ..
          "(rewriting %s). Run `OPTIMIZE %s` (Spark/Databricks) or `DeltaTable(...).optimize.compact()` (delta-rs), " ..
          "then VACUUM once the retention has passed.",
          e.files, mib(e.median_file_bytes), e.partitions, gib(e.optimize.max_file_size), gib(e.optimize.min_file_size),
          e.optimize.files_rewritten, size(e.optimize.bytes_rewritten), e.optimize.files_rewritten - (e.optimize.files_before - e.optimize.files_after),
          e.optimize.files_after, mib(e.delta_rs.target_size), e.delta_rs.files_after, size(e.delta_rs.bytes_rewritten), e.table)
      end,
    },
    {
      id = "delta.over_partitioned",
      title = "Delta table over-partitioned: partitions far under 1 GiB",
      severity = "medium",
      applies_to = "table",
      thresholds = { small_partition_bytes = GIB, min_partitions = 10, min_small_share = 0.8 },
      when = function(t, ctx)
        local th = ctx.thresholds
        local pc = t.snap.partition_columns
        if #pc == 0 or #t.partitions < th.min_partitions then return nil end
        local small, single, bytes = 0, 0, {}
        for i, p in ipairs(t.partitions) do
          bytes[i] = p.bytes
          if p.bytes < th.small_partition_bytes then small = small + 1 end
          if p.files == 1 then single = single + 1 end
        end
        if small < th.min_small_share * #t.partitions then return nil end
        return { table = t.key, partition_columns = pc, partitions = #t.partitions, small_partitions = small,
          single_file_partitions = single, median_partition_bytes = A.median(bytes), small_partition_bytes = th.small_partition_bytes }
      end,
      advice = function(e)
        return string.format("%d of %d partitions (by %s) hold under %s (median %s); %d hold a single file, where OPTIMIZE " ..
          "cannot merge anything. Partition by a coarser column or not at all, and cluster instead (liquid clustering: " ..
          "`CLUSTER BY (%s)`, which upgrades the protocol - see delta.clustering) so each file is large and data skipping still prunes.",
          e.small_partitions, e.partitions, table.concat(e.partition_columns, ", "), gib(e.small_partition_bytes),
          mib(e.median_partition_bytes), e.single_file_partitions, table.concat(e.partition_columns, ", "))
      end,
    },
    {
      id = "delta.partition_skew",
      title = "Delta table partitions are skewed",
      severity = "low",
      applies_to = "table",
      thresholds = { min_partitions = 4, max_over_median = 10 },
      when = function(t, ctx)
        local th = ctx.thresholds
        if #t.partitions < th.min_partitions then return nil end
        local bytes, biggest = {}, nil
        for i, p in ipairs(t.partitions) do
          bytes[i] = p.bytes
          if not biggest or p.bytes > biggest.bytes then biggest = p end
        end
        local med = A.median(bytes)
        if med <= 0 or biggest.bytes / med < th.max_over_median then return nil end
        return { table = t.key, partitions = #t.partitions, largest_partition = biggest.key, largest_bytes = biggest.bytes,
          median_partition_bytes = med, ratio = biggest.bytes / med }
      end,
      advice = function(e)
        return string.format("Partition %s holds %s, %.0fx the median partition (%s): tasks reading it straggle. Partition " ..
          "by a more even column or cluster instead.", e.largest_partition, mib(e.largest_bytes), e.ratio, mib(e.median_partition_bytes))
      end,
    },
    {
      id = "delta.clustering",
      title = "Cluster (Z-ORDER / liquid) this Delta table by the columns its scans filter on",
      severity = "medium",
      applies_to = "table",
      thresholds = { max_columns = 4, min_scans = 1 },
      when = function(t, ctx)
        if #t.scans < ctx.thresholds.min_scans then return nil end
        local ranked, excluded = A.rank_columns(t.snap, t.scans, ctx.thresholds.max_columns)
        if #ranked == 0 then return nil end
        local existing = A.existing_clustering(t.snap)
        local matches = false
        if existing then
          local want = {}
          for _, r in ipairs(ranked) do want[r.column] = true end
          matches = #existing.columns == #ranked
          for _, c in ipairs(existing.columns) do if not want[c] then matches = false end end
          if matches then return nil end
        end
        local cols = {}
        for i, r in ipairs(ranked) do cols[i] = r.column end
        return { table = t.key, columns = cols, ranking = ranked, excluded = excluded, scans = #t.scans,
          existing = existing, matches_existing = matches,
          protocol_upgrade = not has_feature(t.snap, "clustering"), location = t.snap.location }
      end,
      advice = function(e)
        local cols = table.concat(e.columns, ", ")
        local text = string.format("The %d scan(s) of this table filter most (by bytes scanned) on %s. ", e.scans, cols)
        if e.existing then
          text = text .. string.format("It is clustered by (%s) today, which does not match: `ALTER TABLE delta.`%s` CLUSTER BY (%s)`, then OPTIMIZE. ",
            table.concat(e.existing.columns, ", "), e.location, cols)
        else
          text = text .. string.format("Cluster it by them: `ALTER TABLE delta.`%s` CLUSTER BY (%s)` then `OPTIMIZE` (liquid " ..
            "clustering), or `OPTIMIZE delta.`%s` ZORDER BY (%s)`. ", e.location, cols, e.location, cols)
        end
        if e.protocol_upgrade then
          text = text .. "Warning: liquid clustering adds the writer features clustering and domainMetadata (protocol " ..
            "upgrade): writers that do not support them can no longer write the table; Z-ORDER needs no upgrade."
        end
        return text
      end,
    },
    {
      id = "delta.data_skipping",
      title = "Data skipping on the predicates the scans applied",
      severity = "low",
      applies_to = "table",
      thresholds = { min_scans = 1, instance = catalogue.default },
      when = function(t, ctx)
        if #t.scans < ctx.thresholds.min_scans then return nil end
        local preds = predicates(t)
        if #preds == 0 then return nil end
        local out, saved_bytes, saved_ms = {}, 0, 0
        for _, e in ipairs(preds) do
          local r = A.skipping(t.snap, t.rows, e.p, t.stats_cache)
          r.scans = e.scans
          if e.metrics then
            r.observed_files_read = e.files_read
            r.observed_bytes_read = e.bytes_read
            -- what stats would have skipped beyond what the scans really read, per scan
            local extra = math.max(0, e.bytes_read - r.bytes_read * e.scans)
            r.bytes_skippable_beyond_observed = extra
            if extra > 0 and e.bytes_read > 0 and e.scan_time_ms > 0 then
              local ms = e.scan_time_ms * extra / e.bytes_read
              r.scan_time_saved_ms = ms
              saved_ms = saved_ms + ms
            end
            saved_bytes = saved_bytes + extra
          end
          out[#out + 1] = r
        end
        local usd = core_hour_usd(ctx.thresholds.instance)
        return { table = t.key, predicates = out, bytes_skippable_beyond_observed = saved_bytes, scan_time_saved_ms = saved_ms,
          usd_saved = usd and saved_ms / HOUR * usd or nil, pricing_entry = ctx.thresholds.instance }
      end,
      advice = function(e)
        local parts = {}
        for _, r in ipairs(e.predicates) do
          local obs = r.observed_files_read and string.format("; its %d scan(s) in the log read %d files (%s)", r.scans,
            r.observed_files_read, mib(r.observed_bytes_read)) or ""
          parts[#parts + 1] = string.format("%s: min/max statistics skip %d of %d files (%s of %s)%s%s", r.predicate, r.files_skipped,
            r.files, mib(r.bytes_skipped), mib(r.bytes), r.files_without_stats > 0 and
            string.format(", %d files have no statistic for %s and are always read", r.files_without_stats, r.column) or "", obs)
        end
        local tail = e.scan_time_saved_ms > 0 and string.format(" Reading only what the statistics allow would save about %.1f s of " ..
          "scan time per run of these scans%s.", e.scan_time_saved_ms / 1000, e.usd_saved and string.format(" ($%.4f at %s)", e.usd_saved, e.pricing_entry) or "") or ""
        return table.concat(parts, "; ") .. "." .. tail
      end,
      impact = function(e) return { saving_ms = 0, core_ms = e.scan_time_saved_ms, usd = e.usd_saved,
        method = "scan time of the scans x bytes the statistics would skip beyond those read / bytes read (core time)" } end,
    },
    {
      id = "delta.vacuum",
      title = "VACUUM would reclaim removed files",
      severity = "low",
      applies_to = "table",
      -- retention_hours 0: the table's delta.deletedFileRetentionDuration (default 7 days);
      -- never below 168 hours, whatever is set.
      thresholds = { retention_hours = 0, min_retention_hours = 168, min_files = 1, storage = catalogue.storage.default },
      when = function(t, ctx)
        local th = ctx.thresholds
        local table_ms = A.interval_ms(t.snap.configuration["delta.deletedFileRetentionDuration"]) or 7 * DAY
        local ms = th.retention_hours > 0 and th.retention_hours * HOUR or table_ms
        local floor = math.max(168, th.min_retention_hours) * HOUR
        local clamped = ms < floor
        if clamped then ms = floor end
        local now = t.now_ms
        if not now then return nil end
        local v = A.vacuum(t.snap, ms, now)
        if v.files < th.min_files then return nil end
        local price = catalogue.storage.entries[th.storage]
        return { table = t.key, location = t.snap.location, tombstones = t.snap.tombstones, reclaimable_files = v.files,
          reclaimable_bytes = v.bytes, files_of_unknown_size = v.unknown_size, retained = v.kept,
          retention_hours = ms / HOUR, table_retention_hours = table_ms / HOUR, retention_clamped = clamped,
          now_ms = now, cutoff_ms = v.cutoff_ms, storage_entry = th.storage,
          usd_per_month = price and v.bytes / GIB * price.usd_per_gib_month or nil }
      end,
      advice = function(e)
        return string.format("%d removed file(s) (%s%s) were deleted from the table more than %d hours before %s and can be " ..
          "removed from storage: `VACUUM delta.`%s` RETAIN %d HOURS`%s.%s",
          e.reclaimable_files, size(e.reclaimable_bytes), e.files_of_unknown_size > 0 and string.format(", %d of unknown size", e.files_of_unknown_size) or "",
          e.retention_hours, os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(e.now_ms / 1000)), e.location, e.retention_hours,
          e.usd_per_month and string.format(", about $%.4f a month of storage at %s", e.usd_per_month, e.storage_entry) or "",
          e.retention_clamped and " (A retention under 168 hours was asked for: it is not recommended, since readers and " ..
          "writers still running may need the files; 168 is used.)" or "")
      end,
      impact = function(e) return { saving_ms = 0, usd_per_month = e.usd_per_month, method = "reclaimable bytes x storage price per GiB-month" } end,
    },
    {
      id = "delta.checkpoint_lag",
      title = "Many commits since the last Delta checkpoint",
      severity = "low",
      applies_to = "table",
      -- interval 0: the table's delta.checkpointInterval (Spark's default 10); delta-rs
      -- checkpoints every 100 commits by default.
      thresholds = { interval = 0, delta_rs_interval = 100 },
      when = function(t, ctx)
        local snap = t.snap
        local interval = ctx.thresholds.interval > 0 and ctx.thresholds.interval or tonumber(snap.configuration["delta.checkpointInterval"]) or 10
        if snap.log_tail <= interval then return nil end
        return { table = t.key, checkpoint_version = snap.checkpoint.version, checkpoint_kind = snap.checkpoint.kind,
          commits_since_checkpoint = snap.log_tail, interval = interval, delta_rs_interval = ctx.thresholds.delta_rs_interval,
          version = snap.version, commit_files = snap.commit_files }
      end,
      advice = function(e)
        return string.format("%d commits since %s (interval %d; delta-rs writes one every %d): every reader replays them " ..
          "as JSON. Write a checkpoint (Spark does at the next commit past the interval; delta-rs: `create_checkpoint()`) or " ..
          "check why checkpoints are not written.", e.commits_since_checkpoint,
          e.checkpoint_version and ("checkpoint " .. e.checkpoint_version) or "the start of the log (no checkpoint)", e.interval,
          e.delta_rs_interval)
      end,
    },
    {
      id = "delta.log_retention",
      title = "Long Delta log kept",
      severity = "info",
      applies_to = "table",
      -- Delta cleans up log entries older than delta.logRetentionDuration (default 30 days)
      -- when it writes a checkpoint; a log that keeps growing means no cleanup happens.
      thresholds = { max_commit_files = 1000 },
      when = function(t, ctx)
        local snap = t.snap
        if snap.commit_files <= ctx.thresholds.max_commit_files then return nil end
        local conf = snap.configuration
        return { table = t.key, commit_files = snap.commit_files, oldest_version = snap.oldest_version,
          version = snap.version, checkpoints = snap.checkpoints,
          log_retention = conf["delta.logRetentionDuration"] or "interval 30 days (default)",
          deleted_file_retention = conf["delta.deletedFileRetentionDuration"] or "interval 7 days (default)",
          cleanup_disabled = conf["delta.enableExpiredLogCleanup"] == "false" }
      end,
      advice = function(e)
        return string.format("%d JSON commits are kept (versions %s..%d, %d checkpoint version(s)). Log entries older than " ..
          "delta.logRetentionDuration (%s) are removed when a checkpoint is written%s; keep it at least as long as " ..
          "delta.deletedFileRetentionDuration (%s) so time travel and VACUUM agree.", e.commit_files, tostring(e.oldest_version),
          e.version, e.checkpoints, e.log_retention, e.cleanup_disabled and " - but delta.enableExpiredLogCleanup is false here" or "",
          e.deleted_file_retention)
      end,
    },
    {
      id = "delta.deletion_vectors",
      title = "Deletion vectors hide many deleted rows",
      severity = "low",
      applies_to = "table",
      thresholds = { max_deleted_rows_ratio = 0.05 },
      when = function(t, ctx)
        local snap = t.snap
        if snap.dv_files == 0 then return nil end
        local over, lone, parts = 0, {}, {}
        for _, p in ipairs(t.partitions) do
          local dv_over = {}
          for _, r in ipairs(p.rows) do if r.dv and r.deleted_ratio > ctx.thresholds.max_deleted_rows_ratio then dv_over[#dv_over + 1] = r end end
          over = over + #dv_over
          -- OPTIMIZE merges a DV file only together with another candidate: a lone one stays
          if #dv_over == 1 and p.files == 1 then lone[#lone + 1] = p.key end
        end
        if over == 0 then return nil end
        return { table = t.key, files_with_dv = snap.dv_files, deleted_rows = snap.dv_rows, rows = snap.rows,
          files_over_ratio = over, max_deleted_rows_ratio = ctx.thresholds.max_deleted_rows_ratio,
          lone_partitions = lone, location = snap.location }
      end,
      advice = function(e)
        return string.format("%d file(s) carry deletion vectors (%d rows deleted%s); %d delete more than %.0f%% of their rows. " ..
          "OPTIMIZE rewrites those it bins with other files; for the rest run `REORG TABLE delta.`%s` APPLY (PURGE)`%s.",
          e.files_with_dv, e.deleted_rows, e.rows and string.format(" of %d live", e.rows) or "", e.files_over_ratio,
          e.max_deleted_rows_ratio * 100, e.location, #e.lone_partitions > 0 and string.format(" (%d partition(s) hold only such a file)", #e.lone_partitions) or "")
      end,
    },
    {
      id = "delta.stats_missing",
      title = "Delta files without statistics: data skipping cannot prune them",
      severity = "low",
      applies_to = "table",
      thresholds = { min_share = 0.01 },
      when = function(t, ctx)
        local n = 0
        for _, r in ipairs(t.rows) do if not r.has_stats then n = n + 1 end end
        if #t.rows == 0 or n < ctx.thresholds.min_share * #t.rows then return nil end
        return { table = t.key, files = #t.rows, files_without_stats = n }
      end,
      advice = function(e)
        return string.format("%d of %d files have no statistics (numRecords/minValues/maxValues): every scan reads them. " ..
          "Rewrite them with statistics (OPTIMIZE, or ANALYZE TABLE ... COMPUTE DELTA STATISTICS on Databricks).", e.files_without_stats, e.files)
      end,
    },
    {
      id = "delta.protocol",
      title = "Delta protocol: what a reader needs",
      severity = "info",
      applies_to = "table",
      thresholds = {},
      when = function(t)
        local p = t.snap.protocol
        if p.min_reader_version < 2 and #p.reader_features == 0 then return nil end
        return { table = t.key, min_reader_version = p.min_reader_version, min_writer_version = p.min_writer_version,
          reader_features = p.reader_features, writer_features = p.writer_features, column_mapping = t.snap.column_mapping }
      end,
      advice = function(e)
        return string.format("Readers need protocol version %d%s; writers %d%s. Clients older than that (e.g. engines on old Delta " ..
          "releases) cannot read it; check before sharing the table or upgrading it further.", e.min_reader_version,
          #e.reader_features > 0 and (" with " .. table.concat(e.reader_features, ", ")) or "", e.min_writer_version,
          #e.writer_features > 0 and (" with " .. table.concat(e.writer_features, ", ")) or "")
      end,
    },
  },
}
