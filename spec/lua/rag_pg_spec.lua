-- needs: rag
-- The knowledge base on a PostgreSQL store (`sic kb ... --store postgresql://...`): chunks and
-- the keyword index in PostgreSQL (tsvector, BM25 over postings), dense index in a local data
-- dir; the question-set evaluation on that backend. A PostgreSQL server is started here
-- (spec/support/pg.sh; stopped in teardown and by a watchdog if this process dies).
-- SIC_TEST_NO_PG=1 skips the spec (otherwise a missing server fails it).
local T = require "spec_helper"
local cjson = require "cjson"
local ffi = require "ffi"

pcall(ffi.cdef, "int getpid(void);")

local sh = T.sh

local pg_sh = T.source_dir .. "/spec/support/pg.sh"

describe("knowledge base on PostgreSQL", function()
  if os.getenv("SIC_TEST_NO_PG") == "1" then
    it("is skipped (SIC_TEST_NO_PG=1)", function() pending("SIC_TEST_NO_PG=1") end)
    return
  end
  local tmp, url, data

  -- sic with the data dir set; returns stdout, stderr, success.
  local function sic(argv, extra_env)
    local out, err = os.tmpname(), os.tmpname()
    local cmd = { "SIC_KB_DATA_DIR=" .. T.shell_quote(data), extra_env or "", T.shell_quote(T.sic_bin) }
    for _, a in ipairs(argv) do cmd[#cmd + 1] = T.shell_quote(a) end
    cmd[#cmd + 1] = "</dev/null >" .. T.shell_quote(out) .. " 2>" .. T.shell_quote(err)
    local rc = os.execute(table.concat(cmd, " "))
    local r = { ok = rc == 0 or rc == true, stdout = T.read_file(out) or "", stderr = T.read_file(err) or "" }
    os.remove(out)
    os.remove(err)
    return r
  end

  local function psql(sql)
    local out, ok = sh("psql -qtA " .. T.shell_quote(url) .. " -c " .. T.shell_quote(sql) .. " 2>&1")
    assert.is_true(ok, out)
    return (out:gsub("%s+$", ""))
  end

  local function top_docs(query, mode)
    local r = sic({ "kb", "search", query, "--store", url, "--mode", mode or "bm25", "-k", "5", "--format", "json" })
    assert.is_true(r.ok, r.stderr)
    local docs = {}
    for _, h in ipairs(cjson.decode(r.stdout).results) do docs[#docs + 1] = h.doc .. " § " .. h.section end
    return docs
  end

  setup(function()
    tmp = sh("mktemp -d /tmp/sic-rag-pg-XXXXXX"):gsub("%s+$", "")
    data = tmp .. "/data"
    local out, ok = sh(pg_sh .. " start " .. tmp .. "/pg " .. ffi.C.getpid())
    assert(ok, "could not start PostgreSQL via spec/support/pg.sh (SIC_TEST_NO_PG=1 skips): " .. out)
    url = out:gsub("%s+$", "")
  end)

  teardown(function()
    if tmp then
      sh(pg_sh .. " stop " .. tmp .. "/pg")
      sh("rm -rf " .. T.shell_quote(tmp))
    end
  end)

  it("ingests the Spark and Delta docs and answers the question set with PostgreSQL's full-text engine", function()
    local spark, delta = T.need_shared("docs/spark"), T.need_shared("docs/delta")
    if not spark or not delta then return end
    local r = sic({ "kb", "ingest", spark, delta, "--store", url })
    assert.is_true(r.ok, r.stderr)
    local stats = cjson.decode(sic({ "kb", "stats", "--store", url, "--format", "json" }).stdout)
    assert.is_true(stats.chunks > 5000)
    assert.are.equal(tostring(stats.chunks), psql("SELECT count(*) FROM sic_kb_chunk"))
    assert.are.equal("0", psql("SELECT count(*) FROM sic_kb_chunk WHERE tsv = ''::tsvector AND body <> ''"))
    assert.is_true(T.exists(data .. "/kb.db.faiss"))
    local ev = sic({ "kb", "eval", T.source_dir .. "/spec/data/questions.tsv", "--store", url })
    assert.is_true(ev.ok, ev.stderr)
    local res = {}
    for mode, h1, h5, mrr in ev.stdout:gmatch("\n(%w+)%s+75%s+([%d.]+)%s+([%d.]+)%s+([%d.]+)") do
      res[mode] = { hit1 = tonumber(h1), hit5 = tonumber(h5), mrr = tonumber(mrr) }
    end
    io.stderr:write("\nPostgreSQL backend: ", ev.stdout, "\n")
    assert.is_true(res.bm25.hit5 >= 0.9, ev.stdout)
    assert.is_true(res.hybrid.hit5 >= 0.9, ev.stdout)
    assert.is_true(res.hybrid.mrr > res.dense.mrr, ev.stdout)
  end)

  it("ranks from PostgreSQL: the keyword side reads its postings, and a stale copy is resynced", function()
    if not T.need_shared("docs/spark") then return end
    local q = "skewedPartitionFactor skewed partition factor"
    assert.are.equal("sql-performance-tuning.md § Optimizing Skew Join", top_docs(q)[1])
    -- Emptying PostgreSQL's postings (the local file untouched) empties keyword results ...
    psql("TRUNCATE sic_kb_posting")
    assert.are.same({}, top_docs(q))
    -- ... and a copy that claims another origin/generation is rebuilt on the next search.
    psql("UPDATE sic_kb_meta SET value = 'elsewhere#0' WHERE key = 'state'")
    assert.are.equal("sql-performance-tuning.md § Optimizing Skew Join", top_docs(q)[1])
  end)

  it("follows an incremental ingest", function()
    local dir = tmp .. "/more"
    os.execute("mkdir -p '" .. dir .. "'")
    T.write_file(dir .. "/zorbulator.md", "# Zorbulator\n\n## Flux settings\n\nThe zorbulator flux capacitance is set per stage.\n")
    local r = sic({ "kb", "ingest", dir, "--store", url, "--source", "local" })
    assert.is_true(r.ok, r.stderr)
    assert.are.equal("zorbulator.md § Flux settings", top_docs("zorbulator flux capacitance")[1])
    assert.are.equal("zorbulator.md § Flux settings", top_docs("zorbulator flux capacitance", "hybrid")[1])
    assert.are.equal("1", psql("SELECT count(*) FROM sic_kb_chunk WHERE source = 'local'"))
  end)

  it("attaches references during analysis from a PostgreSQL knowledge base", function()
    if not T.need_shared("docs/spark") then return end
    local log = tmp .. "/example.log"
    assert.are.equal(0, T.run_sic({ "example", log }).code)
    local r = sic({ "analyze", log, "--format", "json" }, "SIC_KB=" .. T.shell_quote(url))
    assert.is_true(r.ok, r.stderr)
    local rep = cjson.decode(r.stdout).applications[1].findings
    local found = false
    for _, f in ipairs(rep.findings) do
      if f.id == "skew.task_duration" then
        for _, ref in ipairs(f.references or {}) do
          if ref.section == "Optimizing Skew Join" then found = true end
        end
      end
    end
    assert.is_true(found, cjson.encode(rep.state.docs))
  end)

  it("names PostgreSQL in a connection error and does not crash", function()
    local r = sic({ "kb", "search", "x", "--store", "postgresql://sic@127.0.0.1:1/sic" })
    assert.is_false(r.ok)
    assert.truthy(r.stderr:find("knowledge base on PostgreSQL: cannot connect", 1, true), r.stderr)
    assert.falsy(r.stderr:find("\n\t", 1, true))
  end)
end)
