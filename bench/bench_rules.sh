#!/usr/bin/env bash
# Rule-evaluation benchmark: the shipped rules run by the Lua graph
# through the FFI vs the same checks in C, over every task of a >= 1M-task log, and both vs
# the parse time. Targets (DESIGN.md / issue 3): Lua <= 3x C, rules <= 10% of parse.
#
# usage: bench/bench_rules.sh BUILD_DIR
# env:   SIC_BENCH_RULE_TASKS  planned tasks of the generated log (default 1100000)
#        SIC_BENCH_REPEAT      evaluations per side, best wins (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_rules.sh BUILD_DIR}" && pwd)
tasks=${SIC_BENCH_RULE_TASKS:-1100000}
repeat=${SIC_BENCH_REPEAT:-3}
log=$root/bench/data/example-${tasks}tasks.zstd

if [[ ! -x $build/bench/bench_rules ]]; then
  echo "bench: $build/bench/bench_rules is missing; build first" >&2
  exit 1
fi
if [[ ! -f $log ]]; then
  mkdir -p "$root/bench/data"
  echo "bench: generating $log with sic example (once) ..." >&2
  "$build/sic" example "$log.tmp" --tasks "$tasks" --codec zstd >&2
  mv "$log.tmp" "$log"
fi

echo "== rules: shipped Lua rules through the FFI (scripts/rules) vs the same checks in C (bench/bench_rules.c)"
out=$("$build/bench/bench_rules" "$log" --repeat "$repeat")
grep -v '^RESULT' <<<"$out"
res=$(grep '^RESULT' <<<"$out")
val() { sed -n 's/.*\<'"$1"'=\([^ ]*\).*/\1/p' <<<"$res"; }
awk -v r="$(val ratio)" -v s="$(val share)" -v t="$(val tasks)" 'BEGIN {
  printf "-- summary: %d task attempts; Lua/C = %.2fx (target <= 3x: %s); rules/parse = %.1f%% (target <= 10%%: %s)\n",
    t, r, (r <= 3 ? "met" : "NOT met"), 100 * s, (s <= 0.10 ? "met" : "NOT met") }'
[[ $(val same_findings) == 1 ]] || { echo "bench: C and Lua found different things" >&2; exit 1; }
