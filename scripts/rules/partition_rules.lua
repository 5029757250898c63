-- Partitioning: too many tiny tasks (scheduling overhead dominates), too few huge ones
-- (spill, stragglers), a shuffle partition count left at Spark's default of 200 regardless of
-- data size, and small output files. Target: 128-256 MiB of data per task.
local U = require "lib.analysis.util"
local parse = require "sic.parse"
local MIB = 1048576

-- Partitions that put `bytes` at the target size per task (at least 1).
local function partitions_for(bytes, target)
  return math.max(1, math.ceil(bytes / target))
end

return {
  agent = "partition",
  rules = {
    {
      id = "partition.tiny_tasks",
      title = "Stage of many tiny tasks: scheduling overhead dominates",
      severity = "medium",
      applies_to = "stage",
      thresholds = { min_tasks = 100, max_median_ms = 50 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local s = U.stats(stage, "duration")
        if s.n < t.min_tasks or s.median > t.max_median_ms then return nil end
        return { stage = stage.key, tasks = s.n, median_ms = s.median, total_ms = s.sum,
          scheduler_delay_ms = U.sums(stage).scheduler_delay, reads_input = U.sums(stage).input_bytes_read > 0 }
      end,
      advice = function(e, ctx)
        -- Splits large enough for tasks of ~200 ms: the current split size times 200 / median
        -- (a power of two, at most 8x).
        local cur = parse.size(ctx.conf("spark.sql.files.maxPartitionBytes", "128m")) or 128 * MIB
        local factor = math.min(8, 2 ^ math.ceil(math.log(200 / math.max(e.median_ms, 1)) / math.log(2)))
        local cfg = { ["spark.sql.adaptive.coalescePartitions.enabled"] = "true" }
        if e.reads_input and factor >= 2 then cfg["spark.sql.files.maxPartitionBytes"] = math.floor(cur * factor / MIB) .. "m" end
        return string.format("%s ran %d tasks with a median of %d ms; fewer, larger partitions " ..
          "(coalesce, larger input splits, AQE partition coalescing) cut the per-task overhead.", e.stage, e.tasks,
          e.median_ms), cfg
      end,
      -- Scheduler delay is summed over tasks: core time, not wall time.
      impact = function(e) return { saving_ms = 0, core_ms = e.scheduler_delay_ms, pool = "scheduler_delay", method = "scheduler delay summed over the stage's tasks (core time)" } end,
    },
    {
      id = "partition.shuffle_partitions_default",
      title = "spark.sql.shuffle.partitions left at the default 200",
      severity = "low",
      applies_to = "app",
      thresholds = { small_partition_bytes = 1048576, large_partition_bytes = 512 * 1048576 },
      when = function(app, ctx)
        local set = app:conf("spark.sql.shuffle.partitions")
        if set ~= nil and set ~= "200" then return nil end
        if ctx.conf("spark.sql.adaptive.coalescePartitions.enabled") == "true" and
           ctx.conf("spark.sql.adaptive.enabled") == "true" then return nil end
        local t, small, large, stages = ctx.thresholds, 0, 0, {}
        for _, stage in ipairs(app.stages) do
          if stage.num_tasks == 200 then
            local s = U.sums(stage).shuffle_read_bytes > 0 and U.stats(stage, "shuffle_read_bytes") or { n = 0, sum = 0 }
            if s.n > 0 and s.sum > 0 then
              if s.median < t.small_partition_bytes then small = small + 1 end
              if s.median > t.large_partition_bytes then large = large + 1 end
              stages[#stages + 1] = stage.key
            end
          end
        end
        if small + large == 0 then return nil end
        -- Corroborate from the physical plans (lpeg parse of each node's simpleString).
        local exchanges = 0
        for _, sql in ipairs(app.sqls) do
          for _, node in ipairs(sql:plan()) do
            local p = node.name == "Exchange" and node.parsed
            if p and p.num_partitions == 200 then exchanges = exchanges + 1 end
          end
        end
        return { stages = stages, too_small = small, too_large = large, value = set or "200 (default)",
          exchanges_with_200_partitions = exchanges }
      end,
      advice = function(e)
        local dir = e.too_large > e.too_small and "raise" or "lower"
        return string.format("%d shuffle stage(s) ran with the default 200 partitions (%d with tiny, %d with huge " ..
          "partitions): %s spark.sql.shuffle.partitions or let AQE coalesce partitions.", #e.stages, e.too_small,
          e.too_large, dir), { ["spark.sql.adaptive.enabled"] = "true",
          ["spark.sql.adaptive.coalescePartitions.enabled"] = "true" }
      end,
    },
    {
      id = "partition.too_few",
      title = "Too few, too large partitions: tasks process far more than the 128-256 MiB target",
      severity = "medium",
      applies_to = "stage",
      thresholds = { max_bytes_per_task = 512 * MIB, target_bytes = 192 * MIB, min_tasks = 1 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local sums = U.sums(stage)
        if math.max(sums.shuffle_read_bytes, sums.input_bytes_read) < t.max_bytes_per_task * math.max(sums.n, 1) / 2 then
          return nil -- the median cannot reach the limit when the mean is below half of it
        end
        local sr, inp = U.stats(stage, "shuffle_read_bytes"), U.stats(stage, "input_bytes_read")
        local src = sr.sum >= inp.sum and sr or inp
        if src.n == 0 or src.median < t.max_bytes_per_task then return nil end
        local spill = sums.spill_bytes
        local d = U.stats(stage, "duration")
        return { stage = stage.key, tasks = src.n, median_bytes_per_task = src.median, total_bytes = src.sum,
          source = sr.sum >= inp.sum and "shuffle" or "input", spill_bytes = spill,
          recommended_partitions = partitions_for(src.sum, t.target_bytes), task_time_ms = d.sum, median_task_ms = d.median }
      end,
      advice = function(e, ctx)
        local cfg = {}
        if e.source == "shuffle" then
          cfg["spark.sql.shuffle.partitions"] = tostring(e.recommended_partitions)
          cfg["spark.sql.adaptive.advisoryPartitionSizeInBytes"] = "192m"
        else
          cfg["spark.sql.files.maxPartitionBytes"] = "192m"
        end
        return string.format("%s: %d tasks each read a median %s of %s data (%s in all%s). At ~192 MiB per task " ..
          "that is %d partitions.", e.stage, e.tasks, U.bytes(e.median_bytes_per_task), e.source, U.bytes(e.total_bytes),
          e.spill_bytes > 0 and (", spilling " .. U.bytes(e.spill_bytes)) or "", e.recommended_partitions), cfg
      end,
      impact = function(e)
        return { saving_ms = 0, method = "not estimated here: the spill it causes is valued by partition.spill, " ..
          "and more partitions only shorten the stage when slots were idle" }
      end,
    },
    {
      id = "partition.spill",
      title = "Partitions that spill: most tasks of the stage spilled to disk",
      severity = "medium",
      applies_to = "stage",
      thresholds = { min_spill_bytes = 64 * MIB, min_share_spilling = 0.5, min_tasks = 4, target_bytes = 192 * MIB },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        if U.sums(stage).spill_bytes < t.min_spill_bytes then return nil end
        local s = U.stats(stage, "spill_bytes")
        if s.median <= 0 then return nil end -- spill in few tasks is skew (skew.spill)
        local sr = U.stats(stage, "shuffle_read_bytes")
        local disk = U.sums(stage).disk_bytes_spilled
        local d = U.stats(stage, "duration")
        return { stage = stage.key, tasks = s.n, spilled_bytes = s.sum, disk_spilled_bytes = disk,
          median_task_spill_bytes = s.median, shuffle_read_bytes = sr.sum, task_time_ms = d.sum,
          recommended_partitions = sr.sum > 0 and math.max(partitions_for(sr.sum, t.target_bytes), s.n * 2) or nil }
      end,
      advice = function(e)
        local cfg = { ["spark.sql.adaptive.enabled"] = "true" }
        if e.recommended_partitions then cfg["spark.sql.shuffle.partitions"] = tostring(e.recommended_partitions) end
        return string.format("Most of the %d tasks of %s spilled (median %s per task; %s in all): each " ..
          "partition is larger than the execution memory of a task. Use more shuffle partitions%s or more memory per core.",
          e.tasks, e.stage, U.bytes(e.median_task_spill_bytes), U.spill(e.spilled_bytes, e.disk_spilled_bytes),
          e.recommended_partitions and (" (" .. e.recommended_partitions .. ")") or ""), cfg
      end,
      impact = function(e)
        return { saving_ms = 0, core_ms = e.task_time_ms * 0.2, pool = "spill",
          method = "20% of the stage's task time (spill written, sorted and read back), a conservative estimate" }
      end,
    },
    {
      id = "partition.small_files",
      title = "Many small output files",
      severity = "low",
      applies_to = "stage",
      thresholds = { min_writing_tasks = 50, max_median_bytes = 16 * MIB, target_bytes = 128 * MIB },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if U.sums(stage).output_bytes_written <= 0 then return nil end
        local s = U.stats(stage, "output_bytes_written")
        local writers = U.sums(stage)
        -- Count writing tasks from the quantiles: tasks with output are those above zero.
        local writing = s.n
        if s.p25 <= 0 then writing = math.floor(s.n * 0.75) end
        if writing < t.min_writing_tasks or s.median > t.max_median_bytes then return nil end
        return { stage = stage.key, writing_tasks = writing, median_file_bytes = s.median, total_bytes = s.sum,
          records = writers.output_records_written, recommended_files = partitions_for(s.sum, t.target_bytes) }
      end,
      advice = function(e)
        return string.format("%s wrote %s as about %d files of a median %s: readers pay per file. Coalesce to ~%d " ..
          "files before writing (df.coalesce(%d)) or let AQE coalesce the final shuffle.", e.stage, U.bytes(e.total_bytes),
          e.writing_tasks, U.bytes(e.median_file_bytes), e.recommended_files, e.recommended_files),
          { ["spark.sql.adaptive.coalescePartitions.enabled"] = "true" }
      end,
    },
  },
}
