"""The election, asyncio service-discovery and asyncio benchmark examples, run as users run
them, against the test etcd; their output is checked."""

import os
import re
import subprocess
import sys

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "python"


def run_example(name, endpoints, *args):
    env = dict(os.environ, ETCD_ENDPOINTS=endpoints)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_election_example(endpoints):
    lines = run_example("election.py", endpoints, "--candidates", "3", "--hold", "0.1")
    observed = [line for line in lines if line.startswith("observer: ")]
    # Every candidate is elected once, announces itself and resigns; the observer sees each
    # leader (its announcement at least: a value replaced quickly may be skipped), one leader
    # after the other, in the order they were elected.
    leaders = [re.fullmatch(r"observer: leader is (node-\d) \((\w+)\)", line) for line in observed]
    assert all(leaders), observed
    working = [m.group(1) for m in leaders if m.group(2) == "working"]
    assert sorted(working) == ["node-1", "node-2", "node-3"], observed
    elected = [line.split(":")[0] for line in lines if line.endswith(": elected")]
    assert working == elected, lines
    names = working
    for name in names:
        assert f"{name}: elected" in lines and f"{name}: resigned" in lines
    assert lines[-1] == "election: every candidate served once"


def test_aio_discovery_example(endpoints):
    lines = run_example("aio_discovery.py", endpoints, "--services", "3", "--hold", "0.5")
    found = [line for line in lines if line.startswith("discoverer: ")]
    assert found[0] == "discoverer: 0 services at start"
    puts = sorted(line for line in found if " PUT " in line)
    deletes = sorted(line for line in found if " DELETE " in line)
    assert puts == [f"discoverer: PUT svc-{i} -> 127.0.0.1:{8000 + i}" for i in range(3)]
    assert deletes == [f"discoverer: DELETE svc-{i} (was 127.0.0.1:{8000 + i})" for i in range(3)]
    # Each service was registered before it was removed.
    for i in range(3):
        assert found.index(puts[i]) < found.index(deletes[i])
    assert lines[-1] == "aio_discovery: done"


def test_aio_benchmark_runs(endpoints):
    lines = run_example("bench_aio.py", endpoints, "--count", "200", "--rounds", "1")
    ours = [line for line in lines if line.startswith("aio etcd_cpp_rs ")]
    assert len(ours) == 2 and "ops_s=" in ours[0] and ours[1].startswith("aio etcd_cpp_rs best")
