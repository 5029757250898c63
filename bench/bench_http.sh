#!/usr/bin/env bash
# HTTP service load test: `sic serve` on loopback, wrk with 64 connections
# against (1) a static file served by the same server in the same run (the baseline: an
# embedded UI asset, no engine work), (2) a cached History Server stage list, (3) a cached task
# list page. Prints req/s, p99 latency, errors for each, then drives >= SIC_BENCH_HTTP_REQUESTS
# requests at the stage list and samples the server's RSS to show memory stays flat.
#
# usage: bench/bench_http.sh BUILD_DIR
# env:   SIC_BENCH_HTTP_SECONDS   seconds per wrk run (default 10)
#        SIC_BENCH_HTTP_REQUESTS  requests for the memory check (default 1000000; 0 = skip)
#        SIC_SHARED_DATA          real logs (default ../shared/data/real)
# Targets (issue 6): >= 20k req/s for cached JSON on 2 cores, p99 <= 10 ms, zero errors,
# memory stable over 1M requests. wrk and the server share the machine's cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_http.sh BUILD_DIR}" && pwd)
seconds=${SIC_BENCH_HTTP_SECONDS:-10}
total_requests=${SIC_BENCH_HTTP_REQUESTS:-1000000}
shared=${SIC_SHARED_DATA:-$root/../shared/data/real}
logs=$shared/spark-events/spark
app=local-1642039451826   # the largest log of the set: 40 KB stage list
command -v wrk >/dev/null || { echo "bench_http: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$build/sic" serve --logs "$logs" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 200); do grep -q 'listening on' "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/out")
[ -n "$port" ] || { echo "bench_http: server did not start: $(cat "$work/err")" >&2; exit 1; }
base=http://127.0.0.1:$port

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# One wrk run: prints "name req/s p99 errors"; returns the requests done in $last_requests.
run() {
  local name=$1 path=$2 out
  curl -sf -o /dev/null "$base$path" || { echo "bench_http: $path does not answer 200" >&2; exit 1; }
  out=$(wrk -t2 -c64 -d"${seconds}s" --latency "$base$path")
  local rps p99 non2xx sock
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
  sock=$(sed -n 's/.*Socket errors: *\(.*\)/\1/p' <<<"$out")
  last_requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  printf '%-34s %10s req/s  p99 %-8s  non-2xx %s  socket errors: %s\n' "$name" "$rps" "$p99" "${non2xx:-0}" "${sock:-none}"
}

echo "sic serve on $base, logs $logs; wrk -t2 -c64 -d${seconds}s on $(nproc) cores (shared with wrk)"
echo "machine load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
run "static baseline (/ui/style.css)" /ui/style.css
run "stage list (cached JSON, 40 KB)" "/api/v1/applications/$app/stages"
run "task list (cached JSON, 100 tasks)" "/api/v1/applications/$app/stages/0/0/taskList?length=100"
echo "targets: cached JSON >= 20000 req/s, p99 <= 10 ms, zero errors"

if [ "$total_requests" -gt 0 ]; then
  done_requests=0
  start_rss=$(rss_kb)
  samples="$start_rss"
  while [ "$done_requests" -lt "$total_requests" ]; do
    wrk -t2 -c64 -d10s "$base/api/v1/applications/$app/stages" >"$work/wrk" 2>&1
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk")
    done_requests=$((done_requests + n))
    samples="$samples $(rss_kb)"
  done
  echo "memory over $done_requests requests: RSS KiB samples (start ... end): $samples"
  echo "RESULT rss_start_kb=$start_rss rss_end_kb=$(rss_kb) requests=$done_requests"
fi
