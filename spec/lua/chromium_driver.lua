-- Headless-Chromium driver for the HTML report spec.
-- Runs Debian's `chromium` (Makefile DEBIAN_PACKAGES: chromium, chromium-driver) as root-safe
-- headless with a fresh profile and no network features, and returns what the page did:
--   load(path) -> { dom = serialised DOM after scripts ran, console = { "message", ... } }
--   screenshot(path, png, width, height) -> true when the PNG was written
-- Console messages (console.* calls and uncaught errors) come from Chromium's own log
-- (--enable-logging=stderr: lines with INFO:CONSOLE).
local M = {}

local FLAGS = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " ..
  "--disable-component-update --disable-sync --disable-extensions"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.binary()
  for _, b in ipairs { "chromium", "chromium-browser", "google-chrome" } do
    local p = io.popen("command -v " .. b .. " 2>/dev/null")
    local path = p:read("*l")
    p:close()
    if path and path ~= "" then return path end
  end
end

local function with_profile(fn)
  local p = io.popen("mktemp -d /tmp/sic-chromium-XXXXXX")
  local dir = p:read("*l")
  p:close()
  local ok, a, b = pcall(fn, dir)
  os.execute("rm -rf " .. q(dir))
  if not ok then error(a, 0) end
  return a, b
end

function M.load(path)
  local bin = assert(M.binary(), "chromium is not installed")
  return with_profile(function(profile)
    local out, err = os.tmpname(), os.tmpname()
    local cmd = string.format("timeout 90 %s %s --user-data-dir=%s --enable-logging=stderr --v=0 " ..
      "--virtual-time-budget=5000 --dump-dom %s >%s 2>%s", q(bin), FLAGS, q(profile), q("file://" .. path), q(out), q(err))
    os.execute(cmd)
    local dom, log = read(out) or "", read(err) or ""
    os.remove(out)
    os.remove(err)
    local console = {}
    for line in log:gmatch("[^\n]+") do
      local msg = line:match("CONSOLE%(?%d*%)?[^%]]*%]%s*(.*)$")
      if msg then console[#console + 1] = msg end
    end
    return { dom = dom, console = console, log = log }
  end)
end

function M.screenshot(path, png, width, height)
  local bin = assert(M.binary(), "chromium is not installed")
  return with_profile(function(profile)
    os.remove(png)
    local cmd = string.format("timeout 90 %s %s --user-data-dir=%s --hide-scrollbars --window-size=%d,%d " ..
      "--virtual-time-budget=5000 --screenshot=%s %s >/dev/null 2>&1", q(bin), FLAGS, q(profile), width or 1280,
      height or 2400, q(png), q("file://" .. path))
    os.execute(cmd)
    local data = read(png)
    return data ~= nil and data:sub(2, 4) == "PNG"
  end)
end

return M
