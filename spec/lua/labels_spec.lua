-- Precision and recall of the analysis agents against the labelled test set
-- (spec/data/labels.lua, labels from reading the real logs independently of sic).
-- ctest-label: needs-shared-data (every case reads the real data; pending without it)
local T = require "spec_helper"
local U = require "luahost_util"
local sic = require "sic"

local function load_labels()
  local dir = debug.getinfo(1, "S").source:sub(2):match("^(.*)/lua/[^/]+$")
  return dofile(dir .. "/data/labels.lua")
end

local function score(tp, fp, fn)
  local p = tp + fp > 0 and tp / (tp + fp) or 1
  local r = tp + fn > 0 and tp / (tp + fn) or 1
  return p, r
end

describe("analysis agents on the labelled real logs", function()
  it("find skewed stages, their cause, over-provisioned apps, spilling partitions and exploding joins with high precision and recall", function()
    if not T.exists(T.shared("spark-events")) then return pending("needs shared data") end
    local labels = load_labels()
    local c = { skew = { 0, 0, 0 }, cause = { 0, 0 }, over = { 0, 0, 0 }, spill = { 0, 0, 0 }, join = { 0, 0, 0 } }
    local misses = {}
    for _, l in ipairs(labels.apps) do
      local app = assert(sic.load(T.shared("spark-events/" .. l.log)))
      local report = U.engine({}):load():run(app)
      assert.equal(0, report.errors, l.log)
      local found, over, spill, joins = {}, false, {}, {}
      -- per entity: a grouped finding lists its stages as members (U.entities)
      for _, f in ipairs(U.entities(report.findings, "skew.task_duration")) do
        found[f.entity.stage_id .. "." .. f.entity.attempt_id] = f.evidence.cause
      end
      over = #U.entities(report.findings, "resources.idle_executors") > 0
      for _, f in ipairs(U.entities(report.findings, "partition.spill")) do
        spill[f.entity.stage_id .. "." .. f.entity.attempt_id] = true
      end
      for _, f in ipairs(U.entities(report.findings, "sql.exploding_join")) do joins[f.entity.execution_id] = true end
      for stage, cause in pairs(l.skewed or {}) do
        if found[stage] then
          c.skew[1] = c.skew[1] + 1
          local got = found[stage] == "data" and "data" or "straggler"
          if got == cause then c.cause[1] = c.cause[1] + 1 else
            misses[#misses + 1] = string.format("%s stage %s: cause %s, labelled %s", l.log, stage, found[stage], cause) end
          c.cause[2] = c.cause[2] + 1
        else
          c.skew[3] = c.skew[3] + 1
          misses[#misses + 1] = string.format("%s stage %s: skew missed", l.log, stage)
        end
      end
      for stage in pairs(found) do
        if not (l.skewed or {})[stage] then
          c.skew[2] = c.skew[2] + 1
          misses[#misses + 1] = string.format("%s stage %s: skew false positive", l.log, stage)
        end
      end
      local want = l.over_provisioned == true
      if want and over then c.over[1] = c.over[1] + 1
      elseif over then c.over[2] = c.over[2] + 1 misses[#misses + 1] = l.log .. ": over-provisioned false positive"
      elseif want then c.over[3] = c.over[3] + 1 misses[#misses + 1] = l.log .. ": over-provisioned missed" end
      local want_join = {}
      for _, id in ipairs(l.exploding_sql or {}) do want_join[id] = true end
      for id in pairs(want_join) do
        if joins[id] then c.join[1] = c.join[1] + 1 else c.join[3] = c.join[3] + 1 misses[#misses + 1] = l.log .. ": exploding join missed" end
      end
      for id in pairs(joins) do
        if not want_join[id] then c.join[2] = c.join[2] + 1 misses[#misses + 1] = l.log .. ": exploding join false positive" end
      end
      if l.spill_stages then
        local want_spill = {}
        for _, s in ipairs(l.spill_stages) do want_spill[s] = true end
        for s in pairs(want_spill) do if spill[s] then c.spill[1] = c.spill[1] + 1 else c.spill[3] = c.spill[3] + 1 end end
        for s in pairs(spill) do if not want_spill[s] then c.spill[2] = c.spill[2] + 1 end end
      end
    end
    local sp, sr = score(c.skew[1], c.skew[2], c.skew[3])
    local op, orc = score(c.over[1], c.over[2], c.over[3])
    local pp, pr = score(c.spill[1], c.spill[2], c.spill[3])
    local jp, jr = score(c.join[1], c.join[2], c.join[3])
    local cause_acc = c.cause[2] > 0 and c.cause[1] / c.cause[2] or 1
    io.stderr:write(string.format("\nlabels: %d apps\n  skewed stages: precision %.2f recall %.2f (tp %d fp %d fn %d)\n" ..
      "  skew cause (data vs straggler) accuracy %.2f over %d\n  over-provisioned apps: precision %.2f recall %.2f " ..
      "(tp %d fp %d fn %d)\n  spilling partitions: precision %.2f recall %.2f\n  exploding joins: precision %.2f recall %.2f (tp %d)\n", #labels.apps, sp, sr, c.skew[1],
      c.skew[2], c.skew[3], cause_acc, c.cause[2], op, orc, c.over[1], c.over[2], c.over[3], pp, pr, jp, jr, c.join[1]))
    for _, m in ipairs(misses) do io.stderr:write("  miss: " .. m .. "\n") end
    assert.is_true(sp >= 0.9 and sr >= 0.9, "skew precision/recall")
    assert.is_true(cause_acc >= 0.9, "skew cause accuracy")
    assert.is_true(op >= 0.85 and orc >= 0.85, "over-provisioning precision/recall")
    assert.is_true(pp >= 0.9 and pr >= 0.9, "spill precision/recall")
    assert.is_true(jp >= 0.9 and jr >= 0.9, "exploding join precision/recall")
  end)
end)
