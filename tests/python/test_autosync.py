"""Endpoint auto-sync (opt-in): a client given one member's endpoint learns the others from the
member list and keeps working through them when that member dies."""

import time

import pytest

import etcd_cpp_rs
from etcd_harness import EtcdCluster, wait_until


def _host_ports(cluster):
    return sorted(e.split("://", 1)[1] for e in cluster.endpoints)


@pytest.fixture(scope="module")
def cluster():
    with EtcdCluster(members=3) as c:
        yield c


def test_auto_sync_learns_members_and_survives_the_first_ones_death(cluster):
    everyone = _host_ports(cluster)
    first = cluster.endpoints[0]
    with etcd_cpp_rs.Client(first, auto_sync_interval=0.2) as client:
        assert wait_until(lambda: sorted(client.endpoints()) == everyone, 10), client.endpoints()

        seen = []

        def on_events(response):
            seen.extend(e.kv.as_string() for e in response.events)

        watcher = client.watch("/py-autosync/", on_events, recursive=True)
        try:
            assert wait_until(
                lambda: client.put("/py-autosync/k", "before").is_ok and "before" in seen, 15
            )
            cluster.kill(0)
            # Calls in flight while the survivors elect a new leader may time out in etcd
            # itself; what is tested is that the learned members serve once they have one.
            assert wait_until(lambda: all(cluster.healthy(e) for e in cluster.endpoints[1:]), 20)
            for i in range(10):
                put = client.put("/py-autosync/k", f"after-{i}")
                assert put.is_ok, (i, put.error_code, put.error_message)
                get = client.get("/py-autosync/k")
                assert get.is_ok, (i, get.error_code, get.error_message)
                assert get.value.as_string() == f"after-{i}"
            assert wait_until(lambda: "after-9" in seen, 15), seen
        finally:
            watcher.cancel()
        assert sorted(client.endpoints()) == everyone


def test_without_auto_sync_the_list_stays_until_sync_endpoints(cluster):
    # Member 0 may have been killed by the test above; member 1 serves either way.
    second = cluster.endpoints[1]
    with etcd_cpp_rs.Client(second) as client:
        given = [second.split("://", 1)[1]]
        until = time.monotonic() + 1.0
        while time.monotonic() < until:
            assert client.endpoints() == given
            time.sleep(0.05)
        response = client.sync_endpoints()
        assert response.is_ok, (response.error_code, response.error_message)
        assert response.action == "syncendpoints"
        assert len(response.members) == 3
        assert sorted(client.endpoints()) == _host_ports(cluster)


def test_failed_sync_keeps_the_list():
    with EtcdCluster() as single:
        with etcd_cpp_rs.Client(single.endpoints[0], connect_timeout=0.5) as client:
            single.kill(0)
            response = client.sync_endpoints()
            assert not response.is_ok
            assert client.endpoints() == [single.endpoints[0].split("://", 1)[1]]


def test_auto_sync_interval_is_checked():
    with pytest.raises(ValueError):
        etcd_cpp_rs.Client("http://127.0.0.1:1", auto_sync_interval=-1)
    with pytest.raises(TypeError):
        etcd_cpp_rs.Client("http://127.0.0.1:1", auto_sync_interval="1")
