-- Cost from the cluster in the log (issue 18): a Databricks log naming m6gd.2xlarge workers and
-- an m6gd.xlarge driver in us-west-2 is priced as those, with DBUs as their own line and the
-- facts read from the log named apart from the assumptions; a Dataproc log without machine
-- types is priced on GCP with the assumption said; an unknown --set entry is a usage error
-- (exit 2) naming close matches.
local T = require "spec_helper"
local cjson = require "cjson"
local catalogue = require "pricing.catalogue"

-- The generated example log with Databricks cluster tags (or other properties) added to its
-- Spark properties, written as name.
local function databricks_log(extra, name)
  local src = T.example.log({ seed = 11, tasks = 400 })
  local out = {}
  for line in io.lines(src) do
    if line:find('"Event":"SparkListenerEnvironmentUpdate"', 1, true) then
      local props = {}
      for k, v in pairs(extra) do props[#props + 1] = string.format('"%s":"%s"', k, v) end
      line = line:gsub('"Spark Properties":{', '"Spark Properties":{' .. table.concat(props, ",") .. ",", 1)
    end
    out[#out + 1] = line
  end
  return T.example.write(name or "databricks_m6gd.json", table.concat(out, "\n") .. "\n")
end

local function cost_of(path, ...)
  local r = T.run_sic({ "analyze", path, "--format", "json", ... })
  assert.equal(0, r.code, r.stderr)
  local doc = cjson.decode(r.stdout)
  local app = doc.applications and doc.applications[1] or doc
  local findings = app.findings and (app.findings.findings or app.findings) or {}
  for _, f in ipairs(findings) do if f.id == "cost.run" then return f.evidence, f end end
  error("no cost.run finding")
end

describe("cost from the log's cluster", function()
  it("prices Databricks workers and driver from the cluster tags, DBUs on their own line", function()
    local T_ = "spark.databricks.clusterUsageTags."
    local path = databricks_log({ [T_ .. "clusterNodeType"] = "m6gd.2xlarge", [T_ .. "driverNodeType"] = "m6gd.xlarge",
      [T_ .. "region"] = "us-west-2", [T_ .. "cloudProvider"] = "AWS", [T_ .. "clusterWorkers"] = "4",
      [T_ .. "clusterName"] = "job-1234-run-5678" })
    local e, f = cost_of(path)
    assert.equal("aws.m6gd.2xlarge", e.pricing_entry)
    assert.equal("aws.m6gd.xlarge", e.driver_entry)
    assert.equal("us-west-2", e.log_region)
    assert.equal("Databricks DBUs", e.surcharge.kind)
    assert.equal("jobs", e.surcharge.compute)
    assert.is_true(e.surcharge.usd > 0)
    assert.near(e.instances_usd + e.surcharge.usd, e.run_usd, 1e-9)
    -- the executor price per core-hour is the catalogue's m6gd.2xlarge price over its vCPUs
    local m6gd = catalogue.entries["aws.m6gd.2xlarge"]
    assert.near(m6gd.usd_per_hour, e.usd_per_hour, 1e-12)
    assert.is_true(e.usd_per_core_hour > m6gd.usd_per_hour / m6gd.vcpus) -- DBUs on top
    local read = table.concat(e.from_log, "; ")
    assert.matches("workers m6gd%.2xlarge %(spark%.databricks%.clusterUsageTags%.clusterNodeType%)", read)
    assert.matches("driver m6gd%.xlarge", read)
    assert.matches("region us%-west%-2", read)
    assert.not_matches("us%-east%-1", table.concat(e.assumed, "; ")) -- us-west-2 lists the same price
    local text = f.recommendation.text
    assert.matches("From the log:", text)
    assert.matches("Databricks DBUs", text)
  end)

  it("prices a Dataproc log on GCP and says the machine type was assumed", function()
    -- the real Dataproc log, or without ../shared the generated one with a property only
    -- Dataproc sets (spark.dataproc.*) and no machine type
    local path = T.has_shared("spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd") or
      databricks_log({ ["spark.dataproc.sql.joinConditionReorder.enabled"] = "true" }, "dataproc.json")
    local e = cost_of(path)
    assert.equal("gcp", e.cloud)
    assert.matches("^gcp%.n2%-standard%-", e.pricing_entry)
    assert.matches("instance type not in the log", table.concat(e.assumed, "; "))
    assert.equal("Dataproc premium", e.surcharge.kind)
  end)

  it("refuses an unknown catalogue entry as a usage error naming close matches", function()
    local path = T.example.log({ seed = 11, tasks = 400 })
    local r = T.run_sic({ "analyze", path, "--set", "rule.cost.run.instance=aws.m6gd.2xlarg" })
    assert.equal(2, r.code)
    assert.matches("close matches: aws%.m6gd%.2xlarge", r.stderr)
    assert.not_matches("rule_error", r.stdout)
    -- a catalogue entry is taken as given
    local e = cost_of(path, "--set", "rule.cost.run.instance=aws.m6gd.2xlarge")
    assert.equal("aws.m6gd.2xlarge", e.pricing_entry)
  end)

  it("has the common instance families of the three clouds, each entry complete", function()
    for _, k in ipairs({ "aws.m5.xlarge", "aws.m6i.2xlarge", "aws.m6g.xlarge", "aws.m6gd.2xlarge", "aws.r5.2xlarge",
      "aws.r6g.xlarge", "aws.c5.2xlarge", "aws.c6g.2xlarge", "gcp.n2-standard-8", "gcp.e2-standard-4",
      "gcp.n2d-standard-8", "gcp.c2-standard-8", "azure.D8s_v4", "azure.D8s_v5", "azure.E8s_v4", "azure.E8s_v5" }) do
      local e = catalogue.entries[k]
      assert.is_truthy(e, k)
      assert.is_true(e.usd_per_hour > 0 and e.vcpus > 0 and e.memory_gib > 0 and e.region ~= nil, k)
    end
    assert.matches("2024", catalogue.source)
  end)
end)
