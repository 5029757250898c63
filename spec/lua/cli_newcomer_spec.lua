-- The command line as a newcomer meets it (issue 18): British spellings, suggestions for typos,
-- HTML over a directory of logs, the outcome of each stored run, what ingest prints, and
-- regressions that need a baseline first.
local T = require "spec_helper"

local DIR = "spark-events/spark"
local LOG = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"

-- Without ../shared: a directory of ten generated logs, and one generated log for the store.
local E = T.example
local function fleet_dir()
  if T.has_shared(DIR) then return T.shared(DIR) end
  local seeds = {}
  for i = 1, 10 do seeds[i] = { seed = 120 + i, tasks = 60 } end
  return (E.dir(seeds))
end

local function count(s, pat) local n = 0 for _ in s:gmatch(pat) do n = n + 1 end return n end

describe("sic command words and options", function()
  it("accepts British spellings as aliases", function()
    local r = T.run_sic({ "analyse", "--help" })
    assert.equal(0, r.code)
    assert.matches("^usage: sic analyze ", r.stdout)
  end)

  it("suggests the nearest command, option and format for a typo", function()
    local r = T.run_sic({ "analize", "x" })
    assert.equal(2, r.code)
    assert.matches("unknown command 'analize'; did you mean 'analyze'%?", r.stderr)
    r = T.run_sic({ "regresions" })
    assert.matches("did you mean 'regressions'%?", r.stderr)
    r = T.run_sic({ "analyze", "--formt", "json", "x" })
    assert.equal(2, r.code)
    assert.matches("unknown option '%-%-formt'; did you mean '%-%-format'%?", r.stderr)
    r = T.run_sic({ "predict", "--executor", "4", "x" })
    assert.matches("did you mean '%-%-executors'%?", r.stderr)
    r = T.run_sic({ "analyze", "--no-rule", "x" }) -- a Lua host option, named in the help text
    assert.matches("did you mean '%-%-no%-rules'%?", r.stderr)
    r = T.run_sic({ "analyze", "--format", "jsn", "x" })
    assert.matches("got 'jsn'; did you mean 'json'%?", r.stderr)
    if T.has_component("rag") then -- sic kb is built with the rag component only
      r = T.run_sic({ "kb", "serch", "x" })
      assert.equal(2, r.code)
      assert.matches("unknown subcommand 'serch'; did you mean 'search'%?", r.stderr)
    end
    r = T.run_sic({ "qqqqqqq" })
    assert.equal(2, r.code)
    assert.is_nil(r.stderr:find("did you mean", 1, true))
  end)
end)

describe("sic analyze --format html on a directory", function()
  it("writes one fleet page with every application", function()
    local dir = fleet_dir()
    local r = T.run_sic({ "analyze", "--format", "html", "--no-rules", dir })
    assert.equal(0, r.code, r.stderr)
    local listed = T.run_sic({ "api", dir, "applications" })
    local apps = count(listed.stdout, '"attempts"')
    local frames = count(r.stdout, "<iframe ")
    assert.truthy(apps >= 10)
    assert.truthy(frames >= apps, frames .. " pages for " .. apps .. " applications")
    assert.matches("^<!DOCTYPE html>", r.stdout)
    assert.equal(frames, count(r.stdout, '<a href="#app%-%d+"'))
  end)

  it("writes a page per application and an index with --output-dir", function()
    local dir = fleet_dir()
    local out = os.tmpname()
    os.remove(out)
    local r = T.run_sic({ "analyze", "--format", "html", "--no-rules", "--output-dir", out, dir })
    assert.equal(0, r.code, r.stderr)
    local index = assert(T.read_file(out .. "/index.html"))
    local links = {}
    for f in index:gmatch('<a href="([^"#]+%.html)"') do links[#links + 1] = f end
    assert.truthy(#links >= 10)
    for _, f in ipairs(links) do
      local page = assert(T.read_file(out .. "/" .. f), f)
      assert.matches("^<!DOCTYPE html>", page)
    end
    assert.matches("wrote " .. #links .. " pages", r.stderr)
    T.sh("rm -rf " .. T.shell_quote(out))
    local bad = T.run_sic({ "analyze", "--output-dir", out, dir })
    assert.equal(2, bad.code)
  end)
end)

describe("the history store as a newcomer reads it", function()
  local store
  before_each(function()
    store = os.tmpname()
    os.remove(store)
  end)
  after_each(function() os.remove(store) end)

  it("ingest names the store row it wrote; history shows each run's outcome; one run is no regression", function()
    -- the real run succeeded; without ../shared a generated one, whose failing query fails a job
    local log, name, id, outcome = T.has_shared(LOG), "NDS - Power Run", "application_1701380218879_0007", "SUCCEEDED"
    if not log then
      log = E.log({ seed = 131, tasks = 200 })
      local f = E.facts(log)
      name, id, outcome = f.name, f.id, "SUCCEEDED"
      for _, result in pairs(f.job_results) do if result ~= "JobSucceeded" then outcome = "FAILED" end end
    end
    local url = "sqlite://" .. store
    local r = T.run_sic({ "ingest", "--store", url, log })
    assert.equal(0, r.code, r.stderr)
    assert.matches("store_id=1 ", r.stdout)
    assert.is_nil(r.stdout:find("attempt=", 1, true))
    local h = T.run_sic({ "history", "--store", url, name })
    assert.equal(0, h.code, h.stderr)
    assert.matches("OUTCOME", h.stdout)
    assert.matches(id:gsub("%p", "%%%0") .. "%s+" .. outcome, h.stdout)
    local g = T.run_sic({ "regressions", "--store", url })
    assert.equal(0, g.code, g.stderr)
    assert.matches("^0 regressed runs", g.stdout)
    assert.matches("1 of 1 job has fewer than 5 complete runs: no baseline yet", g.stdout)
    local j = T.run_sic({ "regressions", "--store", url, "--format", "json" })
    assert.matches('"jobsWithoutBaseline" : 1', j.stdout)
  end)

  it("history marks a run with a failed job FAILED", function()
    -- local-1422981780767: job 1 fails (the History Server's own test log); without ../shared
    -- a generated log, whose failing query fails jobs (counted from its JobEnd lines)
    local log, id, failed = T.has_shared(DIR) and T.shared(DIR) .. "/local-1422981780767", "local-1422981780767", 1
    if not log then
      log = E.log({ seed = 132, tasks = 200 })
      local f = E.facts(log)
      id, failed = f.id, 0
      for _, result in pairs(f.job_results) do if result ~= "JobSucceeded" then failed = failed + 1 end end
      assert(failed > 0, "the generated log has a failed job")
    end
    local url = "sqlite://" .. store
    assert.equal(0, T.run_sic({ "ingest", "--store", url, log }).code)
    local h = T.run_sic({ "history", "--store", url, "--format", "json", id })
    assert.equal(0, h.code, h.stderr)
    assert.matches('"failedJobs" : ' .. failed, h.stdout)
    assert.matches('"outcome" : "FAILED"', h.stdout)
    local t = T.run_sic({ "history", "--store", url, id })
    assert.matches(id:gsub("%p", "%%%0") .. "%s+FAILED", t.stdout)
  end)
end)
