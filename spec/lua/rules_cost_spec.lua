-- scripts/rules/cost_rules.lua, written with sic.testing (issue 17).
local T = require "spec_helper"
local testing = require "sic.testing"

describe("cost rules", function()
  it("price the example run and the share of it the other findings could save", function()
    local app = testing.load(T.example.log({ seed = 42 }))
    local found, errors = testing.run { builtin = "cost_rules", app = app, graph = true }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "cost.run"))
    assert.equal("app " .. app.app_id, f.entity.key)
  end)
end)
