-- Counts the cases of one busted run that were skipped for want of the shared real data
-- (pending with a reason starting "needs shared data", as T.need_shared gives), prints the
-- count as a TAP comment at the end of the spec, and leaves a record for the summary that
-- ctest prints after the whole run (spec/shared_data_summary.cmake, set up in spec/CMakeLists.txt).
--
-- Record: $SIC_BUILD_DIR/Testing/shared-data/lua.NAME.tsv, first line
-- "cases<TAB>total<TAB>ran<TAB>skipped_for_data<TAB>pending_otherwise", then one
-- "skip<TAB>case<TAB>reason" per case skipped for want of the data.
-- Loaded by spec/lua/helper.lua; does nothing outside busted.
local M = {}

M.REASON = "needs shared data"

-- True when a pending reason says the case wants the shared data.
function M.is_data_reason(reason)
  return type(reason) == "string" and reason:find(M.REASON, 1, true) == 1
end

-- The pending reason without the "file:line: " busted puts in front of it.
local function reason_of(message)
  if type(message) == "table" then message = message.message end
  if type(message) ~= "string" then return nil end
  return (message:gsub("^[^\n:]*:%d+: ", ""))
end

function M.install(build_dir)
  local ok, busted = pcall(require, "busted")
  if not ok or type(busted) ~= "table" or not busted.subscribe then return end
  local spec, total, skipped, other, list = nil, 0, 0, 0, {}
  local reasons = setmetatable({}, { __mode = "k" }) -- element -> pending reason

  busted.subscribe({ "file", "start" }, function(file)
    spec = spec or (file.name or ""):match("([^/]+)%.lua$")
    return nil, true
  end)
  busted.subscribe({ "pending" }, function(element, _, message)
    reasons[element] = reason_of(message)
    return nil, true
  end)
  busted.subscribe({ "test", "end" }, function(element, _, status)
    total = total + 1
    local reason = reasons[element] or (element.descriptor == "pending" and element.name) or nil
    if status == "pending" and M.is_data_reason(reason) then
      skipped = skipped + 1
      list[#list + 1] = ("skip\t%s\t%s"):format((tostring(element.name):gsub("[\t\n]", " ")), (reason:gsub("[\t\n]", " ")))
    elseif status == "pending" then
      other = other + 1
    end
    return nil, true
  end)
  busted.subscribe({ "exit" }, function()
    if skipped > 0 then
      io.stdout:write(("# %d of %d cases skipped: %s (../shared/data/real, SIC_SHARED_DATA)\n")
        :format(skipped, total, M.REASON))
      io.stdout:flush()
    end
    if build_dir and spec then
      local dir = build_dir .. "/Testing/shared-data"
      os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'")
      local f = io.open(dir .. "/lua." .. spec .. ".tsv", "wb")
      if f then
        f:write(("cases\t%d\t%d\t%d\t%d\n"):format(total, total - skipped - other, skipped, other))
        for _, l in ipairs(list) do f:write(l, "\n") end
        f:close()
      end
    end
    return nil, true
  end)
end

return M
