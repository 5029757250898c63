-- sic.parse: lpeg grammars for the text the engine reads on the Lua side.
--  * Spark size strings ("512m", "2g", "1024k", "10b", "1.5t"): bytes, with Spark's default
--    unit per property (spark.executor.memory is MiB when no suffix, most others bytes);
--  * Spark duration strings ("120s", "5min", "100ms", "2h", "1d", "500us"): milliseconds;
--  * physical-plan node strings ("Exchange hashpartitioning(k#1, 200), ENSURE_REQUIREMENTS,
--    [plan_id=12]"): node name + top-level arguments, with partitioning details extracted;
--  * rule overrides ("rule.skew.task_duration.ratio=8", "rule.x.enabled=false").
-- Every parser returns nil, "reason" on bad input instead of raising.
local lpeg = require "lpeg"
local P, R, S, C, Ct, Cg, V = lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Ct, lpeg.Cg, lpeg.V

local M = {}

local space = S(" \t") ^ 0
local digit = R "09"
local number = C(digit ^ 1 * (P "." * digit ^ 1) ^ -1) / tonumber
local alpha = R("az", "AZ")

local SIZE_UNITS = { b = 1, k = 1024, kb = 1024, m = 1024 ^ 2, mb = 1024 ^ 2, g = 1024 ^ 3, gb = 1024 ^ 3,
  t = 1024 ^ 4, tb = 1024 ^ 4, p = 1024 ^ 5, pb = 1024 ^ 5 }
local DURATION_UNITS = { ns = 1e-6, us = 1e-3, ms = 1, s = 1000, m = 60000, min = 60000, mins = 60000,
  h = 3600000, d = 86400000 }

local quantity = space * number * space * C(alpha ^ 0) * space * -1

local function with_unit(s, units, default_unit, what)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then return nil, what .. ": expected a string" end
  local n, unit = quantity:match(s)
  if not n then return nil, string.format("%s: cannot parse '%s'", what, s) end
  unit = unit:lower()
  if unit == "" then unit = default_unit end
  local mult = units[unit]
  if not mult then return nil, string.format("%s: unknown unit '%s' in '%s'", what, unit, s) end
  return n * mult
end

-- Bytes of a Spark size string; default_unit (e.g. "m") applies when there is no suffix.
function M.size(s, default_unit)
  return with_unit(s, SIZE_UNITS, default_unit or "b", "size")
end

-- Milliseconds of a Spark duration string; default_unit applies when there is no suffix.
function M.duration(s, default_unit)
  return with_unit(s, DURATION_UNITS, default_unit or "ms", "duration")
end

-- ---------------------------------------------------------------- plan nodes
-- Arguments are split on top-level commas; parentheses/brackets nest.
local plan_grammar = P {
  "node",
  node = space * Cg(C((1 - S " ([,") ^ 1), "name") * space * Cg(Ct(V "args" ^ -1), "args") * space,
  args = (V "arg" * (space * P "," * space * V "arg") ^ 0) ,
  arg = C(((1 - S "([{,)]}") + V "group") ^ 1) / function(a) return (a:gsub("^%s+", ""):gsub("%s+$", "")) end,
  group = P "(" * ((1 - S "()[]") + V "group") ^ 0 * P ")" + P "[" * ((1 - S "()[]") + V "group") ^ 0 * P "]",
}
local plan_node = Ct(plan_grammar)
local partitioning = C(alpha ^ 1) * P "(" * C((1 - P ")") ^ 0) * P ")" * -1

-- {name=, args={...}, partitioning=, num_partitions=} for a plan node's simpleString.
function M.plan_node(s)
  if type(s) ~= "string" then return nil, "plan node: expected a string" end
  local t = plan_node:match(s)
  if not t or not t.name then return nil, "plan node: cannot parse '" .. s .. "'" end
  t.args = t.args or {}
  -- "HashAggregate(keys=[k#1], functions=[...])": the arguments are inside the parentheses.
  if #t.args == 1 and t.args[1]:match("^%b()$") then
    local inner = plan_node:match("x " .. t.args[1]:sub(2, -2))
    t.args = inner and inner.args or t.args
  end
  for _, a in ipairs(t.args) do
    local kind, inner = partitioning:match(a)
    if kind and kind:lower():find("partitioning$") then
      t.partitioning = kind
      t.num_partitions = tonumber(inner:match("(%d+)%s*$"))
      break
    end
  end
  if not t.partitioning then
    -- "Exchange hashpartitioning(k#1, 200)" puts the partitioning right after the name.
    local rest = s:sub(#t.name + 1)
    local kind, inner = rest:match("^%s*(%a+partitioning)%((.-)%)")
    if kind then
      t.partitioning = kind
      t.num_partitions = tonumber(inner:match("(%d+)%s*$"))
    end
  end
  return t
end

-- ---------------------------------------------------------------- overrides
-- rule.<id>.<key>=<value>: the id may contain dots; the key is the last segment before '='.
local name = (alpha + P "_") * (alpha + digit + P "_") ^ 0
local override = P "rule." * C((1 - (P "." * name * space * P "=")) ^ 1) * P "." * C(name) * space * P "=" * space * C(P(1) ^ 0)

local function literal(v)
  if v == "true" then return true end
  if v == "false" then return false end
  local n = tonumber(v)
  if n then return n end
  local quoted = v:match('^"(.*)"$') or v:match("^'(.*)'$")
  if quoted then return quoted end
  local bytes = M.size(v)
  if bytes and v:match("^%s*[%d.]+%s*[kKmMgGtTpP][bB]?%s*$") then return bytes end
  local ms = M.duration(v)
  if ms and v:match("^%s*[%d.]+%s*%a+%s*$") then return ms end
  return v
end
M.literal = literal

-- "rule.skew.task_duration.ratio=8" -> "skew.task_duration", "ratio", 8
function M.override(s)
  if type(s) ~= "string" then return nil, "override: expected a string" end
  local id, key, value = override:match(s)
  if not id then
    return nil, string.format("bad override '%s': expected rule.<id>.<key>=<value> (key 'enabled' or a threshold name)", s)
  end
  return id, key, literal(value)
end

return M
