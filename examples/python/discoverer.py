#!/usr/bin/env python3
"""Service discovery with the Python package: lists the services registered under /service/
(see registrar.py), then follows changes with a Watcher used as an iterator, and prints every
registration (PUT) and removal (DELETE) together with the previous value.

The watch starts at the revision right after the listing, so no change between the two is
missed.

Usage: discoverer.py [--endpoints URLS] [--events N]
  --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
  --events     exit after N events (default: run until SIGINT or SIGTERM)
"""

import argparse
import os
import signal
import sys

import etcd_cpp_rs

PREFIX = "/service/"


def describe(event: etcd_cpp_rs.Event) -> str:
    key = event.kv.key_string if event.kv else ""
    if event.event_type == etcd_cpp_rs.EventType.PUT:
        was = f"(was {event.prev_kv.as_string()})" if event.prev_kv else "(new)"
        return f"PUT    {key} -> {event.kv.as_string()} {was}"
    was = event.prev_kv.as_string() if event.prev_kv else ""
    return f"DELETE {key} (was {was})"


def main() -> int:
    parser = argparse.ArgumentParser(description="Lists and watches the services under /service/.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--events", type=int, default=-1)
    args = parser.parse_args()

    client = etcd_cpp_rs.Client(args.endpoints)
    listing = client.ls(PREFIX)
    if not listing.is_ok:
        print(
            f"discoverer: cannot list {PREFIX}: {listing.error_message} "
            f"(error {listing.error_code})",
            file=sys.stderr,
        )
        return 1
    print(f"services under {PREFIX}: {len(listing.keys)}")
    for value in listing.values:
        print(f"  {value.key_string} -> {value.as_string()}")

    # index is the store revision the listing was read at.
    start = listing.index + 1
    seen = 0
    with client.watch(PREFIX, recursive=True, from_revision=start) as watcher:
        # A stop signal cancels the watcher, which ends the iteration below.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: watcher.cancel())
        print(f"watching {PREFIX} from revision {start}")
        if args.events != 0:
            try:
                for event in watcher:
                    print(describe(event))
                    seen += 1
                    if seen == args.events:
                        break
            except etcd_cpp_rs.WatchError as error:
                print(f"watch error {error.response.error_code}: {error.response.error_message}")
    print(f"stopped after {seen} events")
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
