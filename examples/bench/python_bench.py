#!/usr/bin/env python3
"""The Python package (etcd_cpp_rs) against python-etcd3 (the grpcio-based ``etcd3`` package),
each against its own fresh etcd, side by side.

    python3 examples/bench/python_bench.py [--rounds 3] [--n 2000] [--watch-n 2000]
                                          [--etcd3-python PATH]

Every round runs both programs once, in alternating order, each in its own process against a new
single-member etcd on free loopback ports (tests/etcd_harness.py), so that neither inherits the
other's keys or etcd 3.4's read buffer after a burst of writes. Each program measures:

- ``seq_put`` / ``seq_get``: N sequential puts / gets of a 64-byte value over 100 keys: ops/s,
  p50 / p99 latency, and client CPU per operation (``time.process_time``: all threads of the
  process, the library's own included);
- ``watch_cb``: the round trip of a put to the watcher callback that receives its event;
- ``watch_iter``: the same through the watcher's event iterator.

The table shows the median of each value over the rounds and the ratio ours/python-etcd3 (above 1
is better for ops/s, below 1 is better for latencies and CPU).

The etcd_cpp_rs side runs with this interpreter, the package from python/ and the library found
as python/etcd_cpp_rs/_native.py says (``ETCD_CPP_RS_LIBRARY``, or the cargo build under
``CARGO_TARGET_DIR``); ``BENCH_PACKAGE_DIR`` names another directory holding the package (to
compare two versions of it). The python-etcd3 side runs with ``--etcd3-python`` (default:
build/pybench-venv/bin/python, made with ``python3 -m venv build/pybench-venv &&
build/pybench-venv/bin/pip install etcd3 'protobuf<3.21'``).

``--worker NAME --endpoints URL`` runs one program against a running etcd and prints its
measurements as one JSON line.
"""

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VALUE = b"x" * 64
KEYS = 100

MEASUREMENTS = [
    ("seq_put", "ops_s"),
    ("seq_put", "p50_us"),
    ("seq_put", "p99_us"),
    ("seq_put", "cpu_us_op"),
    ("seq_get", "ops_s"),
    ("seq_get", "p50_us"),
    ("seq_get", "p99_us"),
    ("seq_get", "cpu_us_op"),
    ("watch_cb", "p50_us"),
    ("watch_cb", "p99_us"),
    ("watch_cb", "cpu_us_op"),
    ("watch_iter", "p50_us"),
    ("watch_iter", "p99_us"),
    ("watch_iter", "cpu_us_op"),
]


# -- one program --------------------------------------------------------------------------------


def percentile(ordered: List[int], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000.0


def timed(count: int, op: Callable[[int], None]) -> Dict[str, float]:
    """Runs op(0..count-1) one after the other: per-call latency, throughput and CPU."""
    samples = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter_ns()
        op(i)
        samples.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    samples.sort()
    return {
        "ops_s": count / elapsed,
        "p50_us": percentile(samples, 0.50),
        "p99_us": percentile(samples, 0.99),
        "cpu_us_op": cpu * 1e6 / count,
    }


class Ours:
    """etcd_cpp_rs, the package of this repository."""

    def __init__(self, endpoints: str) -> None:
        sys.path.insert(0, os.environ.get("BENCH_PACKAGE_DIR") or os.path.join(ROOT, "python"))
        import etcd_cpp_rs

        self.client = etcd_cpp_rs.Client(endpoints)

    def put(self, key: bytes, value: bytes) -> None:
        if not self.client.put(key, value).is_ok:
            raise RuntimeError("put failed")

    def get(self, key: bytes) -> bytes:
        response = self.client.get(key)
        if not response.is_ok:
            raise RuntimeError("get failed")
        return response.value.value

    def watch_callback(self, key: bytes, on_value: Callable[[bytes], None]) -> Callable[[], None]:
        def callback(response: Any) -> None:
            for event in response.events:
                on_value(event.kv.value)

        watcher = self.client.watch(key, callback)
        return watcher.close

    def watch_iterator(self, key: bytes) -> Tuple[Callable[[], bytes], Callable[[], None]]:
        watcher = self.client.watch(key)
        return (lambda: watcher.next_event(timeout=10).kv.value), watcher.close


class Etcd3:
    """python-etcd3 (``pip install etcd3``), on grpcio."""

    def __init__(self, endpoints: str) -> None:
        from urllib.parse import urlparse

        import etcd3

        url = urlparse(endpoints.split(",")[0])
        self.client = etcd3.client(host=url.hostname, port=url.port)

    def put(self, key: bytes, value: bytes) -> None:
        self.client.put(key, value)

    def get(self, key: bytes) -> bytes:
        value, _meta = self.client.get(key)
        if value is None:
            raise RuntimeError("get failed")
        return value

    def watch_callback(self, key: bytes, on_value: Callable[[bytes], None]) -> Callable[[], None]:
        def callback(response: Any) -> None:
            for event in response.events:
                on_value(event.value)

        watch_id = self.client.add_watch_callback(key, callback)
        return lambda: self.client.cancel_watch(watch_id)

    def watch_iterator(self, key: bytes) -> Tuple[Callable[[], bytes], Callable[[], None]]:
        events, cancel = self.client.watch(key)
        return (lambda: next(events).value), cancel


PROGRAMS = {"etcd_cpp_rs": Ours, "python-etcd3": Etcd3}


def worker(name: str, endpoints: str, n: int, watch_n: int) -> Dict[str, Dict[str, float]]:
    program = PROGRAMS[name](endpoints)
    prefix = f"/bench/python/{os.getpid()}/".encode()
    keys = [prefix + b"k%d" % (i % KEYS) for i in range(n)]
    for key in keys[:KEYS]:
        program.put(key, VALUE)  # warm up, and every key exists for the gets
    results = {
        "seq_put": timed(n, lambda i: program.put(keys[i], VALUE)),
        "seq_get": timed(n, lambda i: program.get(keys[i])),
    }

    # Watch round trip: a put, then the event's arrival in this thread.
    watched = prefix + b"watched"
    seen: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    cancel = program.watch_callback(watched, seen.put)
    try:
        program.put(watched, b"warm-up")
        seen.get(timeout=10)

        def callback_round_trip(i: int) -> None:
            value = b"%d" % i
            program.put(watched, value)
            if seen.get(timeout=10) != value:
                raise RuntimeError("watch delivered an unexpected value")

        results["watch_cb"] = timed(watch_n, callback_round_trip)
    finally:
        cancel()

    watched = prefix + b"iterated"
    next_value, cancel = program.watch_iterator(watched)
    try:
        # Both clients return from watch() once etcd has confirmed the watch.
        program.put(watched, b"warm-up")
        if next_value() != b"warm-up":
            raise RuntimeError("watch delivered an unexpected value")

        def iterator_round_trip(i: int) -> None:
            value = b"%d" % i
            program.put(watched, value)
            if next_value() != value:
                raise RuntimeError("watch delivered an unexpected value")

        results["watch_iter"] = timed(watch_n, iterator_round_trip)
    finally:
        cancel()
    return results


# -- the runner ---------------------------------------------------------------------------------


def run_one(name: str, python: str, args: argparse.Namespace) -> Dict[str, Dict[str, float]]:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from etcd_harness import EtcdCluster

    with EtcdCluster() as cluster:
        command = [
            python,
            os.path.abspath(__file__),
            "--worker",
            name,
            "--endpoints",
            cluster.endpoints_string,
            "--n",
            str(args.n),
            "--watch-n",
            str(args.watch_n),
        ]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed with exit code {done.returncode}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description="etcd_cpp_rs against python-etcd3.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000, help="sequential puts and gets")
    parser.add_argument("--watch-n", type=int, default=2000, help="watch round trips")
    parser.add_argument(
        "--etcd3-python",
        default=os.path.join(ROOT, "build", "pybench-venv", "bin", "python"),
        help="an interpreter with etcd3 installed",
    )
    parser.add_argument("--worker", choices=sorted(PROGRAMS), help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.n <= 0 or args.watch_n <= 0 or args.rounds <= 0:
        parser.error("counts must be positive")
    if args.worker:
        print(json.dumps(worker(args.worker, args.endpoints, args.n, args.watch_n)))
        return 0

    pythons = {"etcd_cpp_rs": sys.executable, "python-etcd3": args.etcd3_python}
    if not os.access(args.etcd3_python, os.X_OK):
        print(
            f"python_bench.py: no interpreter at {args.etcd3_python} (see --help)", file=sys.stderr
        )
        return 1
    names = list(PROGRAMS)
    rounds: Dict[str, List[Dict[str, Dict[str, float]]]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            result = run_one(name, pythons[name], args)
            rounds[name].append(result)
            line = " ".join(
                f"{m}.{v}={result[m][v]:.0f}" for m, v in MEASUREMENTS if v in ("ops_s", "p99_us")
            )
            print(f"round {r + 1} {name}: {line}", file=sys.stderr, flush=True)

    print(f"medians of {args.rounds} rounds, n={args.n}, watch round trips={args.watch_n}")
    print("| measurement | etcd_cpp_rs | python-etcd3 | ours/python-etcd3 |")
    print("|---|---|---|---|")
    for m, v in MEASUREMENTS:
        ours = statistics.median(x[m][v] for x in rounds["etcd_cpp_rs"])
        theirs = statistics.median(x[m][v] for x in rounds["python-etcd3"])
        ratio = ours / theirs if theirs else float("nan")
        print(f"| {m} {v} | {ours:,.0f} | {theirs:,.0f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
