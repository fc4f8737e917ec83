#!/usr/bin/env python3
"""The article's discovery on ServiceDiscovery: the services under /service/, then every change (no
gap, no duplicate, across reconnects and compaction), until COUNT changes were seen.

Usage: discover.py COUNT   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
"""

import os
import sys
import threading

import etcd_cpp_rs

left = int(sys.argv[1])
done = threading.Event()


def seen(line: str) -> None:
    global left
    print(line, flush=True)
    left -= 1
    if left <= 0:
        done.set()


client = etcd_cpp_rs.Client(os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379"))
with etcd_cpp_rs.ServiceDiscovery(
    client,
    "/service/",
    on_added=lambda v: seen(f"added {v.key_string} -> {v.as_string()}"),
    on_updated=lambda v, was: seen(
        f"updated {v.key_string} -> {v.as_string()} (was {was.as_string()})"
    ),
    on_removed=lambda was: seen(f"removed {was.key_string} (was {was.as_string()})"),
) as view:
    if not view.wait_ready():
        sys.exit(1)
    print(f"ready: {len(view.snapshot())} services", flush=True)
    done.wait()
