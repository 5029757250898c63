-- An example rule pack shipped in the ConfigMap and mounted as `--scripts` (docs/deploy.md):
-- replace it with your team's rules. It flags stages whose tasks run longer than the team's
-- service-level budget for a single task.
return {
  agent = "rules",
  rules = {
    {
      id = "team.task_budget",
      title = "Tasks over the team's per-task time budget",
      severity = "low",
      applies_to = "stage",
      thresholds = { max_median_ms = 10 * 60 * 1000, min_tasks = 8 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local d = ctx.stats.stage(stage, "duration")
        if d.n == 0 or d.median < t.max_median_ms then return nil end
        return { stage = stage.key, tasks = d.n, median_task_ms = d.median }
      end,
      advice = function(e)
        return string.format("%s: the median task ran %.0f s over %d tasks, above the team budget; " ..
          "split the input into more partitions.", e.stage, e.median_task_ms / 1000, e.tasks)
      end,
    },
  },
}
