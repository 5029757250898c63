-- Task rows by month (schema 3, engine/store/partition.c): PostgreSQL's month partitions of
-- `tasks` created on demand, also by two ingests racing for the same new month; `sic store
-- retention` dropping exactly the old months; a v2 store migrated in place with its rows. SQLite:
-- the same month column, retention deleting rows. PostgreSQL runs on a server started here
-- (spec/support/pg.sh); SIC_TEST_NO_PG=1 skips that half.
local T = require "spec_helper"
local cjson = require "cjson"
local ffi = require "ffi"

pcall(ffi.cdef, "int getpid(void);")

local sh, q = T.sh, T.shell_quote
local pg_sh = T.source_dir .. "/spec/support/pg.sh"

local function json_of(r)
  assert.are.equal(0, r.code, r.stderr)
  return cjson.decode(r.stdout)
end

-- Task attempts a generated log states (TaskStart lines), read without sic.
local function task_starts(path)
  local n = 0
  for line in io.lines(path) do
    if line:find('"SparkListenerTaskStart"', 1, true) then n = n + 1 end
  end
  return n
end

local tmp = T.tmpdir()
local logs = {} -- "YYYY-MM-DD/seed" -> path
-- A generated log of an application started on that day (UTC).
local function log_of(day, seed)
  local key = day .. "/" .. seed
  if logs[key] then return logs[key] end
  local path = ("%s/app-%s-%d.log"):format(tmp, day, seed)
  local r = T.run_sic({ "example", path, "--tasks", "120", "--seed", tostring(seed), "--start", day })
  assert(r.code == 0, r.stderr)
  logs[key] = path
  return path
end

local function ingest(url, paths)
  local argv = { "ingest", "--no-analyze", "--store-tasks", "--store", url, "--format", "json" }
  for _, p in ipairs(paths) do argv[#argv + 1] = p end
  return json_of(T.run_sic(argv))
end

describe("sic example --start", function()
  it("dates the application on that day and refuses a malformed day", function()
    local path = log_of("2026-01-20", 3)
    local start
    for line in io.lines(path) do
      if line:find('"SparkListenerApplicationStart"', 1, true) then start = cjson.decode(line)["Timestamp"] end
    end
    -- 2026-01-20T00:00:00Z = 1768867200 s; the seed only picks the time of day
    assert.is_true(start >= 1768867200000 and start < 1768867200000 + 86400000, tostring(start))
    local bad = T.run_sic({ "example", tmp .. "/x.log", "--start", "2026-13-01" })
    assert.are.equal(2, bad.code)
    assert.truthy(bad.stderr:find("2026-13-01", 1, true), bad.stderr)
  end)
end)

describe("store partitions on sqlite", function()
  local url = "sqlite://" .. tmp .. "/months.db"
  local function sql(text)
    local out, ok = sh("sqlite3 -batch " .. q(tmp .. "/months.db") .. " " .. q(text) .. " 2>&1")
    assert(ok, out)
    return out:gsub("%s+$", "")
  end

  it("deletes exactly the older months' task rows and keeps the runs", function()
    local nov, dec, jan = log_of("2025-11-10", 1), log_of("2025-12-05", 2), log_of("2026-01-20", 3)
    assert.are.equal(3, ingest(url, { nov, dec, jan }).stored)
    assert.are.equal("202511|" .. task_starts(nov) .. "\n202512|" .. task_starts(dec) .. "\n202601|" .. task_starts(jan),
                     sql("SELECT start_month, count(*) FROM tasks GROUP BY 1 ORDER BY 1"))
    local r = json_of(T.run_sic({ "store", "retention", "--older-than", "2025-12", "--store", url, "--format", "json" }))
    assert.are.equal(false, r.partitioned)
    assert.are.equal(1, #r.months)
    assert.are.same({ month = "2025-11", taskRows = task_starts(nov), runs = 1 }, r.months[1])
    assert.are.equal("202512|" .. task_starts(dec) .. "\n202601|" .. task_starts(jan),
                     sql("SELECT start_month, count(*) FROM tasks GROUP BY 1 ORDER BY 1"))
    assert.are.equal("3", sql("SELECT count(*) FROM attempts"))
    assert.are.equal("0|1|1", sql("SELECT group_concat(tasks_stored, '|') FROM (SELECT tasks_stored FROM attempts ORDER BY start_time)"))
  end)

  it("fills the month of a v2 store's task rows when it migrates", function()
    local file = tmp .. "/v2.db"
    local v2 = "sqlite://" .. file
    local dec, jan = log_of("2025-12-05", 2), log_of("2026-01-20", 3)
    ingest(v2, { dec, jan })
    -- back to schema 2: the column and its index gone, the version said
    local _, ok = sh("sqlite3 -batch " .. q(file) .. " " .. q("DROP INDEX tasks_month; ALTER TABLE tasks DROP COLUMN "
                     .. "start_month; UPDATE sic_meta SET value = '2' WHERE name = 'schema_version'"))
    assert.is_true(ok)
    local r = json_of(T.run_sic({ "store", "retention", "--older-than", "2025-01", "--dry-run", "--store", v2,
                                  "--format", "json" }))
    assert.are.equal(0, #r.months)
    local out = sh("sqlite3 -batch " .. q(file) .. " " .. q("SELECT value FROM sic_meta WHERE name = 'schema_version';"
                   .. "SELECT start_month, count(*) FROM tasks GROUP BY 1 ORDER BY 1"))
    assert.are.equal("3\n202512|" .. task_starts(dec) .. "\n202601|" .. task_starts(jan), out:gsub("%s+$", ""))
  end)

  it("refuses a malformed month", function()
    local r = T.run_sic({ "store", "retention", "--older-than", "2026-1", "--store", url })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("expected YYYY-MM", 1, true), r.stderr)
    r = T.run_sic({ "store", "retention", "--store", url })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("--older-than YYYY-MM is required", 1, true), r.stderr)
  end)
end)

local describe_pg = os.getenv("SIC_TEST_NO_PG") == "1" and pending or describe

describe_pg("store partitions on postgresql", function()
  local url
  local open_store

  local function psql(text)
    local out, ok = sh("psql -Atq " .. q(url) .. " -c " .. q(text) .. " 2>&1")
    assert(ok, out)
    return (out:gsub("%s+$", ""))
  end

  -- Partitions of tasks (pg_inherits) with their row counts, "name=rows" in name order.
  local function partitions()
    local names = psql("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       .. "WHERE i.inhparent = 'tasks'::regclass ORDER BY 1")
    local out = {}
    for name in names:gmatch("[^\n]+") do out[#out + 1] = name .. "=" .. psql("SELECT count(*) FROM " .. name) end
    return table.concat(out, " ")
  end

  setup(function()
    local out, ok = sh(pg_sh .. " start " .. tmp .. "/pg " .. ffi.C.getpid())
    assert(ok, "could not start PostgreSQL via spec/support/pg.sh (SIC_TEST_NO_PG=1 skips): " .. out)
    url = out:gsub("%s+$", "")
  end)

  teardown(function() sh(pg_sh .. " stop " .. tmp .. "/pg") end)

  before_each(function() psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public") end)

  -- Create the schema (any command that opens the store does), so that what follows is an ingest only.
  open_store = function()
    local r = T.run_sic({ "store", "retention", "--older-than", "1971-01", "--dry-run", "--store", url })
    assert.are.equal(0, r.code, r.stderr)
  end

  it("puts each month's task rows in its own partition, created on demand", function()
    local nov, dec, jan = log_of("2025-11-10", 1), log_of("2025-12-05", 2), log_of("2026-01-20", 3)
    local jan2 = log_of("2026-01-28", 4)
    assert.are.equal(4, ingest(url, { nov, dec, jan, jan2 }).stored)
    assert.are.equal("r", psql("SELECT p.partstrat FROM pg_partitioned_table p WHERE p.partrelid = 'tasks'::regclass"))
    assert.are.equal(("tasks_202511=%d tasks_202512=%d tasks_202601=%d tasks_undated=0"):format(
      task_starts(nov), task_starts(dec), task_starts(jan) + task_starts(jan2)), partitions())
    assert.are.equal("FOR VALUES FROM (202601) TO (202602)",
                     psql("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'tasks_202601'"))
    -- readers over the partitioned table: history, and a re-ingest is a no-op
    local h = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
    assert.are.equal(4, #h.runs)
    local again = ingest(url, { nov, dec, jan, jan2 })
    assert.are.equal(0, again.stored)
    assert.are.equal(4, again.unchanged)
  end)

  it("retention detaches and drops exactly the older months and says so", function()
    local nov, dec, jan = log_of("2025-11-10", 1), log_of("2025-12-05", 2), log_of("2026-01-20", 3)
    ingest(url, { nov, dec, jan })
    local dry = json_of(T.run_sic({ "store", "retention", "--older-than", "2025-12", "--dry-run", "--store", url,
                                    "--format", "json" }))
    assert.are.same({ { month = "2025-11", taskRows = task_starts(nov), runs = 0 } }, dry.months)
    assert.truthy(partitions():find("tasks_202511=", 1, true), "a dry run drops nothing")
    local text = T.run_sic({ "store", "retention", "--older-than", "2025-12", "--store", url })
    assert.are.equal(0, text.code, text.stderr)
    assert.truthy(text.stdout:find("dropped 2025-11: partition tasks_202511, " .. task_starts(nov) .. " task rows of 1 run",
                                   1, true), text.stdout)
    assert.are.equal(("tasks_202512=%d tasks_202601=%d tasks_undated=0"):format(task_starts(dec), task_starts(jan)),
                     partitions())
    assert.are.equal("", psql("SELECT relname FROM pg_class WHERE relname = 'tasks_202511'"), "dropped, not only detached")
    -- the runs stay; the dropped month's run says it has no task rows any more
    assert.are.equal("0 1 1", psql("SELECT string_agg(tasks_stored::text, ' ' ORDER BY start_time) FROM attempts"))
    local h = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
    assert.are.equal(3, #h.runs)
    -- nothing older left: a second run drops nothing
    local none = T.run_sic({ "store", "retention", "--older-than", "2025-12", "--store", url })
    assert.truthy(none.stdout:find("no task rows older than 2025-12", 1, true), none.stdout)
  end)

  it("migrates a v2 store in place, its task rows moved into month partitions", function()
    local dec, jan = log_of("2025-12-05", 2), log_of("2026-01-20", 3)
    ingest(url, { dec, jan })
    -- Schema 2 as engine/store/schema.c's migration 1 wrote tasks: one plain table, no month;
    -- plus a task row whose attempt is gone (there is no foreign key), which has no month.
    local cols = "attempt_key, stage_id, stage_attempt, task_id, task_index, attempt, executor_id, host, launch_time, "
                 .. "finish_time, duration_ms, status, locality, speculative, run_time_ms, cpu_time_ns, gc_time_ms, "
                 .. "input_bytes, output_bytes, shuffle_read_bytes, shuffle_write_bytes, memory_spilled_bytes, "
                 .. "disk_spilled_bytes, peak_execution_memory"
    psql("BEGIN; CREATE TABLE tasks_plain AS SELECT " .. cols .. " FROM tasks; DROP TABLE tasks;"
         .. " ALTER TABLE tasks_plain RENAME TO tasks; ALTER TABLE tasks ALTER COLUMN attempt_key SET NOT NULL;"
         .. " CREATE INDEX tasks_attempt ON tasks(attempt_key);"
         .. " INSERT INTO tasks(attempt_key, task_id, status) VALUES (987654, 1, 'SUCCESS');"
         .. " UPDATE sic_meta SET value = '2' WHERE name = 'schema_version'; COMMIT")
    assert.are.equal("", psql("SELECT partrelid FROM pg_partitioned_table"))
    local order = " ORDER BY attempt_key, task_id, attempt"
    local before = psql("SELECT " .. cols .. " FROM tasks" .. order)
    -- any command opening the store migrates it
    local h = json_of(T.run_sic({ "history", "nightly_orders_etl", "--store", url, "--format", "json" }))
    assert.are.equal(2, #h.runs)
    assert.are.equal("3", psql("SELECT value FROM sic_meta WHERE name = 'schema_version'"))
    assert.are.equal(("tasks_202512=%d tasks_202601=%d tasks_undated=1"):format(task_starts(dec), task_starts(jan)),
                     partitions())
    assert.are.equal(before, psql("SELECT " .. cols .. " FROM tasks" .. order), "every v2 row, unchanged")
    assert.are.equal("", psql("SELECT relname FROM pg_class WHERE relname LIKE 'tasks_v2%'"), "the v2 table is gone")
    -- and the migrated store takes new months
    local feb = log_of("2026-02-14", 5)
    assert.are.equal(1, ingest(url, { feb }).stored)
    assert.truthy(partitions():find("tasks_202602=" .. task_starts(feb), 1, true))
  end)

  it("lets two ingests create the same new month at once: both store, one partition", function()
    local a, b = log_of("2026-03-02", 6), log_of("2026-03-09", 7)
    open_store()
    -- Hold the month's partition lock from outside, so that both ingests find no partition and
    -- queue for the lock before either creates it: the race made certain, not left to timing.
    local holder = assert(io.popen("psql -Atq " .. q(url) .. " >/dev/null 2>&1", "w"))
    holder:write("BEGIN; SELECT pg_advisory_xact_lock(7335003, 202603);\n")
    holder:flush()
    local function waiting(granted)
      return tonumber(psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7335003 "
                           .. "AND objid = 202603 AND granted = " .. granted))
    end
    local function wait_for(what, pred)
      for _ = 1, 600 do
        if pred() then return end
        sh("sleep 0.1")
      end
      error("gave up waiting for " .. what)
    end
    wait_for("the holder's lock", function() return waiting("true") == 1 end)
    local outs = {}
    for i, log in ipairs({ a, b }) do
      outs[i] = tmp .. "/race-" .. i
      local o = outs[i]
      sh("{ " .. q(T.sic_bin) .. " ingest --no-analyze --store-tasks --format json --store " .. q(url) .. " " .. q(log)
         .. " >" .. q(o .. ".json") .. " 2>" .. q(o .. ".err") .. "; echo $? >" .. q(o .. ".rc.tmp") .. "; mv "
         .. q(o .. ".rc.tmp") .. " " .. q(o .. ".rc") .. "; } </dev/null >/dev/null 2>&1 &")
    end
    wait_for("both ingests queued on the month's lock", function() return waiting("false") == 2 end)
    holder:write("COMMIT;\n")
    holder:close()
    wait_for("both ingests", function() return T.exists(outs[1] .. ".rc") and T.exists(outs[2] .. ".rc") end)
    for i = 1, 2 do
      assert.are.equal("0", T.read_file(outs[i] .. ".rc"):gsub("%s+$", ""), T.read_file(outs[i] .. ".err"))
      assert.are.equal(1, cjson.decode(T.read_file(outs[i] .. ".json")).stored)
    end
    assert.are.equal(("tasks_202603=%d tasks_undated=0"):format(task_starts(a) + task_starts(b)), partitions())
  end)

  it("leaves no partition behind when killed right after creating it; a re-run creates it", function()
    local apr = log_of("2026-04-11", 8)
    open_store() -- the migration creates tasks_undated: the crash point is armed for the ingest's partition
    local out, _, code = sh("SIC_TEST_CRASH_AT=store.partition_created " .. q(T.sic_bin) .. " ingest --no-analyze "
                            .. "--store-tasks --store " .. q(url) .. " " .. q(apr) .. " 2>&1 >/dev/null")
    assert.are.equal(137, code, out)
    assert.are.equal("", psql("SELECT relname FROM pg_class WHERE relname = 'tasks_202604'"))
    assert.are.equal("0", psql("SELECT count(*) FROM attempts"))
    assert.are.equal(1, ingest(url, { apr }).stored)
    assert.truthy(partitions():find("tasks_202604=" .. task_starts(apr), 1, true))
  end)

  it("keeps the partition when retention is killed between DETACH and DROP", function()
    local nov, dec = log_of("2025-11-10", 1), log_of("2025-12-05", 2)
    ingest(url, { nov, dec })
    local before = partitions()
    local out, _, code = sh("SIC_TEST_CRASH_AT=store.partition_detached " .. q(T.sic_bin) .. " store retention "
                            .. "--older-than 2026-01 --store " .. q(url) .. " 2>&1 >/dev/null")
    assert.are.equal(137, code, out)
    assert.are.equal(before, partitions())
    assert.are.equal("1 1", psql("SELECT string_agg(tasks_stored::text, ' ') FROM attempts"))
  end)
end)
