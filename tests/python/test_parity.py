"""Transactions, locks, elections, members, maintenance and logging of the Python package (and
their asyncio variants) against a real etcd."""

import asyncio
import logging
import threading
import time

import pytest
from conftest import EtcdCluster, wait_until

import etcd_cpp_rs
from etcd_cpp_rs import ElectionError, EtcdError, Txn, aio

TIMEOUT = 15


# -- transactions ---------------------------------------------------------------------------------


def test_txn_success_branch(client, prefix):
    client.put(prefix + "color", "blue")
    client.put(prefix + "size", "1")
    txn = (
        Txn()
        .compare("value", prefix + "color", "==", "blue")
        .compare("version", prefix + "size", ">", 0)
        .compare("create", prefix + "missing", "==", 0)
        .compare("lease", prefix + "color", "==", 0)
        .then_put(prefix + "color", "green")
        .then_get(prefix, range_end=prefix + "\xff")
        .else_put(prefix + "color", "red")
    )
    response = client.txn(txn)
    assert response.is_ok and response.action == "txn", response
    assert client.get(prefix + "color").value.value == b"green"
    assert (prefix + "size").encode() in [v.key for v in response.values]


def test_txn_failure_branch_and_rerun(client, prefix):
    client.put(prefix + "k", "1")
    mod = client.get(prefix + "k").value.modified_index
    txn = (
        Txn()
        .compare("mod", prefix + "k", "==", mod)
        .then_put(prefix + "k", "2")
        .else_delete(prefix + "k", prev_kv=True)
    )
    assert client.txn(txn).is_ok
    # The same transaction again: the modification revision changed, the failure branch runs.
    again = client.txn(txn)
    assert again.error_code == etcd_cpp_rs.ERROR_COMPARE_FAILED
    assert client.get(prefix + "k").error_code == etcd_cpp_rs.ERROR_KEY_NOT_FOUND


def test_txn_nested_and_ranges(client, prefix):
    client.put(prefix + "a/1", "x")
    client.put(prefix + "a/2", "x")
    inner = Txn().compare("value", prefix + "a/1", "==", "x").then_put(prefix + "inner", "ran")
    outer = (
        Txn()
        .compare("version", prefix + "a/", ">", 0, range_end=prefix + "a0")
        .then_txn(inner)
        .then_delete(prefix + "a/", range_end=prefix + "a0")
        .else_txn(Txn().then_put(prefix + "else", "ran"))
    )
    assert client.txn(outer).is_ok
    assert client.get(prefix + "inner").value.value == b"ran"
    assert client.get(prefix + "else").error_code == 100
    assert client.ls(prefix + "a/").values == []


def test_txn_bad_input(client, prefix):
    with pytest.raises(ValueError):
        Txn().compare("colour", prefix, "==", 1)
    with pytest.raises(ValueError):
        Txn().compare("value", prefix, "=~", "x")
    with pytest.raises(TypeError):
        Txn().compare("version", prefix, "==", "one")
    with pytest.raises(TypeError):
        client.txn("not a txn")
    closed = Txn()
    closed.close()
    with pytest.raises(EtcdError):
        client.txn(closed)


# -- locks ----------------------------------------------------------------------------------------


def test_lock_excludes_other_holders(endpoints, client, prefix):
    name = prefix + "lock"
    order = []
    with client.lock(name, ttl=5) as held:
        assert held.key and held.key.startswith(name.encode())

        def other():
            with etcd_cpp_rs.Client(endpoints) as second, second.lock(name):
                order.append("second")

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)  # the second holder must still be waiting
        order.append("first done")
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert order == ["first done", "second"]
    assert held.key is None


def test_lock_with_a_lease_and_by_hand(client, prefix):
    lease = client.leasegrant(10).value.lease
    response = client.acquire_lock(prefix + "l", lease=lease)
    assert response.is_ok and response.value.lease == lease
    assert client.unlock(response.lock_key).is_ok
    with pytest.raises(etcd_cpp_rs.InvalidArgumentError):
        client.acquire_lock(prefix + "l", ttl=0)


def test_lock_of_a_server_that_is_down_raises(prefix):
    with etcd_cpp_rs.Client("http://127.0.0.1:1", connect_timeout=0.3, timeout=2) as down:
        with pytest.raises(etcd_cpp_rs.LockError) as raised, down.lock(prefix + "l"):
            pass
        assert raised.value.response.error_code in (4, 14)


# -- elections ------------------------------------------------------------------------------------


def test_election_campaign_proclaim_observe_resign(endpoints, client, prefix):
    election = client.election(prefix + "election")
    assert election.leader() is None
    with client.observe(prefix + "election") as observer, client.leasekeepalive(5) as ka:
        assert observer.poll() is None
        election.campaign("node-1", ka.lease)
        first = observer.next(TIMEOUT)
        assert first.value.value == b"node-1"
        assert election.leader().value == b"node-1"
        election.proclaim("node-1 busy")
        assert observer.next(TIMEOUT).value.value == b"node-1 busy"

        # A second candidate waits until the first resigns.
        other = etcd_cpp_rs.Client(endpoints)
        elected = []

        def campaign():
            with other.leasekeepalive(5) as ka2:
                other.election(prefix + "election").campaign("node-2", ka2.lease)
                elected.append(True)

        thread = threading.Thread(target=campaign)
        thread.start()
        time.sleep(0.5)
        assert not elected
        election.resign()
        thread.join(TIMEOUT)
        assert elected == [True]
        assert observer.next(TIMEOUT).value.value == b"node-2"
        other.close()
    with pytest.raises(ElectionError):
        election.proclaim("not leader")


def test_election_iterator(client, prefix):
    election = client.election(prefix + "e")
    with client.leasekeepalive(5) as ka:
        election.campaign("a", ka.lease)
        seen = []
        with election.observe() as observer:
            for leader in observer:
                seen.append(leader.value.value)
                if len(seen) == 1:
                    election.proclaim("b")
                else:
                    break
        assert seen == [b"a", b"b"]
        election.resign()


# -- members and maintenance ----------------------------------------------------------------------


def test_members_status_compact_defragment(client, endpoints, prefix):
    members = client.members()
    assert len(members) == len(endpoints.split(","))
    assert all(m.id and m.client_urls and m.peer_urls for m in members)

    status = client.status()
    assert status.is_ok, status
    assert status.status.version.startswith("3.")
    assert status.status.db_size > 0 and status.status.raft_index > 0
    assert status.status.leader in [m.id for m in members]
    one = endpoints.split(",")[0]
    assert one.endswith(client.status(one).status.endpoint)

    client.put(prefix + "k", "1")
    last = client.put(prefix + "k", "2").index
    compacted = client.compact(last, physical=True)
    assert compacted.is_ok and compacted.compact_revision == last
    assert client.get(prefix + "k", revision=last - 1).error_code == 11
    assert client.compact(last).error_code == 11  # already compacted

    defragmented = client.defragment(one)
    assert defragmented.is_ok, defragmented
    assert one.endswith(defragmented.status.endpoint)


def test_member_add_and_remove_a_learner():
    with EtcdCluster() as cluster, etcd_cpp_rs.Client(cluster.endpoints_string) as client:
        added = client.member_add(["http://127.0.0.1:1"], is_learner=True)
        assert added.is_ok, added
        learner = added.members[0]
        assert learner.is_learner and learner.peer_urls == ["http://127.0.0.1:1"]
        assert learner.id in [m.id for m in client.members()]
        assert client.member_remove(learner.id).is_ok
        assert learner.id not in [m.id for m in client.members()]
        assert not client.member_remove(learner.id).is_ok


def test_members_of_a_server_that_is_down_raise():
    with etcd_cpp_rs.Client("http://127.0.0.1:1", connect_timeout=0.3, timeout=2) as down:
        with pytest.raises(EtcdError) as raised:
            down.members()
        assert raised.value.response.error_code in (4, 14)
        assert not down.status().is_ok


# -- logging --------------------------------------------------------------------------------------


def test_library_messages_reach_the_logger(endpoints, caplog):
    """A call that fails over from an endpoint that is down to one that answers is logged as
    a warning of the etcd_cpp_rs logger, from a library thread."""

    def failover_warnings():
        return [
            r
            for r in caplog.records
            if r.name == "etcd_cpp_rs" and r.levelno == logging.WARNING and "instead" in r.message
        ]

    with caplog.at_level(logging.INFO, logger="etcd_cpp_rs"):
        spec = "http://127.0.0.1:1," + endpoints
        with etcd_cpp_rs.Client(spec, connect_timeout=0.3) as c:
            for _ in range(4):
                assert c.head().is_ok
        assert wait_until(failover_warnings, TIMEOUT), [r.message for r in caplog.records]
        assert failover_warnings()[0].threadName != "MainThread"

    # Above the level set, nothing is passed on.
    caplog.clear()
    etcd_cpp_rs.set_log_level(logging.ERROR)
    try:
        with caplog.at_level(logging.DEBUG, logger="etcd_cpp_rs"):
            with etcd_cpp_rs.Client(spec, connect_timeout=0.3) as c:
                for _ in range(4):
                    assert c.head().is_ok
            time.sleep(0.5)  # give a wrongly passed message the time to arrive
            assert not failover_warnings()
    finally:
        etcd_cpp_rs.set_log_level(logging.INFO)


def test_callback_exceptions_are_logged(client, prefix, caplog):
    def broken(_response):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="etcd_cpp_rs"):
        with client.watch(prefix, broken, recursive=True):
            client.put(prefix + "k", "v")
            assert wait_until(
                lambda: any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records),
                TIMEOUT,
            )


# -- asyncio variants -----------------------------------------------------------------------------


def test_aio_txn_lock_election_maintenance(endpoints, prefix):
    async def main():
        async with aio.Client(endpoints) as client:
            await client.put(prefix + "k", "1")
            txn = Txn().compare("value", prefix + "k", "==", "1").then_put(prefix + "k", "2")
            assert (await client.txn(txn)).is_ok
            assert (await client.get(prefix + "k")).value.value == b"2"

            async with client.lock(prefix + "lock") as held:
                assert held.key
                second = asyncio.ensure_future(client.acquire_lock(prefix + "lock"))
                await asyncio.sleep(0.3)
                assert not second.done()
            taken = await asyncio.wait_for(second, TIMEOUT)
            assert taken.is_ok
            assert (await client.unlock(taken.lock_key)).is_ok

            # Cancelling a lock that waits abandons it.
            async with client.lock(prefix + "lock2"):
                waiting = asyncio.ensure_future(client.acquire_lock(prefix + "lock2", ttl=2))
                await asyncio.sleep(0.2)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting

            async with client.leasekeepalive(5) as ka, client.observe(prefix + "e") as observer:
                assert await observer.next(0.1) is None
                won = await client.campaign(prefix + "e", ka.lease, "me")
                assert won.is_ok
                async for leader in observer:
                    assert leader.value.value == b"me"
                    break
                assert (await client.leader(prefix + "e")).value.value == b"me"
                own = won.value
                assert (
                    await client.resign(prefix + "e", own.lease, own.key, own.created_index)
                ).is_ok

            assert await client.members()
            assert (await client.status()).status.version.startswith("3.")
            head = (await client.head()).index
            assert (await client.compact(head)).is_ok
            assert (await client.defragment()).is_ok

    asyncio.run(asyncio.wait_for(main(), 60))
