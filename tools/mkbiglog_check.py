#!/usr/bin/env python3
"""Check that a log written by tools/mkbiglog is one consistent application.

Verifies what the renumbering promises (and what a loader relies on):
  * one LogStart first, one ApplicationStart, one EnvironmentUpdate, one ApplicationEnd last;
  * task ids, job ids, (stage id, attempt) pairs and SQL execution ids are never reused;
  * every task's executor was added before it started;
  * every timestamp lies between ApplicationStart and ApplicationEnd;
  * a SQL plan metric's accumulator id belongs to one SQL execution only;
  * the manifest's counts match the file.
Prints each problem as "file:line: what" and exits 1 when there is any. Stages submitted
without a JobStart naming them are counted, not failed: one source (tasks_executors_fail)
lacks 5 JobStart events, as real logs do when Spark's listener bus drops events.

usage: mkbiglog_check.py LOG   (LOG.manifest.json must exist next to it)
"""
import json
import sys

SQL = "org.apache.spark.sql.execution.ui."
TIME_KEYS = ("Timestamp", "Submission Time", "Completion Time", "time")


class Checker:
    def __init__(self, path):
        self.path = path
        self.problems = []
        self.lineno = 0
        self.counts = {}
        self.tasks = set()
        self.jobs = set()
        self.stage_attempts = set()
        self.known_stages = set()
        self.sqls = set()
        self.accum_owner = {}
        self.executors = set()
        self.times = []
        self.orphan_stages = set()  # stage ids submitted or run without a JobStart naming them

    def problem(self, msg):
        if len(self.problems) < 50:
            self.problems.append(f"{self.path}:{self.lineno}: {msg}")

    def unique(self, seen, key, what):
        if key in seen:
            self.problem(f"{what} {key} appears twice")
        seen.add(key)

    def event(self, ev):
        kind = ev.get("Event")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        for key in TIME_KEYS:
            if isinstance(ev.get(key), int) and ev[key] > 0:
                self.times.append((ev[key], self.lineno))
        handler = getattr(self, "on_" + kind.rsplit(".", 1)[-1], None)
        if handler:
            handler(ev)

    def on_SparkListenerJobStart(self, ev):
        self.unique(self.jobs, ev["Job ID"], "job id")
        for info in ev.get("Stage Infos", ()):
            self.known_stages.add(info["Stage ID"])

    def on_SparkListenerStageSubmitted(self, ev):
        info = ev["Stage Info"]
        self.unique(self.stage_attempts, (info["Stage ID"], info["Stage Attempt ID"]),
                    "stage attempt")
        if info["Stage ID"] not in self.known_stages:
            self.orphan_stages.add(info["Stage ID"])

    def on_SparkListenerTaskStart(self, ev):
        info = ev["Task Info"]
        self.unique(self.tasks, info["Task ID"], "task id")
        if ev["Stage ID"] not in self.known_stages and ev["Stage ID"] not in self.orphan_stages:
            self.problem(f"task {info['Task ID']} runs in stage {ev['Stage ID']}, never submitted")
        if info["Executor ID"] not in self.executors:
            self.problem(f"task {info['Task ID']} runs on executor {info['Executor ID']} "
                         "that was never added")
        self.times.append((info["Launch Time"], self.lineno))

    def on_SparkListenerTaskEnd(self, ev):
        info = ev["Task Info"]
        self.tasks.add(info["Task ID"])  # a TaskEnd may lack its TaskStart in the sources
        if info.get("Finish Time"):
            self.times.append((info["Finish Time"], self.lineno))

    def on_SparkListenerExecutorAdded(self, ev):
        self.unique(self.executors, ev["Executor ID"], "executor id")

    def on_SparkListenerSQLExecutionStart(self, ev):
        self.unique(self.sqls, ev["executionId"], "SQL execution id")
        stack = [ev["sparkPlanInfo"]]
        while stack:
            node = stack.pop()
            for m in node.get("metrics", ()):
                owner = self.accum_owner.setdefault(m["accumulatorId"], ev["executionId"])
                if owner != ev["executionId"]:
                    self.problem(f"accumulator {m['accumulatorId']} in SQL executions "
                                 f"{owner} and {ev['executionId']}")
            stack.extend(node.get("children", ()))

    def check_order(self, first, last):
        if first != "SparkListenerLogStart":
            self.problem(f"first event is {first}, not SparkListenerLogStart")
        if last != "SparkListenerApplicationEnd":
            self.problem(f"last event is {last}, not SparkListenerApplicationEnd")
        for kind in ("SparkListenerLogStart", "SparkListenerApplicationStart",
                     "SparkListenerEnvironmentUpdate", "SparkListenerApplicationEnd"):
            if self.counts.get(kind) != 1:
                self.problem(f"{kind} appears {self.counts.get(kind, 0)} times, not once")

    def check_manifest(self, manifest, nbytes, nevents):
        expect = {"bytes": nbytes, "events": nevents, "tasks": len(self.tasks),
                  "jobs": len(self.jobs), "stage_attempts": len(self.stage_attempts),
                  "executors": len(self.executors)}
        for key, value in expect.items():
            if manifest.get(key) != value:
                self.problem(f"manifest says {key}={manifest.get(key)}, the file has {value}")


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: mkbiglog_check.py LOG")
    path = sys.argv[1]
    with open(path + ".manifest.json") as f:
        manifest = json.load(f)
    c = Checker(path)
    first = last = None
    nbytes = 0
    start = end = None
    with open(path, "rb") as f:
        for line in f:
            c.lineno += 1
            nbytes += len(line)
            try:
                ev = json.loads(line)
                last = ev["Event"]
            except (ValueError, KeyError, TypeError) as e:
                c.problem(f"not an event ({e})")
                continue
            first = first or last
            if last == "SparkListenerApplicationStart":
                start = ev["Timestamp"]
            if last == "SparkListenerApplicationEnd":
                end = ev["Timestamp"]
            c.event(ev)
    c.check_order(first, last)
    if start is not None and end is not None:
        for t, lineno in c.times:
            if not start <= t <= end:
                c.lineno = lineno
                c.problem(f"timestamp {t} outside the application [{start}, {end}]")
                break
    c.check_manifest(manifest, nbytes, c.lineno)
    for p in c.problems:
        print(p, file=sys.stderr)
    print(f"mkbiglog_check: {path}: {c.lineno} events, {len(c.tasks)} tasks, "
          f"{len(c.jobs)} jobs, {len(c.stage_attempts)} stage attempts, "
          f"{len(c.executors)} executors, {len(c.orphan_stages)} stages without JobStart: "
          f"{'OK' if not c.problems else 'PROBLEMS'}")
    sys.exit(1 if c.problems else 0)


if __name__ == "__main__":
    main()
