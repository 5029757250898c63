#!/usr/bin/env bash
# End-to-end analysis benchmark: parse-only vs parse + every agent
# (skew, partition, resources with the what-if simulation, SQL plans, rules, cost) on the
# largest real log in $SIC_SHARED_DATA/spark-events (by decompressed bytes) and on the 1.1M-task
# generated log of bench_rules.sh when present. Target (issue 4): analyse <= 1.25x parse.
#
# usage: bench/bench_analyze.sh BUILD_DIR
# env:   SIC_SHARED_DATA (default ../shared/data/real), SIC_BENCH_REPEAT (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_analyze.sh BUILD_DIR}" && pwd)
data=${SIC_SHARED_DATA:-$root/../shared/data/real}
repeat=${SIC_BENCH_REPEAT:-5}
# Every logical log `sic logs` finds is a candidate; the Lua side times the largest (decompressed).
mapfile -t candidates < <("$build/sic" logs "$data/spark-events" 2>/dev/null | awk '!/^ / { print $1 }')
logs=()
big=$root/bench/data/example-1100000tasks.zstd
[[ -f $big ]] && logs+=("$big")
out=$("$build/sic" run "$root/bench/bench_analyze.lua" "$repeat" "${logs[@]}" --largest-of "${candidates[@]}")
grep -v '^RESULT' <<<"$out"
ratio=$(grep '^RESULT' <<<"$out" | head -1 | sed 's/.*ratio=\([^ ]*\).*/\1/')
awk -v r="$ratio" 'BEGIN { printf "-- summary: largest real log analyse/parse = %.2fx (target <= 1.25x: %s)\n", r, (r <= 1.25 ? "met" : "NOT met"); exit !(r <= 1.25) }'
