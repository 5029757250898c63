-- What-if simulation (engine/stats/sim.c through sic.stats.simulate and the runtime agent):
-- validated on every real log - simulating each at its own cluster size must reproduce its
-- observed wall time - and checked for the shape of the what-if curve.
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"

-- Logical logs under a directory, as `sic logs` discovers them (one line per log, parts indented).
local function discover(dir)
  local r = T.run_sic({ "logs", dir })
  assert.equal(0, r.code, r.stderr)
  local out = {}
  for line in r.stdout:gmatch("[^\n]+") do
    if not line:match("^%s") then out[#out + 1] = line:match("^(%S+)") end
  end
  return out
end

local function quantile(sorted, q)
  return sorted[math.min(#sorted, math.floor(q * #sorted) + 1)]
end

describe("what-if simulation", function()
  it("reproduces each real log's wall time at its observed cluster size (median and p90 relative error)", function()
    local dir = T.need_shared("spark-events")
    if not dir then return end
    local errs, worst = {}, { 0 }
    for _, path in ipairs(discover(dir)) do
      local app = sic.load(path)
      if app and #app.stages > 0 then
        local sim = sic.stats.simulate(app, { 1 })
        local s = sim.summary
        if s.task_ms > 0 and s.wall_ms > 0 then
          local rel = math.abs(s.simulated_ms - s.wall_ms) / s.wall_ms
          errs[#errs + 1] = rel
          if rel > worst[1] then worst = { rel, path } end
          -- factor 1 through the curve gives the same prediction as the summary
          assert.near(s.simulated_ms, sim.walls[1], 1e-6 * s.simulated_ms + 1)
        end
      end
    end
    table.sort(errs)
    local median, p90 = quantile(errs, 0.5), quantile(errs, 0.9)
    io.stderr:write(string.format("\nwhat-if validation over %d real logs: median relative error %.4f, p90 %.4f, " ..
      "max %.3f (%s)\n", #errs, median, p90, worst[1], tostring(worst[2])))
    assert.is_true(#errs >= 50, "expected most real logs to have tasks")
    assert.is_true(median <= 0.01, "median relative error " .. median)
    assert.is_true(p90 <= 0.15, "p90 relative error " .. p90)
  end)

  it("predicts longer runs on fewer slots and never beats the critical path", function()
    -- a busy real app, or without ../shared a generated one with stages wider than its slots
    local path = T.has_shared("spark-events/sparklint/event_logs/application_1472176676028_407508_1")
    if not path then
      path = T.example.log({ seed = 211 })
      local f = T.example.facts(path)
      assert.is_true(f.max_stage_tasks > f.peak_executors * f.cores, "a stage wider than the slots")
    end
    local app = assert(sic.load(path))
    local factors = { 0.25, 0.5, 1, 2, 4 }
    local sim = sic.stats.simulate(app, factors)
    for i = 2, #factors do assert.is_true(sim.walls[i] <= sim.walls[i - 1] + 1, "monotone in the cluster size") end
    for i = 1, #factors do assert.is_true(sim.walls[i] >= sim.summary.critical_path_ms - 1, "bounded by the critical path") end
    if T.has_shared("spark-events/sparklint/event_logs/application_1472176676028_407508_1") then
      assert.is_true(sim.walls[1] > 2 * sim.walls[3], "a quarter of the slots at least doubles this busy app's runtime")
    else -- a quarter of the slots cannot run the wide stages as fast
      assert.is_true(sim.walls[1] > sim.walls[3], "a quarter of the slots is slower")
    end
    assert.is_true(sim.summary.ideal_ms <= sim.summary.simulated_ms + 1)
  end)

  it("puts the curve, bounds and method in the runtime agent's layer and prices it in the cost layer", function()
    local path = T.example.shared_or("spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd",
      { seed = 7, tasks = 2000 })
    local report = U.engine({}):load():run(assert(sic.load(path)))
    assert.equal(0, report.errors)
    local w = report.state.runtime.whatif
    assert.equal(8, #w.points)
    assert.is_true(w.relative_error < 0.05)
    assert.matches("list scheduling", w.method)
    local curve = report.state.cost.whatif_cost
    assert.equal(#w.points, #curve)
    assert.is_true(curve[1].usd > 0)
    -- priced from the log's own cluster (issue 18): Dataproc on GCP when the shared log is here
    assert.is_truthy(require("pricing.catalogue").entries[report.state.cost.pricing.entry])
    assert.matches("verify", report.state.cost.pricing.source)
  end)

  it("prices the run with the catalogue entry chosen by --set, and names a wrong one", function()
    local path = T.example.shared_or("spark-events/spark/application_1516285256255_0012", { seed = 7, tasks = 300 })
    local r = T.run_sic({ "analyze", path, "--set", "rule.cost.run.instance=gcp.n2-standard-8", "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    assert.matches('"pricing_entry": "gcp.n2%-standard%-8"', r.stdout)
    local bad = T.run_sic({ "analyze", path, "--set", "rule.cost.run.instance=nope" })
    assert.equal(2, bad.code) -- a usage error, not a rule_error (issue 18)
    assert.matches("no catalogue entry 'nope'", bad.stderr)
  end)
end)
