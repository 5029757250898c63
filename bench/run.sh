#!/usr/bin/env bash
# Benchmarks (make bench). Each prints its input, its figure, a baseline measured in the same
# run and the ratio, next to the target from the design.
#
# usage: bench/run.sh BUILD_DIR
# env:   SIC_BENCH_MB   size of the generated log in MiB (default 1024; smaller for a quick look)
#        SIC_BENCH_REPEAT  loads per configuration, best wins (default 3)
#        SIC_SHARED_DATA   real logs to build the input from (default ../shared/data/real)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/run.sh BUILD_DIR}
build=$(cd "$build" && pwd)
size_mb=${SIC_BENCH_MB:-1024}
repeat=${SIC_BENCH_REPEAT:-3}
shared=${SIC_SHARED_DATA:-$root/../shared/data/real}
data=$root/bench/data
log=$data/biglog-${size_mb}m
generator_version=$(sed -n 's/^GENERATOR_VERSION = \([0-9]*\)$/\1/p' "$root/tools/mkbiglog")

# Value of key=... on the RESULT line of a benchmark's output.
result() { sed -n 's/^RESULT .*\<'"$2"'=\([^ ]*\).*/\1/p' <<<"$1"; }
manifest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$log.manifest.json" "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {
  ok = (dir == "min") ? v >= t : v <= t; print ok ? "met" : "NOT met" }'; }

# --- input: generated once, cached under bench/data (gitignored) ---
ensure_input() {
  if [[ -f $log && -f $log.zstd && -f $log.manifest.json ]] &&
     [[ $(manifest generator_version) == "$generator_version" ]]; then
    return
  fi
  if [[ ! -d $shared/spark-events ]]; then
    echo "bench: the input is generated from real logs in $shared/spark-events," >&2
    echo "bench: which is missing (clone the project next to ../shared or set SIC_SHARED_DATA)" >&2
    exit 1
  fi
  mkdir -p "$data"
  echo "bench: generating $log (${size_mb} MiB) and its zstd version, once ..." >&2
  "$root/tools/mkbiglog" --shared "$shared" --target-mb "$size_mb" --zstd "$log"
}

# Runs bench_parse; prints its report; leaves its output in $out (rc 3 = no loader yet).
run_sic() {
  local file=$1 threads=$2 rc=0
  out=$("$build/bench/bench_parse" --threads "$threads" --repeat "$repeat" \
          --expect-tasks "$(manifest tasks)" --expect-events "$(manifest events)" "$file") || rc=$?
  [[ -n $out ]] && sed 's/^/  /' <<<"$out" | grep -v '^  RESULT'
  return $rc
}

bench_parse_model() {
  ensure_input
  echo "== parse + model: sic_app_load (bench/bench_parse.c) vs Python json (bench/baseline_parse.py)"
  echo "input: $log ($(manifest bytes) bytes, $(manifest events) events, $(manifest tasks) tasks;"
  echo "       zstd: $(manifest zstd_bytes) bytes; built by tools/mkbiglog from real logs)"
  echo "-- sic, uncompressed, 1 thread"
  local plain zstd base rc=0
  run_sic "$log" 1 || rc=$?
  plain=$out
  if [[ $rc == 3 ]]; then
    echo "  (the model loader is not in libsic yet: sic figures pending)"
  elif [[ $rc != 0 ]]; then
    echo "bench: bench_parse failed on $log" >&2; exit 1
  fi
  if [[ $rc == 0 ]]; then
    echo "-- sic, zstd, 2 threads"
    run_sic "$log.zstd" 2 || { echo "bench: bench_parse failed on $log.zstd" >&2; exit 1; }
    zstd=$out
  fi
  echo "-- baseline: python3 json, uncompressed, 1 thread"
  base=$(python3 "$root/bench/baseline_parse.py" "$log")
  sed 's/^/  /' <<<"$base" | grep -v '^  RESULT'
  summary "$plain" "${zstd:-}" "$base" "$rc"
}

summary() {
  local plain=$1 zstd=$2 base=$3 rc=$4
  local bmb; bmb=$(result "$base" mbps_wall)
  echo "-- summary (MB = 10^6 decompressed bytes)"
  printf '  %-34s %12s %12s %8s   %s\n' figure sic baseline ratio target
  if [[ $rc != 0 ]]; then
    printf '  %-34s %12s %12s %8s   %s\n' "uncompressed MB/s, 1 thread" pending "$bmb" - ">= 1000 per core"
    return
  fi
  local p z t
  p=$(result "$plain" mbps_wall); z=$(result "$zstd" mbps_wall); t=$(result "$plain" bytes_per_task)
  printf '  %-34s %12s %12s %8s   %s (%s)\n' "uncompressed MB/s, 1 thread" "$p" "$bmb" \
    "$(ratio "$p" "$bmb")" ">= 1000 per core" "$(verdict "$p" 1000 min)"
  printf '  %-34s %12s %12s %8s   %s (%s)\n' "zstd MB/s, 2 threads (wall)" "$z" "$bmb" \
    "$(ratio "$z" "$bmb")" ">= 0.8x uncompressed = $(awk -v p="$p" 'BEGIN{printf "%.0f", 0.8*p}')" \
    "$(verdict "$z" "$(awk -v p="$p" 'BEGIN{print 0.8*p}')" min)"
  printf '  %-34s %12s %12s %8s   %s\n' "zstd MB/s per core (cpu time)" "$(result "$zstd" mbps_core)" \
    - - "(information)"
  printf '  %-34s %12s %12s %8s   %s (%s)\n' "bytes/task (peak anon RSS)" "$t" \
    "$(result "$base" bytes_per_task)" "$(ratio "$(result "$base" bytes_per_task)" "$t")" \
    "<= 100" "$(verdict "$t" 100 max)"
}

if [[ ! -x $build/bench/bench_parse ]]; then
  echo "bench: $build/bench/bench_parse is missing; build first (make bench does)" >&2
  exit 1
fi
bench_parse_model
