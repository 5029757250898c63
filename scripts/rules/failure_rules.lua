-- Failures and waste at the job, SQL and executor level (one rule per entity kind the model
-- has besides stages): failed jobs and queries, executors lost to memory limits, executors
-- that were paid for but never ran a task.
local parse = require "sic.parse"
local U = require "lib.analysis.util"
local F = require "lib.analysis.failures"

local function first_line(s, max)
  s = (s or ""):match("^[^\n]*"):gsub("%.+$", "")
  if #s > (max or 300) then s = s:sub(1, max or 300) .. "..." end
  return s
end

-- Per executor row: task attempts, run time and GC time over the whole app, from the C
-- statistics (one pass over the tasks each), computed once per app.
local stats = require "sic.stats"
local per_executor = setmetatable({}, { __mode = "k" })
local function executor_totals(app)
  local t = per_executor[app]
  if t then return t end
  local run = stats.by_executor(app, "executor_run_time", "all")
  t = { tasks = run.count, run = run.sum, gc = stats.by_executor(app, "jvm_gc_time", "all").sum }
  per_executor[app] = t
  return t
end

local function app_end(app)
  if app.end_time >= 0 then return app.end_time end
  return app.last_event_time
end

-- Failure texts of GPU memory exhaustion under spark-rapids (RMM/cuDF allocation failures and
-- the plugin's retry exceptions).
local GPU_OOM = { "GpuRetryOOM", "GpuSplitAndRetryOOM", "GpuOOM", "RmmException", "RMM failure", "rmm::out_of_memory",
  "CudfException: std::bad_alloc", "out of memory: CUDA", "CUDA error: out of memory" }

local function gpu_oom_text(msg)
  for _, p in ipairs(GPU_OOM) do if msg:find(p, 1, true) then return p end end
end

local function rapids_plugin(app)
  return (app:conf("spark.plugins", "")):find("com.nvidia.spark.SQLPlugin", 1, true) ~= nil
end

return {
  agent = "runtime",
  rules = {
    {
      id = "gpu.oom",
      title = "Tasks failed for lack of GPU memory (spark-rapids)",
      severity = "high",
      applies_to = "app",
      thresholds = { min_failures = 1 },
      when = function(app, ctx)
        if not rapids_plugin(app) then return nil end
        local t, n, example, kind, stages, messages = app.tasks, 0, nil, nil, {}, {}
        for row = 0, t.n - 1 do
          local sid = tonumber(t.error[row])
          if sid and sid >= 0 then
            local msg = app:string(sid) or ""
            local k = gpu_oom_text(msg)
            if k then
              n = n + 1
              kind = kind or k
              example = example or first_line(msg, 200)
              messages[#messages + 1] = msg
              stages[tonumber(t.stage[row])] = true
            end
          end
        end
        if n < ctx.thresholds.min_failures then return nil end
        local nst = 0
        for _ in pairs(stages) do nst = nst + 1 end
        -- one cause, whatever addresses and sizes each message embeds (lib/analysis/failures)
        local groups = F.group(messages)
        return { failures = n, stages = nst, kind = kind, example = example, message_groups = #groups,
          group_key = groups[1] and groups[1].key,
          concurrent = tonumber(ctx.conf("spark.rapids.sql.concurrentGpuTasks", "")),
          batch_bytes = parse.size(ctx.conf("spark.rapids.sql.batchSizeBytes", "1g")) or 1024 ^ 3,
          split_bytes = parse.size(ctx.conf("spark.sql.files.maxPartitionBytes", "128m")) or 128 * 1024 ^ 2 }
      end,
      advice = function(e)
        -- Less GPU memory in use at once: fewer tasks sharing the GPU, smaller batches and splits.
        local cfg = {}
        local conc = e.concurrent and math.max(1, e.concurrent - 1) or 1
        if not e.concurrent or e.concurrent > 1 then cfg["spark.rapids.sql.concurrentGpuTasks"] = tostring(conc) end
        cfg["spark.rapids.sql.batchSizeBytes"] = math.floor(e.batch_bytes / 2 / 1024 ^ 2) .. "m"
        cfg["spark.sql.files.maxPartitionBytes"] = math.floor(e.split_bytes / 2 / 1024 ^ 2) .. "m"
        return string.format("%d task attempt(s) in %d stage(s) ran out of GPU memory (%s: %s). Fewer concurrent GPU " ..
          "tasks%s, half the batch size and half the input split leave each task more of the GPU's memory.", e.failures,
          e.stages, e.kind, e.example, cfg["spark.rapids.sql.concurrentGpuTasks"] and
          (" (" .. cfg["spark.rapids.sql.concurrentGpuTasks"] .. ")") or ""), cfg
      end,
    },
    {
      id = "app.stopped_with_work",
      title = "The application stopped while jobs were running: they were cancelled",
      severity = "medium",
      applies_to = "app",
      when = function(app)
        local jobs, stages, sqls = {}, 0, 0
        for _, j in ipairs(app.jobs) do
          if j.status == "FAILED" and F.is_shutdown(j.failure_reason) then jobs[#jobs + 1] = j.job_id end
        end
        for _, st in ipairs(app.stages) do
          if st.status == "FAILED" and F.is_shutdown(st.failure_reason) then stages = stages + 1 end
        end
        for _, q in ipairs(app.sqls) do if F.is_shutdown(q.error) then sqls = sqls + 1 end end
        if #jobs + stages + sqls == 0 then return nil end
        -- the first failure of anything else: what stopped the application, when there was one
        local t, first, first_at = app.tasks, nil, math.huge
        for row = 0, t.n - 1 do
          local sid = tonumber(t.error[row])
          if sid and sid >= 0 then
            local at = tonumber(t.finish_time[row])
            if at > 0 and at < first_at then
              local msg = app:string(sid)
              if msg and not F.is_shutdown(msg) then first, first_at = msg, at end
            end
          end
        end
        for _, j in ipairs(app.jobs) do
          if j.status == "FAILED" and not F.is_shutdown(j.failure_reason) and (j.completion_time or -1) > 0 and
             j.completion_time < first_at then
            first, first_at = j.failure_reason, j.completion_time
          end
        end
        table.sort(jobs)
        return { jobs = jobs, stages = stages, sql_executions = sqls, first_failure = first and first_line(first, 200),
          first_failure_key = first and F.key(first), first_failure_at_ms = first and (first_at - U.app_start(app)) or nil }
      end,
      advice = function(e)
        local ids = {}
        for i = 1, math.min(#e.jobs, 8) do ids[i] = tostring(e.jobs[i]) end
        local what = string.format("%d job(s)%s%s%s were cancelled because the SparkContext shut down: a " ..
          "consequence of the application stopping (sc.stop(), the driver exiting or a fatal error), not failures " ..
          "of their own.", #e.jobs, #ids > 0 and (" (" .. table.concat(ids, ", ") .. (#e.jobs > 8 and ", ..." or "") .. ")") or "",
          e.stages > 0 and string.format(", %d stage(s)", e.stages) or "",
          e.sql_executions > 0 and string.format(" and %d SQL execution(s)", e.sql_executions) or "")
        if e.first_failure then
          return what .. string.format(" The first failure before it, %s into the run: %s. Start there.",
            U.secs(e.first_failure_at_ms), e.first_failure)
        end
        return what .. " No task or job failed before it: look at the driver's log for why it stopped."
      end,
    },
    {
      id = "job.failed",
      title = "A job failed",
      severity = "high",
      applies_to = "job",
      when = function(job)
        if job.status ~= "FAILED" then return nil end
        -- cancelled because the SparkContext stopped: app.stopped_with_work reports them once
        if F.is_shutdown(job.failure_reason) then return nil end
        local root = F.root_cause(job.failure_reason)
        return { job_id = job.job_id, name = job.name, reason = first_line(job.failure_reason),
          root_cause = root ~= first_line(job.failure_reason) and first_line(root) or nil,
          reason_key = F.key(job.failure_reason) }
      end,
      -- jobs that failed for the same cause (numbers, ids, paths aside) are one finding
      group_key = function(e) return e.reason_key end,
      advice = function(e)
        return string.format("Job %d (%s) failed: %s%s", e.job_id, e.name or "?", e.reason ~= "" and e.reason or "no reason logged",
          e.root_cause and (" Caused by: " .. e.root_cause) or "")
      end,
    },
    {
      id = "sql.failed",
      title = "A SQL query failed",
      severity = "high",
      applies_to = "sql",
      when = function(sql)
        if not sql.error or sql.error == "" then return nil end
        if F.is_shutdown(sql.error) then return nil end
        return { execution_id = sql.execution_id, description = sql.description, error = first_line(sql.error),
          error_key = F.key(sql.error) }
      end,
      group_key = function(e) return e.error_key end,
      advice = function(e)
        return string.format("SQL execution %d (%s) failed: %s", e.execution_id, e.description or "?", e.error)
      end,
    },
    {
      id = "executor.memory_kill",
      title = "An executor was killed for exceeding its memory limit",
      severity = "high",
      applies_to = "executor",
      when = function(exec, ctx)
        local reason = exec.remove_reason or ""
        if not (reason:find("physical memory limits", 1, true) or reason:find("OutOfMemory", 1, true) or
                reason:find("memory limit", 1, true)) then return nil end
        local mem = parse.size(ctx.conf("spark.executor.memory", "1g"), "m") or 1024 ^ 3
        local overhead = parse.size(ctx.conf("spark.executor.memoryOverhead", ""), "m")
          or math.max(384 * 1024 ^ 2, 0.10 * mem)
        return { executor_id = exec.id, host = exec.host, reason = first_line(reason), executor_memory_bytes = mem,
          overhead_bytes = overhead }
      end,
      advice = function(e)
        local suggested = math.ceil(e.overhead_bytes * 2 / 1024 ^ 2)
        return string.format("Executor %s on %s was killed: %s. Off-heap use (Python, native buffers, netty) " ..
          "outgrew the overhead of %s: twice that (%d MiB) leaves room.", e.executor_id, e.host or "?", e.reason,
          U.bytes(e.overhead_bytes), suggested), { ["spark.executor.memoryOverhead"] = suggested .. "m" }
      end,
    },
    {
      id = "executor.gc_pressure",
      title = "An executor spends a large share of its task time in GC",
      severity = "medium",
      applies_to = "executor",
      thresholds = { ratio = 0.2, min_run_ms = 30000 },
      when = function(exec, ctx)
        local t = executor_totals(ctx.app)
        local run, gc = t.run[exec.row] or 0, t.gc[exec.row] or 0
        if run < ctx.thresholds.min_run_ms or gc / run < ctx.thresholds.ratio then return nil end
        return { executor_id = exec.id, host = exec.host, gc_ms = gc, run_ms = run, ratio = gc / run,
          tasks = t.tasks[exec.row] }
      end,
      advice = function(e)
        return string.format("Executor %s (%s) spent %.0f%% of %d tasks' run time in GC. If only this executor " ..
          "is affected, look at its host (memory pressure, noisy neighbours) or at the data its tasks got; " ..
          "otherwise give executors more memory per core.", e.executor_id, e.host or "?", 100 * e.ratio, e.tasks)
      end,
      impact = function(e) return { saving_ms = 0, core_ms = e.gc_ms / 2, pool = "gc", method = "half of the executor's GC time (core time)" } end,
    },
    {
      id = "executor.idle",
      title = "Executor held without running any task",
      severity = "low",
      applies_to = "executor",
      thresholds = { min_alive_ms = 60000 },
      when = function(exec, ctx)
        if exec.is_driver or exec.add_time < 0 then return nil end
        if (executor_totals(ctx.app).tasks[exec.row] or 0) > 0 then return nil end
        local gone = exec.remove_time >= 0 and exec.remove_time or app_end(ctx.app)
        local alive = gone - exec.add_time
        if alive < ctx.thresholds.min_alive_ms then return nil end
        return { executor_id = exec.id, cores = exec.cores, alive_ms = alive }
      end,
      advice = function(e)
        return string.format("Executor %s held %d cores for %.0f s without running a task: lower " ..
          "spark.dynamicAllocation.executorIdleTimeout or the initial/min executor count.", e.executor_id, e.cores,
          e.alive_ms / 1000), { ["spark.dynamicAllocation.executorIdleTimeout"] = "30s" }
      end,
      impact = function(e)
        return { saving_ms = 0, core_ms = e.cores * e.alive_ms, pool = "idle_cores",
          basis = "core time held by an executor without tasks" }
      end,
    },
  },
}
