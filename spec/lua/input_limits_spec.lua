-- Bounded input (issue 19, item 5 and the symlink hole): one endless line is reported as
-- malformed with its file and line and skipped, never held whole; an upload that
-- decompresses without end is refused as a decompression bomb; both stay under 300 MB of
-- resident memory. Inputs of gigabytes are made on the fly and never stored: a sparse file
-- (holes read as zeros) and gzip members of zeros (a few MiB on disk).
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local cjson = require "cjson"

-- Any log serves: the real ones when ../shared is there, else generated ones.
local LOGS, APP, OUTSIDE = T.shared("spark-events/spark"), "local-1422981780767", "local-1426533911241"
if not T.has_shared("spark-events/spark") then
  local ids
  LOGS, ids = T.example.dir({ { seed = 51, tasks = 300 }, { seed = 52, tasks = 300 } })
  APP, OUTSIDE = ids[1], ids[2]
end
local MB = 1000 * 1000

-- Peak resident set of a command, as the kernel accounts it (ru_maxrss of the child, KiB).
local function run_measured(argv)
  local py = [[
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.write("rc=%d\nmaxrss_kb=%d\n" % (p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.stdout.write(p.stdout.decode(errors="replace")); sys.stdout.write(p.stderr.decode(errors="replace"))
]]
  local f = T.write_file(os.tmpname(), py)
  local cmd = { "python3", T.shell_quote(f) }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = T.shell_quote(a) end
  local p = io.popen(table.concat(cmd, " ") .. " 2>&1")
  local out = p:read("*a")
  p:close()
  os.remove(f)
  return out, tonumber(out:match("rc=(%d+)")), tonumber(out:match("maxrss_kb=(%d+)"))
end

describe("an endless line", function()
  it("in a plain log followed by 2 GiB of zeros: reported with file and line, skipped, under 300 MB", function()
    local dir = T.tmpdir()
    local log = dir .. "/endless.log"
    local text = assert(T.read_file(LOGS .. "/" .. APP))
    T.write_file(log, text)
    local lines = select(2, text:gsub("\n", "")) -- the zeros start the line after the last one
    -- a sparse file: the 2 GiB are holes, nothing is written to disk
    assert(os.execute("truncate -s " .. (#text + 2 * 1024 * 1024 * 1024) .. " " .. T.shell_quote(log)))
    local out, rc, kb = run_measured({ T.sic_bin, "analyze", "--no-rules", "--format", "json", log })
    os.execute("rm -rf " .. T.shell_quote(dir))
    io.stderr:write(("\n[endless plain line] sic analyze peak RSS %.1f MB\n"):format(kb * 1024 / MB))
    assert.are.equal(0, rc, out)
    assert.is_true(kb * 1024 < 300 * MB, "peak RSS " .. kb .. " KiB")
    local doc = cjson.decode(out:match("\n(%{.*%})"))
    local input = doc.applications[1].input
    assert.are.equal(1, input.malformedLines)
    assert.are.equal(lines + 1, input.firstProblem.line)
    assert.matches("endless%.log$", input.firstProblem.path)
    assert.matches("line longer than the line limit %(128 MiB, %-%-max%-line%-mb%): skipped", input.firstProblem.reason)
    assert.is_true(input.events > 0) -- what came before the line is kept
  end)

  it("uploaded as gzip expanding to 2 GiB: refused as a decompression bomb (413), server under 300 MB", function()
    local dir = T.tmpdir()
    local gz = dir .. "/bomb.gz"
    -- one gzip member with the log, then 128 members of 16 MiB of zeros: 2 GiB with no newline
    local ok = os.execute(("python3 -c %s %s %s"):format(T.shell_quote([[
import gzip, sys
log = open(sys.argv[1], "rb").read(); zeros = gzip.compress(b"\0" * (16 << 20), 6)
with open(sys.argv[2], "wb") as f:
    f.write(gzip.compress(log))
    for _ in range(128): f.write(zeros)
]]), T.shell_quote(LOGS .. "/" .. APP), T.shell_quote(gz)))
    assert(ok == true or ok == 0)
    local srv = H.start({ "--logs", LOGS })
    local r = srv:request("POST", "/v1/analyze", { data_file = gz })
    local status = T.read_file("/proc/" .. srv.pid .. "/status") or ""
    local after = srv:get("/healthz").status
    srv:stop()
    os.execute("rm -rf " .. T.shell_quote(dir))
    local hwm = tonumber(status:match("VmHWM:%s*(%d+) kB"))
    io.stderr:write(("\n[decompression bomb] upload %s, server peak RSS %.1f MB\n"):format(r.status, hwm * 1024 / MB))
    assert.are.equal(413, r.status, r.body)
    assert.matches("^cannot read the event log: upload: decompression bomb: expands past 1024 MiB", cjson.decode(r.body).error.message)
    -- the memory bound is the release build's: ASan's shadow memory and quarantine add ~60 MB
    if not os.getenv("ASAN_OPTIONS") then
      assert.is_true(hwm * 1024 < 300 * MB, "server peak RSS " .. hwm .. " KiB")
    end
    assert.are.equal(200, after)
  end)

  it("under the limit of a server is analysed, the long line named in the report", function()
    local text = assert(T.read_file(LOGS .. "/" .. APP))
    local first_nl = text:find("\n", 1, true)
    -- line 2 is 3 MiB of junk; --max-line-mb 1 skips it and reads on
    local f = T.write_file(os.tmpname(), text:sub(1, first_nl) .. string.rep("x", 3 * 1024 * 1024) .. "\n" .. text:sub(first_nl + 1))
    local srv = H.start({ "--logs", LOGS, "--max-line-mb", "1" })
    local r = srv:request("POST", "/v1/analyze", { data_file = f })
    srv:stop()
    os.remove(f)
    assert.are.equal(200, r.status, r.body)
    local input = cjson.decode(r.body).applications[1].input
    assert.are.equal(2, input.firstProblem.line)
    assert.matches("line limit %(1 MiB", input.firstProblem.reason)
    assert.are.equal(APP, cjson.decode(r.body).applications[1].id)
  end)
end)

describe("a directory scan", function()
  it("does not follow symlinks out of the directory it was given, and survives loops", function()
    local top = T.tmpdir()
    local root = top .. "/root"
    assert(os.execute(("mkdir -p %s/sub && cp %s %s/sub/ && cp %s %s/"):format(T.shell_quote(root),
      T.shell_quote(LOGS .. "/" .. APP), T.shell_quote(root), T.shell_quote(LOGS .. "/" .. OUTSIDE), T.shell_quote(top))))
    -- up -> .. and self -> . stay inside (a loop, walked once); out -> ../.. and abs -> / leave it
    assert(os.execute(("ln -s .. %s/sub/up && ln -s . %s/self && ln -s ../.. %s/sub/out && ln -s / %s/abs"):format(
      T.shell_quote(root), T.shell_quote(root), T.shell_quote(root), T.shell_quote(root))))
    local r = T.run_sic({ "logs", root })
    os.execute("rm -rf " .. T.shell_quote(top))
    assert.are.equal(0, r.code, r.stderr)
    assert.matches("1 log", r.stdout)
    assert.is_nil(r.stdout:find(OUTSIDE, 1, true), r.stdout) -- the log outside the root
  end)
end)
