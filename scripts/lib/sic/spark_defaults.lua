-- sic.spark_defaults: Spark's default values of the settings the rules recommend, by Spark
-- version, and the test the rule layer uses to never recommend a setting's current or default
-- value. Facts from Spark's configuration documentation (3.x).
local parse = require "sic.parse"

local M = {}

-- key -> default string, or function(major, minor) -> default string (nil: depends on the
-- deployment, not known here).
M.DEFAULTS = {
  ["spark.sql.adaptive.enabled"] = function(major, minor)
    if not major then return nil end
    return (major > 3 or (major == 3 and minor >= 2)) and "true" or "false"
  end,
  ["spark.sql.adaptive.coalescePartitions.enabled"] = "true",
  ["spark.sql.adaptive.skewJoin.enabled"] = "true",
  ["spark.sql.adaptive.skewJoin.skewedPartitionFactor"] = "5",
  ["spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes"] = "256m",
  ["spark.sql.adaptive.advisoryPartitionSizeInBytes"] = "64m",
  ["spark.sql.files.maxPartitionBytes"] = "128m",
  ["spark.sql.shuffle.partitions"] = "200",
  ["spark.sql.autoBroadcastJoinThreshold"] = "10m",
  ["spark.sql.parquet.filterPushdown"] = "true",
  ["spark.sql.execution.arrow.pyspark.enabled"] = "false",
  ["spark.speculation"] = "false",
  ["spark.shuffle.compress"] = "true",
  ["spark.serializer"] = "org.apache.spark.serializer.JavaSerializer",
  ["spark.executor.memory"] = "1g",
  ["spark.dynamicAllocation.enabled"] = "false",
  ["spark.dynamicAllocation.executorIdleTimeout"] = "60s",
  ["spark.dynamicAllocation.minExecutors"] = "0",
  ["spark.memory.offHeap.size"] = "0",
  ["spark.eventLog.rolling.enabled"] = "false",
  ["spark.eventLog.compress"] = function(major) return major and (major >= 4 and "true" or "false") or nil end,
}

-- Default of key under Spark major.minor (nil when not known).
function M.default(key, major, minor)
  local d = M.DEFAULTS[key]
  if type(d) == "function" then return d(major, minor) end
  return d
end

local function norm(v)
  if v == nil then return nil end
  local s = tostring(v):lower():gsub("^%s+", ""):gsub("%s+$", "")
  return s
end

-- Do two setting values mean the same? Sizes ("128m" = "134217728b"), durations ("60s" =
-- "1min") and booleans compare by value; anything else as trimmed lower-case text.
function M.same(a, b)
  local x, y = norm(a), norm(b)
  if x == nil or y == nil then return false end
  if x == y then return true end
  local sx, sy = parse.size(x), parse.size(y)
  if sx and sy then return sx == sy end
  local dx, dy = parse.duration(x), parse.duration(y)
  if dx and dy then return dx == dy end
  return false
end

-- The value a setting has in the application: its explicit value, else its default (nil when
-- neither is known), and where that came from ("set" | "default").
function M.effective(app, key)
  local v = app:conf(key)
  if v ~= nil then return v, "set" end
  local major, minor = (app.spark_version or ""):match("^(%d+)%.(%d+)")
  local d = M.default(key, tonumber(major), tonumber(minor))
  -- Databricks runtimes turn AQE on whatever Spark version the log names
  if key == "spark.sql.adaptive.enabled" and app:conf("spark.databricks.clusterUsageTags.sparkVersion") then d = "true" end
  if d ~= nil then return d, "default" end
  return nil
end

-- Settings of one platform: spark.databricks.* only where the log shows Databricks
-- (clusterUsageTags), spark.rapids.* only where spark-rapids is loaded.
local function platform_has(app, key)
  local prefix = key:match("^(spark%.databricks%.)") or key:match("^(spark%.rapids%.)")
  if not prefix then return true end
  for k in pairs(app.env.spark or {}) do
    if k:sub(1, #prefix) == prefix then return true end
  end
  return prefix == "spark.rapids." and (app:conf("spark.plugins", "")):find("com.nvidia.spark.SQLPlugin", 1, true) ~= nil
end

-- Split a recommended config into what would change and what the app already has:
-- returns changes (a table, empty when nothing changes), already = { key = "value (set|default)" } (nil when empty).
-- A setting of another platform (spark.databricks.* off Databricks) is dropped as well, under
-- already[key] = "not this platform".
function M.only_changes(app, config)
  if type(config) ~= "table" then return config, nil end
  local out, already = {}, {}
  local any, anyal = false, false
  for k, v in pairs(config) do
    local cur, how = M.effective(app, k)
    if not platform_has(app, tostring(k)) then
      already[k] = "not this platform"
      anyal = true
    elseif cur ~= nil and M.same(cur, v) then
      already[k] = tostring(cur) .. " (" .. how .. ")"
      anyal = true
    else
      out[k] = v
      any = true
    end
  end
  return out, anyal and already or nil
end

-- Is a recommended value concrete (a number, size, duration, boolean, class or option
-- string) rather than a direction like "increase"?
local VAGUE = { increase = true, decrease = true, raise = true, lower = true, higher = true, more = true,
  less = true, larger = true, smaller = true, tune = true, [""] = true, ["?"] = true, auto = false }
function M.concrete(v)
  if type(v) == "number" or type(v) == "boolean" then return true end
  if type(v) ~= "string" then return false end
  local s = norm(v)
  if VAGUE[s] then return false end
  if s:match("^[<>]") or s:find("...", 1, true) then return false end
  return true
end

return M
