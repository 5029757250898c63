-- `sic serve` answers every case of the History Server's own expectations
-- (shs-expectations/CASES.tsv) over HTTP with the same JSON as the History Server, through the
-- same comparer as shs_cases_spec.lua (object key order free, lastUpdated* excepted). Each
-- case is asked twice: rendered, then from the response cache.
-- ctest-label: needs-shared-data (every case reads the real data; pending without it)
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local J = require "shs_json"

local IGNORE = { lastUpdated = true, lastUpdatedEpoch = true }

local cases = J.cases

describe("sic serve over the History Server expectations", function()
  local exp_dir = T.shared("shs-expectations")
  local log_dir = T.shared("spark-events/spark")
  if not T.exists(exp_dir .. "/CASES.tsv") then
    it("needs ../shared/data/real/shs-expectations", function() pending(T.shared_reason("shs-expectations")) end)
    return
  end
  local all = cases(exp_dir)
  local srv

  setup(function() srv = H.start({ "--logs", log_dir }) end)
  teardown(function()
    if srv then assert.are.equal(0, srv:stop()) end
  end)

  it("has the 23 cases of CASES.tsv", function() assert.are.equal(23, #all) end)

  for _, c in ipairs(all) do
    it(c.name .. " (GET /api/v1/" .. c.path .. ")", function()
      local want = J.decode(assert(T.read_file(exp_dir .. "/" .. c.name .. "_expectation.json")), { same_dups = true })
      for round = 1, 2 do -- 1: rendered by engine/shs, 2: served from the response cache
        local r = srv:get("/api/v1/" .. c.path)
        assert.are.equal(200, r.status, "round " .. round .. ": " .. r.body)
        assert.are.equal("application/json", r.headers["content-type"])
        local ok, got = pcall(J.decode, r.body)
        assert(ok, "round " .. round .. ": not JSON: " .. tostring(got))
        local d = J.diff(got, want, IGNORE)
        assert(d == nil, "round " .. round .. ": " .. tostring(d))
      end
    end)
  end

  it("answers exactly what `sic api` prints, byte for byte, for errors too", function()
    for _, path in ipairs({ "applications/local-1422981780767/stages", "applications/nope", "applications/local-1422981780767/stages/99",
                            "applications/local-1422981780767/stages/0/0/taskList?length=3&sortBy=-runtime", "version" }) do
      local cli = T.run_sic({ "api", "--include", log_dir, path })
      local want_status = tonumber(cli.stdout:match("^HTTP (%d+)"))
      local want_body = cli.stdout:match("\n\n(.*)$"):gsub("\n$", "")
      local r = srv:get("/api/v1/" .. path)
      assert.are.equal(want_status, r.status, path)
      assert.are.equal(want_body, r.body, path)
    end
  end)

  it("serves the event logs zip as an attachment", function()
    local r = srv:get("/api/v1/applications/local-1422981780767/logs")
    assert.are.equal(200, r.status)
    assert.are.equal("application/octet-stream", r.headers["content-type"])
    assert.matches("attachment; filename=eventLogs%-local%-1422981780767%.zip", r.headers["content-disposition"])
    assert.are.equal("PK\3\4", r.body:sub(1, 4))
  end)

  it("counts cache hits in /metrics", function()
    local m = srv:get("/metrics").body
    local hits = tonumber(m:match("\nsic_response_cache_hits_total (%d+)"))
    assert.is_true(hits >= #all, "hits " .. tostring(hits))
    assert.is_truthy(m:find('sic_http_requests_total{route="/api/v1/*",code="2xx"} ', 1, true))
    assert.is_truthy(m:find('sic_http_request_duration_seconds_bucket{route="/api/v1/*",le="+Inf"} ', 1, true))
  end)
end)
