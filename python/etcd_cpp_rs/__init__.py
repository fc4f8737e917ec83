"""etcd_cpp_rs: an etcd v3 client for Python, on the Rust core of etcd-cpp-rs.

The same client as the library's C and C++ APIs (it calls the C API through ctypes), with the
names of etcd-cpp-apiv3::

    import etcd_cpp_rs

    client = etcd_cpp_rs.Client("http://127.0.0.1:2379")
    client.put("/config/color", "blue")
    response = client.get("/config/color")
    if response.is_ok:
        print(response.value.as_string())
    else:
        print(response.error_code, response.error_message)

Transactions (:class:`Txn`), locks (``with client.lock(name):``), elections
(:class:`Election`), the member list, status, compaction and defragmentation are there too;
:mod:`etcd_cpp_rs.aio` offers the same under asyncio. The library's messages (reconnects,
fail-overs, token renewals, exceptions in callbacks) go to ``logging.getLogger("etcd_cpp_rs")``.

Errors of etcd or the network are reported in the :class:`Response`; exceptions
(:class:`EtcdError` and subclasses) mean the library could not carry out a call. Callbacks of
watchers and keep-alives run on the library's threads (named ``etcd-cb``).
"""

from ._native import lib as _lib
from ._native import library_path
from .client import (
    ERROR_ACTION_CANCELLED,
    ERROR_COMPARE_FAILED,
    ERROR_GRPC_CANCELLED,
    ERROR_GRPC_DEADLINE_EXCEEDED,
    ERROR_GRPC_INTERNAL,
    ERROR_GRPC_INVALID_ARGUMENT,
    ERROR_GRPC_NOT_FOUND,
    ERROR_GRPC_OUT_OF_RANGE,
    ERROR_GRPC_UNAVAILABLE,
    ERROR_GRPC_UNKNOWN,
    ERROR_KEY_ALREADY_EXISTS,
    ERROR_KEY_NOT_FOUND,
    BytesLike,
    Client,
    Election,
    ElectionError,
    EtcdError,
    Event,
    EventType,
    InvalidArgumentError,
    KeepAlive,
    KeepAliveError,
    LeaseExpiredError,
    Lock,
    LockError,
    Member,
    MemberStatus,
    Observer,
    Response,
    Txn,
    Value,
    Watcher,
    WatchError,
    logger,
    set_log_level,
)
from .registry import Change, ServiceDiscovery, ServiceRegistry

#: The library version (the C API's ``etcd_version()``).
__version__: str = _lib.etcd_version().decode()

__all__ = [
    "Client",
    "Watcher",
    "KeepAlive",
    "ServiceRegistry",
    "ServiceDiscovery",
    "Change",
    "Response",
    "Value",
    "Event",
    "EventType",
    "Txn",
    "Lock",
    "LockError",
    "Election",
    "ElectionError",
    "Observer",
    "Member",
    "MemberStatus",
    "logger",
    "set_log_level",
    "BytesLike",
    "EtcdError",
    "InvalidArgumentError",
    "KeepAliveError",
    "LeaseExpiredError",
    "WatchError",
    "library_path",
    "ERROR_GRPC_CANCELLED",
    "ERROR_GRPC_UNKNOWN",
    "ERROR_GRPC_INVALID_ARGUMENT",
    "ERROR_GRPC_DEADLINE_EXCEEDED",
    "ERROR_GRPC_NOT_FOUND",
    "ERROR_GRPC_OUT_OF_RANGE",
    "ERROR_GRPC_INTERNAL",
    "ERROR_GRPC_UNAVAILABLE",
    "ERROR_KEY_NOT_FOUND",
    "ERROR_COMPARE_FAILED",
    "ERROR_KEY_ALREADY_EXISTS",
    "ERROR_ACTION_CANCELLED",
]
