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
//! - [`maintenance`]: member status, compaction, defragmentation (an extension).
//! - [`log`]: the process-wide log hook for the library's diagnostics.

pub mod call;
pub mod client;
pub mod concurrency;
pub mod dispatch;
pub mod endpoints;
pub mod keepalive;
pub mod log;
pub mod maintenance;
pub mod ops;
pub mod request;
pub mod response;
pub mod runtime;
pub mod txn;
pub mod watch;

pub use call::Call;
pub use client::{Client, ClientOptions, LoadBalancing};
pub use concurrency::Observer;
pub use keepalive::{KeepAlive, KeepAliveError, KeepAliveErrorKind};
pub use maintenance::Status;
pub use request::{Compare, KeyRange, Request};
pub use response::{Event, EventType, Kv, Member, Response};
pub use txn::{CompareResult, CompareTarget, Transaction, TxnCompare, TxnOperation};
pub use watch::Watcher;
