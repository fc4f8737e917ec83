#!/usr/bin/env python3
"""Service registration with the Python package: publishes services under /service/<name> ->
host:port, attached to a lease that a KeepAlive keeps alive while the program runs. When the
program stops, the lease is left to expire rather than revoked, just as when a service crashes:
etcd removes the entries after the lease's TTL and watchers (see discoverer.py) receive DELETE
events.

Usage: registrar.py [--endpoints URLS] [--ttl SECONDS] [--for SECONDS] NAME=HOST:PORT...
  --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
  --ttl        lease TTL (default 3)
  --for        stop after this many seconds (default: run until SIGINT or SIGTERM)
Example: registrar.py user=127.0.0.1:8080 friend=127.0.0.1:9090
"""

import argparse
import os
import signal
import sys
import threading

import etcd_cpp_rs


def main() -> int:
    parser = argparse.ArgumentParser(description="Registers services under a kept-alive lease.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--ttl", type=int, default=3)
    parser.add_argument("--for", dest="run_for", type=float, default=None)
    parser.add_argument("services", nargs="+", metavar="NAME=HOST:PORT")
    args = parser.parse_args()
    services = [s.split("=", 1) for s in args.services]
    if args.ttl <= 0 or any(len(s) != 2 or not s[0] for s in services):
        parser.print_usage(sys.stderr)
        return 2

    stop = threading.Event()
    failures = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    client = etcd_cpp_rs.Client(args.endpoints)
    grant = client.leasegrant(args.ttl)
    if not grant.is_ok:
        print(
            f"registrar: cannot grant a lease: {grant.error_message} (error {grant.error_code})",
            file=sys.stderr,
        )
        return 1
    lease = grant.value.lease

    # Runs on a library thread if refreshing the lease fails; wakes up the main thread.
    def on_error(error: etcd_cpp_rs.KeepAliveError) -> None:
        print(f"registrar: keep-alive failed: {error}", file=sys.stderr)
        failures.append(error)
        stop.set()

    # Leaving the block stops the refreshes without revoking the lease, so the entries stay
    # visible until the lease expires.
    with etcd_cpp_rs.KeepAlive(client, args.ttl, lease, on_error=on_error):
        for name, address in services:
            key = f"/service/{name}"
            put = client.put(key, address, lease)
            if not put.is_ok:
                print(f"registrar: cannot register {key}: {put.error_message}", file=sys.stderr)
                return 1
            print(f"registered {key} -> {address}")
        print(f"lease {lease:x} (ttl {args.ttl} s) kept alive until stopped")
        stop.wait(args.run_for)
        print(f"stopping; the registrations expire within {args.ttl} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
