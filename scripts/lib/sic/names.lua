-- sic.names: the nearest valid names to a mistyped one, for error messages ("did you mean:
-- ..."): model views, ctx, rule-set fields, `sic rules` commands and rule ids.
local M = {}

-- Edit distance (insert/delete/substitute) between two strings.
function M.distance(a, b)
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

-- Candidates ranked by closeness to `name`: a list of { c = candidate, d = score }, lowest
-- score first (ties by name). The score is the case-blind edit distance, which adjust(c, d)
-- may change (each caller knows what makes a name "close" in its own domain).
function M.ranked(name, candidates, adjust)
  local scored = {}
  for _, c in ipairs(candidates) do
    local d = M.distance(name:lower(), c:lower())
    if adjust then d = adjust(c, d) end
    scored[#scored + 1] = { c = c, d = d }
  end
  table.sort(scored, function(x, y) if x.d ~= y.d then return x.d < y.d end return x.c < y.c end)
  return scored
end

-- Up to n names closest to `name` (edit distance, then shared prefix), for error messages.
function M.nearest(name, names, n)
  local candidates = {}
  for _, c in ipairs(names) do
    if type(c) == "string" and c:sub(1, 1) ~= "_" then candidates[#candidates + 1] = c end
  end
  local scored = M.ranked(name, candidates, function(c, d)
    if c:find(name, 1, true) or name:find(c, 1, true) then return math.min(d, 2) end
    return d
  end)
  local out = {}
  for i = 1, math.min(n or 3, #scored) do
    if scored[i].d <= math.max(3, math.floor(#name / 2)) then out[#out + 1] = scored[i].c end
  end
  return out
end

return M
