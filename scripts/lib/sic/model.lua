-- sic.model: zero-copy Lua views of a sic_app (engine/model/model.h) through the FFI.
--
-- Indexing conventions (documented in docs/embedding/README.md):
--  * task columns are C arrays indexed by task row 0..tasks.n-1, exactly the rows other
--    tables refer to: app.tasks.duration[row], app.tasks.executor_run_time[row]. Each column
--    is resolved once to a typed pointer (int8_t*, int16_t*, int32_t* or int64_t* by the
--    column's width; a shared zero array when the builder stored none), so indexing stays a
--    plain load that the JIT compiles. Time columns (launch_time, finish_time,
--    getting_result_time) are stored as deltas from a base: they resolve to a small cdata
--    view whose [row] is the same load plus the base (0 stays 0 = absent), still zero-copy;
--    a column holding exceptions (a few values too wide for it, model.h sic_col) resolves
--    to a view that reads those rows from the exception list;
--  * object collections (app.stages, app.jobs, app.executors, app.sqls) are Lua lists,
--    1-based, of small wrapper objects whose .row is the 0-based C row. They are callable
--    (app:stages() == app.stages) and have list methods: top, filter, map, sort_by, first;
--    the position is not the Spark id: app:stage(36[, attempt]), app:job(id),
--    app:executor(id), app:sql(id) look entities up by id;
--  * strings are resolved lazily (stage.name); times are ms since the epoch, -1 = unknown.
local core = require "sic.core"
local ffi, C = core.ffi, core.C

local M = {}

-- ---------------------------------------------------------------- lists
local List = {}
List.__index = List
List.__metatable = "sic.list" -- scripts cannot reach (and change) the shared class
List.__call = function(self) return self end
M.List = List

local function list(items) return setmetatable(items or {}, List) end
M.list = list

local function keyfn(key)
  if type(key) == "function" then return key end
  return function(x) local v = x[key] return type(v) == "cdata" and tonumber(v) or v end
end

function List:filter(pred)
  local out = list()
  for _, x in ipairs(self) do if pred(x) then out[#out + 1] = x end end
  return out
end

function List:map(fn)
  local out = list()
  for i, x in ipairs(self) do out[i] = fn(x) end
  return out
end

-- Stable sort by key (field name or function), descending when desc is true.
function List:sort_by(key, desc)
  local f, tagged = keyfn(key), {}
  for i, x in ipairs(self) do tagged[i] = { k = f(x) or -math.huge, i = i, x = x } end
  table.sort(tagged, function(a, b)
    if a.k ~= b.k then if desc then return a.k > b.k end return a.k < b.k end
    return a.i < b.i
  end)
  local out = list()
  for i, t in ipairs(tagged) do out[i] = t.x end
  return out
end

-- The n items with the largest key (default "duration").
function List:top(n, key)
  local sorted = self:sort_by(key or "duration", true)
  local out = list()
  for i = 1, math.min(n or 10, #sorted) do out[i] = sorted[i] end
  return out
end

function List:first(pred)
  for _, x in ipairs(self) do if not pred or pred(x) then return x end end
end

function List:sum(key)
  local f, s = keyfn(key), 0
  for _, x in ipairs(self) do s = s + (f(x) or 0) end
  return s
end

List.__tostring = function(self)
  -- flat records (e.g. stage:top_tasks()) print as an aligned table
  local pretty = require "sic.pretty"
  if pretty.row_columns(self) then return pretty.rows(self) end
  local parts = {}
  for i, x in ipairs(self) do
    if i > 20 then parts[#parts + 1] = string.format("... (%d more)", #self - 20) break end
    parts[#parts + 1] = tostring(x)
  end
  return table.concat(parts, "\n")
end

-- ---------------------------------------------------------------- helpers
local function str(app, sid)
  if sid < 0 then return nil end
  return ffi.string(app.strings.buf + app.strings.off[sid])
end

local function num(v) return tonumber(v) end

-- Task metric column names: SIC_TM_EXECUTOR_RUN_TIME -> executor_run_time, index 2.
local TASK_METRICS = {}
local EXEC_METRICS = {}
for _, e in ipairs(core.layout()) do
  if e.type == "#" then
    local tm = e.field:match("^SIC_TM_(.+)$")
    if tm and tm ~= "_COUNT" then TASK_METRICS[tm:lower()] = e.size end
    local em = e.field:match("^SIC_EM_(.+)$")
    if em and em ~= "_COUNT" then EXEC_METRICS[em:lower()] = e.size end
  end
end
M.TASK_METRICS = TASK_METRICS
M.EXEC_METRICS = EXEC_METRICS

-- Derived stats columns (engine/stats/stats.h sic_stat_column).
local DERIVED = {
  duration = C.SIC_SC_DURATION, scheduler_delay = C.SIC_SC_SCHEDULER_DELAY,
  gc_ratio_permille = C.SIC_SC_GC_RATIO_PERMILLE, shuffle_read_bytes = C.SIC_SC_SHUFFLE_READ_BYTES,
  spill_bytes = C.SIC_SC_SPILL_BYTES, launch_time = C.SIC_SC_LAUNCH_TIME, failed = C.SIC_SC_FAILED,
}
-- Column name (metric or derived) -> stats column id; nil when unknown.
function M.column_id(name)
  if type(name) == "number" then return name end
  return TASK_METRICS[name] or DERIVED[name]
end
M.COLUMNS = {}
for k in pairs(TASK_METRICS) do M.COLUMNS[#M.COLUMNS + 1] = k end
for k in pairs(DERIVED) do M.COLUMNS[#M.COLUMNS + 1] = k end
table.sort(M.COLUMNS)

-- ---------------------------------------------------------------- tasks
local int32p, int64p, doublep = ffi.typeof("int32_t *"), ffi.typeof("int64_t *"), ffi.typeof("double *")
local int8p, int16p = ffi.typeof("int8_t *"), ffi.typeof("int16_t *")
local WIDTH_PTR = { [1] = int8p, [2] = int16p, [4] = int32p, [8] = int64p }

-- Views of base-relative columns: [row] = stored == 0 and 0 or base + stored. The base is a
-- double when it is exact as one (epoch ms always are: plain Lua numbers on read), int64 else.
local function rel_index(c, row)
  local s = c.p[row]
  if s == 0 then return 0 end
  return c.base + s
end
local REL_VIEW = {}
for w, ptr in pairs({ [1] = "int8_t", [2] = "int16_t", [4] = "int32_t" }) do
  REL_VIEW[w] = {
    double = ffi.metatype(ffi.typeof("struct { const " .. ptr .. " *p; double base; }"), { __index = rel_index }),
    int64 = ffi.metatype(ffi.typeof("struct { const " .. ptr .. " *p; int64_t base; }"), { __index = rel_index }),
  }
end
local Tasks = { __metatable = "sic.tasks" }
local NAMED_TASK_COLUMNS
-- tasks.host is NULL while every task's host is its executor's (engine/model/model.h
-- sic_task_host): then [row] reads the executor's host, still without copying.
local function host_view(view)
  local executor, executors = view.executor, view._app.c.executors
  return setmetatable({}, { __index = function(_, row)
    local e = executor[row]
    if e < 0 then return -1 end
    return executors[e].host
  end })
end

-- Named per-row views over bit fields and codes, so scripts never decode them:
-- tasks.speculative[row] (true/false), .killed, .result_task, .locality_name ("NODE_LOCAL"),
-- .status_name ("SUCCESS"). Same zero-copy idea as host_view: a read decodes one byte.
local LOCALITY_NAMES = { [0] = "PROCESS_LOCAL", "NODE_LOCAL", "NO_PREF", "RACK_LOCAL", "ANY" }
local STATUS_NAMES = { [0] = "RUNNING", "SUCCESS", "FAILED", "KILLED", "UNKNOWN" }
M.LOCALITY_NAMES, M.STATUS_NAMES = LOCALITY_NAMES, STATUS_NAMES
local function row_view(fn) return setmetatable({}, { __index = function(_, row) return fn(row) end }) end
local function const(name, default) -- enum constant from the cdef, model.h's value otherwise
  local ok, v = pcall(function() return C[name] end)
  return ok and tonumber(v) or default
end
local function flag_view(view, bit)
  local flags = view._t.flags
  return row_view(function(row) return math.floor(flags[row] / bit) % 2 == 1 end)
end
NAMED_TASK_COLUMNS = {
  speculative = function(view) return flag_view(view, const("SIC_TASKF_SPECULATIVE", 1)) end,
  result_task = function(view) return flag_view(view, const("SIC_TASKF_RESULT_TASK", 4)) end,
  has_metrics = function(view) return flag_view(view, const("SIC_TASKF_HAS_METRICS", 2)) end,
  killed = function(view) local st = view._t.status return row_view(function(row) return st[row] == 3 end) end,
  succeeded = function(view) local st = view._t.status return row_view(function(row) return st[row] == 1 end) end,
  locality_name = function(view) local l = view._t.locality return row_view(function(row) return LOCALITY_NAMES[l[row]] end) end,
  status_name = function(view) local st = view._t.status return row_view(function(row) return STATUS_NAMES[st[row]] end) end,
}
M.NAMED_TASK_COLUMNS = NAMED_TASK_COLUMNS

local RAW_TASK_COLUMNS = { host = true, status = true, locality = true, flags = true }
local COL_TASK_COLUMNS = { task_id = true, stage = true, index = true, attempt = true, partition_id = true,
  launch_time = true, finish_time = true, getting_result_time = true, executor = true, end_reason = true,
  error = true, peak = true }

-- Views of columns with exceptions (values too wide for the column, kept aside sorted by row:
-- engine/model/model.h sic_col): a row holding the width's minimum reads its exception.
local MARKER = { [1] = -128, [2] = -32768, [4] = -2147483648 }
local function exc_index(c, row)
  local s = c.p[row]
  if s == c.marker then return tonumber(C.sic_col_exception_value(c.col, row)) end
  if s == 0 then return 0 end
  return c.base + s
end
local EXC_VIEW = {}
for w, ptr in pairs({ [1] = "int8_t", [2] = "int16_t", [4] = "int32_t" }) do
  EXC_VIEW[w] = ffi.metatype(ffi.typeof("struct { const " .. ptr .. " *p; double base; int32_t marker; const sic_col *col; }"),
    { __index = exc_index })
end

local function typed(view, col)
  if col.data == nil then
    if not view._zeros then view._zeros = ffi.new("int32_t[?]", math.max(view.n, 1)) end
    return view._zeros
  end
  local w = tonumber(col.width)
  local ptr = assert(WIDTH_PTR[w], "sic.model: task column of unknown width")
  if col.nexceptions > 0 and w < 8 then
    -- the view keeps the app alive through the task view (it holds _app); data is never moved
    assert(math.abs(tonumber(col.base)) < 2 ^ 53, "sic.model: column base beyond double precision")
    return EXC_VIEW[w](ffi.cast(ptr, col.data), tonumber(col.base), MARKER[w], col)
  end
  if col.base == 0 then return ffi.cast(ptr, col.data) end
  local base = tonumber(col.base)
  if math.abs(base) < 2 ^ 53 then return REL_VIEW[w].double(ffi.cast(ptr, col.data), base) end
  return REL_VIEW[w].int64(ffi.cast(ptr, col.data), col.base)
end

-- Derived per-task columns are materialised once, as double[] (plain Lua numbers on read).
local function derive(view, column_id)
  local out = ffi.new("double[?]", math.max(view.n, 1))
  local a = view._app.c
  local check = require("sic.sandbox").check
  for row = 0, view.n - 1 do
    out[row] = C.sic_stats_task_value(a, row, column_id)
    if row % 65536 == 65535 then check() end
  end
  return out
end

Tasks.__index = function(view, k)
  local t = view._t
  local v
  if k == "host" and t.host == nil then v = host_view(view)
  elseif RAW_TASK_COLUMNS[k] then v = t[k]
  elseif COL_TASK_COLUMNS[k] then v = typed(view, t[k])
  elseif TASK_METRICS[k] then v = typed(view, t.metric[TASK_METRICS[k]])
  elseif DERIVED[k] then v = derive(view, DERIVED[k])
  elseif NAMED_TASK_COLUMNS[k] then v = NAMED_TASK_COLUMNS[k](view)
  elseif Tasks[k] ~= nil then return Tasks[k]
  elseif k == "_zeros" then return nil
  else M.unknown_field("tasks", k, Tasks.columns()) end
  rawset(view, k, v)
  return v
end
Tasks.__len = function(view) return view.n end
Tasks.__tostring = function(view) return string.format("<tasks: %d attempts>", view.n) end

-- Columns a task view offers (for completion and docs).
function Tasks.columns()
  local out, seen = {}, {}
  local function add(k) if not seen[k] then seen[k] = true out[#out + 1] = k end end
  for k in pairs(RAW_TASK_COLUMNS) do add(k) end
  for k in pairs(COL_TASK_COLUMNS) do add(k) end
  for _, k in ipairs(M.COLUMNS) do add(k) end -- launch_time is both a column and a derived one
  for k in pairs(NAMED_TASK_COLUMNS) do add(k) end
  table.sort(out)
  return out
end

-- One task row as a table (for printing and REPL use; not for hot loops).
function Tasks.get(view, row)
  local a = view._app
  local t = { row = row, stage_row = view.stage[row], executor = a.executors[view.executor[row] + 1] and a.executors[view.executor[row] + 1].id,
    status = ffi.string(C.sic_task_status_name(view.status[row])), duration = view.duration[row],
    task_id = num(view.task_id[row]), index = num(view.index[row]), attempt = num(view.attempt[row]) }
  for name in pairs(TASK_METRICS) do t[name] = num(view[name][row]) end
  return t
end

-- ---------------------------------------------------------------- entities
-- ---------------------------------------------------------------- strict views
-- Reading a field a view does not have is an error naming the field and the nearest valid
-- names (issue 17: a typo used to read as nil and the rule silently never fired). The valid
-- names come from the view's Lua fields plus its C struct's fields in the FFI layout table
-- (core.layout(), generated from the headers), the same source as the cdef.
local CTYPE = { stage = "sic_stage", job = "sic_job", executor = "sic_executor", sql = "sic_sql",
  plan_node = "sic_plan_node", app = "sic_app" }
M.CTYPE = CTYPE
local struct_fields -- ctype -> sorted list of field names (from the layout table)
function M.struct_fields(ctype)
  if not struct_fields then
    struct_fields = {}
    for _, e in ipairs(core.layout()) do
      if e.field and e.type ~= "#" then
        local l = struct_fields[e.type] or {}
        struct_fields[e.type] = l
        l[#l + 1] = e.field
      end
    end
    for _, l in pairs(struct_fields) do table.sort(l) end
  end
  return struct_fields[ctype] or {}
end

-- Up to n names closest to `name` (sic.names), for error messages.
M.nearest = require("sic.names").nearest

function M.unknown_field(what, k, names, level)
  local near = M.nearest(tostring(k), names, 3)
  error(string.format("%s has no field '%s'%s", what, tostring(k),
    #near > 0 and (" (did you mean: " .. table.concat(near, ", ") .. "?)") or ""), (level or 2) + 1)
end

-- Does view v have field k? (never raises: for code that probes optional fields)
function M.has(v, k)
  local ok, x = pcall(function() return v[k] end)
  return ok and x ~= nil
end
-- v[k], or nil when the view has no such field.
function M.get(v, k)
  local ok, x = pcall(function() return v[k] end)
  if ok then return x end
  return nil
end

local function entity_class(kind, fields)
  local cls = { kind = kind, __metatable = "sic." .. kind }
  cls.__index = function(self, k)
    local m = cls[k]
    if m ~= nil then return m end
    local f = fields[k]
    if f then return f(self, self.c) end
    local ok, v = pcall(function() return self.c[k] end)
    if ok then
      if type(v) == "cdata" and (ffi.istype("int64_t", v) or ffi.istype("int32_t", v)) then return tonumber(v) end
      return v
    end
    if k == "app" or k == "c" or k == "row" then return nil end
    M.unknown_field(kind, k, cls.field_names())
  end
  -- Every name a script can read: Lua fields, methods, the C struct's fields.
  function cls.field_names()
    local out, seen = {}, {}
    local function add(n) if type(n) == "string" and not seen[n] and not n:match("^__") then seen[n] = true out[#out + 1] = n end end
    for n in pairs(fields) do add(n) end
    for n, v in pairs(cls) do if n ~= "field_names" and n ~= "kind" and n ~= "lua_fields" then add(n) end end
    for _, n in ipairs(M.struct_fields(CTYPE[kind])) do add(n) end
    add("row")
    table.sort(out)
    return out
  end
  cls.lua_fields = fields
  return cls
end

local function sid_field(name) return function(self, c) return str(self.app.c, c[name]) end end
local function ints(app, range)
  local out = list()
  for i = 0, range.n - 1 do out[#out + 1] = app.ints[range.off + i] end
  return out
end
local function kvs(app, range)
  local out = {}
  for i = 0, range.n - 1 do
    local kv = app.kvs[range.off + i]
    out[str(app, kv.key)] = str(app, kv.value)
  end
  return out
end

local Stage = entity_class("stage", {
  name = sid_field("name"), details = sid_field("details"), failure_reason = sid_field("failure_reason"),
  pool = sid_field("pool"), description = sid_field("description"),
  status = function(self, c) return ffi.string(C.sic_stage_status_name(c.status)) end,
  -- wall time from submission, as `sic analyze` (engine/report/summary.c) and the History
  -- Server define it (issue 18: the REPL measured from the first task launch and disagreed)
  duration = function(self, c)
    local s = c.submission_time >= 0 and c.submission_time or c.first_task_launch
    if c.completion_time < 0 or s < 0 then return -1 end
    return num(c.completion_time - s)
  end,
  ntasks = function(self, c) return c.tasks.n end,
  parents = function(self, c) return ints(self.app.c, c.parents) end,
  jobs = function(self, c) return ints(self.app.c, c.jobs) end,
  key = function(self, c) return string.format("stage %d.%d", c.stage_id, c.attempt_id) end,
})
M.Stage = Stage

-- Iterator over this stage attempt's task rows: for row in stage:tasks() do ... end
function Stage:tasks()
  local a, r = self.app.c, self.c.tasks
  local i, n = -1, r.n
  local rows = a.stage_task_rows + r.off
  local check = require("sic.sandbox").check -- JIT-compiled loops get no hook ticks
  return function()
    i = i + 1
    if i < n then
      if i % 65536 == 65535 then check() end
      return tonumber(rows[i])
    end
  end
end

-- Summary of a task column (metric name, derived name or id) over the stage's tasks.
function Stage:stats(column, filter)
  return require("sic.stats").stage(self, column, filter)
end

-- The k tasks with the largest value of a column, largest first: list of { row =, value = }
-- (row: task row in app.tasks) with the task's Spark identity alongside (task_id, index,
-- attempt, executor, host, column) so the list prints as a readable table.
function Stage:top_tasks(k, column, filter)
  local stats = require "sic.stats"
  column = column or "duration"
  local vals, n, rows = stats.gather(self, column, filter)
  local out, a, tasks = list(), self.app.c, self.app.tasks
  for i, pos in ipairs(stats.topk(vals, k or 5, n)) do
    local row = tonumber(rows[pos])
    local e = tonumber(tasks.executor[row])
    local exec = e >= 0 and a.executors[e] or nil
    out[i] = { row = row, value = vals[pos], column = type(column) == "string" and column or nil,
      task_id = num(tasks.task_id[row]), index = num(tasks.index[row]), attempt = num(tasks.attempt[row]),
      executor = exec and str(a, exec.id) or nil, host = exec and str(a, exec.host) or nil }
  end
  return out
end

-- Equal-width histogram of a column over the stage's tasks: { counts = {...}, lo =, hi = }.
function Stage:histogram(column, nbins, filter)
  local stats = require "sic.stats"
  local vals, n = stats.gather(self, column or "duration", filter)
  local lo, hi = math.huge, -math.huge
  for i = 0, n - 1 do if vals[i] < lo then lo = vals[i] end if vals[i] > hi then hi = vals[i] end end
  if n == 0 then lo, hi = 0, 0 end
  return { counts = stats.histogram(vals, nbins or 10, lo, hi > lo and hi or lo + 1, n), lo = lo, hi = hi }
end

Stage.__tostring = function(self)
  return string.format("stage %d.%d %-8s %5d tasks %9.1fs  %s", self.stage_id, self.attempt_id,
    self.status, self.ntasks, math.max(self.duration, 0) / 1000, self.name or "")
end

local Job = entity_class("job", {
  name = sid_field("name"), description = sid_field("description"), job_group = sid_field("job_group"),
  failure_reason = sid_field("failure_reason"),
  status = function(self, c) return ffi.string(C.sic_job_status_name(c.status)) end,
  duration = function(self, c)
    if c.completion_time < 0 or c.submission_time < 0 then return -1 end
    return num(c.completion_time - c.submission_time)
  end,
  stage_ids = function(self, c) return ints(self.app.c, c.stage_ids) end,
  properties = function(self, c) return kvs(self.app.c, c.properties) end,
  key = function(self, c) return "job " .. c.job_id end,
})
Job.__tostring = function(self)
  return string.format("job %d %-9s %9.1fs  %s", self.job_id, self.status, math.max(self.duration, 0) / 1000, self.name or "")
end

local Executor = entity_class("executor", {
  id = sid_field("id"), host = sid_field("host"), remove_reason = sid_field("remove_reason"),
  cores = function(self, c) return c.total_cores end,
  is_driver = function(self, c) return c.is_driver ~= 0 end,
  key = function(self, c) return "executor " .. str(self.app.c, c.id) end,
  peak = function(self, c)
    if c.peak < 0 then return nil end
    local out, v = {}, self.app.c.peaks[c.peak].v
    for k, i in pairs(EXEC_METRICS) do out[k] = num(v[i]) end
    return out
  end,
})
Executor.__tostring = function(self)
  return string.format("executor %-8s %-20s %3d cores%s", self.id, self.host or "?", self.cores,
    self.remove_time >= 0 and ("  removed: " .. (self.remove_reason or "")) or "")
end

local PlanNode = entity_class("plan_node", {
  name = sid_field("name"), simple_string = sid_field("simple_string"),
  parsed = function(self, c) return require("sic.parse").plan_node(str(self.app.c, c.simple_string) or "") end,
})
PlanNode.__tostring = function(self) return string.rep("  ", self.depth) .. (self.simple_string or self.name or "?") end

local Sql = entity_class("sql", {
  description = sid_field("description"), details = sid_field("details"),
  physical_plan = sid_field("physical_plan"), error = sid_field("error"),
  duration = function(self, c) return c.end_time >= 0 and num(c.end_time - c.start_time) or -1 end,
  jobs = function(self, c) return ints(self.app.c, c.jobs) end,
  key = function(self, c) return "sql " .. num(c.execution_id) end,
})
-- The latest plan's nodes, root first.
function Sql:plan()
  local out, a, r = list(), self.app.c, self.c.plan
  for i = 0, r.n - 1 do
    out[#out + 1] = setmetatable({ app = self.app, c = a.plan_nodes + r.off + i, row = r.off + i }, PlanNode)
  end
  return out
end
Sql.__tostring = function(self)
  return string.format("sql %d %9.1fs  %s", self.execution_id, math.max(self.duration, 0) / 1000, self.description or "")
end

-- The entity view classes, for generated documentation (sic.rule_docs).
M.VIEWS = { stage = Stage, job = Job, executor = Executor, sql = Sql, plan_node = PlanNode }
M.Tasks = Tasks

-- ---------------------------------------------------------------- app
local App = {}
local function collection(app, ptr, n, cls)
  local out = list()
  for i = 0, tonumber(n) - 1 do
    out[i + 1] = setmetatable({ app = app, c = ptr + i, row = i }, cls)
  end
  return out
end

-- Lookups by Spark id (app:stage(36), app:stage(36, 1), app:job(3), app:executor("7"),
-- app:sql(24)); also callable with a dot (app.stage(36)) since a REPL user types both. The
-- lists (app.stages[i]) stay positional: the i-th row of the model, not stage i.
local function by_id(list_name, match, what)
  return function(a)
    local function find(id, extra)
      for _, x in ipairs(a[list_name]) do
        if match(x, id, extra) then return x end
      end
      return nil, string.format("no %s %s%s in %s", what, tostring(id),
        extra ~= nil and (" attempt " .. tostring(extra)) or "", a.app_id or "this application")
    end
    return function(x, ...)
      if rawequal(x, a) then return find(...) end
      return find(x, ...)
    end
  end
end

-- Latest attempt of a stage unless one is asked for.
local function find_stage(a)
  local plain = by_id("stages", function(st, id, attempt)
    return st.stage_id == id and st.attempt_id == attempt
  end, "stage")(a)
  return function(x, ...)
    local id, attempt
    if rawequal(x, a) then id, attempt = ... else id, attempt = x, ... end
    id = tonumber(id)
    if attempt ~= nil then return plain(id, tonumber(attempt)) end
    local best
    for _, st in ipairs(a.stages) do
      if st.stage_id == id and (not best or st.attempt_id > best.attempt_id) then best = st end
    end
    if best then return best end
    return nil, string.format("no stage %s in %s", tostring(id), a.app_id or "this application")
  end
end

local ENV_SECTIONS = { jvm = "env_jvm", spark = "env_spark", hadoop = "env_hadoop", system = "env_system",
  metrics = "env_metrics", classpath = "env_classpath" }

local APP_FIELDS = {
  stages = function(a) return collection(a, a.c.stages, a.c.nstages, Stage) end,
  jobs = function(a) return collection(a, a.c.jobs, a.c.njobs, Job) end,
  executors = function(a) return collection(a, a.c.executors, a.c.nexecutors, Executor) end,
  sqls = function(a) return collection(a, a.c.sqls, a.c.nsqls, Sql) end,
  stage = find_stage,
  job = by_id("jobs", function(j, id) return j.job_id == tonumber(id) end, "job"),
  executor = by_id("executors", function(e, id) return e.id == tostring(id) end, "executor"),
  sql = by_id("sqls", function(q, id) return q.execution_id == tonumber(id) end, "SQL execution"),
  tasks = function(a) return setmetatable({ _app = a, _t = a.c.tasks, n = num(a.c.tasks.n) }, Tasks) end,
  env = function(a)
    local env = {}
    for k, f in pairs(ENV_SECTIONS) do env[k] = kvs(a.c, a.c[f]) end
    return env
  end,
  app_id = function(a) return str(a.c, a.c.app_id) end,
  attempt_id = function(a) return str(a.c, a.c.attempt_id) end,
  name = function(a) return str(a.c, a.c.name) end,
  user = function(a) return str(a.c, a.c.user) end,
  spark_version = function(a) return str(a.c, a.c.spark_version) end,
  source_path = function(a) return str(a.c, a.c.source_path) end,
  duration = function(a)
    local s = a.c.start_time >= 0 and a.c.start_time or a.c.first_event_time
    local e = a.c.end_time >= 0 and a.c.end_time or a.c.last_event_time
    return (s >= 0 and e >= 0) and num(e - s) or -1
  end,
  key = function(a) return "app " .. (str(a.c, a.c.app_id) or "?") end,
}
App.__index = function(self, k)
  local m = App[k]
  if m ~= nil then return m end
  local f = APP_FIELDS[k]
  if f then
    local v = f(self)
    rawset(self, k, v)
    return v
  end
  local ok, v = pcall(function() return self.c[k] end)
  if ok then
    if type(v) == "cdata" and (ffi.istype("int64_t", v) or ffi.istype("int32_t", v)) then return tonumber(v) end
    return v
  end
  if k == "c" then return nil end
  M.unknown_field("app", k, App.field_names())
end
-- Every name a script can read on the app: Lua fields, methods, the C struct's fields.
function App.field_names()
  local out, seen = {}, {}
  local function add(n) if type(n) == "string" and not seen[n] and not n:match("^__") then seen[n] = true out[#out + 1] = n end end
  for n in pairs(APP_FIELDS) do add(n) end
  for n in pairs(App) do if n ~= "field_names" then add(n) end end
  for _, n in ipairs(M.struct_fields("sic_app")) do add(n) end
  table.sort(out)
  return out
end
M.APP_FIELDS = APP_FIELDS
App.kind = "app"
App.__metatable = "sic.app"

-- A Spark property (environment "Spark Properties"), with a default.
function App:conf(key, default)
  local v = self.env.spark[key]
  if v == nil then return default end
  return v
end

function App:string(sid) return str(self.c, sid) end

local DIAG_KINDS = { [0] = "malformed_line", "truncated_line", "bad_field", "read_error", "unknown_event", "derived" }

-- What went wrong while reading the log: list of { file, kind, line, message } (messages are
-- capped by the loader; app.malformed_lines and app.bad_fields are exact counts).
function App:diagnostics()
  local out, a = list(), self.c
  for i = 0, tonumber(a.ndiags) - 1 do
    local d = a.diags[i]
    local part = d.part >= 0 and d.part < a.nparts and str(a, a.parts[d.part].path) or nil
    out[#out + 1] = { file = part, kind = DIAG_KINDS[d.kind] or tostring(d.kind), line = tonumber(d.line),
      message = str(a, d.message) }
  end
  return out
end
function App:fields()
  local out = {}
  for k in pairs(APP_FIELDS) do out[#out + 1] = k end
  table.sort(out)
  return out
end

App.__tostring = function(self)
  return string.format("<app %s '%s' Spark %s: %d jobs, %d stages, %d tasks, %d executors, %.1fs%s>",
    self.app_id or "?", self.name or "?", self.spark_version or "?", num(self.c.njobs), num(self.c.nstages),
    num(self.c.tasks.n), num(self.c.nexecutors), math.max(self.duration, 0) / 1000,
    self.c.complete ~= 0 and "" or " (incomplete)")
end
M.App = App

-- Wrap a sic_app* (cdata or light userdata). owned = true attaches sic_app_free as finalizer.
function M.wrap(ptr, owned)
  local c = ffi.cast("sic_app *", ptr)
  if c == nil then error("sic: NULL application model", 2) end
  if c.abi_version ~= core.ABI_VERSION then
    error(string.format("sic: model built by ABI %d, engine expects %d", c.abi_version, core.ABI_VERSION), 2)
  end
  if owned then c = ffi.gc(c, C.sic_app_free) end
  return setmetatable({ c = c }, App)
end

-- Load an event log (file, directory, rolling log, zip ...) into a model view.
function M.load(path, threads)
  if type(path) ~= "string" then return nil, "sic.load: path must be a string" end
  if threads ~= nil and type(threads) ~= "number" then return nil, "sic.load: threads must be a number" end
  local out = ffi.new("sic_app *[1]")
  local err = ffi.new("sic_err")
  local opts
  if threads then opts = ffi.new("sic_load_opts", { threads = threads, keep_task_accums = 1 }) end
  local rc = C.sic_app_load_path(path, opts, out, err)
  if rc < 0 then return nil, ffi.string(err.msg) end
  return M.wrap(out[0], true)
end

return M
