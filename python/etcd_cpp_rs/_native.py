"""ctypes declarations of the C API (include/etcd/etcd.h) and loading of the shared library.

The library is looked up, in order, at:

1. ``$ETCD_CPP_RS_LIBRARY`` if set (a path to ``libetcd-cpp-rs.so`` or ``libetcd_cpp_rs.so``);
2. ``libetcd-cpp-rs.so`` inside this package (where ``pip install`` puts it);
3. the cargo build of a source checkout (``target/release/libetcd_cpp_rs.so``), for running
   from the repository without installing.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, List

LIBRARY_ENV = "ETCD_CPP_RS_LIBRARY"
BUNDLED_NAME = "libetcd-cpp-rs.so"

# etcd_status
STATUS_OK = 0
STATUS_NULL_ARGUMENT = 1
STATUS_INVALID_ARGUMENT = 2
STATUS_PANIC = 3
STATUS_LEASE_EXPIRED = 4
STATUS_KEEPALIVE_FAILED = 5
STATUS_PENDING = 6

# etcd_event_type
EVENT_PUT = 0
EVENT_DELETE = 1
EVENT_INVALID = 2


class Bytes(Structure):
    """etcd_bytes: a borrowed (pointer, length) byte string."""

    _c_name_ = "etcd_bytes"
    _fields_ = [("data", c_void_p), ("len", c_size_t)]

    def get(self) -> bytes:
        return ctypes.string_at(self.data, self.len) if self.len else b""


class ClientOptions(Structure):
    """etcd_client_options."""

    _c_name_ = "etcd_client_options"
    _fields_ = [
        ("user", c_char_p),
        ("password", c_char_p),
        ("auth_token_ttl", c_int64),
        ("use_tls", c_bool),
        ("ca_file", c_char_p),
        ("cert_file", c_char_p),
        ("key_file", c_char_p),
        ("target_name_override", c_char_p),
        ("load_balancer", c_char_p),
        ("request_timeout_ms", c_int64),
        ("connect_timeout_ms", c_int64),
        ("keepalive_time_ms", c_int64),
        ("keepalive_timeout_ms", c_int64),
        ("max_receive_message_size", c_int64),
        ("max_send_message_size", c_int64),
        ("auto_sync_interval_ms", c_int64),
    ]


class ValueView(Structure):
    """etcd_value_view: the fields of one value, its bytes borrowed from the response."""

    _c_name_ = "etcd_value_view"
    _fields_ = [
        ("key", Bytes),
        ("value", Bytes),
        ("created_index", c_int64),
        ("modified_index", c_int64),
        ("version", c_int64),
        ("lease", c_int64),
        ("ttl", c_int64),
    ]


class EventView(Structure):
    """etcd_event_view: one watch event, borrowed from the response."""

    _c_name_ = "etcd_event_view"
    _fields_ = [
        ("event_type", c_uint32),
        ("has_kv", c_bool),
        ("has_prev_kv", c_bool),
        ("kv", ValueView),
        ("prev_kv", ValueView),
    ]


class ResponseView(Structure):
    """etcd_response_view: the common fields of a response, borrowed from it."""

    _c_name_ = "etcd_response_view"
    _fields_ = [
        ("error_code", c_int32),
        ("error_message", Bytes),
        ("action", Bytes),
        ("index", c_int64),
        ("value", ValueView),
        ("prev_value", ValueView),
        ("value_count", c_size_t),
        ("event_count", c_size_t),
        ("lease_count", c_size_t),
        ("member_count", c_size_t),
        ("compact_revision", c_int64),
        ("watch_id", c_int64),
        ("cluster_id", c_uint64),
        ("member_id", c_uint64),
        ("raft_term", c_uint64),
        ("duration_us", c_int64),
        ("lock_key", Bytes),
        ("name", Bytes),
        ("status_endpoint", Bytes),
        ("status_version", Bytes),
    ]


# Opaque handles are plain void pointers on this side.
Handle = c_void_p

WATCH_CALLBACK = CFUNCTYPE(None, c_void_p, c_void_p)
KEEPALIVE_ERROR_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)
FREE_CALLBACK = CFUNCTYPE(None, c_void_p)
CALL_CALLBACK = CFUNCTYPE(None, c_void_p)
REGISTRY_CALLBACK = CFUNCTYPE(None, c_void_p, c_int64, c_int64)
DISCOVERY_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, c_void_p, c_void_p)
LOG_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)
THREAD_CALLBACK = CFUNCTYPE(None, c_void_p)

# etcd_log_level
LOG_ERROR = 1
LOG_WARN = 2
LOG_INFO = 3
LOG_DEBUG = 4

# etcd_compare_target
COMPARE_VERSION = 0
COMPARE_CREATE = 1
COMPARE_MOD = 2
COMPARE_VALUE = 3
COMPARE_LEASE = 4

# etcd_compare_result
COMPARE_EQUAL = 0
COMPARE_GREATER = 1
COMPARE_LESS = 2
COMPARE_NOT_EQUAL = 3

# etcd_txn_branch
TXN_SUCCESS = 0
TXN_FAILURE = 1

_OUT = POINTER(c_void_p)
# A (pointer, length) byte string argument.
_B = (c_char_p, c_size_t)

# name: (restype, argtypes)
_SIGNATURES = {
    "etcd_status_str": (c_char_p, [c_uint32]),
    "etcd_status_detail": (c_char_p, []),
    "etcd_version": (c_char_p, []),
    "etcd_client_connect": (c_uint32, [c_char_p, POINTER(ClientOptions), _OUT]),
    "etcd_client_free": (None, [Handle]),
    "etcd_client_namespace": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_client_head": (c_uint32, [Handle, _OUT]),
    "etcd_client_get": (c_uint32, [Handle, *_B, c_int64, _OUT]),
    "etcd_client_put": (c_uint32, [Handle, *_B, *_B, c_int64, _OUT]),
    "etcd_client_add": (c_uint32, [Handle, *_B, *_B, c_int64, _OUT]),
    "etcd_client_modify": (c_uint32, [Handle, *_B, *_B, c_int64, _OUT]),
    "etcd_client_modify_if_value": (c_uint32, [Handle, *_B, *_B, *_B, c_int64, _OUT]),
    "etcd_client_modify_if_index": (c_uint32, [Handle, *_B, *_B, c_int64, c_int64, _OUT]),
    "etcd_client_rm": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_client_rm_if_value": (c_uint32, [Handle, *_B, *_B, _OUT]),
    "etcd_client_rm_if_index": (c_uint32, [Handle, *_B, c_int64, _OUT]),
    "etcd_client_rmdir": (c_uint32, [Handle, *_B, c_bool, _OUT]),
    "etcd_client_rmdir_range": (c_uint32, [Handle, *_B, *_B, _OUT]),
    "etcd_client_ls": (c_uint32, [Handle, *_B, c_int64, c_int64, _OUT]),
    "etcd_client_ls_range": (c_uint32, [Handle, *_B, *_B, c_int64, c_int64, _OUT]),
    "etcd_client_keys": (c_uint32, [Handle, *_B, c_int64, c_int64, _OUT]),
    "etcd_client_keys_range": (c_uint32, [Handle, *_B, *_B, c_int64, c_int64, _OUT]),
    "etcd_client_lease_grant": (c_uint32, [Handle, c_int64, _OUT]),
    "etcd_client_lease_revoke": (c_uint32, [Handle, c_int64, _OUT]),
    "etcd_client_lease_time_to_live": (c_uint32, [Handle, c_int64, _OUT]),
    "etcd_client_lease_list": (c_uint32, [Handle, _OUT]),
    "etcd_call_wait": (c_uint32, [Handle, c_int64, POINTER(c_bool)]),
    "etcd_call_done": (c_bool, [Handle]),
    "etcd_call_take_response": (c_uint32, [Handle, _OUT]),
    "etcd_call_finish": (c_uint32, [Handle, c_int64, _OUT, POINTER(ResponseView)]),
    "etcd_call_on_done": (c_uint32, [Handle, CALL_CALLBACK, c_void_p, FREE_CALLBACK]),
    "etcd_call_free": (None, [Handle]),
    "etcd_response_free": (None, [Handle]),
    "etcd_response_clone": (c_uint32, [Handle, _OUT]),
    "etcd_response_is_ok": (c_bool, [Handle]),
    "etcd_response_read": (c_uint32, [Handle, POINTER(ResponseView)]),
    "etcd_value_read": (c_uint32, [Handle, POINTER(ValueView)]),
    "etcd_response_values_read": (c_size_t, [Handle, c_size_t, POINTER(ValueView), c_size_t]),
    "etcd_response_events_read": (c_size_t, [Handle, c_size_t, POINTER(EventView), c_size_t]),
    "etcd_response_error_code": (c_int32, [Handle]),
    "etcd_response_error_message": (c_char_p, [Handle]),
    "etcd_response_action": (c_char_p, [Handle]),
    "etcd_response_index": (c_int64, [Handle]),
    "etcd_response_value": (Handle, [Handle]),
    "etcd_response_prev_value": (Handle, [Handle]),
    "etcd_response_value_count": (c_size_t, [Handle]),
    "etcd_response_value_at": (Handle, [Handle, c_size_t]),
    "etcd_response_key_at": (Bytes, [Handle, c_size_t]),
    "etcd_response_event_count": (c_size_t, [Handle]),
    "etcd_response_event_at": (Handle, [Handle, c_size_t]),
    "etcd_response_compact_revision": (c_int64, [Handle]),
    "etcd_response_watch_id": (c_int64, [Handle]),
    "etcd_response_lease_count": (c_size_t, [Handle]),
    "etcd_response_lease_at": (c_int64, [Handle, c_size_t]),
    "etcd_response_cluster_id": (c_uint64, [Handle]),
    "etcd_response_member_id": (c_uint64, [Handle]),
    "etcd_response_raft_term": (c_uint64, [Handle]),
    "etcd_response_duration_us": (c_int64, [Handle]),
    "etcd_value_key": (Bytes, [Handle]),
    "etcd_value_value": (Bytes, [Handle]),
    "etcd_value_created_index": (c_int64, [Handle]),
    "etcd_value_modified_index": (c_int64, [Handle]),
    "etcd_value_version": (c_int64, [Handle]),
    "etcd_value_lease": (c_int64, [Handle]),
    "etcd_value_ttl": (c_int64, [Handle]),
    "etcd_event_get_type": (c_uint32, [Handle]),
    "etcd_event_kv": (Handle, [Handle]),
    "etcd_event_prev_kv": (Handle, [Handle]),
    "etcd_watcher_new": (
        c_uint32,
        [Handle, *_B, c_bool, c_int64, WATCH_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_watcher_new_range": (
        c_uint32,
        [Handle, *_B, *_B, c_int64, WATCH_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_watcher_start": (
        c_uint32,
        [Handle, *_B, c_bool, c_int64, WATCH_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_watcher_start_range": (
        c_uint32,
        [Handle, *_B, *_B, c_int64, WATCH_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_watcher_wait_started": (c_uint32, [Handle, c_uint32, POINTER(c_bool)]),
    "etcd_watcher_cancel": (c_uint32, [Handle]),
    "etcd_watcher_wait": (c_uint32, [Handle, POINTER(c_bool)]),
    "etcd_watcher_ended": (c_bool, [Handle]),
    "etcd_watcher_free": (None, [Handle]),
    "etcd_keepalive_new": (
        c_uint32,
        [Handle, c_int64, c_int64, KEEPALIVE_ERROR_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_keepalive_lease": (c_int64, [Handle]),
    "etcd_keepalive_check": (c_uint32, [Handle]),
    "etcd_keepalive_error_message": (c_char_p, [Handle]),
    "etcd_keepalive_cancel": (c_uint32, [Handle]),
    "etcd_keepalive_free": (None, [Handle]),
    "etcd_registry_new": (
        c_uint32,
        [Handle, c_int64, c_bool, REGISTRY_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_registry_add": (c_uint32, [Handle, *_B, *_B, _OUT]),
    "etcd_registry_remove": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_registry_lease": (c_int64, [Handle]),
    "etcd_registry_close": (c_uint32, [Handle]),
    "etcd_registry_free": (None, [Handle]),
    "etcd_discovery_new": (
        c_uint32,
        [Handle, *_B, DISCOVERY_CALLBACK, c_void_p, FREE_CALLBACK, _OUT],
    ),
    "etcd_discovery_wait_ready": (c_bool, [Handle, c_int64]),
    "etcd_discovery_snapshot": (c_uint32, [Handle, _OUT]),
    "etcd_discovery_close": (c_uint32, [Handle]),
    "etcd_discovery_free": (None, [Handle]),
    # locks and elections
    "etcd_client_lock": (c_uint32, [Handle, *_B, c_int64, _OUT]),
    "etcd_client_lock_with_lease": (c_uint32, [Handle, *_B, c_int64, _OUT]),
    "etcd_client_unlock": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_client_campaign": (c_uint32, [Handle, *_B, c_int64, *_B, _OUT]),
    "etcd_client_proclaim": (c_uint32, [Handle, *_B, c_int64, *_B, c_int64, *_B, _OUT]),
    "etcd_client_leader": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_client_resign": (c_uint32, [Handle, *_B, c_int64, *_B, c_int64, _OUT]),
    "etcd_response_lock_key": (Bytes, [Handle]),
    "etcd_response_name": (Bytes, [Handle]),
    "etcd_client_observe": (c_uint32, [Handle, *_B, _OUT]),
    "etcd_observer_wait": (c_uint32, [Handle, c_int64, _OUT]),
    "etcd_observer_free": (None, [Handle]),
    # logging
    "etcd_set_log_callback": (c_uint32, [LOG_CALLBACK, c_uint32, c_void_p, FREE_CALLBACK]),
    # callback threads
    "etcd_set_thread_hooks": (
        c_uint32,
        [THREAD_CALLBACK, THREAD_CALLBACK, c_void_p, FREE_CALLBACK],
    ),
    # maintenance
    "etcd_client_status": (c_uint32, [Handle, c_char_p, _OUT]),
    "etcd_client_compact": (c_uint32, [Handle, c_int64, c_bool, _OUT]),
    "etcd_client_defragment": (c_uint32, [Handle, c_char_p, _OUT]),
    "etcd_response_status_endpoint": (Bytes, [Handle]),
    "etcd_response_status_version": (Bytes, [Handle]),
    "etcd_response_status_db_size": (c_int64, [Handle]),
    "etcd_response_status_db_size_in_use": (c_int64, [Handle]),
    "etcd_response_status_leader": (c_uint64, [Handle]),
    "etcd_response_status_raft_index": (c_uint64, [Handle]),
    "etcd_response_status_raft_applied_index": (c_uint64, [Handle]),
    "etcd_response_status_is_learner": (c_bool, [Handle]),
    "etcd_response_status_error_count": (c_size_t, [Handle]),
    "etcd_response_status_error_at": (Bytes, [Handle, c_size_t]),
    # members
    "etcd_client_member_add": (c_uint32, [Handle, c_char_p, c_bool, _OUT]),
    "etcd_client_member_list": (c_uint32, [Handle, _OUT]),
    "etcd_client_member_remove": (c_uint32, [Handle, c_uint64, _OUT]),
    "etcd_client_sync_endpoints": (c_uint32, [Handle, _OUT]),
    "etcd_client_endpoints": (c_uint32, [Handle, c_char_p, c_size_t, POINTER(c_size_t)]),
    "etcd_response_member_count": (c_size_t, [Handle]),
    "etcd_response_member_at": (Handle, [Handle, c_size_t]),
    "etcd_member_id": (c_uint64, [Handle]),
    "etcd_member_name": (Bytes, [Handle]),
    "etcd_member_is_learner": (c_bool, [Handle]),
    "etcd_member_peer_url_count": (c_size_t, [Handle]),
    "etcd_member_peer_url_at": (Bytes, [Handle, c_size_t]),
    "etcd_member_client_url_count": (c_size_t, [Handle]),
    "etcd_member_client_url_at": (Bytes, [Handle, c_size_t]),
    # transactions
    "etcd_txn_new": (c_uint32, [_OUT]),
    "etcd_txn_free": (None, [Handle]),
    "etcd_txn_compare_value": (c_uint32, [Handle, c_uint32, *_B, *_B, *_B]),
    "etcd_txn_compare_number": (c_uint32, [Handle, c_uint32, c_uint32, *_B, *_B, c_int64]),
    "etcd_txn_get": (c_uint32, [Handle, c_uint32, *_B, *_B, c_int64]),
    "etcd_txn_put": (c_uint32, [Handle, c_uint32, *_B, *_B, c_int64, c_bool]),
    "etcd_txn_delete": (c_uint32, [Handle, c_uint32, *_B, *_B, c_bool]),
    "etcd_txn_nest": (c_uint32, [Handle, c_uint32, Handle]),
    "etcd_client_txn": (c_uint32, [Handle, Handle, _OUT]),
}


# Every blocking client operation has a twin "<name>_start" with the same arguments, which
# returns an etcd_call instead of waiting (its last argument is the call's output pointer).
for _name in [
    n
    for n in _SIGNATURES
    if n.startswith("etcd_client_")
    and n
    not in (
        "etcd_client_connect",
        "etcd_client_free",
        "etcd_client_namespace",
        "etcd_client_observe",
        "etcd_client_endpoints",
    )
]:
    _SIGNATURES[_name + "_start"] = _SIGNATURES[_name]


def holds_gil(name: str) -> bool:
    """Whether ``name`` is called with the GIL held: only functions that never wait (reading
    a response, starting a call, registering a completion callback, freeing a response). Those
    that may wait for a callback thread (``etcd_call_free``, ``etcd_watcher_free``...) or for
    the network release it, since a callback thread may need the GIL to finish."""
    if name.endswith("_start") and name.startswith("etcd_client_"):
        return True
    prefixes = ("etcd_response_", "etcd_value_", "etcd_event_", "etcd_member_", "etcd_txn_")
    return name.startswith(prefixes) or name in (
        "etcd_call_on_done",
        "etcd_call_take_response",
        "etcd_call_done",
        "etcd_status_str",
        "etcd_version",
    )


def candidates() -> List[Path]:
    """Where the shared library is looked for, in order."""
    found = []
    env = os.environ.get(LIBRARY_ENV)
    if env:
        found.append(Path(env))
    here = Path(__file__).resolve().parent
    found.append(here / BUNDLED_NAME)
    checkout = here.parent.parent
    if (checkout / "Cargo.toml").is_file():
        target = Path(os.environ.get("CARGO_TARGET_DIR") or checkout / "target")
        found.append(target / "release" / "libetcd_cpp_rs.so")
    return found


def load() -> tuple[ctypes.CDLL, str, Any]:
    """Loads the library and declares every function's signature; returns it, its path and
    :data:`free_finished_call`."""
    tried = candidates()
    for path in tried:
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            break
    else:
        raise ImportError(
            "etcd_cpp_rs: the C library was not found (looked for "
            + ", ".join(str(p) for p in tried)
            + "). Install the package with 'pip install python/' from the etcd-cpp-rs sources, "
            f"or set {LIBRARY_ENV} to the path of libetcd-cpp-rs.so."
        )
    # Functions that return at once are called without releasing the GIL (the same library
    # loaded as a PyDLL): releasing and re-taking it costs more than such a call, and while the
    # library's callback threads run Python code each re-take waits for them.
    quick = ctypes.PyDLL(str(path))
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(quick if holds_gil(name) else lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
        setattr(lib, name, fn)
    # etcd_call_free of a finished call without a completion callback cannot wait for anything:
    # that one is called with the GIL held.
    free_finished = quick.etcd_call_free
    free_finished.restype, free_finished.argtypes = _SIGNATURES["etcd_call_free"]
    return lib, str(path), free_finished


lib, library_path, free_finished_call = load()
