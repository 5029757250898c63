-- Test-only JSON reader and comparer for the History Server specs.
--
-- Unlike lua-cjson it keeps what a comparison of History Server output needs: objects and
-- arrays stay distinct ("{ }" is not "[ ]"), and numbers keep their literal so integers are
-- compared exactly (no 2^53 rounding) and an integer is never equal to a double ("37" vs
-- "37.0" is a type difference in Jackson output).
--
--   local J = require "shs_json"
--   local v = J.decode(text)                 -- error() with the byte offset on bad input
--   local v = J.decode(text, {same_dups = true}) -- tolerate a key repeated with the same value
--                                               -- (one of Spark's own expectation files has one)
--   local path = J.diff(got, want, ignore)   -- nil when equal, else "$.a[3].b: why"

local J = {}

local OBJ, ARR, NUM = {}, {}, {}
J.OBJ, J.ARR, J.NUM = OBJ, ARR, NUM

local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function utf8(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
    0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

function J.decode(s, opts)
  opts = opts or {}
  local pos = 1
  local function fail(what) error(("JSON: %s at byte %d"):format(what, pos), 0) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local j = s:find('["\\]', i)
      if not j then fail("unterminated string") end
      out[#out + 1] = s:sub(i, j - 1)
      if s:sub(j, j) == '"' then pos = j + 1; return table.concat(out) end
      local e = s:sub(j + 1, j + 1)
      if e == "u" then
        local cp = tonumber(s:sub(j + 2, j + 5), 16) or fail("bad \\u escape")
        i = j + 6
        if cp >= 0xD800 and cp < 0xDC00 and s:sub(i, i + 1) == "\\u" then
          local lo = tonumber(s:sub(i + 2, i + 5), 16)
          if lo and lo >= 0xDC00 and lo < 0xE000 then
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = utf8(cp)
      else
        out[#out + 1] = escapes[e] or fail("bad escape")
        i = j + 2
      end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = { [OBJ] = true, keys = {} }
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("expected key") end
        local k = str(); ws()
        if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        local old = t.keys[k]
        t.keys[k] = value(); ws()
        if old ~= nil and not (opts.same_dups and J.diff(old, t.keys[k]) == nil) then
          fail("duplicate key " .. k)
        end
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return t elseif d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local t = { [ARR] = true, n = 0 }
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t.n = t.n + 1; t[t.n] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return t elseif d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then
      return str()
    elseif s:find("^true", pos) then pos = pos + 4; return true
    elseif s:find("^false", pos) then pos = pos + 5; return false
    elseif s:find("^null", pos) then pos = pos + 4; return J.null
    else
      local lit = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not lit or lit == "" or lit == "-" then fail("unexpected character") end
      pos = pos + #lit
      return { [NUM] = true, text = lit, int = not lit:find("[.eE]"), value = tonumber(lit) }
    end
  end
  local v = value(); ws()
  if pos <= #s then fail("trailing data") end
  return v
end

J.null = setmetatable({}, { __tostring = function() return "null" end })

local function kind(v)
  if type(v) ~= "table" then return type(v) end
  if v == J.null then return "null" end
  if v[OBJ] then return "object" end
  if v[ARR] then return "array" end
  if v[NUM] then return v.int and "integer" or "double" end
  return "?"
end

local function show(v)
  local k = kind(v)
  if k == "string" then return ("%q"):format(#v > 60 and v:sub(1, 60) .. "..." or v) end
  if k == "integer" or k == "double" then return v.text end
  return k == "object" and "{...}" or k == "array" and ("[" .. v.n .. " items]") or tostring(v)
end

-- nil when got equals want (object key order free, array order kept), else a message naming
-- the JSON path of the first difference. ignore[key] = true skips that key in objects.
function J.diff(got, want, ignore, path)
  path = path or "$"
  ignore = ignore or {}
  local kg, kw = kind(got), kind(want)
  if kg ~= kw then return ("%s: got %s %s, want %s %s"):format(path, kg, show(got), kw, show(want)) end
  if kg == "object" then
    local names = {}
    for k in pairs(want.keys) do names[#names + 1] = k end
    for k in pairs(got.keys) do if want.keys[k] == nil then names[#names + 1] = k end end
    table.sort(names)
    for _, k in ipairs(names) do
      if not ignore[k] then
        local p = path .. "." .. k
        if got.keys[k] == nil then return p .. ": missing" end
        if want.keys[k] == nil then return p .. ": unexpected (" .. show(got.keys[k]) .. ")" end
        local d = J.diff(got.keys[k], want.keys[k], ignore, p)
        if d then return d end
      end
    end
    return nil
  elseif kg == "array" then
    for i = 1, math.max(got.n, want.n) do
      local p = ("%s[%d]"):format(path, i - 1)
      if i > got.n then return p .. ": missing (got " .. got.n .. " items, want " .. want.n .. ")" end
      if i > want.n then return p .. ": unexpected (got " .. got.n .. " items, want " .. want.n .. ")" end
      local d = J.diff(got[i], want[i], ignore, p)
      if d then return d end
    end
    return nil
  elseif kg == "integer" then
    local a, b = got.text:gsub("^%-0+(%d)", "-%1"), want.text:gsub("^%-0+(%d)", "-%1")
    if a ~= b then return ("%s: got %s, want %s"):format(path, got.text, want.text) end
  elseif kg == "double" then
    if got.value ~= want.value then return ("%s: got %s, want %s"):format(path, got.text, want.text) end
  elseif got ~= want then
    return ("%s: got %s, want %s"):format(path, show(got), show(want))
  end
  return nil
end

-- The History Server expectation cases: CASES.tsv in dir maps an expectation file name to the
-- path under /api/v1/ it answers. Returns { {name=, path=}, ... } in file order.
function J.cases(dir)
  local list = {}
  for line in io.lines(dir .. "/CASES.tsv") do
    if line ~= "" and not line:find("^#") then
      local name, path = line:match("^([^\t]+)\t(.+)$")
      if name then list[#list + 1] = { name = name, path = path } end
    end
  end
  return list
end

return J
