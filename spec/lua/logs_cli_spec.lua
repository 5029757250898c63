-- `sic logs`: discovery as the user sees it (JSON listing of layouts, parts, codecs), --check
-- line counts equal to counting the decompressed lines independently (system zstd/zcat/unzip),
-- --cat bytes equal to the system tools' output, stdin, errors naming the file, exit codes.
local T = require "spec_helper"
local cjson = require "cjson"

local q = T.shell_quote
local function sh_output(cmd) return (T.sh(cmd)) end

local function count_nonempty_lines(text)
  local n = 0
  for line in text:gmatch("([^\n]*)\n?") do
    if line:gsub("\r$", "") ~= "" then n = n + 1 end
  end
  return n
end

local rolling = "spark-events/spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964"
local databricks = "spark-events/spark-rapids-tools/spark-events-qualification/db_sim_eventlog"
local zip = "spark-events/sparklint/history_source/eventLogs-application_1489705648216_1600.zip"

-- The real layouts when ../shared is there, else the same layouts built from a generated log
-- (spec/support/example_logs.lua): the properties are sic's reading of a layout.
local function rolling_dir()
  if T.exists(T.shared(rolling)) then return T.shared(rolling), "local-1623876083964" end
  return T.example.rolling({ seed = 7, tasks = 300 })
end
local function databricks_dir()
  if T.exists(T.shared(databricks)) then return T.shared(databricks) end
  return T.example.databricks({ seed = 7, tasks = 300 })
end
local function zip_file()
  if T.exists(T.shared(zip)) then return T.shared(zip) end
  return (T.example.zip({ seed = 7, tasks = 300 }))
end

describe("sic logs", function()
  it("lists a rolling directory as one log with its parts in order", function()
    local dir, id = rolling_dir()
    local pid = id:gsub("%p", "%%%0")
    local r = T.run_sic({ "logs", dir, "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.are.equal(1, #doc.logs)
    local log = doc.logs[1]
    assert.are.equal("rolling", log.layout)
    assert.is_false(log.in_progress)
    assert.are.equal(2, #log.parts)
    assert.truthy(log.parts[1].path:find("events_1_" .. pid .. "%.zstd$"))
    assert.truthy(log.parts[2].path:find("events_2_" .. pid .. "%.zstd$"))
    assert.are.equal("zstd", log.parts[1].codec)
  end)

  it("--check counts the same lines as the system zstd does", function()
    local dir, id = rolling_dir()
    local text = sh_output("zstd -dc " .. q(dir .. "/events_1_" .. id .. ".zstd") .. " "
      .. q(dir .. "/events_2_" .. id .. ".zstd"))
    local r = T.run_sic({ "logs", dir, "--check", "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    local log = cjson.decode(r.stdout).logs[1]
    assert.are.equal(count_nonempty_lines(text), log.lines)
    assert.are.equal(#text, log.bytes)
    assert.are.equal(cjson.null, log.error)
  end)

  it("--cat of a Databricks directory is its gzip part then its plain part", function()
    local dir = databricks_dir()
    local want = sh_output("zcat " .. q(dir) .. "/eventlog-*.gz; cat " .. q(dir .. "/eventlog"))
    local r = T.run_sic({ "logs", "--cat", dir })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal(#want, #r.stdout)
    assert.is_true(want == r.stdout)
  end)

  it("--cat of a History Server zip equals unzip -p", function()
    local path = zip_file()
    local want = sh_output("unzip -p " .. q(path))
    local r = T.run_sic({ "logs", "--cat", path, "--threads", "1" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_true(want == r.stdout)
  end)

  it("reads a zstd log from stdin", function()
    local path = T.example.shared_or("spark-events/spark-rapids-tools/spark-events-qualification/dsAndDf_eventlog.zstd",
      { seed = 7, tasks = 300, codec = "zstd" })
    local r = T.run_sic({ "logs", "--check", "-", "--format", "json" }, T.read_file(path))
    assert.are.equal(0, r.code, r.stderr)
    local log = cjson.decode(r.stdout).logs[1]
    assert.are.equal("zstd", log.parts[1].codec)
    assert.are.equal(count_nonempty_lines(sh_output("zstd -dc " .. q(path))), log.lines)
  end)

  it("finds every log of the shared tree and skips what is not a log", function()
    local dir = T.need_shared("spark-events")
    if not dir then return end
    local r = T.run_sic({ "logs", dir, "--format", "json" })
    assert.are.equal(0, r.code, r.stderr)
    local doc = cjson.decode(r.stdout)
    -- SOURCES.md: 106 files; rolling (3 files), Databricks (2) and legacy (3) dirs are one log
    -- each; the driver log and the sparklens output are not logs.
    assert.are.equal(99, #doc.logs)
    assert.are.equal(2, doc.skipped)
  end)

  it("says which file is not an event log and exits 1", function()
    -- the real driver log when ../shared is there, else a log4j text of the same name
    local path = T.shared("spark-events/spark-rapids-tools/spark-events-profiling/driverlog")
    if not T.exists(path) then
      path = T.example.write("driverlog", "24/11/25 10:00:01 INFO SparkContext: Running Spark version 3.5.0\n")
    end
    local r = T.run_sic({ "logs", path })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("driverlog", 1, true))
    assert.truthy(r.stderr:find("not a Spark event log", 1, true))
  end)

  it("reports a corrupt part with its name and exits 1 under --check", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir -p " .. q(tmp)))
    local log = tmp .. "/app-1.zstd"
    local lines = {}
    for i = 1, 2000 do lines[#lines + 1] = string.format('{"Event":"SparkListenerTaskEnd","Task ID":%d}', i) end
    T.write_file(tmp .. "/plain", table.concat(lines, "\n") .. "\n")
    assert(os.execute("zstd -q --check -c " .. q(tmp .. "/plain") .. " > " .. q(log)))
    local bytes = T.read_file(log)
    -- flip the frame checksum (the last 4 bytes)
    T.write_file(log, bytes:sub(1, -2) .. string.char((bytes:byte(-1) + 1) % 256))
    local r = T.run_sic({ "logs", "--check", log })
    assert.are.equal(1, r.code)
    assert.truthy(r.stdout:find("ERROR", 1, true))
    assert.truthy(r.stdout:find("app-1.zstd", 1, true))
    assert.truthy(r.stdout:find("checksum", 1, true))
    os.execute("rm -rf " .. q(tmp))
  end)

  it("rejects bad usage with exit 2", function()
    assert.are.equal(2, T.run_sic({ "logs" }).code)
    assert.are.equal(2, T.run_sic({ "logs", "x", "--threads", "0" }).code)
  end)
end)
