-- scripts/rules/resources_rules.lua, written with sic.testing (issue 17).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("resources rules", function()
  it("find idle executors, a driver-bound run and memory pressure in the example log", function()
    local app = testing.load(T.example.log({ seed = 42 }))
    local found, errors = testing.run { builtin = "resources_rules", app = app, graph = true }
    assert.same({}, errors)
    assert.same({ "app " .. app.app_id }, testing.keys(found, "resources.idle_executors"))
    assert.same({ "app " .. app.app_id }, testing.keys(found, "resources.driver_bound"))
    assert.same({ "app " .. app.app_id }, testing.keys(found, "resources.memory_pressure"))
  end)

  it("stay quiet when the executors are busy the whole run", function()
    local app = testing.app { stages = { { tasks = testing.tasks(8, { duration = 60000 }) } } }
    local found, errors = testing.run { builtin = "resources_rules", app = app, graph = true }
    assert.same({}, errors)
    assert.same({}, testing.keys(found, "resources.idle_executors"))
  end)
end)
