#!/usr/bin/env python3
"""Run the benchmark programs, each against its own fresh etcd, and print them side by side.

    python3 compare.py [--rounds N] [--n N] [--async-n N] --server NAME=ETCD ... PROG=PATH ...

PROG names the kind of program (``KIND@LABEL`` runs a second program of a kind under its own
column, e.g. ``cpp@w1=wrapper.sh`` for a variant of the C++ program):
- ``cpp`` (examples/bench.cpp, this library's C++ API) and ``rust`` (examples/bench_etcd_client.rs,
  the pure-Rust etcd-client crate) take the endpoint as their first argument and print lines like
  ``cpp seq_put n=2000 p50_us=... ops_s=... cpu_us_op=...``;
- ``go`` is the official Go client's benchmark (shared/bench/go-clientv3), which takes
  ``ENDPOINT N_SYNC N_ASYNC N_WATCHERS`` and prints ``name value`` lines; they are mapped onto the
  same measurements.

For every server, every round runs each program once, in alternating order, each against a new
single-member etcd on free loopback ports (started and removed by tests/etcd_harness.py), so no
program inherits another's keys, leases or etcd 3.4's read buffer after a write burst. The table
shows the median of each value over the rounds, and the ratio of the first program to the
others (``cpp/go``: this library relative to the Go client).
"""

import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))

from etcd_harness import EtcdCluster  # noqa: E402

# (measurement, value) rows of the table, in order.
ROWS = [
    ("mem_1client", "threads"),
    ("mem_1client", "rss_kb"),
    ("mem_100watch", "threads"),
    ("mem_100watch", "rss_kb"),
    ("mem_100watch", "create_ms"),
    ("mem_100keepalive", "threads"),
    ("mem_100keepalive", "rss_kb"),
    ("seq_put", "ops_s"),
    ("seq_put", "p50_us"),
    ("seq_put", "p99_us"),
    ("seq_put", "cpu_us_op"),
    ("seq_put", "vcsw_op"),
    ("seq_get", "ops_s"),
    ("seq_get", "p50_us"),
    ("seq_get", "p99_us"),
    ("seq_get", "cpu_us_op"),
    ("seq_get", "vcsw_op"),
    ("async_put", "ops_s"),
    ("async_put", "cpu_us_op"),
    ("async_put", "rss_kb"),
    ("async_put", "threads"),
    ("async_put", "failed"),
]

# The Go program's `name value` lines as (measurement, value).
GO_NAMES = {
    "client_threads": ("mem_1client", "threads"),
    "client_rss_kb": ("mem_1client", "rss_kb"),
    "watchers_create_ms": ("mem_100watch", "create_ms"),
    "watchers_threads": ("mem_100watch", "threads"),
    "watchers_rss_kb": ("mem_100watch", "rss_kb"),
    "sync_put_ops_per_s": ("seq_put", "ops_s"),
    "sync_put_p50_us": ("seq_put", "p50_us"),
    "sync_put_p99_us": ("seq_put", "p99_us"),
    "sync_put_cpu_us_per_op": ("seq_put", "cpu_us_op"),
    "sync_get_ops_per_s": ("seq_get", "ops_s"),
    "sync_get_p50_us": ("seq_get", "p50_us"),
    "sync_get_p99_us": ("seq_get", "p99_us"),
    "sync_get_cpu_us_per_op": ("seq_get", "cpu_us_op"),
    "async_put_ops_per_s": ("async_put", "ops_s"),
    "async_put_cpu_us_per_op": ("async_put", "cpu_us_op"),
    "end_rss_kb": ("async_put", "rss_kb"),
    "end_threads": ("async_put", "threads"),
}


def parse(kind, output, label, results):
    """Collects the program's values under its label: results[(measurement, value)][label]."""

    def add(key, text):
        try:
            results.setdefault(key, {}).setdefault(label, []).append(float(text))
        except ValueError:
            pass

    for line in output.splitlines():
        words = line.split()
        if kind == "go":
            if len(words) == 2 and words[0] in GO_NAMES:
                add(GO_NAMES[words[0]], words[1])
            continue
        if len(words) < 3:
            continue
        for word in words[2:]:
            key, sep, value = word.partition("=")
            if sep and key != "n":
                add((words[1], key), value)


def fmt(value):
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def kind_of(name):
    """The program kind of a label: ``cpp``, or ``cpp@w1`` for a second program of that kind."""
    return name.split("@", 1)[0]


def run_program(kind, path, endpoint, n, async_n):
    env = dict(os.environ, BENCH_N=str(n), BENCH_ASYNC_N=str(async_n), ETCD_ENDPOINTS=endpoint)
    args = [path, endpoint]
    if kind == "go":
        args += [str(n), str(async_n), "100"]
    return subprocess.run(args, capture_output=True, text=True, timeout=900, env=env)


def table(server, rounds, programs, results):
    labels = [name for name, _ in programs]
    ours = labels[0]
    others = labels[1:]
    header = ["measurement", "value"] + labels + [f"{ours}/{o}" for o in others]
    rows = []
    extra = sorted(k for k in results if k not in ROWS)
    for key in ROWS + extra:
        medians = {
            label: statistics.median(results[key][label]) if label in results[key] else None
            for label in labels
        }
        row = [key[0], key[1]] + [fmt(medians[label]) for label in labels]
        for o in others:
            a, b = medians[ours], medians[o]
            row.append(f"{a / b:.2f}" if a is not None and b else "-")
        rows.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print()
    print(
        f"etcd {server}: median of {rounds} round(s); lower is better except ops_s "
        "(cpu_us_op: client CPU time per operation, all threads; vcsw_op: voluntary context "
        "switches per operation)"
    )
    for row in [header] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
    sys.stdout.flush()


def main(argv):
    rounds, n, async_n = 3, 2000, 10000
    servers, programs = [], []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--rounds":
            rounds = int(args.pop(0))
        elif arg == "--n":
            n = int(args.pop(0))
        elif arg == "--async-n":
            async_n = int(args.pop(0))
        elif arg == "--server":
            servers.append(tuple(args.pop(0).split("=", 1)))
        elif "=" in arg:
            programs.append(tuple(arg.split("=", 1)))
        else:
            sys.exit(f"unexpected argument {arg!r}\n\n{__doc__}")
    if not programs or not servers:
        sys.exit(__doc__)
    for name, _ in programs:
        if kind_of(name) not in ("cpp", "rust", "go"):
            sys.exit(f"unknown program kind {name!r} (cpp, rust or go)")

    failed = False
    for server, etcd in servers:
        results = {}
        for r in range(rounds):
            order = programs if r % 2 == 0 else list(reversed(programs))
            for name, path in order:
                with EtcdCluster(etcd=etcd) as cluster:
                    print(f"# etcd {server}, round {r + 1}: {name} ({path})", flush=True)
                    proc = run_program(kind_of(name), path, cluster.endpoints[0], n, async_n)
                for line in proc.stdout.splitlines():
                    print(line if kind_of(name) != "go" else f"go {line}")
                if proc.returncode != 0:
                    failed = True
                    sys.stderr.write(proc.stderr)
                    print(f"# {name} exited with code {proc.returncode}", flush=True)
                parse(kind_of(name), proc.stdout, name, results)
        table(server, rounds, programs, results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
