-- sic.repl: line evaluation and tab completion for `sic repl` (the C side owns readline
-- and the terminal).
local pretty = require "sic.pretty"

local M = {}
local buffer = nil -- pending lines of an incomplete chunk

local function print_results(n, ...)
  local out = {}
  for i = 1, n do out[i] = pretty.format((select(i, ...))) end
  if n > 0 then io.stdout:write(table.concat(out, "\t"), "\n") end
  io.stdout:flush()
end

local function compile(src)
  local fn = loadstring("return " .. src, "=stdin")
  if fn then return fn end
  return loadstring(src, "=stdin")
end

-- Feed one line. Returns "ok", "error" (message printed to stderr) or "more" (the chunk is
-- incomplete: the caller shows a continuation prompt and feeds the next line).
function M.feed(line)
  local src = buffer and (buffer .. "\n" .. line) or line
  if src:match("^%s*$") then buffer = nil return "ok" end
  if src:sub(1, 1) == "=" then src = "return " .. src:sub(2) end
  local fn, err = compile(src)
  if not fn then
    if err:match("<eof>") then buffer = src return "more" end
    buffer = nil
    io.stderr:write(err, "\n")
    return "error"
  end
  buffer = nil
  setfenv(fn, _G)
  local function pack(...) return { n = select("#", ...), ... } end
  local res = pack(xpcall(fn, function(e)
    if type(e) == "table" and type(e.message) == "string" then return e.message end -- user-facing error
    local tb = debug.traceback(tostring(e), 2)
    return (tb:gsub("\n%s*%[C%]: in function 'xpcall'.*$", "")) -- the REPL's own frames are noise
  end))
  if not res[1] then
    io.stderr:write(res[2], "\n")
    return "error"
  end
  print_results(res.n - 1, unpack(res, 2, res.n))
  return "ok"
end

-- Field names an object offers: table keys, metatable __index tables, model fields.
local function members(v)
  local names, seen = {}, {}
  local function add(k)
    if type(k) == "string" and k:match("^[%a_][%w_]*$") and not seen[k] and not k:match("^_") then
      seen[k] = true
      names[#names + 1] = k
    end
  end
  local ok = pcall(function()
    if type(v) == "table" then for k in pairs(v) do add(k) end end
    local mt = debug.getmetatable(v)
    local depth = 0
    while type(mt) == "table" and depth < 4 do
      if type(mt.__index) == "table" then for k in pairs(mt.__index) do add(k) end end
      for k, x in pairs(mt) do if type(k) == "string" and not k:match("^__") then add(k) end end
      if mt.fields then for _, k in ipairs(mt.fields(v) or {}) do add(k) end end
      depth = depth + 1
      mt = type(mt.__index) == "table" and debug.getmetatable(mt.__index) or nil
    end
  end)
  -- Model objects: C struct fields plus computed fields.
  if type(v) == "table" and rawget(v, "c") then
    local core = require "sic.core"
    local ctype = tostring(core.ffi.typeof(v.c)):match("struct ([%w_]+)")
    for _, e in ipairs(core.layout()) do
      if e.field and (e.type == ctype or (ctype == nil and false)) then add(e.field) end
    end
    -- strict views raise on a missing field: probe inside the pcall
    pcall(function() if v.fields then for _, k in ipairs(v:fields()) do add(k) end end end)
    local mt = debug.getmetatable(v)
    if mt and mt.kind == "stage" then for _, k in ipairs { "name", "status", "duration", "ntasks", "key", "tasks", "stats" } do add(k) end end
  end
  if type(v) == "table" and rawget(v, "_t") then -- task view
    for _, k in ipairs(v.columns()) do add(k) end
  end
  table.sort(names)
  return names
end

-- Candidates completing `text` (the word before the cursor, e.g. "app.sta" or "sic.lo").
function M.complete(text)
  local prefix, sep, partial = text:match("^(.-)([%.:])([%w_]*)$")
  local base, candidates = _G, {}
  if prefix then
    local v = _G
    -- Only plain field access and numeric indexing (app.stages[1]) are followed; nothing is
    -- called while completing.
    for part in prefix:gmatch("[^%.:]+") do
      local name, rest = part:match("^([%a_][%w_]*)(.*)$")
      if not name then return {} end
      local ok, nv = pcall(function() return v[name] end)
      if not ok or nv == nil then return {} end
      for idx in rest:gmatch("%[(%d+)%]") do
        ok, nv = pcall(function() return nv[tonumber(idx)] end)
        if not ok or nv == nil then return {} end
      end
      if rest:gsub("%[%d+%]", "") ~= "" then return {} end
      v = nv
    end
    base = v
  else
    partial, prefix, sep = text, "", ""
  end
  for _, k in ipairs(members(base)) do
    if k:sub(1, #partial) == partial then
      local ok, val = pcall(function() return base[k] end)
      local suffix = (ok and type(val) == "function" and sep == ":") and "(" or ""
      candidates[#candidates + 1] = prefix .. sep .. k .. suffix
    end
  end
  if not sep or sep == "" then
    for _, kw in ipairs { "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
      "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" } do
      if kw:sub(1, #partial) == partial then candidates[#candidates + 1] = kw end
    end
  end
  return candidates
end

return M
