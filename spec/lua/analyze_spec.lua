-- `sic analyze`: the summary numbers equal numbers computed here, independently, from the
-- event lines (read with lua-cjson; zstd/zip decoded by the system tools), on the generated
-- example and on real logs (zstd, rolling directory, zip, truncated, malformed); notices,
-- errors naming the file, exit codes and colour rules.
local T = require "spec_helper"
local cjson = require "cjson"

local q = T.shell_quote
local function sh_output(cmd) return (T.sh(cmd)) end

-- Facts about an application, from its JSON lines. Lines that do not decode are counted
-- (malformed) with the 1-based number of the first one.
local function facts_of(text)
  local f = {
    attempts = 0, succeeded = 0, failed = 0, killed = 0, task_time = 0, jobs = 0, jobs_failed = 0,
    stages_run = 0, stages_failed = 0, executors = 0, removed = 0, idle = 0, malformed = 0,
    m = { run = 0, gc = 0, input = 0, output = 0, sr = 0, sw = 0, mem = 0, disk = 0, cpu = 0 },
    stage_time = {}, seen_task = {}, ended_task = {},
  }
  local added, ran, listed, submitted = {}, {}, {}, {}
  local lineno = 0
  for line in text:gmatch("([^\n]*)\n?") do
    lineno = lineno + 1
    if line ~= "" then
      local ok, e = pcall(cjson.decode, line)
      if not ok or type(e) ~= "table" or type(e.Event) ~= "string" then
        f.malformed = f.malformed + 1
        f.first_malformed = f.first_malformed or lineno
      else
        local ev = e.Event
        if ev == "SparkListenerApplicationStart" then f.start = e.Timestamp; f.id = e["App ID"]; f.name = e["App Name"] end
        if ev == "SparkListenerApplicationEnd" then f.finish = e.Timestamp end
        if ev == "SparkListenerLogStart" then f.version = e["Spark Version"] end
        if ev == "SparkListenerTaskStart" then
          local id = e["Task Info"]["Task ID"]
          if not f.seen_task[id] then f.seen_task[id] = true; f.attempts = f.attempts + 1 end
        elseif ev == "SparkListenerTaskEnd" then
          local ti, tm, reason = e["Task Info"], e["Task Metrics"], e["Task End Reason"].Reason
          local id = ti["Task ID"]
          if not f.seen_task[id] then f.seen_task[id] = true; f.attempts = f.attempts + 1 end
          f.ended_task[id] = true
          if reason == "Success" then f.succeeded = f.succeeded + 1
          elseif reason == "TaskKilled" then f.killed = f.killed + 1
          else f.failed = f.failed + 1 end
          local d = ti["Finish Time"] - ti["Launch Time"]
          f.task_time = f.task_time + d
          local key = e["Stage ID"] .. "." .. e["Stage Attempt ID"]
          f.stage_time[key] = (f.stage_time[key] or 0) + d
          ran[ti["Executor ID"]] = true
          if type(tm) == "table" then
            local sr = tm["Shuffle Read Metrics"] or {}
            f.m.run = f.m.run + (tm["Executor Run Time"] or 0)
            f.m.cpu = f.m.cpu + (tm["Executor CPU Time"] or 0)
            f.m.gc = f.m.gc + (tm["JVM GC Time"] or 0)
            f.m.input = f.m.input + ((tm["Input Metrics"] or {})["Bytes Read"] or 0)
            f.m.output = f.m.output + ((tm["Output Metrics"] or {})["Bytes Written"] or 0)
            f.m.sr = f.m.sr + (sr["Remote Bytes Read"] or 0) + (sr["Local Bytes Read"] or 0)
            f.m.sw = f.m.sw + ((tm["Shuffle Write Metrics"] or {})["Shuffle Bytes Written"] or 0)
            f.m.mem = f.m.mem + (tm["Memory Bytes Spilled"] or 0)
            f.m.disk = f.m.disk + (tm["Disk Bytes Spilled"] or 0)
          end
        elseif ev == "SparkListenerJobStart" then
          f.jobs = f.jobs + 1
          for _, s in ipairs(e["Stage Infos"]) do listed[s["Stage ID"]] = true end
        elseif ev == "SparkListenerJobEnd" and e["Job Result"].Result == "JobFailed" then
          f.jobs_failed = f.jobs_failed + 1
        elseif ev == "SparkListenerStageSubmitted" then
          f.stages_run = f.stages_run + 1
          submitted[e["Stage Info"]["Stage ID"]] = true
        elseif ev == "SparkListenerStageCompleted" and e["Stage Info"]["Failure Reason"] then
          f.stages_failed = f.stages_failed + 1
        elseif ev == "SparkListenerExecutorAdded" and e["Executor ID"] ~= "driver" then
          f.executors = f.executors + 1
          added[#added + 1] = e["Executor ID"]
        elseif ev == "SparkListenerExecutorRemoved" then
          f.removed = f.removed + 1
        end
      end
    end
  end
  for _, id in ipairs(added) do if not ran[id] then f.idle = f.idle + 1 end end
  f.skipped = 0
  for id in pairs(listed) do if not submitted[id] then f.skipped = f.skipped + 1 end end
  f.running = f.attempts - f.succeeded - f.failed - f.killed
  local best, best_time = nil, -1
  for k, v in pairs(f.stage_time) do if v > best_time then best, best_time = k, v end end
  f.top_stage, f.top_stage_time = best, best_time
  return f
end

-- JSON report of paths; the rules and agents run only when with_findings (they are slower
-- and tested on their own).
local function analyze_json(paths, with_findings)
  local argv = { "analyze", "--format", "json" }
  if not with_findings then argv[#argv + 1] = "--no-rules" end
  for _, p in ipairs(paths) do argv[#argv + 1] = p end
  local r = T.run_sic(argv)
  local ok, doc = pcall(cjson.decode, r.stdout)
  assert(ok, "analyze did not print JSON: " .. r.stdout:sub(1, 200) .. r.stderr)
  return doc, r
end

-- The report of an application agrees with the facts.
local function assert_agrees(a, f)
  assert.are.equal(f.attempts, a.tasks.numTaskAttempts)
  assert.are.equal(f.succeeded, a.tasks.numCompleteTasks)
  assert.are.equal(f.failed, a.tasks.numFailedTasks)
  assert.are.equal(f.killed, a.tasks.numKilledTasks)
  assert.are.equal(f.running, a.tasks.numActiveTasks)
  assert.are.equal(f.task_time, a.tasks.taskTime)
  assert.are.equal(f.m.run, a.tasks.executorRunTime)
  assert.are.equal(f.m.cpu, a.tasks.executorCpuTime)
  assert.are.equal(f.m.gc, a.tasks.jvmGcTime)
  assert.are.equal(f.m.input, a.tasks.inputBytes)
  assert.are.equal(f.m.output, a.tasks.outputBytes)
  assert.are.equal(f.m.sr, a.tasks.shuffleReadBytes)
  assert.are.equal(f.m.sw, a.tasks.shuffleWriteBytes)
  assert.are.equal(f.m.mem, a.tasks.memoryBytesSpilled)
  assert.are.equal(f.m.disk, a.tasks.diskBytesSpilled)
  assert.are.equal(f.jobs, a.jobs.numJobs)
  assert.are.equal(f.jobs_failed, a.jobs.numFailedJobs)
  assert.are.equal(f.stages_failed, a.stages.numFailedStages)
  assert.are.equal(f.executors, a.executors.count)
  assert.are.equal(f.removed, a.executors.removed)
  if f.start and f.finish then assert.are.equal(f.finish - f.start, a.duration) end
  if f.id then assert.are.equal(f.id, a.id) end
  if f.top_stage and f.top_stage_time > 0 then
    local top = a.stagesByTime[1]
    assert.are.equal(f.top_stage, top.stageId .. "." .. top.attemptId)
    assert.are.equal(f.top_stage_time, top.taskTime)
  end
end

describe("sic analyze on the generated example", function()
  local path, zpath, facts, doc
  setup(function()
    path, zpath = T.tmpname(), T.tmpname()
    assert.are.equal(0, T.run_sic({ "example", path, "--seed", "11", "--tasks", "300" }).code)
    assert.are.equal(0, T.run_sic({ "example", zpath, "--seed", "11", "--tasks", "300", "--codec", "zstd" }).code)
    facts = facts_of(T.read_file(path))
    doc = analyze_json({ path }, true)
  end)
  teardown(function()
    os.remove(path)
    os.remove(zpath)
  end)

  it("reports the numbers the log holds", function()
    assert.are.equal("sic.report/1", doc.schema)
    assert.are.equal(1, #doc.applications)
    assert.are.equal(0, #doc.errors)
    local a = doc.applications[1]
    assert_agrees(a, facts)
    assert.are.equal("nightly_orders_etl", a.name)
    assert.are.equal("3.5.1", a.appSparkVersion)
    assert.is_true(a.completed)
    assert.are.equal(facts.stages_run, a.stages.numCompletedStages + a.stages.numFailedStages)
    assert.are.equal(facts.skipped, a.stages.numSkippedStages)
    assert.are.equal(facts.idle, a.executors.idle)
    assert.are.equal(3, a.numSqlExecutions)
    -- the engine reads every generated event without complaint
    assert.are.equal(0, a.input.malformedLines)
    assert.are.equal(0, a.input.badFields)
    assert.are.equal(0, a.input.unknownEvents)
    -- derived figures follow from the reported ones
    assert.is_true(math.abs(a.parallelism - a.tasks.taskTime / a.duration) < 1e-9)
    assert.is_true(math.abs(a.gcShare - a.tasks.jvmGcTime / a.tasks.executorRunTime) < 1e-9)
    assert.is_true(a.utilisation > 0 and a.utilisation < 1)
    local shares = 0
    for _, s in ipairs(a.stagesByTime) do shares = shares + s.share end
    assert.is_true(math.abs(shares - 1) < 1e-9)
  end)

  it("samples the executors alive over time", function()
    local a = doc.applications[1]
    local added, removed = {}, {}
    for line in T.read_file(path):gmatch("[^\n]+") do
      if line:find('"Event":"SparkListenerExecutor', 1, true) then
        local e = cjson.decode(line)
        if e.Event == "SparkListenerExecutorAdded" then added[e["Executor ID"]] = e.Timestamp end
        if e.Event == "SparkListenerExecutorRemoved" then removed[e["Executor ID"]] = e.Timestamp end
      end
    end
    local timeline = a.executors.timeline
    assert.are.equal(12, #timeline)
    local counts = {}
    for _, sample in ipairs(timeline) do
      local alive = 0
      for id, from in pairs(added) do
        if from <= sample.timeEpoch and sample.timeEpoch < (removed[id] or math.huge) then alive = alive + 1 end
      end
      assert.are.equal(alive, sample.executors)
      assert.are.equal(4 * alive, sample.cores)
      counts[#counts + 1] = alive
    end
    assert.are.equal(2, counts[#counts]) -- dynamic allocation went back to minExecutors
    assert.matches("alive over time %(.- per step%): " .. table.concat(counts, " "), T.run_sic({ "analyze", path }).stdout)
  end)

  it("groups failed and killed attempts by reason", function()
    local a = doc.applications[1]
    local failed, killed, reasons = 0, 0, {}
    for _, g in ipairs(a.failedTaskGroups) do
      if g.killed then killed = killed + g.count else failed = failed + g.count end
      reasons[g.reason] = true
    end
    assert.are.equal(facts.failed, failed)
    assert.are.equal(facts.killed, killed)
    assert.is_true(reasons.ExceptionFailure)
    assert.is_true(reasons.ExecutorLostFailure)
    assert.are.equal(1, #a.failedJobs)
    assert.matches("failed 4 times", a.failedJobs[1].failureReason, 1, true)
  end)

  it("gives the same numbers for the zstd copy and for stdin", function()
    local z = analyze_json({ zpath }).applications[1]
    assert_agrees(z, facts)
    local r = T.run_sic({ "analyze", "-f", "json", "-" }, T.read_file(path))
    assert.are.equal(0, r.code)
    local from_stdin = cjson.decode(r.stdout).applications[1]
    assert_agrees(from_stdin, facts)
    assert.are.equal("<stdin>", from_stdin.source)
  end)

  it("analyses a log cut mid-line up to the cut, and a cut zstd stream up to the damage", function()
    local data = T.read_file(path)
    local cut_at = math.floor(#data * 0.6)
    while data:sub(cut_at, cut_at) == "\n" do cut_at = cut_at - 1 end -- make sure a line is broken
    local prefix = data:sub(1, cut_at)
    local cut = T.write_file(T.tmpname(), prefix)
    local f = facts_of(prefix)
    assert.are.equal(1, f.malformed)
    local a = analyze_json({ cut }).applications[1]
    assert_agrees(a, f)
    assert.is_false(a.completed)
    assert.is_true(a.input.truncated)
    assert.are.equal(1, a.input.malformedLines)
    assert.are.equal(f.first_malformed, a.input.firstProblem.line)
    local zcut = T.tmpname()
    os.execute("head -c 40000 " .. q(zpath) .. " > " .. q(zcut))
    local doc, r = analyze_json({ zcut })
    assert.are.equal(0, r.code)
    local z = doc.applications[1]
    assert.is_false(z.completed)
    assert.are.equal(1, z.input.readErrors)
    assert.matches(zcut, z.input.firstReadError.path, 1, true)
    assert.is_true(z.tasks.numTaskAttempts < facts.attempts)
    assert.matches("reading stopped: ", T.run_sic({ "analyze", zcut }).stdout, 1, true)
    os.remove(cut)
    os.remove(zcut)
  end)

  it("prints a readable text summary without colour when not on a terminal", function()
    local r = T.run_sic({ "analyze", path })
    assert.are.equal(0, r.code)
    local out = r.stdout
    assert.is_nil(out:find("\27[", 1, true))
    assert.matches(facts.id, out, 1, true)
    assert.matches("(complete)", out, 1, true)
    assert.matches("Time by stage", out, 1, true)
    assert.matches("executors never ran a task", out, 1, true)
    assert.matches("GC took", out, 1, true)
    assert.matches("spill", out, 1, true)
    assert.matches("ExecutorLostFailure", out, 1, true)
    assert.matches("job %d+ failed", out)
    -- sections read top-down
    local order = { "Work", "Executors and utilisation", "Time by stage", "Data", "Failures" }
    local at = 0
    for _, h in ipairs(order) do
      local i = out:find("\n" .. h, 1, true)
      assert.is_true(i ~= nil and i > at, h)
      at = i
    end
  end)

  it("adds the findings of the rules and agents unless --no-rules", function()
    local a = doc.applications[1]
    assert.is_table(a.findings)
    assert.are.equal("sic.findings/1", a.findings.schema)
    -- every problem the generator plants is found (matched loosely on the finding ids)
    local ids = {}
    for _, f in ipairs(a.findings.findings) do ids[#ids + 1] = tostring(f.id) end
    local all = table.concat(ids, " ")
    for _, want in ipairs({ "skew", "tiny", "gc", "idle", "spill", "failed", "memory" }) do
      assert.is_truthy(all:find(want, 1, true), "no finding about " .. want .. " in: " .. all)
    end
    local bare = analyze_json({ path }).applications[1]
    assert.is_nil(bare.findings)
    assert_agrees(bare, facts)
    local text = T.run_sic({ "analyze", path }).stdout
    assert.matches("\nFindings\n", text, 1, true)
    assert.is_nil(T.run_sic({ "analyze", "--no-rules", path }).stdout:find("\nFindings\n", 1, true))
  end)

  it("renders Markdown with the same sections", function()
    local r = T.run_sic({ "analyze", "--format", "md", path })
    assert.are.equal(0, r.code)
    assert.are.equal("# " .. facts.id, r.stdout:match("^[^\n]*"):sub(1, #facts.id + 2))
    for _, h in ipairs({ "## Work", "## Executors and utilisation", "## Time by stage", "## Data", "## Failures" }) do
      assert.matches("\n" .. h .. "\n", r.stdout, 1, true)
    end
    assert.matches("| stage | share | task time |", r.stdout, 1, true)
    assert.is_nil(r.stdout:find("\27[", 1, true))
  end)

  it("colours only on a terminal and honours NO_COLOR", function()
    if not T.exists("/usr/bin/script") then return pending("needs script(1) for a pseudo-terminal") end
    local cmd = T.sic_bin .. " analyze " .. path
    local tty = sh_output("script -qec " .. q(cmd) .. " /dev/null")
    assert.is_not_nil(tty:find("\27[", 1, true))
    local plain = sh_output("NO_COLOR=1 script -qec " .. q(cmd) .. " /dev/null")
    assert.is_nil(plain:find("\27[", 1, true))
    assert.matches("Time by stage", plain, 1, true)
  end)
end)

-- The real logs when ../shared is there, else the same shapes built from a generated log
-- (spec/support/example_logs.lua), for the cases about how sic reads a shape of log.
local function shared_or_built(rel, build)
  if T.exists(T.shared(rel)) then return T.shared(rel) end
  return (build())
end

describe("sic analyze on real logs", function()
  it("counts a malformed line and names where it is", function()
    local p = shared_or_built("spark-events/spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd",
      function() return T.example.malformed({ seed = 7, tasks = 300, codec = "zstd" }) end)
    local f = facts_of(sh_output("zstd -q -d -c " .. q(p)))
    assert.is_true(f.malformed >= 1)
    local doc, r = analyze_json({ p })
    assert.are.equal(0, r.code)
    local a = doc.applications[1]
    assert_agrees(a, f)
    assert.are.equal(f.malformed, a.input.malformedLines)
    assert.are.equal(f.first_malformed, a.input.firstProblem.line)
    assert.matches("malformed_json_eventlog.zstd", a.input.firstProblem.path, 1, true)
    local text = T.run_sic({ "analyze", p }).stdout
    assert.matches(string.format("%d malformed line", f.malformed), text, 1, true)
    assert.matches("malformed_json_eventlog.zstd:" .. f.first_malformed .. ":", text, 1, true)
  end)

  it("analyses a truncated log up to its end and marks it incomplete", function()
    -- the real truncated log when ../shared is there, else a generated log cut in the middle
    local p = T.shared("spark-events/spark-rapids-tools/spark-events-qualification/truncated_eventlog")
    if not T.exists(p) then p = T.example.write("truncated", T.example.cut(T.example.log({ seed = 7, tasks = 300 }), 0.6)) end
    local f = facts_of(T.read_file(p))
    assert.is_nil(f.finish)
    local doc, r = analyze_json({ p })
    assert.are.equal(0, r.code)
    local a = doc.applications[1]
    assert_agrees(a, f)
    assert.is_false(a.completed)
    assert.is_true(a.input.incomplete)
    assert.matches("incomplete", T.run_sic({ "analyze", p }).stdout, 1, true)
  end)

  it("reads a rolling event-log directory as one application", function()
    local dir = shared_or_built("spark-events/spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964",
      function() return T.example.rolling({ seed = 7, tasks = 300 }) end)
    local text = sh_output("zstd -q -d -c " .. q(dir) .. "/events_1_*.zstd " .. q(dir) .. "/events_2_*.zstd")
    local f = facts_of(text)
    local doc, r = analyze_json({ dir })
    assert.are.equal(0, r.code)
    assert.are.equal(1, #doc.applications)
    assert_agrees(doc.applications[1], f)
    if dir:find(T.shared_dir, 1, true) == 1 then -- the real log ran in local mode
      assert.is_true(doc.applications[1].executors.driverRanTasks)
    end
  end)

  it("reads a History Server zip download", function()
    local zip = shared_or_built("spark-events/sparklint/history_source/eventLogs-application_1489705648216_1600.zip",
      function() return T.example.zip({ seed = 7, tasks = 300 }) end)
    local f = facts_of(sh_output("unzip -p " .. q(zip)))
    local doc, r = analyze_json({ zip })
    assert.are.equal(0, r.code)
    assert_agrees(doc.applications[1], f)
  end)

  it("analyses every log of a directory", function()
    local dir = T.example.shared_or("spark-events/spark", { dir = { { seed = 7, tasks = 100 }, { seed = 8, tasks = 200 } } })
    local expected = tonumber(sh_output("find " .. q(dir) .. " -maxdepth 1 -type f | wc -l"))
    local doc, r = analyze_json({ dir })
    assert.are.equal(0, r.code)
    assert.are.equal(expected, #doc.applications)
    assert.are.equal(0, #doc.errors)
    for _, a in ipairs(doc.applications) do
      local f = facts_of(T.read_file(a.source))
      assert_agrees(a, f)
      -- cores that old logs do not record are inferred, so utilisation stays a fraction
      assert.is_true(a.utilisation >= 0 and a.utilisation <= 1, a.source .. " utilisation " .. a.utilisation)
    end
  end)

  it("uses the History Server's names and semantics for stage totals", function()
    local log = T.need_shared("spark-events/spark/local-1422981780767")
    local stages = T.need_shared("shs-expectations/stage_list_json_expectation.json")
    local one = T.need_shared("shs-expectations/one_stage_json_expectation.json")
    if not log or not stages or not one then return end
    local doc = analyze_json({ log })
    local mine = {}
    for _, st in ipairs(doc.applications[1].stagesByTime) do mine[st.stageId .. "." .. st.attemptId] = st end
    local compared = 0
    for _, expected in ipairs(cjson.decode(T.read_file(stages))) do
      local got = mine[expected.stageId .. "." .. expected.attemptId]
      assert.is_not_nil(got)
      assert.are.equal(expected.status, got.status)
      for _, k in ipairs({ "numTasks", "numCompleteTasks", "numFailedTasks", "numKilledTasks", "executorRunTime",
        "executorCpuTime", "jvmGcTime", "resultSize", "inputBytes", "inputRecords", "outputBytes", "outputRecords",
        "shuffleReadBytes", "shuffleReadRecords", "shuffleWriteBytes", "shuffleWriteRecords",
        "memoryBytesSpilled", "diskBytesSpilled" }) do
        if expected[k] ~= nil then
          assert.are.equal(expected[k], got[k], "stage " .. expected.stageId .. " " .. k)
          compared = compared + 1
        end
      end
    end
    assert.is_true(compared >= 40)
    -- the stage's task time is the History Server's executorSummary taskTime
    local stage1 = cjson.decode(T.read_file(one))[1]
    local total = 0
    for _, e in pairs(stage1.executorSummary) do total = total + e.taskTime end
    assert.are.equal(total, mine["1.0"].taskTime)
  end)

  it("exits 1 naming a file that is not an event log, and keeps going with the others", function()
    -- the real driver log and app when ../shared is there, else a log4j text and a generated log
    local bad = T.shared("spark-events/spark-rapids-tools/spark-events-profiling/driverlog")
    if not T.exists(bad) then
      bad = T.example.write("driverlog", "24/11/25 10:00:01 INFO SparkContext: Running Spark version 3.5.0\n")
    end
    local good = T.example.shared_or("spark-events/spark/local-1642039451826", { seed = 7, tasks = 100 })
    local r = T.run_sic({ "analyze", bad })
    assert.are.equal(1, r.code)
    assert.matches(bad, r.stderr, 1, true)
    local doc, r2 = analyze_json({ bad, good })
    assert.are.equal(1, r2.code)
    assert.are.equal(1, #doc.applications)
    assert.are.equal(1, #doc.errors)
    assert.are.equal(bad, doc.errors[1].path)
    assert.matches(bad, doc.errors[1].message, 1, true)
  end)
end)

describe("sic analyze usage", function()
  it("exits 2 on usage errors and 0 on --help", function()
    assert.are.equal(2, T.run_sic({ "analyze" }).code)
    assert.are.equal(2, T.run_sic({ "analyze", "--format", "xml", "x" }).code)
    assert.are.equal(1, T.run_sic({ "analyze", "--format", "html", "x" }).code) -- html is offered: x is a missing path
    assert.are.equal(2, T.run_sic({ "analyze", "--bogus", "x" }).code)
    assert.are.equal(2, T.run_sic({ "analyze", "--top", "0", "x" }).code)
    assert.are.equal(2, T.run_sic({ "analyze", "-", "-" }).code)
    local h = T.run_sic({ "analyze", "--help" })
    assert.are.equal(0, h.code)
    assert.matches("usage: sic analyze PATH", h.stdout, 1, true)
  end)

  it("exits 1 naming a path that does not exist", function()
    local r = T.run_sic({ "analyze", "/nonexistent/log.json" })
    assert.are.equal(1, r.code)
    assert.matches("/nonexistent/log.json", r.stderr, 1, true)
  end)
end)
