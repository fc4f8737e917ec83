"""Clients inside a namespace (Client.namespace, aio.Client.namespace): keys stored under the
prefix and seen without it in responses, transactions, watch events, registries and discovery
views; two namespaces do not see each other."""

from __future__ import annotations

import asyncio
import threading

from conftest import wait_until

import etcd_cpp_rs
from etcd_cpp_rs import Txn, aio


def stored(client, prefix):
    r = client.ls(prefix)
    assert r.is_ok, r
    return [v.key_string for v in r.values]


def test_keys_are_stored_under_the_prefix_and_seen_without_it(client, prefix):
    with client.namespace(prefix + "a") as a, client.namespace(prefix + "b") as b:
        assert a.namespace_prefix == (prefix + "a").encode()
        assert client.namespace_prefix == b""
        assert a.put("/k1", "a0").is_ok
        r = a.put("/k1", "a1")
        assert r.is_ok and r.prev_value.key == b"/k1"
        assert a.put("/k2", "a2").is_ok
        assert b.put("/k1", "b1").is_ok
        assert a.get("/k1").value.as_string() == "a1"
        assert a.get("/k1").value.key == b"/k1"
        assert b.get("/k1").value.as_string() == "b1"
        assert b.get("/k2").error_code == 100
        assert [v.key for v in a.ls("/").values] == [b"/k1", b"/k2"]
        assert [v.key for v in b.ls("").values] == [b"/k1"]
        assert stored(client, prefix) == [prefix + "a/k1", prefix + "a/k2", prefix + "b/k1"]
        # An empty key would name the prefix itself: refused, naming the operation.
        r = a.get("")
        assert r.error_code == 3 and "get" in r.error_message, r
        # Namespaces nest.
        with a.namespace("/k") as sub:
            assert sub.namespace_prefix == (prefix + "a/k").encode()
            assert sub.get("2").value.key == b"2"
        r = b.rmdir("/", recursive=True)
        assert r.is_ok and [v.key for v in r.values] == [b"/k1"]
        assert stored(client, prefix) == [prefix + "a/k1", prefix + "a/k2"]


def test_transaction_inside_a_namespace(client, prefix):
    with client.namespace(prefix + "t") as ns:
        assert ns.put("/counter", "1").is_ok
        assert client.put(prefix + "counter", "outside").is_ok
        txn = (
            Txn()
            .compare("value", "/counter", "==", "1")
            .then_put("/counter", "2")
            .then_get("/counter")
            .else_get("/counter")
        )
        r = ns.txn(txn)
        assert r.is_ok, r
        assert [v.key for v in r.values] == [b"/counter"]
        assert client.get(prefix + "t/counter").value.as_string() == "2"
        assert client.get(prefix + "counter").value.as_string() == "outside"
        r = ns.txn(txn)
        assert r.error_code == 101
        assert [(v.key, v.value) for v in r.values] == [(b"/counter", b"2")]


def test_watcher_sees_only_its_namespace(client, prefix):
    seen = []
    lock = threading.Lock()

    def on_events(response):
        with lock:
            seen.extend((e.event_type.name, e.kv.key) for e in response.events)

    with client.namespace(prefix + "w") as ns:
        with etcd_cpp_rs.Watcher(ns, "/", on_events, recursive=True):
            assert client.put(prefix + "outside", "1").is_ok
            assert ns.put("/x", "1").is_ok
            assert ns.rm("/x").is_ok
            assert wait_until(lambda: len(seen) >= 2, 5)
        assert seen == [("PUT", b"/x"), ("DELETE", b"/x")], seen


def test_registry_and_discovery_see_only_their_namespace(client, prefix):
    with client.namespace(prefix + "a") as a, client.namespace(prefix + "b") as b:
        with etcd_cpp_rs.ServiceDiscovery(a, "/svc/") as da, etcd_cpp_rs.ServiceDiscovery(
            b, "/svc/"
        ) as db:
            assert da.wait_ready(5) and db.wait_ready(5)
            with etcd_cpp_rs.ServiceRegistry(a, ttl=30) as ra, etcd_cpp_rs.ServiceRegistry(
                b, ttl=30
            ) as rb:
                assert ra.add("/svc/1", "10.0.0.1:80").is_ok
                assert rb.add("/svc/2", "10.0.0.2:80").is_ok
                assert wait_until(lambda: da.snapshot() == {"/svc/1": "10.0.0.1:80"}, 5)
                assert wait_until(lambda: db.snapshot() == {"/svc/2": "10.0.0.2:80"}, 5)
                assert client.get(prefix + "a/svc/1").value.lease == ra.lease
                assert stored(client, prefix) == [prefix + "a/svc/1", prefix + "b/svc/2"]
            assert wait_until(lambda: da.snapshot() == {} and db.snapshot() == {}, 5)


def test_asyncio_client_in_a_namespace(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as plain:
            with plain.namespace(prefix + "aio") as ns:
                assert ns.namespace_prefix == (prefix + "aio").encode()
                assert (await ns.put("/k", "v")).is_ok
                r = await ns.get("/k")
                assert r.value.key == b"/k" and r.value.as_string() == "v"
                assert (await plain.get(prefix + "aio/k")).value.as_string() == "v"
                async with aio.ServiceDiscovery(ns, "/svc/") as view:
                    assert await view.wait_ready(5)
                    async with aio.ServiceRegistry(ns, ttl=30) as registry:
                        assert (await registry.add("/svc/1", "x")).is_ok
                        added = await view.next_change(5)
                        assert (added.kind, added.key) == ("added", b"/svc/1")

    asyncio.run(asyncio.wait_for(main(), 60))
