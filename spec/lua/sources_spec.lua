-- sources/: the same logs read from a History Server (`sic serve` itself, behind its token)
-- and from an S3-compatible store (s3rver from npm, installed by `make npm-deps`) give the
-- same analysis as the local files, for every layout; failures name the URL, never a secret.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"
local q = T.shell_quote

-- One application per layout: the real logs relative to the shared spark-events when
-- ../shared is there, else logs the project generates in the same layouts (spec/support/
-- example_logs.lua), so a clone without the data checks the same properties.
local shared_layouts = {
  { name = "plain", rel = "spark/local-1422981759269", id = "local-1422981759269" },
  { name = "zstd", rel = "spark-rapids-tools/spark-events-profiling/eventlog_dsv1.zstd" },
  { name = "rolling", rel = "spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964", id = "local-1623876083964" },
  -- the same application id as the rolling log: a History Server of its own
  { name = "databricks", rel = "spark-rapids-tools/spark-events-qualification/db_sim_eventlog", alone = true },
  { name = "legacy", rel = "spark-extra/legacy-multifile-format/local-1425081759269", id = "local-1425081759269",
    version = "1.2.0" },
}
local layouts = shared_layouts
local generated = not T.has_shared("spark-events")

-- Without ../shared: the same layouts, generated (one seed each, so five applications).
-- Each gets src (its file or folder) and, from the generator's own lines, id and end_ms.
local function generate_layouts()
  local E = T.example
  local gen = {}
  local function add(name, seed, src, alone)
    local facts = E.facts(E.log({ seed = seed, tasks = 300 }))
    gen[#gen + 1] = { name = name, src = src, id = facts.id, end_ms = facts.end_ms, alone = alone }
  end
  add("plain", 101, (E.dir({ { seed = 101, tasks = 300 } })) .. "/" .. E.app_id(E.log({ seed = 101, tasks = 300 })))
  local zdir, zids = E.dir({ { seed = 102, tasks = 300, codec = "zstd" } })
  add("zstd", 102, zdir .. "/" .. zids[1] .. ".zstd")
  add("rolling", 103, (E.rolling({ seed = 103, tasks = 300 })))
  add("databricks", 104, E.databricks({ seed = 104, tasks = 300 }), true)
  add("legacy", 105, (E.legacy({ seed = 105, tasks = 300 })))
  gen[#gen].version = "3.5.1"
  return gen
end

local function prepare_layouts()
  if generated and layouts == shared_layouts then layouts = generate_layouts() end
end

local function source_of(l) return l.src or T.shared("spark-events/" .. l.rel) end
-- s as a Lua pattern matching itself
local function pat(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end
local function layout(name)
  for _, l in ipairs(layouts) do if l.name == name then return l end end
end

local S3 = require "s3rver"
local azurite_bin = T.build_dir .. "/npm/node_modules/.bin/azurite-blob"
-- Azurite's development account (public, documented with Azurite)
local az_account = "devstoreaccount1"
local az_key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

local function basename(p) return p:match("([^/]+)/*$") end
local function lname(l) return basename(source_of(l)) end

-- Analysis as JSON without what legitimately differs (where the log came from, timings).
local function analysis(target, env)
  local out, ok = T.sh((env or "") .. " " .. q(T.sic_bin) .. " analyze --format json " .. q(target) .. " 2>&1")
  assert(ok, "sic analyze " .. target .. " failed:\n" .. out)
  local lines = {}
  for line in out:gmatch("[^\n]+") do
    if not line:match('^%s*"source"') and not line:match('^%s*"ms"') then lines[#lines + 1] = line end
  end
  return table.concat(lines, "\n")
end

local function app_id(json) return json:match('"id" : "([^"]+)"') end

local function copy_layouts(dir, only)
  for _, l in ipairs(layouts) do
    if only == nil or only(l) then
    assert(T.sh("mkdir -p " .. q(dir .. "/" .. l.name) .. " && cp -r " .. q(source_of(l)) ..
                " " .. q(dir .. "/" .. l.name .. "/") .. " && chmod -R u+w " .. q(dir)))
    end
  end
end

describe("sources: History Server", function()
  local dir, srv, srv_alone, locals
  setup(function()
    prepare_layouts()
    dir = os.tmpname()
    os.remove(dir)
    copy_layouts(dir .. "/shared", function(l) return not l.alone end)
    copy_layouts(dir .. "/alone", function(l) return l.alone end)
    srv = H.start({ "--logs", dir .. "/shared" }, { SIC_API_TOKEN = "s3cr3t-t0ken" })
    srv_alone = H.start({ "--logs", dir .. "/alone" }, { SIC_API_TOKEN = "s3cr3t-t0ken" })
    locals = {}
    for _, l in ipairs(layouts) do
      locals[l.name] = analysis(dir .. (l.alone and "/alone/" or "/shared/") .. l.name .. "/" .. lname(l))
    end
  end)
  teardown(function()
    if srv then srv:stop() end
    if srv_alone then srv_alone:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  for _, named in ipairs(shared_layouts) do
    it("finds the same as the local file for a " .. named.name .. " log (REST URL and UI URL)", function()
      local l = layout(named.name)
      local id = assert(app_id(locals[l.name]), "no app id in the local analysis")
      local base = (l.alone and srv_alone or srv).base
      local rest = analysis(base .. "/api/v1/applications/" .. id, "SIC_HTTP_TOKEN=s3cr3t-t0ken")
      assert.are.equal(locals[l.name], rest)
      local ui = analysis(base .. "/history/" .. id .. "/jobs/", "SIC_HTTP_TOKEN=s3cr3t-t0ken")
      assert.are.equal(locals[l.name], ui)
    end)
  end

  it("sic serve's /logs is a valid zip, sent chunked, for every layout", function()
    if not T.need_shared("spark-events") then return end
    for _, l in ipairs(layouts) do
      local id = app_id(locals[l.name])
      local base = (l.alone and srv_alone or srv).base
      local zip = os.tmpname()
      local hdr, ok = T.sh("curl -sS -f -D - -o " .. q(zip) .. " -H 'Authorization: Bearer s3cr3t-t0ken' " ..
                           q(base .. "/api/v1/applications/" .. id .. "/logs") .. " 2>&1")
      assert(ok, l.name .. ": " .. hdr)
      assert.truthy(hdr:lower():match("transfer%-encoding: chunked"), l.name .. ":\n" .. hdr)
      assert.falsy(hdr:lower():match("content%-length"), l.name .. ":\n" .. hdr)
      local out, valid = T.sh("unzip -t " .. q(zip) .. " 2>&1")
      os.remove(zip)
      assert(valid, l.name .. ": unzip -t:\n" .. out)
      assert.truthy(out:match("No errors detected"), out)
    end
  end)

  it("lists every application of the base URL, windowed by end date, each once", function()
    local out, ok = T.sh("SIC_HTTP_TOKEN=s3cr3t-t0ken SIC_HS_PAGE=1 " .. q(T.sic_bin) .. " logs " .. q(srv.base) .. " 2>&1")
    assert(ok, out)
    assert.truthy(out:match("4 logs"), out)
    for _, l in ipairs(layouts) do
      if l.alone then goto continue end
      local id = app_id(locals[l.name])
      local n = select(2, out:gsub("/applications/" .. id:gsub("%-", "%%-") .. "%s", ""))
      assert.are.equal(1, n, id .. " listed " .. n .. " times:\n" .. out)
      ::continue::
    end
  end)

  it("selects applications by end date and status (--since, --until, --status)", function()
    local function count(opts)
      local out, ok = T.sh("SIC_HTTP_TOKEN=s3cr3t-t0ken SIC_HS_PAGE=1 " .. q(T.sic_bin) .. " logs " .. opts .. " " ..
                           q(srv.base) .. " 2>&1")
      assert(ok, out)
      return tonumber(out:match("(%d+) logs?, "))
    end
    if generated then
      -- a cut between the second and third end times the logs themselves carry
      local ends = {}
      for _, l in ipairs(layouts) do if not l.alone then ends[#ends + 1] = l.end_ms end end
      table.sort(ends)
      local cut = math.floor(ends[2] / 1000) + 1
      assert(ends[3] > cut * 1000, "generated logs end within one second of each other")
      local at = os.date("!%Y-%m-%dT%H:%M:%S.000GMT", cut)
      assert.are.equal(2, count("--until " .. at))
      assert.are.equal(2, count("--since " .. at))
      assert.are.equal(0, count("--until " .. os.date("!%Y-%m-%d", math.floor(ends[1] / 1000) - 86400)))
    else
      assert.are.equal(2, count("--until 2016-01-01"))     -- the 2015 logs (plain, legacy)
      assert.are.equal(1, count("--since 2021-06-20"))     -- the zstd log ended 2021-06-22
    end
    assert.are.equal(4, count("--status completed"))
    assert.are.equal(0, count("--status running"))
  end)

  it("fails with the status and a hint, without printing the token", function()
    local out, ok = T.sh("SIC_HTTP_TOKEN=wrong-t0ken-value SIC_HTTP_RETRIES=0 " .. q(T.sic_bin) ..
                         " analyze " .. q(srv.base .. "/") .. " 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("HTTP 401"), out)
    assert.truthy(out:match("127%.0%.0%.1:" .. srv.port), out)
    assert.truthy(out:match("credentials"), out)
    assert.falsy(out:match("wrong%-t0ken%-value"), out)
  end)

  it("does not print a password given in the URL", function()
    local url = srv.base:gsub("http://", "http://alice:pa55w0rd@") .. "/"
    local out, ok = T.sh("SIC_HTTP_RETRIES=0 " .. q(T.sic_bin) .. " logs " .. q(url) .. " 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("HTTP 401"), out)
    assert.falsy(out:match("pa55w0rd"), out)
    assert.falsy(out:match("alice"), out)
  end)

  it("names the URL and what to check when nothing listens", function()
    local out, ok = T.sh("SIC_HTTP_RETRIES=1 SIC_HTTP_BACKOFF_MS=1 " .. q(T.sic_bin) ..
                         " analyze http://127.0.0.1:1/api/v1/applications/app-1 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("127%.0%.0%.1:1/api/v1/applications/app%-1"), out)
    assert.truthy(out:match("after 2 attempts"), out)
    assert.truthy(out:match("check the host, the port"), out)
  end)
end)

describe("sources: S3 (s3rver)", function()
  local dir, port, s3
  local function s3env() return s3:env() end
  local function put(file, key) s3:put(file, key) end
  setup(function()
    prepare_layouts()
    s3 = S3.start("logs")
    port = s3.port
    dir = os.tmpname()
    os.remove(dir)
    copy_layouts(dir .. "/local")
    -- every file of every layout, keyed by its path under local/
    local files = T.sh("cd " .. q(dir .. "/local") .. " && find . -type f | sed 's|^./||'")
    for rel in files:gmatch("[^\n]+") do put(dir .. "/local/" .. rel, rel) end
  end)
  teardown(function()
    if s3 then s3:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  for _, named in ipairs(shared_layouts) do
    it("finds the same as the local file for a " .. named.name .. " log", function()
      local l = layout(named.name)
      local local_json = analysis(dir .. "/local/" .. l.name .. "/" .. lname(l))
      local remote = analysis("s3://logs/" .. l.name .. "/" .. lname(l), s3env())
      assert.are.equal(local_json, remote)
      -- and the prefix above it (a "directory" holding that one log)
      assert.are.equal(local_json, analysis("s3://logs/" .. l.name, s3env()))
    end)
  end

  it("sic api and sic serve --logs take the bucket URI", function()
    local out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " api s3://logs/plain applications 2>&1")
    assert(ok, out)
    assert.truthy(out:match('"id" : "' .. pat(layout("plain").id) .. '"'), out)
    local srv = H.start({ "--logs", "s3://logs/rolling" }, s3:env_table())
    local r = srv:get("/api/v1/applications")
    srv:stop()
    assert.are.equal(200, r.status)
    assert.truthy(r.body:match('"id" : "' .. pat(layout("rolling").id) .. '"'), r.body)
  end)

  it("pages through the listing with continuation tokens", function()
    -- s3rver answers 1000 keys per page: put more than that under one prefix
    local tmp = dir .. "/small"
    T.write_file(tmp, "x\n")
    local keys = {}
    for i = 1, 1003 do keys[#keys + 1] = string.format("many/junk-%04d.txt", i) end
    -- one curl process uploading many objects keeps this quick
    local cfg = dir .. "/curl.cfg"
    local lines = {}
    for _, k in ipairs(keys) do
      lines[#lines + 1] = 'upload-file = "' .. tmp .. '"\nurl = "http://127.0.0.1:' .. port .. '/logs/' .. k .. '"'
    end
    T.write_file(cfg, table.concat(lines, "\n") .. "\n")
    local out, ok = T.sh("curl -sS -f --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER " ..
                         "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K " .. q(cfg) .. " 2>&1")
    assert(ok, out)
    local plain = layout("plain").id
    put(dir .. "/local/plain/" .. plain, "many/zz-last/" .. plain)
    out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " logs s3://logs/many 2>&1")
    assert(ok, out)
    -- the one log sorts after every junk key, so it is on the second page
    assert.truthy(out:match("s3://logs/many/zz%-last/" .. pat(plain)), out)
    assert.truthy(out:match("1 log, 1003 files skipped"), out)
  end)

  it("ingest --follow keeps its watermark in the store and resumes after it", function()
    local store = "sqlite://" .. dir .. "/follow.db"
    local cmd = s3env() .. " " .. q(T.sic_bin) .. " ingest --follow --polls 1 --interval 0 --no-analyze --store " ..
                q(store) .. " s3://logs/plain s3://logs/zstd 2>&1"
    local out, ok = T.sh(cmd)
    assert(ok, out)
    assert.truthy(out:match("2 stored, 0 unchanged"), out)
    -- a newer log appears under one of the prefixes: stored; the known ones are unchanged
    os.execute("sleep 1") -- S3 LastModified has second resolution
    local legacy = layout("legacy")
    put(dir .. "/local/legacy/" .. legacy.id .. "/EVENT_LOG_1", "plain/later/EVENT_LOG_1")
    put(dir .. "/local/legacy/" .. legacy.id .. "/SPARK_VERSION_" .. legacy.version, "plain/later/SPARK_VERSION_" .. legacy.version)
    out, ok = T.sh(cmd)
    assert(ok, out)
    assert.truthy(out:match("stored%s+" .. pat(legacy.id)), out)
    assert.truthy(out:match("1 stored, 2 unchanged"), out)
    -- a new process resumes from the watermarks: the log older than its prefix's watermark is
    -- not even looked at
    out, ok = T.sh(cmd)
    assert(ok, out)
    assert.truthy(out:match("0 stored, 2 unchanged"), out)
    assert.falsy(out:match(pat(layout("plain").id)), out)
    assert.truthy(out:match("older than the watermark"), out)
  end)

  it("fails naming the bucket and the status, never the secret key", function()
    local out, ok = T.sh("AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=very-secret-key SIC_HTTP_RETRIES=0 " ..
                         "AWS_ENDPOINT_URL=http://127.0.0.1:" .. port .. " " .. q(T.sic_bin) ..
                         " analyze s3://no-such-bucket/x 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("s3://no%-such%-bucket/x"), out)
    assert.truthy(out:match("HTTP 404"), out)
    assert.truthy(out:match("NoSuchBucket"), out)
    assert.falsy(out:match("very%-secret%-key"), out)
  end)
end)

describe("sources: Azure Blob (azurite)", function()
  local dir, pid, endpoint, sas
  local function azenv(with_sas)
    return "AZURE_STORAGE_BLOB_ENDPOINT=" .. q(endpoint) .. (with_sas and (" AZURE_STORAGE_SAS_TOKEN=" .. q(sas)) or "")
  end
  setup(function()
    prepare_layouts()
    if not T.exists(azurite_bin) then error("azurite is not installed: run `make npm-deps` (make test does)") end
    dir = os.tmpname()
    os.remove(dir)
    copy_layouts(dir .. "/local")
    local log = dir .. "/azurite.log"
    assert(T.sh("mkdir -p " .. q(dir .. "/az") .. " && " .. q(azurite_bin) .. " --blobHost 127.0.0.1 --blobPort 0 --location " ..
                q(dir .. "/az") .. " --silent --skipApiVersionCheck --disableTelemetry >" .. q(log) ..
                " 2>&1 & echo $! >" .. q(dir .. "/pid")))
    local port
    for _ = 1, 300 do
      port = (T.read_file(log) or ""):match("listens on http://127%.0%.0%.1:(%d+)")
      if port then break end
      H.sleep(0.1)
    end
    pid = (T.read_file(dir .. "/pid") or ""):match("%d+")
    assert(port, "azurite did not start: " .. (T.read_file(log) or ""))
    endpoint = "http://127.0.0.1:" .. port .. "/" .. az_account
    local out, ok = T.sh("python3 " .. q(T.source_dir .. "/spec/support/azure_sas.py") .. " " .. az_account .. " " .. q(az_key))
    assert(ok, out)
    sas = out:gsub("%s+$", "")
    out, ok = T.sh("curl -sS -f -X PUT -H 'x-ms-version: 2021-08-06' " .. q(endpoint .. "/logs?restype=container&" .. sas) .. " 2>&1")
    assert(ok, "create container: " .. out)
    local files = T.sh("cd " .. q(dir .. "/local") .. " && find . -type f | sed 's|^./||'")
    for rel in files:gmatch("[^\n]+") do
      out, ok = T.sh("curl -sS -f -X PUT -H 'x-ms-blob-type: BlockBlob' -T " .. q(dir .. "/local/" .. rel) .. " " ..
                     q(endpoint .. "/logs/" .. rel .. "?" .. sas) .. " 2>&1")
      assert(ok, "upload " .. rel .. ": " .. out)
    end
  end)
  teardown(function()
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  for _, named in ipairs(shared_layouts) do
    it("finds the same as the local file for a " .. named.name .. " log (wasbs://, abfss://, https://)", function()
      local l = layout(named.name)
      local local_json = analysis(dir .. "/local/" .. l.name .. "/" .. lname(l))
      assert.are.equal(local_json, analysis("wasbs://logs@" .. az_account .. ".blob.core.windows.net/" .. l.name ..
                                            "/" .. lname(l), azenv(true)))
      assert.are.equal(local_json, analysis("abfss://logs@" .. az_account .. ".dfs.core.windows.net/" .. l.name, azenv(true)))
      assert.are.equal(local_json, analysis("https://" .. az_account .. ".blob.core.windows.net/logs/" .. l.name .. "?" .. sas,
                                            azenv(false)))
    end)
  end

  it("without a SAS the store refuses, and a SAS in the URL is never printed", function()
    local out, ok = T.sh(azenv(false) .. " SIC_HTTP_RETRIES=0 " .. q(T.sic_bin) .. " logs wasbs://logs@" .. az_account ..
                         ".blob.core.windows.net/plain 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("HTTP 403"), out)
    assert.truthy(out:match("wasbs://logs@devstoreaccount1%.blob%.core%.windows%.net/plain"), out)
    local sig = sas:match("sig=([^&]+)")
    out, ok = T.sh(azenv(false) .. " SIC_HTTP_RETRIES=0 " .. q(T.sic_bin) .. " logs " ..
                   q("https://" .. az_account .. ".blob.core.windows.net/nocontainer/x?" .. sas) .. " 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("HTTP 404"), out)
    assert.falsy(out:find(sig, 1, true), out)
  end)
end)
