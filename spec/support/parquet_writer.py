"""Parquet files of nested rows, as the Delta checkpoints Spark writes them (for
spec/support/gen_delta.py): Dremel shredding of struct / map / list values into one PLAIN data
page per leaf column with RLE repetition and definition levels, uncompressed, one row group.
The Thrift compact encoding and the level/value encoders are bench/gen_delta_table.py's."""
import os
import struct
import sys

sys.dont_write_bytecode = True  # tests leave nothing in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from gen_delta_table import Struct, plain, rle  # noqa: E402  (the project's Thrift/Parquet primitives)


# A schema node: (name, kind, arg): kind "struct" (arg: child nodes), "map" (string -> string),
# "list" (of strings), or a leaf "string" / "long" / "int" / "bool" / "date". Every node but
# map keys is optional, as in Spark's checkpoints.
PTYPE = {"bool": 0, "int": 1, "long": 2, "string": 6, "date": 1}
CONVERTED = {"string": 0, "date": 6}


def _leaves(node, prefix, out, maxd, maxr):
    """Leaf columns under node: (dotted path, ptype, converted, max_def, max_rep)."""
    name, kind, arg = node
    path = prefix + [name]
    if kind == "struct":
        for c in arg:
            _leaves(c, path, out, maxd + 1, maxr)
    elif kind == "map":
        out.append((path + ["key_value", "key"], 6, 0, maxd + 2, maxr + 1))
        out.append((path + ["key_value", "value"], 6, 0, maxd + 3, maxr + 1))
    elif kind == "list":
        out.append((path + ["list", "element"], 6, 0, maxd + 3, maxr + 1))
    else:
        out.append((path, PTYPE[kind], CONVERTED.get(kind), maxd + 1, maxr))
    return out


def _elements(node, out):
    """Schema elements depth-first (Thrift SchemaElement structs)."""
    name, kind, arg = node
    if kind == "struct":
        out.append(Struct((3, "i32", 1), (4, "bin", name), (5, "i32", len(arg))))
        for c in arg:
            _elements(c, out)
    elif kind == "map":
        out.append(Struct((3, "i32", 1), (4, "bin", name), (5, "i32", 1), (6, "i32", 1)))
        out.append(Struct((3, "i32", 2), (4, "bin", "key_value"), (5, "i32", 2), (6, "i32", 2)))
        out.append(Struct((1, "i32", 6), (3, "i32", 0), (4, "bin", "key"), (6, "i32", 0)))
        out.append(Struct((1, "i32", 6), (3, "i32", 1), (4, "bin", "value"), (6, "i32", 0)))
    elif kind == "list":
        out.append(Struct((3, "i32", 1), (4, "bin", name), (5, "i32", 1), (6, "i32", 3)))
        out.append(Struct((3, "i32", 2), (4, "bin", "list"), (5, "i32", 1)))
        out.append(Struct((1, "i32", 6), (3, "i32", 1), (4, "bin", "element"), (6, "i32", 0)))
    else:
        out.append(Struct((1, "i32", PTYPE[kind]), (3, "i32", 1), (4, "bin", name), (6, "i32", CONVERTED.get(kind))))
    return out


def _shred(node, value, r, d, rdepth, cols, prefix):
    """Append (rep, def, value) of every leaf under node for one value (None: null)."""
    name, kind, arg = node
    path = prefix + [name]
    if value is None:
        for leaf in _leaves(node, prefix, [], 0, 0):
            cols[".".join(leaf[0])].append((r, d, None))
        return
    d += 1
    if kind == "struct":
        for c in arg:
            _shred(c, value.get(c[0]), r, d, rdepth, cols, path)
    elif kind in ("map", "list"):
        items = list(value.items()) if kind == "map" else [(None, v) for v in value]
        if not items:
            for leaf in _leaves(node, prefix, [], 0, 0):
                cols[".".join(leaf[0])].append((r, d, None))
            return
        for i, (k, v) in enumerate(items):
            rr = r if i == 0 else rdepth + 1
            if kind == "map":
                cols[".".join(path + ["key_value", "key"])].append((rr, d + 1, k))
                vcol = ".".join(path + ["key_value", "value"])
            else:
                vcol = ".".join(path + ["list", "element"])
            cols[vcol].append((rr, d + 1, None) if v is None else (rr, d + 2, v))
    else:
        cols[".".join(path)].append((r, d, value))


def write_parquet(path, schema, rows):
    """rows: dicts of top-level field -> value (absent: null). One row group, one PLAIN data
    page per column, RLE levels, no compression. Returns the file's size."""
    leaves = []
    for top in schema:
        _leaves(top, [], leaves, 0, 0)
    cols = {".".join(p): [] for p, _, _, _, _ in leaves}
    for row in rows:
        for top in schema:
            _shred(top, row.get(top[0]), 0, 0, 0, cols, [])
    body, chunks = bytearray(b"PAR1"), []
    for p, ptype, _, maxd, maxr in leaves:
        trip = cols[".".join(p)]
        reps, defs = [t[0] for t in trip], [t[1] for t in trip]
        vals = [t[2] for t in trip if t[1] == maxd]
        data = (rle(reps, maxr) if maxr else b"") + rle(defs, maxd) + plain(ptype, vals)
        header = Struct((1, "i32", 0), (2, "i32", len(data)), (3, "i32", len(data)),
                        (5, "struct", Struct((1, "i32", len(trip)), (2, "i32", 0), (3, "i32", 3), (4, "i32", 3)))).encode()
        offset = len(body)
        body += header + data
        meta = Struct((1, "i32", ptype), (2, "list_i32", [0, 3]), (3, "list_bin", p), (4, "i32", 0),
                      (5, "i64", len(trip)), (6, "i64", len(header) + len(data)), (7, "i64", len(header) + len(data)),
                      (9, "i64", offset))
        chunks.append(Struct((2, "i64", offset), (3, "struct", meta)))
    elems = [Struct((4, "bin", "spark_schema"), (5, "i32", len(schema)))]
    for top in schema:
        _elements(top, elems)
    rg = Struct((1, "list_struct", chunks), (2, "i64", len(body) - 4), (3, "i64", len(rows)))
    footer = Struct((1, "i32", 1), (2, "list_struct", elems), (3, "i64", len(rows)), (4, "list_struct", [rg]),
                    (6, "bin", "sic spec/support/gen_delta.py")).encode()
    body += footer + struct.pack("<I", len(footer)) + b"PAR1"
    with open(path, "wb") as f:
        f.write(body)
    return len(body)
