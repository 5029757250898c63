-- runtime agent: evaluates the rule sets that name agent "runtime" (scripts/rules/runtime_rules.lua and
-- any user rule set with agent = "runtime") over the model.
return {
  name = "runtime",
  version = "0.1",
  needs = { "metadata" },
  run = function(ctx, state)
    local findings = ctx.run_rules()
    return { findings = findings, checked_stages = #ctx.app.stages }
  end,
}
