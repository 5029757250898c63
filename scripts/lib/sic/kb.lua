-- sic.kb: the knowledge base as seen by sandboxed agents (the `docs` agent attaches
-- documentation references to findings with it). A thin FFI binding to rag/kb_refs.h; the C
-- side caches the opened knowledge base per process and never creates one.
--
-- Owner: rag engineer. Scripts get it read-only through `require "sic.kb"` (see
-- sic.engine's sandbox_require). Nothing here writes files or reaches the network.
--
--   kb.probe([path])  -> { mode = "hybrid" | "keyword" | "none", path = "...", note = "..." }
--   kb.search(query, k, [spark_version], [path])
--                     -> { {source=, doc=, section=, heading=, title=, line=, score=}, ... } or nil, why
local core = require "sic.core"
local ffi, C = core.ffi, core.C

local M = {}

-- The same declarations as rag/kb_refs.h (plain types; the struct has no layout subtleties).
-- Guarded so that a second load of this module in one process does not redeclare them.
if not pcall(function() return C.sic_kb_refs_probe end) then
  ffi.cdef [[
typedef struct sic_kb_ref {
  const char *source; const char *doc; const char *section; const char *heading; const char *title;
  double score; int line;
} sic_kb_ref;
int sic_kb_refs_probe(const char *path, char *resolved, int64_t resolved_cap, char *note, int64_t note_cap);
int sic_kb_refs_search(const char *path, const char *query, int k, const char *spark_version,
                       const sic_kb_ref **refs_out, char *note, int64_t note_cap);
void sic_kb_refs_reset(void);
]]
end

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
