"""asyncio API: :class:`Client` with the blocking client's operations as coroutines (key-value,
leases, transactions, locks, elections, members, maintenance), watchers and election observers
as async iterators, keep-alives and locks as async context managers, and the service registry
and discovery view (:class:`ServiceRegistry`, :class:`ServiceDiscovery`).

No thread is started per call: each operation starts the library's request (the C API's
``etcd_client_<op>_start``) and returns at once; the library calls back from its own callback
threads when the response is there, and the result reaches the event loop through
``loop.call_soon_threadsafe``. Cancelling the task that awaits an operation abandons the request
(a write that was already sent may still be applied, as with any cancelled RPC)::

    import asyncio
    from etcd_cpp_rs import aio

    async def main():
        async with aio.Client("http://127.0.0.1:2379") as client:
            await client.put("/config/color", "blue")
            print((await client.get("/config/color")).value.as_string())
            async with client.watch("/config/", recursive=True) as watcher:
                async for event in watcher:
                    print(event)

    asyncio.run(main())

Arguments, results and errors are those of :class:`etcd_cpp_rs.Client`: every operation
returns a :class:`~etcd_cpp_rs.Response`, failures of etcd or the network are in its
``error_code``; exceptions mean the library could not carry out the call.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import threading
import weakref
from ctypes import byref, c_bool, c_void_p
from typing import Any, Callable, Deque, Dict, Generator, List, Optional, Sequence, Union

from . import _native
from . import client as _sync
from . import registry as _registry
from ._native import lib
from .client import (
    BytesLike,
    ElectionError,
    EtcdError,
    Event,
    InvalidArgumentError,
    KeepAliveError,
    LockError,
    Member,
    Response,
    Txn,
    Value,
    WatchError,
    _bytes,
    _callable,
    _check,
    _int,
    _register,
    _release,
    _response,
)
from .registry import Change

__all__ = [
    "Client",
    "Watcher",
    "KeepAlive",
    "Lock",
    "Observer",
    "ServiceRegistry",
    "ServiceDiscovery",
    "Change",
]

# ------------------------------------------------------------------------------------------------
# Calls in flight: the library's completion callback -> the loop
# ------------------------------------------------------------------------------------------------

# token (the C userdata) -> _Pending. Entries are added and removed on the loop's thread and
# read on the library's callback threads (a dict lookup is atomic in CPython).
_pending: Dict[int, _Pending] = {}
_tokens = itertools.count(1)


class _Bridge:
    """Hands work finished on the library's threads to one event loop: they append a
    completion (a callable run on the loop) to ``ready`` and wake the loop with
    ``call_soon_threadsafe`` only when no wake-up is pending already, so a burst of completions
    costs one wake-up, not one each. Completions run in the order they were handed over."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.ready: Deque[Callable[[], None]] = collections.deque()
        self.scheduled = False

    def notify(self, completion: Callable[[], None]) -> None:
        """Library thread: ``completion`` is to run on the loop."""
        self.ready.append(completion)
        if not self.scheduled:
            self.scheduled = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def drain(self) -> None:
        """Loop thread: runs every completion handed over. ``scheduled`` is reset before the
        queue is emptied, so one handed over meanwhile either is taken here or schedules a
        drain."""
        self.scheduled = False
        ready = self.ready
        while ready:
            ready.popleft()()


_bridges: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Bridge] = (
    weakref.WeakKeyDictionary()
)


def _bridge(loop: asyncio.AbstractEventLoop) -> _Bridge:
    bridge = _bridges.get(loop)
    if bridge is None:
        bridge = _bridges[loop] = _Bridge(loop)
    return bridge


class _Pending:
    """One started call and the future its result goes to. Only the loop's thread frees the
    call: when it completes, or when the future is cancelled (which abandons it)."""

    __slots__ = ("call", "future", "bridge", "token", "what")

    def __init__(self, call: int, future: asyncio.Future, bridge: _Bridge, what: str) -> None:
        self.call: Optional[int] = call
        self.future = future
        self.bridge = bridge
        self.what = what
        self.token = next(_tokens)

    def _free(self) -> Optional[int]:
        call, self.call = self.call, None
        if call is not None:
            # Waits for a completion callback that is still running; after it no callback runs.
            lib.etcd_call_free(call)
            _pending.pop(self.token, None)
        return call

    def complete(self) -> None:
        """Loop thread: takes the response into the future and frees the call."""
        call = self.call
        if call is None:  # abandoned already
            return
        future = self.future
        try:
            if future.done():  # cancelled, its done callback not run yet
                return
            out = c_void_p()
            status = lib.etcd_call_take_response(call, byref(out))
            if status != _native.STATUS_OK:
                try:
                    _check(status, self.what)
                except EtcdError as error:
                    future.set_exception(error)
                return
            try:
                future.set_result(_response(out.value))
            finally:
                lib.etcd_response_free(out)
        finally:
            self._free()

    def on_future_done(self, future: asyncio.Future) -> None:
        """Loop thread: a cancelled future abandons its call."""
        if future.cancelled():
            self._free()


@_native.CALL_CALLBACK
def _on_call_done(token: Optional[int]) -> None:
    # A library callback thread: hand over to the loop, touch nothing else.
    pending = _pending.get(token or 0)
    if pending is not None:
        pending.bridge.notify(pending.complete)


def _start(handle: int, fn: Callable[..., int], args: Sequence[Any]) -> asyncio.Future:
    """Starts ``fn``'s ``_start`` twin with ``args`` and returns the future of its response."""
    loop = asyncio.get_running_loop()
    name = fn.__name__
    call = c_void_p()
    _check(getattr(lib, name + "_start")(handle, *args, byref(call)), name)
    future = loop.create_future()
    pending = _Pending(call.value, future, _bridge(loop), name)
    _pending[pending.token] = pending
    status = lib.etcd_call_on_done(call, _on_call_done, pending.token, _sync._NO_FREE)
    if status != _native.STATUS_OK:
        pending._free()
        _check(status, name)
    future.add_done_callback(pending.on_future_done)
    return future


class _Operations(_sync.Client):
    """The blocking client's argument checking and conversions, with ``_call`` starting the
    call and returning the future of its response instead of waiting."""

    def _call(self, fn: Callable[..., int], *args: Any) -> Any:
        return _start(self._h(), fn, args)


# ------------------------------------------------------------------------------------------------
# Client
# ------------------------------------------------------------------------------------------------


class Client:
    """A connection to an etcd cluster whose operations are coroutines.

    Takes the same arguments as :class:`etcd_cpp_rs.Client` (endpoints, ``timeout``,
    ``user``/``password``, TLS files...) and offers the same operations, each awaited for a
    :class:`~etcd_cpp_rs.Response`. One client may serve any number of concurrent operations
    and several event loops; it is a context manager (``with`` or ``async with``) that closes
    it. Closing the client does not stop operations in flight, watchers or keep-alives.
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
        self._ops = _Operations(
            endpoints,
            load_balancer=load_balancer,
            timeout=timeout,
            connect_timeout=connect_timeout,
            user=user,
            password=password,
            auth_token_ttl=auth_token_ttl,
            tls=tls,
            ca=ca,
            cert=cert,
            key=key,
            target_name_override=target_name_override,
            auto_sync_interval=auto_sync_interval,
        )

    # -- namespaces -----------------------------------------------------------------------------

    def namespace(self, prefix: BytesLike) -> Client:
        """A client whose keys live under ``prefix``, sharing this client's connection, as
        :meth:`etcd_cpp_rs.Client.namespace`. Watchers, :class:`ServiceRegistry` and
        :class:`ServiceDiscovery` made from it work inside the namespace."""
        c = object.__new__(type(self))
        c._ops = self._ops.namespace(prefix)
        return c

    with_namespace = namespace

    @property
    def namespace_prefix(self) -> bytes:
        """The prefix of this client's keys (``b""`` outside a namespace)."""
        return self._ops.namespace_prefix

    # -- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        """Releases the client."""
        self._ops.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- key-value ------------------------------------------------------------------------------

    async def head(self) -> Response:
        """Cluster information: the current revision (``index``), cluster and member ids."""
        return await self._ops.head()

    async def get(self, key: BytesLike, revision: int = 0) -> Response:
        """Reads ``key`` (at ``revision`` if > 0) into ``value``; a missing key is error 100."""
        return await self._ops.get(key, revision)

    async def put(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Stores ``value`` under ``key`` (attached to ``lease`` if not 0); ``prev_value`` is
        what was overwritten."""
        return await self._ops.put(key, value, lease)

    set = put

    async def add(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Creates ``key`` only if absent; otherwise error 105 with the existing value."""
        return await self._ops.add(key, value, lease)

    async def modify(self, key: BytesLike, value: BytesLike, lease: int = 0) -> Response:
        """Updates ``key`` only if present; otherwise error 100."""
        return await self._ops.modify(key, value, lease)

    async def modify_if(
        self, key: BytesLike, value: BytesLike, old: Union[BytesLike, int], lease: int = 0
    ) -> Response:
        """Compare-and-swap on the value (str/bytes) or modified index (int) ``old``; error
        101 with the current value if it differs."""
        return await self._ops.modify_if(key, value, old, lease)

    async def rm(self, key: BytesLike) -> Response:
        """Deletes ``key``; ``prev_value`` is what was removed; a missing key is error 100."""
        return await self._ops.rm(key)

    async def rm_if(self, key: BytesLike, old: Union[BytesLike, int]) -> Response:
        """Compare-and-delete on the value (str/bytes) or modified index (int) ``old``."""
        return await self._ops.rm_if(key, old)

    async def rmdir(
        self, key: BytesLike, recursive: bool = False, range_end: Optional[BytesLike] = None
    ) -> Response:
        """Deletes ``key``, the prefix ``key`` (``recursive``) or ``[key, range_end)``."""
        return await self._ops.rmdir(key, recursive, range_end)

    async def ls(
        self,
        key: BytesLike,
        range_end: Optional[BytesLike] = None,
        limit: int = 0,
        revision: int = 0,
    ) -> Response:
        """Lists the keys under the prefix ``key`` (or in ``[key, range_end)``) with values."""
        return await self._ops.ls(key, range_end, limit, revision)

    async def keys(
        self,
        key: BytesLike,
        range_end: Optional[BytesLike] = None,
        limit: int = 0,
        revision: int = 0,
    ) -> Response:
        """As :meth:`ls`, keys only."""
        return await self._ops.keys(key, range_end, limit, revision)

    # -- leases ---------------------------------------------------------------------------------

    async def leasegrant(self, ttl: int) -> Response:
        """Grants a lease of ``ttl`` seconds: its id is ``value.lease``, its TTL ``value.ttl``."""
        return await self._ops.leasegrant(ttl)

    async def leaserevoke(self, lease_id: int) -> Response:
        """Revokes a lease; the keys attached to it are deleted."""
        return await self._ops.leaserevoke(lease_id)

    async def leasetimetolive(self, lease_id: int) -> Response:
        """The remaining TTL of a lease in ``value.ttl`` (-1 once expired)."""
        return await self._ops.leasetimetolive(lease_id)

    async def leases(self) -> Response:
        """The ids of all leases, in ``leases``."""
        return await self._ops.leases()

    def leasekeepalive(
        self,
        ttl: int,
        on_error: Optional[Callable[[KeepAliveError], None]] = None,
        *,
        lease_id: int = 0,
    ) -> KeepAlive:
        """A :class:`KeepAlive` of a new lease of ``ttl`` seconds (or of ``lease_id``), to use
        as ``async with client.leasekeepalive(5) as keepalive:`` or
        ``keepalive = await client.leasekeepalive(5)``."""
        return KeepAlive(self, ttl, lease_id=lease_id, on_error=on_error)

    # -- transactions, locks, elections ---------------------------------------------------------

    async def txn(self, transaction: Txn) -> Response:
        """Runs a :class:`~etcd_cpp_rs.Txn` (see :meth:`etcd_cpp_rs.Client.txn`)."""
        return await self._ops.txn(transaction)

    def lock(self, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> Lock:
        """The lock ``name`` as an async context manager::

            async with client.lock("/locks/job"):
                ...

        (see :meth:`etcd_cpp_rs.Client.lock`)."""
        return Lock(self, name, ttl, lease=lease)

    async def acquire_lock(self, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> Response:
        """Takes the lock ``name``, waiting while someone else holds it; ``lock_key`` of the
        response is what :meth:`unlock` takes."""
        return await self._ops.acquire_lock(name, ttl, lease=lease)

    async def unlock(self, lock_key: BytesLike) -> Response:
        """Releases a lock by its ``lock_key``."""
        return await self._ops.unlock(lock_key)

    async def campaign(self, name: BytesLike, lease: int, value: BytesLike) -> Response:
        """Campaigns in election ``name``, waiting until elected."""
        return await self._ops.campaign(name, lease, value)

    async def proclaim(
        self, name: BytesLike, lease: int, key: BytesLike, revision: int, value: BytesLike
    ) -> Response:
        """Announces a new value as the leader (with the campaign's lease, key, revision)."""
        return await self._ops.proclaim(name, lease, key, revision, value)

    async def leader(self, name: BytesLike) -> Response:
        """The current leader of election ``name``."""
        return await self._ops.leader(name)

    async def resign(self, name: BytesLike, lease: int, key: BytesLike, revision: int) -> Response:
        """Gives up a leadership won by a campaign."""
        return await self._ops.resign(name, lease, key, revision)

    def observe(self, name: BytesLike) -> Observer:
        """An async iterator of the leaders of election ``name`` as they are elected (the
        current one first), each a Response whose ``value`` is the leader's key and value."""
        return Observer(self, name)

    # -- cluster and maintenance ----------------------------------------------------------------

    async def members(self) -> List[Member]:
        """The members of the cluster; raises EtcdError if the cluster cannot be asked."""
        response = await self.member_list()
        if not response.is_ok:
            raise EtcdError(
                f"cannot list the members: {response.error_message} (error {response.error_code})",
                response=response,
            )
        return response.members

    async def member_list(self) -> Response:
        """The members of the cluster, in ``members``."""
        return await self._ops.member_list()

    async def member_add(
        self, peer_urls: Union[str, Sequence[str]], is_learner: bool = False
    ) -> Response:
        """Adds a member with these peer URLs."""
        return await self._ops.member_add(peer_urls, is_learner)

    async def member_remove(self, member_id: int) -> Response:
        """Removes the member with id ``member_id``."""
        return await self._ops.member_remove(member_id)

    async def sync_endpoints(self) -> Response:
        """Refreshes the endpoints from the member list now (see
        :meth:`etcd_cpp_rs.Client.sync_endpoints`)."""
        return await self._ops.sync_endpoints()

    def endpoints(self) -> List[str]:
        """The client's current endpoints (``host:port``); does not wait."""
        return self._ops.endpoints()

    async def status(self, endpoint: Optional[str] = None) -> Response:
        """The status of a member, in ``status`` (see :meth:`etcd_cpp_rs.Client.status`)."""
        return await self._ops.status(endpoint)

    async def compact(self, revision: int, physical: bool = False) -> Response:
        """Compacts the key history up to ``revision``."""
        return await self._ops.compact(revision, physical)

    async def defragment(self, endpoint: Optional[str] = None) -> Response:
        """Defragments the database of one member."""
        return await self._ops.defragment(endpoint)

    # -- watches --------------------------------------------------------------------------------

    def watch(
        self,
        key: BytesLike,
        *,
        recursive: bool = False,
        range_end: Optional[BytesLike] = None,
        from_revision: int = 0,
    ) -> Watcher:
        """Starts a :class:`Watcher` on ``key``, the prefix ``key`` (``recursive``) or the
        range ``[key, range_end)``, from ``from_revision`` (0: from now on). Use it as
        ``async with client.watch(...) as watcher:`` (or ``watcher = await client.watch(...)``),
        which returns once etcd has confirmed the watch, then ``async for event in watcher``."""
        return Watcher(
            self, key, recursive=recursive, range_end=range_end, from_revision=from_revision
        )


# ------------------------------------------------------------------------------------------------
# Watcher
# ------------------------------------------------------------------------------------------------

_END = object()


class _AsyncWatchState:
    """Library callback thread -> the loop's queue, in order (call_soon_threadsafe is FIFO)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.error: Optional[Response] = None
        self.ended = False

    def deliver(self, response: Response) -> None:
        try:
            self.loop.call_soon_threadsafe(self._put, response)
        except RuntimeError:  # loop closed
            pass

    def _put(self, response: Response) -> None:
        if self.ended:
            return
        for event in response.events:
            self.queue.put_nowait(event)
        if not response.is_ok:
            self.error = response
            self.end()

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            self.queue.put_nowait(_END)


async def _poll(check: Callable[[], bool], timeout: Optional[float]) -> bool:
    """Awaits until ``check()`` (a call that does not block) is true, sleeping 1 ms, then
    longer up to 25 ms, between looks; False after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    delay = 0.001
    while not check():
        if deadline is not None and loop.time() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.025)
    return True


class Watcher:
    """A watch on a key, a prefix or a range, as an async iterator of
    :class:`~etcd_cpp_rs.Event` objects::

        async with client.watch("/services/", recursive=True) as watcher:
            async for event in watcher:
                print(event)            # PUT /services/a = 10.0.0.1 / DELETE /services/a

    The events of one watcher arrive in order, each with the previous key-value when etcd has
    it; the watch survives the loss of an endpoint. Iteration ends when the watcher is
    cancelled or closed, and raises :class:`~etcd_cpp_rs.WatchError` if etcd ends the watch
    (e.g. ``from_revision`` was compacted). Leaving the ``async with`` block, :meth:`close`
    or dropping the watcher stops the watch.
    """

    def __init__(
        self,
        client: Client,
        key: BytesLike,
        *,
        recursive: bool = False,
        range_end: Optional[BytesLike] = None,
        from_revision: int = 0,
    ) -> None:
        self._handle: Optional[int] = None
        loop = asyncio.get_running_loop()
        from_revision = _int(from_revision, "from_revision")
        k = _bytes(key, "key")
        self._state = _AsyncWatchState(loop)
        token = _register(self._state)
        out = c_void_p()
        try:
            if range_end is None:
                status = lib.etcd_watcher_start(
                    client._ops._h(),
                    k,
                    len(k),
                    bool(recursive),
                    from_revision,
                    _sync._on_watch,
                    token,
                    _release,
                    byref(out),
                )
            else:
                e = _bytes(range_end, "range_end")
                status = lib.etcd_watcher_start_range(
                    client._ops._h(),
                    k,
                    len(k),
                    e,
                    len(e),
                    from_revision,
                    _sync._on_watch,
                    token,
                    _release,
                    byref(out),
                )
            _check(status, "cannot start a watcher")
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        self._started = False
        _sync._live.add(self)

    def _is_started(self) -> bool:
        if self._started or not self._handle:
            return True
        started = c_bool(False)
        _check(
            lib.etcd_watcher_wait_started(self._handle, 0, byref(started)),
            "cannot start a watcher",
        )
        self._started = started.value
        return self._started

    async def wait_started(self, timeout: Optional[float] = None) -> bool:
        """Waits until etcd has confirmed the watch (writes made afterwards are delivered), it
        failed, or the client's connect timeout has passed; False if ``timeout`` seconds passed
        first."""
        return await _poll(self._is_started, timeout)

    def __await__(self) -> Generator[Any, None, Watcher]:
        async def started() -> Watcher:
            await self.wait_started()
            return self

        return started().__await__()

    async def __aenter__(self) -> Watcher:
        await self.wait_started()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> Event:
        event = await self.next_event()
        if event is None:
            raise StopAsyncIteration
        return event

    async def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, waiting up to ``timeout`` seconds (None: as long as it takes).
        Returns None once the watcher was cancelled; raises WatchError if etcd ended the watch,
        asyncio.TimeoutError if no event came in time."""
        queue = self._state.queue
        if timeout is None:
            item = await queue.get()
        else:
            item = await asyncio.wait_for(queue.get(), timeout)
        if item is _END:
            queue.put_nowait(_END)  # stays ended for later calls
            error = self._state.error
            if error is not None:
                raise WatchError(
                    f"the watch ended: {error.error_message} (error {error.error_code})",
                    response=error,
                )
            return None
        return item

    @property
    def ended(self) -> bool:
        """True once the watch has ended (cancelled, closed or ended by etcd)."""
        return self._handle is None or bool(lib.etcd_watcher_ended(self._handle))

    @property
    def error(self) -> Optional[Response]:
        """The response with which etcd ended the watch, if it did."""
        return self._state.error

    def cancel(self) -> None:
        """Stops the watch; iteration then ends (after the events already received)."""
        if self._handle:
            _check(lib.etcd_watcher_cancel(self._handle), "cannot cancel the watcher")
        self._state.end()

    def close(self) -> None:
        """Stops the watch and releases it."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_watcher_free(handle)
            self._state.end()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown, or the loop is gone
            pass


# ------------------------------------------------------------------------------------------------
# KeepAlive
# ------------------------------------------------------------------------------------------------


class _AsyncKeepAliveState:
    def __init__(self, keepalive: KeepAlive, loop: asyncio.AbstractEventLoop) -> None:
        self.keepalive = weakref.ref(keepalive)
        self.loop = loop

    def deliver(self, error: KeepAliveError) -> None:
        try:
            self.loop.call_soon_threadsafe(self._set, error)
        except RuntimeError:  # loop closed
            pass

    def _set(self, error: KeepAliveError) -> None:
        keepalive = self.keepalive()
        if keepalive is not None:
            keepalive._failed(error)


class KeepAlive:
    """Keeps a lease alive in the background, as an async context manager::

        async with client.leasekeepalive(5) as keepalive:
            await client.put("/services/me", "10.0.0.1:8080", keepalive.lease)
            await serve()

    Entering grants the lease (unless ``lease_id`` names an existing one) and starts refreshing
    it every ``ttl``/3 seconds; leaving stops the refreshes without revoking the lease, which
    then expires after its TTL. If the lease is lost (expired, revoked) or etcd answers with an
    error, ``on_error`` is called once on the event loop with a
    :class:`~etcd_cpp_rs.LeaseExpiredError` or :class:`~etcd_cpp_rs.KeepAliveError`,
    :attr:`error` holds it and :meth:`check` raises it.
    """

    def __init__(
        self,
        client: Client,
        ttl: int,
        *,
        lease_id: int = 0,
        on_error: Optional[Callable[[KeepAliveError], None]] = None,
    ) -> None:
        self._handle: Optional[int] = None
        self._client = client
        self._ttl = _int(ttl, "ttl")
        self._lease = _int(lease_id, "lease_id")
        self._on_error = _callable(on_error, "on_error")
        self._error: Optional[KeepAliveError] = None
        if self._ttl <= 0:
            raise InvalidArgumentError(f"the TTL must be positive, not {self._ttl}")

    async def start(self) -> KeepAlive:
        """Grants the lease if need be and starts refreshing it (what ``async with`` and
        ``await`` do); raises KeepAliveError if the lease cannot be granted."""
        if self._handle:
            return self
        if not self._lease:
            granted = await self._client.leasegrant(self._ttl)
            if not granted.is_ok:
                raise KeepAliveError(
                    f"Failed to grant the lease: error code: {granted.error_code}, "
                    f"message: {granted.error_message}",
                    response=granted,
                )
            self._lease = granted.value.lease
        state = _AsyncKeepAliveState(self, asyncio.get_running_loop())
        token = _register(state)
        out = c_void_p()
        try:
            _check(
                lib.etcd_keepalive_new(
                    self._client._ops._h(),
                    self._ttl,
                    self._lease,
                    _sync._on_keepalive_error,
                    token,
                    _release,
                    byref(out),
                ),
                "cannot start the keep-alive",
            )
        except BaseException:
            _release(token)
            raise
        self._handle = out.value
        _sync._live.add(self)
        return self

    def __await__(self) -> Generator[Any, None, KeepAlive]:
        return self.start().__await__()

    async def __aenter__(self) -> KeepAlive:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def _failed(self, error: KeepAliveError) -> None:
        if self._error is not None:
            return
        self._error = error
        if self._on_error is not None:
            try:
                self._on_error(error)
            except Exception:
                _sync._report_callback_error("a keep-alive error callback")

    @property
    def lease(self) -> int:
        """The lease id (0 before :meth:`start`)."""
        return self._lease

    @property
    def error(self) -> Optional[KeepAliveError]:
        """The error that ended the keep-alive, if one did."""
        return self._error

    def check(self) -> None:
        """Raises the error that ended the keep-alive, if any (without contacting etcd)."""
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stops refreshing the lease (it is not revoked) and releases the keep-alive."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_keepalive_free(handle)

    cancel = close

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# Lock
# ------------------------------------------------------------------------------------------------


class Lock:
    """The lock ``name`` as an async context manager (see :meth:`Client.lock`). ``key`` is the
    lock key while it is held. Cancelling the task that waits to enter abandons the request (a
    lock granted meanwhile is then released when its lease expires)."""

    def __init__(self, client: Client, name: BytesLike, ttl: int = 10, *, lease: int = 0) -> None:
        self._client = client
        self._name = _bytes(name, "name")
        self._ttl = _int(ttl, "ttl")
        self._lease = _int(lease, "lease")
        self.key: Optional[bytes] = None

    async def acquire(self) -> Lock:
        """Takes the lock; raises :class:`~etcd_cpp_rs.LockError` if it cannot be taken."""
        response = await self._client.acquire_lock(self._name, self._ttl, lease=self._lease)
        if not response.is_ok:
            raise LockError(
                f"cannot take the lock {self._name!r}: {response.error_message} "
                f"(error {response.error_code})",
                response=response,
            )
        self.key = response.lock_key
        return self

    async def release(self) -> Optional[Response]:
        """Releases the lock if held."""
        key, self.key = self.key, None
        return await self._client.unlock(key) if key else None

    async def __aenter__(self) -> Lock:
        return await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


# ------------------------------------------------------------------------------------------------
# Observer
# ------------------------------------------------------------------------------------------------


class Observer:
    """The leaders of an election as an async iterator (see :meth:`Client.observe`), and an
    async context manager that stops observing::

        async with client.observe("/election/scheduler") as observer:
            async for leader in observer:
                print(leader.value.as_string())

    The next leader is awaited by looking at the observer every few milliseconds (1 ms, then
    up to 25 ms) without blocking the loop. Iteration raises
    :class:`~etcd_cpp_rs.ElectionError` if the observation ends (observers do not reconnect).
    """

    def __init__(self, client: Client, name: BytesLike) -> None:
        self._handle: Optional[int] = None
        n = _bytes(name, "name")
        out = c_void_p()
        _check(lib.etcd_client_observe(client._ops._h(), n, len(n), byref(out)), "cannot observe")
        self._handle = out.value
        self._next: Optional[Response] = None
        _sync._live.add(self)

    def _look(self) -> bool:
        if not self._handle:
            raise ElectionError("the observer is closed")
        out = c_void_p()
        status = lib.etcd_observer_wait(self._handle, 0, byref(out))
        if status == _native.STATUS_PENDING:
            return False
        _check(status, "cannot observe")
        try:
            self._next = _response(out.value)
        finally:
            lib.etcd_response_free(out)
        return True

    async def next(self, timeout: Optional[float] = None) -> Optional[Response]:
        """The next leader, waiting up to ``timeout`` seconds (None: as long as it takes);
        None if none came in time."""
        if not await _poll(self._look, timeout):
            return None
        response, self._next = self._next, None
        assert response is not None
        if not response.is_ok:
            raise ElectionError(
                f"the observation ended: {response.error_message} (error {response.error_code})",
                response=response,
            )
        return response

    def __aiter__(self) -> Observer:
        return self

    async def __anext__(self) -> Response:
        response = await self.next()
        assert response is not None
        return response

    def close(self) -> None:
        """Stops observing."""
        handle, self._handle = self._handle, None
        if handle:
            lib.etcd_observer_free(handle)

    async def __aenter__(self) -> Observer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter teardown
            pass


# ------------------------------------------------------------------------------------------------
# Service registration and discovery
# ------------------------------------------------------------------------------------------------


class _Job:
    """A blocking library call run by a :class:`_Serial` and the future its result goes to."""

    __slots__ = ("fn", "future", "bridge", "result", "error")

    def __init__(self, fn: Callable[[], Any], future: asyncio.Future, bridge: _Bridge) -> None:
        self.fn = fn
        self.future = future
        self.bridge = bridge
        self.result: Any = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        """The worker thread: runs the call and hands its outcome to the loop."""
        try:
            self.result = self.fn()
        except BaseException as error:  # goes to the awaiting task
            self.error = error
        self.fn = None  # type: ignore[assignment]
        self.bridge.notify(self.complete)

    def complete(self) -> None:
        """Loop thread: settles the future, unless its task gave up waiting (cancelled)."""
        if self.future.done():
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(self.result)


class _Serial:
    """Runs the blocking calls of one service registry (the C API's ``etcd_registry_*``, which
    have no ``_start`` twins) one after another on one thread, and hands each outcome to the
    caller's loop through its :class:`_Bridge`. The library serialises a registry's writes
    anyway, so one thread loses no concurrency. The thread exists only while there is work: it
    ends after ``LINGER`` seconds without a call, so an idle registry owns no thread, and calls
    awaited one after another reuse it instead of starting one each."""

    LINGER = 1.0

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: Deque[_Job] = collections.deque()
        self._running = False

    def submit(self, fn: Callable[[], Any]) -> asyncio.Future:
        """Loop thread: queues ``fn`` and returns the future of its result."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop.create_future(), _bridge(loop))
        with self._cond:
            self._jobs.append(job)
            if self._running:
                self._cond.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name="etcd-aio-registry", daemon=True).start()
        return job.future

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._jobs:
                    self._cond.wait(self.LINGER)
                    if not self._jobs:
                        self._running = False
                        return
                job = self._jobs.popleft()
            job.run()


def _ignore_outcome(future: asyncio.Future) -> None:
    # Marks an exception as seen: it is raised again to whoever awaits the future.
    if not future.cancelled():
        future.exception()


def _call_on_loop(callback: Callable[..., Any], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:
        _sync._report_callback_error("a service registry callback")


class ServiceRegistry:
    """Entries kept registered under one lease of ``ttl`` seconds, with coroutines (see
    :class:`etcd_cpp_rs.ServiceRegistry`)::

        async with aio.ServiceRegistry(client, ttl=5) as registry:
            await registry.add("/service/api/1", "10.0.0.1:8080")
            await serve()

    Creating it (inside a running loop) starts granting the lease; ``async with``,
    ``await registry`` and :meth:`start` wait for the grant, and calls made before it are
    queued behind it. When the lease is lost (expired, revoked) a new one is granted and every
    entry written again within a second; ``on_reregistered(old, new)`` is then called on the
    event loop. Leaving the ``async with`` block or :meth:`close` revokes the lease unless
    ``revoke_on_close`` is false, so watchers see the deletions at once instead of after the TTL.

    The library's registry calls block, so they run one after another on one thread per
    registry, which exists only while calls are queued (it ends after a second without one).
    Cancelling the task that awaits :meth:`add` or :meth:`remove` stops the waiting, not the
    write.
    """

    def __init__(
        self,
        client: Client,
        ttl: int = 10,
        on_reregistered: Optional[Callable[[int, int], None]] = None,
        revoke_on_close: bool = True,
    ) -> None:
        loop = asyncio.get_running_loop()
        ttl = _int(ttl, "ttl", minimum=1)
        _callable(on_reregistered, "on_reregistered")
        self._registry: Optional[_registry.ServiceRegistry] = None
        self._closing: Optional[asyncio.Future] = None
        self._serial = _Serial()
        relay: Optional[Callable[[int, int], None]] = None
        if on_reregistered is not None:
            user = on_reregistered

            def relay(old: int, new: int) -> None:  # a library thread -> the loop
                try:
                    loop.call_soon_threadsafe(_call_on_loop, user, old, new)
                except RuntimeError:  # the loop is closed
                    pass

        ops = client._ops

        def open_registry() -> None:
            self._registry = _registry.ServiceRegistry(ops, ttl, relay, revoke_on_close)

        self._opened = self._serial.submit(open_registry)
        self._opened.add_done_callback(_ignore_outcome)

    async def start(self) -> ServiceRegistry:
        """Waits until the first lease was asked for (granted, or the registry keeps trying in
        the background when the cluster does not answer)."""
        await asyncio.shield(self._opened)
        return self

    def __await__(self) -> Generator[Any, None, ServiceRegistry]:
        return self.start().__await__()

    async def __aenter__(self) -> ServiceRegistry:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _submit(self, op: Callable[[_registry.ServiceRegistry], Response]) -> asyncio.Future:
        if self._closing is not None:
            raise EtcdError("the service registry is closed")

        def call() -> Response:
            registry = self._registry
            if registry is None:
                raise EtcdError("the service registry could not be started")
            return op(registry)

        return self._serial.submit(call)

    async def add(self, key: BytesLike, value: BytesLike) -> Response:
        """Registers ``key = value`` and writes it now; returns the write's response (error 14
        while no lease is held: the entry is written once one is granted)."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        return await self._submit(lambda registry: registry.add(k, v))

    async def remove(self, key: BytesLike) -> Response:
        """Unregisters ``key`` and deletes it from etcd."""
        k = _bytes(key, "key")
        return await self._submit(lambda registry: registry.remove(k))

    @property
    def lease(self) -> int:
        """The current lease (0 before the grant, while none is held and once closed)."""
        registry = self._registry
        return registry.lease if registry is not None and self._closing is None else 0

    async def close(self) -> None:
        """Stops the registry (after the calls queued before) and, by default, revokes its
        lease, waiting at most about a second when the cluster does not answer. Idempotent;
        the registry is closed even if the awaiting task is cancelled."""
        if self._closing is None:

            def free() -> None:
                registry, self._registry = self._registry, None
                if registry is not None:
                    registry.close()

            self._closing = self._serial.submit(free)
        await asyncio.shield(self._closing)


class _ChangeQueue:
    """A discovery view's changes: library callback thread -> the loop's queue, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.bridge = _bridge(loop)
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.ended = False

    def push(self, change: Change) -> None:
        """Library thread."""
        self.bridge.notify(lambda: self._put(change))

    def _put(self, change: Change) -> None:
        if not self.ended:
            self.queue.put_nowait(change)

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            self.queue.put_nowait(_END)


class ServiceDiscovery:
    """A live, consistent view of the keys under ``prefix`` as an async iterator of
    :class:`~etcd_cpp_rs.Change` objects (see :class:`etcd_cpp_rs.ServiceDiscovery`)::

        async with aio.ServiceDiscovery(client, "/service/api/") as view:
            await view.wait_ready()
            print(view.snapshot())
            async for change in view:
                print(change.kind, change.key, change.value.value, change.prev)

    The first listing's entries come first, as ``"added"`` changes, then every change in
    order, ``"updated"`` and ``"removed"`` ones with the entry as it was before (``prev``). The
    view resumes after a disconnect and lists again after compaction, so iteration only ends
    when the view is closed (leaving the ``async with`` block, :meth:`close`). Changes reach the
    loop from the library's callback threads through ``call_soon_threadsafe``; cancelling a task
    that awaits the next change loses none.
    """

    def __init__(self, client: Client, prefix: BytesLike) -> None:
        self._changes = _ChangeQueue(asyncio.get_running_loop())
        self._view = _registry.ServiceDiscovery(client._ops, prefix, on_change=self._changes.push)

    async def wait_ready(self, timeout: Optional[float] = 10.0) -> bool:
        """Waits at most ``timeout`` seconds (None: no limit) for the first listing, without
        blocking the loop; returns whether it is in."""
        view = self._view
        return await _poll(lambda: view.wait_ready(0), timeout)

    def __aiter__(self) -> ServiceDiscovery:
        return self

    async def __anext__(self) -> Change:
        change = await self.next_change()
        if change is None:
            raise StopAsyncIteration
        return change

    async def next_change(self, timeout: Optional[float] = None) -> Optional[Change]:
        """The next change, waiting up to ``timeout`` seconds (None: as long as it takes).
        Returns None once the view is closed; raises asyncio.TimeoutError if no change came in
        time."""
        queue = self._changes.queue
        if timeout is None:
            item = await queue.get()
        else:
            item = await asyncio.wait_for(queue.get(), timeout)
        if item is _END:
            queue.put_nowait(_END)  # stays ended for later calls
            return None
        return item

    def values(self) -> List[Value]:
        """The entries, sorted by key."""
        return self._view.values()

    def snapshot(self) -> Dict[str, str]:
        """The entries as ``{key: value}`` (texts decoded as UTF-8)."""
        return self._view.snapshot()

    @property
    def revision(self) -> int:
        """The revision the view is current at (0 before the first listing)."""
        return self._view.revision

    def close(self) -> None:
        """Stops following (promptly, even with the cluster down); iteration then ends after
        the changes already received. Idempotent."""
        self._view.close()
        self._changes.end()

    async def __aenter__(self) -> ServiceDiscovery:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
