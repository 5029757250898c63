-- Delta tables the project generates itself (spec/support/gen_delta.py), for specs whose
-- property does not need a particular real table: a clone without ../shared runs them too.
-- Real-table cases keep reading ../shared through T.need_shared.
--
--   local D = require "example_delta"
--   local dir, facts = D.table("checkpoint-tail")   -- a generated table and its expected snapshot
--   local all = D.kinds()                           -- every kind the generator writes, sorted
--   local root = D.root()                           -- the folder holding one table per kind
--   local copy = D.copy("checkpoint-tail")          -- a fresh writable copy (to damage)
--   local dir, facts = D.shared_or("delta/delta-rs/x", "checkpoint-tail")
--                                   -- the real table (facts nil) if there, else the generated one
--
-- facts are the generator's own bookkeeping (it applies the actions it writes, independently of
-- sic): version, files, bytes, rows, tombstones, tombstone_bytes, dv_files, dv_rows,
-- min_reader_version, min_writer_version, reader_features, partition_columns, partitions (each
-- active file's values), file_paths, tombstone {path, size, deletion_ms}, txns, domains,
-- checkpoint {kind, version, parts, sidecars, source}, log_tail, compacted_used, diagnostics
-- (the codes the damage done on purpose must raise), last_commit_ms.
--
-- Every table lives under one temporary folder of this busted process, removed when it exits.
local T = require "spec_helper"
local cjson = require "cjson"

local D = {}

local q = T.shell_quote
local root, tables, expect -- this process's folder, its generated tables and their facts (made on first use)

local function at_exit(dir)
  local ok, busted = pcall(require, "busted")
  if ok and type(busted) == "table" and busted.subscribe then
    busted.subscribe({ "exit" }, function()
      os.execute("rm -rf " .. q(dir))
      return nil, true
    end)
  end
end

local function generate()
  if root then return end
  local dir = T.tmpdir()
  local cmd = ("python3 %s %s 2>&1"):format(q(T.source_dir .. "/spec/support/gen_delta.py"), q(dir .. "/tables"))
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  local ok = p:close()
  assert(ok == true or ok == 0, "spec/support/gen_delta.py failed: " .. out)
  expect = cjson.decode((assert(T.read_file(dir .. "/tables/expect.json"), "gen_delta.py wrote no expect.json: " .. out)))
  root, tables = dir, dir .. "/tables"
  at_exit(dir)
end

function D.root()
  generate()
  return tables
end

function D.kinds()
  generate()
  local out = {}
  for k in pairs(expect) do out[#out + 1] = k end
  table.sort(out)
  return out
end

function D.table(kind)
  generate()
  local facts = expect[kind]
  assert(facts, "gen_delta.py writes no table kind " .. tostring(kind))
  return tables .. "/" .. kind, facts
end

local copies = 0
function D.copy(kind)
  local src = D.table(kind)
  copies = copies + 1
  local dst = ("%s/copies/%s-%d"):format(root, kind, copies)
  assert(os.execute(("mkdir -p %s && cp -r %s/_delta_log %s/"):format(q(dst), q(src), q(dst))))
  return dst
end

function D.shared_or(rel, kind)
  local path = T.has_shared(rel)
  if path then return path, nil end
  return D.table(kind)
end

return D
