# ml: the runtime predictor's inference side (features, DAG simulation, native GBDT kernels,
# the training corpus reader); no third-party library.
sic_add_component(ml DIRS ml EXCLUDE "/ml/xgb\\.c$" "/ml/eval(_report)?\\.c$" "/ml/nnls\\.c$" DEPENDS core store
  REGISTER sic_ml_register)
sic_lua_module_ffi(ml sic_ffi_ml ml/predict.h)

# ml_train: training through XGBoost's C API (libxgboost-dev), the Ernest NNLS baselines and
# the cross-validated evaluation and its report (`sic train`). Optional: SIC_WITH_XGBOOST (ON when XGBoost is found).
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h)
find_library(XGBOOST_LIBRARY xgboost)
set(SIC_XGBOOST_FOUND OFF)
if(XGBOOST_INCLUDE_DIR AND XGBOOST_LIBRARY)
  set(SIC_XGBOOST_FOUND ON)
endif()
option(SIC_WITH_XGBOOST "Build runtime-model training (ml/xgb.c, ml/eval.c: XGBoost)" ${SIC_XGBOOST_FOUND})
if(SIC_WITH_XGBOOST AND NOT SIC_XGBOOST_FOUND)
  message(FATAL_ERROR "SIC_WITH_XGBOOST=ON but XGBoost was not found (libxgboost-dev); "
    "configure with -DSIC_WITH_XGBOOST=OFF to build without `sic train`")
endif()
set(SIC_ML_TRAIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/xgb.c ${CMAKE_CURRENT_LIST_DIR}/eval.c
  ${CMAKE_CURRENT_LIST_DIR}/eval_report.c ${CMAKE_CURRENT_LIST_DIR}/nnls.c)
sic_add_component(ml_train SOURCES ${SIC_ML_TRAIN_SOURCES} DEPENDS core store ml
  LIBS ${XGBOOST_LIBRARY} ENABLED_IF SIC_WITH_XGBOOST REASON "SIC_WITH_XGBOOST=OFF: no training")
if(TARGET sic_ml_train)
  target_include_directories(sic_ml_train PUBLIC ${XGBOOST_INCLUDE_DIR})
endif()
