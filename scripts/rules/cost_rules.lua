-- Cost: what the run cost and what each finding is worth, priced from the catalogue
-- (scripts/pricing/catalogue.lua). The machines come from the log itself (lib/analysis/cluster:
-- Databricks cluster tags, Kubernetes node selectors, regions, host names, executor shape) and
-- are matched to catalogue entries (lib/analysis/pricing), which says what was read and what was
-- assumed; --set rule.cost.run.instance=<key> prices every core as that entry instead (an
-- unknown key is a usage error naming close matches).
-- Method: executor cores are billed for the time they were alive at the worker entry's price
-- per vCPU-hour, the driver for the wall time (its own instance when the log names it, else its
-- cores); Databricks DBUs and the Dataproc premium are a separate line added to the total.
-- A finding's value = wall time saved x the cluster's mean cost per ms + core time freed x the
-- core price.
local U = require "lib.analysis.util"
local R = require "lib.analysis.resources"
local catalogue = require "pricing.catalogue"
local savings = require "lib.analysis.savings"
local cluster = require "lib.analysis.cluster"
local pricing = require "lib.analysis.pricing"

-- the layers whose findings are priced: the cost agent's needs (one list for both)
local AGENTS = require "lib.analysis.priced_layers"

-- " Top by value: 1. id on entity $x; 2. ..." (at most 5), or "" when nothing has a value.
local function top_list(savings)
  local parts = {}
  for i = 1, math.min(5, #savings) do
    local v = savings[i]
    parts[#parts + 1] = string.format("%d. %s on %s $%.4f", i, v.id, v.entity, v.usd)
  end
  return #parts > 0 and (" Top by value: " .. table.concat(parts, "; ") .. ".") or ""
end

local function entry_for(key)
  local e = catalogue.entries[key]
  if not e then error(pricing.check_key(key), 0) end
  return e
end

-- Platform surcharges per executor core-hour and per driver instance-hour, with their line:
-- Databricks DBUs (per instance-hour, from the catalogue's rates) or the Dataproc premium.
local function surcharge(c, worker, driver)
  if c.platform == "databricks" then
    local db = catalogue.databricks and catalogue.databricks[worker.cloud]
    if not db then return nil end
    local function dbu(e) return catalogue.databricks.dbu_per_hour[e.instance], "catalogue rate" end
    local w_dbu, how = dbu(worker)
    if not w_dbu then w_dbu, how = db.dbu_per_vcpu_hour * worker.vcpus, string.format("~%.4f DBU per vCPU-hour (approximate)", db.dbu_per_vcpu_hour) end
    local d_dbu = driver and (dbu(driver) or db.dbu_per_vcpu_hour * driver.vcpus) or nil
    local compute = c.compute or "all_purpose"
    local usd = db.usd_per_dbu[compute]
    return { kind = "Databricks DBUs", per_core_hour = w_dbu * usd / worker.vcpus,
      per_driver_hour = d_dbu and d_dbu * usd or nil, dbu_per_worker_hour = w_dbu, usd_per_dbu = usd, compute = compute,
      compute_assumed = c.compute == nil, how = how }
  elseif c.platform == "dataproc" and catalogue.dataproc then
    local v = catalogue.dataproc.usd_per_vcpu_hour
    return { kind = "Dataproc premium", per_core_hour = v, per_driver_hour = driver and v * driver.vcpus or nil,
      how = string.format("$%.3f per vCPU-hour", v) }
  end
end

return {
  agent = "cost",
  rules = {
    {
      id = "cost.run",
      title = "Cost of the run and value of the recommendations",
      severity = "info",
      applies_to = "app",
      -- instance "auto": the log's own cluster (lib/analysis/cluster), else a catalogue key
      thresholds = { instance = "auto", driver_cores = 1 },
      check_thresholds = function(th) return pricing.check_key(th.instance) end,
      when = function(app, ctx)
        -- a log with no event times gives no run time: its cost is unknown, not $0
        if U.app_start(app) < 0 or U.app_end(app) < 0 then return nil end
        local c = cluster.detect(app)
        local res = pricing.resolve(c, ctx.thresholds.instance)
        local key = res.worker
        local e = entry_for(key)
        local d = res.driver and catalogue.entries[res.driver]
        local extra = ctx.thresholds.instance == "auto" and surcharge(c, e, d) or nil
        local p = R.profile(app)
        local instance_core_hour = e.usd_per_hour / e.vcpus
        local per_core_hour = instance_core_hour + (extra and extra.per_core_hour or 0)
        local per_core_ms = per_core_hour / 3600000
        local driver_cores = tonumber(app:conf("spark.driver.cores", "")) or ctx.thresholds.driver_cores
        local hours = (p.wall_ms or 0) / 3600000
        local exec_usd = (p.alive_core_ms or 0) * instance_core_hour / 3600000
        -- the driver: its own instance for the whole run when the log names it, else its cores
        local driver_usd = d and d.usd_per_hour * hours or (p.wall_ms or 0) * driver_cores * instance_core_hour / 3600000
        local surcharge_usd = 0
        if extra then
          surcharge_usd = (p.alive_core_ms or 0) / 3600000 * extra.per_core_hour +
            (extra.per_driver_hour and extra.per_driver_hour * hours or driver_cores * hours * extra.per_core_hour)
        end
        if d then driver_cores = d.vcpus end
        local mean_cores = p.wall_ms > 0 and (p.alive_core_ms or 0) / p.wall_ms or 0
        local per_wall_ms = (mean_cores + driver_cores) * per_core_ms
        local values, all = {}, {}
        for _, agent in ipairs(AGENTS) do
          local layer = ctx.state[agent]
          if layer and layer.findings then
            for _, f in ipairs(layer.findings) do
              all[#all + 1] = f
              local im = f.impact
              if im then
                -- memory_gib_hours is not priced on its own: instance prices bundle memory with cores
                local usd = math.max(tonumber(im.saving_ms) or 0, 0) * per_wall_ms + (tonumber(im.core_ms) or 0) * per_core_ms
                if usd > 0 then
                  values[#values + 1] = { id = f.id, entity = f.entity and f.entity.key or "app", usd = usd,
                    saving_ms = im.saving_ms, core_ms = im.core_ms }
                end
              end
            end
          end
        end
        table.sort(values, function(a, b) return a.usd > b.usd end)
        -- The total is the union of the savings (lib/analysis/savings): overlapping claims on
        -- the same stage time, GC time or idle cores count once, and never more than the run.
        local u = savings.union(all, { wall_ms = p.wall_ms, core_ms = p.alive_core_ms })
        local run_usd = exec_usd + driver_usd + surcharge_usd
        local total = math.min(u.wall_ms * per_wall_ms + u.core_ms * per_core_ms, run_usd)
        local curve
        local rt = ctx.state.runtime
        if rt and rt.whatif then
          curve = {}
          for i, pt in ipairs(rt.whatif.points) do
            curve[i] = { factor = pt.factor, executors = pt.executors, wall_ms = pt.wall_ms,
              usd = pt.wall_ms * ((mean_cores * pt.factor) + driver_cores) * per_core_ms }
          end
        end
        return { pricing_entry = key, driver_entry = res.driver, from_log = res.read, assumed = res.assumed,
          surcharge = extra and { kind = extra.kind, usd = surcharge_usd, how = extra.how, compute = extra.compute,
            compute_assumed = extra.compute_assumed, usd_per_dbu = extra.usd_per_dbu } or nil,
          instances_usd = exec_usd + driver_usd, log_region = c.region,
          cloud = e.cloud, instance = e.instance, region = e.region,
          usd_per_hour = e.usd_per_hour, vcpus = e.vcpus, usd_per_core_hour = per_core_hour,
          catalogue_source = catalogue.source, catalogue_date = catalogue.date,
          executor_core_hours = (p.alive_core_ms or 0) / 3600000, driver_core_hours = (p.wall_ms or 0) * driver_cores / 3600000,
          executor_usd = exec_usd, driver_usd = driver_usd, run_usd = run_usd,
          savings_usd = total, saving_union_ms = u.wall_ms, core_union_ms = u.core_ms, savings = values,
          whatif_cost = curve }
      end,
      advice = function(e)
        local lines = {}
        if e.surcharge then
          lines[#lines + 1] = string.format(" = $%.4f instances + $%.4f %s (%s%s)", e.instances_usd, e.surcharge.usd,
            e.surcharge.kind, e.surcharge.how, e.surcharge.compute and string.format(", %s compute at $%.2f/DBU%s",
              e.surcharge.compute:gsub("_", "-"), e.surcharge.usd_per_dbu, e.surcharge.compute_assumed and " (assumed)" or "") or "")
        end
        return string.format("The run cost about $%.4f%s (%.2f executor + %.2f driver core-hours; workers priced as " ..
          "catalogue entry %s: %s %s in %s, $%.3f/h for %d vCPUs%s). From the log: %s. Assumed: %s. Prices: %s. " ..
          "The findings with an estimate are worth about $%.4f per run together (overlapping savings counted once).%s",
          e.run_usd, lines[1] or "", e.executor_core_hours, e.driver_core_hours, e.pricing_entry, e.cloud, e.instance,
          e.region or "?", e.usd_per_hour, e.vcpus, e.driver_entry and ("; driver " .. e.driver_entry) or "",
          #e.from_log > 0 and table.concat(e.from_log, "; ") or "nothing about the machines",
          #e.assumed > 0 and table.concat(e.assumed, "; ") or "nothing", e.catalogue_source, e.savings_usd, top_list(e.savings))
      end,
    },
  },
}
