-- docs agent: gives every finding of the graph its two best documentation references from
-- the knowledge base (`sic kb ingest ...`), by hybrid retrieval (BM25 + dense, fused) through
-- the engine module sic.kb.
--
-- Runs after the agents that produce findings (its `needs`) and attaches
-- `references = { {doc=, section=, source=, score=, heading=, title=, line=}, ... }` to each
-- finding through the engine's annotation mechanism (additive: it never changes a finding).
-- With no knowledge base (a fresh machine), an empty one, or one that cannot be read, it adds
-- nothing and says why once, in its layer's `note` (the report's agents list and state.docs);
-- the analysis itself is unchanged.
--
-- Settings (this file is user-editable like every agent; a copy in a --scripts dir wins):
local K = 2              -- references per finding (distinct document sections)
local CANDIDATES = 8     -- passages retrieved to find K distinct sections (property rows of
                         -- one table share a section and would otherwise fill both slots)
local MAX_FINDINGS = 60  -- findings looked up at most (a pathological report stays fast)

-- A sic built without the knowledge base (SIC_WITH_FAISS=OFF) has no sic.kb: say so in the note.
local kb_ok, kb = pcall(require, "sic.kb")
local G = require "lib.analysis.grounding"

local M = {
  name = "docs",
  version = "1",
  needs = { "skew", "partition", "resources", "sql", "runtime", "rules", "cost" },
}

--- The retrieval query for a finding: in the docs' own words when the finding's cause and
--- settings are explained by a known section (lib.analysis.grounding), else sic.query's recipe
--- (the one `sic ask` uses too). Exposed for tests.
function M.query(f)
  return G.finding_query(f) or require("sic.query").for_finding(f)
end

--- The first K passages of distinct (document, section): two rows of the same configuration
--- table are one reference for a reader.
local function distinct_sections(hits, facts)
  local out, seen = {}, {}
  for _, h in ipairs(hits) do
    local key = h.source .. "\0" .. h.doc .. "\0" .. h.section
    -- only documents about the app's cluster manager (no running-on-mesos.md for YARN)
    if not seen[key] and #out < K and G.fits(h, facts) then seen[key] = true; out[#out + 1] = h end
  end
  return out
end

local function spark_version(ctx)
  local v = ctx.app and ctx.app.spark_version
  return type(v) == "string" and v:match("^(%d+%.%d+)") or nil
end

function M.run(ctx, state)
  if not kb_ok then
    return { mode = "none", note = "no documentation references: " .. tostring(kb) }
  end
  local probe = kb.probe()
  local layer = { kb = probe.path, mode = probe.mode }
  if probe.mode == "none" then
    layer.note = "no documentation references: " .. probe.note
    return layer
  end
  if probe.note ~= "" then layer.note = probe.note end
  local version = spark_version(ctx)
  local md = state.metadata or {}
  local delta = state.delta or {}
  local facts = { manager = md.platform and md.platform.manager, spark = ctx.app and ctx.app.spark_version,
    delta = delta.tables ~= nil and delta.tables[1] ~= nil } -- state is a read-only view: no next()
  local annotate, by_query, looked_up, failed = {}, {}, 0, nil
  for _, agent in ipairs(M.needs) do
    local findings = state[agent] and state[agent].findings
    for i, f in ipairs(findings or {}) do
      if f.id ~= "rule_error" and looked_up < MAX_FINDINGS then
        local q = M.query(f)
        local refs = by_query[q]
        if refs == nil then
          local why
          refs, why = kb.search(q, CANDIDATES, version)
          looked_up = looked_up + 1
          if refs then refs = distinct_sections(refs, facts) else failed = failed or why; refs = false end
          by_query[q] = refs
        end
        if refs and #refs > 0 then
          annotate[#annotate + 1] = { agent = agent, index = i, key = "references", value = refs }
        end
      end
    end
  end
  if failed then layer.note = "some references are missing: " .. failed end
  layer.queries, layer.annotate = looked_up, annotate
  return layer
end

return M
