-- log4j log loader for the knowledge base (`sic kb ingest` of driver/executor logs).
--
-- Called from C (rag/logload.c) with the whole file as one string.
-- An lpeg grammar recognises record lines of the layouts Spark ships and users commonly set:
--   23/11/07 10:59:24.335 main INFO DriverLogger: message      (thread between time and level)
--   23/11/07 10:59:24 INFO SparkContext: message                (Spark's default pattern)
--   2023-11-07 10:59:24,335 WARN  org.apache.spark.Foo - message (ISO date, " - " separator)
--   2023-11-07T10:59:24.335Z ERROR Executor: message
-- Any line that does not start a record (stack trace "at ...", "Caused by:", plan dumps) is
-- folded into the message of the record before it.
local lpeg = require "lpeg"
local P, R, S, C, Ct, Cg = lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Ct, lpeg.Cg

local M = {}

local digit = R "09"
local d2, d4 = digit * digit, digit * digit * digit * digit
local sp = S " \t" ^ 1
local frac = (S ".," * digit ^ 1) ^ -1
local zone = (P "Z" + S "+-" * d2 * P ":" ^ -1 * d2) ^ -1
local date = d4 * P "-" * d2 * P "-" * d2 + d2 * P "/" * d2 * P "/" * d2
local time = d2 * P ":" * d2 * P ":" * d2 * frac * zone
local timestamp = date * S " T" * time
local level_word = P "TRACE" + P "DEBUG" + P "INFO" + P "WARN" + P "WARNING" + P "ERROR" + P "FATAL"
local level = level_word * #(sp + P ":")
-- The thread is whatever sits between the timestamp and the level (it may contain spaces).
local thread = (1 - (sp * level)) ^ 0
local logger = (1 - S " :\t") ^ 1
local sep = P ":" * sp ^ -1 + sp * P "-" * sp + sp

-- A record line; captures {ts, thread, level, logger, msg}.
local record = Ct(Cg(C(timestamp), "ts") * sp * ((Cg(C(thread), "thread") * sp) ^ -1) *
  Cg(C(level), "level") * sp ^ -1 * P ":" ^ -1 * sp ^ -1 * Cg(C(logger), "logger") * sep *
  Cg(C(P(1) ^ 0), "msg"))

-- Record with the thread optional: try "ts level" first so a thread is never mistaken.
local no_thread = Ct(Cg(C(timestamp), "ts") * sp * Cg(C(level), "level") * sp *
  Cg(C(logger), "logger") * sep * Cg(C(P(1) ^ 0), "msg"))

--- Parse one line: a record table or nil (continuation line).
function M.parse_line(line)
  return no_thread:match(line) or record:match(line)
end

--- Parse a whole log: array of records {ts, thread, level, logger, msg, line, last_line}, with
--- continuation lines folded into msg; plus the count of lines before the first record.
function M.parse(text)
  local records, orphans, n = {}, 0, 0
  for line in (text .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    local r = M.parse_line(line)
    if r then
      r.line, r.last_line = n, n
      records[#records + 1] = r
    elseif #records > 0 then
      local last = records[#records]
      last.msg = last.msg .. "\n" .. line
      last.last_line = n
    elseif line:match("%S") then
      orphans = orphans + 1
    end
  end
  return records, orphans
end

local severe = { WARN = true, WARNING = true, ERROR = true, FATAL = true }
local TARGET = 1200

local function short_logger(name)
  return name:match("([^.]+)$") or name
end

--- Chunk a log for retrieval: every WARN/ERROR/FATAL record (with its folded stack trace) is a
--- chunk of its own; other records are grouped in windows of about TARGET bytes. Returns an
--- array of {heading, section, text, line} and the document title.
function M.chunks(text, doc)
  local records, orphans = M.parse(text)
  local out, buf, first, size = {}, {}, nil, 0
  local loggers = {}
  local function flush()
    if #buf == 0 then return end
    local names, seen = {}, {}
    for _, l in ipairs(loggers) do
      if not seen[l] and #names < 3 then seen[l] = true; names[#names + 1] = l end
    end
    local section = string.format("lines %d-%d (%s)", first.line, buf.last, table.concat(names, ", "))
    out[#out + 1] = { heading = doc .. " > " .. section, section = section,
                      text = table.concat(buf, "\n"), line = first.line }
    buf, first, size, loggers = {}, nil, 0, {}
  end
  for _, r in ipairs(records) do
    local rendered = string.format("%s %s %s: %s", r.ts, r.level, r.logger, r.msg)
    if severe[r.level] then
      flush()
      local section = string.format("%s %s line %d", r.level, short_logger(r.logger), r.line)
      out[#out + 1] = { heading = doc .. " > " .. section, section = section, text = rendered, line = r.line }
    else
      if size + #rendered > TARGET then flush() end
      first = first or r
      buf[#buf + 1] = rendered
      buf.last = r.last_line
      loggers[#loggers + 1] = short_logger(r.logger)
      size = size + #rendered + 1
    end
  end
  flush()
  if #records == 0 and orphans > 0 then
    return nil, "no log4j record found (expected lines like '23/11/07 10:59:24 INFO Logger: message')"
  end
  return out, doc
end

return M
