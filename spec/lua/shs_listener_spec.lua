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
