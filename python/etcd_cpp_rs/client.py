"""The Python API: :class:`Client`, :class:`Watcher`, :class:`KeepAlive` and the result types.

Everything here calls the C API of the library's Rust core through ctypes (see ``_native``);
the behaviour (fail-over between endpoints, watch resumption, lease refreshing, error codes and
messages) is the core's, the same as the C and C++ APIs.
"""

from __future__ import annotations

import atexit
import collections.abc
import ctypes
import enum
import itertools
import logging
import math
import numbers
import operator
import queue
import struct
import sys
import threading
import weakref
from ctypes import byref, c_bool, c_size_t, c_void_p, create_string_buffer, string_at
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _native
from ._native import lib

#: Keys and values: ``bytes`` (any bytes), or ``str`` (encoded as UTF-8).
BytesLike = Union[str, bytes, bytearray, memoryview]

# Error codes of :attr:`Response.error_code` (the same numbers as etcd-cpp-apiv3's
# ``etcdv3::ERROR_*``): gRPC status codes, and the library's own codes from 100 up.
ERROR_GRPC_CANCELLED = 1
ERROR_GRPC_UNKNOWN = 2
ERROR_GRPC_INVALID_ARGUMENT = 3
ERROR_GRPC_DEADLINE_EXCEEDED = 4
ERROR_GRPC_NOT_FOUND = 5
ERROR_GRPC_OUT_OF_RANGE = 11
ERROR_GRPC_INTERNAL = 13
ERROR_GRPC_UNAVAILABLE = 14
ERROR_KEY_NOT_FOUND = 100
ERROR_COMPARE_FAILED = 101
ERROR_KEY_ALREADY_EXISTS = 105
ERROR_ACTION_CANCELLED = 106


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class EtcdError(Exception):
    """A call the library could not carry out.

    Failures reported by etcd or the network (key not found, compare failed, unavailable...) are
    not exceptions: they come back in :attr:`Response.error_code` and
    :attr:`Response.error_message`, as with etcd-cpp-apiv3.

    ``status`` is the C API's ``etcd_status`` number when the error comes from one; ``response``
    the failed response when there is one.
    """

    def __init__(
        self, message: str, status: Optional[int] = None, response: Optional[Response] = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.response = response


class InvalidArgumentError(EtcdError, ValueError):
    """An argument was refused (e.g. endpoints without any usable ``host:port``)."""


class KeepAliveError(EtcdError, RuntimeError):
    """Refreshing a lease failed (etcd-cpp-apiv3 throws ``std::runtime_error``)."""


class LeaseExpiredError(KeepAliveError):
    """The kept-alive lease expired or was revoked (``std::out_of_range`` in C++)."""


class WatchError(EtcdError):
    """etcd ended a watch (e.g. its start revision was compacted); ``response`` says why."""


_STATUS_ERRORS = {
    _native.STATUS_INVALID_ARGUMENT: InvalidArgumentError,
    _native.STATUS_LEASE_EXPIRED: LeaseExpiredError,
    _native.STATUS_KEEPALIVE_FAILED: KeepAliveError,
}


def _status_text(status: int) -> str:
    return lib.etcd_status_str(status).decode()


def _check(status: int, what: str) -> None:
    if status != _native.STATUS_OK:
        cls = _STATUS_ERRORS.get(status, EtcdError)
        raise cls(f"{what}: {_status_text(status)}", status)


def _bytes(data: BytesLike, name: str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{name} must be str or bytes, not {type(data).__name__}")


INT64_MAX = 2**63 - 1


def _int(value: Any, name: str, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """``value`` as an int in [minimum, maximum]: TypeError for what is not an integer (bool
    included), OverflowError out of range, before anything reaches the C library (ctypes would
    silently wrap it)."""
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    number = operator.index(value)
    if not minimum <= number <= maximum:
        raise OverflowError(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def _text(value: Optional[str], name: str) -> Optional[bytes]:
    """An optional text argument (a name, a path) as NUL-terminated UTF-8, or None if empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{name} must not contain a NUL character: {value!r}")
    return value.encode("utf-8", "surrogateescape") or None


def _milliseconds(value: Optional[float], name: str) -> int:
    """A duration in seconds (None or 0: none) as whole milliseconds, at least 1 if positive."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    seconds = float(value)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a non-negative number of seconds, not {value!r}")
    if seconds * 1000 > INT64_MAX:
        raise OverflowError(f"{name} is too long: {value!r} seconds")
    return max(1, math.ceil(seconds * 1000)) if seconds > 0 else 0


def _callable(value: Any, name: str) -> Any:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")
    return value


def _endpoints(endpoints: Any) -> str:
    if isinstance(endpoints, str):
        items = [endpoints]
    elif isinstance(endpoints, collections.abc.Sequence) and not isinstance(
        endpoints, (bytes, bytearray)
    ):
        items = list(endpoints)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"each endpoint must be a str, not {type(item).__name__}")
    else:
        raise TypeError(
            f"endpoints must be a str or a sequence of str, not {type(endpoints).__name__}"
        )
    text = ",".join(items)
    if "\0" in text:
        raise ValueError(f"endpoints must not contain a NUL character: {text!r}")
    return text


# How long one wait inside the C library lasts at most: Python handles signals (Ctrl-C) between
# two waits, so a KeyboardInterrupt arrives within about this time during a blocking call.
_WAIT_SLICE_MS = 50


_PENDING = _native.STATUS_PENDING
_OK = _native.STATUS_OK


def _finish(call: c_void_p, what: str) -> Tuple[c_void_p, Any]:
    """Waits for a started call in short slices (so that Python handles signals in between)
    and takes its response: one call into the library (``etcd_call_finish``) waits, takes the
    response and reads its common fields. Returns the response, owned by the caller, and its
    view."""
    out = c_void_p()
    view = _native.ResponseView()
    status = lib.etcd_call_finish(call, _WAIT_SLICE_MS, byref(out), byref(view))
    while status == _PENDING:
        status = lib.etcd_call_finish(call, _WAIT_SLICE_MS, byref(out), byref(view))
    if status != _OK:
        _check(status, what)
    return out, view


# The "_start" twin of each blocking function, looked up once.
_STARTS: Dict[str, Any] = {}


def _report_callback_error(where: str) -> None:
    """Logs an exception raised by user code on a library thread (it cannot propagate) to
    the ``etcd_cpp_rs`` logger, at ERROR level with its traceback."""
    logging.getLogger("etcd_cpp_rs").exception("exception in %s", where)


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


def _show(data: bytes) -> str:
    """Bytes for people: the text if they are UTF-8 without control characters, else b'...'."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return repr(data)
    return text if text.isprintable() else repr(data)


def _fields_repr(obj: Any, always: Sequence[str] = ()) -> str:
    """``Class(field=value, ...)`` listing the fields in ``always`` and those that differ from
    their defaults, so that a repr shows what a result holds rather than every empty field."""
    parts = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = MISSING
        if f.name in always or value != default:
            parts.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


class EventType(enum.IntEnum):
    """Kind of a watch event (``etcd::Event::EventType``).

    An int (``EventType.DELETE == 1``) that prints as its name on every Python version:
    ``str()`` and ``format()`` give ``DELETE`` (integer format specifications such as ``:d``
    give the number), ``repr()`` gives ``<EventType.DELETE: 1>``.
    """

    PUT = _native.EVENT_PUT
    DELETE = _native.EVENT_DELETE
    INVALID = _native.EVENT_INVALID

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        if spec and spec[-1] in "bcdoxXneEfFgG%":
            return format(int(self), spec)
        return format(self.name, spec)


@dataclass(frozen=True, repr=False)
class Value:
    """A key-value pair (``etcd::Value``). Keys and values are bytes."""

    key: bytes = b""
    value: bytes = b""
    created_index: int = 0
    modified_index: int = 0
    version: int = 0
    lease: int = 0
    #: For lease operations the TTL in seconds; 0 for plain keys, -1 for keys in watch events.
    ttl: int = 0

    def as_string(self) -> str:
        """The value decoded as UTF-8 (undecodable bytes replaced)."""
        return self.value.decode("utf-8", "replace")

    @property
    def key_string(self) -> str:
        """The key decoded as UTF-8 (undecodable bytes replaced)."""
        return self.key.decode("utf-8", "replace")

    def __str__(self) -> str:
        """``key = value``, with the lease when there is one (bytes that are not printable
        UTF-8 are shown as a bytes literal)."""
        text = f"{_show(self.key)} = {_show(self.value)}"
        return text + (f" (lease {self.lease})" if self.lease else "")

    def __repr__(self) -> str:
        return _fields_repr(self, always=("key", "value"))


@dataclass(frozen=True, repr=False)
class Event:
    """A watch event (``etcd::Event``): the key-value after it, and before it if etcd had one."""

    event_type: EventType
    kv: Optional[Value]
    prev_kv: Optional[Value]

    @property
    def has_kv(self) -> bool:
        return self.kv is not None

    @property
    def has_prev_kv(self) -> bool:
        return self.prev_kv is not None

    def __str__(self) -> str:
        """``PUT key = value`` or ``DELETE key``, with the previous value when there is one."""
        if self.kv is None:
            text = str(self.event_type)
        elif self.event_type == EventType.DELETE:
            text = f"{self.event_type} {_show(self.kv.key)}"
        else:
            text = f"{self.event_type} {self.kv}"
        if self.prev_kv is not None:
            text += f" (was {_show(self.prev_kv.value)})"
        return text

    def __repr__(self) -> str:
        return (
            f"Event(event_type=EventType.{self.event_type.name}, kv={self.kv!r}, "
            f"prev_kv={self.prev_kv!r})"
        )


@dataclass(frozen=True)
class Member:
    """A member of the cluster (``etcd::Member``)."""

    id: int = 0
    name: str = ""
    peer_urls: List[str] = field(default_factory=list)
    client_urls: List[str] = field(default_factory=list)
    is_learner: bool = False


@dataclass(frozen=True)
class MemberStatus:
    """The status of one member (:meth:`Client.status`, :meth:`Client.defragment`)."""

    #: The endpoint that answered.
    endpoint: str = ""
    #: The etcd version of the member.
    version: str = ""
    #: Size of the database file, and the part of it in use, in bytes.
    db_size: int = 0
    db_size_in_use: int = 0
    #: Member id of the current leader (0: none).
    leader: int = 0
    raft_index: int = 0
    raft_applied_index: int = 0
    is_learner: bool = False
    #: Alarms and errors the member reports.
    errors: List[str] = field(default_factory=list)


@dataclass(frozen=True, repr=False)
class Response:
    """The outcome of one operation or one batch of watch events (``etcd::Response``).

    Failures are data: ``error_code`` is 0 on success, else a gRPC status code (1-16) or one of
    the library's codes (100 key not found, 101 compare failed, 105 key already exists, 106
    action cancelled), with ``error_message`` the same text etcd-cpp-apiv3 gives.
    """

    error_code: int = 0
    error_message: str = ""
    action: str = ""
    #: The store revision the response was produced at.
    index: int = 0
    value: Value = field(default_factory=Value)
    prev_value: Value = field(default_factory=Value)
    values: List[Value] = field(default_factory=list)
    events: List[Event] = field(default_factory=list)
    compact_revision: int = -1
    watch_id: int = -1
    leases: List[int] = field(default_factory=list)
    cluster_id: int = 0
    member_id: int = 0
    raft_term: int = 0
    duration_us: int = 0
    #: Of a lock: the key to unlock it with (:meth:`Client.unlock`).
    lock_key: bytes = b""
    #: Of a campaign or observation: the election's name.
    name: bytes = b""
    #: Of the member operations: the members.
    members: List[Member] = field(default_factory=list)
    #: Of :meth:`Client.status` and :meth:`Client.defragment`: the member's status.
    status: Optional[MemberStatus] = None

    @property
    def is_ok(self) -> bool:
        """True when ``error_code`` is 0."""
        return self.error_code == 0

    @property
    def is_network_unavailable(self) -> bool:
        return self.error_code == ERROR_GRPC_UNAVAILABLE

    @property
    def is_grpc_timeout(self) -> bool:
        return self.error_code == ERROR_GRPC_DEADLINE_EXCEEDED

    @property
    def keys(self) -> List[bytes]:
        """The keys of :attr:`values`, in the same order."""
        return [v.key for v in self.values]

    def __str__(self) -> str:
        """A one-line summary: the outcome (``ok`` or the error), the action, the revision and
        what the response holds."""
        head = "ok" if self.is_ok else f"error {self.error_code}: {self.error_message}"
        parts = [head]
        if self.action:
            parts.append(self.action)
        if self.index:
            parts.append(f"revision {self.index}")
        if self.values:
            parts.append(f"{len(self.values)} values")
        elif self.value != Value():
            parts.append(str(self.value))
        if self.prev_value != Value():
            parts.append(f"previous {self.prev_value}")
        if self.events:
            parts.append(f"{len(self.events)} events: " + ", ".join(map(str, self.events)))
        if self.leases:
            parts.append(f"leases {self.leases}")
        return "Response(" + ", ".join(parts) + ")"

    def __repr__(self) -> str:
        return _fields_repr(self, always=("error_code",))


# Converting a C response: one call reads its common fields into an etcd_response_view
# (_native.ResponseView), one more the views of all its values or events, and struct.unpack_from
# reads each view as one tuple; only the bytes themselves are copied one by one (string_at).


def _flat(cls: Any, base: int = 0) -> Iterator[Tuple[int, str, str]]:
    """(offset, struct code, dotted name) of every scalar field of a ctypes Structure, nested
    structures flattened, in order."""
    for name, ctype in cls._fields_:
        offset = base + getattr(cls, name).offset
        if issubclass(ctype, ctypes.Structure):
            for off, code, sub in _flat(ctype, offset):
                yield off, code, f"{name}.{sub}"
        else:
            code = ctype._type_
            yield offset, "P" if code == "z" else code, name


def _reader(cls: Any) -> Tuple[struct.Struct, List[str]]:
    """A struct.Struct that reads a whole ``cls`` (as laid out by ctypes, so as the header
    says) into one tuple, and the names of the tuple's items."""
    fmt, names = "@", []
    for offset, code, name in _flat(cls):
        at = struct.calcsize(fmt)
        if offset > at:
            fmt += f"{offset - at}x"
        fmt += code
        names.append(name)
        if struct.calcsize(fmt) != offset + struct.calcsize("@" + code):
            raise ImportError(f"etcd_cpp_rs: cannot lay out {cls.__name__}.{name}")
    fmt += f"{ctypes.sizeof(cls) - struct.calcsize(fmt)}x"
    return struct.Struct(fmt), names


_VALUE_READER, _VALUE_FIELDS = _reader(_native.ValueView)
_EVENT_READER, _EVENT_FIELDS = _reader(_native.EventView)
_RESPONSE_READER, _RESPONSE_FIELDS = _reader(_native.ResponseView)
# The positions the converters below rely on.
_VALUE_LAYOUT = [
    "key.data",
    "key.len",
    "value.data",
    "value.len",
    "created_index",
    "modified_index",
    "version",
    "lease",
    "ttl",
]
if (
    _VALUE_FIELDS != _VALUE_LAYOUT
    or _EVENT_FIELDS
    != ["event_type", "has_kv", "has_prev_kv"]
    + [f"kv.{n}" for n in _VALUE_LAYOUT]
    + [f"prev_kv.{n}" for n in _VALUE_LAYOUT]
    or _RESPONSE_FIELDS[:6]
    != [
        "error_code",
        "error_message.data",
        "error_message.len",
        "action.data",
        "action.len",
        "index",
    ]
    or _RESPONSE_FIELDS[6:24]
    != [f"value.{n}" for n in _VALUE_LAYOUT] + [f"prev_value.{n}" for n in _VALUE_LAYOUT]
    or _RESPONSE_FIELDS[24:]
    != [
        "value_count",
        "event_count",
        "lease_count",
        "member_count",
        "compact_revision",
        "watch_id",
        "cluster_id",
        "member_id",
        "raft_term",
        "duration_us",
        "lock_key.data",
        "lock_key.len",
        "name.data",
        "name.len",
        "status_endpoint.data",
        "status_endpoint.len",
        "status_version.data",
        "status_version.len",
    ]
):
    raise ImportError("etcd_cpp_rs: the view structures do not have the expected fields")

_new = object.__new__


def _make(cls: Any, fields: Dict[str, Any]) -> Any:
    """A frozen result object with these fields, without the dataclass __init__ (which sets
    them one by one through object.__setattr__): the same object, built faster."""
    obj = _new(cls)
    obj.__dict__.update(fields)
    return obj


_EMPTY_VALUE = Value()


def _value_from(t: Tuple[Any, ...], i: int) -> Value:
    """The Value whose view starts at item ``i`` of an unpacked view tuple."""
    key_len, value_len = t[i + 1], t[i + 3]
    if not key_len and not value_len and not any(t[i + 4 : i + 9]):
        return _EMPTY_VALUE
    return _make(
        Value,
        {
            "key": string_at(t[i], key_len) if key_len else b"",
            "value": string_at(t[i + 2], value_len) if value_len else b"",
            "created_index": t[i + 4],
            "modified_index": t[i + 5],
            "version": t[i + 6],
            "lease": t[i + 7],
            "ttl": t[i + 8],
        },
    )


def _value(ptr: int) -> Value:
    """Copies a C value (borrowed from its response) into a Value."""
    view = _native.ValueView()
    _check(lib.etcd_value_read(ptr, byref(view)), "cannot read a value")
    return _value_from(_VALUE_READER.unpack_from(view), 0)


def _values(ptr: int, count: int) -> List[Value]:
    views = (_native.ValueView * count)()
    n = lib.etcd_response_values_read(ptr, 0, views, count)
    size, unpack = _VALUE_READER.size, _VALUE_READER.unpack_from
    return [_value_from(unpack(views, k * size), 0) for k in range(n)]


def _events(ptr: int, count: int) -> List[Event]:
    views = (_native.EventView * count)()
    n = lib.etcd_response_events_read(ptr, 0, views, count)
    size, unpack = _EVENT_READER.size, _EVENT_READER.unpack_from
    events = []
    for k in range(n):
        t = unpack(views, k * size)
        events.append(
            _make(
                Event,
                {
                    "event_type": _EVENT_TYPES.get(t[0], EventType.INVALID),
                    "kv": _value_from(t, 3) if t[1] else None,
                    "prev_kv": _value_from(t, 12) if t[2] else None,
                },
            )
        )
    return events


_EVENT_TYPES = {int(t): t for t in EventType}


def _text_at(data: int, length: int) -> str:
    return string_at(data, length).decode("utf-8", "replace") if length else ""


def _response(ptr: int) -> Response:
    """Copies a C response into Python objects (the C response stays the caller's)."""
    view = _native.ResponseView()
    _check(lib.etcd_response_read(ptr, byref(view)), "cannot read a response")
    return _response_of(ptr, view)


def _response_of(ptr: int, view: Any) -> Response:
    """The Response of C response ``ptr`` whose common fields ``view`` holds."""
    t = _RESPONSE_READER.unpack_from(view)
    value_count, event_count, lease_count, member_count = t[24:28]
    return _make(
        Response,
        {
            "error_code": t[0],
            "error_message": _text_at(t[1], t[2]),
            "action": _text_at(t[3], t[4]),
            "index": t[5],
            "value": _value_from(t, 6),
            "prev_value": _value_from(t, 15),
            "values": _values(ptr, value_count) if value_count else [],
            "events": _events(ptr, event_count) if event_count else [],
            "compact_revision": t[28],
            "watch_id": t[29],
            "leases": [lib.etcd_response_lease_at(ptr, i) for i in range(lease_count)],
            "cluster_id": t[30],
            "member_id": t[31],
            "raft_term": t[32],
            "duration_us": t[33],
            "lock_key": string_at(t[34], t[35]) if t[35] else b"",
            "name": string_at(t[36], t[37]) if t[37] else b"",
            "members": [_member(lib.etcd_response_member_at(ptr, i)) for i in range(member_count)],
            "status": _status(ptr) if t[39] or t[41] else None,
        },
    )


def _text_of(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _member(ptr: int) -> Member:
    return Member(
        id=lib.etcd_member_id(ptr),
        name=_text_of(lib.etcd_member_name(ptr).get()),
        peer_urls=[
            _text_of(lib.etcd_member_peer_url_at(ptr, i).get())
            for i in range(lib.etcd_member_peer_url_count(ptr))
        ],
        client_urls=[
            _text_of(lib.etcd_member_client_url_at(ptr, i).get())
            for i in range(lib.etcd_member_client_url_count(ptr))
        ],
        is_learner=bool(lib.etcd_member_is_learner(ptr)),
    )


def _status(ptr: int) -> MemberStatus:
    version = lib.etcd_response_status_version(ptr).get()
    endpoint = lib.etcd_response_status_endpoint(ptr).get()
    return MemberStatus(
        endpoint=_text_of(endpoint),
        version=_text_of(version),
        db_size=lib.etcd_response_status_db_size(ptr),
        db_size_in_use=lib.etcd_response_status_db_size_in_use(ptr),
        leader=lib.etcd_response_status_leader(ptr),
        raft_index=lib.etcd_response_status_raft_index(ptr),
        raft_applied_index=lib.etcd_response_status_raft_applied_index(ptr),
        is_learner=bool(lib.etcd_response_status_is_learner(ptr)),
        errors=[
            _text_of(lib.etcd_response_status_error_at(ptr, i).get())
            for i in range(lib.etcd_response_status_error_count(ptr))
        ],
    )


# ------------------------------------------------------------------------------------------------
# Callbacks: one ctypes function object per callback kind, alive as long as the module. Each
# watcher / keep-alive registers its Python state under a token passed as the C userdata; the
# C finalizer (run once the library no longer calls back) removes it.
# ------------------------------------------------------------------------------------------------

_registry: Dict[int, Any] = {}
_registry_lock = threading.Lock()
_tokens = itertools.count(1)


def _register(state: Any) -> int:
    with _registry_lock:
        token = next(_tokens)
        _registry[token] = state
    return token


def _lookup(token: Optional[int]) -> Any:
    # One dict lookup is atomic under the GIL; the lock orders the changes only.
    return _registry.get(token or 0)


@_native.FREE_CALLBACK
def _release(token: Optional[int]) -> None:
    with _registry_lock:
        _registry.pop(token or 0, None)


@_native.WATCH_CALLBACK
def _on_watch(token: Optional[int], response: int) -> None:
    state = _lookup(token)
    if state is not None:
        state.deliver(_response(response))


@_native.KEEPALIVE_ERROR_CALLBACK
def _on_keepalive_error(token: Optional[int], status: int, message: bytes) -> None:
    state = _lookup(token)
    if state is not None:
        cls = _STATUS_ERRORS.get(status, KeepAliveError)
        state.deliver(cls(message.decode("utf-8", "replace"), status))


# NULL function pointers, for optional callbacks.
_NO_ERROR_CALLBACK = _native.KEEPALIVE_ERROR_CALLBACK()
_NO_FREE = _native.FREE_CALLBACK()

# Objects that own a C handle; closed at interpreter exit so that no callback runs during
# interpreter teardown.
_live: weakref.WeakSet[Any] = weakref.WeakSet()


# One Python thread state per library callback thread. ctypes runs a callback on a thread it did
# not create inside PyGILState_Ensure/Release, which makes a new thread state (and maps its frame
# stack) before the callback and destroys it after: about a third of a watch event's cost on the
# callback thread. The attach hook takes one more PyGILState reference, so the thread state lives
# as long as the thread; the detach hook, run by the library when the idle thread ends, gives it
# back, and ctypes' own release then destroys it. (CPython only: other interpreters keep the
# default.)
_PYGILSTATE_LOCKED = 0
_pythonapi = getattr(ctypes, "pythonapi", None)
_THREAD_HOOKS = _pythonapi is not None and sys.implementation.name == "cpython"
if _THREAD_HOOKS:
    _gil_ensure = _pythonapi.PyGILState_Ensure
    _gil_ensure.restype = ctypes.c_int
    _gil_ensure.argtypes = []
    _gil_release = _pythonapi.PyGILState_Release
    _gil_release.restype = None
    _gil_release.argtypes = [ctypes.c_int]


@_native.THREAD_CALLBACK
def _attach_thread(_userdata: Optional[int]) -> None:
    # Inside a ctypes callback, so this thread has a thread state and holds the GIL: this
    # returns PyGILState_LOCKED and only raises the thread state's reference count.
    _gil_ensure()


@_native.THREAD_CALLBACK
def _detach_thread(_userdata: Optional[int]) -> None:
    _gil_release(_PYGILSTATE_LOCKED)


_NO_THREAD_HOOK = _native.THREAD_CALLBACK()


def _set_thread_hooks(on: bool) -> None:
    # Called without the GIL (a CDLL function): it waits for a hook that is running, and that
    # hook may be waiting for the GIL.
    if on:
        lib.etcd_set_thread_hooks(_attach_thread, _detach_thread, None, _NO_FREE)
    else:
        lib.etcd_set_thread_hooks(_NO_THREAD_HOOK, _NO_THREAD_HOOK, None, _NO_FREE)


@atexit.register
def _close_all() -> None:
    for obj in list(_live):
        obj.close()
    # No hook runs once the interpreter finalizes; threads still attached keep their thread
    # states, which the interpreter clears at exit.
    if _THREAD_HOOKS:
        _set_thread_hooks(False)


if _THREAD_HOOKS:
    _set_thread_hooks(True)


# ------------------------------------------------------------------------------------------------
# Client
# ------------------------------------------------------------------------------------------------


class Client:
    """A connection to an etcd cluster (``etcd::Client``, with blocking calls).

    ``endpoints`` is a string of ``http://host:port`` items separated by ``,`` or ``;``, or a
    sequence of them. The connection is made lazily: an unreachable cluster shows up as error 14
    in the responses. Every operation returns a :class:`Response`; keys and values may be
    ``str`` (UTF-8) or ``bytes``. A client may be used from several threads at once.

    ``timeout`` (seconds) bounds each request (``set_grpc_timeout``); ``load_balancer`` is
    ``"round_robin"`` or ``"pick_first"``. With ``user`` and ``password`` the client logs in
    (and renews its token; ``auth_token_ttl`` is the server's ``--auth-token-ttl``). TLS is used
    when ``tls`` is true or ``ca``, ``cert`` or ``key`` (PEM file paths) is given;
    ``target_name_override`` is the name to check the server certificate against. Refused
    credentials and unreadable files are reported in the responses, like network errors.

    ``auto_sync_interval`` (seconds; None or 0, the default: off) turns on the endpoint
    auto-sync, like etcd's Go client ``AutoSyncInterval``: right away and then at that interval
    the endpoint list is replaced by the client URLs of the cluster's members, so a client given
    one endpoint learns the others (see :meth:`endpoints`, :meth:`sync_endpoints`).

    Operations block the calling thread, but Ctrl-C interrupts them within about 50 ms
    (KeyboardInterrupt; the call is abandoned). Arguments are checked before anything reaches the
    library: TypeError for a wrong type, OverflowError for an integer that does not fit (e.g. a
    negative lease), ValueError for a NUL character in an endpoint, name or path.

    >>> client = Client("http://127.0.0.1:2379")
    >>> client.put("/greeting", "hello").is_ok
    True
    >>> client.get("/greeting").value.as_string()
    'hello'
    """

    def __init__(
        self,
        endpoints: Union[str, Sequence[str]],
        *,
        load_balancer: str = "round_robin",
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        auth_token_ttl: int = 0,
        tls: bool = False,
        ca: Optional[str] = None,
        cert: Optional[str] = None,
        key: Optional[str] = None,
        target_name_override: Optional[str] = None,
        auto_sync_interval: Optional[float] = None,
    ) -> None:
        self._handle: Optional[int] = None
        self._namespace_prefix = b""
        endpoints = _endpoints(endpoints)
        options = _native.ClientOptions(
            user=_text(user, "user"),
            password=_text(password, "password"),
            auth_token_ttl=_int(auth_token_ttl, "auth_token_ttl"),
            use_tls=bool(tls),
            ca_file=_text(ca, "ca"),
            cert_file=_text(cert, "cert"),
            key_file=_text(key, "key"),
            target_name_override=_text(target_name_override, "target_name_override"),
            load_balancer=_text(load_balancer, "load_balancer"),
            request_timeout_ms=_milliseconds(timeout, "timeout"),
            connect_timeout_ms=_milliseconds(connect_timeout, "connect_timeout"),
            auto_sync_interval_ms=_milliseconds(auto_sync_interval, "auto_sync_interval"),
        )
        out = c_void_p()
        _check(
            lib.etcd_client_connect(
                endpoints.encode("utf-8", "surrogateescape"), byref(options), byref(out)
            ),
            f"cannot create a client for {endpoints!r}",
        )
        self._handle = out.value
        _live.add(self)

    # -- namespaces -----------------------------------------------------------------------------

    def namespace(self, prefix: BytesLike) -> Client:
        """A client whose keys live under ``prefix``, sharing this client's connection and
        settings (an extension, as Go's ``clientv3/namespace``): every key and range given to it
        gets the prefix (those of transactions, lock and election names too), and every key in
        its responses, watch events and leader announcements comes back without it. Watchers,
        :class:`ServiceRegistry` and :class:`ServiceDiscovery` made from it work inside the
        namespace. Leases, cluster membership and maintenance are the connection's; an empty
        key is refused with error 3. Made from a client inside a namespace, ``prefix`` is added
        to that client's. Close it like any client; this client may be closed first.

        >>> tenant = client.namespace("/tenant-a")
        >>> tenant.put("/config", "x").is_ok  # stored as "/tenant-a/config"
        True
        """
        p = _bytes(prefix, "prefix")
        out = c_void_p()
        _check(lib.etcd_client_namespace(self._h(), p, len(p), byref(out)), "namespace")
        c = object.__new__(type(self))
        c._handle = out.value
        c._namespace_prefix = self._namespace_prefix + p
        _live.add(c)
        return c

    with_namespace = namespace

    @property
    def namespace_prefix(self) -> bytes:
        """The prefix of this client's keys (``b""`` outside a namespace)."""
        return self._namespace_prefix

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Releases the client. Watchers and keep-alives made from it keep working."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_client_free(handle)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass

    def _h(self) -> int:
        if not self._handle:
            raise EtcdError("the client is closed")
        return self._handle

    def _call(self, fn: Callable[..., int], *args: Any) -> Response:
        # The "_start" twin of the blocking function, waited for in slices so that Ctrl-C is
        # handled during the call; an interrupted call is abandoned.
        name = fn.__name__
        start = _STARTS.get(name)
        if start is None:
            start = _STARTS[name] = getattr(lib, name + "_start")
        call = c_void_p()
        _check(start(self._h(), *args, byref(call)), name)
        try:
            out, view = _finish(call, name)
        except BaseException:
            lib.etcd_call_free(call)  # abandons it
            raise
        # A finished call without a completion callback is freed with the GIL held.
        _native.free_finished_call(call)
        try:
            return _response_of(out.value, view)
        finally:
            lib.etcd_response_free(out)

    # -- key-value ------------------------------------------------------------------------------

    def head(self) -> Response:
        """Cluster information: the current revision (``index``), cluster and member ids."""
        return self._call(lib.etcd_client_head)

    def get(self, key: BytesLike, revision: int = 0) -> Response:
        """Reads ``key`` (at ``revision`` if > 0) into ``value``; a missing key is error 100."""
        k = _bytes(key, "key")
        return self._call(lib.etcd_client_get, k, len(k), _int(revision, "revision"))

    def put(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Stores ``value`` under ``key`` (attached to ``lease`` if not 0); ``prev_value`` is
        what was overwritten."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        return self._call(lib.etcd_client_put, k, len(k), v, len(v), _int(lease, "lease"))

    set = put

    def add(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Creates ``key`` only if absent; otherwise error 105 with the existing value."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        return self._call(lib.etcd_client_add, k, len(k), v, len(v), _int(lease, "lease"))

    def modify(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Updates ``key`` only if present; otherwise error 100."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        return self._call(lib.etcd_client_modify, k, len(k), v, len(v), _int(lease, "lease"))

    def modify_if(
        self, key: BytesLike, value: BytesLike, old: Union[BytesLike, int], lease: int = 0
    ) -> Response:
        """Compare-and-swap: updates ``key`` only if its value is ``old`` (str/bytes) or its
        modified index is ``old`` (int); otherwise error 101 with the current value."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        lease = _int(lease, "lease")
        if isinstance(old, int):
            return self._call(
                lib.etcd_client_modify_if_index, k, len(k), v, len(v), _int(old, "old"), lease
            )
        o = _bytes(old, "old")
        return self._call(lib.etcd_client_modify_if_value, k, len(k), v, len(v), o, len(o), lease)

    def rm(self, key: BytesLike) -> Response:
        """Deletes ``key``; ``prev_value`` is what was removed; a missing key is error 100."""
        k = _bytes(key, "key")
        return self._call(lib.etcd_client_rm, k, len(k))

    def rm_if(self, key: BytesLike, old: Union[BytesLike, int]) -> Response:
        """Compare-and-delete: deletes ``key`` only if its value (str/bytes) or modified index
        (int) is ``old``; otherwise error 101."""
        k = _bytes(key, "key")
        if isinstance(old, int):
            return self._call(lib.etcd_client_rm_if_index, k, len(k), _int(old, "old"))
        o = _bytes(old, "old")
        return self._call(lib.etcd_client_rm_if_value, k, len(k), o, len(o))

    def rmdir(
        self, key: BytesLike, recursive: bool = False, range_end: Optional[BytesLike] = None
    ) -> Response:
        """Deletes ``key`` alone, every key under the prefix ``key`` (``recursive``), or the keys
        in ``[key, range_end)``; ``values`` are the removed keys (none: error 100)."""
        k = _bytes(key, "key")
        if range_end is not None:
            e = _bytes(range_end, "range_end")
            return self._call(lib.etcd_client_rmdir_range, k, len(k), e, len(e))
        return self._call(lib.etcd_client_rmdir, k, len(k), recursive)

    def ls(
        self,
        key: BytesLike,
        range_end: Optional[BytesLike] = None,
        limit: int = 0,
        revision: int = 0,
    ) -> Response:
        """Lists the keys under the prefix ``key`` (or in ``[key, range_end)``) with their
        values, in key order; ``limit`` 0 means all, ``revision`` 0 the latest."""
        return self._range(
            lib.etcd_client_ls, lib.etcd_client_ls_range, key, range_end, limit, revision
        )

    def keys(
        self,
        key: BytesLike,
        range_end: Optional[BytesLike] = None,
        limit: int = 0,
        revision: int = 0,
    ) -> Response:
        """As :meth:`ls`, reading keys only (the values are empty); see ``Response.keys``."""
        return self._range(
            lib.etcd_client_keys, lib.etcd_client_keys_range, key, range_end, limit, revision
        )

    def _range(
        self,
        by_prefix: Callable[..., int],
        by_range: Callable[..., int],
        key: BytesLike,
        range_end: Optional[BytesLike],
        limit: int,
        revision: int,
    ) -> Response:
        k = _bytes(key, "key")
        limit, revision = _int(limit, "limit"), _int(revision, "revision")
        if range_end is None:
            return self._call(by_prefix, k, len(k), limit, revision)
        e = _bytes(range_end, "range_end")
        return self._call(by_range, k, len(k), e, len(e), limit, revision)

    # -- leases ---------------------------------------------------------------------------------

    def leasegrant(self, ttl: int) -> Response:
        """Grants a lease of ``ttl`` seconds: its id is ``value.lease``, its TTL ``value.ttl``."""
        return self._call(lib.etcd_client_lease_grant, _int(ttl, "ttl"))

    def leaserevoke(self, lease_id: int) -> Response:
        """Revokes a lease; the keys attached to it are deleted."""
        return self._call(lib.etcd_client_lease_revoke, _int(lease_id, "lease_id"))

    def leasetimetolive(self, lease_id: int) -> Response:
        """The remaining TTL of a lease in ``value.ttl`` (-1 once expired)."""
        return self._call(lib.etcd_client_lease_time_to_live, _int(lease_id, "lease_id"))

    def leases(self) -> Response:
        """The ids of all leases, in ``leases``."""
        return self._call(lib.etcd_client_lease_list)

    def leasekeepalive(
        self, ttl: int, on_error: Optional[Callable[[KeepAliveError], None]] = None
    ) -> KeepAlive:
        """Grants a lease of ``ttl`` seconds and keeps it alive in the background until the
        returned :class:`KeepAlive` is cancelled or closed. Raises :class:`KeepAliveError`
        (saying why, with the failed ``response``) if the lease cannot be granted."""
        ttl = _int(ttl, "ttl")
        _callable(on_error, "on_error")
        if ttl <= 0:
            raise InvalidArgumentError(f"the TTL must be positive, not {ttl}")
        # Granted here (a call Ctrl-C can interrupt), then kept alive by the library.
        granted = self.leasegrant(ttl)
        if not granted.is_ok:
            raise KeepAliveError(
                f"Failed to grant the lease: error code: {granted.error_code}, "
                f"message: {granted.error_message}",
                response=granted,
            )
        return KeepAlive(self, ttl, granted.value.lease, on_error=on_error)

    # -- transactions ---------------------------------------------------------------------------

    def txn(self, transaction: Txn) -> Response:
        """Runs a :class:`Txn`: action ``"txn"``; the success branch's results (in ``values``)
        when every comparison held, else the failure branch's with error 101."""
        if not isinstance(transaction, Txn):
            raise TypeError(f"txn() takes a Txn, not {type(transaction).__name__}")
        return self._call(lib.etcd_client_txn, transaction._handle())

    # -- locks ----------------------------------------------------------------------------------

    def lock(self, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> Lock:
        """The lock ``name``, to hold in a ``with`` block::

            with client.lock("/locks/job"):
                ...  # no other holder of /locks/job runs this meanwhile

        Entering waits while someone else holds the lock; the lock is held on a lease of
        ``ttl`` seconds kept alive by the library (or on the caller's ``lease``), and released
        on leaving the block. :meth:`acquire_lock` / :meth:`unlock` are the same, by hand."""
        return Lock(self, name, ttl, lease=lease)

    def acquire_lock(self, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> Response:
        """Takes the lock ``name`` (``lock(name, ttl)``), waiting while someone else holds it.
        The response's ``lock_key`` is what :meth:`unlock` takes; with ``lease`` the lock is
        held on that lease (which the caller keeps alive) instead of a new one of ``ttl``
        seconds."""
        n = _bytes(name, "name")
        if lease:
            return self._call(lib.etcd_client_lock_with_lease, n, len(n), _int(lease, "lease"))
        ttl = _int(ttl, "ttl")
        if ttl <= 0:
            raise InvalidArgumentError(f"the TTL must be positive, not {ttl}")
        return self._call(lib.etcd_client_lock, n, len(n), ttl)

    def unlock(self, lock_key: BytesLike) -> Response:
        """Releases a lock by its ``lock_key`` (from the lock's response, not its name)."""
        k = _bytes(lock_key, "lock_key")
        return self._call(lib.etcd_client_unlock, k, len(k))

    # -- elections ------------------------------------------------------------------------------

    def election(self, name: BytesLike) -> Election:
        """The :class:`Election` ``name``: campaign, proclaim, resign, leader, observe."""
        return Election(self, name)

    def campaign(self, name: BytesLike, lease: int, value: BytesLike) -> Response:
        """Campaigns in election ``name`` with ``value`` on ``lease`` (kept alive by the
        caller), waiting until elected. The response's ``value`` (key, created_index, lease)
        is what :meth:`proclaim` and :meth:`resign` take."""
        n, v = _bytes(name, "name"), _bytes(value, "value")
        return self._call(lib.etcd_client_campaign, n, len(n), _int(lease, "lease"), v, len(v))

    def proclaim(
        self, name: BytesLike, lease: int, key: BytesLike, revision: int, value: BytesLike
    ) -> Response:
        """Announces a new ``value`` as the leader, with the campaign's lease, key and
        revision (its value's ``created_index``)."""
        n, k, v = _bytes(name, "name"), _bytes(key, "key"), _bytes(value, "value")
        lease, revision = _int(lease, "lease"), _int(revision, "revision")
        return self._call(
            lib.etcd_client_proclaim, n, len(n), lease, k, len(k), revision, v, len(v)
        )

    def leader(self, name: BytesLike) -> Response:
        """The current leader of election ``name`` in ``value``; an error if none."""
        n = _bytes(name, "name")
        return self._call(lib.etcd_client_leader, n, len(n))

    def resign(self, name: BytesLike, lease: int, key: BytesLike, revision: int) -> Response:
        """Gives up the leadership won by a campaign (its lease, key and revision)."""
        n, k = _bytes(name, "name"), _bytes(key, "key")
        lease, revision = _int(lease, "lease"), _int(revision, "revision")
        return self._call(lib.etcd_client_resign, n, len(n), lease, k, len(k), revision)

    def observe(self, name: BytesLike) -> Observer:
        """An :class:`Observer` of the leaders of election ``name``."""
        return Observer(self, name)

    # -- cluster and maintenance ----------------------------------------------------------------

    def members(self) -> List[Member]:
        """The members of the cluster; raises :class:`EtcdError` (with the ``response``) if
        the cluster cannot be asked. :meth:`member_list` gives the response itself."""
        response = self.member_list()
        if not response.is_ok:
            raise EtcdError(
                f"cannot list the members: {response.error_message} (error {response.error_code})",
                response=response,
            )
        return response.members

    def member_list(self) -> Response:
        """The members of the cluster, in ``members``."""
        return self._call(lib.etcd_client_member_list)

    def member_add(
        self, peer_urls: Union[str, Sequence[str]], is_learner: bool = False
    ) -> Response:
        """Adds a member with these peer URLs (a learner does not vote until promoted); the
        response's ``members`` hold the new member."""
        urls = _endpoints(peer_urls)
        return self._call(lib.etcd_client_member_add, urls.encode("utf-8"), bool(is_learner))

    def member_remove(self, member_id: int) -> Response:
        """Removes the member with id ``member_id``."""
        return self._call(
            lib.etcd_client_member_remove, _int(member_id, "member_id", maximum=2**64 - 1)
        )

    def sync_endpoints(self) -> Response:
        """Makes the client URLs of the cluster's started voting members the client's endpoints
        now (what ``auto_sync_interval`` does periodically); the response lists the members. On
        an error the endpoints stay as they were."""
        return self._call(lib.etcd_client_sync_endpoints)

    def endpoints(self) -> List[str]:
        """The client's current endpoints (``host:port``), as given or as the last endpoint
        sync learned them."""
        size = c_size_t(0)
        _check(lib.etcd_client_endpoints(self._h(), None, 0, byref(size)), "endpoints")
        while True:
            buffer = create_string_buffer(size.value + 1)
            needed = c_size_t(0)
            _check(
                lib.etcd_client_endpoints(self._h(), buffer, len(buffer), byref(needed)),
                "endpoints",
            )
            if needed.value < len(buffer):
                text = buffer.raw[: needed.value].decode("utf-8", "replace")
                return [e for e in text.split(",") if e]
            size = needed

    def status(self, endpoint: Optional[str] = None) -> Response:
        """The status of the member at ``endpoint`` (None: any that answers) in ``status``: a
        :class:`MemberStatus` (version, database size, leader, raft index)."""
        return self._call(lib.etcd_client_status, _text(endpoint, "endpoint"))

    def compact(self, revision: int, physical: bool = False) -> Response:
        """Compacts the key history up to ``revision`` (older revisions are forgotten: reading
        or watching from them then gives error 11). With ``physical``, returns once they are
        removed from the database."""
        return self._call(lib.etcd_client_compact, _int(revision, "revision"), bool(physical))

    def defragment(self, endpoint: Optional[str] = None) -> Response:
        """Defragments the database of the member at ``endpoint`` (None: any that answers);
        ``status.endpoint`` tells which. The member serves nothing else meanwhile."""
        return self._call(lib.etcd_client_defragment, _text(endpoint, "endpoint"))

    # -- watches --------------------------------------------------------------------------------

    def watch(
        self,
        key: BytesLike,
        callback: Optional[Callable[[Response], None]] = None,
        *,
        recursive: bool = False,
        range_end: Optional[BytesLike] = None,
        from_revision: int = 0,
    ) -> Watcher:
        """Starts a :class:`Watcher` on ``key``, the prefix ``key`` (``recursive``) or the range
        ``[key, range_end)``, from ``from_revision`` (0: from now on)."""
        return Watcher(
            self,
            key,
            callback,
            recursive=recursive,
            range_end=range_end,
            from_revision=from_revision,
        )


# ------------------------------------------------------------------------------------------------
# Watcher
# ------------------------------------------------------------------------------------------------

_END = object()


class _WatchState:
    """What the library's callback thread updates; shared by a Watcher and the registry."""

    def __init__(self, callback: Optional[Callable[[Response], None]]) -> None:
        self.callback = callback
        self.events: Optional[queue.SimpleQueue[Any]] = None if callback else queue.SimpleQueue()
        self.ended = threading.Event()
        self.error: Optional[Response] = None

    def deliver(self, response: Response) -> None:
        if not response.is_ok:
            self.error = response
        if self.callback is not None:
            try:
                self.callback(response)
            except BaseException:
                _report_callback_error("a watch callback")
        elif self.events is not None:
            for event in response.events:
                self.events.put(event)
        if not response.is_ok:
            self.end()

    def end(self) -> None:
        if self.events is not None:
            self.events.put(_END)
        self.ended.set()


class Watcher:
    """A long-lived watch on a key, a prefix or a range (``etcd::Watcher``).

    With a ``callback``, every batch of events is passed to it as a :class:`Response`, in
    order, on a library thread (named ``etcd-cb``); the callback may use the client. Without
    one, the watcher is an iterator of :class:`Event` objects::

        with client.watch("/services/", recursive=True) as watcher:
            for event in watcher:
                print(event.event_type.name, event.kv.key, event.prev_kv)

    Each event carries the previous key-value when etcd has it. The watch survives the loss of
    an endpoint (it resumes from the next revision, without losing or repeating events) and
    ends when cancelled, or when etcd ends it (compaction of ``from_revision``: the callback
    gets a last response with error 11; iteration raises :class:`WatchError`).

    The watch runs as long as this object exists: keep a reference to it (or use it in a
    ``with`` block); dropping or closing it cancels the watch, as the C++ destructor does.
    """

    def __init__(
        self,
        client: Client,
        key: BytesLike,
        callback: Optional[Callable[[Response], None]] = None,
        *,
        recursive: bool = False,
        range_end: Optional[BytesLike] = None,
        from_revision: int = 0,
    ) -> None:
        self._handle: Optional[int] = None
        _callable(callback, "callback")
        from_revision = _int(from_revision, "from_revision")
        self._state = _WatchState(callback)
        self._cancelled = False
        k = _bytes(key, "key")
        token = _register(self._state)
        out = c_void_p()
        try:
            if range_end is None:
                status = lib.etcd_watcher_start(
                    client._h(),
                    k,
                    len(k),
                    recursive,
                    from_revision,
                    _on_watch,
                    token,
                    _release,
                    byref(out),
                )
            else:
                e = _bytes(range_end, "range_end")
                status = lib.etcd_watcher_start_range(
                    client._h(),
                    k,
                    len(k),
                    e,
                    len(e),
                    from_revision,
                    _on_watch,
                    token,
                    _release,
                    byref(out),
                )
            _check(status, "cannot start a watcher")
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        _live.add(self)
        # Returns once etcd has confirmed the watch (so a write made next is delivered), or
        # after the client's connect timeout; waits in slices so that Ctrl-C gets through.
        started = c_bool(False)
        try:
            while not started.value:
                _check(
                    lib.etcd_watcher_wait_started(self._handle, _WAIT_SLICE_MS, byref(started)),
                    "cannot start a watcher",
                )
        except BaseException:
            self.close()
            raise

    def cancel(self) -> bool:
        """Stops the watch (``Cancel()``). Once it returns the callback no longer runs (unless
        called from inside the callback). Idempotent; returns True."""
        if self._handle:
            _check(lib.etcd_watcher_cancel(self._handle), "cannot cancel the watcher")
        self._cancelled = True
        self._state.end()
        return True

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the watch ends (``Wait()``) and returns True if it was cancelled, False
        if etcd ended it (once the callback has had the last response). Raises TimeoutError if
        it has not ended within ``timeout`` seconds. Not to be called from the callback."""
        if not self._state.ended.wait(timeout):
            raise TimeoutError("the watcher did not end in time")
        return self._cancelled or self._state.error is None

    @property
    def ended(self) -> bool:
        """True once the watch has ended (cancelled, or ended by etcd)."""
        return self._handle is None or bool(lib.etcd_watcher_ended(self._handle))

    @property
    def error(self) -> Optional[Response]:
        """The response with which etcd ended the watch, if it did."""
        return self._state.error

    def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event (iteration mode only), waiting up to ``timeout`` seconds (None:
        forever). Returns None once the watcher was cancelled; raises :class:`WatchError` if
        etcd ended the watch and TimeoutError if no event came in time."""
        events = self._state.events
        if events is None:
            raise TypeError("this watcher delivers its events to its callback")
        try:
            item = events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no watch event in time") from None
        if item is _END:
            events.put(_END)  # stays ended for later calls
            if self._state.error is not None:
                err = self._state.error
                raise WatchError(
                    f"the watch ended: {err.error_message} (error {err.error_code})", response=err
                )
            return None
        return item

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        event = self.next_event()
        if event is None:
            raise StopIteration
        return event

    def close(self) -> None:
        """Cancels the watch and releases it."""
        handle, self._handle = self._handle, None
        if handle:
            self._cancelled = True
            lib.etcd_watcher_free(handle)
            self._state.end()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# KeepAlive
# ------------------------------------------------------------------------------------------------


class _KeepAliveState:
    def __init__(self, on_error: Callable[[KeepAliveError], None]) -> None:
        self.on_error = on_error

    def deliver(self, error: KeepAliveError) -> None:
        try:
            self.on_error(error)
        except BaseException:
            _report_callback_error("a keep-alive error callback")


class KeepAlive:
    """Keeps a lease alive in the background (``etcd::KeepAlive``).

    Refreshes lease ``lease_id`` every ``ttl``/3 seconds; with ``lease_id`` 0 it first grants a
    lease of ``ttl`` seconds (see :attr:`lease`). Transport failures are retried (on another
    endpoint if need be); only a lease that is gone or a server error ends the keep-alive.
    ``on_error`` is then called once, on a library thread, with a :class:`LeaseExpiredError` or
    :class:`KeepAliveError`, and :meth:`check` raises it.

    The lease is kept alive as long as this object exists: cancelling, closing or dropping it
    stops the refreshes without revoking the lease, which then expires after its TTL. Use it as
    a context manager::

        with client.leasekeepalive(5) as keepalive:
            client.put("/services/me", "127.0.0.1:8080", keepalive.lease)
            serve()
    """

    def __init__(
        self,
        client: Client,
        ttl: int,
        lease_id: int = 0,
        on_error: Optional[Callable[[KeepAliveError], None]] = None,
    ) -> None:
        self._handle: Optional[int] = None
        ttl, lease_id = _int(ttl, "ttl"), _int(lease_id, "lease_id")
        _callable(on_error, "on_error")
        token = _register(_KeepAliveState(on_error)) if on_error is not None else 0
        out = c_void_p()
        try:
            _check(
                lib.etcd_keepalive_new(
                    client._h(),
                    ttl,
                    lease_id,
                    _on_keepalive_error if on_error else _NO_ERROR_CALLBACK,
                    token,
                    _release if on_error else _NO_FREE,
                    byref(out),
                ),
                "cannot start the keep-alive",
            )
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        self._lease = lib.etcd_keepalive_lease(self._handle)
        _live.add(self)

    @property
    def lease(self) -> int:
        """The lease id (``Lease()``); 0 if granting the lease failed (:meth:`check` says why)."""
        return self._lease

    def check(self) -> None:
        """Raises the error that ended the keep-alive, if any (``Check()``); otherwise refreshes
        the lease once now. An unreachable cluster is not an error (refreshing goes on)."""
        if not self._handle:
            return
        status = lib.etcd_keepalive_check(self._handle)
        if status != _native.STATUS_OK:
            message = lib.etcd_keepalive_error_message(self._handle)
            text = message.decode("utf-8", "replace") if message else _status_text(status)
            raise _STATUS_ERRORS.get(status, EtcdError)(text, status)

    def cancel(self) -> None:
        """Stops refreshing the lease (``Cancel()``); the lease is not revoked."""
        if self._handle:
            _check(lib.etcd_keepalive_cancel(self._handle), "cannot cancel the keep-alive")

    def close(self) -> None:
        """Cancels and releases the keep-alive."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_keepalive_free(handle)

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# Transactions
# ------------------------------------------------------------------------------------------------

_TARGETS = {
    "version": _native.COMPARE_VERSION,
    "create": _native.COMPARE_CREATE,
    "mod": _native.COMPARE_MOD,
    "value": _native.COMPARE_VALUE,
    "lease": _native.COMPARE_LEASE,
}
_RESULTS = {
    "==": _native.COMPARE_EQUAL,
    ">": _native.COMPARE_GREATER,
    "<": _native.COMPARE_LESS,
    "!=": _native.COMPARE_NOT_EQUAL,
}


class Txn:
    """A transaction: comparisons, then the operations of the branch they choose.

    Built by chaining, and run with :meth:`Client.txn`::

        txn = (
            Txn()
            .compare("value", "/config/color", "==", "blue")
            .compare("version", "/config/size", ">", 0)
            .then_put("/config/color", "green")
            .then_get("/config/", range_end="/config0")
            .else_put("/config/color", "blue")
        )
        response = client.txn(txn)     # error 101 when a comparison did not hold

    ``target`` is ``"value"``, ``"version"``, ``"create"`` (create revision), ``"mod"``
    (modification revision) or ``"lease"``; ``op`` is ``==``, ``!=``, ``<`` or ``>``. Each
    comparison and operation applies to ``key`` alone, or to ``[key, range_end)``.
    ``then_txn`` / ``else_txn`` nest a copy of another transaction. A Txn can be run several
    times; running it does not change it.
    """

    def __init__(self) -> None:
        out = c_void_p()
        _check(lib.etcd_txn_new(byref(out)), "cannot create a transaction")
        self._txn: Optional[int] = out.value

    def _handle(self) -> int:
        if not self._txn:
            raise EtcdError("the transaction was closed")
        return self._txn

    def compare(
        self,
        target: str,
        key: BytesLike,
        op: str,
        expected: Union[BytesLike, int],
        *,
        range_end: Optional[BytesLike] = None,
    ) -> Txn:
        """Adds the comparison ``<target of key> <op> <expected>``; returns the Txn."""
        if target not in _TARGETS:
            raise ValueError(f"target must be one of {sorted(_TARGETS)}, not {target!r}")
        if op not in _RESULTS:
            raise ValueError(f"op must be one of {sorted(_RESULTS)}, not {op!r}")
        k = _bytes(key, "key")
        e = _bytes(range_end, "range_end") if range_end is not None else b""
        if target == "value":
            v = _bytes(expected, "expected")  # type: ignore[arg-type]
            status = lib.etcd_txn_compare_value(
                self._handle(), _RESULTS[op], k, len(k), e, len(e), v, len(v)
            )
        else:
            number = _int(expected, "expected")
            status = lib.etcd_txn_compare_number(
                self._handle(), _TARGETS[target], _RESULTS[op], k, len(k), e, len(e), number
            )
        _check(status, "cannot add the comparison")
        return self

    def _get(self, branch: int, key: BytesLike, range_end: Optional[BytesLike], limit: int) -> Txn:
        k = _bytes(key, "key")
        e = _bytes(range_end, "range_end") if range_end is not None else b""
        _check(
            lib.etcd_txn_get(self._handle(), branch, k, len(k), e, len(e), _int(limit, "limit")),
            "cannot add the get",
        )
        return self

    def _put(self, branch: int, key: BytesLike, value: BytesLike, lease: int, prev: bool) -> Txn:
        k, v = _bytes(key, "key"), _bytes(value, "value")
        _check(
            lib.etcd_txn_put(
                self._handle(), branch, k, len(k), v, len(v), _int(lease, "lease"), bool(prev)
            ),
            "cannot add the put",
        )
        return self

    def _delete(
        self, branch: int, key: BytesLike, range_end: Optional[BytesLike], prev: bool
    ) -> Txn:
        k = _bytes(key, "key")
        e = _bytes(range_end, "range_end") if range_end is not None else b""
        _check(
            lib.etcd_txn_delete(self._handle(), branch, k, len(k), e, len(e), bool(prev)),
            "cannot add the delete",
        )
        return self

    def _nest(self, branch: int, nested: Txn) -> Txn:
        if not isinstance(nested, Txn):
            raise TypeError(f"a nested transaction must be a Txn, not {type(nested).__name__}")
        _check(lib.etcd_txn_nest(self._handle(), branch, nested._handle()), "cannot nest")
        return self

    def then_get(
        self, key: BytesLike, *, range_end: Optional[BytesLike] = None, limit: int = 0
    ) -> Txn:
        """On success, reads ``key`` (or ``[key, range_end)``, at most ``limit`` keys)."""
        return self._get(_native.TXN_SUCCESS, key, range_end, limit)

    def then_put(
        self, key: BytesLike, value: BytesLike, *, lease: int = 0, prev_kv: bool = False
    ) -> Txn:
        """On success, stores ``value`` under ``key``."""
        return self._put(_native.TXN_SUCCESS, key, value, lease, prev_kv)

    def then_delete(
        self, key: BytesLike, *, range_end: Optional[BytesLike] = None, prev_kv: bool = False
    ) -> Txn:
        """On success, deletes ``key`` (or ``[key, range_end)``)."""
        return self._delete(_native.TXN_SUCCESS, key, range_end, prev_kv)

    def then_txn(self, nested: Txn) -> Txn:
        """On success, runs (a copy of) ``nested``."""
        return self._nest(_native.TXN_SUCCESS, nested)

    def else_get(
        self, key: BytesLike, *, range_end: Optional[BytesLike] = None, limit: int = 0
    ) -> Txn:
        """On failure, reads ``key`` (or ``[key, range_end)``)."""
        return self._get(_native.TXN_FAILURE, key, range_end, limit)

    def else_put(
        self, key: BytesLike, value: BytesLike, *, lease: int = 0, prev_kv: bool = False
    ) -> Txn:
        """On failure, stores ``value`` under ``key``."""
        return self._put(_native.TXN_FAILURE, key, value, lease, prev_kv)

    def else_delete(
        self, key: BytesLike, *, range_end: Optional[BytesLike] = None, prev_kv: bool = False
    ) -> Txn:
        """On failure, deletes ``key`` (or ``[key, range_end)``)."""
        return self._delete(_native.TXN_FAILURE, key, range_end, prev_kv)

    def else_txn(self, nested: Txn) -> Txn:
        """On failure, runs (a copy of) ``nested``."""
        return self._nest(_native.TXN_FAILURE, nested)

    def close(self) -> None:
        """Releases the transaction."""
        txn, self._txn = self._txn, None
        if txn:
            lib.etcd_txn_free(txn)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# Locks and elections
# ------------------------------------------------------------------------------------------------


class LockError(EtcdError):
    """A lock could not be taken; ``response`` says why."""


class Lock:
    """The lock ``name`` as a context manager (see :meth:`Client.lock`). ``key`` is the lock
    key while it is held."""

    def __init__(self, client: Client, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> None:
        self._client = client
        self._name = _bytes(name, "name")
        self._ttl = _int(ttl, "ttl")
        self._lease = _int(lease, "lease")
        self.key: Optional[bytes] = None

    def acquire(self) -> Lock:
        """Takes the lock, waiting while someone else holds it; raises :class:`LockError`."""
        response = self._client.acquire_lock(self._name, self._ttl, lease=self._lease)
        return self._taken(response)

    def _taken(self, response: Response) -> Lock:
        if not response.is_ok:
            raise LockError(
                f"cannot take the lock {self._name!r}: {response.error_message} "
                f"(error {response.error_code})",
                response=response,
            )
        self.key = response.lock_key
        return self

    def release(self) -> Optional[Response]:
        """Releases the lock if held."""
        key, self.key = self.key, None
        return self._client.unlock(key) if key else None

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class ElectionError(EtcdError):
    """An election operation failed; ``response`` says why."""


class Election:
    """An election (see :meth:`Client.election`)::

        election = client.election("/election/scheduler")
        with client.leasekeepalive(5) as keepalive:
            election.campaign("node-1", keepalive.lease)   # waits until elected
            election.proclaim("node-1 (busy)")
            ...
            election.resign()

        for leader in election.observe():                 # every leader, as elected
            print(leader.value.as_string())

    Failures raise :class:`ElectionError` with the failed ``response``.
    """

    def __init__(self, client: Client, name: BytesLike) -> None:
        self._client = client
        self.name = _bytes(name, "name")
        #: The value (key, created_index, lease) of this object's leadership, while it has one.
        self.leadership: Optional[Value] = None

    @staticmethod
    def _ok(response: Response, what: str) -> Response:
        if not response.is_ok:
            raise ElectionError(
                f"{what}: {response.error_message} (error {response.error_code})",
                response=response,
            )
        return response

    def campaign(self, value: BytesLike, lease: int) -> Response:
        """Campaigns with ``value`` on ``lease`` (kept alive by the caller) and waits until
        elected."""
        response = self._ok(self._client.campaign(self.name, lease, value), "campaign failed")
        self.leadership = response.value
        return response

    def _leadership(self) -> Value:
        if self.leadership is None:
            raise ElectionError("not leader: campaign first")
        return self.leadership

    def proclaim(self, value: BytesLike) -> Response:
        """Announces a new value of this leadership."""
        own = self._leadership()
        return self._ok(
            self._client.proclaim(self.name, own.lease, own.key, own.created_index, value),
            "proclaim failed",
        )

    def resign(self) -> Response:
        """Gives up this leadership; the next candidate is elected."""
        own = self._leadership()
        response = self._client.resign(self.name, own.lease, own.key, own.created_index)
        self.leadership = None
        return self._ok(response, "resign failed")

    def leader(self) -> Optional[Value]:
        """The current leader's key and value, or None if there is none."""
        response = self._client.leader(self.name)
        return response.value if response.is_ok else None

    def observe(self) -> Observer:
        """An iterator of the leaders elected from now on (the current one first)."""
        return Observer(self._client, self.name)


class Observer:
    """The leaders of an election as they are elected (see :meth:`Election.observe`): an
    iterator of :class:`Response` objects whose ``value`` is the leader's key and value, and a
    context manager that stops observing. Iteration raises :class:`ElectionError` if the
    observation ends (observers do not reconnect)."""

    def __init__(self, client: Client, name: BytesLike) -> None:
        self._handle: Optional[int] = None
        n = _bytes(name, "name")
        out = c_void_p()
        _check(lib.etcd_client_observe(client._h(), n, len(n), byref(out)), "cannot observe")
        self._handle = out.value
        _live.add(self)

    def poll(self) -> Optional[Response]:
        """The next leader if one was elected already, else None (does not wait)."""
        return self.next(timeout=0)

    def next(self, timeout: Optional[float] = None) -> Optional[Response]:
        """The next leader, waiting up to ``timeout`` seconds (None: as long as it takes);
        None if none came in time. Ctrl-C interrupts the wait."""
        remaining = None if timeout is None else _milliseconds(timeout, "timeout")
        while True:
            if not self._handle:
                raise ElectionError("the observer is closed")
            slice_ms = _WAIT_SLICE_MS if remaining is None else min(_WAIT_SLICE_MS, remaining)
            out = c_void_p()
            status = lib.etcd_observer_wait(self._handle, slice_ms, byref(out))
            if status == _native.STATUS_OK:
                try:
                    response = _response(out.value)
                finally:
                    lib.etcd_response_free(out)
                if not response.is_ok:
                    raise ElectionError(
                        f"the observation ended: {response.error_message} "
                        f"(error {response.error_code})",
                        response=response,
                    )
                return response
            if status != _native.STATUS_PENDING:
                _check(status, "cannot observe")
            if remaining is not None:
                remaining -= slice_ms
                if remaining <= 0:
                    return None

    def __iter__(self) -> Iterator[Response]:
        return self

    def __next__(self) -> Response:
        response = self.next()
        assert response is not None
        return response

    def close(self) -> None:
        """Stops observing."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_observer_free(handle)

    def __enter__(self) -> Observer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# Logging: the library's messages go to logging.getLogger("etcd_cpp_rs")
# ------------------------------------------------------------------------------------------------

#: The logger that receives the library's messages (reconnects, fail-overs, token renewals,
#: callback exceptions), and this package's own.
logger = logging.getLogger("etcd_cpp_rs")

_LOG_LEVELS = {
    _native.LOG_ERROR: logging.ERROR,
    _native.LOG_WARN: logging.WARNING,
    _native.LOG_INFO: logging.INFO,
    _native.LOG_DEBUG: logging.DEBUG,
}


@_native.LOG_CALLBACK
def _on_log(_userdata: Optional[int], level: int, message: bytes) -> None:
    try:
        logger.log(_LOG_LEVELS.get(level, logging.ERROR), "%s", message.decode("utf-8", "replace"))
    except Exception:  # never let an exception reach the library
        pass


def set_log_level(level: int = logging.DEBUG) -> None:
    """Which of the library's messages are passed to the logger (a :mod:`logging` level;
    ``logging.DEBUG`` passes all). The package installs the hook at import with
    ``logging.INFO``; the logger's own level and handlers then decide what is shown (by
    default Python shows warnings and errors on stderr)."""
    if level <= logging.DEBUG:
        wanted = _native.LOG_DEBUG
    elif level <= logging.INFO:
        wanted = _native.LOG_INFO
    elif level <= logging.WARNING:
        wanted = _native.LOG_WARN
    else:
        wanted = _native.LOG_ERROR
    _check(lib.etcd_set_log_callback(_on_log, wanted, None, _NO_FREE), "cannot set the log hook")


set_log_level(logging.INFO)
