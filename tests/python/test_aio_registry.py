"""etcd_cpp_rs.aio.ServiceRegistry and ServiceDiscovery against a real etcd: an entry registered
reaches a discovery view as an "added" change, a removal arrives with the previous value, closing
the registry revokes its lease so the view sees the deletion at once, a revoked lease is replaced
and reported on the loop, cancelling a task waiting for a change loses nothing, bad arguments,
a cluster that does not answer."""

import asyncio
import threading
import time

import pytest

import etcd_cpp_rs
from etcd_cpp_rs import aio
from etcd_harness import free_port

TIMEOUT = 10


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def contents(client, prefix):
    r = await client.ls(prefix)
    assert r.is_ok
    return {v.key_string: v.as_string() for v in r.values}


def test_registered_entry_reaches_discovery_and_removal_has_previous_value(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            await client.put(prefix + "old", "10.0.0.9:80")
            async with aio.ServiceDiscovery(client, prefix) as view:
                assert await view.wait_ready(TIMEOUT)
                first = await view.next_change(TIMEOUT)
                assert (first.kind, first.key, first.value.value, first.prev) == (
                    "added",
                    (prefix + "old").encode(),
                    b"10.0.0.9:80",
                    None,
                )
                async with aio.ServiceRegistry(client, ttl=30) as registry:
                    assert registry.lease != 0
                    put = await registry.add(prefix + "a", "10.0.0.1:80")
                    assert put.is_ok
                    added = await view.next_change(TIMEOUT)
                    assert added.kind == "added"
                    assert added.key == (prefix + "a").encode()
                    assert added.value.value == b"10.0.0.1:80"
                    assert added.value.lease == registry.lease
                    assert (await registry.add(prefix + "a", b"10.0.0.2:80")).is_ok
                    updated = await view.next_change(TIMEOUT)
                    assert updated.kind == "updated"
                    assert (updated.prev.value, updated.value.value) == (
                        b"10.0.0.1:80",
                        b"10.0.0.2:80",
                    )
                    assert (await registry.remove(prefix + "a")).is_ok
                    removed = await view.next_change(TIMEOUT)
                    assert removed.kind == "removed"
                    assert removed.key == (prefix + "a").encode()
                    assert removed.prev.value == b"10.0.0.2:80"
                    assert view.snapshot() == {prefix + "old": "10.0.0.9:80"}
                    assert view.snapshot() == await contents(client, prefix)
                    assert view.revision > 0
                    assert [v.key_string for v in view.values()] == [prefix + "old"]
            # Closed: iteration ends.
            assert await view.next_change(TIMEOUT) is None
            assert [c async for c in view] == []

    run(main())


async def close_and_watch_removals(endpoints, prefix, count):
    """Registers ``count`` entries with a TTL of 30 s, closes the registry and returns the
    removals the view reported within 10 s and how long the first took."""
    async with aio.Client(endpoints) as client:
        async with aio.ServiceDiscovery(client, prefix) as view:
            assert await view.wait_ready(TIMEOUT)
            registry = await aio.ServiceRegistry(client, ttl=30)
            for i in range(count):
                assert (await registry.add(f"{prefix}{i}", f"10.0.0.{i}:80")).is_ok
            seen = [await view.next_change(TIMEOUT) for _ in range(count)]
            assert [c.kind for c in seen] == ["added"] * count
            lease = registry.lease
            start = time.monotonic()
            await registry.close()
            assert registry.lease == 0
            removed = [await view.next_change(TIMEOUT)]
            took = time.monotonic() - start
            # The lease was revoked, not left to expire: etcd holds none of the entries.
            assert (await client.leasetimetolive(lease)).value.ttl == -1
            assert await contents(client, prefix) == {}
            await registry.close()  # idempotent
            with pytest.raises(etcd_cpp_rs.EtcdError):
                await registry.add(prefix + "late", "x")
            while len(removed) < count:
                try:
                    removed.append(await view.next_change(TIMEOUT))
                except asyncio.TimeoutError:
                    break
            return removed, took, view.snapshot()


def test_close_revokes_the_lease_so_the_view_sees_the_delete_at_once(endpoints, prefix):
    removed, took, snapshot = run(close_and_watch_removals(endpoints, prefix, 1))
    assert [(c.kind, c.key, c.prev.value) for c in removed] == [
        ("removed", f"{prefix}0".encode(), b"10.0.0.0:80")
    ]
    # Well before the 30 s TTL.
    assert took < 2.0, took
    assert snapshot == {}


def test_close_with_several_entries_reports_every_delete(endpoints, prefix):
    removed, took, snapshot = run(close_and_watch_removals(endpoints, prefix, 3))
    assert took < 2.0, took
    assert sorted((c.kind, c.key, c.prev.value) for c in removed) == [
        ("removed", f"{prefix}{i}".encode(), f"10.0.0.{i}:80".encode()) for i in range(3)
    ]
    assert snapshot == {}


def test_revoked_lease_is_replaced_and_reported_on_the_loop(endpoints, prefix):
    async def main():
        loop_thread = threading.current_thread()
        reported = asyncio.Event()
        seen = []

        def on_reregistered(old, new):
            seen.append((old, new, threading.current_thread() is loop_thread))
            reported.set()

        async with aio.Client(endpoints) as client:
            async with aio.ServiceRegistry(client, 30, on_reregistered) as registry:
                assert (await registry.add(prefix + "a", "addr")).is_ok
                old = registry.lease
                assert (await client.leaserevoke(old)).is_ok
                await asyncio.wait_for(reported.wait(), TIMEOUT)
                assert seen == [(old, registry.lease, True)]
                assert registry.lease not in (0, old)
                got = await client.get(prefix + "a")
                assert got.is_ok and got.value.lease == registry.lease

    run(main())


def test_cancelling_a_task_waiting_for_a_change_is_clean(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            async with aio.ServiceDiscovery(client, prefix) as view:
                assert await view.wait_ready(TIMEOUT)

                async def follow():
                    async for change in view:
                        return change

                task = asyncio.ensure_future(follow())
                await asyncio.sleep(0.05)
                assert not task.done()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                # The view goes on: the next change reaches the next reader, none is lost.
                assert (await client.put(prefix + "k", "v")).is_ok
                change = await view.next_change(TIMEOUT)
                assert (change.kind, change.key, change.value.value) == (
                    "added",
                    (prefix + "k").encode(),
                    b"v",
                )
                with pytest.raises(asyncio.TimeoutError):
                    await view.next_change(0.05)
                # Cancelling the task that awaits a registry write stops the waiting, not the
                # write, and the registry stays usable.
                registry = await aio.ServiceRegistry(client, ttl=30)
                write = asyncio.ensure_future(registry.add(prefix + "r", "1"))
                await asyncio.sleep(0)
                write.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await write
                assert (await registry.add(prefix + "s", "2")).is_ok
                assert (await contents(client, prefix)) == {
                    prefix + "k": "v",
                    prefix + "r": "1",
                    prefix + "s": "2",
                }
                await registry.close()

    run(main())


def test_calls_share_one_thread_per_registry_and_none_when_idle(endpoints, prefix):
    def registry_threads():
        return [t for t in threading.enumerate() if t.name == "etcd-aio-registry"]

    async def main():
        # Threads of the registries of earlier tests end after their second of idleness.
        deadline = time.monotonic() + 5
        while registry_threads() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert registry_threads() == []
        async with aio.Client(endpoints) as client:
            registry = aio.ServiceRegistry(client, ttl=30)  # queued before the grant
            results = await asyncio.gather(
                *(registry.add(f"{prefix}{i}", str(i)) for i in range(20))
            )
            assert all(r.is_ok for r in results)
            for i in range(5):
                assert (await registry.remove(f"{prefix}{i}")).is_ok
            assert len(registry_threads()) == 1
            assert len(await contents(client, prefix)) == 15
            await registry.close()
            assert await contents(client, prefix) == {}
            deadline = time.monotonic() + 5
            while registry_threads() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert registry_threads() == []

    run(main())


def test_bad_arguments(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            with pytest.raises(OverflowError):
                aio.ServiceRegistry(client, ttl=0)
            with pytest.raises(TypeError):
                aio.ServiceRegistry(client, ttl=5, on_reregistered=3)
            with pytest.raises(TypeError):
                aio.ServiceDiscovery(client, 42)
            async with aio.ServiceRegistry(client, ttl=5) as registry:
                with pytest.raises(TypeError):
                    await registry.add(prefix + "k", 5)
                with pytest.raises(TypeError):
                    await registry.remove(None)

    run(main())
    with pytest.raises(RuntimeError):  # outside a running loop
        aio.ServiceDiscovery(None, "/x/")


def test_unreachable_cluster_neither_blocks_the_loop_nor_close():
    async def main():
        async with aio.Client(f"http://127.0.0.1:{free_port()}", timeout=1) as client:
            ticks = 0

            async def ticker():
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            tick = asyncio.ensure_future(ticker())
            view = aio.ServiceDiscovery(client, "/none/")
            assert not await view.wait_ready(0.3)
            registry = aio.ServiceRegistry(client, ttl=5)
            added = await registry.add("/none/a", "x")
            assert not added.is_ok
            # The loop went on while the grant and the write were waiting for the timeout.
            assert ticks > 20, ticks
            start = time.monotonic()
            await registry.close()
            view.close()
            assert time.monotonic() - start < 2.5
            assert await view.next_change(1) is None
            tick.cancel()

    run(main())
