#!/usr/bin/env python3
"""Run the benchmark programs against one etcd and print their results side by side.

    python3 compare.py [--rounds N] rust=PATH [cpp=PATH] ...

Each PATH is a benchmark program (examples/bench_etcd_client.rs, examples/bench.cpp) that takes
the endpoint as its first argument and prints lines like ``cpp seq_put n=2000 p50_us=... ...``.
The endpoint is the first one of $ETCD_ENDPOINTS (examples/bench/run.sh starts a throwaway etcd
and sets it). With several rounds the programs run in alternating order and the table shows the
median of each value.

Before each program the server is brought back to the same state:
- leases left by the previous program (its keep-alives are cancelled, not revoked) are revoked,
  so they do not expire in the middle of the next program's measurements;
- etcd 3.4 copies its whole buffer of not-yet-committed writes on every read, and a burst of
  writes (the 10,000 async puts) leaves that buffer large for as long as keys keep being written.
  The buffer is dropped at a backend commit that contains no key write, so this script waits for
  the pending writes to be committed, grants one lease (a write outside the key space) and waits
  for that commit. Without this, the second program's gets would be measurably slower.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

COMMITS = "etcd_disk_backend_commit_duration_seconds_count"

# (measurement, value) rows of the table, in order.
ROWS = [
    ("mem_1client", "threads"),
    ("mem_1client", "rss_kb"),
    ("mem_100watch", "threads"),
    ("mem_100watch", "rss_kb"),
    ("mem_100keepalive", "threads"),
    ("mem_100keepalive", "rss_kb"),
    ("seq_put", "p50_us"),
    ("seq_put", "p99_us"),
    ("seq_put", "ops_s"),
    ("seq_put", "cpu_us_op"),
    ("seq_put", "vcsw_op"),
    ("seq_get", "p50_us"),
    ("seq_get", "p99_us"),
    ("seq_get", "ops_s"),
    ("seq_get", "cpu_us_op"),
    ("seq_get", "vcsw_op"),
    ("seq_get_serial", "p50_us"),
    ("seq_get_serial", "p99_us"),
    ("seq_get_serial", "ops_s"),
    ("async_put", "total_ms"),
    ("async_put", "ops_s"),
    ("async_put", "cpu_us_op"),
    ("async_put", "failed"),
]


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def gateway(endpoint, path, body):
    req = urllib.request.Request(
        endpoint + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as reply:
        return json.loads(reply.read().decode() or "{}")


def commit_count(endpoint):
    with urllib.request.urlopen(endpoint + "/metrics", timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(COMMITS + " "):
                return float(line.split()[1])
    return 0.0


def settle(endpoint):
    """Revokes every lease and empties etcd's read buffer (see the module docstring)."""
    for lease in gateway(endpoint, "/v3/lease/leases", {}).get("leases", []):
        try:
            gateway(endpoint, "/v3/lease/revoke", {"ID": lease["ID"]})
        except OSError:
            pass  # expired in the meantime
    # Pending writes are committed within etcd's 100 ms batch interval; if there were none, no
    # commit happens and the wait just times out.
    start = commit_count(endpoint)
    wait_until(lambda: commit_count(endpoint) > start, 1.0)
    start = commit_count(endpoint)
    gateway(endpoint, "/v3/lease/grant", {"TTL": 60})
    if not wait_until(lambda: commit_count(endpoint) > start, 5.0):
        print("warning: no backend commit seen after the lease grant", file=sys.stderr)
    for lease in gateway(endpoint, "/v3/lease/leases", {}).get("leases", []):
        gateway(endpoint, "/v3/lease/revoke", {"ID": lease["ID"]})


def parse(output, label, results):
    """Collects `<lang> <measurement> key=value...` lines under the program's label."""
    for line in output.splitlines():
        words = line.split()
        if len(words) < 3:
            continue
        name = words[1]
        for word in words[2:]:
            key, sep, value = word.partition("=")
            if not sep:
                continue
            try:
                results.setdefault((name, key), {}).setdefault(label, []).append(float(value))
            except ValueError:
                pass


def fmt(value):
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def main(argv):
    rounds = 1
    programs = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--rounds":
            rounds = int(args.pop(0))
        elif "=" in arg:
            name, path = arg.split("=", 1)
            programs.append((name, path))
        else:
            sys.exit(f"unexpected argument {arg!r} (want NAME=PATH or --rounds N)")
    if not programs:
        sys.exit(__doc__)
    endpoints = [e for e in os.environ.get("ETCD_ENDPOINTS", "").split(",") if e]
    if not endpoints:
        sys.exit("ETCD_ENDPOINTS is not set (run through examples/bench/run.sh)")
    endpoint = endpoints[0]
    if not endpoint.startswith("http"):
        endpoint = "http://" + endpoint

    results = {}
    failed = False
    for r in range(rounds):
        order = programs if r % 2 == 0 else list(reversed(programs))
        for name, path in order:
            if os.environ.get("BENCH_NO_SETTLE") != "1":
                settle(endpoint)
            print(f"# round {r + 1}: {name} ({path})", flush=True)
            proc = subprocess.run(
                [path, endpoint],
                capture_output=True,
                text=True,
                timeout=900,
            )
            sys.stdout.write(proc.stdout)
            if proc.returncode != 0:
                failed = True
                sys.stderr.write(proc.stderr)
                print(f"# {name} exited with code {proc.returncode}", flush=True)
            parse(proc.stdout, name, results)

    langs = [name for name, _ in programs]
    header = ["measurement", "value"] + langs
    if len(langs) == 2:
        header.append(f"{langs[1]}/{langs[0]}")
    rows = []
    extra = sorted(
        k for k in results if k not in ROWS and k[1] != "n" and k[0] in {name for name, _ in ROWS}
    )
    for key in ROWS + extra:
        if key not in results:
            continue
        medians = [
            statistics.median(results[key][lang]) if lang in results[key] else None
            for lang in langs
        ]
        row = [key[0], key[1]] + [fmt(m) for m in medians]
        if len(langs) == 2:
            a, b = medians
            row.append(f"{b / a:.2f}" if a and b is not None else "-")
        rows.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print()
    print(
        f"median of {rounds} round(s); lower is better except ops_s "
        "(cpu_us_op, vcsw_op: client CPU time and voluntary context switches per operation)"
    )
    for row in [header] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
