#!/usr/bin/env python3
"""Leader election with the Python package: several candidates campaign in one election; each,
once elected, announces itself (proclaim), works for a moment and resigns, and the next is
elected. An observer prints every leader as it is elected.

Each candidate here is a thread with its own client, as separate processes would be; its
leadership is bound to a lease kept alive by a KeepAlive, so a candidate that dies loses the
leadership once the lease expires.

Usage: election.py [--endpoints URLS] [--candidates N] [--hold SECONDS] [--name ELECTION]
  --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
"""

import argparse
import os
import sys
import threading
import time

import etcd_cpp_rs

_print_lock = threading.Lock()


def say(text: str) -> None:
    """Prints one whole line at a time (the candidates are threads)."""
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def candidate(endpoints: str, election_name: str, me: str, hold: float) -> None:
    with etcd_cpp_rs.Client(endpoints) as client, client.leasekeepalive(5) as keepalive:
        election = client.election(election_name)
        election.campaign(f"{me} (starting)", keepalive.lease)  # waits until elected
        say(f"{me}: elected")
        election.proclaim(f"{me} (working)")
        time.sleep(hold)
        election.resign()
        say(f"{me}: resigned")


def main() -> int:
    parser = argparse.ArgumentParser(description="Leader election demo.")
    parser.add_argument(
        "--endpoints", default=os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")
    )
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--hold", type=float, default=0.3, help="seconds each leader works")
    parser.add_argument("--name", default=f"/election/demo-{os.getpid()}")
    args = parser.parse_args()

    client = etcd_cpp_rs.Client(args.endpoints)
    if not client.head().is_ok:
        print("election: etcd is not reachable", file=sys.stderr)
        return 1
    election = client.election(args.name)
    with election.observe() as observer:
        threads = [
            threading.Thread(
                target=candidate, args=(args.endpoints, args.name, f"node-{i}", args.hold)
            )
            for i in range(1, args.candidates + 1)
        ]
        for thread in threads:
            thread.start()
        # Each leader shows twice: once elected ("starting"), once proclaimed ("working").
        working = 0
        while working < args.candidates:
            leader = observer.next(timeout=30)
            if leader is None:
                print("election: no new leader within 30 s", file=sys.stderr)
                return 1
            say(f"observer: leader is {leader.value.as_string()}")
            working += leader.value.as_string().endswith("(working)")
        for thread in threads:
            thread.join()
    say("election: every candidate served once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
