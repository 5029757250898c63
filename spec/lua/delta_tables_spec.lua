-- Every Delta table of the shared data (256 from delta-rs, delta-kernel-rs and Delta) loads or
-- gives a clear diagnostic: in process through sic.delta, and through `sic delta` in one run.
-- Without ../shared the same runs cover every table the project generates
-- (spec/support/gen_delta.py: each log shape, damaged ones included).
local T = require "spec_helper"
local D = require "example_delta"

describe("every shared Delta table", function()
  local tables = {}
  local root, generated
  setup(function()
    root = T.has_shared("delta")
    if not root then root, generated = D.root(), true end
    local p = io.popen("find '" .. root .. "' -type d -name _delta_log | sort")
    for line in p:lines() do tables[#tables + 1] = line:gsub("/_delta_log$", "") end
    p:close()
  end)

  it("finds all 256 tables", function()
    if not T.need_shared("delta") then return end
    assert.equal(256, #tables)
  end)

  it("replays each one, or explains why not", function()
    local delta = require "sic.delta"
    local loaded, explained = 0, 0
    for _, t in ipairs(tables) do
      local s, err = delta.open(t)
      assert.is_not_nil(s, err)
      if s.version >= 0 and #s.diagnostics == 0 then loaded = loaded + 1
      else
        assert.is_true(#s.diagnostics > 0, t .. ": no version and no diagnostic")
        for _, d in ipairs(s.diagnostics) do
          assert.is_string(d.code)
          assert.is_true(#d.message > 10, t .. ": empty diagnostic")
        end
        explained = explained + 1
      end
      assert.is_true(s.files >= 0 and s.bytes >= 0)
    end
    assert.equal(#tables, loaded + explained)
    if not generated then assert.is_true(loaded > 200, "loaded " .. loaded) return end
    -- generated: exactly the tables the generator did not damage load cleanly
    local clean = 0
    for _, kind in ipairs(D.kinds()) do
      local _, facts = D.table(kind)
      if #facts.diagnostics == 0 then clean = clean + 1 end
    end
    assert.same({ #D.kinds(), clean }, { #tables, loaded })
  end)

  it("sic delta analyses them all in one run (json)", function()
    local argv = { "delta", "--format", "json" }
    for _, t in ipairs(tables) do argv[#argv + 1] = t end
    local r = T.run_sic(argv)
    assert.is_true(r.code == 0 or r.code == 1, r.stderr)
    local doc = require("cjson").decode(r.stdout)
    assert.equal("sic.delta/1", doc.schema)
    assert.equal(#tables, #doc.tables)
    for _, t in ipairs(doc.tables) do
      assert.is_true(t.snapshot ~= nil or t.error ~= nil)
      if t.snapshot then assert.is_number(t.snapshot.version) end
    end
    for _, f in ipairs(doc.findings) do assert.is_not.equal("rule_error", f.id, f.evidence and f.evidence.error) end
  end)
end)
