-- resources agent: executor utilisation over time (idle core-hours), driver-only time,
-- dynamic allocation and memory (lib/analysis/resources.lua computes the profile once, in C
-- where it loops over tasks), then the rule sets naming agent "resources"
-- (scripts/rules/resources_rules.lua).
local R = require "lib.analysis.resources"

return {
  name = "resources",
  version = "1.0",
  needs = { "metadata" },
  run = function(ctx)
    local p = R.profile(ctx.app)
    local layer = {
      wall_ms = p.wall_ms, driver_ms = p.driver_ms, utilisation = p.utilisation,
      busy_core_ms = p.busy_core_ms, alive_core_ms = p.alive_core_ms, idle_core_ms = p.idle_core_ms,
      peak_executors = p.peak_executors, peak_cores = p.peak_cores, cores_per_executor = p.cores_per_executor,
      dynamic_allocation = p.dynamic_allocation, executor_memory_bytes = p.executor_memory_bytes,
      peak_heap_bytes = p.peak_heap_bytes, gc_share = p.gc_share, spill_share = p.spill_share,
      timeline = p.busy and { t0 = p.t0, t1 = p.t1, bins = p.bins, busy_core_ms = p.busy, alive_core_ms = p.alive } or nil,
    }
    layer.findings = ctx.run_rules()
    return layer
  end,
}
