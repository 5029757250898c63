-- Azurite's Blob service for specs (npm, installed by `make npm-deps` into the build tree),
-- started on a free loopback port and stopped by the spec. It checks Shared Key and SAS
-- signatures against its documented development account.
--
--   local AZ = require "azurite"
--   local az = AZ.start()                  -- error when azurite is not installed
--   az:container("logs"); az:put("/tmp/x.log", "logs", "a/x.log")
--   T.sh(az:key_env() .. " sic analyze wasbs://logs@devstoreaccount1.blob.core.windows.net/a")
--   az:stop()
local T = require "spec_helper"
local H = require "http_server"
local q = T.shell_quote

local M = {}
local AZ = {}
AZ.__index = AZ

M.bin = T.build_dir .. "/npm/node_modules/.bin/azurite-blob"
-- Azurite's development account (public, documented with Azurite)
M.account = "devstoreaccount1"
M.key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

-- Environment for sic with the account key (Shared Key).
function AZ:key_env()
  return "AZURE_STORAGE_BLOB_ENDPOINT=" .. q(self.endpoint) .. " AZURE_STORAGE_ACCOUNT=" .. M.account ..
         " AZURE_STORAGE_KEY=" .. q(M.key)
end

-- Create a container (curl with a SAS made by spec/support/azure_sas.py).
function AZ:container(name)
  local out, ok = T.sh("curl -sS -f -X PUT -H 'x-ms-version: 2021-08-06' " ..
                       q(self.endpoint .. "/" .. name .. "?restype=container&" .. self.sas) .. " 2>&1")
  assert(ok, "create container " .. name .. ": " .. out)
end

function AZ:put(file, container, key)
  local out, ok = T.sh("curl -sS -f -X PUT -H 'x-ms-blob-type: BlockBlob' -T " .. q(file) .. " " ..
                       q(self.endpoint .. "/" .. container .. "/" .. key .. "?" .. self.sas) .. " 2>&1")
  assert(ok, "upload " .. key .. ": " .. out)
end

function AZ:stop()
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  if self.dir then os.execute("rm -rf " .. q(self.dir)) end
  self.pid, self.dir = nil, nil
end

function M.start()
  if not T.exists(M.bin) then error("azurite is not installed: run `make npm-deps` (make test does)") end
  local self = setmetatable({}, AZ)
  self.dir = os.tmpname()
  os.remove(self.dir)
  local log = self.dir .. "/azurite.log"
  assert(T.sh("mkdir -p " .. q(self.dir .. "/az")))
  assert(T.sh(q(M.bin) .. " --blobHost 127.0.0.1 --blobPort 0 --location " ..
              q(self.dir .. "/az") .. " --silent --skipApiVersionCheck --disableTelemetry >" .. q(log) ..
              " 2>&1 & echo $! >" .. q(self.dir .. "/pid")))
  local port
  for _ = 1, 300 do
    port = (T.read_file(log) or ""):match("listens on http://127%.0%.0%.1:(%d+)")
    if port then break end
    H.sleep(0.1)
  end
  self.pid = (T.read_file(self.dir .. "/pid") or ""):match("%d+")
  if not port then
    local why = T.read_file(log) or ""
    self:stop()
    error("azurite did not start: " .. why)
  end
  self.endpoint = "http://127.0.0.1:" .. port .. "/" .. M.account
  local out, ok = T.sh("python3 " .. q(T.source_dir .. "/spec/support/azure_sas.py") .. " " .. M.account .. " " .. q(M.key))
  assert(ok, out)
  self.sas = out:gsub("%s+$", "")
  return self
end

return M
