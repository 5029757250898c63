-- sic.query: the retrieval query recipe for a finding, shared by the docs agent
-- (scripts/agents/docs.lua, one query per finding) and `sic ask` (scripts/ask/reasoning.lua,
-- one query per top finding after the question). Pure Lua, no I/O: sandboxed agents may
-- require it.
local M = {}

--- The retrieval query for a finding: a Spark error class when the finding carries one (it
--- names its own section of the error-conditions page), else its title, rule id, recommended
--- configuration names and recommendation text without numbers (one recipe for the docs agent
--- and `sic ask`).
function M.for_finding(f)
  local r = f.recommendation
  local text = type(r) == "table" and r.text or r
  local evidence = type(f.evidence) == "table" and (f.evidence.reason or f.evidence.error) or ""
  local classes, seen = {}, {}
  for _, s in ipairs({ tostring(text or ""), tostring(evidence or "") }) do
    for c in s:gmatch("%[([A-Z][A-Z0-9]*_[A-Z0-9_]+)[%].]") do
      if not seen[c] then seen[c] = true; classes[#classes + 1] = c end
    end
  end
  if #classes > 0 then return table.concat(classes, " ") end
  local q = { tostring(f.title or ""), (tostring(f.id or ""):gsub("[_%.]", " ")) }
  if type(r) == "table" and type(r.config) == "table" then
    local names = {}
    for k, v in pairs(r.config) do
      names[#names + 1] = type(k) == "string" and k or (type(v) == "table" and v.name) or tostring(v)
    end
    table.sort(names) -- pairs order is not stable; the query (and so the ranking) must be
    for _, n in ipairs(names) do q[#q + 1] = tostring(n) end
  end
  if type(text) == "string" then q[#q + 1] = (text:sub(1, 300):gsub("[%d%.]+%s*[%a]*", " ")) end
  return (table.concat(q, " "):gsub("%b()", ""):gsub("%s+", " "))
end

return M
