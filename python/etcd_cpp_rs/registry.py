"""Service registration and discovery: :class:`ServiceRegistry` and :class:`ServiceDiscovery`.

The pattern of registering ``/service/<name> -> host:port`` under a lease kept alive, and of
following a prefix, with the gaps of the hand-written version closed: a lost lease (expired,
revoked) is replaced and every entry written again within a second; a view lists at a revision
and watches from the next one (nothing missed or repeated), resumes after a disconnect and lists
again after compaction instead of ending. Both run on the library's C API, like :class:`Client`::

    with etcd_cpp_rs.ServiceRegistry(client, ttl=5) as registry:
        registry.add("/service/api/1", "10.0.0.1:8080")
        serve()

    view = etcd_cpp_rs.ServiceDiscovery(client, "/service/api/", on_added=print)
    view.wait_ready()
    print(view.snapshot())
"""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import Callable, Dict, NamedTuple, Optional

from . import _native
from ._native import lib
from .client import (
    BytesLike,
    Client,
    EtcdError,
    Response,
    Value,
    _bytes,
    _callable,
    _check,
    _int,
    _live,
    _lookup,
    _register,
    _release,
    _report_callback_error,
    _response,
    _value,
)

_NO_FREE = _native.FREE_CALLBACK()
_NO_REGISTRY_CALLBACK = _native.REGISTRY_CALLBACK()
_NO_DISCOVERY_CALLBACK = _native.DISCOVERY_CALLBACK()

ADDED, UPDATED, REMOVED = 0, 1, 2
_KINDS = ("added", "updated", "removed")


class Change(NamedTuple):
    """One change of a :class:`ServiceDiscovery` view.

    ``kind`` is ``"added"`` (a new key, also every key of the first listing), ``"updated"`` (a
    new value for a key already in the view) or ``"removed"``; ``value`` is the entry now (for a
    removal only its key is set) and ``prev`` the entry before (None for an addition).
    """

    kind: str
    value: Value
    prev: Optional[Value]

    @property
    def key(self) -> bytes:
        """The entry's key."""
        return self.value.key


def _take(out: c_void_p) -> Response:
    try:
        return _response(out.value)
    finally:
        lib.etcd_response_free(out)


@_native.REGISTRY_CALLBACK
def _on_reregistered(token: Optional[int], old: int, new: int) -> None:
    callback = _lookup(token)
    if callback is not None:
        try:
            callback(old, new)
        except BaseException:
            _report_callback_error("a service registry callback")


class _DiscoveryState:
    def __init__(self, on_added, on_updated, on_removed, on_change) -> None:  # type: ignore[no-untyped-def]
        self.on_added = on_added
        self.on_updated = on_updated
        self.on_removed = on_removed
        self.on_change = on_change

    def deliver(self, kind: int, value: Value, prev: Optional[Value]) -> None:
        try:
            if self.on_change:
                self.on_change(Change(_KINDS[kind], value, prev))
            if kind == ADDED and self.on_added:
                self.on_added(value)
            elif kind == UPDATED and self.on_updated:
                self.on_updated(value, prev)
            elif kind == REMOVED and self.on_removed:
                self.on_removed(prev)
        except BaseException:
            _report_callback_error("a service discovery callback")


@_native.DISCOVERY_CALLBACK
def _on_change(token: Optional[int], kind: int, value: int, prev: Optional[int]) -> None:
    state = _lookup(token)
    if state is not None:
        state.deliver(kind, _value(value), _value(prev) if prev else None)


class ServiceRegistry:
    """Entries kept registered under one lease of ``ttl`` seconds (``etcd::ServiceRegistry``).

    When etcd says the lease is gone (expired during a partition, revoked by an operator) a new
    lease is granted and every entry written again within a second; ``on_reregistered(old,
    new)`` is then called on a library thread. :meth:`close` (or leaving the ``with`` block)
    revokes the lease unless ``revoke_on_close`` is false, so watchers see the deletions at once.
    """

    def __init__(
        self,
        client: Client,
        ttl: int = 10,
        on_reregistered: Optional[Callable[[int, int], None]] = None,
        revoke_on_close: bool = True,
    ) -> None:
        self._handle: Optional[int] = None
        ttl = _int(ttl, "ttl", minimum=1)
        _callable(on_reregistered, "on_reregistered")
        token = _register(on_reregistered) if on_reregistered is not None else 0
        out = c_void_p()
        try:
            _check(
                lib.etcd_registry_new(
                    client._h(),
                    ttl,
                    bool(revoke_on_close),
                    _on_reregistered if on_reregistered else _NO_REGISTRY_CALLBACK,
                    token,
                    _release if on_reregistered else _NO_FREE,
                    byref(out),
                ),
                "cannot start the service registry",
            )
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        _live.add(self)

    def _h(self) -> int:
        if not self._handle:
            raise EtcdError("the service registry is closed")
        return self._handle

    def add(self, key: BytesLike, value: BytesLike) -> Response:
        """Registers ``key = value`` and writes it now; returns the write's response (error 14
        while no lease is held: the entry is written once one is granted)."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        out = c_void_p()
        _check(lib.etcd_registry_add(self._h(), k, len(k), v, len(v), byref(out)), "add")
        return _take(out)

    def remove(self, key: BytesLike) -> Response:
        """Unregisters ``key`` and deletes it from etcd."""
        k = _bytes(key, "key")
        out = c_void_p()
        _check(lib.etcd_registry_remove(self._h(), k, len(k), byref(out)), "remove")
        return _take(out)

    @property
    def lease(self) -> int:
        """The current lease (0 while none is granted)."""
        return lib.etcd_registry_lease(self._handle) if self._handle else 0

    def close(self) -> None:
        """Stops the registry and (by default) revokes its lease. Idempotent."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_registry_free(handle)

    def __enter__(self) -> ServiceRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


class ServiceDiscovery:
    """A live, consistent view of the keys under ``prefix`` (``etcd::ServiceDiscovery``).

    The callbacks run on a library thread, one change at a time and in order; the first
    listing's entries arrive through ``on_added``. ``on_updated(value, previous)`` and
    ``on_removed(previous)`` get the entry as it was before; ``on_change`` gets every change as
    a :class:`Change` (before the callback of its kind). The view resumes after a
    disconnect and, when its revision was compacted, lists again and reports the difference.
    """

    def __init__(
        self,
        client: Client,
        prefix: BytesLike,
        on_added: Optional[Callable[[Value], None]] = None,
        on_updated: Optional[Callable[[Value, Value], None]] = None,
        on_removed: Optional[Callable[[Value], None]] = None,
        on_change: Optional[Callable[[Change], None]] = None,
    ) -> None:
        self._handle: Optional[int] = None
        p = _bytes(prefix, "prefix")
        for name, cb in (("on_added", on_added), ("on_updated", on_updated)):
            _callable(cb, name)
        _callable(on_removed, "on_removed")
        _callable(on_change, "on_change")
        wanted = any((on_added, on_updated, on_removed, on_change))
        state = _DiscoveryState(on_added, on_updated, on_removed, on_change)
        token = _register(state) if wanted else 0
        out = c_void_p()
        try:
            _check(
                lib.etcd_discovery_new(
                    client._h(),
                    p,
                    len(p),
                    _on_change if wanted else _NO_DISCOVERY_CALLBACK,
                    token,
                    _release if wanted else _NO_FREE,
                    byref(out),
                ),
                "cannot start the service discovery",
            )
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        _live.add(self)

    def _h(self) -> int:
        if not self._handle:
            raise EtcdError("the service discovery is closed")
        return self._handle

    def wait_ready(self, timeout: Optional[float] = 10.0) -> bool:
        """Waits at most ``timeout`` seconds (None: no limit) for the first listing; returns
        whether it is in."""
        handle = self._h()
        # In short slices, so that Ctrl-C is seen.
        remaining = None if timeout is None else float(timeout)
        while True:
            step = 0.1 if remaining is None else max(0.0, min(0.1, remaining))
            if lib.etcd_discovery_wait_ready(handle, int(step * 1000)):
                return True
            if remaining is not None:
                remaining -= step
                if remaining <= 0:
                    return False

    def values(self) -> list[Value]:
        """The entries, sorted by key."""
        out = c_void_p()
        _check(lib.etcd_discovery_snapshot(self._h(), byref(out)), "snapshot")
        return _take(out).values

    def snapshot(self) -> Dict[str, str]:
        """The entries as ``{key: value}`` (texts decoded as UTF-8)."""
        return {v.key_string: v.as_string() for v in self.values()}

    @property
    def revision(self) -> int:
        """The revision the view is current at (0 before the first listing)."""
        out = c_void_p()
        _check(lib.etcd_discovery_snapshot(self._h(), byref(out)), "snapshot")
        return _take(out).index

    def close(self) -> None:
        """Stops following. Idempotent; no callback runs after it returns."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_discovery_free(handle)

    def __enter__(self) -> ServiceDiscovery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass
