-- Figures that must agree with each other (issue 18): a recommendation's utilisation says what
-- it measures and follows from the observed one (36% x 8/6 = 48%), durations print like the
-- stage table ("53 ms", not "0.1 s"), a spill with no disk bytes is not "0 B to disk", and a
-- stage's wall time runs from its submission in the text report, the JSON, the HTML page and
-- the REPL alike.
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"
local A = require "lib.analysis.util"
local cjson = require "cjson"

local REL = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"

describe("figures", function()
  it("formats durations one way, with the C report's precision", function()
    assert.equal("53 ms", A.secs(53))
    assert.equal("0 ms", A.secs(0))
    assert.equal("3.0 s", A.secs(3042))
    assert.equal("16.3 s", A.secs(16300))
    assert.equal("1m 10s", A.secs(70200))
    assert.equal("2h 11m", A.secs(2 * 3600000 + 11 * 60000))
    assert.equal("unknown", A.secs(-1))
  end)

  it("does not print a spill without disk bytes as zero to disk", function()
    assert.not_matches("0 B", A.spill(5 * 1048576, 0))
    assert.matches("no bytes written to disk", A.spill(5 * 1048576, 0))
    assert.equal("5.00 MiB in memory, 1.00 MiB on disk", A.spill(5 * 1048576, 1048576))
  end)

  it("states utilisation over the run and over stage time, consistent with the observed figure", function()
    local path = T.example.shared_or(REL, { seed = 151 }) -- any over-provisioned app: a generated one in a clone
    local report = U.engine({}):load():run(assert(sic.load(path)))
    local f
    for _, x in ipairs(report.findings) do if x.id == "resources.idle_executors" then f = x end end
    assert.is_truthy(f)
    local e = f.evidence
    local expect = e.utilisation * e.peak_executors / e.recommended_executors
    assert.near(expect, e.recommended_utilisation, 1e-9)
    local text = f.recommendation.text
    assert.matches(string.format("~%.0f%%%% over the run", 100 * expect), text)
    assert.matches(string.format("~%.0f%%%% while stages ran", 100 * e.recommended_stage_time_utilisation), text)
    -- the stage-time figure is the larger one: executors cannot work while no stage runs
    assert.is_true(e.recommended_stage_time_utilisation >= e.recommended_utilisation)
  end)

  it("does not print a zero spill as memory pressure, nor add G1 beside a collector already chosen", function()
    local path = T.need_shared("spark-events/sparklint/directory_source/event_log_1")
    if not path then return end
    local report = U.engine({}):load():run(assert(sic.load(path)))
    local mp, gc
    for _, x in ipairs(report.findings) do
      if x.id == "resources.memory_pressure" then mp = x end
      if x.id == "runtime.gc_pressure" then gc = x end
    end
    assert.is_truthy(mp and gc)
    assert.not_matches("spilled 0 B", mp.recommendation.text)
    local opts = gc.recommendation.config["spark.executor.extraJavaOptions"]
    assert.is_true(opts == nil or not (opts:find("UseConcMarkSweepGC", 1, true) and opts:find("UseG1GC", 1, true)))
    assert.matches("switch it to %-XX:%+UseG1GC", gc.recommendation.text)
  end)

  it("measures a stage's wall time from submission in the HTML page as in the REPL", function()
    local path = T.example.shared_or(REL, { seed = 151 }) -- any log: a generated one in a clone
    local app = assert(sic.load(path))
    local r = T.run_sic({ "analyze", path, "--format", "html" })
    assert.equal(0, r.code, r.stderr)
    local data = cjson.decode(r.stdout:match('<script type="application/json" id="sic%-data">(.-)</script>'))
    local stages = data.stages or (data.apps and data.apps[1].stages)
    assert.is_truthy(stages, "stages in the page's data")
    local checked = 0
    for _, s in ipairs(stages) do
      for _, st in ipairs(app.stages) do
        if st.stage_id == s.id and st.attempt_id == s.attempt and st.duration >= 0 then
          assert.equal(st.duration, s["end"] - s.start, "stage " .. s.id)
          checked = checked + 1
        end
      end
    end
    local want = 30
    if not T.has_shared(REL) then -- every stage the generated log completed
      want = 0
      for _ in pairs(T.example.facts(T.example.log({ seed = 151 })).stage_times) do want = want + 1 end
    end
    assert.is_true(checked >= want, "stages compared: " .. checked)
  end)
end)
