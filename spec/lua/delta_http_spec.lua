-- GET /v1/delta?table=REL (sic serve --delta-root DIR): the sic.delta/1 report of a table under
-- the root, never outside it; 409 without --delta-root. Without ../shared: a generated log
-- folder and the generated tables (spec/support/gen_delta.py) with their expected snapshot.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local cjson = require "cjson"
local D = require "example_delta"
local E = require "example_logs"

local LOGS = T.has_shared("spark-events/spark")
local ROOT = T.has_shared("delta/delta-rs")
local TABLE, WANT = "delta-0.8.0", { 1, 2, 4 } -- delta-rs' read_delta_8_0_table_without_version
if not (LOGS and ROOT) then
  LOGS, ROOT = (E.dir({ 1 })), D.root()
  local _, f = D.table("json-only")
  TABLE, WANT = "json-only", { f.version, f.files, f.rows }
end

describe("sic serve /v1/delta", function()
  local srv, bare
  setup(function()
    srv = H.start({ "--logs", LOGS, "--delta-root", ROOT })
    bare = H.start({ "--logs", LOGS })
  end)
  teardown(function()
    if srv then assert.are.equal(0, srv:stop()) end
    if bare then assert.are.equal(0, bare:stop()) end
  end)

  it("answers the snapshot and findings of a table under the root", function()
    local r = srv:get("/v1/delta?table=" .. TABLE)
    assert.are.equal(200, r.status, r.body)
    local doc = cjson.decode(r.body)
    assert.are.equal("sic.delta/1", doc.schema)
    assert.are.same(WANT, { doc.snapshot.version, doc.snapshot.files, doc.snapshot.rows })
    r = srv:get("/v1/delta?table=" .. TABLE .. "&format=md")
    assert.are.equal(200, r.status)
    assert.truthy(r.body:find("# Delta tables", 1, true))
  end)

  it("refuses paths outside the root and bad parameters", function()
    -- a slash never decodes into the parameter; ".." resolves outside the root
    assert.are.equal(400, srv:get("/v1/delta?table=../delta-kernel-rs/table-with-dv-small").status)
    assert.are.equal(404, srv:get("/v1/delta?table=..").status)
    assert.are.equal(400, srv:get("/v1/delta?table=%2Fetc").status) -- a decoded slash is refused outright
    assert.are.equal(400, srv:get("/v1/delta").status)
    assert.are.equal(400, srv:get("/v1/delta?table=" .. TABLE .. "&format=xml").status)
    assert.are.equal(409, bare:get("/v1/delta?table=" .. TABLE).status)
  end)
end)
