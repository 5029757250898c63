-- The layers whose findings the cost agent prices, in order: the cost agent's `needs` (its
-- edges in the graph) and the list the cost.run rule walks (scripts/rules/cost_rules.lua).
-- An agent added upstream is priced once it is named here, in this one place.
return { "metadata", "skew", "partition", "resources", "sql", "runtime", "rules" }
