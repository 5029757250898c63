#!/usr/bin/env python3
"""Write a synthetic Delta table log for bench/bench_delta.sh: N active files as a classic Parquet
checkpoint written here (Thrift compact footer, one uncompressed v1 data page per column with
RLE definition/repetition levels, PLAIN values) plus a JSON tail of T commits; and the same log
as JSON only (every add in commit 0, then the same tail), which the Python baseline replays.

usage: gen_delta_table.py OUT_DIR N_FILES [TAIL_COMMITS]
Writes OUT_DIR/checkpointed/_delta_log/... and OUT_DIR/json/_delta_log/... (no data files)."""
import json
import os
import struct
import sys

# ---- Thrift compact protocol (write side) ----
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def zigzag(n):
    return varint((n << 1) ^ (n >> 63))

class Struct:
    """Fields as (id, type, value); type: i32, i64, bin, bool, struct, list_struct, list_i32, list_bin."""
    def __init__(self, *fields):
        self.fields = [f for f in fields if f[2] is not None]

    def encode(self):
        out, last = bytearray(), 0
        for fid, typ, val in self.fields:
            code = {"i32": 5, "i64": 6, "bin": 8, "struct": 12, "list_struct": 9, "list_i32": 9, "list_bin": 9}.get(typ)
            if typ == "bool":
                code = 1 if val else 2
            delta = fid - last
            out.append((delta << 4) | code if 0 < delta <= 15 else code)
            if not (0 < delta <= 15):
                out += zigzag(fid)
            last = fid
            if typ in ("i32", "i64"):
                out += zigzag(val)
            elif typ == "bin":
                b = val.encode() if isinstance(val, str) else val
                out += varint(len(b)) + b
            elif typ == "struct":
                out += val.encode()
            elif typ.startswith("list_"):
                et = {"list_struct": 12, "list_i32": 5, "list_bin": 8}[typ]
                n = len(val)
                out.append((n << 4) | et if n < 15 else 0xF0 | et)
                if n >= 15:
                    out += varint(n)
                for v in val:
                    if et == 12:
                        out += v.encode()
                    elif et == 5:
                        out += zigzag(v)
                    else:
                        b = v.encode()
                        out += varint(len(b)) + b
        out.append(0)
        return bytes(out)

# ---- levels and values ----
def bit_width(n):
    return n.bit_length()

def rle(levels, max_level):
    """RLE runs only (hybrid encoding with run headers), prefixed by a 4-byte length."""
    bw = bit_width(max_level)
    nbytes = (bw + 7) // 8
    out, i, n = bytearray(), 0, len(levels)
    while i < n:
        j = i
        while j < n and levels[j] == levels[i]:
            j += 1
        out += varint((j - i) << 1) + levels[i].to_bytes(nbytes, "little")
        i = j
    return struct.pack("<I", len(out)) + bytes(out)

def plain(ptype, values):
    if ptype == 1:
        return struct.pack("<%di" % len(values), *values)
    if ptype == 2:
        return struct.pack("<%dq" % len(values), *values)
    if ptype == 0:
        out = bytearray((len(values) + 7) // 8)
        for i, v in enumerate(values):
            if v:
                out[i >> 3] |= 1 << (i & 7)
        return bytes(out)
    parts = []
    for v in values:
        b = v.encode()
        parts.append(struct.pack("<I", len(b)))
        parts.append(b)
    return b"".join(parts)

# ---- schema: (name, kind, repetition, extra) depth-first ----
# kind: group or physical type (0 bool, 1 int32, 2 int64, 6 byte array); rep: 0 req, 1 opt, 2 rep
def schema():
    S = []
    def g(name, n, rep=1, conv=None):
        S.append(("g", name, rep, n, conv))
    def leaf(name, ptype, rep=1, conv=None):
        S.append(("l", name, rep, ptype, conv))
    g("spark_schema", 4, 0)
    g("protocol", 2); leaf("minReaderVersion", 1); leaf("minWriterVersion", 1)
    g("metaData", 5); leaf("id", 6, conv=0); leaf("schemaString", 6, conv=0)
    g("partitionColumns", 1, conv=3); g("list", 1, 2); leaf("element", 6, conv=0)
    g("configuration", 1, conv=1); g("key_value", 2, 2); leaf("key", 6, 0, 0); leaf("value", 6, conv=0)
    leaf("createdTime", 2)
    g("add", 6); leaf("path", 6, conv=0)
    g("partitionValues", 1, conv=1); g("key_value", 2, 2); leaf("key", 6, 0, 0); leaf("value", 6, conv=0)
    leaf("size", 2); leaf("modificationTime", 2); leaf("dataChange", 0); leaf("stats", 6, conv=0)
    g("remove", 4); leaf("path", 6, conv=0); leaf("deletionTimestamp", 2); leaf("size", 2); leaf("dataChange", 0)
    return S

def stats_json(i):
    return json.dumps({"numRecords": 1000 + i % 7, "minValues": {"id": i * 1000, "ts": "2024-01-01T00:00:00.000Z"},
                       "maxValues": {"id": i * 1000 + 999, "ts": "2024-01-02T00:00:00.000Z"},
                       "nullCount": {"id": 0, "ts": 0}}, separators=(",", ":"))

def part_of(i, nparts):
    return "2024-%02d-%02d" % (1 + (i % nparts) // 28 % 12, 1 + (i % nparts) % 28)

SCHEMA_STRING = json.dumps({"type": "struct", "fields": [
    {"name": "id", "type": "long", "nullable": True, "metadata": {}},
    {"name": "ts", "type": "timestamp", "nullable": True, "metadata": {}},
    {"name": "date", "type": "string", "nullable": True, "metadata": {}}]})
T0 = 1704067200000

def write_checkpoint(path, n, nparts):
    """Rows: protocol, metaData, then n adds."""
    rows = n + 2
    cols = {}  # leaf path -> (ptype, defs, reps, values, max_def, max_rep)
    def col(p, ptype, maxd, maxr=0):
        cols[p] = [ptype, [], [], [], maxd, maxr]
    for p, t, d, r in [("protocol.minReaderVersion", 1, 2, 0), ("protocol.minWriterVersion", 1, 2, 0),
                       ("metaData.id", 6, 2, 0), ("metaData.schemaString", 6, 2, 0),
                       ("metaData.partitionColumns.list.element", 6, 4, 1),
                       ("metaData.configuration.key_value.key", 6, 3, 1), ("metaData.configuration.key_value.value", 6, 4, 1),
                       ("metaData.createdTime", 2, 2, 0), ("add.path", 6, 2, 0),
                       ("add.partitionValues.key_value.key", 6, 3, 1), ("add.partitionValues.key_value.value", 6, 4, 1),
                       ("add.size", 2, 2, 0), ("add.modificationTime", 2, 2, 0), ("add.dataChange", 0, 2, 0),
                       ("add.stats", 6, 2, 0), ("remove.path", 6, 2, 0), ("remove.deletionTimestamp", 2, 2, 0),
                       ("remove.size", 2, 2, 0), ("remove.dataChange", 0, 2, 0)]:
        col(p, t, d, r)
    def put(p, d, v=None, r=0):
        c = cols[p]
        c[1].append(d)
        c[2].append(r)
        if d == c[4]:
            c[3].append(v)
    def nulls(prefix):
        for p in cols:
            if p.startswith(prefix + "."):
                put(p, 0)
    # row 0: protocol
    put("protocol.minReaderVersion", 2, 1); put("protocol.minWriterVersion", 2, 2)
    nulls("metaData"); nulls("add"); nulls("remove")
    # row 1: metaData
    nulls("protocol")
    put("metaData.id", 2, "bench-0000"); put("metaData.schemaString", 2, SCHEMA_STRING)
    put("metaData.partitionColumns.list.element", 4, "date")
    put("metaData.configuration.key_value.key", 3, "delta.checkpointInterval")
    put("metaData.configuration.key_value.value", 4, "100")
    put("metaData.createdTime", 2, T0)
    nulls("add"); nulls("remove")
    for i in range(n):
        nulls("protocol"); nulls("metaData"); nulls("remove")
        date = part_of(i, nparts)
        put("add.path", 2, "date=%s/part-%06d-bench.snappy.parquet" % (date, i))
        put("add.partitionValues.key_value.key", 3, "date"); put("add.partitionValues.key_value.value", 4, date)
        put("add.size", 2, 4096 + (i * 7919) % 200000); put("add.modificationTime", 2, T0 + i)
        put("add.dataChange", 2, False); put("add.stats", 2, stats_json(i))
    body = bytearray(b"PAR1")
    chunks = []
    for p, (ptype, defs, reps, vals, maxd, maxr) in cols.items():
        assert len(defs) == rows or maxr, p
        data = (rle(reps, maxr) if maxr else b"") + rle(defs, maxd) + plain(ptype, vals)
        header = Struct((1, "i32", 0), (2, "i32", len(data)), (3, "i32", len(data)),
                        (5, "struct", Struct((1, "i32", len(defs)), (2, "i32", 0), (3, "i32", 3), (4, "i32", 3)))).encode()
        offset = len(body)
        body += header + data
        meta = Struct((1, "i32", ptype), (2, "list_i32", [0, 3]), (3, "list_bin", p.split(".")), (4, "i32", 0),
                      (5, "i64", len(defs)), (6, "i64", len(header) + len(data)), (7, "i64", len(header) + len(data)),
                      (9, "i64", offset))
        chunks.append(Struct((2, "i64", offset), (3, "struct", meta)))
    elems = []
    for kind, name, rep, x, conv in schema():
        if kind == "g":
            elems.append(Struct((3, "i32", rep) if name != "spark_schema" else (3, "i32", None), (4, "bin", name),
                                (5, "i32", x), (6, "i32", conv)))
        else:
            elems.append(Struct((1, "i32", x), (3, "i32", rep), (4, "bin", name), (6, "i32", conv)))
    rg = Struct((1, "list_struct", chunks), (2, "i64", len(body)), (3, "i64", rows))
    footer = Struct((1, "i32", 1), (2, "list_struct", elems), (3, "i64", rows), (4, "list_struct", [rg]),
                    (6, "bin", "sic bench/gen_delta_table.py")).encode()
    body += footer + struct.pack("<I", len(footer)) + b"PAR1"
    with open(path, "wb") as f:
        f.write(body)

def add_line(i, nparts):
    date = part_of(i, nparts)
    return json.dumps({"add": {"path": "date=%s/part-%06d-bench.snappy.parquet" % (date, i), "partitionValues": {"date": date},
                               "size": 4096 + (i * 7919) % 200000, "modificationTime": T0 + i, "dataChange": True,
                               "stats": stats_json(i)}}, separators=(",", ":"))

def tail_commit(v, n, nparts):
    lines = [json.dumps({"commitInfo": {"timestamp": T0 + 3600000 * v, "operation": "WRITE"}})]
    base = n + (v - 1) * 100
    for k in range(100):
        lines.append(add_line(base + k, nparts))
    for k in range(50):
        i = (v * 977 + k * 31) % n
        date = part_of(i, nparts)
        lines.append(json.dumps({"remove": {"path": "date=%s/part-%06d-bench.snappy.parquet" % (date, i),
                                            "deletionTimestamp": T0 + 3600000 * v, "dataChange": True, "size": 4096 + (i * 7919) % 200000}}))
    return "\n".join(lines) + "\n"

def main():
    out, n = sys.argv[1], int(sys.argv[2])
    tail = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    nparts = 300
    cp_log = os.path.join(out, "checkpointed", "_delta_log")
    js_log = os.path.join(out, "json", "_delta_log")
    os.makedirs(cp_log, exist_ok=True)
    os.makedirs(js_log, exist_ok=True)
    write_checkpoint(os.path.join(cp_log, "%020d.checkpoint.parquet" % 0), n, nparts)
    with open(os.path.join(cp_log, "_last_checkpoint"), "w") as f:
        f.write(json.dumps({"version": 0, "size": n + 2}))
    with open(os.path.join(js_log, "%020d.json" % 0), "w") as f:
        f.write(json.dumps({"commitInfo": {"timestamp": T0, "operation": "WRITE"}}) + "\n")
        f.write(json.dumps({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}) + "\n")
        f.write(json.dumps({"metaData": {"id": "bench-0000", "format": {"provider": "parquet", "options": {}},
                                         "schemaString": SCHEMA_STRING, "partitionColumns": ["date"],
                                         "configuration": {"delta.checkpointInterval": "100"}, "createdTime": T0}}) + "\n")
        for i in range(n):
            f.write(add_line(i, nparts) + "\n")
    for v in range(1, tail + 1):
        text = tail_commit(v, n, nparts)
        for d in (cp_log, js_log):
            with open(os.path.join(d, "%020d.json" % v), "w") as f:
                f.write(text)
    removed = {(v * 977 + k * 31) % n for v in range(1, tail + 1) for k in range(50)}
    print("active files expected: %d" % (n + 100 * tail - len(removed)))

if __name__ == "__main__":
    main()
