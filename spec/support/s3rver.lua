-- An S3-compatible server for specs: s3rver from npm (installed by `make npm-deps` into the
-- build tree), started on a free loopback port with one bucket, and stopped by the spec.
--
--   local S3 = require "s3rver"
--   local s3 = S3.start("logs")            -- error when s3rver is not installed
--   s3:put("/tmp/x.log", "a/x.log")         -- upload a file under a key
--   T.sh(s3:env() .. " sic analyze s3://logs/a")
--   s3:stop()
local T = require "spec_helper"
local H = require "http_server"
local q = T.shell_quote

local M = {}
local S3 = {}
S3.__index = S3

M.bin = T.build_dir .. "/npm/node_modules/.bin/s3rver"

-- The shell-prefix environment that points sic's S3 source at this server.
function S3:env()
  return "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 " ..
         "AWS_ENDPOINT_URL=http://127.0.0.1:" .. self.port
end

-- The same as a table, for servers started with H.start.
function S3:env_table()
  return { AWS_ACCESS_KEY_ID = "S3RVER", AWS_SECRET_ACCESS_KEY = "S3RVER", AWS_REGION = "us-east-1",
           AWS_ENDPOINT_URL = "http://127.0.0.1:" .. self.port }
end

-- Upload file under key of the bucket (curl signs it; s3rver does not check signatures).
function S3:put(file, key)
  local out, ok = T.sh("curl -sS -f --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER " ..
                       "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T " .. q(file) ..
                       " " .. q("http://127.0.0.1:" .. self.port .. "/" .. self.bucket .. "/" .. key) .. " 2>&1")
  assert(ok, "upload " .. key .. ": " .. out)
end

function S3:stop()
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  if self.dir then os.execute("rm -rf " .. q(self.dir)) end
  self.pid, self.dir = nil, nil
end

function M.start(bucket)
  if not T.exists(M.bin) then error("s3rver is not installed: run `make npm-deps` (make test does)") end
  local self = setmetatable({ bucket = bucket }, S3)
  self.dir = os.tmpname()
  os.remove(self.dir)
  local data, log = self.dir .. "/s3data", self.dir .. "/s3rver.log"
  assert(T.sh("mkdir -p " .. q(data)))
  -- s3rver makes continuation tokens with DES, which Node 17+ (OpenSSL 3) only has as legacy
  assert(T.sh("NODE_OPTIONS=--openssl-legacy-provider " .. q(M.bin) .. " -d " .. q(data) ..
              " -a 127.0.0.1 -p 0 --configure-bucket " .. bucket .. " >" .. q(log) ..
              " 2>&1 & echo $! >" .. q(self.dir .. "/pid")))
  for _ = 1, 300 do
    self.port = (T.read_file(log) or ""):match("listening on 127%.0%.0%.1:(%d+)")
    if self.port then break end
    H.sleep(0.1)
  end
  self.pid = (T.read_file(self.dir .. "/pid") or ""):match("%d+")
  if not self.port then
    local why = T.read_file(log) or ""
    self:stop()
    error("s3rver did not start: " .. why)
  end
  return self
end

return M
