-- needs: rag
-- `sic kb` and `sic ask` end to end, and the answer assembly in scripts/ask/reasoning.lua.
--
local T = require "spec_helper"
local reasoning = dofile((os.getenv("SIC_SOURCE_DIR") or ".") .. "/scripts/ask/reasoning.lua")

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "/docs'"))
  return p
end

local report = [[{"schema":"sic.findings/1","findings":[
 {"id":"task_spill","severity":"medium","title":"Stage spilled to disk","evidence":{"stage":"stage 4.0","spilled_bytes":100},
  "recommendation":{"text":"raise memory per task","config":{"spark.sql.shuffle.partitions":"increase"}}},
 {"id":"rule_error","severity":"high","title":"agent failed"},
 {"id":"skew","severity":"high","title":"Skewed stage","entity":{"kind":"stage","id":"4.0"},
  "recommendation":{"text":"let AQE split skewed partitions","config":{"spark.sql.adaptive.skewJoin.enabled":"true"}},
  "impact":{"saving_ms":116467}}]}]]

local passages = {
  { source = "spark", doc = "sql-performance-tuning.md", section = "Optimizing Skew Join", kind = "property",
    heading = "Performance Tuning > Optimizing Skew Join",
    text = "Property Name: spark.sql.adaptive.skewJoin.enabled\nDefault: true\nMeaning: When true, Spark dynamically handles skew in sort-merge join by splitting skewed partitions.\nSince Version: 3.0.0" },
  { source = "spark", doc = "tuning.md", section = "Memory Tuning", kind = "text", heading = "Tuning Spark > Memory Tuning",
    text = "There are three considerations in tuning memory usage. The amount of memory used by your objects may be large. Garbage collection costs matter too." },
}

describe("reasoning.lua", function()
  it("ranks findings by severity, drops rule errors and renders recommendations with config", function()
    local f = reasoning.rank_findings(report, "why is a stage skewed", 5)
    assert.are.equal(2, #f)
    assert.are.equal("skew", f[1].id)
    assert.are.equal("task_spill", f[2].id)
    local text = reasoning.recommendation_text(f[1].recommendation)
    assert.truthy(text:find("spark.sql.adaptive.skewJoin.enabled=true", 1, true))
  end)

  it("reports an unreadable report instead of failing", function()
    local f, err = reasoning.rank_findings("{not json", "q", 5)
    assert.are.same({}, f)
    assert.truthy(err and err:find("not valid JSON"))
  end)

  it("derives retrieval queries from the top findings", function()
    local q = reasoning.retrieval_queries("why is my job slow?", report, 3)
    assert.are.equal("why is my job slow?", q[1])
    assert.truthy(q[2]:find("skewJoin", 1, true), q[2])
    assert.truthy(q[3]:find("shuffle.partitions", 1, true), q[3])
  end)

  it("queries a failure by its Spark error class, once", function()
    local failed = [[{"findings":[
      {"id":"job_failed","severity":"high","title":"A job failed","recommendation":{"text":"Job 6 failed: org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT] The value 'N/A' cannot be cast"}},
      {"id":"sql_failed","severity":"high","title":"A SQL query failed","evidence":{"error":"[CAST_INVALID_INPUT] The value"}}]}]]
    local q = reasoning.retrieval_queries("why did it fail?", failed, 3)
    assert.are.same({ "why did it fail?", "CAST_INVALID_INPUT" }, q)
  end)

  it("orders passages round-robin over the queries that found them", function()
    local ordered = reasoning.order_passages({
      { doc = "q1", query = 0, rank = 1 }, { doc = "q2", query = 0, rank = 2 }, { doc = "q3", query = 0, rank = 3 },
      { doc = "f1", query = 1, rank = 1 }, { doc = "g1", query = 2, rank = 1 }, { doc = "f2", query = 1, rank = 2 } })
    local docs = {}
    for i, p in ipairs(ordered) do docs[i] = p.doc end
    assert.are.same({ "q1", "f1", "g1", "q2", "f2", "q3" }, docs)
  end)

  it("builds a prompt with labelled passages and a labelled extractive answer", function()
    local p = reasoning.prepare({ question = "how do I fix skew?", report_json = report, passages = passages })
    assert.truthy(p.system:find("Cite every statement", 1, true))
    assert.truthy(p.user:find("[spark/sql-performance-tuning.md § Optimizing Skew Join]", 1, true))
    assert.truthy(p.user:find("Skewed stage", 1, true))
    assert.truthy(p.extractive:find("^Extractive answer %(no LLM used%)"))
    assert.truthy(p.extractive:find("spark.sql.adaptive.skewJoin.enabled (default true, since 3.0.0): When true", 1, true),
      p.extractive)
  end)

  it("checks citations: known ones kept, invented ones flagged, none at all gets the sources", function()
    local p = reasoning.prepare({ question = "skew", passages = passages })
    local text, cited, unknown = reasoning.finalize(
      "Enable it [spark/sql-performance-tuning.md § Optimizing Skew Join] and [spark/made-up.md § Nowhere].", p)
    assert.are.same({ "[spark/sql-performance-tuning.md § Optimizing Skew Join]" }, cited)
    assert.are.same({ "[spark/made-up.md § Nowhere]" }, unknown)
    assert.truthy(text:find("Warning: cited but not among the retrieved passages", 1, true))
    local bare = reasoning.finalize("Just do it.", p)
    assert.truthy(bare:find("cites no retrieved passage", 1, true))
    assert.truthy(bare:find("[spark/tuning.md § Memory Tuning]", 1, true))
  end)
end)

describe("sic kb and sic ask", function()
  local dir, store
  setup(function()
    dir = tmpdir()
    store = dir .. "/kb.db"
    T.write_file(dir .. "/docs/tuning.md", [[---
title: Tuning
---
# Tuning

## Skew

Data skew makes one task run much longer than the others; salting the join key spreads it.

## Shuffle Behavior

<table>
<thead><tr><th>Property Name</th><th>Default</th><th>Meaning</th><th>Since Version</th></tr></thead>
<tr><td><code>spark.sql.shuffle.partitions</code></td><td>200</td><td>Number of partitions used when shuffling data for joins or aggregations.</td><td>1.1.0</td></tr>
</table>
]])
    T.write_file(dir .. "/docs/streaming.md", "# Streaming\n\n## Kafka\n\nOffsets of Kafka topics are checkpointed.\n")
  end)
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("ingests, re-ingests idempotently, searches with citations and reports stats", function()
    local r = T.run_sic({ "kb", "ingest", dir .. "/docs", "--store", store, "--source", "team", "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find('"chunks_added":3', 1, true), r.stdout)
    r = T.run_sic({ "kb", "ingest", dir .. "/docs", "--store", store, "--source", "team", "--format", "json" })
    assert.truthy(r.stdout:find('"chunks_added":0', 1, true) and r.stdout:find('"unchanged":2', 1, true), r.stdout)
    r = T.run_sic({ "kb", "search", "how many shuffle partitions for joins", "--store", store, "-k", "2", "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find('"schema":"sic.kb_search/1"', 1, true))
    assert.truthy(r.stdout:find('"doc":"tuning.md"', 1, true) and r.stdout:find('"section":"Shuffle Behavior"', 1, true), r.stdout)
    r = T.run_sic({ "kb", "stats", "--store", store })
    assert.truthy(r.stdout:find("3 chunks", 1, true) and r.stdout:find("FAISS Flat", 1, true), r.stdout)
  end)

  it("answers extractively without an LLM, citing passages", function()
    local r = T.run_sic({ "ask", "what causes data skew?", "--store", store })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("Extractive answer (no LLM used)", 1, true), r.stdout)
    assert.truthy(r.stdout:find("[team/tuning.md § Skew]", 1, true), r.stdout)
  end)

  it("falls back to the extractive answer, clearly, when the LLM cannot be reached", function()
    local out, err = os.tmpname(), os.tmpname()
    local cmd = string.format("SIC_LLM_URL=http://127.0.0.1:1/v1 SIC_LLM_RETRIES=0 SIC_LLM_CONNECT_TIMEOUT_MS=500 '%s' ask 'kafka offsets' --store '%s' >%s 2>%s",
      T.sic_bin, store, out, err)
    os.execute(cmd)
    local so, se = T.read_file(out), T.read_file(err)
    os.remove(out)
    os.remove(err)
    assert.truthy(se:find("LLM unavailable", 1, true), se)
    assert.truthy(so:find("Extractive answer", 1, true) and so:find("[team/streaming.md § Kafka]", 1, true), so)
  end)

  it("reads the LLM settings from the llm table of a config file, and names a broken one", function()
    local cfg = T.write_file(dir .. "/cfg.lua",
      'return { llm = { url = "http://127.0.0.1:1/v1", retries = 0, connect_timeout_ms = 300 } }\n')
    local r = T.run_sic({ "ask", "kafka offsets", "--store", store, "--config", cfg })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stderr:find("LLM unavailable (http://127.0.0.1:1/v1/chat/completions", 1, true), r.stderr)
    local bad = T.write_file(dir .. "/bad.lua", "return { llm = 5 }\n")
    r = T.run_sic({ "ask", "kafka offsets", "--store", store, "--config", bad })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("bad.lua: 'llm' must be a table", 1, true), r.stderr)
  end)

  it("gives JSON with the schema, mode and passages", function()
    local r = T.run_sic({ "ask", "kafka offsets", "--store", store, "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find('"schema":"sic.ask/1"', 1, true) and r.stdout:find('"mode":"extractive"', 1, true), r.stdout)
  end)

  it("ingests past sic reports of a job from the history store, idempotently", function()
    local log, hist = dir .. "/app.log", "sqlite://" .. dir .. "/hist.db"
    assert.are.equal(0, T.run_sic({ "example", log, "--tasks", "300" }).code)
    local r = T.run_sic({ "ingest", log, "--store", hist })
    assert.are.equal(0, r.code, r.stderr)
    r = T.run_sic({ "kb", "ingest", "--history", "nightly_orders_etl", "--history-store", hist, "--store", store, "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find('"chunks_added":1', 1, true), r.stdout)
    r = T.run_sic({ "kb", "ingest", "--history", "nightly_orders_etl", "--history-store", hist, "--store", store, "--format", "json" })
    assert.truthy(r.stdout:find('"chunks_added":0', 1, true), r.stdout)
    r = T.run_sic({ "kb", "search", "nightly_orders_etl run duration findings", "--source", "reports", "--store", store })
    assert.truthy(r.stdout:find("[reports/history/nightly_orders_etl § run application_", 1, true), r.stdout)
    r = T.run_sic({ "kb", "ingest", "--history", "no_such_job", "--history-store", hist, "--store", store })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("no_such_job", 1, true), r.stderr)
  end)

  it("ingests a document from stdin under the name given", function()
    local one = dir .. "/one.db"
    local r = T.run_sic({ "kb", "ingest", "-", "--name", "notes.md", "--source", "team", "--store", one },
      "# Notes\n\n## GC\n\nG1 pauses hurt.\n")
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stderr:find("no dense index", 1, true), r.stderr) -- one chunk: keywords only, not an error
    r = T.run_sic({ "kb", "search", "G1 pauses", "--store", one })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("[team/notes.md § GC]", 1, true), r.stdout)
  end)

  it("names bad input and rejects bad usage", function()
    local r = T.run_sic({ "kb", "ingest", dir .. "/no-such-dir", "--store", store })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("no-such-dir", 1, true), r.stderr)
    r = T.run_sic({ "kb", "search", "x", "--store", "/nonexistent-dir/kb.db" })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("/nonexistent-dir/kb.db", 1, true), r.stderr)
    r = T.run_sic({ "kb", "search", "x", "--mode", "psychic", "--store", store })
    assert.are.equal(2, r.code)
    r = T.run_sic({ "kb", "frobnicate" })
    assert.are.equal(2, r.code)
    r = T.run_sic({ "kb", "ingest", "--store", store })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("nothing to ingest", 1, true), r.stderr)
    r = T.run_sic({ "ask", "q", "--app", dir .. "/missing.log", "--store", store })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("missing.log", 1, true), r.stderr)
  end)
end)
