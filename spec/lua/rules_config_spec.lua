-- scripts/rules/config_rules.lua, written with sic.testing (issue 17).
local testing = require "sic.testing"

local GIB = 1024 ^ 3

local function shuffle_app(conf)
  return testing.app { conf = conf, stages = { { tasks = testing.tasks(8, { duration = 5000, shuffle_read = 0.25 * GIB }) } } }
end

describe("config rules", function()
  it("flag shuffle compression turned off for a shuffle-heavy run", function()
    local found, errors = testing.run { builtin = "config_rules", ids = { "config.shuffle_compress_off" },
      app = shuffle_app { ["spark.shuffle.compress"] = "false" } }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "config.shuffle_compress_off"))
    assert.equal(2 * GIB, f.evidence.shuffle_read_bytes)
    assert.equal("true", f.recommendation.config["spark.shuffle.compress"])
  end)

  it("stay quiet with compression on (the default) or little shuffle", function()
    local found = testing.run { builtin = "config_rules", app = shuffle_app {} }
    assert.same({}, testing.keys(found, "config.shuffle_compress_off"))
    found = testing.run { builtin = "config_rules", ids = { "config.shuffle_compress_off" },
      app = shuffle_app { ["spark.shuffle.compress"] = "false" },
      thresholds = { ["config.shuffle_compress_off"] = { min_shuffle_bytes = 4 * GIB } } }
    assert.same({}, found)
  end)
end)
