-- `sic serve` under slow and hostile clients (issue 19, items 4 and the smaller holes):
-- slowloris heads and bodies are closed within --timeout, connections are capped in total
-- and per client address, a reserve keeps /healthz answering when every slot is taken,
-- analyses run on their own bounded pool, unknown copilot query parameters are refused,
-- and a chunked upload over the limit is answered 413 as soon as the limit is passed.
-- Every server binds 127.0.0.1 on a free port; clients use other 127.0.0.x source addresses
-- (all loopback) to stand for distinct client machines.
--
-- Issue 19 states one property in time ("during 5,000 slow connections /healthz answers
-- within 100 ms, and they are all closed within the timeout"). Timing assertions are banned
-- here (they flake on a loaded machine): the case prints those figures and asserts what
-- guarantees them, the server's mechanism (the health reserve answers every probe while the
-- slow connections are held, the head deadline closes them all, refusals past the cap), as
-- the smaller cases below do without any clock. The latency is a figure of
-- bench/bench_slowloris.sh, next to the same probes without slow clients.
--
-- Any log serves: the real one when ../shared is there, else a generated one.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local cjson = require "cjson"

local LOGS, APP = T.shared("spark-events/spark"), "local-1422981780767"
if not T.has_shared("spark-events/spark") then
  local ids
  LOGS, ids = T.example.dir({ { seed = 61 } })
  APP = ids[1]
end

local function kv(out)
  local t = {}
  for k, v in out:gmatch("([%w_]+)=([^\n]*)") do t[k] = tonumber(v) or v end
  return t
end

describe("sic serve under 5,000 slow connections (slowloris)", function()
  it("keeps /healthz under 100 ms through the health reserve and closes every slow connection within --timeout", function()
    local srv = H.start({ "--logs", LOGS, "--timeout", "12" })
    local out, rc = srv:python([[
import os, resource, selectors, socket, time
port = int(os.environ["PORT"]); N = 5000; TIMEOUT = 12.0; ADDRS = 25  # 200 per address
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < N + 256:
    print("SKIP: the descriptor limit (ulimit -Hn %d) is below %d" % (hard, N + 256)); raise SystemExit(0)
if soft < N + 256: resource.setrlimit(resource.RLIMIT_NOFILE, (N + 256, hard))
sel = selectors.DefaultSelector()
opened, closed = {}, {}
first_opened = time.monotonic()
for i in range(N):
    s = socket.socket(); s.bind(("127.0.0.%d" % (2 + i % ADDRS), 0)); s.settimeout(5)
    s.connect(("127.0.0.1", port)); opened[s] = time.monotonic(); s.setblocking(False)
    try: s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    except OSError: pass
    sel.register(s, selectors.EVENT_READ)
all_connected = time.monotonic()
def health():
    t = time.monotonic()
    p = socket.create_connection(("127.0.0.1", port), timeout=2)
    p.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = p.recv(4096)
        if not chunk: break
        data += chunk
    p.close()
    return time.monotonic() - t, data.split(b" ")[1] if data else b"none"
def poll(wait):
    for key, _ in sel.select(wait):
        s = key.fileobj
        try: gone = s.recv(4096) == b""
        except (ConnectionResetError, BrokenPipeError): gone = True
        except BlockingIOError: gone = False
        if gone: sel.unregister(s); closed[s] = time.monotonic()
worst, probes, open_during = 0.0, 0, []
last_byte = time.monotonic()
deadline = all_connected + TIMEOUT + 60  # a generous bound on a loaded machine; ends once all are closed
while time.monotonic() < deadline and len(closed) < N:
    poll(0.05)
    now = time.monotonic()
    if now - last_byte >= 1.0:  # one more header byte per open connection each second
        last_byte = now
        for s in list(opened):
            if s not in closed:
                try: s.send(b"X")
                except OSError: pass
    # probes while every slow connection is held: after the refusals, before the first deadline
    if now - first_opened < TIMEOUT - 0.5 and now - all_connected > 0.3:
        open_during.append(N - len(closed))
        dt, status = health(); probes += 1; worst = max(worst, dt)
        if status != b"200": print("probe_status=%s" % status.decode())
last_close = max(closed.values()) if closed else 0
slowest = max(closed[s] - opened[s] for s in closed) if closed else 0
print("connections=%d" % N)
print("connect_s=%.2f" % (all_connected - first_opened))
# refused at accept: seen closed before any head deadline could have passed (they are only
# polled once all are connected, which takes seconds on a loaded machine)
print("refused_at_once=%d" % sum(1 for s in closed if closed[s] - opened[s] < TIMEOUT - 1))
print("held_min=%d" % (min(open_during) if open_during else 0))
print("probes=%d" % probes)
print("worst_health_ms=%.1f" % (worst * 1000))
print("still_open=%d" % (N - len(closed)))
print("slowest_close_s=%.2f" % slowest)
print("all_closed_after_s=%.2f" % (last_close - all_connected))
]])
    if out:match("^SKIP: ") then
      srv:stop()
      return pending(out)
    end
    io.stderr:write("\n[slowloris figures]\n" .. out) -- reported by the issue's owner; `ctest -V` shows them
    local r = kv(out)
    local metrics = srv:get("/metrics").body
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.is_nil(out:find("probe_status="), out)
    -- the 5,000 are bounded: beyond --max-connections (4096) they are refused at once
    assert.are.equal(5000 - 4096, r.refused_at_once, out)
    assert.is_true(r.probes >= 1, out)
    assert.is_true(r.held_min >= 4000, out) -- the probes ran while the slow connections were held
    -- every one closed by the server (its head deadline), none left open
    assert.are.equal(0, r.still_open, out)
    assert.is_true(tonumber(metrics:match("\nsic_http_connections_slow_closed_total (%d+)")) >= 4000, metrics)
    assert.is_true(tonumber(metrics:match("\nsic_http_connections_refused_total (%d+)")) >= 5000 - 4096, metrics)
  end)
end)

describe("sic serve connection limits", function()
  it("keeps a reserve for health probes from an idle address once every slot is taken, and only for them", function()
    local script = [[
import os, socket, time
port = int(os.environ["PORT"])
hold = []
for i in range(20):  # every slot of --max-connections 20, from one busy client
    s = socket.socket(); s.bind(("127.0.0.5", 0)); s.connect(("127.0.0.1", port)); hold.append(s)
time.sleep(0.3)
def ask(path, src):
    s = socket.socket(); s.bind((src, 0)); s.settimeout(3); s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"); data = b""
        while True:
            c = s.recv(4096)
            if not c: break
            data += c
            if data.rstrip().endswith(b"}"): break
    except OSError: data = b""
    s.close()
    return (data.split(b" ")[1].decode() if data else "closed") + ("/close" if b"onnection: close" in data else "")
print("healthz", ask(b"/healthz", "127.0.0.1"))
print("readyz", ask(b"/readyz", "127.0.0.1"))
print("api", ask(b"/api/v1/version", "127.0.0.1"))
print("busy_client", ask(b"/healthz", "127.0.0.5"))
]]
    local srv = H.start({ "--logs", LOGS, "--max-connections", "20" })
    local out, rc = srv:python(script)
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("healthz 200/close", out)    -- answered on a reserve slot, which then closes
    assert.matches("readyz 200/close", out)
    assert.matches("api 503/close", out)        -- the reserve is for health checks only
    assert.matches("busy_client closed", out)   -- the client holding the slots gets no reserve slot
    -- without the reserve the same probe is refused: the reserve is what answers it
    srv = H.start({ "--logs", LOGS, "--max-connections", "20", "--reserve-connections", "0" })
    out, rc = srv:python(script)
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("healthz closed", out)
  end)

  it("caps connections per client address", function()
    local srv = H.start({ "--logs", LOGS, "--max-conns-per-ip", "10" })
    local out, rc = srv:python([[
import os, socket, time
port = int(os.environ["PORT"])
socks = []
for i in range(15):
    s = socket.socket(); s.bind(("127.0.0.9", 0)); s.connect(("127.0.0.1", port)); socks.append(s)
time.sleep(0.5)
alive = 0
for s in socks:
    s.setblocking(False)
    try: alive += s.recv(1) != b""
    except BlockingIOError: alive += 1
    except OSError: pass
print("alive", alive)
o = socket.socket(); o.bind(("127.0.0.10", 0)); o.settimeout(3); o.connect(("127.0.0.1", port))
o.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); print("other_address", o.recv(64).split(b" ")[1].decode())
]])
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("alive 10\n", out)
    assert.matches("other_address 200", out)
  end)

  it("closes a connection whose head is still arriving after --timeout, and a body slower than --min-body-rate", function()
    local srv = H.start({ "--logs", LOGS, "--timeout", "2", "--min-body-rate", "1000" })
    local out, rc = srv:python([[
import os, socket, time
port = int(os.environ["PORT"])
def trickle(first, step, limit=60):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(first); s.settimeout(0.5)
    for i in range(limit):  # a byte every half second: never idle, always too slow
        try:
            s.sendall(step)
            if s.recv(4096) == b"": return "closed after %d" % i
        except socket.timeout: continue
        except OSError: return "closed after %d" % i
    return "still open"
print("head:", trickle(b"GET /healthz HTTP/1.1\r\n", b"X"))
print("body:", trickle(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", b"{"))
]])
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("head: closed after", out)
    assert.matches("body: closed after", out)
  end)
end)

describe("sic serve analysis pool and copilot query parameters", function()
  it("answers health while every analysis thread is busy", function()
    local srv = H.start({ "--logs", LOGS, "--analysis-threads", "1", "--response-cache-mb", "0", "--threads", "1" })
    local out, rc = srv:python([[
import os, re, socket, threading, time, urllib.request
port = int(os.environ["PORT"]); base = "http://127.0.0.1:%d" % port
def get(path):
    with urllib.request.urlopen(base + path, timeout=120) as r: return r.status, r.read().decode()
done = []
def analyse():
    done.append(get("/v1/apps/%s/report.html" % os.environ["APP"])[0])
workers = [threading.Thread(target=analyse) for _ in range(4)]
for w in workers: w.start()
seen = False
for _ in range(2000):  # until the pool is seen running one analysis with others queued
    m = get("/metrics")[1]
    running = int(re.search(r"\nsic_analysis_running (\d+)", m).group(1))
    queued = int(re.search(r"\nsic_analysis_queue_length (\d+)", m).group(1))
    if running == 1 and queued >= 1:
        print("health while busy:", get("/healthz")[0], "running", running, "queued", queued); seen = True; break
    if len(done) == 4: break
for w in workers: w.join()
print("analyses", done, "seen", seen)
]], { APP = APP })
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("health while busy: 200 running 1 queued [1-9]", out)
    assert.matches("analyses %[200, 200, 200, 200%]", out)
  end)

  it("refuses unknown query parameters on copilot routes with 400 and shares one cache entry per parameter set", function()
    local srv = H.start({ "--logs", LOGS })
    local ok, err = pcall(function()
      local r = srv:get("/v1/apps/" .. APP .. "/findings?junk=1")
      assert.are.equal(400, r.status)
      assert.matches("unknown query parameter 'junk'", cjson.decode(r.body).error.message)
      assert.are.equal(400, srv:get("/v1/apps/" .. APP .. "/report.json?x=%zz").status)
      assert.are.equal(200, srv:get("/v1/apps/" .. APP .. "/findings").status)
      local hits = function() return tonumber(srv:get("/metrics").body:match("\nsic_response_cache_hits_total (%d+)")) end
      local h0 = hits()
      assert.are.equal(200, srv:get("/v1/apps/" .. APP .. "/findings").status)
      assert.are.equal(h0 + 1, hits())
      -- the History Server API keeps ignoring parameters it does not know, as Spark does
      assert.are.equal(200, srv:get("/api/v1/applications?junk=1").status)
      assert.matches("sic_http_unknown_query_total 2", srv:get("/metrics").body)
    end)
    srv:stop()
    assert(ok, err)
  end)

  it("answers a chunked upload over the limit with 413 as soon as the limit is passed", function()
    local srv = H.start({ "--logs", LOGS, "--max-body-mb", "1" })
    local out, rc = srv:python([[
import os, socket
port = int(os.environ["PORT"])
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10)
s.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
chunk = b"%x\r\n" % 65536 + b"{" * 65536 + b"\r\n"
sent = 0
for _ in range(24):  # 1.5 MiB: past the 1 MiB limit, and the body never ends
    try: s.sendall(chunk); sent += 65536
    except OSError: break
data = b""
while b"\r\n\r\n" not in data:
    c = s.recv(4096)
    if not c: break
    data += c
print("status", data.split(b" ")[1].decode() if data else "none", "after", sent)
print(data.decode(errors="replace"))
]])
    local m = srv:get("/metrics").body
    srv:stop()
    assert.are.equal(0, rc, out)
    assert.matches("status 413 after", out)
    assert.matches("[Cc]onnection: close", out)
    assert.matches("sic_http_too_large_total 1\n", m)
  end)
end)
