-- sic.json: a deterministic JSON encoder for reports (sorted object keys, integers without
-- ".0", NaN/inf as null, int64 cdata as numbers).
local M = {}

local ESC = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or string.format("\\u%04x", c:byte()) end) .. '"'
end

local function number(n)
  if n ~= n or n == math.huge or n == -math.huge then return "null" end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then return string.format("%d", n) end
  return string.format("%.14g", n) -- enough for report figures; avoids 0.47099999999999997
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then return false end
    n = n + 1
  end
  for i = 1, n do if t[i] == nil then return false end end
  return true, n
end

local function encode(v, out, seen, indent, depth)
  local t = type(v)
  if t == "nil" or v == M.null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then out[#out + 1] = number(v)
  elseif t == "string" then out[#out + 1] = quote(v)
  elseif t == "cdata" then
    local n = tonumber(v)
    out[#out + 1] = n and number(n) or quote(tostring(v))
  elseif t == "table" then
    if seen[v] then error("json: cycle in table", 0) end
    seen[v] = true
    local nl = indent and ("\n" .. string.rep(indent, depth + 1)) or ""
    local close = indent and ("\n" .. string.rep(indent, depth)) or ""
    local arr, n = is_array(v)
    if arr and (n > 0 or next(v) == nil and debug.getmetatable(v) ~= M.object_mt) then
      if n == 0 then out[#out + 1] = "[]" else
        out[#out + 1] = "["
        for i = 1, n do
          if i > 1 then out[#out + 1] = "," end
          out[#out + 1] = nl
          encode(v[i], out, seen, indent, depth + 1)
        end
        out[#out + 1] = close .. "]"
      end
    else
      local keys = {}
      for k, x in pairs(v) do
        if type(x) ~= "function" then keys[#keys + 1] = tostring(k) end
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        out[#out + 1] = nl .. quote(k) .. (indent and ": " or ":")
        encode(x, out, seen, indent, depth + 1)
      end
      out[#out + 1] = (#keys > 0 and close or "") .. "}"
    end
    seen[v] = nil
  else
    out[#out + 1] = quote(tostring(v))
  end
end

M.object_mt = {}
-- A value that encodes as null where nil cannot stand (a member that must be present).
M.null = setmetatable({}, { __tostring = function() return "null" end })
-- An empty table that encodes as {} rather than [].
function M.object(t) return setmetatable(t or {}, M.object_mt) end

function M.encode(v, pretty)
  local out = {}
  encode(v, out, {}, pretty and "  " or nil, 0)
  return table.concat(out)
end

return M
