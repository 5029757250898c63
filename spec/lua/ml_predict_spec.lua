-- needs: ml_train
-- Runtime predictor end to end: `sic train` writes a model, `sic predict` and sic.ml.predict
-- give the same prediction, what-if settings change it, and bad input gives clear errors.
local T = require "spec_helper"
local json = require "cjson"

-- A fresh path nothing exists at (os.tmpname creates a file: remove it, use the name).
local function fresh(suffix)
  local base = T.tmpname()
  os.remove(base)
  return base .. (suffix or "")
end

local PROFILING = "spark-events/spark-rapids-tools/spark-events-profiling"
local Q66 = PROFILING .. "/nds_q66_cpu.zstd"

-- Cases about train/predict/sic.ml agreeing and erring cleanly hold for any model and log: the
-- real ones when ../shared is there, generated runs of several sizes in a clone.
local function any_log()
  if T.exists(T.shared(Q66)) then return T.shared(Q66) end
  return T.example.log({ seed = 42, tasks = 2000 })
end

local function training_dir()
  if T.exists(T.shared(PROFILING)) then return T.shared(PROFILING) end
  local runs = {}
  for i = 1, 20 do runs[i] = { seed = i, tasks = 100 + 50 * i } end
  return (T.example.dir(runs))
end

describe("sic train / sic predict / sic.ml", function()
  local model, profiling

  setup(function()
    profiling = training_dir()
    model = fresh(".sic")
    local r = T.run_sic({ "train", profiling, "-o", model, "--folds", "3", "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local meta = json.decode(r.stdout)
    assert.equal("sic.model/1", meta.schema)
    assert.is_true(meta.training_set.timed_stages >= 100, "timed stages " .. meta.training_set.timed_stages)
    assert.is_true(meta.interpolation.stage_gbdt.n > 0)
  end)

  teardown(function() if model then os.remove(model) end end)

  it("reaches the runtime agent: sic analyze with SIC_MODEL carries sic predict's figure", function()
    local log = any_log()
    local r = T.run_sic({ "predict", log, "--model", model, "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local want = json.decode(r.stdout)
    local function runtime_layer(env)
      local out, ok = T.sh(env .. " " .. T.shell_quote(T.sic_bin) .. " analyze " .. T.shell_quote(log) .. " --format json")
      assert.is_true(ok, out)
      return json.decode(out).applications[1].findings.state.runtime
    end
    local learned = runtime_layer("SIC_MODEL=" .. T.shell_quote(model)).learned
    assert.is_table(learned, "no learned prediction in the runtime layer")
    assert.is_true(math.abs(learned.actual.predicted_ms - want.predictedMs) <= 1e-6 * want.predictedMs)
    assert.equal(2, #learned.points)
    assert.is_nil(runtime_layer("env -u SIC_MODEL").learned)
    local bad = runtime_layer("SIC_MODEL=/nonexistent.sic").learned
    assert.is_string(bad and bad.note)
  end)

  it("predicts a log with an interval, in text and JSON", function()
    local log = any_log()
    local r = T.run_sic({ "predict", log, "--model", model, "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local p = json.decode(r.stdout)
    assert.equal("sic.prediction/1", p.schema)
    assert.is_true(p.lowMs < p.predictedMs and p.predictedMs < p.highMs)
    if T.exists(T.shared(Q66)) then
      assert.is_true(p.observedMs > 0 and #p.stages > 30)
    else -- the generated run: its span and its stages from its own lines
      local f = T.example.facts(log)
      assert.equal(f.end_ms - f.start_ms, p.observedMs)
      -- every stage attempt the log has: the submitted ones and those jobs listed but skipped
      local keys, n = {}, 0
      for key in pairs(f.submitted) do keys[key] = true end
      for _, list in pairs(f.job_stages) do for _, st in ipairs(list) do keys[st.stage .. ":" .. st.attempt] = true end end
      for _ in pairs(keys) do n = n + 1 end
      assert.equal(n, #p.stages)
    end
    local t = T.run_sic({ "predict", log, "--model", model })
    assert.equal(0, t.code, t.stderr)
    assert.truthy(t.stdout:find("predicted runtime:", 1, true))
    assert.truthy(t.stdout:find("80% interval", 1, true))
  end)

  it("sic.ml.predict gives what sic predict gives, and reacts to what-if settings", function()
    local log = any_log()
    local sic = require "sic"
    local app = assert(sic.load(log))
    local r = assert(sic.ml.predict(app, { model = model }))
    local cli = json.decode(T.run_sic({ "predict", log, "--model", model, "--format", "json" }).stdout)
    assert.is_true(math.abs(r.predicted_ms - cli.predictedMs) <= 1e-6 * cli.predictedMs)
    assert.equal(cli.slots, r.slots)
    local more = assert(sic.ml.predict(app, { model = model, executors = r.executors * 4 }))
    assert.equal(r.slots * 4, more.slots)
    -- the stage model is monotone in data volume: 10x the input never predicts a faster run
    local bigger = assert(sic.ml.predict(app, { model = model, input_scale = 10 }))
    assert.is_true(bigger.predicted_ms >= r.predicted_ms, "10x input predicted faster")
    local cli10 = json.decode(T.run_sic({ "predict", log, "--model", model, "--input-scale", "10", "--format", "json" }).stdout)
    assert.is_true(math.abs(bigger.predicted_ms - cli10.predictedMs) <= 1e-6 * cli10.predictedMs)
    local p = assert(sic.ml.open(model))
    assert.same(r, assert(p:predict(app)))
  end)

  -- the reported bug: on nds_q66_cpu (8 executors, stages of ~2000 tasks on 128 slots) the
  -- prediction did not move with --executors 2, 8, 32 (the stage model had learned no use for
  -- slots); more executors must shorten a wide job and fewer must lengthen it
  it("more executors shorten a wide job and fewer lengthen it", function()
    -- the real q66, or without ../shared the generated run (up to 10 executors of 4 cores,
    -- stages of up to 600 tasks): its logged size, a fifth of it and four times it
    local log, logged, cores = T.shared(Q66), 8, 16
    if not T.exists(log) then
      log = any_log()
      local f = T.example.facts(log)
      logged, cores = f.peak_executors, f.cores
      assert.is_true(f.max_stage_tasks > 4 * logged * cores, "a stage wider than four times the slots")
    end
    local function predicted(n)
      local r = T.run_sic({ "predict", log, "--model", model, "--executors", tostring(n), "--format", "json" })
      assert.equal(0, r.code, r.stderr)
      return json.decode(r.stdout)
    end
    local two, eight, many = predicted(math.max(1, math.floor(logged / 4))), predicted(logged), predicted(4 * logged)
    assert.equal(logged * cores, eight.slots)
    assert.is_true(two.predictedMs > eight.predictedMs, ("2 executors %g ms, 8 executors %g ms"):format(two.predictedMs, eight.predictedMs))
    assert.is_true(many.predictedMs < eight.predictedMs, ("32 executors %g ms, 8 executors %g ms"):format(many.predictedMs, eight.predictedMs))
    -- stage by stage: never faster with fewer executors, never slower with more
    for i, st in ipairs(eight.stages) do
      assert.is_true(two.stages[i].predictedMs >= st.predictedMs, "stage " .. st.stageId)
      assert.is_true(many.stages[i].predictedMs <= st.predictedMs, "stage " .. st.stageId)
    end
  end)

  it("predicts a stored job's next run from its history (sic predict JOB)", function()
    -- four attempts of one real job, or without ../shared four generated runs of one job
    -- (one name, one size, other seeds) whose spans differ by under 15% (from their lines)
    local dir = T.has_shared("spark-events/spark-rapids-tools/spark-events-qualification/multiple_attempts")
    local logs, job = {}, "ProcessLargeDataset"
    if dir then
      for i = 1, 4 do logs[i] = dir .. "/attempt_" .. i .. "_eventlog.zstd" end
    else
      local spans = {}
      for i = 1, 4 do
        logs[i] = T.example.log({ seed = 160 + i, tasks = 300 })
        local f = T.example.facts(logs[i])
        spans[i], job = f.end_ms - f.start_ms, f.name
      end
      table.sort(spans)
      assert.is_true(spans[4] / spans[1] <= 1.15, "near-identical runs")
    end
    local db = fresh(".db")
    local store = "sqlite://" .. db
    for i = 1, 4 do
      local r = T.run_sic({ "ingest", logs[i], "--store", store })
      assert.equal(0, r.code, r.stderr)
    end
    local r = T.run_sic({ "predict", job, "--store", store, "--model", model, "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local p = json.decode(r.stdout)
    assert.equal(4, p.runs)
    -- three near-identical earlier runs predict the fourth within 15%
    local q = math.max(p.historyMs / p.newestObservedMs, p.newestObservedMs / p.historyMs)
    assert.is_true(q <= 1.15, "history q-error " .. q)
    assert.is_true(p.lowMs < p.predictedMs and p.predictedMs < p.highMs)
    local none = T.run_sic({ "predict", "NoSuchJob", "--store", store })
    assert.equal(1, none.code)
    assert.truthy(none.stderr:find("NoSuchJob", 1, true), none.stderr)
    os.remove(db)
  end)

  it("trains from the history store's runs (sic train --store)", function()
    local db = fresh(".db")
    local store = "sqlite://" .. db
    local ing = T.run_sic({ "ingest", profiling, "--store", store, "--format", "json" })
    assert.equal(0, ing.code, ing.stderr)
    local out = fresh(".sic")
    local r = T.run_sic({ "train", "--store", store, "-o", out, "--folds", "3", "--format", "json" })
    assert.equal(0, r.code, r.stderr)
    local meta = json.decode(r.stdout)
    assert.equal(store, meta.training_set.sources)
    -- the store keeps one row per application attempt (two logs of one attempt are stored once),
    -- so it holds at most what the directory holds and at least every distinct attempt
    local dir_model = fresh(".sic")
    local dir = json.decode(T.run_sic({ "train", profiling, "-o", dir_model, "--folds", "3", "--format", "json" }).stdout)
    os.remove(dir_model)
    assert.is_true(meta.training_set.applications <= dir.training_set.applications)
    assert.is_true(meta.training_set.applications >= dir.training_set.distinct_applications)
    -- the real profiling logs have over 200 timed stages; the 20 generated runs 7 each
    local least = T.exists(T.shared(PROFILING)) and 200 or 100
    assert.is_true(meta.training_set.timed_stages >= least, "timed stages " .. meta.training_set.timed_stages)
    assert.is_true(io.open(out, "rb") ~= nil)
    os.remove(out)
    os.remove(db)
  end)

  it("gives clear errors for bad models and bad options", function()
    local log = any_log()
    local sic = require "sic"
    local app = assert(sic.load(log))
    local bad = fresh(".sic")
    local bytes = T.read_file(model)
    T.write_file(bad, bytes:sub(1, math.floor(#bytes / 2)))
    local ok, err = sic.ml.open(bad)
    assert.is_nil(ok)
    assert.truthy(err:find(bad, 1, true), err)
    local r = T.run_sic({ "predict", log, "--model", bad })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("checksum", 1, true) or r.stderr:find("truncated", 1, true), r.stderr)
    os.remove(bad)
    local none, msg = sic.ml.predict(app, { model = "/nonexistent/model.sic" })
    assert.is_nil(none)
    assert.truthy(msg:find("/nonexistent/model.sic", 1, true))
    local neg, m2 = sic.ml.predict(app, { model = model, executors = -2 })
    assert.is_nil(neg)
    assert.truthy(m2:find("executors", 1, true))
    assert.equal(2, T.run_sic({ "predict", log, "--model", model, "--input-scale", "-1" }).code)
    assert.equal(2, T.run_sic({ "train", profiling }).code) -- -o is required
    local empty = fresh()
    os.execute("mkdir -p " .. empty)
    local tr = T.run_sic({ "train", empty, "-o", empty .. "/m.sic" })
    assert.equal(1, tr.code)
    assert.truthy(tr.stderr:find("too little data", 1, true), tr.stderr)
    os.execute("rmdir " .. empty)
  end)
end)
