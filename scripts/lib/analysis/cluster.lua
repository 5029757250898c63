-- analysis.cluster: the machines the application ran on, as far as the log says: cloud, region,
-- worker and driver instance types, worker count, executor cores and memory, and for each fact
-- the property or event it came from. The cost rule prices what is here from the catalogue and
-- names what it had to assume.
--
-- Read from: Databricks cluster tags (spark.databricks.clusterUsageTags.clusterNodeType,
-- driverNodeType, clusterWorkers/clusterTargetWorkers, region/dataPlaneRegion, cloudProvider,
-- clusterName "job-..." for jobs compute), Kubernetes node selectors (instance-type, region),
-- AWS region variables and S3A endpoint region (EMR and others), executor host names
-- (*.compute.internal / ec2.internal: AWS and its region; *.c.<project>.internal: GCE), the
-- platform (Dataproc: GCP, EMR: AWS) and the executors' own cores and memory.
local U = require "lib.analysis.util"
local platform = require "lib.analysis.platform"

local M = {}

local TAG = "spark.databricks.clusterUsageTags."

local function first(conf, keys)
  for _, k in ipairs(keys) do
    local v = conf[k]
    if v and v ~= "" then return v, k end
  end
end

-- The cloud an instance type name belongs to.
local function cloud_of_type(t)
  if not t then return nil end
  if t:match("^Standard_") then return "azure" end
  if t:match("^[a-z]%d[a-z]*%-") or t:match("^[a-z]%d[a-z]*d?%-") then return "gcp" end -- n2-standard-8, e2-..., c2-...
  if t:match("^[a-z]+%d[a-z]*%.%d*x?large$") or t:match("^[a-z]+%d[a-z]*%.%w+$") then return "aws" end
end

local function host_hint(app)
  for _, e in ipairs(app.executors) do
    local h = e.host or ""
    local region = h:match("%.([a-z]+%-[a-z]+%-%d)%.compute%.internal$")
    if region then return "aws", region, "executor host " .. h end
    if h:match("%.ec2%.internal$") then return "aws", "us-east-1", "executor host " .. h end
    if h:match("%.c%.[%w%-]+%.internal$") then return "gcp", nil, "executor host " .. h end
  end
end

function M.detect(app)
  return U.once(app, "cluster", function(a)
    local conf = a.env.spark or {}
    local p = platform.detect(a)
    local c = { from = {}, platform = p.vendor }
    local function fact(field, value, source)
      if value ~= nil and c[field] == nil then c[field], c.from[field] = value, source end
    end
    -- instance types
    fact("worker_type", first(conf, { TAG .. "clusterNodeType", TAG .. "workerNodeType",
      "spark.kubernetes.executor.node.selector.node.kubernetes.io/instance-type",
      "spark.kubernetes.node.selector.node.kubernetes.io/instance-type",
      "spark.kubernetes.node.selector.beta.kubernetes.io/instance-type" }))
    fact("driver_type", first(conf, { TAG .. "driverNodeType",
      "spark.kubernetes.driver.node.selector.node.kubernetes.io/instance-type" }))
    local workers, wkey = first(conf, { TAG .. "clusterWorkers", TAG .. "clusterTargetWorkers" })
    fact("workers", tonumber(workers), wkey)
    -- cloud and region
    local provider, pkey = first(conf, { TAG .. "cloudProvider" })
    if provider then fact("cloud", (provider:lower()), pkey) end
    fact("region", first(conf, { TAG .. "region", TAG .. "dataPlaneRegion",
      "spark.kubernetes.node.selector.topology.kubernetes.io/region", "spark.executorEnv.AWS_REGION",
      "spark.yarn.appMasterEnv.AWS_REGION", "spark.hadoop.fs.s3a.endpoint.region" }))
    local tcloud = cloud_of_type(c.worker_type)
    if tcloud then fact("cloud", tcloud, "instance type " .. c.worker_type) end
    local hcloud, hregion, hwhy = host_hint(a)
    if p.vendor == "dataproc" then fact("cloud", "gcp", "platform Dataproc (" .. tostring(p.why.vendor) .. ")") end
    if p.vendor == "emr" then fact("cloud", "aws", "platform EMR (" .. tostring(p.why.vendor) .. ")") end
    if hcloud then fact("cloud", hcloud, hwhy) end
    if hregion and c.cloud == hcloud then fact("region", hregion, hwhy) end
    if c.cloud == "azure" and c.region then c.region = c.region:lower() end
    -- Databricks compute type: job clusters are named job-<job id>-run-<run id>
    if p.vendor == "databricks" then
      local name = conf[TAG .. "clusterName"] or ""
      if name:match("^job%-") then fact("compute", "jobs", TAG .. "clusterName=" .. name)
      elseif name ~= "" then fact("compute", "all_purpose", TAG .. "clusterName=" .. name) end
    end
    -- executors as logged
    local hosts, cores, n = {}, 0, 0
    for _, w in ipairs(U.workers(a)) do
      n = n + 1
      cores = math.max(cores, w.cores)
      if w.exec.host then hosts[w.exec.host] = true end
    end
    local nhosts = 0
    for _ in pairs(hosts) do nhosts = nhosts + 1 end
    fact("executors", n, "executor events")
    fact("executor_cores", cores > 0 and cores or nil, "executor events (cores)")
    fact("executor_memory", conf["spark.executor.memory"], "spark.executor.memory")
    fact("hosts", nhosts > 0 and nhosts or nil, "executor hosts")
    return c
  end)
end

return M
