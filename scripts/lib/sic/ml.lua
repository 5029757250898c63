-- sic.ml: the runtime predictor from Lua (cdef generated from ml/predict.h, registered by
-- the ml component).
--
--   local sic = require "sic"
--   local p = assert(sic.ml.open("model.sic"))        -- a model file from `sic train`
--   local r = assert(p:predict(app, { executors = 16, cores = 4, input_scale = 2 }))
--   print(r.predicted_ms, r.low_ms, r.high_ms)
--   sic.ml.predict(app, { model = "model.sic" })      -- same, model from opts.model or $SIC_MODEL
--
-- Prediction = per-stage times from the native GBDT (ml/gbdt.c, no XGBoost at run time) fed
-- through the DAG scheduler simulation on executors x cores slots, plus driver time; the
-- interval is the 10th..90th percentile of the model's cross-validation errors (ml/predict.h).
-- Errors come back as nil, message.
local ffi = require "ffi"
local core = require "sic.core"
local C = assert(core.module("sic.ml"))

local M = {}
local Predictor = {}
Predictor.__index = Predictor

-- Load a model file; nil, message when it is missing, corrupt or for another feature set.
function M.open(path)
  if type(path) ~= "string" or path == "" then return nil, "sic.ml.open: model path must be a string" end
  local out = ffi.new("sic_ml_predictor *[1]")
  local err = ffi.new("sic_err")
  if C.sic_ml_predictor_open(path, out, err) < 0 then return nil, ffi.string(err.msg) end
  return setmetatable({ c = ffi.gc(out[0], C.sic_ml_predictor_free), path = path }, Predictor)
end

local function count(v, name)
  if v == nil then return 0 end
  if type(v) ~= "number" or v < 1 or v ~= math.floor(v) then
    error("sic.ml.predict: " .. name .. " must be a positive integer", 3)
  end
  return v
end

-- Predict the runtime of app (a sic.load() model) under opts {executors, cores, input_scale}.
function Predictor:predict(app, opts)
  opts = opts or {}
  if type(app) ~= "table" or app.c == nil then return nil, "sic.ml.predict: expects an application from sic.load" end
  local ok, ex = pcall(count, opts.executors, "executors")
  if not ok then return nil, ex end
  local ok2, co = pcall(count, opts.cores, "cores")
  if not ok2 then return nil, co end
  local scale = opts.input_scale or 1
  if type(scale) ~= "number" or not (scale > 0) then return nil, "sic.ml.predict: input_scale must be a positive number" end
  local s = ffi.new("sic_ml_summary")
  local err = ffi.new("sic_err")
  if C.sic_ml_predict_summary(self.c, app.c, ex, co, scale, s, err) < 0 then return nil, ffi.string(err.msg) end
  local function num(v) v = tonumber(v) return v == v and v or nil end -- NaN -> nil
  return {
    predicted_ms = num(s.predicted_ms), low_ms = num(s.low_ms), high_ms = num(s.high_ms),
    app_model_ms = num(s.app_model_ms), observed_ms = s.observed_ms >= 0 and num(s.observed_ms) or nil,
    driver_ms = num(s.driver_ms), slots = s.slots, executors = s.executors, stages = s.nstages,
    unknown_features = s.unknown_features,
  }
end

local cache = {} -- model path -> predictor, so agents calling per app load a model once

-- sic.ml.predict(app, opts): opts.model (or $SIC_MODEL) names the model file.
function M.predict(app, opts)
  opts = opts or {}
  local path = opts.model or os.getenv("SIC_MODEL")
  if not path or path == "" then return nil, "sic.ml.predict: no model (opts.model or SIC_MODEL)" end
  local p = cache[path]
  if not p then
    local err
    p, err = M.open(path)
    if not p then return nil, err end
    cache[path] = p
  end
  return p:predict(app, opts)
end

return M
