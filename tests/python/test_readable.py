"""str() and repr() of the result types read as what they are: an event type prints DELETE (not
1) on every Python version the package supports (IntEnum's str() changed in 3.11), values print
as ``key = value``, events and responses as one-line summaries."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from etcd_cpp_rs import EventType, Response, Value

TIMEOUT = 15

# What the checks below print under another interpreter (see test_every_installed_python).
SCRIPT = """
from etcd_cpp_rs import EventType, Event, Value
e = EventType.DELETE
print(str(e), f"{e}", "%s" % e, "{}".format(e), f"{e:d}", repr(e), str(EventType.PUT))
print(Event(EventType.DELETE, Value(key=b"/k"), Value(key=b"/k", value=b"v")))
"""
EXPECTED = "DELETE DELETE DELETE DELETE 1 <EventType.DELETE: 1> PUT\nDELETE /k (was v)\n"


def test_event_type_prints_its_name():
    delete = EventType.DELETE
    assert str(delete) == "DELETE"
    assert f"{delete}" == "DELETE"
    assert "%s" % delete == "DELETE"  # noqa: UP031
    assert f"{delete:>8}" == "  DELETE"
    assert repr(delete) == "<EventType.DELETE: 1>"
    # Still an int where an int is asked for.
    assert delete == 1 and int(delete) == 1
    assert f"{delete:d}" == "1" and f"{delete:03d}" == "001"
    assert str(EventType.PUT) == "PUT" and str(EventType.INVALID) == "INVALID"


def _pythons():
    """Interpreters of supported versions (3.8+) on this machine other than the running one,
    found on PATH and in pyenv's versions directory."""
    found = {}
    names = [f"python3.{minor}" for minor in range(8, 20)]
    candidates = [p for p in (shutil.which(n) for n in names) if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(d / "bin" / "python3") for d in sorted(pyenv.iterdir())]
    for path in candidates:
        try:
            out = subprocess.run(
                [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        version = out.stdout.strip()
        if out.returncode or not version:
            continue
        major, minor = map(int, version.split("."))
        if (major, minor) >= (3, 8) and version != "{}.{}".format(*sys.version_info[:2]):
            found.setdefault(version, path)
    return found


def test_every_installed_python_prints_names():
    """The same checks under each other interpreter of a supported version found here (pyenv
    installs several); skipped when there is none."""
    pythons = _pythons()
    if not pythons:
        pytest.skip("no other Python 3.8+ interpreter on this machine")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(ROOT / "python"), env.get("PYTHONPATH", "")] if p
    )
    if os.environ.get("ETCD_CPP_RS_TEST_INSTALLED"):
        pytest.skip("the package is installed for this interpreter only")
    from etcd_cpp_rs import library_path

    env["ETCD_CPP_RS_LIBRARY"] = library_path
    results = {}
    for version, path in sorted(pythons.items()):
        out = subprocess.run(
            [path, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60
        )
        results[version] = out.stdout if out.returncode == 0 else out.stderr
    assert results == {version: EXPECTED for version in results}


def test_value_str_and_repr():
    value = Value(key=b"/config/color", value=b"blue", created_index=4, modified_index=5)
    assert str(value) == "/config/color = blue"
    assert repr(value) == (
        "Value(key=b'/config/color', value=b'blue', created_index=4, modified_index=5)"
    )
    assert str(Value(key=b"/k", value=b"\xff\x00", lease=7)) == "/k = b'\\xff\\x00' (lease 7)"
    assert eval(repr(value)) == value


def test_error_response_reads_as_an_error():
    response = Response(error_code=100, error_message="Key not found", action="get", index=9)
    assert str(response) == "Response(error 100: Key not found, get, revision 9)"
    assert repr(response) == (
        "Response(error_code=100, error_message='Key not found', action='get', index=9)"
    )


def test_real_results_read_as_what_they_are(client, prefix):
    key = prefix + "color"
    put = client.put(key, "blue")
    assert put.is_ok
    got = client.get(key)
    assert str(got.value) == f"{key} = blue"
    assert str(got) == f"Response(ok, get, revision {got.index}, {key} = blue)"
    assert repr(got).startswith("Response(error_code=0, action='get', index=")
    assert f"value=Value(key=b'{key}', value=b'blue'" in repr(got)

    missing = client.get(prefix + "missing")
    assert str(missing).startswith("Response(error 100: etcd-cpp-apiv3: key not found, get")

    start = client.head().index + 1
    with client.watch(prefix, recursive=True, from_revision=start) as watcher:
        client.put(key, "green")
        client.rm(key)
        put_event = watcher.next_event(TIMEOUT)
        delete_event = watcher.next_event(TIMEOUT)
    assert str(put_event.event_type) == "PUT" and str(delete_event.event_type) == "DELETE"
    assert str(put_event) == f"PUT {key} = green (was blue)"
    assert str(delete_event) == f"DELETE {key} (was green)"
    assert repr(delete_event).startswith(
        f"Event(event_type=EventType.DELETE, kv=Value(key=b'{key}', value=b''"
    )

    client.put(prefix + "a", "1")
    client.put(prefix + "b", "2")
    assert ", 2 values" in str(client.ls(prefix))
