"""Client operations of the Python package against a real etcd: results, error codes and
messages as etcd-cpp-apiv3 reports them, bytes and str keys, leases."""

import pytest

import etcd_cpp_rs
from etcd_cpp_rs import Client


def test_put_get_and_previous_values(client, prefix):
    key = prefix + "k"
    first = client.put(key, "v1")
    assert first.is_ok and first.error_code == 0 and first.error_message == ""
    assert first.action == "set"
    assert first.index > 0
    assert first.prev_value.key == b""
    second = client.put(key, b"v2")
    assert second.prev_value.value == b"v1"
    assert second.index == first.index + 1

    got = client.get(key)
    assert got.action == "get"
    assert got.value.key == key.encode()
    assert got.value.value == b"v2" and got.value.as_string() == "v2"
    assert got.value.key_string == key
    assert (got.value.version, got.value.created_index, got.value.modified_index) == (
        2,
        first.index,
        second.index,
    )
    assert got.values == [] and got.keys == []
    assert client.get(key, revision=first.index).value.value == b"v1"
    assert client.set(key, "v3").prev_value.value == b"v2"

    missing = client.get(prefix + "missing")
    assert not missing.is_ok
    assert (missing.error_code, missing.error_message) == (
        etcd_cpp_rs.ERROR_KEY_NOT_FOUND,
        "etcd-cpp-apiv3: key not found",
    )

    removed = client.rm(key)
    assert removed.action == "delete" and removed.prev_value.value == b"v3"
    assert client.rm(key).error_code == 100


def test_binary_keys_and_values(client, prefix):
    key = prefix.encode() + b"a\0b\xff"
    value = b"\0\x01\xff\0"
    assert client.put(key, value).is_ok
    got = client.get(key)
    assert (got.value.key, got.value.value) == (key, value)
    assert client.get(key[:-1]).error_code == 100
    assert client.put(bytearray(key), memoryview(b"")).is_ok
    assert client.get(key).value.value == b""


def test_add_modify_and_compare(client, prefix):
    key = prefix + "k"
    created = client.add(key, "1")
    assert created.is_ok and created.action == "create" and created.value.value == b"1"
    exists = client.add(key, "2")
    assert (exists.error_code, exists.error_message) == (105, "etcd-cpp-apiv3: key already exists")
    assert exists.value.value == b"1"

    updated = client.modify(key, "2")
    assert updated.action == "update"
    assert (updated.value.value, updated.prev_value.value) == (b"2", b"1")
    assert client.modify(prefix + "missing", "x").error_code == 100

    swapped = client.modify_if(key, "3", "2")
    assert swapped.is_ok and swapped.action == "compareAndSwap"
    failed = client.modify_if(key, "4", b"2")
    assert (failed.error_code, failed.error_message) == (101, "etcd-cpp-apiv3: compare failed")
    assert failed.value.value == b"3"
    by_index = client.modify_if(key, "5", swapped.value.modified_index)
    assert by_index.is_ok
    assert client.modify_if(key, "6", by_index.value.modified_index - 1).error_code == 101

    refused = client.rm_if(key, "nope")
    assert refused.error_code == 101 and refused.action == "compareAndDelete"
    deleted = client.rm_if(key, by_index.value.modified_index)
    assert deleted.is_ok and deleted.prev_value.value == b"5"
    client.add(key, "again")
    assert client.rm_if(key, "again").is_ok


def test_ls_keys_rmdir(client, prefix):
    revisions = {}
    for name in "abcd":
        revisions[name] = client.put(prefix + name, name).index
    listing = client.ls(prefix)
    assert listing.is_ok
    assert listing.keys == [(prefix + n).encode() for n in "abcd"]
    assert [v.value for v in listing.values] == [b"a", b"b", b"c", b"d"]
    assert len(client.ls(prefix, limit=2).values) == 2
    assert len(client.ls(prefix, revision=revisions["b"]).values) == 2
    ranged = client.ls(prefix + "b", prefix + "d")
    assert ranged.keys == [(prefix + "b").encode(), (prefix + "c").encode()]

    only_keys = client.keys(prefix)
    assert only_keys.keys == listing.keys
    assert all(v.value == b"" for v in only_keys.values)
    assert len(client.keys(prefix + "b", prefix + "d", limit=1).keys) == 1

    assert len(client.rmdir(prefix + "a").values) == 1
    assert len(client.rmdir(prefix + "b", range_end=prefix + "d").values) == 2
    rest = client.rmdir(prefix, recursive=True)
    assert rest.action == "delete" and [v.value for v in rest.values] == [b"d"]
    empty = client.ls(prefix)
    assert empty.is_ok and empty.values == []
    assert client.rmdir(prefix, recursive=True).error_code == 100


def test_leases(client, prefix):
    granted = client.leasegrant(30)
    assert granted.is_ok and granted.action == "leasegrant"
    lease = granted.value.lease
    assert lease != 0 and granted.value.ttl == 30
    key = prefix + "k"
    client.put(key, "v", lease)
    assert client.get(key).value.lease == lease
    ttl = client.leasetimetolive(lease)
    assert ttl.value.lease == lease and 0 < ttl.value.ttl <= 30
    assert lease in client.leases().leases
    assert client.leaserevoke(lease).is_ok
    assert client.get(key).error_code == 100
    assert client.leaserevoke(lease).error_code == etcd_cpp_rs.ERROR_GRPC_NOT_FOUND


def test_head(client):
    head = client.head()
    assert head.is_ok and head.index > 0
    assert head.cluster_id != 0 and head.member_id != 0 and head.raft_term > 0


def test_errors_and_arguments(endpoints):
    with pytest.raises(etcd_cpp_rs.InvalidArgumentError):
        Client("not an endpoint")
    with pytest.raises(ValueError):
        Client([])
    with pytest.raises(etcd_cpp_rs.InvalidArgumentError):
        Client(endpoints, user="\udcff", password="x")  # not encodable as UTF-8

    unreachable = Client(["http://127.0.0.1:1"], connect_timeout=0.5)
    r = unreachable.get("/k")
    assert not r.is_ok and r.is_network_unavailable and r.error_code == 14
    assert r.error_message

    c = Client(endpoints.split(","), load_balancer="pick_first", timeout=5)
    with pytest.raises(TypeError):
        c.put(1, "v")
    c.close()
    c.close()
    with pytest.raises(etcd_cpp_rs.EtcdError, match="closed"):
        c.get("/k")


def test_client_is_usable_from_threads(client, prefix):
    import threading

    errors = []

    def work(n):
        for i in range(20):
            if not client.put(f"{prefix}{n}/{i}", str(i)).is_ok:
                errors.append((n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(client.keys(prefix).keys) == 80
