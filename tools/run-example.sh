#!/usr/bin/env bash
# `make run`: analyse an event log with the freshly built sic.
#
# usage: tools/run-example.sh BUILD_DIR [LOG]
#   LOG given      sic analyze LOG (a file, rolling-log directory, zip, ..., or - for stdin)
#   LOG omitted    generate a realistic example log with `sic example` (skewed and spilling
#                  stages) under BUILD_DIR/example/ and analyse that; needs nothing outside
#                  the repository, so it works in a fresh clone without ../shared.
# Extra options for analyze can be passed in SIC_ARGS (e.g. SIC_ARGS="--format md").
set -euo pipefail

build=${1:?usage: tools/run-example.sh BUILD_DIR [LOG]}
log=${2:-}
sic=$build/sic

die() { echo "run-example: $*" >&2; exit 1; }
# True when `sic --help` lists the command (commands land one by one while sic grows).
has_command() { "$sic" --help 2>/dev/null | grep -q "^  $1 "; }

[[ -x $sic ]] || die "$sic not found; build first (make run does)"
has_command analyze || die "this sic has no 'analyze' command yet ($("$sic" --version))"

# A real log to fall back to while `sic example` does not exist (only in a checkout that has
# the shared test data next to it).
shared=${SIC_SHARED_DATA:-$(dirname "$0")/../../shared/data/real}
fallback=$shared/spark-events/spark-rapids-tools/spark-events-profiling/nds_q66_cpu.zstd

if [[ -z $log ]]; then
  if has_command example; then
    log=$build/example/example-eventlog
    mkdir -p "$(dirname "$log")"
    echo "run-example: generating an example event log: $sic example $log" >&2
    "$sic" example "$log"
  elif [[ -f $fallback ]]; then
    log=$fallback
    echo "run-example: this sic has no 'example' command yet; using a real log from ../shared" >&2
  else
    die "this sic cannot generate an example log yet and ../shared is absent; pass one: LOG=path make run"
  fi
fi
[[ $log == - || -e $log ]] || die "$log: no such file or directory"

echo "run-example: $sic analyze $log ${SIC_ARGS:-}" >&2
# shellcheck disable=SC2086  # SIC_ARGS is a list of options on purpose
exec "$sic" analyze ${SIC_ARGS:-} "$log"
