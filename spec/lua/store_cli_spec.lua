-- End-to-end: `sic ingest`, `sic history`, `sic regressions` on real logs, against both store
-- backends: SQLite in a temp file and a PostgreSQL server started here (spec/support/pg.sh,
-- stopped in teardown and by a watchdog if this process dies).
-- SIC_TEST_NO_PG=1 skips the PostgreSQL half (otherwise a missing server fails the spec).
local T = require "spec_helper"
local cjson = require "cjson"
local ffi = require "ffi"

pcall(ffi.cdef, "int getpid(void);")

local sh = T.sh

local pg_sh = T.source_dir .. "/spec/support/pg.sh"

-- Values a log itself states, read independently of sic (plain JSON-lines logs only).
local function log_facts(path)
  local facts = { task_starts = 0 }
  for line in io.lines(path) do
    if line:find('"SparkListenerTaskStart"', 1, true) then
      facts.task_starts = facts.task_starts + 1
    elseif line:find('"SparkListenerApplicationStart"', 1, true) then
      local ev = cjson.decode(line)
      facts.start, facts.name, facts.app_id = ev["Timestamp"], ev["App Name"], ev["App ID"]
    elseif line:find('"SparkListenerApplicationEnd"', 1, true) then
      facts.finish = cjson.decode(line)["Timestamp"]
    end
  end
  return facts
end

local function json_of(r)
  assert.are.equal(0, r.code, r.stderr)
  return cjson.decode(r.stdout)
end

-- A generated log for the cases that need an application with tasks, skew and failures, not a
-- real one (a clone without ../shared runs them); its job is the application's name.
local GEN = T.example.log({ seed = 7, tasks = 300 })
local GEN_ID, GEN_JOB = T.example.app_id(GEN), "nightly_orders_etl"

local backends = { "sqlite" }
local no_pg = os.getenv("SIC_TEST_NO_PG") == "1"
if not no_pg then backends[#backends + 1] = "postgresql" end

for _, backend in ipairs(backends) do
  describe("store CLI on " .. backend, function()
    local tmp, url

    -- An empty store for each test.
    local stores = 0
    local function fresh()
      if backend == "sqlite" then
        stores = stores + 1
        url = "sqlite://" .. tmp .. "/store-" .. stores .. ".db"
      else
        local _, ok = sh("psql -q " .. T.shell_quote(url) .. " -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' 2>&1")
        assert.is_true(ok ~= nil and ok ~= false, "cannot reset the PostgreSQL store")
      end
    end

    setup(function()
      tmp = sh("mktemp -d /tmp/sic-store-spec-XXXXXX"):gsub("%s+$", "")
      if backend == "postgresql" then
        local out, ok = sh(pg_sh .. " start " .. tmp .. "/pg " .. ffi.C.getpid())
        assert(ok, "could not start PostgreSQL via spec/support/pg.sh (SIC_TEST_NO_PG=1 skips)")
        url = out:gsub("%s+$", "")
      end
    end)

    teardown(function()
      if backend == "postgresql" then sh(pg_sh .. " stop " .. tmp .. "/pg") end
      sh("rm -rf " .. T.shell_quote(tmp))
    end)

    before_each(fresh)

    it("ingests the whole real-log set once; a second run changes nothing", function()
      local dir = T.need_shared("spark-events")
      if not dir then return end
      local first = json_of(T.run_sic({ "ingest", dir, "--store", url, "--format", "json" }))
      assert.are.equal("sic.ingest/1", first.schema)
      assert.are.equal(0, first.failed)
      assert.is_true(first.stored >= 60, "stored " .. first.stored)
      local second = json_of(T.run_sic({ "ingest", dir, "--store", url, "--format", "json" }))
      assert.are.equal(0, second.stored)
      assert.are.equal(0, second.replaced)
      assert.are.equal(#first.logs, second.unchanged + second.kept)
    end)

    it("reports a run with the figures the log states", function()
      local log = GEN
      local facts = log_facts(log)
      json_of(T.run_sic({ "ingest", log, "--store", url, "--format", "json", "--core-hour-price", "0.05:EUR" }))
      local h = json_of(T.run_sic({ "history", GEN_JOB, "--store", url, "--format", "json" }))
      assert.are.equal("sic.history/1", h.schema)
      assert.are.equal(GEN_JOB, h.job)
      assert.are.equal(1, #h.runs)
      local run = h.runs[1]
      assert.are.equal(facts.name, run.name)
      assert.are.equal(facts.app_id, run.appId)
      assert.are.equal(facts.start, run.startTime)
      assert.are.equal(facts.finish - facts.start, run.durationMs)
      assert.are.equal(facts.task_starts, run.tasks)
      assert.are.equal(log, run.source)
      assert.is_true(run.coreHours > 0)
      assert.is_true(math.abs(run.cost - run.coreHours * 0.05) < 1e-9, "cost = core-hours x price")
      assert.are.equal("EUR", run.costUnit)
      -- the app id resolves to the same job; text output names it
      local text = T.run_sic({ "history", facts.app_id, "--store", url })
      assert.are.equal(0, text.code, text.stderr)
      assert.truthy(text.stdout:find("job " .. GEN_JOB .. ": 1 run", 1, true))
    end)

    it("stores the analysis findings with the run", function()
      local log = GEN -- a skewed stage
      local r = T.run_sic({ "ingest", log, "--store", url, "--format", "json" })
      assert.are.equal(0, r.code, r.stderr)
      if r.stderr:find("analysis failed", 1, true) then
        pending("the analysis graph failed in this tree: " .. r.stderr:match("[^\n]*"))
        return
      end
      local h = json_of(T.run_sic({ "history", GEN_ID, "--store", url, "--format", "json" }))
      local run = h.runs[1]
      assert.is_true(run.findings >= 1, "findings stored: " .. run.findings)
      assert.is_true(#run.topFindings >= 1)
      assert.truthy(run.topFindings[1].severity)
      assert.truthy(run.topFindings[1].title)
      -- without analysis: no findings
      fresh()
      json_of(T.run_sic({ "ingest", log, "--store", url, "--format", "json", "--no-analyze" }))
      h = json_of(T.run_sic({ "history", GEN_ID, "--store", url, "--format", "json" }))
      assert.are.equal(0, h.runs[1].findings)
    end)

    it("records runs from sic analyze --store", function()
      local log = GEN
      local r = T.run_sic({ "analyze", log, "--store", url })
      assert.are.equal(0, r.code, r.stderr)
      local h = json_of(T.run_sic({ "history", GEN_ID, "--store", url, "--format", "json" }))
      assert.are.equal(1, #h.runs)
      assert.is_true(h.runs[1].findings >= 1, "findings stored: " .. h.runs[1].findings)
      -- analysed again: still one run (idempotent), findings refreshed, not duplicated
      local before = h.runs[1].findings
      r = T.run_sic({ "analyze", log, "--store", url, "--format", "json" })
      assert.are.equal(0, r.code, r.stderr)
      h = json_of(T.run_sic({ "history", GEN_ID, "--store", url, "--format", "json" }))
      assert.are.equal(1, #h.runs)
      assert.are.equal(before, h.runs[1].findings)
      -- a store that cannot be opened fails the exit status, the report is still printed
      r = T.run_sic({ "analyze", log, "--store", "mysql://nowhere" })
      assert.are.equal(1, r.code)
      assert.truthy(r.stderr:find("mysql://nowhere", 1, true))
      assert.is_true(#r.stdout > 0)
    end)

    it("writes one row per task with --store-tasks", function()
      local log = GEN
      local facts = log_facts(log)
      local without = json_of(T.run_sic({ "ingest", log, "--store", url, "--format", "json" }))
      fresh()
      local with = json_of(T.run_sic({ "ingest", log, "--store", url, "--format", "json", "--store-tasks" }))
      assert.are.equal(facts.task_starts, with.logs[1].rows - without.logs[1].rows)
    end)

    it("stores injection-shaped paths and names verbatim", function()
      local src = GEN
      local odd = tmp .. "/it's \"x\"; DROP TABLE attempts;--\tlog"
      assert(os.execute("cp " .. T.shell_quote(src) .. " " .. T.shell_quote(odd)))
      local r = json_of(T.run_sic({ "ingest", odd, "--store", url, "--format", "json",
                                    "--job", "'); DELETE FROM attempts; --" }))
      assert.are.equal("stored", r.logs[1].status)
      local h = json_of(T.run_sic({ "history", "'); DELETE FROM attempts; --", "--store", url, "--format", "json" }))
      assert.are.equal(1, #h.runs)
      assert.are.equal(odd, h.runs[1].source)
      assert.are.equal("'); DELETE FROM attempts; --", h.runs[1].job)
      os.remove(odd)
    end)

    -- Every row of every table, sorted: what "the store is unchanged" compares. Small stores only.
    local tables = { "sic_meta", "applications", "attempts", "seen_logs", "log_parts", "spark_jobs", "stages",
                     "executors", "sql_executions", "environment", "findings", "predictions", "tasks" }
    -- The store's rows for one query, read with the backend's own client, not through sic.
    local function query(sql)
      local cmd = backend == "sqlite"
        and "sqlite3 -batch " .. T.shell_quote(url:gsub("^sqlite://", "")) .. " " .. T.shell_quote(sql)
        or "psql -Atq " .. T.shell_quote(url) .. " -c " .. T.shell_quote(sql)
      local out, ok = sh(cmd .. " 2>&1")
      assert(ok, out)
      return out
    end

    local function dump()
      local lines = {}
      for _, t in ipairs(tables) do
        for line in query("SELECT '" .. t .. "', * FROM " .. t):gmatch("[^\n]+") do lines[#lines + 1] = line end
      end
      table.sort(lines)
      return lines
    end

    -- Fails naming the first row that differs, and how many rows each side holds.
    local function assert_same_store(want, got, what)
      for i = 1, math.max(#want, #got) do
        if want[i] ~= got[i] then
          error(string.format("the store changed %s: %d rows before, %d after; first difference at row %d: "
                              .. "before %q, after %q", what, #want, #got, i, (want[i] or "(none)"):sub(1, 160),
                              (got[i] or "(none)"):sub(1, 160)), 2)
        end
      end
    end

    -- `sic ingest` stopped by SIGKILL at a crash point (SIC_TEST_CRASH_AT, engine/core/crashpoint.h).
    local function ingest_killed_at(point, log)
      local out, _, code = sh("SIC_TEST_CRASH_AT=" .. point .. " " .. T.shell_quote(T.sic_bin)
                              .. " ingest --no-analyze --store-tasks --store " .. T.shell_quote(url) .. " "
                              .. T.shell_quote(log) .. " 2>&1 >/dev/null")
      assert.are.equal(137, code, point .. ": not killed: " .. out)
      assert.truthy(out:find("test crash point " .. point, 1, true), out)
    end

    it("is unchanged after a kill at each crash point inside the transaction; a re-run stores the log", function()
      local big, full, partial = tmp .. "/big.log", tmp .. "/full.log", tmp .. "/partial.log"
      for log, opts in pairs({ [big] = { "--tasks", "20000", "--seed", "7" }, [full] = { "--tasks", "200", "--seed", "3" } }) do
        local g = T.run_sic({ "example", log, unpack(opts) })
        assert.are.equal(0, g.code, g.stderr)
      end
      -- The same attempt as full.log, incomplete: storing full.log replaces it.
      assert(os.execute("head -n 300 " .. T.shell_quote(full) .. " > " .. T.shell_quote(partial)))
      local first = json_of(T.run_sic({ "ingest", "--no-analyze", "--store-tasks", "--store", url, partial,
                                        "--format", "json" }))
      assert.are.equal(1, first.stored)
      local before = dump()
      local cases = {
        { "store.row:3", full },              -- replacing: the old attempt deleted, new rows started
        { "store.before_commit", full },      -- replacing: everything written, no COMMIT
        { "store.task_row:12000", big },      -- a new attempt, three fifths of its task rows written
        { "store.before_commit", big },
      }
      if backend == "postgresql" then
        cases[#cases + 1] = { "store.copy:10", big } -- rows already sent into an open COPY
      end
      for _, c in ipairs(cases) do
        ingest_killed_at(c[1], c[2])
        assert_same_store(before, dump(), "after a kill at " .. c[1])
      end
      -- A re-run stores both, completely.
      local again = json_of(T.run_sic({ "ingest", "--no-analyze", "--store-tasks", "--store", url, big, full,
                                        "--format", "json" }))
      assert.are.equal(1, again.stored)
      assert.are.equal(1, again.replaced)
      local h = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
      assert.are.equal(2, #h.runs)
      local tasks = {}
      for _, run in ipairs(h.runs) do tasks[#tasks + 1] = run.tasks end
      table.sort(tasks)
      assert.are.same({ log_facts(full).task_starts, log_facts(big).task_starts }, tasks)
      os.remove(big)
      os.remove(full)
      os.remove(partial)
    end)

    it("prints each log's line as it is stored: a run killed later still shows it", function()
      local dir = tmp .. "/two"
      assert(os.execute("mkdir -p " .. T.shell_quote(dir)))
      for seed = 1, 2 do
        local g = T.run_sic({ "example", dir .. "/log-" .. seed, "--tasks", "100", "--seed", tostring(seed) })
        assert.are.equal(0, g.code, g.stderr)
      end
      local out_file = tmp .. "/ingest.out"
      local _, _, code = sh("SIC_TEST_CRASH_AT=ingest.after_log:1 " .. T.shell_quote(T.sic_bin) .. " ingest --no-analyze --store "
                            .. T.shell_quote(url) .. " " .. T.shell_quote(dir) .. " >" .. T.shell_quote(out_file) .. " 2>/dev/null")
      assert.are.equal(137, code)
      local printed = T.read_file(out_file)
      local lines = {}
      for line in printed:gmatch("[^\n]+") do lines[#lines + 1] = line end
      assert.are.equal(1, #lines, printed)
      assert.truthy(lines[1]:find("^stored%s") and lines[1]:find(dir .. "/log-1", 1, true), lines[1])
      -- what it printed is what was committed
      local h = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
      assert.are.equal(1, #h.runs)
      assert.are.equal(dir .. "/log-1", h.runs[1].source)
      assert(os.execute("rm -rf " .. T.shell_quote(dir) .. " " .. T.shell_quote(out_file)))
    end)

    -- Extra, timing-based: kill -9 from outside once the ingest is seen mid-transaction. The
    -- crash points above are the check; this one only adds a real outside kill when the probe
    -- manages to see the transaction (it may not under a sanitizer or a loaded machine).
    it("leaves no half application when killed from outside during the transaction (extra)", function()
      local big = tmp .. "/big.log"
      local g = T.run_sic({ "example", big, "--tasks", "60000", "--seed", "7" })
      assert.are.equal(0, g.code, g.stderr)
      local tasks = log_facts(big).task_starts
      -- Is the ingest inside its transaction, writing task rows? SQLite: the uncommitted
      -- transaction has spilled pages into the WAL; PostgreSQL: a COPY into tasks is running.
      fresh()
      local inside
      if backend == "sqlite" then
        local wal = T.shell_quote(url:gsub("^sqlite://", "") .. "-wal")
        inside = "[ -f " .. wal .. " ] && [ $(stat -c %s " .. wal .. ") -gt 2000000 ]"
      else
        inside = "[ \"$(psql -Atq " .. T.shell_quote(url) .. " -c \"SELECT count(*) FROM pg_stat_activity " ..
                 "WHERE query LIKE 'COPY tasks%'\")\" = 1 ]"
      end
      local script = T.shell_quote(T.sic_bin) .. " ingest --no-analyze --store-tasks --store " .. T.shell_quote(url)
                     .. " " .. T.shell_quote(big) .. " >/dev/null 2>&1 & pid=$!; "
                     .. "for i in $(seq 1 600); do if " .. inside .. "; then kill -9 $pid; echo killed; break; fi; "
                     .. "kill -0 $pid 2>/dev/null || break; sleep 0.05; done; wait $pid 2>/dev/null; true"
      local out = sh(script)
      if not out:find("killed", 1, true) then
        os.remove(big)
        pending("the probe did not see the ingest inside its transaction (timing); the crash points cover it")
        return
      end
      -- All or nothing: the probe cannot tell a WAL still holding a committed transaction from an
      -- open one, so a kill that landed after COMMIT must leave the whole application, every task row.
      local h = T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" })
      if h.code == 0 then
        local run = cjson.decode(h.stdout).runs[1]
        assert.are.equal(tasks, run.tasks, "a half application is visible: " .. h.stdout)
        local rows = query("SELECT count(*) FROM tasks")
        assert.are.equal(tasks, tonumber(rows), "task rows of a committed application: " .. rows)
        os.remove(big)
        return
      end
      assert.are.equal(1, h.code, h.stderr)
      assert.truthy(h.stderr:find("no runs", 1, true), h.stderr)
      local again = json_of(T.run_sic({ "ingest", "--no-analyze", "--store-tasks", "--store", url, big,
                                        "--format", "json" }))
      assert.are.equal(1, again.stored)
      local after = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
      assert.are.equal(1, #after.runs)
      assert.are.equal(tasks, after.runs[1].tasks)
      os.remove(big)
    end)

    it("lists regressions as JSON and rejects a bad --since", function()
      local dir = T.example.dir({ { seed = 7, tasks = 300 }, { seed = 8, tasks = 300 }, { seed = 9, tasks = 300 } })
      json_of(T.run_sic({ "ingest", dir, "--store", url, "--format", "json" }))
      local regs = json_of(T.run_sic({ "regressions", "--store", url, "--format", "json" }))
      assert.are.equal("sic.regressions/1", regs.schema)
      for _, g in ipairs(regs.regressions) do
        assert.is_true(g.ratio >= 1.25 and g.score >= 3.5 and g.baselineRuns >= 4)
      end
      local bad = T.run_sic({ "regressions", "--store", url, "--since", "last tuesday" })
      assert.are.equal(2, bad.code)
      assert.truthy(bad.stderr:find("last tuesday", 1, true))
    end)

    it("takes the store from SIC_STORE, and PostgreSQL settings from PG* variables", function()
      local log = GEN
      local env = "SIC_STORE=" .. T.shell_quote(url)
      if backend == "postgresql" then
        local host, port, db = url:match("@([^:/]+):(%d+)/(%w+)")
        env = "SIC_STORE=postgresql:// PGHOST=" .. host .. " PGPORT=" .. port .. " PGUSER=sic PGDATABASE=" .. db
      end
      local out, ok = sh("env " .. env .. " " .. T.shell_quote(T.sic_bin) .. " ingest --no-analyze --format json "
                         .. T.shell_quote(log) .. " 2>&1")
      assert.truthy(ok, out)
      assert.are.equal(1, cjson.decode(out).stored)
      local h = json_of(T.run_sic({ "history", GEN_ID, "--store", url, "--format", "json" }))
      assert.are.equal(1, #h.runs) -- the same store, reached without --store
    end)

    it("fails clearly on an unknown job and on a store it cannot open", function()
      local r = T.run_sic({ "history", "no-such-job", "--store", url })
      assert.are.equal(1, r.code)
      assert.truthy(r.stderr:find("no-such-job", 1, true))
      r = T.run_sic({ "history", "x", "--store", "mysql://nowhere" })
      assert.are.equal(1, r.code)
      assert.truthy(r.stderr:find("mysql://nowhere", 1, true))
    end)
  end)
end

-- A file of a scanned directory that cannot be opened is named, not called "not a Spark event
-- log". Root opens anything, so as root the commands run as `nobody`.
describe("sic ingest and sic analyze over an unreadable file", function()
  it("say permission denied with its path, and still store the readable logs", function()
    local dir = sh("mktemp -d /tmp/sic-unreadable-XXXXXX"):gsub("%s+$", "")
    assert(os.execute("mkdir -p " .. T.shell_quote(dir .. "/logs/sub")))
    local g = T.run_sic({ "example", dir .. "/logs/ok.log", "--tasks", "100" })
    assert.are.equal(0, g.code, g.stderr)
    local secret = dir .. "/logs/sub/secret.log"
    assert(os.execute("cp " .. T.shell_quote(dir .. "/logs/ok.log") .. " " .. T.shell_quote(secret)
                      .. " && chmod 000 " .. T.shell_quote(secret) .. " && chmod -R a+rX " .. T.shell_quote(dir)
                      .. " && chmod 000 " .. T.shell_quote(secret) .. " && chmod a+rwx " .. T.shell_quote(dir)))
    local as = sh("id -u"):gsub("%s+$", "") == "0" and "runuser -u nobody -- " or ""
    local sic = as .. T.shell_quote(T.sic_bin)
    local out, _, code = sh(sic .. " analyze --format json " .. T.shell_quote(dir .. "/logs") .. " 2>&1 >/dev/null")
    assert.are.equal(0, code, out)
    assert.truthy(out:find(secret .. ": permission denied", 1, true), out)
    assert.falsy(out:find("not a Spark event log", 1, true), out)
    local store = "sqlite://" .. dir .. "/store.db"
    out, _, code = sh(sic .. " ingest --no-analyze --format json --store " .. T.shell_quote(store) .. " "
                      .. T.shell_quote(dir .. "/logs") .. " 2>/dev/null")
    assert.are.equal(1, code, out) -- a log may be among the unreadable files: not everything was stored
    local doc = cjson.decode(out)
    assert.are.equal(1, doc.stored)
    assert.are.equal(1, doc.failed)
    local named = false
    for _, l in ipairs(doc.logs) do named = named or (l.error or ""):find(secret .. ": permission denied", 1, true) ~= nil end
    assert.is_true(named, out)
    sh("rm -rf " .. T.shell_quote(dir))
  end)
end)
