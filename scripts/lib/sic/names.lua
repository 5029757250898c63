-- sic.names: the nearest valid names to a mistyped one, for error messages ("did you mean:
-- ..."): model views, ctx, rule-set fields, `sic rules` commands and rule ids.
local M = {}

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:byte(i) == b:byte(j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

-- Up to n names closest to `name` (edit distance, then shared prefix), for error messages.
function M.nearest(name, names, n)
  local scored = {}
  for _, c in ipairs(names) do
    if type(c) == "string" and c:sub(1, 1) ~= "_" then
      local d = distance(name:lower(), c:lower())
      if c:find(name, 1, true) or name:find(c, 1, true) then d = math.min(d, 2) end
      scored[#scored + 1] = { c = c, d = d }
    end
  end
  table.sort(scored, function(x, y) if x.d ~= y.d then return x.d < y.d end return x.c < y.c end)
  local out = {}
  for i = 1, math.min(n or 3, #scored) do
    if scored[i].d <= math.max(3, math.floor(#name / 2)) then out[#out + 1] = scored[i].c end
  end
  return out
end

return M
