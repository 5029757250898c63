-- The history store over HTTP: uploads to POST /v1/analyze are recorded when
-- `sic serve --store URL` is given; /v1/jobs/{job}/history and /v1/regressions answer what
-- `sic history` and `sic regressions` print as JSON; without a store they answer 409.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local cjson = require "cjson"

-- Served logs: generated ones (the properties need an application, not a real one), so a
-- clone without ../shared runs these cases too.
local LOGS, APPS = T.example.dir({ { seed = 7, tasks = 300 }, { seed = 8, tasks = 300 } })
local JOB = "nightly_orders_etl" -- the generated application's name

describe("sic serve with a history store", function()
  local db, url, srv
  setup(function()
    if not T.exists(LOGS) then return end
    db = os.tmpname()
    os.remove(db)
    url = "sqlite://" .. db
    srv = H.start({ "--logs", LOGS, "--store", url })
  end)
  teardown(function()
    if srv then assert.are.equal(0, srv:stop()) end
    if db then os.remove(db) os.remove(db .. "-wal") os.remove(db .. "-shm") end
  end)

  it("records uploads and serves the job's history as sic history does", function()
    if not srv then return pending("shared data absent") end
    for _, f in ipairs(APPS) do
      local r = srv:request("POST", "/v1/analyze", { data_file = LOGS .. "/" .. f })
      assert.are.equal(200, r.status, r.body)
      assert.are.equal("sic.findings/1", cjson.decode(r.body).applications[1].findings.schema)
    end
    local r = srv:get("/v1/jobs/" .. JOB .. "/history?limit=10")
    assert.are.equal(200, r.status, r.body)
    local doc = cjson.decode(r.body)
    assert.are.equal("sic.history/1", doc.schema)
    local ids = {}
    for _, run in ipairs(doc.runs) do ids[#ids + 1] = run.appId end
    table.sort(ids)
    local want = { APPS[1], APPS[2] }
    table.sort(want)
    assert.are.same(want, ids)
    local cli = T.run_sic({ "history", JOB, "--store", url, "--limit", "10", "--format", "json" })
    assert.are.equal(0, cli.code, cli.stderr)
    assert.are.same(cjson.decode(cli.stdout), doc)
  end)

  it("serves regressions and JSON errors for unknown jobs and bad parameters", function()
    if not srv then return pending("shared data absent") end
    local r = srv:get("/v1/regressions?job=" .. JOB)
    assert.are.equal(200, r.status, r.body)
    assert.are.equal("sic.regressions/1", cjson.decode(r.body).schema)
    r = srv:get("/v1/jobs/no-such-job/history")
    assert.are.equal(404, r.status)
    assert.matches("^store: no runs of job 'no%-such%-job'", cjson.decode(r.body).error.message)
    assert.are.equal(400, srv:get("/v1/jobs/x/history?limit=0").status)
    assert.are.equal(400, srv:get("/v1/regressions?since=yesterday").status)
  end)

  it("answers 409 without a store", function()
    if not T.exists(LOGS) then return pending("shared data absent") end
    local plain = H.start({ "--logs", LOGS })
    local a, b = plain:get("/v1/regressions"), plain:get("/v1/jobs/x/history")
    assert.are.equal(0, plain:stop())
    assert.are.equal(409, a.status)
    assert.are.equal(409, b.status)
    assert.matches("start sic serve with %-%-store URL", cjson.decode(a.body).error.message)
  end)
end)
