#!/bin/sh
# Run every libFuzzer target in BUILD_DIR/fuzz for RUNS executions (default 1000000) each,
# starting from seed corpora that seedgen writes into a temporary directory (plus
# fuzz/corpus/<target>/ when a target ships one). Fails when any target reports a finding;
# crash inputs are kept in BUILD_DIR/fuzz-artifacts/.
#   usage: fuzz/run.sh BUILD_DIR [RUNS] [TARGET...]   (no TARGET: every fuzz_* in BUILD_DIR/fuzz)
set -eu
build=${1:?usage: fuzz/run.sh BUILD_DIR [RUNS] [TARGET...]}
runs=${2:-1000000}
[ $# -ge 2 ] && shift 2 || shift $#
only="$*"
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/fuzz
artifacts=$build/fuzz-artifacts
work=$(mktemp -d "${TMPDIR:-/tmp}/sic-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$artifacts"

# UBSan findings must stop the run like ASan ones do.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

"$bin/seedgen" "$work/seeds"

status=0
found=0
for target in "$bin"/fuzz_*; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  name=$(basename "$target")
  if [ -n "$only" ]; then
    case " $only " in *" $name "*) ;; *) continue ;; esac
  fi
  found=$((found + 1))
  corpus=$work/corpus/$name
  mkdir -p "$corpus"
  [ -d "$work/seeds/$name" ] && cp "$work/seeds/$name"/* "$corpus"/
  [ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$corpus"/
  # The Parquet reader starts from real Delta checkpoints (read in place, never kept in the repo).
  if [ "$name" = fuzz_parquet ]; then
    shared=${SIC_SHARED_DATA:-$here/../../shared/data/real}
    find "$shared/delta" -path '*_delta_log*' -name '*.parquet' -size -64k 2>/dev/null | head -n 40 |
      while IFS= read -r seed; do cp "$seed" "$corpus/$(echo "$seed" | cksum | cut -d' ' -f1).parquet"; done
  fi
  log=$work/$name.log
  if "$target" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "$name: ok, ${execs:-?} executions (${rate:-?}/s average)"
  else
    echo "$name: FAILED (crash input under $artifacts/)"
    tail -n 60 "$log"
    status=1
  fi
done
if [ "$found" = 0 ]; then
  echo "no fuzz targets in $bin (build with -DSIC_FUZZ=ON)" >&2
  exit 1
fi
exit $status
