-- scripts/rules/failure_rules.lua, written with sic.testing (issue 17).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("failure rules", function()
  it("find the failed job and query, the executor YARN killed and the GC-bound executor of the example log", function()
    local found, errors = testing.run { builtin = "failure_rules", app = testing.load(T.example.log({ seed = 42 })), graph = true }
    assert.same({}, errors)
    assert.same({ "job 6" }, testing.keys(found, "job.failed"))
    assert.same({ "sql 2" }, testing.keys(found, "sql.failed"))
    assert.same({ "executor 5" }, testing.keys(found, "executor.memory_kill"))
    assert.same({ "executor 3" }, testing.keys(found, "executor.gc_pressure"))
  end)

  it("stay quiet on a healthy application", function()
    local app = testing.app { stages = { { tasks = testing.tasks(8, { duration = 1000 }) } } }
    local found, errors = testing.run { builtin = "failure_rules", app = app, graph = true }
    assert.same({}, errors)
    assert.same({}, found)
  end)
end)
