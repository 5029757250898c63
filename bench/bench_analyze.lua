-- End-to-end analysis cost: for each log, CPU seconds to parse it
-- (sic.load) and to run every agent of the graph (sic.analyze), best of N; prints the ratio
-- (parse + agents) / parse. Target (issue 4): <= 1.25 on the largest real log.
-- usage: sic run bench/bench_analyze.lua REPEAT LOG... [--largest-of LOG...]
-- Logs after --largest-of are candidates: only the one with the most decompressed bytes is timed.
local sic = require "sic"
local repeat_n = tonumber(arg and arg[1] or "") or 3
local logs, candidates, into = {}, {}, nil
for i = 2, #arg do
  if arg[i] == "--largest-of" then into = candidates
  else table.insert(into or logs, arg[i]) end
end
if #candidates > 0 then
  local best, best_bytes = nil, -1
  for _, path in ipairs(candidates) do
    local app = sic.load(path)
    if app then
      local bytes = 0
      for p = 0, tonumber(app.c.nparts) - 1 do bytes = bytes + tonumber(app.c.parts[p].bytes) end
      if bytes > best_bytes then best, best_bytes = path, bytes end
    end
  end
  table.insert(logs, 1, best)
  print(string.format("largest real log: %s (%.1f MB decompressed)", best, best_bytes / 1e6))
end
local worst = 0
for _, path in ipairs(logs) do
  local best_parse, best_agents, app, report = math.huge, math.huge
  for _ = 1, repeat_n do
    local t0 = os.clock()
    app = assert(sic.load(path))
    local t1 = os.clock()
    report = sic.analyze(app)
    local t2 = os.clock()
    best_parse, best_agents = math.min(best_parse, t1 - t0), math.min(best_agents, t2 - t1)
  end
  local ratio = (best_parse + best_agents) / best_parse
  if ratio > worst then worst = ratio end
  print(string.format("%s: %d tasks; parse %.3f s, all agents %.3f s (%d findings, %d errors); analyse/parse = %.2fx",
    path, app.tasks.n, best_parse, best_agents, #report.findings, report.errors, ratio))
  print(string.format("RESULT log=%s parse_s=%.4f agents_s=%.4f ratio=%.3f", path, best_parse, best_agents, ratio))
end
