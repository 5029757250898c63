-- `sic api` against the History Server's own expectations (shs-expectations/CASES.tsv): every
-- case must produce the same JSON (object key order free, array order as given,
-- lastUpdated/lastUpdatedEpoch excepted, since they are file modification times).
--
local T = require "spec_helper"
local J = require "shs_json"

local IGNORE = { lastUpdated = true, lastUpdatedEpoch = true }

local cases = J.cases

describe("sic api over the History Server expectations", function()
  local exp_dir = T.shared("shs-expectations")
  local log_dir = T.shared("spark-events/spark")
  if not T.exists(exp_dir .. "/CASES.tsv") then
    it("needs ../shared/data/real/shs-expectations", function() pending(T.shared_reason("shs-expectations")) end)
    return
  end
  local all = cases(exp_dir)

  it("has the 23 cases of CASES.tsv", function()
    assert.are.equal(23, #all)
  end)

  for _, c in ipairs(all) do
    it(c.name .. " (" .. c.path .. ")", function()
      local want = J.decode(assert(T.read_file(exp_dir .. "/" .. c.name .. "_expectation.json")), { same_dups = true })
      local r = T.run_sic({ "api", log_dir, c.path })
      assert(r.code == 0, "exit " .. r.code .. ": " .. r.stderr)
      local ok, got = pcall(J.decode, r.stdout)
      assert(ok, "output is not JSON: " .. tostring(got))
      local d = J.diff(got, want, IGNORE)
      assert(d == nil, d)
    end)
  end
end)

describe("shs_json comparer", function()
  it("tells objects from arrays and integers from doubles", function()
    assert.is_not_nil(J.diff(J.decode("{}"), J.decode("[]")))
    assert.is_not_nil(J.diff(J.decode("37"), J.decode("37.0")))
    assert.is_nil(J.diff(J.decode('{"a":1,"b":[1,2]}'), J.decode('{"b":[1,2],"a":1}')))
    assert.are.equal("$.b[1]: got 3, want 2", J.diff(J.decode('{"a":1,"b":[1,3]}'), J.decode('{"b":[1,2],"a":1}')))
    assert.are.equal("$.c: missing", J.diff(J.decode('{"a":1}'), J.decode('{"a":1,"c":2}')))
    assert.is_nil(J.diff(J.decode('{"a":1,"lastUpdated":"x"}'), J.decode('{"a":1,"lastUpdated":""}'), IGNORE))
    assert.are.equal(9007199254740993 == 9007199254740992, true) -- doubles cannot tell these apart...
    assert.is_not_nil(J.diff(J.decode("9007199254740993"), J.decode("9007199254740992"))) -- ...we can
    assert.has_error(function() J.decode('{"a":1,"a":1}') end)
    assert.has_error(function() J.decode('{"a":1,"a":2}', { same_dups = true }) end)
    assert.are.equal(1, J.decode('{"a":1,"a":1}', { same_dups = true }).keys.a.value)
  end)
end)
