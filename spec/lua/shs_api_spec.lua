-- `sic api`: error statuses and messages, parameter validation, orderings and filters, and
-- the logs zip, checked against what Spark's History Server does (HistoryServerSuite and the
-- v1 resources).
local T = require "spec_helper"
local J = require "shs_json"

local LOGS = "spark-events/spark"

-- Run `sic api -i DIR PATH`; returns status, content type, body (text after the headers).
local function api(dir, path, extra)
  local argv = { "api", "-i", dir, path }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local r = T.run_sic(argv)
  local head, body = r.stdout:match("^(.-)\n\n(.*)$")
  local status, ctype = (head or ""):match("^HTTP (%d+)\nContent%-Type: ([^\n]*)")
  assert(status, "unexpected output: " .. r.stdout:sub(1, 200) .. r.stderr)
  if tonumber(status) >= 300 then
    assert.are.equal(1, r.code)
    body = body:gsub("\n$", "")
  else
    assert.are.equal(0, r.code)
  end
  return tonumber(status), ctype, body, r
end

local function json(dir, path)
  local status, ctype, body = api(dir, path)
  assert.are.equal(200, status, body)
  assert.are.equal("application/json", ctype)
  return J.decode(body)
end

local function field(obj, k) return obj.keys[k] end
local function num(v) return v.value end

-- Cases that hold for any application read the real logs they were written against when
-- ../shared is there, and a generated log otherwise (a clone): the real ids in their paths and
-- messages then name the generated application. Returns the dir and a path rewriter.
local REAL_IDS = { "local%-1422981780767", "local%-1430917381534", "local%-1426533911241" }
local function any_app_dir()
  if T.exists(T.shared(LOGS)) then return T.shared(LOGS), function(s) return s end end
  local dir, ids = T.example.dir({ { seed = 7, tasks = 100 } })
  return dir, function(s)
    for _, id in ipairs(REAL_IDS) do s = s:gsub(id, ids[1]) end
    return s
  end
end

describe("sic api errors", function()
  local dir, app
  setup(function() dir, app = any_app_dir() end)

  local cases = {
    { "applications/foobar", 404, "unknown app: foobar" },
    { "applications/local-1422981780767/stages/12345", 404, "unknown stage: 12345" },
    { "applications/local-1422981780767/stages/1/1", 404, "unknown attempt for stage 1.  Found attempts: [0]" },
    { "applications/local-1422981780767/stages/flimflam", 404 },
    { "applications/local-1430917381534/stages/0/0/taskSummary?quantiles=foo,0.1", 400,
      'Bad value for parameter "quantiles".  Expected a double, got "foo"' },
    { "applications/local-1422981780767/stages?quantiles=0.5,x&withSummaries=true", 400,
      'Bad value for parameter "quantiles".  Expected a double, got "x"' },
    { "foobar", 404 },
    { "applications/local-1422981780767/jobs/99", 404, "unknown job: 99" },
    { "applications/nope/jobs", 404, "no such app: nope" },
    { "applications/local-1426533911241/jobs", 404, "no such app: local-1426533911241", real = true }, -- 2 attempts
    { "applications/local-1426533911241/3", 404, "unknown app local-1426533911241, attempt 3" },
    { "applications/local-1426533911241/3/jobs", 404, "no such app: local-1426533911241/3" },
    { "applications/local-1426533911241/1/2", 404, "/api/v1/applications/local-1426533911241/1/2" },
    { "applications/local-1430917381534/stages/7/0/taskSummary", 404, "No tasks reported metrics for 7 / 0 yet.",
      real = true }, -- a stage without task metrics
    { "applications/local-1422981780767/storage/rdd/5", 404, "no rdd found w/ id 5" },
    { "applications?status=bogus", 400, "Illegal type='bogus'. Supported type values: COMPLETED, RUNNING" },
    { "applications?minDate=Not_a_date", 400, "Couldn't parse date: Not_a_date" },
    { "applications?limit=ten", 400 },
    { "applications/local-1422981780767/jobs?status=done", 400 },
    { "applications/local-1422981780767/stages?status=done", 400 },
    { "applications/local-1422981780767/stages/1?taskStatus=done", 400 },
    { "applications/local-1430917381534/stages/0/0/taskList?sortBy=bogus", 400 },
    { "applications/local-1430917381534/stages/0/0/taskList?offset=x", 400 },
    -- issue 19: negative pages and quantiles outside [0, 1] are refused, never echoed
    { "applications/local-1430917381534/stages/0/0/taskList?offset=-1", 400,
      'Bad value for parameter "offset".  Expected a non-negative integer, got "-1"' },
    { "applications/local-1430917381534/stages/0/0/taskList?length=-1", 400,
      'Bad value for parameter "length".  Expected a non-negative integer, got "-1"' },
    { "applications/local-1430917381534/stages/0/0/taskSummary?quantiles=-1", 400,
      'Bad value for parameter "quantiles".  Expected values in [0, 1], got "-1"' },
    { "applications/local-1430917381534/stages/0/0/taskSummary?quantiles=0.5,2", 400,
      'Bad value for parameter "quantiles".  Expected values in [0, 1], got "2"' },
    { "applications/local-1422981780767/stages?quantiles=0.5,1.5&withSummaries=true", 400,
      'Bad value for parameter "quantiles".  Expected values in [0, 1], got "1.5"' },
    { "applications/local-1430917381534/stages/0/0/taskList?status=nope", 400 },
    { "applications/local-1422981780767/executors/driver/threads", 503,
      "Thread dumps not available through the history server." },
    { "applications/local-1422981780767/executors/x1/threads", 400,
      "Invalid executorId: neither 'driver' nor number." },
  }
  for _, c in ipairs(cases) do
    it(("%s -> %d"):format(c[1], c[2]), function()
      if c.real and not T.need_shared(LOGS) then return end
      local status, ctype, body = api(dir, app(c[1]))
      assert.are.equal(c[2], status)
      assert.are.equal("text/plain", ctype)
      if c[3] then assert.are.equal(app(c[3]), body) end
    end)
  end

  it("fails cleanly on a log directory that does not exist", function()
    local r = T.run_sic({ "api", "/nonexistent/sic-shs", "applications" })
    assert.are.equal(1, r.code)
    assert.matches("nonexistent", r.stderr)
  end)

  it("is a usage error without a path", function()
    assert.are.equal(2, T.run_sic({ "api", "/tmp" }).code)
  end)
end)

describe("sic api resources", function()
  local dir, any, app
  setup(function() any, app = any_app_dir() end)
  before_each(function() dir = T.exists(T.shared(LOGS)) and T.shared(LOGS) or nil end)

  it("reports the Spark version it reproduces", function()
    assert.are.equal("3.5.0", field(json(any, "version"), "spark"))
  end)

  it("filters applications by dates and limits them, newest end first", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local ids = function(p)
      local out = {}
      local v = json(dir, p)
      for i = 1, v.n do out[i] = field(v[i], "id") end
      return table.concat(out, " ")
    end
    assert.are.equal("local-1422981780767 local-1422981759269", ids("applications?maxDate=2015-02-10"))
    assert.are.equal("local-1422981759269", ids("applications?maxDate=2015-02-03T16:42:40.000GMT"))
    assert.are.equal("local-1430917381535 local-1426533911241",
      ids("applications?minEndDate=2015-03-16&maxEndDate=2015-05-06T13:03:00.950GMT"))
    local all = json(dir, "applications")
    local limited = json(dir, "applications?limit=3")
    assert.are.equal(3, limited.n)
    for i = 1, 3 do assert.is_nil(J.diff(limited[i], all[i])) end
    assert.are.equal(0, json(dir, "applications?status=running").n)
    assert.are.equal(all.n, json(dir, "applications?status=completed&status=running").n)
  end)

  it("serves attempts by id, newest first", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local app = json(dir, "applications/local-1426533911241")
    local attempts = field(app, "attempts")
    assert.are.equal("2", field(attempts[1], "attemptId"))
    assert.are.equal("1", field(attempts[2], "attemptId"))
    local one = json(dir, "applications/local-1426533911241/1")
    assert.is_nil(J.diff(one, attempts[2]))
    local jobs = json(dir, "applications/local-1426533911241/2/jobs")
    assert.are.equal(1, jobs.n)
  end)

  it("filters jobs by several statuses, newest job first", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local jobs = json(dir, "applications/local-1422981780767/jobs?status=succeeded&status=failed")
    assert.are.equal(3, jobs.n)
    assert.are.equal("2", field(jobs[1], "jobId").text)
    local failed = json(dir, "applications/local-1422981780767/jobs?status=FAILED")
    assert.are.equal(1, failed.n)
    assert.are.equal("FAILED", field(failed[1], "status"))
  end)

  it("counts skipped stages and their tasks in jobs, and lists skipped stages", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local jobs = json(dir, "applications/local-1642039451826/jobs")
    local job1 -- job 1 ran stage 2 and skipped stage 1 (8 tasks)
    for i = 1, jobs.n do if field(jobs[i], "jobId").text == "1" then job1 = jobs[i] end end
    assert.are.equal("8", field(job1, "numSkippedTasks").text)
    assert.are.equal("1", field(job1, "numSkippedStages").text)
    assert.are.equal("18", field(job1, "numTasks").text)
    local skipped = json(dir, "applications/local-1642039451826/stages?status=skipped")
    assert.are.equal(6, skipped.n)
    for i = 1, skipped.n do assert.are.equal("SKIPPED", field(skipped[i], "status")) end
  end)

  it("sorts task lists by runtime both ways, and pages them", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local base = "applications/local-1430917381534/stages/0/0/taskList"
    local function runtimes(q)
      local v, out = json(dir, base .. q), {}
      for i = 1, v.n do out[i] = num(field(field(v[i], "taskMetrics"), "executorRunTime")) end
      return out, v
    end
    local up = runtimes("?sortBy=runtime")
    local down = runtimes("?sortBy=-runtime")
    local dec = runtimes("?sortBy=DECREASING_RUNTIME&length=100")
    assert.are.equal(20, #up)
    for i = 2, #up do assert.is_true(up[i - 1] <= up[i]) end
    for i = 2, #down do assert.is_true(down[i - 1] >= down[i]) end
    for i = 1, #down do assert.are.equal(dec[i], down[i]) end
    local _, page = runtimes("?status=success&offset=1&length=2")
    assert.are.equal(2, page.n)
    assert.are.equal("1", field(page[1], "taskId").text)
    local _, none = runtimes("?offset=200")
    assert.are.equal(0, none.n)
    local _, all = runtimes("?length=1000")
    assert.are.equal(100, all.n)
  end)

  it("answers an empty task list for an unknown stage attempt", function()
    assert.are.equal(0, json(any, app("applications/local-1430917381534/stages/9/9/taskList")).n)
  end)

  it("sorts custom quantiles and reads the History Server's quantile indices", function()
    local s = json(any, app("applications/local-1430917381534/stages/0/0/taskSummary?quantiles=0.99,0.01,0.5"))
    local q = field(s, "quantiles")
    assert.are.same({ 0.01, 0.5, 0.99 }, { num(q[1]), num(q[2]), num(q[3]) })
    local v = json(any, app("applications/local-1430917381534/stages/0/0/taskList?length=1000&status=success"))
    local runs = {}
    for i = 1, v.n do runs[i] = num(field(field(v[i], "taskMetrics"), "executorRunTime")) end
    table.sort(runs)
    local rt = field(s, "executorRunTime") -- index min(floor(q * count), count - 1)
    assert.are.equal(runs[1 + math.floor(0.01 * #runs)], num(rt[1]))
    assert.are.equal(runs[1 + math.floor(0.5 * #runs)], num(rt[2]))
    assert.are.equal(runs[1 + math.floor(0.99 * #runs)], num(rt[3]))
  end)

  it("adds distributions to a stage with withSummaries", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local s = json(dir, "applications/app-20200706201101-0003/stages/2/0?withSummaries=true&details=false")
    assert.is_nil(field(s, "tasks"))
    assert.is_not_nil(field(s, "taskMetricsDistributions"))
    local e = field(s, "executorMetricsDistributions")
    assert.are.equal(5, field(e, "taskTime").n)
    assert.is_not_nil(field(field(e, "peakMemoryMetrics"), "JVMHeapMemory"))
    local plain = json(dir, "applications/app-20200706201101-0003/stages/2/0")
    assert.is_nil(field(plain, "taskMetricsDistributions"))
    assert.is_not_nil(field(plain, "tasks"))
  end)

  it("shows a speculation summary for stages with speculative tasks", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local s = json(dir, "applications/application_1628109047826_1317105/stages/0/0")
    local spec = field(s, "speculationSummary")
    assert.are.equal("1", field(spec, "numTasks").text)
    assert.are.equal("1", field(spec, "numKilledTasks").text)
    assert.are.equal("1", field(field(s, "killedTasksSummary"), "another attempt succeeded").text)
  end)

  it("marks executors excluded for a stage, node exclusions included", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local s = json(dir, "applications/application_1516285256255_0012/stages/0/0")
    local ex = field(s, "executorSummary")
    assert.is_true(field(field(ex, "4"), "isExcludedForStage"))
    assert.is_true(field(field(ex, "5"), "isBlacklistedForStage"))
    assert.is_false(field(field(ex, "1"), "isExcludedForStage"))
  end)

  it("lists active executors by id descending and all executors ascending", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local active = json(dir, "applications/application_1553914137147_0018/executors")
    local all = json(dir, "applications/application_1553914137147_0018/allexecutors")
    assert.are.equal("driver", field(active[1], "id"))
    assert.are.equal("1", field(all[1], "id"))
    assert.are.equal(active.n, all.n)
  end)
end)

describe("sic api logs", function()
  local dir, any, app
  setup(function() any, app = any_app_dir() end)
  before_each(function() dir = T.exists(T.shared(LOGS)) and T.shared(LOGS) or nil end)

  local function zip_names(path)
    local p = io.popen("unzip -Z1 " .. T.shell_quote(path))
    local names = {}
    for l in p:lines() do names[#names + 1] = l end
    p:close()
    table.sort(names)
    return table.concat(names, " ")
  end

  it("zips every attempt's log file, or the one asked for", function()
    if not dir then return pending(T.shared_reason(LOGS)) end
    local out = os.tmpname()
    local status, ctype, _, r = api(dir, "applications/local-1430917381535/logs", { "-o", out })
    assert.are.equal(200, status)
    assert.are.equal("application/octet-stream", ctype)
    assert.matches("filename=eventLogs%-local%-1430917381535%.zip", r.stdout)
    assert.are.equal("local-1430917381535_1 local-1430917381535_2", zip_names(out))
    status, _, _, r = api(dir, "applications/local-1430917381535/2/logs", { "-o", out })
    assert.are.equal(200, status)
    assert.matches("filename=eventLogs%-local%-1430917381535%-2%.zip", r.stdout)
    assert.are.equal("local-1430917381535_2", zip_names(out))
    local p = io.popen("unzip -p " .. T.shell_quote(out) .. " local-1430917381535_2")
    local bytes = p:read("*a")
    p:close()
    assert.are.equal(T.read_file(dir .. "/local-1430917381535_2"), bytes)
    os.remove(out)
  end)

  it("zips a rolling log directory with its directory entry", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    local logdir = tmp .. app("/eventlog_v2_local-1422981780767")
    assert(os.execute("mkdir -p " .. T.shell_quote(logdir)))
    T.write_file(logdir .. app("/events_1_local-1422981780767"), T.read_file(any .. app("/local-1422981780767")))
    T.write_file(logdir .. app("/appstatus_local-1422981780767"), "")
    local out = tmp .. "/out.zip"
    local status = api(tmp, app("applications/local-1422981780767/logs"), { "-o", out })
    assert.are.equal(200, status)
    assert.are.equal(app("eventlog_v2_local-1422981780767/ eventlog_v2_local-1422981780767/appstatus_local-1422981780767 "
      .. "eventlog_v2_local-1422981780767/events_1_local-1422981780767"), zip_names(out))
    local jobs = json(tmp, app("applications/local-1422981780767/jobs"))
    assert.are.equal(json(any, app("applications/local-1422981780767/jobs")).n, jobs.n) -- 3 in the real log
    os.execute("rm -rf " .. T.shell_quote(tmp))
  end)

  it("answers 404 for logs of an unknown app", function()
    local status, _, body = api(any, "applications/nope/logs")
    assert.are.equal(404, status)
    assert.are.equal("no such app: nope", body)
  end)
end)

-- The properties of the real-log cases above that hold for any log, on generated logs (a clone
-- without ../shared runs these; with it they run too). Expected values come from the logs'
-- own lines (T.example.facts), never from sic.
describe("sic api on generated logs", function()
  local E = T.example
  local dir, ids, facts   -- three applications, one attempt each
  local adir, aid, apaths -- one application, two attempts
  setup(function()
    dir, ids = E.dir({ { seed = 21, tasks = 300 }, { seed = 22, tasks = 300 }, { seed = 23, tasks = 300 } })
    facts = {}
    for i, s in ipairs({ 21, 22, 23 }) do facts[i] = E.facts(E.log({ seed = s, tasks = 300 })) end
    adir, aid, apaths = E.attempts({ seed = 31, tasks = 200 })
  end)

  local function ids_of(v)
    local out = {}
    for i = 1, v.n do out[i] = field(v[i], "id") end
    return table.concat(out, " ")
  end
  local function gmt(ms) return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. (".%03dGMT"):format(ms % 1000) end
  local function expect(pred, order)
    local list = {}
    for _, f in ipairs(facts) do if pred(f) then list[#list + 1] = f end end
    table.sort(list, function(a, b) return a[order] > b[order] end)
    local out = {}
    for i, f in ipairs(list) do out[i] = f.id end
    return table.concat(out, " ")
  end

  it("filters applications by dates and limits them, newest end first", function()
    local all = json(dir, "applications")
    assert.are.equal(expect(function() return true end, "end_ms"), ids_of(all))
    local mid = facts[2]
    assert.are.equal(expect(function(f) return f.start_ms <= mid.start_ms end, "end_ms"),
      ids_of(json(dir, "applications?maxDate=" .. gmt(mid.start_ms))))
    assert.are.equal(expect(function(f) return f.start_ms >= mid.start_ms end, "end_ms"),
      ids_of(json(dir, "applications?minDate=" .. gmt(mid.start_ms))))
    assert.are.equal(expect(function(f) return f.end_ms >= mid.end_ms end, "end_ms"),
      ids_of(json(dir, "applications?minEndDate=" .. gmt(mid.end_ms))))
    assert.are.equal(expect(function(f) return f.end_ms <= mid.end_ms end, "end_ms"),
      ids_of(json(dir, "applications?maxEndDate=" .. gmt(mid.end_ms))))
    local limited = json(dir, "applications?limit=2")
    assert.are.equal(2, limited.n)
    for i = 1, 2 do assert.is_nil(J.diff(limited[i], all[i])) end
    assert.are.equal(0, json(dir, "applications?status=running").n)
    assert.are.equal(3, json(dir, "applications?status=completed&status=running").n)
  end)

  it("serves attempts by id, newest first, and answers 404 without an attempt", function()
    local f1, f2 = E.facts(apaths[1]), E.facts(apaths[2])
    assert(f2.start_ms > f1.start_ms, "the second attempt starts later")
    local app = json(adir, "applications/" .. aid)
    local attempts = field(app, "attempts")
    assert.are.equal(2, attempts.n)
    assert.are.equal("2", field(attempts[1], "attemptId"))
    assert.are.equal("1", field(attempts[2], "attemptId"))
    assert.is_nil(J.diff(json(adir, "applications/" .. aid .. "/1"), attempts[2]))
    assert.are.equal(f2.jobs, json(adir, "applications/" .. aid .. "/2/jobs").n)
    assert.are.equal(f1.jobs, json(adir, "applications/" .. aid .. "/1/jobs").n)
    local status, _, body = api(adir, "applications/" .. aid .. "/jobs")
    assert.are.equal(404, status)
    assert.are.equal("no such app: " .. aid, body)
    status, _, body = api(adir, "applications/" .. aid .. "/3")
    assert.are.equal(404, status)
    assert.are.equal("unknown app " .. aid .. ", attempt 3", body)
  end)

  it("zips every attempt's log file, or the one asked for", function()
    local out = os.tmpname()
    local status, ctype, _, r = api(adir, "applications/" .. aid .. "/logs", { "-o", out })
    assert.are.equal(200, status)
    assert.are.equal("application/octet-stream", ctype)
    assert.matches("filename=eventLogs%-" .. aid:gsub("%p", "%%%0") .. "%.zip", r.stdout)
    local function names()
      local p = io.popen("unzip -Z1 " .. T.shell_quote(out))
      local list = {}
      for l in p:lines() do list[#list + 1] = l end
      p:close()
      table.sort(list)
      return table.concat(list, " ")
    end
    assert.are.equal(aid .. "_1 " .. aid .. "_2", names())
    status, _, _, r = api(adir, "applications/" .. aid .. "/2/logs", { "-o", out })
    assert.are.equal(200, status)
    assert.are.equal(aid .. "_2", names())
    local p = io.popen("unzip -p " .. T.shell_quote(out) .. " " .. aid .. "_2")
    local bytes = p:read("*a")
    p:close()
    assert.are.equal(T.read_file(apaths[2]), bytes)
    os.remove(out)
  end)

  it("filters jobs by several statuses, newest job first", function()
    local f = facts[1]
    local n_ok, n_failed, newest = 0, 0, -1
    for job, result in pairs(f.job_results) do
      if result == "JobSucceeded" then n_ok = n_ok + 1 else n_failed = n_failed + 1 end
      newest = math.max(newest, job)
    end
    assert(n_failed > 0, "the generated log has a failing query")
    local jobs = json(dir, "applications/" .. f.id .. "/jobs?status=succeeded&status=failed")
    assert.are.equal(n_ok + n_failed, jobs.n)
    assert.are.equal(tostring(newest), field(jobs[1], "jobId").text)
    for i = 2, jobs.n do assert.is_true(tonumber(field(jobs[i - 1], "jobId").text) > tonumber(field(jobs[i], "jobId").text)) end
    local failed = json(dir, "applications/" .. f.id .. "/jobs?status=FAILED")
    assert.are.equal(n_failed, failed.n)
    for i = 1, failed.n do assert.are.equal("FAILED", field(failed[i], "status")) end
    assert.are.equal(n_ok, json(dir, "applications/" .. f.id .. "/jobs?status=succeeded").n)
  end)

  it("counts skipped stages and their tasks in jobs, and lists skipped stages", function()
    local f = facts[1]
    -- a stage a job lists but nobody submitted is skipped (the generated joins reuse shuffles)
    local skipped_ids, checked = {}, 0
    local jobs = json(dir, "applications/" .. f.id .. "/jobs")
    for i = 1, jobs.n do
      local job = tonumber(field(jobs[i], "jobId").text)
      local n_stages, n_tasks, total = 0, 0, 0
      for _, s in ipairs(f.job_stages[job]) do
        total = total + s.tasks
        if not f.submitted[s.stage .. ":" .. s.attempt] then
          n_stages, n_tasks = n_stages + 1, n_tasks + s.tasks
          skipped_ids[s.stage] = true
        end
      end
      assert.are.equal(tostring(n_stages), field(jobs[i], "numSkippedStages").text, "job " .. job)
      assert.are.equal(tostring(n_tasks), field(jobs[i], "numSkippedTasks").text, "job " .. job)
      assert.are.equal(tostring(total), field(jobs[i], "numTasks").text, "job " .. job)
      checked = checked + n_stages
    end
    assert(checked > 0, "the generated log has skipped stages")
    local n = 0
    for _ in pairs(skipped_ids) do n = n + 1 end
    local skipped = json(dir, "applications/" .. f.id .. "/stages?status=skipped")
    assert.are.equal(n, skipped.n)
    for i = 1, skipped.n do
      assert.are.equal("SKIPPED", field(skipped[i], "status"))
      assert.is_true(skipped_ids[tonumber(field(skipped[i], "stageId").text)])
    end
  end)

  it("sorts task lists by runtime both ways, and pages them", function()
    local f = facts[1]
    local ends = f.task_ends["0:0"]
    local base = "applications/" .. f.id .. "/stages/0/0/taskList"
    local function runtimes(q)
      local v, out = json(dir, base .. q), {}
      for i = 1, v.n do out[i] = num(field(field(v[i], "taskMetrics"), "executorRunTime")) end
      return out, v
    end
    local up = runtimes("?sortBy=runtime&length=1000")
    local down = runtimes("?sortBy=-runtime&length=1000")
    local dec = runtimes("?sortBy=DECREASING_RUNTIME&length=1000")
    assert.are.equal(#ends, #up)
    -- the History Server indexes a task that did not succeed by its metrics negated (minus
    -- one, AppStatusListener's makeNegative), so failed tasks sort first, longest first
    local function key(e) return e.success and e.run_ms or -e.run_ms - 1 end
    local want = {}
    for i, e in ipairs(ends) do want[i] = e end
    table.sort(want, function(a, b) return key(a) < key(b) end)
    for i = 1, #up do assert.are.equal(want[i].run_ms, up[i]) end
    for i = 1, #down do assert.are.equal(want[#want + 1 - i].run_ms, down[i]) end
    for i = 1, #down do assert.are.equal(dec[i], down[i]) end
    assert.are.equal(math.min(20, #ends), #(runtimes("")))
    local ok = {}
    for _, e in ipairs(ends) do if e.success then ok[#ok + 1] = e.id end end
    table.sort(ok)
    local _, page = runtimes("?status=success&offset=1&length=2")
    assert.are.equal(2, page.n)
    assert.are.equal(tostring(ok[2]), field(page[1], "taskId").text)
    assert.are.equal(tostring(ok[3]), field(page[2], "taskId").text)
    local _, none = runtimes("?offset=" .. #ends)
    assert.are.equal(0, none.n)
  end)

  it("adds distributions to a stage with withSummaries", function()
    local f = facts[1]
    local s = json(dir, "applications/" .. f.id .. "/stages/0/0?withSummaries=true&details=false")
    assert.is_nil(field(s, "tasks"))
    assert.is_not_nil(field(s, "taskMetricsDistributions"))
    local e = field(s, "executorMetricsDistributions")
    assert.are.equal(5, field(e, "taskTime").n)
    assert.is_not_nil(field(field(e, "peakMemoryMetrics"), "JVMHeapMemory"))
    local plain = json(dir, "applications/" .. f.id .. "/stages/0/0")
    assert.is_nil(field(plain, "taskMetricsDistributions"))
    assert.are.equal(#f.task_ends["0:0"], #(function() local t = {} for k in pairs(field(plain, "tasks").keys) do t[#t + 1] = k end return t end)())
  end)

  it("lists active executors by id descending and all executors ascending", function()
    local f = facts[1]
    local active = json(dir, "applications/" .. f.id .. "/executors")
    local all = json(dir, "applications/" .. f.id .. "/allexecutors")
    assert.are.equal(f.executors_added + 1, all.n) -- and the driver
    assert.are.equal(f.executors_added - f.executors_removed + 1, active.n)
    assert.are.equal("driver", field(active[1], "id"))
    for i = 1, active.n do assert.is_nil(f.removed[field(active[i], "id")], field(active[i], "id") .. " was removed") end
  end)

  it("answers 404 for the task summary of a stage without task metrics", function()
    local f = facts[1]
    local stage -- the last submitted stage: drop its tasks
    for key in pairs(f.submitted) do
      local s = tonumber(key:match("^(%d+):0$"))
      if s and (not stage or s > stage) then stage = s end
    end
    local path = E.without(E.log({ seed = 21, tasks = 300 }), f.id, function(line)
      return (line:find('"Event":"SparkListenerTask', 1, true) and line:find('"Stage ID":' .. stage .. ',', 1, true)) ~= nil
    end)
    local d = path:match("^(.*)/[^/]+$")
    local status, _, body = api(d, "applications/" .. f.id .. "/stages/" .. stage .. "/0/taskSummary")
    assert.are.equal(404, status)
    assert.are.equal(("No tasks reported metrics for %d / 0 yet."):format(stage), body)
    assert.are.equal(200, (api(d, "applications/" .. f.id .. "/stages/0/0/taskSummary")))
  end)
end)
