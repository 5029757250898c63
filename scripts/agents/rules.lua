-- rules agent: runs every rule set that is not claimed by another agent of the graph -
-- typically the user's own rule files (SIC_SCRIPTS / --scripts) - so a new rule file is
-- picked up without editing the graph.
return {
  name = "rules",
  version = "0.1",
  needs = { "metadata" },
  run = function(ctx)
    return { findings = ctx.run_rules() }
  end,
}
