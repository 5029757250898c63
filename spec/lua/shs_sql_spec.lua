-- `sic api .../sql`: Spark 3.5's SqlResource over every shared event log with SQL executions.
-- The expected graph is rebuilt here from the log's own plans (the last sparkPlanInfo of each
-- execution, from SQLExecutionStart or SQLAdaptiveExecutionUpdate) with SparkPlanGraph's rules,
-- written independently of engine/shs/render_sql.c: plans compared by a canonical text key
-- instead of a deep comparison.
local T = require "spec_helper"
local J = require "shs_json"

local ROOT = "spark-events"

-- Event log files (plain or .zstd) and rolling directories, as lists of parts.
local function logs(root)
  local out, rolling = {}, {}
  local p = io.popen("find " .. T.shell_quote(root) .. " -type f | sort")
  for f in p:lines() do
    local dir = f:match("^(.*/eventlog_v2_[^/]+)/events_")
    if dir then
      if not rolling[dir] then rolling[dir] = {}; out[#out + 1] = rolling[dir] end
      table.insert(rolling[dir], f)
    elseif not f:find("%.zip$") and not f:find("/appstatus_") and not f:find("%.inprogress$")
        and not f:find("legacy%-multifile") and not f:find("/eventlog_v2_") then
      out[#out + 1] = { f }
    end
  end
  p:close()
  for _, parts in pairs(rolling) do
    table.sort(parts, function(a, b)
      return tonumber(a:match("events_(%d+)_")) < tonumber(b:match("events_(%d+)_"))
    end)
  end
  return out
end

local function cat_cmd(parts)
  local cmds = {}
  for _, f in ipairs(parts) do
    cmds[#cmds + 1] = (f:find("%.zstd$") and "zstd -dcq " or "cat ") .. T.shell_quote(f)
  end
  return "{ " .. table.concat(cmds, "; ") .. "; } 2>/dev/null"
end

local function k(o, name) return o.keys[name] end
local function text(v) return type(v) == "string" and v or "" end

-- Canonical key of a SparkPlanInfo for SparkPlanInfo.equals (name, simpleString, children).
local function plan_key(info, memo)
  if memo[info] then return memo[info] end
  local parts = { text(k(info, "nodeName")), "\0", text(k(info, "simpleString")), "\0(" }
  local ch = k(info, "children")
  for i = 1, ch and ch.n or 0 do parts[#parts + 1] = plan_key(ch[i], memo); parts[#parts + 1] = "\0," end
  parts[#parts + 1] = ")"
  memo[info] = table.concat(parts)
  return memo[info]
end

-- SparkPlanGraph: nodes (id -> {name, codegen}), edges count, per Spark 3.5's builder.
local function expected_graph(plan)
  local g = { nodes = {}, n = 0, edges = 0, seen = {}, memo = {} }
  local function new_node(name, codegen)
    local id = g.n
    g.n = g.n + 1
    g.nodes[id] = { name = name, codegen = codegen }
    return id
  end
  local function child(info, i) local ch = k(info, "children"); return ch and ch[i or 1] end
  local build
  function build(info, parent, cluster)
    if not info then return end
    local name = text(k(info, "nodeName"))
    if name:find("^WholeStageCodegen") then
      new_node(name, nil)
      build(child(info), parent, tonumber(name:match("^WholeStageCodegen %((%d+)%)$")) or false)
    elseif name == "InputAdapter" or name == "TableCacheQueryStage" then
      build(child(info), parent, nil)
    elseif name == "BroadcastQueryStage" or name == "ShuffleQueryStage" then
      if child(info) and g.seen[plan_key(child(info), g.memo)] then g.edges = g.edges + 1
      else build(child(info), parent, nil) end
    elseif (name == "Subquery" or name == "SubqueryBroadcast") and cluster ~= nil then
      build(info, parent, nil)
    elseif (name == "Subquery" or name == "SubqueryBroadcast") and g.seen[plan_key(info, g.memo)] then
      g.edges = g.edges + 1
    elseif name == "ReusedSubquery" then
      build(child(info), parent, cluster)
    elseif name == "ReusedExchange" and child(info) and g.seen[plan_key(child(info), g.memo)] then
      g.edges = g.edges + 1
    else
      local id = new_node(name, cluster or nil)
      if name:find("Exchange", 1, true) or name == "Subquery" or name == "SubqueryBroadcast" then
        g.seen[plan_key(info, g.memo)] = id
      end
      if parent then g.edges = g.edges + 1 end
      local ch = k(info, "children")
      for i = 1, ch and ch.n or 0 do build(ch[i], id, cluster) end
    end
  end
  build(plan, nil, nil)
  return g
end

-- The application id, attempt and last plan of every execution of one log.
local function read_log(parts)
  local app, attempt, plans, order = nil, nil, {}, {}
  local p = io.popen(cat_cmd(parts))
  for line in p:lines() do
    if line:find('"Event":"SparkListenerApplicationStart"', 1, true) then
      local ev = J.decode(line)
      app = k(ev, "App ID")
      attempt = k(ev, "App Attempt ID")
    elseif line:find("SparkListenerSQLExecutionStart", 1, true) or line:find("SparkListenerSQLAdaptiveExecutionUpdate", 1, true) then
      local ok, ev = pcall(J.decode, line)
      if ok and k(ev, "executionId") and k(ev, "sparkPlanInfo") then
        local id = k(ev, "executionId").value
        if not plans[id] then order[#order + 1] = id end
        plans[id] = k(ev, "sparkPlanInfo")
      end
    end
  end
  p:close()
  return app, attempt, plans, order
end

local EXEC_KEYS = { "id", "status", "description", "planDescription", "submissionTime", "duration",
  "runningJobIds", "successJobIds", "failedJobIds", "nodes", "edges" }

describe("sic api /sql over the shared logs", function()
  local root = T.shared(ROOT)
  if not T.exists(root) then
    it("needs the shared event logs", function() pending("shared data absent") end)
    return
  end
  local checked, executions = 0, 0

  for _, parts in ipairs(logs(root)) do
    local name = parts[1]:sub(#root + 2)
    it("answers with the log's plans: " .. name, function()
      local app, attempt, plans, order = read_log(parts)
      if not app or #order == 0 then return end
      local base = "applications/" .. app .. (type(attempt) == "string" and ("/" .. attempt) or "") .. "/sql"
      local dir = parts[1]:match("^(.*/eventlog_v2_[^/]+)/") or parts[1]
      local r = T.run_sic({ "api", "-i", dir, base .. "?planDescription=false&length=100000" })
      assert.are.equal(0, r.code, r.stdout:sub(1, 300) .. r.stderr)
      local body = r.stdout:match("\n\n(.*)$")
      local got = J.decode(body)
      assert.are.equal(#order, got.n, "executions")
      table.sort(order)
      for i = 1, got.n do
        local e = got[i]
        assert.are.equal(order[i], k(e, "id").value, "executions by id")
        for _, key in ipairs(EXEC_KEYS) do
          if key ~= "description" then assert.is_not_nil(k(e, key), key .. " missing in execution " .. order[i]) end
        end
        assert.are.equal("", k(e, "planDescription"))
        assert.truthy(k(e, "submissionTime"):match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dGMT$"))
        assert.truthy(({ COMPLETED = 1, FAILED = 1, RUNNING = 1 })[k(e, "status")], k(e, "status"))
        local want = expected_graph(plans[order[i]])
        local nodes, edges = k(e, "nodes"), k(e, "edges")
        assert.are.equal(want.n, nodes.n, "nodes of execution " .. order[i])
        assert.are.equal(want.edges, edges.n, "edges of execution " .. order[i])
        for j = 1, nodes.n do
          local nd = nodes[j]
          local id = k(nd, "nodeId").value
          assert.are.equal(want.n - j, id, "nodes by id, descending")
          local w = want.nodes[id]
          assert.are.equal((w.name:gsub("^%s+", ""):gsub("%s+$", "")), k(nd, "nodeName"))
          local cg = k(nd, "wholeStageCodegenId")
          assert.are.equal(w.codegen or nil, cg and cg.value or nil, "codegen of node " .. id)
          local ms = k(nd, "metrics")
          for m = 1, ms.n do
            assert.are.equal("string", type(k(ms[m], "name")))
            assert.are.equal("string", type(k(ms[m], "value")))
            assert.is_nil(k(ms[m], "value"):find("^\n"), "leading newline stripped")
          end
        end
        for j = 1, edges.n do
          local f, t = k(edges[j], "fromId").value, k(edges[j], "toId").value
          assert.truthy(f >= 0 and f < want.n and t >= 0 and t < want.n, "edge ends")
        end
        executions = executions + 1
      end
      checked = checked + 1
    end)
  end

  it("covered the logs with SQL", function()
    assert.truthy(checked >= 20, "logs with SQL checked: " .. checked)
    assert.truthy(executions >= 200, "executions checked: " .. executions)
  end)
end)

describe("sic api /sql resources", function()
  -- the real log (26 executions; 24 checked in detail), or without ../shared a generated one
  -- (three executions, the last failing), its figures read from its own lines
  local REAL = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
  local LOG, APP, EXEC, facts = T.has_shared(REAL), "applications/application_1701380218879_0007", 24, nil
  if not LOG then
    LOG = T.example.log({ seed = 7, tasks = 300 })
    facts = T.example.facts(LOG)
    APP, EXEC = "applications/" .. facts.id, facts.sql_ids[1]
    assert(not facts.sql_failed[EXEC], "the generated log's first query succeeds")
  end
  local function api(path)
    local r = T.run_sic({ "api", "-i", LOG, path })
    local head, body = r.stdout:match("^(.-)\n\n(.*)$")
    return tonumber((head or ""):match("^HTTP (%d+)")), body or ""
  end

  it("pages with offset and length (default 20) in execution id order", function()
    local st, body = api(APP .. "/sql?details=false&planDescription=false")
    assert.are.equal(200, st)
    local all = J.decode(body)
    assert.are.equal(facts and math.min(20, facts.sql) or 20, all.n)
    local at = facts and 1 or 3 -- the generated log has three executions
    local st2, body2 = api(APP .. "/sql?details=false&offset=" .. at .. "&length=2")
    assert.are.equal(200, st2)
    local page = J.decode(body2)
    assert.are.equal(2, page.n)
    local ids = {}
    if facts then for i, id in ipairs(facts.sql_ids) do ids[i] = id end table.sort(ids) end
    assert.are.equal(facts and ids[at + 1] or 3, k(page[1], "id").value)
    assert.are.equal(0, k(page[1], "nodes").n) -- details=false: no nodes, no edges
    assert.are.equal("string", type(k(page[1], "planDescription")))
    assert.truthy(#k(page[1], "planDescription") > 0)
  end)

  it("serves one execution with Spark's key order and metric strings", function()
    local st, body = api(APP .. "/sql/" .. EXEC .. "?planDescription=false")
    assert.are.equal(200, st)
    local pos, last = 0, 0
    for _, key in ipairs(EXEC_KEYS) do
      pos = body:find('"' .. key .. '" :', 1, true)
      assert.truthy(pos and pos > last, key .. " out of order")
      last = pos
    end
    local e = J.decode(body)
    assert.are.equal("COMPLETED", k(e, "status"))
    assert.truthy(k(e, "successJobIds").n >= 1)
    -- A size metric over many tasks: "total (min, med, max (stageId: taskId))\n<sum> (<min>, <med>, <max> (stage S.A: task T))"
    local found = false
    local nodes = k(e, "nodes")
    for i = 1, nodes.n do
      local ms = k(nodes[i], "metrics")
      for m = 1, ms.n do
        local v = k(ms[m], "value")
        if v:find("^total %(min, med, max %(stageId: taskId%)%)\n") then
          assert.truthy(v:match("\n[%d.]+ %a+ %([%d.]+ %a+, [%d.]+ %a+, [%d.]+ %a+ %(stage %d+%.%d+: task %d+%)%)$"), v)
          found = true
        end
      end
    end
    assert.is_true(found)
  end)

  it("gives every sum metric the total the model's own accumulator aggregation has", function()
    -- engine/model sums each accumulator over successful tasks and driver updates on its own;
    -- the SQL replay (per-partition values) must land on the same totals for this log
    local script = T.write_file(os.tmpname(), ([[
local app = sic.load(%q)
local a = app.c
local acc = {}
for i = 0, tonumber(a.naccums) - 1 do acc[tonumber(a.accums[i].accum_id)] = tonumber(a.accums[i].sum) end
local r = app:sql(%d).c.plan
for i = 0, r.n - 1 do
  local node = a.plan_nodes[r.off + i]
  for m = 0, node.metrics.n - 1 do
    local pm = a.plan_metrics[node.metrics.off + m]
    local v = acc[tonumber(pm.accum_id)]
    if app:string(pm.type) == "sum" and v then print(app:string(pm.name), v) end
  end
end
]]):format(LOG, EXEC))
    local r = T.run_sic({ "run", script })
    os.remove(script)
    assert.equal(0, r.code, r.stderr)
    local st, body = api(APP .. "/sql/" .. EXEC .. "?planDescription=false")
    assert.equal(200, st)
    local shown = {}
    for v in body:gmatch('"value" : "([%d,]+)"') do shown[(v:gsub(",", ""))] = true end
    local n = 0
    for name, total in r.stdout:gmatch("([^\t\n]+)\t(%d+)\n") do
      n = n + 1
      assert.truthy(shown[total], name .. " = " .. total .. " not among the SQL values")
    end
    assert.truthy(n >= (facts and 10 or 50), "sum metrics compared: " .. n)
  end)

  it("answers unknown executions and bad ids as the History Server does", function()
    local st, body = api(APP .. "/sql/99999")
    assert.are.equal(404, st)
    assert.truthy(body:find("unknown query execution id: 99999", 1, true))
    assert.are.equal(404, (api(APP .. "/sql/abc")))
    assert.are.equal(400, (api(APP .. "/sql?offset=x")))
  end)
end)

-- Every path of the REST API table in Spark 3.5's monitoring.md, against one application with
-- SQL: which are answered (status and, for refusals, the History Server's own message).
describe("sic api: the paths of Spark 3.5's monitoring.md", function()
  local docs = T.shared("docs/spark/monitoring.md")
  if not T.exists(docs) then
    it("needs the shared Spark docs", function() pending("shared docs absent") end)
    return
  end
  local LOG = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
  local ids = { ["app-id"] = "application_1701380218879_0007", ["base-app-id"] = "application_1701380218879_0007",
    ["job-id"] = "0", ["stage-id"] = "36", ["stage-attempt-id"] = "0", ["executor-id"] = "driver",
    ["rdd-id"] = "0", ["execution-id"] = "24", ["batch-id"] = "0", ["outputOp-id"] = "0", ["stream-id"] = "0" }
  -- What the History Server itself answers for the ones that are not 200 on this application.
  local refused = {
    ["/applications/[app-id]/executors/[executor-id]/threads"] = { 503, "Thread dumps not available" },
    ["/applications/[app-id]/storage/rdd/[rdd-id]"] = { 404, "no rdd found w/ id 0" },
  }
  local paths = {}
  for p in assert(T.read_file(docs)):gmatch("<code>(/[^<]*)</code>") do
    if not paths[p] then paths[#paths + 1] = p; paths[p] = true end
  end

  it("lists the 26 documented paths", function() assert.are.equal(26, #paths) end)

  for _, p in ipairs(paths) do
    it(p, function()
      -- this application has no attempt ids: the attempt-qualified form is the same resource
      local path = p:gsub("/%[attempt%-id%]", ""):gsub("%[([%w-]+)%]", function(id) return assert(ids[id], id) end)
      local r = T.run_sic({ "api", "-i", T.need_shared(LOG), path:sub(2) })
      local head, body = r.stdout:match("^(.-)\n\n(.*)$")
      local st = tonumber((head or ""):match("^HTTP (%d+)"))
      if p:find("/streaming/", 1, true) then
        assert.are.equal(404, st)
        assert.truthy(body:find("no streaming listener attached to NDS - Power Run", 1, true), body)
      elseif refused[p] then
        assert.are.equal(refused[p][1], st)
        assert.truthy(body:find(refused[p][2], 1, true), body)
      else
        assert.are.equal(200, st, path .. ": " .. tostring(body):sub(1, 200))
      end
    end)
  end
end)

describe("sic serve answers /api/v1/.../sql", function()
  package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
  local H = require "http_server"
  local dir = T.shared("spark-events/spark-rapids-tools/spark-events-profiling")
  if not T.exists(dir) then
    it("needs the shared event logs", function() pending("shared data absent") end)
    return
  end

  it("with the same JSON as sic api", function()
    local srv = H.start({ "--logs", dir })
    local path = "/api/v1/applications/application_1701380218879_0007/sql/24?planDescription=false"
    local ok, err = pcall(function()
      local r = srv:request("GET", path)
      assert.equal(200, r.status, r.body)
      local cli = T.run_sic({ "api", dir, path:sub(9) })
      assert.equal(0, cli.code, cli.stderr)
      -- the duration of a finished execution is fixed, so both answers are identical
      assert.equal((cli.stdout:gsub("\n$", "")), (r.body:gsub("\n$", "")))
    end)
    srv:stop()
    assert(ok, err)
  end)
end)
