-- Skew: a few tasks of a stage doing most of the work or taking most of the time.
-- Robust statistics run in C over the stage's task columns (sic.stats / engine/stats): max and
-- p99 over the median, and a MAD-based outlier score (max - median) / (1.4826 * MAD). Guards keep
-- quiet stages quiet: the straggler must matter to the stage's wall time (min_share of it and
-- min_saving_ms in absolute terms). Each finding says whether it is data skew (the straggler
-- read or shuffled far more bytes) or a straggler (same data, slow because of GC, its host,
-- locality or a speculative copy), whether AQE would split it, and which SQL operator and join
-- keys of the stage's SQL execution are involved.
local U = require "lib.analysis.util"
local stats = require "sic.stats"
local EC = require "lib.analysis.executor_cause"

local MAD_SCALE = 1.4826 -- MAD of a normal sample times this estimates its standard deviation

-- Bytes a task works on: input + shuffle read.
local function task_bytes(app, row)
  local t = app.tasks
  return tonumber(t.input_bytes_read[row]) + tonumber(t.sr_remote_bytes_read[row]) + tonumber(t.sr_local_bytes_read[row])
end

local LOCALITY = { [0] = "PROCESS_LOCAL", "NODE_LOCAL", "NO_PREF", "RACK_LOCAL", "ANY" }

-- Why is the straggler slow? data | gc | warmup | host | executor | locality | speculation | compute | unknown
local function diagnose(app, stage, row, dur)
  local t = app.tasks
  local bytes = U.stats(stage, "input_bytes_read").median + U.stats(stage, "shuffle_read_bytes").median
  local mine = task_bytes(app, row)
  local run = tonumber(t.executor_run_time[row])
  local gc = tonumber(t.jvm_gc_time[row])
  local cause, detail = "unknown", {}
  detail.straggler_bytes, detail.median_bytes = mine, bytes
  detail.straggler_gc_share = run > 0 and math.min(gc / run, 1) or 0
  detail.locality = LOCALITY[tonumber(t.locality[row])]
  if mine >= 2 * math.max(bytes, 1) and mine - bytes >= 8 * 1048576 then
    cause = "data"
  elseif detail.straggler_gc_share >= 0.3 then
    cause = "gc"
  elseif t.speculative[row] then
    cause = "speculation"
  elseif detail.locality == "ANY" or detail.locality == "RACK_LOCAL" then
    cause = "locality"
  else
    -- The same executor slow for the stage's other tasks too points at the host.
    local e = tonumber(t.executor[row])
    local per = U.once(app, "stage_by_exec:" .. stage.row, function() return stats.stage_by_executor(stage, "duration") end)
    -- the executor's other successful tasks of this stage (the straggler itself taken out)
    local sum, n = (per.sum[e] or 0) - dur, (per.count[e] or 0) - 1
    local median = U.stats(stage, "duration").median
    local ex = app.executors[e + 1]
    detail.executor, detail.host = ex and ex.id, ex and ex.host
    if n > 0 and sum / n >= 2 * median then
      -- a slow executor: cold (first wave), a bad host, or this executor (lib/analysis/executor_cause)
      local ev = EC.explain(app, stage, e)
      cause = ev.cause
      detail.executor_evidence = ev
    end
    if cause == "unknown" and bytes <= 0 then cause = "compute" end
  end
  return cause, detail
end

-- SQL context: the operator and join keys involved, and whether AQE would split the skew.
local function sql_context(app, stage)
  local sql = U.stage_sql(app, stage)
  local aqe = U.aqe(app)
  if not sql then return { aqe_handles = false, aqe = aqe.value, why = "not a SQL stage: AQE does not apply" } end
  local joins = U.joins(app, sql)
  local smj
  for _, j in ipairs(joins) do if j.kind == "SortMergeJoin" or j.kind == "ShuffledHashJoin" then smj = j break end end
  local others = U.non_join_skew_ops(app, sql)
  local ctx = { sql_execution_id = sql.execution_id, aqe = aqe.value }
  if smj then
    ctx.operator, ctx.join_keys, ctx.join_type = smj.kind, smj.keys, smj.join_type
    ctx.aqe_handles = aqe.skew_join
    ctx.why = aqe.skew_join and "AQE skew-join splits skewed partitions of this sort-merge join"
      or (aqe.enabled and "AQE is on but spark.sql.adaptive.skewJoin.enabled is false" or "AQE is off")
  else
    ctx.operator = others[1]
    ctx.aqe_handles = false
    ctx.why = others[1] and ("AQE does not split skew in " .. others[1]) or "no join in the SQL plan: AQE skew-join does not apply"
  end
  return ctx
end

local function advice_for(e, app)
  local cfg, text = {}, {}
  if e.cause == "data" then
    if e.sql and e.sql.operator and e.sql.join_keys then
      text[#text + 1] = string.format("The skew is in the data: %s on [%s].", e.sql.operator, e.sql.join_keys)
    else
      text[#text + 1] = "The skew is in the data: one partition holds far more rows than the others."
    end
    if e.sql and e.sql.aqe_handles then
      text[#text + 1] = "AQE skew-join should split it; lower spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes if it did not."
      cfg["spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes"] = "64m"
      cfg["spark.sql.adaptive.skewJoin.skewedPartitionFactor"] = "3"
    elseif e.sql and e.sql.operator == "SortMergeJoin" then
      text[#text + 1] = "Turn on AQE skew-join, broadcast the small side if it fits, or salt the hot key."
      cfg["spark.sql.adaptive.enabled"] = "true"
      cfg["spark.sql.adaptive.skewJoin.enabled"] = "true"
    else
      text[#text + 1] = "AQE cannot split it (" .. (e.sql and e.sql.why or "not a join") ..
        "): salt the key (add a random suffix, aggregate twice) or repartition by a better-distributed key."
    end
  elseif e.cause == "gc" then
    text[#text + 1] = string.format("The straggler spent %.0f%% of its run time in GC: give executors more memory per core.",
      100 * e.straggler_gc_share)
  elseif e.executor_evidence then
    -- warm-up, bad host or one bad executor, told apart by the host's other executors and the
    -- executor's own earlier and later tasks; the speculation settings are config.speculation's
    local t, c = EC.advice(e.executor_evidence, app)
    text[#text + 1] = t
    for k, v in pairs(c) do cfg[k] = v end
  elseif e.cause == "locality" then
    text[#text + 1] = "The straggler ran with locality " .. tostring(e.locality) .. ": it read its data over the network."
  elseif e.cause == "speculation" then
    text[#text + 1] = "The longest attempt was a speculative copy: the original was slow for reasons outside the data."
  else
    text[#text + 1] = "The longest task read no more data than the others: a straggler, not data skew; speculation " ..
      "can hide it (config.speculation)."
  end
  return table.concat(text, " "), cfg
end

return {
  agent = "skew",
  rules = {
    {
      id = "skew.task_duration",
      title = "Skewed stage: a few tasks run far longer than the median and hold up the stage",
      severity = "high",
      applies_to = "stage",
      thresholds = { ratio = 3, min_max_ms = 1000, min_tasks = 8, mad_z = 5, min_share = 0.25, min_saving_ms = 500 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        local s = U.stats(stage, "duration")
        if s.n < t.min_tasks or s.max < t.min_max_ms or s.median <= 0 then return nil end
        if s.max_over_median < t.ratio then return nil end
        local z = s.mad > 0 and (s.max - s.median) / (MAD_SCALE * s.mad) or math.huge
        if z < t.mad_z then return nil end
        -- Minimum impact: the time the stage waited for its stragglers beyond p75.
        local wall = stage.duration > 0 and stage.duration or s.max
        local saving = math.max(s.max - s.p75, 0)
        if saving < t.min_saving_ms or saving < t.min_share * wall then return nil end
        local app = ctx.app
        local cause, d = diagnose(app, stage, s.argmax, s.max)
        local e = { stage = stage.key, name = stage.name, tasks = s.n, max_ms = s.max, median_ms = s.median,
          p75_ms = s.p75, p99_ms = s.p99, p95_ms = s.p95, ratio = s.max_over_median,
          p99_over_median = s.p99 / s.median, mad_ms = s.mad, mad_z = z ~= math.huge and z or nil, gini = s.gini,
          stage_wall_ms = wall, straggler_task_row = s.argmax, cause = cause, sql = sql_context(app, stage) }
        for k, v in pairs(d) do e[k] = v end
        return e
      end,
      advice = function(e, ctx)
        local text, cfg = advice_for(e, ctx and ctx.app)
        cfg["spark.sql.adaptive.enabled"] = cfg["spark.sql.adaptive.enabled"] or (e.cause == "data" and "true" or nil)
        if e.sql and e.sql.join_keys then cfg["spark.sql.adaptive.skewJoin.enabled"] = "true" end
        return string.format("In %s the longest task took %s, %.1fx the median (%s) over %d tasks (cause: %s). %s",
          e.stage, U.secs(e.max_ms), e.ratio, U.secs(e.median_ms), e.tasks, e.cause, text), cfg
      end,
      impact = function(e)
        return { saving_ms = math.max(e.max_ms - e.p75_ms, 0),
          method = "stage wall time if the longest task ended with the p75 task (max - p75)" }
      end,
    },
    {
      id = "skew.shuffle_read",
      title = "Skewed shuffle read: some tasks read many times the median bytes",
      severity = "medium",
      applies_to = "stage",
      thresholds = { ratio = 4, min_max_bytes = 16 * 1048576, min_tasks = 8, mad_z = 5 },
      -- the straggler time it claims is skew.task_duration's when both fire on a stage
      defers_to = { "skew.task_duration" },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        if U.sums(stage).shuffle_read_bytes < t.min_max_bytes then return nil end
        local s = U.stats(stage, "shuffle_read_bytes")
        if s.n < t.min_tasks or s.max < t.min_max_bytes or s.median <= 0 or s.max_over_median < t.ratio then return nil end
        local z = s.mad > 0 and (s.max - s.median) / (MAD_SCALE * s.mad) or math.huge
        if z < t.mad_z then return nil end
        local d = U.stats(stage, "duration")
        local run_of_max = U.task_ms(ctx.app, s.argmax)
        return { stage = stage.key, tasks = s.n, max_bytes = s.max, median_bytes = s.median, p99_bytes = s.p99,
          ratio = s.max_over_median, gini = s.gini, mad_z = z ~= math.huge and z or nil,
          heaviest_task_ms = run_of_max, median_task_ms = d.median, p75_task_ms = d.p75, sql = sql_context(ctx.app, stage) }
      end,
      advice = function(e)
        local cfg = { ["spark.sql.adaptive.skewJoin.enabled"] = "true" }
        local how = e.sql and e.sql.aqe_handles and "AQE skew-join can split it." or
          ("AQE will not split it (" .. (e.sql and e.sql.why or "not SQL") .. "): salt the key or repartition by another key.")
        return string.format("In %s one task read %s of shuffle data, %.1fx the median (%s): the partitioning " ..
          "key is skewed%s. %s", e.stage, U.bytes(e.max_bytes), e.ratio, U.bytes(e.median_bytes),
          e.sql and e.sql.join_keys and (" (join keys [" .. e.sql.join_keys .. "])") or "", how), cfg
      end,
      impact = function(e)
        return { saving_ms = math.max((e.heaviest_task_ms or 0) - (e.p75_task_ms or 0), 0), wall_pool = "wall",
          method = "the heaviest reader's task time beyond the p75 task" }
      end,
    },
    {
      id = "skew.input",
      title = "Skewed input splits: some tasks read many times the median input",
      severity = "medium",
      applies_to = "stage",
      thresholds = { ratio = 4, min_max_bytes = 64 * 1048576, min_tasks = 8 },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        if U.sums(stage).input_bytes_read < t.min_max_bytes then return nil end
        local s = U.stats(stage, "input_bytes_read")
        if s.n < t.min_tasks or s.max < t.min_max_bytes or s.median <= 0 or s.max_over_median < t.ratio then return nil end
        return { stage = stage.key, tasks = s.n, max_bytes = s.max, median_bytes = s.median, ratio = s.max_over_median }
      end,
      advice = function(e)
        return string.format("In %s one task read %s of input, %.1fx the median (%s): a few large or unsplittable " ..
          "files (gzip, one big Parquet row group). Split or recompress them with a splittable codec.", e.stage,
          U.bytes(e.max_bytes), e.ratio, U.bytes(e.median_bytes)), { ["spark.sql.files.maxPartitionBytes"] = "128m" }
      end,
    },
    {
      id = "skew.spill",
      title = "Spill concentrated in a few tasks of a stage",
      severity = "medium",
      applies_to = "stage",
      thresholds = { min_spill_bytes = 64 * 1048576, max_share_tasks = 0.1, min_tasks = 8 },
      -- the spill of a skewed partition is part of the skew skew.task_duration reports
      defers_to = { "skew.task_duration" },
      when = function(stage, ctx)
        local t = ctx.thresholds
        if stage.ntasks < t.min_tasks then return nil end
        if U.sums(stage).spill_bytes < t.min_spill_bytes then return nil end
        local s = U.stats(stage, "spill_bytes")
        if s.p90 > 0 then return nil end -- spill everywhere is a partitioning problem
        return { stage = stage.key, tasks = s.n, spilled_bytes = s.sum, max_task_spill_bytes = s.max }
      end,
      advice = function(e)
        return string.format("In %s fewer than 10%% of tasks spilled %s in all (up to %s in one task): their " ..
          "partitions are larger than the rest - skewed keys.", e.stage, U.bytes(e.spilled_bytes),
          U.bytes(e.max_task_spill_bytes)), { ["spark.sql.adaptive.skewJoin.enabled"] = "true" }
      end,
    },
  },
}
