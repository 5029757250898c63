#!/usr/bin/env bash
# Runtime-predictor benchmark: native GBDT inference vs XGBoost's
# XGBoosterPredictFromDense on the same 300-tree depth-6 model and rows, model load time, and
# agreement (bench/bench_ml.c prints targets next to the figures).
#   usage: bench/bench_ml.sh BUILD_DIR [ROWS [DEPTH [TREES]]]   (default 20000 6 300)
set -euo pipefail
build=${1:?usage: bench/bench_ml.sh BUILD_DIR [ROWS [DEPTH [TREES]]]}
cmake --build "$build" -j 2 --target bench_ml >/dev/null
"$build/bench/bench_ml" "${2:-20000}" "${3:-6}" "${4:-300}"
