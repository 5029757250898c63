-- rules agent: runs every rule set that is not claimed by another agent of the graph -
-- typically the user's own rule files (SIC_SCRIPTS / --scripts) - so a new rule file is
-- picked up without editing the graph. It runs after the analysis agents so rules can read
-- their layers (ctx.state.skew, .resources, .sql, ...): every one of them is in `needs`, so
-- the graph's edges say what the rules may read.
return {
  name = "rules",
  version = "0.1",
  needs = { "metadata", "skew", "partition", "resources", "sql", "runtime" },
  run = function(ctx)
    return { findings = ctx.run_rules() }
  end,
}
