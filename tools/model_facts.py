#!/usr/bin/env python3
"""model_facts: accumulator facts of real event logs, computed independently of the engine.

spec/c/test_model.c checks the engine's accumulator table against figures computed here with
Python's json module over the raw files (decompressed with zstdcat / gzip / unzip; multi-part
logs read part by part in Spark's order):

  accums  accumulator ids with an integer update in a TaskEnd whose reason is "Success", or
          in DriverAccumUpdates, leaving out Spark's task-metric accumulators (Internal and
          named "internal.metrics.*": the model keeps those values per task)
  ck      sum(id * 31 + total) mod 2^61 over them

Usage: model_facts.py [--with-internal-metrics] SPARK_EVENTS_DIR REL...
Prints one line per log: REL accums ck
"""
import json
import os
import re
import subprocess
import sys

MASK = (1 << 61) - 1


def decode(path):
    if path.endswith(".zstd") or path.endswith(".zst"):
        return subprocess.run(["zstdcat", path], check=True, capture_output=True).stdout
    if path.endswith(".gz"):
        return subprocess.run(["gzip", "-dc", path], check=True, capture_output=True).stdout
    if path.endswith(".zip"):
        return subprocess.run(["unzip", "-p", path], check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read()


def parts(path):
    """The files of one logical log, in the order Spark wrote them."""
    if not os.path.isdir(path):
        return [path]
    names = sorted(n for n in os.listdir(path) if not n.startswith("."))
    ev2 = [n for n in names if n.startswith("events_")]
    if ev2:
        return [os.path.join(path, n) for n in sorted(ev2, key=lambda n: int(n.split("_")[1]))]
    legacy = [n for n in names if n.startswith("EVENT_LOG_")]
    if legacy:
        return [os.path.join(path, n) for n in legacy]
    rolled = [n for n in names if re.match(r"eventlog-\d{4}-", n)]
    current = [n for n in names if n == "eventlog"]
    return [os.path.join(path, n) for n in rolled + current]


def as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
        return int(v)
    return None


def facts(path, with_internal_metrics):
    totals = {}
    for part in parts(path):
        for line in decode(part).splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if not isinstance(ev, dict):
                continue
            kind = ev.get("Event")
            if kind == "SparkListenerTaskEnd":
                reason = (ev.get("Task End Reason") or {}).get("Reason")
                if reason != "Success":
                    continue
                for acc in (ev.get("Task Info") or {}).get("Accumulables") or []:
                    name = acc.get("Name") or ""
                    internal = acc.get("Internal", name.startswith("internal."))
                    if not with_internal_metrics and internal and name.startswith("internal.metrics."):
                        continue
                    u = as_int(acc.get("Update"))
                    if u is not None and isinstance(acc.get("ID"), int):
                        totals[acc["ID"]] = totals.get(acc["ID"], 0) + u
            elif kind and kind.endswith("SparkListenerDriverAccumUpdates"):
                for pair in ev.get("accumUpdates") or []:
                    if isinstance(pair, list) and len(pair) == 2 and as_int(pair[1]) is not None:
                        totals[pair[0]] = totals.get(pair[0], 0) + as_int(pair[1])
    ck = 0
    for k, v in totals.items():
        ck = (ck + k * 31 + v) % (1 << 64)
    return len(totals), ck & MASK


def main(argv):
    with_internal = "--with-internal-metrics" in argv
    args = [a for a in argv if a != "--with-internal-metrics"]
    root = args[0]
    for rel in args[1:]:
        n, ck = facts(os.path.join(root, rel), with_internal)
        print(rel, n, ck)


if __name__ == "__main__":
    main(sys.argv[1:])
