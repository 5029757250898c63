-- `sic analyze DIR` in text: one line per application and a fleet summary ranked by cost and
-- by estimated savings; --details restores the full reports.
-- Over the real spark-events/spark (18 logical logs), or without ../shared over a directory of
-- generated logs.
local T = require "spec_helper"

describe("fleet summary", function()
  it("prints one line per application and the top applications by cost and by savings", function()
    local dir, n = T.has_shared("spark-events/spark"), 18 -- the 18 logical logs of spark-events/spark
    if not dir then
      local ids
      dir, ids = T.example.dir({ { seed = 111, tasks = 200 }, { seed = 112, tasks = 200 }, { seed = 113, tasks = 400 },
                                 { seed = 114, tasks = 200, codec = "zstd" } })
      n = #ids
    end
    local r = T.run_sic({ "analyze", dir })
    assert.equal(0, r.code, r.stderr)
    local lines, costs = 0, {}
    for line in r.stdout:gmatch("[^\n]+") do
      local c = line:match("  cost +%$([%d.]+)  savings")
      if c then lines = lines + 1 costs[#costs + 1] = tonumber(c) end
    end
    assert.equal(n, lines)
    assert.matches("Fleet: " .. n .. " applications, cost %$[%d.]+ in all", r.stdout)
    local top = r.stdout:match("Top applications by cost\n  1%. %$([%d.]+)")
    table.sort(costs, function(a, b) return a > b end)
    assert.equal(costs[1], tonumber(top))
    assert.matches("Top applications by estimated savings\n  1%. ", r.stdout)
    assert.is_nil(r.stdout:find("Findings\n", 1, true))
    local d = T.run_sic({ "analyze", dir, "--details" })
    assert.equal(0, d.code, d.stderr)
    assert.is_not_nil(d.stdout:find("Findings\n", 1, true))
    assert.is_nil(d.stdout:find("Fleet: ", 1, true))
  end)
end)
