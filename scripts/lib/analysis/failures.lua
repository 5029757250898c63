-- analysis.failures: failure messages grouped by cause. key(msg) is the first line with the
-- parts that differ between occurrences of one cause replaced by placeholders (the same rules as
-- engine/report/failure_key.c, which groups the summary's failed tasks): URIs and paths <path>,
-- 0x-hex <hex>, runs of 8+ hex digits and dashes with a digit and a letter or dash <id>, and
-- numbers not glued to a letter before them <n>. Each group keeps its first message verbatim.
local M = {}

local function path_len(s, i, prev)
  local c = s:sub(i, i)
  if c == "/" and not prev:match("[%w_]") then
    local tok = s:match("^/[^%s,;%)%]'\":]+", i)
    if tok and #tok > 1 and tok:find("/", 2, true) then return #tok end
    return 0
  end
  if c:match("%a") and not prev:match("[%w_]") then
    local scheme = s:match("^%a[%w+%-.]*://", i)
    if scheme then return #s:match("^[^%s,;%)%]'\"]+", i) end
  end
  return 0
end

-- The grouping key of a message's first line ("" for nil).
function M.key(msg)
  local s = tostring(msg or ""):match("^[^\r\n]*")
  local out, n, i, prev = {}, #s, 1, " "
  while i <= n do
    local c = s:sub(i, i)
    local k = path_len(s, i, prev)
    if k > 0 then
      out[#out + 1] = "<path>"
      i = i + k
    elseif c == "0" and s:sub(i + 1, i + 1):match("[xX]") and s:sub(i + 2, i + 2):match("%x") and not prev:match("[%w_]") then
      out[#out + 1] = "<hex>"
      i = i + 2
      while i <= n and s:sub(i, i):match("%x") do i = i + 1 end
    elseif c:match("%x") and not prev:match("[%w_]") then
      local tok = s:match("^[%x%-]+", i)
      local hexes = #tok:gsub("%-", "")
      local nxt = s:sub(i + #tok, i + #tok)
      if hexes >= 8 and tok:find("%d") and tok:find("[a-fA-F%-]") and not nxt:match("[%w_]") then
        out[#out + 1] = "<id>"
        i = i + #tok
      elseif c:match("%d") then
        out[#out + 1] = "<n>"
        i = i + #s:match("^%d+", i)
      else
        out[#out + 1] = c
        i = i + 1
      end
    else
      out[#out + 1] = c
      i = i + 1
    end
    local last = out[#out]
    prev = last:sub(-1)
  end
  return table.concat(out)
end

-- Groups of messages: list of { key, count, example (first message verbatim) }, largest first.
function M.group(messages)
  local by, list = {}, {}
  for _, m in ipairs(messages) do
    local k = M.key(m)
    local g = by[k]
    if not g then g = { key = k, count = 0, example = m } by[k] = g list[#list + 1] = g end
    g.count = g.count + 1
  end
  table.sort(list, function(a, b) return a.count > b.count end)
  return list
end

-- The innermost cause of a Java failure message: its last "Caused by: ..." line, else its
-- first line (a wrapper such as "Exception thrown in awaitResult" says little by itself).
function M.root_cause(msg)
  msg = tostring(msg or "")
  local last
  for line in msg:gmatch("Caused by: ([^\r\n]+)") do last = line end
  return (last or msg:match("^[^\r\n]*")):gsub("%s+$", "")
end

-- A job, stage or query ended because the SparkContext was stopped: a consequence of the
-- application stopping, not a failure of its own.
function M.is_shutdown(msg)
  msg = tostring(msg or "")
  return msg:find("because SparkContext was shut down", 1, true) ~= nil or
    msg:find("SparkContext has been shutdown", 1, true) ~= nil or
    msg:find("SparkContext was shut down", 1, true) ~= nil
end

return M
