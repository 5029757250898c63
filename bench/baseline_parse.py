#!/usr/bin/env python3
"""Baseline for the parse benchmark: Python's json module building a columnar model.

Reads an uncompressed event log line by line with json.loads and keeps the same facts the
sic model keeps for the events that dominate a log: per task the ids, times, executor, host,
status, locality, flags and the 34 task metrics (in array('q') columns, strings interned);
per stage, job, SQL execution (with plan nodes and their metric accumulator ids), executor
and the environment. It is a fair, straightforward implementation, not a strawman: the json
module's scanner is written in C.

Prints human-readable figures and a "RESULT key=value ..." line for bench/run.sh.
usage: baseline_parse.py LOG
"""
import json
import resource
import sys
import time
from array import array

SQL = "org.apache.spark.sql.execution.ui."

# (section in "Task Metrics" or None for top level, field) in sic_task_metric order.
TASK_METRICS = [
    (None, "Executor Deserialize Time"), (None, "Executor Deserialize CPU Time"),
    (None, "Executor Run Time"), (None, "Executor CPU Time"), (None, "Result Size"),
    (None, "JVM GC Time"), (None, "Result Serialization Time"), (None, "Memory Bytes Spilled"),
    (None, "Disk Bytes Spilled"), (None, "Peak Execution Memory"),
    ("Input Metrics", "Bytes Read"), ("Input Metrics", "Records Read"),
    ("Output Metrics", "Bytes Written"), ("Output Metrics", "Records Written"),
    ("Shuffle Read Metrics", "Remote Blocks Fetched"),
    ("Shuffle Read Metrics", "Local Blocks Fetched"), ("Shuffle Read Metrics", "Fetch Wait Time"),
    ("Shuffle Read Metrics", "Remote Bytes Read"),
    ("Shuffle Read Metrics", "Remote Bytes Read To Disk"),
    ("Shuffle Read Metrics", "Local Bytes Read"), ("Shuffle Read Metrics", "Total Records Read"),
    ("Shuffle Read Metrics", "Remote Requests Duration"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Corrupt Merged Block Chunks"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Fetch Fallback Count"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Remote Blocks Fetched"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Local Blocks Fetched"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Remote Chunks Fetched"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Local Chunks Fetched"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Remote Bytes Read"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Local Bytes Read"),
    ("Shuffle Read Metrics", "Push Based Shuffle", "Merged Remote Requests Duration"),
    ("Shuffle Write Metrics", "Shuffle Bytes Written"),
    ("Shuffle Write Metrics", "Shuffle Write Time"),
    ("Shuffle Write Metrics", "Shuffle Records Written"),
]
STATUS = {"Success": 1, "TaskKilled": 3}
LOCALITY = {"PROCESS_LOCAL": 0, "NODE_LOCAL": 1, "NO_PREF": 2, "RACK_LOCAL": 3, "ANY": 4}


class Model:
    """Columnar tables, filled the way a straightforward Python tool would."""

    def __init__(self):
        self.strings = {}
        self.task_row = {}                       # task id -> row
        self.cols = {name: array("q") for name in (
            "task_id", "stage", "attempt_id", "index", "attempt", "partition", "launch",
            "finish", "getting_result", "executor", "host", "status", "locality", "flags",
            "reason")}
        self.metrics = [array("q") for _ in TASK_METRICS]
        self.stages = {}
        self.jobs = {}
        self.sqls = {}
        self.executors = {}
        self.env = {}
        self.app = {}
        self.events = 0
        self.malformed = 0

    def intern(self, s):
        if s is None:
            return -1
        sid = self.strings.get(s)
        if sid is None:
            sid = self.strings[s] = len(self.strings)
        return sid

    def task_info(self, ev):
        info = ev["Task Info"]
        row = self.task_row.get(info["Task ID"])
        if row is None:
            row = self.task_row[info["Task ID"]] = len(self.cols["task_id"])
            c = self.cols
            c["task_id"].append(info["Task ID"])
            c["stage"].append(ev.get("Stage ID", -1))
            c["attempt_id"].append(ev.get("Stage Attempt ID", 0))
            c["index"].append(info.get("Index", 0))
            c["attempt"].append(info.get("Attempt", 0))
            c["partition"].append(info.get("Partition ID", -1))
            c["launch"].append(info.get("Launch Time", 0))
            for name in ("finish", "getting_result", "status", "flags", "reason"):
                c[name].append(0)
            c["executor"].append(self.intern(info.get("Executor ID")))
            c["host"].append(self.intern(info.get("Host")))
            c["locality"].append(LOCALITY.get(info.get("Locality"), 4))
            for m in self.metrics:
                m.append(0)
        return row, info

    def task_end(self, ev):
        row, info = self.task_info(ev)
        c = self.cols
        c["finish"][row] = info.get("Finish Time", 0)
        c["getting_result"][row] = info.get("Getting Result Time", 0)
        reason = ev.get("Task End Reason", {}).get("Reason")
        c["reason"][row] = self.intern(reason)
        c["status"][row] = STATUS.get(reason, 2)
        c["flags"][row] = (1 if info.get("Speculative") else 0) | \
            (4 if ev.get("Task Type") == "ResultTask" else 0)
        tm = ev.get("Task Metrics")
        if tm:
            c["flags"][row] |= 2
            for i, path in enumerate(TASK_METRICS):
                node = tm
                for key in path[1:] if path[0] is None else path:
                    node = node.get(key) if isinstance(node, dict) else None
                if isinstance(node, int):
                    self.metrics[i][row] = node
        for acc in info.get("Accumulables", ()):
            self.intern(acc.get("Name"))

    def stage(self, ev):
        info = ev["Stage Info"]
        key = (info["Stage ID"], info.get("Stage Attempt ID", 0))
        self.stages[key] = (self.intern(info.get("Stage Name")), info.get("Number of Tasks"),
                            info.get("Submission Time", -1), info.get("Completion Time", -1),
                            tuple(info.get("Parent IDs", ())), len(info.get("RDD Info", ())),
                            [(a["ID"], self.intern(a.get("Name"))) for a in
                             info.get("Accumulables", ())])

    def sql_start(self, ev):
        nodes = []
        stack = [ev.get("sparkPlanInfo", {})]
        while stack:
            node = stack.pop()
            nodes.append((self.intern(node.get("nodeName")),
                          [(m["accumulatorId"], self.intern(m.get("name")))
                           for m in node.get("metrics", ())]))
            stack.extend(node.get("children", ()))
        self.sqls[ev["executionId"]] = [self.intern(ev.get("description")), ev.get("time"),
                                        -1, nodes]

    def add(self, line):
        try:
            ev = json.loads(line)
            kind = ev["Event"]
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return
        self.events += 1
        if kind == "SparkListenerTaskEnd":
            self.task_end(ev)
        elif kind == "SparkListenerTaskStart":
            self.task_info(ev)
        elif kind in ("SparkListenerStageSubmitted", "SparkListenerStageCompleted"):
            self.stage(ev)
        elif kind == "SparkListenerJobStart":
            self.jobs[ev["Job ID"]] = [ev.get("Submission Time"), tuple(ev.get("Stage IDs", ())),
                                       -1]
        elif kind == "SparkListenerJobEnd":
            self.jobs.setdefault(ev["Job ID"], [None, (), -1])[2] = ev.get("Completion Time")
        elif kind == SQL + "SparkListenerSQLExecutionStart":
            self.sql_start(ev)
        elif kind == SQL + "SparkListenerSQLExecutionEnd":
            self.sqls.setdefault(ev["executionId"], [-1, None, -1, []])[2] = ev.get("time")
        elif kind in ("SparkListenerExecutorAdded", "SparkListenerExecutorRemoved"):
            self.executors.setdefault(ev["Executor ID"], []).append(ev.get("Timestamp"))
        elif kind == "SparkListenerEnvironmentUpdate":
            for section, props in ev.items():
                if isinstance(props, dict):
                    self.env[section] = [(self.intern(k), self.intern(str(v)))
                                         for k, v in props.items()]
        elif kind in ("SparkListenerApplicationStart", "SparkListenerApplicationEnd"):
            self.app.update(ev)


def rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: baseline_parse.py LOG")
    path = sys.argv[1]
    base = rss_kb("VmRSS") * 1024
    model = Model()
    nbytes = 0
    w0, c0 = time.perf_counter(), time.process_time()
    with open(path, "rb", buffering=1 << 20) as f:
        for line in f:
            nbytes += len(line)
            if line.strip():
                model.add(line)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tasks = len(model.cols["task_id"])
    mb = nbytes / 1e6
    print(f"input        {path} ({mb:.1f} MB, {model.events} events, {tasks} tasks)")
    print(f"load         python3 json: {wall:.3f} s wall, {cpu:.3f} s cpu")
    print(f"throughput   {mb / wall:.1f} MB/s wall, {mb / cpu:.1f} MB/s per core")
    print(f"memory       peak RSS {peak / 1e6:.1f} MB (baseline {base / 1e6:.1f} MB), "
          f"{(peak - base) / max(tasks, 1):.0f} bytes/task")
    print(f"RESULT bytes={nbytes} tasks={tasks} events={model.events} wall_s={wall:.6f} "
          f"cpu_s={cpu:.6f} mbps_wall={mb / wall:.1f} mbps_core={mb / cpu:.1f} "
          f"peak_rss={peak} base_rss={base} bytes_per_task={(peak - base) / max(tasks, 1):.1f}")


if __name__ == "__main__":
    main()
