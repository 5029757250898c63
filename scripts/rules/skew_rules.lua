-- Skew: a few tasks of a stage doing most of the work. The statistics run in C over the
-- stage's task columns (sic.stats / engine/stats), so these rules cost one call per stage.
local function secs(ms) return string.format("%.1f s", ms / 1000) end
local function mib(b) return string.format("%.1f MiB", b / 1048576) end

return {
  agent = "skew",
  rules = {
    {
      id = "skew.task_duration",
      title = "Skewed stage: the longest task runs far longer than the median",
      severity = "high",
      applies_to = "stage",
      thresholds = { ratio = 3, min_max_ms = 1000, min_tasks = 8 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local s = stage:stats("duration")
        if s.n < t.min_tasks or s.max < t.min_max_ms or s.median <= 0 then return nil end
        if s.max_over_median < t.ratio then return nil end
        return { stage = stage.key, tasks = s.n, max_ms = s.max, median_ms = s.median, p75_ms = s.p75,
          p95_ms = s.p95, ratio = s.max_over_median, gini = s.gini, mad_ms = s.mad, straggler_task_row = s.argmax }
      end,
      advice = function(e)
        return string.format("In %s the longest task took %s, %.1fx the median (%s) over %d tasks. " ..
          "Let AQE split skewed shuffle partitions, or salt the join/group key.", e.stage, secs(e.max_ms),
          e.ratio, secs(e.median_ms), e.tasks),
          { ["spark.sql.adaptive.enabled"] = "true", ["spark.sql.adaptive.skewJoin.enabled"] = "true" }
      end,
      impact = function(e)
        -- If the straggler's work were spread like the rest, the stage would end near p75.
        return { saving_ms = math.max(e.max_ms - e.p75_ms, 0), basis = "stage wall time: max task - p75 task" }
      end,
    },
    {
      id = "skew.shuffle_read",
      title = "Skewed shuffle read: some tasks read many times the median bytes",
      severity = "medium",
      applies_to = "stage",
      thresholds = { ratio = 4, min_max_bytes = 16 * 1048576, min_tasks = 8 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local s = stage:stats("shuffle_read_bytes")
        if s.n < t.min_tasks or s.max < t.min_max_bytes or s.median <= 0 or s.max_over_median < t.ratio then return nil end
        return { stage = stage.key, tasks = s.n, max_bytes = s.max, median_bytes = s.median, ratio = s.max_over_median,
          gini = s.gini }
      end,
      advice = function(e)
        return string.format("In %s one task read %s of shuffle data, %.1fx the median (%s): the partitioning " ..
          "key is skewed.", e.stage, mib(e.max_bytes), e.ratio, mib(e.median_bytes)),
          { ["spark.sql.adaptive.skewJoin.enabled"] = "true" }
      end,
    },
  },
}
