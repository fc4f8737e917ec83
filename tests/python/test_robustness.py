"""The Python package at its edges: Ctrl-C during a blocking call on a server that never
answers, integers that do not fit the C types, and arguments of the wrong type or value, all
refused before any C call."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import etcd_cpp_rs
from etcd_cpp_rs import Client

PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"

# Runs in a child process: a blocking get() on a server that accepts TCP connections and never
# answers, interrupted by SIGINT from a timer. Prints how long the call had been blocked when the
# signal came and how long the KeyboardInterrupt took to arrive after it.
_INTERRUPT_CHILD = textwrap.dedent("""
    import json, os, signal, socket, sys, threading, time
    if not os.environ.get("ETCD_CPP_RS_TEST_INSTALLED"):
        sys.path.insert(0, sys.argv[1])
    import etcd_cpp_rs

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # connections complete in the backlog; nothing is ever read or written
    port = server.getsockname()[1]
    client = etcd_cpp_rs.Client(f"http://127.0.0.1:{port}", timeout=10, connect_timeout=10)
    sent = {}

    def interrupt():
        sent["at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    started = time.monotonic()
    threading.Timer(float(sys.argv[2]), interrupt).start()
    result = {"method": sys.argv[3]}
    try:
        if sys.argv[3] == "get":
            client.get("/never")
        elif sys.argv[3] == "watch":
            client.watch("/never", lambda response: None)
        elif sys.argv[3] == "leasekeepalive":
            client.leasekeepalive(5)
        else:
            client.put("/never", "v")
        result["outcome"] = "returned"
    except KeyboardInterrupt:
        result["outcome"] = "interrupted"
        result["blocked"] = sent["at"] - started
        result["latency"] = time.monotonic() - sent["at"]
    result["total"] = time.monotonic() - started
    client.close()
    print(json.dumps(result), flush=True)
""")


@pytest.mark.parametrize("method", ["get", "put", "watch", "leasekeepalive"])
def test_ctrl_c_interrupts_a_blocking_call_quickly(method):
    import json

    delay = 0.5
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_CHILD, str(PYTHON_DIR), str(delay), method],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # The call was still blocked when the signal came (the server never answers, the timeout is
    # 10 s), and the KeyboardInterrupt came out of it within 0.2 s.
    assert result["outcome"] == "interrupted", result
    assert result["blocked"] >= delay * 0.9, result
    assert result["latency"] < 0.2, result
    assert result["total"] < 5, result
    # Nothing was printed by the library.
    assert proc.stderr == "", proc.stderr


def test_integers_out_of_range_raise_before_any_call(client, prefix):
    key = prefix + "k"
    with pytest.raises(OverflowError):
        client.put(key, "v", lease=2**70)
    with pytest.raises(OverflowError):
        client.put(key, "v", lease=-1)
    with pytest.raises(OverflowError):
        client.add(key, "v", lease=2**63)
    with pytest.raises(OverflowError):
        client.modify(key, "v", lease=-5)
    with pytest.raises(OverflowError):
        client.modify_if(key, "v", 2**64)
    with pytest.raises(OverflowError):
        client.modify_if(key, "v", "old", lease=2**64)
    with pytest.raises(OverflowError):
        client.rm_if(key, -1)
    with pytest.raises(OverflowError):
        client.get(key, revision=2**63)
    with pytest.raises(OverflowError):
        client.get(key, revision=-1)
    with pytest.raises(OverflowError):
        client.ls(prefix, limit=-1)
    with pytest.raises(OverflowError):
        client.keys(prefix, revision=2**80)
    with pytest.raises(OverflowError):
        client.leasegrant(2**64 + 5)
    with pytest.raises(OverflowError):
        client.leaserevoke(2**63)
    with pytest.raises(OverflowError):
        client.leasetimetolive(-2)
    with pytest.raises(OverflowError):
        client.leasekeepalive(2**70)
    with pytest.raises(OverflowError):
        client.watch(key, lambda r: None, from_revision=2**63)
    with pytest.raises(OverflowError):
        etcd_cpp_rs.KeepAlive(client, 10, lease_id=2**64)
    with pytest.raises(OverflowError):
        Client("http://127.0.0.1:1", auth_token_ttl=2**63)
    with pytest.raises(OverflowError):
        Client("http://127.0.0.1:1", timeout=1e300)
    # None of them wrote anything (a wrapped lease would have written the key with no lease).
    assert client.get(key).error_code == etcd_cpp_rs.ERROR_KEY_NOT_FOUND
    # The largest values are accepted.
    assert client.get(key, revision=2**63 - 1).error_code != 0
    assert client.put(key, "v", lease=0).is_ok


def test_wrong_types_raise_type_error(client, prefix):
    key = prefix + "k"
    for bad in (None, 5, b"http://127.0.0.1:2379", ["http://127.0.0.1:2379", 7]):
        with pytest.raises(TypeError):
            Client(bad)
    with pytest.raises(TypeError):
        Client("http://127.0.0.1:1", timeout="x")
    with pytest.raises(TypeError):
        Client("http://127.0.0.1:1", connect_timeout=True)
    with pytest.raises(TypeError):
        Client("http://127.0.0.1:1", user=5, password="p")
    with pytest.raises(TypeError):
        Client("http://127.0.0.1:1", auth_token_ttl=1.5)
    with pytest.raises(TypeError):
        client.watch(key, callback=5)
    with pytest.raises(TypeError):
        etcd_cpp_rs.Watcher(client, key, "not callable")
    with pytest.raises(TypeError):
        client.leasekeepalive(5, on_error=object())
    with pytest.raises(TypeError):
        client.put(key, "v", lease=1.0)
    with pytest.raises(TypeError):
        client.put(key, "v", lease="1")
    with pytest.raises(TypeError):
        client.put(key, "v", lease=True)
    with pytest.raises(TypeError):
        client.get(key, revision=None)
    with pytest.raises(TypeError):
        client.put(key, 5)
    with pytest.raises(TypeError):
        client.put(None, "v")
    assert client.get(key).error_code == etcd_cpp_rs.ERROR_KEY_NOT_FOUND


def test_wrong_values_raise_value_error(client, prefix):
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:2379\0http://127.0.0.1:1")
    with pytest.raises(ValueError):
        Client(["http://127.0.0.1:1", "http://127.0.0.1:2\0"])
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1", user="a\0b", password="p")
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1", ca="/tmp/ca\0.pem")
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1", load_balancer="round_robin\0")
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1", timeout=-1)
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1", timeout=float("nan"))
    # No usable endpoint at all: the library's own check.
    with pytest.raises(etcd_cpp_rs.InvalidArgumentError):
        Client("")
    # Keys are bytes with a length: a NUL inside one is just a byte.
    key = prefix + "with\0nul"
    assert client.put(key, "v\0w").is_ok
    got = client.get(key)
    assert got.value.key == key.encode() and got.value.value == b"v\0w"


def test_timeouts_in_milliseconds():
    import etcd_cpp_rs.client as impl

    # Below a millisecond is still a timeout, not "no timeout" (which 0 ms means to the library).
    assert impl._milliseconds(0.0001, "timeout") == 1
    assert impl._milliseconds(1.5, "timeout") == 1500
    assert impl._milliseconds(2, "timeout") == 2000
    assert impl._milliseconds(0, "timeout") == 0
    assert impl._milliseconds(None, "timeout") == 0


def test_integer_like_values_are_accepted(client, prefix):
    class Revision:
        def __index__(self):
            return 0

    key = prefix + "k"
    assert client.put(key, "v").is_ok
    assert client.get(key, revision=Revision()).value.value == b"v"


def test_interrupted_call_leaves_the_client_usable(client, prefix, endpoints):
    # A call abandoned by an exception in the wait loop is freed, and the client goes on.
    import etcd_cpp_rs.client as impl

    original = impl._finish
    calls = []

    def interrupted(call, what):
        calls.append(what)
        raise KeyboardInterrupt

    impl._finish = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            client.put(prefix + "k", "v")
    finally:
        impl._finish = original
    assert calls == ["etcd_client_put"]
    assert client.put(prefix + "k2", "v").is_ok
