-- `sic api` derives executor state as the History Server's listener does (issue 16):
-- exclusion and its node-level form (never the driver, only live executors), peakMemoryMetrics
-- only when executor metrics arrived, push-based shuffle reads under every spelling Spark
-- wrote. Logs are real ones, or real ones with events edited by the test.
local T = require "spec_helper"
local U = require "luahost_util"
local cjson = require "cjson"

local function api(dir, path)
  local r = T.run_sic({ "api", dir, path })
  assert.equal(0, r.code, r.stderr)
  return cjson.decode(r.stdout)
end

describe("History Server executor state", function()
  it("excludes the executors of an excluded node but never the driver on it", function()
    local dir = T.need_shared("spark-events/spark")
    if not dir then return end
    -- app-20161116163331-0000: ExecutorBlacklisted 0 and 2, then NodeBlacklisted 172.22.0.167,
    -- the host of the driver and of all four executors
    local by = {}
    for _, e in ipairs(api(dir, "applications/app-20161116163331-0000/executors")) do by[e.id] = e end
    assert.is_false(by.driver.isExcluded)
    assert.is_false(by.driver.isBlacklisted)
    for _, id in ipairs { "0", "1", "2", "3" } do
      assert.is_true(by[id].isExcluded, id)
      assert.is_true(by[id].isBlacklisted, id)
    end
    -- the driver ran no task and sent no metrics: no peakMemoryMetrics, the executors have them
    assert.is_nil(by.driver.peakMemoryMetrics)
    for _, id in ipairs { "0", "1", "2", "3" } do assert.is_table(by[id].peakMemoryMetrics, id) end
  end)

  it("does not exclude an executor removed before the exclusion", function()
    local src = T.need_shared("spark-events/spark/app-20161116163331-0000")
    if not src then return end
    local lines, out, removed = {}, {}, false
    for l in T.read_file(src):gmatch("[^\n]+") do lines[#lines + 1] = l end
    for _, l in ipairs(lines) do
      -- executor 1 leaves before the node exclusion
      if not removed and l:find("SparkListenerNodeBlacklisted", 1, true) then
        out[#out + 1] = '{"Event":"SparkListenerExecutorRemoved","Timestamp":1479335617000,"Executor ID":"1","Removed Reason":"test"}'
        removed = true
      end
      out[#out + 1] = l
    end
    assert.is_true(removed)
    local dir = U.mkdtemp()
    T.write_file(dir .. "/app-20161116163331-0000", table.concat(out, "\n") .. "\n")
    local by = {}
    for _, e in ipairs(api(dir, "applications/app-20161116163331-0000/allexecutors") ) do by[e.id] = e end
    U.rmtree(dir)
    assert.is_false(by["1"].isExcluded)
    assert.is_true(by["3"].isExcluded)
    assert.is_false(by.driver.isExcluded)
  end)

  for _, spelling in ipairs { "nested-push-based", "nested-shuffle-push", "flat" } do
    it("reads push-based shuffle read metrics written as " .. spelling, function()
      local src = T.need_shared("spark-events/spark/local-1430917381534")
      if not src then return end
      local push = '"Merged Remote Bytes Read":4096,"Merged Local Blocks Fetched":3,"Corrupt Merged Block Chunks":1'
      local text, n = T.read_file(src):gsub('("Task ID":103,.-"Total Records Read":100)}', function(head)
        if spelling == "flat" then return head .. "," .. push .. "}" end
        local key = spelling == "nested-push-based" and "Push Based Shuffle" or "Shuffle Push Read Metrics"
        return head .. ',"' .. key .. '":{' .. push .. "}}"
      end, 1)
      assert.equal(1, n)
      local dir = U.mkdtemp()
      T.write_file(dir .. "/local-1430917381534", text)
      local tasks = api(dir, "applications/local-1430917381534/stages/1/0/taskList?length=200")
      U.rmtree(dir)
      local t
      for _, x in ipairs(tasks) do if x.taskId == 103 then t = x end end
      assert.is_not_nil(t)
      local p = t.taskMetrics.shuffleReadMetrics.shufflePushReadMetrics
      assert.equal(4096, p.remoteMergedBytesRead)
      assert.equal(3, p.localMergedBlocksFetched)
      assert.equal(1, p.corruptMergedBlockChunks)
      assert.equal(17100, t.taskMetrics.shuffleReadMetrics.localBytesRead)
    end)
  end
end)

-- The same listener semantics on a generated log with the events edited in by the test (a
-- clone without ../shared runs these): the driver is moved onto one executor's host, which is
-- then excluded; expected states come from the log's own lines.
describe("History Server executor state on a generated log", function()
  local E = T.example

  -- Lines of the generated log, the executor ids by host, and the excluded host: the host of
  -- the first executor added that is never removed.
  local function subject()
    local path = E.log({ seed = 41, tasks = 300 })
    local f = E.facts(path)
    local lines, host_of, on = {}, {}, {}
    for l in T.read_file(path):gmatch("[^\n]+") do
      lines[#lines + 1] = l
      local id, host = l:match('^{"Event":"SparkListenerExecutorAdded".-"Executor ID":"([^"]+)","Executor Info":{"Host":"([^"]+)"')
      if id then host_of[id] = host end
    end
    local host
    for _, id in ipairs(f.executors) do if not f.removed[id] then host = host_of[id] break end end
    for id, h in pairs(host_of) do if h == host then on[#on + 1] = id end end
    return lines, f, host, on, host_of
  end

  -- The log with the driver on host, lines from extra(line) inserted before each line, and the
  -- node exclusion (both spellings, as Spark 3.x posts them) before ApplicationEnd.
  local function edited(lines, f, host, extra)
    local out = {}
    for _, l in ipairs(lines) do
      if l:find('"Event":"SparkListenerBlockManagerAdded"', 1, true) and l:find('"Executor ID":"driver"', 1, true) then
        l = l:gsub('"Host":"[^"]+"', '"Host":"' .. host .. '"', 1)
      end
      for _, x in ipairs(extra and extra(l) or {}) do out[#out + 1] = x end
      if l:find('"Event":"SparkListenerApplicationEnd"', 1, true) then
        local t = f.end_ms - 1000
        out[#out + 1] = ('{"Event":"SparkListenerNodeBlacklisted","time":%d,"hostId":"%s","executorFailures":2}'):format(t, host)
        out[#out + 1] = ('{"Event":"SparkListenerNodeExcluded","time":%d,"hostId":"%s","executorFailures":2}'):format(t, host)
      end
      out[#out + 1] = l
    end
    local dir = E.tmpdir()
    T.write_file(dir .. "/" .. f.id, table.concat(out, "\n") .. "\n")
    return dir
  end

  it("excludes the executors of an excluded node but never the driver on it", function()
    local lines, f, host, on = subject()
    local dir = edited(lines, f, host)
    local by, live = {}, 0
    for _, e in ipairs(api(dir, "applications/" .. f.id .. "/executors")) do by[e.id] = e live = live + 1 end
    assert.are.equal(f.executors_added - f.executors_removed + 1, live)
    assert.is_false(by.driver.isExcluded)
    assert.is_false(by.driver.isBlacklisted)
    local excluded = {}
    for _, id in ipairs(on) do excluded[id] = true end
    for id, e in pairs(by) do
      if id ~= "driver" then
        assert.are.equal(excluded[id] == true, e.isExcluded, id)
        assert.are.equal(excluded[id] == true, e.isBlacklisted, id)
      end
    end
    -- the driver ran no task and sent no metrics: no peakMemoryMetrics; executors that ran tasks have them
    assert.is_nil(by.driver.peakMemoryMetrics)
    for _, id in ipairs(on) do assert.is_table(by[id].peakMemoryMetrics, id) end
  end)

  it("does not exclude an executor removed before the exclusion", function()
    local lines, f, host, on = subject()
    local gone = on[1]
    local dir = edited(lines, f, host, function(l)
      if l:find('"Event":"SparkListenerApplicationEnd"', 1, true) then
        return { ('{"Event":"SparkListenerExecutorRemoved","Timestamp":%d,"Executor ID":"%s","Removed Reason":"test"}')
          :format(f.end_ms - 2000, gone) }
      end
    end)
    local by = {}
    for _, e in ipairs(api(dir, "applications/" .. f.id .. "/allexecutors")) do by[e.id] = e end
    assert.is_false(by[gone].isExcluded)
    assert.is_false(by.driver.isExcluded)
    for _, id in ipairs(on) do if id ~= gone then assert.is_true(by[id].isExcluded, id) end end
    -- an executor removed earlier by the run itself, on another host, was never excluded
    for id in pairs(f.removed) do assert.is_false(by[id].isExcluded, id) end
  end)

  for _, spelling in ipairs { "nested-push-based", "nested-shuffle-push", "flat" } do
    it("reads push-based shuffle read metrics written as " .. spelling, function()
      local path = E.log({ seed = 41, tasks = 300 })
      local f = E.facts(path)
      local push = '"Merged Remote Bytes Read":4096,"Merged Local Blocks Fetched":3,"Corrupt Merged Block Chunks":1'
      local task, stage, local_bytes
      -- the first task that read shuffle records: its own "Push Based Shuffle" is replaced
      local text, n = T.read_file(path):gsub('{"Event":"SparkListenerTaskEnd"[^\n]-"Total Records Read":[1-9][^\n]*', function(l)
        if task then return nil end
        task, stage = tonumber(l:match('"Task ID":(%d+)')), tonumber(l:match('"Stage ID":(%d+)'))
        local_bytes = tonumber(l:match('"Shuffle Read Metrics":{[^}]-"Local Bytes Read":(%d+)'))
        local nested = spelling == "nested-push-based" and "Push Based Shuffle" or "Shuffle Push Read Metrics"
        local repl = spelling == "flat" and "," .. push or ',"' .. nested .. '":{' .. push .. "}"
        return (l:gsub(',"Push Based Shuffle":{[^}]*}', function() return repl end, 1))
      end)
      assert.is_not_nil(task, "a task that read shuffle data")
      assert.is_true(n > 0)
      local dir = E.tmpdir()
      T.write_file(dir .. "/" .. f.id, text)
      local tasks = api(dir, "applications/" .. f.id .. "/stages/" .. stage .. "/0/taskList?length=1000")
      local t
      for _, x in ipairs(tasks) do if x.taskId == task then t = x end end
      assert.is_not_nil(t)
      local p = t.taskMetrics.shuffleReadMetrics.shufflePushReadMetrics
      assert.equal(4096, p.remoteMergedBytesRead)
      assert.equal(3, p.localMergedBlocksFetched)
      assert.equal(1, p.corruptMergedBlockChunks)
      assert.equal(local_bytes, t.taskMetrics.shuffleReadMetrics.localBytesRead)
    end)
  end
end)
