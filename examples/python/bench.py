#!/usr/bin/env python3
"""Latency of the Python package against a real etcd: sequential puts, sequential gets, and the
round trip of a put to the watcher callback that sees it. Prints one line per measurement:

    python seq_put p50_us=... p99_us=... ops_s=...

Run it against a throwaway etcd:

    python3 tests/etcd_harness.py run -- python3 examples/python/bench.py

Usage: bench.py [--endpoints URLS] [--count N] [--watch-count N]
"""

import argparse
import os
import queue
import sys
import time
from typing import Callable, List, Tuple

import etcd_cpp_rs


def report(name: str, samples_ns: List[int], elapsed_s: float) -> None:
    ordered = sorted(samples_ns)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000.0

    print(
        f"python {name} p50_us={percentile(0.50):.0f} p99_us={percentile(0.99):.0f} "
        f"ops_s={len(ordered) / elapsed_s:.0f}",
        flush=True,
    )


def timed(count: int, op: Callable[[int], None]) -> Tuple[List[int], float]:
    """Runs op(0..count-1) one after the other; returns each call's time (ns) and the total (s)."""
    samples = []
    start = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter_ns()
        op(i)
        samples.append(time.perf_counter_ns() - t0)
    return samples, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description="Python client latency benchmark.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--count", type=int, default=2000, help="puts and gets (default 2000)")
    parser.add_argument(
        "--watch-count", type=int, default=500, help="watch round trips (default 500)"
    )
    args = parser.parse_args()
    if args.count <= 0 or args.watch_count <= 0:
        parser.error("counts must be positive")

    client = etcd_cpp_rs.Client(args.endpoints)
    prefix = f"/bench/python/{os.getpid()}/"
    keys = [f"{prefix}k{i % 100}".encode() for i in range(args.count)]
    value = b"x" * 64
    warm = client.put(keys[0], value)
    if not warm.is_ok:
        print(
            f"bench: etcd not usable: {warm.error_message} (error {warm.error_code})",
            file=sys.stderr,
        )
        return 1

    def put(i: int) -> None:
        if not client.put(keys[i], value).is_ok:
            raise RuntimeError("put failed")

    def get(i: int) -> None:
        if not client.get(keys[i]).is_ok:
            raise RuntimeError("get failed")

    report("seq_put", *timed(args.count, put))
    report("seq_get", *timed(args.count, get))

    # Watch round trip: put, then wait for the callback (on a library thread) to see it.
    seen: queue.SimpleQueue[int] = queue.SimpleQueue()
    watch_key = f"{prefix}watched"

    def on_event(response: etcd_cpp_rs.Response) -> None:
        for _event in response.events:
            seen.put(time.perf_counter_ns())

    start_revision = client.head().index + 1
    with client.watch(watch_key, on_event, from_revision=start_revision):

        def round_trip(i: int) -> None:
            client.put(watch_key, str(i))
            seen.get(timeout=10)

        report("watch_rtt", *timed(args.watch_count, round_trip))
    client.rmdir(prefix, recursive=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
