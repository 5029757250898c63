-- The embedded web UI in headless Chromium: the application list loads with
-- search and status, an application's page shows its charts, no console errors or uncaught
-- exceptions (the page counts them on <body data-console-errors>), screenshots saved under
-- $SIC_BUILD_DIR/http-ui/. The browser reaches only the test's own loopback server.
local T = require "spec_helper"
package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
local H = require "http_server"

local CHROMIUM = "chromium"
local FLAGS = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " ..
              "--disable-component-update --disable-sync --virtual-time-budget=8000 --window-size=1200,900"

local function have_chromium()
  local a = os.execute("command -v " .. CHROMIUM .. " >/dev/null 2>&1")
  return a == 0 or a == true
end

-- Run headless Chromium on url with a fresh profile; mode is "--dump-dom" or "--screenshot=FILE".
local function chromium(url, mode)
  local profile = os.tmpname()
  os.remove(profile)
  local out = os.tmpname()
  os.execute(string.format("timeout 90 %s %s --user-data-dir=%s %s %s >%s 2>/dev/null", CHROMIUM, FLAGS,
                           T.shell_quote(profile), mode, T.shell_quote(url), T.shell_quote(out)))
  os.execute("rm -rf " .. T.shell_quote(profile))
  local dom = T.read_file(out) or ""
  os.remove(out)
  return dom
end

local function count(s, needle)
  local n, i = 0, 1
  while true do
    local j = s:find(needle, i, true)
    if not j then return n end
    n, i = n + 1, j + #needle
  end
end

describe("the web UI in headless Chromium", function()
  local srv
  local shots = T.build_dir .. "/http-ui"
  local real = T.exists(T.shared("spark-events/spark"))
  -- What the page checks expect: the real logs' applications and numbers, or without ../shared
  -- those of generated logs (three, one renamed "largeblocks_report", two run by "irashid",
  -- and one application of two attempts), read from their own lines.
  local want = { apps = 16, app = "local-1422981780767", title = "Spark shell (local-1422981780767)", stages = 4,
                 failed = 1, host = "localhost:57971", search = "application_1553914137147_0018" }
  local function generated_dir()
    local E = T.example
    local dir, ids = E.dir({ { seed = 141, tasks = 200 }, { seed = 142, tasks = 200 }, { seed = 143, tasks = 200 } })
    local function edit(id, fn) T.write_file(dir .. "/" .. id, (fn(assert(T.read_file(dir .. "/" .. id))))) end
    edit(ids[2], function(t) return t:gsub('"App Name":"[^"]+"', '"App Name":"largeblocks_report"', 1):gsub('"User":"[^"]+"', '"User":"irashid"', 1) end)
    edit(ids[3], function(t) return t:gsub('"User":"[^"]+"', '"User":"irashid"', 1) end)
    local adir, aid = E.attempts({ seed = 145, tasks = 100 })
    assert(os.execute("cp " .. T.shell_quote(adir) .. "/" .. aid .. "_* " .. T.shell_quote(dir)))
    local f = E.facts(E.log({ seed = 141, tasks = 200 }))
    local host = assert(T.read_file(E.log({ seed = 141, tasks = 200 }))):match('"Event":"SparkListenerExecutorAdded".-"Host":"([^"]+)"')
    -- the chart draws every stage the API lists: each submitted attempt, and each stage a job
    -- listed that never ran (SKIPPED)
    local skipped, seen = 0, {}
    for _, list in pairs(f.job_stages) do
      for _, st in ipairs(list) do
        local key = st.stage .. ":" .. st.attempt
        if not f.submitted[key] and not seen[key] then seen[key], skipped = true, skipped + 1 end
      end
    end
    want = { apps = 4, app = f.id, title = f.name .. " (" .. f.id .. ")", stages = f.stages + skipped, failed = f.stages_failed,
             host = host, search = ids[2] }
    return dir
  end
  -- why a case cannot run here
  local function why()
    if not have_chromium() then return "needs chromium (Makefile DEBIAN_PACKAGES)" end
    return T.shared_reason("spark-events/spark")
  end
  setup(function()
    if have_chromium() then
      srv = H.start({ "--logs", real and T.shared("spark-events/spark") or generated_dir() })
      os.execute("mkdir -p " .. T.shell_quote(shots))
    end
  end)
  teardown(function() if srv then assert.are.equal(0, srv:stop()) end end)

  it("lists every application with its status", function()
    if not srv then return pending(why()) end
    local dom = chromium(srv.base .. "/", "--dump-dom")
    assert.matches('data%-ready="1"', dom)
    assert.matches('data%-console%-errors="0"', dom)
    -- the real dir: 18 logs, two apps have two attempts
    assert.matches("<h2>" .. want.apps .. " applications</h2>", dom)
    assert.are.equal(want.apps, count(dom, '<tr data-app="'))
    assert.is_true(count(dom, 'class="status completed"') >= 1)
    assert.is_truthy(dom:find('href="#/app/' .. want.app .. '"', 1, true))
    chromium(srv.base .. "/", "--screenshot=" .. shots .. "/list.png")
    assert.is_true(T.exists(shots .. "/list.png"))
  end)

  it("filters the list by the search text (#/?q=...)", function()
    if not srv then return pending(why()) end
    local dom = chromium(srv.base .. "/#/?q=largeblocks", "--dump-dom")
    assert.matches('data%-ready="1"', dom)
    assert.are.equal(1, count(dom, '<tr data-app="'))
    assert.is_truthy(dom:find('<tr data-app="' .. want.search .. '">', 1, true))
    -- by user: as many rows as the API lists applications of that user
    local users = 0
    for _, a in ipairs(require("cjson").decode(srv:get("/api/v1/applications").body)) do
      if a.attempts[#a.attempts].sparkUser == "irashid" then users = users + 1 end
    end
    assert.is_true(users >= 2)
    dom = chromium(srv.base .. "/#/?q=irashid", "--dump-dom")
    assert.are.equal(users, count(dom, '<tr data-app="'))
  end)

  it("opens an application with its stage and shuffle charts and executors", function()
    if not srv then return pending(why()) end
    local url = srv.base .. "/#/app/" .. want.app
    local dom = chromium(url, "--dump-dom")
    assert.matches('data%-ready="1"', dom)
    assert.matches('data%-console%-errors="0"', dom)
    assert.is_truthy(dom:find(want.title, 1, true))
    local stage_chart = dom:match('<svg id="stage%-chart".-</svg>')
    assert.is_truthy(stage_chart, "no stage chart")
    assert.are.equal(want.stages, count(stage_chart, "<rect")) -- the real log: 4 stage attempts, one failed
    assert.are.equal(want.failed, count(stage_chart, 'class="bar failed"'))
    assert.is_truthy(dom:find('<svg id="shuffle-chart"', 1, true))
    assert.is_truthy(dom:find(want.host, 1, true))
    -- findings of the rules: the failed job is a high-severity finding, and the list has a severity filter
    assert.is_truthy(dom:find('<select id="severity">', 1, true))
    assert.is_truthy(dom:find('<tr data-severity="high"><td><span class="sev high">high</span></td><td>A job failed</td>', 1, true))
    assert.is_truthy(dom:find('href="/v1/apps/' .. want.app .. '/report.html"', 1, true))
    -- the what-if curve: one point per capacity factor the runtime agent simulated
    local whatif = dom:match('<svg id="whatif%-chart".-</svg>')
    assert.is_truthy(whatif, "no what-if chart")
    assert.are.equal(8, count(whatif, '<circle class="point"'))
    assert.is_truthy(whatif:find("<polyline", 1, true))
    chromium(url, "--screenshot=" .. shots .. "/app.png")
    assert.is_true(T.exists(shots .. "/app.png"))
  end)

  it("reports an unknown application as an error the page counts (the check can fail)", function()
    if not srv then return pending(why()) end
    local dom = chromium(srv.base .. "/#/app/no-such-app", "--dump-dom")
    assert.matches('data%-ready="error"', dom)
    assert.matches('data%-console%-errors="1"', dom)
    assert.matches("HTTP 404", dom)
  end)
end)
