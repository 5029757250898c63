-- Event logs the project generates itself (`sic example`), for specs whose property does not
-- need a real log: a clone without ../shared runs them too. Real-data cases keep reading
-- ../shared through T.need_shared (pending with "needs shared data: ..." when it is absent).
--
--   local E = require "example_logs"           -- also T.example (spec_helper)
--   local path = E.log({ seed = 7, tasks = 300 })   -- one generated log (cached per run)
--   local id = E.app_id(path)                   -- its application id
--   local dir, ids = E.dir({ 1, 2 })            -- a Spark log dir: one log per seed, named by id
--   local head = E.cut(path, 0.5)               -- the first half of its lines (an in-progress log)
--   local p = E.shared_or("spark-events/x", { seed = 7 })  -- the real file if there, else generated
--   local f = E.write("cut.log", text)          -- a file in this run's folder (removed at exit)
--   local d = E.tmpdir()                        -- a fresh empty folder there (a log dir of its own)
--   local dir, id = E.rolling({ seed = 7 })     -- Spark's rolling layout: eventlog_v2_ID/events_N_ID.zstd
--   local dir = E.databricks({ seed = 7 })      -- Databricks: eventlog-DATE.gz, then eventlog
--   local zip, id = E.zip({ seed = 7 })         -- a History Server download: eventLogs-ID.zip
--   local bad = E.malformed({ seed = 7 })       -- a log with one broken JSON line in the middle
--   local dir, id = E.legacy({ seed = 7 })      -- Spark 1.x's folder: ID/EVENT_LOG_1, SPARK_VERSION_x
--   local f = E.facts(path)                     -- what the log says, read from its lines (no sic)
--   local dir, id = E.attempts({ seed = 7 })    -- two attempts of one application: ID_1, ID_2
--   local p = E.without(path, "name", fn)       -- a copy without the lines fn(line) is true for
--   local p, id = E.local_mode({ seed = 7 })    -- the same run in local mode (tasks on the driver)
--   local p = E.gpu({ seed = 7 })               -- the same run with the RAPIDS plugin (a GPU app)
--
-- Output is a pure function of (seed, tasks, codec), so cases stay deterministic. Every file
-- lives under one temporary folder of this busted process, removed when busted exits.
local T = require "spec_helper"

local E = {}

local q = T.shell_quote
local root -- this process's folder for generated logs (created on first use)
local cache = {} -- "seed/tasks/codec" -> path

local function workdir()
  if root then return root end
  root = os.tmpname()
  os.remove(root)
  assert(os.execute("mkdir -p " .. q(root)))
  local ok, busted = pcall(require, "busted")
  if ok and type(busted) == "table" and busted.subscribe then
    busted.subscribe({ "exit" }, function()
      if root then os.execute("rm -rf " .. q(root)) end
      root = nil
      return nil, true
    end)
  end
  return root
end

-- A fresh folder in this run's folder.
local function fresh_dir()
  local d = os.tmpname()
  os.remove(d)
  d = workdir() .. "/" .. d:match("[^/]+$")
  assert(os.execute("mkdir -p " .. q(d)))
  return d
end

-- Path of the log `sic example` writes for opts (seed 42, tasks 2000, codec "none" by default).
function E.log(opts)
  opts = opts or {}
  local seed, tasks, codec = opts.seed or 42, opts.tasks or 2000, opts.codec or "none"
  local key = seed .. "/" .. tasks .. "/" .. codec
  if cache[key] then return cache[key] end
  local path = ("%s/example-%s-%s-%s%s"):format(workdir(), seed, tasks, codec, codec == "zstd" and ".zstd" or "")
  local r = T.run_sic({ "example", path, "--seed", tostring(seed), "--tasks", tostring(tasks), "--codec", codec })
  assert(r.code == 0, "sic example failed: " .. r.stderr)
  cache[key] = path
  return path
end

-- The application id of a plain (uncompressed) generated log.
function E.app_id(path)
  local f = assert(io.open(path, "rb"))
  for line in f:lines() do
    local id = line:match('"Event":"SparkListenerApplicationStart".-"App ID":"([^"]+)"')
    if id then f:close() return id end
  end
  f:close()
  error("no ApplicationStart in " .. path)
end

-- A fresh directory laid out as Spark writes one (each log named by its application id), with
-- one generated log per seed (a number or an E.log opts table). Returns dir and the ids in order.
function E.dir(seeds)
  local dir = fresh_dir()
  local ids = {}
  for i, s in ipairs(seeds or { 42 }) do
    local opts = type(s) == "table" and s or { seed = s }
    local src = E.log(opts)
    ids[i] = E.app_id(E.log({ seed = opts.seed, tasks = opts.tasks })) -- read from the plain twin
    local name = ids[i] .. (opts.codec == "zstd" and ".zstd" or "")
    assert(os.execute("cp " .. q(src) .. " " .. q(dir .. "/" .. name)))
  end
  return dir, ids
end

-- A file named name holding text in this run's folder; returns its path.
function E.write(name, text)
  return T.write_file(workdir() .. "/" .. name, text)
end

-- A fresh empty folder in this run's folder (removed at exit): for a log directory of its own.
E.tmpdir = fresh_dir

-- The log's text split in two at the line end nearest its middle.
local function halves(path)
  local text = assert(T.read_file(path))
  local at = text:find("\n", math.floor(#text / 2), true)
  return text:sub(1, at), text:sub(at + 1)
end

-- Spark's rolling layout (spark.eventLog.rolling.enabled): eventlog_v2_ID holding the log in
-- two zstd parts, events_1_ID.zstd and events_2_ID.zstd, and an appstatus_ID marker.
function E.rolling(opts)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local id = E.app_id(src)
  local dir = fresh_dir() .. "/eventlog_v2_" .. id
  assert(os.execute("mkdir -p " .. q(dir)))
  local a, b = halves(src)
  for i, part in ipairs({ a, b }) do
    local plain = T.write_file(dir .. "/part" .. i, part)
    assert(os.execute(("zstd -q -c %s > %s"):format(q(plain), q(dir .. "/events_" .. i .. "_" .. id .. ".zstd"))))
    os.remove(plain)
  end
  T.write_file(dir .. "/appstatus_" .. id, "")
  return dir, id
end

-- Databricks' layout: a folder holding the rolled-over first half gzipped under a dated name,
-- then the current part, plain, as "eventlog".
function E.databricks(opts)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local dir = fresh_dir() .. "/db_eventlog"
  assert(os.execute("mkdir -p " .. q(dir)))
  local a, b = halves(src)
  local plain = T.write_file(dir .. "/eventlog-2024-11-25--10-00", a)
  assert(os.execute("gzip -q -n " .. q(plain)))
  T.write_file(dir .. "/eventlog", b)
  return dir
end

-- What the History Server's logs download gives: eventLogs-ID.zip holding the log named ID.
function E.zip(opts)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local id = E.app_id(src)
  local dir = fresh_dir()
  assert(os.execute("cp " .. q(src) .. " " .. q(dir .. "/" .. id)))
  local zip = dir .. "/eventLogs-" .. id .. ".zip"
  assert(os.execute(("cd %s && zip -q %s %s"):format(q(dir), q(zip), q(id))))
  os.remove(dir .. "/" .. id)
  return zip, id
end

-- A generated log with one truncated JSON line inserted at its middle, named
-- malformed_json_eventlog (".zstd" and compressed when opts.codec is "zstd").
function E.malformed(opts)
  local a, b = halves(E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks }))
  local path = fresh_dir() .. "/malformed_json_eventlog"
  T.write_file(path, a .. '{"Event":"SparkListenerTaskEnd","Stage ID":\n' .. b)
  if opts and opts.codec == "zstd" then
    assert(os.execute("zstd -q --rm -o " .. q(path .. ".zstd") .. " " .. q(path)))
    path = path .. ".zstd"
  end
  return path
end

-- Spark 1.x's multi-file layout: a folder named by the application id holding EVENT_LOG_1 (the
-- log), an empty SPARK_VERSION_<version> marker and APPLICATION_COMPLETE.
function E.legacy(opts)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local id = E.app_id(src)
  local dir = fresh_dir() .. "/" .. id
  assert(os.execute("mkdir -p " .. q(dir) .. " && cp " .. q(src) .. " " .. q(dir .. "/EVENT_LOG_1")))
  T.write_file(dir .. "/SPARK_VERSION_3.5.1", "")
  T.write_file(dir .. "/APPLICATION_COMPLETE", "")
  return dir, id
end

-- What a plain log says about itself, read line by line with patterns (independently of sic,
-- so cases comparing sic's answers with it can fail):
--   id, name, start_ms, end_ms, events; jobs (count) and job_results[job id] = "JobSucceeded"...;
--   stages (StageSubmitted count) and submitted["S:A"] = true; stages_failed (completed with
--   a failure reason); job_stages[job id] = list of
--   { stage, attempt, tasks } from JobStart's Stage Infos; tasks (TaskEnd count) and
--   task_ends["S:A"] = list of { id, run_ms, duration (finish - launch), success } in log order; executors = list of
--   added executor ids; removed[id] = true; cores (per executor); peak_executors (most alive
--   at once); max_stage_tasks; stage_times["S:A"] = { submitted, completed, tasks };
--   sql (executions started), sql_ids (their ids in log order) and sql_failed[id] (ended
--   with an error message).
function E.facts(path)
  local f = { jobs = 0, stages = 0, stages_failed = 0, tasks = 0, sql = 0, events = 0, job_results = {}, job_stages = {},
              submitted = {}, task_ends = {}, executors = {}, removed = {}, stage_times = {}, sql_ids = {}, sql_failed = {} }
  local spans = {}
  local fh = assert(io.open(path, "rb"))
  for line in fh:lines() do
    local ev = line:match('^{"Event":"([^"]+)"')
    if ev then
      f.events = f.events + 1
      if ev == "SparkListenerApplicationStart" then
        f.id = line:match('"App ID":"([^"]+)"')
        f.name = line:match('"App Name":"([^"]+)"')
        f.start_ms = tonumber(line:match('"Timestamp":(%d+)'))
      elseif ev == "SparkListenerApplicationEnd" then
        f.end_ms = tonumber(line:match('"Timestamp":(%d+)'))
      elseif ev == "SparkListenerJobStart" then
        f.jobs = f.jobs + 1
        local job, list = tonumber(line:match('"Job ID":(%d+)')), {}
        for s, a, n in line:gmatch('{"Stage ID":(%d+),"Stage Attempt ID":(%d+),"Stage Name":".-","Number of Tasks":(%d+)') do
          list[#list + 1] = { stage = tonumber(s), attempt = tonumber(a), tasks = tonumber(n) }
        end
        f.job_stages[job] = list
      elseif ev == "SparkListenerJobEnd" then
        f.job_results[tonumber(line:match('"Job ID":(%d+)'))] = line:match('"Job Result":{"Result":"([^"]+)"')
      elseif ev == "SparkListenerStageSubmitted" then
        f.stages = f.stages + 1
        f.submitted[line:match('"Stage ID":(%d+)') .. ":" .. line:match('"Stage Attempt ID":(%d+)')] = true
      elseif ev == "SparkListenerStageCompleted" then
        if line:find('"Failure Reason":', 1, true) then f.stages_failed = f.stages_failed + 1 end
        f.stage_times[line:match('"Stage ID":(%d+)') .. ":" .. line:match('"Stage Attempt ID":(%d+)')] = {
          submitted = tonumber(line:match('"Submission Time":(%d+)')), completed = tonumber(line:match('"Completion Time":(%d+)')),
          tasks = tonumber(line:match('"Number of Tasks":(%d+)')) }
      elseif ev == "SparkListenerTaskEnd" then
        f.tasks = f.tasks + 1
        local key = line:match('"Stage ID":(%d+)') .. ":" .. line:match('"Stage Attempt ID":(%d+)')
        f.task_ends[key] = f.task_ends[key] or {}
        table.insert(f.task_ends[key], { id = tonumber(line:match('"Task ID":(%d+)')),
          run_ms = tonumber(line:match('"Executor Run Time":(%d+)')),
          duration = tonumber(line:match('"Finish Time":(%d+)')) - tonumber(line:match('"Launch Time":(%d+)')),
          success = line:find('"Task End Reason":{"Reason":"Success"}', 1, true) ~= nil })
      elseif ev == "SparkListenerExecutorAdded" then
        f.executors[#f.executors + 1] = line:match('"Executor ID":"([^"]+)"')
        f.cores = tonumber(line:match('"Total Cores":(%d+)'))
        spans[#spans + 1] = { t = tonumber(line:match('"Timestamp":(%d+)')), d = 1 }
      elseif ev == "SparkListenerExecutorRemoved" then
        f.removed[line:match('"Executor ID":"([^"]+)"')] = true
        spans[#spans + 1] = { t = tonumber(line:match('"Timestamp":(%d+)')), d = -1 }
      elseif ev == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart" then
        f.sql = f.sql + 1
        f.sql_ids[#f.sql_ids + 1] = tonumber(line:match('"executionId":(%d+)'))
      elseif ev == "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd" then
        local msg = line:match('"errorMessage":"(.-)"')
        f.sql_failed[tonumber(line:match('"executionId":(%d+)'))] = msg ~= nil and msg ~= ""
      end
    end
  end
  fh:close()
  -- the most executors alive at once (removals first at equal times)
  table.sort(spans, function(a, b) if a.t ~= b.t then return a.t < b.t end return a.d < b.d end)
  local alive = 0
  f.peak_executors = 0
  for _, sp in ipairs(spans) do
    alive = alive + sp.d
    f.peak_executors = math.max(f.peak_executors, alive)
  end
  f.max_stage_tasks = 0
  for _, list in pairs(f.job_stages) do
    for _, st in ipairs(list) do f.max_stage_tasks = math.max(f.max_stage_tasks, st.tasks) end
  end
  f.executors_added = #f.executors
  f.executors_removed = 0
  for _ in pairs(f.removed) do f.executors_removed = f.executors_removed + 1 end
  return f
end

-- Two attempts of one application, as YARN retries write them: ID_1 (seed's log) and ID_2
-- (the next seed's log, which starts later, under the first one's id), each with its
-- "App Attempt ID". Returns dir, id and the two plain paths (for E.facts).
function E.attempts(opts)
  local seed = opts and opts.seed or 42
  local first, second = E.log({ seed = seed, tasks = opts and opts.tasks }), E.log({ seed = seed + 1, tasks = opts and opts.tasks })
  local id, other = E.app_id(first), E.app_id(second)
  local dir = fresh_dir()
  local paths = {}
  for n, src in ipairs({ first, second }) do
    local text = assert(T.read_file(src)):gsub(other:gsub("%p", "%%%0"), id)
    text = text:gsub('("App ID":"[^"]+")', '%1,"App Attempt ID":"' .. n .. '"', 1)
    paths[n] = T.write_file(dir .. "/" .. id .. "_" .. n, text)
  end
  return dir, id, paths
end

-- A local-mode application (no executors, every task on the driver), made from a generated
-- log: named local-<start time> like Spark names one. Returns its path and id.
function E.local_mode(opts)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local facts = E.facts(src)
  local id = "local-" .. facts.start_ms
  local out = {}
  for line in assert(T.read_file(src)):gmatch("[^\n]+") do
    local ev = line:match('^{"Event":"([^"]+)"')
    local drop = ev == "SparkListenerExecutorAdded" or ev == "SparkListenerExecutorRemoved" or
      ((ev == "SparkListenerBlockManagerAdded" or ev == "SparkListenerBlockManagerRemoved") and
       not line:find('"Executor ID":"driver"', 1, true))
    if not drop then
      line = line:gsub('"Executor ID":"%d+"', '"Executor ID":"driver"'):gsub(facts.id:gsub("%p", "%%%0"), id)
        :gsub('"spark.master":"[^"]*"', '"spark.master":"local[4]"')
      out[#out + 1] = line
    end
  end
  return T.write_file(fresh_dir() .. "/" .. id, table.concat(out, "\n") .. "\n"), id
end

-- The generated run as if on GPUs with the RAPIDS Accelerator: spark.plugins names its SQL
-- plugin (how Spark enables it). Returns the path of a plain log named name (default "gpu_eventlog").
function E.gpu(opts, name)
  local src = E.log({ seed = opts and opts.seed, tasks = opts and opts.tasks })
  local text, n = assert(T.read_file(src)):gsub('"Spark Properties":{',
    '"Spark Properties":{"spark.plugins":"com.nvidia.spark.SQLPlugin","spark.rapids.sql.enabled":"true",', 1)
  assert(n == 1, "no Spark Properties in " .. src)
  return T.write_file(fresh_dir() .. "/" .. (name or "gpu_eventlog"), text)
end

-- A copy of a plain log named name in a fresh folder, without the lines drop(line) is true
-- for. Returns the path.
function E.without(path, name, drop)
  local out = {}
  for line in assert(T.read_file(path)):gmatch("[^\n]+") do
    if not drop(line) then out[#out + 1] = line end
  end
  return T.write_file(fresh_dir() .. "/" .. name, table.concat(out, "\n") .. "\n")
end

-- For a case whose property holds for any log: the shared file rel (what the case was written
-- against) when ../shared is there, else E.log(opts), or E.dir(opts.dir) when opts.dir is given.
function E.shared_or(rel, opts)
  local path = T.shared(rel)
  if T.exists(path) then return path end
  if opts and opts.dir then return (E.dir(opts.dir)) end
  return E.log(opts)
end

-- The first fraction (0..1) of a log's lines, cut at a line end: a log still being written.
function E.cut(path, fraction)
  local text = assert(T.read_file(path))
  local at = math.floor(#text * fraction)
  local nl = text:find("\n", at, true) or #text
  return text:sub(1, nl)
end

return E
