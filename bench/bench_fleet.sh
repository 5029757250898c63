#!/usr/bin/env bash
# The fleet (owner: fleet): `sic worker`s on librdkafka's mock cluster (bench/bench_fleet_kafka)
# and a throw-away PostgreSQL (spec/support/pg.sh), all on this machine over loopback.
#   - apps/s with 1, 2 and 3 workers on the same corpus (each worker: fetch, load, analyse,
#     store, commit), next to one `sic ingest` of the same corpus into the same kind of store;
#   - p50/p95 from notification (message timestamp) to stored, per configuration;
#   - rebalance time after `kill -9` of one of 3 workers: from the kill until another worker
#     handles a message of a partition the killed one held (static membership: the group
#     waits for the session timeout, set to SESSION_MS here; production default 45 s);
#   - time for 3 workers to drain a lag of DRAIN notifications (small logs).
# Workers are separate processes sharing 2 cores with the broker, PostgreSQL and the bench:
# on a bigger machine the per-worker figure is what scales.
#
# usage: bench/bench_fleet.sh BUILD_DIR
# env:   SIC_BENCH_FLEET_APPS   corpus size (default 24 logs of 1500 tasks)
#        SIC_BENCH_FLEET_DRAIN  lag to drain (default 1000 logs of 100 tasks)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_fleet.sh BUILD_DIR}" && pwd)
sic=$build/sic
kafka=$build/bench/bench_fleet_kafka
apps=${SIC_BENCH_FLEET_APPS:-24}
drain=${SIC_BENCH_FLEET_DRAIN:-1000}
session_ms=6000
parts=6
[[ -x $kafka ]] || { echo "bench_fleet: $kafka is missing (make bench builds it)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sic-bench-fleet.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$root/spec/support/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }

echo "bench_fleet: generating the corpus ($apps logs of 1500 tasks, $drain logs of 100 tasks) ..." >&2
mkdir -p "$work/corpus" "$work/drain"
for i in $(seq 1 "$apps"); do "$sic" example "$work/corpus/log-$i.json" --seed "$i" --tasks 1500 >/dev/null 2>&1; done
for i in $(seq 1 "$drain"); do "$sic" example "$work/drain/log-$i.json" --seed "$((10000 + i))" --tasks 100 >/dev/null 2>&1; done
ls "$work"/corpus/*.json >"$work/corpus.txt"
ls "$work"/drain/*.json >"$work/drain.txt"
corpus_mb=$(du -sm "$work/corpus" | cut -f1)

pg=$("$root/spec/support/pg.sh" start "$work/pg" $$)
db() { psql "$pg" -Atqc "CREATE DATABASE $1" >/dev/null; echo "${pg%/*}/$1"; }

"$kafka" cluster t1:$parts t2:$parts t3:$parts tkill:$parts tdrain:$parts >"$work/kafka.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/kafka.out ]] && break; sleep 0.1; done
boot=$(head -n1 "$work/kafka.out")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_workers N TOPIC STORE TAG: N workers in the background; their pids in wpids, ports in wports
start_workers() {
  wpids=(); wports=()
  for i in $(seq 1 "$1"); do
    local port; port=$(free_port)
    SIC_GROUP_INSTANCE_ID="$4-$i" "$sic" worker \
      "kafka://$boot/$2?group=g-$4&rdkafka.session.timeout.ms=$session_ms&rdkafka.heartbeat.interval.ms=500" \
      --store="$3" --listen="127.0.0.1:$port" >"$work/$4-$i.out" 2>"$work/$4-$i.err" &
    wpids+=($!); pids+=($!); wports+=("$port")
  done
}
stop_workers() { for p in "${wpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${wpids[@]}"; do wait "$p" 2>/dev/null || true; done; }

# wait_assigned: the workers' /metrics add up to every partition assigned
wait_assigned() {
  for _ in $(seq 600); do
    local n=0
    for port in "${wports[@]}"; do
      local a; a=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | sed -n 's/^sic_worker_assigned_partitions //p' || true)
      n=$((n + ${a:-0}))
    done
    [[ $n -ge $parts ]] && return 0
    sleep 0.2
  done
  echo "bench_fleet: the group did not assign every partition" >&2; return 1
}

# percentile P FILE: of the numbers in FILE
percentile() { sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit } i = int((NR - 1) * p / 100) + 1; print v[i] }'; }

echo "== fleet: sic worker on Kafka consumer groups (mock cluster) + PostgreSQL (bench/bench_fleet.sh)"
echo "input: $apps generated logs of 1500 tasks (${corpus_mb} MB), $parts partitions, analysis on (as sic ingest)"
declare -A rate
for k in 1 2 3; do
  store=$(db "fleet$k")
  start_workers "$k" "t$k" "$store" "w$k"
  wait_assigned
  t0=$(now_ms)
  "$kafka" produce "$boot" "t$k" "$work/corpus.txt" >/dev/null
  "$kafka" wait "$boot" "t$k" "g-w$k" 600 >/dev/null
  t1=$(now_ms)
  stop_workers
  cat "$work"/w$k-*.out | sed -n 's/^stored .* e2e_ms=\([0-9]*\).*/\1/p' >"$work/e2e-$k.txt"
  stored=$(wc -l <"$work/e2e-$k.txt")
  rate[$k]=$(awk -v n="$apps" -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", n / (ms / 1000) }')
  printf '  %d worker(s): %s apps/s (%d stored in %.1f s); notification -> stored p50 %s ms, p95 %s ms\n' \
    "$k" "${rate[$k]}" "$stored" "$(awk -v ms=$((t1 - t0)) 'BEGIN { print ms / 1000 }')" \
    "$(percentile 50 "$work/e2e-$k.txt")" "$(percentile 95 "$work/e2e-$k.txt")"
done
store=$(db fleetingest)
t0=$(now_ms)
"$sic" ingest "$work/corpus" --store "$store" >/dev/null 2>&1
t1=$(now_ms)
base=$(awk -v n="$apps" -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", n / (ms / 1000) }')
echo "  baseline: one sic ingest of the same corpus: $base apps/s"
for k in 1 2 3; do
  echo "  ratio $k worker(s) / sic ingest: $(awk -v a="${rate[$k]}" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
done

# --- rebalance after kill -9 ---
store=$(db fleetkill)
start_workers 3 tkill "$store" wk
wait_assigned
"$kafka" produce "$boot" tkill "$work/corpus.txt" >/dev/null
for _ in $(seq 600); do [[ $(cat "$work"/wk-1.out | grep -c '^stored' || true) -ge 1 ]] && break; sleep 0.1; done
victim_parts=$(sed -n 's/^[a-z]* tkill\/\([0-9]*\)@.*/\1/p' "$work/wk-1.out" | sort -u)
kill -9 "${wpids[0]}"; tkill=$(now_ms); wait "${wpids[0]}" 2>/dev/null || true
"$kafka" wait "$boot" tkill g-wk 600 >/dev/null
first=""
for p in $victim_parts; do
  t=$(cat "$work/wk-2.out" "$work/wk-3.out" | sed -n "s/^[a-z]* tkill\/$p@.* at=\([0-9]*\).*/\1/p" | sort -n |
      awk -v k="$tkill" '$1 > k { print; exit }')
  [[ -n $t ]] && { [[ -z $first || $t -lt $first ]] && first=$t; }
done
wpids=("${wpids[@]:1}"); stop_workers
if [[ -n $first ]]; then
  echo "  rebalance after kill -9 of 1 of 3 workers: $(awk -v ms=$((first - tkill)) 'BEGIN { printf "%.1f", ms / 1000 }') s" \
       "until its partitions moved on (session.timeout.ms=$session_ms: static membership waits for it)"
else
  echo "  rebalance after kill -9: n/a (the killed worker's partitions had nothing left)"
fi

# --- drain a lag ---
store=$(db fleetdrain)
"$kafka" produce "$boot" tdrain "$work/drain.txt" >/dev/null
t0=$(now_ms)
start_workers 3 tdrain "$store" wd
"$kafka" wait "$boot" tdrain g-wd 1800 >/dev/null
t1=$(now_ms)
stop_workers
echo "  drain a lag of $drain notifications (100-task logs) with 3 workers: $(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s" \
     "($(awk -v n="$drain" -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ms / 1000) }') apps/s, group join included)"
echo "RESULT fleet apps_s_1=${rate[1]} apps_s_2=${rate[2]} apps_s_3=${rate[3]} ingest_apps_s=$base"
