"""etcd_cpp_rs.aio against a real etcd: operations as coroutines completed from the library's
callback threads, concurrency without a thread per call, cancellation, watchers as async
iterators and keep-alives as async context managers."""

import asyncio
import json
import os
import socket
import urllib.request

import pytest

from etcd_cpp_rs import EventType, KeepAliveError, WatchError, aio
from etcd_cpp_rs import aio as aio_module

TIMEOUT = 15


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def os_threads():
    return len(os.listdir("/proc/self/task"))


@pytest.fixture
def silent_endpoint():
    """An endpoint that accepts TCP connections and never answers: calls to it stay pending."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_operations_are_coroutines(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            assert asyncio.iscoroutinefunction(client.put)
            put = await client.put(prefix + "a", "1")
            assert put.is_ok and put.action == "set"
            got = await client.get(prefix + "a")
            assert got.value.value == b"1"
            assert (await client.add(prefix + "a", "2")).error_code == 105
            assert (await client.modify_if(prefix + "a", "3", "1")).is_ok
            assert (await client.modify_if(prefix + "a", "4", "1")).error_code == 101
            assert (await client.get(prefix + "missing")).error_code == 100
            assert [v.key for v in (await client.ls(prefix)).values] == [(prefix + "a").encode()]
            assert (await client.keys(prefix)).keys == [(prefix + "a").encode()]
            assert (await client.rm(prefix + "a")).prev_value.value == b"3"
            lease = (await client.leasegrant(30)).value.lease
            assert lease in (await client.leases()).leases
            assert (await client.leasetimetolive(lease)).value.ttl > 0
            assert (await client.leaserevoke(lease)).is_ok
            assert (await client.head()).index > 0
            with pytest.raises(TypeError):
                await client.put(prefix + "a", 5)

    run(main())


def test_concurrent_calls_complete_without_a_thread_each(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            await client.head()
            before = os_threads()
            peak = before

            async def put(i):
                nonlocal peak
                response = await client.put(f"{prefix}{i}", str(i))
                peak = max(peak, os_threads())
                return response

            results = await asyncio.gather(*(put(i) for i in range(2000)))
            assert all(r.is_ok for r in results)
            # A few callback threads at most, not one per call.
            assert peak - before < 64, (before, peak)
            listed = await client.ls(prefix)
            assert len(listed.values) == 2000
            assert not aio_module._pending

    run(main())


def test_cancelling_the_task_abandons_the_call(silent_endpoint, endpoints, prefix):
    async def main():
        loop = asyncio.get_running_loop()
        errors = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        async with aio.Client(silent_endpoint) as silent:
            task = asyncio.ensure_future(silent.get(prefix + "k"))
            await asyncio.sleep(0.2)
            assert not task.done()  # the call really is pending
            assert len(aio_module._pending) == 1
            started = loop.time()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert loop.time() - started < 1.0
            await asyncio.sleep(0)  # the future's done callbacks
            assert not aio_module._pending, "the call was not freed"

            # wait_for's timeout cancels the same way.
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(silent.put(prefix + "k", "v"), 0.1)
            await asyncio.sleep(0)
            assert not aio_module._pending

        # Many calls in flight against a real etcd, cancelled at once: nothing is left over and
        # nothing is reported to the loop (no result set on a cancelled future).
        async with aio.Client(endpoints) as client:
            tasks = [asyncio.ensure_future(client.put(f"{prefix}c{i}", "v")) for i in range(500)]
            await asyncio.sleep(0)
            for task in tasks[::2]:
                task.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) or r.is_ok for r in done), done[:3]
            assert any(isinstance(r, asyncio.CancelledError) for r in done)
            await asyncio.sleep(0.2)  # completions that arrive after the cancellations
            assert not aio_module._pending
            assert (await client.put(prefix + "after", "ok")).is_ok
        assert not errors, errors

    run(main())


def test_calls_to_a_server_that_is_down_report_unavailable(prefix):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main():
        async with aio.Client(f"http://127.0.0.1:{port}", connect_timeout=0.5) as client:
            response = await client.get(prefix + "k")
            assert response.error_code == 14

    run(main())


def test_closed_client_raises(endpoints):
    async def main():
        client = aio.Client(endpoints)
        client.close()
        with pytest.raises(aio_module.EtcdError):
            await client.head()

    run(main())


def test_watcher_is_an_async_iterator(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            async with client.watch(prefix, recursive=True) as watcher:
                await client.put(prefix + "a", "1")
                await client.put(prefix + "b", "2")
                await client.rm(prefix + "a")
                seen = []
                async for event in watcher:
                    seen.append(event)
                    if len(seen) == 3:
                        watcher.cancel()
            assert [e.event_type for e in seen] == [EventType.PUT, EventType.PUT, EventType.DELETE]
            assert [e.kv.key for e in seen] == [(prefix + k).encode() for k in "aba"]
            assert seen[2].prev_kv.value == b"1"
            assert watcher.ended

            # await form, history from a revision, a range, and a timeout on next_event.
            start = (await client.put(prefix + "r/x", "0")).index
            watcher = await client.watch(
                prefix + "r/", range_end=prefix + "r/y", from_revision=start
            )
            first = await watcher.next_event(TIMEOUT)
            assert first.kv.value == b"0"
            with pytest.raises(asyncio.TimeoutError):
                await watcher.next_event(0.2)
            watcher.close()
            assert await watcher.next_event(TIMEOUT) is None

    run(main())


def _compact(endpoint, revision):
    """Compacts etcd's history up to ``revision`` through its JSON gateway."""
    request = urllib.request.Request(
        endpoint + "/v3/kv/compaction",
        data=json.dumps({"revision": str(revision), "physical": True}).encode(),
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_watch_of_a_compacted_revision_raises(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            first = (await client.put(prefix + "k", "1")).index
            await client.put(prefix + "k", "2")
            last = (await client.put(prefix + "k", "3")).index
            _compact(endpoints.split(",")[0], last)
            watcher = await client.watch(prefix + "k", from_revision=first)
            with pytest.raises(WatchError) as raised:
                async for _event in watcher:
                    pass
            assert raised.value.response.error_code == 11
            watcher.close()

    run(main())


def test_keepalive_is_an_async_context_manager(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            async with client.leasekeepalive(2) as keepalive:
                assert keepalive.lease > 0
                await client.put(prefix + "svc", "up", keepalive.lease)
                await asyncio.sleep(3)  # longer than the TTL: refreshed meanwhile
                assert (await client.get(prefix + "svc")).is_ok
                keepalive.check()
            # Stopped, not revoked: the lease still exists until its TTL runs out.
            assert (await client.leasetimetolive(keepalive.lease)).value.ttl > 0

            # A revoked lease ends the keep-alive with an error delivered on the loop.
            errors = []
            keepalive = await client.leasekeepalive(1, errors.append)
            await client.leaserevoke(keepalive.lease)
            for _ in range(200):
                if errors:
                    break
                await asyncio.sleep(0.05)
            assert errors and isinstance(errors[0], KeepAliveError)
            with pytest.raises(KeepAliveError):
                keepalive.check()
            keepalive.close()

            with pytest.raises(aio_module.InvalidArgumentError):
                client.leasekeepalive(0)

    run(main())
