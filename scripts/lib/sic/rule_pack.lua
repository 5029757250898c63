-- sic.rule_pack: rule packs - a script directory (given with --scripts / SIC_SCRIPTS, or a git
-- checkout of one) holding rules/*.lua plus a manifest, sic-pack.lua:
--
--   return {
--     name = "acme-spark-rules", version = "1.2.0", api = 1,
--     description = "ACME's house rules",
--     thresholds = { ["skew.task_duration"] = { min_ratio = 4 } },   -- any loaded rule
--     disable = { "config.speculation" },                            -- rule ids turned off
--   }
--
-- Precedence of a threshold, lowest first: the rule's default, a rule set's `overrides`, the
-- pack manifest, sic.lua (--config), --set. Loaded under the sandbox like any script; an error
-- names the manifest. Engine:load_config calls apply(), so Engine:reload re-reads manifests
-- inside the same transaction (a broken manifest keeps the previous version running).
local rule_api = require "sic.rule_api"

local M = {}

M.MANIFEST = "sic-pack.lua"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local KNOWN = { name = true, version = true, api = true, description = true, thresholds = true, disable = true }

-- Validate a manifest table; returns it or raises "path: what is wrong".
function M.validate(m, path)
  if type(m) ~= "table" then error(path .. ": a pack manifest must return a table", 0) end
  if type(m.name) ~= "string" or not m.name:match("^[%w_.%-]+$") then
    error(path .. ": 'name' must be a string of letters, digits, '_', '.', '-'", 0)
  end
  if type(m.version) ~= "string" and type(m.version) ~= "number" then error(path .. ": 'version' must be a string", 0) end
  if m.api == nil then error(path .. ": 'api' is required (this sic implements rule API " .. rule_api.API .. ")", 0) end
  local problem = rule_api.check_api(m.api, path)
  if problem then error(problem, 0) end
  if m.thresholds ~= nil and type(m.thresholds) ~= "table" then error(path .. ": 'thresholds' must be a table", 0) end
  for id, t in pairs(m.thresholds or {}) do
    if type(t) ~= "table" then error(string.format("%s: thresholds[%q] must be a table", path, tostring(id)), 0) end
  end
  if m.disable ~= nil and type(m.disable) ~= "table" then error(path .. ": 'disable' must be a list of rule ids", 0) end
  for k in pairs(m) do
    if not KNOWN[k] then error(string.format("%s: unknown manifest field '%s'", path, tostring(k)), 0) end
  end
  return m
end

-- Lower-priority merge: only what config/--set did not already say.
local function merge(overrides, id, source, thresholds, enabled)
  local dst = overrides[id]
  if not dst then dst = { thresholds = {}, source = source } overrides[id] = dst end
  for k, v in pairs(thresholds or {}) do if dst.thresholds[k] == nil then dst.thresholds[k] = v end end
  if enabled ~= nil and dst.enabled == nil then dst.enabled = enabled end
end

-- The packs of an engine's user dirs (the last dir is the built-in one: never a pack).
function M.find(engine)
  local out = {}
  for i, d in ipairs(engine.dirs) do
    local p = d .. "/" .. M.MANIFEST
    if exists(p) then out[#out + 1] = { dir = d, path = p, priority = i } end
  end
  return out
end

-- Merge every pack manifest and every rule set's disable/overrides into overrides. Raises on
-- a bad manifest. Returns the list of packs { name, version, api, dir, path, sets = {...} }.
function M.apply(engine, overrides)
  local packs = {}
  for _, p in ipairs(M.find(engine)) do
    local m = M.validate(engine:compile_module(p.path), p.path)
    p.name, p.version, p.api, p.description = m.name, tostring(m.version), m.api, m.description
    p.sets = {}
    for _, rec in pairs(engine.rulesets or {}) do
      if rec.path and rec.path:sub(1, #p.dir + 1) == p.dir .. "/" then p.sets[#p.sets + 1] = rec.path end
    end
    table.sort(p.sets)
    for id, t in pairs(m.thresholds or {}) do merge(overrides, id, p.path, t) end
    for _, id in ipairs(m.disable or {}) do merge(overrides, id, p.path, nil, false) end
    packs[#packs + 1] = p
  end
  -- rule sets: `disable` and `overrides` of other rules (lowest priority)
  for _, name in ipairs(engine.rule_order or {}) do
    local rec = engine.rulesets[name]
    local set = rec and rec.mod
    if set then
      for _, id in ipairs(set.disable or {}) do merge(overrides, id, set.path, nil, false) end
      for id, o in pairs(set.overrides or {}) do
        if type(o) ~= "table" then error(string.format("%s: overrides[%q] must be a table", set.path, tostring(id)), 0) end
        local th = {}
        for k, v in pairs(o) do if k ~= "enabled" then th[k] = v end end
        merge(overrides, id, set.path, th, o.enabled)
      end
    end
  end
  return packs
end

return M
