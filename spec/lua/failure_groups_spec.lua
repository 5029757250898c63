-- Failure groups (issue 18): messages are grouped by cause after their addresses, sizes, ids and
-- paths are normalised, with one example kept verbatim, in the summary's failedTaskGroups (C,
-- engine/report/failure_key.c) and in the rules (scripts/lib/analysis/failures.lua); jobs
-- cancelled because the SparkContext shut down are one consequence naming the first failure,
-- not a HIGH finding per job.
local T = require "spec_helper"
local cjson = require "cjson"
local F = require "lib.analysis.failures"

local GPU = "spark-events/spark-rapids-tools/spark-events-qualification/gpu_eventlog"

local function lines_of(text)
  local out = {}
  for l in text:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

local function analyze_json(path)
  local r = T.run_sic({ "analyze", path, "--format", "json" })
  assert.equal(0, r.code, r.stderr)
  local doc = cjson.decode(r.stdout)
  return doc.applications and doc.applications[1] or doc
end

local function findings_of(app)
  return app.findings and (app.findings.findings or app.findings) or {}
end

describe("failure groups", function()
  it("normalise volatile parts the same way in Lua as the C summary does", function()
    local a = F.key("GpuRetryOOM: RMM failure at 0x7f3a2c001000: failed to allocate 123456789 bytes on 10.0.0.5:45678\n\tat x")
    local b = F.key("GpuRetryOOM: RMM failure at 0x7f11ab002000: failed to allocate 99 bytes on 10.0.0.17:41000")
    assert.equal(a, b)
    assert.equal("GpuRetryOOM: RMM failure at <hex>: failed to allocate <n> bytes on <n>.<n>.<n>.<n>:<n>", a)
    assert.equal("File <path> does not exist", F.key("File s3a://bucket/part-00001-abc.parquet does not exist"))
    assert.equal("FileNotFoundException: <path> (No such file)",
      F.key("FileNotFoundException: /tmp/spark-3f2a/blockmgr-1/0c/shuffle_3_7_0.data (No such file)"))
    assert.equal("block rdd_12_3 lost, id <id>", F.key("block rdd_12_3 lost, id 3f2a9c1e-1d2b-4c5d-9e8f-0123456789ab"))
    assert.equal("Log4j2 on x86_64 failed", F.key("Log4j2 on x86_64 failed"))
    assert.not_equal(F.key("java.lang.OutOfMemoryError: Java heap space"), F.key("java.lang.NullPointerException"))
  end)

  it("make one group of a GPU out-of-memory error whose messages embed addresses and sizes", function()
    -- the real GPU log, or without ../shared a generated run with the RAPIDS plugin (whose
    -- own task failures make other groups beside the one edited in)
    local real = T.has_shared(GPU)
    local src = real or T.example.gpu({ seed = 201, tasks = 300 })
    local lines = lines_of(T.read_file(src))
    local n = 0
    for i, l in ipairs(lines) do
      if l:find('"Event":"SparkListenerTaskEnd"', 1, true) and l:find('"Reason":"Success"', 1, true) then
        n = n + 1
        local desc = string.format("RMM failure at 0x7f%08x: out_of_memory: failed to allocate %d bytes on 10.1.%d.%d:%d",
          n * 7919, 1000000 + n * 4099, n, n * 3, 40000 + n)
        l = l:gsub('"Task End Reason":{"Reason":"Success"}', '"Task End Reason":{"Reason":"ExceptionFailure",' ..
          '"Class Name":"com.nvidia.spark.rapids.jni.GpuRetryOOM","Description":"' .. desc .. '",' ..
          '"Stack Trace":[],"Full Stack Trace":"com.nvidia.spark.rapids.jni.GpuRetryOOM: ' .. desc .. '","Accumulator Updates":[]}', 1)
        lines[i] = l:gsub('"Failed":false', '"Failed":true', 1)
      end
    end
    assert.is_true(n >= 5, "task ends edited: " .. n)
    local path = T.example.write("gpu_oom_groups", table.concat(lines, "\n") .. "\n")
    local app = analyze_json(path)
    local groups = app.summary and app.summary.failedTaskGroups or app.failedTaskGroups
    assert.is_truthy(groups, "failedTaskGroups in the JSON report")
    local g = groups[1]
    if real then
      assert.equal(1, #groups)
    else
      g = nil
      for _, x in ipairs(groups) do if x.errorMessage:find("RMM failure", 1, true) then assert.is_nil(g) g = x end end
      assert.is_truthy(g, "one group of the RMM failures")
    end
    assert.equal(n, g.count)
    assert.matches("0x7f", g.errorMessage) -- the example stays verbatim
    local oom
    for _, f in ipairs(findings_of(app)) do if f.id == "gpu.oom" then oom = f end end
    assert.is_truthy(oom)
    assert.equal(1, oom.evidence.message_groups)
    assert.equal(n, oom.evidence.failures)
  end)

  it("report jobs cancelled because the SparkContext shut down once, as a consequence of the first failure", function()
    local src = T.example.log({ seed = 11, tasks = 400 })
    local lines = lines_of(T.read_file(src))
    local ends = {}
    for i, l in ipairs(lines) do
      if l:find('"Event":"SparkListenerJobEnd"', 1, true) then ends[#ends + 1] = i end
    end
    assert.is_true(#ends >= 4)
    local cancelled = 0
    for k = #ends, 1, -1 do
      local i, hit = ends[k], 0
      lines[i], hit = lines[i]:gsub('"Job Result":{"Result":"JobSucceeded"}', '"Job Result":{"Result":"JobFailed",' ..
        '"Exception":{"Message":"Job ' .. k .. ' cancelled because SparkContext was shut down","Stack Trace":[]}}', 1)
      cancelled = cancelled + hit
      if cancelled == 4 then break end
    end
    assert.equal(4, cancelled)
    local path = T.example.write("shutdown_jobs", table.concat(lines, "\n") .. "\n")
    local app = analyze_json(path)
    local stopped, high_jobs = nil, 0
    for _, f in ipairs(findings_of(app)) do
      if f.id == "app.stopped_with_work" then stopped = f end
      -- the generated log's own failed job may stay; none is reported for the shutdown
      if f.id == "job.failed" and (f.recommendation.text or ""):find("SparkContext was shut down", 1, true) then
        high_jobs = high_jobs + 1
      end
    end
    assert.equal(0, high_jobs)
    assert.is_truthy(stopped)
    assert.equal(4, #stopped.evidence.jobs)
    assert.not_equal("high", stopped.severity)
    -- the generated log's task failures come first: the finding points at the first one
    assert.is_truthy(stopped.evidence.first_failure)
    assert.matches("Start there", stopped.recommendation.text)
  end)

  it("names the first failure on a real log whose job was cancelled at shutdown", function()
    local path = T.need_shared("spark-events/sparklint/directory_source/event_log_1")
    if not path then return end
    local app = analyze_json(path)
    local stopped
    for _, f in ipairs(findings_of(app)) do
      assert.not_equal("job.failed", f.id)
      if f.id == "app.stopped_with_work" then stopped = f end
    end
    assert.is_truthy(stopped)
    assert.matches("Filesystem closed", stopped.evidence.first_failure)
  end)
end)
