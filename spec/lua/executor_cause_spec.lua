-- Cold executors versus a bad host (issue 18): on nds_q66_cpu executors 5, 7 and 8 each ran one
-- ~3 s first wave in stage 13 and then ran fast, while executor 4 on the same host as 8 ran the
-- stage at a ~50 ms median: warm-up, not a host. The same log edited so that every task of
-- host w-3's executors (4 and 8) runs 20x longer, throughout the run, is a bad host. The
-- skew rule's cause tells the two apart and gives each its own advice.
-- Without ../shared the bad-host case runs on a generated log edited the same way (the host
-- of its first executor slowed 20x).
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"

local REL = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
local BAD_HOST = "eord-dataproc-query-cpu-2-w-3.c.rapids-spark.internal"

local function findings(path)
  local report = U.engine({}):load():run(assert(sic.load(path)))
  assert.equal(0, report.errors)
  return report.findings
end

local function skew_on(fs, stage)
  for _, f in ipairs(fs) do
    for _, m in ipairs(f.members or { f }) do
      if f.id == "skew.task_duration" and m.entity.key == stage then return m, f end
    end
  end
end

-- The log src (zstd or plain) with every task of host's executors `factor` times longer.
local function slow_host_log(src, factor, host)
  local out = T.tmpname()
  local inp = assert(io.popen((src:match("%.zstd$") and "zstd -dc " or "cat ") .. T.shell_quote(src)))
  local f = assert(io.open(out, "wb"))
  for line in inp:lines() do
    if line:find('"Event":"SparkListenerTaskEnd"', 1, true) and line:find('"Host":"' .. host .. '"', 1, true) then
      local launch = tonumber(line:match('"Launch Time":(%d+)'))
      line = line:gsub('"Finish Time":(%d+)', function(fin)
        return '"Finish Time":' .. string.format("%d", launch + (tonumber(fin) - launch) * factor)
      end, 1)
    end
    f:write(line, "\n")
  end
  inp:close()
  f:close()
  return out
end

describe("executor cause", function()
  it("names warm-up for late-joining executors that ran one slow first wave, not a bad host", function()
    local path = T.need_shared(REL)
    if not path then return end
    local fs = findings(path)
    local f, top = skew_on(fs, "stage 13.0")
    assert.is_truthy(f, "skew.task_duration on stage 13.0")
    assert.equal("warmup", f.evidence.cause)
    local ev = f.evidence.executor_evidence
    assert.is_true(ev.first_wave)
    assert.is_true(ev.later_ratio < 2)
    local cold = {}
    for _, c in ipairs(ev.cold) do cold[#cold + 1] = tostring(c.executor) end
    assert.same({ "5", "7", "8" }, cold)
    -- executor 4 shares executor 8's host and was fast in the same stage
    assert.equal("4", tostring(ev.same_host[1].executor))
    assert.is_true(ev.same_host[1].median_ms < 100)
    local text = top.recommendation.text
    assert.matches("cold executors", text)
    assert.not_matches("bad host, not the data", text)
    assert.matches("pre%-warm", text)
    assert.matches("minExecutors=8", text)
    -- no speculation advice for a cold start
    for _, g in ipairs(fs) do assert.not_equal("config.speculation", g.id) end
  end)

  it("names a bad host when every executor on it is slow for all its tasks throughout", function()
    local src, bad_host = T.has_shared(REL), BAD_HOST
    if not src then
      src = T.example.log({ seed = 191, tasks = 600 })
      bad_host = T.read_file(src):match('"Event":"SparkListenerExecutorAdded".-"Host":"([^"]+)"')
    end
    local path = slow_host_log(src, 20, bad_host)
    local fs = findings(path)
    os.remove(path)
    local hits = 0
    for _, g in ipairs(fs) do
      for _, m in ipairs(g.members or { g }) do
        if g.id == "skew.task_duration" and m.evidence.executor_evidence then
          hits = hits + 1
          assert.equal("host", m.evidence.cause)
          assert.equal(bad_host, m.evidence.executor_evidence.host)
          local ev = m.evidence.executor_evidence
          -- slow after its first tasks too, or alongside its host's other executors
          assert.is_true((ev.later_ratio or 0) >= 2 or #ev.same_host > 0)
          for _, p in ipairs(ev.same_host) do assert.is_true(p.median_ms >= 2 * ev.stage_median_ms) end
        end
      end
    end
    assert.is_true(hits >= 1, "a slow-executor skew finding on the edited log")
    local spec
    for _, g in ipairs(fs) do if g.id == "config.speculation" then spec = g end end
    assert.is_truthy(spec, "speculation recommended for the bad host")
  end)
end)
