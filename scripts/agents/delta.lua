-- delta agent: health and layout advice for the Delta tables given to the run (sic delta
-- TABLE..., sic analyze LOG --tables TABLE...), tied to the scans the event logs made of
-- them. It prepares each table (files per partition, the scans whose location is the table),
-- reports the replay's diagnostics as findings, and evaluates the rule sets naming agent
-- "delta" (scripts/rules/delta_rules.lua) over the tables. Without tables it does nothing.
local A = require "lib.analysis.delta"
local S = require "lib.analysis.delta_scans"

local SEVERITY = { error = "high", warning = "medium", info = "info" }

local function diagnostic_finding(t, d)
  return {
    id = "delta.log." .. d.code, severity = SEVERITY[d.severity] or "medium",
    title = "Delta log: " .. d.code:gsub("_", " "),
    entity = { kind = "table", key = t.table, name = t.name },
    evidence = { severity = d.severity, code = d.code, message = d.message, checkpoint = t.checkpoint.source },
    recommendation = { text = d.severity == "error" and
      "The figures for this table may be incomplete: " .. d.message or d.message },
  }
end

local function summary(snap, rows, parts, scans)
  local existing = A.existing_clustering(snap)
  local sizes = {}
  for i, r in ipairs(rows) do sizes[i] = r.size end
  return {
    table = snap.table, name = snap.name, snapshot = snap:facts(),
    layout = { partitions = #parts, median_file_bytes = A.median(sizes),
      files_without_stats = (function() local n = 0 for _, r in ipairs(rows) do if not r.has_stats then n = n + 1 end end return n end)() },
    scans = #scans,
    clustering = existing and { kind = existing.kind, columns = existing.columns } or nil,
  }
end

return {
  name = "delta",
  version = "1.0",
  needs = {},
  run = function(ctx, state)
    local tables = ctx.tables or {}
    if #tables == 0 then return { tables = {}, note = "no Delta tables given" } end
    local entities, findings, out = {}, {}, {}
    for _, t in ipairs(tables) do
      if t.error then
        findings[#findings + 1] = { id = "delta.unreadable", severity = "high", title = "Delta table could not be read",
          entity = { kind = "table", key = t.path }, evidence = { error = t.error },
          recommendation = { text = "Check the path: " .. t.error } }
        out[#out + 1] = { table = t.path, error = t.error }
      else
        local snap = t.snapshot
        for _, d in ipairs(snap.diagnostics) do findings[#findings + 1] = diagnostic_finding(snap, d) end
        local rows, parts = A.files(snap)
        local scans = S.find(ctx.apps, S.normalize(snap.location))
        entities[#entities + 1] = { key = snap.table, name = snap.name or snap.table:match("([^/]+)/*$"), snap = snap,
          rows = rows, partitions = parts, scans = scans, now_ms = ctx.now_ms or snap.last_commit_ms, stats_cache = {} }
        out[#out + 1] = summary(snap, rows, parts, scans)
      end
    end
    local target = { tables = entities, conf = function(_, k, d) return ctx.conf(k, d) end }
    for _, f in ipairs(ctx.run_rules(target)) do findings[#findings + 1] = f end
    return { tables = out, findings = findings }
  end,
}
