-- scripts/rules/runtime_rules.lua, written with sic.testing (issue 17).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("runtime rules", function()
  it("find the failed and retried tasks of the example log", function()
    local found, errors = testing.run { builtin = "runtime_rules", app = testing.load(T.example.log({ seed = 42 })), graph = true }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "runtime.failed_tasks"))
    assert.matches("stages", f.entity.key)
  end)

  it("stay quiet on a short healthy application", function()
    local app = testing.app { stages = { { tasks = testing.tasks(8, { duration = 1000 }) } } }
    local found, errors = testing.run { builtin = "runtime_rules", app = app, graph = true }
    assert.same({}, errors)
    assert.same({}, testing.keys(found, "runtime.failed_tasks"))
    assert.same({}, testing.keys(found, "runtime.gc_pressure"))
  end)
end)
