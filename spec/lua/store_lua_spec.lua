-- sic.store from Lua (scripts/lib/sic/store.lua over the C API in engine/store/store.h):
-- the same documents the CLI prints, nil + message on errors.
local T = require "spec_helper"

-- A generated log: the cases need a stored run, not a real one (a clone without ../shared runs
-- them). Its job is the application's name; its duration is what its events say.
local GEN = T.example.log({ seed = 7, tasks = 300 })
local GEN_ID, GEN_JOB = T.example.app_id(GEN), "nightly_orders_etl"
local function duration_ms(path)
  local text = assert(T.read_file(path))
  local start = tonumber(text:match('"Event":"SparkListenerApplicationStart".-"Timestamp":(%d+)'))
  local finish = tonumber(text:match('"Event":"SparkListenerApplicationEnd".-"Timestamp":(%d+)'))
  return finish - start
end

describe("sic.store", function()
  local store, dir, url

  setup(function()
    store = require "sic.store"
    local p = io.popen("mktemp -d /tmp/sic-store-lua-XXXXXX")
    dir = p:read("*l")
    p:close()
    url = "sqlite://" .. dir .. "/s.db"
  end)

  teardown(function() os.execute("rm -rf " .. T.shell_quote(dir)) end)

  it("reads history and regressions of stored runs", function()
    local log = GEN
    local r = T.run_sic({ "ingest", log, "--store", url, "--no-analyze" })
    assert.are.equal(0, r.code, r.stderr)
    local st = assert(store.open(url))
    assert.are.equal("sqlite", st.backend)
    local h = assert(st:history(GEN_JOB))
    assert.are.equal("sic.history/1", h.schema)
    assert.are.equal(1, #h.runs)
    assert.are.equal(GEN_ID, h.runs[1].appId)
    assert.are.equal(duration_ms(log), h.runs[1].durationMs)
    local regs = assert(st:regressions{ since = "2016-01-01", baseline = 5 })
    assert.are.equal("sic.regressions/1", regs.schema)
    assert.are.equal(0, #regs.regressions)
    local none, msg = st:history("no-such-job")
    assert.is_nil(none)
    assert.truthy(msg:find("no-such-job", 1, true))
    local bad, why = st:regressions{ since = "soon" }
    assert.is_nil(bad)
    assert.truthy(why:find("soon", 1, true))
    st:close()
    assert.has_error(function() st:history(GEN_JOB) end)
  end)

  it("is reachable as sic.store (default store) and sic.open_store(url)", function()
    local log = GEN
    local r = T.run_sic({ "ingest", log, "--store", url, "--no-analyze" })
    assert.are.equal(0, r.code, r.stderr)
    local ffi = require "ffi"
    pcall(ffi.cdef, "int setenv(const char *name, const char *value, int overwrite);")
    ffi.C.setenv("SIC_STORE", url, 1) -- the default store is opened on first use
    local sic = require "sic"
    local h = assert(sic.store:history(GEN_ID))
    assert.are.equal("sic.history/1", h.schema)
    assert.are.equal(1, #h.runs)
    local st = assert(sic.open_store(url))
    assert.are.equal(1, #assert(st:history(GEN_JOB)).runs)
    st:close()
  end)

  it("reports a store it cannot open", function()
    local st, msg = store.open("mysql://nowhere")
    assert.is_nil(st)
    assert.truthy(msg:find("mysql://nowhere", 1, true))
  end)

  it("converts dates to UTC milliseconds", function()
    assert.are.equal(0, store.to_ms("1970-01-01"))
    assert.are.equal(1475705499000, store.to_ms("2016-10-05T22:11:39"))
    assert.are.equal(951782400000, store.to_ms("2000-02-29"))
    assert.are.equal(-1, store.to_ms(nil))
    assert.is_nil(store.to_ms("yesterday"))
  end)
end)
