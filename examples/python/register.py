#!/usr/bin/env python3
"""The article's registration on ServiceRegistry: /service/<name> -> <address> under a lease kept
alive (and granted again if lost) until stdin closes; then the lease is revoked.

Usage: register.py NAME ADDRESS   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
"""

import os
import sys

import etcd_cpp_rs

name, address = sys.argv[1:3]
client = etcd_cpp_rs.Client(os.environ.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379"))
with etcd_cpp_rs.ServiceRegistry(
    client, ttl=5, on_reregistered=lambda old, new: print(f"registered again under {new:x}")
) as registry:
    r = registry.add(f"/service/{name}", address)
    print(f"registered /service/{name} -> {address}: {r.error_code}", flush=True)
    sys.stdin.read()
# Leaving the block revokes the lease: discoverers see the removal at once.
