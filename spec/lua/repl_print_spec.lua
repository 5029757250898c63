-- sic repl: how values print (issue 18: `=st:top_tasks(3, "duration")` printed `table: 0x...`),
-- task columns listed once, entities looked up by Spark id.
local T = require "spec_helper"

local LOG = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"

-- What the cases expect of the log: the real one's figures (from the History Server and
-- `sic analyze`), or without ../shared a generated log's, read from its own lines. Its hosts
-- are lengthened so the table has names to cut, as the real log's are.
local subject
local function log_subject()
  if subject then return subject end
  if T.has_shared(LOG) then
    subject = { path = T.shared(LOG), stage = 36, tasks = 576, wall = "16.3", task_rows = 13297, next_stage = 37,
                index = 37, job = 0, executor = 1, sql = 24, id = "application_1701380218879_0007" }
    return subject
  end
  local E = T.example
  local plain = E.log({ seed = 91 })
  local f = E.facts(plain)
  local text = assert(T.read_file(plain)):gsub('("Host":"[^"]+)%.ec2%.internal"', '%1.us-east-1.compute.internal.example"')
  subject = { path = E.write("repl-" .. f.id, text), task_rows = f.tasks, job = 0, executor = tonumber(f.executors[1]),
              sql = f.sql_ids[#f.sql_ids], id = f.id }
  -- the stage with the most task ends, and the next stage id a job lists
  local best, ids, seen = nil, {}, {}
  for key, ends in pairs(f.task_ends) do
    local st = tonumber(key:match("^(%d+):0$"))
    if st and (not best or #ends > #f.task_ends[best .. ":0"]) then best = st end
  end
  for _, list in pairs(f.job_stages) do
    for _, st in ipairs(list) do if not seen[st.stage] then seen[st.stage] = true ids[#ids + 1] = st.stage end end
  end
  table.sort(ids)
  local times = f.stage_times[best .. ":0"]
  subject.stage, subject.tasks = best, #f.task_ends[best .. ":0"] -- its task attempts
  subject.wall = ("%.1f"):format((times.completed - times.submitted) / 1000)
  for i, id in ipairs(ids) do
    if id == best then subject.index, subject.next_stage = i, ids[i + 1] end
  end
  assert(subject.next_stage, "a stage after the busiest one")
  return subject
end

local function repl(input)
  local path = log_subject().path
  local r = T.run_sic({ "repl", path }, input)
  assert.equal(0, r.code, r.stderr)
  return r.stdout
end

describe("sic repl printing", function()
  it("prints top_tasks as an aligned table of rows", function()
    local out = repl('st = app:stage(' .. log_subject().stage .. ')\n=st:top_tasks(3, "duration")\n')
    assert.is_nil(out:find("table: 0x", 1, true), out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(4, #lines, out) -- header and three rows
    assert.matches("^%s*row%s+task_id%s+index%s+attempt%s+executor%s+host%s+column%s+value$", lines[1])
    -- every row has its cells under the header's columns: the value column ends where "value" ends
    local value_end = #lines[1]
    local prev = math.huge
    for i = 2, 4 do
      assert.equal(value_end, #lines[i], "aligned: " .. lines[i])
      local v = tonumber(lines[i]:match("(%d+)$"))
      assert.truthy(v <= prev, "largest first")
      prev = v
      assert.matches("duration", lines[i])
    end
    assert.matches("%.%.%.", out) -- long host names are cut with "..."
  end)

  it("prints plain record lists, engine structs and int64 cdata", function()
    local out = repl('={{a = 1, b = "x"}, {a = 22.5, b = "yy"}}\n=app.c.stages[0]\n=app.c.tasks.n\n')
    assert.matches("^   a  b\n   1  x\n22%.5  yy\n", out)
    assert.matches("sic_stage {\n  stage_id = 0\n  attempt_id = 0\n", out)
    assert.matches("  parents = {off = %d+, n = %d+}\n", out)
    assert.matches("\n" .. log_subject().task_rows .. "\n$", out) -- not 13297LL
  end)

  it("measures a stage's wall time from submission, as sic analyze does", function()
    local L = log_subject()
    local out = repl("=app:stage(" .. L.stage .. ")\n")
    -- analyze's stage table: 16.3 s for the real log
    assert.matches(("^stage %d%%.0 COMPLETE +%d tasks +%ss"):format(L.stage, L.tasks, L.wall:gsub("%.", "%%.")), out)
  end)

  it("lists each task column once", function()
    local out = repl('local seen, dup = {}, {} for _, c in ipairs(app.tasks.columns()) do if seen[c] then dup[#dup + 1] = c end seen[c] = true end print(#dup, seen.launch_time)\n')
    assert.equal("0\ttrue\n", out)
  end)

  it("looks entities up by Spark id and keeps list positions positional", function()
    local L = log_subject()
    local out = repl(table.concat({
      ("print(app:stage(%d).stage_id, app.stage(%d).stage_id, app:stage(%d, 0).attempt_id)"):format(L.stage, L.stage, L.stage),
      ("print(app.stages[%d].stage_id, app:stage(%d).stage_id)"):format(L.index, L.next_stage),
      "print(app:stage(999))",
      ("print(app:job(%d).job_id, app:executor(%d).id, app.executor('driver').id, app:sql(%d).execution_id)")
        :format(L.job, L.executor, L.sql),
      "print(app:job(12345))",
    }, "\n") .. "\n")
    assert.equal(table.concat({
      ("%d\t%d\t0"):format(L.stage, L.stage),
      ("%d\t%d"):format(L.stage, L.next_stage),
      "nil\tno stage 999 in " .. L.id,
      ("%d\t%d\tdriver\t%d"):format(L.job, L.executor, L.sql),
      "nil\tno job 12345 in " .. L.id,
    }, "\n") .. "\n", out)
  end)
end)
