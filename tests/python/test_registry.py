"""ServiceRegistry and ServiceDiscovery of the Python package: entries under a lease, written
again after an operator revokes it; a discovery view with its callbacks; bad arguments; close
with the cluster unreachable."""

import threading
import time

import pytest
from conftest import wait_until

import etcd_cpp_rs
from etcd_harness import free_port


def contents(client, prefix):
    r = client.ls(prefix)
    assert r.is_ok
    return {v.key_string: v.as_string() for v in r.values}


def test_registry_writes_under_one_lease_and_revokes_on_close(client, prefix):
    with etcd_cpp_rs.ServiceRegistry(client, ttl=30) as reg:
        assert reg.lease != 0
        assert reg.add(prefix + "a", "10.0.0.1:80").is_ok
        assert reg.add(prefix + "b", b"10.0.0.2:80").is_ok
        assert client.get(prefix + "a").value.lease == reg.lease
        assert reg.remove(prefix + "b").is_ok
        assert contents(client, prefix) == {prefix + "a": "10.0.0.1:80"}
    # Revoked at once, not after 30 s.
    assert contents(client, prefix) == {}
    with pytest.raises(etcd_cpp_rs.EtcdError):
        reg.add(prefix + "c", "x")


def test_revoked_lease_is_replaced_within_a_second(client, prefix):
    seen = []
    done = threading.Event()

    def on_reregistered(old, new):
        seen.append((old, new, threading.current_thread().name))
        done.set()

    with etcd_cpp_rs.ServiceRegistry(client, 30, on_reregistered) as reg:
        for i in range(10):
            assert reg.add(f"{prefix}{i}", "addr").is_ok
        old = reg.lease
        start = time.monotonic()
        assert client.leaserevoke(old).is_ok
        assert wait_until(lambda: len(contents(client, prefix)) == 10, 5)
        took = time.monotonic() - start
        assert took < 1.0, took
        assert done.wait(2)
        assert seen[0][:2] == (old, reg.lease)
        assert client.get(prefix + "3").value.lease == reg.lease


def test_discovery_lists_watches_and_reports_previous_values(client, prefix):
    client.put(prefix + "x", "1")
    log = []
    d = etcd_cpp_rs.ServiceDiscovery(
        client,
        prefix,
        on_added=lambda v: log.append(("+", v.key_string, v.as_string())),
        on_updated=lambda v, p: log.append(
            ("~", v.key_string, p.as_string() + ">" + v.as_string())
        ),
        on_removed=lambda p: log.append(("-", p.key_string, p.as_string())),
    )
    with d:
        assert d.wait_ready(5)
        assert d.snapshot() == {prefix + "x": "1"}
        client.put(prefix + "x", "2")
        client.put(prefix + "y", "3")
        client.rm(prefix + "x")
        assert wait_until(lambda: len(log) >= 4, 5)
        assert log == [
            ("+", prefix + "x", "1"),
            ("~", prefix + "x", "1>2"),
            ("+", prefix + "y", "3"),
            ("-", prefix + "x", "2"),
        ]
        assert d.snapshot() == contents(client, prefix)
        assert d.revision > 0
        assert [v.key_string for v in d.values()] == [prefix + "y"]


def test_bad_arguments(client, prefix):
    with pytest.raises(OverflowError):
        etcd_cpp_rs.ServiceRegistry(client, ttl=0)
    with pytest.raises(TypeError):
        etcd_cpp_rs.ServiceRegistry(client, ttl=5, on_reregistered=3)
    with pytest.raises(TypeError):
        etcd_cpp_rs.ServiceDiscovery(client, 42)
    with etcd_cpp_rs.ServiceRegistry(client, ttl=5) as reg:
        with pytest.raises(TypeError):
            reg.add(prefix + "k", 5)


def test_discovery_of_an_unreachable_cluster_closes_promptly():
    with etcd_cpp_rs.Client(f"http://127.0.0.1:{free_port()}") as c:
        d = etcd_cpp_rs.ServiceDiscovery(c, "/none/")
        assert not d.wait_ready(0.3)
        start = time.monotonic()
        d.close()
        assert time.monotonic() - start < 1.0


def test_discovery_on_change_gets_every_change_as_a_change(client, prefix):
    client.put(prefix + "x", "1")
    changes = []
    removed = []
    with etcd_cpp_rs.ServiceDiscovery(
        client, prefix, on_change=changes.append, on_removed=removed.append
    ) as d:
        assert d.wait_ready(5)
        client.put(prefix + "x", "2")
        client.rm(prefix + "x")
        assert wait_until(lambda: len(removed) == 1, 5)
    assert [(c.kind, c.key, c.value.value, c.prev and c.prev.value) for c in changes] == [
        ("added", (prefix + "x").encode(), b"1", None),
        ("updated", (prefix + "x").encode(), b"2", b"1"),
        ("removed", (prefix + "x").encode(), b"", b"2"),
    ]
    assert isinstance(changes[0], etcd_cpp_rs.Change)
    with pytest.raises(TypeError):
        etcd_cpp_rs.ServiceDiscovery(client, prefix, on_change=5)
