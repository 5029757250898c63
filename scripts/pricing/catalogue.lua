-- Pricing catalogue: editable data, no code.
--
-- Each entry: cloud, instance, usd_per_hour (on-demand list price of one instance), vcpus,
-- memory_gib, region, and optionally dbu_per_hour + usd_per_dbu for platforms that bill a
-- DBU-style surcharge on top. The cost agent prices executor and driver core-hours at
-- usd_per_hour / vcpus (plus the DBU surcharge per vCPU-hour when present).
--
-- SOURCE AND DATE: the on-demand Linux list prices below were transcribed by hand from the
-- providers' public pricing pages (AWS EC2 On-Demand, Google Compute Engine VM pricing, Azure
-- Linux Virtual Machines pricing) as they stood in 2024; they were NOT fetched by sic and
-- prices change. Check them against the page for your region and contract before quoting a
-- figure, and edit this file (or put your own pricing/catalogue.lua in a --scripts dir).
-- Select an entry with --set rule.cost.run.instance=<key> (default below).
return {
  source = "providers' public on-demand list prices (AWS EC2, GCE, Azure VMs), transcribed 2024; not fetched by sic - verify",
  date = "2024",
  default = "aws.m5.xlarge",
  entries = {
    ["aws.m5.xlarge"] = { cloud = "aws", instance = "m5.xlarge", region = "us-east-1", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["aws.m5.2xlarge"] = { cloud = "aws", instance = "m5.2xlarge", region = "us-east-1", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
    ["aws.m5.4xlarge"] = { cloud = "aws", instance = "m5.4xlarge", region = "us-east-1", usd_per_hour = 0.768, vcpus = 16, memory_gib = 64 },
    ["aws.r5.xlarge"] = { cloud = "aws", instance = "r5.xlarge", region = "us-east-1", usd_per_hour = 0.252, vcpus = 4, memory_gib = 32 },
    ["aws.r5.2xlarge"] = { cloud = "aws", instance = "r5.2xlarge", region = "us-east-1", usd_per_hour = 0.504, vcpus = 8, memory_gib = 64 },
    ["aws.c5.2xlarge"] = { cloud = "aws", instance = "c5.2xlarge", region = "us-east-1", usd_per_hour = 0.34, vcpus = 8, memory_gib = 16 },
    ["gcp.n2-standard-4"] = { cloud = "gcp", instance = "n2-standard-4", region = "us-central1", usd_per_hour = 0.194236, vcpus = 4, memory_gib = 16 },
    ["gcp.n2-standard-8"] = { cloud = "gcp", instance = "n2-standard-8", region = "us-central1", usd_per_hour = 0.388472, vcpus = 8, memory_gib = 32 },
    ["azure.D4s_v3"] = { cloud = "azure", instance = "Standard_D4s_v3", region = "eastus", usd_per_hour = 0.192, vcpus = 4, memory_gib = 16 },
    ["azure.D8s_v3"] = { cloud = "azure", instance = "Standard_D8s_v3", region = "eastus", usd_per_hour = 0.384, vcpus = 8, memory_gib = 32 },
  },
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
