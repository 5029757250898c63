#!/usr/bin/env bash
# sources/ (owner: sources): the bench log (tools/mkbiglog, plain and zstd) loaded into a
# model from an S3-compatible server (s3rver, from npm) and from `sic serve` acting as a
# History Server, both over loopback, next to the same log read from disk, in one run.
# Each load is bench_parse's (bench/bench_sources.c: the same driver with URI schemes).
# Prints MB/s (decompressed bytes / wall s), the ratio to the local load of the same codec,
# and peak anonymous RSS next to the local load's.
#
# usage: bench/bench_sources.sh BUILD_DIR
# env:   SIC_BENCH_MB      size of the generated log in MiB (default 1024, as bench/run.sh)
#        SIC_BENCH_REPEAT  loads per configuration, best wins (default 2)
#        SIC_SHARED_DATA   real logs to build the input from (default ../shared/data/real)
#        SIC_BENCH_SOURCES which remotes: "s3 hs" (default), "s3" or "hs"
# Target (issue 13): >= 0.8x local throughput, peak memory within a constant of the local load.
# The History Server's /logs answer is a zip without Content-Length or Range: `sic serve` writes
# it while sending it (deflate with data descriptors) and sources/ reads it as it arrives, on
# the decode-ahead thread. sic serve sends plain members at deflate level 0 (stored blocks) to
# a reader on its own machine, level 1 to others: "hs1" serves the plain log at level 1
# (SIC_LOGS_ZIP_LEVEL=1) to show what a remote reader's compression costs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_sources.sh BUILD_DIR}" && pwd)
size_mb=${SIC_BENCH_MB:-1024}
sources=${SIC_BENCH_SOURCES:-s3 hs}
want() { [[ " $sources " == *" $1 "* ]]; }
repeat=${SIC_BENCH_REPEAT:-2}
shared=${SIC_SHARED_DATA:-$root/../shared/data/real}
data=$root/bench/data
log=$data/biglog-${size_mb}m
s3rver=$build/npm/node_modules/.bin/s3rver
driver=$build/bench/bench_sources

[[ -x $driver ]] || { echo "bench_sources: $driver is missing (make bench builds it)" >&2; exit 1; }
[[ -x $s3rver ]] || { echo "bench_sources: s3rver is missing (make npm-deps installs it)" >&2; exit 1; }
if [[ ! -f $log || ! -f $log.zstd ]]; then
  [[ -d $shared/spark-events ]] || { echo "bench_sources: no real logs in $shared to build the input" >&2; exit 1; }
  mkdir -p "$data"
  echo "bench_sources: generating $log (${size_mb} MiB) and its zstd version, once ..." >&2
  "$root/tools/mkbiglog" --shared "$shared" --target-mb "$size_mb" --zstd "$log"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sic-bench-sources.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- S3: s3rver on a free port, both logs uploaded into bucket "bench" ---
mkdir -p "$work/s3"
NODE_OPTIONS=--openssl-legacy-provider "$s3rver" -d "$work/s3" -a 127.0.0.1 -p 0 --silent \
  --configure-bucket bench >"$work/s3.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -q 'listening on' "$work/s3.out" 2>/dev/null && break; sleep 0.1; done
s3port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/s3.out")
[[ -n $s3port ]] || { echo "bench_sources: s3rver did not start: $(cat "$work/s3.out")" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port
for f in "$log" "$log.zstd"; do
  curl -sS -f --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    -T "$f" "$AWS_ENDPOINT_URL/bench/$(basename "$f")"
done

# --- History Server: one `sic serve` per log (both hold the same application id) ---
# Sets $served to the server's base URL (not run in a subshell: its pid must reach cleanup).
start_serve() { # name file [deflate level of plain members]
  local name=$1 file=$2 level=${3:-}
  mkdir -p "$work/hs-$name"
  # a hard link (or a copy): sic serve does not follow a symlink that leaves its log directory
  ln "$file" "$work/hs-$name/$(basename "$file")" 2>/dev/null || cp "$file" "$work/hs-$name/"
  SIC_LOGS_ZIP_LEVEL=$level "$build/sic" serve --logs "$work/hs-$name" --listen 127.0.0.1:0 \
    >"$work/hs-$name.out" 2>"$work/hs-$name.err" &
  pids+=($!)
  for _ in $(seq 300); do grep -q 'listening on' "$work/hs-$name.out" 2>/dev/null && break; sleep 0.1; done
  served=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/hs-$name.out")
}
if want hs; then
  start_serve plain "$log"
  hs_plain=$served
  start_serve zstd "$log.zstd"
  hs_zstd=$served
  start_serve plain1 "$log" 1
  hs_plain1=$served
  [[ -n $hs_plain && -n $hs_zstd && -n $hs_plain1 ]] || { echo "bench_sources: sic serve did not start" >&2; exit 1; }
fi

result() { sed -n 's/^RESULT .*\<'"$2"'=\([^ ]*\).*/\1/p' <<<"$1"; }
declare -A out
run() { # name threads target
  local r
  r=$(TMPDIR=$work "$driver" --threads "$2" --repeat "$repeat" "$3") ||
    { echo "bench_sources: loading $3 failed" >&2; exit 1; }
  out[$1]=$r
  printf '  %-22s %s\n' "$1" "$(grep '^throughput' <<<"$r")"
}

echo "== sources: the bench log from s3rver and from sic serve (History Server) over loopback vs from disk"
echo "input: $log ($(stat -c %s "$log") bytes) and $log.zstd ($(stat -c %s "$log.zstd") bytes); best of $repeat"
want hs && app=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$(curl -s "$hs_plain/api/v1/applications")" | head -1)
run "local plain"  1 "$log"
want s3 && run "s3 plain"     2 "s3://bench/$(basename "$log")"
want hs && run "hs plain"     2 "$hs_plain/api/v1/applications/$app"
want hs && run "hs1 plain"    2 "$hs_plain1/api/v1/applications/$app"
run "local zstd"   2 "$log.zstd"
want s3 && run "s3 zstd"      2 "s3://bench/$(basename "$log").zstd"
want hs && run "hs zstd"      2 "$hs_zstd/api/v1/applications/$app"

echo "-- summary (MB/s = 10^6 decompressed bytes per wall second; RSS = peak anonymous, MB)"
printf '  %-14s %10s %10s %8s   %10s %10s %10s   %s\n' source MB/s local ratio "peak RSS" local "extra" target
for codec in plain zstd; do
  lw=$(result "${out[local $codec]}" mbps_wall); lr=$(result "${out[local $codec]}" peak_anon)
  for src in s3 hs hs1; do
    [[ -n ${out[$src $codec]:-} ]] || continue
    w=$(result "${out[$src $codec]}" mbps_wall); r=$(result "${out[$src $codec]}" peak_anon)
    awk -v n="$src $codec" -v w="$w" -v lw="$lw" -v r="$r" -v lr="$lr" 'BEGIN {
      ratio = lw > 0 ? w / lw : 0
      printf "  %-14s %10.0f %10.0f %7.2fx   %10.1f %10.1f %+10.1f   >= 0.8x (%s)\n",
             n, w, lw, ratio, r / 1e6, lr / 1e6, (r - lr) / 1e6, (ratio >= 0.8) ? "met" : "NOT met" }'
  done
done
echo "note: local plain is parsed zero-copy from its mmap on one thread; remote bytes are copied through"
echo "      the decode-ahead thread. hs includes sic serve writing the zip on the same machine (deflate"
echo "      level 0 to a loopback reader; hs1: level 1, what a remote reader gets for plain members)."
