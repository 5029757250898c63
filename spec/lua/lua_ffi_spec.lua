-- The FFI boundary: layouts generated from model.h agree with the C compiler, the ABI
-- handshake refuses a mismatch, and the zero-copy model views read what C reads.
local T = require "spec_helper"
local U = require "luahost_util"
local ffi = require "ffi"

describe("FFI layout", function()
  local core = require "sic.core"

  it("agrees with C for every struct, field and constant of the SIC_FFI regions", function()
    local rows = core.layout()
    local structs, fields, consts = 0, 0, 0
    for _, e in ipairs(rows) do
      if e.type == "#" then consts = consts + 1 elseif e.field then fields = fields + 1 else structs = structs + 1 end
    end
    assert.is_true(structs >= 25, "structs: " .. structs)
    assert.is_true(fields >= 250, "fields: " .. fields)
    assert.is_true(consts >= 80, "constants: " .. consts)
    assert.same({}, core.check_layout())
    assert.equal(ffi.sizeof("sic_col"), 32)
    assert.equal(ffi.offsetof("sic_tasks", "metric") + 34 * 32, ffi.offsetof("sic_tasks", "peak"))
  end)

  it("covers the structs of every component module (generated cdefs, no hand-written ones)", function()
    local built = {}
    for _, name in ipairs(core.modules()) do built[name] = true end
    assert.is_true(built["sic.store"] and built["sic.ml"] and true or false, table.concat(core.modules(), ","))
    local want = { ["sic.store"] = "sic_regress_opts", ["sic.ml"] = "sic_ml_summary", ["sic.kb"] = "sic_kb_ref" }
    for name, struct in pairs(want) do
      if built[name] then
        local fields = 0
        for _, e in ipairs(core.layout(name)) do
          if e.type == struct and e.field then fields = fields + 1 end
        end
        assert.is_true(fields >= 4, name .. ": " .. struct .. " fields in the layout table: " .. fields)
      end
    end
    assert.same({}, core.check_layout())
    -- the Lua modules declare nothing by hand: their cdef comes from the headers
    for _, m in ipairs({ "kb", "ml", "store" }) do
      local src = T.read_file(T.source_dir .. "/scripts/lib/sic/" .. m .. ".lua")
      assert.is_nil(src:find("ffi%.cdef"), m .. ".lua declares its own cdef")
    end
  end)

  it("detects a layout that differs from C", function()
    -- A struct declared differently on the Lua side is caught by the same comparison.
    local ok = pcall(ffi.cdef, "typedef struct sic_fake_layout { int32_t a; int64_t b; } sic_fake_layout;")
    assert.is_true(ok)
    assert.equal(8, ffi.offsetof("sic_fake_layout", "b"))
    local rows = { { type = "sic_fake_layout", field = "b", size = 8, offset = 4 } }
    local orig = core.layout
    core.layout = function() return rows end
    local problems = core.check_layout()
    core.layout = orig
    assert.equal(1, #problems)
    assert.matches("offsetof%(sic_fake_layout, b%): C 4, FFI 8", problems[1])
  end)

  it("performs the ABI handshake and refuses a mismatch with a clear error", function()
    assert.equal(core.ABI_VERSION, core.abi)
    local dir = U.mkdtemp()
    os.execute("mkdir -p " .. dir .. "/sic")
    local src = T.read_file(T.source_dir .. "/scripts/lib/sic/core.lua")
    local patched = src:gsub("M%.ABI_VERSION = %d+", "M.ABI_VERSION = 999")
    assert.not_equal(src, patched)
    U.write(dir, "sic/core.lua", patched)
    local out = os.tmpname()
    local cmd = string.format("SIC_LIB=%s luajit -e 'package.path=%q..\";\"..package.path; require \"sic.core\"' >%s 2>&1",
      T.shell_quote(T.sic_lib), dir .. "/?.lua", out)
    os.execute(cmd)
    local msg = T.read_file(out)
    os.remove(out)
    U.rmtree(dir)
    assert.matches("ABI mismatch: the library .- has ABI " .. core.abi .. " but these Lua modules expect ABI 999", msg)
  end)
end)

describe("model views", function()
  local sic = require "sic"
  local path
  local app
  local any_app -- the real log's app, or in a clone a generated one: for what any log shows

  local facts -- without ../shared: what the generated log says, read from its lines
  local gen_stage -- and its stage with the longest successful task (the skewed one)
  setup(function()
    path = T.shared(U.LOG_NDS)
    if T.exists(path) then app = assert(sic.load(path)) end
    any_app = app or assert(sic.load(T.example.log({ seed = 7, tasks = 300 })))
    if not app then
      facts = T.example.facts(T.example.log({ seed = 7, tasks = 300 }))
      local longest = -1
      for key, ends in pairs(facts.task_ends) do
        for _, e in ipairs(ends) do
          if e.success and e.duration > longest then longest, gen_stage = e.duration, tonumber(key:match("^(%d+):0$")) end
        end
      end
    end
  end)

  -- successful task durations of stage id (attempt 0) in the generated log, sorted
  local function gen_durations(id)
    local d = {}
    for _, e in ipairs(facts.task_ends[id .. ":0"]) do if e.success then d[#d + 1] = e.duration end end
    table.sort(d)
    return d
  end

  it("reads task columns zero-copy with one typed pointer per column", function()
    local app = app or any_app
    local tasks = app.tasks
    assert.equal(tonumber(app.c.tasks.n), tasks.n)
    assert.equal(facts and facts.tasks or 12987, tasks.n)
    local C = require("sic.core").C
    -- a column without values kept aside (those are the next case's): the real log's run
    -- time, or the generated log's first such column with data
    local name, idx = "executor_run_time", C.SIC_TM_EXECUTOR_RUN_TIME
    if facts then
      local names = {}
      for n, i in pairs(require("sic.model").TASK_METRICS) do
        local c = app.c.tasks.metric[i]
        if c.nexceptions == 0 and c.data ~= nil then names[#names + 1] = n end
      end
      table.sort(names)
      assert.is_true(#names > 0, "a plain column")
      name = names[1]
      idx = require("sic.model").TASK_METRICS[name]
    end
    local rt = tasks[name]
    assert.is_true(ffi.istype("int8_t *", rt) or ffi.istype("int16_t *", rt) or ffi.istype("int32_t *", rt)
      or ffi.istype("int64_t *", rt))
    assert.equal(rawget(tasks, name), rt) -- resolved once, then cached
    for row = 0, tasks.n - 1, 97 do
      assert.equal(C.sic_stats_task_value(app.c, row, idx), tonumber(rt[row]))
      local fin, launch = tonumber(tasks.finish_time[row]), tonumber(tasks.launch_time[row])
      assert.equal(fin > 0 and fin - launch or -1, tasks.duration[row])
      -- host: derived from the executor row when the model stores no per-task hosts
      local host = app.c.strings.buf + app.c.strings.off[tasks.host[row]]
      assert.equal(ffi.string(app.c.strings.buf + app.c.strings.off[app.c.executors[tasks.executor[row]].host]),
        ffi.string(host))
    end
  end)

  it("reads columns that keep a few wide values aside (exceptions) exactly as C does", function()
    local app = any_app
    local C = require("sic.core").C
    local checked = 0
    for name, idx in pairs(require("sic.model").TASK_METRICS) do
      local c = app.c.tasks.metric[idx]
      if c.nexceptions > 0 then
        local col = app.tasks[name]
        for i = 0, c.nexceptions - 1 do
          local row = tonumber(c.exceptions[i].row)
          assert.equal(tonumber(c.exceptions[i].value), tonumber(col[row]))
          assert.equal(C.sic_stats_task_value(app.c, row, idx), tonumber(col[row]))
          checked = checked + 1
        end
        for row = 0, app.tasks.n - 1, 13 do
          assert.equal(C.sic_stats_task_value(app.c, row, idx), tonumber(col[row]), name .. " row " .. row)
        end
      end
    end
    assert.is_true(checked > 0, "this log has columns with exceptions")
  end)

  it("gives all-zero columns (data == NULL) a zero array instead of a NULL pointer", function()
    local app = any_app
    local null_col
    for name, idx in pairs(require("sic.model").TASK_METRICS) do
      if app.c.tasks.metric[idx].data == nil then null_col = name break end
    end
    assert.is_not_nil(null_col, "this log has an all-zero metric column")
    local col = app.tasks[null_col]
    assert.equal(0, tonumber(col[0]))
    assert.equal(0, tonumber(col[app.tasks.n - 1]))
  end)

  it("iterates a stage's task rows and summarises them like a brute-force pass", function()
    local app = app or any_app
    local id = facts and gen_stage or 23
    local stage = app.stages:first(function(s) return s.stage_id == id end)
    assert.is_not_nil(stage)
    local durations, rows = {}, 0
    for row in stage:tasks() do
      rows = rows + 1
      assert.equal(stage.row, app.tasks.stage[row])
      if app.tasks.status[row] == sic.TASK_STATUS.SUCCESS then durations[#durations + 1] = app.tasks.duration[row] end
    end
    assert.equal(stage.ntasks, rows)
    table.sort(durations)
    local s = stage:stats("duration")
    assert.equal(#durations, s.n)
    assert.equal(durations[math.floor(0.5 * #durations) + 1], s.median)
    assert.equal(durations[#durations], s.max)
    if facts then -- the log's own lines
      local d = gen_durations(id)
      assert.equal(#d, s.n)
      assert.equal(d[#d], s.max)
      assert.equal(d[math.floor(0.5 * #d) + 1], s.median)
      assert.equal(#facts.task_ends[id .. ":0"], rows)
    else
      assert.near(4.9, s.max / 1000, 0.05) -- SOURCES.md: worst stage 23 max 4.9 s
    end
  end)

  it("ranks and bins a stage's tasks with the C top-k and histogram", function()
    local app = app or any_app
    local id = facts and gen_stage or 23
    local stage = app.stages:first(function(s) return s.stage_id == id end)
    local top = stage:top_tasks(3, "duration")
    assert.equal(3, #top)
    assert.equal(stage:stats("duration").max, top[1].value)
    assert.is_true(top[1].value >= top[2].value and top[2].value >= top[3].value)
    assert.equal(top[1].value, app.tasks.duration[top[1].row])
    local h = stage:histogram("duration", 8)
    local total = 0
    for _, c in ipairs(h.counts) do total = total + c end
    assert.equal(stage:stats("duration").n, total)
    assert.equal(8, #h.counts)
    if facts then -- the top bin: values at least 7/8 of the way from the minimum to the maximum
      local d, top_bin = gen_durations(id), 0
      local lo, hi = d[1], d[#d]
      for _, v in ipairs(d) do if v >= lo + 7 * (hi - lo) / 8 then top_bin = top_bin + 1 end end
      assert.equal(d[#d], top[1].value)
      assert.equal(top_bin, h.counts[8])
    else
      assert.equal(1, h.counts[8]) -- the 4.9 s straggler is alone at the top
    end
  end)

  it("offers callable collections with list methods", function()
    local app = app or any_app
    local top = app:stages():top(3, "duration")
    assert.equal(3, #top)
    assert.is_true(top[1].duration >= top[2].duration and top[2].duration >= top[3].duration)
    assert.equal(app.stages, app:stages())
    assert.equal(#app.stages, tonumber(app.c.nstages))
    assert.matches("^stage %d+%.%d+", tostring(top[1]))
    assert.equal(facts and facts.name or "NDS - Power Run", app.name)
    assert.equal(facts and "3.5.1" or "3.1.3", app.spark_version) -- the generated log's SparkListenerLogStart
    assert.is_string(app:conf("spark.app.name"))
    local sql = app.sqls[1]
    local plan = sql:plan()
    assert.is_true(#plan > 0)
    assert.equal(0, plan[1].depth)
  end)

  it("computes statistics on Lua lists through the same C code", function()
    local st = sic.stats
    local s = st.summarize { 5, 1, 4, 2, 3 }
    assert.same({ 5, 3, 1, 1 }, { s.max, s.median, s.mad, s.argmax + 1 })
    assert.equal(3, st.quantile({ 1, 2, 3, 4 }, 0.5))
    assert.same({ 4, 2 }, st.topk({ 1, 9, 3, 10 }, 2))
    assert.same({ 2, 0, 2 }, st.histogram({ 0, 1, 5, 6 }, 3, 0, 6))
    assert.has_error(function() st.quantile({ 1 }, 2) end)
  end)

  it("lists the loader's diagnostics for a log with a malformed line", function()
    -- the real log when ../shared is there, else a generated one with a broken line in the middle
    local path = T.shared("spark-events/spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd")
    if not T.exists(path) then path = T.example.malformed({ seed = 7, tasks = 100 }) end
    local bad = assert(sic.load(path))
    local d = bad:diagnostics()
    assert.equal(1, bad.malformed_lines)
    local malformed = 0
    for _, x in ipairs(d) do
      if x.kind == "malformed_line" then
        malformed = malformed + 1
        assert.is_true(x.line > 0)
        assert.matches("malformed_json_eventlog", x.file)
        assert.is_string(x.message)
      end
    end
    assert.equal(1, malformed)
  end)

  it("reports a load failure as nil, message", function()
    local a, err = sic.load("/nonexistent/eventlog")
    assert.is_nil(a)
    assert.matches("nonexistent", err)
  end)
end)
