//! The Rust core of etcd-cpp-rs: everything the C++ and C layers expose, with no FFI in it.
//!
//! The modules form layers; each uses only the layers below it (and, inside a layer, the modules
//! listed before it), so there is no import cycle. `tests/module_graph.py` checks that.
//!
//! 1. **Plain data and the runtime**, which know nothing of a connection:
//!    - [`response`]: [`Response`], [`Kv`], [`Event`], etcd-cpp-apiv3's error codes, messages and
//!      action strings, and how an etcd-client error reads as a response.
//!    - [`keys`]: [`KeyRange`] (a key, a prefix or `[key, range_end)`).
//!    - [`txn`]: [`Transaction`] and its comparisons and operations.
//!    - [`request`]: [`Request`], one per etcd-cpp-apiv3 operation.
//!    - [`namespace`]: [`Namespace`], the key translation of a client view whose keys live
//!      under a prefix (requests, transactions, lock and election names, responses, events).
//!    - [`endpoints`]: parsing the endpoint list.
//!    - [`options`]: [`ClientOptions`] and their defaults, filled the same way by both FFI layers.
//!    - [`panic`]: the panic guard of the FFI layers.
//!    - [`dispatch`]: the callback-thread pool, strands and gates, where user code runs (never on
//!      a runtime worker); given the runtime handle and pool it needs by parameter.
//!    - [`runtime`]: the one process-wide tokio runtime and callback pool (re-created after
//!      `fork()`).
//!    - [`log`]: the process-wide log hook for the library's diagnostics (silent by default).
//!    - `hub`: the handle to a task owning a stream that all users of a connection share
//!      (registration by message; the task starts with the first user and ends with the last).
//! 2. **The connection**, [`client`]: [`Client`]'s members (one channel per endpoint), health
//!    probes, authentication, per-call fail-over and timeouts; a client may be a view of its
//!    connection inside a namespace (`Client::with_namespace`), applied by `execute`, the
//!    watchers and the observers.
//! 3. **One module per etcd service**, as etcd-client's `rpc/` has: [`kv`] (with transactions),
//!    [`lease`], [`cluster`], [`lock`], [`election`], [`maintenance`] (member status, compaction,
//!    defragmentation: an extension).
//! 4. **Streams**: [`watch`] (one-shot watches and the self-resuming [`Watcher`]),
//!    [`keepalive`] (the lease refresher [`KeepAlive`]), [`observer`] (election leaders).
//! 5. **The facade**: [`execute`] (`Client::execute*`, which hands each [`Request`] to its
//!    service, and the requests that combine services: `lock(name, ttl)`, grant-then-keep-alive)
//!    and [`call`] (a request in flight that its caller waits for in slices, polls or abandons).
//! 6. **Service registration and discovery**, built on the facade and the streams:
//!    [`registry`] (entries under a lease that is re-granted when lost), [`discovery`] (a live
//!    view of a prefix that lists, watches and re-lists after compaction); both work inside a
//!    namespace when given a namespaced client.

#![forbid(unsafe_code)]

// 1. Plain data and the runtime.
pub mod dispatch;
pub mod endpoints;
pub(crate) mod hub;
pub mod keys;
pub mod log;
pub mod namespace;
pub mod options;
pub mod panic;
pub mod request;
pub mod response;
pub mod runtime;
pub mod txn;
// 2. The connection.
pub mod client;
// 3. The services.
pub mod cluster;
pub mod election;
pub mod kv;
pub mod lease;
pub mod lock;
pub mod maintenance;
// 4. The streams.
pub mod keepalive;
pub mod observer;
pub mod watch;
// 5. The facade.
pub mod call;
pub mod execute;
// 6. Registration and discovery.
pub mod discovery;
pub mod registry;

pub use call::Call;
pub use client::Client;
pub use discovery::{Change, ChangeKind, ServiceDiscovery};
pub use keepalive::{KeepAlive, KeepAliveError, KeepAliveErrorKind};
pub use keys::KeyRange;
pub use maintenance::Status;
pub use namespace::Namespace;
pub use observer::Observer;
pub use options::{ClientOptions, LoadBalancing, OptionArgs};
pub use registry::{RegistryOptions, ServiceRegistry};
pub use request::{Compare, Request};
pub use response::{Event, EventType, Kv, Member, Response};
pub use txn::{CompareResult, CompareTarget, Transaction, TxnCompare, TxnOperation};
pub use watch::Watcher;
