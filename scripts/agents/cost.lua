-- cost agent: what the run cost and what the findings of the other agents are worth, priced
-- from the catalogue (scripts/pricing/catalogue.lua) by the cost.run rule
-- (scripts/rules/cost_rules.lua), which names the entry, its source and date. The time totals
-- (total_saving_ms, wasted_core_ms) add up the impact estimates of every finding.
--
-- The findings it prices are those of the layers it needs: its edges in the graph are the
-- list in lib/analysis/priced_layers.lua, which the cost.run rule walks too (one place).
local NEEDS = require "lib.analysis.priced_layers"

return {
  name = "cost",
  version = "1.0",
  needs = NEEDS,
  run = function(ctx, state)
    local total_ms, core_ms, by_rule = 0, 0, {}
    for _, agent in ipairs(NEEDS) do
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
    -- Overlapping savings (same stage time, same GC time, same idle cores) count once.
    local all = {}
    for _, agent in ipairs(NEEDS) do
      for _, f in ipairs(state[agent] and state[agent].findings or {}) do all[#all + 1] = f end
    end
    local union = require("lib.analysis.savings").union(all)
    total_ms, core_ms = union.wall_ms, union.core_ms
    local findings = ctx.run_rules()
    local run
    for _, f in ipairs(findings) do if f.id == "cost.run" then run = f.evidence end end
    return {
      total_saving_ms = total_ms,
      saving_by_rule_ms = by_rule,
      wasted_core_ms = core_ms,
      run_usd = run and run.run_usd,
      savings_usd = run and run.savings_usd,
      pricing = run and { entry = run.pricing_entry, cloud = run.cloud, instance = run.instance, region = run.region,
        usd_per_hour = run.usd_per_hour, vcpus = run.vcpus, source = run.catalogue_source, date = run.catalogue_date },
      savings = run and run.savings,
      whatif_cost = run and run.whatif_cost,
      findings = findings,
    }
  end,
}
