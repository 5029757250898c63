-- scripts/rules/sql_rules.lua, written with sic.testing (issue 17). SQL plans come from a real
-- log of the labelled set (that case pends without ../shared; the quiet case runs anywhere, so
-- the file carries no needs-shared-data label).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("sql rules", function()
  it("find the exploding join of join_agg_on_yarn (SQL 0, as labelled)", function()
    local path = T.need_shared("spark-events/spark-rapids-tools/e2e-event_logs/join_agg_on_yarn_eventlog.zstd")
    if not path then return end
    local found, errors = testing.run { builtin = "sql_rules", app = testing.load(path), graph = true }
    assert.same({}, errors)
    assert.same({ "sql 0" }, testing.keys(found, "sql.exploding_join"))
  end)

  it("stay quiet on an application without SQL", function()
    local app = testing.app { stages = { { tasks = testing.tasks(4, {}) } } }
    local found, errors = testing.run { builtin = "sql_rules", app = app }
    assert.same({}, errors)
    assert.same({}, found)
  end)
end)
