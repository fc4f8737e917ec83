#!/usr/bin/env python3
"""Throughput of concurrent puts under asyncio: N puts started at once with asyncio.gather, with
etcd_cpp_rs.aio and, in the same run against the same etcd, with aetcd (a grpcio-based asyncio
client; measured when it is installed: ``pip install aetcd``). Prints one line per client and
round:

    aio etcd_cpp_rs round=1 puts=10000 seconds=... ops_s=...
    aio aetcd round=1 puts=10000 seconds=... ops_s=...

and a last line per client with the best round. The clients take turns, so that both see the
same etcd state. Run it against a throwaway etcd:

    python3 tests/etcd_harness.py run -- python3 examples/python/bench_aio.py

Usage: bench_aio.py [--endpoints URLS] [--count N] [--rounds R] [--require-aetcd]
"""

import argparse
import asyncio
import os
import sys
import time
from typing import Awaitable, Callable, Dict, List
from urllib.parse import urlparse

from etcd_cpp_rs import aio

VALUE = b"x" * 64


async def run_round(name: str, put: Callable[[bytes], Awaitable[bool]], keys: List[bytes]) -> float:
    start = time.perf_counter()
    results = await asyncio.gather(*(put(key) for key in keys))
    elapsed = time.perf_counter() - start
    if not all(results):
        raise RuntimeError(f"{name}: {results.count(False)} puts failed")
    return elapsed


async def main() -> int:
    parser = argparse.ArgumentParser(description="asyncio put throughput benchmark.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--count", type=int, default=10000, help="concurrent puts per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per client (default 3)")
    parser.add_argument(
        "--require-aetcd", action="store_true", help="fail instead of skipping aetcd"
    )
    args = parser.parse_args()
    if args.count <= 0 or args.rounds <= 0:
        parser.error("counts must be positive")

    prefix = f"/bench/aio/{os.getpid()}/"
    clients: Dict[str, Callable[[bytes], Awaitable[bool]]] = {}
    closers = []

    ours = aio.Client(args.endpoints)
    closers.append(ours.close)

    async def put_ours(key: bytes) -> bool:
        return (await ours.put(key, VALUE)).is_ok

    warm = await ours.put(prefix + "warm", VALUE)
    if not warm.is_ok:
        print(f"bench: etcd not usable: {warm.error_message}", file=sys.stderr)
        return 1
    clients["etcd_cpp_rs"] = put_ours

    try:
        import aetcd
    except ImportError:
        if args.require_aetcd:
            print("bench: aetcd is not installed (pip install aetcd)", file=sys.stderr)
            return 1
        print("aio aetcd skipped: not installed (pip install aetcd)", flush=True)
    else:
        first = urlparse(args.endpoints.replace(";", ",").split(",")[0])
        theirs = aetcd.Client(host=first.hostname, port=first.port)
        await theirs.connect()

        async def put_theirs(key: bytes) -> bool:
            await theirs.put(key, VALUE)  # raises on failure
            return True

        await put_theirs(f"{prefix}warm-aetcd".encode())
        clients["aetcd"] = put_theirs
        closers.append(theirs.close)

    best: Dict[str, float] = {}
    for round_number in range(1, args.rounds + 1):
        for name, put in clients.items():
            keys = [f"{prefix}{name}/{round_number}/{i}".encode() for i in range(args.count)]
            elapsed = await run_round(name, put, keys)
            rate = args.count / elapsed
            best[name] = max(best.get(name, 0.0), rate)
            print(
                f"aio {name} round={round_number} puts={args.count} seconds={elapsed:.3f} "
                f"ops_s={rate:.0f}",
                flush=True,
            )
    for name, rate in best.items():
        print(f"aio {name} best ops_s={rate:.0f}", flush=True)

    await ours.rmdir(prefix, recursive=True)
    for close in closers:
        result = close()
        if asyncio.iscoroutine(result):
            await result
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
