-- The orchestration graph: plain data. Nodes are agents (scripts/agents/<name>.lua); edges
-- are each agent's `needs`. The engine validates it (unknown agent, missing dependency,
-- cycle) and runs the agents in a deterministic topological order; list order breaks ties.
-- A user dir with its own graph.lua replaces this one.
return {
  -- docs (last): attaches documentation references from the knowledge base to every finding.
  -- delta: runs only when Delta tables are given (sic delta, sic analyze --tables).
  -- metastore: runs only when a Hive metastore is given (sic analyze --metastore URL).
  agents = { "metadata", "skew", "partition", "resources", "sql", "runtime", "rules", "cost", "delta", "metastore", "docs" },
}
