-- Using the engine from a stock LuaJIT: `require "sic"` finds the engine modules on
-- package.path and libsic through SIC_LIB / the installed sic.config / the linker path.
--
--   luajit embed_example.lua /path/to/eventlog
local sic = require "sic"

local path = arg[1] or error("usage: luajit embed_example.lua EVENTLOG")
local app = assert(sic.load(path))
print(app)
for _, stage in ipairs(app:stages():top(3, "duration")) do
  local s = stage:stats("duration")
  print(string.format("%s  median %d ms  max %d ms  gini %.2f", stage.key, s.median, s.max, s.gini))
end

-- Zero-copy task columns: plain C arrays indexed by task row.
local tasks, slow = app.tasks, 0
for row = 0, tasks.n - 1 do
  if tasks.duration[row] > 1000 then slow = slow + 1 end
end
print("tasks over 1 s:", slow)

local report = sic.analyze(app)
print(report)
print(sic.json(report.findings[1] or {}, true))
