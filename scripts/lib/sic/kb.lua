-- sic.kb: the knowledge base as seen by sandboxed agents (the `docs` agent attaches
-- documentation references to findings with it). A thin FFI binding to rag/kb_refs.h (its
-- cdef is generated from that header and registered by the rag component); the C side caches
-- the opened knowledge base per process and never creates one. In a sic built without rag
-- (SIC_WITH_FAISS=OFF) requiring this module fails with the reason.
--
-- Scripts get it read-only through `require "sic.kb"` (see
-- sic.engine's sandbox_require). Nothing here writes files or reaches the network.
--
--   kb.probe([path])  -> { mode = "hybrid" | "keyword" | "none", path = "...", note = "..." }
--   kb.search(query, k, [spark_version], [path])
--                     -> { {source=, doc=, section=, heading=, title=, line=, score=}, ... } or nil, why
local core = require "sic.core"
local ffi = core.ffi
local C, absent = core.module("sic.kb")
if not C then error(absent, 0) end

local M = {}

local MODES = { [0] = "hybrid", [1] = "keyword", [2] = "none" }
local NOTE_CAP, PATH_CAP = 512, 4096

local function str(p) return p ~= nil and ffi.string(p) or "" end

function M.probe(path)
  local resolved, note = ffi.new("char[?]", PATH_CAP), ffi.new("char[?]", NOTE_CAP)
  local mode = C.sic_kb_refs_probe(path, resolved, PATH_CAP, note, NOTE_CAP)
  return { mode = MODES[tonumber(mode)] or "none", path = ffi.string(resolved), note = ffi.string(note) }
end

function M.search(query, k, spark_version, path)
  if type(query) ~= "string" then error("sic.kb.search: query must be a string", 2) end
  local out, note = ffi.new("const sic_kb_ref *[1]"), ffi.new("char[?]", NOTE_CAP)
  local n = tonumber(C.sic_kb_refs_search(path, query, tonumber(k) or 2, spark_version, out, note, NOTE_CAP))
  if n < 0 then return nil, ffi.string(note) end
  local refs = {}
  for i = 0, n - 1 do
    local r = out[0][i]
    refs[#refs + 1] = { source = str(r.source), doc = str(r.doc), section = str(r.section),
      heading = str(r.heading), title = str(r.title), line = tonumber(r.line),
      score = math.floor(tonumber(r.score) * 1e4 + 0.5) / 1e4 }
  end
  return refs
end

function M.reset() C.sic_kb_refs_reset() end

return M
