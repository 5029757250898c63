-- Resources agent: executor recommendations keep min <= initial <= max and the cluster's
-- executor shape; utilisation and idle core time add up; the layer carries the timeline the
-- HTML report draws.
-- Real logs; the over-provisioned case also runs on a generated log without ../shared (its
-- dynamic allocation holds up to 10 executors of 4 cores that mostly idle).
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"

local function run(rel, generated)
  local path = generated and T.example.shared_or(rel, generated) or T.need_shared(rel)
  if not path then return nil end
  local report = U.engine({}):load():run(assert(sic.load(path)))
  assert.equal(0, report.errors)
  local by = {}
  for _, f in ipairs(report.findings) do by[f.id] = f end
  return report, by
end

describe("resources agent", function()
  it("recommends fewer executors of the same shape for an over-provisioned app, with the slowdown it costs", function()
    local rel = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
    local report, by = run(rel, { seed = 151 })
    if not report then return end
    local f = by["resources.idle_executors"]
    assert.equal("fewer", f.evidence.mode)
    if not T.has_shared(rel) then -- the most executors alive at once, from the log's own lines
      assert.equal(T.example.facts(T.example.log({ seed = 151 })).peak_executors, f.evidence.peak_executors)
    end
    assert.is_true(f.evidence.recommended_executors < f.evidence.peak_executors)
    -- a fixed-size app gets an executor count; one under dynamic allocation (the generated
    -- log's spark.dynamicAllocation.enabled=true) a lower maximum
    local key = f.evidence.dynamic_allocation and "spark.dynamicAllocation.maxExecutors" or "spark.executor.instances"
    if not T.has_shared(rel) then
      assert.truthy(T.read_file(T.example.log({ seed = 151 })):find('"spark.dynamicAllocation.enabled":"true"', 1, true))
      assert.is_true(f.evidence.dynamic_allocation)
    end
    assert.equal(tostring(f.evidence.recommended_executors), f.recommendation.config[key])
    assert.is_true(f.evidence.predicted_wall_ms >= f.evidence.observed_model_wall_ms) -- fewer slots never faster
    assert.is_true(f.impact.core_ms > 0)
    local r = report.state.resources
    assert.near(r.alive_core_ms - r.busy_core_ms, r.idle_core_ms, 1)
    assert.near(r.busy_core_ms / r.alive_core_ms, r.utilisation, 1e-9)
    assert.equal(60, #r.timeline.busy_core_ms)
  end)

  it("turns on dynamic allocation with min <= initial <= max when executors idle between stages", function()
    local report, by = run("spark-events/spark/application_1516285256255_0012")
    if not report then return end
    local f = by["resources.idle_executors"]
    assert.equal("release_when_idle", f.evidence.mode)
    -- a value the app already has (here Spark's default 0) is listed under `already`, not recommended
    local c, al = f.recommendation.config, f.recommendation.already or {}
    local function v(k) return tonumber(c[k]) or tonumber(tostring(al[k] or ""):match("^(%S+)")) end
    local min, initial, max = v("spark.dynamicAllocation.minExecutors"), v("spark.dynamicAllocation.initialExecutors"),
      v("spark.dynamicAllocation.maxExecutors")
    assert.is_true(min <= initial and initial <= max)
    assert.equal(f.evidence.peak_executors, max)
    assert.equal("true", c["spark.dynamicAllocation.enabled"])
    assert.is_not_nil(by["resources.driver_bound"])
  end)

  it("stays quiet on a busy cluster", function()
    local report, by = run("spark-events/sparklint/event_logs/application_1472176676028_407508_1")
    if not report then return end
    assert.is_nil(by["resources.idle_executors"])
    assert.is_true(report.state.resources.utilisation > 0.7)
    assert.is_not_nil(by["resources.memory_pressure"]) -- 226 GiB spilled
  end)
end)
