-- Test utilities for the Lua host specs (lua_*_spec.lua): temporary script dirs and
-- engines over them.
local T = require "spec_helper"

local U = {}

function U.mkdtemp()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. T.shell_quote(p .. "/rules") .. " " .. T.shell_quote(p .. "/agents")))
  return p
end

function U.rmtree(p)
  if p and p:match("^/tmp/") then os.execute("rm -rf " .. T.shell_quote(p)) end
end

function U.write(dir, rel, text)
  return T.write_file(dir .. "/" .. rel, text)
end

function U.builtin() return T.source_dir .. "/scripts" end

-- An engine over user dirs + the built-in scripts (or only dirs when builtin == false).
function U.engine(dirs, extra)
  local opts = { dirs = dirs or {}, builtin = U.builtin() }
  for k, v in pairs(extra or {}) do opts[k] = v end
  if opts.builtin == false then opts.builtin = nil end
  return require("sic.engine").new(opts)
end

U.LOG_SKEW = "spark-events/spark-extra/application_1536831636016_59384_1"
U.LOG_NDS = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_gpu.zstd"

function U.ids(findings)
  local out = {}
  for _, f in ipairs(findings) do out[#out + 1] = f.id end
  return out
end

function U.count(findings, id)
  local n = 0
  for _, f in ipairs(findings) do if f.id == id then n = n + 1 end end
  return n
end

-- Every entity rule `id` fired on, as per-entity findings { id, entity, evidence, impact,
-- recommendation, rule }: members of a grouped finding, and entities another rule's finding
-- took over (deferral: its `related` list, on it or on its members).
function U.entities(findings, id)
  local out = {}
  local function add(f, m) out[#out + 1] = { id = id, entity = m.entity, evidence = m.evidence, impact = m.impact,
    recommendation = m.recommendation, rule = f.rule, severity = m.severity or f.severity } end
  for _, f in ipairs(findings) do
    local members = f.members or { f }
    if f.id == id then for _, m in ipairs(members) do add(f, m) end end
    for _, m in ipairs(members) do
      for _, r in ipairs(m.related or {}) do if r.id == id and r.evidence then add(f, r) end end
    end
    if f.members then for _, r in ipairs(f.related or {}) do if r.id == id and r.evidence then add(f, r) end end end
  end
  return out
end

function U.find(findings, pred)
  for _, f in ipairs(findings) do if pred(f) then return f end end
end

return U
