-- scripts/rules/delta_rules.lua (rules that apply to tables), written with sic.testing (issue
-- 17): testing.tables runs the Delta agent over real tables with the scans of a log (a
-- generated table of the same shape without ../shared: spec/support/gen_delta.py "agent").
local T = require "spec_helper"
local D = require "example_delta"
local testing = require "sic.testing"

describe("delta rules", function()
  it("rank clustering columns from the filters the log's scans apply to the table", function()
    local dir = D.shared_or("delta/delta-kernel-rs/cdf-table-non-partitioned", "agent")
    local log = T.tmpname() .. ".json"
    local r = T.run_sic({ "example", log, "--delta", dir, "--filter", "birthday=2024-04-15", "--filter", "birthday=2024-04-15",
      "--filter", "id>5" })
    assert.equal(0, r.code, r.stderr)
    local found, errors = testing.tables({ dir }, { logs = { log } })
    os.remove(log)
    assert.same({}, errors)
    local f = assert(testing.finding(found, "delta.clustering"))
    assert.equal("table", f.entity.kind)
  end)

  it("report an unreadable table instead of failing", function()
    local found = testing.tables({ "/nonexistent/table" })
    assert.equal("delta.unreadable", found[1].id)
  end)
end)
