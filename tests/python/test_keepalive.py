"""Keep-alives of the Python package: a lease outlives its TTL while kept alive, expires once
the KeepAlive is gone, and a lost lease is reported through check() and on_error."""

import threading
import time

import pytest
from conftest import wait_until

import etcd_cpp_rs


def exists(client, key):
    return client.get(key).is_ok


def test_lease_outlives_its_ttl_while_kept_alive(client, prefix):
    key = prefix + "k"
    with client.leasekeepalive(2) as keepalive:
        assert keepalive.lease != 0
        assert client.put(key, "v", keepalive.lease).is_ok
        started = time.monotonic()
        # Watch the key while twice the TTL goes by (or until it disappears, which fails).
        wait_until(lambda: not exists(client, key) or time.monotonic() - started > 4.5, 10)
        assert exists(client, key)
        assert time.monotonic() - started > 4.5
        keepalive.check()
        ttl = client.leasetimetolive(keepalive.lease).value.ttl
        assert 0 < ttl <= 2
    # Closed without revoking: the key goes once the lease expires.
    assert wait_until(lambda: not exists(client, key), 15)


def test_revoked_lease_is_reported(client):
    lease = client.leasegrant(10).value.lease
    errors = []
    reported = threading.Event()

    def on_error(error):
        errors.append(error)
        reported.set()

    keepalive = etcd_cpp_rs.KeepAlive(client, 10, lease, on_error=on_error)
    assert keepalive.lease == lease
    client.leaserevoke(lease)
    with pytest.raises(etcd_cpp_rs.LeaseExpiredError, match="expiration"):
        keepalive.check()
    with pytest.raises(etcd_cpp_rs.KeepAliveError):
        keepalive.check()
    assert reported.wait(15)
    assert len(errors) == 1 and isinstance(errors[0], etcd_cpp_rs.LeaseExpiredError)
    assert "expiration" in str(errors[0])
    keepalive.cancel()
    keepalive.close()
    keepalive.check()  # closed: nothing to report any more


def test_keepalive_arguments(client):
    with pytest.raises(etcd_cpp_rs.InvalidArgumentError):
        etcd_cpp_rs.KeepAlive(client, 0, 1)
    with pytest.raises(ValueError):
        client.leasekeepalive(0)


def test_leasekeepalive_reports_a_failed_grant():
    unreachable = etcd_cpp_rs.Client("http://127.0.0.1:1", connect_timeout=0.5)
    with pytest.raises(etcd_cpp_rs.KeepAliveError) as info:
        unreachable.leasekeepalive(5)
    assert str(info.value).startswith("Failed to grant the lease: error code: 14, message: ")
