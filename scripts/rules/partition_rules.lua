-- Partitioning: too many tiny tasks (scheduling overhead dominates) or a shuffle partition
-- count left at Spark's default of 200 regardless of data size.
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
        local s = stage:stats("duration")
        if s.n < t.min_tasks or s.median > t.max_median_ms then return nil end
        local delay = stage:stats("scheduler_delay")
        return { stage = stage.key, tasks = s.n, median_ms = s.median, total_ms = s.sum,
          scheduler_delay_ms = delay.sum }
      end,
      advice = function(e)
        return string.format("%s ran %d tasks with a median of %d ms; fewer, larger partitions " ..
          "(coalesce, larger input splits, AQE partition coalescing) cut the per-task overhead.", e.stage, e.tasks,
          e.median_ms), { ["spark.sql.adaptive.coalescePartitions.enabled"] = "true",
          ["spark.sql.files.maxPartitionBytes"] = "256m" }
      end,
      impact = function(e) return { saving_ms = e.scheduler_delay_ms, basis = "scheduler delay of the stage's tasks" } end,
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
            local s = stage:stats("shuffle_read_bytes")
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
  },
}
