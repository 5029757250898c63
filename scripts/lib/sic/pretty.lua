-- sic.pretty: how the REPL shows values - model objects by their __tostring, findings as
-- one readable block, tables as sorted, depth-limited Lua syntax.
local ffi = require "ffi"

local M = {}

local function is_finding(t)
  if type(t) ~= "table" then return false end
  -- model views are strict (reading a field they lack raises): probe through pcall
  local ok, yes = pcall(function() return type(t.id) == "string" and type(t.severity) == "string" and t.title ~= nil end)
  return ok and yes
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

-- ---------------------------------------------------------------- rows and cdata

local MAX_CELL, MAX_ROWS = 40, 50
-- Columns that read best first; the others follow alphabetically.
local LEADING = { "row", "id", "key", "stage", "stage_id", "task_id", "index", "attempt", "executor", "host", "status",
  "column", "value", "duration" }
local LEAD_RANK = {}
for i, k in ipairs(LEADING) do LEAD_RANK[k] = i end

local function is_int64(x) return type(x) == "cdata" and (ffi.istype("int64_t", x) or ffi.istype("uint64_t", x)
  or ffi.istype("int32_t", x)) end
local function is_scalar(x)
  local t = type(x)
  return t == "number" or t == "string" or t == "boolean" or is_int64(x)
end

local function cell(x)
  if x == nil then return "" end
  if is_int64(x) then x = tonumber(x) end
  local s
  if type(x) == "number" then
    if x == math.floor(x) and math.abs(x) < 1e15 then s = string.format("%d", x)
    else s = string.format("%.4g", x) end
  else
    s = tostring(x):gsub("[\r\n\t]", " ")
  end
  if #s > MAX_CELL then s = s:sub(1, MAX_CELL - 3) .. "..." end
  return s
end

-- Column names when v is a non-empty sequence of flat records (string keys, scalar values),
-- else nil.
function M.row_columns(v)
  if type(v) ~= "table" then return nil end
  local n, count = #v, 0
  if n == 0 then return nil end
  for _ in pairs(v) do count = count + 1 end
  if count ~= n then return nil end
  local cols, seen = {}, {}
  for i = 1, n do
    local r = v[i]
    if type(r) ~= "table" or is_finding(r) then return nil end
    local mt = debug.getmetatable(r)
    if mt and mt.__tostring then return nil end
    for k, x in pairs(r) do
      if type(k) ~= "string" or not is_scalar(x) then return nil end
      if not seen[k] then seen[k] = true cols[#cols + 1] = k end
    end
  end
  table.sort(cols, function(a, b)
    local ra, rb = LEAD_RANK[a] or 1000, LEAD_RANK[b] or 1000
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  return cols
end

-- Flat records as an aligned table: one header line, one line per record (numbers right
-- aligned, long text cut with "..."), at most 50 records then a count of the rest.
function M.rows(v, cols)
  cols = cols or M.row_columns(v)
  if not cols then return nil end
  local shown = math.min(#v, MAX_ROWS)
  local width, cells, numeric = {}, {}, {}
  for j, c in ipairs(cols) do width[j] = #c numeric[j] = true end
  for i = 1, shown do
    cells[i] = {}
    for j, c in ipairs(cols) do
      local x = v[i][c]
      local s = cell(x)
      cells[i][j] = s
      if #s > width[j] then width[j] = #s end
      if x ~= nil and type(x) ~= "number" and not is_int64(x) then numeric[j] = false end
    end
  end
  local function line(items)
    local parts = {}
    for j, s in ipairs(items) do
      local pad = string.rep(" ", width[j] - #s)
      parts[j] = numeric[j] and (pad .. s) or (s .. pad)
    end
    return (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  local out = { line(cols) }
  for i = 1, shown do out[#out + 1] = line(cells[i]) end
  if #v > shown then out[#out + 1] = string.format("... (%d more rows)", #v - shown) end
  return table.concat(out, "\n")
end

-- A C struct from the engine (e.g. app.c.stages[0]) as `type {field = value, ...}`, one field
-- per line, using the engine's layout table; other cdata as tostring (int64 without "LL").
function M.cdata(v)
  if is_int64(v) then return tostring(tonumber(v)) end
  local ctype = tostring(ffi.typeof(v))
  local name, ptr = ctype:match("^ctype<struct ([%w_]+)%s*([&*]?)>$")
  if not name then return tostring(v) end
  if ptr == "*" then
    if v == nil then return "NULL " .. name end
    v = v[0]
  end
  local core = require "sic.core"
  local lines = { name .. " {" }
  for _, e in ipairs(core.layout()) do
    if e.type == name and e.field then
      local ok, x = pcall(function() return v[e.field] end)
      local s
      if not ok then s = "?"
      elseif is_scalar(x) then s = cell(x)
      elseif type(x) == "cdata" then
        local sub = tostring(ffi.typeof(x))
        if sub:match("sic_range") then s = string.format("{off = %d, n = %d}", x.off, x.n)
        elseif sub:match("%[%d+%]") then s = "[" .. sub:match("%[(%d+)%]") .. " values]"
        elseif sub:match("%*") then s = x == nil and "NULL" or "<pointer>"
        else s = "<" .. sub:gsub("^ctype<", ""):gsub(">$", "") .. ">" end
      else s = tostring(x) end
      lines[#lines + 1] = string.format("  %s = %s", e.field, s)
    end
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

local function render(v, depth, indent, seen)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t == "cdata" then return M.cdata(v) end
  if t ~= "table" then return tostring(v) end
  local mt = debug.getmetatable(v) -- engine classes hide their metatable from scripts
  if mt and mt.__tostring then return tostring(v) end
  if indent == 0 then
    local cols = M.row_columns(v)
    if cols then return M.rows(v, cols) end
  end
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

-- Settings of a finding as "k=v, k=v" (sorted), or nil.
local function settings(f)
  local cfg = type(f.recommendation) == "table" and f.recommendation.config
  if type(cfg) ~= "table" then return nil end
  local keys = {}
  for k in pairs(cfg) do keys[#keys + 1] = k end
  if #keys == 0 then return nil end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = string.format("%s=%s", k, tostring(cfg[k])) end
  return table.concat(keys, ", ")
end

-- "~116.5 s saved, 0.12 core-hours, ~$0.05 per run" (nil when nothing is estimated).
local function worth(f, usd)
  local im = type(f.impact) == "table" and f.impact or {}
  local parts = {}
  if (tonumber(im.saving_ms) or 0) > 0 then parts[#parts + 1] = string.format("~%.1f s saved", im.saving_ms / 1000) end
  if (tonumber(im.core_ms) or 0) > 0 then parts[#parts + 1] = string.format("%.2f core-hours", im.core_ms / 3600000) end
  if usd and usd > 0 then parts[#parts + 1] = string.format("~$%.4f per run", usd) end
  return #parts > 0 and table.concat(parts, ", ") or nil
end

local function related_ids(f)
  local ids, seen = {}, {}
  for _, r in ipairs(type(f.related) == "table" and f.related or {}) do
    if r.id and not seen[r.id] then seen[r.id] = true ids[#ids + 1] = r.id end
  end
  return #ids > 0 and table.concat(ids, ", ") or nil
end

local function clip(s, n)
  s = tostring(s or "")
  if #s > n then return s:sub(1, n - 3) .. "..." end
  return s
end

-- The cost agent's figures: total value of the findings (the union, counted once) and the run.
local function cost_totals(r)
  local c = type(r.state) == "table" and type(r.state.cost) == "table" and r.state.cost or {}
  return tonumber(c.savings_usd), tonumber(c.run_usd)
end

-- The few findings that carry most of the estimated value (largest first, until 80% of the
-- summed values or 5 of them), then up to 3 high/critical findings without an estimate
-- (failures). Returns the list and the share of the value it covers.
function M.top_problems(r)
  local ordered, values = M.by_impact(r.findings)
  local sum = 0
  for _, f in ipairs(ordered) do
    local v = value_of(values, f)
    if f.id ~= "cost.run" and v and v > 0 then sum = sum + v end
  end
  local top, covered, severe = {}, 0, 0
  for _, f in ipairs(ordered) do
    local v = value_of(values, f)
    if f.id ~= "cost.run" and v and v > 0 and #top < 5 and (covered < 0.8 * sum or #top == 0) then
      top[#top + 1] = f
      covered = covered + v
    end
  end
  if sum == 0 then -- nothing priced (no cost agent): the largest time savings lead
    for _, f in ipairs(ordered) do
      local im = type(f.impact) == "table" and f.impact or {}
      if #top < 3 and ((tonumber(im.saving_ms) or 0) > 0 or (tonumber(im.core_ms) or 0) > 0) then top[#top + 1] = f end
    end
  end
  for _, f in ipairs(ordered) do
    local v = value_of(values, f)
    local listed = false
    for _, t in ipairs(top) do listed = listed or t == f end
    if severe < 3 and not listed and not (v and v > 0) and (f.severity == "high" or f.severity == "critical") then
      top[#top + 1] = f
      severe = severe + 1
    end
  end
  return top, sum > 0 and covered / sum or nil, values
end

-- The top problems as references for the JSON document: { index (1-based, into
-- r.findings), id, entity (key), usd (nil when not priced) }.
function M.top_problem_refs(r)
  local top, _, values = M.top_problems(r)
  local pos = {}
  for i, f in ipairs(r.findings) do pos[f] = i end
  local out = {}
  for i, f in ipairs(top) do
    local v = value_of(values, f)
    out[i] = { index = pos[f], id = f.id, entity = f.entity and f.entity.key or "app", usd = v and v > 0 and v or nil }
  end
  return out
end

local function top_lines(r)
  local top, share, values = M.top_problems(r)
  if #top == 0 then return {} end
  local total, run = cost_totals(r)
  local head = "Top problems"
  if share then
    head = head .. string.format(" (%.0f%% of the estimated value%s)", 100 * share,
      total and run and string.format("; worth ~$%.4f of the $%.4f run, overlaps counted once", total, run) or "")
  end
  local lines = { head }
  for i, f in ipairs(top) do
    local v = value_of(values, f)
    lines[#lines + 1] = string.format("  %d. %-9s %s on %s: %s", i, v and v > 0 and string.format("$%.4f", v) or
      ("[" .. f.severity .. "]"), f.id, clip(f.entity and f.entity.key or "app", 40), clip(f.title, 70))
  end
  return lines
end

-- The compact block of one finding in a report (the REPL's M.finding shows everything).
local function report_block(f, usd)
  local lines = { string.format("[%s] %s on %s: %s", f.severity:upper(), f.id, tostring(f.entity and f.entity.key or "app"), f.title) }
  local rec = f.recommendation
  if rec and rec.text then lines[#lines + 1] = "  " .. rec.text end
  local set = settings(f)
  if set then lines[#lines + 1] = "  set: " .. set end
  local w = worth(f, usd)
  local rel = related_ids(f)
  if w or rel then
    lines[#lines + 1] = "  " .. (w and ("worth " .. w) or "") .. (w and rel and "; " or "") .. (rel and ("also seen by " .. rel) or "")
  end
  local refs = {}
  for i, ref in ipairs(type(f.references) == "table" and f.references or {}) do
    if i <= 2 then refs[#refs + 1] = M.reference(ref) end
  end
  if #refs > 0 then lines[#lines + 1] = "  see: " .. table.concat(refs, "; ") end
  return table.concat(lines, "\n")
end

-- The character that separates the top-problems lead from the findings when the C report
-- asks for both in one run (opts.lead_marker): it prints the lead under the report's header.
M.LEAD_MARKER = "\30"

-- A report: the top problems, then each finding, biggest impact first.
function M.report(r, opts)
  local lead = top_lines(r)
  local lines = {}
  if not (opts and opts.lead_marker) then for _, l in ipairs(lead) do lines[#lines + 1] = l end end
  lines[#lines + 1] = string.format("%d finding(s)%s", #r.findings, r.errors and r.errors > 0 and
    string.format(" (%d rule error(s))", r.errors) or "")
  local note = docs_note(r)
  if note then lines[#lines + 1] = "(" .. note .. ")" end
  local ordered, values = M.by_impact(r.findings)
  for _, f in ipairs(ordered) do lines[#lines + 1] = report_block(f, value_of(values, f)) end
  local body = table.concat(lines, "\n")
  if opts and opts.lead_marker then
    return (#lead > 0 and (table.concat(lead, "\n") .. "\n") or "") .. M.LEAD_MARKER .. body
  end
  return body
end

local function md_escape(s) return (tostring(s):gsub("([|*_`])", "\\%1")) end

local function md_top(r)
  local top, share, values = M.top_problems(r)
  if #top == 0 then return {} end
  local total, run = cost_totals(r)
  local out = { "## Top problems", "" }
  if share then
    out[#out + 1] = string.format("%.0f%% of the estimated value%s.", 100 * share,
      total and run and string.format("; together worth ~$%.4f of the $%.4f run (overlaps counted once)", total, run) or "")
    out[#out + 1] = ""
  end
  for i, f in ipairs(top) do
    local v = value_of(values, f)
    out[#out + 1] = string.format("%d. **%s** `%s` on %s: %s", i, v and v > 0 and string.format("$%.4f", v) or f.severity,
      f.id, md_escape(f.entity and f.entity.key or "app"), md_escape(f.title))
  end
  out[#out + 1] = ""
  return out
end

-- A report as a Markdown section: the top problems, a table of findings, then advice per finding.
function M.report_md(r, opts)
  local lead = md_top(r)
  local out = {}
  if not (opts and opts.lead_marker) then for _, l in ipairs(lead) do out[#out + 1] = l end end
  out[#out + 1] = "## Findings"
  out[#out + 1] = ""
  if #r.findings == 0 then
    out[#out + 1] = "No findings."
  else
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
        usd and usd > 0 and string.format("$%.4f", usd) or "")
    end
    out[#out + 1] = ""
    for _, f in ipairs(ordered) do
      local rec = f.recommendation or {}
      if rec.text then
        out[#out + 1] = string.format("- **%s** (%s): %s", f.id, md_escape(f.entity and f.entity.key or ""), md_escape(rec.text))
      end
      local set = settings(f)
      if set then out[#out + 1] = string.format("%s- set: `%s`", rec.text and "  " or "", set) end
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
  end
  local body = table.concat(out, "\n") .. "\n"
  if opts and opts.lead_marker then
    return (#lead > 0 and (table.concat(lead, "\n") .. "\n") or "") .. M.LEAD_MARKER .. body
  end
  return body
end

return M
