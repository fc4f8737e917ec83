"""The service-discovery scenario: one process registers two services under a 3 s lease that it
keeps alive; this process lists and watches them, and sees both DELETE events, with the previous
values, once the registrar has exited and its lease has expired. Then the example pairs (Python
and, when built, C) run through examples/check_examples.py, as the C++ pair does."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, wait_until

from etcd_cpp_rs import EventType

EXAMPLES = ROOT / "examples" / "python"
SERVICES = {"/service/user": b"127.0.0.1:8080", "/service/friend": b"127.0.0.1:9090"}


def child_env(endpoints):
    env = dict(os.environ, ETCD_ENDPOINTS=endpoints)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def test_service_discovery(client, endpoints, tmp_path):
    log = open(tmp_path / "registrar.log", "w+b")
    registrar = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLES / "registrar.py"),
            "--ttl",
            "3",
            "user=127.0.0.1:8080",
            "friend=127.0.0.1:9090",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=child_env(endpoints),
    )
    printed = lambda: (tmp_path / "registrar.log").read_bytes()  # noqa: E731
    try:
        assert wait_until(lambda: b"kept alive" in printed() or registrar.poll() is not None, 30)
        assert b"kept alive" in printed(), printed()
        started = time.monotonic()

        listing = client.ls("/service/")
        assert listing.is_ok
        assert {v.key.decode(): v.value for v in listing.values} == SERVICES
        lease = listing.values[0].lease
        assert lease != 0 and all(v.lease == lease for v in listing.values)

        deletes = []
        lock = threading.Lock()

        def on_change(response):
            with lock:
                deletes.extend(e for e in response.events if e.event_type == EventType.DELETE)

        with client.watch(
            "/service/", on_change, recursive=True, from_revision=listing.index + 1
        ) as watcher:
            # The lease is kept alive: the services outlive its 3 s TTL.
            wait_until(lambda: time.monotonic() - started > 4.5 or deletes, 10)
            assert not deletes
            assert len(client.ls("/service/").values) == 2

            registrar.send_signal(signal.SIGTERM)
            assert registrar.wait(30) == 0
            exited = time.monotonic()
            assert wait_until(lambda: len(deletes) >= 2, 15), "no DELETE events after the lease TTL"
            assert time.monotonic() - exited < 10
            watcher.cancel()
        with lock:
            seen = {e.kv.key.decode(): e.prev_kv.value for e in deletes}
        assert seen == SERVICES
        assert client.ls("/service/").values == []
    finally:
        if registrar.poll() is None:
            registrar.kill()
            registrar.wait()
        log.close()


def wrapper(tmp_path, name, command):
    """An executable that runs `command` (check_examples.py takes one program path)."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\nexec " + " ".join(f"'{c}'" for c in command) + ' "$@"\n')
    path.chmod(0o755)
    return str(path)


def run_check(scenario, registrar, discoverer, endpoints):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "check_examples.py"),
            scenario,
            registrar,
            discoverer,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=child_env(endpoints),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("scenario", ["discovery", "discovery-live"])
def test_python_example_pair(scenario, endpoints, tmp_path):
    registrar = wrapper(tmp_path, "registrar", [sys.executable, str(EXAMPLES / "registrar.py")])
    discoverer = wrapper(tmp_path, "discoverer", [sys.executable, str(EXAMPLES / "discoverer.py")])
    run_check(scenario, registrar, discoverer, endpoints)


def test_benchmark_runs(endpoints):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "bench.py"), "--count", "50", "--watch-count", "20"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=child_env(endpoints),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["seq_put", "seq_get", "watch_rtt"]
    assert all(
        line.startswith("python ") and "p50_us=" in line and "p99_us=" in line and "ops_s=" in line
        for line in lines
    )
