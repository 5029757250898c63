-- sic.store from Lua (scripts/lib/sic/store.lua over the C API in engine/store/store.h):
-- the same documents the CLI prints, nil + message on errors.
local T = require "spec_helper"

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
    local log = T.need_shared("spark-events/sparklint/event_logs/application_1472176676028_407508_1")
    if not log then return end
    local r = T.run_sic({ "ingest", log, "--store", url, "--no-analyze" })
    assert.are.equal(0, r.code, r.stderr)
    local st = assert(store.open(url))
    assert.are.equal("sqlite", st.backend)
    local h = assert(st:history("junoHourly"))
    assert.are.equal("sic.history/1", h.schema)
    assert.are.equal(1, #h.runs)
    assert.are.equal("application_1472176676028_407508", h.runs[1].appId)
    assert.are.equal(2550426, h.runs[1].durationMs)
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
    assert.has_error(function() st:history("junoHourly") end)
  end)

  it("is reachable as sic.store (default store) and sic.open_store(url)", function()
    local log = T.need_shared("spark-events/spark/local-1426533911241")
    if not log then return end
    local r = T.run_sic({ "ingest", log, "--store", url, "--no-analyze" })
    assert.are.equal(0, r.code, r.stderr)
    local ffi = require "ffi"
    pcall(ffi.cdef, "int setenv(const char *name, const char *value, int overwrite);")
    ffi.C.setenv("SIC_STORE", url, 1) -- the default store is opened on first use
    local sic = require "sic"
    local h = assert(sic.store:history("local-1426533911241"))
    assert.are.equal("sic.history/1", h.schema)
    assert.are.equal(1, #h.runs)
    local st = assert(sic.open_store(url))
    assert.are.equal(1, #assert(st:history("Spark shell")).runs)
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
