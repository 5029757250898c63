-- runtime agent: where the wall time went and what another cluster size would give. Its layer
-- holds the what-if simulation (engine/stats/sim.c via lib/analysis/resources.lua): critical
-- path (unlimited executors), ideal-parallelism bound, and the predicted wall time for 0.25x..4x
-- the observed task slots. Then it evaluates the rule sets naming agent "runtime"
-- (scripts/rules/runtime_rules.lua). Owner: analysis engineer.
local R = require "lib.analysis.resources"

return {
  name = "runtime",
  version = "1.0",
  needs = { "metadata" },
  run = function(ctx)
    local whatif = #ctx.app.stages > 0 and R.whatif(ctx.app) or nil
    return { whatif = whatif, findings = ctx.run_rules(), checked_stages = #ctx.app.stages }
  end,
}
