-- The delta agent end to end: `sic example --delta` writes an application whose queries scan a
-- real shared Delta table with given filters; `sic delta TABLE --logs LOG` must rank the
-- clustering columns by the bytes those scans read and report data-skipping figures that match
-- an independent evaluation of the files' min/max statistics. Also VACUUM against --now,
-- thresholds from --set, and the agent inside `sic analyze --tables`. Without ../shared the
-- same cases run on a generated table of the same shape (spec/support/gen_delta.py "agent":
-- id, name, birthday columns, small files with statistics, removes) and its liquid twin.
local T = require "spec_helper"
local D = require "example_delta"
local cjson = require "cjson"

local TABLE = "delta/delta-kernel-rs/cdf-table-non-partitioned"
local LIQUID = "delta/delta-rs/table_with_liquid_clustering"

local function finding(doc, id)
  for _, f in ipairs(doc.findings) do if f.id == id then return f end end
end

describe("delta agent", function()
  local table_dir, log, generated
  setup(function()
    table_dir, generated = D.shared_or(TABLE, "agent")
    log = T.tmpname() .. ".json"
    -- birthday 3 scans, id 2 scans, name 1 scan: that is the expected ranking
    local r = T.run_sic({ "example", log, "--delta", table_dir, "--filter", "birthday=2024-04-15", "--filter",
      "birthday=2024-04-15", "--filter", "birthday=2024-04-15", "--filter", "id>5", "--filter", "id>5", "--filter", "name=Bob" })
    assert.equal(0, r.code, r.stderr)
  end)
  teardown(function() if log then os.remove(log) end end)

  local function run(extra)
    local argv = { "delta", table_dir, "--logs", log, "--format", "json" }
    for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
    local r = T.run_sic(argv)
    assert.equal(0, r.code, r.stderr)
    return cjson.decode(r.stdout)
  end

  it("the generated log scans the table's real location", function()
    local text = T.read_file(log)
    assert.truthy(text:find("PushedFilters: [IsNotNull(birthday), EqualTo(birthday,2024-04-15)]", 1, true))
    assert.truthy(text:find("Location: PreparedDeltaFileIndex(1 paths)[file:", 1, true))
  end)

  it("ranks clustering columns by bytes scanned, most filtered first", function()
    local doc = run()
    assert.equal("sic.delta/1", doc.schema)
    local f = finding(doc, "delta.clustering")
    assert.is_not_nil(f)
    assert.same({ "birthday", "id", "name" }, f.evidence.columns)
    local bytes = doc.snapshot.bytes
    assert.same({ 3 * bytes, 2 * bytes, bytes }, { f.evidence.ranking[1].bytes_scanned, f.evidence.ranking[2].bytes_scanned,
      f.evidence.ranking[3].bytes_scanned })
    assert.is_true(f.evidence.protocol_upgrade)
  end)

  it("reports data skipping that matches the files' own statistics", function()
    local doc = run()
    local f = finding(doc, "delta.data_skipping")
    assert.is_not_nil(f)
    -- independent evaluation: read every active file's stats and apply the predicates
    local s = assert(require("sic.delta").open(table_dir))
    local expect = { ["EqualTo(birthday,2024-04-15)"] = 0, ["GreaterThan(id,5)"] = 0, ["EqualTo(name,Bob)"] = 0 }
    local skipped_bytes = { ["EqualTo(birthday,2024-04-15)"] = 0, ["GreaterThan(id,5)"] = 0, ["EqualTo(name,Bob)"] = 0 }
    for i = 1, s.files do
      local st = cjson.decode(require("ffi").string(s.c.files[i - 1].stats))
      local size = s:file(i).size
      local lo, hi = st.minValues, st.maxValues
      if hi.birthday < "2024-04-15" or lo.birthday > "2024-04-15" then
        expect["EqualTo(birthday,2024-04-15)"] = expect["EqualTo(birthday,2024-04-15)"] + 1
        skipped_bytes["EqualTo(birthday,2024-04-15)"] = skipped_bytes["EqualTo(birthday,2024-04-15)"] + size
      end
      if hi.id <= 5 then
        expect["GreaterThan(id,5)"] = expect["GreaterThan(id,5)"] + 1
        skipped_bytes["GreaterThan(id,5)"] = skipped_bytes["GreaterThan(id,5)"] + size
      end
      if hi.name < "Bob" or lo.name > "Bob" then
        expect["EqualTo(name,Bob)"] = expect["EqualTo(name,Bob)"] + 1
        skipped_bytes["EqualTo(name,Bob)"] = skipped_bytes["EqualTo(name,Bob)"] + size
      end
    end
    assert.equal(3, #f.evidence.predicates)
    for _, p in ipairs(f.evidence.predicates) do
      assert.equal(expect[p.predicate], p.files_skipped, p.predicate)
      assert.equal(skipped_bytes[p.predicate], p.bytes_skipped, p.predicate)
      assert.equal(s.files, p.files)
      -- the log's scans read everything (no skipping): files read = scans x active files
      assert.equal(p.scans * s.files, p.observed_files_read)
    end
    assert.is_true(expect["EqualTo(birthday,2024-04-15)"] > 0 and expect["GreaterThan(id,5)"] > 0)
  end)

  it("OPTIMIZE simulation under Delta's defaults and a --set maximum", function()
    local doc = run()
    local f = finding(doc, "delta.small_files")
    local n = generated and generated.files or 11 -- every file is small: one bin
    assert.same({ n, 1, n }, { f.evidence.optimize.files_before, f.evidence.optimize.files_after, f.evidence.optimize.files_rewritten })
    -- a 4 KiB bin limit: bins of files up to 4096 bytes, single-file bins dropped
    doc = run({ "--set", "rule.delta.small_files.max_file_size=4096", "--set", "rule.delta.small_files.min_files_removed=1" })
    f = finding(doc, "delta.small_files")
    assert.equal(4096, f.evidence.optimize.max_file_size)
    assert.is_true(f.evidence.optimize.files_after > 1)
  end)

  it("VACUUM against --now reclaims the tombstones older than 7 days, never under 168 hours", function()
    local s = assert(require("sic.delta").open(table_dir))
    local newest = 0
    for _, t in s:each_tombstone() do newest = math.max(newest, t.deletion_ms or 0) end
    local doc = run({ "--now", tostring(newest + 8 * 86400000) })
    local f = finding(doc, "delta.vacuum")
    assert.same({ s.tombstones, 168 }, { f.evidence.reclaimable_files, f.evidence.retention_hours })
    assert.equal(s.tombstone_bytes, f.evidence.reclaimable_bytes)
    doc = run({ "--now", tostring(newest + 8 * 86400000), "--set", "rule.delta.vacuum.retention_hours=1" })
    f = finding(doc, "delta.vacuum")
    assert.equal(168, f.evidence.retention_hours)
    assert.is_true(f.evidence.retention_clamped)
    assert.truthy(f.recommendation.text:find("RETAIN 168 HOURS", 1, true))
    doc = run() -- now = the last commit: the removes are recent
    assert.is_nil(finding(doc, "delta.vacuum"))
  end)

  it("runs inside sic analyze --tables, and not without tables", function()
    local r = T.run_sic({ "analyze", log, "--tables", table_dir, "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local doc = cjson.decode(r.stdout)
    local ids = {}
    for _, f in ipairs(doc.applications[1].findings.findings) do ids[f.id] = true end
    assert.is_true(ids["delta.clustering"])
    r = T.run_sic({ "analyze", log, "--format", "json" })
    doc = cjson.decode(r.stdout)
    for _, f in ipairs(doc.applications[1].findings.findings) do assert.is_nil(f.id:match("^delta%."), f.id) end
  end)

  it("reports existing liquid clustering (delta.liquid domain) and stays quiet when it matches", function()
    local liquid = D.shared_or(LIQUID, "liquid")
    local lq = T.tmpname() .. ".json"
    assert.equal(0, T.run_sic({ "example", lq, "--delta", liquid, "--filter", "id>3" }).code)
    local r = T.run_sic({ "delta", liquid, "--logs", lq, "--format", "json" })
    os.remove(lq)
    local doc = cjson.decode(r.stdout)
    assert.same({ kind = "liquid", columns = { "id" } }, doc.tables[1].clustering)
    assert.is_nil(finding(doc, "delta.clustering"))
    assert.is_not_nil(finding(doc, "delta.data_skipping"))
  end)

  it("renders text, md and html", function()
    for _, fmt in ipairs({ "text", "md", "html" }) do
      local r = T.run_sic({ "delta", table_dir, "--logs", log, "--format", fmt })
      assert.equal(0, r.code, r.stderr)
      assert.truthy(r.stdout:find("birthday", 1, true), fmt)
    end
  end)

  it("a missing table exits 1 with the reason in the document", function()
    local r = T.run_sic({ "delta", "/nonexistent/table", "--format", "json" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("not a Delta table", 1, true))
  end)
end)
