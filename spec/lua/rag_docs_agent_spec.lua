-- needs: rag
-- The docs agent (scripts/agents/docs.lua) in the orchestration graph: every finding of
-- `sic analyze` gets its two best documentation references from the knowledge base; without
-- one, the run is unchanged and says why once. Also the engine's annotation contract
-- (additive only).
local T = require "spec_helper"
local docs = dofile(T.source_dir .. "/scripts/agents/docs.lua")

-- sic with SIC_KB set (run_sic has no environment parameter).
local function sic_with_kb(kb, argv)
  local out, err = os.tmpname(), os.tmpname()
  local cmd = { "SIC_KB=" .. T.shell_quote(kb), T.shell_quote(T.sic_bin) }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = T.shell_quote(a) end
  cmd[#cmd + 1] = "</dev/null >" .. T.shell_quote(out) .. " 2>" .. T.shell_quote(err)
  local ok = os.execute(table.concat(cmd, " "))
  local r = { ok = ok == 0 or ok == true, stdout = T.read_file(out) or "", stderr = T.read_file(err) or "" }
  os.remove(out)
  os.remove(err)
  return r
end

local cjson = require "cjson"

-- The sic.findings/1 report of the first application of `sic analyze --format json`.
local function report_of(r)
  assert.is_true(r.ok, r.stderr)
  local doc = cjson.decode(r.stdout)
  return doc.applications[1].findings
end

local function by_id(report, id)
  local out = {}
  for _, f in ipairs(report.findings) do if f.id == id then out[#out + 1] = f end end
  return out
end

local function has_ref(f, doc, section)
  for _, ref in ipairs(f.references or {}) do
    if ref.doc == doc and ref.section == section then return true end
  end
  return false
end

-- Findings without what the docs agent adds and without per-run paths, for comparison.
local function comparable(report)
  local out = {}
  for _, f in ipairs(report.findings) do
    out[#out + 1] = cjson.encode({ f.id, f.severity, f.title, f.entity, f.evidence, f.recommendation, f.impact })
  end
  return out
end

describe("docs agent: query per finding", function()
  it("asks for the title, rule words, configuration names and advice without numbers", function()
    local q = docs.query({ id = "skew.task_duration", title = "Skewed stage",
      recommendation = { text = "stage 4 took 12.5 s; let AQE split skewed partitions",
        config = { ["spark.sql.adaptive.skewJoin.enabled"] = "true", ["spark.sql.adaptive.enabled"] = "true" } } })
    assert.truthy(q:find("Skewed stage", 1, true), q)
    assert.truthy(q:find("skew task duration", 1, true), q)
    assert.truthy(q:find("spark.sql.adaptive.enabled spark.sql.adaptive.skewJoin.enabled", 1, true), q) -- sorted
    assert.falsy(q:find("12", 1, true), q)
  end)

  it("asks for a Spark error class alone when the finding carries one", function()
    local q = docs.query({ id = "job.failed", title = "A job failed",
      recommendation = { text = "Job 6 failed: SparkNumberFormatException: [CAST_INVALID_INPUT] The value 'N/A'" } })
    assert.are.equal("CAST_INVALID_INPUT", q)
  end)
end)

describe("docs agent in `sic analyze`", function()
  local example, work
  setup(function()
    work = T.tmpdir()
    example = work .. "/example.log"
    local r = T.run_sic({ "example", example })
    assert.are.equal(0, r.code, r.stderr)
  end)
  teardown(function() os.execute("rm -rf '" .. work .. "'") end)

  it("without a knowledge base adds nothing, says so once, creates nothing, and the findings are unchanged", function()
    local missing = work .. "/fresh/sic/kb.db"
    local rep = report_of(sic_with_kb(missing, { "analyze", example, "--format", "json" }))
    assert.is_false(T.exists(work .. "/fresh"))
    assert.are.equal("none", rep.state.docs.mode)
    assert.truthy(rep.state.docs.note:find("no knowledge base at " .. missing, 1, true), rep.state.docs.note)
    local errors = by_id(rep, "rule_error")
    assert.are.equal(0, #errors, errors[1] and errors[1].title)
    for _, f in ipairs(rep.findings) do assert.is_nil(f.references) end
    -- The same run with a user graph that has no docs node: identical findings.
    local scripts = work .. "/nodocs"
    assert(os.execute("mkdir -p '" .. scripts .. "'"))
    local graph = T.read_file(T.source_dir .. "/scripts/graph.lua"):gsub(',%s*"docs"', "")
    assert.falsy(graph:find('"docs"', 1, true))
    T.write_file(scripts .. "/graph.lua", graph)
    local plain = report_of(sic_with_kb(missing, { "analyze", example, "--scripts", scripts, "--format", "json" }))
    assert.is_nil(plain.state.docs)
    assert.are.same(comparable(plain), comparable(rep))
    local text = sic_with_kb(missing, { "analyze", example, "--format", "text" })
    local _, notes = text.stdout:gsub("no documentation references: no knowledge base", "")
    assert.are.equal(1, notes)
    assert.falsy(text.stdout:find("see: ", 1, true))
  end)

  it("leaves a file that is not a knowledge base alone", function()
    local bogus = T.write_file(work .. "/not-a-kb.db", "just text, not SQLite\n")
    local rep = report_of(sic_with_kb(bogus, { "analyze", example, "--format", "json" }))
    assert.are.equal("none", rep.state.docs.mode)
    assert.are.equal("just text, not SQLite\n", T.read_file(bogus))
    assert.are.equal(0, #by_id(rep, "rule_error"))
  end)

  describe("with the Spark documentation ingested", function()
    local kb
    setup(function()
      kb = work .. "/kb/kb.db"
      local spark_docs = T.shared("docs/spark")
      if not T.exists(spark_docs) then return end
      local r = sic_with_kb(kb, { "kb", "ingest", spark_docs })
      assert.is_true(r.ok, r.stderr)
    end)

    it("gives the example's data-skew findings the AQE skew-join section, two distinct sections each", function()
      if not T.need_shared("docs/spark") then return end
      local rep = report_of(sic_with_kb(kb, { "analyze", example, "--format", "json" }))
      assert.are.equal("hybrid", rep.state.docs.mode)
      local skew = by_id(rep, "skew.task_duration")
      assert.is_true(#skew > 0)
      for _, f in ipairs(skew) do
        assert.is_true(has_ref(f, "sql-performance-tuning.md", "Optimizing Skew Join"), cjson.encode(f.references))
      end
      for _, f in ipairs(rep.findings) do
        if f.id ~= "rule_error" then
          local refs = f.references
          assert.is_true(refs ~= nil and #refs >= 1 and #refs <= 2, f.id)
          assert.are.equal("spark", refs[1].source)
          assert.is_true(refs[1].score > 0)
          if #refs == 2 then assert.are_not.equal(refs[1].doc .. refs[1].section, refs[2].doc .. refs[2].section) end
        end
      end
      -- The failed job names its Spark error class: its section of the error-conditions page.
      assert.is_true(has_ref(by_id(rep, "job.failed")[1], "sql-error-conditions.md", "CAST_INVALID_INPUT"))
    end)

    it("renders references in text and Markdown", function()
      if not T.need_shared("docs/spark") then return end
      local text = sic_with_kb(kb, { "analyze", example, "--format", "text" })
      assert.truthy(text.stdout:find("see: spark/sql-performance-tuning.md § Optimizing Skew Join", 1, true))
      local md = sic_with_kb(kb, { "analyze", example, "--format", "md" })
      assert.truthy(md.stdout:find("- see: spark/sql-performance-tuning.md § Optimizing Skew Join", 1, true), md.stdout)
    end)

    it("points the stragglers of a real GPU log (not data skew) at speculation", function()
      local log = T.need_shared("spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_gpu.zstd")
      if not log or not T.need_shared("docs/spark") then return end
      local rep = report_of(sic_with_kb(kb, { "analyze", log, "--format", "json" }))
      local skew = by_id(rep, "skew.task_duration")
      assert.is_true(#skew > 0)
      for _, f in ipairs(skew) do
        -- stragglers, not data skew: no skew-join settings; speculation is advised once for
        -- all straggling stages by config.speculation
        assert.is_nil((f.recommendation.config or {})["spark.sql.adaptive.skewJoin.enabled"])
      end
      local spec = by_id(rep, "config.speculation")
      assert.are.equal(1, #spec)
      assert.are.equal("true", spec[1].recommendation.config["spark.speculation"])
      assert.is_true(has_ref(spec[1], "configuration.md", "Scheduling"), cjson.encode(spec[1].references))
    end)

    it("falls back to keyword search when the dense index is gone, and says so", function()
      if not T.need_shared("docs/spark") then return end
      local copy = work .. "/kb-copy.db"
      assert(os.execute("cp '" .. kb .. "' '" .. copy .. "'"))
      local rep = report_of(sic_with_kb(copy, { "analyze", example, "--format", "json" }))
      assert.are.equal("keyword", rep.state.docs.mode)
      assert.truthy(rep.state.docs.note:find("keyword search only", 1, true))
      assert.is_true(has_ref(by_id(rep, "skew.task_duration")[1], "sql-performance-tuning.md", "Optimizing Skew Join"))
    end)
  end)
end)

describe("annotations: additive only", function()
  it("rejects an agent that would replace a field of another agent's finding", function()
    local dir = T.tmpdir()
    os.execute("mkdir -p '" .. dir .. "/agents'")
    T.write_file(dir .. "/graph.lua", 'return { agents = { "metadata", "first", "second" } }')
    T.write_file(dir .. "/agents/first.lua", [[return { name = "first", version = "1", needs = {},
      run = function() return { findings = { { id = "x.one", severity = "low", title = "one" } } } end }]])
    T.write_file(dir .. "/agents/second.lua", [[return { name = "second", version = "1", needs = { "first" },
      run = function() return { annotate = {
        { agent = "first", index = 1, key = "references", value = { { doc = "d.md", section = "S" } } },
        { agent = "first", index = 1, key = "title", value = "rewritten" },
        { agent = "ghost", index = 1, key = "x", value = 1 } } } end }]])
    local log = os.tmpname()
    assert.are.equal(0, T.run_sic({ "example", log }).code)
    local rep = report_of(sic_with_kb(dir .. "/none.db", { "analyze", log, "--scripts", dir, "--format", "json" }))
    os.remove(log)
    os.execute("rm -rf '" .. dir .. "'")
    local one = by_id(rep, "x.one")[1]
    assert.are.equal("one", one.title)
    assert.are.equal("S", one.references[1].section)
    local errors = by_id(rep, "rule_error")
    assert.are.equal(2, #errors)
    local all = cjson.encode(errors)
    assert.truthy(all:find("would replace field 'title'", 1, true), all)
    assert.truthy(all:find("names agent ghost", 1, true), all)
    assert.is_nil(rep.state.second.annotate)
  end)
end)
