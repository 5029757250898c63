-- runtime agent: where the wall time went and what another cluster size would give. Its layer
-- holds the what-if simulation (engine/stats/sim.c via lib/analysis/resources.lua): critical
-- path (unlimited executors), ideal-parallelism bound, and the predicted wall time for 0.25x..4x
-- the observed task slots. Then it evaluates the rule sets naming agent "runtime"
-- (scripts/rules/runtime_rules.lua).
-- With a runtime model configured (sic train; SIC_MODEL), the layer also holds the learned
-- prediction (ml/: predicted stage times through the same kind of DAG simulation) for the
-- observed cluster and for half and twice its executors, with intervals, under `learned`.
local R = require "lib.analysis.resources"

local function learned_prediction(ctx)
  local now, why = ctx.predict()
  if not now then
    -- no model configured is the normal case: say nothing; a configured model that fails is news
    return why and not why:find("no runtime model configured", 1, true) and { note = why } or nil
  end
  local out = { actual = now, points = {} }
  for _, factor in ipairs({ 0.5, 2 }) do
    local n = math.max(1, math.floor((now.executors or 1) * factor + 0.5))
    local p = ctx.predict({ executors = n })
    if p then
      out.points[#out.points + 1] = { executors = n, predicted_ms = p.predicted_ms, low_ms = p.low_ms, high_ms = p.high_ms }
    end
  end
  return out
end

return {
  name = "runtime",
  version = "1.1",
  needs = { "metadata" },
  run = function(ctx)
    local whatif = #ctx.app.stages > 0 and R.whatif(ctx.app) or nil
    local learned = #ctx.app.stages > 0 and learned_prediction(ctx) or nil
    return { whatif = whatif, learned = learned, findings = ctx.run_rules(), checked_stages = #ctx.app.stages }
  end,
}
