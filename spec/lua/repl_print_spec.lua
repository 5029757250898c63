-- sic repl: how values print (issue 18: `=st:top_tasks(3, "duration")` printed `table: 0x...`),
-- task columns listed once, entities looked up by Spark id.
local T = require "spec_helper"

local LOG = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"

local function repl(input)
  local path = T.need_shared(LOG)
  local r = T.run_sic({ "repl", path }, input)
  assert.equal(0, r.code, r.stderr)
  return r.stdout
end

describe("sic repl printing", function()
  it("prints top_tasks as an aligned table of rows", function()
    local out = repl('st = app:stage(36)\n=st:top_tasks(3, "duration")\n')
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
    assert.matches("\n13297\n$", out) -- not 13297LL
  end)

  it("measures a stage's wall time from submission, as sic analyze does", function()
    local out = repl("=app:stage(36)\n")
    assert.matches("^stage 36%.0 COMPLETE +576 tasks +16%.3s", out) -- analyze's stage table: 16.3 s
  end)

  it("lists each task column once", function()
    local out = repl('local seen, dup = {}, {} for _, c in ipairs(app.tasks.columns()) do if seen[c] then dup[#dup + 1] = c end seen[c] = true end print(#dup, seen.launch_time)\n')
    assert.equal("0\ttrue\n", out)
  end)

  it("looks entities up by Spark id and keeps list positions positional", function()
    local out = repl(table.concat({
      "print(app:stage(36).stage_id, app.stage(36).stage_id, app:stage(36, 0).attempt_id)",
      "print(app.stages[37].stage_id, app:stage(37).stage_id)",
      "print(app:stage(999))",
      "print(app:job(0).job_id, app:executor(1).id, app.executor('driver').id, app:sql(24).execution_id)",
      "print(app:job(12345))",
    }, "\n") .. "\n")
    assert.equal(table.concat({
      "36\t36\t0",
      "36\t37",
      "nil\tno stage 999 in application_1701380218879_0007",
      "0\t1\tdriver\t24",
      "nil\tno job 12345 in application_1701380218879_0007",
    }, "\n") .. "\n", out)
  end)
end)
