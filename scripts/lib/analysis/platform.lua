-- analysis.platform: where and on what the application ran, read from the log itself, so that
-- advice fits the platform.
--
--   vendor     "databricks" | "dataproc" | "emr" | nil (plain Apache Spark)
--   manager    "yarn" | "kubernetes" | "standalone" | "local" | "mesos" | nil   (spark.master)
--   dbr        Databricks runtime (spark.databricks.clusterUsageTags.sparkVersion), nil
--   photon     true when the work ran in Photon (runtime name, spark.databricks.photon.enabled,
--              Photon* plan operators)
--   gpu        true when spark-rapids ran the plans (spark.plugins names the SQL plugin, or
--              Gpu* plan operators) and spark.rapids.sql.enabled is not false
--   java       JVM major version (8, 11, 17, ...) from "JVM Information" / java.version, nil
--   g1_default true when the JVM's default collector is G1 (JDK 9 and later)
--   spark      Spark version: appSparkVersion, else the Databricks runtime's, else nil
-- Evidence for each answer is kept in `why` (key -> what was seen).
local U = require "lib.analysis.util"

local M = {}

local function java_major(v)
  if type(v) ~= "string" then return nil end
  local a, b = v:match("^%s*(%d+)%.(%d+)")
  a, b = tonumber(a), tonumber(b)
  if a == 1 and b then return b end -- 1.8.0_382 -> 8
  if a then return a end
  return tonumber(v:match("^%s*(%d+)"))
end

-- The first key (in sorted order, so the evidence named is stable) starting with prefix.
local function has_prefix(conf, prefix)
  local best
  for k in pairs(conf) do
    if k:sub(1, #prefix) == prefix and (best == nil or k < best) then best = k end
  end
  return best
end

-- Plan operator names that start with prefix, over every SQL execution (first hit).
local function plan_operator(app, prefix)
  for _, sql in ipairs(app.sqls) do
    for _, n in ipairs(sql:plan()) do
      local name = n.name or ""
      if name:sub(1, #prefix) == prefix then return name end
    end
  end
end

function M.detect(app)
  return U.once(app, "platform", function(a)
    local conf = a.env.spark or {}
    local why, p = {}, {}
    local dbkey = has_prefix(conf, "spark.databricks.clusterUsageTags.")
    local dbc
    for _, d in ipairs(a.diagnostics and a:diagnostics() or {}) do
      if tostring(d.message or ""):find("DBCEventLoggingListenerMetadata", 1, true) then dbc = true end
    end
    if dbkey or dbc or conf["spark.databricks.photon.enabled"] then
      p.vendor = "databricks"
      why.vendor = dbkey or (dbc and "DBCEventLoggingListenerMetadata event") or "spark.databricks.photon.enabled"
      p.dbr = conf["spark.databricks.clusterUsageTags.sparkVersion"]
    elseif has_prefix(conf, "spark.dataproc.") or (conf["spark.yarn.tags"] or ""):find("dataproc", 1, true) then
      p.vendor = "dataproc"
      why.vendor = has_prefix(conf, "spark.dataproc.") or "spark.yarn.tags"
    elseif has_prefix(conf, "spark.emr.") or (conf["spark.hadoop.fs.s3.impl"] or ""):find("emr", 1, true) or
           ((a.env.system or {})["java.home"] or ""):find("amazon", 1, true) and conf["spark.master"] == "yarn" then
      p.vendor = "emr"
      why.vendor = has_prefix(conf, "spark.emr.") or "EMRFS / Amazon JVM on YARN"
    end
    local master = conf["spark.master"] or ""
    if master:find("^yarn") then p.manager = "yarn"
    elseif master:find("^k8s://") then p.manager = "kubernetes"
    elseif master:find("^spark://") then p.manager = "standalone"
    elseif master:find("^local") then p.manager = "local"
    elseif master:find("^mesos://") then p.manager = "mesos" end
    if p.manager then why.manager = "spark.master=" .. master end
    local dbr = p.dbr or ""
    if dbr:lower():find("photon", 1, true) or conf["spark.databricks.photon.enabled"] == "true" then
      p.photon = true
      why.photon = p.dbr and ("runtime " .. p.dbr) or "spark.databricks.photon.enabled=true"
    else
      local op = plan_operator(a, "Photon")
      if op then p.photon, why.photon = true, "plan operator " .. op end
    end
    local plugins = conf["spark.plugins"] or ""
    local rapids_off = conf["spark.rapids.sql.enabled"] == "false"
    if not rapids_off and plugins:find("com.nvidia.spark.SQLPlugin", 1, true) then
      p.gpu, why.gpu = true, "spark.plugins=" .. plugins
    elseif not rapids_off then
      local op = plan_operator(a, "Gpu")
      if op then p.gpu, why.gpu = true, "plan operator " .. op end
    end
    local jvm = a.env.jvm or {}
    local jv = jvm["Java Version"] or (a.env.system or {})["java.version"]
    p.java = java_major(jv)
    if p.java then
      why.java = "Java " .. tostring(jv)
      p.g1_default = p.java >= 9
    end
    p.spark = a.spark_version
    if not p.spark and p.dbr then p.spark = p.dbr end
    p.why = why
    return p
  end)
end

-- Short label, e.g. "Databricks 13.3.x-photon-scala2.12 (Photon), YARN, Java 8".
function M.label(p)
  local parts = {}
  if p.vendor == "databricks" then parts[#parts + 1] = "Databricks" .. (p.dbr and (" " .. p.dbr) or "")
  elseif p.vendor == "dataproc" then parts[#parts + 1] = "Dataproc"
  elseif p.vendor == "emr" then parts[#parts + 1] = "EMR" end
  if p.photon then parts[#parts + 1] = "Photon" end
  if p.gpu then parts[#parts + 1] = "GPU (spark-rapids)" end
  local names = { yarn = "YARN", kubernetes = "Kubernetes", standalone = "standalone", local_ = "local", mesos = "Mesos" }
  if p.manager then parts[#parts + 1] = names[p.manager] or p.manager end
  if p.java then parts[#parts + 1] = "Java " .. p.java end
  return table.concat(parts, ", ")
end

-- Is a setting meant for this platform? spark.databricks.* only on Databricks; spark.rapids.*
-- only where spark-rapids runs.
function M.fits(p, key)
  if key:sub(1, 17) == "spark.databricks." then return p.vendor == "databricks" end
  if key:sub(1, 13) == "spark.rapids." then return p.gpu == true end
  return true
end

return M
