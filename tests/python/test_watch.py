"""Watchers of the Python package: callbacks on library threads, iteration, ranges and history,
cancel/wait, and the lifetime of the ctypes callback objects."""

import gc
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from conftest import wait_until

import etcd_cpp_rs
from etcd_cpp_rs import EventType
from etcd_cpp_rs import client as client_module

TIMEOUT = 15
PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"


class Recorder:
    """Collects what a watch callback receives, from the library's threads."""

    def __init__(self, client=None):
        self.lock = threading.Lock()
        self.responses = []
        self.threads = set()
        self.nested = []
        self.client = client

    def __call__(self, response):
        if self.client is not None and not self.nested:
            # The callback may use the blocking client: it never runs on a network thread.
            self.nested.append(self.client.head().is_ok)
        with self.lock:
            self.responses.append(response)
            self.threads.add(threading.current_thread().name)

    def events(self):
        with self.lock:
            return [e for r in self.responses for e in r.events]


def test_callback_receives_events_with_previous_values(client, prefix):
    recorder = Recorder(client)
    start = client.head().index + 1
    watcher = client.watch(prefix, recorder, recursive=True, from_revision=start)
    key = prefix + "a"
    client.put(key, "1")
    client.put(key, "2")
    client.rm(key)
    assert wait_until(lambda: len(recorder.events()) >= 3, TIMEOUT)
    events = recorder.events()
    assert [e.event_type for e in events] == [EventType.PUT, EventType.PUT, EventType.DELETE]
    assert all(e.kv.key == key.encode() for e in events)
    assert events[0].kv.value == b"1" and not events[0].has_prev_kv
    assert events[1].prev_kv.value == b"1"
    assert events[2].has_prev_kv and events[2].prev_kv.value == b"2"
    assert recorder.responses[0].is_ok and recorder.responses[0].events
    assert "MainThread" not in recorder.threads
    assert recorder.nested == [True]

    assert watcher.cancel() is True
    assert watcher.ended
    assert watcher.wait() is True
    assert watcher.wait(timeout=1) is True
    count = len(recorder.responses)
    client.put(key, "after cancel")
    assert len(recorder.responses) == count
    watcher.close()


def test_callback_runs_on_a_thread_named_etcd_cb(client, prefix):
    names = []
    done = threading.Event()

    def on_change(response):
        with open(f"/proc/self/task/{threading.get_native_id()}/comm") as comm:
            names.append(comm.read().strip())
        done.set()

    start = client.head().index + 1
    with client.watch(prefix + "k", on_change, from_revision=start):
        client.put(prefix + "k", "v")
        assert done.wait(TIMEOUT)
    assert names[0] == "etcd-cb"


@pytest.mark.skipif(not client_module._THREAD_HOOKS, reason="thread hooks are used on CPython only")
def test_callback_thread_keeps_its_python_thread_state(client, prefix):
    # A threading.local lives in the thread state: without the library's thread hooks ctypes
    # makes a new thread state for every callback, and each callback would see a fresh one.
    local = threading.local()
    seen = []
    lock = threading.Lock()

    def on_change(response):
        local.count = getattr(local, "count", 0) + 1
        with lock:
            seen.extend((threading.get_ident(), local.count) for _ in response.events)

    with client.watch(prefix + "k", on_change):
        for i in range(20):
            client.put(prefix + "k", str(i))
        assert wait_until(lambda: len(seen) >= 20, TIMEOUT)
    counts = {}
    for ident, count in seen:
        counts[ident] = max(count, counts.get(ident, 0))
    # Callbacks of one watcher run one at a time; on a thread that ran several of them the
    # count went up each time.
    assert max(counts.values()) > 1, seen


def test_iteration_replays_history_and_ends_on_cancel(client, prefix):
    first = client.put(prefix + "a", "1").index
    client.put(prefix + "b", "1")
    client.put(prefix + "c", "1")
    with client.watch(prefix + "a", range_end=prefix + "c", from_revision=first) as watcher:
        assert watcher.next_event(TIMEOUT).kv.key == (prefix + "a").encode()
        assert watcher.next_event(TIMEOUT).kv.key == (prefix + "b").encode()
        with pytest.raises(TimeoutError):
            watcher.next_event(timeout=0.2)
        client.put(prefix + "c", "2")  # outside the range
        client.put(prefix + "b", "2")
        event = next(iter(watcher))
        assert (event.kv.key, event.kv.value, event.prev_kv.value) == (
            (prefix + "b").encode(),
            b"2",
            b"1",
        )
        watcher.cancel()
        assert list(watcher) == []
        assert watcher.next_event() is None
        assert watcher.error is None


def test_single_key_and_prefix_watchers(client, prefix):
    single, recursive = Recorder(), Recorder()
    start = client.head().index + 1
    w1 = client.watch(prefix + "x", single, from_revision=start)
    w2 = etcd_cpp_rs.Watcher(client, prefix, recursive, recursive=True, from_revision=start)
    client.put(prefix + "x", "1")
    client.put(prefix + "xy", "1")
    assert wait_until(lambda: len(recursive.events()) >= 2, TIMEOUT)
    assert wait_until(lambda: len(single.events()) >= 1, TIMEOUT)
    assert [e.kv.key for e in single.events()] == [(prefix + "x").encode()]
    w1.close()
    w2.close()


def test_callback_mode_is_not_iterable(client, prefix):
    with client.watch(prefix, lambda r: None, recursive=True) as watcher:
        with pytest.raises(TypeError):
            watcher.next_event(0.1)
    with pytest.raises(TypeError):
        client.watch(42)


def test_callback_objects_are_kept_alive_by_the_package(client, prefix):
    """A lambda handed to watch() is not referenced by the caller; it keeps working after a
    garbage collection, and the package lets go of it once the watcher is released."""
    registered = len(client_module._registry)
    seen = []
    start = client.head().index + 1
    watcher = client.watch(prefix + "k", lambda r: seen.extend(r.events), from_revision=start)
    assert len(client_module._registry) == registered + 1
    gc.collect()
    client.put(prefix + "k", "v")
    assert wait_until(lambda: len(seen) == 1, TIMEOUT)
    del watcher  # dropping the Watcher cancels and frees it (as the C++ destructor)
    gc.collect()
    assert len(client_module._registry) == registered


def test_exceptions_in_callbacks_do_not_stop_the_watch(client, prefix, caplog):
    seen = []

    def flaky(response):
        seen.append(response)
        if len(seen) == 1:
            raise RuntimeError("deliberate failure in a callback")

    start = client.head().index + 1
    with client.watch(prefix + "k", flaky, from_revision=start):
        client.put(prefix + "k", "1")
        client.put(prefix + "k", "2")
        assert wait_until(lambda: len(seen) >= 2, TIMEOUT)
    # The exception is logged, with its traceback, on the package's logger.
    logged = [r for r in caplog.records if r.name == "etcd_cpp_rs" and r.exc_info]
    assert logged and logged[0].levelno == logging.ERROR
    assert "deliberate failure in a callback" in str(logged[0].exc_info[1])


def test_watch_of_a_compacted_revision_ends_with_error_11(client, prefix, endpoints):
    from etcd_harness import gateway_request

    first = client.put(prefix + "k", "1").index
    latest = client.put(prefix + "k", "2").index
    gateway_request(endpoints.split(",")[0], "/v3/kv/compaction", {"revision": latest})
    errors = []
    watcher = client.watch(prefix + "k", from_revision=first)
    with pytest.raises(etcd_cpp_rs.WatchError) as info:
        watcher.next_event(TIMEOUT)
    assert info.value.response.error_code == etcd_cpp_rs.ERROR_GRPC_OUT_OF_RANGE
    assert info.value.response.compact_revision >= latest
    assert watcher.wait(TIMEOUT) is False
    assert watcher.error is info.value.response
    callback_watcher = client.watch(prefix + "k", errors.append, from_revision=first)
    assert callback_watcher.wait() is False
    # wait() returns once the last response has been handed to the callback.
    assert errors and errors[-1].error_code == 11


# Runs in a child process: watch events on a callback thread, that thread's end (its Python
# thread state must go with it), events on a new callback thread, then interpreter exit with
# the watcher open and that thread still attached. Prints the counts of Python thread states.
_THREAD_STATE_CHILD = textwrap.dedent("""
    import ctypes, json, os, queue, sys, threading, time
    if not os.environ.get("ETCD_CPP_RS_TEST_INSTALLED"):
        sys.path.insert(0, sys.argv[1])
    import etcd_cpp_rs

    api = ctypes.pythonapi
    api.PyInterpreterState_Get.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
    api.PyThreadState_Next.restype = ctypes.c_void_p
    api.PyThreadState_Next.argtypes = [ctypes.c_void_p]

    def thread_states():
        count, state = 0, api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Get())
        while state:
            count, state = count + 1, api.PyThreadState_Next(state)
        return count

    def callback_threads():
        names = []
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/comm") as comm:
                    names.append(comm.read().strip())
            except OSError:
                pass
        return names.count("etcd-cb")

    client = etcd_cpp_rs.Client(sys.argv[2])
    key = sys.argv[3]
    base = thread_states()
    seen = queue.SimpleQueue()
    watcher = client.watch(key, lambda response: seen.put(len(response.events)))
    client.put(key, "1")
    seen.get(timeout=10)
    during = thread_states()
    deadline = time.monotonic() + 20
    while callback_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = callback_threads() == 0
    after = thread_states()
    client.put(key, "2")
    seen.get(timeout=10)
    print(json.dumps({"base": base, "during": during, "ended": ended, "after": after}), flush=True)
""")


@pytest.mark.skipif(not client_module._THREAD_HOOKS, reason="thread hooks are used on CPython only")
def test_callback_thread_state_ends_with_its_thread(endpoints, prefix):
    import json

    proc = subprocess.run(
        [sys.executable, "-c", _THREAD_STATE_CHILD, str(PYTHON_DIR), endpoints, prefix + "k"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # While its thread lives the callback thread keeps a thread state; once the idle thread
    # ended (after about 2 s) the detach hook gave it back, and nothing leaked.
    assert result["during"] > result["base"], result
    assert result["ended"], result
    assert result["after"] == result["base"], result
