-- sic.consolidate: one finding per problem.
--
-- The graph runs rules entity by entity, so one cause seen on twelve stages arrives as twelve
-- findings, and two rules that diagnose the same problem arrive twice on the same stage. The
-- engine (sic.engine, after each agent's layer) folds them here:
--
--  * group: findings of one rule with the same advice (the same entity kind, the same set of
--    recommended settings, and the same rule.group_key(evidence) when the rule has one)
--    become ONE finding. Its `members` keep every entity's own entity/evidence/
--    recommendation/impact, largest impact first; `entity` names them all ({kind, key =
--    "3 stages: 4.0, 7.0, 9.0", keys = {...}, count}); `evidence` is the top member's; the
--    impact is the members' sum; a setting the members disagree on takes rule.combine(key,
--    values) when the rule has it, else the largest value (sizes and numbers compared by
--    value), else the top member's. A rule with group = false is never grouped.
--  * defer: a rule with defers_to = { "other.rule", ... } gives up any entity on which one of
--    those rules also fired: that member moves into the other finding's `related` list
--    (its evidence kept, its impact not counted twice) and the rest of the finding stays.
--
-- Both work on plain finding tables in place, so the layers that later agents read and the
-- report's list stay one set of tables. Findings that are not tables with a string id (the
-- engine reports those as rule_error) pass through untouched.
local M = {}

local SEV = { info = 0, low = 1, medium = 2, high = 3, critical = 4 }
local PLURAL = { stage = "stages", executor = "executors", job = "jobs", sql = "SQL executions", table = "tables",
  app = "applications" }
local SHOWN = 6 -- entity keys named in a grouped finding's key before "+N more"

local function is_finding(f) return type(f) == "table" and type(f.id) == "string" end

-- The entities a finding covers: its members when grouped, else itself.
function M.members(f)
  return type(f.members) == "table" and f.members or { f }
end

local function weight(f)
  local im = type(f.impact) == "table" and f.impact or {}
  return tonumber(im.saving_ms) or 0, tonumber(im.core_ms) or 0, SEV[f.severity] or 0
end

local function heavier(a, b)
  local aw, ac, as = weight(a)
  local bw, bc, bs = weight(b)
  if aw ~= bw then return aw > bw end
  if ac ~= bc then return ac > bc end
  if as ~= bs then return as > bs end
  return (a._order or 0) < (b._order or 0)
end

local function config_keys(f)
  local cfg = type(f.recommendation) == "table" and f.recommendation.config
  local keys = {}
  if type(cfg) == "table" then for k in pairs(cfg) do keys[#keys + 1] = tostring(k) end end
  table.sort(keys)
  return table.concat(keys, ",")
end

-- Numeric value of a setting for comparison ("512m" -> bytes, "8" -> 8), nil when not a quantity.
local function magnitude(v)
  if type(v) == "number" then return v end
  if type(v) ~= "string" then return nil end
  local n = tonumber(v)
  if n then return n end
  local num, unit = v:match("^%s*(%d+%.?%d*)%s*([kKmMgGtT]?)[bB]?%s*$")
  if not num then return nil end
  local mult = ({ [""] = 1, k = 1024, m = 1024 ^ 2, g = 1024 ^ 3, t = 1024 ^ 4 })[unit:lower()]
  return tonumber(num) * mult
end

local function merged_config(members, rule, call)
  local out, any = {}, false
  local seen = {}
  for _, m in ipairs(members) do
    local cfg = type(m.recommendation) == "table" and m.recommendation.config
    if type(cfg) == "table" then
      for k, v in pairs(cfg) do
        seen[k] = seen[k] or {}
        table.insert(seen[k], v)
      end
    end
  end
  for k, values in pairs(seen) do
    any = true
    local same = true
    for i = 2, #values do if values[i] ~= values[1] then same = false end end
    local v = values[1] -- the top member's
    if not same then
      local chosen = rule and rule.combine and call(rule.combine, k, values)
      if chosen ~= nil then v = chosen
      else
        local best, bestm = nil, nil
        for _, x in ipairs(values) do
          local mx = magnitude(x)
          if mx == nil then best = nil break end
          if bestm == nil or mx > bestm then best, bestm = x, mx end
        end
        if best ~= nil then v = best end
      end
    end
    out[k] = v
  end
  return any and out or nil
end

local function summed_impact(members)
  local sum, any, method = {}, false, nil
  for _, m in ipairs(members) do
    local im = type(m.impact) == "table" and m.impact
    if im then
      any = true
      method = method or im.method or im.basis
      for _, k in ipairs { "saving_ms", "core_ms", "memory_gib_hours", "slowdown_ms" } do
        local v = tonumber(im[k])
        if v then sum[k] = (sum[k] or 0) + v end
      end
    end
  end
  if not any then return nil end
  sum.method = (method and (method .. "; ") or "") .. "summed over the " .. #members .. " entities"
  return sum
end

local function short_key(kind, key)
  key = tostring(key or "?")
  if kind == "stage" then return (key:gsub("^stage ", "")) end
  if kind == "executor" then return (key:gsub("^executor ", "")) end
  return key
end

-- One finding from members of one rule (already in their order); a single member comes back
-- as itself, without a members list.
function M.build(members, rule, call)
  table.sort(members, heavier)
  local top = members[1]
  if #members == 1 then
    top.members = nil
    return top
  end
  local kind = top.entity and top.entity.kind or "app"
  local keys, shown = {}, {}
  for i, m in ipairs(members) do
    keys[i] = m.entity and m.entity.key or "?"
    if i <= SHOWN then shown[#shown + 1] = short_key(kind, keys[i]) end
  end
  local label = string.format("%d %s: %s%s", #members, PLURAL[kind] or (kind .. "s"), table.concat(shown, ", "),
    #members > SHOWN and string.format(" +%d more", #members - SHOWN) or "")
  local sev = top.severity
  for _, m in ipairs(members) do if (SEV[m.severity] or 0) > (SEV[sev] or 0) then sev = m.severity end end
  local rec = type(top.recommendation) == "table" and top.recommendation or {}
  local text = rec.text
  if text then
    text = string.format("%s Same advice on %d more %s (%s).", text, #members - 1,
      PLURAL[kind] or (kind .. "s"), table.concat(keys, ", ", 2, math.min(#keys, SHOWN + 1)) ..
      (#keys > SHOWN + 1 and string.format(", +%d more", #keys - SHOWN - 1) or ""))
  end
  local list = {}
  for i, m in ipairs(members) do
    list[i] = { entity = m.entity, evidence = m.evidence, recommendation = m.recommendation, impact = m.impact,
      severity = m.severity, related = m.related }
  end
  return {
    id = top.id, severity = sev, title = top.title, rule = top.rule,
    entity = { kind = kind, key = label, keys = keys, count = #members },
    evidence = top.evidence,
    recommendation = { text = text, config = merged_config(members, rule, call) },
    impact = summed_impact(members),
    members = list,
  }
end

-- Replace f's fields with g's (g a fresh table), so every list holding f sees the new finding.
local function assign(f, g)
  if f == g then return end
  for k in pairs(f) do f[k] = nil end
  for k, v in pairs(g) do f[k] = v end
end

-- Group a layer's list; returns the new list (order: first appearance of each group).
-- rules_by_id: id -> rule table (may lack an id); call(fn, ...) runs a rule function safely
-- and returns its first result (nil on failure).
function M.group(list, rules_by_id, call)
  if type(list) ~= "table" then return list end
  local out, groups, order = {}, {}, 0
  for _, f in ipairs(list) do
    if not is_finding(f) or f.id == "rule_error" or type(f.members) == "table" then
      out[#out + 1] = f
    else
      local rule = rules_by_id[f.id]
      local kind = type(f.entity) == "table" and f.entity.kind or "app"
      local key
      if (rule and rule.group == false) or kind == "app" then
        key = nil
      else
        key = f.id .. "|" .. tostring(kind) .. "|" .. config_keys(f)
        if rule and rule.group_key then key = key .. "|" .. tostring(call(rule.group_key, f.evidence)) end
      end
      order = order + 1
      f._order = order
      local g = key and groups[key]
      if g then
        g.members[#g.members + 1] = f
      else
        g = { _group = true, members = { f }, rule = rule }
        if key then groups[key] = g end
        out[#out + 1] = g
      end
    end
  end
  for i, x in ipairs(out) do
    if type(x) == "table" and x._group then out[i] = M.build(x.members, x.rule, call) end
  end
  for _, f in ipairs(out) do if type(f) == "table" then f._order = nil end end
  for _, f in ipairs(list) do if type(f) == "table" then f._order = nil end end
  return out
end

-- Deferral over every finding so far (list of finding tables, in graph order). Findings left
-- with no entity are marked f.dropped_by = "<rule id>"; the caller removes them from its lists.
-- Returns true when something changed.
function M.defer(all, rules_by_id, call)
  local where = {} -- rule id -> entity key -> finding
  for _, f in ipairs(all) do
    if is_finding(f) and not f.dropped_by then
      for _, m in ipairs(M.members(f)) do
        local key = m.entity and m.entity.key
        if key then
          where[f.id] = where[f.id] or {}
          where[f.id][key] = where[f.id][key] or f
        end
      end
    end
  end
  local changed = false
  for _, f in ipairs(all) do
    local rule = is_finding(f) and not f.dropped_by and rules_by_id[f.id]
    local to = rule and type(rule.defers_to) == "table" and rule.defers_to
    if to then
      local keep, moved = {}, false
      for _, m in ipairs(M.members(f)) do
        local key, target = m.entity and m.entity.key, nil
        for _, other in ipairs(to) do
          local t = where[other] and key and where[other][key]
          if t and t ~= f and not t.dropped_by then target = t break end
        end
        if target then
          moved = true
          local host = target
          for _, tm in ipairs(M.members(target)) do if tm.entity and tm.entity.key == key then host = tm end end
          host.related = host.related or {}
          table.insert(host.related, { id = f.id, title = f.title, entity = m.entity, evidence = m.evidence,
            recommendation = m.recommendation, impact = m.impact })
          if host ~= target then -- a grouped target also lists it at the top level
            target.related = target.related or {}
            table.insert(target.related, { id = f.id, entity = m.entity })
          end
        else
          keep[#keep + 1] = { id = f.id, severity = m.severity or f.severity, title = f.title, rule = f.rule,
            entity = m.entity, evidence = m.evidence, recommendation = m.recommendation, impact = m.impact,
            related = m.related }
        end
      end
      if moved then
        changed = true
        if #keep == 0 then
          f.dropped_by = to[1]
        else
          assign(f, M.build(keep, rule, call))
        end
      end
    end
  end
  return changed
end

-- Remove findings marked dropped_by from a list, in place.
function M.prune(list)
  if type(list) ~= "table" then return end
  local j = 0
  local n = #list
  for i = 1, n do
    local f = list[i]
    if not (type(f) == "table" and f.dropped_by) then
      j = j + 1
      list[j] = f
    end
  end
  for i = j + 1, n do list[i] = nil end
end

return M
