#!/usr/bin/env python3
"""Print the top functions of a Go CPU profile (pprof protobuf, gzipped).

Used to see where etcd spends CPU while it serves one kind of request:

    curl -s 'http://127.0.0.1:PORT/debug/pprof/profile?seconds=8' > cpu.pb.gz
    python3 pprof_top.py cpu.pb.gz [N] [FOCUS]

With FOCUS, only samples whose stack has a function containing FOCUS count
(percentages stay relative to the whole profile).

(etcd must run with --enable-pprof.) Only the Python standard library is
used, so the protobuf wire format is decoded here by hand; only the fields of
profile.proto that are needed are read.
"""

import gzip
import sys
from collections import defaultdict


def varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yield (field number, wire type, value) of one protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wtype = key >> 3, key & 7
        if wtype == 0:
            val, pos = varint(buf, pos)
        elif wtype == 1:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wtype == 2:
            n, pos = varint(buf, pos)
            val, pos = buf[pos : pos + n], pos + n
        elif wtype == 5:
            val, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wtype}")
        yield num, wtype, val


def ints(wtype, val):
    """A repeated integer field, packed (wire type 2) or not."""
    if wtype == 0:
        return [val]
    out, pos = [], 0
    while pos < len(val):
        v, pos = varint(val, pos)
        out.append(v)
    return out


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    top_n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    focus = sys.argv[3] if len(sys.argv) > 3 else None

    strings, samples, locations, functions, sample_types = [], [], {}, {}, []
    duration_ns = 0
    for num, _wtype, val in fields(data):
        if num == 1:
            vt = dict((n, v) for n, _, v in fields(val))
            sample_types.append(vt)
        elif num == 2:
            locs, vals = [], []
            for n, w, v in fields(val):
                if n == 1:
                    locs += ints(w, v)
                elif n == 2:
                    vals += ints(w, v)
            samples.append((locs, vals))
        elif num == 4:
            loc_id, func_ids = 0, []
            for n, _w, v in fields(val):
                if n == 1:
                    loc_id = v
                elif n == 4:
                    for ln, _, lv in fields(v):
                        if ln == 1:
                            func_ids.append(lv)
            locations[loc_id] = func_ids
        elif num == 5:
            fid, name = 0, 0
            for n, _, v in fields(val):
                if n == 1:
                    fid = v
                elif n == 2:
                    name = v
            functions[fid] = name
        elif num == 6:
            strings.append(val.decode("utf-8", "replace"))
        elif num == 10:
            duration_ns = val

    def fname(fid):
        return strings[functions.get(fid, 0)] if functions.get(fid) else "?"

    # Value index 1 is CPU nanoseconds in Go CPU profiles (0 is the sample count).
    vi = 1 if len(sample_types) > 1 else 0
    flat, cum = defaultdict(int), defaultdict(int)
    total = sum(vals[vi] for _, vals in samples)
    for locs, vals in samples:
        v = vals[vi]
        # Inlined frames: a location lists its functions innermost first.
        frames = [fname(f) for loc in locs for f in locations.get(loc, [])]
        if focus and not any(focus in f for f in frames):
            continue
        if frames:
            flat[frames[0]] += v
        for f in set(frames):
            cum[f] += v

    secs = duration_ns / 1e9 if duration_ns else 0
    print(f"total CPU {total / 1e9:.2f} s over {secs:.1f} s of wall time")
    for title, table in (("flat", flat), ("cumulative", cum)):
        print(f"-- top {top_n} {title}")
        for f, v in sorted(table.items(), key=lambda kv: -kv[1])[:top_n]:
            print(f"{100.0 * v / total:7.1f}%  {v / 1e9:8.3f} s  {f}")


if __name__ == "__main__":
    main()
