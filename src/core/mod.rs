//! The Rust core of etcd-cpp-rs: everything the C++ and C layers expose, with no FFI in it.
//!
//! - [`runtime`]: the one process-wide tokio runtime (re-created after `fork()`).
//! - [`dispatch`]: the library callback threads, where user code runs (never on a runtime worker).
//! - [`call`]: a request in flight that its caller waits for in slices, polls or abandons.
//! - [`client`]: a connection to a cluster with per-call endpoint fail-over and timeouts.
//! - [`ops`]: the unary operations with etcd-cpp-apiv3's response semantics.
//! - [`watch`]: one-shot watches and the long-lived, self-resuming [`Watcher`].
//! - [`keepalive`]: the background lease refresher [`KeepAlive`].
//! - [`txn`], [`concurrency`]: transactions, locks and elections.
//! - [`registry`], [`discovery`]: service registration under a lease that is re-granted when
//!   lost, and a live view of a prefix that lists, watches and re-lists after compaction;
//!   [`namespace`]: a client view whose keys live under a prefix.

pub mod call;
pub mod client;
pub mod concurrency;
pub mod discovery;
pub mod dispatch;
pub mod endpoints;
pub mod keepalive;
pub mod namespace;
pub mod ops;
pub mod registry;
pub mod request;
pub mod response;
pub mod runtime;
pub mod txn;
pub mod watch;

pub use call::Call;
pub use client::{Client, ClientOptions, LoadBalancing};
pub use concurrency::Observer;
pub use discovery::{Change, ChangeKind, ServiceDiscovery};
pub use keepalive::{KeepAlive, KeepAliveError, KeepAliveErrorKind};
pub use namespace::Namespace;
pub use registry::{RegistryOptions, ServiceRegistry};
pub use request::{Compare, KeyRange, Request};
pub use response::{Event, EventType, Kv, Member, Response};
pub use txn::{CompareResult, CompareTarget, Transaction, TxnCompare, TxnOperation};
pub use watch::Watcher;
