-- Delta snapshots (engine/delta through sic.delta) against what the upstream projects' own
-- tests assert for the same tables (shared data: ../shared/data/real/delta). Each case names
-- the upstream test whose assertion it repeats. Plus broken logs made here from copies, and
-- every log shape on tables the project generates (spec/support/gen_delta.py) against the
-- generator's own bookkeeping, which run without ../shared.
local T = require "spec_helper"
local D = require "example_delta"

describe("delta snapshot", function()
  local delta, root
  setup(function()
    delta = require "sic.delta"
    root = T.has_shared("delta")
  end)

  local function open(rel)
    local s, err = delta.open(root .. "/" .. rel)
    assert.is_not_nil(s, err)
    return s
  end

  local function tomb_of(s, path)
    for _, t in s:each_tombstone() do if t.path == path then return t end end
  end

  -- JSON-only logs
  it("delta-rs delta-0.2.0: version 3, 3 files, 4 tombstones, protocol 1/2 (read_delta_2_0_table_without_version)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/delta-0.2.0")
    assert.same({ 3, 3, 4, 1, 2 }, { s.version, s.files, s.tombstones, s.protocol.min_reader_version, s.protocol.min_writer_version })
    local t = tomb_of(s, "part-00000-512e1537-8aaa-4193-b8b4-bef3de0de409-c000.snappy.parquet")
    assert.is_not_nil(t)
    assert.equal(1564524298213, t.deletion_ms)
  end)

  it("delta-rs delta-0.8.0: version 1, 2 files, 4 records, one tombstone of 445 bytes (read_delta_8_0_table_without_version)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/delta-0.8.0")
    assert.same({ 1, 2, 4, 1 }, { s.version, s.files, s.rows, s.tombstones })
    local t = tomb_of(s, "part-00001-911a94a2-43f6-4acb-8620-5e68c2654989-c000.snappy.parquet")
    assert.same({ 445, 1615043776198 }, { t.size, t.deletion_ms })
    assert.equal("none", s.checkpoint.kind)
  end)

  it("delta-rs delta-0.8.0-partitioned: 6 files, 2 in year=2020/month=2 (read_delta_8_0_table_with_partitions)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/delta-0.8.0-partitioned")
    assert.equal(6, s.files)
    assert.same({ "year", "month", "day" }, s.partition_columns)
    local n = 0
    for _, f in s:each_file() do if f.partition.year == "2020" and f.partition.month == "2" then n = n + 1 end end
    assert.equal(2, n)
  end)

  it("delta-rs delta-0.8.0-null-partition: one file under k=A, one with a null k (read_delta_8_0_table_with_null_partition)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/delta-0.8.0-null-partition")
    local a, null = 0, 0
    for _, f in s:each_file() do
      if f.partition.k == "A" then a = a + 1 elseif f.partition.k == nil then null = null + 1 end
    end
    assert.same({ 2, 1, 1 }, { s.files, a, null })
  end)

  it("delta-rs simple_table_with_cdc: version 2, one file (read_delta_table_with_cdc)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/simple_table_with_cdc")
    assert.same({ 2, 1 }, { s.version, s.files })
    assert.equal("part-00000-7444aec4-710a-4a4c-8abe-3323499043e9.c000.snappy.parquet", s:file(1).path)
  end)

  -- checkpoint + tail, and a log whose early commits were vacuumed
  it("delta-rs checkpoints_vacuumed: version 12 from checkpoint 10 and a tail of 2 (test_read_vacuumed_log)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/checkpoints_vacuumed")
    assert.same({ 12, 10, 2 }, { s.version, s.checkpoint.version, s.log_tail })
    assert.equal(0, #s.diagnostics)
  end)

  it("delta-rs simple_table_with_checkpoint: checkpoint 10 via _last_checkpoint (read_delta_table_with_update: latest files)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/simple_table_with_checkpoint")
    assert.same({ 10, 10, "classic", "_last_checkpoint" }, { s.version, s.checkpoint.version, s.checkpoint.kind, s.checkpoint.source })
    local found = false
    for _, f in s:each_file() do found = found or f.path == "part-00000-f0e955c5-a1e3-4eec-834e-dcc098fc9005-c000.snappy.parquet" end
    assert.is_true(found) -- test_poll_table_commits: the file added at version 10 is active
  end)

  -- deletion vectors
  it("delta-kernel-rs table-with-dv-small: 8 rows after the deletion vector (dv_table)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-kernel-rs/table-with-dv-small")
    assert.same({ 1, 8, 1, 2 }, { s.files, s.rows, s.dv_files, s.dv_rows })
  end)

  it("delta-kernel-rs table-without-dv-small: 10 rows, one file (non_dv_table)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-kernel-rs/table-without-dv-small")
    assert.same({ 1, 10, 0 }, { s.files, s.rows, s.dv_files })
  end)

  -- V2 checkpoints with sidecars (JSON and Parquet top level)
  for _, kind in ipairs({ "json", "parquet" }) do
    it("delta-kernel-rs v2-checkpoints-" .. kind .. "-with-sidecars: 101 files, checkpoint 6 with 2 sidecars " ..
       "(test_single_node_v2_with_sidecars, test_sidecar_phase_processes_files)", function()
      if not T.need_shared("delta") then return end
      local s = open("delta-kernel-rs/v2-checkpoints-" .. kind .. "-with-sidecars")
      assert.same({ 6, 101, 6, "v2", 2 }, { s.version, s.files, s.checkpoint.version, s.checkpoint.kind, s.checkpoint.sidecars })
      assert.same({ "v2Checkpoint" }, s.protocol.reader_features)
    end)
  end

  it("delta-kernel-rs v2-classic-checkpoint-parquet: the classic-named checkpoint is a V2 manifest (json_stats_classic case)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-kernel-rs/v2-classic-checkpoint-parquet")
    assert.same({ 1, "v2", 1, 4 }, { s.checkpoint.version, s.checkpoint.kind, s.checkpoint.sidecars, s.files })
  end)

  -- multi-part and stats_parsed-only checkpoints
  it("delta-kernel-rs v1-multi-part-struct-stats-only: 3-part checkpoint, statistics only in stats_parsed (leaf_multipart case)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-kernel-rs/v1-multi-part-struct-stats-only")
    assert.same({ 5, "multi-part", 3, 5, 5 }, { s.checkpoint.version, s.checkpoint.kind, s.checkpoint.parts, s.files, s.rows })
    assert.is_true(s.c.files[0].stats_parsed == 1)
    local st = s:file_stats(1)
    assert.is_number(st.min.id)
  end)

  it("delta-rs delta-1.2.1-only-struct-stats: numRecords from stats_parsed (checkpoint 10 + 2 commits)", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/delta-1.2.1-only-struct-stats")
    assert.same({ 12, 10, 2, 12 }, { s.version, s.checkpoint.version, s.log_tail, s.files })
    assert.equal(12, s.rows)
  end)

  -- _last_checkpoint problems and unsupported features: diagnostics, not crashes
  it("Delta golden corrupted-last-checkpoint-kernel: zero-byte _last_checkpoint, checkpoint found by listing", function()
    if not T.need_shared("delta") then return end
    local s = open("delta/golden/corrupted-last-checkpoint-kernel")
    assert.equal(10, s.checkpoint.version)
    assert.matches("^listing", s.checkpoint.source)
    assert.equal("last_checkpoint_unusable", s.diagnostics[1].code)
  end)

  it("delta-rs data_err_logs_table_d: catalogOwned reader feature is a diagnostic", function()
    if not T.need_shared("delta") then return end
    local s = open("delta-rs/data_err_logs_table_d")
    local codes = {}
    for _, d in ipairs(s.diagnostics) do codes[d.code] = d.message end
    assert.matches("catalogOwned", codes.unsupported_reader_feature)
  end)

  it("Delta golden versions-not-contiguous: a version gap stops the replay and says so", function()
    if not T.need_shared("delta") then return end
    local s = open("delta/golden/versions-not-contiguous")
    assert.equal(0, s.version)
    assert.equal("version_gap", s.diagnostics[1].code)
  end)

  it("a directory without _delta_log is an error naming it", function()
    local s, err = delta.open(root or D.root())
    assert.is_nil(s)
    assert.matches("not a Delta table", err)
  end)

  -- broken logs made here from a copy of a real one (delta-rs simple_table_with_checkpoint:
  -- version 10, 11 files, checkpoint 10), else of a generated one with a checkpoint and a tail
  describe("broken copies", function()
    local dir, want
    before_each(function()
      if root then
        dir = T.tmpname() .. "-delta"
        os.execute(string.format("mkdir -p '%s' && cp -r '%s/delta-rs/simple_table_with_checkpoint/_delta_log' '%s/' && chmod -R u+w '%s'",
          dir, root, dir, dir))
        want = { version = 10, files = 11, checkpoint = 10 }
      else
        dir = D.copy("checkpoint-tail")
        local _, f = D.table("checkpoint-tail")
        want = { version = f.version, files = f.files, checkpoint = f.checkpoint.version }
      end
    end)
    after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

    it("corrupt _last_checkpoint: listing is used and the snapshot is unchanged", function()
      T.write_file(dir .. "/_delta_log/_last_checkpoint", "{not json")
      local s = assert(delta.open(dir))
      assert.same({ want.version, want.files, want.checkpoint }, { s.version, s.files, s.checkpoint.version })
      assert.matches("not valid JSON", s.checkpoint.source)
    end)

    it("stale _last_checkpoint naming a missing checkpoint", function()
      T.write_file(dir .. "/_delta_log/_last_checkpoint", '{"version":20,"size":3}')
      local s = assert(delta.open(dir))
      assert.equal(want.checkpoint, s.checkpoint.version)
      assert.equal("last_checkpoint_stale", s.diagnostics[1].code)
    end)

    it("a damaged checkpoint: replay falls back to the JSON commits and says which", function()
      T.write_file(dir .. ("/_delta_log/%020d.checkpoint.parquet"):format(want.checkpoint), "PAR1 garbage PAR1")
      local s = assert(delta.open(dir))
      assert.same({ want.version, want.files }, { s.version, s.files })
      assert.is_nil(s.checkpoint.version)
      assert.equal("checkpoint_unreadable", s.diagnostics[1].code)
    end)

    it("a .crc that disagrees is reported", function()
      T.write_file(dir .. ("/_delta_log/%020d.crc"):format(want.version), '{"numFiles":3,"tableSizeBytes":7}')
      local s = assert(delta.open(dir))
      local found
      for _, d in ipairs(s.diagnostics) do if d.code == "crc_mismatch" then found = d.message end end
      assert.matches("numFiles 3", found)
    end)
  end)
end)

-- Every log shape on generated tables: the snapshot sic replays equals the one the generator
-- kept while writing the log (spec/support/gen_delta.py), damage included.
describe("delta snapshot of generated tables", function()
  local delta = require "sic.delta"
  local cjson = require "cjson"

  local function sorted(list) table.sort(list) return list end
  local function key(t) -- partition values as comparable text (nulls included)
    local ks = {}
    for k, v in pairs(t) do ks[#ks + 1] = k .. "=" .. (v == cjson.null and "<null>" or tostring(v)) end
    return table.concat(sorted(ks), ",")
  end

  for _, kind in ipairs(D.kinds()) do
    it(kind .. ": the snapshot is the generator's", function()
      local dir, want = D.table(kind)
      local s = assert(delta.open(dir))
      assert.same({ want.version, want.files, want.bytes, want.rows, want.tombstones, want.tombstone_bytes },
        { s.version, s.files, s.bytes, s.rows, s.tombstones, s.tombstone_bytes })
      assert.same({ want.dv_files, want.dv_rows, want.txns }, { s.dv_files, s.dv_rows, s.txns })
      assert.same({ want.min_reader_version, want.min_writer_version }, { s.protocol.min_reader_version, s.protocol.min_writer_version })
      assert.same(want.reader_features, s.protocol.reader_features)
      assert.same(want.partition_columns, s.partition_columns)
      local cp = want.checkpoint
      assert.equal(cp.kind, s.checkpoint.kind)
      assert.same({ cp.version, cp.parts, cp.sidecars }, { s.checkpoint.version, cp.parts and s.checkpoint.parts, cp.sidecars and s.checkpoint.sidecars })
      if cp.source then assert.matches("^" .. cp.source, s.checkpoint.source) end
      assert.same({ want.log_tail, want.compacted_used, want.last_commit_ms }, { s.log_tail, s.compacted_used, s.last_commit_ms })
      local codes = {}
      for _, d in ipairs(s.diagnostics) do codes[#codes + 1] = d.code end
      assert.same(want.diagnostics, codes)
      local paths, parts, wparts = {}, {}, {}
      for i = 1, s.files do
        paths[i] = s:file(i).path
        parts[i] = key(cjson.decode(require("ffi").string(s.c.files[i - 1].partition_values)))
      end
      for i, p in ipairs(want.partitions) do wparts[i] = key(p) end
      assert.same(want.file_paths, sorted(paths))
      assert.same(sorted(wparts), sorted(parts))
      local domains = {}
      for _, d in ipairs(s.domains) do domains[#domains + 1] = d.domain end
      assert.same(want.domains, sorted(domains))
      if want.tombstone then
        local t
        for _, x in s:each_tombstone() do if x.path == want.tombstone.path then t = x end end
        assert.is_not_nil(t, want.tombstone.path)
        assert.same({ want.tombstone.size, want.tombstone.deletion_ms }, { t.size, t.deletion_ms })
      end
    end)
  end

  it("a null partition value is nil in each_file, the others are strings", function()
    local dir = D.table("null-partition")
    local s = assert(delta.open(dir))
    local a, null = 0, 0
    for _, f in s:each_file() do
      if f.partition.k == "A" then a = a + 1 elseif f.partition.k == nil then null = null + 1 end
    end
    assert.same({ 1, 1 }, { a, null })
  end)

  it("statistics only in stats_parsed (multi-part checkpoint) are read as statistics", function()
    local dir, want = D.table("multi-part-stats-parsed")
    local s = assert(delta.open(dir))
    assert.is_true(want.stats_parsed)
    for i = 1, s.files do
      assert.equal(1, s.c.files[i - 1].stats_parsed)
      local st = s:file_stats(i)
      assert.is_number(st.min.id)
      assert.is_true(st.max.id >= st.min.id)
    end
  end)

  it("the liquid clustering domain is live", function()
    local dir, want = D.table("liquid")
    local s = assert(delta.open(dir))
    assert.equal(1, #s.domains)
    assert.same({ clusteringColumns = { want.clustering } }, s.domains[1].parsed)
  end)
end)
