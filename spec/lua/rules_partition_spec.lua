-- scripts/rules/partition_rules.lua, written with sic.testing (issue 17).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("partition rules", function()
  it("find the stage of tiny tasks and the spilling stage of the example log", function()
    local found, errors = testing.run { builtin = "partition_rules", app = testing.load(T.example.log({ seed = 42 })), graph = true }
    assert.same({}, errors)
    assert.same({ "stage 9.0" }, testing.keys(found, "partition.tiny_tasks"))
    assert.same({ "stage 8.0" }, testing.keys(found, "partition.spill"))
  end)

  it("stay quiet on a few tasks of reasonable size", function()
    local app = testing.app { stages = { { tasks = testing.tasks(8, { duration = 30000, input = 128 * 1048576 }) } } }
    local found, errors = testing.run { builtin = "partition_rules", app = app, graph = true }
    assert.same({}, errors)
    assert.same({}, testing.keys(found, "partition.tiny_tasks"))
    assert.same({}, testing.keys(found, "partition.spill"))
  end)
end)
