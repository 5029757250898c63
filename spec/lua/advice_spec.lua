-- Advice a platform engineer acts on (issue 16), over every shared log: savings never above
-- the run's cost, one finding per rule and settings, concrete settings that change something
-- and fit the platform, durations of damaged logs from their event times, derived ids marked.
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"
local cjson = require "cjson"
local defaults = require "sic.spark_defaults"

local function report_of(path)
  local r = T.run_sic({ "analyze", "--format", "json", path })
  assert.equal(0, r.code, r.stderr)
  return cjson.decode(r.stdout)
end

local function settings_sig(f)
  local cfg = type(f.recommendation) == "table" and f.recommendation.config
  local keys = {}
  if type(cfg) == "table" then for k, v in pairs(cfg) do keys[#keys + 1] = k .. "=" .. tostring(v) end end
  table.sort(keys)
  return f.id .. "|" .. table.concat(keys, ",")
end

-- Over every shared log, or without ../shared over a fleet of generated logs (other seeds,
-- sizes and layouts): the properties hold for any log, only the fleet's size differs.
local GENERATED_FLEET = { { seed = 1 }, { seed = 2, tasks = 300 }, { seed = 3, tasks = 800, codec = "zstd" },
                          { seed = 4, tasks = 5000 }, { seed = 5, tasks = 120 }, { seed = 6 } }

describe("advice over every shared log", function()
  local doc, min_apps, min_settings
  setup(function()
    local dir = T.has_shared("spark-events")
    if dir then
      doc, min_apps, min_settings = report_of(dir), 90, 51
    else
      doc, min_apps, min_settings = report_of((T.example.dir(GENERATED_FLEET))), #GENERATED_FLEET, #GENERATED_FLEET
    end
  end)

  it("never values an application's savings above its run cost, and the fleet adds those up", function()
    local apps, priced = 0, 0
    for _, a in ipairs(doc.applications) do
      apps = apps + 1
      local c = a.findings and a.findings.state and a.findings.state.cost
      if c and type(c.run_usd) == "number" and type(c.savings_usd) == "number" then
        priced = priced + 1
        assert.is_true(c.savings_usd <= c.run_usd + 1e-12,
          string.format("%s: savings $%.6f > run $%.6f", a.source, c.savings_usd, c.run_usd))
        assert.is_true(c.savings_usd >= 0)
        -- the union is at most the sum of the findings' own values
        local sum = 0
        for _, v in ipairs(c.savings or {}) do if v.id ~= "cost.run" then sum = sum + v.usd end end
        assert.is_true(c.savings_usd <= sum + 1e-12, a.source)
        -- the top problems the reports lead with cover most of the value (or are 5 already)
        local top, priced_top = 0, 0
        for _, t in ipairs(a.findings.top_problems or {}) do
          if t.usd then top = top + t.usd priced_top = priced_top + 1 end
        end
        assert.is_true(top >= 0.8 * sum - 1e-12 or priced_top == 5, a.source)
      end
    end
    assert.is_true(apps >= min_apps, "logical logs found: " .. apps)
    assert.is_true(priced >= apps * 0.8)
  end)

  it("gives no two findings of an application the same rule and settings, and only concrete values", function()
    local settings = 0
    for _, a in ipairs(doc.applications) do
      local seen = {}
      for _, f in ipairs(a.findings.findings) do
        local sig = settings_sig(f)
        assert.is_nil(seen[sig], string.format("%s: two findings %s (%s and %s)", a.source, sig, tostring(seen[sig]),
          tostring(f.entity.key)))
        seen[sig] = f.entity.key
        local cfg = f.recommendation and f.recommendation.config
        for k, v in pairs(type(cfg) == "table" and cfg or {}) do
          settings = settings + 1
          assert.is_true(defaults.concrete(v), string.format("%s: %s %s=%s", a.source, f.id, k, tostring(v)))
        end
      end
    end
    assert.is_true(settings >= min_settings, "settings recommended: " .. settings)
  end)

  it("fits the advice to the platform: no G1 flag where G1 is the default or Photon/GPUs ran the work, spark.databricks.* only on Databricks", function()
    local checked = 0
    for _, a in ipairs(doc.applications) do
      local p = a.findings.state.metadata.platform or {}
      for _, f in ipairs(a.findings.findings) do
        local cfg = type(f.recommendation) == "table" and type(f.recommendation.config) == "table" and f.recommendation.config or {}
        for k, v in pairs(cfg) do
          checked = checked + 1
          if tostring(v):find("UseG1GC", 1, true) then
            assert.is_true(p.java ~= nil and p.java < 9 and not p.photon and not p.gpu, a.source .. ": G1 advised on " ..
              tostring(p.label))
          end
          if k:find("^spark%.databricks%.") then assert.equal("databricks", p.vendor, a.source .. ": " .. k) end
          if k:find("^spark%.rapids%.") then assert.is_true(p.gpu, a.source .. ": " .. k) end
        end
      end
    end
    assert.is_true(checked > 0)
  end)

  it("finds no absurd durations: every application's span comes from its own event times", function()
    for _, a in ipairs(doc.applications) do
      local m = a.findings.state.metadata.app
      if a.duration and a.duration >= 0 then
        assert.is_true(a.duration < 7 * 86400000, a.source .. ": " .. a.duration .. " ms")
        assert.equal(a.duration, m.duration_ms, a.source)
      end
      assert.is_not_nil(a.id, a.source .. ": no id")
    end
  end)
end)

-- ---------------------------------------------------------------- damaged logs, cut by the test
local TIME_KEYS = { "Timestamp", "Submission Time", "Completion Time", "Launch Time", "Finish Time", "time" }

local function times_of(line)
  local out = {}
  for _, k in ipairs(TIME_KEYS) do
    for v in line:gmatch('"' .. k .. '":(%d+)') do
      local t = tonumber(v)
      if t > 0 then out[#out + 1] = t end
    end
  end
  return out
end

local function lines_of(text)
  local out = {}
  for l in text:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

-- A log without the lines matching `drop`, written under name in a fresh dir.
local function cut(lines, drop, name)
  local dir = U.mkdtemp()
  local kept = {}
  for _, l in ipairs(lines) do if not l:find(drop, 1, true) then kept[#kept + 1] = l end end
  local path = dir .. "/" .. name
  T.write_file(path, table.concat(kept, "\n") .. "\n")
  return path, kept, dir
end

describe("damaged logs built by cutting events out of real ones", function()
  local SOURCES = {
    { rel = "spark-events/spark/application_1516285256255_0012", name = "application_1516285256255_0012" },
    { rel = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd", name = "application_1701380218879_0007_1",
      zstd = true },
  }
  -- the same cuts of generated logs (plain and zstd), for a clone without ../shared
  for _, g in ipairs({ { seed = 11 }, { seed = 12, codec = "zstd" } }) do
    local plain = T.example.log({ seed = g.seed })
    SOURCES[#SOURCES + 1] = { path = T.example.log(g), name = T.example.app_id(plain), zstd = g.codec == "zstd" }
  end

  for _, src in ipairs(SOURCES) do
    it("ends an application without ApplicationEnd at its last event and starts one without ApplicationStart at its first (" ..
      src.name .. ")", function()
      local path = src.path or T.need_shared(src.rel)
      if not path then return end
      local text = src.zstd and T.sh("zstdcat " .. T.shell_quote(path)) or T.read_file(path)
      local lines = lines_of(text)
      local full = report_of(path).applications[1]

      -- no ApplicationEnd: the end is the time of the last event that carries one
      local p1, kept1, d1 = cut(lines, '"Event":"SparkListenerApplicationEnd"', src.name)
      local last
      for i = #kept1, 1, -1 do
        local ts = times_of(kept1[i])
        if #ts > 0 then last = math.max(unpack(ts)) break end
      end
      local a = report_of(p1).applications[1]
      assert.is_false(a.completed)
      assert.equal(full.startTimeEpoch, a.startTimeEpoch)
      assert.equal(last - a.startTimeEpoch, a.duration)
      assert.is_true(a.duration <= full.duration)
      local c = a.findings.state.cost
      assert.is_true(c.run_usd <= full.findings.state.cost.run_usd * 1.0001)
      assert.is_true(c.savings_usd <= c.run_usd)
      U.rmtree(d1)

      -- no ApplicationStart either: the start is the earliest event time, the id comes from
      -- the file name (with the attempt) and is marked as derived
      local p2, kept2, d2 = cut(lines, '"Event":"SparkListenerApplicationStart"', src.name)
      local k2 = {}
      for _, l in ipairs(kept2) do if not l:find('"Event":"SparkListenerApplicationEnd"', 1, true) then k2[#k2 + 1] = l end end
      T.write_file(p2, table.concat(k2, "\n") .. "\n")
      local first, last2 = math.huge, nil
      for _, l in ipairs(k2) do for _, t in ipairs(times_of(l)) do first = math.min(first, t) end end
      for i = #k2, 1, -1 do
        local ts = times_of(k2[i])
        if #ts > 0 then last2 = math.max(unpack(ts)) break end
      end
      local b = report_of(p2).applications[1]
      assert.equal(first, b.startTimeEpoch)
      assert.equal(last2 - first, b.duration)
      assert.is_true(b.duration <= full.duration + (full.startTimeEpoch - first))
      -- spark.app.id when the environment has it, else the file name (with the attempt)
      local want_id, want_attempt = src.name:match("^(application_%d+_%d+)_?(%d*)$")
      assert.equal(want_id, b.id)
      assert.is_truthy(b.idDerivedFrom:find("spark.app.id", 1, true) or b.idDerivedFrom:find("file name", 1, true))
      if want_attempt ~= "" and b.idDerivedFrom:find("file name", 1, true) then assert.equal(want_attempt, b.attemptId) end
      local m = b.findings.state.metadata.app
      assert.is_true(m.start_from_events and m.end_from_last_event)
      assert.is_true(b.findings.state.cost.savings_usd <= b.findings.state.cost.run_usd)
      local t = T.run_sic({ "analyze", p2 })
      assert.matches("%(id derived%)", t.stdout)
      assert.matches("no ApplicationStart: the start is the earliest event time", t.stdout)
      U.rmtree(d2)
    end)
  end
end)

describe("figures a log cannot give", function()
  it("are absent: no event time means no duration and no cost, and the id comes from spark.app.id", function()
    local dir = U.mkdtemp()
    T.write_file(dir .. "/notime", '{"Event":"SparkListenerLogStart","Spark Version":"3.3.0"}\n' ..
      '{"Event":"SparkListenerEnvironmentUpdate","JVM Information":{},"Spark Properties":{"spark.app.id":"app-20240101000000-0001"},' ..
      '"Hadoop Properties":{},"System Properties":{},"Classpath Entries":{}}\n')
    local a = report_of(dir .. "/notime").applications[1]
    U.rmtree(dir)
    assert.equal("app-20240101000000-0001", a.id)
    assert.matches("spark.app.id", a.idDerivedFrom)
    assert.equal(-1, a.duration) -- sic.report/1's "unknown"
    local m = a.findings.state.metadata.app
    assert.is_nil(m.duration_ms)
    assert.is_nil(m.start_time)
    assert.is_nil(a.findings.state.cost.run_usd)
    assert.is_nil(a.findings.state.cost.savings_usd)
  end)
end)

-- ---------------------------------------------------------------- grouping and deferral
describe("one finding per problem", function()
  it("groups a rule's findings with the same advice into one finding listing its stages, top first", function()
    -- the real log's GC pressure over many stages; a generated log's two idle executors
    local rel = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
    local path = T.has_shared(rel) or T.example.log()
    local rule = T.has_shared(rel) and "runtime.gc_pressure" or "executor.idle"
    local report = U.engine({}):load():run(assert(sic.load(path)))
    local gc = U.entities(report.findings, rule)
    assert.is_true(#gc >= 2)
    assert.equal(1, U.count(report.findings, rule))
    local f = U.find(report.findings, function(x) return x.id == rule end)
    assert.equal(#gc, f.entity.count)
    assert.equal(#gc, #f.members)
    for i = 2, #f.members do
      assert.is_true((f.members[i - 1].impact.core_ms or 0) >= (f.members[i].impact.core_ms or 0))
    end
    local sum = 0
    for _, m in ipairs(f.members) do sum = sum + m.impact.core_ms end
    assert.near(sum, f.impact.core_ms, 1e-6)
    assert.equal(f.members[1].evidence, f.evidence)
  end)

  it("lets skew.shuffle_read and runtime.spill defer to the rule that explains the same stage", function()
    local path = os.tmpname()
    assert.equal(0, T.run_sic({ "example", path }).code)
    local report = U.engine({}):load():run(assert(sic.load(path)))
    os.remove(path)
    local skew = U.entities(report.findings, "skew.task_duration")
    for _, id in ipairs { "skew.shuffle_read", "runtime.spill" } do
      for _, f in ipairs(report.findings) do
        if f.id == id then
          for _, m in ipairs(f.members or { f }) do
            for _, s in ipairs(skew) do assert.are_not.equal(s.entity.key, m.entity.key, id .. " kept " .. m.entity.key) end
          end
        end
      end
    end
    -- the deferred finding is kept inside the one it deferred to, with its evidence
    local host = U.find(report.findings, function(f) return f.id == "skew.task_duration" end)
    local related = {}
    for _, r in ipairs(host.related or {}) do related[r.id] = r end
    assert.is_not_nil(related["skew.shuffle_read"])
    assert.is_true(related["skew.shuffle_read"].evidence.max_bytes > 0)
  end)

  it("never recommends a setting's current or default value", function()
    local path = T.example.shared_or("spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd")
    local app = assert(sic.load(path))
    local report = U.engine({}):load():run(app)
    local n = 0
    for _, f in ipairs(report.findings) do
      for k, v in pairs(f.recommendation and f.recommendation.config or {}) do
        n = n + 1
        local cur = defaults.effective(app, k)
        assert.is_false(cur ~= nil and defaults.same(cur, v), string.format("%s: %s=%s is the current value", f.id, k, v))
      end
    end
    assert.is_true(n > 0)
  end)
end)

-- ---------------------------------------------------------------- GPU out of memory
describe("GPU out-of-memory failures", function()
  it("are explained with the RAPIDS settings that address them", function()
    -- the real GPU log, or without ../shared a generated run with the RAPIDS plugin
    local path = T.has_shared("spark-events/spark-rapids-tools/spark-events-qualification/gpu_eventlog") or
      T.example.gpu({ seed = 202, tasks = 300 })
    local lines = lines_of(T.read_file(path))
    local n = 0
    for i, l in ipairs(lines) do
      if n < 2 and l:find('"Event":"SparkListenerTaskEnd"', 1, true) and l:find('"Reason":"Success"', 1, true) then
        l = l:gsub('"Task End Reason":{"Reason":"Success"}', '"Task End Reason":{"Reason":"ExceptionFailure",' ..
          '"Class Name":"com.nvidia.spark.rapids.jni.GpuRetryOOM","Description":"GPU OutOfMemory: could not split inputs and retry",' ..
          '"Stack Trace":[],"Full Stack Trace":"com.nvidia.spark.rapids.jni.GpuRetryOOM: GPU OutOfMemory","Accumulator Updates":[]}', 1)
        lines[i] = l:gsub('"Failed":false', '"Failed":true', 1)
        n = n + 1
      end
    end
    assert.equal(2, n)
    local dir = U.mkdtemp()
    T.write_file(dir .. "/gpu_oom", table.concat(lines, "\n") .. "\n")
    local report = U.engine({}):load():run(assert(sic.load(dir .. "/gpu_oom")))
    U.rmtree(dir)
    local f = U.find(report.findings, function(x) return x.id == "gpu.oom" end)
    assert.is_not_nil(f)
    assert.equal(2, f.evidence.failures)
    local cfg = f.recommendation.config
    assert.matches("^%d+m$", cfg["spark.rapids.sql.batchSizeBytes"])
    assert.matches("^%d+m$", cfg["spark.sql.files.maxPartitionBytes"])
    assert.matches("GpuRetryOOM", f.recommendation.text)
    assert.equal("gpu", report.state.metadata.platform.gpu and "gpu")
  end)
end)
