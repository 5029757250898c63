-- `sic example`: the generated Spark 3.5 log is deterministic, well-formed, shaped like a real
-- one and carries the problems it promises. Everything is checked by reading the JSON lines
-- with lua-cjson, independently of the engine's own reader.
local T = require "spec_helper"
local cjson = require "cjson"

local function generate(args)
  local path = T.tmpname()
  local argv = { "example", path }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local r = T.run_sic(argv)
  assert(r.code == 0, "sic example failed: " .. r.stderr)
  return path, r
end

local function events_of(path)
  local data = assert(T.read_file(path))
  local events = {}
  for line in data:gmatch("[^\n]+") do events[#events + 1] = cjson.decode(line) end
  return events, data
end

local function median(list)
  table.sort(list)
  local n = #list
  if n == 0 then return 0 end
  if n % 2 == 1 then return list[(n + 1) / 2] end
  return (list[n / 2] + list[n / 2 + 1]) / 2
end

local function count_keys(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

describe("sic example", function()
  local path, events, data
  setup(function()
    path = generate({ "--seed", "7", "--tasks", "300" })
    events, data = events_of(path)
  end)
  teardown(function() os.remove(path) end)

  it("is deterministic for a seed and differs between seeds", function()
    local again = generate({ "--seed", "7", "--tasks", "300" })
    local other = generate({ "--seed", "8", "--tasks", "300" })
    assert.is_true(data == T.read_file(again), "same seed, same bytes")
    assert.is_true(data ~= T.read_file(other), "other seed, other bytes")
    os.remove(again)
    os.remove(other)
  end)

  it("writes one Spark 3.5 JSON event per line in a valid order", function()
    local count = {}
    for _, e in ipairs(events) do
      assert.is_string(e.Event)
      count[e.Event] = (count[e.Event] or 0) + 1
    end
    assert.are.equal("SparkListenerLogStart", events[1].Event)
    assert.are.equal("3.5.1", events[1]["Spark Version"])
    assert.are.equal("SparkListenerApplicationEnd", events[#events].Event)
    assert.are.equal(1, count.SparkListenerApplicationStart)
    assert.are.equal(1, count.SparkListenerEnvironmentUpdate)
    assert.are.equal(1, count.SparkListenerResourceProfileAdded)
    assert.are.equal(count.SparkListenerTaskStart, count.SparkListenerTaskEnd)
    assert.are.equal(count.SparkListenerJobStart, count.SparkListenerJobEnd)
    assert.are.equal(count.SparkListenerStageSubmitted, count.SparkListenerStageCompleted)
    local sql = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecution"
    assert.are.equal(3, count[sql .. "Start"])
    assert.are.equal(3, count[sql .. "End"])
    assert.is_true((count["org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate"] or 0) >= 1)
    assert.is_true(count.SparkListenerTaskEnd >= 300)
    -- every task starts before it ends and ends once
    local started, ended = {}, {}
    for _, e in ipairs(events) do
      if e.Event == "SparkListenerTaskStart" then started[e["Task Info"]["Task ID"]] = true end
      if e.Event == "SparkListenerTaskEnd" then
        local id = e["Task Info"]["Task ID"]
        assert.is_true(started[id], "TaskEnd before TaskStart for task " .. id)
        assert.is_nil(ended[id])
        ended[id] = true
      end
    end
  end)

  it("uses Spark 3.5's field names and shapes", function()
    local env, te, stage, sql
    for _, e in ipairs(events) do
      if e.Event == "SparkListenerEnvironmentUpdate" then env = env or e end
      if e.Event == "SparkListenerTaskEnd" and e["Task End Reason"].Reason == "Success" and
          e["Task Type"] == "ShuffleMapTask" and e["Task Metrics"]["Shuffle Read Metrics"]["Remote Bytes Read"] > 0 then
        te = te or e
      end
      if e.Event == "SparkListenerStageCompleted" then stage = stage or e["Stage Info"] end
      if e.Event == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart" then sql = sql or e end
    end
    local props = env["Spark Properties"]
    assert.are.equal("true", props["spark.sql.adaptive.enabled"])
    assert.are.equal("200", props["spark.sql.shuffle.partitions"])
    assert.are.equal("true", props["spark.dynamicAllocation.enabled"])
    assert.is_string(env["System Properties"]["java.version"])
    assert.is_table(env["JVM Information"])
    assert.are.equal(21, count_keys(te["Task Executor Metrics"]))
    local tm = te["Task Metrics"]
    for _, k in ipairs({ "Executor Deserialize Time", "Executor Deserialize CPU Time", "Executor Run Time",
      "Executor CPU Time", "Peak Execution Memory", "Result Size", "JVM GC Time", "Result Serialization Time",
      "Memory Bytes Spilled", "Disk Bytes Spilled", "Shuffle Read Metrics", "Shuffle Write Metrics",
      "Input Metrics", "Output Metrics", "Updated Blocks" }) do
      assert.is_not_nil(tm[k], k)
    end
    assert.are.equal(9, count_keys(tm["Shuffle Read Metrics"]["Push Based Shuffle"]))
    assert.is_number(te["Task Info"]["Partition ID"])
    for _, k in ipairs({ "Stage ID", "Stage Attempt ID", "Stage Name", "Number of Tasks", "RDD Info", "Parent IDs",
      "Details", "Submission Time", "Completion Time", "Accumulables", "Resource Profile Id",
      "Shuffle Push Enabled", "Shuffle Push Mergers Count" }) do
      assert.is_not_nil(stage[k], k)
    end
    assert.is_string(sql.sparkPlanInfo.nodeName)
    assert.is_table(sql.sparkPlanInfo.children)
    assert.is_number(sql.time)
  end)

  it("keeps accumulables consistent: task Values add up to the stage totals, plan metrics get updates", function()
    local running, stage_value, updated = {}, {}, {}
    for _, e in ipairs(events) do
      if e.Event == "SparkListenerTaskEnd" then
        for _, a in ipairs(e["Task Info"].Accumulables) do
          running[a.ID] = (running[a.ID] or 0) + tonumber(a.Update)
          assert.are.equal(running[a.ID], tonumber(a.Value), "running value of accumulator " .. a.ID)
          updated[a.ID] = true
        end
      elseif e.Event == "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates" then
        for _, u in ipairs(e.accumUpdates) do
          running[u[1]] = (running[u[1]] or 0) + u[2]
          updated[u[1]] = true
        end
      elseif e.Event == "SparkListenerStageCompleted" then
        -- the stage's totals as of its completion (attempts killed later are not in them)
        for _, a in ipairs(e["Stage Info"].Accumulables) do
          stage_value[a.ID] = true
          assert.are.equal(running[a.ID] or 0, tonumber(a.Value), "stage value of accumulator " .. a.ID)
        end
      end
    end
    assert.is_not_nil(next(stage_value))
    local function walk(node, ids)
      for _, m in ipairs(node.metrics) do ids[#ids + 1] = m.accumulatorId end
      for _, c in ipairs(node.children) do walk(c, ids) end
      return ids
    end
    local missing, failed_sql = 0, {}
    for _, e in ipairs(events) do -- a failed write never commits: its commit metrics stay unset
      if e.Event == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd" and e.errorMessage ~= "" then
        failed_sql[e.executionId] = true
      end
    end
    for _, e in ipairs(events) do
      if e.Event == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart" and not failed_sql[e.executionId] then
        for _, id in ipairs(walk(e.sparkPlanInfo, {})) do
          if not updated[id] then missing = missing + 1 end
        end
      end
    end
    assert.are.equal(0, missing)
  end)

  it("carries the problems it promises", function()
    local per_stage, per_exec, added, removed, ran = {}, {}, {}, 0, {}
    local failed_first, retried_ok, failed_jobs, failed_stages, killed = {}, 0, 0, 0, 0
    for _, e in ipairs(events) do
      if e.Event == "SparkListenerTaskEnd" then
        local ti, tm, reason = e["Task Info"], e["Task Metrics"], e["Task End Reason"].Reason
        local key = e["Stage ID"] .. ":" .. ti.Index
        ran[ti["Executor ID"]] = true
        if reason == "Success" then
          local s = per_stage[e["Stage ID"]] or { dur = {}, sr = {}, mem = 0, disk = 0 }
          per_stage[e["Stage ID"]] = s
          s.dur[#s.dur + 1] = ti["Finish Time"] - ti["Launch Time"]
          local sr = tm["Shuffle Read Metrics"]
          s.sr[#s.sr + 1] = sr["Remote Bytes Read"] + sr["Local Bytes Read"]
          s.mem = s.mem + tm["Memory Bytes Spilled"]
          s.disk = s.disk + tm["Disk Bytes Spilled"]
          if failed_first[key] then retried_ok = retried_ok + 1 end
          local x = per_exec[ti["Executor ID"]] or { run = 0, gc = 0 }
          per_exec[ti["Executor ID"]] = x
          x.run = x.run + tm["Executor Run Time"]
          x.gc = x.gc + tm["JVM GC Time"]
        elseif reason == "TaskKilled" then
          killed = killed + 1
        else
          failed_first[key] = true
        end
      elseif e.Event == "SparkListenerExecutorAdded" then
        added[#added + 1] = e["Executor ID"]
      elseif e.Event == "SparkListenerExecutorRemoved" then
        removed = removed + 1
      elseif e.Event == "SparkListenerJobEnd" and e["Job Result"].Result == "JobFailed" then
        failed_jobs = failed_jobs + 1
      elseif e.Event == "SparkListenerStageCompleted" and e["Stage Info"]["Failure Reason"] then
        failed_stages = failed_stages + 1
      end
    end
    local skewed, spilled, tiny = false, false, false
    for _, s in pairs(per_stage) do
      local max_sr, max_dur = math.max(unpack(s.sr)), math.max(unpack(s.dur))
      local med_sr, med_dur = median({ unpack(s.sr) }), median({ unpack(s.dur) })
      if #s.dur >= 10 and med_sr > 0 and max_sr >= 20 * med_sr and max_dur >= 20 * med_dur then skewed = true end
      if s.mem > 0 and s.disk > 0 then spilled = true end
      if #s.dur >= 100 and med_dur < 100 then tiny = true end
    end
    assert.is_true(skewed, "a stage with 20x skew in shuffle read and duration")
    assert.is_true(spilled, "a stage that spills to memory and disk")
    assert.is_true(tiny, "a stage of >= 100 tasks with a median under 100 ms")
    local heavy, light = 0, 0
    for _, x in pairs(per_exec) do
      if x.gc / x.run >= 0.3 then heavy = heavy + 1 elseif x.gc / x.run < 0.1 then light = light + 1 end
    end
    assert.are.equal(1, heavy, "exactly one executor under GC pressure")
    assert.is_true(light >= 5)
    assert.is_true(retried_ok >= 2, "failed attempts that later succeeded")
    assert.is_true(killed >= 1)
    assert.are.equal(1, failed_jobs)
    assert.are.equal(1, failed_stages)
    assert.is_true(removed >= 1)
    local idle = 0
    for _, id in ipairs(added) do if not ran[id] then idle = idle + 1 end end
    assert.is_true(idle >= 1, "executors that never ran a task")
  end)

  it("writes zstd frames that decompress to the same lines", function()
    local z = generate({ "--seed", "7", "--tasks", "300", "--codec", "zstd" })
    local head = T.read_file(z):sub(1, 4)
    assert.are.equal("\40\181\47\253", head) -- zstd magic 28 b5 2f fd
    local plain = T.tmpname()
    os.execute("zstd -q -d -c " .. T.shell_quote(z) .. " > " .. T.shell_quote(plain))
    -- same events; only the environment says the log is compressed
    local a, b = {}, {}
    for line in data:gmatch("[^\n]+") do a[#a + 1] = line end
    for line in T.read_file(plain):gmatch("[^\n]+") do b[#b + 1] = line end
    assert.are.equal(#a, #b)
    local differing = 0
    for i = 1, #a do
      if a[i] ~= b[i] then
        differing = differing + 1
        local env = cjson.decode(b[i])
        assert.are.equal("SparkListenerEnvironmentUpdate", env.Event)
        assert.are.equal("zstd", env["Spark Properties"]["spark.eventLog.compression.codec"])
      end
    end
    assert.are.equal(1, differing)
    os.remove(z)
    os.remove(plain)
  end)

  it("rejects bad usage with exit 2 and bad output paths with exit 1", function()
    assert.are.equal(2, T.run_sic({ "example" }).code)
    assert.are.equal(2, T.run_sic({ "example", "x", "--tasks", "10" }).code)
    assert.are.equal(2, T.run_sic({ "example", "x", "--codec", "gzip" }).code)
    assert.are.equal(2, T.run_sic({ "example", "x", "--seed", "abc" }).code)
    assert.are.equal(2, T.run_sic({ "example", "a", "b" }).code)
    local help = T.run_sic({ "example", "--help" })
    assert.are.equal(0, help.code)
    assert.matches("usage: sic example OUT", help.stdout, 1, true)
    local r = T.run_sic({ "example", "/nonexistent-dir/x.json" })
    assert.are.equal(1, r.code)
    assert.matches("/nonexistent-dir/x.json", r.stderr, 1, true)
  end)

  it("writes to stdout with '-'", function()
    local r = T.run_sic({ "example", "-", "--seed", "7", "--tasks", "300" })
    assert.are.equal(0, r.code)
    assert.is_true(data == r.stdout, "stdout output equals the file output")
  end)
end)
