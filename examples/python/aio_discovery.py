#!/usr/bin/env python3
"""Service discovery under asyncio (etcd_cpp_rs.aio): registrar tasks register services under
/service/ on leases kept alive in the background, and a discoverer task lists the services,
then follows registrations (PUT) and removals (DELETE) with an async watcher, in one event loop
and without a thread per call.

Each registrar holds its service for a while, then stops: its keep-alive ends and its lease is
revoked (as a service shutting down cleanly would do), so the discoverer sees the DELETE.

Usage: aio_discovery.py [--endpoints URLS] [--services N] [--hold SECONDS]
  --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
"""

import argparse
import asyncio
import os
import sys

from etcd_cpp_rs import Event, EventType, aio

PREFIX = f"/service/aio-{os.getpid()}/"


async def registrar(client: aio.Client, name: str, address: str, hold: float) -> None:
    async with client.leasekeepalive(5) as keepalive:
        await client.put(PREFIX + name, address, keepalive.lease)
        print(f"registrar: {name} registered at {address}", flush=True)
        await asyncio.sleep(hold)
    await client.leaserevoke(keepalive.lease)  # a clean shutdown removes the entry at once
    print(f"registrar: {name} stopped", flush=True)


def describe(event: Event) -> str:
    name = event.kv.key_string[len(PREFIX) :]
    if event.event_type == EventType.PUT:
        return f"discoverer: PUT {name} -> {event.kv.as_string()}"
    was = event.prev_kv.as_string() if event.prev_kv else "?"
    return f"discoverer: DELETE {name} (was {was})"


async def discoverer(client: aio.Client, expected_events: int, ready: asyncio.Event) -> None:
    listing = await client.ls(PREFIX)
    print(f"discoverer: {len(listing.values)} services at start", flush=True)
    # Watch from the revision after the listing: nothing in between is missed.
    async with client.watch(PREFIX, recursive=True, from_revision=listing.index + 1) as watcher:
        ready.set()
        seen = 0
        async for event in watcher:
            print(describe(event), flush=True)
            seen += 1
            if seen == expected_events:
                break


async def main() -> int:
    parser = argparse.ArgumentParser(description="asyncio service discovery demo.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--services", type=int, default=2)
    parser.add_argument("--hold", type=float, default=1.0)
    args = parser.parse_args()

    async with aio.Client(args.endpoints) as client:
        if not (await client.head()).is_ok:
            print("aio_discovery: etcd is not reachable", file=sys.stderr)
            return 1
        ready = asyncio.Event()
        # Every service is seen twice: registered (PUT), then removed (DELETE).
        watching = asyncio.ensure_future(discoverer(client, 2 * args.services, ready))
        await ready.wait()
        await asyncio.gather(
            *(
                registrar(client, f"svc-{i}", f"127.0.0.1:{8000 + i}", args.hold)
                for i in range(args.services)
            )
        )
        await asyncio.wait_for(watching, 30)
    print("aio_discovery: done")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
