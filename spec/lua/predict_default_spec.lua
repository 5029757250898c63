-- `sic predict` out of the box (issue 18): with no trained model (no --model, no SIC_MODEL) it
-- gives an estimate with an interval from a replay of the log's own task times, the same
-- simulation as `sic analyze`'s what-if table, and --executors moves wide applications' estimates
-- the right way.
local T = require "spec_helper"

local WIDE = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd" -- stages of 576 and 2004 tasks on 128 slots
local NARROW = "spark-events/spark/app-20161116163331-0000" -- no stage has more tasks than slots
local LOCAL = "spark-events/spark/local-1422981780767"

-- Without ../shared the same kinds of application, generated: a wide one (stages of more tasks
-- than its slots), a narrow one (--tasks 50: every stage fits) and the wide one in local mode.
local E = T.example
local generated = not T.has_shared("spark-events")
local GEN = { [WIDE] = { seed = 81 }, [NARROW] = { seed = 82, tasks = 50 } }
local function log_path(log)
  if not generated then return T.need_shared(log) end
  if log == LOCAL then return (E.local_mode({ seed = 81 })) end
  return E.log(GEN[log])
end

local function predict(log, extra)
  local argv = { "env", "-u", "SIC_MODEL", T.sic_bin, "predict", log_path(log), "--format", "json" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local q = {}
  for i, a in ipairs(argv) do q[i] = T.shell_quote(a) end
  local out = T.sh(table.concat(q, " ") .. " 2>&1")
  return out
end

local function num(out, key) return tonumber(out:match('"' .. key .. '" : ([%d.e+-]+)')) end

describe("sic predict without a trained model", function()
  it("estimates the logged run with an interval that holds the observed runtime", function()
    local out = predict(WIDE)
    assert.matches('"source" : "replay"', out)
    local p, lo, hi, obs = num(out, "predictedMs"), num(out, "lowMs"), num(out, "highMs"), num(out, "observedMs")
    assert.truthy(p and lo and hi and obs, out)
    assert.truthy(lo <= p and p <= hi, out)
    assert.truthy(lo <= obs and obs <= hi, "observed " .. obs .. " outside " .. lo .. " .. " .. hi)
    assert.truthy(lo >= num(out, "criticalPathMs"), "never below the critical path")
  end)

  it("moves a wide application's estimate the right way with --executors", function()
    local base = num((predict(WIDE)), "predictedMs")
    local more = num((predict(WIDE, { "--executors", "16" })), "predictedMs")
    local fewer = num((predict(WIDE, { "--executors", "2" })), "predictedMs")
    assert.truthy(more < base, more .. " >= " .. base)
    assert.truthy(fewer > base, fewer .. " <= " .. base)
    -- analyze's what-if table (runtime agent) gives the same figure for twice the executors
    local r = T.run_sic({ "analyze", log_path(WIDE), "--format", "json" })
    local twice = r.stdout:match('"factor"%s*:%s*2,[^}]-"wall_ms"%s*:%s*([%d.]+)')
    assert.truthy(twice, "what-if point at 2x in analyze's report")
    -- (the real log ran 8 executors at most: 16 is twice that)
    if generated then
      local f = E.facts(E.log(GEN[WIDE]))
      more = num((predict(WIDE, { "--executors", tostring(2 * f.peak_executors) })), "predictedMs")
    end
    assert.equal(math.floor(tonumber(twice) + 0.5), math.floor(more + 0.5))
  end)

  it("leaves an application whose stages fit its slots unchanged by more executors", function()
    if generated then
      local f = E.facts(E.log(GEN[NARROW]))
      assert(f.max_stage_tasks <= f.peak_executors * f.cores, "the narrow log's stages fit its slots")
      local w = E.facts(E.log(GEN[WIDE]))
      assert(w.max_stage_tasks > w.peak_executors * w.cores, "the wide log has a stage wider than its slots")
    end
    local base = num((predict(NARROW)), "predictedMs")
    local more = num((predict(NARROW, { "--executors", "40" })), "predictedMs")
    assert.equal(base, more)
  end)

  it("says what it cannot do without a model", function()
    local out = predict(LOCAL, { "--executors", "4" })
    assert.matches("local%-mode application has no executors to change", out)
    out = predict(WIDE, { "--input-scale", "2" })
    assert.matches("%-%-input%-scale needs a trained model", out)
  end)

  it("with a model trained on small applications, says a big one is far outside its training data", function()
    if not T.need_shared("spark-events/spark") then return end
    if not T.has_component("ml_train") then return pending("needs the ml_train component (SIC_WITH_XGBOOST=OFF)") end
    local model = os.tmpname()
    local t = T.run_sic({ "train", T.need_shared("spark-events/spark"), "-o", model })
    assert.equal(0, t.code, t.stderr)
    local r = T.run_sic({ "predict", "--model", model, T.need_shared(WIDE) })
    os.remove(model)
    assert.equal(0, r.code, r.stderr)
    assert.matches("note: far outside the training data: 128 task slots, the model saw 1 %.%. 16", r.stdout)
    assert.matches("what%-if replay of the log's tasks %(as `sic analyze`%): [%d.]+ s", r.stdout)
  end)

  it("prints the source and the interval's basis in text", function()
    local q = table.concat({ "env -u SIC_MODEL", T.shell_quote(T.sic_bin), "predict", T.shell_quote(log_path(WIDE)),
      "--executors 16" }, " ")
    local out = T.sh(q .. " 2>&1")
    assert.matches("source: no trained model", out)
    if generated then -- 16 executors of the log's cores, over the most the log had at once
      local f = E.facts(E.log(GEN[WIDE]))
      local want = ("%d executor(s) x %d cores as logged -> 16 x %d requested (%.2fx the task slots)")
        :format(f.peak_executors, f.cores, f.cores, 16 / f.peak_executors)
      assert.truthy(out:find(want, 1, true), want .. " in:\n" .. out)
    else
      assert.matches("%-> 16 x 16 requested %(2%.00x the task slots%)", out)
    end
    local unit = generated and "min" or "s" -- the generated run lasts minutes
    assert.matches(("predicted runtime: [%%d.]+ %s  %%(interval [%%d.]+ %s %%.%%. [%%d.]+ %s%%)"):format(unit, unit, unit), out)
  end)
end)
