-- rules agent: runs every rule set that is not claimed by another agent of the graph -
-- typically the user's own rule files (SIC_SCRIPTS / --scripts) - so a new rule file is
-- picked up without editing the graph. It runs after the analysis agents so rules can read
-- their layers (ctx.state.skew, .resources, .sql).
return {
  name = "rules",
  version = "0.1",
  needs = { "metadata", "skew", "resources", "sql" },
  run = function(ctx)
    return { findings = ctx.run_rules() }
  end,
}
