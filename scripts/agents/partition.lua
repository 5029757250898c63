-- partition agent: evaluates the rule sets that name agent "partition" (scripts/rules/partition_rules.lua and
-- any user rule set with agent = "partition") over the model.
return {
  name = "partition",
  version = "1.0",
  needs = { "metadata" },
  run = function(ctx, state)
    local findings = ctx.run_rules()
    return { findings = findings, checked_stages = #ctx.app.stages }
  end,
}
