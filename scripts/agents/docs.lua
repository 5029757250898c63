-- docs agent: gives every finding of the graph its two best documentation references from
-- the knowledge base (`sic kb ingest ...`), by hybrid retrieval (BM25 + dense, fused) through
-- the engine module sic.kb.
--
-- Owner: rag engineer. Runs after the agents that produce findings (its `needs`) and attaches
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

local kb = require "sic.kb"
local G = require "lib.analysis.grounding"

local M = {
  name = "docs",
  version = "1",
  needs = { "skew", "partition", "resources", "sql", "runtime", "rules", "cost" },
}

--- The retrieval query for a finding: a Spark error class when the finding carries one (it
--- names its own section of the error-conditions page), else its title, rule id, recommended
--- configuration names and recommendation text without numbers (the same recipe as `sic ask`,
--- scripts/agents/reasoning.lua). Exposed for tests.
function M.query(f)
  -- a finding whose cause and settings a section of the docs explains is asked in its words
  local grounded = G.finding_query(f)
  if grounded then return grounded end
  local r = f.recommendation
  local text = type(r) == "table" and r.text or r
  local evidence = type(f.evidence) == "table" and (f.evidence.reason or f.evidence.error) or ""
  local classes, seen = {}, {}
  for _, s in ipairs({ tostring(text or ""), tostring(evidence or "") }) do
    for c in s:gmatch("%[([A-Z][A-Z0-9]*_[A-Z0-9_]+)[%].]") do
      if not seen[c] then seen[c] = true; classes[#classes + 1] = c end
    end
  end
  if #classes > 0 then return table.concat(classes, " ") end
  local q = { tostring(f.title or ""), (tostring(f.id or ""):gsub("[_%.]", " ")) }
  if type(r) == "table" and type(r.config) == "table" then
    local names = {}
    for k, v in pairs(r.config) do
      names[#names + 1] = type(k) == "string" and k or (type(v) == "table" and v.name) or tostring(v)
    end
    table.sort(names) -- pairs order is not stable; the query (and so the ranking) must be
    for _, n in ipairs(names) do q[#q + 1] = tostring(n) end
  end
  if type(text) == "string" then q[#q + 1] = (text:sub(1, 300):gsub("[%d%.]+%s*[%a]*", " ")) end
  return (table.concat(q, " "):gsub("%b()", ""):gsub("%s+", " "))
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
