-- Delta tables at a URI: the same shared tables uploaded to an S3-compatible store (s3rver from
-- npm, installed by `make npm-deps`) give the same snapshot through `sic delta s3://...`,
-- `sic analyze --tables s3://...` and sic.delta.open as through their local paths. Without
-- ../shared, generated tables of the same three shapes (spec/support/gen_delta.py) and a
-- generated event log take their place.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local cjson = require "cjson"
local q = T.shell_quote

local S3 = require "s3rver"
local D = require "example_delta"
local E = require "example_logs"

-- checkpoint + tail, multi-part with stats_parsed only, V2 with Parquet sidecars
local shared = T.has_shared("delta")
local tables = {
  "delta-rs/simple_table_with_checkpoint",
  "delta-kernel-rs/v1-multi-part-struct-stats-only",
  "delta-kernel-rs/v2-checkpoints-parquet-with-sidecars",
}
local generated = { "checkpoint-tail", "multi-part-stats-parsed", "v2-parquet-sidecars" }
-- the local folder of table t (a name from `tables`)
local dir_of = {}
for i, t in ipairs(tables) do
  if shared then dir_of[t] = shared .. "/" .. t
  else
    tables[i] = "generated/" .. generated[i]
    dir_of[tables[i]] = D.table(generated[i])
  end
end

local function basename(p) return p:match("([^/]+)/*$") end

-- The snapshot facts that must not depend on where the table is read from.
local function facts(snap)
  local f = {}
  for k, v in pairs(snap) do
    if k ~= "table" and k ~= "location" and k ~= "diagnostics" then f[k] = v end
  end
  f.diagnostic_codes = {}
  for _, d in ipairs(snap.diagnostics or {}) do f.diagnostic_codes[#f.diagnostic_codes + 1] = d.code end
  return f
end

local function finding_ids(doc)
  local ids = {}
  for _, x in ipairs(doc.findings or {}) do ids[#ids + 1] = x.id .. ":" .. x.severity end
  table.sort(ids)
  return ids
end

describe("delta over sources: S3 (s3rver)", function()
  local s3
  local function s3env() return s3:env() end
  local function delta_json(target, env)
    local out, ok = T.sh((env or "") .. " " .. q(T.sic_bin) .. " delta --format json " .. q(target) .. " 2>&1")
    assert(ok, "sic delta " .. target .. " failed:\n" .. out)
    return cjson.decode(out)
  end

  setup(function()
    s3 = S3.start("lake")
    -- only the logs: a snapshot never reads the data files
    for _, t in ipairs(tables) do
      local files = T.sh("cd " .. q(dir_of[t]) .. " && find _delta_log -type f")
      for rel in files:gmatch("[^\n]+") do s3:put(dir_of[t] .. "/" .. rel, basename(t) .. "/" .. rel) end
    end
  end)
  teardown(function()
    if s3 then s3:stop() end
  end)

  for _, t in ipairs(tables) do
    it("sic delta s3://... gives the local snapshot and findings for " .. t, function()
      local here = delta_json(dir_of[t])
      local there = delta_json("s3://lake/" .. basename(t), s3env())
      assert.are.equal("sic.delta/1", there.schema)
      assert.is_true(here.snapshot.version >= 0 and here.snapshot.files > 0)
      assert.are.same(facts(here.snapshot), facts(there.snapshot))
      assert.are.same(finding_ids(here), finding_ids(there))
      assert.are.equal("s3://lake/" .. basename(t), there.snapshot.location)
      -- and a trailing slash names the same table
      assert.are.same(facts(here.snapshot), facts(delta_json("s3://lake/" .. basename(t) .. "/", s3env()).snapshot))
    end)
  end

  it("file:// names the local table", function()
    local t = tables[1]
    assert.are.same(facts(delta_json(dir_of[t]).snapshot), facts(delta_json("file://" .. dir_of[t]).snapshot))
  end)

  it("sic analyze --tables takes the table URI", function()
    local t, log = tables[1], E.shared_or("spark-events/spark/local-1422981759269", { seed = 7, tasks = 300 })
    local function run(target, env)
      local out, ok = T.sh((env or "") .. " " .. q(T.sic_bin) .. " analyze --format json " .. q(log) ..
                           " --tables " .. q(target) .. " 2>&1")
      assert(ok, out)
      return out
    end
    local here, there = run(dir_of[t]), run("s3://lake/" .. basename(t), s3env())
    assert.truthy(there:find("s3://lake/" .. basename(t), 1, true), there)
    local function ids(out)
      local l = {}
      for id in out:gmatch('"id"%s*:%s*"(delta%.[%w_]+)"') do l[#l + 1] = id end
      table.sort(l)
      return l
    end
    assert.is_true(#ids(here) > 0, here)
    assert.are.same(ids(here), ids(there))
  end)

  it("sic.delta.open reads the URI in process", function()
    local t = tables[2]
    local ffi = require "ffi"
    pcall(ffi.cdef, "int setenv(const char *name, const char *value, int overwrite);")
    ffi.C.setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1)
    ffi.C.setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1)
    ffi.C.setenv("AWS_REGION", "us-east-1", 1)
    ffi.C.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:" .. s3.port, 1)
    local delta = require "sic.delta"
    local a = assert(delta.open(dir_of[t]))
    local b = assert(delta.open("s3://lake/" .. basename(t)))
    assert.are.equal(a.version, b.version)
    assert.are.equal(a.files, b.files)
    assert.are.equal(a.bytes, b.bytes)
    assert.are.equal(a.tombstones, b.tombstones)
    assert.are.equal(a.rows, b.rows)
  end)

  it("a prefix with no table is a clear error naming it", function()
    local out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " delta s3://lake/no-such-table 2>&1")
    assert.is_false(ok)
    assert.truthy(out:find("s3://lake/no-such-table", 1, true), out)
    assert.truthy(out:find("not a Delta table", 1, true), out)
  end)
end)
