#!/usr/bin/env bash
# Delta snapshot benchmark (owner: delta engineer). A generated table of N active files
# (default 300000) as a Parquet checkpoint written by bench/gen_delta_table.py plus a JSON tail
# of 10 commits, and the same log as JSON only. Measured in the same run:
#   sic      engine/delta replay of the checkpointed table and of the JSON-only one (bench_delta)
#   baseline Python's json module replaying the JSON-only log (bench/bench_delta_baseline.py)
# Prints wall and CPU ms (the machine may be shared: CPU time is the steadier figure), ms per 100k files, peak RSS growth, and the ratio baseline / sic. Target: well
# under 1 s per 100k files.
#
# usage: bench/bench_delta.sh BUILD_DIR
# env:   SIC_BENCH_DELTA_FILES (default 300000), SIC_BENCH_REPEAT (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_delta.sh BUILD_DIR}" && pwd)
files=${SIC_BENCH_DELTA_FILES:-300000}
repeat=${SIC_BENCH_REPEAT:-3}
data=$root/bench/data/delta-${files}
bin=$build/bench/bench_delta
[[ -x $bin ]] || cmake --build "$build" --target bench_delta >/dev/null
if [[ ! -f $data/checkpointed/_delta_log/_last_checkpoint ]]; then
  echo "bench_delta: generating $files files under $data, once ..." >&2
  rm -rf "$data"
  python3 "$root/bench/gen_delta_table.py" "$data" "$files" 10 >&2
fi
cp_size=$(du -sh "$data/checkpointed/_delta_log" | cut -f1)
js_size=$(du -sh "$data/json/_delta_log" | cut -f1)
sic_cp=$("$bin" "$data/checkpointed" "$repeat")
sic_js=$("$bin" "$data/json" "$repeat")
base=$(python3 "$root/bench/bench_delta_baseline.py" "$data/json" "$repeat")
get() { grep -o "\b$1=[0-9.]*" <<<"$2" | head -n1 | cut -d= -f2; }
echo "delta snapshot, $files files + 10-commit tail (checkpointed log $cp_size, JSON-only log $js_size), best of $repeat:"
echo "  sic, checkpoint + tail:  $sic_cp"
echo "  sic, JSON only:          $sic_js"
echo "  python json, JSON only:  $base"
python3 - "$(get ms "$sic_cp")" "$(get ms "$sic_js")" "$(get ms "$base")" "$(get files "$sic_cp")" "$(get files "$base")" \
  "$(get cpu_ms "$sic_cp")" "$(get cpu_ms "$sic_js")" "$(get cpu_ms "$base")" <<'PY'
import sys
cp, js, py, f_sic, f_py, ccp, cjs, cpy = (float(x) for x in sys.argv[1:])
print("  same active files as the baseline: %s" % ("yes" if f_sic == f_py else "NO (%d vs %d)" % (f_sic, f_py)))
print("  ratio python/sic, wall: %.1fx (checkpointed), %.1fx (JSON only)" % (py / cp, py / js))
print("  ratio python/sic, CPU:  %.1fx (checkpointed), %.1fx (JSON only)" % (cpy / ccp, cpy / cjs))
print("  target: < 1000 ms per 100k files; sic: %.0f ms wall, %.0f ms CPU per 100k (checkpointed)" % (cp * 100000 / f_sic, ccp * 100000 / f_sic))
PY
