-- metastore agent: the Hive metastore's view of the tables the application's SQL scans read
-- (sic analyze LOG --metastore postgresql://..., or SIC_METASTORE). It finds the scans
-- (lib.analysis.metastore_scans), asks the metastore for those tables by name and by location
-- (ctx.metastore, sources/metastore.c), joins each table with the scans that read it, and
-- evaluates the rule sets naming agent "metastore" (scripts/rules/metastore_rules.lua) over the
-- tables, so every finding carries the metastore's figures and the job's scan metrics. Without
-- a metastore it does nothing. (The "metadata" agent is the application's own facts.)
local S = require "lib.analysis.metastore_scans"
local A = require "lib.analysis.metastore"

local function unreadable(ctx, err, names, locations)
  return {
    id = "metastore.unreadable", severity = "high", title = "Hive metastore could not be read",
    entity = { kind = "metastore", key = ctx.metastore_url or "metastore" },
    evidence = { error = err, url = ctx.metastore_url, tables_asked = names, locations_asked = locations },
    recommendation = { text = "No metastore finding could be made: " .. err },
  }
end

-- Scans that name a catalog table the metastore does not have (tables read by path only are
-- not expected there).
local function not_found(scans, matched)
  local out, seen = {}, {}
  for _, s in ipairs(scans) do
    if s.table and not matched[s.table] and not seen[s.table] then
      seen[s.table] = true
      out[#out + 1] = s.table
    end
  end
  table.sort(out)
  return out
end

return {
  name = "metastore",
  version = "1.0",
  needs = {},
  run = function(ctx)
    if not ctx.metastore_url then return { tables = {}, note = "no metastore given" } end
    local scans = S.find(ctx.apps)
    local names, locations = S.wanted(scans)
    if #names == 0 and #locations == 0 then
      return { url = ctx.metastore_url, tables = {}, note = "the SQL scans read no catalog table or path" }
    end
    local doc, err = ctx.metastore(names, locations)
    if not doc then
      return { url = ctx.metastore_url, tables = {}, error = err, findings = { unreadable(ctx, err, names, locations) } }
    end
    -- One table per db.name: a Hive 3 metastore may hold it in several catalogs; "hive" wins.
    local by_name, order = {}, {}
    for _, t in ipairs(doc.tables or {}) do
      local k = ((t.db or "") .. "." .. (t.name or "")):lower()
      local prev = by_name[k]
      if not prev then order[#order + 1] = k end
      if not prev or (t.catalog == "hive" and prev.catalog ~= "hive") then by_name[k] = t end
    end
    local entities, summary, matched = {}, {}, {}
    for _, k in ipairs(order) do
      local t = by_name[k]
      local mine = S.of_table(scans, t)
      if #mine > 0 then
        matched[k] = true
        local e = A.entity(t, mine, S.totals(mine))
        entities[#entities + 1] = e
        summary[#summary + 1] = { table = e.key, location = e.location, format = e.format.kind, partitioned = e.partitioned,
          partitions = e.partitions_total, files = e.files, bytes = e.bytes, rows = e.rows, scans = #mine,
          matched_by = mine[1].matched_by, files_read = e.job.files_read, bytes_read = e.job.bytes_read }
      end
    end
    local missing = not_found(scans, matched)
    local findings = {}
    if #missing > 0 then
      findings[1] = { id = "metastore.table_not_found", severity = "info",
        title = "Tables the SQL scans read are not in the metastore",
        entity = { kind = "metastore", key = ctx.metastore_url },
        evidence = { tables = missing, url = ctx.metastore_url },
        recommendation = { text = "Not found in " .. ctx.metastore_url .. ": " .. table.concat(missing, ", ") ..
          ". They may live in another catalog or metastore (Glue, Unity), or be temporary views." } }
    end
    -- conf: the application's settings, so a recommended setting it already has is left out
    local target = { tables = entities, conf = function(_, k, d) return ctx.conf(k, d) end }
    for _, f in ipairs(ctx.run_rules(target)) do findings[#findings + 1] = f end
    return { url = ctx.metastore_url, version = doc.version, tables = summary, not_found = missing, findings = findings }
  end,
}
