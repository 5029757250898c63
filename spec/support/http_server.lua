-- Test support for the HTTP service: start `sic serve` on 127.0.0.1 with a free
-- port, talk to it with curl (and python3 for raw sockets), always stop it.
--
--   package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
--   local H = require "http_server"
--   local srv = H.start({ "--logs", dir }, { SIC_API_TOKEN = "t" })   -- errors if it does not come up
--   local r = srv:request("GET", "/healthz", { headers = { "Authorization: Bearer t" } })
--   -- r.status, r.body, r.headers (lower-case names)
--   srv:stop()   -- SIGTERM; returns the exit code
local T = require "spec_helper"

local H = {}
local Server = {}
Server.__index = Server

local q = T.shell_quote

local function sleep(s) os.execute("sleep " .. s) end
H.sleep = sleep

local function alive(pid)
  local a = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return a == 0 or a == true
end
H.alive = alive

-- Start `sic serve` with argv (--listen 127.0.0.1:0 added unless given) and env (name -> value).
-- Waits for its "listening on" line; fails the test with its stderr if it exits instead.
function H.start(argv, env, opts)
  opts = opts or {}
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local has_listen = false
  for _, a in ipairs(argv) do if a == "--listen" then has_listen = true end end
  local cmd = { q(T.sic_bin), "serve" }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = q(a) end
  if not has_listen then cmd[#cmd + 1] = "--listen 127.0.0.1:0" end
  local envs = { "env -u SIC_API_TOKEN" }
  for k, v in pairs(env or {}) do envs[#envs + 1] = k .. "=" .. q(v) end
  local self = setmetatable({ dir = dir, out = dir .. "/out", err = dir .. "/err", rcfile = dir .. "/rc" }, Server)
  -- the sh wrapper records sic's own pid and, when it ends, its exit code
  local inner = table.concat(envs, " ") .. " " .. table.concat(cmd, " ") .. " >" .. q(self.out) .. " 2>" .. q(self.err) ..
      " & echo $! >" .. q(dir .. "/pid") .. "; wait $!; echo $? >" .. q(self.rcfile)
  assert(os.execute("sh -c " .. q(inner) .. " >/dev/null 2>&1 </dev/null &"))
  local deadline = os.time() + (opts.wait_s or 60)
  while os.time() <= deadline do
    local out = T.read_file(self.out) or ""
    local port = out:match("listening on http://[^:]+:(%d+)")
    if not self.pid then self.pid = tonumber((T.read_file(dir .. "/pid") or ""):match("%d+")) end
    if port and self.pid then
      self.port = tonumber(port)
      self.base = "http://127.0.0.1:" .. port
      return self
    end
    if T.read_file(self.rcfile) then
      if opts.expect_failure then return self end
      error("sic serve exited: " .. (T.read_file(self.err) or ""))
    end
    sleep(0.05)
  end
  if self.pid then os.execute("kill -9 " .. self.pid .. " 2>/dev/null") end
  error("sic serve did not start in time: " .. (T.read_file(self.err) or ""))
end

-- Exit code once the process ended (waits up to wait_s), or nil.
function Server:exit_code(wait_s)
  local deadline = os.time() + (wait_s or 20)
  repeat
    local rc = T.read_file(self.rcfile)
    if rc and rc:match("%d+") then return tonumber(rc:match("%d+")) end
    sleep(0.05)
  until os.time() > deadline
  return nil
end

function Server:stderr() return T.read_file(self.err) or "" end

-- SIGTERM and wait; SIGKILL if it does not stop. Returns the exit code (nil if killed).
function Server:stop()
  if self.stopped then return self.stopped_rc end
  self.stopped = true
  if self.pid then os.execute("kill -TERM " .. self.pid .. " 2>/dev/null") end
  local rc = self:exit_code(30)
  if not rc and self.pid then os.execute("kill -9 " .. self.pid .. " 2>/dev/null") end
  self.stopped_rc = rc
  os.execute("rm -rf " .. q(self.dir))
  return rc
end

-- One request with curl. opts: headers (list of "Name: value"), data_file (body from a file),
-- path_as_is (send ".." literally), max_time. Returns {status, body, headers}.
function Server:request(method, path, opts)
  opts = opts or {}
  local body, hdr = self.dir .. "/body", self.dir .. "/hdr"
  local cmd = { "curl -s -S -o", q(body), "-D", q(hdr), "-w '%{http_code}'", "-X", q(method),
                "--max-time", tostring(opts.max_time or 60) }
  if opts.path_as_is then cmd[#cmd + 1] = "--path-as-is" end
  for _, h in ipairs(opts.headers or {}) do cmd[#cmd + 1] = "-H " .. q(h) end
  if opts.data_file then cmd[#cmd + 1] = "--data-binary @" .. q(opts.data_file) end
  cmd[#cmd + 1] = q(self.base .. path)
  local p = io.popen(table.concat(cmd, " ") .. " 2>&1")
  local code = p:read("*a")
  p:close()
  local r = { status = tonumber(code:match("(%d%d%d)$")) or 0, body = T.read_file(body) or "", headers = {}, curl = code }
  for line in (T.read_file(hdr) or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then r.headers[k:lower()] = v end
  end
  os.remove(body)
  os.remove(hdr)
  return r
end

function Server:get(path, opts) return self:request("GET", path, opts) end

-- Run a python3 snippet with PORT (and env's names) in its environment; returns its stdout
-- and exit status.
function Server:python(code, env)
  local f = self.dir .. "/snippet.py"
  T.write_file(f, code)
  local vars = "PORT=" .. self.port
  for k, v in pairs(env or {}) do vars = vars .. " " .. k .. "=" .. q(v) end
  local p = io.popen(vars .. " python3 " .. q(f) .. " 2>&1")
  local out = p:read("*a")
  local ok, _, st = p:close()
  return out, (type(ok) == "number" and ok) or st or (ok and 0 or 1)
end

return H
