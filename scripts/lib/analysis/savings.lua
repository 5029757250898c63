-- analysis.savings: what the findings are worth together, each saving counted once.
--
-- Several findings can claim the same time: skew.task_duration and skew.shuffle_read the
-- same straggler of a stage; runtime.gc_pressure (per stage), executor.gc_pressure (per
-- executor) and resources.memory_pressure (the app) the same GC time; executor.idle and
-- resources.idle_executors the same idle cores. A finding's impact says what it draws on:
--   saving_ms  wall time of its entity (pool "wall" unless impact.wall_pool names another)
--   core_ms    core time from impact.pool ("gc", "idle_cores", "spill", ...; default: the
--              rule id, i.e. a pool no other rule shares)
-- A grouped finding claims per member (each member's own entity and impact).
-- Within a pool, claims on the same entity overlap (the largest counts); claims on different
-- entities of one kind add up; the kinds are different slicings of the same pool (stages,
-- executors, the whole app), so the pool is worth the largest of its slicings. The union is
-- the sum of the pools, wall time capped at the run's wall time and core time at the core
-- time the executors held: never more than the run.
local M = {}

local function members(f) return type(f.members) == "table" and f.members or { f } end

-- Claims of one finding: { kind = "wall" | "core", pool, slicing, key, ms }.
function M.claims(f)
  local out = {}
  for _, m in ipairs(members(f)) do
    local im = type(m.impact) == "table" and m.impact or {}
    local ent = type(m.entity) == "table" and m.entity or {}
    local slicing, key = tostring(ent.kind or "app"), tostring(ent.key or "app")
    local wall, core = tonumber(im.saving_ms) or 0, tonumber(im.core_ms) or 0
    if wall > 0 then
      out[#out + 1] = { kind = "wall", pool = tostring(im.wall_pool or "wall"), slicing = slicing, key = key, ms = wall }
    end
    if core > 0 then
      out[#out + 1] = { kind = "core", pool = tostring(im.pool or f.id), slicing = slicing, key = key, ms = core }
    end
  end
  return out
end

-- findings: every finding to value; caps: { wall_ms =, core_ms = } (nil: no cap). Returns
-- { wall_ms, core_ms, pools = { [kind .. ":" .. pool] = ms } }.
function M.union(findings, caps)
  local pools = {} -- "kind:pool" -> slicing -> key -> max ms
  for _, f in ipairs(findings) do
    for _, c in ipairs(M.claims(f)) do
      local id = c.kind .. ":" .. c.pool
      pools[id] = pools[id] or {}
      local s = pools[id][c.slicing] or {}
      pools[id][c.slicing] = s
      s[c.key] = math.max(s[c.key] or 0, c.ms)
    end
  end
  local out = { wall_ms = 0, core_ms = 0, pools = {} }
  for id, slicings in pairs(pools) do
    local best = 0
    for _, keys in pairs(slicings) do
      local sum = 0
      for _, ms in pairs(keys) do sum = sum + ms end
      best = math.max(best, sum)
    end
    out.pools[id] = best
    if id:sub(1, 5) == "wall:" then out.wall_ms = out.wall_ms + best else out.core_ms = out.core_ms + best end
  end
  caps = caps or {}
  if caps.wall_ms then out.wall_ms = math.min(out.wall_ms, math.max(caps.wall_ms, 0)) end
  if caps.core_ms then out.core_ms = math.min(out.core_ms, math.max(caps.core_ms, 0)) end
  return out
end

return M
