-- `sic rules list|new|check|test|explain` (engine/cli/cmd_rules.c runs this file with the
-- command's arguments; the exit status is left in the global SIC_EXIT).
-- The logic lives in sic.rule_tools so specs can call it without a process.
local tools = require "sic.rule_tools"
local json = require "sic.json"

-- engine/cli/cmd_rules.c parses the command line (the one option parser, engine/cli/args.c)
-- and passes: FORMAT ("text" | "json"), APPLIES_TO, DIR ("" when not given), COMMAND, ARGS...
local args = { ... }
local format = args[1]
local opts = { ["applies-to"] = args[2] ~= "" and args[2] or nil, dir = args[3] ~= "" and args[3] or nil }
local pos = { select(4, ...) }

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
