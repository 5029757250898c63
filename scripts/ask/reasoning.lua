-- `sic ask`'s answer assembly: turns a question, an application's findings and retrieved documentation
-- passages into an LLM prompt, an extractive answer (when no LLM is configured or it fails), and
-- a final answer whose citations are checked against the passages actually retrieved.
--
-- Users edit this file (a copy at ask/reasoning.lua in a --scripts dir wins) to change the
-- prompt, ranking or answer layout; no rebuild needed. `sic ask` (engine/cli/cmd_ask.c) calls
-- M.retrieval_queries, M.prepare(input) and M.finalize(answer, prepared). It is not a graph
-- agent.
--
-- input = {
--   question = "...",
--   report_json = "<sic.findings/1 or sic.report/1 JSON>" or nil,
--   passages = { {source, doc, title, heading, section, kind, text, score}, ... } (best first),
--   max_findings = 5,
-- }
local ok_cjson, cjson = pcall(require, "cjson")

local M = {}

-- Grounding in the application (topics, finding queries in the docs' words, platform filter):
-- scripts/lib/analysis/grounding.lua, found by require or beside this file's scripts dir.
local G = (function()
  local ok, mod = pcall(require, "lib.analysis.grounding")
  if ok then return mod end
  local src = debug.getinfo(1, "S").source:match("^@(.*)$") or ""
  local dir = src:match("^(.*)/ask/[^/]+$") or "scripts"
  local ok2, mod2 = pcall(dofile, dir .. "/lib/analysis/grounding.lua")
  return ok2 and mod2 or nil
end)()

local SEVERITY_WEIGHT = { critical = 5, high = 4, medium = 3, low = 2, info = 1 }

local STOP = {}
for w in ([[a an and are as at be by can do does for from how i if in into is it its of on or
  should that the their then there these this to was what when where which who why will with you
  your we my me use set get my app application job spark]]):gmatch("%S+") do STOP[w] = true end

--- Lower-cased content words of a text (stop words dropped), as a set and a list.
local function words(text)
  local set, list = {}, {}
  for w in tostring(text or ""):lower():gmatch("[%w_%.]+") do
    for part in w:gmatch("[^%.]+") do
      if #part > 1 and not STOP[part] and not set[part] then
        set[part] = true
        list[#list + 1] = part
      end
    end
  end
  return set, list
end

local function overlap(qset, text)
  local n = 0
  local _, list = words(text)
  for _, w in ipairs(list) do if qset[w] then n = n + 1 end end
  return n
end

--- Citation label of a passage: "[source/doc § section]".
function M.label(p)
  return string.format("[%s/%s § %s]", p.source, p.doc, p.section)
end

local function one_line(s, max)
  s = tostring(s or ""):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if max and #s > max then s = s:sub(1, max - 3):gsub("[\128-\191]*$", "") .. "..." end
  return s
end

--- Findings from a report JSON, ranked: severity first, then words shared with the question.
function M.rank_findings(report_json, question, max)
  if not report_json or report_json == "" then return {} end
  if not ok_cjson then return {}, "lua-cjson is not installed: findings cannot be read" end
  local ok, report = pcall(cjson.decode, report_json)
  if not ok or type(report) ~= "table" then return {}, "analysis report is not valid JSON" end
  local qset = words(question)
  local topics = G and G.topics(question) or {}
  local ranked = {}
  for i, f in ipairs(report.findings or {}) do
    if type(f) == "table" and f.id ~= "rule_error" then
      local text = table.concat({ tostring(f.title or ""), tostring(f.recommendation or ""), tostring(f.id or "") }, " ")
      -- a finding that answers the question's topic comes before any other, whatever its severity
      local relevance = G and G.relevance(f, topics, question) or 0
      ranked[#ranked + 1] = {
        f = f, order = i, relevance = relevance,
        score = relevance * 100 + (SEVERITY_WEIGHT[f.severity] or 1) * 10 + overlap(qset, text) * 3,
      }
    end
  end
  table.sort(ranked, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.order < b.order
  end)
  local out, relevant = {}, {}
  for i = 1, math.min(max or 5, #ranked) do out[i] = ranked[i].f relevant[i] = ranked[i].relevance > 0 end
  return out, nil, relevant, report
end

local function evidence_text(e)
  if type(e) ~= "table" then return one_line(e, 200) end
  local parts = {}
  for k, v in pairs(e) do
    if type(v) ~= "table" then parts[#parts + 1] = tostring(k) .. "=" .. tostring(v) end
  end
  table.sort(parts)
  return one_line(table.concat(parts, ", "), 200)
end

local function impact_text(i)
  if type(i) ~= "table" then return i and one_line(i, 120) or nil end
  local parts = {}
  for k, v in pairs(i) do if type(v) ~= "table" then parts[#parts + 1] = k .. "=" .. tostring(v) end end
  table.sort(parts)
  return #parts > 0 and table.concat(parts, ", ") or nil
end

--- Recommendation as text: findings carry {text, config = {name = value} or list}.
function M.recommendation_text(r)
  if type(r) ~= "table" then return r and tostring(r) or nil end
  local parts = {}
  if r.text then parts[1] = tostring(r.text) end
  local conf = {}
  if type(r.config) == "table" then
    for k, v in pairs(r.config) do
      if type(k) == "string" then conf[#conf + 1] = k .. "=" .. tostring(v)
      elseif type(v) == "table" and v.name then conf[#conf + 1] = tostring(v.name) .. "=" .. tostring(v.value)
      else conf[#conf + 1] = tostring(v) end
    end
  end
  table.sort(conf)
  if #conf > 0 then parts[#parts + 1] = "(set " .. table.concat(conf, ", ") .. ")" end
  return #parts > 0 and table.concat(parts, " ") or nil
end

--- Retrieval queries for `sic ask`: the question first, then one per top finding with the
--- docs agent's recipe (sic.query) so the documentation behind each problem is found even
--- when the question is vague ("why is my job slow?").
function M.retrieval_queries(question, report_json, max)
  local for_finding = require("sic.query").for_finding
  local queries = { tostring(question or "") }
  local seen = { [queries[1]] = true }
  local ranked, _, relevant = M.rank_findings(report_json, question, max or 3)
  local grounded = {} -- per query: true when it comes from a finding that answers the question
  for i, f in ipairs(ranked or {}) do
    -- a finding that answers the question is asked about in the docs' own words
    local gq = relevant and relevant[i] and G and G.finding_query(f)
    if gq and not seen[gq] then
      seen[gq] = true
      queries[#queries + 1] = gq
      grounded[#queries] = true
      goto next_finding
    end
    local query = for_finding(f)
    if not seen[query] then seen[query] = true; queries[#queries + 1] = query end
    ::next_finding::
  end
  return queries, grounded
end

local function finding_line(n, f)
  local line = string.format("%d. [%s] %s", n, tostring(f.severity or "info"), one_line(f.title, 160))
  local ev = f.evidence and evidence_text(f.evidence)
  if ev and ev ~= "" then line = line .. "\n   evidence: " .. ev end
  local rec = M.recommendation_text(f.recommendation)
  if rec then line = line .. "\n   recommendation: " .. one_line(rec, 400) end
  local imp = impact_text(f.impact)
  if imp then line = line .. "\n   impact: " .. imp end
  return line
end

--- The sentences of a passage that share most words with the question (document order kept).
local function best_sentences(text, qset, max_sentences)
  local sentences = {}
  for s in (tostring(text) .. "\n"):gsub("\n", " \n"):gmatch("[^\n]+") do
    for part in (s .. " "):gmatch("(.-[%.%?!:]%s)") do sentences[#sentences + 1] = one_line(part) end
    local rest = s:match("[%.%?!:]%s([^%.%?!:]*)$") or (s:find("[%.%?!:]%s") and "" or s)
    if rest and rest:match("%S") then sentences[#sentences + 1] = one_line(rest) end
  end
  local scored = {}
  for i, s in ipairs(sentences) do
    if #s > 0 then scored[#scored + 1] = { i = i, s = s, score = overlap(qset, s) } end
  end
  table.sort(scored, function(a, b) if a.score ~= b.score then return a.score > b.score end return a.i < b.i end)
  local pick = {}
  for k = 1, math.min(max_sentences, #scored) do pick[#pick + 1] = scored[k] end
  table.sort(pick, function(a, b) return a.i < b.i end)
  local out = {}
  for _, p in ipairs(pick) do out[#out + 1] = p.s end
  return one_line(table.concat(out, " "), 420)
end

--- One passage in a line or two: a configuration row as "name (default ..., since ...):
--- meaning", prose as its sentences closest to the question.
function M.summarize(p, qset)
  if p.kind == "property" or p.kind == "row" then
    local fields, order = {}, {}
    for label, value in tostring(p.text):gmatch("([^\n:]+): ([^\n]*)") do
      fields[label:lower()] = value
      order[#order + 1] = value
    end
    local name = order[1] or ""
    local default = fields["default"]
    local since = fields["since version"]
    local meaning = fields["meaning"] or fields["description"] or order[#order] or ""
    local extra = {}
    if default then extra[#extra + 1] = "default " .. default end
    if since then extra[#extra + 1] = "since " .. since end
    local head = name .. (#extra > 0 and (" (" .. table.concat(extra, ", ") .. ")") or "")
    return head .. ": " .. best_sentences(meaning, qset, 2)
  end
  return best_sentences(p.text, qset, 2)
end

local SYSTEM = [[You are sic, an assistant for Apache Spark and Delta Lake performance.
Answer the user's question using only the application findings and documentation passages
provided. Cite every statement about Spark or Delta behaviour or configuration with the
passage label exactly as given, e.g. [spark/configuration.md § Shuffle Behavior]. When the
findings show a problem, say what to change and why, with the configuration names and values.
If the passages do not contain the answer, say so plainly instead of guessing. Be concise.]]

--- Order passages for the answer: round-robin over the queries that found them (the question,
--- then each top finding), so a vague question ("why is my job slow?") still puts the passage
--- behind each finding near the top. Within a query, its own ranking is kept.
function M.order_passages(passages, grounded)
  local by_query, queries = {}, {}
  for _, p in ipairs(passages or {}) do
    local q = p.query or 0
    if not by_query[q] then by_query[q] = {}; queries[#queries + 1] = q end
    table.insert(by_query[q], p)
  end
  -- the queries of findings that answer the question first (query i is Lua list entry i + 1)
  grounded = grounded or {}
  table.sort(queries, function(a, b)
    local ga, gb = grounded[a + 1] and 0 or 1, grounded[b + 1] and 0 or 1
    if ga ~= gb then return ga < gb end
    return a < b
  end)
  for _, q in ipairs(queries) do table.sort(by_query[q], function(a, b) return (a.rank or 0) < (b.rank or 0) end) end
  -- round-robin within the grounded queries first, then within the others
  local out = {}
  for pass = 1, 2 do
    local round = 1
    repeat
      local added = false
      for _, q in ipairs(queries) do
        if (grounded[q + 1] and 1 or 2) == pass then
          local p = by_query[q][round]
          if p then out[#out + 1] = p; added = true end
        end
      end
      round = round + 1
    until not added
  end
  return out
end

--- Build the prompt and the extractive answer. Returns a table the C side keeps and passes
--- back to M.finalize.
function M.prepare(input)
  local question = tostring(input.question or "")
  local qset = words(question)
  local findings, ferr, relevant, report = M.rank_findings(input.report_json, question, input.max_findings or 5)
  local _, grounded = M.retrieval_queries(question, input.report_json, 3)
  local passages = M.order_passages(input.passages, grounded)
  if G and type(report) == "table" then
    -- only passages about this application's platform, Spark version and storage
    local facts, kept = G.facts(report), {}
    for _, p in ipairs(passages) do if G.fits(p, facts, question) then kept[#kept + 1] = p end end
    passages = kept
  end
  local user = { "Question: " .. question, "" }
  if #findings > 0 then
    user[#user + 1] = "Findings of the analysed application (most important first):"
    for i, f in ipairs(findings) do user[#user + 1] = finding_line(i, f) end
    user[#user + 1] = ""
  end
  user[#user + 1] = "Documentation passages:"
  for _, p in ipairs(passages) do
    user[#user + 1] = M.label(p) .. "\n" .. one_line(p.text, 1500) .. "\n"
  end
  -- Extractive answer: findings and the most relevant sentences of each passage, ranked.
  local ex = { "Extractive answer (no LLM used): the most relevant findings and documentation passages, ranked.", "" }
  if relevant and relevant[1] then
    -- the application's own finding answers the question: it is the answer, the docs back it
    local f = findings[1]
    ex[#ex + 1] = "Answer from this application's analysis:"
    ex[#ex + 1] = one_line(f.title, 200) .. (f.entity and f.entity.key and (" (" .. tostring(f.entity.key) .. ")") or "")
    ex[#ex + 1] = "  " .. one_line(M.recommendation_text(f.recommendation) or "", 2000)
    ex[#ex + 1] = ""
  end
  if #findings > 0 then
    ex[#ex + 1] = "Findings for this application:"
    for i, f in ipairs(findings) do ex[#ex + 1] = finding_line(i, f) end
    ex[#ex + 1] = ""
  end
  if #passages > 0 then
    ex[#ex + 1] = "From the documentation:"
    for i, p in ipairs(passages) do
      ex[#ex + 1] = string.format("%d. %s %s", i, M.label(p), M.summarize(p, qset))
    end
  else
    ex[#ex + 1] = "No documentation passage matched the question (is the knowledge base ingested? `sic kb ingest`)."
  end
  return {
    system = SYSTEM,
    user = table.concat(user, "\n"),
    extractive = table.concat(ex, "\n"),
    findings = findings,
    findings_error = ferr,
    passages = passages,
    question = question,
  }
end

--- Check the citations of an LLM answer against the retrieved passages. Returns the text to
--- print (answer + sources, with unknown citations flagged) and the list of citations.
function M.finalize(answer, prepared)
  local known, cited, unknown, seen = {}, {}, {}, {}
  for _, p in ipairs(prepared.passages or {}) do known[M.label(p)] = p end
  for c in tostring(answer or ""):gmatch("%[[^%[%]]-§[^%[%]]-%]") do
    if not seen[c] then
      seen[c] = true
      if known[c] then cited[#cited + 1] = c else unknown[#unknown + 1] = c end
    end
  end
  local out = { answer }
  if #cited == 0 then
    out[#out + 1] = "\n(The answer cites no retrieved passage; these were provided:)"
    for _, p in ipairs(prepared.passages or {}) do out[#out + 1] = "  " .. M.label(p) end
  end
  if #unknown > 0 then
    out[#out + 1] = "\nWarning: cited but not among the retrieved passages: " .. table.concat(unknown, ", ")
  end
  return table.concat(out, "\n"), cited, unknown
end

--- JSON document for `sic ask --format json`.
function M.to_json(prepared, mode, answer, cited, unknown, llm_error)
  local json = require "sic.json" -- the engine's deterministic encoder (sorted keys)
  local passages = {}
  for i, p in ipairs(prepared.passages or {}) do
    passages[i] = { rank = i, label = M.label(p), source = p.source, doc = p.doc, heading = p.heading,
                    section = p.section, kind = p.kind, score = p.score, text = p.text }
  end
  return json.encode({
    schema = "sic.ask/1", question = prepared.question, mode = mode, answer = answer,
    citations = cited or {}, unknown_citations = unknown or {}, llm_error = llm_error,
    findings = prepared.findings, passages = passages,
  })
end

return M
