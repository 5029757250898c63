-- docs/rules.md, followed literally (issue 17): its files are written and its shell blocks run
-- in order in an empty directory with `sic` on PATH; each "text expect" block lists lines the
-- previous shell block must print. The generated reference at its end must equal what
-- `sic rules reference` prints, so the doc cannot drift from the code either.
local T = require "spec_helper"

local DOC = T.source_dir .. "/docs/rules.md"

-- { kind = "sh" | "file" | "expect", text =, path = } in document order.
local function blocks(text)
  local out = {}
  for info, body in text:gmatch("\n```([^\n]*)\n(.-)\n```") do
    local path = info:match("^lua file=(%S+)")
    if path then out[#out + 1] = { kind = "file", path = path, text = body .. "\n" }
    elseif info == "sh" then out[#out + 1] = { kind = "sh", text = body }
    elseif info == "text expect" then out[#out + 1] = { kind = "expect", text = body } end
  end
  return out
end

describe("docs/rules.md", function()
  local dir
  teardown(function()
    if dir then
      local pid = T.read_file(dir .. "/serve.pid")
      -- the server the guide starts is stopped by its last block; make sure on failure too
      if pid and pid:match("^%d+") then os.execute("kill " .. pid:match("^%d+") .. " 2>/dev/null") end
      os.execute("rm -rf " .. T.shell_quote(dir))
    end
  end)

  it("works when followed literally from an empty directory", function()
    local doc = assert(T.read_file(DOC))
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. T.shell_quote(dir .. "/bin")))
    assert(os.execute("ln -s " .. T.shell_quote(T.sic_bin) .. " " .. T.shell_quote(dir .. "/bin/sic")))
    local n_sh, n_expect, last = 0, 0, nil
    for i, b in ipairs(blocks(doc)) do
      if b.kind == "file" then
        os.execute("mkdir -p " .. T.shell_quote(dir .. "/" .. (b.path:match("^(.*)/") or ".")))
        T.write_file(dir .. "/" .. b.path, b.text)
      elseif b.kind == "sh" then
        n_sh = n_sh + 1
        local script = dir .. "/block" .. i .. ".sh"
        T.write_file(script, "set -e\ncd " .. T.shell_quote(dir) .. "\nexport PATH=" .. T.shell_quote(dir .. "/bin") ..
          ":\"$PATH\"\nunset SIC_SCRIPTS SIC_CONFIG\n" .. b.text .. "\n")
        local p = io.popen("bash " .. T.shell_quote(script) .. " 2>&1; echo \"exit=$?\"")
        last = p:read("*a")
        p:close()
        assert.matches("exit=0\n$", last, nil, nil, "block " .. i .. " failed:\n" .. b.text .. "\n--- output:\n" .. last)
      else
        n_expect = n_expect + 1
        for line in b.text:gmatch("[^\n]+") do
          assert.truthy(last and last:find(line, 1, true),
            string.format("expected %q in the output of the block before it:\n%s", line, tostring(last)))
        end
      end
    end
    assert.is_true(n_sh >= 8 and n_expect >= 8)
  end)

  it("holds the reference `sic rules reference` generates", function()
    local doc = assert(T.read_file(DOC))
    local section = doc:match("<!%-%- reference:begin %-%->\n(.-)<!%-%- reference:end %-%->")
    local r = T.run_sic({ "rules", "reference" })
    assert.equal(0, r.code, r.stderr)
    assert.equal(r.stdout, section, "docs/rules.md's reference is stale: regenerate it with sic rules reference")
  end)
end)
