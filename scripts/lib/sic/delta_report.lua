-- sic.delta_report: `sic delta TABLE... [--logs LOG...]`: loads the event logs, runs the delta
-- agent (outside the graph: there may be no application) and renders the sic.delta/1 document
-- as JSON, text, Markdown or a self-contained HTML page.
local json = require "sic.json"

local M = {}

local function num(n) return n == nil and "-" or tostring(n) end
local function size(b)
  if type(b) ~= "number" then return "-" end
  local units, i = { "B", "KiB", "MiB", "GiB", "TiB" }, 1
  while b >= 1024 and i < #units do b, i = b / 1024, i + 1 end
  return i == 1 and string.format("%d B", b) or string.format("%.1f %s", b, units[i])
end

local function facts_lines(s)
  local cp = s.checkpoint
  local lines = {
    { "version", num(s.version) }, { "active files", num(s.files) }, { "bytes", size(s.bytes) },
    { "rows", type(s.rows) ~= "number" and "unknown (stats lack numRecords)" or num(s.rows) },
    { "tombstones", num(s.tombstones) .. " (" .. size(s.tombstone_bytes) .. ")" },
    { "partition columns", #s.partition_columns > 0 and table.concat(s.partition_columns, ", ") or "none" },
    { "protocol", string.format("reader %d%s, writer %d%s", s.protocol.min_reader_version,
      #s.protocol.reader_features > 0 and " [" .. table.concat(s.protocol.reader_features, ", ") .. "]" or "",
      s.protocol.min_writer_version,
      #s.protocol.writer_features > 0 and " [" .. table.concat(s.protocol.writer_features, ", ") .. "]" or "") },
    { "checkpoint", type(cp.version) == "number" and string.format("%d (%s, %d part(s)%s) via %s", cp.version, cp.kind, cp.parts,
      cp.sidecars > 0 and (", " .. cp.sidecars .. " sidecar(s)") or "", cp.source or "?") or ("none, " .. (cp.source or "")) },
    { "log tail", num(s.log_tail) .. " commit(s) after the checkpoint" },
    { "deletion vectors", string.format("%d file(s), %d row(s) deleted", s.deletion_vectors.files, s.deletion_vectors.deleted_rows) },
  }
  return lines
end

local function finding_text(f)
  local rec = f.recommendation and f.recommendation.text or ""
  return string.format("[%s] %s (%s)\n    %s", f.severity, f.title, f.id, rec)
end

local function render_text(doc)
  local out = {}
  for _, t in ipairs(doc.tables) do
    out[#out + 1] = "Delta table " .. t.table
    if t.error then out[#out + 1] = "  cannot be read: " .. t.error
    else
      for _, l in ipairs(facts_lines(t.snapshot)) do out[#out + 1] = string.format("  %-18s %s", l[1], l[2]) end
      out[#out + 1] = string.format("  %-18s %d scan(s) of this table in the event logs", "scans", t.scans or 0)
    end
    out[#out + 1] = ""
    out[#out + 1] = "Findings"
    out[#out + 1] = "--------"
    local n = 0
    for _, f in ipairs(doc.findings) do
      if f.entity and f.entity.key == t.table then out[#out + 1] = finding_text(f) n = n + 1 end
    end
    if n == 0 then out[#out + 1] = "none" end
    out[#out + 1] = ""
  end
  for _, f in ipairs(doc.findings) do
    if not (f.entity and f.entity.kind == "table") then out[#out + 1] = finding_text(f) end
  end
  for _, l in ipairs(doc.logs) do
    if l.error then out[#out + 1] = "event log " .. l.path .. ": " .. l.error end
  end
  return table.concat(out, "\n")
end

local function render_md(doc)
  local out = { "# Delta tables", "" }
  for _, t in ipairs(doc.tables) do
    out[#out + 1] = "## `" .. t.table .. "`"
    out[#out + 1] = ""
    if t.error then out[#out + 1] = "Cannot be read: " .. t.error
    else
      out[#out + 1] = "| fact | value |"
      out[#out + 1] = "|---|---|"
      for _, l in ipairs(facts_lines(t.snapshot)) do out[#out + 1] = "| " .. l[1] .. " | " .. l[2]:gsub("|", "\\|") .. " |" end
    end
    out[#out + 1] = ""
    out[#out + 1] = "### Findings"
    out[#out + 1] = ""
    for _, f in ipairs(doc.findings) do
      if f.entity and f.entity.key == t.table then
        out[#out + 1] = string.format("- **%s** %s (`%s`): %s", f.severity, f.title, f.id,
          f.recommendation and f.recommendation.text or "")
      end
    end
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;")) end

local function render_html(doc)
  local out = { "<!doctype html><html><head><meta charset=\"utf-8\"><title>sic delta</title>",
    "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}" ..
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.sev{font-weight:bold}</style></head><body>",
    "<h1>Delta tables</h1>" }
  for _, t in ipairs(doc.tables) do
    out[#out + 1] = "<h2>" .. esc(t.table) .. "</h2>"
    if t.error then out[#out + 1] = "<p>Cannot be read: " .. esc(t.error) .. "</p>"
    else
      out[#out + 1] = "<table>"
      for _, l in ipairs(facts_lines(t.snapshot)) do out[#out + 1] = "<tr><th>" .. esc(l[1]) .. "</th><td>" .. esc(l[2]) .. "</td></tr>" end
      out[#out + 1] = "</table>"
    end
    out[#out + 1] = "<h3>Findings</h3><ul>"
    for _, f in ipairs(doc.findings) do
      if f.entity and f.entity.key == t.table then
        out[#out + 1] = string.format("<li><span class=\"sev\">%s</span> %s (<code>%s</code>)<br>%s</li>", esc(f.severity), esc(f.title),
          esc(f.id), esc(f.recommendation and f.recommendation.text or ""))
      end
    end
    out[#out + 1] = "</ul>"
  end
  out[#out + 1] = "<script type=\"application/json\" id=\"sic-delta\">" .. json.encode(doc):gsub("</", "<\\/") .. "</script>"
  out[#out + 1] = "</body></html>"
  return table.concat(out, "\n")
end

-- engine: a loaded sic.engine (its table paths come from the host's opts). Returns the
-- rendered text and the number of tables or logs that could not be read.
function M.run(engine, format, tables, logs)
  local model = require "sic.model"
  local apps, log_rows, failed = {}, {}, 0
  for _, p in ipairs(logs or {}) do
    local app, err = model.load(p)
    if app then
      apps[#apps + 1] = app
      log_rows[#log_rows + 1] = { path = p, app_id = app.app_id, name = app.name }
    else
      failed = failed + 1
      log_rows[#log_rows + 1] = { path = p, error = tostring(err) }
    end
  end
  engine.table_paths = tables
  engine.tables_loaded = nil
  local layer, findings = engine:run_agent("delta", apps[1], { apps = apps })
  local per_table = layer and layer.tables or {}
  for _, t in ipairs(per_table) do if t.error then failed = failed + 1 end end
  local first = per_table[1]
  local doc = {
    schema = "sic.delta/1",
    snapshot = first and first.snapshot or json.null,
    findings = findings,
    tables = per_table,
    logs = log_rows,
  }
  if format == "json" then return json.encode(doc, true), failed end
  if format == "md" then return render_md(doc), failed end
  if format == "html" then return render_html(doc), failed end
  return render_text(doc), failed
end

return M
