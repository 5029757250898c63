-- scripts/rules/spark_config_rules.lua, written with sic.testing (issue 17).
local testing = require "sic.testing"

local MIB = 1048576

local function rdd_shuffle(conf)
  return testing.app { conf = conf, stages = { { tasks = testing.tasks(8, { duration = 3000, shuffle_read = 64 * MIB }) } } }
end

describe("spark config rules", function()
  it("recommend Kryo for RDD shuffles under Java serialization", function()
    local found, errors = testing.run { builtin = "spark_config_rules", app = rdd_shuffle {} }
    assert.same({}, errors)
    local f = assert(testing.finding(found, "config.serializer"))
    assert.equal(512 * MIB, f.evidence.shuffle_read_bytes)
    assert.equal("org.apache.spark.serializer.KryoSerializer", f.recommendation.config["spark.serializer"])
  end)

  it("stay quiet with Kryo, and about AQE on Spark 3.5 (on by default)", function()
    local found = testing.run { builtin = "spark_config_rules",
      app = rdd_shuffle { ["spark.serializer"] = "org.apache.spark.serializer.KryoSerializer" } }
    assert.same({}, found)
  end)
end)
