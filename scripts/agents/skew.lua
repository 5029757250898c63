-- skew agent: evaluates the rule sets that name agent "skew" (scripts/rules/skew_rules.lua and
-- any user rule set with agent = "skew") over the model.
return {
  name = "skew",
  version = "1.0",
  needs = { "metadata" },
  run = function(ctx, state)
    local findings = ctx.run_rules()
    return { findings = findings, checked_stages = #ctx.app.stages }
  end,
}
