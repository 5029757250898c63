-- sources/ object stores, the parts added for following and credentials:
--  * a rolling eventlog_v2_* log growing on s3rver between `ingest --follow` polls: each poll
--    (a new process, resuming from the store's watermark) fetches only parts it has not seen,
--    counted from s3rver's own request log, and the stored findings equal a local ingest of the
--    whole directory; without the part cache the old parts are fetched again (the control);
--  * zip archives (History Server /logs downloads) in a bucket, read in place with ranged
--    GETs: the same analysis as the local zip;
--  * Azure Shared Key against Azurite (which checks the signatures), from AZURE_STORAGE_KEY and
--    from a connection string; AWS profiles from ~/.aws against s3rver.
-- Secrets never appear in any output.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local S3 = require "s3rver"
local AZ = require "azurite"
local q = T.shell_quote

-- A real rolling log (zstd parts) and a real plain log when ../shared is there; otherwise the
-- same layouts built from generated logs (spec/support/example_logs.lua).
local rolling_src, rolling_app, plain_src
if T.has_shared("spark-events") then
  rolling_app = "local-1623876083964"
  rolling_src = T.shared("spark-events/spark-rapids-tools/spark-events-qualification/eventlog_v2_" .. rolling_app)
  plain_src = T.shared("spark-events/spark/local-1422981759269")
else
  rolling_src, rolling_app = T.example.rolling({ seed = 11, tasks = 400 })
  plain_src = T.example.log({ seed = 12, tasks = 300 })
end

local function basename(p) return p:match("([^/]+)/*$") end

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

-- s3rver's request log after line `from`: one {key, status, bytes} per answered request
-- ("<key> <status> <n>ms <size>b|kb|mb").
local function requests(s3, from)
  local log = T.read_file(s3.dir .. "/s3rver.log") or ""
  local out, n = {}, 0
  for line in log:gmatch("[^\n]+") do
    n = n + 1
    if n > from then
      local key, status, size, unit = line:match("info%S*: (%S+) (%d%d%d) %d+ms ([%d%.]+)(%a+)")
      if key then
        local mult = ({ b = 1, kb = 1024, mb = 1024 * 1024 })[unit] or 1
        out[#out + 1] = { key = key, status = tonumber(status), bytes = tonumber(size) * mult }
      end
    end
  end
  return out, n
end

local function log_lines(s3)
  local _, n = requests(s3, math.huge)
  return n
end

local function fetched(reqs, pattern)
  local count, bytes = 0, 0
  for _, r in ipairs(reqs) do
    if r.key:find(pattern, 1, true) and (r.status == 200 or r.status == 206) then
      count, bytes = count + 1, bytes + r.bytes
    end
  end
  return count, bytes
end

-- The stored findings of the one attempt of a SQLite store, as text.
local function stored_findings(db)
  local out, ok = T.sh("sqlite3 " .. q(db) .. " " .. q("SELECT seq, finding_id, severity, title, entity, evidence, " ..
                       "recommendation, impact, rule FROM findings ORDER BY attempt_key, seq") .. " 2>&1")
  assert(ok, out)
  return out
end

describe("sources: object stores (s3rver)", function()
  local s3, dir, part1, part2, size2
  local function s3env() return s3:env() end
  local function delete(key)
    local out, ok = T.sh("curl -sS -f -X DELETE --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER " ..
                         "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' " ..
                         q("http://127.0.0.1:" .. s3.port .. "/" .. s3.bucket .. "/" .. key) .. " 2>&1")
    assert(ok, "delete " .. key .. ": " .. out)
  end
  setup(function()
    s3 = S3.start("logs")
    dir = os.tmpname()
    os.remove(dir)
    assert(T.sh("mkdir -p " .. q(dir .. "/zips") .. " && cp -r " .. q(rolling_src) .. " " ..
                q(plain_src) .. " " .. q(dir) .. " && chmod -R u+w " .. q(dir)))
    part1 = "events_1_" .. rolling_app .. ".zstd"
    part2 = "events_2_" .. rolling_app .. ".zstd"
    size2 = #T.read_file(dir .. "/eventlog_v2_" .. rolling_app .. "/" .. part2)
    T.write_file(dir .. "/empty", "")
    -- zips as a History Server's /logs answers them: deflated members, a rolling directory inside
    local rolling = "eventlog_v2_" .. rolling_app
    local plain = basename(plain_src)
    assert(T.sh("cd " .. q(dir) .. " && zip -qr zips/rolling.zip " .. rolling .. " && zip -q zips/plain.zip " .. plain ..
                " && zip -qr zips/two.zip " .. rolling .. " " .. plain .. " && head -c 3000 zips/plain.zip > broken.zip"))
    for _, z in ipairs({ "rolling", "plain", "two" }) do s3:put(dir .. "/zips/" .. z .. ".zip", "zips/" .. z .. ".zip") end
  end)
  teardown(function()
    if s3 then s3:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  -- One poll of `ingest --follow` in a new process (it resumes from the store's watermark).
  local function poll(prefix, db, cache)
    local out, ok = T.sh(s3env() .. " SIC_PART_CACHE=" .. q(cache) .. " " .. q(T.sic_bin) ..
                         " ingest --follow --polls 1 --interval 0 --store " .. q("sqlite://" .. db) ..
                         " s3://logs/" .. prefix .. " 2>&1")
    assert(ok, out)
    return out
  end

  -- The rolling log under prefix as an in-progress application with its first part, then
  -- (after one poll) complete with both.
  local function grow(prefix, db, cache)
    local d = prefix .. "/eventlog_v2_" .. rolling_app .. "/"
    local src = dir .. "/eventlog_v2_" .. rolling_app .. "/"
    s3:put(src .. part1, d .. part1)
    s3:put(dir .. "/empty", d .. "appstatus_" .. rolling_app .. ".inprogress")
    local from = log_lines(s3)
    local first = poll(prefix, db, cache)
    local polls = { { out = first, reqs = (requests(s3, from)) } }
    os.execute("sleep 1") -- S3 LastModified has second resolution: the new part is newer than the watermark
    s3:put(src .. part2, d .. part2)
    s3:put(dir .. "/empty", d .. "appstatus_" .. rolling_app)
    delete(d .. "appstatus_" .. rolling_app .. ".inprogress")
    for _ = 1, 2 do
      from = log_lines(s3)
      local out = poll(prefix, db, cache)
      polls[#polls + 1] = { out = out, reqs = (requests(s3, from)) }
    end
    return polls
  end

  it("ingest --follow of a growing rolling log fetches only its new parts; findings equal the local log's", function()
    local polls = grow("grow", dir .. "/follow.db", dir .. "/cache")
    -- poll 1: the in-progress application with its one part, fetched
    assert.truthy(polls[1].out:match("stored%s+" .. rolling_app:gsub("%-", "%%-")), polls[1].out)
    assert.is_true((fetched(polls[1].reqs, part1)) >= 1)
    -- poll 2: the application grew by a part and completed: only the new part is fetched
    assert.truthy(polls[2].out:match("replaced%s+" .. rolling_app:gsub("%-", "%%-")), polls[2].out)
    local n1 = fetched(polls[2].reqs, part1)
    local n2, bytes2 = fetched(polls[2].reqs, part2)
    assert.are.equal(0, n1)
    assert.is_true(n2 >= 1)
    -- s3rver logs sizes rounded to 0.01 kb: the new part once, plus its 16-byte codec sniff
    assert.is_true(bytes2 >= size2 - 16 and bytes2 <= size2 + 64, "fetched " .. bytes2 .. " of " .. size2)
    assert.truthy(polls[2].out:match("remote parts: 1 fetched %(" .. size2 .. " bytes%), 1 read from the part cache"),
                  polls[2].out)
    -- poll 3: complete and known: no object is read at all (listings only)
    assert.truthy(polls[3].out:match("0 stored, 1 unchanged"), polls[3].out)
    assert.are.equal(0, (fetched(polls[3].reqs, "events_")))
    -- the analysis covered the whole application: as a local ingest of the complete directory
    local out, ok = T.sh(q(T.sic_bin) .. " ingest --store " .. q("sqlite://" .. dir .. "/local.db") .. " " ..
                         q(dir .. "/eventlog_v2_" .. rolling_app) .. " 2>&1")
    assert(ok, out)
    assert.are.equal(out:match("rows=(%d+)"), polls[2].out:match("rows=(%d+)"))
    assert.are.equal(out:match("findings=(%d+)"), polls[2].out:match("findings=(%d+)"))
    local findings = stored_findings(dir .. "/local.db")
    assert.truthy(#findings > 0)
    assert.are.equal(findings, stored_findings(dir .. "/follow.db"))
  end)

  it("without the part cache the earlier parts are fetched again (the control)", function()
    local polls = grow("grow-nocache", dir .. "/nocache.db", "off")
    assert.truthy(polls[2].out:match("replaced"), polls[2].out)
    assert.is_true((fetched(polls[2].reqs, part1)) >= 1)
    assert.truthy(polls[2].out:match("remote parts: 2 fetched %(%d+ bytes%), 0 read from the part cache"), polls[2].out)
  end)

  it("reads zips in a bucket in place, with the findings of the local zip", function()
    for _, z in ipairs({ "rolling", "plain" }) do
      local from = log_lines(s3)
      assert.are.equal(analysis(dir .. "/zips/" .. z .. ".zip"), analysis("s3://logs/zips/" .. z .. ".zip", s3env()))
      -- ranged reads only: the archive is never downloaded whole
      for _, r in ipairs((requests(s3, from))) do
        if r.key == "zips/" .. z .. ".zip" then assert.are.equal(206, r.status, r.key) end
      end
    end
    -- an archive of two logs: each named inside it, as on disk
    local out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " logs s3://logs/zips 2>&1")
    assert(ok, out)
    local local_out = T.sh(q(T.sic_bin) .. " logs " .. q(dir .. "/zips") .. " 2>&1")
    assert.are.equal(local_out:gsub(dir:gsub("%p", "%%%0") .. "/zips", "s3://logs/zips"), out)
    assert.truthy(out:match("s3://logs/zips/two%.zip!/eventlog_v2_"), out)
    assert.are.equal(analysis(dir .. "/zips/two.zip"), analysis("s3://logs/zips/two.zip", s3env()))
  end)

  it("skips a damaged zip among other objects and fails on it alone, naming it", function()
    s3:put(dir .. "/broken.zip", "bad/broken.zip")
    s3:put(dir .. "/zips/plain.zip", "bad/plain.zip")
    local out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " logs s3://logs/bad 2>&1")
    assert(ok, out)
    assert.truthy(out:match("1 log, 1 file skipped"), out)
    out, ok = T.sh(s3env() .. " " .. q(T.sic_bin) .. " analyze s3://logs/bad/broken.zip 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("s3://logs/bad/broken%.zip: no end%-of%-central%-directory record"), out)
  end)

  it("takes keys, region and endpoint from an AWS profile (~/.aws), never printing the secret", function()
    local home = dir .. "/home"
    assert(T.sh("mkdir -p " .. q(home .. "/.aws")))
    T.write_file(home .. "/.aws/credentials", "[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER-profile-secret\n")
    T.write_file(home .. "/.aws/config", "[profile ci]\nregion = us-east-1\ns3 =\n  endpoint_url = http://127.0.0.1:" ..
                 s3.port .. "\n")
    local base = "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 -u AWS_REGION " ..
                 "HOME=" .. q(home) .. " "
    -- (the same HOME for both: the analysis names the knowledge base it looked for under it)
    assert.are.equal(analysis(dir .. "/zips/plain.zip", "HOME=" .. q(home)),
                     analysis("s3://logs/zips/plain.zip", base .. "AWS_PROFILE=ci"))
    local out, ok = T.sh(base .. "AWS_PROFILE=nosuch " .. q(T.sic_bin) .. " logs s3://logs/zips 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("AWS profile 'nosuch'"), out)
    T.write_file(home .. "/.aws/credentials", "[ci]\naws_secret_access_key S3RVER-profile-secret\n")
    out, ok = T.sh(base .. "AWS_PROFILE=ci " .. q(T.sic_bin) .. " logs s3://logs/zips 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("credentials: line 2"), out)
    assert.falsy(out:match("profile%-secret"), out)
  end)
end)

describe("sources: Azure Shared Key (azurite)", function()
  local az, dir
  setup(function()
    az = AZ.start()
    dir = os.tmpname()
    os.remove(dir)
    assert(T.sh("mkdir -p " .. q(dir) .. " && cp -r " .. q(rolling_src) .. " " ..
                q(plain_src) .. " " .. q(dir) .. " && chmod -R u+w " .. q(dir)))
    az:container("logs")
    local files = T.sh("cd " .. q(dir) .. " && find . -type f | sed 's|^./||'")
    for rel in files:gmatch("[^\n]+") do az:put(dir .. "/" .. rel, "logs", "k/" .. rel) end
  end)
  teardown(function()
    if az then az:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  it("signs with AZURE_STORAGE_KEY and with a connection string: the same analysis as the local logs", function()
    local conn = "AZURE_STORAGE_CONNECTION_STRING=" .. q("DefaultEndpointsProtocol=http;AccountName=" .. AZ.account ..
                 ";AccountKey=" .. AZ.key .. ";BlobEndpoint=" .. az.endpoint .. ";")
    for _, rel in ipairs({ plain_src, rolling_src }) do
      local name = basename(rel)
      local local_json = analysis(dir .. "/" .. name)
      assert.are.equal(local_json, analysis("wasbs://logs@" .. AZ.account .. ".blob.core.windows.net/k/" .. name, az:key_env()))
      assert.are.equal(local_json, analysis("abfss://logs@" .. AZ.account .. ".dfs.core.windows.net/k/" .. name, conn))
    end
  end)

  it("a wrong key is refused by the store (403) and no key is ever printed", function()
    local wrong = AZ.key:gsub("^Eby8", "Eby9")
    local out, ok = T.sh("AZURE_STORAGE_BLOB_ENDPOINT=" .. q(az.endpoint) .. " AZURE_STORAGE_KEY=" .. q(wrong) ..
                         " SIC_HTTP_RETRIES=0 " .. q(T.sic_bin) .. " logs wasbs://logs@" .. AZ.account ..
                         ".blob.core.windows.net/k 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("HTTP 403"), out)
    assert.truthy(out:match("wasbs://logs@devstoreaccount1%.blob%.core%.windows%.net/k"), out)
    assert.falsy(out:find(wrong:sub(1, 20), 1, true), out)
    -- a key for another account than the URL's: said before any request
    out, ok = T.sh(az:key_env():gsub("AZURE_STORAGE_ACCOUNT=%S+", "AZURE_STORAGE_ACCOUNT=other") .. " " .. q(T.sic_bin) ..
                   " logs wasbs://logs@" .. AZ.account .. ".blob.core.windows.net/k 2>&1")
    assert.is_false(ok)
    assert.truthy(out:match("account 'other'.*account 'devstoreaccount1'"), out)
    assert.falsy(out:find(AZ.key:sub(1, 20), 1, true), out)
  end)
end)
