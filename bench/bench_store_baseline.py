#!/usr/bin/env python3
"""Baseline for bench/bench_store.sh: a plain bulk insert of the very
rows sic wrote, into a table of the same shape, in one transaction - what a hand-written loader
with no parsing, no model and no aggregates would cost.

  bench_store_baseline.py postgresql URL           COPY the tasks rows out to a file, then time a
                                                   plain COPY ... FROM of that file (via psql)
  bench_store_baseline.py sqlite STORE.db          (Python executemany; the bench uses the C
                                                   baseline bench_store_baseline_sqlite.c instead)

Prints: RESULT rows=N seconds=S rows_per_s=R
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time


def sqlite_baseline(path):
    src = sqlite3.connect(path)
    cols = [r[1] for r in src.execute("PRAGMA table_info(tasks)")]
    rows = src.execute("SELECT * FROM tasks").fetchall()
    src.close()
    fd, target = tempfile.mkstemp(suffix=".db")
    os.close(fd)
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA synchronous=NORMAL")
        dst.execute("CREATE TABLE tasks_baseline (%s)" % ", ".join(cols))
        dst.execute("CREATE INDEX tasks_baseline_attempt ON tasks_baseline(attempt_key)")
        insert = "INSERT INTO tasks_baseline VALUES (%s)" % ", ".join("?" * len(cols))
        start = time.perf_counter()
        dst.execute("BEGIN")
        dst.executemany(insert, rows)
        dst.execute("COMMIT")
        seconds = time.perf_counter() - start
        dst.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(target + suffix):
                os.remove(target + suffix)
    return len(rows), seconds


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)


def pg_baseline(url):
    fd, dump = tempfile.mkstemp(suffix=".tsv")
    os.close(fd)
    try:
        psql(url, "\\copy (SELECT * FROM tasks) TO '%s'" % dump)
        psql(url, "DROP TABLE IF EXISTS tasks_baseline; "
                  "CREATE TABLE tasks_baseline (LIKE tasks INCLUDING DEFAULTS); "
                  "CREATE INDEX tasks_baseline_attempt ON tasks_baseline(attempt_key)")
        with open(dump) as f:
            rows = sum(1 for _ in f)
        start = time.perf_counter()
        psql(url, "\\copy tasks_baseline FROM '%s'" % dump)  # one COPY = one transaction
        seconds = time.perf_counter() - start
        psql(url, "DROP TABLE tasks_baseline")
    finally:
        os.remove(dump)
    return rows, seconds


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("sqlite", "postgresql"):
        sys.exit(__doc__)
    backend, where = sys.argv[1], sys.argv[2]
    rows, seconds = sqlite_baseline(where) if backend == "sqlite" else pg_baseline(where)
    print("RESULT rows=%d seconds=%.3f rows_per_s=%.0f" % (rows, seconds, rows / seconds if seconds else 0))


if __name__ == "__main__":
    main()
