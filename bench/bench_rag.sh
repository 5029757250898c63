#!/bin/sh
# Retrieval benchmarks: ingest throughput of the Spark and Delta docs corpora,
# `sic ask` without an LLM end to end (process start to exit) on the ingested corpora, and
# FAISS approximate vs exact search (bench_rag_faiss).
# usage: bench/bench_rag.sh BUILD_DIR [N_VECTORS]   (SIC_SHARED_DATA defaults to ../shared/data/real;
#        SKIP_FAISS=1 skips the FAISS part, whose HNSW build takes minutes on a small machine)
set -eu
build=${1:-build}
n=${2:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
data=${SIC_SHARED_DATA:-$here/../shared/data/real}
sic=$build/sic
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
store=$tmp/kb.db

now_ms() { date +%s%3N; }

echo "== ingest (fresh store): $data/docs/spark + $data/docs/delta"
t0=$(now_ms)
"$sic" kb ingest "$data/docs/spark" "$data/docs/delta" --store "$store" --format json --no-dense >"$tmp/ingest.json"
t1=$(now_ms)
"$sic" kb reindex --store "$store" >/dev/null
t2=$(now_ms)
python3 - "$tmp/ingest.json" "$((t1 - t0))" "$((t2 - t1))" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); ms, idx = int(sys.argv[2]), int(sys.argv[3])
print(f"  {d['files']} files, {d['bytes']/1e6:.2f} MB, {d['chunks_added']} chunks: chunk+FTS5 {ms} ms "
      f"({d['bytes']/1e6/(ms/1e3):.1f} MB/s, {d['chunks_added']/(ms/1e3):.0f} chunks/s); LSA+FAISS index {idx} ms")
PY
t0=$(now_ms)
"$sic" kb ingest "$data/docs/spark" "$data/docs/delta" --store "$store" >/dev/null
t1=$(now_ms)
echo "  re-ingest, nothing changed: $((t1 - t0)) ms"

echo "== sic ask without LLM, end to end (20 runs, median; wall and CPU = user + sys of the process)"
for q in "how many shuffle partitions should I use for joins" "how do I vacuum old files in a delta table"; do
  : >"$tmp/times"
  for i in $(seq 20); do
    env -u SIC_LLM_URL /usr/bin/time -a -o "$tmp/times" -f "%e %U %S" "$sic" ask "$q" --store "$store" >/dev/null
  done
  wall=$(awk '{ printf "%.0f\n", $1 * 1000 }' "$tmp/times" | sort -n)
  cpu=$(awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$tmp/times" | sort -n)
  printf "  %s ms wall, %s ms CPU (median); %s ms wall max: " "$(echo "$wall" | sed -n 10p)" "$(echo "$cpu" | sed -n 10p)" \
    "$(echo "$wall" | tail -1)"
  echo "$q"
done

[ "${SKIP_FAISS:-0}" = 1 ] && exit 0
echo "== FAISS approximate vs exact"
cmake --build "$build" --target bench_rag_faiss >/dev/null
"$build/bench/bench_rag_faiss" "$n" 384 500 --cache "${FAISS_CACHE:-$tmp}"
