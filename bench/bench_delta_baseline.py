#!/usr/bin/env python3
"""Baseline for bench/bench_delta.sh: replay a JSON-only Delta log with Python's json module
(one json.loads per line, a dict keyed on (path, deletion-vector id), removes as tombstones),
best of REPEAT (wall and CPU). Prints files=... ms=... cpu_ms=... like bench_delta."""
import json
import os
import sys
import time

def replay(log):
    active, tomb = {}, {}
    names = sorted(n for n in os.listdir(log) if n.endswith(".json") and n[:20].isdigit())
    for name in names:
        with open(os.path.join(log, name), "rb") as f:
            for line in f:
                a = json.loads(line)
                if "add" in a:
                    add = a["add"]
                    dv = add.get("deletionVector")
                    key = (add["path"], dv and (dv.get("storageType", "") + dv.get("pathOrInlineDv", "")))
                    tomb.pop(key, None)
                    active[key] = add
                elif "remove" in a:
                    rm = a["remove"]
                    dv = rm.get("deletionVector")
                    key = (rm["path"], dv and (dv.get("storageType", "") + dv.get("pathOrInlineDv", "")))
                    active.pop(key, None)
                    tomb[key] = rm
    return active, tomb

def main():
    log = os.path.join(sys.argv[1], "_delta_log")
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = best_cpu = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        active, tomb = replay(log)
        t, c = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        best = t if best is None or t < best else best
        best_cpu = c if best_cpu is None or c < best_cpu else best_cpu
    print("files=%d tombstones=%d ms=%.1f cpu_ms=%.1f" % (len(active), len(tomb), best, best_cpu))

if __name__ == "__main__":
    main()
