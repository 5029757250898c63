-- analysis.grounding: `sic ask` about an application answers from the application first. The
-- question's topics (skew, spill, failure, cost, memory, ...) pick the findings that answer it;
-- each such finding is rewritten into a documentation query in the words of Spark's own docs
-- (the section that explains its cause and its settings); retrieved passages are filtered by
-- the application's platform (no running-on-mesos for a YARN app), Spark version (no property
-- introduced after it) and use of Delta. Used by scripts/agents/reasoning.lua (query recipe and
-- answer order); pure functions over the analysis report, no engine access.
local M = {}

-- Topics of a question: words that name them, and the rule ids (prefixes) that answer them.
M.TOPICS = {
  skew = { words = { "skew", "skewed", "straggler", "stragglers", "longest", "uneven", "imbalance", "hot", "host" },
    rules = { "skew." } },
  spill = { words = { "spill", "spills", "spilled", "spilling" },
    rules = { "partition.spill", "skew.spill", "runtime.spill", "resources.memory_pressure" } },
  failure = { words = { "fail", "fails", "failed", "failing", "failure", "failures", "error", "errors", "crash",
    "crashed", "exception", "killed", "died", "lost", "cancelled", "canceled", "abort", "aborted", "broke" },
    rules = { "app.stopped_with_work", "job.failed", "sql.failed", "gpu.oom", "executor.memory_kill", "runtime.failed_tasks" } },
  cost = { words = { "cost", "costs", "expensive", "money", "price", "dollars", "cheaper", "waste", "wasted",
    "overprovisioned", "idle", "bill" },
    rules = { "resources.idle_executors", "executor.idle", "cost.run", "resources.driver_bound", "resources.memory_overprovisioned" } },
  memory = { words = { "memory", "heap", "gc", "garbage", "oom", "overhead" },
    rules = { "executor.memory_kill", "gpu.oom", "resources.memory_pressure", "runtime.gc_pressure", "executor.gc_pressure",
      "resources.memory_overprovisioned" } },
  executors = { words = { "executor", "executors", "cores", "instances", "allocation", "scale", "cluster", "size",
    "warm", "cold", "host", "node" },
    rules = { "resources.", "executor.", "runtime.scale_out", "skew.task_duration" } },
  partitions = { words = { "partition", "partitions", "parallelism", "tiny", "files" }, rules = { "partition." } },
  gc = { words = { "gc", "garbage" }, rules = { "runtime.gc_pressure", "executor.gc_pressure", "resources.memory_pressure" } },
  join = { words = { "join", "joins", "broadcast" }, rules = { "sql.", "skew." } },
  aqe = { words = { "aqe", "adaptive" }, rules = { "config.aqe_disabled", "skew." } },
  speculation = { words = { "speculation", "speculative" }, rules = { "config.speculation", "skew.task_duration" } },
}

-- Documentation vocabulary for a finding: the words of the section of Spark's docs that
-- explains its cause and its settings. Keyed by rule id, or "rule id:cause".
M.VOCABULARY = {
  ["skew.task_duration:data"] = "Optimizing Skew Join spark.sql.adaptive.skewJoin.enabled skewedPartitionFactor skewedPartitionThresholdInBytes",
  ["skew.task_duration:warmup"] = "Dynamic Resource Allocation spark.dynamicAllocation.executorIdleTimeout spark.dynamicAllocation.minExecutors",
  ["skew.task_duration:host"] = "spark.speculation speculative execution of tasks running slowly",
  ["skew.task_duration:executor"] = "spark.speculation speculative execution of tasks running slowly",
  ["skew.task_duration:compute"] = "spark.speculation speculative execution of tasks running slowly",
  ["skew.task_duration:unknown"] = "spark.speculation speculative execution of tasks running slowly",
  ["skew.task_duration:locality"] = "spark.locality.wait data locality",
  ["skew.task_duration:gc"] = "Garbage Collection Tuning",
  ["skew.task_duration:speculation"] = "spark.speculation speculative execution",
  ["skew.shuffle_read"] = "Optimizing Skew Join spark.sql.adaptive.skewJoin.enabled skewedPartitionFactor",
  ["skew.input"] = "spark.sql.files.maxPartitionBytes",
  ["skew.spill"] = "Optimizing Skew Join spark.sql.adaptive.skewJoin.enabled",
  ["partition.spill"] = "spark.sql.shuffle.partitions Memory Management Overview execution memory",
  ["runtime.spill"] = "spark.sql.shuffle.partitions Memory Management Overview execution memory",
  ["resources.memory_pressure"] = "Memory Tuning spark.memory.fraction execution and storage",
  ["runtime.gc_pressure"] = "Garbage Collection Tuning G1GC",
  ["executor.gc_pressure"] = "Garbage Collection Tuning G1GC",
  ["resources.idle_executors"] = "Dynamic Resource Allocation spark.dynamicAllocation.enabled",
  ["executor.idle"] = "spark.dynamicAllocation.executorIdleTimeout",
  ["resources.driver_bound"] = "Scheduling Within an Application parallel jobs submitted from separate threads",
  ["resources.memory_overprovisioned"] = "spark.executor.memory Amount of memory to use per executor process",
  ["resources.executor_shape"] = "spark.executor.cores spark.executor.memory",
  ["partition.tiny_tasks"] = "Coalescing Post Shuffle Partitions spark.sql.adaptive.coalescePartitions.enabled spark.sql.files.maxPartitionBytes",
  ["partition.too_few"] = "Level of Parallelism spark.sql.shuffle.partitions",
  ["config.aqe_disabled"] = "Adaptive Query Execution spark.sql.adaptive.enabled",
  ["config.speculation"] = "spark.speculation speculative execution",
  ["executor.memory_kill"] = "spark.executor.memoryOverhead",
  ["gpu.oom"] = "spark.executor.resource.gpu.amount custom resource scheduling GPU",
  ["sql.exploding_join"] = "Join Strategy Hints for SQL Queries BROADCAST spark.sql.autoBroadcastJoinThreshold",
  ["runtime.failed_tasks"] = "spark.task.maxFailures number of continuous failures of any particular task",
  ["cost.run"] = "Dynamic Resource Allocation spark.dynamicAllocation.enabled",
  ["runtime.scale_out"] = "Dynamic Resource Allocation spark.dynamicAllocation.maxExecutors",
}

-- Exception classes and what Spark's docs call their cure.
local EXCEPTIONS = {
  { "is not a Parquet file", "Parquet Files Schema Merging spark.sql.parquet.mergeSchema" },
  { "OutOfMemoryError", "Memory Tuning spark.executor.memory spark.memory.fraction" },
  { "FetchFailed", "spark.shuffle.io.maxRetries External Shuffle service" },
  { "Filesystem closed", "spark.task.maxFailures" },
  { "SparkContext was shut down", "spark.task.maxFailures" },
  { "Container killed", "spark.executor.memoryOverhead" },
  { "ExecutorLost", "spark.executor.memoryOverhead" },
  { "Broadcast", "spark.sql.autoBroadcastJoinThreshold" },
  { "NumberFormatException", "ANSI compliance spark.sql.ansi.enabled" },
  { "CAST_INVALID_INPUT", "CAST_INVALID_INPUT" },
  { "Decimal", "spark.sql.decimalOperations.allowPrecisionLoss" },
}

local function lower_words(text)
  local set = {}
  for w in tostring(text or ""):lower():gmatch("[%a][%w%-]*") do set[w] = true end
  return set
end

-- Topics a question is about (a set), and whether it names none.
function M.topics(question)
  local ws, out, any = lower_words(question), {}, false
  for name, t in pairs(M.TOPICS) do
    for _, w in ipairs(t.words) do
      if ws[w] then out[name] = true any = true break end
    end
  end
  return out, any
end

local function matches_rule(id, prefixes)
  for _, p in ipairs(prefixes) do
    if id == p or (p:sub(-1) == "." and id:sub(1, #p) == p) then return true end
  end
  return false
end

-- Stages, jobs, executors and SQL executions a question names ("stage 13", "job 3").
local function named_entities(question)
  local out = {}
  for kind, id in tostring(question or ""):lower():gmatch("(%a+)%s+(%d+)") do
    if kind == "stage" or kind == "job" or kind == "executor" or kind == "sql" then out[#out + 1] = { kind, id } end
  end
  return out
end

-- Does the finding (or one of its grouped members) concern an entity the question names?
local function names_entity(f, named)
  local keys = {}
  if type(f.entity) == "table" then keys[#keys + 1] = tostring(f.entity.key or "") end
  for _, m in ipairs(type(f.members) == "table" and f.members or {}) do
    if type(m) == "table" and type(m.entity) == "table" then keys[#keys + 1] = tostring(m.entity.key or "") end
  end
  local e = type(f.evidence) == "table" and f.evidence or {}
  for _, n in ipairs(named) do
    for _, k in ipairs(keys) do
      if k == n[1] .. " " .. n[2] or k:sub(1, #n[1] + #n[2] + 2) == n[1] .. " " .. n[2] .. "." then return true end
    end
    if n[1] == "executor" and tostring(e.executor or "") == n[2] then return true end
  end
  return false
end

-- How well a finding answers the question: topics whose rules name it (weighted by the order
-- of the topic's rule list: the first is the most direct answer), and the entities it names.
function M.relevance(f, topics, question)
  local score = 0
  local named = named_entities(question)
  if #named > 0 and names_entity(f, named) then score = score + 5 end
  for name in pairs(topics) do
    local rules = M.TOPICS[name].rules
    for i, p in ipairs(rules) do
      if matches_rule(tostring(f.id or ""), { p }) then score = score + 10 - math.min(i, 9) break end
    end
  end
  return score
end

-- The documentation query of a finding, in the docs' own words (nil when none is known).
function M.finding_query(f)
  local e = type(f.evidence) == "table" and f.evidence or {}
  local id = tostring(f.id or "")
  local text = type(f.recommendation) == "table" and f.recommendation.text or f.recommendation
  if id == "job.failed" or id == "sql.failed" or id == "app.stopped_with_work" then
    local msg = tostring(e.root_cause or "") .. " " .. tostring(e.reason or e.error or e.first_failure or text or "")
    local class = msg:match("%[([A-Z][A-Z0-9]*_[A-Z0-9_]+)[%].]")
    if class then return class end
    for _, x in ipairs(EXCEPTIONS) do
      if msg:find(x[1], 1, true) then return x[2] end
    end
    return M.VOCABULARY["runtime.failed_tasks"]
  end
  -- data skew AQE cannot split (aggregates, windows): repartition by a better key
  if id == "skew.task_duration" and e.cause == "data" and type(e.sql) == "table" and not e.sql.aqe_handles and
     not tostring(e.sql.operator or ""):find("Join", 1, true) then
    return "Partitioning Hints REPARTITION repartition by column"
  end
  return M.VOCABULARY[id .. ":" .. tostring(e.cause)] or M.VOCABULARY[id]
end

-- Platform facts of the report (state.metadata), for filtering passages.
function M.facts(report)
  local st = type(report) == "table" and type(report.state) == "table" and report.state or {}
  local md = type(st.metadata) == "table" and st.metadata or {}
  local p = type(md.platform) == "table" and md.platform or {}
  local app = type(report) == "table" and type(report.app) == "table" and report.app or md.app or {}
  local delta = false
  local d = type(st.delta) == "table" and st.delta or {}
  if type(d.tables) == "table" and next(d.tables) then delta = true end
  for _, f in ipairs(type(report) == "table" and type(report.findings) == "table" and report.findings or {}) do
    if tostring(f.id or ""):match("^delta%.") then delta = true end
  end
  return { manager = p.manager, vendor = p.vendor, gpu = p.gpu, spark = app.spark_version or p.spark, delta = delta }
end

local MANAGER_DOCS = { ["running-on-mesos.md"] = "mesos", ["running-on-kubernetes.md"] = "kubernetes",
  ["running-on-yarn.md"] = "yarn", ["spark-standalone.md"] = "standalone" }

local function version_num(v)
  local a, b = tostring(v or ""):match("(%d+)%.(%d+)")
  return a and tonumber(a) * 100 + tonumber(b) or nil
end

-- Is a passage about this application's platform, Spark version and storage? `question`: a
-- passage the question names explicitly (delta, kubernetes...) is always kept.
function M.fits(passage, facts, question)
  local q = tostring(question or ""):lower()
  local doc = tostring(passage.doc or "")
  local manager = MANAGER_DOCS[doc]
  if manager and facts.manager and manager ~= facts.manager and not q:find(manager, 1, true) then return false end
  if passage.source == "delta" and not facts.delta and not q:find("delta", 1, true) then return false end
  local app_v = version_num(facts.spark)
  if app_v and (passage.kind == "property" or passage.kind == "row") then
    local since = tostring(passage.text or ""):match("Since Version: ([%d%.]+)")
    local sv = version_num(since)
    if sv and sv > app_v then return false end
  end
  return true
end

return M
