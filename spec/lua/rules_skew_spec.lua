-- scripts/rules/skew_rules.lua, written with sic.testing (issue 17): also the example of a
-- spec for a stage rule over a synthetic application.
local testing = require "sic.testing"

local MIB = 1048576

local function stage_with(straggler)
  return testing.app { stages = { { name = "join", tasks = testing.tasks(16, { duration = 2000, input = 64 * MIB }, { [1] = straggler }) } } }
end

describe("skew rules", function()
  it("fire on a straggler that read far more data, and call it data skew", function()
    local found, errors = testing.run { builtin = "skew_rules", ids = { "skew.task_duration" },
      app = stage_with { duration = 80000, input = 900 * MIB } }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "skew.task_duration"))
    assert.equal("stage 0.0", f.entity.key)
    assert.equal("data", f.evidence.cause)
    assert.equal(80000, f.evidence.max_ms)
  end)

  it("call a speculative straggler with the same data a speculation straggler (tasks.speculative)", function()
    local found = testing.run { builtin = "skew_rules", ids = { "skew.task_duration" },
      app = stage_with { duration = 80000, input = 64 * MIB, speculative = true } }
    assert.equal("speculation", assert(testing.finding(found, "skew.task_duration")).evidence.cause)
  end)

  it("stay quiet on even tasks and below the ratio threshold", function()
    local found = testing.run { builtin = "skew_rules", app = stage_with {} }
    assert.same({}, testing.keys(found, "skew.task_duration"))
    found = testing.run { builtin = "skew_rules", ids = { "skew.task_duration" }, app = stage_with { duration = 80000 },
      thresholds = { ["skew.task_duration"] = { ratio = 50 } } }
    assert.same({}, testing.keys(found, "skew.task_duration"))
  end)

  it("find the skewed join stage of the generated example log", function()
    local T = require "spec_helper"
    local found, errors = testing.run { builtin = "skew_rules", app = testing.load(T.example.log({ seed = 42 })), graph = true }
    assert.same({}, errors)
    assert.same({ "stage 4.0" }, testing.keys(found, "skew.task_duration"))
  end)
end)
