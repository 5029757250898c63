-- sql agent: the expensive operators of each SQL execution's physical plan, with the SQL
-- metrics Spark attached to each node. Evaluates the rule sets naming agent "sql"
-- (scripts/rules/sql_rules.lua). Its layer lists the hottest operators per execution (by the
-- operator's own time metrics) for the report's plan view.
local U = require "lib.analysis.util"

local TIME_METRICS = { "sort time", "time in aggregation build", "scan time", "shuffle write time", "fetch wait time",
  "duration", "time to build", "time to broadcast", "build time", "stream time" }

-- ms of a node's own time metrics (shuffle write time is in ns, the others in ms).
local function node_time(n)
  local ms = 0
  for _, k in ipairs(TIME_METRICS) do
    local v = n.metrics[k]
    if v and k ~= "duration" then ms = ms + (k == "shuffle write time" and v / 1e6 or v) end
  end
  return ms
end

return {
  name = "sql",
  version = "1.0",
  needs = { "metadata" },
  run = function(ctx)
    local app = ctx.app
    local plans = {}
    for _, sql in ipairs(app.sqls) do
      local nodes = U.plan(app, sql)
      if #nodes > 0 and #plans < 50 then
        local total, out = 0, {}
        for i, n in ipairs(nodes) do
          local t = node_time(n)
          total = total + t
          out[i] = { name = n.name, text = n.text:sub(1, 200), depth = n.depth, parent = n.parent, time_ms = t,
            rows = n.metrics["number of output rows"] }
        end
        plans[#plans + 1] = { execution_id = sql.execution_id, description = (sql.description or ""):sub(1, 200),
          duration_ms = sql.duration, total_time_ms = total, nodes = out }
      end
    end
    table.sort(plans, function(a, b) return a.total_time_ms > b.total_time_ms end)
    while #plans > 10 do table.remove(plans) end
    return { plans = plans, findings = ctx.run_rules() }
  end,
}
