-- History Server semantics that the shared logs never exercise, on a small generated log:
-- a later job re-listing an already computed stage (the History Server then stores that
-- stage attempt again as SKIPPED, empty), killed speculative copies, failed attempts, the
-- duration quantile quirk, executor and job totals. Expected values follow Spark 3.5's
-- AppStatusListener/AppStatusStore, worked out by hand in the comments.
local T = require "spec_helper"
local J = require "shs_json"

local B = 1700000000000
local function t(ms) return ("%.0f"):format(B + ms) end

-- Stage 0 computes RDD 5, cached in memory.
local RDD5 = '{"RDD ID":5,"Name":"cached","Callsite":"x","Parent IDs":[],"Storage Level":{"Use Disk":false,'
  .. '"Use Memory":true,"Use Off Heap":false,"Deserialized":true,"Replication":1},"Barrier":false,'
  .. '"Number of Partitions":2,"Number of Cached Partitions":0,"Memory Size":0,"Disk Size":0}'

local function stage_info(id, ntasks, sub, comp)
  local s = ('{"Stage ID":%d,"Stage Attempt ID":0,"Stage Name":"stage %d","Number of Tasks":%d,'
    .. '"RDD Info":[%s],"Parent IDs":[],"Details":"details %d","Accumulables":[],"Resource Profile Id":0')
    :format(id, id, ntasks, id == 0 and RDD5 or "", id)
  if sub then s = s .. ',"Submission Time":' .. t(sub) end
  if comp then s = s .. ',"Completion Time":' .. t(comp) end
  return s .. "}"
end

local function task_info(tid, index, attempt, launch, finish, opts)
  return ('{"Task ID":%d,"Index":%d,"Attempt":%d,"Partition ID":%d,"Launch Time":%s,"Executor ID":"1",'
    .. '"Host":"h1","Locality":"PROCESS_LOCAL","Speculative":%s,"Getting Result Time":0,"Finish Time":%s,'
    .. '"Failed":%s,"Killed":%s,"Accumulables":[]}')
    :format(tid, index, attempt, index, t(launch), opts.spec and "true" or "false",
      finish and t(finish) or "0", opts.failed and "true" or "false", opts.killed and "true" or "false")
end

local function metrics(run, gc)
  return ('{"Executor Deserialize Time":5,"Executor Deserialize CPU Time":1000,"Executor Run Time":%d,'
    .. '"Executor CPU Time":2000,"Peak Execution Memory":0,"Result Size":100,"JVM GC Time":%d,'
    .. '"Result Serialization Time":1,"Memory Bytes Spilled":0,"Disk Bytes Spilled":0,'
    .. '"Shuffle Read Metrics":{"Remote Blocks Fetched":0,"Local Blocks Fetched":0,"Fetch Wait Time":0,'
    .. '"Remote Bytes Read":0,"Remote Bytes Read To Disk":0,"Local Bytes Read":0,"Total Records Read":0},'
    .. '"Shuffle Write Metrics":{"Shuffle Bytes Written":50,"Shuffle Write Time":1000,"Shuffle Records Written":5},'
    .. '"Input Metrics":{"Bytes Read":10,"Records Read":1},"Output Metrics":{"Bytes Written":0,"Records Written":0},'
    .. '"Updated Blocks":[]}'):format(run, gc)
end

local function task(stage, tid, index, attempt, launch, finish, run, gc, opts)
  opts = opts or {}
  local start = ('{"Event":"SparkListenerTaskStart","Stage ID":%d,"Stage Attempt ID":0,"Task Info":%s}')
    :format(stage, task_info(tid, index, attempt, launch, nil, opts))
  local reason = '{"Reason":"Success"}'
  if opts.killed then
    reason = '{"Reason":"TaskKilled","Kill Reason":"another attempt succeeded","Accumulator Updates":[]}'
  elseif opts.failed then
    reason = '{"Reason":"ExceptionFailure","Class Name":"java.lang.RuntimeException","Description":"boom",'
      .. '"Stack Trace":[],"Full Stack Trace":"java.lang.RuntimeException: boom","Accumulator Updates":[]}'
  end
  local stop = ('{"Event":"SparkListenerTaskEnd","Stage ID":%d,"Stage Attempt ID":0,"Task Type":"ShuffleMapTask",'
    .. '"Task End Reason":%s,"Task Info":%s%s}')
    :format(stage, reason, task_info(tid, index, attempt, launch, finish, opts),
      opts.no_metrics and "" or ',"Task Metrics":' .. metrics(run, gc))
  return start, stop
end

local function synthetic_log()
  local L = {}
  local function add(...) for _, l in ipairs({ ... }) do L[#L + 1] = l end end
  add('{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}',
    '{"Event":"SparkListenerBlockManagerAdded","Block Manager ID":{"Executor ID":"driver","Host":"d","Port":7000},'
      .. '"Maximum Memory":1000,"Timestamp":' .. t(50) .. ',"Maximum Onheap Memory":800,"Maximum Offheap Memory":200}',
    '{"Event":"SparkListenerApplicationStart","App Name":"synthetic","App ID":"app-synth-1","Timestamp":' .. t(0)
      .. ',"User":"tester"}',
    '{"Event":"SparkListenerExecutorAdded","Timestamp":' .. t(100) .. ',"Executor ID":"1","Executor Info":'
      .. '{"Host":"h1","Total Cores":2,"Log Urls":{"stdout":"http://h1/stdout"},"Attributes":{},"Resources":{},'
      .. '"Resource Profile Id":0}}',
    '{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":' .. t(1000) .. ',"Stage Infos":['
      .. stage_info(0, 2) .. '],"Stage IDs":[0],"Properties":{}}',
    '{"Event":"SparkListenerStageSubmitted","Stage Info":' .. stage_info(0, 2, 1010) .. ',"Properties":{}}')
  local s0, e0 = task(0, 0, 0, 0, 1020, 1520, 400, 7)
  local s1, e1 = task(0, 1, 1, 0, 1030, 1330, 250, 3)
  local s2, e2 = task(0, 2, 1, 1, 1200, 1340, 100, 1, { spec = true, killed = true })
  local function block(id, mem)
    return '{"Event":"SparkListenerBlockUpdated","Block Updated Info":{"Block Manager ID":{"Executor ID":"1",'
      .. '"Host":"h1","Port":7001},"Block ID":"' .. id .. '","Storage Level":{"Use Disk":false,"Use Memory":'
      .. (mem > 0 and "true" or "false") .. ',"Deserialized":' .. (mem > 0 and "true" or "false")
      .. ',"Replication":1},"Memory Size":' .. mem .. ',"Disk Size":0}}'
  end
  add(s0, s1, s2, e1, e2, e0)
  add(block("rdd_5_0", 100), block("rdd_5_1", 200), block("rdd_5_1", 0)) -- partition 1 dropped again
  add('{"Event":"SparkListenerStageCompleted","Stage Info":' .. stage_info(0, 2, 1010, 1600) .. '}',
    '{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":' .. t(1700) .. ',"Job Result":{"Result":"JobSucceeded"}}',
    -- job 1 re-lists stage 0, already computed: its stage info carries the completion time
    '{"Event":"SparkListenerJobStart","Job ID":1,"Submission Time":' .. t(3000) .. ',"Stage Infos":['
      .. stage_info(0, 2, 1010, 1600) .. ',' .. stage_info(1, 1) .. '],"Stage IDs":[0,1],"Properties":{}}',
    '{"Event":"SparkListenerStageSubmitted","Stage Info":' .. stage_info(1, 1, 3010) .. ',"Properties":{}}')
  local s3, e3 = task(1, 3, 0, 0, 3020, 3120, 80, 0, { failed = true })
  local s4, e4 = task(1, 4, 0, 1, 3130, 3330, 150, 2)
  local s5, e5 = task(1, 5, 0, 2, 3140, 3150, 0, 0, { killed = true, no_metrics = true })
  add(s3, e3, s4, e4, s5, e5)
  add('{"Event":"SparkListenerStageCompleted","Stage Info":' .. stage_info(1, 1, 3010, 3400) .. '}',
    '{"Event":"SparkListenerJobEnd","Job ID":1,"Completion Time":' .. t(3500) .. ',"Job Result":{"Result":"JobSucceeded"}}',
    '{"Event":"SparkListenerApplicationEnd","Timestamp":' .. t(10000) .. '}')
  return table.concat(L, "\n") .. "\n"
end

describe("sic api on a generated log", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. T.shell_quote(dir)))
    T.write_file(dir .. "/app-synth-1", synthetic_log())
  end)
  teardown(function() os.execute("rm -rf " .. T.shell_quote(dir)) end)

  local function get(path)
    local r = T.run_sic({ "api", dir, path })
    assert(r.code == 0, path .. ": " .. r.stderr)
    return J.decode(r.stdout)
  end
  local function f(obj, ...)
    for _, k in ipairs({ ... }) do obj = type(k) == "number" and obj[k] or obj.keys[k] end
    if type(obj) == "table" and obj.text then return obj.text end
    return obj
  end

  it("lists the application", function()
    local apps = get("applications")
    assert.are.equal(1, apps.n)
    assert.are.equal("app-synth-1", f(apps[1], "id"))
    assert.are.equal("10000", f(apps[1], "attempts", 1, "duration"))
  end)

  it("stores a re-listed stage again as SKIPPED and empty", function()
    local s0 = get("applications/app-synth-1/stages/0/0")
    assert.are.equal("SKIPPED", f(s0, "status"))
    assert.are.equal("0", f(s0, "numCompleteTasks"))
    assert.are.equal("0", f(s0, "numKilledTasks"))
    assert.are.equal("0", f(s0, "executorRunTime"))
    assert.is_nil(s0.keys.firstTaskLaunchedTime)
    assert.are.equal(0, #(function() local k = {} for n in pairs(f(s0, "killedTasksSummary").keys) do k[#k + 1] = n end return k end)())
    -- task data and executor summaries of the earlier run stay in the store
    local n = 0
    for _ in pairs(f(s0, "tasks").keys) do n = n + 1 end
    assert.are.equal(3, n)
    assert.are.equal("2", f(s0, "executorSummary", "1", "succeededTasks"))
    assert.are.equal("1", f(s0, "speculationSummary", "numKilledTasks"))
    local skipped = get("applications/app-synth-1/stages?status=skipped")
    assert.are.equal(1, skipped.n)
  end)

  it("counts jobs as the History Server does", function()
    local jobs = get("applications/app-synth-1/jobs")
    local j1, j0 = jobs[1], jobs[2]
    assert.are.equal("1", f(j1, "jobId"))
    assert.are.equal("1", f(j1, "numTasks"))          -- stage 0 had run: not counted at job start
    assert.are.equal("2", f(j1, "numSkippedTasks"))
    assert.are.equal("1", f(j1, "numSkippedStages"))
    assert.are.equal("-1", f(j1, "numActiveStages"))  -- decremented for the skipped stage
    assert.are.equal("1", f(j1, "numCompletedTasks"))
    assert.are.equal("1", f(j1, "numFailedTasks"))
    assert.are.equal("1", f(j1, "numCompletedIndices"))
    assert.are.equal("2", f(j0, "numTasks"))
    assert.are.equal("2", f(j0, "numCompletedTasks"))
    assert.are.equal("1", f(j0, "numKilledTasks"))
    assert.are.equal("2", f(j0, "numCompletedIndices"))
    assert.are.equal("1", f(j0, "killedTasksSummary", "another attempt succeeded"))
  end)

  it("sums failed attempts' metrics into the stage but not into its quantiles", function()
    local s1 = get("applications/app-synth-1/stages/1/0")
    assert.are.equal("COMPLETE", f(s1, "status"))
    assert.are.equal("1", f(s1, "numFailedTasks"))
    assert.are.equal("1", f(s1, "numCompletedIndices"))
    assert.are.equal("230", f(s1, "executorRunTime"))
    local sum = get("applications/app-synth-1/stages/1/0/taskSummary")
    assert.are.equal("150.0", f(sum, "executorRunTime", 1))
    -- duration is indexed for every finished attempt (10, 100, 200) while the indices come
    -- from the one successful task: the History Server reads the smallest for every quantile
    assert.are.equal("10.0", f(sum, "duration", 5))
    -- a task that did not succeed and reported no metrics shows zero metrics (stored -1, read
    -- back as |-1 + 1|), and its whole duration as scheduler delay
    local killed = get("applications/app-synth-1/stages/1/0/taskList?status=killed")
    assert.are.equal(1, killed.n)
    assert.are.equal("0", f(killed[1], "taskMetrics", "executorRunTime"))
    assert.are.equal("10", f(killed[1], "schedulerDelay"))
    assert.are.equal("1", f(get("applications/app-synth-1/stages/1/0"), "numKilledTasks"))
    local failed = get("applications/app-synth-1/stages/1/0/taskList?status=failed")
    assert.are.equal(1, failed.n)
    assert.are.equal("java.lang.RuntimeException: boom", f(failed[1], "errorMessage"))
  end)

  it("tracks cached RDD partitions from block updates", function()
    local rdds = get("applications/app-synth-1/storage/rdd")
    assert.are.equal(1, rdds.n)
    local r = rdds[1]
    assert.are.equal("5", f(r, "id"))
    assert.are.equal("1", f(r, "numCachedPartitions"))
    assert.are.equal("100", f(r, "memoryUsed"))
    assert.are.equal("Memory Deserialized 1x Replicated", f(r, "storageLevel"))
    assert.are.equal("rdd_5_0", f(r, "partitions", 1, "blockName"))
    assert.are.equal("1", f(r, "partitions", 1, "executors", 1))
    assert.are.equal(1, f(r, "partitions").n)
    assert.are.equal("h1", f(r, "dataDistribution", 1, "address"))
    assert.is_nil(J.diff(get("applications/app-synth-1/storage/rdd/5"), r))
    local ex = get("applications/app-synth-1/executors")
    local e1 = ex[2]
    assert.are.equal("1", f(e1, "id"))
    assert.are.equal("1", f(e1, "rddBlocks"))
    assert.are.equal("100", f(e1, "memoryUsed"))
  end)

  it("totals executors and reports the driver's duration as the application's", function()
    local ex = get("applications/app-synth-1/allexecutors")
    local e1, driver = ex[1], ex[2]
    assert.are.equal("1", f(e1, "id"))
    assert.are.equal("6", f(e1, "totalTasks"))
    assert.are.equal("3", f(e1, "completedTasks"))
    assert.are.equal("1", f(e1, "failedTasks"))       -- killed attempts are not failures
    assert.are.equal("1250", f(e1, "totalDuration"))
    assert.are.equal("13", f(e1, "totalGCTime"))
    assert.are.equal("50", f(e1, "totalInputBytes"))
    assert.are.equal("2", f(e1, "maxTasks"))
    assert.are.equal("http://h1/stdout", f(e1, "executorLogs", "stdout"))
    assert.are.equal("driver", f(driver, "id"))
    assert.are.equal("10000", f(driver, "totalDuration"))
    assert.are.equal("d:7000", f(driver, "hostPort"))
    assert.are.equal("800", f(driver, "memoryMetrics", "totalOnHeapStorageMemory"))
  end)
end)
