-- The scans event logs made of a Delta table: FileScan nodes of the SQL plans whose Location
-- is the table, with their PushedFilters / PartitionFilters / DataFilters parsed into
-- predicates and their scan metrics (number of files read, size of files read, scan time).
-- Used by the delta agent (scripts/agents/delta.lua).
local U = require "lib.analysis.util"

local M = {}

-- Split "a, b(c, d), [e, f]" at top-level commas.
local function split_top(s)
  local out, depth, start = {}, 0, 1
  for i = 1, #s do
    local c = s:sub(i, i)
    if c == "(" or c == "[" then depth = depth + 1
    elseif c == ")" or c == "]" then depth = depth - 1
    elseif c == "," and depth == 0 then
      out[#out + 1] = s:sub(start, i - 1):match("^%s*(.-)%s*$")
      start = i + 1
    end
  end
  local last = s:sub(start):match("^%s*(.-)%s*$")
  if last ~= "" then out[#out + 1] = last end
  return out
end
M.split_top = split_top

local OPS = { EqualTo = "=", EqualNullSafe = "=", GreaterThan = ">", GreaterThanOrEqual = ">=", LessThan = "<",
  LessThanOrEqual = "<=", In = "in", StringStartsWith = "startswith", IsNull = "isnull", IsNotNull = "isnotnull" }

-- One pushed filter ("EqualTo(d_year,2001)") into predicates { column, op, value | values };
-- And() contributes both sides, Or()/Not() only their columns (op "other": never used to skip).
local function parse_pushed(text, out)
  local name, args = text:match("^(%w+)(%b())$")
  if not name then return end
  args = args:sub(2, -2)
  if name == "And" then
    for _, a in ipairs(split_top(args)) do parse_pushed(a, out) end
    return
  end
  if name == "Or" or name == "Not" then
    local sub = {}
    for _, a in ipairs(split_top(args)) do parse_pushed(a, sub) end
    for _, p in ipairs(sub) do out[#out + 1] = { column = p.column, op = "other", text = text } end
    return
  end
  local parts = split_top(args)
  local column = parts[1] and parts[1]:gsub("`", "")
  if not column or column == "" then return end
  local op = OPS[name] or "other"
  local p = { column = column, op = op, text = text }
  if op == "in" then
    local list = (parts[2] or ""):match("^%[(.*)%]$") or table.concat(parts, ",", 2)
    p.values = split_top(list)
  elseif parts[2] then
    p.value = table.concat(parts, ",", 2)
  end
  out[#out + 1] = p
end

local function list_field(simple, field)
  local body = simple:match(field .. ": (%b[])")
  if not body then return {} end
  return split_top(body:sub(2, -2))
end

-- Columns a DataFilters / PartitionFilters expression names ("(d_year#50 = 2001)" -> d_year),
-- leaving out isnotnull(...) terms, which select nothing.
local function expr_columns(items, set)
  for _, e in ipairs(items) do
    if not e:match("^isnotnull%(") then
      for col in e:gmatch("([%w_]+)#%d+") do set[col] = true end
    end
  end
  return set
end

-- Normalised path of a location or table ("file:/a/b/" -> "/a/b").
function M.normalize(p)
  if type(p) ~= "string" then return nil end
  p = p:gsub("^file:///", "/"):gsub("^file://", ""):gsub("^file:", "")
  p = p:gsub("/%./", "/"):gsub("/+$", ""):gsub("//+", "/")
  return p
end

-- Absolute, normalised form of the table path the user gave.
function M.table_key(path, cwd)
  local n = M.normalize(path)
  if n and not n:match("^/") and not n:match("^%a[%w+.-]*:") and cwd then n = M.normalize(cwd .. "/" .. n) end
  return n
end

-- Parse one scan node's simpleString; nil when it is not a file scan.
function M.parse_scan(simple)
  if type(simple) ~= "string" or not simple:match("^FileScan") then return nil end
  local loc = simple:match("Location: [%w_]+[^%[]-%[(.-)%]")
  local scan = { location = loc, pushed = {}, partition_columns = {}, data_columns = {} }
  for _, f in ipairs(list_field(simple, "PushedFilters")) do parse_pushed(f, scan.pushed) end
  expr_columns(list_field(simple, "PartitionFilters"), scan.partition_columns)
  expr_columns(list_field(simple, "DataFilters"), scan.data_columns)
  return scan
end

-- Every scan of table_key in the apps: { app, sql, location, pushed, partition_columns,
-- data_columns, files_read, bytes_read, scan_time_ms }.
function M.find(apps, table_key)
  local out = {}
  for _, app in ipairs(apps or {}) do
    for _, sql in ipairs(app.sqls or {}) do
      for _, node in ipairs(sql:plan()) do
        local scan = M.parse_scan(node.simple_string)
        if scan and scan.location and M.normalize(scan.location) == table_key then
          scan.app, scan.sql = app.app_id, sql.execution_id
          U.scan_read(app, node, scan)
          out[#out + 1] = scan
        end
      end
    end
  end
  return out
end

return M
