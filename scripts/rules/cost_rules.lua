-- Cost: what the run cost and what each finding is worth, priced from the catalogue
-- (scripts/pricing/catalogue.lua; entry chosen with --set rule.cost.run.instance=<key>).
-- Method: executor cores are billed for the time they were alive, the driver for the wall time,
-- each at the entry's price per vCPU-hour (+ DBU surcharge when the entry has one). A finding's
-- value = wall time saved x the cluster's mean cost per ms + core time freed x the core price
--
local U = require "lib.analysis.util"
local R = require "lib.analysis.resources"
local catalogue = require "pricing.catalogue"
local savings = require "lib.analysis.savings"

local AGENTS = { "metadata", "skew", "partition", "resources", "sql", "runtime", "rules" }

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
  if not e then
    local keys = {}
    for k in pairs(catalogue.entries) do keys[#keys + 1] = k end
    table.sort(keys)
    error(string.format("pricing: no catalogue entry '%s' (have: %s)", tostring(key), table.concat(keys, ", ")), 0)
  end
  return e
end

return {
  agent = "cost",
  rules = {
    {
      id = "cost.run",
      title = "Cost of the run and value of the recommendations",
      severity = "info",
      applies_to = "app",
      thresholds = { instance = catalogue.default, driver_cores = 1 },
      when = function(app, ctx)
        local e = entry_for(ctx.thresholds.instance)
        -- a log with no event times gives no run time: its cost is unknown, not $0
        if U.app_start(app) < 0 or U.app_end(app) < 0 then return nil end
        local p = R.profile(app)
        local per_core_hour = e.usd_per_hour / e.vcpus
        if e.dbu_per_hour and e.usd_per_dbu then per_core_hour = per_core_hour + e.dbu_per_hour * e.usd_per_dbu / e.vcpus end
        local per_core_ms = per_core_hour / 3600000
        local driver_cores = tonumber(app:conf("spark.driver.cores", "")) or ctx.thresholds.driver_cores
        local exec_usd = (p.alive_core_ms or 0) * per_core_ms
        local driver_usd = (p.wall_ms or 0) * driver_cores * per_core_ms
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
        local run_usd = exec_usd + driver_usd
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
        return { pricing_entry = ctx.thresholds.instance, cloud = e.cloud, instance = e.instance, region = e.region,
          usd_per_hour = e.usd_per_hour, vcpus = e.vcpus, usd_per_core_hour = per_core_hour,
          catalogue_source = catalogue.source, catalogue_date = catalogue.date,
          executor_core_hours = (p.alive_core_ms or 0) / 3600000, driver_core_hours = (p.wall_ms or 0) * driver_cores / 3600000,
          executor_usd = exec_usd, driver_usd = driver_usd, run_usd = run_usd,
          savings_usd = total, saving_union_ms = u.wall_ms, core_union_ms = u.core_ms, savings = values,
          whatif_cost = curve }
      end,
      advice = function(e)
        return string.format("The run cost about $%.4f (%.2f executor + %.2f driver core-hours at $%.4f per core-hour, " ..
          "catalogue entry %s: %s %s in %s, $%.3f/h for %d vCPUs; %s). The findings with an estimate are worth about " ..
          "$%.4f per run together (overlapping savings counted once).%s", e.run_usd, e.executor_core_hours, e.driver_core_hours, e.usd_per_core_hour, e.pricing_entry,
          e.cloud, e.instance, e.region or "?", e.usd_per_hour, e.vcpus, e.catalogue_source, e.savings_usd, top_list(e.savings))
      end,
    },
  },
}
