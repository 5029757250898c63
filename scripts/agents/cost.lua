-- cost agent: adds up what the findings of the other agents are worth. Impacts are
-- estimates of task time saved (impact.saving_ms); the money figure prices that time at a
-- nominal core-hour rate, good for ranking, not for invoices.
local CORE_HOUR_PRICE = 0.05 -- USD, an on-demand cloud core-hour; only a scale for ranking

return {
  name = "cost",
  version = "0.1",
  needs = { "skew", "partition", "runtime", "rules" },
  run = function(ctx, state)
    local total_ms, core_ms, by_rule = 0, 0, {}
    for _, agent in ipairs { "metadata", "skew", "partition", "runtime", "rules" } do
      local layer = state[agent]
      if layer and layer.findings then
        for _, f in ipairs(layer.findings) do
          local saving = f.impact and tonumber(f.impact.saving_ms) or 0
          core_ms = core_ms + (f.impact and tonumber(f.impact.core_ms) or 0)
          if saving > 0 then
            total_ms = total_ms + saving
            by_rule[f.id] = (by_rule[f.id] or 0) + saving
          end
        end
      end
    end
    local cores = state.metadata and state.metadata.app.executor_cores or 0
    return {
      total_saving_ms = total_ms,
      saving_by_rule_ms = by_rule,
      app_core_hours = cores > 0 and (ctx.app.duration / 3600000) * cores or nil,
      wasted_core_ms = core_ms,
      saving_usd_estimate = (total_ms + core_ms) / 3600000 * CORE_HOUR_PRICE,
    }
  end,
}
