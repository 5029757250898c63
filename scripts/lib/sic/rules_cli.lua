-- `sic rules list|new|check|test|explain` (engine/cli/cmd_rules.c runs this file with the
-- command's arguments; the exit status is left in the global SIC_EXIT).
-- The logic lives in sic.rule_tools so specs can call it without a process.
local tools = require "sic.rule_tools"
local json = require "sic.json"

local args = { ... }
local format, opts, pos = "text", {}, {}
local i = 1
while i <= #args do
  local a = args[i]
  local key, val = a:match("^%-%-([%w%-]+)=(.*)$")
  if not key and a:match("^%-%-") then key = a:sub(3) end
  if key == "format" or key == "applies-to" or key == "dir" then
    if not val then i = i + 1 val = args[i] end
    if val == nil then io.stderr:write("sic rules: --" .. key .. " needs a value\n") SIC_EXIT = 2 return end
    if key == "format" then format = val else opts[key] = val end
  elseif key then
    io.stderr:write("sic rules: unknown option " .. a .. " (see sic rules --help)\n")
    SIC_EXIT = 2
    return
  else
    pos[#pos + 1] = a
  end
  i = i + 1
end
if format ~= "text" and format ~= "json" then
  io.stderr:write("sic rules: --format takes text or json\n")
  SIC_EXIT = 2
  return
end

local cmd = table.remove(pos, 1)
local commands = { list = true, new = true, check = true, test = true, explain = true, reference = true, env = true }
if not commands[cmd] then
  local near = require("sic.model").nearest(tostring(cmd), { "list", "new", "check", "test", "explain", "reference", "env" }, 1)
  io.stderr:write(string.format("sic rules: unknown command '%s'%s (see sic rules --help)\n", tostring(cmd),
    near[1] and ("; did you mean '" .. near[1] .. "'?") or ""))
  SIC_EXIT = 2
  return
end

local ok, result, code = pcall(tools[cmd], pos, opts)
if not ok then
  io.stderr:write("sic rules " .. cmd .. ": " .. tostring(result) .. "\n")
  SIC_EXIT = type(result) == "string" and result:match("^usage:") and 2 or 1
  return
end
if format == "json" then
  io.write(json.encode(result, true), "\n")
else
  io.write(tools.text(cmd, result))
end
SIC_EXIT = code or 0
