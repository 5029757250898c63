-- sic.pretty: how the REPL shows values - model objects by their __tostring, findings as
-- one readable block, tables as sorted, depth-limited Lua syntax.
local M = {}

local function is_finding(t)
  return type(t) == "table" and type(t.id) == "string" and type(t.severity) == "string" and t.title ~= nil
end

function M.finding(f)
  local lines = { string.format("[%s] %s  %s", f.severity:upper(), f.id, f.title) }
  if f.entity and f.entity.key then lines[#lines + 1] = "  on: " .. tostring(f.entity.key) end
  local rec = f.recommendation
  if rec and rec.text then lines[#lines + 1] = "  advice: " .. rec.text end
  if rec and type(rec.config) == "table" then
    local keys = {}
    for k in pairs(rec.config) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do lines[#lines + 1] = string.format("    %s=%s", k, tostring(rec.config[k])) end
  end
  local impact = f.impact or {}
  if (tonumber(impact.saving_ms) or 0) > 0 then
    lines[#lines + 1] = string.format("  impact: ~%.1f s saved", impact.saving_ms / 1000)
  end
  if (tonumber(impact.core_ms) or 0) > 0 then
    lines[#lines + 1] = string.format("  impact: %.2f core-hours held", impact.core_ms / 3600000)
  end
  if f.rule then lines[#lines + 1] = "  rule: " .. f.rule end
  for _, ref in ipairs(type(f.references) == "table" and f.references or {}) do
    lines[#lines + 1] = "  see: " .. M.reference(ref)
  end
  return table.concat(lines, "\n")
end

-- A documentation reference attached by the docs agent: "source/doc § section".
function M.reference(ref)
  local s = string.format("%s/%s", tostring(ref.source or "?"), tostring(ref.doc or "?"))
  if ref.section and ref.section ~= "" then s = s .. " § " .. tostring(ref.section) end
  return s
end

-- Why findings carry no references (no knowledge base, keyword-only search): said once.
local function docs_note(r)
  local docs = type(r.state) == "table" and r.state.docs
  return type(docs) == "table" and type(docs.note) == "string" and docs.note or nil
end

local function key_repr(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. (type(k) == "string" and string.format("%q", k) or tostring(k)) .. "]"
end

local function render(v, depth, indent, seen)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t ~= "table" then return tostring(v) end
  local mt = debug.getmetatable(v) -- engine classes hide their metatable from scripts
  if mt and mt.__tostring then return tostring(v) end
  if is_finding(v) then return M.finding(v) end
  if seen[v] then return "<cycle>" end
  if depth <= 0 then return "{...}" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta == "number" end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts, n = {}, #v
  local pad = string.rep("  ", indent + 1)
  for i, k in ipairs(keys) do
    if i > 50 then parts[#parts + 1] = pad .. string.format("... (%d more)", #keys - 50) break end
    local item = render(v[k], depth - 1, indent + 1, seen)
    if type(k) == "number" and k >= 1 and k <= n and k == math.floor(k) then parts[#parts + 1] = pad .. item
    else parts[#parts + 1] = pad .. key_repr(k) .. " = " .. item end
  end
  seen[v] = nil
  if #parts == 0 then return "{}" end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. string.rep("  ", indent) .. "}"
end

function M.format(v, depth)
  return render(v, depth or 3, 0, {})
end

-- Dollar value of each finding, from the cost.run finding's evidence (id@entity -> usd).
local function values_by_finding(findings)
  local values = {}
  for _, f in ipairs(findings) do
    local ev = f.id == "cost.run" and type(f.evidence) == "table" and f.evidence
    for _, s in ipairs(ev and type(ev.savings) == "table" and ev.savings or {}) do
      values[tostring(s.id) .. "@" .. tostring(s.entity)] = tonumber(s.usd)
    end
  end
  return values
end

local SEVERITY_RANK = { critical = 0, high = 1, error = 1, warning = 2, medium = 2, info = 3, low = 3 }

-- Findings ordered by impact, biggest first: dollar value when the cost agent priced them,
-- else wall time saved, else core time freed; then severity; ties keep the graph's order.
-- Returns a new list and the value map (for showing the value next to each finding).
function M.by_impact(findings)
  local values = values_by_finding(findings)
  local keyed = {}
  for i, f in ipairs(findings) do
    local im = type(f.impact) == "table" and f.impact or {}
    keyed[i] = {
      f = f, i = i,
      usd = values[f.id .. "@" .. tostring(f.entity and f.entity.key or "app")] or -1,
      wall = tonumber(im.saving_ms) or 0,
      core = tonumber(im.core_ms) or 0,
      sev = SEVERITY_RANK[tostring(f.severity)] or 4,
    }
  end
  table.sort(keyed, function(a, b)
    if a.usd ~= b.usd then return a.usd > b.usd end
    if a.wall ~= b.wall then return a.wall > b.wall end
    if a.core ~= b.core then return a.core > b.core end
    if a.sev ~= b.sev then return a.sev < b.sev end
    return a.i < b.i
  end)
  local out = {}
  for i, k in ipairs(keyed) do out[i] = k.f end
  return out, values
end

local function value_of(values, f)
  return values[f.id .. "@" .. tostring(f.entity and f.entity.key or "app")]
end

-- A report: header line then each finding, biggest impact first.
function M.report(r)
  local lines = { string.format("%d finding(s)%s", #r.findings, r.errors and r.errors > 0 and
    string.format(" (%d rule error(s))", r.errors) or "") }
  local note = docs_note(r)
  if note then lines[#lines + 1] = "(" .. note .. ")" end
  local ordered, values = M.by_impact(r.findings)
  for _, f in ipairs(ordered) do
    local text = M.finding(f)
    local usd = value_of(values, f)
    if usd and usd > 0 then text = text .. string.format("\n  value: ~$%.2f per run", usd) end
    lines[#lines + 1] = text
  end
  return table.concat(lines, "\n")
end

local function md_escape(s) return (tostring(s):gsub("([|*_`])", "\\%1")) end

-- A report as a Markdown section: a table of findings, then advice per finding.
function M.report_md(r)
  local out = { "## Findings", "" }
  if #r.findings == 0 then
    out[#out + 1] = "No findings."
    return table.concat(out, "\n") .. "\n"
  end
  local ordered, values = M.by_impact(r.findings)
  out[#out + 1] = "| severity | rule | on | title | est. saving | value/run |"
  out[#out + 1] = "|---|---|---|---|---|---|"
  for _, f in ipairs(ordered) do
    local im = type(f.impact) == "table" and f.impact or {}
    local saving = ""
    if (tonumber(im.saving_ms) or 0) > 0 then saving = string.format("%.1f s", im.saving_ms / 1000)
    elseif (tonumber(im.core_ms) or 0) > 0 then saving = string.format("%.2f core-h", im.core_ms / 3600000) end
    local usd = value_of(values, f)
    out[#out + 1] = string.format("| %s | `%s` | %s | %s | %s | %s |", f.severity, f.id,
      md_escape(f.entity and f.entity.key or ""), md_escape(f.title), saving,
      usd and usd > 0 and string.format("$%.2f", usd) or "")
  end
  out[#out + 1] = ""
  for _, f in ipairs(ordered) do
    local rec = f.recommendation or {}
    if rec.text then
      out[#out + 1] = string.format("- **%s** (%s): %s", f.id, md_escape(f.entity and f.entity.key or ""), md_escape(rec.text))
    end
    local refs = {}
    for _, ref in ipairs(type(f.references) == "table" and f.references or {}) do
      refs[#refs + 1] = md_escape(M.reference(ref))
    end
    if #refs > 0 then
      out[#out + 1] = string.format("%s- see: %s", rec.text and "  " or "", table.concat(refs, "; "))
    end
  end
  local note = docs_note(r)
  if note then out[#out + 1] = "" out[#out + 1] = "_" .. md_escape(note) .. "_" end
  return table.concat(out, "\n") .. "\n"
end

return M
