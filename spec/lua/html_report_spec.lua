-- `sic analyze --format html`: one self-contained page, checked in real headless Chromium
-- (spec/lua/chromium_driver.lua): no console errors, every chart drawn, DOM assertions, and a
-- screenshot saved for people to look at.
local T = require "spec_helper"
local chromium = require "chromium_driver"

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

local function source_dir()
  return debug.getinfo(1, "S").source:sub(2):match("^(.*)/spec/lua/[^/]+$")
end

describe("HTML report", function()
  it("is one self-contained file: no external resources, data that cannot close its script element", function()
    local path = T.example.shared_or("spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd")
    local r = T.run_sic({ "analyze", path, "--format", "html" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("^<!DOCTYPE html>", r.stdout)
    assert.is_nil(r.stdout:find("<script src", 1, true))
    assert.is_nil(r.stdout:find("<link ", 1, true))
    assert.is_nil(r.stdout:find("https?://[%w.]+/[%w/]*%.js"))
    -- exactly the two script elements: the data block and the drawing script
    assert.equal(2, count(r.stdout, "</script>"))
  end)

  it("renders every chart in headless Chromium without console errors", function()
    if not chromium.binary() then return pending("chromium not installed (Makefile DEBIAN_PACKAGES)") end
    -- the real q66 log, or without ../shared a generated one (its task attempts counted from its lines)
    local rel = "spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd"
    local real = T.has_shared(rel)
    local path = T.example.shared_or(rel, { seed = 181 })
    local r = T.run_sic({ "analyze", path, "--format", "html" })
    assert.equal(0, r.code, r.stderr)
    local html = os.tmpname() .. ".html"
    T.write_file(html, r.stdout)
    local page = chromium.load(html)
    assert.same({}, page.console)
    local dom = page.dom
    assert.matches('data%-rendered="yes"', dom)
    -- Gantt: one rect per drawn task (13297 attempts in this log, all under the drawing cap)
    local gantt = dom:match('<svg[^>]-id="gantt%-svg".-</svg>')
    assert.is_not_nil(gantt)
    assert.equal(real and 13297 or T.example.facts(path).tasks, count(gantt, '<rect[^>]-class="task"'))
    -- utilisation: alive and busy areas
    local util = dom:match('<svg[^>]-id="util%-svg".-</svg>')
    assert.equal(2, count(util, "<path "))
    -- distributions of the flagged stages (skew, tiny tasks, GC ...)
    assert.is_true(count(dom, 'class="chart dist"') >= 3)
    assert.is_true(count(dom, 'class="bar"') > 20)
    -- what-if curve: 8 points, runtime and cost lines, the observed size marked
    local whatif = dom:match('<svg[^>]-id="whatif%-svg".-</svg>')
    assert.equal(8, count(whatif, 'class="point"'))
    assert.matches('id="whatif%-runtime"', whatif)
    assert.matches('id="whatif%-cost"', whatif)
    -- findings table, pricing source named
    assert.is_true(count(dom, '<tr class="finding">') >= 5)
    if real then
      assert.matches("catalogue entry gcp%.n2%-standard%-16", dom) -- the log's Dataproc cluster
    else
      assert.matches("catalogue entry ", dom)
    end
    assert.matches("SQL plans: hot operators", dom)
    local shot = (os.getenv("SIC_TEST_OUT") or "/tmp") .. "/sic-html-report.png"
    assert.is_true(chromium.screenshot(html, shot, 1280, 2400), "screenshot")
    io.stderr:write("\nHTML report screenshot: " .. shot .. "\n")
    os.remove(html)
  end)

  it("highlights hot operators of a SQL plan", function()
    if not chromium.binary() then return pending("chromium not installed") end
    local path = T.example.shared_or("spark-events/spark/local-1642039451826", { seed = 181 }) -- any app with SQL
    local r = T.run_sic({ "analyze", path, "--format", "html" })
    assert.equal(0, r.code, r.stderr)
    local html = os.tmpname() .. ".html"
    T.write_file(html, r.stdout)
    local page = chromium.load(html)
    os.remove(html)
    assert.same({}, page.console)
    assert.is_true(count(page.dom, 'class="plan"') >= 1)
    assert.is_true(count(page.dom, 'class="hot1"') >= 1)
  end)

  it("keeps the embedded assets in step with engine/report/assets", function()
    local dir = source_dir()
    local before = T.read_file(dir .. "/engine/report/html_assets.c")
    local tmp = os.tmpname()
    os.execute(string.format("cp -r %q/engine/report %q.d && python3 %q.d/assets/embed.py", dir, tmp, tmp))
    local after = T.read_file(tmp .. ".d/html_assets.c")
    os.execute(string.format("rm -rf %q.d", tmp))
    os.remove(tmp)
    assert.equal(after, before, "run engine/report/assets/embed.py after editing report.js/report.css")
  end)

  it("puts several applications on one fleet page, each in its own frame (issue 18)", function()
    local dir = T.example.shared_or("spark-events/spark", { dir = { { seed = 7, tasks = 100 }, { seed = 8, tasks = 100 } } })
    local r = T.run_sic({ "analyze", dir, "--format", "html" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("<iframe loading=\"lazy\"", r.stdout)
  end)
end)
