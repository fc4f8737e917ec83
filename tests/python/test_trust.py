"""Edges users hit: a write right after watch() is delivered; a keep-alive whose lease cannot be
granted raises instead of pretending to work."""

import threading

import pytest

import etcd_cpp_rs
from etcd_harness import wait_until


def test_write_right_after_watch_is_delivered(client, prefix):
    rounds = 500
    missed = 0
    for i in range(rounds):
        key = f"{prefix}{i}"
        seen = threading.Event()
        watcher = client.watch(key, lambda r, seen=seen: seen.set() if r.events else None)
        try:
            client.put(key, "v")
            if not seen.wait(5):
                missed += 1
        finally:
            watcher.close()
    assert missed == 0, f"{missed} of {rounds} writes missed"


def unreachable():
    return etcd_cpp_rs.Client("http://127.0.0.1:1", connect_timeout=0.3)


def test_keepalive_without_cluster_is_failed():
    errors = []
    with unreachable() as c:
        keepalive = etcd_cpp_rs.KeepAlive(c, 3, on_error=errors.append)
        try:
            assert keepalive.lease == 0
            with pytest.raises(etcd_cpp_rs.KeepAliveError):
                keepalive.check()
            assert wait_until(lambda: len(errors) == 1, 10)
            assert isinstance(errors[0], etcd_cpp_rs.KeepAliveError)
        finally:
            keepalive.close()
