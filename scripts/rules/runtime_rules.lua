-- Runtime: where task time went (GC, spill, failures).
return {
  agent = "runtime",
  rules = {
    {
      id = "runtime.gc_pressure",
      title = "High garbage-collection time in a stage",
      severity = "medium",
      applies_to = "stage",
      thresholds = { ratio = 0.1, min_run_ms = 10000 },
      when = function(stage, ctx)
        local run = stage:stats("executor_run_time", "all").sum
        if run < ctx.thresholds.min_run_ms then return nil end
        local gc = stage:stats("jvm_gc_time", "all").sum
        if gc / run < ctx.thresholds.ratio then return nil end
        return { stage = stage.key, gc_ms = gc, run_ms = run, ratio = gc / run }
      end,
      advice = function(e)
        return string.format("%s spent %.0f%% of its task run time in GC. Give executors more memory per core, " ..
          "cache less, or use G1GC.", e.stage, 100 * e.ratio), { ["spark.executor.extraJavaOptions"] = "-XX:+UseG1GC" }
      end,
      impact = function(e) return { saving_ms = e.gc_ms / 2, basis = "half of the GC time" } end,
    },
    {
      id = "runtime.spill",
      title = "Stage spilled to disk",
      severity = "medium",
      applies_to = "stage",
      thresholds = { min_spill_bytes = 1048576 },
      when = function(stage, ctx)
        local s = stage:stats("spill_bytes", "all")
        if s.sum < ctx.thresholds.min_spill_bytes then return nil end
        local disk = stage:stats("disk_bytes_spilled", "all").sum
        return { stage = stage.key, spilled_bytes = s.sum, disk_bytes = disk, tasks_spilling_max = s.max }
      end,
      advice = function(e)
        return string.format("%s spilled %.1f MiB (%.1f MiB to disk): raise memory per task or the number of " ..
          "partitions.", e.stage, e.spilled_bytes / 1048576, e.disk_bytes / 1048576),
          { ["spark.sql.shuffle.partitions"] = "increase", ["spark.executor.memory"] = "increase" }
      end,
    },
    {
      id = "runtime.failed_tasks",
      title = "Task attempts failed in a stage",
      severity = "low",
      applies_to = "stage",
      thresholds = { min_failed = 1 },
      when = function(stage, ctx)
        -- "failed" is a derived task column (1 per failed attempt): the count is a C pass.
        local failed = stage:stats("failed", "all").sum
        if failed < ctx.thresholds.min_failed then return nil end
        return { stage = stage.key, failed = failed, attempts = stage.ntasks }
      end,
      advice = function(e)
        return string.format("%s had %d failed task attempt(s) out of %d; retries cost time - check the task " ..
          "errors (executor losses, fetch failures, OOM).", e.stage, e.failed, e.attempts)
      end,
    },
  },
}
