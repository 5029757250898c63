#!/usr/bin/env bash
# Task rows by month on PostgreSQL (engine/store/partition.c, docs/store.md): what dropping a
# month costs with `sic store retention` (DETACH + DROP of its partition) next to a DELETE of the
# same rows (the baseline an unpartitioned table would need, measured in the same run and rolled
# back), and how long migrating a schema-2 store of the same rows in place takes, next to the
# ingest that wrote them. In `make bench` (bench/run.sh, after store); alone:
#
#   bench/bench_partitions.sh BUILD_DIR        (SIC_BENCH_PART_TASKS: tasks per log, default 40000)
#
# Input: four generated logs (`sic example --codec zstd`), two started in 2025-11 and two in
# 2025-12, ingested with --store-tasks into a throw-away PostgreSQL (spec/support/pg.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_partitions.sh BUILD_DIR}" && pwd)
tasks=${SIC_BENCH_PART_TASKS:-40000}
sic=$build/sic
work=$(mktemp -d /tmp/sic-bench-partitions-XXXXXX)
cleanup() { "$root/spec/support/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url=$("$root/spec/support/pg.sh" start "$work/pg" $$)
now_ms() { date +%s%3N; }
psql_q() { psql -Atq "$url" -c "$1"; }

logs=()
for day in 2025-11-03 2025-12-03; do
  for seed in 1 2; do
    log=$work/$day-$seed.zstd
    "$sic" example "$log" --tasks "$tasks" --seed "$seed$((${#logs[@]} + 1))" --start "$day" --codec zstd 2>/dev/null
    logs+=("$log")
  done
done

t0=$(now_ms)
"$sic" ingest --no-analyze --store-tasks --store "$url" "${logs[@]}" >/dev/null 2>&1
ingest_ms=$(( $(now_ms) - t0 ))
rows=$(psql_q "SELECT count(*) FROM tasks")
nov=$(psql_q "SELECT count(*) FROM tasks_202511")
echo "input: ${#logs[@]} logs of $tasks planned tasks, $rows task rows ($nov in 2025-11); ingest ${ingest_ms} ms"

# Schema 2 again (the v2 tasks table, as the spec builds it), then the in-place migration.
cols=$(psql_q "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns
               WHERE table_name = 'tasks' AND column_name <> 'start_month'")
psql_q "BEGIN; CREATE TABLE tasks_plain AS SELECT $cols FROM tasks; DROP TABLE tasks;
        ALTER TABLE tasks_plain RENAME TO tasks; ALTER TABLE tasks ALTER COLUMN attempt_key SET NOT NULL;
        CREATE INDEX tasks_attempt ON tasks(attempt_key);
        UPDATE sic_meta SET value = '2' WHERE name = 'schema_version'; COMMIT"
t0=$(now_ms)
"$sic" store retention --older-than 1971-01 --dry-run --store "$url" >/dev/null
migrate_ms=$(( $(now_ms) - t0 ))
[ "$(psql_q "SELECT count(*) FROM tasks_202511")" = "$nov" ] || { echo "migration lost rows" >&2; exit 1; }

# Dropping 2025-11: a DELETE of its rows (rolled back: the baseline) vs retention's DETACH + DROP.
t0=$(now_ms)
psql_q "BEGIN; DELETE FROM tasks WHERE start_month = 202511; ROLLBACK" >/dev/null
delete_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms)
"$sic" store retention --older-than 2025-12 --store "$url" >"$work/retention.out"
drop_ms=$(( $(now_ms) - t0 ))
grep -q "dropped 2025-11: partition tasks_202511, $nov task rows" "$work/retention.out" ||
  { cat "$work/retention.out" >&2; exit 1; }

echo "migrate schema 2 -> 3 in place: ${migrate_ms} ms for $rows task rows (ingest of the same rows: ${ingest_ms} ms," \
     "ratio $(awk -v a="$migrate_ms" -v b="$ingest_ms" 'BEGIN { printf "%.2f", a / b }'))"
echo "drop one month ($nov rows): sic store retention ${drop_ms} ms (whole command)," \
     "DELETE of the same rows ${delete_ms} ms (psql, rolled back): $(awk -v a="$delete_ms" -v b="$drop_ms" 'BEGIN { printf "%.1fx", a / b }') faster"
echo "RESULT rows=$rows month_rows=$nov ingest_ms=$ingest_ms migrate_ms=$migrate_ms drop_ms=$drop_ms delete_ms=$delete_ms"
