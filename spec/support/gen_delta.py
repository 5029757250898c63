#!/usr/bin/env python3
"""Small Delta tables for the specs, written as Spark/Delta lays them out (docs: the Delta
PROTOCOL.md), so a clone without ../shared tests engine/delta on every log shape it reads:
JSON commits with adds, removes, commitInfo, txn, cdc and domainMetadata actions; classic,
multi-part and V2 (JSON or Parquet top level, sidecars, classic-named manifest) Parquet
checkpoints; deletion vectors; `.crc` files; `_last_checkpoint`; log compaction files; and
logs damaged on purpose (a version gap, a zero-byte `_last_checkpoint`, an unknown reader
feature). No data files are written: a snapshot never reads them.

The expected snapshot of every table comes from this generator's own bookkeeping (it applies
the actions it writes with the protocol's reconciliation rules, independently of sic), so
specs compare sic against it and can fail.

usage: gen_delta.py OUT_DIR [KIND ...]        (every kind when none is named; --list lists them)
Writes OUT_DIR/KIND/_delta_log/..., OUT_DIR/expect.json ({kind: facts}) and OUT_DIR/expect.tsv
(kind TAB fact TAB value, one scalar fact a line, for the C tests)."""
import json
import os
import sys
import zlib

sys.dont_write_bytecode = True  # tests leave nothing in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parquet_writer import write_parquet  # noqa: E402

T0 = 1713110303902  # ms: the first commit's time; commit v is one hour later per version
HOUR = 3600000


# ---- the checkpoint schema (the protocol's, as Spark writes it) ----
S, L, I, B = "string", "long", "int", "bool"
DV = ("deletionVector", "struct", [("storageType", S, None), ("pathOrInlineDv", S, None), ("offset", I, None),
                                   ("sizeInBytes", I, None), ("cardinality", L, None)])


def stats_parsed_node(columns):
    leaf = [(c, "date" if t == "date" else L if t in ("long", "integer") else S, None) for c, t in columns]
    return ("stats_parsed", "struct", [("numRecords", L, None), ("minValues", "struct", leaf), ("maxValues", "struct", leaf),
                                       ("nullCount", "struct", [(c, L, None) for c, _ in columns])])


def add_node(stats_parsed_columns=None):
    kids = [("path", S, None), ("partitionValues", "map", None), ("size", L, None), ("modificationTime", L, None),
            ("dataChange", B, None), ("tags", "map", None), DV]
    if stats_parsed_columns is None:
        kids.append(("stats", S, None))
    else:
        kids.append(stats_parsed_node(stats_parsed_columns))
    return ("add", "struct", kids)


REMOVE = ("remove", "struct", [("path", S, None), ("deletionTimestamp", L, None), ("dataChange", B, None),
                               ("extendedFileMetadata", B, None), ("partitionValues", "map", None), ("size", L, None), DV])
TXN = ("txn", "struct", [("appId", S, None), ("version", L, None), ("lastUpdated", L, None)])
METADATA = ("metaData", "struct", [("id", S, None), ("name", S, None), ("description", S, None),
                                   ("format", "struct", [("provider", S, None), ("options", "map", None)]),
                                   ("schemaString", S, None), ("partitionColumns", "list", None),
                                   ("configuration", "map", None), ("createdTime", L, None)])
PROTOCOL = ("protocol", "struct", [("minReaderVersion", I, None), ("minWriterVersion", I, None),
                                   ("readerFeatures", "list", None), ("writerFeatures", "list", None)])
DOMAIN = ("domainMetadata", "struct", [("domain", S, None), ("configuration", S, None), ("removed", B, None)])
CP_METADATA = ("checkpointMetadata", "struct", [("version", L, None), ("tags", "map", None)])
SIDECAR = ("sidecar", "struct", [("path", S, None), ("sizeInBytes", L, None), ("modificationTime", L, None),
                                 ("tags", "map", None)])


# ---- a table: actions applied with the protocol's reconciliation, then written ----
def count(rows, action):
    return sum(1 for r in rows if r.get(action) is not None)


def dv_key(dv):
    if not dv:
        return None
    return dv["storageType"] + dv["pathOrInlineDv"] + ("@%d" % dv["offset"] if dv.get("offset") is not None else "")


class Table:
    def __init__(self, root, columns, partition_columns=(), protocol=None, configuration=None, name=None):
        self.root, self.log = root, os.path.join(root, "_delta_log")
        os.makedirs(self.log, exist_ok=True)
        self.columns = columns  # [(name, spark type)]
        self.partition_columns = list(partition_columns)
        self.protocol = protocol or {"minReaderVersion": 1, "minWriterVersion": 2}
        self.metadata = {"id": "00000000-0000-4000-8000-%012d" % (zlib.crc32(os.path.basename(root).encode()) % 10 ** 12), "name": name,
                         "format": {"provider": "parquet", "options": {}},
                         "schemaString": json.dumps({"type": "struct", "fields": [
                             {"name": c, "type": t, "nullable": True, "metadata": {}} for c, t in columns]}, separators=(",", ":")),
                         "partitionColumns": self.partition_columns, "configuration": configuration or {}, "createdTime": T0}
        if name is None:
            del self.metadata["name"]
        self.active, self.tombs, self.txns, self.domains = {}, {}, {}, {}
        self.version, self.commits = -1, {}  # version -> action list as written
        self.history = {}  # version -> facts after it
        self.seq = 0
        self.cp_files = []  # (name relative to _delta_log, rows, adds, removes, first add) of written Parquet checkpoints

    # -- actions --
    def new_add(self, partition=None, records=1, stats_values=None, dv=None, size=None):
        self.seq += 1
        part = partition or {}
        pdir = "/".join("%s=%s" % (k, "__HIVE_DEFAULT_PARTITION__" if v is None else v) for k, v in part.items())
        path = (pdir + "/" if pdir else "") + "part-%05d-%08x-0000-4000-8000-%012d.c000.snappy.parquet" % (self.seq % 100000, self.seq, self.seq)
        stats = {"numRecords": records}
        if stats_values:
            stats.update({"minValues": stats_values[0], "maxValues": stats_values[1],
                          "nullCount": {c: 0 for c in stats_values[0]}})
        add = {"path": path, "partitionValues": part, "size": size if size is not None else 900 + (self.seq * 7919) % 1500,
               "modificationTime": T0 + HOUR * (self.version + 1) + self.seq, "dataChange": True,
               "stats": json.dumps(stats, separators=(",", ":"))}
        if dv:
            add["deletionVector"] = dv
        return add

    def remove_of(self, add, ts):
        r = {"path": add["path"], "deletionTimestamp": ts, "dataChange": True, "extendedFileMetadata": True,
             "partitionValues": add["partitionValues"], "size": add["size"]}
        if add.get("deletionVector"):
            r["deletionVector"] = add["deletionVector"]
        return r

    def commit(self, actions, operation="WRITE", first=False):
        """Write the next commit: commitInfo first, protocol and metaData in commit 0."""
        v = self.version + 1
        ts = T0 + HOUR * v
        lines = [{"commitInfo": {"timestamp": ts, "operation": operation, "operationParameters": {},
                                 "isolationLevel": "Serializable", "isBlindAppend": operation == "WRITE",
                                 "engineInfo": "Apache-Spark/3.5.0 Delta-Lake/3.2.0", "txnId": "%08x" % v}}]
        if v == 0:
            lines += [{"protocol": self.protocol}, {"metaData": self.metadata}]
        lines += actions
        with open(os.path.join(self.log, "%020d.json" % v), "w") as f:
            for a in lines:
                f.write(json.dumps(a, separators=(",", ":")) + "\n")
        self.commits[v] = lines
        self.version = v
        for a in lines:
            self.apply(a)
        self.history[v] = self.facts()
        return ts

    def apply(self, a):
        (kind, x), = a.items()
        if kind == "add":
            key = (x["path"], dv_key(x.get("deletionVector")))
            self.tombs.pop(key, None)
            self.active[key] = x
        elif kind == "remove":
            key = (x["path"], dv_key(x.get("deletionVector")))
            self.active.pop(key, None)
            self.tombs[key] = x
        elif kind == "protocol":
            self.protocol = x
        elif kind == "metaData":
            self.metadata = x
        elif kind == "txn":
            self.txns[x["appId"]] = x
        elif kind == "domainMetadata":
            if x.get("removed"):
                self.domains.pop(x["domain"], None)
            else:
                self.domains[x["domain"]] = x

    def facts(self):
        """The snapshot at the current version, from this generator's own state."""
        files = list(self.active.values())
        rows = sum(json.loads(f["stats"])["numRecords"] - (f.get("deletionVector") or {}).get("cardinality", 0) for f in files)
        some_tomb = sorted(self.tombs.values(), key=lambda t: t["path"])[:1]
        return {"version": self.version, "files": len(files), "bytes": sum(f["size"] for f in files), "rows": rows,
                "tombstones": len(self.tombs), "tombstone_bytes": sum(t["size"] for t in self.tombs.values()),
                "dv_files": sum(1 for f in files if f.get("deletionVector")),
                "dv_rows": sum(f["deletionVector"]["cardinality"] for f in files if f.get("deletionVector")),
                "min_reader_version": self.protocol["minReaderVersion"], "min_writer_version": self.protocol["minWriterVersion"],
                "reader_features": self.protocol.get("readerFeatures", []),
                "partition_columns": self.metadata["partitionColumns"], "txns": len(self.txns),
                "domains": sorted(self.domains), "last_commit_ms": T0 + HOUR * self.version,
                "partitions": sorted((f["partitionValues"] for f in files), key=json.dumps),
                "file_paths": sorted(f["path"] for f in files),
                "tombstone": {"path": some_tomb[0]["path"], "size": some_tomb[0]["size"],
                              "deletion_ms": some_tomb[0]["deletionTimestamp"]} if some_tomb else None,
                "checkpoint": {"kind": "none"}, "log_tail": self.version + 1, "diagnostics": [], "compacted_used": 0}

    # -- checkpoints (of the current version) --
    def checkpoint_rows(self, stats_parsed=False):
        """Protocol, metaData, txns, domains, then the adds (dataChange false) and tombstones."""
        rows = [{"protocol": self.protocol}, {"metaData": self.metadata}]
        rows += [{"txn": t} for t in self.txns.values()] + [{"domainMetadata": d} for d in self.domains.values()]
        return rows, self.file_rows(stats_parsed)

    def file_rows(self, stats_parsed):
        out = []
        for f in self.active.values():
            a = dict(f, dataChange=False)
            if stats_parsed:
                st = json.loads(a.pop("stats"))
                a["stats_parsed"] = st
            out.append({"add": a})
        out += [{"remove": dict(t, dataChange=False)} for t in self.tombs.values()]
        return out

    def schema(self, stats_parsed=False, top=True, v2=False):
        add = add_node(self.columns if stats_parsed else None)
        if not top:
            return [add, REMOVE]
        return [TXN, add, REMOVE, METADATA, PROTOCOL, DOMAIN] + ([CP_METADATA, SIDECAR] if v2 else [])

    def parquet_file(self, name, schema, rows):
        """Write one checkpoint Parquet file under _delta_log and keep what it holds."""
        adds = [r["add"] for r in rows if r.get("add") is not None]
        self.cp_files.append((name, len(rows), len(adds), count(rows, "remove"), adds[0] if adds else None))
        return write_parquet(os.path.join(self.log, name), schema, rows)

    def write_last_checkpoint(self, info):
        with open(os.path.join(self.log, "_last_checkpoint"), "w") as f:
            f.write(json.dumps(info, separators=(",", ":")))

    def classic_checkpoint(self, parts=1, stats_parsed=False, last=True):
        v = self.version
        meta, files = self.checkpoint_rows(stats_parsed)
        rows = meta + files
        if parts == 1:
            size = self.parquet_file("%020d.checkpoint.parquet" % v, self.schema(stats_parsed), rows)
        else:
            size, per = 0, (len(rows) + parts - 1) // parts
            for p in range(parts):
                size += self.parquet_file("%020d.checkpoint.%010d.%010d.parquet" % (v, p + 1, parts), self.schema(stats_parsed),
                                          rows[p * per:(p + 1) * per])
        if last:
            info = {"version": v, "size": len(rows), "sizeInBytes": size, "numOfAddFiles": len(self.active)}
            if parts > 1:
                info["parts"] = parts
            self.write_last_checkpoint(info)
        return {"version": v, "kind": "multi-part" if parts > 1 else "classic", "parts": parts, "sidecars": 0,
                "source": "_last_checkpoint" if last else "listing"}

    def v2_checkpoint(self, top="json", sidecars=2, classic_name=False):
        v = self.version
        meta, files = self.checkpoint_rows()
        os.makedirs(os.path.join(self.log, "_sidecars"), exist_ok=True)
        side, per = [], (len(files) + sidecars - 1) // sidecars
        for i in range(sidecars):
            name = "%020d.checkpoint.%010d.%010d.%08x-0000-4000-8000-%012d.parquet" % (v, i + 1, sidecars, v * 16 + i, i)
            size = self.parquet_file("_sidecars/" + name, self.schema(top=False), files[i * per:(i + 1) * per])
            side.append({"path": name, "sizeInBytes": size, "modificationTime": T0 + HOUR * v, "tags": {}})
        rows = [{"checkpointMetadata": {"version": v, "tags": {}}}] + [{"sidecar": s} for s in side] + meta
        if classic_name:
            name = "%020d.checkpoint.parquet" % v
        else:
            name = "%020d.checkpoint.%08x-1111-4000-8000-%012d.%s" % (v, v, v, top)
        path = os.path.join(self.log, name)
        if top == "json":
            with open(path, "w") as f:
                for r in rows:
                    f.write(json.dumps(r, separators=(",", ":")) + "\n")
            size = os.path.getsize(path)
        else:
            size = self.parquet_file(name, self.schema(v2=True), rows)
        self.write_last_checkpoint({"version": v, "size": len(rows), "sizeInBytes": size, "numOfAddFiles": len(self.active),
                                    "v2Checkpoint": {"path": name, "sizeInBytes": size, "modificationTime": T0 + HOUR * v,
                                                     "nonFileActions": meta + rows[:1], "sidecarFiles": side}})
        return {"version": v, "kind": "v2", "parts": 1, "sidecars": sidecars, "source": "_last_checkpoint"}

    def crc(self):
        """The version checksum Spark writes beside each commit."""
        with open(os.path.join(self.log, "%020d.crc" % self.version), "w") as f:
            f.write(json.dumps({"tableSizeBytes": sum(a["size"] for a in self.active.values()), "numFiles": len(self.active),
                                "numMetadata": 1, "numProtocol": 1, "metadata": self.metadata, "protocol": self.protocol},
                               separators=(",", ":")))


# ---- the tables ----
def rows_for(i, columns):
    """min and max statistics of file i over columns (deterministic)."""
    lo, hi = {}, {}
    for c, t in columns:
        if t in ("long", "integer"):
            lo[c], hi[c] = i * 10, i * 10 + 9
        elif t == "date":
            lo[c], hi[c] = "2024-04-%02d" % (1 + i % 26), "2024-04-%02d" % (3 + i % 26)
        else:
            lo[c], hi[c] = chr(65 + i % 26) + "a", chr(65 + i % 26) + "z"
    return lo, hi


COLS = [("id", "long"), ("value", "string")]


def appends(t, n, records=3, partition=None):
    adds = []
    for _ in range(n):
        i = t.seq
        adds.append({"add": t.new_add(partition=partition(i) if partition else None, records=records + i % 4,
                                      stats_values=rows_for(i, t.columns))})
    return adds


def history(t, versions, per=2):
    """Commits 1..versions: appends, and from version 3 on every third commit deletes the oldest file."""
    for v in range(1, versions + 1):
        acts = appends(t, per)
        op = "WRITE"
        if v % 3 == 0:
            oldest = sorted(t.active.values(), key=lambda a: a["modificationTime"])[0]
            acts.append({"remove": t.remove_of(oldest, T0 + HOUR * v)})
            op = "DELETE"
        t.commit(acts, op)


def k_json(out):
    t = Table(out, COLS)
    t.commit(appends(t, 3))
    history(t, 3)
    t.commit([{"remove": t.remove_of(a, T0 + HOUR * 4)} for a in sorted(t.active.values(), key=lambda a: a["path"])[:2]], "DELETE")
    return t, t.facts()


def k_partitioned(out):
    t = Table(out, COLS + [("year", "string"), ("month", "string"), ("day", "string")], ["year", "month", "day"])
    part = lambda i: {"year": "2020" if i % 3 else "2021", "month": str(1 + i % 2), "day": str(1 + i % 5)}
    t.commit(appends(t, 6, partition=part))
    t.commit(appends(t, 3, partition=part) + [{"txn": {"appId": "stream-1", "version": 7, "lastUpdated": T0}}])
    cp = t.classic_checkpoint()
    # change data files of a CDF table are not table files
    t.commit([{"cdc": {"path": "_change_data/cdc-00000.snappy.parquet", "partitionValues": {}, "size": 1200,
                       "dataChange": False}}], "UPDATE")
    f = t.facts()
    f["checkpoint"], f["log_tail"] = cp, 1
    return t, f


def k_null_partition(out):
    t = Table(out, COLS + [("k", "string")], ["k"])
    t.commit(appends(t, 1, partition=lambda i: {"k": "A"}) + appends(t, 1, partition=lambda i: {"k": None}))
    return t, t.facts()


def k_checkpoint(out, vacuum=False, empty_last=False):
    t = Table(out, COLS, configuration={"delta.checkpointInterval": "10"})
    t.commit(appends(t, 2))
    history(t, 10, per=1)
    t.crc()
    cp = t.classic_checkpoint()
    history_from = t.version
    for v in range(2):
        t.commit(appends(t, 1))
    t.crc()
    f = t.facts()
    f["checkpoint"], f["log_tail"] = cp, t.version - history_from
    if vacuum:  # log cleanup after the checkpoint: commits and checksums before it are gone
        for v in range(history_from):
            for ext in ("json", "crc"):
                p = os.path.join(t.log, "%020d.%s" % (v, ext))
                if os.path.exists(p):
                    os.remove(p)
    if empty_last:
        open(os.path.join(t.log, "_last_checkpoint"), "w").close()
        f["checkpoint"] = dict(cp, source="listing")
        f["diagnostics"] = ["last_checkpoint_unusable"]
    return t, f


def k_multi_part(out):
    t = Table(out, [("id", "long")])
    t.commit(appends(t, 1, records=1))
    history(t, 5, per=1)
    cp = t.classic_checkpoint(parts=3, stats_parsed=True)
    f = t.facts()
    f["checkpoint"], f["log_tail"], f["stats_parsed"] = cp, 0, True
    return t, f


V2_PROTOCOL = {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["v2Checkpoint"],
               "writerFeatures": ["v2Checkpoint", "appendOnly", "invariants"]}


def k_v2(out, top="json", classic_name=False):
    t = Table(out, [("id", "long")], protocol=V2_PROTOCOL,
              configuration={"delta.checkpointPolicy": "v2", "delta.checkpointInterval": "1"})
    t.commit(appends(t, 4))
    history(t, 4, per=5)
    cp = t.v2_checkpoint(top=top, sidecars=1 if classic_name else 2, classic_name=classic_name)
    f = t.facts()
    f["checkpoint"], f["log_tail"] = cp, 0
    return t, f


def k_dv(out):
    t = Table(out, [("value", "long")], protocol={"minReaderVersion": 3, "minWriterVersion": 7,
                                                   "readerFeatures": ["deletionVectors"], "writerFeatures": ["deletionVectors"]},
              configuration={"delta.enableDeletionVectors": "true"})
    t.commit(appends(t, 2, records=10))
    # DELETE with deletion vectors: the file is removed and re-added with its DV
    victim = sorted(t.active.values(), key=lambda a: a["path"])[0]
    dv = {"storageType": "u", "pathOrInlineDv": "vBn[lx{q8@P<9BNH/isA", "offset": 1, "sizeInBytes": 36, "cardinality": 2}
    t.commit([{"remove": t.remove_of(victim, T0 + HOUR)}, {"add": dict(victim, deletionVector=dv,
                                                                       modificationTime=T0 + HOUR)}], "DELETE")
    return t, t.facts()


def k_compacted(out):
    t = Table(out, COLS)
    t.commit(appends(t, 2))
    history(t, 6, per=1)
    # 1..4 reconciled into one file (the protocol's action reconciliation), then the commits it
    # stands in for are gone, so a reader must take it
    lo, hi = 1, 4
    state_add, state_rm, txns = {}, {}, {}
    for v in range(lo, hi + 1):
        for a in t.commits[v]:
            (kind, x), = a.items()
            key = (x.get("path"), dv_key(x.get("deletionVector")))
            if kind == "add":
                state_rm.pop(key, None)
                state_add[key] = x
            elif kind == "remove":
                state_add.pop(key, None)
                state_rm[key] = x
            elif kind == "txn":
                txns[x["appId"]] = x
    with open(os.path.join(t.log, "%020d.%020d.compacted.json" % (lo, hi)), "w") as f:
        for a in [{"add": a} for a in state_add.values()] + [{"remove": r} for r in state_rm.values()] + [{"txn": x} for x in txns.values()]:
            f.write(json.dumps(a, separators=(",", ":")) + "\n")
    for v in range(lo, hi + 1):
        os.remove(os.path.join(t.log, "%020d.json" % v))
    f = t.facts()
    f["compacted_used"], f["log_tail"] = 1, t.version + 1 - (hi - lo)
    return t, f


def k_version_gap(out):
    t = Table(out, COLS)
    t.commit(appends(t, 2))
    t.commit(appends(t, 1))
    f = t.facts()
    t.commit(appends(t, 1))
    t.commit(appends(t, 1))
    os.remove(os.path.join(t.log, "%020d.json" % 2))
    f["diagnostics"] = ["version_gap"]
    return t, f


def k_unknown_feature(out):
    t = Table(out, COLS, protocol={"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["catalogOwned"],
                                   "writerFeatures": ["catalogOwned", "inCommitTimestamp"]})
    t.commit(appends(t, 2))
    f = t.facts()
    f["diagnostics"] = ["unsupported_reader_feature"]
    return t, f


LIQUID = {"minReaderVersion": 1, "minWriterVersion": 7, "writerFeatures": ["clustering", "domainMetadata"]}


def k_liquid(out):
    t = Table(out, [("id", "long"), ("name", "string")], protocol=LIQUID)
    t.commit(appends(t, 3) + [{"domainMetadata": {"domain": "delta.liquid", "removed": False,
                                                  "configuration": json.dumps({"clusteringColumns": [["id"]]},
                                                                              separators=(",", ":"))}}], "CREATE TABLE")
    t.commit(appends(t, 2))
    f = t.facts()
    f["clustering"] = ["id"]
    return t, f


AGENT_COLS = [("id", "integer"), ("name", "string"), ("birthday", "date"), ("long_field", "long")]


def k_agent(out):
    """A small unpartitioned table with statistics on every column, rewritten a few times: what
    the delta agent's clustering, data-skipping, OPTIMIZE and VACUUM advice work on."""
    t = Table(out, AGENT_COLS, configuration={"delta.enableChangeDataFeed": "true"})
    names = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj"]

    def person(i):
        day = "2024-04-%02d" % (10 + i % 7)
        stats = ({"id": i, "name": names[i % len(names)], "birthday": day, "long_field": i * 100},
                 {"id": i, "name": names[i % len(names)], "birthday": day, "long_field": i * 100})
        return t.new_add(records=1, stats_values=stats, size=1900 + i * 13)
    t.commit([{"add": person(i)} for i in range(10)])
    first = sorted(t.active.values(), key=lambda a: a["path"])
    t.commit([{"remove": t.remove_of(first[2], T0 + HOUR)}, {"add": person(10)}], "UPDATE")
    t.commit([{"remove": t.remove_of(first[5], T0 + 2 * HOUR)}], "DELETE")
    t.commit([{"add": person(11)}, {"add": person(12)}, {"add": person(13)}], "WRITE")
    t.commit([{"remove": t.remove_of(first[7], T0 + 4 * HOUR)}], "DELETE")
    return t, t.facts()


KINDS = {
    "json-only": k_json,
    "partitioned": k_partitioned,
    "null-partition": k_null_partition,
    "checkpoint-tail": k_checkpoint,
    "checkpoint-vacuumed": lambda o: k_checkpoint(o, vacuum=True),
    "last-checkpoint-empty": lambda o: k_checkpoint(o, empty_last=True),
    "multi-part-stats-parsed": k_multi_part,
    "v2-json-sidecars": k_v2,
    "v2-parquet-sidecars": lambda o: k_v2(o, top="parquet"),
    "v2-classic-name": lambda o: k_v2(o, top="parquet", classic_name=True),
    "deletion-vectors": k_dv,
    "compacted": k_compacted,
    "version-gap": k_version_gap,
    "unknown-reader-feature": k_unknown_feature,
    "liquid": k_liquid,
    "agent": k_agent,
}


def tsv_lines(kind, facts):
    out = []
    for k, v in facts.items():
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, (int, str)):
            out.append("%s\t%s\t%s" % (kind, k, v))
        elif k == "checkpoint":
            for ck, cv in v.items():
                out.append("%s\tcheckpoint_%s\t%s" % (kind, ck, cv))
        elif k == "diagnostics":
            out.append("%s\tdiagnostics\t%s" % (kind, ",".join(v)))
        elif k == "checkpoint_files":
            out += ["%s\tcheckpoint_file\t%s %d %d %d" % (kind, c["name"], c["rows"], c["adds"], c["removes"]) for c in v]
        elif k == "first_checkpoint_add":
            out += ["%s\tfirst_checkpoint_add_%s\t%s" % (kind, fk, fv) for fk, fv in sorted(v.items())]
    return out


def main(argv):
    if len(argv) > 1 and argv[1] == "--list":
        print("\n".join(KINDS))
        return 0
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    out, kinds = argv[1], argv[2:] or list(KINDS)
    expect, tsv = {}, []
    for kind in kinds:
        if kind not in KINDS:
            sys.stderr.write("gen_delta.py: unknown kind %s (--list)\n" % kind)
            return 2
        t, facts = KINDS[kind](os.path.join(out, kind))
        facts["checkpoint_files"] = [{"name": n, "rows": r, "adds": a, "removes": rm} for n, r, a, rm, _ in t.cp_files]
        first = next((fa for _, _, _, _, fa in t.cp_files if fa), None)
        if first:
            facts["first_checkpoint_add"] = {"size": first["size"], "partition_values": json.dumps(first["partitionValues"],
                                                                                                   separators=(",", ":"))}
            if "stats_parsed" in first:
                facts["first_checkpoint_add"]["num_records"] = first["stats_parsed"]["numRecords"]
        expect[kind] = {k: v for k, v in facts.items() if v is not None}
        tsv += tsv_lines(kind, expect[kind])
    with open(os.path.join(out, "expect.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "expect.tsv"), "w") as f:
        f.write("\n".join(tsv) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
