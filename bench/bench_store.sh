#!/usr/bin/env bash
# History-store ingest throughput, for each backend (SQLite file,
# PostgreSQL server started here on a free loopback port and stopped on exit):
#   1. the whole real-log set ($SIC_SHARED_DATA/spark-events), `sic ingest` into an empty store;
#   2. a generated log with >= 1M task attempts (`sic example --tasks N --codec zstd`, cached under
#      bench/data/), without and with task rows (--store-tasks);
#   3. baseline in the same run: a plain bulk insert of the very task rows sic wrote, from a TSV
#      dump, into a table of the same shape and index (SQLite: one prepared INSERT per row in one
#      transaction, in C, bench/bench_store_baseline_sqlite.c; PostgreSQL: psql's COPY FROM the
#      file, bench/bench_store_baseline.py).
# "store" time is the transaction only (summaries + every row), "load" is parsing into the model.
# The analysis graph is off (--no-analyze): this measures the store, not the rules.
#
# usage: bench/bench_store.sh BUILD_DIR
# env:   SIC_BENCH_STORE_TASKS  planned tasks of the big log (default 1100000, which the generator
#                               turns into ~1.06M task attempts)
#        SIC_SHARED_DATA        real logs (default ../shared/data/real)
set -euo pipefail
export PGOPTIONS='-c client_min_messages=warning'

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_store.sh BUILD_DIR}" && pwd)
sic=$build/sic
tasks=${SIC_BENCH_STORE_TASKS:-1100000}
shared=${SIC_SHARED_DATA:-$root/../shared/data/real}
data=$root/bench/data
big=$data/store-${tasks}tasks.zstd
work=$(mktemp -d /tmp/sic-bench-store-XXXXXX)
trap '"$root/spec/support/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

[[ -x $sic ]] || { echo "bench_store: $sic is missing; build first" >&2; exit 1; }

mkdir -p "$data"
if [[ ! -f $big ]]; then
  echo "bench_store: generating $big ($tasks planned tasks), once ..." >&2
  "$sic" example "$big" --tasks "$tasks" --seed 1 --codec zstd >&2
fi

# Sum a field over the logs of a `sic ingest --format json` document.
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(l.get(sys.argv[2],0) or 0 for l in d["logs"]))' "$1" "$2"; }
check_failed() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(1 if d["failed"] else 0)' "$1" ||
  { echo "bench_store: an ingest failed, see $1" >&2; exit 1; }; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
row() { printf '  %-44s %10s %10s %10s %12s\n' "$@"; }

# ingest NAME URL ARGS... -> one table row; leaves the JSON in $work/last.json
ingest() {
  local name=$1 url=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$sic" ingest --no-analyze --store "$url" --format json "$@" >"$work/last.json"
  t1=$(date +%s.%N)
  check_failed "$work/last.json"
  local wall rows load store mb
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  rows=$(field "$work/last.json" rows)
  load=$(field "$work/last.json" loadSeconds)
  store=$(field "$work/last.json" storeSeconds)
  row "$name" "$wall" "$(printf %.2f "$load")" "$(printf %.2f "$store")" "$(rate "$rows" "$store")"
  echo "RESULT bench=store case=\"$name\" wall_s=$wall load_s=$load store_s=$store rows=$rows rows_per_s=$(rate "$rows" "$store")" >>"$work/results"
}

fresh_url() {
  local backend=$1 n=$2
  if [[ $backend == sqlite ]]; then
    echo "sqlite://$work/store-$n.db"
  else
    psql -q "$pg_url" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null
    echo "$pg_url"
  fi
}

# The SQLite baseline is C, like sic: compiled here so the bench needs no extra build target.
cc -O2 -o "$work/baseline_sqlite" "$root/bench/bench_store_baseline_sqlite.c" $(pkg-config --cflags --libs sqlite3)
pg_url=$("$root/spec/support/pg.sh" start "$work/pg" $$)
real_logs=$(find "$shared/spark-events" -type f | wc -l)
real_mb=$(du -sm "$shared/spark-events" | cut -f1)
echo "== history store ingest (sic ingest) vs a plain bulk insert of the same rows"
echo "inputs: real-log set $shared/spark-events ($real_logs files, ${real_mb} MiB stored);"
echo "        $big ($(du -m "$big" | cut -f1) MiB zstd, $tasks planned tasks)"
for backend in sqlite postgresql; do
  echo "-- $backend"
  row "case" "wall s" "load s" "store s" "rows/s store"
  url=$(fresh_url $backend 1)
  ingest "$backend: real-log set" "$url" "$shared/spark-events"
  url=$(fresh_url $backend 2)
  ingest "$backend: big log, no task rows" "$url" "$big"
  url=$(fresh_url $backend 3)
  ingest "$backend: big log, --store-tasks" "$url" --store-tasks "$big"
  task_rows=$(field "$work/last.json" rows)
  if [[ $backend == sqlite ]]; then
    "$work/baseline_sqlite" dump "$work/store-3.db" "$work/tasks.tsv"
    base=$("$work/baseline_sqlite" load "$work/tasks.tsv" "$work/baseline.db")
    rm -f "$work/tasks.tsv" "$work"/baseline.db*
  else
    base=$(python3 "$root/bench/bench_store_baseline.py" postgresql "$pg_url")
  fi
  brows=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$base")
  bsec=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$base")
  row "$backend: baseline bulk insert of the task rows" "-" "-" "$bsec" "$(rate "$brows" "$bsec")"
  echo "RESULT bench=store case=\"$backend: baseline\" store_s=$bsec rows=$brows rows_per_s=$(rate "$brows" "$bsec")" >>"$work/results"
  echo "  (sic wrote $task_rows rows with --store-tasks; the baseline inserted the $brows task rows alone)"
done
cat "$work/results"
