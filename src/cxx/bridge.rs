//! The single cxx bridge between the Rust core and the C++ classes in `cpp/`.
//!
//! Three sections, as in the cxx demo: plain structs shared by both languages, the opaque Rust
//! handles C++ holds as `rust::Box`, and the opaque C++ sinks through which Rust hands results
//! and callbacks back to C++. Every sink method is declared `Result<()>` so that a C++ exception
//! thrown by user code arrives in Rust as an `Err` instead of terminating the process.

// The bridge names the Rust items by `super::`; they live in `src/cxx/mod.rs`.
use super::*;

#[cxx::bridge(namespace = "etcd::ffi")]
pub mod ffi {
    // ---------------------------------------------------------------------------------------
    // Shared plain data.
    // ---------------------------------------------------------------------------------------

    /// One key-value pair (`etcd::Value`). Keys and values are raw bytes.
    #[derive(Default, Clone)]
    struct KvData {
        key: Vec<u8>,
        value: Vec<u8>,
        create_revision: i64,
        mod_revision: i64,
        version: i64,
        lease: i64,
        ttl: i64,
    }

    /// One watch event (`etcd::Event`). `event_type`: 0 PUT, 1 DELETE, 2 INVALID.
    #[derive(Default, Clone)]
    struct EventData {
        event_type: i32,
        has_kv: bool,
        kv: KvData,
        has_prev_kv: bool,
        prev_kv: KvData,
    }

    /// One cluster member (`etcdv3::Member`).
    #[derive(Default, Clone)]
    struct MemberData {
        id: u64,
        name: String,
        peer_urls: Vec<String>,
        client_urls: Vec<String>,
        is_learner: bool,
    }

    /// Everything an `etcd::Response` carries.
    #[derive(Default)]
    struct ResponseData {
        error_code: i32,
        error_message: String,
        action: String,
        index: i64,
        value: KvData,
        prev_value: KvData,
        values: Vec<KvData>,
        events: Vec<EventData>,
        compact_revision: i64,
        watch_id: i64,
        cluster_id: u64,
        member_id: u64,
        raft_term: u64,
        leases: Vec<i64>,
        members: Vec<MemberData>,
        lock_key: Vec<u8>,
        name: Vec<u8>,
        duration_us: i64,
        /// `status` / `defragment` (an extension): the member's status.
        status: StatusData,
    }

    /// The status of one member (an extension, see `etcd/Maintenance.hpp`).
    #[derive(Default)]
    struct StatusData {
        endpoint: String,
        version: String,
        db_size: i64,
        db_size_in_use: i64,
        leader: u64,
        member_id: u64,
        cluster_id: u64,
        raft_index: u64,
        raft_term: u64,
        raft_applied_index: u64,
        is_learner: bool,
        errors: Vec<String>,
    }

    /// Which operation a [`Request`] asks for.
    #[derive(Debug)]
    enum Op {
        Head,
        Get,
        Set,
        Add,
        Modify,
        ModifyIfValue,
        ModifyIfIndex,
        Rm,
        RmIfValue,
        RmIfIndex,
        /// `rmdir(key, recursive)`; with `has_range_end`, `rmdir(key, range_end)`.
        Rmdir,
        /// `ls`; with `keys_only`, `keys`.
        Ls,
        /// One-shot `watch`.
        Watch,
        LeaseGrant,
        LeaseRevoke,
        LeaseTimeToLive,
        LeaseLeases,
        /// `txn`: the transaction is `txns[0]` (nested ones are referred to by index).
        Txn,
        /// `lock(name[, ttl])`: `key` is the name, `ttl` the lease TTL.
        Lock,
        /// `lock_with_lease(name, lease)`.
        LockWithLease,
        /// `unlock(lock_key)`: `key` is the lock key.
        Unlock,
        /// `campaign(name, lease, value)`: `name`, `lease`, `value`.
        Campaign,
        /// `proclaim(name, lease, key, revision, value)`.
        Proclaim,
        /// `leader(name)`.
        Leader,
        /// `resign(name, lease, key, revision)`.
        Resign,
        /// `add_member(peer_urls, is_learner)`.
        MemberAdd,
        MemberList,
        /// `remove_member(member_id)`.
        MemberRemove,
        /// Extensions: `status(endpoint)`, `compact(revision, physical)`,
        /// `defragment(endpoint)`.
        Status,
        Compact,
        Defragment,
        /// Extension: `sync_endpoints()`, the endpoint list from the member list.
        SyncEndpoints,
    }

    /// One comparison of a transaction. `target`: 0 VERSION, 1 CREATE, 2 MOD, 3 VALUE, 4 LEASE
    /// (`etcdv3::CompareTarget`); `result`: 0 EQUAL, 1 GREATER, 2 LESS, 3 NOT_EQUAL.
    #[derive(Default, Clone)]
    struct TxnCompareData {
        key: Vec<u8>,
        range_end: Vec<u8>,
        target: i32,
        result: i32,
        value: Vec<u8>,
        number: i64,
    }

    /// One operation of a transaction branch. `kind`: 0 range, 1 put, 2 delete, 3 nested
    /// transaction (`txn_index` into the request's list of transactions). Ranges: a non-empty `range_end`
    /// wins, else `recursive` means the prefix `key`.
    #[derive(Default, Clone)]
    struct TxnOpData {
        kind: i32,
        key: Vec<u8>,
        range_end: Vec<u8>,
        recursive: bool,
        value: Vec<u8>,
        lease: i64,
        prev_kv: bool,
        limit: i64,
        txn_index: usize,
    }

    /// A transaction.
    #[derive(Default, Clone)]
    struct TxnData {
        compares: Vec<TxnCompareData>,
        success: Vec<TxnOpData>,
        failure: Vec<TxnOpData>,
    }

    /// Client construction options (the gRPC-free stand-in for channel arguments).
    #[derive(Default)]
    struct ClientOptionsData {
        /// Per-request timeout in milliseconds (0 = none); `set_grpc_timeout`.
        request_timeout_ms: i64,
        /// Connect timeout in milliseconds (0 = library default).
        connect_timeout_ms: i64,
        /// HTTP/2 keep-alive ping interval and timeout in milliseconds (0 = library default).
        keepalive_time_ms: i64,
        keepalive_timeout_ms: i64,
        /// Credentials (both non-empty to log in) and etcd's `--auth-token-ttl` in seconds.
        user: String,
        password: String,
        auth_token_ttl: i64,
        /// TLS when `tls` is set: PEM file paths as etcd-cpp-apiv3 takes them.
        tls: bool,
        ca: String,
        cert: String,
        key: String,
        target_name_override: String,
        /// Message size limits in bytes (0 = unlimited, as etcd-cpp-apiv3's INT_MAX).
        max_receive_message_size: i64,
        max_send_message_size: i64,
        /// Interval of the endpoint auto-sync in milliseconds (0 = off).
        auto_sync_interval_ms: i64,
    }

    /// Result of `KeepAlive::Check()` / the error a keep-alive handler receives.
    /// `kind`: 0 none, 1 `std::runtime_error`, 2 `std::out_of_range`.
    #[derive(Default)]
    struct KeepAliveErrorData {
        kind: i32,
        message: String,
    }

    /// What a `Watcher` watches.
    #[derive(Default)]
    struct WatchSpecData {
        key: Vec<u8>,
        range_end: Vec<u8>,
        has_range_end: bool,
        recursive: bool,
        /// <= 0: from now.
        from_revision: i64,
    }

    // ---------------------------------------------------------------------------------------
    // Rust handles and functions exposed to C++.
    // ---------------------------------------------------------------------------------------
    extern "Rust" {
        /// A connection to an etcd cluster (shared by SyncClient, Client, Watcher, KeepAlive).
        type Client;
        /// A long-lived watch delivering events to a sink.
        type Watcher;
        /// A lease kept alive in the background.
        type KeepAlive;
        /// An election observer (`SyncClient::Observer`).
        type Observer;
        /// Entries registered under a lease that is granted again when lost.
        type ServiceRegistry;
        /// A live view of a prefix.
        type ServiceDiscovery;

        /// Never fails: an endpoint string that resolves to nothing gives a client whose every
        /// call answers 13 "the target uri is not valid", as etcd-cpp-apiv3 does.
        fn client_new(
            endpoints: &str,
            load_balancer: &str,
            options: &ClientOptionsData,
        ) -> Box<Client>;
        /// A second handle to the same connection.
        fn client_clone(client: &Client) -> Box<Client>;
        /// A handle to the same connection whose keys live under `prefix` (added to the
        /// client's own namespace prefix).
        fn client_with_namespace(client: &Client, prefix: &[u8]) -> Box<Client>;
        /// The prefix of the client's keys (empty outside a namespace).
        fn client_namespace_prefix(client: &Client) -> Vec<u8>;
        fn client_set_timeout_ms(client: &Client, ms: i64);
        /// `current_auth_token()`.
        fn client_auth_token(client: &Client) -> String;
        /// Stops the keep-alives of locks still held (when the owning SyncClient goes away).
        fn client_release_locks(client: &Client);
        fn client_timeout_ms(client: &Client) -> i64;
        /// One request, filled from borrowed bytes (each key and value is copied once, into
        /// the vector the protobuf encoder reads) and consumed by one `client_execute*` call.
        /// Fields an operation does not use are ignored.
        type Request;
        fn request_new(op: Op) -> Box<Request>;
        fn set_key(self: &mut Request, key: &[u8]);
        /// Also marks the request as having an explicit range end.
        fn set_range_end(self: &mut Request, range_end: &[u8]);
        fn set_value(self: &mut Request, value: &[u8]);
        /// `modify_if` / `rm_if` by value.
        fn set_old_value(self: &mut Request, old_value: &[u8]);
        /// `modify_if` / `rm_if` by index (mod revision).
        fn set_old_index(self: &mut Request, old_index: i64);
        /// Read revision for get/ls/keys; start revision for watch (<= 0: now).
        fn set_revision(self: &mut Request, revision: i64);
        fn set_lease(self: &mut Request, lease: i64);
        /// `leasegrant` / `lock` TTL.
        fn set_ttl(self: &mut Request, ttl: i64);
        /// `ls` / `keys` limit (0 = none).
        fn set_limit(self: &mut Request, limit: i64);
        fn set_recursive(self: &mut Request, recursive: bool);
        fn set_keys_only(self: &mut Request, keys_only: bool);
        /// Election name.
        fn set_name(self: &mut Request, name: &[u8]);
        /// `add_member`: one more peer URL (not UTF-8: converted with replacement characters).
        fn add_peer_url(self: &mut Request, url: &[u8]);
        fn set_is_learner(self: &mut Request, is_learner: bool);
        fn set_member_id(self: &mut Request, member_id: u64);
        /// `Op::Txn`: the transaction (`txns[0]`) and the ones nested in it.
        fn set_txns(self: &mut Request, txns: Vec<TxnData>);
        /// `Op::Status`, `Op::Defragment`: one of the client's endpoints ("" for any).
        fn set_endpoint(self: &mut Request, endpoint: &[u8]);
        /// `Op::Compact`: wait until the compacted revisions are removed from the database.
        fn set_physical(self: &mut Request, physical: bool);

        /// The client's current endpoints (host:port).
        fn client_endpoints(client: &Client) -> Vec<String>;
        /// Blocking call.
        fn client_execute(client: &Client, request: Box<Request>) -> ResponseData;
        /// Asynchronous call whose `sink.call` runs on the runtime thread that finished it, saving
        /// a thread hand-off. Only for sinks that store the result and wake a waiter (a pplx
        /// `task_completion_event`); such a sink must never block or run user code.
        fn client_execute_completing(
            client: &Client,
            request: Box<Request>,
            sink: UniquePtr<ResponseSink>,
        );

        /// Starts a watcher; `sink.call` receives every response with events, in order, on a
        /// library thread; never after `watcher_cancel` has returned.
        fn watcher_new(
            client: &Client,
            spec: &WatchSpecData,
            sink: UniquePtr<ResponseSink>,
        ) -> Box<Watcher>;
        /// Sets the callback run once when the watcher ends; false if one was already set.
        fn watcher_set_wait_callback(watcher: &Watcher, sink: UniquePtr<BoolSink>) -> bool;
        /// Blocks until the watcher ends; true if it was cancelled.
        fn watcher_wait(watcher: &Watcher) -> bool;
        /// Cancels and returns without waiting on the network; true if it was cancelled.
        fn watcher_cancel(watcher: &Watcher) -> bool;
        fn watcher_cancelled(watcher: &Watcher) -> bool;

        /// Grants a lease first when `ttl > 0 && lease_id == 0` (blocking).
        fn keepalive_new(
            client: &Client,
            ttl: i64,
            lease_id: i64,
            handler: UniquePtr<ErrorSink>,
        ) -> Box<KeepAlive>;
        fn keepalive_lease(keepalive: &KeepAlive) -> i64;
        fn keepalive_cancel(keepalive: &KeepAlive);
        /// The stored error, or the result of an immediate refresh. A failure found here is
        /// stored, cancels the keep-alive and is passed to the handler on the calling thread.
        fn keepalive_check(keepalive: &KeepAlive) -> KeepAliveErrorData;
        fn keepalive_set_timeout_ms(keepalive: &KeepAlive, ms: i64);
        fn keepalive_timeout_ms(keepalive: &KeepAlive) -> i64;

        /// Starts observing election `name`.
        fn observer_new(client: &Client, name: &[u8]) -> Box<Observer>;
        /// Blocks until the next leader announcement or the error that ended the stream.
        fn observer_wait_once(observer: &Observer) -> ResponseData;

        /// Grants the first lease (blocking). `sink.call` gets, on a library thread, a response
        /// whose `prev_value.lease` is the lost lease and `value.lease` the new one.
        fn registry_new(
            client: &Client,
            ttl: i64,
            revoke_on_close: bool,
            sink: UniquePtr<ResponseSink>,
        ) -> Box<ServiceRegistry>;
        fn registry_add(registry: &ServiceRegistry, key: &[u8], value: &[u8]) -> ResponseData;
        fn registry_remove(registry: &ServiceRegistry, key: &[u8]) -> ResponseData;
        fn registry_lease(registry: &ServiceRegistry) -> i64;
        fn registry_close(registry: &ServiceRegistry);

        /// Starts following `prefix`. `sink.call` gets each change, in order, on a library
        /// thread: `action` "added", "updated" or "removed", `value` and `prev_value`.
        fn discovery_new(
            client: &Client,
            prefix: &[u8],
            sink: UniquePtr<ResponseSink>,
        ) -> Box<ServiceDiscovery>;
        /// Waits for the first listing (`timeout_ms` < 0: no limit).
        fn discovery_wait_ready(discovery: &ServiceDiscovery, timeout_ms: i64) -> bool;
        /// The entries in `values`, and the revision they are current at in `index`.
        fn discovery_snapshot(discovery: &ServiceDiscovery) -> ResponseData;
        fn discovery_close(discovery: &ServiceDiscovery);

        /// Runs `job` on a library callback thread (the pplx ambient scheduler).
        fn dispatch_submit(job: UniquePtr<Job>);

        /// Copies bytes into a new Rust vector in one go.
        fn bytes_from(data: &[u8]) -> Vec<u8>;

        /// `etcdv3::detail::string_plus_one`.
        fn string_plus_one(key: &[u8]) -> Vec<u8>;

        /// Installs the process-wide log hook (`etcd/Log.hpp`) for levels up to `max_level`
        /// (1 error ... 4 debug); `sink.call` runs on a library callback thread.
        fn log_set_hook(sink: UniquePtr<LogSink>, max_level: u32);
        /// Removes the log hook.
        fn log_clear_hook();
        /// Logs `message` as an error if a hook is set; false (nothing done) without one.
        fn log_error_if_hooked(message: &str) -> bool;
    }

    // ---------------------------------------------------------------------------------------
    // C++ sinks called from Rust.
    // ---------------------------------------------------------------------------------------
    unsafe extern "C++" {
        include!("etcd-cpp-rs/cpp/ffi_sinks.hpp");

        /// Receives responses (one for an async call, many for a watcher).
        type ResponseSink;
        fn call(self: &ResponseSink, response: &ResponseData) -> Result<()>;

        /// Receives the `Wait` callback's `cancelled` flag.
        type BoolSink;
        fn call(self: &BoolSink, value: bool) -> Result<()>;

        /// Receives a keep-alive failure (see [`KeepAliveErrorData`]).
        type ErrorSink;
        fn call(self: &ErrorSink, error: &KeepAliveErrorData) -> Result<()>;
        /// False for the empty sink of the no-handler constructors.
        fn is_set(self: &ErrorSink) -> bool;

        /// Receives log messages (`etcd::set_log_callback`).
        type LogSink;
        fn call(self: &LogSink, level: u32, message: &str) -> Result<()>;

        /// A unit of work (a pplx continuation).
        type Job;
        fn run(self: &Job) -> Result<()>;
    }
}
