-- SQL plans: the expensive operators of each SQL execution's physical plan (the latest AQE
-- version), with the SQL metrics Spark attached to each node (rows, bytes, times through the
-- accumulators): sort-merge joins that could broadcast, exploding joins, cartesian products,
-- scans that read everything because a filter was not pushed down, Python UDF boundaries, and
-- the same table scanned over and over.
local U = require "lib.analysis.util"
local MIB = 1048576

-- Rows out of the subtree under node i: the first node on the way down with a row count.
local function subtree_rows(nodes, i)
  local n = nodes[i]
  local m = n.metrics
  local v = m["number of output rows"] or m["records read"] or m["shuffle records written"]
  if v then return v end
  for _, c in ipairs(n.children) do
    local r = subtree_rows(nodes, c)
    if r then return r end
  end
end

-- Bytes flowing out of a subtree: shuffle bytes written / data size / size of files read.
local function subtree_bytes(nodes, i)
  local m = nodes[i].metrics
  local v = m["data size"] or m["shuffle bytes written"] or m["size of files read"]
  if v then return v end
  local best
  for _, c in ipairs(nodes[i].children) do
    local b = subtree_bytes(nodes, c)
    if b then best = (best or 0) + b end
  end
  return best
end

-- Sum of a metric over a subtree (e.g. "sort time").
local function subtree_sum(nodes, i, metric)
  local s = nodes[i].metrics[metric] or 0
  for _, c in ipairs(nodes[i].children) do s = s + subtree_sum(nodes, c, metric) end
  return s
end

local function first_line(s) return (tostring(s or ""):gsub("\n.*", "")) end

local function each_node(sql, ctx, pred)
  local nodes = U.plan(ctx.app, sql)
  local hits = {}
  for i, n in ipairs(nodes) do if pred(n, i, nodes) then hits[#hits + 1] = i end end
  return hits, nodes
end

return {
  agent = "sql",
  rules = {
    {
      id = "sql.smj_could_broadcast",
      title = "Sort-merge join whose smaller side is small enough to broadcast",
      severity = "medium",
      applies_to = "sql",
      thresholds = { max_broadcast_bytes = 64 * MIB, min_large_side_bytes = 256 * MIB },
      when = function(sql, ctx)
        local t = ctx.thresholds
        local hits, nodes = each_node(sql, ctx, function(n) return n.name == "SortMergeJoin" end)
        local best
        for _, i in ipairs(hits) do
          local kids = nodes[i].children
          if #kids == 2 then
            local a, b = subtree_bytes(nodes, kids[1]), subtree_bytes(nodes, kids[2])
            if a and b then
              local small, large = math.min(a, b), math.max(a, b)
              if small <= t.max_broadcast_bytes and large >= t.min_large_side_bytes and (not best or large > best.large_bytes) then
                best = { node = first_line(nodes[i].text), small_bytes = small, large_bytes = large,
                  small_side = a <= b and "left" or "right", sort_time_ms = subtree_sum(nodes, i, "sort time") }
              end
            end
          end
        end
        if not best then return nil end
        best.execution_id = sql.execution_id
        best.broadcast_threshold = ctx.conf("spark.sql.autoBroadcastJoinThreshold", "10485760 (default 10m)")
        return best
      end,
      advice = function(e)
        local mb = math.ceil(e.small_bytes * 1.5 / MIB)
        return string.format("SQL %d: %s shuffles and sorts %s on one side to join it with %s on the other. " ..
          "Broadcasting the %s side (a BROADCAST hint, or autoBroadcastJoinThreshold above %d MiB; now %s) avoids " ..
          "the shuffle and sort of the large side.", e.execution_id, e.node:sub(1, 120), U.bytes(e.large_bytes),
          U.bytes(e.small_bytes), e.small_side, mb, e.broadcast_threshold),
          { ["spark.sql.autoBroadcastJoinThreshold"] = mb .. "m" }
      end,
      impact = function(e)
        return { saving_ms = 0, core_ms = e.sort_time_ms,
          method = "sort time of the join's inputs (SQL metric), which a broadcast hash join does not spend" }
      end,
    },
    {
      id = "sql.exploding_join",
      title = "Exploding join: far more rows out than in",
      severity = "high",
      applies_to = "sql",
      thresholds = { ratio = 5, min_output_rows = 1e6 },
      when = function(sql, ctx)
        local t = ctx.thresholds
        local hits, nodes = each_node(sql, ctx, function(n) return n.name:find("Join", 1, true) ~= nil end)
        for _, i in ipairs(hits) do
          local out = nodes[i].metrics["number of output rows"]
          if out and out >= t.min_output_rows then
            local maxin = 0
            for _, c in ipairs(nodes[i].children) do maxin = math.max(maxin, subtree_rows(nodes, c) or 0) end
            if maxin > 0 and out / maxin >= t.ratio then
              return { execution_id = sql.execution_id, node = first_line(nodes[i].text), output_rows = out,
                max_input_rows = maxin, ratio = out / maxin }
            end
          end
        end
      end,
      advice = function(e)
        return string.format("SQL %d: %s produced %.0f rows from at most %.0f input rows (%.0fx): duplicate join keys " ..
          "multiply rows. Deduplicate or aggregate one side before joining, or add the missing join condition.",
          e.execution_id, e.node:sub(1, 120), e.output_rows, e.max_input_rows, e.ratio)
      end,
    },
    {
      id = "sql.cartesian",
      title = "Cartesian product or nested-loop join",
      severity = "high",
      applies_to = "sql",
      thresholds = { min_output_rows = 1e5 },
      when = function(sql, ctx)
        local hits, nodes = each_node(sql, ctx, function(n)
          return n.name == "CartesianProduct" or n.name == "BroadcastNestedLoopJoin"
        end)
        for _, i in ipairs(hits) do
          local out = nodes[i].metrics["number of output rows"] or 0
          if out >= ctx.thresholds.min_output_rows then
            return { execution_id = sql.execution_id, node = first_line(nodes[i].text), operator = nodes[i].name, output_rows = out }
          end
        end
      end,
      advice = function(e)
        return string.format("SQL %d runs %s (%.0f rows out): every row is compared with every row of the other side. " ..
          "Add an equi-join condition, or broadcast a tiny side explicitly.", e.execution_id, e.operator, e.output_rows)
      end,
    },
    {
      id = "sql.filter_not_pushed",
      title = "Scan reads everything: the filter above it was not pushed into the scan",
      severity = "medium",
      applies_to = "sql",
      thresholds = { min_bytes = 256 * MIB },
      when = function(sql, ctx)
        local hits, nodes = each_node(sql, ctx, function(n)
          return n.text:find("^FileScan") and n.text:find("PushedFilters: %[%]") and n.text:find("PartitionFilters: %[%]")
        end)
        for _, i in ipairs(hits) do
          local bytes = nodes[i].metrics["size of files read"] or 0
          local p, filter, depth = nodes[i].parent, nil, 0
          while p and depth < 4 do
            if nodes[p].name == "Filter" then filter = first_line(nodes[p].text) break end
            p, depth = nodes[p].parent, depth + 1
          end
          if filter and bytes >= ctx.thresholds.min_bytes then
            return { execution_id = sql.execution_id, scan = first_line(nodes[i].text):sub(1, 200), filter = filter:sub(1, 200),
              bytes_read = bytes, files_read = nodes[i].metrics["number of files read"],
              rows_out = nodes[i].metrics["number of output rows"] }
          end
        end
      end,
      advice = function(e)
        return string.format("SQL %d scans %s (%s) with no partition or pushed filters, then filters with %s. Filter on " ..
          "partition columns, avoid functions/casts around filtered columns so Spark can push them down, and keep " ..
          "predicate pushdown on.", e.execution_id, e.scan:match("^FileScan %a+ ([^%[ ]*)") or "a table",
          U.bytes(e.bytes_read), e.filter:sub(1, 100)), { ["spark.sql.parquet.filterPushdown"] = "true" }
      end,
    },
    {
      id = "sql.python_udf",
      title = "Python UDF boundary: rows travel between the JVM and Python workers",
      severity = "low",
      applies_to = "sql",
      thresholds = { min_rows = 1e5 },
      when = function(sql, ctx)
        local hits, nodes = each_node(sql, ctx, function(n)
          return n.name == "BatchEvalPython" or n.name == "ArrowEvalPython" or n.name:find("InPandas", 1, true) ~= nil
            or n.name == "PythonUDF"
        end)
        if #hits == 0 then return nil end
        local rows, names = 0, {}
        for _, i in ipairs(hits) do
          rows = math.max(rows, subtree_rows(nodes, i) or 0)
          names[#names + 1] = nodes[i].name
        end
        if rows < ctx.thresholds.min_rows then return nil end
        return { execution_id = sql.execution_id, operators = table.concat(names, ", "), rows = rows }
      end,
      advice = function(e)
        local batch = e.operators:find("BatchEvalPython", 1, true)
        return string.format("SQL %d sends ~%.0f rows through %s. %s", e.execution_id, e.rows, e.operators,
          batch and "Row-at-a-time Python UDFs are the slowest kind: use built-in functions or a vectorised pandas_udf (Arrow)."
          or "Replace the UDF with built-in functions where possible."),
          batch and { ["spark.sql.execution.arrow.pyspark.enabled"] = "true" } or nil
      end,
    },
    {
      id = "sql.repeated_scan",
      title = "The same data is scanned by many SQL executions",
      severity = "low",
      applies_to = "app",
      thresholds = { min_scans = 3, min_bytes = 64 * MIB },
      when = function(app, ctx)
        local seen, order = {}, {}
        for _, sql in ipairs(app.sqls) do
          for _, n in ipairs(U.plan(app, sql)) do
            if n.text:find("^FileScan") or n.text:find("^Scan ") then
              local key = n.text:match("Location: %a+%[([^%]]+)%]") or n.text:match("^FileScan %a+ ([%w_.]+)%[")
              if key then
                local s = seen[key]
                if not s then s = { location = key, scans = 0, bytes = 0, executions = {} } seen[key] = s order[#order + 1] = s end
                s.scans = s.scans + 1
                s.bytes = s.bytes + (n.metrics["size of files read"] or 0)
                if s.executions[#s.executions] ~= sql.execution_id then s.executions[#s.executions + 1] = sql.execution_id end
              end
            end
          end
        end
        table.sort(order, function(a, b) return a.bytes > b.bytes end)
        for _, s in ipairs(order) do
          if s.scans >= ctx.thresholds.min_scans and s.bytes >= ctx.thresholds.min_bytes then return s end
        end
      end,
      advice = function(e)
        return string.format("%s was scanned %d times (%s read in all) by SQL executions %s. Cache or persist it once " ..
          "(df.cache() / CACHE TABLE) if it fits, or restructure the queries to read it once.", e.location:sub(1, 120),
          e.scans, U.bytes(e.bytes), table.concat(e.executions, ", "):sub(1, 80))
      end,
    },
  },
}
