-- analysis.pricing: catalogue entries for the cluster the log describes (lib/analysis/cluster),
-- with what was read and what was assumed said in words, and close matches for a key that is
-- not in the catalogue.
local catalogue = require "pricing.catalogue"
local names = require "sic.names"

local M = {}

-- Up to n catalogue keys closest to key (same cloud and family first).
function M.close_matches(key, n)
  key = tostring(key)
  local keys = {}
  for k in pairs(catalogue.entries) do keys[#keys + 1] = k end
  local fam = key:match("^([^.]+%.[^.]+)")
  local scored = names.ranked(key, keys, function(k, d)
    if fam and k:sub(1, #fam) == fam then return d - 2 end
    return d
  end)
  local out = {}
  for i = 1, math.min(n or 3, #scored) do out[i] = scored[i].c end
  return out
end

-- nil when key is "auto" or a catalogue entry, else a message naming close matches.
function M.check_key(key)
  if key == "auto" or catalogue.entries[key] then return nil end
  return string.format("no catalogue entry '%s' in scripts/pricing/catalogue.lua (close matches: %s; or 'auto' " ..
    "for the log's own cluster)", tostring(key), table.concat(M.close_matches(key, 3), ", "))
end

-- The catalogue key of an instance type of a cloud, or nil.
local function key_of(cloud, instance)
  if not cloud or not instance then return nil end
  local name = cloud == "azure" and instance:gsub("^Standard_", "") or instance
  local k = cloud .. "." .. name
  return catalogue.entries[k] and k or nil
end

-- The cloud's default family at the smallest size with at least `cores` vCPUs.
local function family_entry(cloud, cores)
  local pat = catalogue.default_family and catalogue.default_family[cloud]
  if not pat then return nil end
  local best, bestv, largest, largestv
  for k, e in pairs(catalogue.entries) do
    if k:match(pat) then
      if e.vcpus >= (cores or 1) and (not bestv or e.vcpus < bestv) then best, bestv = k, e.vcpus end
      if not largestv or e.vcpus > largestv then largest, largestv = k, e.vcpus end
    end
  end
  return best or largest
end

-- Resolve the pricing of a cluster: { worker = key, driver = key|nil, read = {..}, assumed = {..},
-- region_note } where read/assumed are lists of short sentences. `override`: a key from --set.
function M.resolve(c, override)
  local read, assumed = {}, {}
  local function said(list, fmt, ...) list[#list + 1] = string.format(fmt, ...) end
  if c.worker_type then said(read, "workers %s (%s)", c.worker_type, c.from.worker_type) end
  if c.workers then said(read, "%d workers (%s)", c.workers, c.from.workers) end
  if c.driver_type then said(read, "driver %s (%s)", c.driver_type, c.from.driver_type) end
  if c.cloud then said(read, "cloud %s (%s)", c.cloud, c.from.cloud) end
  if c.region then said(read, "region %s (%s)", c.region, c.from.region) end
  if c.executors and c.executors > 0 then
    said(read, "%d executor%s of %s cores%s (executor events)", c.executors, c.executors == 1 and "" or "s", tostring(c.executor_cores or "?"),
      c.executor_memory and (", " .. c.executor_memory .. " heap") or "")
  end
  local r = { read = read, assumed = assumed }
  if override and override ~= "auto" then
    r.worker = override
    said(assumed, "every core priced as %s (--set rule.cost.run.instance)", override)
    return r
  end
  r.worker = key_of(c.cloud, c.worker_type)
  if c.worker_type and not r.worker then
    r.worker = family_entry(c.cloud, c.executor_cores)
    if r.worker then said(assumed, "%s is not in the catalogue: priced as %s", c.worker_type, r.worker) end
  end
  if not r.worker and c.cloud then
    r.worker = family_entry(c.cloud, c.executor_cores)
    if r.worker then
      said(assumed, "instance type not in the log: %s (the %s default family, at least %s vCPUs per executor)",
        r.worker, c.cloud, tostring(c.executor_cores or 1))
    end
  end
  if not r.worker then
    r.worker = catalogue.default
    said(assumed, "neither cloud nor instance type in the log: %s (catalogue default)", catalogue.default)
  end
  r.driver = key_of(c.cloud, c.driver_type)
  if c.driver_type and not r.driver then said(assumed, "driver %s is not in the catalogue: priced per core as the workers", c.driver_type) end
  local e = catalogue.entries[r.worker]
  if e then
    local same = catalogue.regions and catalogue.regions[e.cloud] or {}
    if not c.region then
      said(assumed, "region not in the log: %s list prices", e.region)
    elseif c.region ~= e.region then
      if same[c.region] then said(read, "%s lists the same price as %s for this family", c.region, e.region)
      else said(assumed, "%s priced at the %s list price (not in the catalogue)", c.region, e.region) end
    end
  end
  return r
end

return M
