-- Pricing catalogue: editable data, no code.
--
-- Each entry: cloud, instance, usd_per_hour (on-demand list price of one instance), vcpus,
-- memory_gib, region. The cost rule (scripts/rules/cost_rules.lua) takes the instance types,
-- counts and region the log carries (lib/analysis/cluster.lua), prices executor core-hours at
-- usd_per_hour / vcpus of the worker type and the driver at its own type, and shows platform
-- surcharges (Databricks DBUs, the Dataproc premium) as a separate line.
--
-- SOURCE AND DATE: on-demand Linux list prices of the providers' public pricing pages (AWS EC2
-- On-Demand, Google Compute Engine VM instance pricing, Azure Linux Virtual Machines pricing)
-- in the regions named, as they stood in 2024, entered by hand: APPROXIMATE, not re-checked
-- against the live pages when this list was widened (issue 18). GCE prices are the family's
-- per-vCPU and per-GiB rates times the machine's shape; Databricks DBU rates below are the
-- least certain figures here.
-- They are NOT fetched by sic and prices change: check them against the page for your region
-- and contract before quoting a figure, and edit this file (or put your own
-- pricing/catalogue.lua in a --scripts dir). Other regions are priced at the listed region's
-- price unless `regions` below says they are the same, and the report says so.
-- Select an entry with --set rule.cost.run.instance=<key>; by default the log's own cluster.
return {
  source = "providers' public on-demand list prices (AWS EC2, GCE, Azure VMs), 2024, entered by hand, approximate; not fetched by sic - verify",
  date = "2024",
  -- used when the log names no instance type and no cloud
  default = "aws.m5.xlarge",
  -- per cloud, the family assumed when the log names the cloud but not the instance type (a
  -- Lua pattern over the entry keys; the smallest size with at least an executor's cores)
  default_family = { aws = "^aws%.m5%.", gcp = "^gcp%.n2%-standard%-", azure = "^azure%.D%d+s_v5$" },
  -- regions whose list price equals the catalogue's region for these families (2024)
  regions = {
    aws = { ["us-east-1"] = true, ["us-east-2"] = true, ["us-west-2"] = true },
    gcp = { ["us-central1"] = true, ["us-east1"] = true, ["us-west1"] = true },
    azure = { eastus = true, eastus2 = true, westus2 = true },
  },
  entries = {
    ["aws.m5.xlarge"] = { cloud = "aws", instance = "m5.xlarge", region = "us-east-1", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["aws.m5.2xlarge"] = { cloud = "aws", instance = "m5.2xlarge", region = "us-east-1", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["aws.m5.4xlarge"] = { cloud = "aws", instance = "m5.4xlarge", region = "us-east-1", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["aws.m5.8xlarge"] = { cloud = "aws", instance = "m5.8xlarge", region = "us-east-1", usd_per_hour = 1.536, vcpus = 32, memory_gib = 128 },
    ["aws.m5.12xlarge"] = { cloud = "aws", instance = "m5.12xlarge", region = "us-east-1", usd_per_hour = 2.304, vcpus = 48, memory_gib = 192 },
    ["aws.m5.16xlarge"] = { cloud = "aws", instance = "m5.16xlarge", region = "us-east-1", usd_per_hour = 3.072, vcpus = 64, memory_gib = 256 },
    ["aws.m5d.xlarge"] = { cloud = "aws", instance = "m5d.xlarge", region = "us-east-1", usd_per_hour = 0.226, vcpus = 4, memory_gib = 16 },
    ["aws.m5d.2xlarge"] = { cloud = "aws", instance = "m5d.2xlarge", region = "us-east-1", usd_per_hour = 0.452, vcpus = 8, memory_gib = 32 },
    ["aws.m5d.4xlarge"] = { cloud = "aws", instance = "m5d.4xlarge", region = "us-east-1", usd_per_hour = 0.904, vcpus = 16, memory_gib = 64 },
    ["aws.m5d.8xlarge"] = { cloud = "aws", instance = "m5d.8xlarge", region = "us-east-1", usd_per_hour = 1.808, vcpus = 32, memory_gib = 128 },
    ["aws.m6i.xlarge"] = { cloud = "aws", instance = "m6i.xlarge", region = "us-east-1", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["aws.m6i.2xlarge"] = { cloud = "aws", instance = "m6i.2xlarge", region = "us-east-1", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["aws.m6i.4xlarge"] = { cloud = "aws", instance = "m6i.4xlarge", region = "us-east-1", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["aws.m6i.8xlarge"] = { cloud = "aws", instance = "m6i.8xlarge", region = "us-east-1", usd_per_hour = 1.536, vcpus = 32, memory_gib = 128 },
    ["aws.m6g.xlarge"] = { cloud = "aws", instance = "m6g.xlarge", region = "us-east-1", usd_per_hour = 0.154, vcpus = 4, memory_gib = 16 },
    ["aws.m6g.2xlarge"] = { cloud = "aws", instance = "m6g.2xlarge", region = "us-east-1", usd_per_hour = 0.308, vcpus = 8, memory_gib = 32 },
    ["aws.m6g.4xlarge"] = { cloud = "aws", instance = "m6g.4xlarge", region = "us-east-1", usd_per_hour = 0.616, vcpus = 16, memory_gib = 64 },
    ["aws.m6g.8xlarge"] = { cloud = "aws", instance = "m6g.8xlarge", region = "us-east-1", usd_per_hour = 1.232, vcpus = 32, memory_gib = 128 },
    ["aws.m6gd.xlarge"] = { cloud = "aws", instance = "m6gd.xlarge", region = "us-east-1", usd_per_hour = 0.1808, vcpus = 4, memory_gib = 16 },
    ["aws.m6gd.2xlarge"] = { cloud = "aws", instance = "m6gd.2xlarge", region = "us-east-1", usd_per_hour = 0.3616, vcpus = 8, memory_gib = 32 },
    ["aws.m6gd.4xlarge"] = { cloud = "aws", instance = "m6gd.4xlarge", region = "us-east-1", usd_per_hour = 0.7232, vcpus = 16, memory_gib = 64 },
    ["aws.m6gd.8xlarge"] = { cloud = "aws", instance = "m6gd.8xlarge", region = "us-east-1", usd_per_hour = 1.4464, vcpus = 32, memory_gib = 128 },
    ["aws.r5.xlarge"] = { cloud = "aws", instance = "r5.xlarge", region = "us-east-1", usd_per_hour = 0.252, vcpus = 4, memory_gib = 32 },
    ["aws.r5.2xlarge"] = { cloud = "aws", instance = "r5.2xlarge", region = "us-east-1", usd_per_hour = 0.504, vcpus = 8, memory_gib = 64 },
    ["aws.r5.4xlarge"] = { cloud = "aws", instance = "r5.4xlarge", region = "us-east-1", usd_per_hour = 1.008, vcpus = 16, memory_gib = 128 },
    ["aws.r5.8xlarge"] = { cloud = "aws", instance = "r5.8xlarge", region = "us-east-1", usd_per_hour = 2.016, vcpus = 32, memory_gib = 256 },
    ["aws.r5d.xlarge"] = { cloud = "aws", instance = "r5d.xlarge", region = "us-east-1", usd_per_hour = 0.288, vcpus = 4, memory_gib = 32 },
    ["aws.r5d.2xlarge"] = { cloud = "aws", instance = "r5d.2xlarge", region = "us-east-1", usd_per_hour = 0.576, vcpus = 8, memory_gib = 64 },
    ["aws.r5d.4xlarge"] = { cloud = "aws", instance = "r5d.4xlarge", region = "us-east-1", usd_per_hour = 1.152, vcpus = 16, memory_gib = 128 },
    ["aws.r5d.8xlarge"] = { cloud = "aws", instance = "r5d.8xlarge", region = "us-east-1", usd_per_hour = 2.304, vcpus = 32, memory_gib = 256 },
    ["aws.r6g.xlarge"] = { cloud = "aws", instance = "r6g.xlarge", region = "us-east-1", usd_per_hour = 0.2016, vcpus = 4, memory_gib = 32 },
    ["aws.r6g.2xlarge"] = { cloud = "aws", instance = "r6g.2xlarge", region = "us-east-1", usd_per_hour = 0.4032, vcpus = 8, memory_gib = 64 },
    ["aws.r6g.4xlarge"] = { cloud = "aws", instance = "r6g.4xlarge", region = "us-east-1", usd_per_hour = 0.8064, vcpus = 16, memory_gib = 128 },
    ["aws.r6g.8xlarge"] = { cloud = "aws", instance = "r6g.8xlarge", region = "us-east-1", usd_per_hour = 1.6128, vcpus = 32, memory_gib = 256 },
    ["aws.c5.xlarge"] = { cloud = "aws", instance = "c5.xlarge", region = "us-east-1", usd_per_hour = 0.17, vcpus = 4, memory_gib = 8 },
    ["aws.c5.2xlarge"] = { cloud = "aws", instance = "c5.2xlarge", region = "us-east-1", usd_per_hour = 0.34, vcpus = 8, memory_gib = 16 },
    ["aws.c5.4xlarge"] = { cloud = "aws", instance = "c5.4xlarge", region = "us-east-1", usd_per_hour = 0.68, vcpus = 16, memory_gib = 32 },
    ["aws.c5.9xlarge"] = { cloud = "aws", instance = "c5.9xlarge", region = "us-east-1", usd_per_hour = 1.53, vcpus = 36, memory_gib = 72 },
    ["aws.c6g.xlarge"] = { cloud = "aws", instance = "c6g.xlarge", region = "us-east-1", usd_per_hour = 0.136, vcpus = 4, memory_gib = 8 },
    ["aws.c6g.2xlarge"] = { cloud = "aws", instance = "c6g.2xlarge", region = "us-east-1", usd_per_hour = 0.272, vcpus = 8, memory_gib = 16 },
    ["aws.c6g.4xlarge"] = { cloud = "aws", instance = "c6g.4xlarge", region = "us-east-1", usd_per_hour = 0.544, vcpus = 16, memory_gib = 32 },
    ["aws.c6g.8xlarge"] = { cloud = "aws", instance = "c6g.8xlarge", region = "us-east-1", usd_per_hour = 1.088, vcpus = 32, memory_gib = 64 },
    ["aws.i3.xlarge"] = { cloud = "aws", instance = "i3.xlarge", region = "us-east-1", usd_per_hour = 0.312, vcpus = 4, memory_gib = 30.5 },
    ["aws.i3.2xlarge"] = { cloud = "aws", instance = "i3.2xlarge", region = "us-east-1", usd_per_hour = 0.624, vcpus = 8, memory_gib = 61.0 },
    ["aws.i3.4xlarge"] = { cloud = "aws", instance = "i3.4xlarge", region = "us-east-1", usd_per_hour = 1.248, vcpus = 16, memory_gib = 122.0 },
    ["aws.i3.8xlarge"] = { cloud = "aws", instance = "i3.8xlarge", region = "us-east-1", usd_per_hour = 2.496, vcpus = 32, memory_gib = 244.0 },
    ["gcp.n2-standard-2"] = { cloud = "gcp", instance = "n2-standard-2", region = "us-central1", usd_per_hour = 0.097118, vcpus = 2, memory_gib = 8 },
    ["gcp.n2-standard-4"] = { cloud = "gcp", instance = "n2-standard-4", region = "us-central1", usd_per_hour = 0.194236, vcpus = 4, memory_gib = 16 },
    ["gcp.n2-standard-8"] = { cloud = "gcp", instance = "n2-standard-8", region = "us-central1", usd_per_hour = 0.388472, vcpus = 8, memory_gib = 32 },
    ["gcp.n2-standard-16"] = { cloud = "gcp", instance = "n2-standard-16", region = "us-central1", usd_per_hour = 0.776944, vcpus = 16, memory_gib = 64 },
    ["gcp.n2-standard-32"] = { cloud = "gcp", instance = "n2-standard-32", region = "us-central1", usd_per_hour = 1.553888, vcpus = 32, memory_gib = 128 },
    ["gcp.n2-highmem-2"] = { cloud = "gcp", instance = "n2-highmem-2", region = "us-central1", usd_per_hour = 0.131014, vcpus = 2, memory_gib = 16 },
    ["gcp.n2-highmem-4"] = { cloud = "gcp", instance = "n2-highmem-4", region = "us-central1", usd_per_hour = 0.262028, vcpus = 4, memory_gib = 32 },
    ["gcp.n2-highmem-8"] = { cloud = "gcp", instance = "n2-highmem-8", region = "us-central1", usd_per_hour = 0.524056, vcpus = 8, memory_gib = 64 },
    ["gcp.n2-highmem-16"] = { cloud = "gcp", instance = "n2-highmem-16", region = "us-central1", usd_per_hour = 1.048112, vcpus = 16, memory_gib = 128 },
    ["gcp.n2-highmem-32"] = { cloud = "gcp", instance = "n2-highmem-32", region = "us-central1", usd_per_hour = 2.096224, vcpus = 32, memory_gib = 256 },
    ["gcp.n2d-standard-2"] = { cloud = "gcp", instance = "n2d-standard-2", region = "us-central1", usd_per_hour = 0.084492, vcpus = 2, memory_gib = 8 },
    ["gcp.n2d-standard-4"] = { cloud = "gcp", instance = "n2d-standard-4", region = "us-central1", usd_per_hour = 0.168984, vcpus = 4, memory_gib = 16 },
    ["gcp.n2d-standard-8"] = { cloud = "gcp", instance = "n2d-standard-8", region = "us-central1", usd_per_hour = 0.337968, vcpus = 8, memory_gib = 32 },
    ["gcp.n2d-standard-16"] = { cloud = "gcp", instance = "n2d-standard-16", region = "us-central1", usd_per_hour = 0.675936, vcpus = 16, memory_gib = 64 },
    ["gcp.n2d-standard-32"] = { cloud = "gcp", instance = "n2d-standard-32", region = "us-central1", usd_per_hour = 1.351872, vcpus = 32, memory_gib = 128 },
    ["gcp.e2-standard-2"] = { cloud = "gcp", instance = "e2-standard-2", region = "us-central1", usd_per_hour = 0.067006, vcpus = 2, memory_gib = 8 },
    ["gcp.e2-standard-4"] = { cloud = "gcp", instance = "e2-standard-4", region = "us-central1", usd_per_hour = 0.134012, vcpus = 4, memory_gib = 16 },
    ["gcp.e2-standard-8"] = { cloud = "gcp", instance = "e2-standard-8", region = "us-central1", usd_per_hour = 0.268024, vcpus = 8, memory_gib = 32 },
    ["gcp.e2-standard-16"] = { cloud = "gcp", instance = "e2-standard-16", region = "us-central1", usd_per_hour = 0.536048, vcpus = 16, memory_gib = 64 },
    ["gcp.e2-standard-32"] = { cloud = "gcp", instance = "e2-standard-32", region = "us-central1", usd_per_hour = 1.072096, vcpus = 32, memory_gib = 128 },
    ["gcp.c2-standard-4"] = { cloud = "gcp", instance = "c2-standard-4", region = "us-central1", usd_per_hour = 0.20872, vcpus = 4, memory_gib = 16 },
    ["gcp.c2-standard-8"] = { cloud = "gcp", instance = "c2-standard-8", region = "us-central1", usd_per_hour = 0.41744, vcpus = 8, memory_gib = 32 },
    ["gcp.c2-standard-16"] = { cloud = "gcp", instance = "c2-standard-16", region = "us-central1", usd_per_hour = 0.83488, vcpus = 16, memory_gib = 64 },
    ["gcp.c2-standard-30"] = { cloud = "gcp", instance = "c2-standard-30", region = "us-central1", usd_per_hour = 1.5654, vcpus = 30, memory_gib = 120 },
    ["azure.D4s_v3"] = { cloud = "azure", instance = "Standard_D4s_v3", region = "eastus", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["azure.D8s_v3"] = { cloud = "azure", instance = "Standard_D8s_v3", region = "eastus", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["azure.D16s_v3"] = { cloud = "azure", instance = "Standard_D16s_v3", region = "eastus", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["azure.D4s_v4"] = { cloud = "azure", instance = "Standard_D4s_v4", region = "eastus", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["azure.D8s_v4"] = { cloud = "azure", instance = "Standard_D8s_v4", region = "eastus", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["azure.D16s_v4"] = { cloud = "azure", instance = "Standard_D16s_v4", region = "eastus", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["azure.D4s_v5"] = { cloud = "azure", instance = "Standard_D4s_v5", region = "eastus", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["azure.D8s_v5"] = { cloud = "azure", instance = "Standard_D8s_v5", region = "eastus", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["azure.D16s_v5"] = { cloud = "azure", instance = "Standard_D16s_v5", region = "eastus", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["azure.D4ds_v5"] = { cloud = "azure", instance = "Standard_D4ds_v5", region = "eastus", usd_per_hour = 0.226, vcpus = 4, memory_gib = 16 },
    ["azure.D8ds_v5"] = { cloud = "azure", instance = "Standard_D8ds_v5", region = "eastus", usd_per_hour = 0.452, vcpus = 8, memory_gib = 32 },
    ["azure.D16ds_v5"] = { cloud = "azure", instance = "Standard_D16ds_v5", region = "eastus", usd_per_hour = 0.904, vcpus = 16, memory_gib = 64 },
    ["azure.E4s_v4"] = { cloud = "azure", instance = "Standard_E4s_v4", region = "eastus", usd_per_hour = 0.252, vcpus = 4, memory_gib = 32 },
    ["azure.E8s_v4"] = { cloud = "azure", instance = "Standard_E8s_v4", region = "eastus", usd_per_hour = 0.504, vcpus = 8, memory_gib = 64 },
    ["azure.E16s_v4"] = { cloud = "azure", instance = "Standard_E16s_v4", region = "eastus", usd_per_hour = 1.008, vcpus = 16, memory_gib = 128 },
    ["azure.E4s_v5"] = { cloud = "azure", instance = "Standard_E4s_v5", region = "eastus", usd_per_hour = 0.252, vcpus = 4, memory_gib = 32 },
    ["azure.E8s_v5"] = { cloud = "azure", instance = "Standard_E8s_v5", region = "eastus", usd_per_hour = 0.504, vcpus = 8, memory_gib = 64 },
    ["azure.E16s_v5"] = { cloud = "azure", instance = "Standard_E16s_v5", region = "eastus", usd_per_hour = 1.008, vcpus = 16, memory_gib = 128 },
    ["azure.E4ds_v5"] = { cloud = "azure", instance = "Standard_E4ds_v5", region = "eastus", usd_per_hour = 0.288, vcpus = 4, memory_gib = 32 },
    ["azure.E8ds_v5"] = { cloud = "azure", instance = "Standard_E8ds_v5", region = "eastus", usd_per_hour = 0.576, vcpus = 8, memory_gib = 64 },
    ["azure.E16ds_v5"] = { cloud = "azure", instance = "Standard_E16ds_v5", region = "eastus", usd_per_hour = 1.152, vcpus = 16, memory_gib = 128 },
    ["azure.DS3_v2"] = { cloud = "azure", instance = "Standard_DS3_v2", region = "eastus", usd_per_hour = 0.293, vcpus = 4, memory_gib = 14 },
    ["azure.DS4_v2"] = { cloud = "azure", instance = "Standard_DS4_v2", region = "eastus", usd_per_hour = 0.585, vcpus = 8, memory_gib = 28 },
    ["azure.DS5_v2"] = { cloud = "azure", instance = "Standard_DS5_v2", region = "eastus", usd_per_hour = 1.17, vcpus = 16, memory_gib = 56 },
    ["azure.DS13_v2"] = { cloud = "azure", instance = "Standard_DS13_v2", region = "eastus", usd_per_hour = 0.741, vcpus = 8, memory_gib = 56 },
    ["azure.DS14_v2"] = { cloud = "azure", instance = "Standard_DS14_v2", region = "eastus", usd_per_hour = 1.482, vcpus = 16, memory_gib = 112 },
  },
  -- Platform surcharges, a separate line on top of the instances (same source caveat).
  -- Databricks bills DBUs per instance-hour; the DBU count of an instance type grows with its
  -- size. dbu_per_vcpu_hour approximates the published per-instance DBU rates of general-purpose
  -- types (e.g. AWS m5.xlarge 0.69 DBU/h, Azure DS3_v2 0.75 DBU/h); usd_per_dbu is the
  -- Premium tier list price of Jobs Compute / All-Purpose Compute (2024).
  databricks = {
    aws = { dbu_per_vcpu_hour = 0.1725, usd_per_dbu = { jobs = 0.15, all_purpose = 0.55 } },
    azure = { dbu_per_vcpu_hour = 0.1875, usd_per_dbu = { jobs = 0.30, all_purpose = 0.55 } },
    gcp = { dbu_per_vcpu_hour = 0.1725, usd_per_dbu = { jobs = 0.15, all_purpose = 0.55 } },
    dbu_per_hour = { ["Standard_DS3_v2"] = 0.75, ["Standard_DS4_v2"] = 1.5, ["Standard_DS5_v2"] = 3.0,
      ["Standard_DS13_v2"] = 2.0, ["Standard_DS14_v2"] = 4.0, ["m5.xlarge"] = 0.69, ["m5.2xlarge"] = 1.37,
      ["m5.4xlarge"] = 2.74, ["i3.xlarge"] = 1.0, ["i3.2xlarge"] = 2.0, ["i3.4xlarge"] = 4.0 },
  },
  -- Dataproc adds a premium per vCPU-hour of the cluster's machines.
  dataproc = { usd_per_vcpu_hour = 0.010 },
  -- Object storage per GiB-month (standard class, first tier), for what VACUUM reclaims (delta
  -- agent). Same caveat: list prices transcribed by hand in 2024, not fetched; choose an entry
  -- with --set rule.delta.vacuum.storage=<key> or edit the price.
  storage = {
    default = "aws.s3.standard",
    entries = {
      ["aws.s3.standard"] = { cloud = "aws", service = "S3 Standard", region = "us-east-1", usd_per_gib_month = 0.023 },
      ["gcp.gcs.standard"] = { cloud = "gcp", service = "Cloud Storage Standard", region = "us-central1", usd_per_gib_month = 0.020 },
      ["azure.blob.hot"] = { cloud = "azure", service = "Blob Storage Hot LRS", region = "eastus", usd_per_gib_month = 0.0184 },
    },
  },
}
